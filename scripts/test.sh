#!/usr/bin/env bash
# Runs every test of every module against a real RabbitMQ (started if needed),
# plus the formatting and vet checks. The README's second command.
set -euo pipefail
cd "$(dirname "$0")/.."

export BOOKSHOP_ARTIFACTS="${BOOKSHOP_ARTIFACTS:-$PWD/artifacts}" # screenshots of the browser tests
mkdir -p "$BOOKSHOP_ARTIFACTS"

MODULES=(pkg orchestrator billing fulfillment communication frontend e2e)

scripts/ensure-rabbitmq.sh
scripts/ensure-chromium.sh

echo "== gofmt"
unformatted=$(gofmt -l "${MODULES[@]}")
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
for m in "${MODULES[@]}"; do (cd "$m" && go vet ./...); done

echo "== go test"
start=$(date +%s)
for m in "${MODULES[@]}"; do
	echo "-- $m"
	(cd "$m" && go test -count=1 -timeout 8m ./...)
done
echo "== all tests passed in $(( $(date +%s) - start ))s"
