/* shadow/session.c: one agent connection: decoding requests, confining
 * paths beneath the root, running the ops and encoding canonical replies. */
#include "shadow/shadow.h"

#include "rpc/canon.h"
#include "rpc/client.h"
#include "rpc/wire.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define MAX_HANDLES 1024

struct session {
	const struct shadow_root *root;
	int fds[MAX_HANDLES];
	char cwd[PATH_MAX];      /* "/" or "/a/b", relative to the root */
	struct rpc_enc out;              /* the reply being built */
	uint8_t *iobuf;                  /* RPC_MAX_BUF bytes */
	struct rpc_val *args;            /* RPC_MAX_VALS */
	/* Bytes of data (buffers, dirent entries) the reply being built may
	 * still carry: RPC_MAX_BUF per frame, so that a COMPOUND's reply always
	 * fits in RPC_MAX_FRAME (docs/wire-format.md, "The data budget"). */
	size_t data_left;
};

static int64_t neg_canon_errno(int native)
{
	int64_t c;
	if (canon_errno_encode(native, &c) == 0)
		return -c;
	shadow_log("errno %d has no canonical value; sent as EINVAL", native);
	canon_errno_encode(EINVAL, &c);
	return -c;
}

/* Handles. */

static int handle_fd(struct session *s, int64_t h)
{
	if (h < 0 || h >= MAX_HANDLES || s->fds[h] < 0)
		return -EBADF;
	return s->fds[h];
}

static int64_t handle_new(struct session *s, int fd)
{
	for (int h = 0; h < MAX_HANDLES; h++)
		if (s->fds[h] < 0) {
			s->fds[h] = fd;
			return h;
		}
	close(fd);
	return -EMFILE;
}

/* Path resolution. Every path the agent sends is turned into one absolute
 * path relative to the root and opened with RESOLVE_IN_ROOT from the root's
 * fd, so neither "..", absolute symlinks nor magic links can leave it. */

