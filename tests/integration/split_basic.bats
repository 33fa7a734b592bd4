#!/usr/bin/env bats
# Split execution, the basics: real programs run twice, natively on a tree
# and through splitrun on the same tree held only by a splitrun-shadow;
# stdout, stderr, exit status and the resulting tree (content hash, mode,
# symlink target of every entry) must be the same. Then what is split mode's
# own: the cwd under a remote directory, /proc/self/fd and /proc/self/cwd,
# --trace marks, the lost-shadow rule and the command line's errors.

load split_helpers

setup_file() {
	split_start_shadow
}

teardown_file() {
	split_stop_shadow
}

setup() {
	split_fixture "t$BATS_TEST_NUMBER"
}

@test "cat: small files, a missing one, a 3 MB one through a pipe" {
	split_both 'cat a.txt sub/b.txt "with space.txt" empty'
	split_both 'cat a.txt missing.txt; echo "status $?"'
	split_both 'cat big.bin | sha256sum; wc -c < big.bin'
}

@test "cat writes: a 3 MB copy, appends, truncation" {
	split_both 'cat big.bin > copy.bin && cat a.txt >> copy.bin && cat sub/b.txt > a.txt'
}

@test "ls -l, ls -la, ls -R, ls of a missing name" {
	split_both 'ls -l'
	split_both 'ls -la sub'
	split_both 'ls -R'
	split_both 'ls -l no-such-dir; echo "status $?"'
}

@test "cp: a file, cp -r, cp -a (modes, symlinks), onto an existing file" {
	split_both 'cp a.txt a2.txt && cp -r sub sub2 && cp -a . ../../ignored 2>/dev/null; cp -a sub sub3 && cp sub/b.txt a.txt'
	split_both 'cp big.bin big2.bin && cmp big.bin big2.bin && cp -a link-to-a dangling empty-dir copies/ 2>&1; mkdir copies && cp -a link-to-a dangling empty-dir copies/'
}

@test "mkdir -p, mkdir of an existing directory, rmdir" {
	split_both 'mkdir -p x/y/z && mkdir -p x/y/z sub/new && mkdir sub; echo "status $?"; rmdir sub/new x/y/z && rmdir x/y x; rmdir sub; echo "status $?"'
}

@test "rm -r, rm -rf, rm of a missing file" {
	split_both 'rm -r sub && rm -rf empty-dir link-to-sub && rm missing; echo "status $?"; rm -f empty dangling'
}

@test "sh redirections: <, >, >>, 2>&1 and pipelines" {
	split_both 'wc -l < a.txt > count.txt; echo more >> count.txt; ls missing > out.txt 2>&1; cat a.txt | sort -r | head -2 > sorted.txt; cat count.txt out.txt sorted.txt'
	split_both 'exec 3< a.txt; exec 0<&3; read first; echo "read $first"; exec 1> redirected.txt; echo into-file; exec 2>&1; ls missing'
}

@test "cd into a remote directory, then relative paths" {
	split_both 'cd sub && cat b.txt && ls && cd deeper && pwd && /bin/pwd && ls .. && cat ../b.txt > ../../from-deep.txt && cd ../.. && cat from-deep.txt'
	split_both 'cd link-to-sub && /bin/pwd -P; pwd; cat b.txt'
	split_both 'cd missing; echo "status $?"; cd a.txt; echo "status $?"'
}

@test "-C a remote directory through a symlink: getcwd reports the physical path" {
	split_run -C "/t$BATS_TEST_NUMBER/link-to-sub" -- sh -c '/bin/pwd; cat b.txt'
	printf '/t%s/sub\nline1\nline2\n' "$BATS_TEST_NUMBER" > "$BATS_TEST_TMPDIR/want"
	[ "$split_status" = 0 ] && differ "-C through a symlink" "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/split.out"
}

@test "symlinks: readlink, following, creating" {
	split_both 'readlink link-to-a dangling; cat link-to-a; ln -s sub/b.txt newlink && cat newlink && ln -s x dangling; echo "status $?"; ls -l newlink link-to-sub'
}

