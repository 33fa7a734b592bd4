#!/usr/bin/env bats
# splitrun-shadow as a program: the line it prints, its options and exit
# codes, SIGTERM (drain, exit 0), SIGHUP (log reopened, also in session
# processes), --once, --debug.

load shadow_helpers

setup() {
	shadow_setup
	make_tree "$WORK/root"
}

teardown() {
	shadow_teardown
}

# expect_exit WANT CMD...: runs CMD (10 s at most); checks the status.
expect_exit() {
	local want=$1 got=0
	shift
	timeout -s KILL 10 "$@" > "$WORK/cmd.out" 2> "$WORK/cmd.err" || got=$?
	if [ "$got" != "$want" ]; then
		echo "'$*' exited $got, want $want" >&2
		cat "$WORK/cmd.out" "$WORK/cmd.err" >&2
		return 1
	fi
}

stderr_says() {
	grep -qF -- "$1" "$WORK/cmd.err" || { echo "stderr lacks '$1':" >&2; cat "$WORK/cmd.err" >&2; return 1; }
}

@test "no --listen, or port 0: one pasteable line 'splitrun --shadow 127.0.0.1:PORT' for a free loopback port" {
	start_shadow plain "$WORK/root"
	[ "$(wc -l < "$WORK/shadow-plain.out")" -eq 1 ]
	grep -Eqx 'splitrun --shadow 127\.0\.0\.1:[1-9][0-9]*' "$WORK/shadow-plain.out"
	printf 'null => 0\n' > "$WORK/null.script"
	run_script null "$WORK/null.script"
	local first=$SHADOW_ADDR
	start_shadow zero "$WORK/root" --listen 127.0.0.1:0
	grep -Eqx 'splitrun --shadow 127\.0\.0\.1:[1-9][0-9]*' "$WORK/shadow-zero.out"
	[ "$SHADOW_ADDR" != "$first" ]
	run_script null2 "$WORK/null.script"
	# the port is taken now: a second shadow on it cannot start
	expect_exit 1 "$SHADOW" --root "$WORK/root" --listen "$SHADOW_ADDR"
	stderr_says "splitrun-shadow: --listen $SHADOW_ADDR: Address already in use"
	[ ! -s "$WORK/cmd.out" ]
}

@test "--listen [::1]:0 prints a bracketed IPv6 address" {
	[ -e /proc/net/if_inet6 ] && grep -q ' lo$' /proc/net/if_inet6 || skip "no IPv6 loopback"
	start_shadow v6 "$WORK/root" --listen '[::1]:0'
	grep -Eqx 'splitrun --shadow \[::1\]:[1-9][0-9]*' "$WORK/shadow-v6.out"
	printf 'null => 0\n' > "$WORK/null.script"
	run_script null "$WORK/null.script"
}

@test "a wildcard --listen address: refused without --key (exit 2, why), served with --insecure and a warning" {
	expect_exit 2 "$SHADOW" --root "$WORK/root" --listen 0.0.0.0:0
	stderr_says "splitrun-shadow: --listen 0.0.0.0:0: not a loopback address, and without --key anyone who can reach it could read and write $WORK/root"
	stderr_says "or --insecure if every machine that can reach this address is trusted"
	[ ! -s "$WORK/cmd.out" ]
	start_shadow any "$WORK/root" --listen 0.0.0.0:0 --insecure
	grep -Eqx 'splitrun --shadow 0\.0\.0\.0:[1-9][0-9]*' "$WORK/shadow-any.out"
	grep -q 'warning: 0.0.0.0:[0-9]* is not a loopback address and sessions are not authenticated (--insecure)' "$WORK/shadow-any.log"
	printf 'null => 0\n' > "$WORK/null.script"
	run_script null "$WORK/null.script" "127.0.0.1:${SHADOW_ADDR##*:}"
}

