#!/usr/bin/env bats
# The corpus: real programs (coreutils, findutils, tar, grep, sed, sh,
# sqlite3, python3, make and gcc, busybox) run twice, natively on a copy of
# the tree and through splitrun with the tree only at the shadow's side;
# stdout, stderr, exit status and the resulting tree (content hash, mode,
# symlink target of every entry), and what they leave in a local directory
# ($LOCAL), must be the same. split_basic.bats has the first few programs
# (cat, cp, ls, mkdir, rm, ln, chmod, sh redirections, cd); this file the
# rest.
#
# What legitimately differs between the two runs is taken out where it is
# printed, each time with a comment why: the times of files a run makes
# (the runs happen at different moments), never more.

load split_helpers

setup_file() {
	split_start_shadow
}

teardown_file() {
	split_stop_shadow
}

setup() {
	split_fixture "t$BATS_TEST_NUMBER"
	SPLIT_POLICY=
}

@test "mv: renames, into directories, over a file, a directory, to and from a local directory" {
	split_both 'mv a.txt renamed.txt && mv renamed.txt sub/ && mv sub/deeper sub/moved && mv "with space.txt" empty-dir/ && ls -R'
	split_both 'mv -f sub/b.txt empty; mv link-to-sub link2 && readlink link2; mv sub empty-dir; echo "status $?"; mv missing x; echo "status $?"'
	# Across file systems (EXDEV): mv copies and removes.
	split_both 'mv empty-dir/sub "$LOCAL"/ && mv "$LOCAL"/sub/moved . && ls "$LOCAL"/sub && mv "$LOCAL"/sub/renamed.txt back.txt && cat back.txt && ls -R'
}

@test "find: names, types, sizes, -newer, -exec, -printf, -delete" {
	split_both 'find . | sort; find . -type f -name "*.txt" | sort; find . -type l | sort; find -L . -type f -size +1k'
	split_both 'find . -newer a.txt -type f | sort; find sub -exec wc -c {} + ; find . -maxdepth 1 -printf "%p %y %m %s\n" | sort'
	split_both 'find . -name "*.txt" -path "*sub*" -delete && find . -empty | sort'
}

@test "du: apparent sizes and blocks, -s, -a, -c" {
	split_both 'du -a | sort -k2; du -sb .; du -ab sub; du -c a.txt big.bin'
}

@test "stat and touch: formats, times set and copied, -c of a missing file" {
	split_both 'stat -c "%n %s %a %A %F %h %U %G %y" a.txt sub sub/b.txt link-to-a dangling empty; stat -L -c "%n %F" link-to-a link-to-sub'
	split_both 'touch -d "2019-05-06 07:08:09" a.txt new.txt && touch -r a.txt empty && touch -m -d @1000000000 sub && touch -c missing &&
		stat -c "%n %y %x" a.txt new.txt empty && stat -c "%n %y" sub && ls missing; echo "status $?"'
	split_both 'stat -f -c "%T" . > /dev/null; echo "status $?"; stat missing; echo "status $?"'
}

@test "chmod: symbolic and octal, -R, of a symlink's target" {
	split_both 'chmod -R go-rwx sub && chmod 4755 a.txt && chmod a+X empty-dir && chmod 600 link-to-a && stat -c "%n %a" a.txt sub sub/b.txt sub/deeper sub/deeper/c.txt empty-dir'
}

@test "tar: c and x, t -v, compressed through a pipe, into a local directory and back" {
	split_both 'tar cf ../archive.tar . 2>&1; echo "status $?"'
	split_both 'tar cf sub.tar sub link-to-a dangling && tar tvf sub.tar && mkdir x && tar xf sub.tar -C x && cmp sub/b.txt x/sub/b.txt'
	split_both 'tar czf - sub a.txt | tar xzf - -C "$LOCAL" && tar cf - -C "$LOCAL" . | tar xf - -C empty-dir && find empty-dir | sort'
}

@test "sort: in place, -u, -n, with temporary files in a remote directory" {
	split_seed 'seq 20000 | sed "s/\$/ line/" | sort -R --random-source=big.bin > numbers.txt'
	split_both 'sort -o a.txt a.txt && cat a.txt; sort -u a.txt a.txt sub/b.txt; sort -n numbers.txt | head -3'
	# A 1 KiB buffer makes sort spill to temporary files, here remote ones.
	split_both 'mkdir tmp && sort -n -S 1k -T tmp numbers.txt > sorted.txt && tail -2 sorted.txt && ls tmp | wc -l'
}

