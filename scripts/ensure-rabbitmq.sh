#!/usr/bin/env bash
# Makes sure a RabbitMQ broker answers on this machine: installs Debian's
# rabbitmq-server when it is missing and starts it when it is not running.
# Idempotent; used by `make run` and `make test`.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v rabbitmqctl >/dev/null 2>&1; then
	echo "rabbitmq: installing Debian's rabbitmq-server" >&2
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
fi

if as_root rabbitmqctl -q status >/dev/null 2>&1; then
	exit 0
fi
echo "rabbitmq: starting the broker" >&2
as_root rabbitmq-server -detached
# await_startup waits for the node to boot; retry while the node is not yet up.
for _ in $(seq 1 60); do
	if as_root rabbitmqctl -q await_startup --timeout 5 >/dev/null 2>&1; then
		echo "rabbitmq: up" >&2
		exit 0
	fi
	sleep 1
done
echo "rabbitmq: the broker did not start within a minute (see /var/log/rabbitmq/)" >&2
exit 1
