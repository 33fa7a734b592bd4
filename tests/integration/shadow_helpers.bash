# tests/integration/shadow_helpers.bash: shared by the shadow bats files
# (tests/integration/shadow_*.bats, tests/cross/shadow*.bats). Starts and
# stops splitrun-shadow processes (only those it started, by PID), builds
# the fixture tree the scripts in tests/integration/shadow/ expect, and runs
# the script client.

SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/shadow"

shadow_setup() {
	SHADOW=${SPLITRUN_BINDIR:?}/splitrun-shadow
	CLIENT=${SPLITRUN_TESTBIN:?}/shadow_client
	[ -x "$SHADOW" ] || { echo "no $SHADOW" >&2; return 1; }
	[ -x "$CLIENT" ] || { echo "no $CLIENT" >&2; return 1; }
	WORK=$BATS_TEST_TMPDIR
	SHADOW_PIDS=()
	PUBLIC_DIRS=()
}

# Kills what this test started and is still running; fails the test if a
# shadow's stderr holds a sanitizer report.
shadow_teardown() {
	local pid
	for pid in "${SHADOW_PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	local d
	for d in "${PUBLIC_DIRS[@]}"; do
		[ -n "$d" ] && rm -rf "$d"
	done
	sanitizer_clean
}

sanitizer_clean() {
	local f bad=0
	for f in "$WORK"/shadow*.err; do
		[ -e "$f" ] || continue
		if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f"; then
			echo "sanitizer report in $f:" >&2
			head -40 "$f" >&2
			bad=1
		fi
	done
	return $bad
}

# public_dir: makes a directory anybody may enter (for shadows run as
# nobody: bats's own temporary directories are private to root), sets
# PUBLIC_DIR to it, and has teardown remove it. Not in a $(...) subshell,
# or teardown would not know of it.
public_dir() {
	PUBLIC_DIR=$(mktemp -d /tmp/splitrun-shadow-test.XXXXXX)
	chmod 755 "$PUBLIC_DIR"
	PUBLIC_DIRS+=("$PUBLIC_DIR")
}

# make_tree DIR: the tree every script expects (see shadow/README).
make_tree() {
	local r=$1
	mkdir -p "$r"
	printf 'hello\n' > "$r/f"
	mkdir "$r/d" "$r/e"
	printf 'in d\n' > "$r/d/g"
	ln -s f "$r/lf"
	ln -s d "$r/ld"
	ln -s /etc/passwd "$r/abs"
	ln -s / "$r/rootlink"
	ln -s ../../../../../../../../etc "$r/up"
	ln -s chain2 "$r/chain1"
	ln -s chain3 "$r/chain2"
	ln -s f "$r/chain3"
	ln -s loop2 "$r/loop1"
	ln -s loop1 "$r/loop2"
	ln -s nowhere "$r/dangling"
	mkfifo "$r/fifo"
	printf 'read only\n' > "$r/ro"
	chmod 444 "$r/ro"
	mkdir "$r/private"
	printf 'secret\n' > "$r/private/s"
	chmod 700 "$r/private"
	printf 'x' > "$r/d/h"
	chmod 600 "$r/d/h"
	chmod 755 "$r" "$r/d" "$r/e"
	chmod 644 "$r/f" "$r/d/g"
}

# start_shadow NAME ROOT [OPTIONS...]: runs $SHADOW_CMD (default: the
# shadow) in the background; sets SHADOW_PID and SHADOW_ADDR from the line it
# prints. Output goes to $WORK/shadow-NAME.{out,err} and the log to
# ${SHADOW_LOGDIR:-$WORK}/shadow-NAME.log.
start_shadow() {
	local name=$1 root=$2
	shift 2
	local out=$WORK/shadow-$name.out
	: > "$out"
	${SHADOW_WRAP:-} "$SHADOW" --root "$root" --log "${SHADOW_LOGDIR:-$WORK}/shadow-$name.log" "$@" \
		> "$out" 2> "$WORK/shadow-$name.err" &
	SHADOW_PID=$!
	SHADOW_PIDS+=("$SHADOW_PID")
	local k
	for k in $(seq 1 200); do
		if grep -q '^splitrun --shadow ' "$out"; then
			SHADOW_ADDR=$(sed -n 's/^splitrun --shadow //p' "$out")
			return 0
		fi
		kill -0 "$SHADOW_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "shadow $name did not start; stderr:" >&2
	cat "$WORK/shadow-$name.err" >&2
	return 1
}

