#!/usr/bin/env bash
# tools/demo.sh (make demo): a newcomer's first look at splitrun.
# Traces a real program, shows the strace-style lines and the -c summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${SPLITRUN_BINDIR:-$PWD/bin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

printf 'hello from splitrun\nsecond line\n' > "$work/input.txt"

say "1. Trace file calls of a small pipeline (splitrun --trace -f -e trace=%file,read,write)"
echo "\$ splitrun --trace -f -e trace=openat,read,write,close -- sh -c 'cat input.txt | wc -l'"
(cd "$work" && "$bin/splitrun" --trace -f -e trace=openat,read,write,close -o "$work/trace.txt" \
	-- sh -c 'cat input.txt | wc -l')
grep -v -e '\.so' -e 'locale' "$work/trace.txt" | head -25

say "2. The same pipeline, summary only (splitrun -c -f)"
(cd "$work" && "$bin/splitrun" -c -f -- sh -c 'cat input.txt | wc -l' > /dev/null)

say "3. A static binary (busybox) is trapped just the same"
"$bin/splitrun" --trace -e trace=%file -- /bin/busybox ls "$work"
