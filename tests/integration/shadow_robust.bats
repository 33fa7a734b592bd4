#!/usr/bin/env bats
# Robustness of splitrun-shadow: bad input ends only the session it came on,
# with a logged reason; 32 concurrent sessions x 1000 mixed ops give correct
# results (content checked against a model, and the tree on disk against
# the model) as threads and as processes; descriptors come back to their
# start; a crashed session process takes no other session with it.

load shadow_helpers

setup() {
	shadow_setup
}

teardown() {
	shadow_teardown
}

# wait_fds PID WANT: waits (up to 5 s) for PID's descriptor count to be WANT.
wait_fds() {
	local pid=$1 want=$2 k n
	for k in $(seq 1 100); do
		n=$(fd_count "$pid")
		[ "$n" -eq "$want" ] && return 0
		sleep 0.05
	done
	echo "pid $pid has $n descriptors, want $want:" >&2
	ls -l "/proc/$pid/fd" >&2
	return 1
}

expect_log() { # LOG TEXT
	grep -qF -- "$2" "$1" || { echo "log $1 lacks: $2" >&2; cat "$1" >&2; return 1; }
}

@test "malformed, oversized, truncated, stalled frames and garbage before the handshake end only their session, with a logged reason" {
	local mode log
	for mode in thread process; do
		rm -rf "$WORK/root"
		make_tree "$WORK/root"
		if [ $mode = thread ]; then
			start_shadow "robust-$mode" "$WORK/root" --frame-timeout 1
		else
			start_shadow "robust-$mode" "$WORK/root" --frame-timeout 1 --multiprocess
		fi
		local base
		base=$(fd_count "$SHADOW_PID")
		run_script "robust-$mode" "$SCRIPTS/robust.script" || { echo "($mode mode)" >&2; return 1; }
		# a new session works after all that
		printf 'stat /f => type=reg mode=0644 nlink=1 uid=0 gid=0 size=6\n' > "$WORK/after.script"
		run_script "after-$mode" "$WORK/after.script"
		wait_fds "$SHADOW_PID" "$base"
		log=$WORK/shadow-robust-$mode.log
		expect_log "$log" "dropped: handshake: the first 8 bytes (474554202f204854) are no frame length from 16 to 2097152: not a splitrun agent?"
		expect_log "$log" "dropped: handshake: bad magic 0x5350 (want 0x53504c4954525043)"
		expect_log "$log" "dropped: handshake: agent (x86_64) offers protocol version 0, this shadow speaks 1 to 2"
		expect_log "$log" "dropped: handshake: first frame is op 2, not HELLO"
		expect_log "$log" "dropped: oversized frame or field: frame length 9223372036854775807 is over 2097152"
		expect_log "$log" "dropped: oversized frame or field: frame length 2097153 is over 2097152"
		expect_log "$log" "dropped: malformed frame: frame length 8 is under 16"
		expect_log "$log" "dropped: malformed frame: FSTATAT request (tag 5, 24-byte body): the body does not match the op's signature"
		expect_log "$log" "dropped: malformed frame: FSTATAT request (tag 5, 27-byte body): the body does not match the op's signature"
		expect_log "$log" "dropped: malformed frame: CLOSE request (tag 5, 16-byte body): the body does not match the op's signature"
		expect_log "$log" "dropped: malformed frame: connection closed inside a frame (24 of 108 bytes)"
		expect_log "$log" "dropped: malformed frame: no data for 1000 ms inside a frame (16 of 108 bytes)"
		expect_log "$log" "dropped: malformed frame: HELLO after the handshake"
		expect_log "$log" "dropped: malformed frame: COMPOUND (tag 3) with 0 ops (1 to 32 allowed)"
		expect_log "$log" "dropped: malformed frame: COMPOUND (tag 3) with 33 ops (1 to 32 allowed)"
		expect_log "$log" "dropped: closed before the handshake"
		[ "$(grep -c dropped "$log")" -eq 16 ] || { grep dropped "$log" >&2; return 1; }
		stop_shadow "$SHADOW_PID"
		[ "$STOP_STATUS" -eq 0 ]
	done
}

