#!/usr/bin/env bash
# bench/remote_calls.sh: the per-call table of bench/syscalls.sh (the Bypass
# paper's Figure 6 calls, timed by bench/syscall_cost.c) under split
# execution: syscall_cost runs under splitrun --shadow with its scratch
# directory at a splitrun-shadow over loopback (each backend splitrun has,
# at each CPU placement of BENCH_PLACEMENTS), beside the same program
# natively, under splitrun with its files local, and a plain TCP ping-pong
# (bench/rpc --pingpong) of the same request and reply sizes, in the same
# run. Issue #5's targets: a remote call costs at most 1.5x the ping-pong;
# with everything local, splitrun costs at most 1.05x native.
#
# Columns per backend:
#   local     splitrun --shadow with the built-in policy and the files in
#             /tmp (local): calls that name a path trap and run here, calls
#             on the local fds do not trap
#   all-local splitrun --shadow --policy with one rule, "path /** local":
#             nothing that names a file can be remote, so nothing traps
#   remote    the files at the shadow, one column per placement
#             (--cpu-placement=P for P in BENCH_PLACEMENTS, default
#             "any sync same"; "auto" is splitrun's default, which is one of
#             them: docs/performance.md; sync is the same as any under
#             ptrace, so ptrace skips it)
# Native and the local columns use one directory, so that a path is as
# long for each (its length is part of what open and stat cost).
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
# default 1, and reports its median tenth); native, every splitrun column
# and the ping-pong run back to back (order rotated), BENCH_REPS times
# (default 5), pinned (taskset -c 0 on the shadow, splitrun and the
# ping-pong) and unpinned. A cell is the median over the repetitions, a
# ratio the median of the ratios paired within a repetition. Raw samples:
# $BENCH_RESULTS/remote_calls.raw (default bench/results). Takes about
# 8 min (5 with BENCH_PLACEMENTS=auto).
set -euo pipefail
cd "$(dirname "$0")/.."
bindir=${SPLITRUN_BINDIR:-$PWD/bin}
benchdir=${SPLITRUN_BENCHDIR:-$PWD/build/native/bench}
splitrun=$bindir/splitrun
prog=$benchdir/syscall_cost
REPS=${BENCH_REPS:-5}
ITERATIONS=${BENCH_ITERATIONS:-100000}
CELL_SECONDS=${BENCH_CELL_SECONDS:-1}
PLACEMENTS=${BENCH_PLACEMENTS:-any sync same}
for p in $PLACEMENTS; do
	case $p in
	auto | any | sync | same) ;;
	*) echo "bench/remote_calls.sh: BENCH_PLACEMENTS: '$p' is not one of auto any sync same" >&2; exit 2 ;;
	esac
done
[ -n "$PLACEMENTS" ] || { echo "bench/remote_calls.sh: BENCH_PLACEMENTS is empty" >&2; exit 2; }
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
mkdir -p "$work/root/scratch" "$work/local"
echo "path /** local" > "$work/all-local.policy"
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

# placements_of BACKEND: the placements measured for it.
placements_of() {
	local p out=
	for p in $PLACEMENTS; do
		[ "$1" = ptrace ] && [ "$p" = sync ] && continue
		out+="${out:+ }$p"
	done
	echo "$out"
}

