#!/usr/bin/env bash
# Each module must type-check and vet on its own, without the workspace (GOWORK=off):
# a service's pipeline, or its Docker image, has nothing but its own folder and
# pkg/. Fails on a module whose go.mod or go.sum lacks what its code (tests
# included) imports. Run by scripts/test.sh; takes seconds with a warm cache.
set -euo pipefail
cd "$(dirname "$0")/.."

MODULES=(pkg orchestrator billing fulfillment communication frontend e2e)
if [ $# -gt 0 ]; then MODULES=("$@"); fi # or only the modules named

failed=()
for m in "${MODULES[@]}"; do
	if ! (cd "$m" && GOWORK=off GOFLAGS=-mod=readonly go vet ./...); then
		failed+=("$m")
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "not buildable on its own (GOWORK=off): ${failed[*]}; run 'GOWORK=off go mod tidy' in each" >&2
	exit 1
fi
echo "standalone: ${MODULES[*]} vet with GOWORK=off (go vet compiles every package, tests included)"
