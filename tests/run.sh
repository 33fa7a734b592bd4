#!/usr/bin/env bash
# tests/run.sh VARIANT...: runs the suite for each build variant and ends with
# the line "N passed, N failed" (", N skipped" when any were skipped).
#   native  build/native (bin/): unit tests and tests/integration/*.bats; the
#           split-execution suites (split_*.bats, demo.bats) run twice, under
#           each trap backend (SPLITRUN_BACKEND=ptrace, then =unotify)
#   san     build/san: the same under ASan+UBSan
#   cross   the aarch64 cross build, and tests/cross/*.bats (aarch64 shadow under qemu)
# Every result line is TAP ("ok", "not ok"); a program that dies or stops
# before its plan is done counts as failed, never as passed.
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

run_tap() { # NAME COMMAND...
	local name=$1 out status
	shift
	out=$(mktemp)
	echo "# $name"
	timeout -k 10 "$per_file_timeout" "$@" > "$out" 2>"$out.err"
	status=$?
	[ "$status" -eq 124 ] && echo "# $name: timed out after ${per_file_timeout}s"
	if [ -s "$out.err" ] && { [ "$status" -ne 0 ] || grep -q 'not ok' "$out"; }; then
		sed 's/^/# stderr: /' "$out.err" | head -50
	fi
	tally "$name" "$status" "$out"
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$out.err"; then
		echo "not ok - $name: sanitizer report on stderr"
		failed=$((failed + 1))
	fi
	rm -f "$out" "$out.err"
}

run_variant() { # VARIANT BUILD_DIR BIN_DIR
	local variant=$1 b=$top/$2 bindir=$top/$3 t
	export SPLITRUN_VARIANT=$variant SPLITRUN_BINDIR=$bindir SPLITRUN_TESTBIN=$b/tests
	echo "# ==== $variant ===="
	for t in "$b"/tests/unit/*; do
		[ -x "$t" ] || continue
		run_tap "$variant unit/${t##*/}" "$t"
	done
	for t in tests/integration/*.bats; do
		[ -e "$t" ] || continue
		case ${t##*/} in
		split_*.bats|demo.bats)
			for backend in ptrace unotify; do
				SPLITRUN_BACKEND=$backend run_tap "$variant ${t#tests/} ($backend)" bats --tap "$t"
			done ;;
		*)
			run_tap "$variant ${t#tests/}" bats --tap "$t" ;;
		esac
	done
}

for v in "$@"; do
	case $v in
	native) run_variant native build/native bin ;;
	san)    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		run_variant san build/san build/san/bin ;;
	cross)
		echo "# ==== cross (aarch64) ===="
		out=$(mktemp)
		if make -s cross > "$out" 2>&1; then
			echo "ok - cross: make cross builds splitrun and splitrun-shadow with aarch64-linux-gnu-gcc"
			passed=$((passed + 1))
			export SPLITRUN_BINDIR=$top/bin SPLITRUN_CROSS_BINDIR=$top/build/aarch64/bin
			for t in tests/cross/*.bats; do
				[ -e "$t" ] || continue
				run_tap "cross ${t#tests/}" bats --tap "$t"
			done
		else
			sed 's/^/# /' "$out" | tail -30
			echo "not ok - cross: make cross failed"
			failed=$((failed + 1))
		fi
		rm -f "$out" ;;
	*) echo "tests/run.sh: unknown variant '$v' (native, san, cross)" >&2; exit 2 ;;
	esac
done

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
