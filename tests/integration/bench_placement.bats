#!/usr/bin/env bats
# The harnesses behind docs/performance.md's "CPU placement and the default
# backend" (benchmarks, so no timing is checked here): bench/remote_calls.sh
# with its local columns and a remote column per placement, and
# bench/placement.sh (bench/workloads.sh's BACKEND:PLACEMENT columns, the
# make -j2 workload, the hand-offs that cross CPUs). Small runs, about 40 s
# in all, that must fill every cell and leave nothing behind. The full runs
# are make bench's.

setup() {
	REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	export SPLITRUN_BINDIR=${SPLITRUN_BINDIR:?}
	export SPLITRUN_BENCHDIR=${SPLITRUN_TESTBIN:?}/../bench
	export BENCH_RESULTS=$BATS_TEST_TMPDIR/results
	# The guest bench/syscall_cost is the build's own, and runs under
	# ptrace, where a sanitizer build's leak checker cannot work.
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	for f in "$SPLITRUN_BENCHDIR/syscall_cost" "$SPLITRUN_BENCHDIR/rpc" "$SPLITRUN_BENCHDIR/delay_proxy" \
		"$SPLITRUN_BINDIR/splitrun"; do
		[ -x "$f" ] || { echo "no $f (make test-build)" >&2; return 1; }
	done
}

@test "bench/remote_calls.sh: a bad BENCH_PLACEMENTS exits 2; a small run fills a column per placement and the local ones" {
	BENCH_PLACEMENTS="any left" run "$REPO/bench/remote_calls.sh"
	[ "$status" -eq 2 ]
	[[ $output == *"BENCH_PLACEMENTS: 'left' is not one of auto any sync same"* ]]
	BENCH_PLACEMENTS="sync same" BENCH_REPS=1 BENCH_ITERATIONS=300 BENCH_CELL_SECONDS=0.05 \
		run timeout -s KILL 200 "$REPO/bench/remote_calls.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	# ptrace has no sync column (it would be any); unotify has both.
	grep -Eq '^call +native +local +all-loc \| +rem:same \| RT/iter' <<<"$output"
	grep -Eq '^call +native +local +all-loc \| +rem:sync +rem:same \| RT/iter' <<<"$output"
	# Every row of the four tables has a number in each time column.
	rows=$(grep -E '^(open/close|stat|stat, uncached|getpid|read 1 byte|write 1 byte|read 8 KB|write 8 KB) ' <<<"$output")
	[ "$(wc -l <<<"$rows")" -eq 32 ]
	! grep -Ev '^[A-Za-z0-9/ ,]+ +[0-9]+\.[0-9]+ +[0-9]+\.[0-9]+ +[0-9]+\.[0-9]+ \| +[0-9]+\.[0-9]+( +[0-9]+\.[0-9]+)? \| ' <<<"$rows"
	# Open/close makes round trips: it has ping-pong ratios, per placement.
	grep -Eq '^open/close .*\| +[0-9.]+x +[0-9.]+x$' <<<"$output"
	# The raw samples name each column.
	for config in native alllocal:unotify local:ptrace remote:unotify:sync remote:unotify:same remote:ptrace:same; do
		grep -q "^unpinned $config 0 open_close " "$BENCH_RESULTS/remote_calls.raw" ||
			{ echo "no raw sample of $config" >&2; return 1; }
	done
	! grep -q "remote:ptrace:sync" "$BENCH_RESULTS/remote_calls.raw"
	work=$(sed -n 's/^# work directory: //p' <<<"$output")
	[ -n "$work" ]
	[ ! -e "$work" ]
	run pgrep -f -- "$work"
	[ "$status" -eq 1 ]
}

@test "bench/placement.sh: BACKEND:PLACEMENT columns, make -j2, and the hand-offs that cross CPUs" {
	command -v perf > /dev/null || { echo "perf is missing (tools/deps.sh)" >&2; return 1; }
	WL_BACKENDS="ptrace:left" run "$REPO/bench/placement.sh"
	[ "$status" -eq 2 ]
	[[ $output == *"WL_BACKENDS: 'ptrace:left' is not BACKEND[:PLACEMENT][+async]"* ]]
	WL_PINS=unpinned WL_WORKLOADS=make WL_LOOP_REPS=1 WL_BACKENDS="ptrace:same unotify:sync" PL_HANDOFF_REPS=1 \
		run timeout -s KILL 200 "$REPO/bench/placement.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	raw=$BENCH_RESULTS/placement/workloads.raw
	# make -j2 built the program at home and it printed what the native
	# build's printed (checked by the script): each column ran it.
	grep -Eq '^unpinned local native 1 make ok [0-9.]+ ' "$raw"
	grep -Eq '^unpinned loopback splitrun:ptrace:same 1 make ok [0-9.]+ [0-9]+ ' "$raw"
	grep -Eq '^unpinned loopback splitrun:unotify:sync 1 make ok [0-9.]+ [0-9]+ ' "$raw"
	grep -Eq '^make -j2 17 .c +[0-9.]+ +[0-9.]+ +[0-9.]+ ' <<<"$output"
	# One hand-off line per column, with the guest's traps counted.
	grep -Eq '^ptrace:same #1 .*guest->splitrun [0-9]+/[1-9][0-9]*' <<<"$output"
	grep -Eq '^unotify:sync #1 .*guest->splitrun [0-9]+/[1-9][0-9]*' <<<"$output"
	# Both work directories (the workloads' and the hand-offs') are gone,
	# and nothing started in them runs.
	local dirs
	dirs=$(sed -n 's/^# work directory: //p' <<<"$output")
	[ "$(wc -l <<<"$dirs")" -eq 2 ]
	for work in $dirs; do
		[ ! -e "$work" ]
		run pgrep -f -- "$work"
		[ "$status" -eq 1 ]
	done
}
