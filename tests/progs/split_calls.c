/* tests/progs/split_calls.c: system calls on the files of its working
 * directory (the split_helpers fixture), one line per outcome, made with
 * syscall(2) so that libc picks no other call. tests/integration/
 * split_calls.bats runs it natively and through splitrun on the same tree
 * and compares the lines: every path call of the architecture (the legacy
 * x86_64 ones where they exist), every fd call on remote fds, locks between
 * processes, mmap, the in-kernel copies, fd bookkeeping (dup onto 0..2,
 * close_range, close-on-exec), the cwd and execve. Only what must be the same is
 * printed: results, errno names, contents, types, modes, sizes, link
 * counts, times that were set. Argument "SECTION" runs one section. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/falloc.h>
#include <linux/openat2.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/inotify.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452   /* Linux 6.6; the number is the same on x86_64 and aarch64 */
#endif

static const char *err_name(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

/* A result: the value, or -1 and the errno's name. */
static long show(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, err_name(errno));
	else
		printf("%s: %ld\n", what, r);
	fflush(stdout);
	return r;
}

/* A result that is an fd: "fd" (its number is the kernel's business), or
 * the error. */
static long show_fd(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, err_name(errno));
	else
		printf("%s: fd\n", what);
	fflush(stdout);
	return r;
}

#define TRY(what, expr) (errno = 0, show(what, (long)(expr)))
#define TRY_FD(what, expr) (errno = 0, show_fd(what, (long)(expr)))

static void show_stat(const char *what, long r, const struct stat *st)
{
	if (r < 0) {
		printf("%s: -1 %s\n", what, err_name(errno));
		return;
	}
	const char *type = S_ISREG(st->st_mode) ? "file" : S_ISDIR(st->st_mode) ? "dir"
			 : S_ISLNK(st->st_mode) ? "link" : "other";
	printf("%s: %s %04o size=%lld nlink=%ld\n", what, type, (unsigned)(st->st_mode & 07777),
	       S_ISDIR(st->st_mode) ? 0LL : (long long)st->st_size, (long)st->st_nlink);
}

#define STAT(what, expr) do { struct stat st_; memset(&st_, 0, sizeof st_); errno = 0; \
	long r_ = (long)syscall expr; (void)st_; show_stat(what, r_, &st_); } while (0)

static void show_read(const char *what, int fd, size_t n)
{
	char buf[256];
	if (n > sizeof buf - 1)
		n = sizeof buf - 1;
	errno = 0;
	long r = syscall(SYS_read, fd, buf, n);
	if (r < 0) {
		printf("%s: -1 %s\n", what, err_name(errno));
		return;
	}
	buf[r] = 0;
	for (long i = 0; i < r; i++)
		if (buf[i] == '\n')
			buf[i] = '|';
	printf("%s: %ld \"%s\"\n", what, r, buf);
}

static void cat_file(const char *what, const char *path)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
	if (fd < 0) {
		printf("%s: -1 %s\n", what, err_name(errno));
		return;
	}
	show_read(what, fd, 255);
	close(fd);
}

static void make_file(const char *path, const char *text)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		printf("cannot make %s: %s\n", path, err_name(errno));
	close(fd);
}

static void stat_path(const char *what, const char *path, int flags)
{
	STAT(what, (SYS_newfstatat, AT_FDCWD, path, &st_, flags));
}

/* ---- opening ---- */

static void sec_open(void)
{
	int fd;
#ifdef SYS_open
	fd = (int)TRY_FD("open a.txt", syscall(SYS_open, "a.txt", O_RDONLY));
	show_read("read it", fd, 5);
	close(fd);
	TRY("open missing", syscall(SYS_open, "missing", O_RDONLY));
#endif
	fd = (int)TRY_FD("openat sub/b.txt", syscall(SYS_openat, AT_FDCWD, "sub/b.txt", O_RDONLY));
	show_read("read it", fd, 64);
	close(fd);
	int dir = (int)TRY_FD("openat sub O_DIRECTORY", syscall(SYS_openat, AT_FDCWD, "sub", O_RDONLY | O_DIRECTORY));
	fd = (int)TRY_FD("openat dirfd b.txt", syscall(SYS_openat, dir, "b.txt", O_RDONLY));
	show_read("read it", fd, 64);
	close(fd);
	fd = (int)TRY_FD("openat dirfd deeper/../deeper/c.txt", syscall(SYS_openat, dir, "deeper/../deeper/c.txt", O_RDONLY));
	show_read("read it", fd, 64);
	close(fd);
	fd = (int)TRY_FD("openat dirfd ../a.txt", syscall(SYS_openat, dir, "../a.txt", O_RDONLY));
	show_read("read it", fd, 6);
	close(fd);
	TRY("openat a file as a dirfd", syscall(SYS_openat, dir, "b.txt/x", O_RDONLY));
	close(dir);
	struct open_how how = { .flags = O_RDONLY };
	fd = (int)TRY_FD("openat2 a.txt", syscall(SYS_openat2, AT_FDCWD, "a.txt", &how, sizeof how));
	show_read("read it", fd, 5);
	close(fd);
	how.resolve = RESOLVE_CACHED;
	TRY("openat2 RESOLVE_CACHED of a file being created", syscall(SYS_openat2, AT_FDCWD, "no-such", &how, sizeof how) < 0 ? -1 : 0);
#ifdef SYS_creat
	fd = (int)TRY_FD("creat created.txt", syscall(SYS_creat, "created.txt", 0666));
#else
	fd = (int)TRY_FD("creat created.txt", syscall(SYS_openat, AT_FDCWD, "created.txt", O_CREAT | O_WRONLY | O_TRUNC, 0666));
#endif
	TRY("write it", write(fd, "created\n", 8));
	close(fd);
	stat_path("stat created.txt", "created.txt", 0);
	TRY("O_EXCL on an existing file", syscall(SYS_openat, AT_FDCWD, "a.txt", O_CREAT | O_EXCL | O_WRONLY, 0600));
	TRY("O_NOFOLLOW on a symlink", syscall(SYS_openat, AT_FDCWD, "link-to-a", O_RDONLY | O_NOFOLLOW));
	TRY("O_DIRECTORY on a file", syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDONLY | O_DIRECTORY));
	TRY("a trailing slash on a file", syscall(SYS_openat, AT_FDCWD, "a.txt/", O_RDONLY));
	TRY("a directory for writing", syscall(SYS_openat, AT_FDCWD, "sub", O_WRONLY));
	TRY("a missing file", syscall(SYS_openat, AT_FDCWD, "missing", O_RDONLY));
	TRY("in a missing directory", syscall(SYS_openat, AT_FDCWD, "missing/x", O_CREAT | O_WRONLY, 0600));
	fd = (int)TRY_FD("O_TRUNC", syscall(SYS_openat, AT_FDCWD, "created.txt", O_WRONLY | O_TRUNC));
	close(fd);
	stat_path("stat after O_TRUNC", "created.txt", 0);
	fd = (int)TRY_FD("O_PATH", syscall(SYS_openat, AT_FDCWD, "a.txt", O_PATH));
	TRY("read through O_PATH", syscall(SYS_read, fd, (char[4]){ 0 }, 4));
	STAT("fstat through O_PATH", (SYS_newfstatat, fd, "", &st_, AT_EMPTY_PATH));
	close(fd);
	mode_t old = umask(027);
	fd = (int)TRY_FD("create with umask 027", syscall(SYS_openat, AT_FDCWD, "masked.txt", O_CREAT | O_WRONLY, 0666));
	close(fd);
	umask(old);
	stat_path("stat masked.txt", "masked.txt", 0);
	fd = (int)TRY_FD("O_APPEND", syscall(SYS_openat, AT_FDCWD, "created.txt", O_WRONLY | O_APPEND));
	TRY("write", write(fd, "one\n", 4));
	TRY("lseek 0", lseek(fd, 0, SEEK_SET));
	TRY("write appends", write(fd, "two\n", 4));
	close(fd);
	cat_file("created.txt", "created.txt");
}

