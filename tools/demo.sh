#!/usr/bin/env bash
# tools/demo.sh (make demo): a newcomer's first look at split execution.
# Starts a splitrun-shadow on a temporary "home" tree (on this machine, over
# loopback), runs real programs here whose files live only there, and shows
# what went where. Leaves nothing behind: the shadow is killed by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${SPLITRUN_BINDIR:-$PWD/bin}
work=$(mktemp -d)
shadow_pid=
cleanup() {
	if [ -n "$shadow_pid" ]; then
		kill "$shadow_pid" 2>/dev/null || true
		wait "$shadow_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

home=$work/home
mkdir -p "$home/project"
printf 'Notes kept at home.\nThe program runs elsewhere.\n' > "$home/project/notes.txt"
for i in 17 4 42 8 23 15 16; do echo "item-$i,$i"; done > "$home/project/data.csv"

say "1. Home: splitrun-shadow serves $home"
"$bin/splitrun-shadow" --root "$home" --listen 127.0.0.1:0 > "$work/shadow.line" 2> "$work/shadow.log" &
shadow_pid=$!
for _ in $(seq 100); do
	grep -q '^splitrun --shadow ' "$work/shadow.line" 2>/dev/null && break
	sleep 0.05
done
addr=$(awk '/^splitrun --shadow / { print $3 }' "$work/shadow.line")
[ -n "$addr" ] || { echo "splitrun-shadow did not start:"; cat "$work/shadow.log"; exit 1; }
echo "\$ splitrun-shadow --root $home --listen 127.0.0.1:0"
cat "$work/shadow.line"

say "2. Here: sort, head, wc and ls run on this machine; /project is at home"
cmd='sort -t, -k2 -n -r data.csv | head -3 > top3.txt; wc -l data.csv; ls -l'
echo "\$ splitrun --shadow $addr -C /project --stats -- sh -c '$cmd'"
"$bin/splitrun" --shadow "$addr" -C /project --stats -- sh -c "$cmd"

say "3. What the program wrote is at home (read there, without splitrun)"
echo "\$ cat $home/project/top3.txt"
cat "$home/project/top3.txt"

say "4. Where each call went: the libraries are this machine's, the notes are home's"
echo "\$ splitrun --shadow $addr -C /project --trace -e trace=openat,read -- cat notes.txt"
"$bin/splitrun" --shadow "$addr" -C /project --trace -e trace=openat,read -- cat notes.txt 2> "$work/trace.txt"
grep -v -e 'locale' -e 'gconv' "$work/trace.txt" | head -12

say "5. A program stored at home runs here too (staged first), and so does a busybox-static"
printf '#!/bin/sh\necho "I am $0, stored at home, running on $(uname -m) here"\n' > "$home/project/hello.sh"
chmod 755 "$home/project/hello.sh"
echo "\$ splitrun --shadow $addr -C /project -- ./hello.sh"
"$bin/splitrun" --shadow "$addr" -C /project -- ./hello.sh
if [ -x /bin/busybox ]; then
	echo "\$ splitrun --shadow $addr -C /project -- /bin/busybox wc -c notes.txt data.csv"
	"$bin/splitrun" --shadow "$addr" -C /project -- /bin/busybox wc -c notes.txt data.csv
fi

say "More: splitrun --help, man -l docs/man/splitrun.1, docs/policy.md, docs/limits.md"
