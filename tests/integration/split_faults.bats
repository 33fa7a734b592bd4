#!/usr/bin/env bats
# Faults, with nothing lost (issue #6; docs/limits.md, "When the shadow is
# lost"): a shadow killed (SIGKILL, by its PID) under a running program.
#   stop (the default): the program is stopped, splitrun exits 122 with one
#     line saying why;
#   --on-disconnect=eio: the program sees EIO and goes on; its exit status
#     is its own (a loss only a close could report, under user notification:
#     splitrun says so and exits 122);
#   --on-disconnect=reconnect: a shadow back on the same port in time (and
#     authenticated again): a file reads on from its offset, a directory
#     lists on, a read the loss interrupted is made again, a written file
#     writes on; a file with queued writes the shadow never answered, or
#     replaced at home, fails with EIO; the time running out stops the
#     program (122), and so does a shadow that no longer takes the key;
#   kill_shadow.py: the shadow killed at random moments while a program
#     writes a file (sizes across the write-behind buffer, fsyncs or not, all
#     three modes): success is never reported for data not stored, and what
#     is stored is always a prefix of what was written.

load split_helpers

setup_file() {
	export SPLITRUN=${SPLITRUN_BINDIR:?}/splitrun
	export SHADOW=${SPLITRUN_BINDIR:?}/splitrun-shadow
	export GUEST_BIN=$BATS_FILE_TMPDIR/bin
	mkdir -p "$GUEST_BIN"
	cp "${SPLITRUN_TESTBIN:?}/progs/write_pattern" "$GUEST_BIN/"
	"$SHADOW" --keygen "$BATS_FILE_TMPDIR/k.key" > /dev/null
	"$SHADOW" --keygen "$BATS_FILE_TMPDIR/other.key" > /dev/null
}

setup() {
	ROOT=$BATS_TEST_TMPDIR/root
	SYNC=$BATS_TEST_TMPDIR/sync
	mkdir -p "$ROOT" "$SYNC"
	PORT=0
}

# Shadows a test started go, whatever became of the test.
teardown() {
	local p
	for p in "$BATS_TEST_TMPDIR"/own-*.pid; do
		[ -e "$p" ] && split_stop "$p"
	done
	return 0
}