# stop_shadow PID [SECONDS]: SIGTERM, then waits; the exit status is left
# in STOP_STATUS (124 if it did not exit in time).
stop_shadow() {
	local pid=$1 limit=${2:-15} k
	kill -TERM "$pid" 2>/dev/null || true
	for k in $(seq 1 $((limit * 20))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		STOP_STATUS=124
		return 0
	fi
	STOP_STATUS=0
	wait "$pid" || STOP_STATUS=$?
}

# fd_count PID: open descriptors of PID.
fd_count() {
	ls "/proc/$1/fd" | wc -l
}

# run_script NAME SCRIPT [ADDR]: runs the client with --check; prints its
# output and mismatches on failure.
run_script() {
	local name=$1 script=$2 addr=${3:-$SHADOW_ADDR} status=0
	timeout -s KILL 120 "$CLIENT" "$addr" --check "$script" > "$WORK/$name.out" 2> "$WORK/$name.err" || status=$?
	if [ "$status" -ne 0 ]; then
		echo "script $script against $addr: status $status" >&2
		cat "$WORK/$name.err" >&2
		echo "--- full output" >&2
		cat "$WORK/$name.out" >&2
		return 1
	fi
}

# start_in_mode MODE NAME ROOT [OPTIONS...]: MODE thread (openat2), process
# (--multiprocess) or fallback (the by-hand walk, SPLITRUN_SHADOW_NO_OPENAT2=1).
start_in_mode() {
	local mode=$1 name=$2 root=$3
	shift 3
	case $mode in
	thread) start_shadow "$name" "$root" --multithread "$@" ;;
	process) start_shadow "$name" "$root" --multiprocess "$@" ;;
	fallback) SPLITRUN_SHADOW_NO_OPENAT2=1 start_shadow "$name" "$root" "$@" ;;
	*) echo "start_in_mode: no mode $mode" >&2; return 1 ;;
	esac
}

# ns_wrapper ROOT: prints a command prefix that runs a program in a private
# mount namespace with procfs mounted at ROOT/proc and a tmpfs at ROOT/mnt
# (the program keeps the wrapper's PID).
ns_wrapper() {
	local root=$1
	mkdir -p "$root/proc" "$root/mnt"
	cat > "$WORK/ns.sh" <<-EOF2
	#!/bin/sh
	set -e
	mount -t proc proc "$root/proc"
	mount -t tmpfs -o size=8m tmpfs "$root/mnt"
	exec "\$@"
	EOF2
	chmod +x "$WORK/ns.sh"
	echo "unshare --mount --propagation private $WORK/ns.sh"
}

# stress_check NAME ROOT: runs 32 sessions x 1000 ops against $SHADOW_ADDR
# (each leaving 5 handles open at its hang-up); every result must match the
# client's model, and the tree beneath ROOT the model, file by file.
stress_check() {
	local name=$1 root=$2
	mkdir -p "$WORK/model-$name"
	timeout -s KILL 300 "$CLIENT" "$SHADOW_ADDR" --stress 32 1000 --model "$WORK/model-$name" --keep-open \
		> "$WORK/stress-$name.out" 2>&1 || { cat "$WORK/stress-$name.out" >&2; return 1; }
	cat "$WORK/stress-$name.out"
	grep -qx 'stress: 32 sessions x 1000 ops: 3[0-9]* ops, 0 wrong' "$WORK/stress-$name.out"
	local k
	for k in $(seq 0 31); do
		diff -r "$WORK/model-$name/s$k" "$root/s$k" ||
			{ echo "session $k: the tree differs from the model" >&2; return 1; }
	done
}
