#!/usr/bin/env bash
# bench/run.sh (make bench): runs each benchmark part in turn. Benchmarks,
# not tests: they print tables of ratios measured in this one run (the
# machine is noisy, so only same-run ratios mean anything) and save them
# under BENCH_RESULTS (default bench/results/, ignored by git): PART.txt,
# and a part's raw samples. docs/performance.md holds the
# figures of record and how to read them.
#
#   bench/run.sh            every part there is (bench/*.sh but this one)
#   bench/run.sh rpc ...    only the named parts (file names without .sh)
#
# Parts, and about how long each takes on this 2-CPU VM:
#   syscalls      per-call cost, the Bypass Figure 6 table (issue #2); 3 min
#   rpc           rpc round trips against a TCP ping-pong (issue #3); 15 s
#   policy        policy lookups against a getppid(2) (issue #4); 15 s
#   remote_calls  the Figure 6 calls with the files at a shadow (at each
#                 CPU placement), local, and against a ping-pong (issue #5);
#                 8 min
#   placement     macro workloads over loopback at each CPU placement,
#                 make -j2, hand-offs that cross CPUs (issue #5); 3 min
#   roundtrips    round trips of real workloads, by splitrun --stats
#                 (issue #5); 20 s
#   workloads     macro workloads natively, under splitrun and on sshfs,
#                 over loopback and a 10 ms link (issue #5); 11 min (WL_*
#                 variables pick a subset: see bench/workloads.sh)
# So all of make bench takes 20-26 minutes (docs/performance.md). It
# is bounded: a part still running after BENCH_PART_TIMEOUT seconds
# (default 2700) is stopped (SIGTERM to its process group; the parts stop
# what they started and remove their work directories), reported, and the
# next part runs. Each
# part's time is printed at the end. Each part takes its binaries from
# SPLITRUN_BINDIR (default bin/) and SPLITRUN_BENCHDIR (default
# build/native/bench). bench/wan_env.bash is a library the parts source,
# not a part.
set -euo pipefail
cd "$(dirname "$0")/.."
export SPLITRUN_BINDIR=${SPLITRUN_BINDIR:-$PWD/bin}
PART_TIMEOUT=${BENCH_PART_TIMEOUT:-2700}
[[ $PART_TIMEOUT =~ ^[1-9][0-9]*$ ]] ||
	{ echo "bench/run.sh: BENCH_PART_TIMEOUT: not a positive number of seconds: '$PART_TIMEOUT'" >&2; exit 2; }
export BENCH_RESULTS=${BENCH_RESULTS:-bench/results}
mkdir -p "$BENCH_RESULTS"
parts=("$@")
if [ ${#parts[@]} -eq 0 ]; then
	for script in bench/*.sh; do
		[ "$script" = bench/run.sh ] || parts+=("$(basename "$script" .sh)")
	done
fi
for part in "${parts[@]}"; do
	if [ ! -x "bench/$part.sh" ]; then
		echo "bench/run.sh: no benchmark part '$part' (bench/$part.sh)" >&2
		exit 2
	fi
done
status=0
summary=()
started=$(date +%s)
for part in "${parts[@]}"; do
	echo "==== bench: $part ===="
	t0=$(date +%s)
	# timeout runs the part in a process group of its own and signals the
	# whole group when the time is up.
	set +e
	timeout -k 30 "$PART_TIMEOUT" "bench/$part.sh" | tee "$BENCH_RESULTS/$part.txt"
	code=${PIPESTATUS[0]}
	set -e
	took=$(($(date +%s) - t0))
	case $code in
	0) summary+=("$(printf '%-13s %5d s' "$part" "$took")") ;;
	124 | 137) summary+=("$(printf '%-13s %5d s  STOPPED after %d s (BENCH_PART_TIMEOUT)' "$part" "$took" "$PART_TIMEOUT")")
		status=1 ;;
	*) summary+=("$(printf '%-13s %5d s  FAILED (exit status %d)' "$part" "$took" "$code")")
		status=1 ;;
	esac
done
echo "==== bench: $(($(date +%s) - started)) s in all ===="
printf '%s\n' "${summary[@]}"
exit $status
