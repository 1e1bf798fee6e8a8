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

echo "== gofmt ($(date +%T))"
unformatted=$(gofmt -l "${MODULES[@]}")
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet, each module on its own (GOWORK=off) ($(date +%T))"
scripts/check-standalone.sh "${MODULES[@]}"

echo "== go test ($(date +%T))"
start=$(date +%s)
# The modules' own tests run side by side (each uses its own vhosts and temp
# files); the whole-system tests run after them, alone, because two of them
# stop the broker for every vhost.
logs=$(mktemp -d)
# Meanwhile the five programs the e2e tests run are built, once, into
# $logs/bin (BOOKSHOP_BIN_DIR), so that the e2e tests need not wait for it.
(
	builds=()
	for p in orchestrator billing fulfillment communication frontend; do
		(cd "$p" && go build -o "$logs/bin/$p" "./cmd/$p") &
		builds+=("$!")
	done
	rc=0
	for b in "${builds[@]}"; do wait "$b" || rc=1; done
	exit "$rc"
) >"$logs/build.log" 2>&1 &
build_pid=$!
pids=()
for m in "${MODULES[@]}"; do
	[ "$m" = e2e ] && continue
	(cd "$m" && go test -count=1 -timeout 8m ./... >"$logs/$m.log" 2>&1) &
	pids+=("$m:$!")
done
failed=0
for entry in "${pids[@]}"; do
	m=${entry%%:*}
	if wait "${entry#*:}"; then echo "-- $m: ok"; else echo "-- $m: FAILED"; failed=1; fi
	cat "$logs/$m.log"
done
echo "-- modules took $(( $(date +%s) - start ))s"
bin_dir=
if wait "$build_pid"; then bin_dir="$logs/bin"; else echo "-- prebuilding the programs failed; the e2e tests build them:"; cat "$logs/build.log"; fi
[ "$failed" -eq 0 ] || { rm -rf "$logs"; echo "== tests failed"; exit 1; }
echo "-- e2e ($(date +%T))"
e2e_rc=0
(cd e2e && BOOKSHOP_BIN_DIR=$bin_dir go test -count=1 -timeout 9m -parallel 4 ./...) || e2e_rc=$?
rm -rf "$logs"
[ "$e2e_rc" -eq 0 ] || { echo "== tests failed"; exit 1; }
echo "== all tests passed in $(( $(date +%s) - start ))s ($(date +%T))"
