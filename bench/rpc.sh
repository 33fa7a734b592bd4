#!/usr/bin/env bash
# bench/rpc.sh: rpc round trips over loopback against a real splitrun-shadow
# (NULL, PREAD of 1 byte and of 8 KB), against a plain TCP ping-pong of the
# same request and reply sizes measured in the same run by bench/rpc.c.
# Twice: everything pinned to CPU 0 (taskset -c 0, shadow and client), and
# unpinned. Target: rpc within 1.3x of the ping-pong. Run by bench/run.sh;
# docs/performance.md ("RPC round trips") holds the figures of record.
#
# Environment: SPLITRUN_BINDIR (splitrun-shadow), SPLITRUN_BENCHDIR (the
# bench programs, default build/native/bench), RPC_BENCH_ITERS and
# RPC_BENCH_ROUNDS (passed to bench/rpc as --iters and --rounds).
set -euo pipefail
cd "$(dirname "$0")/.."
bindir=${SPLITRUN_BINDIR:-$PWD/bin}
benchdir=${SPLITRUN_BENCHDIR:-$PWD/build/native/bench}
shadow=$bindir/splitrun-shadow
client=$benchdir/rpc
iters=${RPC_BENCH_ITERS:-1000}
rounds=${RPC_BENCH_ROUNDS:-15}
for f in "$shadow" "$client"; do
	if [ ! -x "$f" ]; then
		echo "bench/rpc.sh: $f is missing; run 'make bench' (or make all $client)" >&2
		exit 2
	fi
done

root=$(mktemp -d /tmp/splitrun-bench-rpc.XXXXXX)
shadow_pid=
cleanup() {
	if [ -n "$shadow_pid" ]; then
		kill -TERM "$shadow_pid" 2>/dev/null || true
		wait "$shadow_pid" 2>/dev/null || true
	fi
	rm -rf "$root"
}
trap cleanup EXIT
head -c 65536 /dev/urandom > "$root/data"

# run LABEL PREFIX...: starts a shadow under PREFIX, runs the client under
# PREFIX against it, stops the shadow.
run() {
	local label=$1 line addr k
	shift
	"$@" "$shadow" --root "$root/export" --listen 127.0.0.1:0 --log "$root/shadow.log" > "$root/addr" &
	shadow_pid=$!
	for k in $(seq 100); do
		line=$(head -n1 "$root/addr" 2>/dev/null || true)
		[ -n "$line" ] && break
		sleep 0.05
	done
	addr=${line#splitrun --shadow }
	if [ -z "$line" ] || [ "$addr" = "$line" ]; then
		echo "bench/rpc.sh: the shadow did not print its address (log: $(cat "$root/shadow.log" 2>/dev/null))" >&2
		exit 1
	fi
	echo "-- $label: shadow $addr, $(nproc) CPUs, $(uname -r)"
	"$@" "$client" --shadow "$addr" --file data --iters "$iters" --rounds "$rounds"
	kill -TERM "$shadow_pid"
	wait "$shadow_pid" || true
	shadow_pid=
}

mkdir "$root/export"
mv "$root/data" "$root/export/data"
run "pinned (taskset -c 0: shadow and client on CPU 0)" taskset -c 0
echo
run "unpinned" env