static int fd_root_path(struct session *s, int fd, char *out, size_t size)
{
	char proc[64], target[PATH_MAX];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(proc, target, sizeof target - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	size_t rl = strlen(s->root->real);
	if (strcmp(s->root->real, "/") == 0)
		rl = 0;
	if (strncmp(target, s->root->real, rl) != 0 || (target[rl] != '/' && target[rl] != 0))
		return -ENOENT;   /* moved out of the root, or deleted */
	if ((size_t)snprintf(out, size, "%s", target[rl] ? target + rl : "/") >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* dirh + path -> an absolute path within the root (not yet resolved). */
static int combine(struct session *s, int64_t dirh, const struct rpc_val *path, char *out, size_t size)
{
	char base[PATH_MAX];
	if (path->i > 0 && path->p[0] == '/') {
		base[0] = 0;
	} else if (dirh == RPC_HANDLE_CWD) {
		memcpy(base, s->cwd, sizeof base);
	} else {
		int fd = handle_fd(s, dirh);
		if (fd < 0)
			return fd;
		int rc = fd_root_path(s, fd, base, sizeof base);
		if (rc)
			return rc;
	}
	size_t bl = strlen(base);
	if (bl + 1 + (size_t)path->i + 1 > size)
		return -ENAMETOOLONG;
	memcpy(out, base, bl);
	if (bl && base[bl - 1] != '/')
		out[bl++] = '/';
	memcpy(out + bl, path->p, (size_t)path->i);
	out[bl + (size_t)path->i] = 0;
	if (!out[0])
		strcpy(out, "/");
	return 0;
}

/* RESOLVE_IN_ROOT done by hand, one component at a time with O_NOFOLLOW,
 * for where openat2 is missing (qemu-user does not emulate it). Same rules:
 * ".." stops at the root, absolute symlinks restart at the root, at most 40
 * symlinks. Other processes renaming inside the root concurrently can race
 * it, which openat2 cannot; docs/shadow.md says so. */
static int resolve_by_hand(int rootfd, const char *abs, int flags, mode_t mode)
{
	enum { MAX_DEPTH = 256 };
	int stack[MAX_DEPTH], depth = 0, links = 0, rc;
	char *rest = malloc(2 * PATH_MAX + 2), *tmp = malloc(2 * PATH_MAX + 2);
	if (!rest || !tmp) {
		free(rest);
		free(tmp);
		return -ENOMEM;
	}
	snprintf(rest, 2 * PATH_MAX + 2, "%s", abs);
	int want_dir = strlen(rest) > 0 && rest[strlen(rest) - 1] == '/';
	stack[0] = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
	if (stack[0] < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		char *p = rest;
		while (*p == '/')
			p++;
		if (!*p) {   /* the path named the directory on top */
			rc = openat(stack[depth], ".", flags & ~(O_CREAT | O_EXCL), mode);
			rc = rc < 0 ? -errno : rc;
			goto out;
		}
		char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char name[NAME_MAX + 1];
		if (len > NAME_MAX) {
			rc = -ENAMETOOLONG;
			goto out;
		}
		memcpy(name, p, len);
		name[len] = 0;
		char *after = p + len;
		while (*after == '/')
			after++;
		int last = !*after;
		memmove(rest, after, strlen(after) + 1);
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			if (depth > 0)
				close(stack[depth--]);
			continue;
		}
		int fd = openat(stack[depth], name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			rc = -errno;
			if (rc == -ENOENT && last && (flags & O_CREAT)) {
				rc = openat(stack[depth], name, flags | O_NOFOLLOW, mode);
				rc = rc < 0 ? -errno : rc;
			}
			goto out;
		}
		struct stat st;
		if (fstat(fd, &st) < 0) {
			rc = -errno;
			close(fd);
			goto out;
		}
		if (S_ISLNK(st.st_mode) && !(last && (flags & (O_NOFOLLOW | O_EXCL)) && !want_dir)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(fd, "", target, sizeof target - 1);
			close(fd);
			if (n < 0 || ++links > 40) {
				rc = n < 0 ? -errno : -ELOOP;
				goto out;
			}
			target[n] = 0;
			if (target[0] == '/')
				while (depth > 0)
					close(stack[depth--]);
			snprintf(tmp, 2 * PATH_MAX + 2, "%s%s%s", target, *rest ? "/" : "", rest);
			memcpy(rest, tmp, strlen(tmp) + 1);
			continue;
		}
		if (last) {
			if (S_ISLNK(st.st_mode) && (flags & O_EXCL) && (flags & O_CREAT)) {
				close(fd);
				rc = -EEXIST;
				goto out;
			}
			if (S_ISLNK(st.st_mode) && (flags & O_NOFOLLOW) && !(flags & O_PATH)) {
				close(fd);
				rc = -ELOOP;
				goto out;
			}
			if ((flags & O_PATH) && (flags & O_NOFOLLOW)) {
				rc = fd;
				goto out;
			}
			close(fd);
			rc = openat(stack[depth], name, (flags | O_NOFOLLOW) | (want_dir ? O_DIRECTORY : 0), mode);
			rc = rc < 0 ? -errno : rc;
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			close(fd);
			rc = -ENOTDIR;
			goto out;
		}
		if (depth + 1 >= MAX_DEPTH) {
			close(fd);
			rc = -ENAMETOOLONG;
			goto out;
		}
		stack[++depth] = fd;
	}
out:
	while (depth >= 0 && stack[0] >= 0)
		close(stack[depth--]);
	free(rest);
	free(tmp);
	return rc;
}

static int open_in_root(struct session *s, const char *abs, int64_t flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)flags | O_CLOEXEC,
		/* O_TMPFILE includes O_DIRECTORY's bit: test it whole. */
		.mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, s->root->fd, abs, &how, sizeof how);
	if (fd < 0 && errno == ENOSYS) {
		fd = resolve_by_hand(s->root->fd, abs, (int)how.flags, (mode_t)how.mode);
		if (fd < 0)
			errno = -fd;
	}
	if (fd < 0) {
		int e = errno;
		shadow_debug(s->root, "openat2(root, \"%s\", %#llo) failed: %s", abs,
			     (unsigned long long)how.flags, strerror(e));
		return -e;
	}
	return fd;
}

/* Opens dirh+path (for stat-like ops) as O_PATH; empty path with
 * AT_EMPTY_PATH dups the handle itself. */
