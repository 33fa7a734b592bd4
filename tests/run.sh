#!/usr/bin/env bash
# tests/run.sh VARIANT...: runs the suite for each build variant and ends with
# the line "N passed, N failed" (", N skipped" when any were skipped).
#   native  build/native (bin/): unit tests and tests/integration/*.bats; the
#           split-execution suites (split_*.bats, demo.bats) run twice, under
#           each trap backend (SPLITRUN_BACKEND=ptrace, then =unotify)
#   san     build/san: the same under ASan+UBSan
#   cross   the aarch64 cross build, and tests/cross/*.bats (aarch64 shadow under qemu)
#   fuzz    the libFuzzer harnesses of tests/fuzz/ (clang, ASan+UBSan), all at
#           once for FUZZ_SECONDS (default 60; make check runs it), after
#           every other test program and alone (they take every CPU)
# Every result line is TAP ("ok", "not ok"); a program that dies or stops
# before its plan is done counts as failed, never as passed. Test programs
# run $SPLITRUN_TEST_JOBS at a time (default: the number of CPUs), each
# within $SPLITRUN_TEST_TIMEOUT seconds (default 600).
set -u
cd "$(dirname "$0")/.."
top=$PWD
passed=0 failed=0 skipped=0
per_file_timeout=${SPLITRUN_TEST_TIMEOUT:-600}

# tally NAME < TAP: counts one producer's results; $2 is its exit status.
tally() {
	local name=$1 status=$2 out=$3 plan=-1 n=0 line
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case $line in
		"not ok"*) failed=$((failed + 1)); n=$((n + 1)) ;;
		"ok "*"# skip"*|"ok "*"# SKIP"*) skipped=$((skipped + 1)); n=$((n + 1)) ;;
		"ok "*) passed=$((passed + 1)); n=$((n + 1)) ;;
		1..*) plan=${line#1..}; plan=${plan%% *} ;;
		esac
	done < "$out"
	if [ "$plan" -ge 0 ] && [ "$n" -lt "$plan" ]; then
		echo "not ok - $name: stopped after $n of $plan tests"
		failed=$((failed + plan - n))
	elif [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
		echo "not ok - $name: exited with status $status"
		failed=$((failed + 1))
	elif [ "$n" -eq 0 ]; then
		echo "not ok - $name: reported no result"
		failed=$((failed + 1))
	fi
}

# The suite's files run as jobs, $SPLITRUN_TEST_JOBS at once (default: one
# per CPU; most of a test's time is spent waiting on another process), the
# longest first (by their weight: the split-execution suites take minutes,
# unit tests a second), and their results are reported in that order, each
# as soon as it and everything before it is done.
max_jobs=${SPLITRUN_TEST_JOBS:-$(nproc)}
case $max_jobs in ''|*[!0-9]*|0) echo "tests/run.sh: SPLITRUN_TEST_JOBS must be a positive number" >&2; exit 2 ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
njobs=0 started=0 reported=0 running=0
fuzz_names=

# queue WEIGHT NAME COMMAND...: COMMAND (usually "env VAR=VALUE... program
# args") becomes job number $njobs; heavier jobs start first.
queue() {
	echo "$1 $njobs" >> "$work/weights"
	printf '%s' "$2" > "$work/$njobs.name"
	shift 2
	printf '%s\0' "$@" > "$work/$njobs.cmd"
	njobs=$((njobs + 1))
}

# weight FILE: the split-execution suites run longest, the corpus most of all.
weight() {
	case ${1##*/} in
	split_corpus.bats) echo 3 ;;
	split_*.bats|shadow_*.bats) echo 2 ;;
	*.bats) echo 1 ;;
	*) echo 0 ;;
	esac
}

start_job() { # N
	local n=$1 cmd
	mapfile -d '' cmd < "$work/$n.cmd"
	(
		t0=$SECONDS
		timeout -k 10 "$per_file_timeout" "${cmd[@]}" > "$work/$n.out" 2> "$work/$n.err" < /dev/null
		status=$?
		echo $((SECONDS - t0)) > "$work/$n.seconds"
		echo "$status" > "$work/$n.status.tmp" && mv "$work/$n.status.tmp" "$work/$n.status"
	) &
}

report_job() { # N
	local n=$1 name status out=$work/$1.out err=$work/$1.err
	name=$(cat "$work/$n.name")
	status=$(cat "$work/$n.status")
	echo "# $name ($(cat "$work/$n.seconds") s)"
	[ "$status" -eq 124 ] && echo "# $name: timed out after ${per_file_timeout}s"
	if [ -s "$err" ] && { [ "$status" -ne 0 ] || grep -q 'not ok' "$out"; }; then
		sed 's/^/# stderr: /' "$err" | head -50
	fi
	tally "$name" "$status" "$out"
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$err"; then
		echo "not ok - $name: sanitizer report on stderr"
		failed=$((failed + 1))
	fi
	rm -f "$out" "$err"
}

