#!/usr/bin/env bash
# bench/syscalls.sh: per-call cost of the Bypass paper's Figure 6 calls
# (open/close, stat, getpid, read and write of 1 byte and 8 KB), measured by
# bench/syscall_cost.c under five configurations:
#
#   native    the program alone
#   filter    the program installs a one-instruction RET_ALLOW seccomp
#             filter itself: what any filter costs (the kernel's floor)
#   splitrun  splitrun -- PROG: splitrun's filter, nothing trapped
#   trace     splitrun --trace -e trace=CALLS -o /dev/null -- PROG
#   strace    strace -e trace=CALLS -o /dev/null -- PROG
#
# CALLS are exactly the calls the loops make. Each configuration runs pinned
# (taskset -c 0 on the whole command, tracer and guest on one CPU) and
# unpinned. The machine is shared and its speed drifts by tens of percent
# over seconds, so: each run of the program times one test, and the five
# configurations of a test run back to back (see run_order); this is
# repeated BENCH_REPS times (default 5). A cell (us per
# call) is the median over the repetitions; a ratio is the median over the
# repetitions of the ratio within one repetition (runs seconds apart). Each
# run makes BENCH_ITERATIONS timed calls (default 100000) or as many as fit
# in BENCH_CELL_SECONDS (default 1) and reports its median tenth (see
# syscall_cost.c). Prints one table per pinning; the raw samples go to
# bench/results/syscalls.raw (pin config repetition test calls ns/call).
set -euo pipefail
cd "$(dirname "$0")/.."

BINDIR=${SPLITRUN_BINDIR:-$PWD/bin}
PROG=${SPLITRUN_BENCHDIR:-$PWD/build/native/bench}/syscall_cost
REPS=${BENCH_REPS:-5}
ITERATIONS=${BENCH_ITERATIONS:-100000}
CELL_SECONDS=${BENCH_CELL_SECONDS:-1}
# What the loops call through glibc on x86_64 and aarch64: open() is openat,
# stat() is newfstatat; the lseek that wraps the files around is not counted.
CALLS=openat,close,newfstatat,getpid,read,write

for tool in "$BINDIR/splitrun" "$PROG"; do
	if [ ! -x "$tool" ]; then
		echo "bench/syscalls.sh: $tool is missing: run 'make bench'" >&2
		exit 2
	fi
done
for tool in strace taskset; do
	if ! command -v "$tool" >/dev/null; then
		echo "bench/syscalls.sh: $tool is missing: run tools/deps.sh" >&2
		exit 2
	fi
done

# The order of the runs of one test in repetition $1: the three untraced
# configurations back to back (their differences are the smallest), then the
# two tracers, each group rotated, the groups swapped every other time.
run_order() {
	local untraced=(native filter splitrun) traced=(trace strace) order=() k
	for ((k = 0; k < 3; k++)); do order+=("${untraced[(k + $1) % 3]}"); done
	if (($1 % 2)); then
		order=("${traced[1]}" "${traced[0]}" "${order[@]}")
	else
		order+=("${traced[@]}")
	fi
	echo "${order[@]}"
}
# Sets cmd to the command line of configuration $1.
set_command() {
	local guest=("$PROG" -n "$ITERATIONS" -t "$CELL_SECONDS")
	case $1 in
	native) cmd=("${guest[@]}") ;;
	filter) cmd=("$PROG" -f "${guest[@]:1}") ;;
	splitrun) cmd=("$BINDIR/splitrun" -- "${guest[@]}") ;;
	trace) cmd=("$BINDIR/splitrun" --trace -e "trace=$CALLS" -o /dev/null -- "${guest[@]}") ;;
	strace) cmd=(strace -e "trace=$CALLS" -o /dev/null -- "${guest[@]}") ;;
	esac
}

