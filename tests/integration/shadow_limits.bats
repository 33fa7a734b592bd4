#!/usr/bin/env bats
# The daemon's limits (splitrun-shadow(8), LIMITS): --max-sessions (EBUSY,
# handshakes count, slots come back), --handshake-timeout (a silent
# connection cannot pin a slot), --idle-timeout, TCP keepalive on every
# session, the options' bad values, and path and name lengths (at each
# limit and one over, both ways of resolving). tests/unit/shadow_limits.c
# checks the per-session limits (handles, the handshake deadline against a
# dribbling peer, a stalled frame, sealed frame bounds).

load shadow_helpers

setup() {
	shadow_setup
	make_tree "$WORK/root"
	SPLITRUN=${SPLITRUN_BINDIR:?}/splitrun
	printf 'null => 0\n' > "$WORK/null.script"
}

teardown() {
	shadow_teardown
}

# hold N SECONDS: opens N TCP connections to $SHADOW_ADDR that say nothing
# and keeps them SECONDS; prints "open" once all are connected. Runs in the
# background; HOLD_PID is its PID.
hold() {
	python3 -c '
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
conns = [socket.create_connection((host, int(port))) for _ in range(int(sys.argv[2]))]
print("open", flush=True)
time.sleep(float(sys.argv[3]))
' "$SHADOW_ADDR" "$1" "$2" > "$WORK/hold.out" &
	HOLD_PID=$!
	local k
	for k in $(seq 100); do
		grep -q open "$WORK/hold.out" && return 0
		sleep 0.05
	done
	return 1
}

@test "--max-sessions 2: a third connection is answered EBUSY (splitrun: 121, one line), and slots come back" {
	start_shadow m "$WORK/root" --max-sessions 2 --handshake-timeout 60
	grep -q 'at most 2 sessions' "$WORK/shadow-m.log"
	hold 2 30
	run timeout 20 "$SPLITRUN" --shadow "$SHADOW_ADDR" -- true
	[ "$status" = 121 ] &&
		[ "$output" = "splitrun: cannot use the shadow at $SHADOW_ADDR: the shadow is serving as many sessions as it allows (--max-sessions); try again later" ] ||
		{ echo "status $status: $output"; return 1; } >&2
	grep -q "refused: 2 sessions open (--max-sessions)" "$WORK/shadow-m.log"
	# a burst of refusals is one log line a second, with a count
	local k
	for k in $(seq 20); do "$CLIENT" "$SHADOW_ADDR" "$WORK/null.script" > /dev/null 2>&1 || true; done
	[ "$(grep -c 'refused: 2 sessions open' "$WORK/shadow-m.log")" -le 5 ]
	kill "$HOLD_PID"
	wait "$HOLD_PID" || true
	for k in $(seq 100); do
		"$CLIENT" "$SHADOW_ADDR" "$WORK/null.script" > /dev/null 2>&1 && break
		sleep 0.05
	done
	run_script null "$WORK/null.script"
}

@test "--handshake-timeout: silent connections are dropped in time and cannot pin the slots" {
	start_shadow h "$WORK/root" --max-sessions 2 --handshake-timeout 0.5
	hold 2 30
	local t0 k
	t0=$(date +%s%N)
	for k in $(seq 100); do
		[ "$(grep -c 'dropped: handshake: not done within 500 ms (--handshake-timeout)' "$WORK/shadow-h.log")" = 2 ] && break
		sleep 0.05
	done
	[ "$(grep -c 'dropped: handshake: not done within 500 ms' "$WORK/shadow-h.log")" = 2 ]
	# within 5 s (0.5 s is the limit; the rest is slack for a loaded machine)
	[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 5000 ]
	# the two silent connections still exist on their side, but hold no slot
	kill -0 "$HOLD_PID"
	run_script null "$WORK/null.script"
	kill "$HOLD_PID"
	wait "$HOLD_PID" || true
}

@test "--idle-timeout: a session silent for that long is dropped; one that talks is not" {
	start_shadow i "$WORK/root" --idle-timeout 0.5
	printf 'null => 0\n@sleep 300\nnull => 0\n@sleep 300\nnull => 0\n' > "$WORK/busy.script"
	run_script busy "$WORK/busy.script"
	! grep -q idle "$WORK/shadow-i.log"
	printf 'null => 0\n@sleep 1500\nnull\n' > "$WORK/idle.script"
	"$CLIENT" "$SHADOW_ADDR" "$WORK/idle.script" > "$WORK/idle.out" 2>&1 || true
	grep -q 'dropped: idle for [0-9]* s (--idle-timeout)' "$WORK/shadow-i.log" ||
		{ cat "$WORK/shadow-i.log" "$WORK/idle.out" >&2; return 1; }
	! grep -qx 'null => 0' <(tail -n1 "$WORK/idle.out")
}

