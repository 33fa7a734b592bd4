#!/usr/bin/env bats
# bench/workloads.sh, the harness of docs/performance.md's "Macro workloads
# and WAN" (a benchmark, so no timing is checked here): its WL_* variables
# are checked, and a small run (sqlite, pinned and unpinned, loopback and a
# 2 ms link, native, splitrun and sshfs; about 15 s) prints every cell with
# round trips and turns, writes its raw lines, and leaves nothing behind: no
# process, no mount, no work directory, /run/sshd as it was. The full run is
# make bench's (bench/run.sh workloads), never the suite's.

setup() {
	REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	export SPLITRUN_BINDIR=${SPLITRUN_BINDIR:?}
	export SPLITRUN_BENCHDIR=${SPLITRUN_TESTBIN:?}/../bench
	export WL_RESULTS=$BATS_TEST_TMPDIR/results BENCH_RESULTS=$BATS_TEST_TMPDIR/results
	for f in "$SPLITRUN_BENCHDIR/delay_proxy" "$SPLITRUN_BENCHDIR/tcp_copy" "$SPLITRUN_BINDIR/splitrun"; do
		[ -x "$f" ] || { echo "no $f (make test-build)" >&2; return 1; }
	done
}

@test "bench/workloads.sh: a bad WL_* value exits 2 naming the variable and the value" {
	WL_WORKLOADS="cat dd" run "$REPO/bench/workloads.sh"
	[ "$status" -eq 2 ]
	[[ $output == *"WL_WORKLOADS: 'dd' is not one of: cat cp sqlite tar python"* ]]
	WL_LINKS=moon run "$REPO/bench/workloads.sh"
	[ "$status" -eq 2 ]
	[[ $output == *"WL_LINKS: 'moon' is not one of: loopback wan"* ]]
	WL_LOOP_REPS=0 run "$REPO/bench/workloads.sh"
	[ "$status" -eq 2 ]
	[[ $output == *"WL_LOOP_REPS: not a positive count: '0'"* ]]
	WL_DELAY_MS=5ms run "$REPO/bench/workloads.sh"
	[ "$status" -eq 2 ]
	[[ $output == *"WL_DELAY_MS: not a number of milliseconds: '5ms'"* ]]
	WL_BACKENDS="unotify+sync" run "$REPO/bench/workloads.sh"
	[ "$status" -eq 2 ]
	[[ $output == *"WL_BACKENDS: 'unotify+sync' is not BACKEND[:PLACEMENT][+async]"* ]]
	[ ! -e "$WL_RESULTS/workloads.raw" ]
}

