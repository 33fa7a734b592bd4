#!/usr/bin/env bash
# bench/placement.sh: where splitrun, the guest and a loopback shadow should
# run (issue #5, --cpu-placement; docs/performance.md, "CPU placement").
#
# 1. The macro workloads over loopback, the data at a splitrun-shadow, under
#    each backend at each placement, beside the same commands natively,
#    pinned (taskset -c 0 on every process) and unpinned: bench/workloads.sh
#    with
#      WL_LINKS=loopback WL_CONFIGS="native splitrun"
#      WL_WORKLOADS="cat cp sqlite tar python make"
#      WL_BACKENDS="ptrace:any ptrace:same unotify:any unotify:sync unotify:same"
#    make is make -j2 of a small C project, two compilers at once: what
#    pinning everything to one CPU costs a program that could use two. Any
#    of these WL_* variables set in the environment wins (bench/workloads.sh
#    lists them).
# 2. Why: which hand-offs cross CPUs. bench/syscall_cost's open/close of a
#    file at the shadow (a trap and a round trip per call) runs unpinned
#    under each backend and placement, PL_HANDOFF_REPS times (default 3),
#    while perf(1) records the scheduler's sched_waking (on the waker's CPU)
#    and sched_wakeup (on the CPU the woken task will run on) events of the
#    whole machine. A hand-off is a wake-up of one of guest, splitrun and
#    shadow by another; it crosses CPUs when the two CPUs differ. Printed per
#    run: the share of each kind of hand-off that crossed, and how many
#    there were. Skipped (said so) without perf or when it may not record.
#
# The per-call times are bench/remote_calls.sh's (its BENCH_PLACEMENTS).
# Takes about 3 min.
set -euo pipefail
cd "$(dirname "$0")/.."
bindir=${SPLITRUN_BINDIR:-$PWD/bin}
benchdir=${SPLITRUN_BENCHDIR:-$PWD/build/native/bench}
export WL_LINKS=${WL_LINKS:-loopback}
export WL_CONFIGS=${WL_CONFIGS:-native splitrun}
export WL_WORKLOADS=${WL_WORKLOADS:-cat cp sqlite tar python make}
export WL_BACKENDS=${WL_BACKENDS:-ptrace:any ptrace:same unotify:any unotify:sync unotify:same}
results=${BENCH_RESULTS:-bench/results}
export WL_RESULTS=${WL_RESULTS:-$results/placement}
HANDOFF_REPS=${PL_HANDOFF_REPS:-3}
[[ $HANDOFF_REPS =~ ^[0-9]+$ ]] || { echo "bench/placement.sh: PL_HANDOFF_REPS: not a count: '$HANDOFF_REPS'" >&2; exit 2; }

bench/workloads.sh

[ "$HANDOFF_REPS" -gt 0 ] || exit 0
echo
echo "# hand-offs that cross CPUs (unpinned; perf sched_waking/sched_wakeup), load average $(cut -d' ' -f1-3 /proc/loadavg)"
if ! command -v perf > /dev/null || ! perf record -q -e sched:sched_waking -a -o /dev/null -- true 2> /dev/null; then
	echo "# skipped: perf is missing or may not record scheduler events here (root, or kernel.perf_event_paranoid <= -1)"
	exit 0
fi
# shellcheck source=bench/wan_env.bash
. bench/wan_env.bash
work=$(mktemp -d /tmp/splitrun-bench-pl.XXXXXX)
WAN_WORK=$work WAN_BINDIR=$bindir WAN_BENCHDIR=$benchdir
WAN_PREFIX=()
trap 'wan_cleanup; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP PIPE
mkdir -p "$work/root/scratch"
cp "$benchdir/syscall_cost" "$work/syscall_cost"   # on a local path
wan_shadow_start "$work/root"
echo "# work directory: $work"
printf '%-22s %s\n' "backend:placement" "per run: hand-off (waker->woken): crossed CPUs / all"
for ((rep = 1; rep <= HANDOFF_REPS; rep++)); do
	for config in $WL_BACKENDS; do
		backend=${config%%:*} where=${config#*:}
		[ "$where" = "$config" ] && where=auto
		perf record -q -e sched:sched_waking -e sched:sched_wakeup -a -o "$work/perf.data" -- \
			"$bindir/splitrun" --shadow "$WAN_SHADOW" --backend="$backend" --cpu-placement="$where" -- \
			"$work/syscall_cost" -n 3000 -t 1 -d /scratch open_close > "$work/out" 2>&1 ||
			{ echo "bench/placement.sh: $config: $(tail -2 "$work/out")" >&2; exit 1; }
		perf script -i "$work/perf.data" -F comm,cpu,event,trace 2> /dev/null | awk -v label="$config #$rep" '
		# comm (15 characters at most) -> role
		function role(c) { return c == "syscall_cost" ? "guest" : c == "splitrun" ? "splitrun" : c ~ /^splitrun-shado/ ? "shadow" : "" }
		{
			cpu = $2; gsub(/[^0-9]/, "", cpu)
			woken = pid = target = ""
			for (i = 3; i <= NF; i++) {
				if ($i ~ /^comm=/) woken = substr($i, 6)
				else if ($i ~ /^pid=/) pid = substr($i, 5)
				else if ($i ~ /^target_cpu=/) target = substr($i, 12) + 0
			}
			if ($3 ~ /sched_waking/) { waker_cpu[pid] = cpu + 0; waker[pid] = role($1); next }
			if (!(pid in waker_cpu)) next
			from = waker[pid]; to = role(woken)
			if (from != "" && to != "" && from != to) {
				k = from "->" to
				if (!(k in n)) order[++nk] = k
				n[k]++
				if (waker_cpu[pid] != target) crossed[k]++
			}
			delete waker_cpu[pid]
		}
		END {
			printf "%-22s", label
			for (i = 1; i <= nk; i++) printf "  %s %d/%d", order[i], crossed[order[i]], n[order[i]]
			printf "\n"
		}'
	done
done
