#!/usr/bin/env bats
# The guest cannot get around the trap in split mode (docs/security.md,
# "The trap"): io_uring (file I/O the filter would never see) is denied
# with ENOSYS, even when a policy names it local; a call through the ia32 or
# x32 ABI (numbers the filter does not decide by) kills the guest; a guest
# that kills splitrun (SIGKILL) does not get a call run after that, here or
# at home: under ptrace it dies with its tracer (PTRACE_O_EXITKILL), under
# user notification every call it would have trapped fails with ENOSYS; a
# guest cannot install a seccomp listener of its own, which would take
# precedence over the trap (EBUSY).

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

@test "a guest that kills splitrun gets no call run after that, here or at home" {
	# $T/view routes to /t3 at the shadow; this machine has its own $T/view/a.txt.
	# The guest keeps what it says in $T/report too (a shared map: no call
	# needed), since under user notification it outlives splitrun.
	local T=$BATS_TEST_TMPDIR name=t$BATS_TEST_NUMBER
	mkdir -p "$T/view"
	printf 'LOCAL copy\n' > "$T/view/a.txt"
	printf 'path %s/view/** remote map %s/view => /%s\n' "$T" "$T" "$name" > "$T/view.pol"
	split_run --policy "$T/view.pol" -- "$PROGS/escape" kill-tracer "$T/view/a.txt" "$T/guest.pid" "$T/report"
	[ "$split_status" = 137 ] || { echo "splitrun's status: $split_status, not 137 (SIGKILL)"; cat "$T/split.err"; return 1; } >&2
	local pid k
	pid=$(cat "$T/guest.pid")
	for k in $(seq 100); do
		[ -e "/proc/$pid" ] && [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ] || break
		sleep 0.05
	done
	[ ! -e "/proc/$pid" ] || [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ] ||
		{ echo "the guest $pid still runs 5 s after splitrun died" >&2; return 1; }
	tr -d '\0' < "$T/report" > "$T/said"
	echo "--- the guest said:"; uniq -c "$T/said"
	# the remote file was read, then splitrun killed
	[ "$(sed -n 1p "$T/said")" = "read $T/view/a.txt: alpha" ] || { echo "first line is not the remote read" >&2; return 1; }
	[ "$(sed -n 2p "$T/said")" = "killing splitrun (found)" ] || { echo "the guest did not find splitrun to kill" >&2; return 1; }
	# nothing this machine holds was read, and no remote call ran after
	! grep -q LOCAL "$T/said" "$T/split.out" || { echo "the guest read this machine's file" >&2; return 1; }
	sed -n '3,$p' "$T/said" > "$T/after"
	! grep -q ': alpha$' "$T/after" || { echo "a remote call ran after splitrun died" >&2; return 1; }
	# ptrace: PTRACE_O_EXITKILL, the guest died with its tracer, before any
	# call. User notification: no listener, so every trapped call failed
	# with ENOSYS (the write to stdout too: those lines are in the report).
	local died=false enosys=false
	[ ! -s "$T/after" ] && died=true
	[ "$(grep -c "^open $T/view/a.txt: ENOSYS\$" "$T/after")" = 50 ] && [ "$(tail -n1 "$T/after")" = survived ] &&
		[ "$(wc -l < "$T/after")" = 51 ] && enosys=true
	case ${SPLITRUN_BACKEND:-auto} in
	ptrace)  $died || { echo "under ptrace the guest went on after its tracer died" >&2; return 1; } ;;
	unotify) $enosys || { echo "under user notification: not 50 ENOSYS opens, then 'survived'" >&2; return 1; } ;;
	*)       $died || $enosys || { echo "after splitrun died: neither nothing nor 50 ENOSYS opens" >&2; return 1; } ;;
	esac
}

@test "a guest cannot install a seccomp listener of its own (it would override the trap): EBUSY" {
	local T=$BATS_TEST_TMPDIR name=t$BATS_TEST_NUMBER
	mkdir -p "$T/view"
	printf 'LOCAL copy\n' > "$T/view/a.txt"
	# natively the listener is installed, and opening runs here
	"$PROGS/escape" nested-listener "$T/view/a.txt" > "$T/native.out"
	[ "$(cat "$T/native.out")" = "seccomp listener: installed
read $T/view/a.txt: LOCAL copy" ] || { echo "natively:"; cat "$T/native.out"; return 1; } >&2
	printf 'path %s/view/** remote map %s/view => /%s\n' "$T" "$T" "$name" > "$T/view.pol"
	split_run --policy "$T/view.pol" -- "$PROGS/escape" nested-listener "$T/view/a.txt"
	[ "$split_status" = 0 ] && [ "$(cat "$T/split.out")" = "seccomp listener: -1 EBUSY
read $T/view/a.txt: alpha" ] || { echo "status $split_status:"; cat "$T/split.out" "$T/split.err"; return 1; } >&2
}
