#!/usr/bin/env bats
# The guest cannot get around the trap in split mode (docs/security.md,
# "The trap"): io_uring (file I/O the filter would never see) is denied
# with ENOSYS, even when a policy names it local; a call through the ia32 or
# x32 ABI (numbers the filter does not decide by) kills the guest; a guest
# that kills splitrun (SIGKILL to its tracer) does not get its remote calls
# run on this machine: it dies with its tracer (PTRACE_O_EXITKILL).

load split_helpers

setup_file() {
	split_start_shadow
	# the programs run from this machine's /tmp (local under the built-in policy)
	mkdir -p "$BATS_FILE_TMPDIR/bin"
	cp "${SPLITRUN_TESTBIN:?}/progs/escape" "${SPLITRUN_TESTBIN:?}/progs/foreign_abi" "$BATS_FILE_TMPDIR/bin/"
}

teardown_file() {
	split_stop_shadow
}

setup() {
	split_fixture "t$BATS_TEST_NUMBER"
	PROGS=$BATS_FILE_TMPDIR/bin
}

@test "io_uring_setup is ENOSYS in split mode (built-in policy, a policy of its own); no policy can make it local" {
	"$PROGS/escape" io_uring | grep -q '^io_uring_setup: [0-9]* (a ring)$' ||
		skip "io_uring is not available here natively"
	split_run -- "$PROGS/escape" io_uring
	[ "$split_status" = 0 ] && [ "$(cat "$BATS_TEST_TMPDIR/split.out")" = "io_uring_setup: -1 ENOSYS" ] ||
		{ echo "status $split_status:"; cat "$BATS_TEST_TMPDIR/split.out" "$BATS_TEST_TMPDIR/split.err"; return 1; } >&2
	# one remote rule; everything else (the program, its libraries) local
	printf 'path /t%s/** remote\n' "$BATS_TEST_NUMBER" > "$BATS_TEST_TMPDIR/uring.pol"
	split_run --policy "$BATS_TEST_TMPDIR/uring.pol" -- "$PROGS/escape" io_uring
	[ "$(cat "$BATS_TEST_TMPDIR/split.out")" = "io_uring_setup: -1 ENOSYS" ] ||
		{ echo "status $split_status:"; cat "$BATS_TEST_TMPDIR/split.out" "$BATS_TEST_TMPDIR/split.err"; return 1; } >&2
	printf 'call io_uring_setup local\npath /** remote\n' > "$BATS_TEST_TMPDIR/uring2.pol"
	split_run --policy "$BATS_TEST_TMPDIR/uring2.pol" -- "$PROGS/escape" io_uring
	[ "$split_status" = 2 ] && grep -q "'io_uring_setup' goes where its arguments say" "$BATS_TEST_TMPDIR/split.err" ||
		{ echo "status $split_status:"; cat "$BATS_TEST_TMPDIR/split.err"; return 1; } >&2
}

@test "ia32 (int 0x80) and x32 calls kill the guest in split mode (SIGSYS, 159)" {
	[ "$(uname -m)" = x86_64 ] || skip "x86_64 only"
	split_run -- "$PROGS/foreign_abi" x32
	[ "$split_status" = 159 ] && ! grep -q returned "$BATS_TEST_TMPDIR/split.out" ||
		{ echo "x32: status $split_status"; cat "$BATS_TEST_TMPDIR/split.out"; return 1; } >&2
	"$PROGS/foreign_abi" ia32 > /dev/null 2>&1 || skip "this kernel has no ia32 emulation"
	split_run -- "$PROGS/foreign_abi" ia32
	[ "$split_status" = 159 ] && ! grep -q returned "$BATS_TEST_TMPDIR/split.out" ||
		{ echo "ia32: status $split_status"; cat "$BATS_TEST_TMPDIR/split.out"; return 1; } >&2
}

@test "a guest that kills its tracer dies with it: no call after that is made, here or at home" {
	# $T/view routes to /t3 at the shadow; this machine has its own $T/view/a.txt.
	local T=$BATS_TEST_TMPDIR name=t$BATS_TEST_NUMBER
	mkdir -p "$T/view"
	printf 'LOCAL copy\n' > "$T/view/a.txt"
	printf 'path %s/view/** remote map %s/view => /%s\n' "$T" "$T" "$name" > "$T/view.pol"
	split_run --policy "$T/view.pol" -- "$PROGS/escape" kill-tracer "$T/view/a.txt" "$T/guest.pid"
	local out=$T/split.out
	cat "$out"
	# the remote file was read, then the tracer killed
	[ "$(head -n1 "$out")" = "read $T/view/a.txt: alpha" ]
	grep -qx 'killing tracer 1' "$out"
	# nothing this machine holds was ever read, and the guest did not go on
	! grep -q LOCAL "$out"
	! grep -q survived "$out"
	# with ptrace: every line after the kill would be a failed call; there
	# are none, since the guest died of SIGKILL with its tracer
	[ "$(sed -n '/^killing tracer/,$p' "$out" | wc -l)" = 1 ]
	[ "$split_status" = 137 ]
	local pid
	pid=$(cat "$T/guest.pid")
	local k
	for k in $(seq 100); do
		[ -e "/proc/$pid" ] || break
		sleep 0.05
	done
	[ ! -e "/proc/$pid" ] || { echo "the guest $pid survived its tracer" >&2; return 1; }
}