# running: jobs started whose status is not written yet (counted from the
# files, so a job that ended before "wait -n" looked is not missed).
count_running() {
	local n
	running=0
	for ((n = reported; n < started; n++)); do
		[ -e "$work/${order[n]}.status" ] || running=$((running + 1))
	done
}

run_jobs() {
	[ "$njobs" -gt 0 ] || return 0
	# heaviest first; equal weights in the order queued
	mapfile -t order < <(sort -k1,1nr -k2,2n "$work/weights" | cut -d' ' -f2)
	while [ "$reported" -lt "$njobs" ]; do
		count_running
		while [ "$running" -lt "$max_jobs" ] && [ "$started" -lt "$njobs" ]; do
			start_job "${order[started]}"
			started=$((started + 1)) running=$((running + 1))
		done
		[ -e "$work/${order[reported]}.status" ] || wait -n
		while [ "$reported" -lt "$njobs" ] && [ -e "$work/${order[reported]}.status" ]; do
			report_job "${order[reported]}"
			reported=$((reported + 1))
		done
	done
}

queue_variant() { # VARIANT BUILD_DIR BIN_DIR ENV...
	local variant=$1 b=$top/$2 bindir=$top/$3 t backend
	shift 3
	local env=(env "$@" SPLITRUN_VARIANT="$variant" SPLITRUN_BINDIR="$bindir" SPLITRUN_TESTBIN="$b/tests")
	for t in "$b"/tests/unit/*; do
		[ -x "$t" ] || continue
		queue 0 "$variant unit/${t##*/}" "${env[@]}" "$t"
	done
	for t in tests/integration/*.bats; do
		[ -e "$t" ] || continue
		case ${t##*/} in
		split_*.bats|demo.bats)
			for backend in ptrace unotify; do
				queue "$(weight "$t")" "$variant ${t#tests/} ($backend)" "${env[@]}" SPLITRUN_BACKEND=$backend bats --tap "$t"
			done ;;
		*)
			queue "$(weight "$t")" "$variant ${t#tests/}" "${env[@]}" bats --tap "$t" ;;
		esac
	done
}

for v in "$@"; do
	case $v in
	native) queue_variant native build/native bin ;;
	san)    queue_variant san build/san build/san/bin \
			ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}" \
			UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" ;;
	cross)
		out=$(mktemp)
		if make -s cross > "$out" 2>&1; then
			echo "ok - cross: make cross builds splitrun and splitrun-shadow with aarch64-linux-gnu-gcc"
			passed=$((passed + 1))
			for t in tests/cross/*.bats; do
				[ -e "$t" ] || continue
				queue 1 "cross ${t#tests/}" env SPLITRUN_BINDIR="$top/bin" \
					SPLITRUN_CROSS_BINDIR="$top/build/aarch64/bin" bats --tap "$t"
			done
		else
			sed 's/^/# /' "$out" | tail -30
			echo "not ok - cross: make cross failed"
			failed=$((failed + 1))
		fi
		rm -f "$out" ;;
	fuzz)
		out=$(mktemp)
		if make -s -j"$(nproc)" fuzz-build > "$out" 2>&1; then
			fuzz_names=$(ls tests/fuzz/*.c | sed 's|tests/fuzz/||; s|\.c$||' | grep -vx replay | tr '\n' ' ')
		else
			sed 's/^/# /' "$out" | tail -30
			echo "not ok - fuzz: make fuzz-build failed"
			failed=$((failed + 1))
		fi
		rm -f "$out" ;;
	*) echo "tests/run.sh: unknown variant '$v' (native, san, cross, fuzz)" >&2; exit 2 ;;
	esac
done
echo "# $njobs test programs, $max_jobs at a time"
run_jobs

# The fuzzers, alone: tools/fuzz.sh runs them all at once, each a process
# busy for FUZZ_SECONDS; beside the suite they would slow its timed waits.
if [ -n "$fuzz_names" ]; then
	fuzz_seconds=${FUZZ_SECONDS:-60}
	n=$njobs
	# shellcheck disable=SC2086
	queue 0 "fuzz ($fuzz_seconds s)" env FUZZ_SECONDS="$fuzz_seconds" tools/fuzz.sh $fuzz_names
	per_file_timeout=$((fuzz_seconds + 300))
	start_job "$n"
	wait
	report_job "$n"
fi

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
