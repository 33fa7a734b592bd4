#!/usr/bin/env bats
# Fewer round trips than remote calls, and what that must not cost: the
# figures of --stats and --stats=json; round trips of known workloads (cp -r,
# ls -l, du, find, tar, cat of many small files and of a large one, stage)
# counted by --stats; close-to-open consistency (a change at home between
# two opens, two agents on one file, the agent's own changes seen at once,
# --attr-timeout); write-behind failures (a full file system, a file size
# limit) reported at a write, fsync or close; a shadow lost with data in
# write-behind ends the run with 122, never with success.

load split_helpers

setup_file() {
	split_start_shadow
}

teardown_file() {
	split_stop_shadow
}

setup() {
	split_fixture "t$BATS_TEST_NUMBER"
	T=t$BATS_TEST_NUMBER
}

# Shadows a test started for itself go, whatever became of the test.
teardown() {
	local p
	for p in "$BATS_TEST_TMPDIR"/own-*.pid; do
		[ -e "$p" ] && split_stop "$p"
	done
	return 0
}

# json_field FIELD [FILE]: a field of the --stats=json line (the last line
# of FILE, default the last split_run's stderr), dotted paths allowed.
json_field() {
	local f=${2:-$BATS_TEST_TMPDIR/split.err}
	tail -1 "$f" | python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$1"
}

# round_trips CMD [OPTION...]: runs sh -c CMD split (in /$T) and prints its
# round trips. Attributes are believed for a minute: a loaded machine must
# not make the cache forget them halfway (that is --attr-timeout's test).
round_trips() {
	local cmd=$1
	shift
	split_run -C "/$T" --attr-timeout=60 --stats=json "$@" -- sh -c "$cmd"
	[ "$split_status" = 0 ] || { echo "'$cmd' failed: $split_status" >&2; cat "$BATS_TEST_TMPDIR/split.err" >&2; return 1; }
	json_field round_trips
}

# many DIR N SIZE: N files of SIZE bytes in DIR, at home and in the native
# tree.
many() {
	mkdir -p "$SPLIT_ROOT/$T/$1"
	python3 -c '
import os, sys
for i in range(1, int(sys.argv[2]) + 1):
    with open("%s/f%d" % (sys.argv[1], i), "wb") as f:
        f.write(os.urandom(int(sys.argv[3])))' "$SPLIT_ROOT/$T/$1" "$2" "$3"
	cp -a "$SPLIT_ROOT/$T/$1" "$SPLIT_NATIVE/$T/"
}

# wait_for FILE: waits (at most 20 s) until FILE exists.
wait_for() {
	local i
	for i in $(seq 400); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	echo "$1 never appeared" >&2
	return 1
}

@test "--stats prints calls by route, ops, requests, round trips, bytes, wait; --stats=json the same for scripts" {
	split_run -C "/$T" --stats -- cat a.txt
	[ "$split_status" = 0 ]
	local err=$BATS_TEST_TMPDIR/split.err
	grep -Eq '^splitrun: [0-9]+ calls trapped: [0-9]+ local, [1-9][0-9]* remote, 0 staged, 0 denied, 0 refused; [1-9][0-9]* round trips to the shadow; 0 files staged, 0 written back$' "$err" &&
		grep -Eq '^splitrun: [1-9][0-9]* remote ops in [1-9][0-9]* requests \([0-9]+ compounds\), [1-9][0-9]* round trips; [1-9][0-9]* bytes sent, [1-9][0-9]* received; [0-9.]+ s waiting for the shadow; [0-9]+ stat-like calls answered here, [0-9]+ asked$' "$err" &&
		grep -Eq '^splitrun: ops: HELLO 1, OPEN [1-9]' "$err" || { cat "$err" >&2; return 1; }
	split_run -C "/$T" --stats=json -- cat a.txt
	[ "$split_status" = 0 ]
	tail -1 "$BATS_TEST_TMPDIR/split.err" | python3 -c '
import json, sys
s = json.load(sys.stdin)
want = ["calls", "remote_ops", "ops", "requests", "compounds", "round_trips", "bytes_sent",
        "bytes_received", "wait_seconds", "cache_hits", "cache_misses", "files_staged",
        "written_back", "lost_writes"]
missing = [k for k in want if k not in s]
assert not missing, "fields missing: %s" % missing
c = s["calls"]
assert c["total"] == sum(c[k] for k in ("local", "remote", "stage", "deny", "refused")), "calls do not add up: %s" % c
assert c["remote"] >= 3, "cat of a remote file: openat, read, close remote at least: %s" % c
assert s["remote_ops"] == sum(s["ops"].values()), "remote_ops is not the sum of ops: %s" % s
assert 1 <= s["round_trips"] <= s["requests"], "round trips %d, requests %d" % (s["round_trips"], s["requests"])
assert s["bytes_received"] > 23 and s["bytes_sent"] > 0 and s["wait_seconds"] >= 0
' || { cat "$BATS_TEST_TMPDIR/split.err" >&2; return 1; }
	# Every field is documented in splitrun(1).
	local k
	for k in calls remote_ops ops requests compounds round_trips bytes_sent bytes_received wait_seconds \
		cache_hits cache_misses files_staged written_back lost_writes; do
		grep -q "^\.B $k\$" docs/man/splitrun.1 || { echo "splitrun(1) does not document the field $k" >&2; return 1; }
	done
	run "$SPLITRUN" --stats=xml --shadow "$SPLIT_ADDR" -- true
	[ "$status" = 2 ] && [[ "$output" == *"--stats: unknown format 'xml' (text or json)"* ]] ||
		{ echo "status $status: $output" >&2; return 1; }
}

@test "--trace -c: the figures follow the table, in its stream" {
	# -c needs the exit stops of ptrace
	split_run --backend=ptrace -C "/$T" -c -o "$BATS_TEST_TMPDIR/table" -- cat a.txt
	[ "$split_status" = 0 ]
	local t=$BATS_TEST_TMPDIR/table
	grep -q '^100.00 .* total$' "$t" && tail -3 "$t" | head -1 | grep -Eq '^splitrun: [0-9]+ calls trapped' &&
		tail -1 "$t" | grep -q '^splitrun: ops: HELLO 1' || { cat "$t" >&2; return 1; }
	! grep -q 'calls trapped' "$BATS_TEST_TMPDIR/split.err"
}