tests=(open_close stat getpid read1 write1 read8k write8k)
mkdir -p "${BENCH_RESULTS:-bench/results}"
raw=${BENCH_RESULTS:-bench/results}/syscalls.raw
: >"$raw"
started=$(date +%s)
echo "# syscalls: $(uname -srm); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(nproc) CPUs"
echo "# $(strace -V | head -1); splitrun $("$BINDIR/splitrun" --version | cut -d' ' -f2)"
echo "# $REPS repetitions; per run $ITERATIONS calls or ${CELL_SECONDS}s, whichever comes first"
for ((rep = 0; rep < REPS; rep++)); do
	for pin in pinned unpinned; do
		prefix=()
		[ "$pin" = pinned ] && prefix=(taskset -c 0)
		for test in "${tests[@]}"; do
			for config in $(run_order "$rep"); do
				set_command "$config"
				if ! out=$("${prefix[@]}" "${cmd[@]}" "$test"); then
					echo "bench/syscalls.sh: $pin $config failed: ${prefix[*]} ${cmd[*]} $test" >&2
					exit 1
				fi
				read -r name calls ns _ <<<"$out"
				echo "$pin $config $rep $name $calls $ns" >>"$raw"
			done
		done
	done
	echo "# repetition $((rep + 1))/$REPS done after $(($(date +%s) - started))s" >&2
done

awk -v reps="$REPS" '
function median(list,    v, n, i, j, t) {
	n = split(list, v, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
# The median over the repetitions of A/B, paired within each repetition.
function ratio(pin, a, b, test,    r, list) {
	list = ""
	for (r = 0; r < reps; r++)
		list = list " " ns[pin, a, r, test] / ns[pin, b, r, test]
	return median(list)
}
{
	ns[$1, $2, $3, $4] = $6
	key = $1 SUBSEP $2 SUBSEP $4
	all[key] = all[key] " " $6
	if (!(key in calls) || $5 < calls[key])
		calls[key] = $5
	if (!($4 in seen)) { seen[$4] = 1; tests[++ntests] = $4 }
}
END {
	label["open_close"] = "open/close"; label["stat"] = "stat"; label["getpid"] = "getpid"
	label["read1"] = "read 1 byte"; label["write1"] = "write 1 byte"
	label["read8k"] = "read 8 KB"; label["write8k"] = "write 8 KB"
	np = split("pinned unpinned", pins, " ")
	nc = split("native filter splitrun trace strace", cfg, " ")
	for (p = 1; p <= np; p++) {
		pin = pins[p]
		printf "\n%s%s: us per call (median of %d runs) and ratios (median of the %d paired ratios)\n",
			pin, pin == "pinned" ? " (taskset -c 0)" : "", reps, reps
		printf "%-13s %8s %8s %8s %8s %8s | %8s %8s %8s %8s %8s | %s\n",
			"call", "native", "filter", "splitrun", "trace", "strace",
			"spl/nat", "spl/flt", "trc/nat", "str/nat", "trc/str", "calls (trace, strace)"
		for (t = 1; t <= ntests; t++) {
			test = tests[t]
			for (c = 1; c <= nc; c++)
				us[cfg[c]] = median(all[pin, cfg[c], test]) / 1000
			printf "%-13s %8.3f %8.3f %8.3f %8.2f %8.2f | %7.2fx %7.2fx %7.1fx %7.1fx %7.2fx | %d, %d\n",
				label[test], us["native"], us["filter"], us["splitrun"], us["trace"], us["strace"],
				ratio(pin, "splitrun", "native", test), ratio(pin, "splitrun", "filter", test),
				ratio(pin, "trace", "native", test), ratio(pin, "strace", "native", test),
				ratio(pin, "trace", "strace", test),
				calls[pin, "trace", test], calls[pin, "strace", test]
		}
	}
	printf "\nspl/nat: splitrun untraced / native (target <= 1.05); spl/flt: splitrun / bare filter;\n"
	printf "trc/str: splitrun --trace / strace (target <= 1). calls: fewest timed calls in a run.\n"
}' "$raw"
echo "# took $(($(date +%s) - started))s"