/* ---- attributes ---- */

static void sec_stat(void)
{
#ifdef SYS_stat
	STAT("stat link-to-a", (SYS_stat, "link-to-a", &st_));
	STAT("lstat link-to-a", (SYS_lstat, "link-to-a", &st_));
	STAT("stat dangling", (SYS_stat, "dangling", &st_));
	STAT("lstat dangling", (SYS_lstat, "dangling", &st_));
#endif
	stat_path("newfstatat sub", "sub", 0);
	stat_path("newfstatat sub/", "sub/", 0);
	stat_path("newfstatat a.txt/", "a.txt/", 0);
	stat_path("newfstatat link-to-sub/ (follows)", "link-to-sub/", AT_SYMLINK_NOFOLLOW);
	stat_path("newfstatat NOFOLLOW link-to-sub", "link-to-sub", AT_SYMLINK_NOFOLLOW);
	stat_path("newfstatat \"\" without AT_EMPTY_PATH", "", 0);
	stat_path("newfstatat cwd with AT_EMPTY_PATH", "", AT_EMPTY_PATH);
	stat_path("newfstatat .", ".", 0);
	stat_path("newfstatat sub/deeper/../b.txt", "sub/deeper/../b.txt", 0);
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "big.bin", O_RDONLY);
	STAT("fstat big.bin", (SYS_fstat, fd, &st_));
	STAT("newfstatat fd AT_EMPTY_PATH", (SYS_newfstatat, fd, "", &st_, AT_EMPTY_PATH));
	struct statx stx;
	errno = 0;
	long r = syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx);
	printf("statx fd: %ld size=%lld mode=%o type=%s\n", r, (long long)stx.stx_size, stx.stx_mode & 07777,
	       S_ISREG(stx.stx_mode) ? "file" : "other");
	close(fd);
	r = syscall(SYS_statx, AT_FDCWD, "sub", AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MODE | STATX_NLINK, &stx);
	printf("statx sub: %ld mode=%o nlink=%u dir=%d\n", r, stx.stx_mode & 07777, stx.stx_nlink, S_ISDIR(stx.stx_mode));
	TRY("statx missing", syscall(SYS_statx, AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &stx));
#ifdef SYS_access
	TRY("access a.txt R_OK", syscall(SYS_access, "a.txt", R_OK));
	TRY("access missing", syscall(SYS_access, "missing", F_OK));
#endif
	TRY("faccessat script.sh X_OK", syscall(SYS_faccessat, AT_FDCWD, "script.sh", X_OK));
	TRY("faccessat dangling F_OK", syscall(SYS_faccessat, AT_FDCWD, "dangling", F_OK));
	TRY("faccessat2 dangling NOFOLLOW", syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
	TRY("faccessat2 a.txt W_OK AT_EACCESS", syscall(SYS_faccessat2, AT_FDCWD, "a.txt", W_OK, AT_EACCESS));
	char buf[64];
#ifdef SYS_readlink
	r = TRY("readlink link-to-a", syscall(SYS_readlink, "link-to-a", buf, sizeof buf));
	printf("  \"%.*s\"\n", r > 0 ? (int)r : 0, buf);
#endif
	r = TRY("readlinkat dangling", syscall(SYS_readlinkat, AT_FDCWD, "dangling", buf, sizeof buf));
	printf("  \"%.*s\"\n", r > 0 ? (int)r : 0, buf);
	r = TRY("readlinkat with a 3-byte buffer", syscall(SYS_readlinkat, AT_FDCWD, "dangling", buf, 3));
	printf("  \"%.*s\"\n", r > 0 ? (int)r : 0, buf);
	TRY("readlinkat of a file", syscall(SYS_readlinkat, AT_FDCWD, "a.txt", buf, sizeof buf));
	TRY("readlinkat with size 0", syscall(SYS_readlinkat, AT_FDCWD, "dangling", buf, 0));
	struct statfs sf;
	TRY("statfs .", syscall(SYS_statfs, ".", &sf));
	printf("  type=%#lx bsize=%ld\n", (long)sf.f_type, (long)sf.f_bsize);
	fd = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDONLY);
	TRY("fstatfs a.txt", syscall(SYS_fstatfs, fd, &sf));
	printf("  type=%#lx namelen=%ld\n", (long)sf.f_type, (long)sf.f_namelen);
	close(fd);
}