static int open_target(struct session *s, int64_t dirh, const struct rpc_val *path, int at_flags)
{
	if (path->i == 0) {
		if (!(at_flags & AT_EMPTY_PATH))
			return -ENOENT;
		int fd = dirh == RPC_HANDLE_CWD ? open_in_root(s, s->cwd, O_PATH, 0) : handle_fd(s, dirh);
		if (fd < 0 || dirh == RPC_HANDLE_CWD)
			return fd;
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		return fd < 0 ? -errno : fd;
	}
	char abs[PATH_MAX];
	int rc = combine(s, dirh, path, abs, sizeof abs);
	if (rc)
		return rc;
	return open_in_root(s, abs, O_PATH | ((at_flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0), 0);
}

/* Opens the parent of dirh+path and gives its last component in last. The
 * last component is never "" (the path had one), and "." / ".." are
 * reported through *dots (1 or 2) for the op to refuse as Linux does. */
static int open_parent(struct session *s, int64_t dirh, const struct rpc_val *path, char *last, int *dots)
{
	if (path->i == 0)
		return -ENOENT;
	char abs[PATH_MAX];
	int rc = combine(s, dirh, path, abs, sizeof abs);
	if (rc)
		return rc;
	size_t n = strlen(abs);
	while (n > 1 && abs[n - 1] == '/')
		abs[--n] = 0;
	char *slash = strrchr(abs, '/');
	if (!slash[1]) {     /* the root itself */
		strcpy(last, ".");
		*dots = 1;
		return open_in_root(s, "/", O_PATH | O_DIRECTORY, 0);
	}
	if (strlen(slash + 1) > NAME_MAX)
		return -ENAMETOOLONG;
	strcpy(last, slash + 1);
	*dots = strcmp(last, ".") == 0 ? 1 : strcmp(last, "..") == 0 ? 2 : 0;
	if (slash == abs)
		slash[1] = 0;
	else
		*slash = 0;
	return open_in_root(s, abs, O_PATH | O_DIRECTORY, 0);
}

/* Canonical conversions of arguments; each fails with EINVAL. */
#define DECODE(kind, canon, native_out) do { \
	int64_t nat_; \
	if (canon_##kind##_decode((canon), &nat_)) { \
		shadow_debug(s->root, "%s: no native value for canonical %lld", #kind, (long long)(canon)); \
		return -EINVAL; \
	} \
	(native_out) = nat_; \
} while (0)

#define MODIFYING() do { if (s->root->read_only) return -EROFS; } while (0)

static void put_int(struct session *s, int64_t v)
{
	rpc_put_i64(&s->out, v);
}

static int put_statx(struct session *s, const struct statx *st)
{
	struct canon_stat c;
	int rc = canon_stat_from_statx(st, &c);
	if (!rc)
		rpc_put_stat(&s->out, &c);
	return rc;
}

static int64_t stat_fd(struct session *s, int fd, unsigned mask)
{
	struct statx st;
	if (statx(fd, "", AT_EMPTY_PATH, mask, &st) < 0)
		return -errno;
	return put_statx(s, &st);   /* a mode with no canonical form: EINVAL */
}

static int64_t put_statfs(struct session *s, int fd)
{
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0)
		return -errno;
	struct canon_statfs c;
	if (canon_statfs_from_statfs(&sf, &c))
		return -EINVAL;
	rpc_put_statfs(&s->out, &c);
	return 0;
}

/* Reads up to count bytes (at offset at when positional) straight into
 * the reply. */
static int64_t read_reply(struct session *s, int fd, int64_t count, int64_t at, bool positional)
{
	uint8_t *p = rpc_put_buf_begin(&s->out, (size_t)count);
	if (!p)
		return -ENOMEM;
	ssize_t n = positional ? pread(fd, p, (size_t)count, at) : read(fd, p, (size_t)count);
	if (n < 0)
		return -errno;
	rpc_put_buf_end(&s->out, p, (size_t)n);
	s->data_left -= (size_t)n;
	return n;
}

/* The count a data-returning op may use: at most what the reply can still
 * carry. With nothing left the op does not run (E2BIG ends a COMPOUND);
 * a short count is a short read, never a false end of file. */
static int64_t data_count(struct session *s, int64_t n)
{
	if (n < 0)
		return -EINVAL;
	if (n > 0 && s->data_left == 0)
		return -E2BIG;
	return n > (int64_t)s->data_left ? (int64_t)s->data_left : n;
}

static size_t io_count(int64_t n)
{
	return n > RPC_MAX_BUF ? RPC_MAX_BUF : (size_t)n;
}

static int64_t op_open(struct session *s, const struct rpc_val *a)
{
	int64_t flags, mode;
	DECODE(open_flags, a[2].i, flags);
	DECODE(mode, a[3].i, mode);
	int64_t umask_bits;
	DECODE(mode, a[4].i, umask_bits);
	if (a[5].i != 0)
		return -EINVAL;   /* resolve flags: reserved */
	if ((flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)) || (flags & O_TMPFILE) == O_TMPFILE)
		MODIFYING();
	char abs[PATH_MAX];
	int rc = a[1].i == 0 ? -ENOENT : combine(s, a[0].i, &a[1], abs, sizeof abs);
	if (rc)
		return rc;
	int fd = open_in_root(s, abs, flags, (mode_t)(mode & ~umask_bits & 07777));
	return fd < 0 ? fd : handle_new(s, fd);
}

static int64_t op_getdents(struct session *s, const struct rpc_val *a)
{
	int fd = handle_fd(s, a[0].i);
	if (fd < 0)
		return fd;
	int64_t max = a[1].i;
	if (max <= 0)
		return -EINVAL;
	if (max > RPC_MAX_DIRENTS)
		max = RPC_MAX_DIRENTS;
	/* One entry of the longest name must fit in what the reply may carry. */
	enum { ENTRY_MAX = 4 * 8 + RPC_MAX_NAME };
	if (s->data_left < ENTRY_MAX)
		return -E2BIG;
	/* Read a little at a time so no entry is read and then dropped: the
	 * offset of the last entry sent is where the next call starts. */
	size_t bufsize = 32768;
	char *buf = (char *)s->iobuf;
	int64_t count = 0, last_off = -1;
	struct rpc_enc *e = &s->out;
	size_t count_at = e->len;
	rpc_put_i64(e, 0);
	while (count < max) {
		ssize_t n = syscall(SYS_getdents64, fd, buf, bufsize);
		if (n < 0)
			return count ? count : -errno;
		if (n == 0)
			break;
		off_t resume = -1;
		for (ssize_t pos = 0; pos < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + pos);
			size_t size = 4 * 8 + strlen(d->d_name);
			if (size > s->data_left) {
				resume = last_off;   /* set: the first entry always fits */
				break;
			}
			int64_t type;
			if (canon_dirent_type_encode(d->d_type, &type))
				return -EINVAL;
			rpc_put_dirent(e, (int64_t)d->d_ino, (int64_t)d->d_off, type, d->d_name);
			s->data_left -= size;
			last_off = d->d_off;
			count++;
			pos += d->d_reclen;
			if (pos < n && count == max) {
				resume = d->d_off;
				break;
			}
		}
		if (resume != -1) {
			lseek(fd, resume, SEEK_SET);
			break;
		}
	}
	rpc_patch_i64(e, count_at, count);
	return count;
}

