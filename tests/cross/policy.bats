#!/usr/bin/env bats
# The policy language on aarch64, whose syscall table differs from x86_64's
# (no open, stat, time, ...): the policy_* unit tests built with
# aarch64-linux-gnu-gcc pass under qemu-aarch64-static, including the checks
# only that architecture runs (a call known only on x86_64 is a warning, not
# an error), and the aarch64 splitrun --check-policy says so.

setup() {
	REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	A64_BIN=${SPLITRUN_CROSS_BINDIR:-$REPO/build/aarch64/bin}
	WORK=$BATS_TEST_TMPDIR
}

a64() {
	qemu-aarch64-static -L /usr/aarch64-linux-gnu "$@"
}

@test "policy unit tests built for aarch64 pass under qemu" {
	for t in policy_glob policy_route policy_errors; do
		make -s -C "$REPO" B=build/aarch64 BINDIR=build/aarch64/bin CC=aarch64-linux-gnu-gcc \
			"build/aarch64/tests/unit/$t"
		file "$REPO/build/aarch64/tests/unit/$t" | grep -q 'ARM aarch64'
		run a64 "$REPO/build/aarch64/tests/unit/$t"
		echo "--- $t"; echo "$output"
		[ "$status" -eq 0 ]
		! grep -q '^not ok' <<<"$output"
		grep -q '^1\.\.[1-9]' <<<"$output"
	done
	# The aarch64-only check ran: calls of x86_64 alone are warnings there.
	run a64 "$REPO/build/aarch64/tests/unit/policy_errors"
	grep -q '^ok [0-9]* - other architecture: the messages$' <<<"$output"
}

@test "aarch64 splitrun --check-policy: an x86_64-only call is a warning, a made-up one an error" {
	[ -x "$A64_BIN/splitrun" ] || make -s -C "$REPO" cross
	printf 'call open,stat deny EACCES\ncall fstat log\n' > "$WORK/p.pol"
	run a64 "$A64_BIN/splitrun" --check-policy "$WORK/p.pol"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qF "$WORK/p.pol:1:6: warning: 'open' is not a system call on this architecture (only on x86_64): this rule never applies here" <<<"$output"
	grep -qF "$WORK/p.pol:1:11: warning: 'stat' is not a system call on this architecture (only on x86_64)" <<<"$output"
	grep -qF "# call open deny EACCES" <<<"$output"
	# fstat is aarch64's own call (number 80) since the table resolves __NR3264_ aliases.
	grep -q '^call fstat log ' <<<"$output"
	printf 'call opne deny EACCES\n' > "$WORK/bad.pol"
	run a64 "$A64_BIN/splitrun" --check-policy "$WORK/bad.pol"
	echo "$output"
	[ "$status" -eq 1 ]
	grep -qF "$WORK/bad.pol:1:6: error: unknown system call 'opne'" <<<"$output"
}
