#!/usr/bin/env bats
# Split execution beyond plain remote files: programs and #! scripts stored
# at home (staged before they run), the stage method (open-to-close
# consistency, write-back only of what changed), the policy's deny,
# readonly and log rules, identity and clock sent home (the vDSO hidden),
# and the calls split mode refuses (each with a one-time warning).

load split_helpers

setup_file() {
	split_start_shadow
	mkdir -p "$BATS_FILE_TMPDIR/bin"
	cp "${SPLITRUN_TESTBIN:?}/progs/split_calls" "$BATS_FILE_TMPDIR/bin/"
	export CALLS=$BATS_FILE_TMPDIR/bin/split_calls
}

teardown_file() {
	split_stop_shadow
}

setup() {
	split_fixture "t$BATS_TEST_NUMBER"
	T=t$BATS_TEST_NUMBER
	SPLIT_POLICY=
}

# Adds a program and scripts to both trees.
add_programs() {
	local d
	for d in "$SPLIT_NATIVE/$T" "$SPLIT_ROOT/$T"; do
		cp /bin/echo "$d/myecho"
		printf '#!./myecho hello\n' > "$d/hello.sh"
		printf '#!/bin/sh\necho "zero=$0 args=$*"\n' > "$d/zero.sh"
		chmod 755 "$d/hello.sh" "$d/zero.sh"
		printf 'not executable\n' > "$d/plain.txt"
	done
}

@test "a remote program, a #! script with a remote interpreter, \$0 of a remote script, PATH search" {
	add_programs
	split_both './myecho a b; ./hello.sh x y; ./zero.sh p q; sh -c "./zero.sh r"; PATH=.:/usr/bin:/bin myecho via-path'
	split_both './plain.txt; echo "status $?"; ./missing; echo "status $?"; ./sub; echo "status $?"'
}

# Programs and scripts at home by every kind of name. Under user
# notification each name takes its own way (docs/architecture.md,
# "Programs without rewriting"): the guest's own name in the run directory,
# a name written over the guest's there, /dev/fd/N.
add_named_programs() {
	local d
	for d in "$SPLIT_NATIVE/$T" "$SPLIT_ROOT/$T"; do
		mkdir -p "$d/bin" "$d/deep/er"
		cp /bin/echo "$d/a"
		cp /bin/echo "$d/bin/tool"
		cp /bin/echo "$d/deep/er/e"
		cp /bin/cat "$d/mycat"
		cp /bin/ls "$d/myls"
		printf '#!/bin/sh\necho "tool.sh $0 $*"\n' > "$d/bin/tool.sh"
		printf '#!/bin/sh -u\necho "arg.sh $0 $#: $*"\n' > "$d/arg.sh"
		printf 'echo "no #! line: $0 $*"\n' > "$d/noline.sh"
		printf '#!/nonexistent/interpreter\n' > "$d/lost.sh"
		printf '#!./loop.sh\n' > "$d/loop.sh"
		chmod 755 "$d/bin/tool.sh" "$d/arg.sh" "$d/noline.sh" "$d/lost.sh" "$d/loop.sh"
	done
}

@test "programs stored at home by any name: absolute, relative, short, in a subdirectory, after cd, through PATH, env and find" {
	add_programs
	add_named_programs
	split_both '"$PWD/myecho" absolute; ./a short; a=./a; $a again; deep/er/e nested; ./deep//./er/e odd; cd deep && ./er/e after-cd && ../myecho dotdot && cd er && ./e deeper && "$OLDPWD/../a" by-oldpwd'
	split_both 'PATH=$PWD/bin:/usr/bin:/bin; tool via-path; tool.sh via-path; PATH=bin:/usr/bin:/bin; tool relative-path; env tool by-env; find . -name tool -exec {} by-find \;'
	# /proc/self/comm is the program'"'"'s own name; no fd of splitrun'"'"'s is left in it.
	split_both './mycat /proc/self/comm; "$PWD/mycat" /proc/self/comm; ./myls /proc/self/fd; "$PWD/myls" /proc/self/fd'
}

