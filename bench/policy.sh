#!/usr/bin/env bash
# bench/policy.sh: the policy's cost per trapped call (normalize, route a
# path, route a call) against getppid(2), from bench/policy.c; pinned to
# CPU 0 (taskset -c 0) and unpinned. Run by bench/run.sh; docs/performance.md
# ("Policy lookups") holds the figures of record.
#
# Environment: SPLITRUN_BENCHDIR (default build/native/bench),
# POLICY_BENCH_ITERS and POLICY_BENCH_ROUNDS (--iters, --rounds).
set -euo pipefail
cd "$(dirname "$0")/.."
benchdir=${SPLITRUN_BENCHDIR:-$PWD/build/native/bench}
prog=$benchdir/policy
if [ ! -x "$prog" ]; then
	echo "bench/policy.sh: $prog is missing; run 'make bench' (or make $prog)" >&2
	exit 2
fi
args=(--iters "${POLICY_BENCH_ITERS:-200000}" --rounds "${POLICY_BENCH_ROUNDS:-7}")
echo "== pinned (taskset -c 0) =="
taskset -c 0 "$prog" "${args[@]}"
echo
echo "== unpinned =="
"$prog" "${args[@]}"
