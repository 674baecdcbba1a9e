#!/usr/bin/env bash
# Puts a fresh Debian/Ubuntu machine in a state to run Ramp's demo and tests, then builds. Idempotent and
# quick when everything is already there. What it installs:
#   - Debian packages redis-server and prometheus (apt-get), when the commands are missing;
#   - the npm dependencies from package-lock.json (npm ci), when node_modules is missing or stale;
# then it compiles the TypeScript (tsc -b: the workspace packages under packages/, then the product) into
# dist/ and packages/*/dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[prepare] %s\n' "$*" >&2; }

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    log "missing ${missing[*]}: install them with your package manager (Debian: apt-get install ${missing[*]}) and rerun"
    exit 1
  fi
  log "installing ${missing[*]} with apt-get"
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

stamp=node_modules/.ramp-lockfile
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

log "compiling TypeScript"
rm -rf dist packages/*/dist packages/*/tsconfig.tsbuildinfo  # stale outputs of moved or deleted modules would shadow the new ones
./node_modules/.bin/tsc -b tsconfig.build.json
