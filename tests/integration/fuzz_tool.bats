#!/usr/bin/env bats
# tools/fuzz.sh, which make check and make fuzz run: harnesses run at once,
# a harness that finds nothing is ok with its count of executions, and one
# that crashes fails the run and names its reproducer (a file holding the
# input that crashed it, and the command that replays it). Two toy
# harnesses stand in for tests/fuzz/: one that finds nothing, one that
# crashes on an input of its seed corpus.

setup_file() {
	command -v clang > /dev/null || skip "no clang"
	export TOOL=$BATS_TEST_DIRNAME/../../tools/fuzz.sh
	export OUT=$BATS_FILE_TMPDIR/out SEEDS=$BATS_FILE_TMPDIR/seeds
	mkdir -p "$OUT/fuzz" "$SEEDS/fine" "$SEEDS/crashy"
	cat > "$BATS_FILE_TMPDIR/fine.c" <<-'EOF'
	#include <stddef.h>
	#include <stdint.h>
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
	{
		return size > 0 && data[0] == 'x';
	}
	EOF
	cat > "$BATS_FILE_TMPDIR/crashy.c" <<-'EOF'
	#include <stddef.h>
	#include <stdint.h>
	#include <string.h>
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
	{
		char buf[4];
		if (size >= 4 && memcmp(data, "BUG", 3) == 0)
			memcpy(buf, data, size);   /* overflows buf: ASan reports it */
		return buf[0] == 1;
	}
	EOF
	printf 'hello' > "$SEEDS/fine/a"
	printf 'fine' > "$SEEDS/crashy/a"
	printf 'BUG!and more' > "$SEEDS/crashy/b"
	for h in fine crashy; do
		clang -g -O1 -fsanitize=fuzzer,address,undefined -o "$OUT/fuzz/$h" "$BATS_FILE_TMPDIR/$h.c"
	done
}

@test "fuzz.sh: a harness that finds nothing is ok; a crash fails the run and names its reproducer" {
	local status=0
	FUZZ_SECONDS=2 FUZZ_OUT=$OUT FUZZ_SEEDS=$SEEDS "$TOOL" fine crashy absent > "$BATS_TEST_TMPDIR/tap" 2>&1 || status=$?
	cat "$BATS_TEST_TMPDIR/tap"
	[ "$status" = 1 ] || { echo "fuzz.sh exited $status, not 1" >&2; return 1; }
	[ "$(sed -n 1p "$BATS_TEST_TMPDIR/tap")" = "1..3" ]
	grep -Eq '^ok 1 - fuzz fine: [0-9]+ executions in 2 s \([0-9]+/s\), [0-9]+ inputs in .*, no crash$' "$BATS_TEST_TMPDIR/tap" ||
		{ echo "no 'ok 1' line with executions for the harness that finds nothing" >&2; return 1; }
	local line crash
	line=$(grep '^not ok 2 - fuzz crashy: ' "$BATS_TEST_TMPDIR/tap") || { echo "the crash is not a 'not ok 2' line" >&2; return 1; }
	crash=$(sed -n 's/.*, reproducer \([^ ]*\) (replay: .*/\1/p' <<< "$line")
	[ -n "$crash" ] || { echo "the line names no reproducer" >&2; return 1; }
	[ "$crash" = "${crash#"$OUT/crashes/crashy-crash-"}" ] && { echo "reproducer $crash is not in $OUT/crashes" >&2; return 1; }
	# the reproducer holds the input that crashed, and replays as said
	cmp "$crash" "$SEEDS/crashy/b" || { echo "the reproducer is not the crashing input" >&2; return 1; }
	[[ $line == *"replay: $OUT/fuzz/crashy $crash; keep it: cp $crash $SEEDS/crashy/regress-WHAT)"* ]] ||
		{ echo "the line does not say how to replay and keep it" >&2; return 1; }
	! "$OUT/fuzz/crashy" "$crash" > /dev/null 2>&1 || { echo "replaying $crash does not crash" >&2; return 1; }
	# and the start of the sanitizer's report follows
	grep -q '^# .*ERROR: AddressSanitizer: stack-buffer-overflow' "$BATS_TEST_TMPDIR/tap"
	grep -q "^not ok 3 - fuzz absent: $OUT/fuzz/absent is missing (make fuzz-build)\$" "$BATS_TEST_TMPDIR/tap"
	# each harness has its log, libFuzzer's
	grep -q '^stat::number_of_executed_units: ' "$OUT/fine.log"
	grep -q 'Test unit written to' "$OUT/crashy.log"
}