static void sec_change(void)
{
	make_file("ch.txt", "change me\n");
#ifdef SYS_chmod
	TRY("chmod ch.txt 0600", syscall(SYS_chmod, "ch.txt", 0600));
	stat_path("  stat", "ch.txt", 0);
	TRY("chown ch.txt gid 1234", syscall(SYS_chown, "ch.txt", (long)-1, 1234L));
	TRY("lchown link-to-a gid 4321", syscall(SYS_lchown, "link-to-a", (long)-1, 4321L));
#endif
	struct stat st;
	syscall(SYS_newfstatat, AT_FDCWD, "ch.txt", &st, 0);
	printf("  ch.txt gid %s\n", st.st_gid == 1234 ? "1234" : "not 1234");
	syscall(SYS_newfstatat, AT_FDCWD, "link-to-a", &st, AT_SYMLINK_NOFOLLOW);
	printf("  link-to-a gid %s\n", st.st_gid == 4321 ? "4321" : "not 4321");
	int dir = (int)syscall(SYS_openat, AT_FDCWD, "sub", O_RDONLY | O_DIRECTORY);
	TRY("fchmodat dirfd b.txt 0640", syscall(SYS_fchmodat, dir, "b.txt", 0640));
	stat_path("  stat", "sub/b.txt", 0);
	TRY("fchmodat2 NOFOLLOW on a symlink", syscall(SYS_fchmodat2, AT_FDCWD, "link-to-a", 0600, AT_SYMLINK_NOFOLLOW));
	TRY("fchownat dirfd b.txt gid 99", syscall(SYS_fchownat, dir, "b.txt", (long)-1, 99L, 0L));
	TRY("chmod missing", syscall(SYS_fchmodat, AT_FDCWD, "missing", 0600));
	close(dir);
	TRY("truncate ch.txt 3", syscall(SYS_truncate, "ch.txt", 3L));
	stat_path("  stat", "ch.txt", 0);
	TRY("truncate -1", syscall(SYS_truncate, "ch.txt", (long)-1));
	struct timespec ts[2] = { { 1000000000, 5 }, { 1100000000, 7 } };
	TRY("utimensat ch.txt", syscall(SYS_utimensat, AT_FDCWD, "ch.txt", ts, 0));
	syscall(SYS_newfstatat, AT_FDCWD, "ch.txt", &st, 0);
	printf("  atime %lld.%ld mtime %lld.%ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
	       (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1] = (struct timespec){ 1200000000, 0 };
	TRY("utimensat UTIME_OMIT atime", syscall(SYS_utimensat, AT_FDCWD, "ch.txt", ts, 0));
	syscall(SYS_newfstatat, AT_FDCWD, "ch.txt", &st, 0);
	printf("  atime %lld mtime %lld\n", (long long)st.st_atim.tv_sec, (long long)st.st_mtim.tv_sec);
	ts[0] = (struct timespec){ 1300000000, 0 };
	TRY("utimensat NOFOLLOW of a symlink", syscall(SYS_utimensat, AT_FDCWD, "dangling", ts, AT_SYMLINK_NOFOLLOW));
	syscall(SYS_newfstatat, AT_FDCWD, "dangling", &st, AT_SYMLINK_NOFOLLOW);
	printf("  dangling mtime %lld\n", (long long)st.st_mtim.tv_sec);
	ts[1].tv_nsec = 1000000000;
	TRY("utimensat with a bad nsec", syscall(SYS_utimensat, AT_FDCWD, "ch.txt", ts, 0));
	TRY("utimensat NULL: now", syscall(SYS_utimensat, AT_FDCWD, "empty", NULL, 0));
	syscall(SYS_newfstatat, AT_FDCWD, "empty", &st, 0);
	printf("  empty mtime is recent: %d\n", st.st_mtim.tv_sec > time(NULL) - 60);
#ifdef SYS_utime
	struct utimbuf ub = { 1400000000, 1500000000 };
	TRY("utime sub/b.txt", syscall(SYS_utime, "sub/b.txt", &ub));
	struct timeval tv[2] = { { 1600000000, 1 }, { 1700000000, 2 } };
	TRY("utimes sub/deeper/c.txt", syscall(SYS_utimes, "sub/deeper/c.txt", tv));
	TRY("futimesat", syscall(SYS_futimesat, AT_FDCWD, "with space.txt", tv));
	syscall(SYS_newfstatat, AT_FDCWD, "sub/b.txt", &st, 0);
	printf("  b.txt mtime %lld\n", (long long)st.st_mtim.tv_sec);
	syscall(SYS_newfstatat, AT_FDCWD, "sub/deeper/c.txt", &st, 0);
	printf("  c.txt mtime %lld.%ld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
#endif
}

static void sec_names(void)
{
	mode_t old = umask(022);
	make_file("n.txt", "name me\n");
#ifdef SYS_mkdir
	TRY("mkdir nd", syscall(SYS_mkdir, "nd", 0777));
	TRY("mkdir nd again", syscall(SYS_mkdir, "nd", 0777));
	TRY("rmdir nd", syscall(SYS_rmdir, "nd"));
	TRY("rmdir sub (not empty)", syscall(SYS_rmdir, "sub"));
	TRY("unlink sub (a directory)", syscall(SYS_unlink, "sub"));
	TRY("rename n.txt renamed.txt", syscall(SYS_rename, "n.txt", "renamed.txt"));
	TRY("link renamed.txt hard.txt", syscall(SYS_link, "renamed.txt", "hard.txt"));
	stat_path("  stat hard.txt", "hard.txt", 0);
	TRY("symlink", syscall(SYS_symlink, "some/target", "sl"));
	TRY("symlink onto an existing name", syscall(SYS_symlink, "x", "sl"));
	TRY("unlink hard.txt", syscall(SYS_unlink, "hard.txt"));
	TRY("mknod a regular file", syscall(SYS_mknod, "node", S_IFREG | 0640, 0));
	stat_path("  stat node", "node", 0);
#endif
	TRY("mkdirat a/ (slash)", syscall(SYS_mkdirat, AT_FDCWD, "nd2/", 0750));
	stat_path("  stat nd2", "nd2", 0);
	TRY("mkdirat missing/x", syscall(SYS_mkdirat, AT_FDCWD, "missing/x", 0700));
	int dir = (int)syscall(SYS_openat, AT_FDCWD, "sub", O_RDONLY | O_DIRECTORY);
	TRY("mkdirat dirfd nd3", syscall(SYS_mkdirat, dir, "nd3", 0700));
	TRY("mknodat dirfd node2", syscall(SYS_mknodat, dir, "node2", 0600, 0));
	TRY("symlinkat dirfd", syscall(SYS_symlinkat, "../with space.txt", dir, "sl2"));
	cat_file("  read through it", "sub/sl2");
	TRY("linkat dirfd", syscall(SYS_linkat, dir, "b.txt", AT_FDCWD, "b-hard.txt", 0));
	TRY("linkat AT_SYMLINK_FOLLOW", syscall(SYS_linkat, AT_FDCWD, "link-to-sub", AT_FDCWD, "x", AT_SYMLINK_FOLLOW));
	TRY("renameat dirfd", syscall(SYS_renameat, dir, "node2", AT_FDCWD, "node3"));
	TRY("renameat2 NOREPLACE onto an existing file", syscall(SYS_renameat2, AT_FDCWD, "node3", AT_FDCWD, "empty", RENAME_NOREPLACE));
	TRY("renameat2 EXCHANGE", syscall(SYS_renameat2, AT_FDCWD, "b-hard.txt", AT_FDCWD, "with space.txt", RENAME_EXCHANGE));
	cat_file("  b-hard.txt", "b-hard.txt");
	cat_file("  with space.txt", "with space.txt");
	TRY("renameat a directory into itself", syscall(SYS_renameat, AT_FDCWD, "sub", AT_FDCWD, "sub/deeper/x"));
	TRY("unlinkat dirfd node2 (gone)", syscall(SYS_unlinkat, dir, "node2", 0));
	TRY("unlinkat AT_REMOVEDIR nd3", syscall(SYS_unlinkat, dir, "nd3", AT_REMOVEDIR));
	TRY("unlinkat bad flag", syscall(SYS_unlinkat, dir, "sl2", 0x1234));
	TRY("unlinkat AT_REMOVEDIR on a file", syscall(SYS_unlinkat, dir, "sl2", AT_REMOVEDIR));
	TRY("unlinkat sl2", syscall(SYS_unlinkat, dir, "sl2", 0));
	close(dir);
	umask(old);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists a directory with getdents64 through a BUFSIZE buffer: names (and
 * types) sorted, and how many calls it took when the buffer is small. */
static void list_dir(const char *what, const char *path, size_t bufsize)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY);
	char *buf = malloc(bufsize);
	char *names[256];
	int n = 0;
	long calls = 0, r;
	while ((r = syscall(SYS_getdents64, fd, buf, bufsize)) > 0) {
		calls++;
		for (long pos = 0; pos < r;) {
			struct { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type; char name[]; }
				*d = (void *)(buf + pos);
			if (n < 256 && asprintf(&names[n], "%s/%d", d->name, d->type) > 0)
				n++;
			pos += d->reclen;
		}
	}
	if (r < 0)
		printf("%s: -1 %s\n", what, err_name(errno));
	qsort(names, (size_t)n, sizeof names[0], cmp_name);
	printf("%s:", what);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
	if (bufsize < 1024)
		printf("  more than one call: %d\n", calls > 1);
	TRY("  lseek back to 0 and read again", (lseek(fd, 0, SEEK_SET), syscall(SYS_getdents64, fd, buf, bufsize) > 0));
	TRY("  getdents64 with a 10-byte buffer", syscall(SYS_getdents64, fd, buf, 10));
	close(fd);
	free(buf);
}

static void sec_dirs(void)
{
	list_dir("getdents64 .", ".", 32768);
	list_dir("getdents64 sub, 64-byte buffer", "sub", 64);
	TRY("getdents64 of a file", syscall(SYS_getdents64, (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDONLY), (char[64]){ 0 }, 64));
#ifdef SYS_getdents
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "sub/deeper", O_RDONLY | O_DIRECTORY);
	char buf[512];
	long r = syscall(SYS_getdents, fd, buf, sizeof buf);
	int files = 0;
	for (long pos = 0; pos < r;) {
		unsigned short reclen;
		memcpy(&reclen, buf + pos + 16, 2);
		if (strcmp(buf + pos + 18, "c.txt") == 0 && buf[pos + reclen - 1] == DT_REG)
			files++;
		pos += reclen;
	}
	printf("getdents sub/deeper: c.txt as a regular file: %d\n", files);
	close(fd);
#endif
	char cwd[4096];
	TRY("getcwd", syscall(SYS_getcwd, cwd, sizeof cwd) > 0);
	printf("  %s\n", cwd);
	TRY("getcwd with a small buffer", syscall(SYS_getcwd, cwd, 2));
	int top = (int)syscall(SYS_openat, AT_FDCWD, ".", O_RDONLY | O_DIRECTORY);
	TRY("chdir sub/deeper", syscall(SYS_chdir, "sub/deeper"));
	syscall(SYS_getcwd, cwd, sizeof cwd);
	printf("  %s\n", cwd);
	cat_file("  c.txt", "c.txt");
	cat_file("  ../b.txt", "../b.txt");
	TRY("chdir a.txt", syscall(SYS_chdir, "../../a.txt"));
	TRY("chdir missing", syscall(SYS_chdir, "missing"));
	TRY("fchdir top", syscall(SYS_fchdir, top));
	syscall(SYS_getcwd, cwd, sizeof cwd);
	printf("  %s\n", cwd);
	int f = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDONLY);
	TRY("fchdir a file", syscall(SYS_fchdir, f));
	close(f);
	close(top);
	char link[256];
	long n = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/cwd", link, sizeof link - 1);
	printf("readlink /proc/self/cwd: %.*s\n", n > 0 ? (int)n : 0, link);
}