# splitrun_cmd ADDR BACKEND CASE [DIR [PLACEMENT [OPTION...]]]: sets cmd to
# the command line of CASE's program under splitrun, but for its -n and -t,
# its files in DIR (default /scratch, at the shadow), with
# --cpu-placement=PLACEMENT (default auto: none given) and the OPTIONs;
# case_name to CASE's name.
splitrun_cmd() {
	local c=$3 opt= dir=${4:-/scratch} where=${5:-auto}
	case_name=${c%%=*} test=$c
	if [[ $c == *=* ]]; then
		test=${c#*=}
		opt=${test#*:} test=${test%%:*}
	fi
	cmd=("$splitrun" --shadow "$1" "${stats_opt[@]}")
	[ "$2" = default ] || cmd+=(--backend="$2")
	[ "$where" = auto ] || cmd+=(--cpu-placement="$where")
	[ -z "$opt" ] || cmd+=("$opt")
	cmd+=("${@:6}" -- "$prog" -d "$dir" "$test")
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
echo "# $REPS repetitions; per run $ITERATIONS calls or ${CELL_SECONDS}s; files at a splitrun-shadow over loopback;" \
	"placements: $PLACEMENTS; load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# work directory: $work"
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
			# native and all-local next to each other: their ratio is
			# the one with a target.
			configs=(native)
			for b in $backends; do configs+=("alllocal:$b"); done
			for b in $backends; do
				configs+=("local:$b")
				for p in $(placements_of "$b"); do configs+=("remote:$b:$p"); done
				[ "${sizes[$pin,$b,$case_name]}" = - ] || configs+=("pingpong:$b")
			done
			n=${#configs[@]}
			for ((k = 0; k < n; k++)); do
				config=${configs[(k + rep) % n]}
				case $config in
				native)
					out=$("${WAN_PREFIX[@]}" "$prog" -n "$ITERATIONS" -t "$CELL_SECONDS" -d "$work/local" "$test") ;;
				remote:*)
					be=${config#remote:}
					splitrun_cmd "${shadow_of[$pin]}" "${be%%:*}" "$c" /scratch "${be#*:}"
					out=$("${WAN_PREFIX[@]}" "${cmd[@]}" -n "$ITERATIONS" -t "$CELL_SECONDS") ;;
				local:*)
					splitrun_cmd "${shadow_of[$pin]}" "${config#local:}" "$c" "$work/local"
					out=$("${WAN_PREFIX[@]}" "${cmd[@]}" -n "$ITERATIONS" -t "$CELL_SECONDS") ;;
				alllocal:*)
					splitrun_cmd "${shadow_of[$pin]}" "${config#alllocal:}" "$c" "$work/local" auto \
						--policy "$work/all-local.policy"
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
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

meta=$work/meta
for pin in pinned unpinned; do
	for b in $backends; do
		for c in "${tests[@]}"; do
			c=${c%%=*}
			echo "$pin $b $c ${rt_per_call[$pin,$b,$c]} ${sizes[$pin,$b,$c]/,/ }" >> "$meta"
		done
	done
done
awk -v reps="$REPS" -v backends="$backends" -v placements="$PLACEMENTS" '
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
function us(pin, config, test) { return median(all[pin, config, test]) / 1000 }
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
			npl = 0
			n = split(placements, all_pl, " ")
			for (i = 1; i <= n; i++)
				if (!(be == "ptrace" && all_pl[i] == "sync"))
					pl[++npl] = all_pl[i]
			printf "\n%s%s, backend %s: us per call (median of %d runs); rem:P: the files at a shadow over loopback, --cpu-placement=P\n",
				pin, pin == "pinned" ? " (taskset -c 0)" : "", be, reps
			printf "%-14s %7s %7s %8s |", "call", "native", "local", "all-loc"
			for (i = 1; i <= npl; i++) printf " %8s", "rem:" pl[i]
			printf " | %7s %6s %7s %9s | %7s %7s |", "RT/iter", "req B", "reply B", "ping-pong", "loc/nat", "all/nat"
			for (i = 1; i <= npl; i++) printf " %8s", "pp:" pl[i]
			printf "\n"
			for (t = 1; t <= ntests; t++) {
				test = tests[t]
				calls = test == "open_close" ? 2 : 1
				printf "%-14s %7.3f %7.3f %8.3f |", label[test], us(pin, "native", test),
					us(pin, "local:" be, test), us(pin, "alllocal:" be, test)
				for (i = 1; i <= npl; i++) printf " %8.2f", us(pin, "remote:" be ":" pl[i], test)
				# A call that waits for no reply (getpid; a cached stat,
				# read-ahead reads, write-behind writes) is not a round trip:
				# no ping-pong.
				if (req[pin, be, test] == "-")
					printf " | %7.2f %6s %7s %9s", rt[pin, be, test], "-", "-", "-"
				else
					printf " | %7.2f %6d %7d %9.2f", rt[pin, be, test], req[pin, be, test],
						rep[pin, be, test], us(pin, "pingpong:" be, test)
				printf " | %6.2fx %6.2fx |", ratio(pin, "local:" be, "native", test, 1),
					ratio(pin, "alllocal:" be, "native", test, 1)
				for (i = 1; i <= npl; i++)
					if (req[pin, be, test] == "-")
						printf " %8s", "(no RT)"
					else
						printf " %7.2fx", ratio(pin, "remote:" be ":" pl[i], "pingpong:" be, test, calls)
				printf "\n"
			}
		}
	}
	printf "\nlocal: the built-in policy, files in /tmp (calls naming a path trap and run here); all-loc: the policy\n"
	printf "\"path /** local\" (nothing traps); rem:P: files at the shadow, --cpu-placement=P (auto: the default).\n"
	printf "RT/iter: round trips per iteration (splitrun --stats; open/close: two calls); req B, reply B: bytes sent\n"
	printf "and received per round trip, and the ping-pong'"'"'s; pp:P: remote us per system call / ping-pong us\n"
	printf "(target <= 1.5), only for calls that make round trips (at least 0.5 an iteration); all/nat: target\n"
	printf "<= 1.05. stat, uncached: --attr-timeout=0.\n"
}' "$meta" "$raw"
echo "# took $(($(date +%s) - started)) s"