# start_shadow ARGS...: a shadow on $ROOT, on $PORT (0: a free one, then
# kept in $PORT so that a restart takes the same); its address in $ADDR.
start_shadow() {
	local i try old
	# One still running (a test's second shadow on another port) keeps a
	# PID file of its own, for teardown.
	old=$(cat "$BATS_TEST_TMPDIR/own-shadow.pid" 2>/dev/null || true)
	if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then
		mv "$BATS_TEST_TMPDIR/own-shadow.pid" "$BATS_TEST_TMPDIR/own-shadow-$old.pid"
	fi
	for try in $(seq 40); do
		rm -f "$BATS_TEST_TMPDIR/shadow.out"   # the last one's address is not this one's
		"$SHADOW" --root "$ROOT" --listen "127.0.0.1:$PORT" "$@" > "$BATS_TEST_TMPDIR/shadow.out" \
			2>> "$BATS_TEST_TMPDIR/shadow.log" 3>&- &
		echo $! > "$BATS_TEST_TMPDIR/own-shadow.pid"
		for i in $(seq 100); do
			# (the shell may not have made shadow.out yet: no file is no address)
			ADDR=$(awk '/^splitrun --shadow / { print $3 }' "$BATS_TEST_TMPDIR/shadow.out" 2>/dev/null || true)
			[ -n "$ADDR" ] && { PORT=${ADDR##*:}; return 0; }
			kill -0 "$(cat "$BATS_TEST_TMPDIR/own-shadow.pid")" 2>/dev/null || break
			sleep 0.02
		done
		sleep 0.05   # the port may be held a moment longer
	done
	echo "the shadow did not start on port $PORT:" >&2
	cat "$BATS_TEST_TMPDIR/shadow.log" >&2
	return 1
}

# kill_shadow: SIGKILL, by its PID, and waits until it is gone.
kill_shadow() {
	local pid i
	pid=$(cat "$BATS_TEST_TMPDIR/own-shadow.pid")
	kill -KILL "$pid"
	for i in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.01
	done
	echo "the shadow $pid did not die" >&2
	return 1
}

wait_for() {
	local i
	for i in $(seq 600); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	echo "$1 never appeared" >&2
	return 1
}

# guest ARGS... -- PYTHON: runs python3 -c PYTHON under splitrun (ARGS are
# splitrun's) in the background, in /, with $SYNC for its signals; its
# output in guest.{out,err}, its PID in $GUEST.
guest() {
	local args=()
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	shift
	(cd "$BATS_TEST_TMPDIR" && exec timeout -k 5 90 "${SPLIT_ENV[@]}" SYNC="$SYNC" "$SPLITRUN" --shadow "$ADDR" \
		"${args[@]}" -C / -- python3 -c "$1") > "$BATS_TEST_TMPDIR/guest.out" 2> "$BATS_TEST_TMPDIR/guest.err" 3>&- &
	GUEST=$!
}

# guest_status: waits for the guest; its status in $status.
guest_status() {
	status=0
	wait "$GUEST" || status=$?
}

show() {
	echo "--- status $status; stdout:"
	cat "$BATS_TEST_TMPDIR/guest.out"
	echo "--- stderr:"
	cat "$BATS_TEST_TMPDIR/guest.err"
} >&2

out_has() {
	grep -qx -- "$1" "$BATS_TEST_TMPDIR/guest.out" || { echo "stdout lacks the line '$1'"; show; return 1; } >&2
}

err_has() {
	grep -qE -- "$1" "$BATS_TEST_TMPDIR/guest.err" || { echo "stderr lacks /$1/"; show; return 1; } >&2
}

# Python the guests share: did(WHAT, CALL) prints "WHAT ok" or "WHAT errno N";
# signal_and_wait(NAME) makes $SYNC/NAME and waits for $SYNC/go.
PY_PRELUDE='
import os, sys, time
sync = os.environ["SYNC"]
def did(what, f):
    try:
        r = f()
        print(what, "ok", flush=True)
        return r
    except OSError as e:
        print(what, "errno", e.errno, flush=True)
def signal_and_wait(name):
    # A call that waits for the shadow: every request before it is
    # answered, so that nothing is left in flight to find the loss early.
    try:
        os.stat("/no-such-name-%s" % name)
    except FileNotFoundError:
        pass
    open(sync + "/" + name, "w").close()
    for i in range(1200):
        if os.path.exists(sync + "/go"):
            return
        time.sleep(0.05)
    sys.exit(99)
'

@test "--on-disconnect and --reconnect-timeout: bad values and misuse are refused with status 2" {
	run "$SPLITRUN" --shadow 127.0.0.1:1 --on-disconnect=retry -- true
	[ "$status" = 2 ] && [[ "$output" == *"--on-disconnect: unknown action 'retry' (stop, eio or reconnect)"* ]] || { echo "$status: $output"; return 1; } >&2
	run "$SPLITRUN" --on-disconnect=eio -- true
	[ "$status" = 2 ] && [[ "$output" == *"--on-disconnect needs --shadow"* ]] || { echo "$status: $output"; return 1; } >&2
	run "$SPLITRUN" --shadow 127.0.0.1:1 --on-disconnect=eio --reconnect-timeout=5 -- true
	[ "$status" = 2 ] && [[ "$output" == *"--reconnect-timeout needs --on-disconnect=reconnect"* ]] || { echo "$status: $output"; return 1; } >&2
	local bad
	for bad in 0 -1 x 1e9 ''; do
		run "$SPLITRUN" --shadow 127.0.0.1:1 --on-disconnect=reconnect --reconnect-timeout="$bad" -- true
		[ "$status" = 2 ] && [[ "$output" == *"--reconnect-timeout: not a number of seconds above 0, at most 86400: '$bad'"* ]] || { echo "'$bad': $status: $output"; return 1; } >&2
	done
	"$SPLITRUN" --help | grep -q -- '--on-disconnect=WHAT'
	"$SPLITRUN" --help | grep -q -- '--reconnect-timeout=SEC'
}

@test "stop (the default, and --on-disconnect=stop): the program is stopped before its call returns; 122 and one line" {
	head -c 100000 /dev/urandom > "$ROOT/in"
	local how
	for how in default stop; do
		rm -f "$SYNC"/*
		start_shadow
		local opt=()
		[ "$how" = default ] || opt=(--on-disconnect=stop)
		guest "${opt[@]}" -- "$PY_PRELUDE"'
w = os.open("/out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(w, b"x" * 5000); os.fsync(w)
signal_and_wait("ready")
did("write", lambda: os.write(w, b"y" * 5000))
did("fsync", lambda: os.fsync(w))
did("read", lambda: os.pread(os.open("/in", os.O_RDONLY), 10, 90000))
print("went on", flush=True)'
		wait_for "$SYNC/ready"
		kill_shadow
		touch "$SYNC/go"
		guest_status
		[ "$status" = 122 ] || { echo "$how: want 122"; show; return 1; } >&2
		! grep -q 'went on\|fsync ok' "$BATS_TEST_TMPDIR/guest.out" || { echo "$how: the program went on"; show; return 1; } >&2
		[ "$(wc -l < "$BATS_TEST_TMPDIR/guest.err")" = 1 ] || { echo "$how: not one line"; show; return 1; } >&2
		err_has '^splitrun: the connection to the shadow was lost during [^:]+: the shadow closed it; the program was stopped$'
		# what the program was told was stored is
		[ "$(head -c 5000 "$ROOT/out" | tr -d x | wc -c)" = 0 ] && [ "$(stat -c %s "$ROOT/out")" -ge 5000 ]
	done
}

@test "eio: the program sees EIO (read, open, stat, mkdir, fsync) and goes on; its exit status is its own" {
	head -c 3000000 /dev/urandom > "$ROOT/in"
	echo there > "$ROOT/other"
	start_shadow
	guest --on-disconnect=eio -- "$PY_PRELUDE"'
r = os.open("/in", os.O_RDONLY)
w = os.open("/out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(w, b"stored" * 1000); os.fsync(w)
signal_and_wait("ready")
did("pread", lambda: os.pread(r, 4096, 2500000))
did("open", lambda: os.open("/other", os.O_RDONLY))
did("stat", lambda: os.stat("/never-looked-up"))
did("mkdir", lambda: os.mkdir("/newdir"))
did("write", lambda: os.write(w, b"lost"))
did("fsync", lambda: os.fsync(w))
did("write again", lambda: os.write(w, b"lost"))
did("close", lambda: os.close(w))
with open(sync + "/local", "w") as f:
    f.write("went on\n")
print("went on", flush=True)
sys.exit(7)'
	wait_for "$SYNC/ready"
	kill_shadow
	touch "$SYNC/go"
	guest_status
	[ "$status" = 7 ] || { echo "want the program's own 7"; show; return 1; } >&2
	local call
	for call in pread open stat mkdir fsync "write again"; do
		out_has "$call errno 5"
	done
	# the write after the loss is queued (write-behind): it may succeed,
	# but then the fsync reports it; the close: EIO or, already told, 0
	grep -Eqx 'write (ok|errno 5)' "$BATS_TEST_TMPDIR/guest.out" || { show; return 1; }
	grep -Eqx 'close (ok|errno 5)' "$BATS_TEST_TMPDIR/guest.out" || { show; return 1; }
	out_has "went on"
	[ "$(cat "$SYNC/local")" = "went on" ]
	[ "$(grep -c . "$BATS_TEST_TMPDIR/guest.err")" = 1 ] || { echo "want one line"; show; return 1; } >&2
	err_has '^splitrun: the connection to the shadow was lost during [^:]+: the shadow closed it; the program goes on, its calls that need the shadow fail with EIO$'
	[ "$(head -c 6000 "$ROOT/out")" = "$(printf 'stored%.0s' $(seq 1000))" ]
}

@test "eio: data lost that only the close could report: the close fails with EIO, or (user notification) splitrun says so and exits 122" {
	start_shadow
	guest --on-disconnect=eio -- "$PY_PRELUDE"'
w = os.open("/out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
signal_and_wait("ready")
did("write", lambda: os.write(w, b"never stored" * 100))
did("close", lambda: os.close(w))
sys.exit(0)'
	wait_for "$SYNC/ready"
	kill_shadow
	touch "$SYNC/go"
	guest_status
	out_has "write ok"
	if under_unotify; then
		# close cannot be made to fail under user notification
		[ "$status" = 122 ] || { echo "want 122"; show; return 1; } >&2
		out_has "close ok"
		err_has '^splitrun: /out: storing the data written at home failed: Input/output error$'
		err_has 'did not all reach home'
	else
		[ "$status" = 0 ] || { echo "want the program's 0"; show; return 1; } >&2
		out_has "close errno 5"
	fi
	[ ! -s "$ROOT/out" ]
}

@test "reconnect: a shadow back on the same port in time: reads, listings and writes go on where nothing was lost; lost queued writes and a replaced file fail with EIO" {
	head -c 16000000 /dev/urandom > "$ROOT/big"
	echo "before" > "$ROOT/replaced"
	mkdir "$ROOT/dir"
	(cd "$ROOT/dir" && seq -f 'n%05g' 5000 | xargs touch)
	start_shadow --key "$BATS_FILE_TMPDIR/k.key"
	guest --key "$BATS_FILE_TMPDIR/k.key" --on-disconnect=reconnect --reconnect-timeout=60 --stats=json -- "$PY_PRELUDE"'
import hashlib
r = os.open("/big", os.O_RDONLY)
head = os.read(r, 1 << 20)
w = os.open("/written", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(w, b"A" * 100000); os.fsync(w)
u = os.open("/unsaved", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
x = os.open("/replaced", os.O_RDONLY)
d = os.scandir("/dir")
names = [next(d).name for i in range(100)]
signal_and_wait("ready")
did("write u", lambda: os.write(u, b"B" * 1000))
far = did("pread", lambda: os.pread(r, 1 << 20, 12 << 20))
did("fsync u", lambda: os.fsync(u))
did("write u again", lambda: os.write(u, b"B"))
did("close u", lambda: os.close(u))
rest = b""
while True:
    b = os.read(r, 1 << 20)
    if not b:
        break
    rest += b
names += [e.name for e in d]
did("write w", lambda: os.write(w, b"C" * 50000))
did("fsync w", lambda: os.fsync(w))
did("close w", lambda: os.close(w))
did("read x", lambda: os.read(x, 100))
did("mkdir", lambda: os.mkdir("/made-after"))
print("big", hashlib.sha256(head + rest).hexdigest(), hashlib.sha256(far).hexdigest() if far else None, flush=True)
print("names", len(names), len(set(names)), flush=True)'
	wait_for "$SYNC/ready"
	kill_shadow
	# meanwhile, at home: the file the program has open is replaced
	mv "$ROOT/replaced" "$ROOT/replaced.old"
	echo "after" > "$ROOT/replaced"
	start_shadow --key "$BATS_FILE_TMPDIR/k.key"
	touch "$SYNC/go"
	guest_status
	[ "$status" = 0 ] || { echo "want 0"; show; return 1; } >&2
	out_has "write u ok"                  # queued, before the loss was found
	out_has "pread ok"                    # the read that found it, made again
	out_has "fsync u errno 5"             # its queued write was never answered
	out_has "write u again errno 5"
	grep -Eqx 'close u (ok|errno 5)' "$BATS_TEST_TMPDIR/guest.out" || { show; return 1; }
	out_has "write w ok"
	out_has "fsync w ok"
	out_has "close w ok"
	out_has "read x errno 5"
	out_has "mkdir ok"
	out_has "big $(sha256sum < "$ROOT/big" | cut -c1-64) $(tail -c +$((12 * 1048576 + 1)) "$ROOT/big" | head -c 1048576 | sha256sum | cut -c1-64)"
	out_has "names 5000 5000"
	[ "$(tr -d A < "$ROOT/written" | tr -d C | wc -c)" = 0 ] && [ "$(stat -c %s "$ROOT/written")" = 150000 ] &&
		[ "$(head -c 100000 "$ROOT/written" | tr -d A | wc -c)" = 0 ] || { echo "/written is not 100000 A, 50000 C"; return 1; } >&2
	[ ! -s "$ROOT/unsaved" ]
	[ -d "$ROOT/made-after" ]
	err_has '^splitrun: the connection to the shadow was lost during [^:]+: .*; dialing it again for up to 60 s$'
	err_has '^splitrun: /unsaved: not opened again \(data written to it did not all reach home\): its calls fail with EIO$'
	err_has '^splitrun: /replaced: not opened again \(its path names another file now\): its calls fail with EIO$'
	err_has '^splitrun: the shadow answered again after [0-9.]+ s: 3 open files opened again, 2 not$'
	[ "$(grep -c . "$BATS_TEST_TMPDIR/guest.err")" = 5 ] || { echo "want 4 lines and the stats"; show; return 1; } >&2
	tail -1 "$BATS_TEST_TMPDIR/guest.err" | python3 -c '
import json, sys
s = json.load(sys.stdin)
got = (s["reconnects"], s["reopened"], s["not_reopened"], s["lost_writes"])
assert got == (1, 3, 2, 0), "reconnects, reopened, not_reopened, lost_writes: %s" % (got,)' || { show; return 1; }
	local k
	for k in reconnects reopened not_reopened; do
		grep -q "^\.B $k\$" "$BATS_TEST_DIRNAME/../../docs/man/splitrun.1" || { echo "splitrun(1) does not document $k"; return 1; } >&2
	done
	# the new session authenticated with the key
	[ "$(grep -c 'authenticated' "$BATS_TEST_TMPDIR/shadow.log")" -ge 2 ] || { cat "$BATS_TEST_TMPDIR/shadow.log"; return 1; } >&2
}

@test "reconnect: files made ahead in a directory the program made are not taken from the lost session; creates there go on" {
	start_shadow
	guest --on-disconnect=reconnect --reconnect-timeout=60 --stats=json -- "$PY_PRELUDE"'
os.mkdir("/made")
for n in ("first", "a"):
    with open("/made/" + n, "w") as f:
        f.write(n)
signal_and_wait("ready")
for n in ("b", "c", "d"):
    def create(n=n):
        with open("/made/" + n, "w") as f:
            f.write(n * 3)
    did("create " + n, create)
print("names", " ".join(sorted(os.listdir("/made"))), flush=True)'
	wait_for "$SYNC/ready"
	kill_shadow
	start_shadow
	touch "$SYNC/go"
	guest_status
	[ "$status" = 0 ] || { echo "want 0"; show; return 1; } >&2
	out_has "create b ok"
	out_has "create c ok"
	out_has "create d ok"
	out_has "names a b c d first"
	[ "$(cat "$ROOT/made/a" "$ROOT/made/b" "$ROOT/made/c" "$ROOT/made/d")" = abbbcccddd ] ||
		{ echo "home holds: $(cat "$ROOT"/made/*)"; show; return 1; } >&2
	[ "$(ls "$ROOT/made" | tr '\n' ' ')" = "a b c d first " ] || { ls -la "$ROOT/made"; return 1; } >&2
	tail -1 "$BATS_TEST_TMPDIR/guest.err" | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["reconnects"] == 1 and s["lost_writes"] == 0, s' || { show; return 1; }
}

@test "reconnect: the time runs out: the program is stopped, 122; a shadow back with another key, or a signal to splitrun meanwhile: stopped at once" {
	start_shadow --key "$BATS_FILE_TMPDIR/k.key"
	guest --key "$BATS_FILE_TMPDIR/k.key" --on-disconnect=reconnect --reconnect-timeout=1 -- "$PY_PRELUDE"'
w = os.open("/out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
signal_and_wait("ready")
did("open", lambda: os.open("/out", os.O_RDONLY))
print("went on", flush=True)'
	wait_for "$SYNC/ready"
	kill_shadow
	local t0=$SECONDS
	touch "$SYNC/go"
	guest_status
	[ "$status" = 122 ] || { echo "want 122"; show; return 1; } >&2
	[ $((SECONDS - t0)) -lt 20 ] || { echo "took $((SECONDS - t0)) s"; return 1; } >&2
	! grep -q 'went on\|open ok' "$BATS_TEST_TMPDIR/guest.out" || { echo "the program went on"; show; return 1; } >&2
	err_has '^splitrun: the connection to the shadow was lost during [^:]+: .*; dialing it again for up to 1 s$'
	err_has "^splitrun: the connection to the shadow was lost during [^:]+: .*; it did not come back in time \\(127.0.0.1:$PORT: Connection refused\\); the program was stopped$"
	[ "$(grep -c . "$BATS_TEST_TMPDIR/guest.err")" = 2 ] || { echo "want 2 lines"; show; return 1; } >&2

	rm -f "$SYNC"/*
	start_shadow --key "$BATS_FILE_TMPDIR/k.key"
	guest --key "$BATS_FILE_TMPDIR/k.key" --on-disconnect=reconnect --reconnect-timeout=60 -- "$PY_PRELUDE"'
signal_and_wait("ready")
did("open", lambda: os.open("/out", os.O_RDONLY))
print("went on", flush=True)'
	wait_for "$SYNC/ready"
	kill_shadow
	start_shadow --key "$BATS_FILE_TMPDIR/other.key"
	t0=$SECONDS
	touch "$SYNC/go"
	guest_status
	[ "$status" = 122 ] || { echo "want 122"; show; return 1; } >&2
	[ $((SECONDS - t0)) -lt 20 ] || { echo "took $((SECONDS - t0)) s: not at once"; return 1; } >&2
	! grep -q 'went on' "$BATS_TEST_TMPDIR/guest.out" || { echo "the program went on"; show; return 1; } >&2
	err_has "; dialing it again: 127.0.0.1:$PORT: the shadow does not accept key .*; the program was stopped$"

	# a signal to splitrun while it dials (kill, ^C) ends the wait
	kill_shadow
	rm -f "$SYNC"/*
	start_shadow --key "$BATS_FILE_TMPDIR/k.key"
	guest --key "$BATS_FILE_TMPDIR/k.key" --on-disconnect=reconnect --reconnect-timeout=60 -- "$PY_PRELUDE"'
signal_and_wait("ready")
did("open", lambda: os.open("/out", os.O_RDONLY))
print("went on", flush=True)'
	wait_for "$SYNC/ready"
	kill_shadow
	touch "$SYNC/go"
	local i
	for i in $(seq 200); do
		grep -q 'dialing it again for up to' "$BATS_TEST_TMPDIR/guest.err" && break
		sleep 0.02
	done
	sleep 0.3
	t0=$SECONDS
	kill -TERM "$(pgrep -P "$GUEST" -x splitrun)"
	guest_status
	[ "$status" = 122 ] || { echo "want 122"; show; return 1; } >&2
	[ $((SECONDS - t0)) -lt 10 ] || { echo "took $((SECONDS - t0)) s after the signal"; return 1; } >&2
	err_has '; dialing it again: splitrun received a signal meanwhile; the program was stopped$'
}

@test "the shadow SIGKILLed at random moments while a program writes a file (stop, eio, reconnect): no success for data not stored, home holds a prefix" {
	local iterations=${SPLIT_FAULTS_ITERATIONS:-40}
	run timeout -k 5 300 python3 "$BATS_TEST_DIRNAME/kill_shadow.py" --splitrun "$SPLITRUN" --shadow-bin "$SHADOW" \
		--guest "$GUEST_BIN/write_pattern" --work "$BATS_TEST_TMPDIR" --modes default,eio,reconnect \
		--iterations "$iterations" --window 1 --budget 60
	echo "$output" | grep -v '^# [0-9]' >&2
	[ "$status" = 0 ] || { echo "kill_shadow.py: status $status"; echo "$output" | grep -A3 '^FAIL'; return 1; } >&2
	local summary
	summary=$(echo "$output" | grep '^summary: ')
	[[ "$summary" =~ ^summary:\ ([0-9]+)\ iterations,\ 0\ failures ]] || { echo "no clean summary: $summary"; return 1; } >&2
	[ "${BASH_REMATCH[1]}" -ge $((iterations / 2)) ] || { echo "only ${BASH_REMATCH[1]} iterations ran"; return 1; } >&2
	# the kills landed in the middle: some runs were killed, some files left partial
	[[ "$summary" =~ killed\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 3 ] || { echo "too few kills landed: $summary"; return 1; } >&2
	[[ "$summary" =~ partial\ ([0-9]+) ]] || { echo "no kill left a file partial: $summary"; return 1; } >&2
}
