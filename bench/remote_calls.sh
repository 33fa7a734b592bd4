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
# test, backend and pinning: the program runs twice under splitrun
# --stats=json (its round_trips), through bench/delay_proxy with no delay
# (which counts the bytes each way), with 1000 and 3000 calls; the
# difference is 2020 calls' worth (the warm-up is 1% + 1), so its set-up
# does not count. The ping-pong then uses the average bytes each way of a
# round trip (what is sent and received per round trip, pipelined requests
# such as a close that needs no reply included). Calls that make fewer
# than half a round trip an iteration (a cached stat, readahead reads,
# write-behind writes, getpid) get no ping-pong.
#
# Timed runs as in bench/syscalls.sh: each run of the program times one
# test (BENCH_ITERATIONS calls, default 100000, or BENCH_CELL_SECONDS,
# default 1, and reports its median tenth); native, each backend and the
# ping-pong run back to back (order rotated), BENCH_REPS times (default 5),
# pinned (taskset -c 0 on the shadow, splitrun and the ping-pong) and
# unpinned. A cell is the median over the repetitions, a ratio the median
# of the ratios paired within a repetition. Raw samples:
# $BENCH_RESULTS/remote_calls.raw (default bench/results). Takes about 3.5 min.
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
stats_opt=()
# The program must be on a local path (the built-in policy sends /work and
# the like home): a copy under /tmp.
cp "$prog" "$work/syscall_cost"
prog=$work/syscall_cost

# The cases: NAME, or NAME=TEST:SPLITRUN_OPTION (syscall_cost's TEST, with
# that option to splitrun). stat asks the shadow only when the attribute
# cache has nothing fresh (--attr-timeout, default 3 s): stat_uncached
# (--attr-timeout=0) is the stat that makes a round trip every time.
tests=(open_close stat stat_uncached=stat:--attr-timeout=0 getpid read1 write1 read8k write8k)
raw=${BENCH_RESULTS:-bench/results}/remote_calls.raw
mkdir -p "${BENCH_RESULTS:-bench/results}"
: > "$raw"

