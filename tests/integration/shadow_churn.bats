#!/usr/bin/env bats
# 1000 connections that misbehave (tests/integration/churn.py: garbage,
# frames cut short, stalls, calls whose caller hangs up before the reply,
# oversized lengths, half a handshake, failed authentications) leave the
# shadow serving, with its descriptors and its memory back where they were.
#
# Descriptors must come back exactly: the shadow holds none for a session
# that has ended. Memory (VmRSS of /proc/PID/status) is measured after a
# warm-up churn of 300 connections, and must be within 4 MiB of that after
# 1000 more. The warm-up matters: glibc's malloc keeps freed memory in its
# per-thread arenas (up to 8 per CPU) and raises its mmap threshold after
# freeing a large block, so the first sessions grow the heap once to a
# plateau that later sessions reuse. A leak of a session's buffers (64 KiB
# of frame reader, 1 MiB of I/O buffer) would cost at least 64 MiB over 1000
# connections; 4 MiB is 4 KiB a connection, so a leak of less than that per
# connection goes unnoticed here, and is LeakSanitizer's to find (the san
# variant runs this file, and teardown fails on its report at the shadow's
# exit). Under ASan the memory check is left out: its quarantine keeps freed
# memory on purpose (up to 256 MiB), so resident memory grows with churn
# whether or not anything leaks; descriptors are still checked.

load shadow_helpers

setup() {
	shadow_setup
	make_tree "$WORK/root"
	CHURN="$BATS_TEST_DIRNAME/churn.py"
}

teardown() {
	shadow_teardown
}

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# settle PID: waits (30 s at most) until PID has no session left: its
# thread count is 1 (threads) or it has no children (processes).
settle() {
	local pid=$1 k
	for k in $(seq 600); do
		if [ "$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status")" = 1 ] && [ -z "$(pgrep -P "$pid")" ]; then
			sleep 0.2
			return 0
		fi
		sleep 0.05
	done
	echo "shadow $pid still has sessions after 30 s" >&2
	return 1
}

churn_check() { # NAME [SHADOW OPTIONS...]
	local name=$1
	shift
	start_shadow "$name" "$WORK/root" --frame-timeout 1 --handshake-timeout 5 "$@"
	local pid=$SHADOW_PID key_args=()
	[ -n "${KEY_ID:-}" ] && key_args=(--key-id "$KEY_ID")
	timeout -s KILL 300 python3 "$CHURN" "$SHADOW_ADDR" 300 --seed 1 "${key_args[@]}" > "$WORK/warm.out"
	settle "$pid"
	local fds0 rss0 fds1 rss1
	fds0=$(fd_count "$pid")
	rss0=$(rss_kb "$pid")
	timeout -s KILL 600 python3 "$CHURN" "$SHADOW_ADDR" 1000 --seed 2 "${key_args[@]}" > "$WORK/churn.out"
	cat "$WORK/churn.out"
	settle "$pid"
	fds1=$(fd_count "$pid")
	rss1=$(rss_kb "$pid")
	echo "$name: descriptors $fds0 -> $fds1, VmRSS $rss0 kB -> $rss1 kB"
	[ "$fds1" -eq "$fds0" ] || { echo "descriptors: $fds0 before, $fds1 after" >&2; return 1; }
	if [ "${SPLITRUN_VARIANT:-native}" != san ]; then
		[ "$rss1" -le $((rss0 + 4096)) ] || { echo "VmRSS grew by $((rss1 - rss0)) kB (allowed: 4096)" >&2; return 1; }
	fi
	# every kind ran, and the log saw them dropped
	[ "$(grep -c 'dropped' "$WORK/shadow-$name.log")" -ge 500 ]
	kill -0 "$pid"
}

@test "1000 misbehaving connections, sessions as threads: still serving, descriptors and memory back" {
	churn_check threads --multithread
	run_script io "$SCRIPTS/io.script"
}

@test "1000 misbehaving connections, sessions as processes: the same for the main process" {
	churn_check procs --multiprocess
	run_script io "$SCRIPTS/io.script"
}

@test "1000 misbehaving connections to a shadow with a key (failed handshakes, AUTH refused): the same" {
	"$SHADOW" --keygen "$WORK/k.key" > /dev/null
	KEY_ID=$("$SHADOW" --key-id "$WORK/k.key") churn_check keyed --key "$WORK/k.key"
	grep -q 'wrong proof' "$WORK/shadow-keyed.log"
	timeout -s KILL 120 "$CLIENT" "$SHADOW_ADDR" --key "$WORK/k.key" --check "$SCRIPTS/io.script" > "$WORK/io.out" ||
		{ cat "$WORK/io.out" >&2; return 1; }
}
