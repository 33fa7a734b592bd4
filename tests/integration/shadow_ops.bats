#!/usr/bin/env bats
# splitrun-shadow executes every op of the wire format with Linux's results
# and errors. Each script of tests/integration/shadow/ runs against a fresh
# tree (make_tree) three ways: sessions as threads with openat2 resolution,
# sessions as processes, and with the by-hand resolution that stands in for
# openat2 where it is missing (SPLITRUN_SHADOW_NO_OPENAT2=1, as under
# qemu-user). The client compares every result with the script's own
# expectation (=> exact, =~ glob) and names the line that differed.

load shadow_helpers

setup() {
	shadow_setup
}

teardown() {
	shadow_teardown
}

# script_three_ways NAME [EXTRA SHADOW OPTIONS]
script_three_ways() {
	local name=$1 mode
	shift
	for mode in thread process fallback; do
		rm -rf "$WORK/root-$mode"
		make_tree "$WORK/root-$mode"
		start_in_mode "$mode" "$name-$mode" "$WORK/root-$mode" "$@"
		if ! run_script "$name-$mode" "$SCRIPTS/$name.script"; then
			echo "($mode mode)" >&2
			return 1
		fi
		stop_shadow "$SHADOW_PID"
		[ "$STOP_STATUS" -eq 0 ] || { echo "$mode: shadow exited with $STOP_STATUS" >&2; return 1; }
	done
	if [ "$name" != robust ] && grep -q 'dropped' "$WORK"/shadow-"$name"-*.log; then
		echo "a session was dropped:" >&2
		grep dropped "$WORK"/shadow-"$name"-*.log >&2
		return 1
	fi
}

@test "open: access modes, O_CREAT|O_EXCL, O_DIRECTORY, O_NOFOLLOW, O_TMPFILE, openat2 resolve flags, errors" {
	script_three_ways open
}

@test "read, pread, readv, write, pwrite, writev, lseek (SEEK_DATA/HOLE), dup, close, EBADF" {
	script_three_ways io
}

@test "fstat, stat/lstat, statx, access, readlink, statfs/fstatfs" {
	script_three_ways stat
}

@test "getdents on a directory handle (whole and in batches), mkdir, rmdir, unlink, dots and trailing slashes" {
	script_three_ways dir
}

@test "rename with RENAME_NOREPLACE/EXCHANGE, link (AT_SYMLINK_FOLLOW, AT_EMPTY_PATH), symlink" {
	script_three_ways names
}

@test "chmod/fchmod, chown/fchown/lchown, truncate/ftruncate, utimens/futimens (UTIME_NOW/OMIT), fallocate, copy_file_range" {
	script_three_ways attrs
}

@test "record locks between sessions: F_GETLK/F_SETLK/F_SETLKW per session, OFD locks per open, released on close and hang-up" {
	script_three_ways locks
}

@test "chdir/fchdir/getcwd: a cwd per session that follows renames and reports removal" {
	script_three_ways cwd
}

@test "COMPOUND: results feed later ops, execution stops at the first failure" {
	script_three_ways compound
}

@test "--read-only refuses every write op with EROFS and serves the rest" {
	script_three_ways readonly --read-only
}

@test "identity and clock: uname, gethostname, ids, clock_gettime(REALTIME) are the shadow host's" {
	make_tree "$WORK/root"
	start_shadow id "$WORK/root"
	printf 'uname\ngethostname\nids\nclock\nclock 1\nstatfs /\n' > "$WORK/id.script"
	"$CLIENT" "$SHADOW_ADDR" "$WORK/id.script" > "$WORK/id.out"
	cat "$WORK/id.out"
	# getgroups() lists what /proc/PID/status calls Groups.
	local groups
	groups=$(sed -n 's/^Groups:[[:space:]]*//p' "/proc/$SHADOW_PID/status" | xargs | tr ' ' ,)
	diff -u - "$WORK/id.out" <<-EOF2
	uname => sysname=$(uname -s) nodename=$(uname -n) release=$(uname -r) machine=$(uname -m)
	gethostname => $(hostname)
	ids => uid=$(id -u) euid=$(id -u) gid=$(id -g) egid=$(id -g) groups=${groups:-none}
	clock => now
	clock 1 => EINVAL
	statfs / => type=0x$(stat -f -c %t "$WORK/root") bsize=$(stat -f -c %S "$WORK/root") namelen=$(stat -f -c %l "$WORK/root") blocks=some
	EOF2
}

@test "permissions as an unprivileged user (setpriv nobody): EACCES and EPERM where Linux gives them" {
	command -v setpriv >/dev/null
	local mode root pub
	for mode in thread process fallback; do
		public_dir
		pub=$PUBLIC_DIR
		root=$pub/root
		make_tree "$root"
		mkdir "$root/pub"
		chmod 1777 "$root/pub"
		chmod 777 "$pub"
		local opt=--multithread
		[ $mode = process ] && opt=--multiprocess
		local wrap="setpriv --reuid=65534 --regid=65534 --clear-groups"
		if [ $mode = fallback ]; then
			SPLITRUN_SHADOW_NO_OPENAT2=1 SHADOW_WRAP=$wrap SHADOW_LOGDIR=$pub start_shadow "eacces-$mode" "$root" $opt
		else
			SHADOW_WRAP=$wrap SHADOW_LOGDIR=$pub start_shadow "eacces-$mode" "$root" $opt
		fi
		[ "$(stat -c %u "/proc/$SHADOW_PID")" = 65534 ]
		run_script "eacces-$mode" "$SCRIPTS/eacces.script" || { echo "($mode mode)" >&2; return 1; }
		stop_shadow "$SHADOW_PID"
		[ "$STOP_STATUS" -eq 0 ]
	done
}