/* ---- fds ---- */

static void sec_io(void)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDONLY);
	char buf[64], b2[8];
	show_read("read 6", fd, 6);
	long r = TRY("pread64 5 at 6", syscall(SYS_pread64, fd, buf, 5L, 6L));
	printf("  \"%.*s\"\n", r > 0 ? (int)r : 0, buf);
	TRY("pread64 at -1", syscall(SYS_pread64, fd, buf, 5, (long)-1));
	struct iovec iov[2] = { { buf, 3 }, { b2, 4 } };
	r = TRY("readv 3+4", syscall(SYS_readv, fd, iov, 2));
	printf("  \"%.3s\" \"%.4s\"\n", buf, b2);
	r = TRY("preadv at 0", syscall(SYS_preadv, fd, iov, 2, 0L, 0L));
	printf("  \"%.3s\" \"%.4s\"\n", buf, b2);
	r = TRY("preadv2 at -1 (the file offset)", syscall(SYS_preadv2, fd, iov, 2, (long)-1, 0L, 0L));
	printf("  \"%.3s\" \"%.4s\"\n", buf, b2);
	TRY("lseek SEEK_CUR", lseek(fd, 0, SEEK_CUR));
	TRY("lseek SEEK_END", lseek(fd, 0, SEEK_END));
	TRY("lseek -1 SEEK_SET", lseek(fd, -1, SEEK_SET));
	TRY("lseek SEEK_DATA 0", lseek(fd, 0, SEEK_DATA));
	TRY("lseek SEEK_HOLE 0", lseek(fd, 0, SEEK_HOLE));
	TRY("lseek SEEK_DATA past the end", lseek(fd, 100, SEEK_DATA));
	TRY("read at the end", syscall(SYS_read, fd, buf, 10));
	TRY("write to an O_RDONLY fd", syscall(SYS_write, fd, "x", 1));
	close(fd);
	fd = (int)syscall(SYS_openat, AT_FDCWD, "io.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
	TRY("write", syscall(SYS_write, fd, "0123456789", 10));
	TRY("pwrite64 at 20 (a hole)", syscall(SYS_pwrite64, fd, "pw", 2L, 20L));
	struct iovec wv[3] = { { "ab", 2 }, { "", 0 }, { "cde", 3 } };
	TRY("writev", syscall(SYS_writev, fd, wv, 3));
	TRY("pwritev at 2", syscall(SYS_pwritev, fd, wv, 3, 2L, 0L));
	TRY("pwritev2 at -1", syscall(SYS_pwritev2, fd, wv, 3, (long)-1, 0L, 0L));
	TRY("writev with a negative count", syscall(SYS_writev, fd, wv, (long)-1));
	TRY("read from a directory", syscall(SYS_read, (int)syscall(SYS_openat, AT_FDCWD, "sub", O_RDONLY), buf, 4));
	char all[64] = { 0 };
	r = syscall(SYS_pread64, fd, all, sizeof all, 0L);
	printf("io.txt: %ld", r);
	for (long i = 0; i < r; i++)
		printf(" %02x", (unsigned char)all[i]);
	printf("\n");
	TRY("ftruncate 4", syscall(SYS_ftruncate, fd, 4));
	TRY("fallocate 0..100", syscall(SYS_fallocate, fd, 0L, 0L, 100L));
	TRY("fallocate punch 0..2 keeping the size", syscall(SYS_fallocate, fd, (long)(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE), 0L, 2L));
	STAT("  fstat", (SYS_fstat, fd, &st_));
	r = syscall(SYS_pread64, fd, all, 4L, 0L);
	printf("  first bytes: %ld %02x %02x %02x %02x\n", r, all[0], all[1], all[2], all[3]);
	TRY("fsync", syscall(SYS_fsync, fd));
	TRY("fdatasync", syscall(SYS_fdatasync, fd));
	TRY("sync_file_range", syscall(SYS_sync_file_range, fd, 0L, 0L, 0L));
	TRY("syncfs", syscall(SYS_syncfs, fd));
	TRY("fchmod 0604", syscall(SYS_fchmod, fd, 0604));
	TRY("fchown gid 77", syscall(SYS_fchown, fd, (long)-1, 77L));
	struct timespec ts[2] = { { 1000000001, 0 }, { 1000000002, 0 } };
	TRY("futimens", syscall(SYS_utimensat, fd, NULL, ts, 0));
	struct stat st;
	syscall(SYS_fstat, fd, &st);
	printf("  mode %o gid77 %d mtime %lld\n", st.st_mode & 07777, st.st_gid == 77, (long long)st.st_mtim.tv_sec);
	TRY("fadvise64", syscall(SYS_fadvise64, fd, 0L, 0L, (long)POSIX_FADV_SEQUENTIAL));
	TRY("readahead", syscall(SYS_readahead, fd, 0L, 4096L));
	int avail = -1;
	lseek(fd, 1, SEEK_SET);
	TRY("ioctl FIONREAD", ioctl(fd, FIONREAD, &avail));
	printf("  %d\n", avail);
	struct termios tio;
	TRY("ioctl TCGETS (isatty)", ioctl(fd, TCGETS, &tio));
	close(fd);
	/* big.bin in one read of 3 MB: more than one wire buffer, not short */
	fd = (int)syscall(SYS_openat, AT_FDCWD, "big.bin", O_RDONLY);
	char *big = malloc(3100000);
	r = TRY("read 3 MB at once", syscall(SYS_read, fd, big, 3100000));
	unsigned long sum = 0;
	for (long i = 0; i < r; i++)
		sum = sum * 31 + (unsigned char)big[i];
	printf("  checksum %lx\n", sum);
	free(big);
	close(fd);
}

