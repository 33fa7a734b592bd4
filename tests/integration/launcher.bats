#!/usr/bin/env bats
# The launcher and the ptrace backend: exit status and death by signal are
# passed through, every process and thread is followed, job-control stops
# and signals behave as without splitrun, foreign ABIs are refused, static
# binaries are trapped, and the command line reports its errors.

setup() {
	SPLITRUN=${SPLITRUN_BINDIR:?}/splitrun
	PROGS=${SPLITRUN_TESTBIN:?}/progs
	[ -x "$SPLITRUN" ] || { echo "no $SPLITRUN" >&2; return 1; }
	WORK=$BATS_TEST_TMPDIR
	BG_PID=
}

teardown() {
	if [ -n "$BG_PID" ]; then
		kill -KILL "$BG_PID" 2>/dev/null || true
		wait "$BG_PID" 2>/dev/null || true
	fi
}

# expect_status WANT CMD...: runs CMD (bounded by timeout) and compares $?.
expect_status() {
	local want=$1; shift
	local got=0
	timeout -s KILL 20 "$@" > "$WORK/out" 2> "$WORK/err" || got=$?
	if [ "$got" != "$want" ]; then
		echo "status of '$*': got $got, want $want" >&2
		echo "--- stdout" >&2; cat "$WORK/out" >&2
		echo "--- stderr" >&2; cat "$WORK/err" >&2
		return 1
	fi
}

@test "untraced: exit status 0 and 3 pass through" {
	expect_status 0 "$SPLITRUN" true
	expect_status 3 "$SPLITRUN" sh -c 'exit 3'
	expect_status 3 "$SPLITRUN" -- sh -c 'exit 3'
}

@test "traced: exit status 0 and 3 pass through" {
	expect_status 0 "$SPLITRUN" --trace -o /dev/null true
	expect_status 3 "$SPLITRUN" --trace -o /dev/null -- sh -c 'exit 3'
}

@test "untraced: the program runs and sees its arguments and stdin" {
	expect_status 0 "$SPLITRUN" sh -c 'read x; echo "$x:$1"' sh arg1 <<< "input"
	[ "$(cat "$WORK/out")" = "input:arg1" ] || { echo "stdout: $(cat "$WORK/out")" >&2; return 1; }
}

@test "a missing program: message and 127, untraced and traced" {
	expect_status 127 "$SPLITRUN" no-such-program-xyz
	grep -qx 'splitrun: no-such-program-xyz: No such file or directory' "$WORK/err" ||
		{ echo "stderr: $(cat "$WORK/err")" >&2; return 1; }
	expect_status 127 "$SPLITRUN" --trace ./no/such/file
	grep -q 'No such file or directory' "$WORK/err"
}

@test "a file that is not executable: message and 126" {
	printf 'echo hi\n' > "$WORK/script"
	chmod 644 "$WORK/script"
	expect_status 126 "$SPLITRUN" "$WORK/script"
	grep -q "splitrun: $WORK/script: Permission denied" "$WORK/err" ||
		{ echo "stderr: $(cat "$WORK/err")" >&2; return 1; }
	expect_status 126 "$SPLITRUN" --trace "$WORK"
}

@test "PATH is searched like execvp" {
	mkdir -p "$WORK/bin"
	printf '#!/bin/sh\nexit 42\n' > "$WORK/bin/my-tool"
	chmod 755 "$WORK/bin/my-tool"
	PATH="$WORK/bin:$PATH" expect_status 42 "$SPLITRUN" my-tool
	PATH="$WORK/bin:$PATH" expect_status 42 "$SPLITRUN" -e trace=execve -o "$WORK/t" my-tool
	grep -q "execve(\"$WORK/bin/my-tool\"" "$WORK/t" || { cat "$WORK/t" >&2; return 1; }
}

@test "death by signal passes through: SIGTERM and SIGSEGV give 128+N" {
	for mode in "" "--trace -o /dev/null"; do
		# shellcheck disable=SC2086
		expect_status 143 "$SPLITRUN" $mode "$PROGS/killself" TERM
		# shellcheck disable=SC2086
		expect_status 139 "$SPLITRUN" $mode "$PROGS/killself" SEGV
	done
	# The shell's own view: the status says "killed by SIGTERM".
	run bash -c '"$0" "$1" TERM; echo "status=$?"' "$SPLITRUN" "$PROGS/killself"
	[[ "$output" == *status=143* ]] || { echo "$output" >&2; return 1; }
}

