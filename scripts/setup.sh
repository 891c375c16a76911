#!/usr/bin/env bash
# Prepares a fresh machine: system packages the app and its tests use, then npm ci.
# Safe to run again; it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=()
command -v chromium >/dev/null 2>&1 || apt_packages+=(chromium)
# Fonts so screenshots and e2e pages render text.
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || apt_packages+=(fonts-dejavu-core)
# The sandbox-runner isolates every process with bubblewrap (it refuses to start without it).
command -v bwrap >/dev/null 2>&1 || apt_packages+=(bubblewrap)

if ((${#apt_packages[@]})); then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    echo "setup: please install: ${apt_packages[*]} (needs root)" >&2; exit 1
  fi
  echo "setup: installing ${apt_packages[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

# Install from the lockfile only when it changed since the last install.
# `npm install` rather than `npm ci`: the registry this project is built against
# lacks some foreign-platform optional binaries (e.g. @next/swc-win32-*), which npm
# leaves out of the lockfile and `npm ci` then refuses. With a lockfile present,
# `npm install` installs exactly the locked versions.
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.autocrea-lock; then
  npm install --no-audit --no-fund
  cp package-lock.json node_modules/.autocrea-lock
fi
# The sandbox-runner is a separate package with its own lockfile.
if [ ! -f sandbox-runner/node_modules/.package-lock.json ] || ! cmp -s sandbox-runner/package-lock.json sandbox-runner/node_modules/.autocrea-lock; then
  (cd sandbox-runner && npm install --no-audit --no-fund && cp package-lock.json node_modules/.autocrea-lock)
fi
# The sandbox-runner starts every sandbox through a small C launcher built with the machine's
# compiler (it refuses to start without it).
if ! command -v cc >/dev/null 2>&1; then
  echo "setup: a C compiler (cc) is needed to build sandbox-runner's launcher: install gcc and libc6-dev" >&2; exit 1
fi
sh sandbox-runner/src/sandbox/launcher/build.sh
echo "setup: ready"
