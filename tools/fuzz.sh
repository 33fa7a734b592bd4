#!/usr/bin/env bash
# tools/fuzz.sh NAME...: runs the libFuzzer harnesses build/fuzz/fuzz/NAME
# (make fuzz-build) for FUZZ_SECONDS each (default 10), all at once (each
# is one process; on 2 cores three harnesses take FUZZ_SECONDS, not three
# times that), on their seed corpus tests/fuzz/NAME/ with new inputs kept
# in build/fuzz/corpus/NAME and crashes written to build/fuzz/crashes/.
# FUZZ_OUT and FUZZ_SEEDS name other places for build/fuzz and tests/fuzz
# (tests/integration/fuzz_tool.bats).
# Prints TAP, one line a harness in the order given: executions, their
# rate and the corpus, or the reproducer file (crash, leak, timeout, out of
# memory), the command that replays it and the start of its report; exits
# 1 if any harness failed. A reproducer must become a regression test:
# copy it into tests/fuzz/NAME/ (every suite replays that directory, as the
# unit test fuzz_NAME) and fix the cause.
set -u
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-10}
out=${FUZZ_OUT:-build/fuzz}
seeds=${FUZZ_SEEDS:-tests/fuzz}
mkdir -p "$out/crashes"
echo "1..$#"

# run NAME: one harness to its end; its output goes to build/fuzz/NAME.log,
# its exit status to build/fuzz/NAME.status.
run() {
	local name=$1 bin=$out/fuzz/$1
	mkdir -p "$out/corpus/$name"
	# -timeout: one input taking 10 s is a hang; -rss_limit_mb: a leak.
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		timeout -k 10 $((seconds + 120)) "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$out/crashes/$name-" \
		"$out/corpus/$name" "$seeds/$name" > "$out/$name.log" 2>&1
	echo $? > "$out/$name.status"
}

pids=()
for name in "$@"; do
	rm -f "$out/$name.status" "$out/$name.log"
	if [ -x "$out/fuzz/$name" ]; then
		run "$name" 2> /dev/null &   # (bash would say "Aborted" for a crash)
		pids+=($!)
	fi
done
[ ${#pids[@]} -gt 0 ] && wait "${pids[@]}"

k=0 bad=0
for name in "$@"; do
	k=$((k + 1))
	log=$out/$name.log
	if [ ! -x "$out/fuzz/$name" ]; then
		echo "not ok $k - fuzz $name: $out/fuzz/$name is missing (make fuzz-build)"
		bad=1
		continue
	fi
	status=$(cat "$out/$name.status" 2>/dev/null || echo '?')
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	corpus=$(find "$out/corpus/$name" -type f | wc -l)
	if [ "$status" = 0 ]; then
		echo "ok $k - fuzz $name: ${execs:-?} executions in ${seconds} s (${rate:-?}/s), ${corpus} inputs in $out/corpus/$name, no crash"
		continue
	fi
	bad=1
	crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
	if [ -n "$crash" ]; then
		echo "not ok $k - fuzz $name: status $status, reproducer $crash (replay: $out/fuzz/$name $crash; keep it: cp $crash $seeds/$name/regress-WHAT)"
	else
		echo "not ok $k - fuzz $name: status $status, no reproducer written (log: $log)"
	fi
	grep -E 'ERROR|runtime error|fuzz/|SUMMARY|==[0-9]+==' "$log" | head -15 | sed 's/^/# /'
done
exit $bad
