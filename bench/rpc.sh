#!/usr/bin/env bash
# bench/rpc.sh: rpc round trips over loopback against a real splitrun-shadow
# (NULL, PREAD of 1 byte and of 8 KB), against a plain TCP ping-pong of the
# same request and reply sizes measured in the same run by bench/rpc.c.
# Twice: everything pinned to CPU 0 (taskset -c 0, shadow and client), and
# unpinned. Target: rpc within 1.3x of the ping-pong. Each run also times
# the same cases over a second shadow started with --key (authenticated,
# frames sealed with XChaCha20-Poly1305), in the same rounds. Run by
# bench/run.sh; docs/performance.md ("RPC round trips", "Sealed frames")
# holds the figures of record.
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
shadow_pid= keyed_pid=
cleanup() {
	local pid
	for pid in $shadow_pid $keyed_pid; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$root"
}
trap cleanup EXIT
head -c 65536 /dev/urandom > "$root/data"

# start NAME PREFIX... -- SHADOW OPTIONS: starts a shadow under PREFIX;
# sets ADDR and PID.
start() {
	local name=$1 line k
	shift
	local prefix=()
	while [ "$1" != -- ]; do prefix+=("$1"); shift; done
	shift
	"${prefix[@]}" "$shadow" --root "$root/export" --listen 127.0.0.1:0 --log "$root/$name.log" "$@" > "$root/$name.addr" &
	PID=$!
	for k in $(seq 100); do
		line=$(head -n1 "$root/$name.addr" 2>/dev/null || true)
		[ -n "$line" ] && break
		sleep 0.05
	done
	ADDR=${line#splitrun --shadow }
	if [ -z "$line" ] || [ "$ADDR" = "$line" ]; then
		echo "bench/rpc.sh: the shadow did not print its address (log: $(cat "$root/$name.log" 2>/dev/null))" >&2
		exit 1
	fi
}

# run LABEL PREFIX...: starts a plain and a keyed shadow under PREFIX, runs
# the client under PREFIX against both, stops them.
run() {
	local label=$1 addr keyed
	shift
	start plain "$@" --
	shadow_pid=$PID addr=$ADDR
	start keyed "$@" -- --key "$root/bench.key"
	keyed_pid=$PID keyed=$ADDR
	echo "-- $label: shadow $addr (keyed: $keyed), $(nproc) CPUs, $(uname -r)"
	"$@" "$client" --shadow "$addr" --keyed-shadow "$keyed" --key "$root/bench.key" --file data \
		--iters "$iters" --rounds "$rounds"
	kill -TERM "$shadow_pid" "$keyed_pid"
	wait "$shadow_pid" "$keyed_pid" || true
	shadow_pid= keyed_pid=
}

mkdir "$root/export"
mv "$root/data" "$root/export/data"
"$shadow" --keygen "$root/bench.key" > /dev/null
run "pinned (taskset -c 0: shadow and client on CPU 0)" taskset -c 0
echo
run "unpinned" env