@test "-f follows forks and threads, each with its own [pid N]" {
	expect_status 0 "$SPLITRUN" -f -e trace=faccessat -o "$WORK/trace" "$PROGS/forks_threads"
	local role tid n=0
	while read -r role tid; do
		n=$((n + 1))
		# -o FILE prefixes "PID  " (like strace), stderr "[pid PID] ".
		grep -Eq "^(\[pid +$tid\]|$tid) +faccessat\(AT_FDCWD, \"/nonexistent-marker-$role\"" "$WORK/trace" || {
			echo "no faccessat of $role by [pid $tid] in:" >&2; cat "$WORK/trace" >&2; return 1; }
	done < "$WORK/out"
	[ "$n" = 4 ] || { echo "the program reported $n roles, want 4" >&2; return 1; }
	grep -Eq '^(\[pid +[0-9]+\]|[0-9]+) +\+\+\+ exited with 0 \+\+\+' "$WORK/trace"
}

@test "without -f only the first process is shown, but children still run" {
	expect_status 0 "$SPLITRUN" -e trace=faccessat -o "$WORK/trace" "$PROGS/forks_threads"
	[ "$(grep -c faccessat "$WORK/trace")" = 1 ] || { cat "$WORK/trace" >&2; return 1; }
	grep -q 'marker-parent"' "$WORK/trace"
	[ "$(wc -l < "$WORK/out")" = 4 ]
}

@test "a guest that stops itself is continued by its child (no hang)" {
	for mode in "" "--trace -f -o /dev/null"; do
		# shellcheck disable=SC2086
		expect_status 0 "$SPLITRUN" $mode "$PROGS/stop_cont" self
		grep -qx continued "$WORK/out"
	done
}

@test "group stop of a child: the parent sees it stopped, continues it, reaps it" {
	for mode in "" "--trace -f -o /dev/null"; do
		# shellcheck disable=SC2086
		expect_status 0 "$SPLITRUN" $mode "$PROGS/stop_cont" child
		grep -qx 'child exited with 7' "$WORK/out" || { cat "$WORK/out" >&2; return 1; }
	done
}

# Starts sig_wait under splitrun (extra options in $@), waits for "ready".
start_sig_wait() {
	"$SPLITRUN" "$@" "$PROGS/sig_wait" > "$WORK/out" 2> "$WORK/err" &
	BG_PID=$!
	for _ in $(seq 100); do
		grep -q ready "$WORK/out" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "sig_wait never got ready" >&2
	return 1
}

# Waits for the background splitrun; its status goes to BG_STATUS.
finish_bg() {
	BG_STATUS=0
	wait "$BG_PID" || BG_STATUS=$?
	BG_PID=
}

@test "SIGINT sent to splitrun reaches the guest (untraced and traced)" {
	for mode in --backend=ptrace --trace; do
		start_sig_wait "$mode"
		kill -INT "$BG_PID"
		finish_bg
		[ "$BG_STATUS" = 0 ] || { echo "status $BG_STATUS" >&2; cat "$WORK/out" "$WORK/err" >&2; return 1; }
		grep -qx 'got SIGINT' "$WORK/out"
	done
}

@test "SIGTERM sent to splitrun reaches the guest" {
	start_sig_wait -e trace=none
	kill -TERM "$BG_PID"
	finish_bg
	[ "$BG_STATUS" = 0 ] || { echo "status $BG_STATUS" >&2; cat "$WORK/out" "$WORK/err" >&2; return 1; }
	grep -qx 'got SIGTERM' "$WORK/out"
}

@test "a Ctrl-C (SIGINT to the process group) reaches the guest once" {
	# setsid gives splitrun and its guest a process group of their own,
	# as a terminal's foreground job has.
	setsid "$SPLITRUN" --trace -o /dev/null "$PROGS/sig_wait" > "$WORK/out" 2> "$WORK/err" &
	BG_PID=$!
	for _ in $(seq 100); do grep -q ready "$WORK/out" 2>/dev/null && break; sleep 0.05; done
	kill -INT -- "-$BG_PID"
	finish_bg
	[ "$BG_STATUS" = 0 ] || { echo "status $BG_STATUS" >&2; cat "$WORK/out" "$WORK/err" >&2; return 1; }
	[ "$(grep -c 'got SIGINT' "$WORK/out")" = 1 ]
}

@test "execve from a non-leader thread: the process keeps its pid and status" {
	expect_status 5 "$SPLITRUN" "$PROGS/thread_exec"
	expect_status 5 "$SPLITRUN" -f -e trace=execve -o "$WORK/trace" "$PROGS/thread_exec"
	grep -q 'after exec: pid' "$WORK/out"
	# Both execve calls complete with 0: the program's own and the thread's.
	[ "$(grep -c 'execve.* = 0$\|execve resumed>.* = 0$' "$WORK/trace")" = 2 ] || { cat "$WORK/trace" >&2; return 1; }
}

