#!/usr/bin/env bats
# What splitrun --trace prints: line by line against strace for a guest whose
# calls are fixed (tests/progs/trace_calls.c), and each option's own format.

CALLS=openat,write,lseek,read,fstat,newfstatat,faccessat,dup2,fcntl,close,mkdirat,unlinkat,mmap,mprotect,munmap,kill,exit_group,wait4,getppid

setup() {
	SPLITRUN=${SPLITRUN_BINDIR:?}/splitrun
	PROG=${SPLITRUN_TESTBIN:?}/progs/trace_calls
	[ -x "$SPLITRUN" ] || { echo "no $SPLITRUN" >&2; return 1; }
	[ -x "$PROG" ] || { echo "no $PROG" >&2; return 1; }
	WORK=$BATS_TEST_TMPDIR
	mkdir -p "$WORK/d"
}

# Renames pids P1, P2 ... in order of appearance, hides addresses and the
# padding before " = " (pids of different widths shift it), joins each
# "<unfinished ...>" half with its "<... resumed>" half and groups the lines
# by process: which calls interleave depends on scheduling, not the tracer.
normalize() {
	python3 -c '
import re, sys
pids = {}
lines = open(sys.argv[1]).read().splitlines()
for l in lines:
    m = re.match(r"^(\d+) ", l)
    if m and m.group(1) not in pids:
        pids[m.group(1)] = "P%d" % (len(pids) + 1)
held, out = {}, []
for l in lines:
    m = re.match(r"^(\d+) +(.*)$", l)
    who, text = (pids[m.group(1)], m.group(2)) if m else ("P1", l)
    if text.endswith(" <unfinished ...>"):
        held[who] = text[:-len(" <unfinished ...>")]
        continue
    r = re.match(r"^<\.\.\. [a-z0-9_]+ resumed>(.*)$", text)
    if r and who in held:
        text = held.pop(who) + r.group(1)
    text = re.sub(r"0x[0-9a-f]{6,}", "ADDR", text)
    text = re.sub(r"si_utime=\d+( /\* [^*]* \*/)?, si_stime=\d+( /\* [^*]* \*/)?", "si_utime=T, si_stime=T", text)
    text = re.sub(r"\b\d{3,7}\b", lambda m: pids.get(m.group(0), m.group(0)), text)
    text = re.sub(r" +", " ", text)
    out.append((who, text))
for p in sorted(set(w for w, _ in out), key=lambda s: int(s[1:])):
    for w, t in out:
        if w == p:
            print(w, t)
' "$1"
}

@test "every line matches strace's for a fixed guest (-f -o)" {
	command -v strace >/dev/null || skip "strace is not installed"
	strace -f -q -e trace=$CALLS -o "$WORK/strace.txt" "$PROG" "$WORK/d" fork 3>&- 4>&-
	"$SPLITRUN" --trace -f -e trace=$CALLS -o "$WORK/splitrun.txt" -- "$PROG" "$WORK/d" fork 3>&- 4>&-
	normalize "$WORK/strace.txt" > "$WORK/strace.norm"
	normalize "$WORK/splitrun.txt" > "$WORK/splitrun.norm"
	diff -u "$WORK/strace.norm" "$WORK/splitrun.norm"
}

@test "decoded lines, exact" {
	"$SPLITRUN" --trace -e trace=$CALLS -o "$WORK/t.txt" -- "$PROG" "$WORK/d" 3>&- 4>&-
	cat "$WORK/t.txt"
	want() { grep -qxF -- "$1" "$WORK/t.txt" || { echo "missing line: $1" >&2; return 1; }; }
	want 'openat(AT_FDCWD, "/nonexistent/trace_calls", O_RDONLY) = -1 ENOENT (No such file or directory)'
	want "openat(AT_FDCWD, \"$WORK/d/trace_calls.txt\", O_RDWR|O_CREAT|O_TRUNC|O_CLOEXEC, 0640) = 3"
	want 'write(3, "line one\n\ttab\33[0m \1\28\377 quote\" ba"..., 66) = 66'
	want 'lseek(3, 0, SEEK_SET)                   = 0'
	want 'read(3, "line ", 5)                     = 5'
	want 'fstat(3, {st_mode=S_IFREG|0640, st_size=66, ...}) = 0'
	want 'newfstatat(AT_FDCWD, "/dev/null", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}, 0) = 0'
	want 'fcntl(10, F_SETFD, FD_CLOEXEC)          = 0'
	want 'fcntl(10, F_DUPFD_CLOEXEC, 20)          = 20'
	want 'mkdirat(AT_FDCWD, "'"$WORK/d"'", 0755) = -1 EEXIST (File exists)'
	want 'exit_group(0)                           = ?'
	want '+++ exited with 0 +++'
	grep -qE '^read\(999, 0x[0-9a-f]+, 256\) += -1 EBADF \(Bad file descriptor\)$' "$WORK/t.txt"
	grep -qE '^mmap\(NULL, 8192, PROT_READ\|PROT_WRITE, MAP_PRIVATE\|MAP_ANONYMOUS, -1, 0\) = 0x[0-9a-f]+$' "$WORK/t.txt"
}