@test "grep: -r, -n, -l, -c, --include, a missing file, no match" {
	split_both 'grep -rn a . | sort; grep -rl line --include="*.txt" . | sort; grep -c a a.txt sub/b.txt; grep x missing; echo "status $?"; grep -q zzz a.txt; echo "status $?"'
	split_both 'grep -r -e alpha -e deep sub a.txt link-to-sub; grep -R deep . | sort'
}

@test "sed -i: in place (a new file renamed over the old), with a backup, modes kept" {
	split_both 'sed -i "s/a/A/g" a.txt sub/b.txt && sed -i.bak -e "1d" "with space.txt" && cat a.txt sub/b.txt "with space.txt" "with space.txt.bak" && stat -c "%n %a" a.txt sub/b.txt'
	split_both 'sed -n "2,3p" a.txt; sed -i "s/x/y/" missing; echo "status $?"; sed -i -n "\$p" link-to-a; ls -l link-to-a | cut -c1; cat a.txt'
}

@test "md5sum, sha256sum, wc, head, tail, cut, tr, uniq, tee, cmp, diff" {
	split_both 'md5sum a.txt big.bin sub/b.txt > sums && md5sum -c sums && sha256sum big.bin && echo x >> a.txt && md5sum --quiet -c sums; echo "status $?"'
	split_both 'wc a.txt big.bin sub/b.txt; wc -l < a.txt; head -2 a.txt; head -c 10 big.bin | od -An -tx1; head -n -2 a.txt; tail -1 a.txt; tail -c 5 a.txt; tail -n +3 a.txt'
	split_both 'cut -c1-3 a.txt | tr a-z A-Z | uniq -c | tee upper.txt sub/upper.txt > /dev/null && cmp upper.txt sub/upper.txt && diff a.txt sub/b.txt; echo "status $?"'
}

@test "sh: <, >, >>, 2>&1, <>, here documents, noclobber, pipelines into remote files" {
	split_both 'cat < a.txt > out.txt 2> err.txt; ls missing 2>> err.txt >> out.txt; ls a.txt missing > both.txt 2>&1; cat out.txt err.txt both.txt'
	split_both 'exec 3<> rw.txt; echo first >&3; exec 3>&-; cat <<EOF > here.txt
one $((1 + 1))
EOF
set -C; echo again > here.txt; echo "status $?"; echo ok >| here.txt; cat here.txt rw.txt'
	split_both 'sort -r a.txt | grep -v beta | tee piped.txt | wc -l; cat big.bin | gzip -c | gzip -dc | cmp - big.bin; (echo a; echo b >&2) 2>&1 | cat > both.txt; cat piped.txt both.txt'
}

@test "cd into a remote directory: relative paths, .., subshells, cd -P through a symlink" {
	split_both 'cd sub/deeper && cat c.txt ../b.txt && (cd .. && ls) && echo new > ../../made.txt && cd ../.. && cat made.txt && cd link-to-sub && pwd && cd -P . && pwd && ls ../sub/../a.txt'
	split_both 'cd empty-dir && mkdir -p a/b && cd a/b && touch f && cd ../.. && find . | sort && cd .. && rm -r empty-dir/a && ls empty-dir'
}