@test "which --listen addresses are loopback: 127.0.0.0/8, [::1] and [::ffff:127.0.0.1] are served without a key; [::] and [::ffff:0.0.0.0] are not" {
	local a
	for a in '[::]:0' '[::ffff:0.0.0.0]:0'; do
		expect_exit 2 "$SHADOW" --root "$WORK/root" --listen "$a"
		stderr_says "splitrun-shadow: --listen $a: not a loopback address, and without --key"
	done
	printf 'null => 0\n' > "$WORK/null.script"
	start_shadow lo2 "$WORK/root" --listen 127.0.0.2:0
	! grep -q warning "$WORK/shadow-lo2.log"
	run_script null "$WORK/null.script"
	start_shadow lo6 "$WORK/root" --listen '[::1]:0'
	! grep -q warning "$WORK/shadow-lo6.log"
	run_script null "$WORK/null.script"
	start_shadow lo4in6 "$WORK/root" --listen '[::ffff:127.0.0.1]:0'
	! grep -q warning "$WORK/shadow-lo4in6.log"
	run_script null "$WORK/null.script" "127.0.0.1:${SHADOW_ADDR##*:}"
}

@test "bad options exit 2 with a message naming the problem" {
	expect_exit 2 "$SHADOW"
	stderr_says "splitrun-shadow: --root DIR is required"
	expect_exit 2 "$SHADOW" --root "$WORK/root" --bogus
	stderr_says "unrecognized option '--bogus'"
	stderr_says "try 'splitrun-shadow --help'"
	expect_exit 2 "$SHADOW" --root
	stderr_says "option '--root' requires an argument"
	expect_exit 2 "$SHADOW" --root "$WORK/root" --multiprocess --multithread
	stderr_says "--multiprocess and --multithread exclude each other"
	expect_exit 2 "$SHADOW" --root "$WORK/root" extra
	stderr_says "unexpected argument 'extra'"
	local bad
	for bad in nonsense 127.0.0.1 127.0.0.1: 127.0.0.1:99999 127.0.0.1:-1 localhost:80 :80 '[::1]' 1.2.3.4.5:80; do
		expect_exit 2 "$SHADOW" --root "$WORK/root" --listen "$bad"
		stderr_says "splitrun-shadow: --listen '$bad': want ADDR:PORT with a numeric address and a port from 0 to 65535"
	done
	for bad in 0 -1 x 1e9 ''; do
		expect_exit 2 "$SHADOW" --root "$WORK/root" --frame-timeout "$bad"
		stderr_says "splitrun-shadow: --frame-timeout '$bad': want seconds from 0.001 to 86400"
	done
	[ ! -s "$WORK/cmd.out" ]
}

@test "a missing or unusable --root or --log exits 1 with a message" {
	expect_exit 1 "$SHADOW" --root "$WORK/no-such-dir"
	stderr_says "splitrun-shadow: --root $WORK/no-such-dir: No such file or directory"
	expect_exit 1 "$SHADOW" --root "$WORK/root/f"
	stderr_says "splitrun-shadow: --root $WORK/root/f: Not a directory"
	expect_exit 1 "$SHADOW" --root "$WORK/root" --log "$WORK/no-such-dir/log"
	stderr_says "splitrun-shadow: --log $WORK/no-such-dir/log: No such file or directory"
	expect_exit 1 "$SHADOW" --root "$WORK/root" --listen 192.0.2.1:0
	stderr_says "splitrun-shadow: --listen 192.0.2.1:0: Cannot assign requested address"
	[ ! -s "$WORK/cmd.out" ]
}

@test "--help lists every option and exits 0; --version exits 0" {
	expect_exit 0 "$SHADOW" --help
	local opt
	for opt in --root --listen --multiprocess --multithread --read-only --debug --once --log --frame-timeout --help --version; do
		grep -q -- "$opt" "$WORK/cmd.out" || { echo "--help lacks $opt" >&2; return 1; }
	done
	grep -q 'SIGTERM' "$WORK/cmd.out"
	grep -q 'Exit status' "$WORK/cmd.out"
	expect_exit 0 "$SHADOW" --version
	grep -Eqx 'splitrun-shadow [0-9.]+' "$WORK/cmd.out"
}