@test "programs stored at home started by posix_spawn and vfork (python, make without a shell)" {
	add_programs
	add_named_programs
	split_both 'python3 -c "
import os, subprocess
subprocess.run([\"./a\", \"vfork\"])
subprocess.run([os.getcwd() + \"/myecho\", \"vfork-absolute\"])
subprocess.run([\"./zero.sh\", \"script-by-vfork\"])
os.waitpid(os.posix_spawn(\"./a\", [\"a\", \"posix_spawn\"], os.environ), 0)
os.waitpid(os.posix_spawn(os.getcwd() + \"/deep/er/e\", [\"e\", \"posix_spawn-absolute\"], os.environ), 0)
"'
	split_both 'printf "all:\n\t./a from-make\n\tdeep/er/e from-make\n\t./arg.sh from-make\n" > Makefile && make -s'
}

@test "scripts stored at home: an argument on the #! line, no #! line, a lost interpreter, an interpreter that is a script, a loop" {
	add_programs
	add_named_programs
	split_both './arg.sh one two; sh -c "./arg.sh three"; ./noline.sh x; echo "status $?"; ./lost.sh; echo "status $?"'
	# An interpreter at home that is a script itself: by a relative name,
	# and by an absolute one (each tree's own: removed before the trees
	# are compared).
	split_seed 'printf "#!./zero.sh\n" > nested.sh && chmod 755 nested.sh'
	printf '#!%s/%s/zero.sh -x\n' "$SPLIT_NATIVE" "$T" > "$SPLIT_NATIVE/$T/nested-abs.sh"
	printf '#!/%s/zero.sh -x\n' "$T" > "$SPLIT_ROOT/$T/nested-abs.sh"
	chmod 755 "$SPLIT_NATIVE/$T/nested-abs.sh" "$SPLIT_ROOT/$T/nested-abs.sh"
	split_both './nested.sh n1 n2; echo "status $?"; ./loop.sh; echo "status $?"; "$PWD/zero.sh" absolute; "$PWD/nested.sh" absolute; ./nested-abs.sh a1; rm nested-abs.sh'
}

@test "the program splitrun starts may be remote itself" {
	add_programs
	split_run -C "/$T" -- ./hello.sh first
	[ "$split_status" = 0 ] && [ "$(cat "$BATS_TEST_TMPDIR/split.out")" = "hello ./hello.sh first" ] ||
		{ echo "status $split_status: $(cat "$BATS_TEST_TMPDIR/split.out") $(cat "$BATS_TEST_TMPDIR/split.err")"; return 1; } >&2
	split_run -- "/$T/myecho" absolute
	[ "$split_status" = 0 ] && [ "$(cat "$BATS_TEST_TMPDIR/split.out")" = "absolute" ]
	# A short name, a script by absolute path ($0 as given), from a local cwd.
	split_run -C "/$T" -- ./myecho short
	[ "$split_status" = 0 ] && [ "$(cat "$BATS_TEST_TMPDIR/split.out")" = "short" ]
	split_run -- "/$T/zero.sh" a b
	[ "$split_status" = 0 ] && [ "$(cat "$BATS_TEST_TMPDIR/split.out")" = "zero=/$T/zero.sh args=a b" ] ||
		{ echo "status $split_status: $(cat "$BATS_TEST_TMPDIR/split.out") $(cat "$BATS_TEST_TMPDIR/split.err")"; return 1; } >&2
	split_run -- "/$T/missing-program"
	[ "$split_status" = 127 ] || { echo "status $split_status, want 127"; return 1; } >&2
	# The default backend needs no ptrace for it: the program sees no tracer.
	printf '#!/bin/sh\ngrep TracerPid /proc/$$/status\n' > "$SPLIT_ROOT/$T/tracer.sh"
	chmod 755 "$SPLIT_ROOT/$T/tracer.sh"
	split_run --backend=auto -C "/$T" -- ./tracer.sh
	[ "$split_status" = 0 ] && [ "$(tr -d ' \t' < "$BATS_TEST_TMPDIR/split.out")" = "TracerPid:0" ] ||
		{ echo "status $split_status: $(cat "$BATS_TEST_TMPDIR/split.out") $(cat "$BATS_TEST_TMPDIR/split.err")"; return 1; } >&2
}

@test "the run directory: the kernel cwd of a remote cwd, unseen by the program, removed at the end" {
	add_programs
	mkdir "$BATS_TEST_TMPDIR/tmp"
	local SPLIT_RUN_ENV=(TMPDIR="$BATS_TEST_TMPDIR/tmp")
	split_run -C "/$T" -- sh -c 'pwd; /bin/pwd; readlink /proc/self/cwd; ls -d .; ls -a sub; ./myecho ran; python3 -c "import os; print(os.getcwd())"'
	printf '/%s\n/%s\n/%s\n.\n.\n..\nb.txt\ndeeper\nran\n/%s\n' "$T" "$T" "$T" "$T" > "$BATS_TEST_TMPDIR/want"
	[ "$split_status" = 0 ] || { cat "$BATS_TEST_TMPDIR/split.err" >&2; return 1; }
	differ "a remote cwd" "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/split.out"
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/tmp")" ] || { echo "left behind:"; find "$BATS_TEST_TMPDIR/tmp"; return 1; } >&2
}

@test "under user notification, a short name a local kernel cwd cannot hold is refused clearly" {
	add_programs
	# The run starts in a local directory; the cd into a remote one is
	# virtual, so './a' cannot be given a name the kernel finds (ptrace
	# gives the kernel the staged copy's path instead). A longer name can.
	cp /bin/echo "$SPLIT_ROOT/$T/a"
	split_run -- sh -c "cd /$T && ./a short; echo \"status \$?\"; /$T/a; echo \"status \$?\"; ./sub/../myecho longer; /$T/sub/../a absolute"
	if under_unotify; then
		printf 'status 126\nstatus 126\nlonger\nabsolute\n' > "$BATS_TEST_TMPDIR/want"
		[ "$(grep -c '^splitrun: ' "$BATS_TEST_TMPDIR/split.err")" = 1 ] &&
		grep -qx 'splitrun: execve: running a program stored at home by so short a name needs a longer path to it here (as long as the /dev/fd/N that takes its place), a cwd at home from the start (-C DIR), or --backend=ptrace; it fails with ENOSYS (docs/limits.md)' \
			"$BATS_TEST_TMPDIR/split.err" || { cat "$BATS_TEST_TMPDIR/split.err" >&2; return 1; }
	else
		printf 'short\nstatus 0\n\nstatus 0\nlonger\nabsolute\n' > "$BATS_TEST_TMPDIR/want"
	fi
	differ "a short name from a local kernel cwd" "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/split.out"
}

@test "stage: the same outcomes as native for open, stat, names, directories, data, fd flags and mmap" {
	SPLIT_POLICY=$(split_policy "path /$T/** stage")
	local s
	for s in open stat change names dirs io fdflags map copy; do
		split_both "$CALLS $s"
	done
}

@test "stage: open-to-close consistency, write-back only of a changed file, and of a new one" {
	local pol
	pol=$(split_policy "path /$T/** stage")
	split_run --policy "$pol" -C "/$T" --summary -- sh -c '
		exec 3<> a.txt; printf NEW >&3
		echo "while open: $(head -c 5 a.txt)"
		exec 3>&-
		echo "after close: $(head -c 5 a.txt)"
		exec 4< sub/b.txt; exec 4<&-
		echo created > new.txt'
	printf 'while open: alpha\nafter close: NEWha\n' > "$BATS_TEST_TMPDIR/want"
	differ "staged reads" "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/split.out"
	[ "$(cat "$SPLIT_ROOT/$T/new.txt")" = created ]
	# b.txt was only read: not written back (its mtime is the fixture's).
	[ "$(stat -c %Y "$SPLIT_ROOT/$T/sub/b.txt")" = "$(stat -c %Y "$SPLIT_NATIVE/$T/sub/b.txt")" ]
	grep -Eq 'splitrun: .* [1-9][0-9]* staged, .*; [1-9][0-9]* files staged, 2 written back$' "$BATS_TEST_TMPDIR/split.err" ||
		{ cat "$BATS_TEST_TMPDIR/split.err" >&2; return 1; }
}

@test "stage: a shared writable mapping of a staged file reaches home at the close" {
	local pol
	pol=$(split_policy "path /$T/** stage")
	split_run --policy "$pol" -C "/$T" -- python3 -c '
import mmap
with open("a.txt", "r+b") as f:
    m = mmap.mmap(f.fileno(), 0)
    m[0:5] = b"ALPHA"
    m.close()
print(open("a.txt").read().split()[0])'
	[ "$split_status" = 0 ] || { cat "$BATS_TEST_TMPDIR/split.err" >&2; return 1; }
	[ "$(head -c 5 "$SPLIT_ROOT/$T/a.txt")" = ALPHA ]
}

@test "policy rules: deny ERRNO, readonly, log, call deny" {
	local pol
	pol=$(split_policy "path /$T/sub/** deny EACCES" "path /$T/empty-dir/** remote readonly" \
		"path /$T/a.txt remote log" "call getppid deny EPERM")
	split_run --policy "$pol" -C "/$T" -- sh -c '
		cat sub/b.txt; echo "status $?"
		touch empty-dir/x; echo "status $?"
		ls empty-dir; echo "status $?"
		cat a.txt > /dev/null
		cat /proc/self/status > /dev/null'
	grep -q 'cat: sub/b.txt: Permission denied' "$BATS_TEST_TMPDIR/split.err"
	grep -q "touch: cannot touch 'empty-dir/x': Read-only file system" "$BATS_TEST_TMPDIR/split.err"
	grep -q '^openat(AT_FDCWD, "a.txt", O_RDONLY) *= [0-9]* \[remote\]$' "$BATS_TEST_TMPDIR/split.err" ||
		{ echo "no logged openat of a.txt:"; cat "$BATS_TEST_TMPDIR/split.err"; return 1; } >&2
	printf 'status 1\nstatus 1\nstatus 0\n' > "$BATS_TEST_TMPDIR/want"
	differ "statuses" "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/split.out"
	split_run --policy "$pol" -- "$CALLS" open
	[ "$split_status" = 0 ]
	split_run --policy "$pol" -- python3 -c 'import os; print(os.getppid())'
	[ "$(cat "$BATS_TEST_TMPDIR/split.out")" = -1 ] || [[ "$(cat "$BATS_TEST_TMPDIR/split.err")" == *PermissionError* ]] ||
		{ echo "getppid was not denied:"; cat "$BATS_TEST_TMPDIR/split.out" "$BATS_TEST_TMPDIR/split.err"; return 1; } >&2
}

@test "identity and clock sent home: the calls go remote, the vDSO is out of the way" {
	local pol
	pol=$(split_policy "call clock_gettime,gettimeofday,time remote" \
		"call uname,getuid,geteuid,getgid,getegid,getgroups remote")
	if under_unotify; then
		split_run --policy "$pol" -- true
		[ "$split_status" = 2 ] && grep -q '^splitrun: --backend=unotify: the policy sends the clock home, .*needs --backend=ptrace$' \
			"$BATS_TEST_TMPDIR/split.err" || { echo "status $split_status"; cat "$BATS_TEST_TMPDIR/split.err"; return 1; } >&2
		# Identity alone goes home under either backend.
		pol=$(split_policy "call uname,getuid,geteuid,getgid,getegid,getgroups remote")
		split_run --policy "$pol" --trace -f -e trace=uname,getuid,getgroups -- sh -c 'id; uname -n'
		[ "$split_status" = 0 ] && grep -q 'uname(.*) *= 0 \[remote\]' "$BATS_TEST_TMPDIR/split.err" &&
			grep -q 'getuid() *= [0-9]* \[remote\]' "$BATS_TEST_TMPDIR/split.err" ||
			{ cat "$BATS_TEST_TMPDIR/split.err" >&2; return 1; }
		printf '%s\n%s\n' "$(id)" "$(uname -n)" > "$BATS_TEST_TMPDIR/want"
		differ "id and uname -n" "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/split.out"
		return 0
	fi
	split_run --policy "$pol" --trace -f -e trace=clock_gettime,uname,getuid,getgroups -- \
		sh -c 'id; uname -n; date +%s'
	[ "$split_status" = 0 ] || { cat "$BATS_TEST_TMPDIR/split.err" >&2; return 1; }
	local e=$BATS_TEST_TMPDIR/split.err
	grep -q 'clock_gettime(CLOCK_REALTIME, .*) *= 0 \[remote\]' "$e" &&
		grep -q 'uname(.*) *= 0 \[remote\]' "$e" && grep -q 'getuid() *= [0-9]* \[remote\]' "$e" &&
		grep -q 'getgroups(.*) *= [0-9]* \[remote\]' "$e" ||
		{ echo "a call did not go home:"; cat "$e"; return 1; } >&2
	# This machine is home too: the answers are this machine's.
	printf '%s\n%s\n' "$(id)" "$(uname -n)" > "$BATS_TEST_TMPDIR/want"
	head -2 "$BATS_TEST_TMPDIR/split.out" > "$BATS_TEST_TMPDIR/got"
	differ "id and uname -n" "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	local then now
	then=$(tail -1 "$BATS_TEST_TMPDIR/split.out")
	now=$(date +%s)
	[ $((now - then)) -ge 0 ] && [ $((now - then)) -lt 60 ]
	# Without a remote clock rule the vDSO answers: no clock_gettime trap.
	split_run --trace -f -e trace=clock_gettime -- date +%s
	! grep -q 'CLOCK_REALTIME' "$BATS_TEST_TMPDIR/split.err"
}

@test "refused calls: each fails with its errno and one warning; xattrs quietly ENOTSUP; clone3 ENOSYS" {
	split_run -C "/$T" -- "$CALLS" refused
	cat > "$BATS_TEST_TMPDIR/want" <<-EOF
	== refused
	getxattrat: -1 ENOSYS
	inotify_add_watch on a remote path: -1 EOPNOTSUPP
	ioctl BLKGETSIZE64: -1 ENOTTY
	sendmsg of a remote fd: -1 EOPNOTSUPP
	getxattr on a remote path (no warning): -1 EOPNOTSUPP
	clone3 (libc falls back to clone): -1 ENOSYS
	EOF
	differ "refusals" "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/split.out"
	local e=$BATS_TEST_TMPDIR/split.err
	[ "$(grep -c '^splitrun: ' "$e")" = 4 ] && grep -q '^splitrun: getxattrat: .*ENOSYS (docs/limits.md)$' "$e" &&
		grep -q '^splitrun: inotify_add_watch: .*EOPNOTSUPP' "$e" &&
		grep -q '^splitrun: ioctl: .*ENOTTY' "$e" && grep -q '^splitrun: sendmsg: .*EOPNOTSUPP' "$e" ||
		{ echo "warnings:"; cat "$e"; return 1; } >&2
}

@test "a CLONE_UNTRACED child is followed all the same" {
	split_run -C "/$T" -- "$CALLS" untraced
	grep -qx 'a CLONE_UNTRACED child read a remote file: yes' "$BATS_TEST_TMPDIR/split.out" ||
		{ cat "$BATS_TEST_TMPDIR/split.out" "$BATS_TEST_TMPDIR/split.err" >&2; return 1; }
}