static void sec_fdflags(void)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDONLY);
	TRY("F_GETFL O_RDONLY", fcntl(fd, F_GETFL));
	TRY("F_SETFL O_NONBLOCK|O_APPEND", fcntl(fd, F_SETFL, O_NONBLOCK | O_APPEND));
	TRY("F_GETFL", fcntl(fd, F_GETFL));
	TRY("F_GETFD", fcntl(fd, F_GETFD));
	int d10 = (int)TRY("F_DUPFD 10 gives >= 10", fcntl(fd, F_DUPFD, 10) >= 10);
	(void)d10;
	int dc = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	TRY("F_DUPFD_CLOEXEC then F_GETFD", fcntl(dc, F_GETFD));
	TRY("F_SETFD 0", fcntl(dc, F_SETFD, 0));
	TRY("F_GETFD", fcntl(dc, F_GETFD));
	TRY("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
	TRY("ioctl FIOCLEX", ioctl(dc, FIOCLEX));
	TRY("F_GETFD", fcntl(dc, F_GETFD));
	show_read("read through the dup", dc, 5);
	close(dc);
	close(fd);
	fd = (int)syscall(SYS_openat, AT_FDCWD, "created2.txt", O_WRONLY | O_CREAT | O_APPEND, 0600);
	TRY("F_GETFL O_WRONLY|O_APPEND", fcntl(fd, F_GETFL));
	close(fd);
	fd = (int)syscall(SYS_openat, AT_FDCWD, "sub", O_RDONLY | O_DIRECTORY);
	TRY("F_GETFL of a directory", fcntl(fd, F_GETFL));
	close(fd);
	fd = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_PATH);
	TRY("F_GETFL O_PATH", fcntl(fd, F_GETFL));
	close(fd);
	/* F_SETFL O_APPEND after the open makes writes append. */
	fd = (int)syscall(SYS_openat, AT_FDCWD, "app.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
	syscall(SYS_write, fd, "aaaa", 4);
	lseek(fd, 0, SEEK_SET);
	fcntl(fd, F_SETFL, O_APPEND);
	syscall(SYS_write, fd, "bb", 2);
	close(fd);
	cat_file("app.txt after F_SETFL O_APPEND", "app.txt");
}