@test "sqlite3: a table, 1000 inserts with its rollback journal, queries, a rollback, a dump" {
	# 100 statements in a transaction each (a journal made and removed each
	# time), then 900 in one transaction.
	split_both 'awk "BEGIN { print \"CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, n INT);\"; for (i = 1; i <= 100; i++) printf \"INSERT INTO t(name, n) VALUES (%c%s%d%c, %d);\n\", 39, \"row\", i, 39, i * 7 % 13 }" > init.sql &&
		sqlite3 db.sqlite < init.sql &&
		awk "BEGIN { print \"BEGIN;\"; for (i = 101; i <= 1000; i++) printf \"INSERT INTO t(name, n) VALUES (%c%s%d%c, %d);\n\", 39, \"row\", i, 39, i * 7 % 13; print \"COMMIT;\" }" | sqlite3 db.sqlite &&
		sqlite3 db.sqlite "SELECT count(*), sum(n) FROM t; SELECT name FROM t WHERE id % 250 = 0; PRAGMA integrity_check; PRAGMA journal_mode;" &&
		ls && sqlite3 db.sqlite .dump | md5sum'
	# A transaction larger than sqlite's page cache writes to the database
	# before it ends: its rollback restores the pages from the journal.
	split_both 'sqlite3 db.sqlite "CREATE TABLE big(x); INSERT INTO big VALUES (1);" &&
		sqlite3 db.sqlite "PRAGMA cache_size = 5; BEGIN; WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 5000) INSERT INTO big SELECT hex(randomblob(100)) FROM c; SELECT count(*) FROM big; ROLLBACK; SELECT count(*) FROM big; PRAGMA integrity_check;" && ls'
	# A statement that fails ends the program inside its transaction: the
	# journal stays (its header zeroed), and the next writer removes it.
	split_both 'sqlite3 db.sqlite "CREATE TABLE u(x UNIQUE); INSERT INTO u VALUES (1);" && sqlite3 db.sqlite "BEGIN; INSERT INTO u VALUES (2); INSERT INTO u VALUES (1); COMMIT;" 2>&1; echo "status $?"; ls; sqlite3 db.sqlite "SELECT * FROM u; INSERT INTO u VALUES (3); SELECT count(*) FROM u;"; ls'
}