@test "modes and the umask reach the shadow" {
	split_both 'umask 077; touch new && mkdir newdir && chmod 640 a.txt && chmod u+x sub/b.txt; umask 022; echo x > other; ls -l new other a.txt sub/b.txt; stat -c "%a %n" newdir'
}

@test "running a remote script and a shell loop over remote files" {
	split_both './script.sh one two; sh script.sh three'
	split_both 'for f in a.txt sub/b.txt; do wc -c < "$f"; done; i=0; while [ $i -lt 20 ]; do echo $i >> loop.txt; i=$((i+1)); done; tail -1 loop.txt'
}

@test "a local path under a remote cwd is given to the kernel absolute" {
	split_run -C "/t$BATS_TEST_NUMBER" -- sh -c 'cat ../etc/hostname; cd ../tmp && /bin/pwd'
	[ "$split_status" = 0 ] || { cat "$BATS_TEST_TMPDIR/split.err" >&2; return 1; }
	printf '%s\n/tmp\n' "$(cat /etc/hostname)" > "$BATS_TEST_TMPDIR/want"
	differ "local files from a remote cwd" "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/split.out"
	# Creating, reading back, renaming, linking and removing local files by
	# paths relative to the remote cwd ($up climbs to /).
	local here=$BATS_TEST_TMPDIR/local up=../..
	mkdir -p "$here"
	split_run -C "/t$BATS_TEST_NUMBER/sub" -- sh -c "
		umask 027; mkdir $up$here/d && echo made > $up$here/d/f && cat $up$here/d/f
		stat -c '%a %s %F' $up$here/d $up$here/d/f; ln -s f $up$here/d/l && readlink $up$here/d/l
		mv $up$here/d/f $up$here/d/g && ls $up$here/d; test -r $up$here/d/g && echo readable
		rm $up$here/d/g $up$here/d/l && rmdir $up$here/d && ls -A $up$here; echo end"
	[ "$split_status" = 0 ] || { cat "$BATS_TEST_TMPDIR/split.err" >&2; return 1; }
	printf 'made\n750 4096 directory\n640 5 regular file\nf\ng\nl\nreadable\nend\n' > "$BATS_TEST_TMPDIR/want"
	differ "local files made from a remote cwd" "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/split.out"
}

@test "remote fds across fork and execve: a child's copy outlives the parent's, close-on-exec ones go" {
	# The child reads through its copy after the parent closed its own.
	split_both 'exec 3< a.txt; (sleep 0.2; head -c 5 <&3; echo) & exec 3<&-; wait; echo parent done'
	# A close-on-exec remote fd is gone in the new program: its number
	# is a local file's there (a static program: no loader opens and
	# closes that number first).
	split_both 'python3 -c "import os, sys; fd = os.open(\"a.txt\", os.O_RDONLY); print(fd >= 0); sys.stdout.flush(); os.execv(\"/bin/busybox\", [\"cat\", \"/etc/hostname\"])"'
}