@test "-s 5 cuts buffers but not paths" {
	"$SPLITRUN" --trace -s 5 -e trace=write,openat -o "$WORK/t.txt" -- "$PROG" "$WORK/d" 3>&- 4>&-
	grep -qxF "$(printf '%-39s = %s' 'write(3, "line "..., 66)' 66)" "$WORK/t.txt"
	grep -qF "\"$WORK/d/trace_calls.txt\"" "$WORK/t.txt"
}

@test "-y prints the path of each fd" {
	"$SPLITRUN" --trace -y -e trace=lseek,close -o "$WORK/t.txt" -- "$PROG" "$WORK/d" 3>&- 4>&-
	cat "$WORK/t.txt"
	grep -qF "lseek(3<$WORK/d/trace_calls.txt>, 0, SEEK_SET)" "$WORK/t.txt"
	grep -qF "close(10<$WORK/d/trace_calls.txt>)" "$WORK/t.txt"
}

@test "-c prints strace's table and no per-call lines" {
	"$SPLITRUN" --trace -c -e trace=$CALLS -o "$WORK/t.txt" -- "$PROG" "$WORK/d" 3>&- 4>&-
	cat "$WORK/t.txt"
	[ "$(sed -n 1p "$WORK/t.txt")" = "% time     seconds  usecs/call     calls    errors syscall" ]
	[ "$(sed -n 2p "$WORK/t.txt")" = "------ ----------- ----------- --------- --------- ----------------" ]
	! grep -q '(' "$WORK/t.txt"
	grep -qE '^100\.00 +[0-9]+\.[0-9]{6} +[0-9]+ +[0-9]+ +[0-9]+ total$' "$WORK/t.txt"
	# 4 openat (ld.so.cache, libc, the missing file, the file), 1 failed
	grep -qE '^ *[0-9]+\.[0-9]{2} +[0-9]+\.[0-9]{6} +[0-9]+ +4 +1 openat$' "$WORK/t.txt"
	grep -qE '^ *[0-9]+\.[0-9]{2} +[0-9]+\.[0-9]{6} +[0-9]+ +2 +1 unlinkat$' "$WORK/t.txt"
	grep -qE '^ *[0-9]+\.[0-9]{2} +[0-9]+\.[0-9]{6} +[0-9]+ +1 +dup2$' "$WORK/t.txt"
	# rows sorted by seconds, descending
	sed -n '3,/^------/p' "$WORK/t.txt" | grep -v '^---' | awk '{print $2}' > "$WORK/secs"
	sort -rn "$WORK/secs" | cmp - "$WORK/secs"
}

@test "-f without -o: [pid N] prefixes once there are two processes" {
	run "$SPLITRUN" --trace -f -e trace=kill,getppid,exit_group -- "$PROG" "$WORK/d" fork 3>&- 4>&-
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | grep -qE '^kill\([0-9]+, 0\) += 0$'
	echo "$output" | grep -qE '^\[pid +[0-9]+\] getppid\(\) += [0-9]+$'
	echo "$output" | grep -qE '^\[pid +[0-9]+\] \+\+\+ exited with 3 \+\+\+$'
}

@test "killed by a signal: the line and splitrun's status" {
	run "$SPLITRUN" --trace -e trace=kill -o "$WORK/t.txt" -- "$PROG" "$WORK/d" kill 3>&- 4>&-
	cat "$WORK/t.txt"
	[ "$status" -eq 143 ]
	grep -qE '^kill\([0-9]+, SIGTERM\) += 0$' "$WORK/t.txt"
	grep -qE '^--- SIGTERM \{si_signo=SIGTERM, si_code=SI_USER, si_pid=[0-9]+, si_uid=[0-9]+\} ---$' "$WORK/t.txt"
	grep -qxF '+++ killed by SIGTERM +++' "$WORK/t.txt"
}

@test "-k prints a stack after each call, also for a static binary" {
	"$SPLITRUN" --trace -k -e trace=unlinkat -o "$WORK/t.txt" -- "$PROG" "$WORK/d" 3>&- 4>&-
	cat "$WORK/t.txt"
	grep -qE '^ > .*trace_calls\(main\+0x[0-9a-f]+\) \[0x[0-9a-f]+\]$' "$WORK/t.txt"
	grep -qE '^ > .*libc\.so\.6\(syscall\+0x[0-9a-f]+\) \[0x[0-9a-f]+\]$' "$WORK/t.txt"
	[ -x /bin/busybox ] || skip "busybox is not installed"
	"$SPLITRUN" --trace -k -e trace=openat -o "$WORK/b.txt" -- /bin/busybox cat /etc/hostname
	grep -qE '^ > /(usr/)?bin/busybox\(\) \[0x[0-9a-f]+\]$' "$WORK/b.txt"
}

@test "a bad -e names the bad word" {
	run "$SPLITRUN" --trace -e trace=openat,nosuchcall -- /bin/true
	[ "$status" -ne 0 ]
	echo "$output" | grep -q nosuchcall
	run "$SPLITRUN" --trace -e trace=%nosuchclass -- /bin/true
	[ "$status" -ne 0 ]
	echo "$output" | grep -q '%nosuchclass'
}
