#!/usr/bin/env bash
# bench/roundtrips.sh: what real workloads cost in round trips to the shadow
# (issue #5), counted by splitrun --stats over loopback: the count depends
# only on the order of sends and waits, so it is what a slow link would
# cost (round trips x latency), measured here in a second. The workloads
# have their data only at home: cat of 32 MB, cp -r of 1000 files of 4 KB,
# ls -l, du -a, find, tar c and cat of that tree, rm -r of the copy,
# sqlite3 with 2000 inserts in one transaction then a query, a python3
# script that writes and re-reads 200 files of 16 KB; each under every trap
# backend (ptrace, unotify). Run by bench/run.sh; docs/performance.md
# ("Round trips") holds the figures of record.
#
# Environment: SPLITRUN_BINDIR (splitrun, splitrun-shadow; default bin/);
# RT_BACKENDS (default: each of ptrace and unotify that runs here).
# A splitrun without --stats=json (before issue #5) is read through its
# --summary line, whose round trips were one per request.
set -euo pipefail
cd "$(dirname "$0")/.."
bindir=${SPLITRUN_BINDIR:-$PWD/bin}
splitrun=$bindir/splitrun
shadow=$bindir/splitrun-shadow
for f in "$splitrun" "$shadow"; do
	[ -x "$f" ] || { echo "bench/roundtrips.sh: $f is missing; run make" >&2; exit 2; }
done
for tool in sqlite3 python3; do
	command -v "$tool" > /dev/null || { echo "bench/roundtrips.sh: $tool is missing (tools/deps.sh)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/splitrun-bench-rt.XXXXXX)
shadow_pid=
cleanup() {
	if [ -n "$shadow_pid" ]; then
		kill -TERM "$shadow_pid" 2>/dev/null || true
		wait "$shadow_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
root=$work/root
mkdir -p "$root/w/tree"
head -c 33554432 /dev/urandom > "$root/w/big"
for i in $(seq 1000); do
	head -c 4096 /dev/urandom > "$root/w/tree/f$i"
done
cat > "$root/w/sql.py" <<'EOF'
import sys
print("BEGIN;")
print("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, value REAL);")
for i in range(2000):
    print("INSERT INTO t (name, value) VALUES ('item-%d', %d.5);" % (i, i))
print("COMMIT;")
EOF
python3 "$root/w/sql.py" > "$root/w/inserts.sql"
cat > "$root/w/files.py" <<'EOF'
import os
os.makedirs("py", exist_ok=True)
data = bytes(range(256)) * 64
for i in range(200):
    with open("py/f%d" % i, "wb") as f:
        f.write(data)
total = 0
for i in range(200):
    with open("py/f%d" % i, "rb") as f:
        total += len(f.read())
print(total)
EOF

"$shadow" --root "$root" --listen 127.0.0.1:0 --log "$work/shadow.log" > "$work/addr" &
shadow_pid=$!
addr=
for k in $(seq 100); do
	line=$(head -n1 "$work/addr" 2>/dev/null || true)
	addr=${line#splitrun --shadow }
	[ -n "$line" ] && [ "$addr" != "$line" ] && break
	addr=
	sleep 0.05
done
[ -n "$addr" ] || { echo "bench/roundtrips.sh: the shadow did not start: $(cat "$work/shadow.log")" >&2; exit 1; }

json=1
"$splitrun" --stats=json --shadow "$addr" -C /w -- true 2> "$work/probe" || true
grep -q '^{"calls"' "$work/probe" || json=0
backends=${RT_BACKENDS:-}
if [ -z "$backends" ]; then
	for b in ptrace unotify; do
		"$splitrun" --backend="$b" --shadow "$addr" -C /w -- true 2>/dev/null && backends+="${backends:+ }$b"
	done
	[ -n "$backends" ] || backends=default
fi
backend=default
clean_env=(env -i PATH=/usr/local/bin:/usr/bin:/bin LC_ALL=C HOME=/nonexistent)

# run LABEL FILES CMD [OPTION...]: runs sh -c CMD split in /w with splitrun's
# OPTIONs, prints a table row.
run() {
	local label=$1 files=$2 cmd=$3 t0 t1 rt req ops sent recv wait
	shift 3
	t0=$(date +%s.%N)
	local opts=("$@")
	[ "$backend" = default ] || opts+=(--backend="$backend")
	# A plain environment: a PATH with directories of the home tree's
	# name (remote under the built-in policy) would add lookups.
	if [ $json = 1 ]; then
		"${clean_env[@]}" "$splitrun" "${opts[@]}" --stats=json --shadow "$addr" -C /w -- sh -c "$cmd" > /dev/null \
			2> "$work/err"
	else
		"${clean_env[@]}" "$splitrun" "${opts[@]}" --summary --shadow "$addr" -C /w -- sh -c "$cmd" > /dev/null \
			2> "$work/err"
	fi
	t1=$(date +%s.%N)
	if [ $json = 1 ]; then
		read -r rt req ops sent recv wait < <(tail -1 "$work/err" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(s["round_trips"], s["requests"], s["remote_ops"], s["bytes_sent"], s["bytes_received"], s["wait_seconds"])')
	else
		rt=$(sed -n 's/.*; \([0-9]*\) round trips to the shadow.*/\1/p' "$work/err" | tail -1)
		req=$rt ops=$rt sent=- recv=- wait=-
	fi
	local per=-
	[ "$files" -gt 0 ] && per=$(python3 -c "print('%.2f' % ($rt / $files))")
	printf '| %-8s | %-44s | %7s | %6s | %8s | %8s | %10s | %11s | %7s | %6.2f |\n' "$backend" "$label" "$rt" "$per" "$req" "$ops" \
		"$sent" "$recv" "$wait" "$(python3 -c "print($t1 - $t0)")"
}

echo "-- splitrun $("$splitrun" --version | cut -d' ' -f2) at $bindir, shadow $addr (loopback), $(uname -r)"
echo
echo "| backend  | workload                                     | round trips | per file | requests | remote ops | bytes sent | bytes received | wait s | wall s |"
echo "|----------|------------------------------------|------:|------:|------:|------:|------:|------:|------:|------:|"
for backend in $backends; do
	rm -rf "$root/w/copy" "$root/w/db" "$root/w/py"
	run "true (start-up only)" 0 "true"
	run "cat of 32 MB" 0 "cat big"
	run "cp -r of 1000 files of 4 KB, --async-close" 1000 "cp -r tree copy" --async-close
	rm -rf "$root/w/copy"
	run "cp -r of 1000 files of 4 KB" 1000 "cp -r tree copy"
	run "ls -l of 1000 files" 1000 "ls -l copy"
	run "du -a of 1000 files" 1000 "du -a copy"
	run "find of 1000 files" 1000 "find copy"
	run "tar c of 1000 files" 1000 "tar cf - copy | cat"
	run "cat of 1000 files of 4 KB" 1000 "cat copy/*"
	run "rm -r of 1000 files" 1000 "rm -r copy"
	run "sqlite3: 2000 inserts, a query" 0 "sqlite3 db < inserts.sql && sqlite3 db 'SELECT count(*), sum(value) FROM t'"
	run "python3: write, re-read 200 x 16 KB" 200 "python3 files.py"
	run "sh: 200 x '> file'" 200 'mkdir -p sh && for i in $(seq 200); do echo $i > sh/f$i; done'
	run "sh: 200 x '> file', --async-close" 200 'for i in $(seq 200); do echo $i > sh/g$i; done' --async-close
	rm -rf "$root/w/sh"
done
