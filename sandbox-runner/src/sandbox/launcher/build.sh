#!/usr/bin/env sh
# Builds sandbox-launch (see sandbox-launch.c) into sandbox-runner/build/, or into $1.
# Static when the C library allows it (starts faster), else dynamic. Needs a C compiler.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../../../build/sandbox-launch}"
mkdir -p "$(dirname "$out")"
cc="${CC:-cc}"
flags="-O2 -Wall -Wextra -Werror -D_FORTIFY_SOURCE=2 -fstack-protector-strong"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
if ! $cc $flags -static -o "$tmp" "$here/sandbox-launch.c" 2>/dev/null; then
  $cc $flags -o "$tmp" "$here/sandbox-launch.c"
fi
chmod 0755 "$tmp"
mv -f "$tmp" "$out"
echo "built $(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