@test "round trips: cp -r of 1000 files of 4 KB costs under 1.2 a file with --async-close (sources opened ahead, closes not waited for), not 9" {
	many s1000 1000 4096
	local r
	r=$(round_trips "cp -r s1000 d1000" --async-close)
	diff -r "$SPLIT_ROOT/$T/s1000" "$SPLIT_ROOT/$T/d1000"
	echo "cp -r of 1000 files of 4 KB: $r round trips; $(json_field ops.OPEN) opens" >&2
	# Each source's open (with its data) was sent ahead while cp copied
	# the one before; each copy's create takes a file made ahead in the
	# directory cp made; a copy's close is not waited for. Before: open,
	# create, close: 3 a file; then the create's: 1 a file.
	[ "$r" -lt 1200 ] || { echo "cp -r: $r round trips for 1000 files, 1.2 a file or more" >&2; return 1; }
	# Guesses that were wrong are few: at most 10% more opens than files.
	[ "$(json_field ops.OPEN)" -le 2200 ] || { echo "cp -r: $(json_field ops.OPEN) opens for 2000 files" >&2; return 1; }
	# A walk slower than the attribute time (a slow link: 1000 files at
	# 10 ms take 10 s; here the time is short instead): the listing's stat
	# prefetch has expired when cp gets to the last files, but each file's
	# open sent ahead brought its attributes, fresh, before cp's lstat.
	rm -rf "$SPLIT_ROOT/$T/d1000"
	split_run -C "/$T" --attr-timeout=0.3 --async-close --stats=json -- sh -c "cp -r s1000 d1000"
	[ "$split_status" = 0 ] || { cat "$BATS_TEST_TMPDIR/split.err" >&2; return 1; }
	r=$(json_field round_trips)
	echo "cp -r with --attr-timeout=0.3: $r round trips, $(json_field ops.FSTATAT) FSTATATs" >&2
	[ "$r" -lt 1200 ] || { echo "cp -r with --attr-timeout=0.3: $r round trips for 1000 files" >&2; return 1; }
	diff -r "$SPLIT_ROOT/$T/s1000" "$SPLIT_ROOT/$T/d1000"
}

@test "round trips: cp -r of 1000 files of 4 KB costs under 1.2 a file by default (creates take files made ahead; only closes wait)" {
	many s1000 1000 4096
	local d
	for d in "$SPLIT_ROOT/$T/s1000" "$SPLIT_NATIVE/$T/s1000"; do
		chmod 0600 "$d/f1"; chmod 0640 "$d/f2"; chmod 0755 "$d/f3"; chmod 0444 "$d/f4"
	done
	local r base shadow_fds=/proc/$(cat "$BATS_FILE_TMPDIR/shadow.pid")/fd
	base=$(ls "$shadow_fds" | wc -l)
	r=$(round_trips "cp -r s1000 d1000")
	echo "cp -r of 1000 files of 4 KB by default: $r round trips; $(json_field ops.LINK) LINKs" >&2
	# Each copy's close waits for its bytes (and its naming); its create
	# took a file made ahead in the directory cp made. Before: 2 a file.
	[ "$r" -lt 1200 ] || { echo "cp -r by default: $r round trips for 1000 files, 1.2 a file or more" >&2; return 1; }
	[ "$(json_field ops.LINK)" -ge 900 ] || { echo "cp -r: only $(json_field ops.LINK) files made ahead were used" >&2; return 1; }
	# the same names, modes and bytes as the sources
	tree_digest "$SPLIT_ROOT/$T/s1000" > "$BATS_TEST_TMPDIR/src.digest"
	tree_digest "$SPLIT_ROOT/$T/d1000" > "$BATS_TEST_TMPDIR/copy.digest"
	differ "the copy (tree_digest)" "$BATS_TEST_TMPDIR/src.digest" "$BATS_TEST_TMPDIR/copy.digest"
	# Files made ahead and not used were closed: the shadow holds no more
	# fds than before the run.
	local i now
	for i in $(seq 100); do
		now=$(ls "$shadow_fds" | wc -l)
		[ "$now" -le "$base" ] && break
		sleep 0.05
	done
	[ "$now" -le "$base" ] || { echo "the shadow holds $now fds after the run, $base before" >&2; return 1; }
	# a file made ahead never shows as a name of its own
	[ "$(ls -A "$SPLIT_ROOT/$T/d1000" | wc -l)" = 1000 ]
}