@test "every session has TCP keepalive on (a vanished agent is found within about 2 minutes)" {
	start_shadow ka "$WORK/root"
	printf 'null => 0\n@sleep 3000\n' > "$WORK/slow.script"
	"$CLIENT" "$SHADOW_ADDR" "$WORK/slow.script" > /dev/null &
	local client=$! port=${SHADOW_ADDR##*:} k line=
	for k in $(seq 100); do
		line=$(ss -tnoH state established "( sport = :$port )" 2>/dev/null)
		[[ $line == *keepalive* ]] && break
		sleep 0.05
	done
	wait "$client" || true
	[[ $line == *"timer:(keepalive"* ]] || { echo "no keepalive timer on the session's socket: $line" >&2; return 1; }
}

@test "limit options: bad values exit 2 naming the option" {
	local opt bad
	for opt in --handshake-timeout --idle-timeout --frame-timeout; do
		for bad in 0 -1 x 86401 1e9; do
			run "$SHADOW" --root "$WORK/root" "$opt" "$bad"
			[ "$status" = 2 ] && [[ "$output" == *"$opt '$bad': want seconds from 0.001 to 86400"* ]] ||
				{ echo "$opt $bad: status $status: $output"; return 1; } >&2
		done
	done
	for bad in 0 -3 x 100001; do
		run "$SHADOW" --root "$WORK/root" --max-sessions "$bad"
		[ "$status" = 2 ] && [[ "$output" == *"--max-sessions '$bad': want a number from 1 to 100000"* ]] ||
			{ echo "--max-sessions $bad: status $status: $output"; return 1; } >&2
	done
}

@test "path length: 4095 bytes resolve, 4096 are ENAMETOOLONG, 4097 end the session; a name of 255 bytes, not 256" {
	# "./" repeated walks nowhere: these paths name /f. The kernel's PATH_MAX
	# (4096) counts the NUL, so 4096 bytes is the longest path the wire
	# carries and the shortest the shadow answers ENAMETOOLONG. A relative
	# path is joined to its directory's path first (a 4094-byte one to "/").
	local dots
	dots=$(printf './%.0s' $(seq 2045))
	export N255=$(printf 'a%.0s' $(seq 255)) N256=$(printf 'a%.0s' $(seq 256))
	export P4095=/${dots}.//f P4096=/${dots}././f P4097=/${dots}././/f R4094=${dots}.//f R4095=${dots}././f
	[ ${#P4095} = 4095 ] && [ ${#P4096} = 4096 ] && [ ${#P4097} = 4097 ] && [ ${#R4094} = 4094 ] && [ ${#R4095} = 4095 ]
	cat > "$WORK/paths.script" <<-'EOF2'
	mkdir /${N255} 0755                    => 0
	stat /${N255}                          =~ type=dir mode=0755 *
	mkdir /${N256} 0755                    => ENAMETOOLONG
	stat /${N255}/${N256}                  => ENAMETOOLONG
	stat ${P4095}                          =~ type=reg mode=0644 * size=6
	$f = open ${P4095} O_RDONLY            => 0
	read $f 5                              => 5 "hello"
	stat ${R4094}                          =~ type=reg mode=0644 * size=6
	stat ${R4095}                          => ENAMETOOLONG
	stat ${P4096}                          => ENAMETOOLONG
	open ${P4096} O_RDONLY                 => ENAMETOOLONG
	null                                   => 0
	@raw long
	@hello long                            => tag=0 op=HELLO result=0
	@sendframe long 5 13 i64:-100 str:${P4097} i64:0 => sent 4145 bytes
	@expect-close long                     => closed
	@session main
	read $f 1                              => 1 "\n"
	EOF2
	local mode
	for mode in thread fallback; do
		rm -rf "${WORK:?}/root/$N255"
		start_in_mode "$mode" "p-$mode" "$WORK/root"
		# (on failure, the lines without the long paths)
		run_script "paths-$mode" "$WORK/paths.script" 2> >(cut -c1-200 >&2) || { echo "($mode mode)" >&2; return 1; }
		grep -q 'dropped: oversized frame or field: FSTATAT request (tag 5, 4121-byte body)' "$WORK/shadow-p-$mode.log" ||
			{ echo "($mode mode) the log does not say why the session ended:" >&2; cut -c1-200 "$WORK/shadow-p-$mode.log" >&2; return 1; }
		stop_shadow "$SHADOW_PID"
	done
}
