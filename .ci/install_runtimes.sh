#!/usr/bin/env bash
# Installs what the cross-runtime tests need when it is missing:
# - Bun (pinned), from the npm registry: the `bun` package, whose binary
#   comes from its optional dependency `@oven/bun-linux-x64`;
# - Debian's `tinyproxy`, the real HTTP proxy of tests/proxy_test.ts
#   (apt-get as root; the tests start it themselves on loopback).
# Node 20 or later must already be there (CI machines have it). Idempotent;
# exits non-zero on failure.
set -euo pipefail

BUN_VERSION=1.4.5

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "install_runtimes.sh: Node 20 or later is needed, found: $(node --version 2>/dev/null || echo none)" >&2
  exit 1
fi

if [ "$(bun --version 2>/dev/null || true)" != "$BUN_VERSION" ]; then
  echo "installing bun@$BUN_VERSION from the npm registry"
  npm install -g --no-fund --no-audit "bun@$BUN_VERSION"
  if [ "$(bun --version 2>/dev/null || true)" != "$BUN_VERSION" ]; then
    # npm may skip the package's install script, which links the platform binary.
    (cd "$(npm root -g)/bun" && node install.js)
  fi
  if [ "$(bun --version 2>/dev/null || true)" != "$BUN_VERSION" ]; then
    echo "install_runtimes.sh: bun $BUN_VERSION still missing after install" >&2
    exit 1
  fi
fi
echo "bun $(bun --version)"

if ! command -v tinyproxy >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo -n)
  else
    echo "install_runtimes.sh: need root (or sudo) to install tinyproxy" >&2
    exit 1
  fi
  "${as_root[@]}" apt-get update
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends tinyproxy
fi
echo "$(tinyproxy -v)"