@test "round trips: python writing 100 files in a directory it made costs about one a file by default (was two)" {
	local write='python3 -c "
import os
os.mkdir(\"m\")
for i in range(100):
    with open(\"m/f%d\" % i, \"w\") as f:
        f.write(\"x\" * 5000)"'
	local r ra
	r=$(round_trips "$write")
	rm -rf "$SPLIT_ROOT/$T/m"
	ra=$(round_trips "$write" --async-close)
	echo "100 files written in a new directory: $r round trips by default, $ra with --async-close" >&2
	# the close of each waits; the first create (and the mkdir) wait too
	[ "$r" -le 115 ] || { echo "100 files in a new directory: $r round trips by default" >&2; return 1; }
	[ "$ra" -le 30 ] || { echo "100 files in a new directory: $ra round trips with --async-close" >&2; return 1; }
	[ "$(cat "$SPLIT_ROOT/$T/m/f99")" = "$(printf 'x%.0s' $(seq 5000))" ]
	[ "$(ls "$SPLIT_ROOT/$T/m" | wc -l)" = 100 ]
}

@test "a file made ahead: its name works at once, from the same process and another, and it is what a create makes" {
	cat > "$SPLIT_ROOT/$T/ahead.py" <<'PY'
import os, subprocess, stat
os.mkdir("d")
open("d/first", "w").close()
fd = os.open("d/n", os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
st = os.fstat(fd)
print("fstat", oct(stat.S_IMODE(st.st_mode)), stat.S_ISREG(st.st_mode), st.st_nlink, st.st_size)
os.write(fd, b"made ahead\n")
ls = os.stat("d/n")
print("stat", ls.st_ino == st.st_ino, oct(stat.S_IMODE(ls.st_mode)), ls.st_nlink)
os.lseek(fd, 0, 0)
print("read back", os.read(fd, 100))
print("open by name", open("d/n").read().strip())
print("another process", subprocess.run(["cat", "d/n"], capture_output=True).stdout)
try:
    os.open("d/n", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
except OSError as e:
    print("again with O_EXCL: errno", e.errno)
os.rename("d/n", "d/renamed")
print("renamed", os.path.exists("d/n"), open("d/renamed").read().strip())
os.close(fd)
for i in range(5):
    with open("d/g%d" % i, "w") as f:
        f.write(str(i))
os.unlink("d/g3")
print(sorted(os.listdir("d")))
os.mkdir("d/sub")
with open("d/sub/x", "x") as f:
    f.write("x")
os.rename("d/sub", "d/sub2")
os.mkdir("d/sub")
print("the new sub", os.listdir("d/sub"), "the old", os.listdir("d/sub2"))
with open("d/sub/x", "w") as f:
    f.write("y")
os.rename("d/sub2", "d/sub3")
os.rename("d/sub", "d/sub2")
try:
    os.open("d/sub2/x", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
except OSError as e:
    print("a directory moved over a made one: errno", e.errno)
os.mkdir("e")
open("e/first", "w").close()
os.symlink("e", "alias")
with open("alias/s", "w") as f:
    f.write("by the alias")
with open("e/s", "w") as f:
    f.write("by its name")
print("a name made by another path", open("alias/s").read())
PY
	cp "$SPLIT_ROOT/$T/ahead.py" "$SPLIT_NATIVE/$T/"
	# umask 027: what a create makes is the mode less the umask
	split_both 'umask 027; python3 ahead.py; cat d/renamed d/g0 d/g4 d/sub2/x d/sub3/x; echo; ls -l d | cut -c1-10 | sort | uniq -c'
}

@test "a file made ahead whose name was made at home meanwhile: the guest learns EEXIST at its fsync or close, never success" {
	local sync=$BATS_TEST_TMPDIR/sync
	mkdir -p "$sync"
	cat > "$BATS_TEST_TMPDIR/race.py" <<PY
import os, sys, time
os.mkdir("d-" + sys.argv[1])
open("d-%s/first" % sys.argv[1], "w").close()
open("$sync/made-" + sys.argv[1], "w").close()
i = 0
while not os.path.exists("$sync/go-" + sys.argv[1]) and i < 400:
    time.sleep(0.05); i += 1
failed = False
fd = os.open("d-%s/x" % sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
try:
    os.write(fd, b"guest data")
except OSError as e:
    print("write 0: errno %d" % e.errno); failed = True
if sys.argv[1] == "fsync":
    try:
        os.fsync(fd); print("fsync ok")
    except OSError as e:
        print("fsync: errno %d" % e.errno); failed = True
try:
    os.close(fd); print("close ok")
except OSError as e:
    print("close: errno %d" % e.errno); failed = True
print("reported" if failed else "all succeeded")
PY
	local mode
	for mode in fsync close; do
		(cd "$BATS_TEST_TMPDIR" && timeout -k 5 60 "${SPLIT_ENV[@]}" "$SPLITRUN" --shadow "$SPLIT_ADDR" -C "/$T" -- \
			python3 "$BATS_TEST_TMPDIR/race.py" "$mode") > "$BATS_TEST_TMPDIR/split.out" \
			2> "$BATS_TEST_TMPDIR/split.err" 3>&- &
		local guest=$! status=0
		wait_for "$sync/made-$mode"
		echo "home's own" > "$SPLIT_ROOT/$T/d-$mode/x"
		touch "$sync/go-$mode"
		wait "$guest" || status=$?
		if [ "$mode" = fsync ]; then
			# an fsync waits for the naming under either backend; the
			# close says it again (the file never got its name), or,
			# where close cannot fail (user notification), splitrun
			# ends with 122
			grep -Eq '^(write 0|fsync): errno 17$' "$BATS_TEST_TMPDIR/split.out" ||
				{ echo "fsync: status $status"; cat "$BATS_TEST_TMPDIR/split.out" "$BATS_TEST_TMPDIR/split.err"; return 1; } >&2
			check_reported 17 "$status" "File exists"
			[ "$status" = 122 ] || grep -q '^close: errno 17$' "$BATS_TEST_TMPDIR/split.out" ||
				{ echo "fsync: the close did not fail too"; cat "$BATS_TEST_TMPDIR/split.out"; return 1; } >&2
		else
			check_reported 17 "$status" "File exists"
		fi
		# home's file is untouched, and nothing else appeared
		[ "$(cat "$SPLIT_ROOT/$T/d-$mode/x")" = "home's own" ]
		[ "$(ls "$SPLIT_ROOT/$T/d-$mode" | tr '\n' ' ')" = "first x " ]
	done
}

@test "round trips: ls -l, du, find, tar of a directory do not grow with its size (stat prefetch, end of listing)" {
	many s10 10 100
	many s200 200 100
	local w r10 r200
	for w in "ls -l" "du -a" "find" "tar cf /dev/null" "ls -lR"; do
		r10=$(round_trips "$w s10 > /dev/null")
		r200=$(round_trips "$w s200 > /dev/null")
		echo "$w: $r10 round trips for 10 files, $r200 for 200" >&2
		[ $((r200 - r10)) -le 3 ] || { echo "$w: $r10 round trips for 10 files, $r200 for 200" >&2; return 1; }
	done
	split_both 'ls -l s200 | md5sum; du -a s200 | sort | md5sum'
}

@test "round trips: cat and tar c of many small files cost a fraction of one a file (opens sent ahead in the reading order)" {
	many s10 10 3000
	many s110 110 3000
	local w r10 r110
	# cat of a glob reads in sorted order, tar in the listing's order
	for w in "cat DIR/* > /dev/null" "tar cf - DIR | cat > /dev/null"; do
		r10=$(round_trips "${w//DIR/s10}")
		r110=$(round_trips "${w//DIR/s110}")
		echo "$w: $r10 round trips for 10 files, $r110 for 110" >&2
		# Before: one a file (the data came with the open). Now opens go
		# ahead, up to 8 at a time: 100 more files cost a few dozen.
		[ $((r110 - r10)) -le 30 ] || { echo "$w: $r10 round trips for 10 files, $r110 for 110" >&2; return 1; }
	done
	split_both 'cat s110/* | md5sum; tar cf - s110 | tar tf - | sort | md5sum'
}

@test "opens sent ahead: what the agent itself changes is seen, and --attr-timeout=0 sends none" {
	many s 6 100
	# Each file is opened after the one before it was, so its open was
	# sent ahead; the agent's own change to it (a write, a rename over it,
	# a truncate, a removal) comes first.
	split_both 'ls s > /dev/null; cat s/f1 > /dev/null
		printf changed > s/f2; cat s/f2; echo
		cat s/f2 > /dev/null; mv s/f4 s/f3; cat s/f3 | md5sum
		exec 3<> s/f5; cat s/f4 2>&1; truncate -s 7 s/f5; cat s/f5 | wc -c
		cat s/f1 > /dev/null; rm s/f2; cat s/f2 2>&1; exec 3>&-'
	split_run -C "/$T" --attr-timeout=0 --stats=json -- sh -c 'ls s > /dev/null; cat s/* > /dev/null'
	[ "$split_status" = 0 ]
	# the directory twice (ls, the glob), then each of the 4 files left once
	[ "$(json_field ops.OPEN)" = 6 ] || { echo "--attr-timeout=0: $(json_field ops.OPEN) opens for 4 files" >&2; return 1; }
}

@test "round trips: cat of 32 MB keeps several reads in flight (a few round trips, not one a read)" {
	head -c 33554432 /dev/urandom > "$SPLIT_ROOT/$T/big32"
	local r
	r=$(round_trips "cat big32 > /dev/null")
	echo "cat of 32 MB: $r round trips, $(json_field requests) requests" >&2
	# 4 before cat runs (the handshake, -C, the shell's stats), the open,
	# and readahead: cat says POSIX_FADV_SEQUENTIAL, so 8 PREADs of 1 MiB
	# go at its first read, 16 after.
	[ "$r" -le 11 ] || { echo "cat of 32 MB: $r round trips" >&2; return 1; }
	split_run -C "/$T" -- cat big32
	cmp "$BATS_TEST_TMPDIR/split.out" "$SPLIT_ROOT/$T/big32"
}

@test "an open's first bytes: not brought once 8 files in a row were closed unread, brought again after the next read" {
	head -c 1048576 /dev/urandom > "$SPLIT_ROOT/$T/big1"
	# opens N READS: a command that opens and closes big1 N times unread,
	# then READS times reading one byte (os.* calls: no buffering reads more)
	opens() {
		echo "python3 -I -c \"
import os
for i in range($1):
    os.close(os.open('big1', os.O_RDONLY))
for i in range($2):
    fd = os.open('big1', os.O_RDONLY)
    assert len(os.read(fd, 1)) == 1
    os.close(fd)\""
	}
	local r0 b0 r1 b1 r2 b2
	r0=$(round_trips "$(opens 0 0)") && b0=$(json_field bytes_received)
	r1=$(round_trips "$(opens 40 0)") && b1=$(json_field bytes_received)
	r2=$(round_trips "$(opens 40 20)") && b2=$(json_field bytes_received)
	echo "40 opens unread: $((r1 - r0)) round trips, $((b1 - b0)) bytes received; 20 read after them: $((r2 - r1)) round trips, $((b2 - b1)) bytes" >&2
	# the first 8 bring 64 KiB each, the other 32 none; one round trip
	# each, and one at the exit for the closes (pipelined)
	[ $((b1 - b0)) -ge $((8 * 65536)) ] && [ $((b1 - b0)) -lt $((9 * 65536)) ] || return 1
	[ $((r1 - r0)) = 41 ] || return 1
	# the first read after them waits for its bytes; the 19 opens after
	# it bring theirs along again (one round trip each, with the read);
	# a 1-byte read fetches no more (readahead reaches 4 times what was
	# read past the reader: the first read's 128 KiB, no more)
	[ $((r2 - r1)) = 21 ] || return 1
	[ $((b2 - b1)) -ge $((19 * 65536)) ] && [ $((b2 - b1)) -lt $((19 * 65536 + 2 * 131072)) ] || return 1
}

@test "round trips: the close of a file written to is waited for (two a file to write 100), but not with --async-close" {
	mkdir -p "$SPLIT_ROOT/$T/w" "$SPLIT_NATIVE/$T/w"
	local write='python3 -c "
for i in range(100):
    with open(\"w/f%d\" % i, \"w\") as f:
        f.write(\"x\" * 5000)"'
	local r rs
	r=$(round_trips "$write" --async-close)
	rs=$(round_trips "$write")
	echo "100 files written: $r round trips with --async-close, $rs by default" >&2
	# each file's create is one; by default (--sync-close) each close waits too
	[ "$r" -le 115 ] && [ $((rs - r)) -ge 95 ] ||
		{ echo "100 files written: $r round trips with --async-close, $rs by default" >&2; return 1; }
	[ "$(cat "$SPLIT_ROOT/$T/w/f99")" = "$(printf 'x%.0s' $(seq 5000))" ]
	rs=$(round_trips "$write" --sync-close)
	[ "$rs" -ge $((r + 95)) ] || { echo "--sync-close: $rs round trips" >&2; return 1; }
	run "$SPLITRUN" --async-close -- true
	[ "$status" = 2 ] && [[ "$output" == *"--async-close needs --shadow"* ]]
	run "$SPLITRUN" --shadow 127.0.0.1:1 --sync-close --async-close -- true
	[ "$status" = 2 ] && [[ "$output" == *"choose one"* ]]
}

@test "round trips: a shell's '> file' costs the same under either backend (a low fd's held file: no fetch, its DUP not waited for)" {
	mkdir -p "$SPLIT_ROOT/$T/r" "$SPLIT_NATIVE/$T/r"
	local r ra
	r=$(round_trips 'for i in $(seq 50); do echo "line $i" > r/f$i; done')
	ra=$(round_trips 'for i in $(seq 50); do echo "line $i" > r/g$i; done' --async-close)
	echo "50 redirections: $r round trips, $ra with --async-close" >&2
	# The open of each, and by default its close's wait; under user
	# notification the file is held (fd 1 is below the fd base) and written
	# home at that close, through the open's own handle with --async-close.
	# Before: one more a file under user notification (the held file's own
	# open), and --async-close saved none there.
	[ "$r" -le 115 ] || { echo "50 redirections: $r round trips" >&2; return 1; }
	[ "$ra" -le 65 ] || { echo "50 redirections with --async-close: $ra round trips" >&2; return 1; }
	[ "$(cat "$SPLIT_ROOT/$T/r/f50" "$SPLIT_ROOT/$T/r/g7")" = "$(printf 'line 50\nline 7')" ]
	rm -f "$SPLIT_ROOT/$T"/r/[fg]*
	split_both 'for i in $(seq 50); do echo "line $i" > r/h$i; done; cat r/h7 r/h50; wc -c r/h* | tail -1'
}

@test "a reply sent before the agent's own change does not fill the cache after it (a slow link)" {
	many s 300 12
	# A link of 20 ms each way: the stat prefetch of the listing is still
	# on its way when the truncate is sent, and answered before it.
	local proxy=${SPLITRUN_TESTBIN:?}/../bench/delay_proxy
	"$proxy" --target "$SPLIT_ADDR" --delay 20 > "$BATS_TEST_TMPDIR/proxy.out" 2> "$BATS_TEST_TMPDIR/proxy.err" 3>&- &
	echo $! > "$BATS_TEST_TMPDIR/own-proxy.pid"
	local i addr=
	for i in $(seq 100); do
		addr=$(awk '/^listen / { print $2 }' "$BATS_TEST_TMPDIR/proxy.out")
		[ -n "$addr" ] && break
		sleep 0.05
	done
	[ -n "$addr" ] || { echo "delay_proxy did not start" >&2; return 1; }
	(cd "$BATS_TEST_TMPDIR" && timeout -k 5 60 "${SPLIT_ENV[@]}" "$SPLITRUN" --shadow "$addr" -C "/$T" -- python3 -c "
import os
fd = os.open('s/f150', os.O_RDWR)
names = os.listdir('s')
os.ftruncate(fd, 2)
print(os.stat('s/f150').st_size, os.fstat(fd).st_size)
os.write(fd, b'abc')
names = os.listdir('s')
os.close(fd)
print(os.stat('s/f150').st_size)") > "$BATS_TEST_TMPDIR/split.out" 2> "$BATS_TEST_TMPDIR/split.err"
	printf '2 2\n3\n' > "$BATS_TEST_TMPDIR/want"
	differ "sizes after the agent's truncate and write" "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/split.out"
}

@test "round trips: stage fetches a file with its open and the rest in flight; its write-back is one wait" {
	local pol r
	pol=$(split_policy "path /$T/** stage")
	# Before: an open, one round trip per MiB to fetch, the close: 5 to
	# read; to write back, a truncate, one per MiB and the times: 5 more.
	# Now: the open brings 1 MiB, the rest comes in one wait, the
	# write-back is one wait, and the close is awaited only as splitrun
	# ends (one, if nothing else was).
	split_run --policy "$pol" -C "/$T" --attr-timeout=60 --stats=json -- sh -c 'cat big.bin > /dev/null'
	[ "$split_status" = 0 ]
	r=$(json_field round_trips)
	split_run --policy "$pol" -C "/$T" --attr-timeout=60 --stats=json -- sh -c 'true'
	local base
	base=$(json_field round_trips)
	echo "stage: $r round trips to read 3 MB, $base for nothing" >&2
	[ $((r - base)) -le 3 ] || { echo "stage: reading 3 MB cost $((r - base)) round trips" >&2; return 1; }
	split_run --policy "$pol" -C "/$T" --attr-timeout=60 --stats=json -- sh -c 'printf more >> big.bin'
	[ "$split_status" = 0 ] && [ "$(json_field written_back)" = 1 ]
	r=$(json_field round_trips)
	echo "stage: $r round trips to append and write 3 MB back" >&2
	# the open, the rest of the file, the write-back, the last close
	[ $((r - base)) -le 4 ] || { echo "stage: append and write-back cost $((r - base)) round trips" >&2; return 1; }
	[ "$(tail -c 4 "$SPLIT_ROOT/$T/big.bin")" = more ] && [ "$(stat -c %s "$SPLIT_ROOT/$T/big.bin")" = 3000004 ]
}

@test "close-to-open: a change made at home between two opens is seen at the second open" {
	local sync=$BATS_TEST_TMPDIR/sync
	mkdir -p "$sync"
	split_run -C "/$T" -- sh -c "
		cat a.txt; stat -c %s a.txt; ls -l > /dev/null
		touch $sync/first
		i=0; while [ ! -e $sync/go ] && [ \$i -lt 400 ]; do sleep 0.05; i=\$((i+1)); done
		cat a.txt; stat -c %s a.txt" 3>&- &
	local guest=$!
	wait_for "$sync/first"
	printf 'changed at home, longer\n' > "$SPLIT_ROOT/$T/a.txt"
	touch "$sync/go"
	wait "$guest"
	printf 'alpha\nbeta\ngamma\ndelta\n23\nchanged at home, longer\n24\n' > "$BATS_TEST_TMPDIR/want"
	differ "what the guest read" "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/split.out"
}

@test "close-to-open: two agents on one file see each other's writes once the writer closed it" {
	local sync=$BATS_TEST_TMPDIR/sync out=$BATS_TEST_TMPDIR
	mkdir -p "$sync"
	(cd "$out" && timeout -k 5 60 "${SPLIT_ENV[@]}" "$SPLITRUN" --shadow "$SPLIT_ADDR" -C "/$T" -- sh -c "
		printf 'from A\n' > shared
		touch $sync/a-wrote
		i=0; while [ ! -e $sync/b-wrote ] && [ \$i -lt 400 ]; do sleep 0.05; i=\$((i+1)); done
		cat shared") > "$out/a.out" 2> "$out/a.err" 3>&- &
	local a=$!
	(cd "$out" && timeout -k 5 60 "${SPLIT_ENV[@]}" "$SPLITRUN" --shadow "$SPLIT_ADDR" -C "/$T" -- sh -c "
		i=0; while [ ! -e $sync/a-wrote ] && [ \$i -lt 400 ]; do sleep 0.05; i=\$((i+1)); done
		cat shared
		printf 'from B\n' >> shared
		touch $sync/b-wrote") > "$out/b.out" 2> "$out/b.err" 3>&- &
	local b=$!
	wait "$a" && wait "$b" || { cat "$out/a.err" "$out/b.err" >&2; return 1; }
	printf 'from A\n' > "$out/b.want"
	printf 'from A\nfrom B\n' > "$out/a.want"
	differ "what agent B read after A closed" "$out/b.want" "$out/b.out"
	differ "what agent A read after B closed" "$out/a.want" "$out/a.out"
}

@test "the cache: the agent's own changes are seen at once (chmod, truncate, links, rename, unlink, mkdir, writes)" {
	split_both '
		ls -l > /dev/null; ls -l sub > /dev/null
		chmod 600 a.txt; stat -c %a a.txt
		ln a.txt hard; chmod 640 hard; stat -c "%a %h %s" a.txt hard
		truncate -s 3 hard; stat -c %s a.txt
		ln -s a.txt soft; stat -L -c %s soft; printf 0123456789 >> a.txt; stat -L -c %s soft; stat -c %s hard
		mv hard moved; stat -c %n moved; stat hard 2>&1; stat -c %h a.txt
		rm moved; stat -c %h a.txt
		mkdir newdir; stat -c %F newdir; rmdir newdir; stat newdir 2>&1
		mv sub sub2; stat -c %n sub2/b.txt; stat sub/b.txt 2>&1
		exec 3> w.txt; printf abc >&3; stat -c %s w.txt; exec 3>&-; stat -c %s w.txt
		touch -d "2001-02-03 04:05:06" w.txt; stat -c %Y w.txt'
}

@test "--attr-timeout: a change at home is seen by a stat once the time is over (0: at once)" {
	local sync=$BATS_TEST_TMPDIR/sync
	mkdir -p "$sync"
	split_run --attr-timeout=0 -C "/$T" -- sh -c "
		stat -c %s a.txt; touch $sync/first
		i=0; while [ ! -e $sync/go ] && [ \$i -lt 400 ]; do sleep 0.05; i=\$((i+1)); done
		stat -c %s a.txt; test -e new.txt && echo new there" 3>&- &
	local guest=$!
	wait_for "$sync/first"
	printf 'x\n' > "$SPLIT_ROOT/$T/a.txt"
	printf 'y\n' > "$SPLIT_ROOT/$T/new.txt"
	touch "$sync/go"
	wait "$guest"
	printf '23\n2\nnew there\n' > "$BATS_TEST_TMPDIR/want"
	differ "stat with --attr-timeout=0" "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/split.out"
	rm -f "$sync"/* "$SPLIT_ROOT/$T/new.txt"
	split_run --attr-timeout=0.3 -C "/$T" -- sh -c "
		stat -c %s a.txt; test -e new.txt || echo no new; touch $sync/first
		i=0; while [ ! -e $sync/go ] && [ \$i -lt 400 ]; do sleep 0.05; i=\$((i+1)); done
		sleep 0.5; stat -c %s a.txt; test -e new.txt && echo new there" &
	guest=$!
	wait_for "$sync/first"
	printf 'longer now\n' > "$SPLIT_ROOT/$T/a.txt"
	printf 'y\n' > "$SPLIT_ROOT/$T/new.txt"
	touch "$sync/go"
	wait "$guest"
	printf '2\nno new\n11\nnew there\n' > "$BATS_TEST_TMPDIR/want"
	differ "stat with --attr-timeout=0.3, 0.5 s later" "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/split.out"
	run "$SPLITRUN" --attr-timeout=soon --shadow "$SPLIT_ADDR" -- true
	[ "$status" = 2 ] && [[ "$output" == *"--attr-timeout: not a number of seconds"* ]]
}

@test "write-behind: fsync returns once the data is at home; a later read and stat see it" {
	local sync=$BATS_TEST_TMPDIR/sync
	mkdir -p "$sync"
	split_run -C "/$T" -- python3 -c "
import os, time
fd = os.open('wb.txt', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
for i in range(100):
    os.write(fd, b'line %03d\n' % i)
os.fsync(fd)
open('$sync/synced', 'w').close()
while not os.path.exists('$sync/checked'):
    time.sleep(0.05)
print(os.stat('wb.txt').st_size, len(open('wb.txt', 'rb').read()))
os.close(fd)" 3>&- &
	local guest=$!
	wait_for "$sync/synced"
	local size
	size=$(stat -c %s "$SPLIT_ROOT/$T/wb.txt")
	touch "$sync/checked"
	wait "$guest"
	[ "$size" = 900 ] || { echo "after fsync returned, $size bytes were at home, not 900" >&2; return 1; }
	[ "$(cat "$BATS_TEST_TMPDIR/split.out")" = "900 900" ]
}

# fill_and_report: a guest that writes 1 MB in 64 KB writes, then fsyncs (or
# not) and closes, and prints each outcome; with a third argument, in a
# directory of that name it makes first.
fill_and_report() {
	cat <<'EOF'
import os, sys
path = sys.argv[1]
if len(sys.argv) > 3:
    # in a directory made now, after a first file: a file made ahead
    os.mkdir(sys.argv[3])
    open(sys.argv[3] + "/first", "w").close()
    path = sys.argv[3] + "/" + path
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
failed = False
for i in range(16):
    try:
        os.write(fd, b"x" * 65536)
    except OSError as e:
        print("write %d: errno %d" % (i, e.errno)); failed = True; break
if sys.argv[2] == "fsync":
    try:
        os.fsync(fd); print("fsync ok")
    except OSError as e:
        print("fsync: errno %d" % e.errno); failed = True
try:
    os.close(fd); print("close ok")
except OSError as e:
    print("close: errno %d" % e.errno); failed = True
print("reported" if failed else "all succeeded")
EOF
}

# check_reported ERRNO STATUS MESSAGE: the guest's outcome named ERRNO at a
# write, the fsync or the close; or, where the backend cannot change what
# close returns (user notification), splitrun named the file and MESSAGE
# and exited 122. Never success and status 0.
check_reported() {
	local out=$BATS_TEST_TMPDIR/split.out err=$BATS_TEST_TMPDIR/split.err
	if [ "$2" = 0 ]; then
		grep -q '^reported$' "$out" && grep -Eq "^(write [0-9]+|fsync|close): errno $1\$" "$out" && return 0
	elif [ "$2" = 122 ]; then
		grep -q '^close ok$' "$out" && grep -q "storing the data written at home failed: $3\$" "$err" &&
			grep -q 'did not all reach home' "$err" && return 0
	fi
	echo "the failure (errno $1, $3) was not reported (status $2):" >&2
	cat "$out" "$err" >&2
	return 1
}

# start_shadow NAME CMD...: a shadow of its own (CMD runs it, the last
# argument its root), its address in $ADDR.
start_own_shadow() {
	local name=$1
	shift
	"$@" --listen 127.0.0.1:0 > "$BATS_TEST_TMPDIR/$name.out" 2> "$BATS_TEST_TMPDIR/$name.log" 3>&- &
	echo $! > "$BATS_TEST_TMPDIR/own-$name.pid"
	local i
	ADDR=
	for i in $(seq 200); do
		ADDR=$(awk '/^splitrun --shadow / { print $3 }' "$BATS_TEST_TMPDIR/$name.out" 2>/dev/null || true)
		[ -n "$ADDR" ] && return 0
		sleep 0.05
	done
	echo "the shadow $name did not start:" >&2
	cat "$BATS_TEST_TMPDIR/$name.log" >&2
	return 1
}

@test "write-behind failures: a full file system at home (ENOSPC) is reported at a write, the fsync or the close" {
	local root=$BATS_TEST_TMPDIR/small
	mkdir -p "$root"
	# A tmpfs of 256 KiB, mounted in a mount namespace of the shadow's own.
	start_own_shadow small unshare -m sh -c 'mount -t tmpfs -o size=256k tmpfs "$1" && exec "$2" --root "$1" "$3" "$4"' \
		sh "$root" "${SPLITRUN_BINDIR}/splitrun-shadow"
	fill_and_report > "$BATS_TEST_TMPDIR/fill.py"
	local mode
	for mode in fsync close fsync-made close-made; do
		local status=0 made=()
		# -made: the file is one made ahead in a directory the guest made
		[ "${mode%-made}" = "$mode" ] || made=("d-$mode")
		(cd "$BATS_TEST_TMPDIR" && timeout -k 5 60 "${SPLIT_ENV[@]}" "$SPLITRUN" --shadow "$ADDR" -C / -- \
			python3 "$BATS_TEST_TMPDIR/fill.py" "f-$mode" "${mode%-made}" "${made[@]}") > "$BATS_TEST_TMPDIR/split.out" \
			2> "$BATS_TEST_TMPDIR/split.err" || status=$?
		check_reported 28 "$status" "No space left on device"
	done
	sync_close_reports 28
	# a shell's '> file' (a held file under user notification): 122 and the
	# file named, never success
	local status=0
	(cd "$BATS_TEST_TMPDIR" && timeout -k 5 60 "${SPLIT_ENV[@]}" "$SPLITRUN" --shadow "$ADDR" -C / -- \
		sh -c 'head -c 400000 /dev/zero > big.out; echo "sh: $?"') > "$BATS_TEST_TMPDIR/split.out" \
		2> "$BATS_TEST_TMPDIR/split.err" || status=$?
	if [ "$status" = 0 ]; then
		grep -q '^sh: [1-9]' "$BATS_TEST_TMPDIR/split.out" ||
			{ echo "'> file' on a full file system: status 0 and no failure"; cat "$BATS_TEST_TMPDIR/split.out" "$BATS_TEST_TMPDIR/split.err"; return 1; } >&2
	else
		[ "$status" = 122 ] && grep -q '^splitrun: /big.out: .* failed: No space left on device$' "$BATS_TEST_TMPDIR/split.err" ||
			{ echo "'> file' on a full file system: status $status"; cat "$BATS_TEST_TMPDIR/split.out" "$BATS_TEST_TMPDIR/split.err"; return 1; } >&2
	fi
}

# sync_close_reports ERRNO: with --sync-close under ptrace, the close itself
# returns ERRNO (the guest's outcome, status 0); under user notification,
# which cannot change what close returns, status 122.
sync_close_reports() {
	local status=0 backend=ptrace
	under_unotify && backend=unotify
	(cd "$BATS_TEST_TMPDIR" && timeout -k 5 60 "${SPLIT_ENV[@]}" "$SPLITRUN" --shadow "$ADDR" --sync-close \
		--backend=$backend -C / -- python3 "$BATS_TEST_TMPDIR/fill.py" f-sync close) > "$BATS_TEST_TMPDIR/split.out" \
		2> "$BATS_TEST_TMPDIR/split.err" || status=$?
	if [ $backend = ptrace ]; then
		[ "$status" = 0 ] && grep -Eq "^(write [0-9]+|close): errno $1\$" "$BATS_TEST_TMPDIR/split.out" ||
			{ echo "--sync-close: status $status, the close did not report errno $1:"; cat "$BATS_TEST_TMPDIR/split.out" "$BATS_TEST_TMPDIR/split.err"; return 1; } >&2
	else
		[ "$status" = 122 ] || { echo "--sync-close under unotify: status $status"; return 1; } >&2
	fi
}

@test "write-behind failures: a file size limit at home (EFBIG) is reported at a write, the fsync or the close" {
	local root=$BATS_TEST_TMPDIR/limited
	mkdir -p "$root"
	# SIGXFSZ ignored: a write over the limit fails with EFBIG.
	start_own_shadow limited sh -c 'trap "" XFSZ; exec prlimit --fsize=300000 "$0" --root "$1" "$2" "$3"' \
		"${SPLITRUN_BINDIR}/splitrun-shadow" "$root"
	fill_and_report > "$BATS_TEST_TMPDIR/fill.py"
	local mode
	for mode in fsync close; do
		local status=0
		(cd "$BATS_TEST_TMPDIR" && timeout -k 5 60 "${SPLIT_ENV[@]}" "$SPLITRUN" --shadow "$ADDR" -C / -- \
			python3 "$BATS_TEST_TMPDIR/fill.py" "f-$mode" "$mode") > "$BATS_TEST_TMPDIR/split.out" \
			2> "$BATS_TEST_TMPDIR/split.err" || status=$?
		check_reported 27 "$status" "File too large"
		[ "$(stat -c %s "$root/f-$mode")" -le 300000 ]
	done
	sync_close_reports 27
}

@test "a staged file's write-back that fails at home (ENOSPC) is returned by the close, or told with 122 with --async-close" {
	local root=$BATS_TEST_TMPDIR/small
	mkdir -p "$root"
	start_own_shadow small unshare -m sh -c 'mount -t tmpfs -o size=256k tmpfs "$1" && exec "$2" --root "$1" "$3" "$4"' \
		sh "$root" "${SPLITRUN_BINDIR}/splitrun-shadow"
	local pol
	pol=$(split_policy "path /out*.bin stage")
	local write='import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(fd, b"y" * 400000)
try:
    os.close(fd); print("close ok")
except OSError as e:
    print("close: errno %d" % e.errno)'
	local status=0
	(cd "$BATS_TEST_TMPDIR" && timeout -k 5 60 "${SPLIT_ENV[@]}" "$SPLITRUN" --shadow "$ADDR" --policy "$pol" --async-close \
		-C / -- python3 -c "$write" out1.bin) > "$BATS_TEST_TMPDIR/split.out" 2> "$BATS_TEST_TMPDIR/split.err" || status=$?
	[ "$status" = 122 ] && grep -q '^splitrun: /out1.bin: writing the staged file back failed: No space left on device$' \
		"$BATS_TEST_TMPDIR/split.err" || { echo "status $status:"; cat "$BATS_TEST_TMPDIR/split.out" "$BATS_TEST_TMPDIR/split.err"; return 1; } >&2
	under_unotify && return 0
	status=0
	(cd "$BATS_TEST_TMPDIR" && timeout -k 5 60 "${SPLIT_ENV[@]}" "$SPLITRUN" --shadow "$ADDR" --policy "$pol" \
		-C / -- python3 -c "$write" out2.bin) > "$BATS_TEST_TMPDIR/split.out" 2> "$BATS_TEST_TMPDIR/split.err" || status=$?
	[ "$(cat "$BATS_TEST_TMPDIR/split.out")" = "close: errno 28" ] ||
		{ echo "a waiting close: status $status:"; cat "$BATS_TEST_TMPDIR/split.out" "$BATS_TEST_TMPDIR/split.err"; return 1; } >&2
}

@test "a shadow lost with data in write-behind: 122 at the close, the fsync or the exit, never success" {
	local root=$BATS_TEST_TMPDIR/doomed sync=$BATS_TEST_TMPDIR/sync
	mkdir -p "$root" "$sync"
	local how
	for how in close fsync exit close-made exit-made; do
		rm -rf "$sync"/* "$root"/*
		start_own_shadow doomed "${SPLITRUN_BINDIR}/splitrun-shadow" --root "$root"
		# -made: a file made ahead in a directory the guest made, its
		# naming on its way when the shadow goes
		(cd "$BATS_TEST_TMPDIR" && timeout -k 5 60 "${SPLIT_ENV[@]}" "$SPLITRUN" --shadow "$ADDR" -C / -- python3 -c "
import os, time
name = 'data'
if '$how'.endswith('-made'):
    os.mkdir('d'); open('d/first', 'w').close(); name = 'd/data'
fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
open('$sync/opened', 'w').close()
i = 0
while not os.path.exists('$sync/go') and i < 400:
    time.sleep(0.05); i += 1
os.write(fd, b'precious' * 1000)
print('write returned', flush=True)
if '$how' == 'fsync':
    os.fsync(fd); print('fsync ok', flush=True)
if not '$how'.startswith('exit'):
    os.close(fd); print('close ok', flush=True)
os._exit(0)") > "$BATS_TEST_TMPDIR/lost.out" 2> "$BATS_TEST_TMPDIR/lost.err" 3>&- &
		local guest=$! status=0
		wait_for "$sync/opened"
		kill -KILL "$(cat "$BATS_TEST_TMPDIR/own-doomed.pid")"
		touch "$sync/go"
		wait "$guest" || status=$?
		[ "$status" = 122 ] || { echo "$how: status $status, want 122"; cat "$BATS_TEST_TMPDIR/lost.out" "$BATS_TEST_TMPDIR/lost.err"; return 1; } >&2
		# A close is waited for (unless --async-close) and an fsync always:
		# neither said ok.
		! grep -Eq '^(fsync|close) ok$' "$BATS_TEST_TMPDIR/lost.out" ||
			{ echo "$how: the guest was told its data was stored:"; cat "$BATS_TEST_TMPDIR/lost.out"; return 1; } >&2
		grep -q 'lost\|did not all reach home' "$BATS_TEST_TMPDIR/lost.err" ||
			{ echo "$how: no word of the loss:"; cat "$BATS_TEST_TMPDIR/lost.err"; return 1; } >&2
	done
}