@test "bench/workloads.sh: a small run fills its table and leaves nothing behind" {
	had_run_sshd=no
	[ -d /run/sshd ] && had_run_sshd=yes
	# A 1 ms link (2 ms round trips) keeps it to seconds; the delay is
	# delay_proxy.bats's to check.
	WL_PINS="pinned unpinned" WL_LINKS="loopback wan" WL_WORKLOADS=sqlite WL_LOOP_REPS=1 WL_WAN_REPS=1 \
		WL_DELAY_MS=1 run timeout -s KILL 120 "$REPO/bench/workloads.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	work=$(sed -n 's/^# work directory: //p' <<<"$output")
	[ -n "$work" ]
	# Every configuration ran and was checked: one raw line each, status ok.
	raw=$WL_RESULTS/workloads.raw
	# (The second pinning starts everything again: a stale address of the
	# first must not be used.)
	! grep -v ' ok ' "$raw"
	for pin in pinned unpinned; do
		grep -q "^$pin local native 1 sqlite ok " "$raw"
		for link in loopback wan; do
			# seconds, round trips, remote calls, turns (over the link),
			# requests and seconds waited, from --stats=json
			grep -Eq "^$pin $link splitrun:[a-z]+ 1 sqlite ok [0-9.]+ [0-9]+ [0-9]+ ([0-9]+|-) [0-9]+ [0-9.]+$" "$raw"
			grep -Eq "^$pin $link sshfs 1 sqlite ok [0-9.]+ " "$raw"
			grep -Eq "^$pin $link tcp_copy 1 ref ok [0-9.]+ " "$raw"
			grep -Eq "^$pin $link ssh_cat 1 ref ok [0-9.]+ " "$raw"
		done
	done
	# Over the link, the proxy counted splitrun's round trips (its turns),
	# at least as many as splitrun's own count.
	read -r rt turns < <(awk '$1 == "unpinned" && $2 == "wan" && $3 ~ /^splitrun/ { print $8, $10 }' "$raw")
	[ "$turns" -ge "$rt" ]
	[ "$rt" -gt 10 ]
	# The table rows (2 pinnings x 2 links): native, each backend and sshfs
	# seconds, ratios, round trips (and turns over the link), none missing.
	rows=$(grep -E '^sqlite 2000 ins +[0-9.]+ +[0-9.]+ ' <<<"$output")
	[ "$(wc -l <<<"$rows")" -eq 4 ]
	! grep -E ' -( |$)' <<<"$rows"
	# Nothing left: no work directory, no process, no mount.
	[ ! -e "$work" ]
	run pgrep -f -- "$work"
	[ "$status" -eq 1 ]
	! grep -qF "$work" /proc/mounts
	if [ "$had_run_sshd" = no ] && ! pgrep -x sshd > /dev/null; then
		[ ! -e /run/sshd ]
	fi
}

@test "bench/workloads.sh: BACKEND+async is a column of its own, run with --async-close" {
	WL_CONFIGS="native splitrun" WL_BACKENDS="unotify unotify+async" WL_PINS=pinned WL_LINKS=loopback \
		WL_WORKLOADS=python WL_LOOP_REPS=1 run timeout -s KILL 120 "$REPO/bench/workloads.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	raw=$WL_RESULTS/workloads.raw
	! grep -v ' ok ' "$raw"
	local sync async
	sync=$(awk '$3 == "splitrun:unotify" { print $8 }' "$raw")
	async=$(awk '$3 == "splitrun:unotify+async" { print $8 }' "$raw")
	# python writes 200 files: each close waits by default (407 round trips
	# here), none with --async-close (220, most of them the 200 opens for
	# the reads)
	[ -n "$sync" ] && [ -n "$async" ] && [ $((sync - async)) -ge 150 ] ||
		{ echo "round trips: $sync by default, $async with --async-close"; return 1; }
}

@test "bench/run.sh: an unknown part exits 2; a part past BENCH_PART_TIMEOUT is stopped, reported, and leaves nothing" {
	run "$REPO/bench/run.sh" policy nosuchpart
	[ "$status" -eq 2 ]
	[[ $output == *"no benchmark part 'nosuchpart' (bench/nosuchpart.sh)"* ]]
	[[ $output != *"==== bench: policy"* ]]
	BENCH_PART_TIMEOUT=0 run "$REPO/bench/run.sh" workloads
	[ "$status" -eq 2 ]
	[[ $output == *"BENCH_PART_TIMEOUT: not a positive number of seconds: '0'"* ]]
	# The workloads part is set up and running (its shadow, sshd, proxies)
	# when its 4 s are up.
	WL_WORKLOADS=sqlite WL_LOOP_REPS=1 WL_DELAY_MS=1 BENCH_PART_TIMEOUT=4 \
		run timeout -s KILL 60 "$REPO/bench/run.sh" workloads
	echo "$output"
	[ "$status" -eq 1 ] || { echo "bench/run.sh exited $status, not 1"; return 1; }
	[[ $output == *"workloads "*" s  STOPPED after 4 s (BENCH_PART_TIMEOUT)"* ]]
	work=$(sed -n 's/^# work directory: //p' <<<"$output")
	[ -n "$work" ]
	[ ! -e "$work" ]
	run pgrep -f -- "$work"
	[ "$status" -eq 1 ]
	! grep -qF "$work" /proc/mounts
}