@test "sqlite3 in WAL mode (its -shm mapped shared and writable): 1000 inserts, a writer and a reader process at once, a program killed in a transaction" {
	split_both 'sqlite3 db.sqlite "PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, w INT);" &&
		seq 500 | sed "s/.*/INSERT INTO t(v, w) VALUES (\x27v&\x27, & % 7);/" | sqlite3 db.sqlite &&
		seq 501 1000 | sed "s/.*/INSERT INTO t(v, w) VALUES (\x27v&\x27, & % 7);/" | (echo "BEGIN;"; cat; echo "COMMIT;") | sqlite3 db.sqlite &&
		sqlite3 db.sqlite "SELECT count(*), sum(w) FROM t; PRAGMA journal_mode; PRAGMA integrity_check;" && ls'
	# Two processes share the database, and so its -shm, at once: each
	# commit of the writer is seen whole or not at all by the reader.
	split_both 'python3 -c "
import sqlite3, multiprocessing
def writer():
    c = sqlite3.connect(\"db.sqlite\", timeout=60)
    for i in range(100):
        c.execute(\"INSERT INTO t(v, w) VALUES (?, 100)\", (str(i),)); c.execute(\"INSERT INTO t(v, w) VALUES (?, -100)\", (str(i),)); c.commit()
    c.close()
r = sqlite3.connect(\"db.sqlite\", timeout=60)
p = multiprocessing.Process(target=writer); p.start()
torn = 0
while p.is_alive():
    torn += r.execute(\"SELECT sum(w) FROM t WHERE w IN (100, -100)\").fetchone()[0] not in (None, 0)
p.join()
print(\"torn reads:\", torn, \"writer:\", p.exitcode, r.execute(\"SELECT count(*) FROM t\").fetchone()[0])
r.close()
" && ls && sqlite3 db.sqlite "PRAGMA integrity_check"'
	# Killed inside a transaction: its -wal and -shm stay, and the next
	# program recovers the database from them (and removes them).
	split_both 'python3 -c "
import sqlite3, os
c = sqlite3.connect(\"db.sqlite\"); c.execute(\"BEGIN\")
c.executemany(\"INSERT INTO t(v, w) VALUES (?, 0)\", [(\"lost\",)] * 300)
os._exit(0)
" && ls && sqlite3 db.sqlite "SELECT count(*) FROM t WHERE v = '\''lost'\''; PRAGMA integrity_check;" && ls'
}

@test "python3: reads and writes, os.walk, os.stat, shutil.copytree, tempfile, pathlib, mmap" {
	split_both 'python3 -c "
import os, shutil, tempfile, pathlib, stat
with open(\"a.txt\") as f: print(f.read().split())
with open(\"out.txt\", \"w\") as f: f.write(\"written\\n\" * 3)
with open(\"out.txt\", \"a\") as f: f.write(\"appended\\n\")
with open(\"big.bin\", \"rb\") as f: f.seek(1000000); print(len(f.read(5)), f.tell())
for top, dirs, files in sorted(os.walk(\".\")): print(top, sorted(dirs), sorted(files))
s = os.stat(\"sub/b.txt\"); print(oct(s.st_mode), s.st_size, s.st_nlink, int(s.st_mtime))
print(stat.S_ISLNK(os.lstat(\"dangling\").st_mode), os.path.exists(\"dangling\"), os.readlink(\"link-to-a\"))
shutil.copytree(\"sub\", \"sub-copy\", symlinks=True)
shutil.copy2(\"a.txt\", \"a-copy.txt\")
with tempfile.NamedTemporaryFile(\"w\", dir=\"sub\", delete=False) as t: t.write(\"temp\"); name = t.name
os.rename(name, \"sub/from-temp.txt\")
with tempfile.TemporaryDirectory(dir=\".\") as d: open(os.path.join(d, \"x\"), \"w\").write(\"x\"); print(os.listdir(d))
print(sorted(str(p) for p in pathlib.Path(\".\").rglob(\"*.txt\")))
os.replace(\"out.txt\", \"sub/out.txt\"); os.makedirs(\"p/q/r\"); os.removedirs(\"p/q/r\")
print(open(\"sub/out.txt\").read(), os.getcwd())
import mmap
with open(\"sub/b.txt\", \"r+b\") as f:
    m = mmap.mmap(f.fileno(), 0); m[0:5] = b\"LINE1\"; m.flush(); print(open(\"sub/b.txt\").read().split()); m.close()
"'
	split_both 'python3 -c "open(\"missing/x\", \"w\")" 2>&1 | tail -1; python3 -c "import os; os.chdir(\"sub\"); print(os.getcwd(), os.listdir(\".\"))"'
}

@test "compressors and archivers: gzip, bzip2, xz in place, zip and unzip, cpio (busybox), tar --sparse" {
	split_both 'gzip -k a.txt && gzip big.bin && gunzip -c big.bin.gz | md5sum && gzip -d big.bin.gz && bzip2 -k sub/b.txt && xz -k a.txt && bzcat sub/b.txt.bz2 && xzcat a.txt.xz | wc -c && ls'
	# zip -X: without the extra fields, which hold the access times; -D:
	# without entries for directories, whose times are those of the files
	# the first command made in them.
	split_both 'zip -qrXD z.zip sub a.txt link-to-a && unzip -l z.zip | tail -1 && mkdir u && cd u && unzip -q ../z.zip && ls -R && cd .. && find sub -print | busybox cpio -o -H newc | (mkdir c && cd c && busybox cpio -idm) && find c | sort'
	split_both 'truncate -s 10M sparse && printf x | dd of=sparse bs=1 seek=5000000 conv=notrunc 2>/dev/null && touch -d @1000000000 sparse && tar --sparse -cf sparse.tar sparse && mkdir x && tar -xf sparse.tar -C x && du -k x/sparse && cmp sparse x/sparse'
}

@test "more tools: dd, truncate, split, install, hard links (du, find -samefile), perl -i, xargs -P, awk, patch, vim -es, ed, diff -r" {
	split_both 'dd if=big.bin of=part.bin bs=1000 skip=3 count=7 2>/dev/null && dd if=a.txt of=big.bin bs=1 seek=10 conv=notrunc 2>/dev/null && md5sum part.bin big.bin && truncate -s 5 a.txt && split -b 1000000 big.bin part. && ls part.* && cat part.?? | cmp - big.bin && install -m 751 a.txt sub/inst && stat -c %a sub/inst'
	split_both 'ln a.txt hard && stat -c "%h" a.txt && du -a . | sort -k2 && find . -samefile a.txt | sort && perl -i -pe "s/beta/BETA/" a.txt && cat hard && seq 8 | xargs -P4 -I{} sh -c "seq 2000 > par{}" && cat par* | md5sum && awk "{ print > (\"awk-\" NR \".txt\") }" sub/b.txt && cat awk-2.txt'
	split_both 'cp a.txt b.txt && echo new >> b.txt && diff a.txt b.txt > p.diff; patch -s a.txt < p.diff && vim -es -c "%s/gamma/GAMMA/" -c wq a.txt && printf "1c\nONE\n.\nw\nq\n" | ed -s sub/b.txt && cat a.txt sub/b.txt && cp -r sub sub2 && echo x > sub2/b.txt && diff -r sub sub2; echo "status $?"'
}

@test "git: init, add, commit, log, status, diff, clone, gc, fsck" {
	# A commit's hash depends on its times and authors: both are fixed. The
	# index caches each file's inode number and change time, which are
	# this run's own: it is removed at the end of both runs. A clone's
	# config names its origin by absolute path: set back to the relative one.
	split_both 'export GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@b GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@b GIT_AUTHOR_DATE=@1000000000 GIT_COMMITTER_DATE=@1000000000 HOME=$LOCAL &&
		git init -q r && cp -r a.txt sub r/ && cd r && git add . && git commit -q -m first && git log --format="%H %s" && echo x >> a.txt && git status --short && git diff --stat && git commit -qam second &&
		cd .. && git clone -q r r2 && git -C r2 log --format=%H && git -C r2 -c pack.threads=1 gc -q && git -C r2 fsck 2>&1 && git -C r2 count-objects -v | grep -c pack; git -C r2 remote set-url origin ../r; rm r/.git/index r2/.git/index'
}

# A small C project: sources at home; make and gcc run here; objects and
# the program land at home, and the program (remote) runs through splitrun.
add_c_project() {
	split_seed 'mkdir proj && cd proj &&
		printf "CFLAGS = -O1 -Wall\nhello: main.o util.o\n\t\$(CC) -o \$@ main.o util.o\n%%.o: %%.c util.h\n\t\$(CC) \$(CFLAGS) -c \$<\nclean:\n\trm -f hello *.o\n" > Makefile &&
		printf "#include <stdio.h>\n#include \"util.h\"\nint main(int argc, char **argv) { printf(\"%%d\\\\n\", twice(argc)); FILE *f = fopen(\"made-by-hello.txt\", \"w\"); fprintf(f, \"%%s\\\\n\", argv[0]); return fclose(f); }\n" > main.c &&
		printf "int twice(int x);\n" > util.h &&
		printf "#include \"util.h\"\nint twice(int x) { return 2 * x; }\n" > util.c'
}

@test "make and gcc: a C project whose sources are remote, rebuilt after a change, its program run" {
	add_c_project
	split_both 'cd proj && make && ./hello a b && cat made-by-hello.txt && make && touch -d "2000-01-01" util.o && make && make clean && ls'
	# In parallel, with dependency files, a static library, temporary files
	# kept in the remote directory.
	split_both 'cd proj && make -j2 CFLAGS="-O1 -MMD" hello 2>&1 | sort && ar rcs libutil.a util.o && ar t libutil.a && gcc -save-temps -o hello2 main.c -L. -lutil && ./hello2 && touch util.h && make -j2 CFLAGS="-O1 -MMD" 2>&1 | sort && ls'
	split_both 'cd proj && make -s hello && ./hello && make -q; echo "status $?"; echo "int broken(" > util.c; make 2>&1 | grep -c error; ls'
}

@test "busybox: cat, ls, cp -r, mv, rm -r, mkdir -p, ln -s, find, du, stat, sort, grep -r, sed -i, md5sum, wc, head, tail, tar, sh" {
	split_both 'b=busybox; $b cat a.txt sub/b.txt && $b ls -l sub && $b cp -r sub sub2 && $b mv sub2 sub3 && $b rm -r sub3 && $b mkdir -p m/n/o && $b ln -s a.txt bl && $b readlink bl'
	split_both 'b=busybox; $b find . -name "*.txt" | $b sort; $b du -a sub | $b sort -k2; $b stat -c "%n %s %a" a.txt sub; $b grep -r line . | $b sort; $b sed -i "s/beta/BETA/" a.txt; $b md5sum a.txt big.bin; $b wc -l a.txt; $b head -n 2 a.txt; $b tail -n 1 a.txt'
	split_both 'busybox tar cf s.tar sub && busybox mkdir x && busybox tar xf s.tar -C x && busybox tar tf s.tar | busybox sort && busybox sh -c "cd x/sub && cat b.txt > ../copy.txt && cat < b.txt >> ../copy.txt 2>&1 && ls missing 2>> ../copy.txt | wc -l; echo \$(busybox pwd)" && cat x/copy.txt'
}
