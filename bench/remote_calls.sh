#!/usr/bin/env bash
# bench/remote_calls.sh: the per-call table of bench/syscalls.sh (the Bypass
# paper's Figure 6 calls, timed by bench/syscall_cost.c) with the files
# remote: syscall_cost runs under splitrun --shadow with its scratch
# directory at a splitrun-shadow over loopback (each backend splitrun has),
# beside the same program natively and a plain TCP ping-pong (bench/rpc
# --pingpong) of the same request and reply sizes, in the same run. Issue
# #5's target: a remote call costs at most 1.5x the ping-pong.
#
# The sizes, and the round trips a call makes, are measured first, per
# test, backend and pinning: the program runs twice through bench/delay_proxy
# with no delay (which counts bytes each way and turns, i.e. round trips of
# a client that waits for its replies), with 1000 and 3000 calls; the
# difference is 2020 calls' worth (the warm-up is 1% + 1), so its set-up
# does not count. The ping-pong then uses the average request and reply of
# a round trip (64 B each if the calls made none).
#
# Timed runs as in bench/syscalls.sh: each run of the program times one
# test (BENCH_ITERATIONS calls, default 100000, or BENCH_CELL_SECONDS,
# default 1, and reports its median tenth); native, each backend and the
# ping-pong run back to back (order rotated), BENCH_REPS times (default 5),
# pinned (taskset -c 0 on the shadow, splitrun and the ping-pong) and
# unpinned. A cell is the median over the repetitions, a ratio the median
# of the ratios paired within a repetition. Raw samples:
# $BENCH_RESULTS/remote_calls.raw (default bench/results). Takes about 4 min.
set -euo pipefail
cd "$(dirname "$0")/.."
bindir=${SPLITRUN_BINDIR:-$PWD/bin}
benchdir=${SPLITRUN_BENCHDIR:-$PWD/build/native/bench}
splitrun=$bindir/splitrun
prog=$benchdir/syscall_cost
REPS=${BENCH_REPS:-5}
ITERATIONS=${BENCH_ITERATIONS:-100000}
CELL_SECONDS=${BENCH_CELL_SECONDS:-1}
for f in "$splitrun" "$bindir/splitrun-shadow" "$prog" "$benchdir/rpc" "$benchdir/delay_proxy"; do
	[ -x "$f" ] || { echo "bench/remote_calls.sh: $f is missing: run 'make bench'" >&2; exit 2; }
done
# shellcheck source=bench/wan_env.bash
. bench/wan_env.bash

backends=${WL_BACKENDS:-}
if [ -z "$backends" ]; then
	for b in ptrace unotify; do
		"$splitrun" --backend="$b" -- /bin/true 2>/dev/null && backends+="${backends:+ }$b"
	done
	[ -n "$backends" ] || backends=default
fi

work=$(mktemp -d /tmp/splitrun-bench-rc.XXXXXX)
WAN_WORK=$work WAN_BINDIR=$bindir WAN_BENCHDIR=$benchdir
WAN_PREFIX=()
trap 'wan_cleanup; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP PIPE
mkdir -p "$work/root/scratch"
# The program must be on a local path (the built-in policy sends /work and
# the like home): a copy under /tmp.
cp "$prog" "$work/syscall_cost"
prog=$work/syscall_cost

tests=(open_close stat getpid read1 write1 read8k write8k)
raw=${BENCH_RESULTS:-bench/results}/remote_calls.raw
mkdir -p "${BENCH_RESULTS:-bench/results}"
: > "$raw"

# splitrun_cmd ADDR BACKEND: sets cmd to splitrun's part of a command line.
splitrun_cmd() {
	cmd=("$splitrun" --shadow "$1")
	[ "$2" = default ] || cmd+=(--backend="$2")
	cmd+=(--)
}

# counters NAME: the proxy's counters as "up_bytes down_bytes turns".
counters() {
	local addr=${WAN_PROXY_CONTROL[$1]} fd line
	exec {fd}<>"/dev/tcp/${addr%:*}/${addr##*:}"
	read -r line <&"$fd"
	exec {fd}<&-
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	       print v["up_bytes"], v["down_bytes"], v["turns"] }' <<<"$line"
}

echo "# remote_calls: $(uname -srm); $(nproc) CPUs; splitrun $("$splitrun" --version | cut -d' ' -f2), backends: $backends"
echo "# $REPS repetitions; per run $ITERATIONS calls or ${CELL_SECONDS}s; files at a splitrun-shadow over loopback"
started=$(date +%s)
declare -A shadow_of sizes rt_per_call
for pin in pinned unpinned; do
	WAN_PREFIX=()
	[ "$pin" = pinned ] && WAN_PREFIX=(taskset -c 0)
	wan_shadow_start "$work/root"
	shadow_of[$pin]=$WAN_SHADOW
	wan_proxy_start "count-$pin" "$WAN_SHADOW" 0
	for b in $backends; do
		splitrun_cmd "${WAN_PROXY_ADDR[count-$pin]}" "$b"
		for test in "${tests[@]}"; do
			read -r u0 d0 t0 < <(counters "count-$pin")
			"${WAN_PREFIX[@]}" "${cmd[@]}" "$prog" -n 1000 -t 100 -d /scratch "$test" > /dev/null
			read -r u1 d1 t1 < <(counters "count-$pin")
			"${WAN_PREFIX[@]}" "${cmd[@]}" "$prog" -n 3000 -t 100 -d /scratch "$test" > /dev/null
			read -r u2 d2 t2 < <(counters "count-$pin")
			# Each run made n + n/100 + 1 calls; the second 2020 more.
			turns=$(((t2 - t1) - (t1 - t0)))
			up=$(((u2 - u1) - (u1 - u0)))
			down=$(((d2 - d1) - (d1 - d0)))
			rt_per_call[$pin,$b,$test]=$(awk -v t="$turns" 'BEGIN { printf "%.3f", t / 2020 }')
			if [ "$turns" -gt 20 ]; then
				sizes[$pin,$b,$test]="$((up / turns)),$((down / turns))"
			else
				sizes[$pin,$b,$test]="64,64"
			fi
		done
	done
