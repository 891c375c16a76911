#!/usr/bin/env sh
# Builds sandbox-launch (see sandbox-launch.c) into sandbox-runner/build/, or into $1, and
# sandbox-exec, gateway-link and app-link (see their .c files) next to it.
# Static when the C library allows it (starts faster), else dynamic. Needs a C compiler.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../../../build/sandbox-launch}"
mkdir -p "$(dirname "$out")"
cc="${CC:-cc}"
flags="-O2 -Wall -Wextra -Werror -D_FORTIFY_SOURCE=2 -fstack-protector-strong"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
build() {
  if ! $cc $flags -static -o "$tmp" "$here/$1" 2>/dev/null; then
    $cc $flags -o "$tmp" "$here/$1"
  fi
  chmod 0755 "$tmp"
  mv -f "$tmp" "$2"
  echo "built $(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
}
build sandbox-launch.c "$out"
build sandbox-exec.c "$(dirname "$out")/sandbox-exec"
build gateway-link.c "$(dirname "$out")/gateway-link"
build app-link.c "$(dirname "$out")/app-link"
