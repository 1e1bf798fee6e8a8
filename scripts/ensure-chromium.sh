#!/usr/bin/env bash
# Makes sure Debian's headless-capable Chromium is installed for the browser
# tests (storefront and operator console). Idempotent.
set -euo pipefail
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if [ -x /usr/bin/chromium ]; then
	exit 0
fi
echo "chromium: installing Debian's chromium for the browser tests" >&2
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