# splitrun_cmd ADDR BACKEND CASE: sets cmd to the command line of CASE's
# program under splitrun, but for its -n and -t; case_name to CASE's name.
splitrun_cmd() {
	local c=$3 opt=
	case_name=${c%%=*} test=$c
	if [[ $c == *=* ]]; then
		test=${c#*=}
		opt=${test#*:} test=${test%%:*}
	fi
	cmd=("$splitrun" --shadow "$1" "${stats_opt[@]}")
	[ "$2" = default ] || cmd+=(--backend="$2")
	[ -z "$opt" ] || cmd+=("$opt")
	cmd+=(-- "$prog" -d /scratch "$test")
}

# round_trips FILE: round_trips of the --stats=json line in FILE.
round_trips() {
	/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    if line.startswith("{\"calls\""):
        print(json.loads(line)["round_trips"]); break
else:
    sys.exit("no --stats=json line in " + sys.argv[1])' "$1"
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
		for c in "${tests[@]}"; do
			stats_opt=(--stats=json)
			splitrun_cmd "${WAN_PROXY_ADDR[count-$pin]}" "$b" "$c"
			stats_opt=()
			read -r u0 d0 _ < <(counters "count-$pin")
			"${WAN_PREFIX[@]}" "${cmd[@]}" -n 1000 -t 100 > /dev/null 2> "$work/stats1"
			read -r u1 d1 _ < <(counters "count-$pin")
			"${WAN_PREFIX[@]}" "${cmd[@]}" -n 3000 -t 100 > /dev/null 2> "$work/stats2"
			read -r u2 d2 _ < <(counters "count-$pin")
			# Each run made n + n/100 + 1 calls; the second 2020 more.
			rts=$(($(round_trips "$work/stats2") - $(round_trips "$work/stats1")))
			((rts >= 0)) || rts=0
			up=$(((u2 - u1) - (u1 - u0)))
			down=$(((d2 - d1) - (d1 - d0)))
			rt_per_call[$pin,$b,$case_name]=$(awk -v t="$rts" 'BEGIN { printf "%.3f", t / 2020 }')
			if [ "$rts" -ge 1010 ]; then
				sizes[$pin,$b,$case_name]="$((up / rts)),$((down / rts))"
			else
				sizes[$pin,$b,$case_name]=-
			fi
		done
	done
done
echo "# sizes measured after $(($(date +%s) - started)) s" >&2

for ((rep = 0; rep < REPS; rep++)); do
	for pin in pinned unpinned; do
		WAN_PREFIX=()
		[ "$pin" = pinned ] && WAN_PREFIX=(taskset -c 0)
		for c in "${tests[@]}"; do
			splitrun_cmd "${shadow_of[$pin]}" default "$c"
			configs=(native)
			for b in $backends; do
				configs+=("remote:$b")
				[ "${sizes[$pin,$b,$case_name]}" = - ] || configs+=("pingpong:$b")
			done
			n=${#configs[@]}
			for ((k = 0; k < n; k++)); do
				config=${configs[(k + rep) % n]}
				case $config in
				native)
					out=$("${WAN_PREFIX[@]}" "$prog" -n "$ITERATIONS" -t "$CELL_SECONDS" "$test") ;;
				remote:*)
					splitrun_cmd "${shadow_of[$pin]}" "${config#remote:}" "$c"
					out=$("${WAN_PREFIX[@]}" "${cmd[@]}" -n "$ITERATIONS" -t "$CELL_SECONDS") ;;
				pingpong:*)
					out=$("${WAN_PREFIX[@]}" "$benchdir/rpc" --pingpong "${sizes[$pin,${config#pingpong:},$case_name]}" \
						--iters 1000 --rounds 5)
					read -r _ _ _ us <<<"$out"
					out="$test 5000 $(awk -v u="$us" 'BEGIN { printf "%.1f", u * 1000 }')" ;;
				esac
				read -r _ calls ns _ <<<"$out"
				echo "$pin $config $rep $case_name $calls $ns" >> "$raw"
			done
		done
	done
	echo "# repetition $((rep + 1))/$REPS done after $(($(date +%s) - started)) s" >&2
done
wan_stop_all

meta=$work/meta
for pin in pinned unpinned; do
	for b in $backends; do
		for c in "${tests[@]}"; do
			c=${c%%=*}
			echo "$pin $b $c ${rt_per_call[$pin,$b,$c]} ${sizes[$pin,$b,$c]/,/ }" >> "$meta"
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
	label["read8k"] = "read 8 KB"; label["write8k"] = "write 8 KB"; label["stat_uncached"] = "stat, uncached"
	nb = split(backends, bk, " ")
	split("pinned unpinned", pins, " ")
	for (p = 1; p <= 2; p++) {
		pin = pins[p]
		for (b = 1; b <= nb; b++) {
			be = bk[b]
			printf "\n%s%s, files remote over loopback, backend %s: us per call (median of %d runs)\n",
				pin, pin == "pinned" ? " (taskset -c 0)" : "", be, reps
			printf "%-14s %8s %9s %7s %6s %7s %10s | %8s %9s\n", "call", "native", "remote", "RT/iter",
				"req B", "reply B", "ping-pong", "rem/nat", "call/pp"
			for (t = 1; t <= ntests; t++) {
				test = tests[t]
				calls = test == "open_close" ? 2 : 1
				# A call that waits for no reply (getpid; a cached stat,
				# read-ahead reads, write-behind writes) is not a round trip:
				# no ping-pong.
				if (req[pin, be, test] == "-") {
					pp = "(no RT)"
					sizes = sprintf("%6s %7s %10s", "-", "-", "-")
				} else {
					pp = sprintf("%8.2fx", ratio(pin, "remote:" be, "pingpong:" be, test, calls))
					sizes = sprintf("%6d %7d %10.2f", req[pin, be, test], rep[pin, be, test],
						median(all[pin, "pingpong:" be, test]) / 1000)
				}
				printf "%-14s %8.3f %9.2f %7.2f %s | %7.1fx %9s\n", label[test],
					median(all[pin, "native", test]) / 1000, median(all[pin, "remote:" be, test]) / 1000,
					rt[pin, be, test], sizes, ratio(pin, "remote:" be, "native", test, 1), pp
			}
		}
	}
	printf "\nRT/iter: round trips per iteration (splitrun --stats; open/close: two calls); req B, reply B: bytes sent\n"
	printf "and received per round trip, and the ping-pong'"'"'s; call/pp: remote us per system call / ping-pong us (target <= 1.5),\n"
	printf "only for calls that make round trips (at least 0.5 an iteration). stat, uncached: --attr-timeout=0.\n"
}' "$meta" "$raw"
echo "# took $(($(date +%s) - started)) s"
