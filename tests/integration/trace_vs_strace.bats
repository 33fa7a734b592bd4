#!/usr/bin/env bats
# splitrun --trace against strace 6 on the same programs: the sequence of
# (syscall, result) of each process must be the same, pids and addresses
# aside (tests/integration/trace_seq.py says exactly what is compared).

setup() {
	SPLITRUN=${SPLITRUN_BINDIR:?}/splitrun
	SEQ=$BATS_TEST_DIRNAME/trace_seq.py
	command -v strace >/dev/null || skip "strace is not installed"
	[ -x "$SPLITRUN" ] || { echo "no $SPLITRUN" >&2; return 1; }
	WORK=$BATS_TEST_TMPDIR
	DATA=$WORK/data
	mkdir -p "$DATA"
	printf 'alpha\nbeta\ngamma\n' > "$DATA/in.txt"
	ln -sf in.txt "$DATA/link"
	export LC_ALL=C PYTHONDONTWRITEBYTECODE=1
}

# compare EXPR PROG ARGS...: traces PROG both ways and diffs the sequences.
# The process-creating calls are added to a positive selection: trace_seq.py
# names processes by the tree they build, not by scheduling.
compare() {
	local expr=$1
	shift
	case $expr in
	'!'*|all) ;;
	*) expr=$expr,clone,clone3,fork,vfork ;;
	esac
	rm -f "$DATA/out.copy"
	local strace_status=0 splitrun_status=0
	strace -f -q -e "trace=$expr" -o "$WORK/strace.txt" "$@" > "$WORK/strace.stdout" 2>&1 ||
		strace_status=$?
	rm -f "$DATA/out.copy"
	"$SPLITRUN" --trace -f -e "trace=$expr" -o "$WORK/splitrun.txt" -- "$@" > "$WORK/splitrun.stdout" 2>&1 ||
		splitrun_status=$?
	if [ "$strace_status" != "$splitrun_status" ]; then
		echo "exit status: strace $strace_status, splitrun $splitrun_status" >&2
		cat "$WORK/splitrun.stdout" >&2
		return 1
	fi
	if ! cmp -s "$WORK/strace.stdout" "$WORK/splitrun.stdout"; then
		echo "the program's output differs under splitrun:" >&2
		diff "$WORK/strace.stdout" "$WORK/splitrun.stdout" >&2
		return 1
	fi
	python3 "$SEQ" "$WORK/strace.txt" > "$WORK/strace.seq"
	python3 "$SEQ" "$WORK/splitrun.txt" > "$WORK/splitrun.seq"
	[ -s "$WORK/strace.seq" ] || { echo "strace traced nothing for $expr" >&2; return 1; }
	if ! diff -u "$WORK/strace.seq" "$WORK/splitrun.seq" >&2; then
		echo "--- strace -f -e trace=$expr $*" >&2
		head -50 "$WORK/strace.txt" >&2
		echo "--- splitrun --trace -f -e trace=$expr $*" >&2
		head -50 "$WORK/splitrun.txt" >&2
		return 1
	fi
}

@test "ls -l, %file" {
	compare %file /bin/ls -l /etc/hostname "$DATA"
}

@test "ls -la, %memory" {
	compare %memory /bin/ls -la "$DATA"
}

@test "cat, %desc" {
	compare %desc /bin/cat "$DATA/in.txt" /etc/hostname
}

@test "cp, %file and %desc" {
	compare %file,%desc /bin/cp "$DATA/in.txt" "$DATA/out.copy"
}

@test "wc, a list of names" {
	compare openat,read,write,close,newfstatat,fstat,mmap,munmap,brk,exit_group /usr/bin/wc -l "$DATA/in.txt"
}

@test "stat, %%stat and %file" {
	compare %%stat,%file /usr/bin/stat /etc/passwd "$DATA/in.txt"
}

@test "failing calls: ls of a missing file" {
	compare %file,%desc /bin/ls /nonexistent/file
}

@test "sh -c pipeline, %process" {
	compare %process /bin/sh -c 'cat /etc/passwd | wc -l'
}

@test "sh -c pipeline, %desc" {
	compare %desc /bin/sh -c 'cat /etc/passwd | wc -l'
}

@test "sh -c pipeline, everything" {
	compare all /bin/sh -c 'cat /etc/passwd | wc -l'
}

@test "python3 file I/O, %file" {
	compare %file /usr/bin/python3 -I -c "
with open('$DATA/py.txt', 'w') as f: f.write('hello\n' * 100)
print(len(open('$DATA/py.txt').read()))
import os; os.unlink('$DATA/py.txt')"
}

@test "python3 file I/O, %desc" {
	compare %desc /usr/bin/python3 -I -c "
with open('$DATA/py.txt', 'w') as f: f.write('hello\n' * 100)
print(len(open('$DATA/py.txt').read()))"
}

@test "busybox (static), %process and %file" {
	[ -x /bin/busybox ] || skip "busybox is not installed"
	compare %process,%file /bin/busybox sh -c '/bin/busybox cat /etc/hostname | /bin/busybox wc -c'
}

@test "busybox (static), everything" {
	[ -x /bin/busybox ] || skip "busybox is not installed"
	compare all /bin/busybox ls -l /etc/hostname
}

@test "negated set: everything but the memory calls" {
	compare '!%memory' /bin/cat /etc/hostname
}
