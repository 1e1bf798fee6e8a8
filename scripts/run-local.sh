#!/usr/bin/env bash
# Runs the whole shop on this machine: RabbitMQ (installed and started if
# needed), then the five programs as processes with their logs prefixed by
# name. Ctrl-C stops them all. The README's first command.
set -euo pipefail
cd "$(dirname "$0")/.."

PROGRAMS=(orchestrator billing fulfillment communication frontend)

scripts/ensure-rabbitmq.sh
mkdir -p bin var
for p in "${PROGRAMS[@]}"; do
	go build -o "bin/$p" "./$p/cmd/$p"
done

# Five programs and the broker share this machine's cores: one scheduler
# thread per program (unless GOMAXPROCS is set) keeps the Go runtimes from
# spinning against each other. Measured with make bench on 2 cores: about
# a fifth less CPU per order. A program alone on its machine keeps Go's default.
export GOMAXPROCS="${GOMAXPROCS:-1}"

pids=()
stop() {
	trap - INT TERM EXIT
	echo "stopping..."
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	wait || true
}
trap stop INT TERM EXIT

for p in "${PROGRAMS[@]}"; do
	# Each program logs as text, every line prefixed with its name. The
	# program itself is the background job, so that stop reaches it (a
	# SIGTERM to this script, not only Ctrl-C to the terminal's group).
	env "$(echo "$p" | tr a-z A-Z)_LOG_FORMAT=text" "bin/$p" --config "configs/$p.yaml" \
		> >(sed -u "s/^/[$p] /") 2>&1 &
	pids+=($!)
done

# Wait until every program says it is ready.
declare -A ports=([frontend]=8080 [orchestrator]=8081 [billing]=8082 [fulfillment]=8083 [communication]=8084)
for p in "${PROGRAMS[@]}"; do
	for _ in $(seq 1 100); do
		curl -fsS "http://127.0.0.1:${ports[$p]}/readyz" >/dev/null 2>&1 && break
		sleep 0.1
	done
done
cat <<MSG

  bookshop is running.
  Storefront:     http://127.0.0.1:8080/
  Admin API:      http://127.0.0.1:8081/admin/stats  (Authorization: Bearer dev-admin-token-change-me)
  Ctrl-C stops everything.

MSG
wait