@test "ia32 int 0x80 is refused: the filter kills the process" {
	[ "$(uname -m)" = x86_64 ] || skip "x86_64 only"
	"$PROGS/foreign_abi" ia32 > /dev/null 2>&1 || skip "this kernel has no ia32 emulation"
	expect_status 159 "$SPLITRUN" "$PROGS/foreign_abi" ia32
	! grep -q returned "$WORK/out"
	expect_status 159 "$SPLITRUN" --trace -o /dev/null "$PROGS/foreign_abi" ia32
	! grep -q returned "$WORK/out"
}

@test "x32 calls are refused: the filter kills the process" {
	[ "$(uname -m)" = x86_64 ] || skip "x86_64 only"
	expect_status 159 "$SPLITRUN" "$PROGS/foreign_abi" x32
	! grep -q returned "$WORK/out"
}

@test "a static binary (busybox) is traced like a dynamic one" {
	[ -x /bin/busybox ] || skip "busybox-static is not installed (tools/deps.sh installs it)"
	file -L /bin/busybox | grep -q 'statically linked' || skip "/bin/busybox is not static"
	echo hello > "$WORK/f"
	expect_status 0 "$SPLITRUN" -e trace=openat,read -o "$WORK/trace" /bin/busybox cat "$WORK/f"
	[ "$(cat "$WORK/out")" = hello ]
	grep -q "openat(AT_FDCWD, \"$WORK/f\", O_RDONLY.*) = [0-9]" "$WORK/trace" || { cat "$WORK/trace" >&2; return 1; }
	# Every call, from the first execve on: a static binary has no loader.
	expect_status 0 "$SPLITRUN" -o "$WORK/all" /bin/busybox cat "$WORK/f"
	head -1 "$WORK/all" | grep -q '^execve("/bin/busybox", \["/bin/busybox", "cat"' || { cat "$WORK/all" >&2; return 1; }
	! grep -q 'ld-linux\|libc.so' "$WORK/all"
	tail -2 "$WORK/all" | grep -q '^exit_group(0)'
	expect_status 5 "$SPLITRUN" -f -o /dev/null /bin/busybox sh -c 'exit 5'
}

@test "calls the filter does not select never stop (none traced)" {
	expect_status 0 "$SPLITRUN" -e trace=getppid -o "$WORK/trace" sh -c 'cat /dev/null; true'
	! grep -v -e '^getppid' -e '^+++' -e '^---' "$WORK/trace" | grep -q . ||
		{ echo "unexpected lines:" >&2; cat "$WORK/trace" >&2; return 1; }
}

@test "--help and --version exit 0; usage errors exit 2" {
	expect_status 0 "$SPLITRUN" --help
	grep -q '^Usage: splitrun' "$WORK/out"
	expect_status 0 "$SPLITRUN" --version
	grep -q '^splitrun ' "$WORK/out"
	expect_status 2 "$SPLITRUN"
	grep -q 'no program to run' "$WORK/err"
	expect_status 2 "$SPLITRUN" --no-such-option true
	grep -q "unknown option '--no-such-option'" "$WORK/err"
	expect_status 2 "$SPLITRUN" -Q true
	grep -q "unknown option '-Q'" "$WORK/err"
	expect_status 2 "$SPLITRUN" -s abc true
	grep -q "invalid string limit 'abc'" "$WORK/err"
	expect_status 2 "$SPLITRUN" -o
	grep -q "needs an argument" "$WORK/err"
	expect_status 2 "$SPLITRUN" --backend=bogus true
	grep -qx "splitrun: --backend: unknown backend 'bogus' (ptrace, unotify or auto)" "$WORK/err"
	expect_status 2 env SPLITRUN_BACKEND=bogus "$SPLITRUN" true
	grep -qx "splitrun: SPLITRUN_BACKEND: unknown backend 'bogus' (ptrace, unotify or auto)" "$WORK/err"
	expect_status 2 "$SPLITRUN" --cpu-placement=left true
	grep -qx "splitrun: --cpu-placement: unknown placement 'left' (auto, any, sync, same, or a CPU list such as 0 or 0,2-3)" "$WORK/err"
	# Trace mode needs each call's result: ptrace only, said plainly.
	expect_status 2 "$SPLITRUN" --backend=unotify --trace true
	grep -q '^splitrun: --backend=unotify: trace mode needs --backend=ptrace' "$WORK/err"
	expect_status 2 env SPLITRUN_BACKEND=unotify "$SPLITRUN" -c true
	grep -q '^splitrun: --backend=unotify: trace mode needs --backend=ptrace' "$WORK/err"
	expect_status 0 "$SPLITRUN" --backend=unotify true
	expect_status 2 "$SPLITRUN" -e trace=no_such_call true
	grep -q 'no_such_call' "$WORK/err"
}

@test "-o FILE is not inherited by the guest" {
	expect_status 0 "$SPLITRUN" -e trace=none -o "$WORK/trace" sh -c 'ls -l /proc/self/fd/'
	! grep -q "$WORK/trace" "$WORK/out" || { cat "$WORK/out" >&2; return 1; }
}
