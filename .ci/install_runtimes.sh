#!/usr/bin/env bash
# Installs what the cross-runtime tests need when it is missing:
# - Bun (pinned), from the npm registry: the `bun` package, whose binary
#   comes from its optional dependency `@oven/bun-linux-x64`;
# - workerd (pinned), Cloudflare's Workers runtime, from the npm registry
#   (binary from `@cloudflare/workerd-linux-64`), for tests/workers_test.ts;
# - Debian's `tinyproxy`, the real HTTP proxy of tests/proxy_test.ts
#   (apt-get as root; the tests start it themselves on loopback);
# - Debian's `curl`, the HTTP client of tests/http_curl_test.ts.
# Node 20 or later must already be there (CI machines have it). Idempotent;
# exits non-zero on failure.
set -euo pipefail

BUN_VERSION=1.4.5
WORKERD_VERSION=1.20261117.1

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

# workerd --version prints the date part of the version: 1.20261117.1 -> 2026-11-17.
workerd_date=$(sed -E 's/^1\.([0-9]{4})([0-9]{2})([0-9]{2})\..*/\1-\2-\3/' <<<"$WORKERD_VERSION")
if [ "$(workerd --version 2>/dev/null || true)" != "workerd $workerd_date" ]; then
  echo "installing workerd@$WORKERD_VERSION from the npm registry"
  npm install -g --no-fund --no-audit "workerd@$WORKERD_VERSION"
  if [ "$(workerd --version 2>/dev/null || true)" != "workerd $workerd_date" ]; then
    echo "install_runtimes.sh: workerd $WORKERD_VERSION still missing after install" >&2
    exit 1
  fi
fi
echo "$(workerd --version)"

missing=()
command -v tinyproxy >/dev/null 2>&1 || missing+=(tinyproxy)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo -n)
  else
    echo "install_runtimes.sh: need root (or sudo) to install ${missing[*]}" >&2
    exit 1
  fi
  "${as_root[@]}" apt-get update
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
fi
echo "$(tinyproxy -v)"
curl --version | sed -n 1p
