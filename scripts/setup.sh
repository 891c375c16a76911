#!/usr/bin/env bash
# Prepares a fresh machine: system packages the app and its tests use, then the npm packages of the app and the runner, then the runner's launcher.
# Safe to run again; it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=()
command -v chromium >/dev/null 2>&1 || apt_packages+=(chromium)
# Fonts so screenshots and e2e pages render text.
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || apt_packages+=(fonts-dejavu-core)
# The sandbox-runner isolates every process with bubblewrap (it refuses to start without it).
command -v bwrap >/dev/null 2>&1 || apt_packages+=(bubblewrap)
# ...started through a small C launcher built here (statically: libc6-dev has libc.a).
command -v cc >/dev/null 2>&1 || apt_packages+=(gcc)
dpkg -s libc6-dev >/dev/null 2>&1 || apt_packages+=(libc6-dev)
# The Git export tests unpack the ZIP and run the real git fsck / git log, and the push tests use git-http-backend.
command -v git >/dev/null 2>&1 || apt_packages+=(git)
command -v unzip >/dev/null 2>&1 || apt_packages+=(unzip)

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
# The runner refuses to start without its launcher.
sh sandbox-runner/src/sandbox/launcher/build.sh
echo "setup: ready"