@test "remote fds on low numbers (redirections, 2>&1, <>), many local fds, a low fd limit" {
	# Remote files dup'ed onto 0..2 and 3: under user notification their
	# calls run untrapped on the file held here, written home at the close.
	split_both 'wc -l < a.txt; sort -r a.txt > sorted.txt; cat a.txt >> sorted.txt; (echo out; echo err >&2) > both.txt 2>&1
		exec 3<> sub/b.txt; printf X >&3; exec 3>&-; cat sub/b.txt both.txt; head -c 12 sorted.txt; echo'
	# More local fds than the base: local ones above it, and remote ones
	# after them, all work.
	split_both 'python3 -c "
import os
fds = [os.open(\"/dev/null\", os.O_RDONLY) for _ in range(700)]
r = os.open(\"a.txt\", os.O_RDONLY)
print(os.read(r, 5), os.fstat(fds[-1]).st_mode == os.fstat(fds[0]).st_mode, len(os.read(fds[-1], 9)))
w = os.open(\"many.txt\", os.O_WRONLY | os.O_CREAT, 0o644); os.write(w, b\"end\"); os.dup2(w, fds[650]); os.write(fds[650], b\"!\")
"; cat many.txt'
	# A fd limit below the base: remote fds take the lowest free numbers.
	split_both 'ulimit -n 40; cat a.txt; exec 5< sub/b.txt; head -1 <&5; cat <&5'
}

@test "local fds and local paths do not trap under user notification (--summary counts)" {
	# 3000 one-byte reads and writes on local fds: none trapped under
	# unotify (remote fds live at the base and above); all under ptrace.
	split_run -C "/t$BATS_TEST_NUMBER" --summary -- dd if=/dev/zero of=/dev/null bs=1 count=3000 status=none
	[ "$split_status" = 0 ] || { cat "$BATS_TEST_TMPDIR/split.err" >&2; return 1; }
	local trapped
	trapped=$(sed -n 's/^splitrun: \([0-9]*\) calls trapped.*/\1/p' "$BATS_TEST_TMPDIR/split.err")
	if under_unotify; then
		[ "$trapped" -lt 300 ] || { echo "unotify trapped $trapped calls" >&2; return 1; }
	else
		[ "$trapped" -ge 6000 ] || { echo "ptrace trapped only $trapped calls" >&2; return 1; }
	fi
	# A policy with every path local traps nothing but calls decided by
	# name, under either backend.
	local pol=$BATS_TEST_TMPDIR/local.policy
	printf 'path /** local\n' > "$pol"
	split_run --policy "$pol" --summary -- sh -c 'cat /etc/passwd > /dev/null; ls / > /dev/null'
	[ "$split_status" = 0 ] && grep -q '^splitrun: 0 calls trapped' "$BATS_TEST_TMPDIR/split.err" ||
		{ cat "$BATS_TEST_TMPDIR/split.err" >&2; return 1; }
}

@test "/proc/self/cwd and /proc/self/fd/N name the remote files" {
	split_both 'readlink /proc/self/cwd; exec 3< a.txt 4> out.txt; readlink /proc/self/fd/3 /proc/self/fd/4; cat /proc/self/fd/3 /dev/fd/3; echo via-dev-fd > /dev/fd/4; cat out.txt'
	# Another process's fds and cwd: the shell's, read by its child.
	split_both 'cd sub; exec 5< b.txt; readlink /proc/$$/fd/5 /proc/$$/cwd; cat /proc/$$/fd/5'
}

@test "--trace marks each call with where it went" {
	split_run -C "/t$BATS_TEST_NUMBER" --trace -e trace=openat,read -- head -n 4 a.txt
	[ "$split_status" = 0 ]
	grep -q 'openat(AT_FDCWD, "a.txt", O_RDONLY) *= [0-9]* \[remote\]' "$BATS_TEST_TMPDIR/split.err" ||
		{ echo "no [remote] openat of a.txt:"; cat "$BATS_TEST_TMPDIR/split.err"; return 1; } >&2
	# Under user notification a local call is let run unseen: "= ?".
	local local_ret='[0-9]*'
	under_unotify && local_ret='?'
	grep -q "openat(AT_FDCWD, \"/etc/ld.so.cache\", .*) *= $local_ret \\[local\\]" "$BATS_TEST_TMPDIR/split.err" ||
		{ echo "no [local] openat of ld.so.cache:"; cat "$BATS_TEST_TMPDIR/split.err"; return 1; } >&2
	grep -q '^read([0-9]*, "alpha\\nbeta\\ngamma\\ndelta\\n", .*) *= 23 \[remote\]' "$BATS_TEST_TMPDIR/split.err" ||
		{ echo "no [remote] read of a.txt's bytes:"; cat "$BATS_TEST_TMPDIR/split.err"; return 1; } >&2
}

@test "--summary counts where the calls went" {
	split_run -C "/t$BATS_TEST_NUMBER" --summary -- cat a.txt
	[ "$split_status" = 0 ]
	grep -Eq '^splitrun: [0-9]+ calls trapped: [0-9]+ local, [1-9][0-9]* remote, 0 staged, 0 denied, 0 refused; [1-9][0-9]* round trips' \
		"$BATS_TEST_TMPDIR/split.err" || { cat "$BATS_TEST_TMPDIR/split.err" >&2; return 1; }
}

@test "a lost shadow stops the program: status 122 and one line why" {
	local root=$BATS_TEST_TMPDIR/lost-root
	mkdir -p "$root/w"
	"${SPLITRUN_BINDIR}/splitrun-shadow" --root "$root" --listen 127.0.0.1:0 > "$BATS_TEST_TMPDIR/lost.out" 2>/dev/null &
	echo $! > "$BATS_TEST_TMPDIR/lost.pid"
	local i addr=
	for i in $(seq 100); do
		addr=$(awk '/^splitrun --shadow / { print $3 }' "$BATS_TEST_TMPDIR/lost.out" 2>/dev/null)
		[ -n "$addr" ] && break
		sleep 0.05
	done
	[ -n "$addr" ]
	# The guest appends a line every 50 ms, for at most 30 s.
	timeout -k 5 60 "$SPLITRUN" --shadow "$addr" -C /w -- \
		sh -c 'i=0; while [ $i -lt 600 ]; do echo $i >> log.txt; i=$((i+1)); sleep 0.05; done' \
		> "$BATS_TEST_TMPDIR/guest.out" 2> "$BATS_TEST_TMPDIR/guest.err" &
	local guest=$!
	for i in $(seq 100); do
		[ -s "$root/w/log.txt" ] && break
		sleep 0.05
	done
	[ -s "$root/w/log.txt" ]
	split_stop "$BATS_TEST_TMPDIR/lost.pid"
	local status=0
	wait "$guest" || status=$?
	[ "$status" = 122 ] || { echo "status $status, want 122"; cat "$BATS_TEST_TMPDIR/guest.err"; return 1; } >&2
	grep -q '^splitrun: the connection to the shadow was lost during .*; the program was stopped$' \
		"$BATS_TEST_TMPDIR/guest.err" || { cat "$BATS_TEST_TMPDIR/guest.err" >&2; return 1; }
	[ "$(wc -l < "$root/w/log.txt")" -lt 600 ]
}

@test "command line: no shadow there (121), not HOST:PORT (2), unknown host (121), bad policy (2, file:line:col), bad -C (2), --policy alone (2)" {
	local closed
	closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	run timeout 20 "$SPLITRUN" --shadow "127.0.0.1:$closed" -- true
	[ "$status" = 121 ] && [[ "$output" == "splitrun: cannot use the shadow at 127.0.0.1:$closed: Connection refused" ]] ||
		{ echo "status $status: $output"; return 1; } >&2
	run timeout 20 "$SPLITRUN" --shadow "localhost:$closed" -- true
	[ "$status" = 121 ] && [[ "$output" == "splitrun: cannot use the shadow at localhost:$closed: Connection refused" ]] ||
		{ echo "status $status: $output"; return 1; } >&2
	local bad
	for bad in "localhost" "localhost:http" "127.0.0.1:70000" "::1:$closed" "[::1:$closed"; do
		run timeout 20 "$SPLITRUN" --shadow "$bad" -- true
		[ "$status" = 2 ] && [[ "$output" == "splitrun: --shadow $bad: not HOST:PORT"* ]] ||
			{ echo "--shadow $bad: status $status: $output"; return 1; } >&2
	done
	# An unknown name: "unknown host", or, when no name server answers
	# (this test's machine decides), "cannot be resolved now".
	run timeout 60 "$SPLITRUN" --shadow "no-such-host.invalid:$closed" -- true
	[ "$status" = 121 ] && { [[ "$output" == "splitrun: cannot use the shadow at no-such-host.invalid:$closed: unknown host" ]] ||
		[[ "$output" == *": the host name cannot be resolved now (try again)" ]]; } ||
		{ echo "status $status: $output"; return 1; } >&2
	printf 'path /** remote\npath /x bogus\n' > "$BATS_TEST_TMPDIR/bad.policy"
	run timeout 20 "$SPLITRUN" --shadow "$SPLIT_ADDR" --policy "$BATS_TEST_TMPDIR/bad.policy" -- true
	[ "$status" = 2 ] && [[ "$output" == *"bad.policy:2:"* ]] || { echo "status $status: $output"; return 1; } >&2
	run timeout 20 "$SPLITRUN" --shadow "$SPLIT_ADDR" -C /no-such-dir -- true
	[ "$status" = 2 ] && [[ "$output" == "splitrun: -C /no-such-dir: No such file or directory (at the shadow)" ]] ||
		{ echo "status $status: $output"; return 1; } >&2
	run timeout 20 "$SPLITRUN" --policy "$BATS_TEST_TMPDIR/bad.policy" -- true
	[ "$status" = 2 ] && [[ "$output" == *"--policy needs --shadow"* ]] || { echo "status $status: $output"; return 1; } >&2
}

@test "the shadow by host name (localhost:PORT) and by IPv6 address ([::1]:PORT)" {
	split_run --shadow "localhost:${SPLIT_ADDR##*:}" -C "/t$BATS_TEST_NUMBER" -- cat sub/b.txt
	[ "$split_status" = 0 ] && [ "$(cat "$BATS_TEST_TMPDIR/split.out")" = "$(printf 'line1\nline2')" ] ||
		{ echo "localhost: status $split_status"; cat "$BATS_TEST_TMPDIR/split.err"; return 1; } >&2
	local root=$BATS_TEST_TMPDIR/v6-root
	mkdir -p "$root/w"
	echo over-ipv6 > "$root/w/f"
	"${SPLITRUN_BINDIR}/splitrun-shadow" --root "$root" --listen '[::1]:0' > "$BATS_TEST_TMPDIR/v6.out" 2>/dev/null &
	echo $! > "$BATS_TEST_TMPDIR/v6.pid"
	local i addr=
	for i in $(seq 100); do
		addr=$(awk '/^splitrun --shadow / { print $3 }' "$BATS_TEST_TMPDIR/v6.out" 2>/dev/null)
		[ -n "$addr" ] && break
		sleep 0.05
	done
	[[ "$addr" == "[::1]:"* ]] || { echo "the shadow on [::1] printed '$addr'"; split_stop "$BATS_TEST_TMPDIR/v6.pid"; return 1; } >&2
	local out status=0
	out=$(timeout 20 "$SPLITRUN" --shadow "$addr" -C /w -- cat f 2>&1) || status=$?
	split_stop "$BATS_TEST_TMPDIR/v6.pid"
	[ "$status" = 0 ] && [ "$out" = over-ipv6 ] || { echo "[::1]: status $status: $out"; return 1; } >&2
}

@test "command line: a listener that is no shadow fails the handshake (121, one line why)" {
	# Accepts once, answers with bytes that are no HELLO reply, and exits.
	python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
s.settimeout(20)
c, _ = s.accept(); c.recv(4096); c.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n" + bytes(64)); c.close()
' > "$BATS_TEST_TMPDIR/port" &
	local i port=
	for i in $(seq 100); do
		# (the file may not be there yet: the background job makes it)
		port=$(cat "$BATS_TEST_TMPDIR/port" 2>/dev/null || true)
		[ -n "$port" ] && break
		sleep 0.05
	done
	run timeout 20 "$SPLITRUN" --shadow "127.0.0.1:$port" -- true
	wait
	[ "$status" = 121 ] &&
		[[ "$output" == "splitrun: cannot use the shadow at 127.0.0.1:$port: its handshake is malformed (is it a splitrun-shadow?)" ]] &&
		[ "$(printf '%s\n' "$output" | wc -l)" = 1 ] || { echo "status $status: $output"; return 1; } >&2
}