# drain_test MODE SIGNAL: a session waits between requests when SIGNAL
# arrives; the shadow ends it and exits 0, well before the drain limit.
drain_test() {
	local mode=$1 sig=$2
	start_shadow "drain-$mode" "$WORK/root" "--$mode"
	printf '$f = open /f O_RDONLY => 0\n@sleep 3000\nread $f 1\n' > "$WORK/drain.script"
	"$CLIENT" "$SHADOW_ADDR" "$WORK/drain.script" > "$WORK/drain-$mode.out" 2>&1 &
	local client=$!
	sleep 0.5
	local t0=$SECONDS
	kill "-$sig" "$SHADOW_PID"
	local k
	for k in $(seq 1 100); do
		kill -0 "$SHADOW_PID" 2>/dev/null || break
		sleep 0.05
	done
	! kill -0 "$SHADOW_PID" 2>/dev/null || { echo "$mode: still running 5 s after SIG$sig" >&2; return 1; }
	local status=0
	wait "$SHADOW_PID" || status=$?
	[ "$status" -eq 0 ] || { echo "$mode: exit status $status after SIG$sig" >&2; return 1; }
	wait "$client" || true
	# the session was ended: its next request found the connection closed
	grep -q '^read $f 1 => (transport' "$WORK/drain-$mode.out" || { cat "$WORK/drain-$mode.out" >&2; return 1; }
	expect_log "$WORK/shadow-drain-$mode.log" "draining: 1 session open"
	expect_log "$WORK/shadow-drain-$mode.log" "exiting"
	! grep -q cutting "$WORK/shadow-drain-$mode.log"
	# and the port is closed
	! "$CLIENT" "$SHADOW_ADDR" "$WORK/drain.script" > /dev/null 2>&1
}

expect_log() { # LOG TEXT
	grep -qF -- "$2" "$1" || { echo "log $1 lacks: $2" >&2; cat "$1" >&2; return 1; }
}

@test "SIGTERM drains: an idle session is ended, the shadow exits 0 (threads)" {
	drain_test multithread TERM
}

@test "SIGTERM drains: an idle session is ended, the shadow exits 0 (processes)" {
	drain_test multiprocess TERM
}

@test "SIGINT drains like SIGTERM" {
	drain_test multithread INT
}

@test "SIGTERM: a session stuck in F_SETLKW is cut after the 10 s drain limit, exit 0 (threads and processes)" {
	# a process on the shadow's machine holds the lock the session waits for
	python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "r+")
fcntl.lockf(f, fcntl.LOCK_EX, 1, 0)
print("locked", flush=True)
time.sleep(60)' "$WORK/root/f" > "$WORK/holder.out" &
	local holder=$!
	SHADOW_PIDS+=("$holder")
	local k
	for k in $(seq 1 100); do grep -q locked "$WORK/holder.out" && break; sleep 0.05; done
	local mode pids=()
	for mode in multithread multiprocess; do
		start_shadow "stuck-$mode" "$WORK/root" "--$mode"
		printf '$b = open /f O_RDWR\nlock $b F_SETLKW F_WRLCK SEEK_SET 0 1\n' > "$WORK/stuck.script"
		timeout -s KILL 30 "$CLIENT" "$SHADOW_ADDR" "$WORK/stuck.script" > "$WORK/stuck-$mode.out" 2>&1 &
		pids+=("$SHADOW_PID")
	done
	sleep 0.7
	local t0=$SECONDS pid
	for pid in "${pids[@]}"; do kill -TERM "$pid"; done
	for pid in "${pids[@]}"; do
		stop_shadow "$pid" 20
		[ "$STOP_STATUS" -eq 0 ] || { echo "shadow $pid: status $STOP_STATUS" >&2; return 1; }
	done
	[ $((SECONDS - t0)) -ge 9 ] || { echo "exited after $((SECONDS - t0)) s" >&2; return 1; }
	for mode in multithread multiprocess; do
		expect_log "$WORK/shadow-stuck-$mode.log" "draining: 1 session open"
		expect_log "$WORK/shadow-stuck-$mode.log" "cutting 1 session still open after 10 s"
		expect_log "$WORK/shadow-stuck-$mode.log" "exiting"
	done
	kill "$holder"
}

