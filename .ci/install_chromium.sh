#!/usr/bin/env bash
# Installs Debian's `chromium` package (binary: /usr/bin/chromium) for the
# browser tests in tests/chromium_test.ts. Idempotent: does nothing when
# /usr/bin/chromium already exists. Exits non-zero on failure.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "chromium already installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  echo "install_chromium.sh: need root (or sudo) to install chromium" >&2
  exit 1
fi

"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends chromium

if [ ! -x "$CHROMIUM" ]; then
  echo "install_chromium.sh: $CHROMIUM still missing after install" >&2
  exit 1
fi
echo "installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