static void sec_dup(void)
{
	int saved = dup(0);
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "sub/b.txt", O_RDONLY);
	TRY("dup2 onto 0", syscall(SYS_dup2, fd, 0) == 0);
	show_read("read 0", 0, 6);
	int fd2 = (int)syscall(SYS_dup, fd);
	show_read("read through a dup (shared offset)", fd2, 6);
	close(fd);
	close(fd2);
	show_read("read 0 after closing the others", 0, 6);
	TRY("dup3 O_CLOEXEC onto 0", syscall(SYS_dup3, saved, 0, O_CLOEXEC) == 0);
	TRY("F_GETFD 0", fcntl(0, F_GETFD));
	fcntl(0, F_SETFD, 0);
	close(saved);
	TRY("dup3 onto itself", syscall(SYS_dup3, 0, 0, 0));
	/* close_range */
	int base = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDONLY);
	int f2 = dup(base), f3 = dup(base);
	TRY("close_range CLOEXEC", syscall(SYS_close_range, f2, f3, CLOSE_RANGE_CLOEXEC));
	TRY("  F_GETFD", fcntl(f3, F_GETFD));
	TRY("close_range", syscall(SYS_close_range, f2, f3, 0));
	TRY("  read a closed fd", syscall(SYS_read, f2, (char[4]){ 0 }, 4));
	show_read("  read the one left", base, 5);
	TRY("close it", close(base));
	TRY("close it again", close(base));
	/* A fork's copy of the table: the child's close leaves ours. */
	fd = (int)syscall(SYS_openat, AT_FDCWD, "sub/deeper/c.txt", O_RDONLY);
	pid_t pid = fork();
	if (pid == 0) {
		close(fd);
		_exit(syscall(SYS_read, fd, (char[4]){ 0 }, 4) < 0 && errno == EBADF ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("child closed its copy: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	show_read("  ours still reads", fd, 10);
	close(fd);
	char link[256];
	fd = (int)syscall(SYS_openat, AT_FDCWD, "sub/b.txt", O_RDONLY);
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	long n = syscall(SYS_readlinkat, AT_FDCWD, proc, link, sizeof link - 1);
	printf("readlink /proc/self/fd/N: %.*s\n", n > 0 ? (int)n : 0, link);
	close(fd);
}

static void sec_map(void)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDONLY);
	char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	printf("mmap private: %s\n", p == MAP_FAILED ? err_name(errno) : "ok");
	if (p != MAP_FAILED) {
		printf("  \"%.5s\"\n", p);
		munmap(p, 4096);
	}
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	printf("mmap shared read-only: %s\n", p == MAP_FAILED ? err_name(errno) : "ok");
	if (p != MAP_FAILED) {
		printf("  \"%.4s\"\n", p + 6);
		munmap(p, 4096);
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("mmap shared writable on a read-only fd: %s\n", p == MAP_FAILED ? err_name(errno) : "ok");
	close(fd);
	fd = (int)syscall(SYS_openat, AT_FDCWD, "big.bin", O_RDONLY);
	unsigned char *b = mmap(NULL, 3000000, PROT_READ, MAP_PRIVATE, fd, 0);
	unsigned long sum = 0;
	for (long i = 0; b != MAP_FAILED && i < 3000000; i++)
		sum = sum * 31 + b[i];
	printf("mmap 3 MB: checksum %lx\n", sum);
	close(fd);
	fd = (int)syscall(SYS_openat, AT_FDCWD, "sub", O_RDONLY | O_DIRECTORY);
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	printf("mmap a directory: %s\n", p == MAP_FAILED ? err_name(errno) : "ok");
	close(fd);
}

/* Shared writable maps of a remote file: what is written through one is
 * the file, for opens made before (at their offsets, appending) and after,
 * for a forked child's map and another process's own map; msync; a file
 * grown while mapped (as sqlite grows its -shm); locks still between
 * processes; a map that outlives its fd. */
static void sec_mapshared(void)
{
	int before = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDONLY);
	show_read("read 3 bytes before the map", before, 3);
	int app = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_WRONLY | O_APPEND);
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDWR);
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("mmap shared writable: %s\n", p == MAP_FAILED ? err_name(errno) : "ok");
	if (p == MAP_FAILED)
		return;
	memcpy(p, "ALPHA", 5);
	show_read("the open from before reads on, the map's bytes", before, 5);
	TRY("an appending open from before appends", syscall(SYS_write, app, "tail\n", 5));
	STAT("fstat of the mapped fd", (SYS_fstat, fd, &st_));
	printf("the map sees the append: \"%.4s\"\n", p + 23);
	int after = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDONLY);
	show_read("an open after the map reads the map's bytes", after, 6);
	TRY("pwrite through the mapped fd", syscall(SYS_pwrite64, fd, "Ga", 2, 11));
	printf("the map sees the pwrite: \"%.5s\"\n", p + 11);
	TRY("msync", msync(p, 4096, MS_SYNC));
	int status;
	pid_t pid = fork();
	if (pid == 0) {
		memcpy(p + 6, "BETA", 4);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	printf("the parent sees its child's write to the inherited map: \"%.4s\"\n", p + 6);
	pid = fork();
	if (pid == 0) {
		int cfd = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDWR);
		char *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		if (q != MAP_FAILED)
			memcpy(q + 13, "MMA", 3);
		_exit(q == MAP_FAILED);
	}
	waitpid(pid, &status, 0);
	printf("the parent sees a map of its child's own open: %d \"%.5s\"\n", WEXITSTATUS(status), p + 11);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	TRY("F_SETLK through the mapped fd", fcntl(fd, F_SETLK, &fl));
	pid = fork();
	if (pid == 0) {
		int cfd = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDWR);
		struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1 };
		long r = fcntl(cfd, F_GETLK, &q);
		printf("a child's F_GETLK: %ld %s\n", r, q.l_type == F_WRLCK ? "F_WRLCK" : "other");
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	/* Grown while mapped, the way sqlite grows its -shm: ftruncate, a
	 * byte written at the end, a larger map. */
	TRY("ftruncate to 8192 while mapped", syscall(SYS_ftruncate, fd, 8192));
	TRY("pwrite at the new end", syscall(SYS_pwrite64, fd, "y", 1, 8191));
	char *p2 = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("a larger map: %s\n", p2 == MAP_FAILED ? err_name(errno) : "ok");
	if (p2 != MAP_FAILED) {
		p2[5000] = 'z';
		printf("  it sees the end: %c\n", p2[8191]);
		munmap(p2, 8192);
	}
	STAT("fstat", (SYS_fstat, fd, &st_));
	munmap(p, 4096);
	close(fd);
	close(app);
	close(after);
	close(before);
	STAT("stat by name after the last close", (SYS_newfstatat, AT_FDCWD, "a.txt", &st_, 0));
	cat_file("a.txt after the last close", "a.txt");
	/* A map that outlives its fd: its bytes are the file's still. */
	fd = (int)syscall(SYS_openat, AT_FDCWD, "sub/b.txt", O_RDWR);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p != MAP_FAILED) {
		memcpy(p, "LINE", 4);
		cat_file("b.txt while its map lives on after its close", "sub/b.txt");
		munmap(p, 4096);
	}
	/* And a child that writes through such a map and exits. */
	pid = fork();
	if (pid == 0) {
		int cfd = (int)syscall(SYS_openat, AT_FDCWD, "sub/deeper/c.txt", O_RDWR);
		char *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		close(cfd);
		if (q != MAP_FAILED)
			memcpy(q, "DEEP", 4);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	cat_file("c.txt after its child mapper exited", "sub/deeper/c.txt");
}