static int64_t op_lock(struct session *s, const struct rpc_val *a)
{
	int fd = handle_fd(s, a[0].i);
	if (fd < 0)
		return fd;
	int64_t cmd, type, whence;
	DECODE(lock_cmd, a[1].i, cmd);
	DECODE(lock_type, a[2].i, type);
	DECODE(whence, a[3].i, whence);
	if (type != F_UNLCK && (cmd == F_SETLK || cmd == F_SETLKW || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW))
		MODIFYING();
	struct flock fl = { .l_type = (short)type, .l_whence = (short)whence, .l_start = a[4].i, .l_len = a[5].i,
			    .l_pid = 0 };
	if (fcntl(fd, (int)cmd, &fl) < 0)
		return -errno;
	int64_t ct, cw;
	if (canon_lock_type_encode(fl.l_type, &ct) || canon_whence_encode(fl.l_whence, &cw))
		return -EINVAL;
	put_int(s, ct);
	put_int(s, cw);
	put_int(s, fl.l_start);
	put_int(s, fl.l_len);
	put_int(s, fl.l_pid);
	return 0;
}

/* flock(2) on the handle's open file: a lock shared by nothing but the
 * handles DUPed from it, as for the agent's process. */
static int64_t op_flock(struct session *s, const struct rpc_val *a)
{
	int fd = handle_fd(s, a[0].i);
	if (fd < 0)
		return fd;
	int64_t op;
	DECODE(flock_op, a[1].i, op);
	if (!(op & LOCK_UN))
		MODIFYING();
	return flock(fd, (int)op) < 0 ? -errno : 0;
}

static int64_t op_utimens(struct session *s, const struct rpc_val *a)
{
	MODIFYING();
	struct timespec ts[2];
	for (int k = 0; k < 2; k++) {
		ts[k].tv_sec = a[2 + 2 * k].i;
		int64_t nsec;
		DECODE(utime_nsec, a[3 + 2 * k].i, nsec);
		ts[k].tv_nsec = nsec;
	}
	int64_t at;
	DECODE(at_flags, a[6].i, at);
	int fd = open_target(s, a[0].i, &a[1], (int)at);
	if (fd < 0)
		return fd;
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	int rc = utimensat(AT_FDCWD, proc, ts, 0);
	int e = errno;
	close(fd);
	return rc < 0 ? -e : 0;
}

static int64_t op_ids(struct session *s)
{
	put_int(s, getuid());
	put_int(s, geteuid());
	put_int(s, getgid());
	put_int(s, getegid());
	gid_t groups[RPC_MAX_GROUPS];
	int n = getgroups(RPC_MAX_GROUPS, groups);
	if (n < 0)
		return -errno;
	put_int(s, n);
	for (int k = 0; k < n; k++)
		put_int(s, groups[k]);
	return 0;
}

static int64_t op_uname(struct session *s)
{
	struct utsname u;
	if (uname(&u) < 0)
		return -errno;
	const char *f[RPC_UTS_FIELDS] = { u.sysname, u.nodename, u.release, u.version, u.machine, u.domainname };
	for (int k = 0; k < RPC_UTS_FIELDS; k++)
		rpc_put_bytes(&s->out, f[k], strnlen(f[k], 64), 64);
	return 0;
}

/* Runs one decoded op. Returns the result (>= 0) or a negative native errno;
 * result values are appended to s->out after the result. */
