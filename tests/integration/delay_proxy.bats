#!/usr/bin/env bats
# bench/delay_proxy, the benchmarks' 10 ms link (docs/performance.md, "Macro
# workloads and WAN"): the delay is applied each way, order and content are
# kept, both directions at once, ends of stream are passed on, SIGTERM ends
# it cleanly, the counters add up, a reset connection does not stop it, and
# bad options are refused. The checks are in delay_proxy_check.py (a target
# server of its own, the proxy started and stopped by PID, every wait
# bounded).

setup() {
	PROXY=${SPLITRUN_TESTBIN:?}/../bench/delay_proxy
	CHECK=$BATS_TEST_DIRNAME/delay_proxy_check.py
	[ -x "$PROXY" ] || { echo "no $PROXY (make test-build)" >&2; return 1; }
	pid=
}

teardown() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null || true
	fi
}

check() {
	run timeout -s KILL 60 /usr/bin/python3 "$CHECK" "$PROXY" "$1"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "delay_proxy: each chunk is held the delay, each way" { check delay; }
@test "delay_proxy: 2000 messages of random sizes come back in order, intact" { check order; }
@test "delay_proxy: 8 MB each way at once, and a 32 MB copy, arrive intact" { check duplex; }
@test "delay_proxy: ends of stream are passed on after the delay; SIGTERM exits 0" { check shutdown; }
@test "delay_proxy: connections, bytes, chunks and turns are counted" { check counters; }
@test "delay_proxy: a target's reset ends that connection only" { check reset; }

@test "delay_proxy: bad options exit 2 with a message naming them" {
	run "$PROXY"
	[ "$status" -eq 2 ]
	[[ $output == *"--target is required"* ]]
	run "$PROXY" --target localhost:22
	[ "$status" -eq 2 ]
	[[ $output == *"'localhost:22': not a numeric IPv4 ADDR:PORT"* ]]
	run "$PROXY" --target 127.0.0.1:1 --delay -3
	[ "$status" -eq 2 ]
	[[ $output == *"--delay: not a number of milliseconds"* ]]
	run "$PROXY" --target 127.0.0.1:1 --max-queue 10
	[ "$status" -eq 2 ]
	[[ $output == *"--max-queue: not a byte count"* ]]
	run "$PROXY" --target 127.0.0.1:1 extra
	[ "$status" -eq 2 ]
	[[ $output == *"unexpected argument 'extra'"* ]]
}

@test "delay_proxy: a target that refuses: the client's connection is closed, the proxy serves on" {
	# A port nobody listens on: bind one, note it, close it.
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	"$PROXY" --target "127.0.0.1:$port" --control 127.0.0.1:0 > "$BATS_TEST_TMPDIR/addr" 2> "$BATS_TEST_TMPDIR/err" &
	pid=$!
	for _ in $(seq 100); do
		[ "$(wc -l < "$BATS_TEST_TMPDIR/addr")" -ge 2 ] && break
		sleep 0.05
	done
	listen=$(awk '$1 == "listen" { print $2 }' "$BATS_TEST_TMPDIR/addr")
	control=$(awk '$1 == "control" { print $2 }' "$BATS_TEST_TMPDIR/addr")
	run timeout 10 /usr/bin/python3 -c '
import socket, sys
host, port = sys.argv[1].split(":")
s = socket.create_connection((host, int(port)), timeout=5)
try:
    print("got %r" % s.recv(10))
except ConnectionResetError:
    print("reset")
' "$listen"
	echo "client: $output"
	[ "$status" -eq 0 ]
	[[ $output == "got b''" || $output == reset ]]
	run timeout 10 /usr/bin/python3 -c '
import socket, sys
host, port = sys.argv[1].split(":")
print(socket.create_connection((host, int(port)), timeout=5).recv(200).decode())
' "$control"
	echo "control: $output"
	kill -TERM "$pid"
	wait "$pid"
	pid=
	[[ $output == "connections=0 open=0 "* ]]
	grep -q "cannot connect to the target" "$BATS_TEST_TMPDIR/err"
}