static void sec_copy(void)
{
	int in = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDONLY);
	int out = (int)syscall(SYS_openat, AT_FDCWD, "sent.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	TRY("sendfile to a file, 6 bytes", syscall(SYS_sendfile, out, in, NULL, 6));
	off_t off = 11;
	TRY("sendfile with an offset", syscall(SYS_sendfile, out, in, &off, 5));
	printf("  offset now %lld, file offset %lld\n", (long long)off, (long long)lseek(in, 0, SEEK_CUR));
	int pfd[2];
	if (pipe2(pfd, O_NONBLOCK) < 0)
		return;
	TRY("sendfile to a pipe", syscall(SYS_sendfile, pfd[1], in, NULL, 5));
	show_read("  the pipe holds", pfd[0], 10);
	TRY("  file offset", lseek(in, 0, SEEK_CUR));
	close(out);
	cat_file("sent.txt", "sent.txt");
	out = (int)syscall(SYS_openat, AT_FDCWD, "copied.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	loff_t oin = 0, oout = 0;
	TRY("copy_file_range with offsets", syscall(SYS_copy_file_range, in, &oin, out, &oout, 11, 0));
	printf("  offsets %lld %lld\n", (long long)oin, (long long)oout);
	lseek(in, 6, SEEK_SET);
	TRY("copy_file_range from the file offsets", syscall(SYS_copy_file_range, in, NULL, out, NULL, 100, 0));
	TRY("  in offset", lseek(in, 0, SEEK_CUR));
	TRY("copy_file_range with flags", syscall(SYS_copy_file_range, in, NULL, out, NULL, 1, 1));
	close(out);
	cat_file("copied.txt", "copied.txt");
	/* To and from a local file (in /tmp, which the policy keeps local). */
	char tmpl[] = "/tmp/split_calls_XXXXXX";
	int local = mkstemp(tmpl);
	unlink(tmpl);
	lseek(in, 0, SEEK_SET);
	TRY("copy_file_range to a local file", syscall(SYS_copy_file_range, in, NULL, local, NULL, 11, 0));
	TRY("  local offset", lseek(local, 0, SEEK_CUR));
	TRY("  remote offset", lseek(in, 0, SEEK_CUR));
	out = (int)syscall(SYS_openat, AT_FDCWD, "from-local.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	lseek(local, 6, SEEK_SET);
	TRY("copy_file_range from a local file", syscall(SYS_copy_file_range, local, NULL, out, NULL, 100, 0));
	TRY("  local offset", lseek(local, 0, SEEK_CUR));
	TRY("sendfile from a local file", (lseek(local, 0, SEEK_SET), syscall(SYS_sendfile, out, local, NULL, 3)));
	close(out);
	close(local);
	cat_file("from-local.txt", "from-local.txt");
	/* splice */
	lseek(in, 0, SEEK_SET);
	TRY("splice file to pipe", syscall(SYS_splice, in, NULL, pfd[1], NULL, 4, 0));
	show_read("  the pipe holds", pfd[0], 10);
	TRY("  file offset", lseek(in, 0, SEEK_CUR));
	loff_t soff = 12;
	TRY("splice with an offset", syscall(SYS_splice, in, &soff, pfd[1], NULL, 5, 0));
	printf("  offset now %lld\n", (long long)soff);
	out = (int)syscall(SYS_openat, AT_FDCWD, "spliced.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	TRY("splice pipe to file", syscall(SYS_splice, pfd[0], NULL, out, NULL, 100, 0));
	/* From a blocking pipe its writer fills 200 ms later: the splice
	 * waits for the bytes; once the writer is gone, it reads the end. */
	int bp[2];
	if (pipe(bp) == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			close(bp[0]);
			usleep(200 * 1000);
			write(bp[1], "late|", 5);
			usleep(200 * 1000);
			_exit(0);
		}
		close(bp[1]);
		TRY("splice from an empty blocking pipe", syscall(SYS_splice, bp[0], NULL, out, NULL, 100, 0));
		TRY("  SPLICE_F_NONBLOCK on it, empty", syscall(SYS_splice, bp[0], NULL, out, NULL, 100, SPLICE_F_NONBLOCK));
		TRY("  after the writer has gone", syscall(SYS_splice, bp[0], NULL, out, NULL, 100, 0));
		waitpid(pid, NULL, 0);
		close(bp[0]);
	}
	close(out);
	cat_file("spliced.txt", "spliced.txt");
	close(in);
	close(pfd[0]);
	close(pfd[1]);
}

/* Locks between this process and a child that opens the file itself. */
static void sec_locks(void)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDWR);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	TRY("F_SETLK write lock on 0..9", fcntl(fd, F_SETLK, &fl));
	int p[2], done[2];
	char c;
	if (pipe(p) < 0 || pipe(done) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		int cfd = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDWR);
		struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1 };
		long r = fcntl(cfd, F_GETLK, &q);
		printf("child F_GETLK: %ld type %s start %lld len %lld\n", r, q.l_type == F_WRLCK ? "F_WRLCK" : "other",
		       (long long)q.l_start, (long long)q.l_len);
		q = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1 };
		errno = 0;
		r = fcntl(cfd, F_SETLK, &q);
		printf("child F_SETLK on a locked byte: %ld %s\n", r, r < 0 ? err_name(errno) : "");
		q.l_start = 20;
		printf("child F_SETLK past it: %d\n", fcntl(cfd, F_SETLK, &q));
		fflush(stdout);
		/* Blocks until the parent unlocks, 200 ms after it hears this. */
		write(p[1], "w", 1);
		q = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
		r = fcntl(cfd, F_SETLKW, &q);
		read(done[0], &c, 1);   /* the parent's line first, as natively */
		printf("child F_SETLKW after the wait: %ld\n", r);
		struct flock o = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
		errno = 0;
		int ofd = (int)syscall(SYS_openat, AT_FDCWD, "sub/b.txt", O_RDWR);
		printf("child F_OFD_SETLK on b.txt: %d %s\n", fcntl(ofd, F_OFD_SETLK, &o), err_name(errno));
		fflush(stdout);
		_exit(0);
	}
	read(p[0], &c, 1);
	usleep(200 * 1000);
	/* The tracer must still serve this process while the child waits. */
	show_read("parent reads while the child waits", fd, 5);
	fl.l_type = F_UNLCK;
	TRY("parent unlocks", fcntl(fd, F_SETLK, &fl));
	write(done[1], "d", 1);
	int status;
	waitpid(pid, &status, 0);
	printf("child: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	close(fd);
	/* flock: a child's own open conflicts; a blocking one waits. */
	fd = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDONLY);
	TRY("flock LOCK_EX (read-only fd)", flock(fd, LOCK_EX));
	pid = fork();
	if (pid == 0) {
		int cfd = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDONLY);
		errno = 0;
		long r = flock(cfd, LOCK_SH | LOCK_NB);
		printf("child flock LOCK_SH|LOCK_NB: %ld %s\n", r, r < 0 ? err_name(errno) : "");
		fflush(stdout);
		write(p[1], "w", 1);
		r = flock(cfd, LOCK_SH);
		read(done[0], &c, 1);
		printf("child flock LOCK_SH after the wait: %ld\n", r);
		fflush(stdout);
		_exit(0);
	}
	read(p[0], &c, 1);
	usleep(200 * 1000);
	TRY("parent LOCK_UN", flock(fd, LOCK_UN));
	write(done[1], "d", 1);
	waitpid(pid, &status, 0);
	printf("child: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	close(fd);
}

/* A thread sharing the table: its close is ours. */
static int shared_fd;
static int thread_body(void *arg)
{
	(void)arg;
	close(shared_fd);
	return 0;
}

static void sec_threads(void)
{
	shared_fd = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDONLY);
	char *stack = malloc(65536);
	pid_t tid = clone(thread_body, stack + 65536, CLONE_VM | CLONE_FILES | SIGCHLD, NULL);
	int status;
	waitpid(tid, &status, 0);
	TRY("read after a CLONE_FILES child closed it", syscall(SYS_read, shared_fd, (char[4]){ 0 }, 4));
	free(stack);
}

/* Runs one execve/execveat in a child and prints how it ended: the
 * program's own output comes first. */