static int64_t run_op(struct session *s, int64_t op, const struct rpc_val *a)
{
	char last[NAME_MAX + 1];
	int dots, fd, pfd;
	int64_t r, at, mode, um;
	switch (op) {
	case RPC_OP_NULL:
		return 0;
	case RPC_OP_OPEN:
		return op_open(s, a);
	case RPC_OP_CLOSE:
		fd = handle_fd(s, a[0].i);
		if (fd < 0)
			return fd;
		s->fds[a[0].i] = -1;
		return close(fd) < 0 ? -errno : 0;
	case RPC_OP_DUP:
		fd = handle_fd(s, a[0].i);
		if (fd < 0)
			return fd;
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		return fd < 0 ? -errno : handle_new(s, fd);
	case RPC_OP_READ:
		if ((fd = handle_fd(s, a[0].i)) < 0)
			return fd;
		if ((r = data_count(s, a[1].i)) < 0)
			return r;
		return read_reply(s, fd, r, 0, false);
	case RPC_OP_PREAD:
		if ((fd = handle_fd(s, a[0].i)) < 0)
			return fd;
		if ((r = data_count(s, a[1].i)) < 0)
			return r;
		return read_reply(s, fd, r, a[2].i, true);
	case RPC_OP_READV: {
		if ((fd = handle_fd(s, a[0].i)) < 0)
			return fd;
		int64_t total = 0;
		for (int64_t k = 0; k < a[1].i; k++) {
			if (a[2 + k].i < 0)
				return -EINVAL;
			total += a[2 + k].i < RPC_MAX_BUF ? a[2 + k].i : RPC_MAX_BUF;
		}
		if ((r = data_count(s, total)) < 0)
			return r;
		return read_reply(s, fd, r, 0, false);
	}
	case RPC_OP_WRITE:
	case RPC_OP_PWRITE:
		MODIFYING();
		if ((fd = handle_fd(s, a[0].i)) < 0)
			return fd;
		r = op == RPC_OP_WRITE ? write(fd, a[1].p, (size_t)a[1].i) : pwrite(fd, a[1].p, (size_t)a[1].i, a[2].i);
		return r < 0 ? -errno : r;
	case RPC_OP_WRITEV: {
		MODIFYING();
		if ((fd = handle_fd(s, a[0].i)) < 0)
			return fd;
		struct iovec iov[RPC_MAX_IOV];
		int64_t n = a[1].i;
		for (int64_t k = 0; k < n; k++) {
			iov[k].iov_base = (void *)a[2 + k].p;
			iov[k].iov_len = (size_t)a[2 + k].i;
		}
		r = writev(fd, iov, (int)n);
		return r < 0 ? -errno : r;
	}
	case RPC_OP_LSEEK: {
		if ((fd = handle_fd(s, a[0].i)) < 0)
			return fd;
		int64_t whence;
		DECODE(whence, a[2].i, whence);
		r = lseek(fd, a[1].i, (int)whence);
		return r < 0 ? -errno : r;
	}
	case RPC_OP_FSTAT:
		if ((fd = handle_fd(s, a[0].i)) < 0)
			return fd;
		return stat_fd(s, fd, STATX_BASIC_STATS | STATX_BTIME);
	case RPC_OP_FSTATAT:
	case RPC_OP_STATX: {
		DECODE(at_flags, a[2].i, at);
		unsigned mask = STATX_BASIC_STATS | STATX_BTIME;
		if (op == RPC_OP_STATX) {
			int64_t m;
			DECODE(statx_mask, a[3].i, m);
			mask = (unsigned)m;
		}
		if ((fd = open_target(s, a[0].i, &a[1], (int)at)) < 0)
			return fd;
		r = stat_fd(s, fd, mask);
		close(fd);
		return r;
	}
	case RPC_OP_FACCESSAT: {
		int64_t amode;
		DECODE(access_mode, a[2].i, amode);
		DECODE(at_flags, a[3].i, at);
		if ((amode & W_OK) && s->root->read_only) {
			/* reported like a read-only mount */
		}
		if ((fd = open_target(s, a[0].i, &a[1], (int)at)) < 0)
			return fd;
		char proc[64];
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
		r = faccessat(AT_FDCWD, proc, (int)amode, (int)(at & AT_EACCESS));
		r = r < 0 ? -errno : 0;
		if (r == 0 && (amode & W_OK) && s->root->read_only)
			r = -EROFS;
		close(fd);
		return r;
	}
	case RPC_OP_READLINK:
		if (a[2].i < 0)
			return -EINVAL;
		if ((fd = open_target(s, a[0].i, &a[1], AT_SYMLINK_NOFOLLOW)) < 0)
			return fd;
		/* Link contents are at most PATH_MAX - 1 bytes: outside the budget. */
		r = readlinkat(fd, "", (char *)s->iobuf, a[2].i < RPC_MAX_PATH ? (size_t)a[2].i : RPC_MAX_PATH);
		if (r < 0)
			r = -errno;
		/* readlinkat(fd, "") of what is no symlink says ENOENT;
		 * readlink(2) of its path says EINVAL. */
		if (r == -ENOENT) {
			struct stat st;
			if (fstat(fd, &st) == 0 && !S_ISLNK(st.st_mode))
				r = -EINVAL;
		}
		else
			rpc_put_bytes(&s->out, s->iobuf, (size_t)r, RPC_MAX_BUF);
		close(fd);
		return r;
	case RPC_OP_GETDENTS:
		return op_getdents(s, a);
	case RPC_OP_MKDIR:
		MODIFYING();
		DECODE(mode, a[2].i, mode);
		DECODE(mode, a[3].i, um);
		if ((pfd = open_parent(s, a[0].i, &a[1], last, &dots)) < 0)
			return pfd;
		r = dots ? -EEXIST : mkdirat(pfd, last, (mode_t)(mode & ~um & 07777)) < 0 ? -errno : 0;
		close(pfd);
		return r;
	case RPC_OP_UNLINK:
		MODIFYING();
		DECODE(at_flags, a[2].i, at);
		if ((pfd = open_parent(s, a[0].i, &a[1], last, &dots)) < 0)
			return pfd;
		if (dots)
			r = !(at & AT_REMOVEDIR) ? -EISDIR : dots == 1 ? -EINVAL : -ENOTEMPTY;
		else
			r = unlinkat(pfd, last, (int)(at & AT_REMOVEDIR)) < 0 ? -errno : 0;
		close(pfd);
		return r;
	case RPC_OP_RENAME:
	case RPC_OP_LINK: {
		MODIFYING();
		char last2[NAME_MAX + 1];
		int dots2, pfd2;
		int64_t fl;
		if (op == RPC_OP_RENAME)
			DECODE(rename_flags, a[4].i, fl);
		else
			DECODE(at_flags, a[4].i, fl);
		if ((pfd = open_parent(s, a[0].i, &a[1], last, &dots)) < 0)
			return pfd;
		if ((pfd2 = open_parent(s, a[2].i, &a[3], last2, &dots2)) < 0) {
			close(pfd);
			return pfd2;
		}
		if (dots || dots2)
			r = op == RPC_OP_RENAME ? -EBUSY : -EEXIST;
		else if (op == RPC_OP_RENAME)
			r = renameat2(pfd, last, pfd2, last2, (unsigned)fl) < 0 ? -errno : 0;
		else
			r = linkat(pfd, last, pfd2, last2, (int)(fl & AT_SYMLINK_FOLLOW) ? AT_SYMLINK_FOLLOW : 0) < 0
				    ? -errno : 0;
		close(pfd);
		close(pfd2);
		return r;
	}
	case RPC_OP_SYMLINK: {
		MODIFYING();
		char target[RPC_MAX_PATH + 1];
		memcpy(target, a[0].p, (size_t)a[0].i);
		target[a[0].i] = 0;
		if ((pfd = open_parent(s, a[1].i, &a[2], last, &dots)) < 0)
			return pfd;
		r = dots ? -EEXIST : symlinkat(target, pfd, last) < 0 ? -errno : 0;
		close(pfd);
		return r;
	}
	case RPC_OP_CHMOD:
	case RPC_OP_FCHMOD: {
		MODIFYING();
		const struct rpc_val *m = op == RPC_OP_CHMOD ? &a[2] : &a[1];
		DECODE(mode, m->i, mode);
		if (op == RPC_OP_CHMOD) {
			DECODE(at_flags, a[3].i, at);
			if ((fd = open_target(s, a[0].i, &a[1], (int)at)) < 0)
				return fd;
		} else {
			if ((fd = handle_fd(s, a[0].i)) < 0)
				return fd;
			fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		}
		char proc[64];
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
		r = chmod(proc, (mode_t)(mode & 07777)) < 0 ? -errno : 0;
		close(fd);
		return r;
	}
	case RPC_OP_CHOWN:
	case RPC_OP_FCHOWN: {
		MODIFYING();
		int64_t uid = op == RPC_OP_CHOWN ? a[2].i : a[1].i, gid = op == RPC_OP_CHOWN ? a[3].i : a[2].i;
		if (op == RPC_OP_CHOWN) {
			DECODE(at_flags, a[4].i, at);
			if ((fd = open_target(s, a[0].i, &a[1], (int)at)) < 0)
				return fd;
		} else {
			if ((fd = handle_fd(s, a[0].i)) < 0)
				return fd;
			fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		}
		r = fchownat(fd, "", (uid_t)uid, (gid_t)gid, AT_EMPTY_PATH) < 0 ? -errno : 0;
		close(fd);
		return r;
	}
	case RPC_OP_TRUNCATE: {
		MODIFYING();
		char abs[PATH_MAX];
		int rc = a[1].i == 0 ? -ENOENT : combine(s, a[0].i, &a[1], abs, sizeof abs);
		if (rc)
			return rc;
		if ((fd = open_in_root(s, abs, O_WRONLY, 0)) < 0)
			return fd;
		r = ftruncate(fd, a[2].i) < 0 ? -errno : 0;
		close(fd);
		return r;
	}
	case RPC_OP_FTRUNCATE:
		MODIFYING();
		if ((fd = handle_fd(s, a[0].i)) < 0)
			return fd;
		return ftruncate(fd, a[1].i) < 0 ? -errno : 0;
	case RPC_OP_FSYNC:
		if ((fd = handle_fd(s, a[0].i)) < 0)
			return fd;
		return (a[1].i ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;
	case RPC_OP_UTIMENS:
		return op_utimens(s, a);
	case RPC_OP_STATFS:
		if ((fd = open_target(s, a[0].i, &a[1], 0)) < 0)
			return fd;
		r = put_statfs(s, fd);
		close(fd);
		return r;
	case RPC_OP_FSTATFS:
		if ((fd = handle_fd(s, a[0].i)) < 0)
			return fd;
		return put_statfs(s, fd);
	case RPC_OP_LOCK:
		return op_lock(s, a);
	case RPC_OP_FLOCK:
		return op_flock(s, a);
	case RPC_OP_FALLOCATE: {
		MODIFYING();
		if ((fd = handle_fd(s, a[0].i)) < 0)
			return fd;
		int64_t fmode;
		DECODE(fallocate_mode, a[1].i, fmode);
		return fallocate(fd, (int)fmode, a[2].i, a[3].i) < 0 ? -errno : 0;
	}
	case RPC_OP_COPY_RANGE: {
		MODIFYING();
		int in = handle_fd(s, a[0].i), out = handle_fd(s, a[2].i);
		if (in < 0 || out < 0)
			return -EBADF;
		if (a[4].i < 0)
			return -EINVAL;
		loff_t offin = a[1].i, offout = a[3].i;
		r = copy_file_range(in, a[1].i < 0 ? NULL : &offin, out, a[3].i < 0 ? NULL : &offout,
				    io_count(a[4].i), (unsigned)a[5].i);
		return r < 0 ? -errno : r;
	}
	case RPC_OP_CHDIR:
	case RPC_OP_FCHDIR: {
		if (op == RPC_OP_CHDIR) {
			char abs[PATH_MAX];
			int rc = a[1].i == 0 ? -ENOENT : combine(s, a[0].i, &a[1], abs, sizeof abs);
			if (rc)
				return rc;
			fd = open_in_root(s, abs, O_PATH | O_DIRECTORY, 0);
		} else {
			fd = handle_fd(s, a[0].i);
			if (fd >= 0) {
				struct stat st;
				fd = fstat(fd, &st) < 0 ? -errno : !S_ISDIR(st.st_mode) ? -ENOTDIR
					: fcntl(fd, F_DUPFD_CLOEXEC, 0);
			}
		}
		if (fd < 0)
			return fd;
		char path[PATH_MAX];
		int rc = fd_root_path(s, fd, path, sizeof path);
		close(fd);
		if (rc)
			return rc;
		if (strlen(path) >= sizeof s->cwd)
			return -ENAMETOOLONG;
		strcpy(s->cwd, path);
		return 0;
	}
	case RPC_OP_GETCWD:
		rpc_put_str(&s->out, s->cwd, RPC_MAX_PATH);
		return (int64_t)strlen(s->cwd) + 1;
	case RPC_OP_UNAME:
		return op_uname(s);
	case RPC_OP_GETHOSTNAME: {
		char h[RPC_MAX_NAME + 1];
		if (gethostname(h, sizeof h) < 0)
			return -errno;
		h[RPC_MAX_NAME] = 0;
		rpc_put_str(&s->out, h, RPC_MAX_NAME);
		return 0;
	}
	case RPC_OP_IDS:
		return op_ids(s);
	case RPC_OP_CLOCK_GETTIME: {
		if (a[0].i != 0)
			return -EINVAL;   /* only CLOCK_REALTIME (canonical 0) is served */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		put_int(s, ts.tv_sec);
		put_int(s, ts.tv_nsec);
		return 0;
	}
	default:
		return -ENOSYS;
	}
}

/* Runs op and writes its result (canonical) into s->out; the op appends its
 * values straight after it (no copy), and a failed op's are cut off. */
static int64_t run_and_reply(struct session *s, int64_t op, const struct rpc_val *a)
{
	size_t result_at = s->out.len;
	rpc_put_i64(&s->out, 0);
	int64_t r = run_op(s, op, a);
	if (r < 0 && !s->out.error)
		s->out.len = result_at + 8;
	rpc_patch_i64(&s->out, result_at, r >= 0 ? r : neg_canon_errno((int)-r));
	if (s->root->debug)
		shadow_debug(s->root, "%s -> %lld", rpc_op_name(op), (long long)r);
	return r;
}

static void resolve_refs(struct rpc_val *a, size_t n, const int64_t *results, size_t done, int *bad)
{
	for (size_t k = 0; k < n; k++) {
		if (a[k].p || !RPC_IS_REF(a[k].i))
			continue;
		size_t idx = (size_t)(a[k].i - RPC_REF_BASE);
		if (idx >= done)
			*bad = 1;
		else
			a[k].i = results[idx];
	}
}

static int serve_compound(struct session *s, const struct rpc_frame *f)
{
	struct rpc_call calls[RPC_MAX_COMPOUND];
	size_t count;
	int rc = rpc_decode_compound(f, calls, &count, s->args, RPC_MAX_VALS);
	if (rc)
		return rc;
	s->data_left = RPC_MAX_BUF;
	rpc_frame_begin(&s->out, f->tag, RPC_OP_COMPOUND);
	size_t result_at = s->out.len;
	rpc_put_i64(&s->out, 0);
	size_t count_at = s->out.len;
	rpc_put_i64(&s->out, 0);
	int64_t results[RPC_MAX_COMPOUND], done = 0, last = 0;
	for (size_t k = 0; k < count; k++) {
		int bad = 0;
		resolve_refs(calls[k].vals, calls[k].nvals, results, k, &bad);
		rpc_put_i64(&s->out, calls[k].op);
		int64_t r = bad ? -EINVAL : 0;
		if (bad)
			rpc_put_i64(&s->out, neg_canon_errno(EINVAL));
		else
			r = run_and_reply(s, calls[k].op, calls[k].vals);
		results[k] = r;
		done++;
		last = r >= 0 ? r : neg_canon_errno((int)-r);
		if (r < 0)
			break;
	}
	if (s->out.error)
		return s->out.error;
	rpc_patch_i64(&s->out, result_at, last);
	rpc_patch_i64(&s->out, count_at, done);
	rpc_frame_end(&s->out);
	return s->out.error;
}

static int serve_frame(struct session *s, const uint8_t *buf, size_t len)
{
	struct rpc_frame f;
	int rc = rpc_frame_parse(buf, len, &f);
	if (rc)
		return rc;
	if (f.op == RPC_OP_COMPOUND)
		return serve_compound(s, &f);
	if (f.op == RPC_OP_HELLO)
		return -EPROTO;   /* only once, first */
	size_t n;
	rc = rpc_decode_args(&f, s->args, RPC_MAX_VALS, &n);
	if (rc == -ENOSYS) {
		/* An unknown op is answered, not fatal: newer agents may probe. */
		rpc_frame_begin(&s->out, f.tag, f.op);
		rpc_put_i64(&s->out, neg_canon_errno(ENOSYS));
		rpc_frame_end(&s->out);
		return s->out.error;
	}
	if (rc)
		return rc;
	s->data_left = RPC_MAX_BUF;
	rpc_frame_begin(&s->out, f.tag, f.op);
	run_and_reply(s, f.op, s->args);
	rpc_frame_end(&s->out);
	return s->out.error;
}

/* The first frame must be the agent's HELLO (docs/wire-format.md,
 * "Handshake"); a frame that is no HELLO, or one with the wrong magic, is
 * not answered. */
static int handshake(struct session *s, struct rpc_reader *in, int fd)
{
	const uint8_t *buf;
	size_t len;
	int rc = rpc_reader_next(in, &buf, &len);
	if (rc)
		return rc;
	struct rpc_frame f;
	struct rpc_hello h;
	rc = rpc_frame_parse(buf, len, &f);
	if (!rc)
		rc = rpc_decode_hello(&f, &h);
	if (rc)
		return rc;
	int64_t version, features;
	rc = rpc_negotiate(&h, &version, &features);
	if (rc) {
		shadow_log("session: agent (%s) offers protocol version %lld; this shadow speaks %d", h.arch,
			   (long long)h.version, RPC_VERSION);
		rpc_encode_hello_reply(&s->out, neg_canon_errno(-rc), 0, 0, NULL);
	} else {
		shadow_debug(s->root, "session: agent arch %s, version %lld, features %#llx", h.arch,
			     (long long)h.version, (unsigned long long)h.features);
		rpc_encode_hello_reply(&s->out, 0, version, features, rpc_host_arch());
	}
	int wrc = rpc_write_full(fd, s->out.data, s->out.len);
	return rc ? rc : wrc;
}

int shadow_session_run(const struct shadow_root *root, int fd)
{
	struct session *s = calloc(1, sizeof *s);
	struct rpc_reader in;
	int rc = -ENOMEM;
	rpc_reader_init(&in, fd);
	if (!s)
		goto out;
	s->root = root;
	for (int h = 0; h < MAX_HANDLES; h++)
		s->fds[h] = -1;
	strcpy(s->cwd, "/");
	rpc_enc_init(&s->out);
	s->iobuf = malloc(RPC_MAX_BUF);
	s->args = calloc(RPC_MAX_VALS, sizeof *s->args);
	if (!s->iobuf || !s->args)
		goto out;
	rc = handshake(s, &in, fd);
	while (!rc) {
		const uint8_t *buf;
		size_t len;
		rc = rpc_reader_next(&in, &buf, &len);
		if (rc)
			break;
		rpc_enc_reset(&s->out);
		rc = serve_frame(s, buf, len);
		if (!rc)
			rc = rpc_write_full(fd, s->out.data, s->out.len);
	}
	if (rc == -ECONNRESET)
		rc = 0;   /* the agent hung up: a normal end */
out:
	if (s) {
		for (int h = 0; h < MAX_HANDLES; h++)
			if (s->fds[h] >= 0)
				close(s->fds[h]);
		rpc_enc_free(&s->out);
		free(s->iobuf);
		free(s->args);
		free(s);
	}
	rpc_reader_free(&in);
	close(fd);
	return rc;
}
