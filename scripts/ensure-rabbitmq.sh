#!/usr/bin/env bash
# Makes sure a RabbitMQ broker answers on this machine: installs Debian's
# rabbitmq-server when it is missing, starts it when it is not running, and
# enables its management plugin, whose HTTP API (127.0.0.1:15672) the tests
# use to create and delete their vhosts: far cheaper than a rabbitmqctl run
# each (they fall back to rabbitmqctl without it). Idempotent; used by
# `make run` and `make test`.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v rabbitmqctl >/dev/null 2>&1; then
	echo "rabbitmq: installing Debian's rabbitmq-server" >&2
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
fi

if ! as_root rabbitmqctl -q status >/dev/null 2>&1; then
	echo "rabbitmq: starting the broker" >&2
	as_root rabbitmq-server -detached
	# await_startup waits for the node to boot; retry while the node is not yet up.
	up=
	for _ in $(seq 1 60); do
		if as_root rabbitmqctl -q await_startup --timeout 5 >/dev/null 2>&1; then
			up=1
			break
		fi
		sleep 1
	done
	if [ -z "$up" ]; then
		echo "rabbitmq: the broker did not start within a minute (see /var/log/rabbitmq/)" >&2
		exit 1
	fi
	echo "rabbitmq: up" >&2
fi

api_up() { curl -fsS -o /dev/null -m 5 -u guest:guest http://127.0.0.1:15672/api/overview 2>/dev/null; }
if ! command -v curl >/dev/null 2>&1; then
	echo "rabbitmq: no curl to check the management API; installing it" >&2
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null
fi
if api_up; then
	exit 0
fi
echo "rabbitmq: enabling the management plugin" >&2
as_root rabbitmq-plugins -q enable rabbitmq_management >/dev/null
for _ in $(seq 1 60); do
	if api_up; then
		echo "rabbitmq: management API up on 127.0.0.1:15672" >&2
		exit 0
	fi
	sleep 0.5
done
echo "rabbitmq: the management API did not answer on 127.0.0.1:15672 within 30s; tests fall back to rabbitmqctl (slower)" >&2