done
echo "# sizes measured after $(($(date +%s) - started)) s" >&2

for ((rep = 0; rep < REPS; rep++)); do
	for pin in pinned unpinned; do
		WAN_PREFIX=()
		[ "$pin" = pinned ] && WAN_PREFIX=(taskset -c 0)
		for test in "${tests[@]}"; do
			configs=(native)
			for b in $backends; do configs+=("remote:$b" "pingpong:$b"); done
			n=${#configs[@]}
			for ((k = 0; k < n; k++)); do
				config=${configs[(k + rep) % n]}
				case $config in
				native)
					out=$("${WAN_PREFIX[@]}" "$prog" -n "$ITERATIONS" -t "$CELL_SECONDS" "$test") ;;
				remote:*)
					splitrun_cmd "${shadow_of[$pin]}" "${config#remote:}"
					out=$("${WAN_PREFIX[@]}" "${cmd[@]}" "$prog" -n "$ITERATIONS" -t "$CELL_SECONDS" \
						-d /scratch "$test") ;;
				pingpong:*)
					out=$("${WAN_PREFIX[@]}" "$benchdir/rpc" --pingpong "${sizes[$pin,${config#pingpong:},$test]}" \
						--iters 1000 --rounds 5)
					read -r _ _ _ us <<<"$out"
					out="$test 5000 $(awk -v u="$us" 'BEGIN { printf "%.1f", u * 1000 }')" ;;
				esac
				read -r name calls ns _ <<<"$out"
				echo "$pin $config $rep $name $calls $ns" >> "$raw"
			done
		done
	done
	echo "# repetition $((rep + 1))/$REPS done after $(($(date +%s) - started)) s" >&2
done
wan_stop_all

meta=$work/meta
for pin in pinned unpinned; do
	for b in $backends; do
		for test in "${tests[@]}"; do
			echo "$pin $b $test ${rt_per_call[$pin,$b,$test]} ${sizes[$pin,$b,$test]/,/ }" >> "$meta"
		done
	done
done
awk -v reps="$REPS" -v backends="$backends" '
function median(list,    v, n, i, j, t) {
	n = split(list, v, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function ratio(pin, a, b, test, div,    r, list) {
	list = ""
	for (r = 0; r < reps; r++)
		list = list " " ns[pin, a, r, test] / ns[pin, b, r, test] / div
	return median(list)
}
FNR == NR { rt[$1, $2, $3] = $4; req[$1, $2, $3] = $5; rep[$1, $2, $3] = $6; next }
{
	ns[$1, $2, $3, $4] = $6
	all[$1, $2, $4] = all[$1, $2, $4] " " $6
	if (!($4 in seen)) { seen[$4] = 1; tests[++ntests] = $4 }
}
END {
	label["open_close"] = "open/close"; label["stat"] = "stat"; label["getpid"] = "getpid"
	label["read1"] = "read 1 byte"; label["write1"] = "write 1 byte"
	label["read8k"] = "read 8 KB"; label["write8k"] = "write 8 KB"
	nb = split(backends, bk, " ")
	split("pinned unpinned", pins, " ")
	for (p = 1; p <= 2; p++) {
		pin = pins[p]
		for (b = 1; b <= nb; b++) {
			be = bk[b]
			printf "\n%s%s, files remote over loopback, backend %s: us per call (median of %d runs)\n",
				pin, pin == "pinned" ? " (taskset -c 0)" : "", be, reps
			printf "%-13s %8s %9s %7s %6s %7s %10s | %8s %9s\n", "call", "native", "remote", "RT/iter",
				"req B", "reply B", "ping-pong", "rem/nat", "call/pp"
			for (t = 1; t <= ntests; t++) {
				test = tests[t]
				calls = test == "open_close" ? 2 : 1
				# A call that waits for no reply (getpid; with write-behind a
				# write) is not a round trip: no ping-pong ratio.
				pp = rt[pin, be, test] < 0.5 ? "(no RT)" : \
					sprintf("%8.2fx", ratio(pin, "remote:" be, "pingpong:" be, test, calls))
				printf "%-13s %8.3f %9.2f %7.2f %6d %7d %10.2f | %7.1fx %9s\n", label[test],
					median(all[pin, "native", test]) / 1000, median(all[pin, "remote:" be, test]) / 1000,
					rt[pin, be, test], req[pin, be, test], rep[pin, be, test],
					median(all[pin, "pingpong:" be, test]) / 1000,
					ratio(pin, "remote:" be, "native", test, 1), pp
			}
		}
	}
	printf "\nRT/iter: round trips per iteration (open/close: two calls); req B, reply B: average frame sizes of\n"
	printf "a round trip, and the ping-pong'"'"'s; call/pp: remote us per system call / ping-pong us (target <= 1.5;\n"
	printf "none where a call waits for no reply, fewer than 0.5 round trips an iteration).\n"
}' "$meta" "$raw"
echo "# took $(($(date +%s) - started)) s"