# stress MODE: 32 sessions x 1000 ops; results, disk and descriptors checked.
stress() {
	local mode=$1
	make_tree "$WORK/root-$mode"
	start_shadow "stress-$mode" "$WORK/root-$mode" "--$mode"
	local base
	base=$(fd_count "$SHADOW_PID")
	stress_check "$mode" "$WORK/root-$mode"
	# every session left 5 handles open when it hung up: all closed again
	wait_fds "$SHADOW_PID" "$base"
	[ -z "$(cat "/proc/$SHADOW_PID/task/$SHADOW_PID/children")" ]
	! grep -q dropped "$WORK/shadow-stress-$mode.log"
	stop_shadow "$SHADOW_PID"
	[ "$STOP_STATUS" -eq 0 ]
}

@test "32 concurrent sessions x 1000 mixed ops, sessions as threads: every result and the tree are right, descriptors back to start" {
	stress multithread
}

@test "32 concurrent sessions x 1000 mixed ops, sessions as processes: every result and the tree are right, descriptors back to start" {
	stress multiprocess
}

@test "a session that hangs up with handles, locks and a cwd leaves no descriptor behind" {
	make_tree "$WORK/root"
	start_shadow hangup "$WORK/root"
	local base
	base=$(fd_count "$SHADOW_PID")
	{
		for k in $(seq 1 20); do printf 'open /f O_RDONLY\n'; done
		printf '$w = open /f O_RDWR\nlock $w F_SETLK F_WRLCK SEEK_SET 0 1\n$d = open /d O_DIRECTORY\ndup $d\nchdir /d\n'
		printf '@sleep 1500\n'
	} > "$WORK/hangup.script"
	"$CLIENT" "$SHADOW_ADDR" "$WORK/hangup.script" > "$WORK/hangup.out" &
	local client=$!
	sleep 0.7
	local during
	during=$(fd_count "$SHADOW_PID")
	# 20 + 1 handles, 1 lock description, 1 directory (the dup shares it),
	# the cwd, the socket
	[ "$during" -eq $((base + 25)) ] || { echo "during: $during, base $base" >&2; ls -l "/proc/$SHADOW_PID/fd" >&2; return 1; }
	wait "$client"
	wait_fds "$SHADOW_PID" "$base"
	# and the lock went with the session
	printf '$w = open /f O_RDWR\nlock $w F_SETLK F_WRLCK SEEK_SET 0 1 => type=F_WRLCK whence=SEEK_SET start=0 len=1 pid=0\n' > "$WORK/relock.script"
	run_script relock "$WORK/relock.script"
}

@test "--multiprocess: a session process that crashes ends only its own session" {
	make_tree "$WORK/root"
	start_shadow crash "$WORK/root" --multiprocess
	cat > "$WORK/long.script" <<-'EOF2'
	$f = open /f O_RDONLY                              => 0
	@sleep 2000
	read $f 100                                        => 6 "hello\n"
	EOF2
	"$CLIENT" "$SHADOW_ADDR" --check "$WORK/long.script" > "$WORK/long.out" 2>&1 &
	local long=$!
	sleep 0.5
	local first
	first=$(cat "/proc/$SHADOW_PID/task/$SHADOW_PID/children")
	[ -n "$first" ]
	printf '@sleep 3000\nnull\n' > "$WORK/victim.script"
	"$CLIENT" "$SHADOW_ADDR" "$WORK/victim.script" > "$WORK/victim.out" 2>&1 &
	local victim_client=$!
	sleep 0.5
	local victim=
	for pid in $(cat "/proc/$SHADOW_PID/task/$SHADOW_PID/children"); do
		[ "$pid" = "$first" ] || victim=$pid
	done
	[ -n "$victim" ]
	# SIGKILL stands for the crash: no core file, no sanitizer handler
	kill -KILL "$victim"
	wait "$long" || { cat "$WORK/long.out" >&2; return 1; }
	wait "$victim_client" || true
	grep -q 'null => (transport' "$WORK/victim.out" || { cat "$WORK/victim.out" >&2; return 1; }
	expect_log "$WORK/shadow-crash.log" "session process $victim killed by signal 9 (Killed); other sessions go on"
	printf 'null => 0\n' > "$WORK/after.script"
	run_script after "$WORK/after.script"
	stop_shadow "$SHADOW_PID"
	[ "$STOP_STATUS" -eq 0 ]
}
