#!/usr/bin/env bash
# tools/fuzz.sh NAME...: runs each libFuzzer harness build/fuzz/fuzz/NAME
# (make fuzz-build) for FUZZ_SECONDS (default 10) on its seed corpus
# tests/fuzz/NAME/, with new inputs kept in build/fuzz/corpus/NAME and
# crashes written to build/fuzz/crashes/. Prints TAP, one line a harness:
# executions, corpus size, and either no crash or the crash file and the
# start of its report. A crash must become a regression test: copy the
# crash file into tests/fuzz/NAME/ (every suite replays that directory, as
# the unit test fuzz_NAME) and fix the cause.
set -u
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-10}
out=build/fuzz
mkdir -p "$out/crashes"
echo "1..$#"
k=0 bad=0
for name in "$@"; do
	k=$((k + 1))
	bin=$out/fuzz/$name
	if [ ! -x "$bin" ]; then
		echo "not ok $k - fuzz $name: $bin is missing (make fuzz-build)"
		bad=1
		continue
	fi
	mkdir -p "$out/corpus/$name"
	log=$out/$name.log
	# -timeout: one input taking 10 s is a hang; -rss_limit_mb: a leak.
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		timeout -k 10 $((seconds + 120)) "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$out/crashes/$name-" \
		"$out/corpus/$name" "tests/fuzz/$name" > "$log" 2>&1
	status=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	corpus=$(ls "$out/corpus/$name" | wc -l)
	if [ "$status" -eq 0 ]; then
		echo "ok $k - fuzz $name: ${execs:-?} executions in ${seconds} s, ${corpus} new corpus inputs, no crash"
	else
		crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		echo "not ok $k - fuzz $name: status $status${crash:+, crash saved as $crash}"
		grep -E 'ERROR|runtime error|fuzz/|SUMMARY|==[0-9]+==' "$log" | head -15 | sed 's/^/# /'
		bad=1
	fi
done
exit $bad