static void exec_in_child(const char *what, int dirfd, const char *path, int flags, const char *arg)
{
	extern char **environ;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { "prog", (char *)arg, NULL };
		long r = dirfd == AT_FDCWD && !flags ? syscall(SYS_execve, path, argv, environ)
			 : syscall(SYS_execveat, dirfd, path, argv, environ, flags);
		printf("%s: %ld %s\n", what, r, err_name(errno));
		fflush(stdout);
		_exit(111);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("%s: exit %d\n", what, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static const char *thread_exec_path;
static void *exec_from_thread(void *arg)
{
	extern char **environ;
	char *argv[] = { "prog", arg, NULL };
	syscall(SYS_execve, thread_exec_path, argv, environ);
	printf("execve from a thread: -1 %s\n", err_name(errno));
	fflush(stdout);
	_exit(111);
}

/* execve and execveat of programs and scripts in the tree (the test adds
 * sub/tool, a copy of echo, and noformat, executable but neither ELF nor
 * "#!"): relative names, absolute ones, execveat from AT_FDCWD and from a
 * dirfd, a thread other than the leader, and what fails before the caller
 * is replaced. */
static void sec_exec(void)
{
	char cwd[4096], path[4200];
	if (!getcwd(cwd, sizeof cwd))
		return;
	exec_in_child("execve ./sub/tool", AT_FDCWD, "./sub/tool", 0, "relative");
	exec_in_child("execve script.sh (no slash)", AT_FDCWD, "script.sh", 0, "bare");
	snprintf(path, sizeof path, "%s/script.sh", cwd);
	exec_in_child("execve of the script by absolute path", AT_FDCWD, path, 0, "absolute");
	exec_in_child("execveat AT_FDCWD sub/tool", AT_FDCWD, "sub/tool", AT_EMPTY_PATH, "at");
	int dir = (int)syscall(SYS_openat, AT_FDCWD, "sub", O_RDONLY | O_DIRECTORY);
	exec_in_child("execveat a dirfd ./././tool", dir, "./././tool", 0, "dirfd");
	close(dir);
	exec_in_child("execve noformat", AT_FDCWD, "./noformat", 0, "x");
	exec_in_child("execve a.txt (not executable)", AT_FDCWD, "./a.txt", 0, "x");
	exec_in_child("execve sub (a directory)", AT_FDCWD, "./sub", 0, "x");
	exec_in_child("execve missing", AT_FDCWD, "./missing", 0, "x");
	/* posix_spawn twice of one name (its vfork child shares the
	 * caller's memory, the name's too). */
	extern char **environ;
	static char spawn_path[4200];
	snprintf(spawn_path, sizeof spawn_path, "%s/sub/tool", cwd);
	for (int i = 0; i < 2; i++) {
		pid_t sp;
		char *sargv[] = { "tool", "spawned", NULL };
		fflush(stdout);
		int rc = posix_spawn(&sp, spawn_path, NULL, NULL, sargv, environ);
		int st = 0;
		if (rc == 0)
			waitpid(sp, &st, 0);
		printf("posix_spawn %d: %d exit %d\n", i, rc, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	/* An execve that fails once the program has been found (arguments
	 * over the limit): the caller's name is its own again afterwards. */
	fflush(stdout);
	pid_t big = fork();
	if (big == 0) {
		static char big_path[4200];
		snprintf(big_path, sizeof big_path, "%s/sub/tool", cwd);
		char *bargv[34];
		for (int i = 0; i < 33; i++) {
			bargv[i] = malloc(120000);
			memset(bargv[i], 'x', 119999);
			bargv[i][119999] = 0;
		}
		bargv[33] = NULL;
		long r = syscall(SYS_execve, big_path, bargv, environ);
		int e = errno;
		char here[4096], want[4200];
		syscall(SYS_getcwd, here, sizeof here);   /* any call that traps */
		snprintf(want, sizeof want, "%s/sub/tool", cwd);
		printf("execve with arguments too big: %ld %s, its name %s\n", r, err_name(e),
		       strcmp(big_path, want) == 0 ? "kept" : big_path);
		fflush(stdout);
		_exit(0);
	}
	int bst;
	waitpid(big, &bst, 0);
	/* A thread other than the leader: the process takes its id. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		thread_exec_path = path;
		pthread_t t;
		pthread_create(&t, NULL, exec_from_thread, "from-a-thread");
		pause();
		_exit(112);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("execve from a thread: exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Split mode's refusals (run by name only: natively these succeed). */
static void sec_refused(void)
{
	/* getxattrat (Linux 6.13, 464 on every architecture) has no row. */
	TRY("getxattrat", syscall(464, AT_FDCWD, "a.txt", 0, "user.x", NULL, 0));
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDWR);
	TRY("inotify_add_watch on a remote path", syscall(SYS_inotify_add_watch, (int)syscall(SYS_inotify_init1, 0), "a.txt", IN_MODIFY));
	TRY("ioctl BLKGETSIZE64", ioctl(fd, 0x80081272, &(uint64_t){ 0 }));
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr m = { .msg_iov = &(struct iovec){ "x", 1 }, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof cbuf };
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof fd);
	TRY("sendmsg of a remote fd", sendmsg(sv[0], &m, 0));
	TRY("getxattr on a remote path (no warning)", syscall(SYS_getxattr, "a.txt", "user.x", NULL, 0L));
	TRY("clone3 (libc falls back to clone)", syscall(SYS_clone3, NULL, 0L));
	close(fd);
}

/* A child made with CLONE_UNTRACED is followed all the same: its calls on
 * remote files work. */
static void sec_untraced(void)
{
	int p[2];
	if (pipe(p) < 0)
		return;
	pid_t pid = (pid_t)syscall(SYS_clone, (long)(CLONE_UNTRACED | SIGCHLD), 0L, 0L, 0L, 0L);
	if (pid == 0) {
		int fd = (int)syscall(SYS_openat, AT_FDCWD, "a.txt", O_RDONLY);
		char b[6] = { 0 };
		_exit(fd >= 0 && read(fd, b, 5) == 5 && strcmp(b, "alpha") == 0 ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("a CLONE_UNTRACED child read a remote file: %s\n",
	       WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "yes" : "no");
}

static const struct {
	const char *name;
	void (*fn)(void);
} by_name_only[] = {
	{ "refused", sec_refused }, { "untraced", sec_untraced },
};

static const struct {
	const char *name;
	void (*fn)(void);
} sections[] = {
	{ "open", sec_open }, { "stat", sec_stat }, { "change", sec_change }, { "names", sec_names },
	{ "dirs", sec_dirs }, { "io", sec_io }, { "fdflags", sec_fdflags }, { "dup", sec_dup },
	{ "map", sec_map }, { "mapshared", sec_mapshared }, { "copy", sec_copy }, { "locks", sec_locks }, { "threads", sec_threads },
	{ "exec", sec_exec },
};

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; argc > 1 && i < sizeof by_name_only / sizeof by_name_only[0]; i++)
		if (strcmp(argv[1], by_name_only[i].name) == 0) {
			printf("== %s\n", by_name_only[i].name);
			by_name_only[i].fn();
			return 0;
		}
	for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
		if (argc > 1 && strcmp(argv[1], sections[i].name) != 0)
			continue;
		printf("== %s\n", sections[i].name);
		sections[i].fn();
	}
	return 0;
}
