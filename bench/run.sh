#!/usr/bin/env bash
# bench/run.sh (make bench): runs each benchmark part in turn. Benchmarks,
# not tests: they print tables of ratios measured in this one run (the
# machine is noisy, so only same-run ratios mean anything) and save them
# under bench/results/ (ignored by git). docs/performance.md holds the
# figures of record and how to read them.
#
#   bench/run.sh            every part there is (bench/*.sh but this one)
#   bench/run.sh rpc ...    only the named parts (file names without .sh)
#
# Parts: syscalls.sh (per-call cost, the Bypass Figure 6 table; issue #2),
# rpc.sh (rpc round trips against a TCP ping-pong; issue #3), policy.sh
# (policy lookups against a getppid(2); issue #4), remote_calls.sh (the
# Figure 6 calls with the files at a shadow, against a ping-pong; issue #5),
# workloads.sh (macro workloads natively, under splitrun and on sshfs, over
# loopback and a 10 ms link; issue #5; about 10 min, WL_* variables pick a
# subset). Each part takes its binaries from SPLITRUN_BINDIR (default bin/).
# bench/wan_env.bash is a library the parts source, not a part.
set -euo pipefail
cd "$(dirname "$0")/.."
export SPLITRUN_BINDIR=${SPLITRUN_BINDIR:-$PWD/bin}
mkdir -p bench/results
parts=("$@")
if [ ${#parts[@]} -eq 0 ]; then
	for script in bench/*.sh; do
		[ "$script" = bench/run.sh ] || parts+=("$(basename "$script" .sh)")
	done
fi
status=0
for part in "${parts[@]}"; do
	script=bench/$part.sh
	if [ ! -x "$script" ]; then
		echo "bench/run.sh: no benchmark part '$part' ($script)" >&2
		status=2
		continue
	fi
	echo "==== bench: $part ===="
	"$script" | tee "bench/results/$part.txt" || status=1
done
exit $status