@test "SIGHUP reopens the log: after rotation new lines go to the new file, also from session processes" {
	local mode
	for mode in multithread multiprocess; do
		local log=$WORK/shadow-hup-$mode.log
		start_shadow "hup-$mode" "$WORK/root" "--$mode"
		# a session that starts before the rotation and misbehaves after it
		cat > "$WORK/hup.script" <<-'EOF2'
		@raw late
		@hello late
		@sleep 1500
		@send late i64:5
		@expect-close late
		EOF2
		"$CLIENT" "$SHADOW_ADDR" "$WORK/hup.script" > "$WORK/hup-$mode.out" 2>&1 &
		local client=$!
		sleep 0.5
		mv "$log" "$log.1"
		kill -HUP "$SHADOW_PID"
		wait "$client"
		grep -q 'closed' "$WORK/hup-$mode.out"
		expect_log "$log" "SIGHUP: log reopened"
		expect_log "$log" "dropped: malformed frame: frame length 5 is under 16"
		expect_log "$log.1" "serving $WORK/root"
		! grep -q 'dropped' "$log.1"
		stop_shadow "$SHADOW_PID"
		[ "$STOP_STATUS" -eq 0 ]
		expect_log "$log" "exiting"
	done
}

@test "--once serves one session, refuses others meanwhile, then exits 0" {
	start_shadow once "$WORK/root" --once
	printf '$f = open /f O_RDONLY => 0\n@sleep 800\nread $f 5 => 5 "hello"\n' > "$WORK/once.script"
	"$CLIENT" "$SHADOW_ADDR" --check "$WORK/once.script" > "$WORK/once.out" 2>&1 &
	local client=$!
	sleep 0.3
	printf 'null\n' > "$WORK/null.script"
	! "$CLIENT" "$SHADOW_ADDR" "$WORK/null.script" > "$WORK/second.out" 2>&1
	grep -q 'Connection refused' "$WORK/second.out"
	wait "$client" || { cat "$WORK/once.out" >&2; return 1; }
	stop_shadow "$SHADOW_PID" 5 2>/dev/null || true
	local k
	for k in $(seq 1 100); do kill -0 "$SHADOW_PID" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$SHADOW_PID" 2>/dev/null
	local status=0
	wait "$SHADOW_PID" || status=$?
	[ "$status" -eq 0 ]
}

@test "--once exits 0 on SIGTERM while its session is open" {
	start_shadow once-term "$WORK/root" --once
	printf 'null\n@sleep 3000\nnull\n' > "$WORK/idle.script"
	"$CLIENT" "$SHADOW_ADDR" "$WORK/idle.script" > "$WORK/idle.out" 2>&1 &
	local client=$!
	sleep 0.5
	stop_shadow "$SHADOW_PID" 5
	[ "$STOP_STATUS" -eq 0 ]
	wait "$client" || true
	grep -q '^null => (transport' "$WORK/idle.out"
}

@test "--debug logs every session and op with its result" {
	start_shadow debug "$WORK/root" --debug
	printf 'null\nopen /nope O_RDONLY\nstat /f\n' > "$WORK/dbg.script"
	"$CLIENT" "$SHADOW_ADDR" "$WORK/dbg.script" > /dev/null
	stop_shadow "$SHADOW_PID"
	local log=$WORK/shadow-debug.log
	expect_log "$log" "NULL -> 0"
	expect_log "$log" "OPEN -> -2"
	expect_log "$log" "FSTATAT -> 0"
	grep -q 'session from 127.0.0.1:[0-9]*: start' "$log"
	grep -q 'session from 127.0.0.1:[0-9]*: end' "$log"
	grep -q 'session: agent arch x86_64' "$log"
}
