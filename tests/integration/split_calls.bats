#!/usr/bin/env bats
# Every path call of this architecture and every fd call on remote fds,
# section by section (tests/progs/split_calls.c): run natively on a tree and
# through splitrun on the same tree held by a splitrun-shadow; the printed
# outcomes, the exit status and the resulting tree must be the same.

load split_helpers

setup_file() {
	split_start_shadow
	# The program runs from a local place: the repository's own directory
	# is not one the built-in policy keeps local.
	mkdir -p "$BATS_FILE_TMPDIR/bin"
	cp "${SPLITRUN_TESTBIN:?}/progs/split_calls" "$BATS_FILE_TMPDIR/bin/"
	export CALLS=$BATS_FILE_TMPDIR/bin/split_calls
}

teardown_file() {
	split_stop_shadow
}

setup() {
	split_fixture "t$BATS_TEST_NUMBER"
}

section() {
	split_both "$CALLS $1"
	# The program's own check that it ran the section at all.
	grep -q "^== $1\$" "$BATS_TEST_TMPDIR/split.out"
}

@test "opening: open, openat (dirfds), openat2, creat, O_EXCL/O_NOFOLLOW/O_DIRECTORY/O_TRUNC/O_PATH/O_APPEND, umask" {
	section open
}

@test "attributes: stat, lstat, newfstatat (AT_EMPTY_PATH, trailing slash), statx, access family, readlink, statfs" {
	section stat
}

@test "changes: chmod family, chown family, truncate, utime, utimes, futimesat, utimensat (OMIT, NOW, NOFOLLOW)" {
	section change
}

@test "names: mkdir, rmdir, unlink, rename, renameat2 (NOREPLACE, EXCHANGE), link, linkat, symlink, symlinkat, mknod" {
	section names
}

@test "directories and the cwd: getdents64 (small buffers), getdents, getcwd, chdir, fchdir, /proc/self/cwd" {
	section dirs
}

@test "data: read, pread, readv, preadv(2), write, pwrite, writev, pwritev(2), lseek (DATA/HOLE), ftruncate, fallocate, sync family, fchmod, fchown, futimens, ioctls, a 3 MB read" {
	section io
}

@test "fd flags: F_GETFL/F_SETFL, F_GETFD/F_SETFD, F_DUPFD(_CLOEXEC), seals, FIOCLEX, O_APPEND set later" {
	section fdflags
}

@test "fd bookkeeping: dup2 onto 0, dup, dup3, close_range (CLOEXEC), a fork's own copy, /proc/self/fd/N" {
	section dup
}

@test "mmap of remote files: private, shared read-only, refused on a read-only fd, 3 MB, a directory" {
	section map
}

@test "shared writable mmap of remote files: opens before and after, appends, a fork's map, another process's map, msync, growing, locks, a map outliving its fd" {
	section mapshared
}

@test "in-kernel copies: sendfile, copy_file_range and splice between remote files, local files and pipes (a blocking splice waits)" {
	section copy
}

@test "locks between processes: fcntl F_GETLK/F_SETLK/F_SETLKW (the waiter does not stall the holder), flock" {
	section locks
}

@test "a CLONE_FILES child's close is its parent's" {
	section threads
}

@test "programs: execve and execveat (relative, bare, absolute, AT_FDCWD, a dirfd), from a thread, and what fails first" {
	split_seed 'cp /bin/echo sub/tool && head -c 64 /dev/zero > noformat && chmod 755 noformat'
	section exec
}
