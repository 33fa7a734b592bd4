/* shadow/session.c: one agent connection: reading frames, decoding
 * requests, confining paths beneath the root, running the ops and encoding
 * canonical replies. docs/shadow.md describes the session model. */
#include "shadow/shadow.h"

#include "rpc/auth.h"
#include "rpc/canon.h"
#include "rpc/client.h"
#include "rpc/seal.h"
#include "rpc/wire.h"
#include "shadow/access.h"
#include "shadow/resolve.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* An open file of the session. Handles are indexes into the session's table;
 * DUP makes a second handle on the same entry, CLOSE drops one reference. */
struct ofile {
	int fd;
	int refs;
};

/* Classic (per-process) record locks of the session on one file. They are
 * taken as OFD locks on one open file description per file that belongs to
 * the session, so the session owns them as a process owns classic locks,
 * whether sessions are threads or processes. */
struct lockfile {
	dev_t dev;
	ino_t ino;
	int fd;
};

struct session {
	const struct shadow_root *root;
	struct ofile *handles[SHADOW_MAX_HANDLES];
	int cwd_fd;                      /* O_PATH, beneath the root */
	struct lockfile *locks;
	size_t nlocks, locks_cap;
	struct rpc_reader in;            /* frames read ahead */
	struct rpc_enc out;              /* the reply being built; ops append their values */
	uint8_t *iobuf;                  /* RPC_MAX_BUF bytes */
	struct rpc_val *args;            /* RPC_MAX_VALS */
	/* Bytes of data (buffers, dirent entries) the reply being built may
	 * still carry: RPC_MAX_BUF per frame, so that a COMPOUND's reply always
	 * fits in RPC_MAX_FRAME (docs/wire-format.md, "The data budget"). */
	size_t data_left;
	bool handshaken;
	int64_t last_frame_ms;           /* when the last frame arrived (--idle-timeout) */
	struct rpc_seal *seal;           /* replies are sealed once AUTH is done */
	struct shadow_root own;          /* the root a subject's authfile rule gives */
	bool own_root;
	const char *peer;                /* ADDR:PORT, for the log */
	char host[64];                   /* the peer's address, for user@host */
	char why[512];                   /* why the session was dropped */
};

/* Ends the session: rc is -EPROTO (malformed), -E2BIG (oversized),
 * -EPROTONOSUPPORT (no common version) or another errno; why says more. */
__attribute__((format(printf, 3, 4)))
static int drop(struct session *s, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof s->why, fmt, ap);
	va_end(ap);
	return rc;
}

static int64_t neg_canon_errno(int native)
{
	int64_t c;
	if (canon_errno_encode(native, &c) == 0)
		return -c;
	shadow_log("errno %d has no canonical value; sent as EINVAL", native);
	canon_errno_encode(EINVAL, &c);
	return -c;
}

/* ---- handles ---- */

static int handle_fd(struct session *s, int64_t h)
{
	if (h < 0 || h >= SHADOW_MAX_HANDLES || !s->handles[h])
		return -EBADF;
	return s->handles[h]->fd;
}

static int64_t handle_add(struct session *s, struct ofile *of)
{
	for (int h = 0; h < SHADOW_MAX_HANDLES; h++)
		if (!s->handles[h]) {
			s->handles[h] = of;
			of->refs++;
			return h;
		}
	return -EMFILE;
}

static int64_t handle_new(struct session *s, int fd)
{
	struct ofile *of = calloc(1, sizeof *of);
	if (!of) {
		close(fd);
		return -ENOMEM;
	}
	of->fd = fd;
	int64_t h = handle_add(s, of);
	if (h < 0) {
		close(fd);
		free(of);
	}
	return h;
}

static void locks_release(struct session *s, int fd);

static int handle_close(struct session *s, int64_t h)
{
	int fd = handle_fd(s, h);
	if (fd < 0)
		return fd;
	struct ofile *of = s->handles[h];
	s->handles[h] = NULL;
	/* Closing any descriptor of a file releases the process's classic
	 * locks on it (POSIX); the session is the process here. */
	locks_release(s, fd);
	if (--of->refs > 0)
		return 0;
	int rc = close(of->fd) < 0 ? -errno : 0;
	free(of);
	return rc;
}

/* ---- paths ---- */

/* The path of fd relative to the root ("/" or "/a/b"). fd must be a
 * directory that still exists and is still beneath the root. */
static int dir_root_path(struct session *s, int fd, char *out, size_t size)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_nlink == 0)
		return -ENOENT;   /* removed: its /proc name ends in " (deleted)" */
	char proc[64], target[PATH_MAX];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(proc, target, sizeof target - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	size_t rl = strcmp(s->root->real, "/") == 0 ? 0 : strlen(s->root->real);
	if (strncmp(target, s->root->real, rl) != 0 || (target[rl] != '/' && target[rl] != 0))
		return -ENOENT;   /* moved out of the root by someone on this machine */
	if ((size_t)snprintf(out, size, "%s", target[rl] ? target + rl : "/") >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* The directory a dir handle (or RPC_HANDLE_CWD) stands for. */
static int dirh_fd(struct session *s, int64_t dirh)
{
	return dirh == RPC_HANDLE_CWD ? s->cwd_fd : handle_fd(s, dirh);
}

/* dirh + path -> one absolute path within the root (not yet resolved). */
static int combine(struct session *s, int64_t dirh, const struct rpc_val *path, char *out, size_t size)
{
	if (path->i == 0)
		return -ENOENT;
	char base[PATH_MAX];
	if (path->p[0] == '/') {
		base[0] = 0;
	} else {
		int fd = dirh_fd(s, dirh);
		if (fd < 0)
			return fd;
		int rc = dir_root_path(s, fd, base, sizeof base);
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
	return 0;
}

static int open_in_root(struct session *s, const char *abs, int flags, mode_t mode, uint64_t extra_resolve)
{
	int fd = resolve_open(s->root->fd, abs, flags | O_CLOEXEC, mode, RESOLVE_IN_ROOT | extra_resolve);
	if (fd < 0)
		shadow_debug(s->root, "resolve(root, \"%s\", %#o) failed: %s", abs, (unsigned)flags, strerror(-fd));
	return fd;
}

/* Opens dirh+path as O_PATH, for the ops that act on what a path names.
 * An empty path with AT_EMPTY_PATH names the handle itself. */
static int open_target(struct session *s, int64_t dirh, const struct rpc_val *path, int at_flags)
{
	if (path->i == 0) {
		if (!(at_flags & AT_EMPTY_PATH))
			return -ENOENT;
		int fd = dirh_fd(s, dirh);
		if (fd < 0)
			return fd;
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		return fd < 0 ? -errno : fd;
	}
	char abs[PATH_MAX + 1];
	int rc = combine(s, dirh, path, abs, sizeof abs);
	if (rc)
		return rc;
	return open_in_root(s, abs, O_PATH | ((at_flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0), 0, 0);
}

/* What open_parent found. */
struct parent {
	int fd;                   /* O_PATH directory */
	char last[NAME_MAX + 2];  /* last component, with one '/' if the path had trailing slashes */
	int dots;                 /* 1 for ".", 2 for "..", 3 for the root itself */
};

/* Opens the parent of dirh+path for the ops that create or remove a name.
 * The last component is handed to the *at() call as is (with its trailing
 * slash, so the kernel applies its own rules for those); none of those calls
 * follows a symlink in the last component. */
static int open_parent(struct session *s, int64_t dirh, const struct rpc_val *path, struct parent *p)
{
	char abs[PATH_MAX + 1];
	int rc = combine(s, dirh, path, abs, sizeof abs);
	if (rc)
		return rc;
	size_t n = strlen(abs);
	bool slash = false;
	while (n > 1 && abs[n - 1] == '/') {
		abs[--n] = 0;
		slash = true;
	}
	char *sep = strrchr(abs, '/');
	const char *name = sep ? sep + 1 : abs;
	if (!*name) {           /* "/" */
		strcpy(p->last, ".");
		p->dots = 3;
		p->fd = open_in_root(s, "/", O_PATH | O_DIRECTORY, 0, 0);
		return p->fd < 0 ? p->fd : 0;
	}
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;
	p->dots = !strcmp(name, ".") ? 1 : !strcmp(name, "..") ? 2 : 0;
	snprintf(p->last, sizeof p->last, "%s%s", name, slash ? "/" : "");
	if (!sep)
		strcpy(abs, ".");
	else if (sep == abs)
		abs[1] = 0;
	else
		*sep = 0;
	p->fd = open_in_root(s, abs, O_PATH | O_DIRECTORY, 0, 0);
	return p->fd < 0 ? p->fd : 0;
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

static void proc_path(char *buf, size_t size, int fd)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
}

/* ---- ops ---- */

static int64_t stat_fd(struct session *s, int fd, unsigned mask)
{
	struct statx st;
	if (statx(fd, "", AT_EMPTY_PATH, mask, &st) < 0)
		return -errno;
	struct canon_stat c;
	if (canon_stat_from_statx(&st, &c))
		return -EINVAL;   /* a field with no canonical form */
	rpc_put_stat(&s->out, &c);
	return 0;
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

/* Reads up to count bytes (at offset at when positional) straight into
 * the reply. */
static int64_t read_reply(struct session *s, int fd, int64_t count, int64_t at, bool positional)
{
	if (count < 0)
		return count;
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

/* A byte count from the wire for an op that returns no data, clamped to
 * one buffer (a short transfer, as the kernel may make). */
static size_t io_count(int64_t n)
{
	return n < 0 ? 0 : n > RPC_MAX_BUF ? RPC_MAX_BUF : (size_t)n;
}

/* Flags open(2) accepts and ignores, which openat2 refuses. */
static int64_t lenient_open_flags(int64_t flags)
{
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	return flags;
}

static int64_t op_open(struct session *s, const struct rpc_val *a)
{
	int64_t flags, mode, umask_bits, resolve;
	DECODE(open_flags, a[2].i, flags);
	DECODE(mode, a[3].i, mode);
	DECODE(mode, a[4].i, umask_bits);
	DECODE(resolve_flags, a[5].i, resolve);
	bool creates = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)) || creates)
		MODIFYING();
	mode_t m = creates ? (mode_t)(mode & ~umask_bits & 07777) : 0;
	int fd;
	if (resolve == 0) {
		/* open/openat: the path resolves from the root, as the agent's
		 * whole file tree is the root. */
		char abs[PATH_MAX + 1];
		int rc = combine(s, a[0].i, &a[1], abs, sizeof abs);
		if (rc)
			return rc;
		fd = open_in_root(s, abs, (int)lenient_open_flags(flags), m, 0);
	} else {
		/* openat2: the agent's own resolve flags. RESOLVE_BENEATH and
		 * RESOLVE_IN_ROOT confine to the directory handle, which is
		 * itself beneath the root; otherwise the root confines. */
		if (resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) {
			int dfd = dirh_fd(s, a[0].i);
			char where[PATH_MAX];
			if (dfd < 0)
				return dfd;
			int rc = dir_root_path(s, dfd, where, sizeof where);
			if (rc)
				return rc;
			char path[RPC_MAX_PATH + 1];
			memcpy(path, a[1].p, (size_t)a[1].i);
			path[a[1].i] = 0;
			fd = resolve_open(dfd, path, (int)flags | O_CLOEXEC, m, (uint64_t)resolve);
		} else {
			char abs[PATH_MAX + 1];
			int rc = combine(s, a[0].i, &a[1], abs, sizeof abs);
			if (rc)
				return rc;
			fd = open_in_root(s, abs, (int)flags, m, (uint64_t)resolve);
		}
	}
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
	/* The kernel may return more entries than wanted or than the budget
	 * holds; the directory offset is then set back to just after the last
	 * one sent (its d_off), so no entry is read and dropped. */
	char *buf = (char *)s->iobuf;
	const size_t bufsize = 32768;
	int64_t count = 0, rc = 0, last_off = -1;
	struct rpc_enc *e = &s->out;
	size_t count_at = e->len;
	rpc_put_i64(e, 0);
	while (count < max) {
		ssize_t n = syscall(SYS_getdents64, fd, buf, bufsize);
		if (n < 0) {
			if (count == 0)
				rc = -errno;
			break;
		}
		if (n == 0)
			break;
		ssize_t pos = 0;
		bool full = false;
		while (pos < n && count < max) {
			struct dirent64 *d = (struct dirent64 *)(buf + pos);
			size_t size = 4 * 8 + strlen(d->d_name);
			if (size > s->data_left) {
				full = true;
				break;
			}
			int64_t type;
			if (canon_dirent_type_encode(d->d_type, &type))
				type = CANON_DT_UNKNOWN;
			rpc_put_dirent(e, (int64_t)d->d_ino, (int64_t)d->d_off, type, d->d_name);
			s->data_left -= size;
			last_off = d->d_off;
			count++;
			pos += d->d_reclen;
		}
		if (pos < n) {
			/* entries of this batch are left: resume after the last
			 * one sent (the first always fits: ENTRY_MAX above) */
			if (last_off >= 0 && lseek(fd, last_off, SEEK_SET) < 0 && count == 0)
				rc = -errno;
			break;
		}
		if (full)
			break;
	}
	rpc_patch_i64(e, count_at, count);
	return rc < 0 ? rc : count;
}

/* ---- record locks ---- */

static struct lockfile *lock_find(struct session *s, const struct stat *st)
{
	for (size_t k = 0; k < s->nlocks; k++)
		if (s->locks[k].dev == st->st_dev && s->locks[k].ino == st->st_ino)
			return &s->locks[k];
	return NULL;
}

static void locks_release(struct session *s, int fd)
{
	struct stat st;
	if (!s->nlocks || fstat(fd, &st) < 0)
		return;
	struct lockfile *l = lock_find(s, &st);
	if (!l)
		return;
	close(l->fd);
	*l = s->locks[--s->nlocks];
}

/* The session's lock description of fd's file, opened when first needed:
 * read-write if the shadow may, so one description serves read and write
 * locks (each handle's own access mode has been checked by the caller). */
static int lock_fd(struct session *s, int fd, bool create)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	struct lockfile *l = lock_find(s, &st);
	if (l)
		return l->fd;
	if (!create)
		return -ENOENT;
	if (s->nlocks == s->locks_cap) {
		size_t cap = s->locks_cap ? 2 * s->locks_cap : 8;
		struct lockfile *n = realloc(s->locks, cap * sizeof *n);
		if (!n)
			return -ENOMEM;
		s->locks = n;
		s->locks_cap = cap;
	}
	/* Opening a FIFO or a device again has effects of its own (a FIFO's
	 * writer stops waiting, a tty gets opened); those, and a file the
	 * shadow may no longer open, take the locks on the handle's own open
	 * file (shared by its DUPs only). */
	int lfd = -1;
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		char proc[64];
		proc_path(proc, sizeof proc, fd);
		const int common = O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
		if (!s->root->read_only && S_ISREG(st.st_mode))
			lfd = open(proc, O_RDWR | common);
		if (lfd < 0)
			lfd = open(proc, O_RDONLY | common);
	}
	if (lfd < 0)
		lfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	s->locks[s->nlocks++] = (struct lockfile){ st.st_dev, st.st_ino, lfd };
	return lfd;
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
	int fl_flags = fcntl(fd, F_GETFL);
	if (fl_flags < 0)
		return -errno;
	if (fl_flags & O_PATH)
		return -EBADF;
	bool classic = cmd == F_GETLK || cmd == F_SETLK || cmd == F_SETLKW;
	bool sets = cmd != F_GETLK && cmd != F_OFD_GETLK;
	if (sets && type != F_UNLCK && s->root->read_only)
		return -EROFS;   /* docs/wire-format.md: LOCK on a read-only export */
	int acc = fl_flags & O_ACCMODE;
	if (sets && ((type == F_RDLCK && acc == O_WRONLY) || (type == F_WRLCK && acc == O_RDONLY)))
		return -EBADF;
	int lfd = fd;
	int ocmd = (int)cmd;
	struct flock fl = { .l_type = (short)type, .l_whence = (short)whence, .l_start = a[4].i, .l_len = a[5].i };
	if (classic) {
		ocmd = cmd == F_GETLK ? F_OFD_GETLK : cmd == F_SETLK ? F_OFD_SETLK : F_OFD_SETLKW;
		lfd = lock_fd(s, fd, !(sets && type == F_UNLCK));
		if (lfd == -ENOENT) {
			lfd = -1;   /* unlocking a file the session holds no lock on */
		} else if (lfd < 0) {
			return lfd;
		}
	}
	if (lfd >= 0 && fcntl(lfd, ocmd, &fl) < 0)
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
	proc_path(proc, sizeof proc, fd);
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
		rpc_put_bytes(&s->out, f[k], strnlen(f[k], RPC_MAX_UTS), RPC_MAX_UTS);
	return 0;
}

static int64_t op_mkdir(struct session *s, const struct rpc_val *a)
{
	MODIFYING();
	int64_t mode, um;
	DECODE(mode, a[2].i, mode);
	DECODE(mode, a[3].i, um);
	struct parent p;
	int rc = open_parent(s, a[0].i, &a[1], &p);
	if (rc)
		return rc;
	int64_t r = p.dots ? -EEXIST : mkdirat(p.fd, p.last, (mode_t)(mode & ~um & 07777)) < 0 ? -errno : 0;
	close(p.fd);
	return r;
}

static int64_t op_unlink(struct session *s, const struct rpc_val *a)
{
	MODIFYING();
	int64_t at;
	DECODE(at_flags, a[2].i, at);
	if (at & ~(int64_t)AT_REMOVEDIR)
		return -EINVAL;
	struct parent p;
	int rc = open_parent(s, a[0].i, &a[1], &p);
	if (rc)
		return rc;
	bool rmdir = at & AT_REMOVEDIR;
	static const int unlink_dots[] = { 0, EISDIR, EISDIR, EISDIR }, rmdir_dots[] = { 0, EINVAL, ENOTEMPTY, EBUSY };
	int64_t r;
	if (p.dots)
		r = -(rmdir ? rmdir_dots : unlink_dots)[p.dots];
	else
		r = unlinkat(p.fd, p.last, rmdir ? AT_REMOVEDIR : 0) < 0 ? -errno : 0;
	close(p.fd);
	return r;
}

static int64_t op_rename_link(struct session *s, int64_t op, const struct rpc_val *a)
{
	MODIFYING();
	int64_t fl;
	if (op == RPC_OP_RENAME)
		DECODE(rename_flags, a[4].i, fl);
	else
		DECODE(at_flags, a[4].i, fl);
	if (op == RPC_OP_LINK && (fl & ~(int64_t)(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)))
		return -EINVAL;
	struct parent from, to;
	int rc;
	if ((rc = open_parent(s, a[2].i, &a[3], &to)))
		return rc;
	int64_t r;
	if (op == RPC_OP_LINK && (fl & (AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))) {
		/* The old name is resolved here, confined, and linked through
		 * its /proc/self/fd name: a kernel-side follow could leave the
		 * root through a symlink. */
		int fd = open_target(s, a[0].i, &a[1], (int)(fl & AT_EMPTY_PATH));
		if (fd < 0) {
			close(to.fd);
			return fd;
		}
		char proc[64];
		proc_path(proc, sizeof proc, fd);
		r = to.dots ? -EEXIST : linkat(AT_FDCWD, proc, to.fd, to.last, AT_SYMLINK_FOLLOW) < 0 ? -errno : 0;
		close(fd);
		close(to.fd);
		return r;
	}
	if ((rc = open_parent(s, a[0].i, &a[1], &from))) {
		close(to.fd);
		return rc;
	}
	if (op == RPC_OP_RENAME)
		r = from.dots || to.dots ? -EBUSY
		    : renameat2(from.fd, from.last, to.fd, to.last, (unsigned)fl) < 0 ? -errno : 0;
	else
		r = from.dots ? -EPERM : to.dots ? -EEXIST
		    : linkat(from.fd, from.last, to.fd, to.last, 0) < 0 ? -errno : 0;
	close(from.fd);
	close(to.fd);
	return r;
}

static int64_t op_chmod(struct session *s, int64_t op, const struct rpc_val *a)
{
	MODIFYING();
	int64_t mode, at = 0;
	int fd;
	DECODE(mode, (op == RPC_OP_CHMOD ? a[2] : a[1]).i, mode);
	if (mode & S_IFMT)
		return -EINVAL;
	if (op == RPC_OP_FCHMOD) {
		if ((fd = handle_fd(s, a[0].i)) < 0)
			return fd;
		return fchmod(fd, (mode_t)mode) < 0 ? -errno : 0;
	}
	DECODE(at_flags, a[3].i, at);
	if (at & ~(int64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if ((fd = open_target(s, a[0].i, &a[1], (int)at)) < 0)
		return fd;
	struct stat st;
	int64_t r;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (S_ISLNK(st.st_mode))
		r = -EOPNOTSUPP;   /* what fchmodat(AT_SYMLINK_NOFOLLOW) says of a symlink */
	else {
		char proc[64];
		proc_path(proc, sizeof proc, fd);
		r = chmod(proc, (mode_t)mode) < 0 ? -errno : 0;
	}
	close(fd);
	return r;
}

static int64_t op_chown(struct session *s, int64_t op, const struct rpc_val *a)
{
	MODIFYING();
	int fd;
	if (op == RPC_OP_FCHOWN) {
		if ((fd = handle_fd(s, a[0].i)) < 0)
			return fd;
		return fchown(fd, (uid_t)a[1].i, (gid_t)a[2].i) < 0 ? -errno : 0;
	}
	int64_t at;
	DECODE(at_flags, a[4].i, at);
	if (at & ~(int64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if ((fd = open_target(s, a[0].i, &a[1], (int)at)) < 0)
		return fd;
	int64_t r = fchownat(fd, "", (uid_t)a[2].i, (gid_t)a[3].i, AT_EMPTY_PATH) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* chdir (a path) and fchdir (a handle) need a directory the session may
 * search, as the kernel checks. */
static int64_t op_chdir(struct session *s, int64_t op, const struct rpc_val *a)
{
	int fd;
	if (op == RPC_OP_CHDIR) {
		char abs[PATH_MAX + 1];
		int rc = combine(s, a[0].i, &a[1], abs, sizeof abs);
		if (rc)
			return rc;
		fd = open_in_root(s, abs, O_PATH | O_DIRECTORY, 0, 0);
	} else {
		fd = handle_fd(s, a[0].i);
		if (fd >= 0) {
			struct stat st;
			fd = fstat(fd, &st) < 0 ? -errno : !S_ISDIR(st.st_mode) ? -ENOTDIR
				: fcntl(fd, F_DUPFD_CLOEXEC, 0);
			if (fd == -1)
				fd = -errno;
		}
	}
	if (fd < 0)
		return fd;
	char proc[64];
	proc_path(proc, sizeof proc, fd);
	if (faccessat(AT_FDCWD, proc, X_OK, AT_EACCESS) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	close(s->cwd_fd);
	s->cwd_fd = fd;
	return 0;
}

/* Runs one decoded op. Returns the result (>= 0) or a negative native errno;
 * result values are appended to s->out after the result. */
static int64_t run_op(struct session *s, int64_t op, const struct rpc_val *a)
{
	int fd;
	int64_t r, at;
	switch (op) {
	case RPC_OP_NULL:
		return 0;
	case RPC_OP_OPEN:
		return op_open(s, a);
	case RPC_OP_CLOSE:
		return handle_close(s, a[0].i);
	case RPC_OP_DUP:
		if ((fd = handle_fd(s, a[0].i)) < 0)
			return fd;
		return handle_add(s, s->handles[a[0].i]);
	case RPC_OP_READ:
		if ((fd = handle_fd(s, a[0].i)) < 0)
			return fd;
		return read_reply(s, fd, data_count(s, a[1].i), 0, false);
	case RPC_OP_PREAD:
		if ((fd = handle_fd(s, a[0].i)) < 0)
			return fd;
		return read_reply(s, fd, data_count(s, a[1].i), a[2].i, true);
	case RPC_OP_READV: {
		if ((fd = handle_fd(s, a[0].i)) < 0)
			return fd;
		if (a[1].i > RPC_MAX_IOV)
			return -EINVAL;
		int64_t total = 0;
		for (int64_t k = 0; k < a[1].i; k++) {
			if (a[2 + k].i < 0)
				return -EINVAL;
			total += a[2 + k].i > RPC_MAX_BUF ? RPC_MAX_BUF : a[2 + k].i;
		}
		return read_reply(s, fd, data_count(s, total), 0, false);
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
		if (n > RPC_MAX_IOV)
			return -EINVAL;
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
		if (at & ~(int64_t)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
			return -EINVAL;
		if ((fd = open_target(s, a[0].i, &a[1], (int)at)) < 0)
			return fd;
		char proc[64];
		proc_path(proc, sizeof proc, fd);
		r = faccessat(AT_FDCWD, proc, (int)amode, (int)(at & AT_EACCESS)) < 0 ? -errno : 0;
		if (r == 0 && (amode & W_OK) && s->root->read_only) {
			struct stat st;
			if (fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)))
				r = -EROFS;   /* as a read-only mount answers */
		}
		close(fd);
		return r;
	}
	case RPC_OP_READLINK: {
		if (a[2].i < 0)
			return -EINVAL;
		if ((fd = open_target(s, a[0].i, &a[1], a[1].i ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH)) < 0)
			return fd;
		struct stat st;
		if (fstat(fd, &st) < 0)
			r = -errno;
		else if (!S_ISLNK(st.st_mode))
			r = a[1].i ? -EINVAL : -ENOENT;   /* as readlinkat says of a non-link */
		else {
			/* Link contents are at most PATH_MAX - 1 bytes: outside
			 * the data budget. */
			r = readlinkat(fd, "", (char *)s->iobuf, a[2].i < RPC_MAX_PATH ? (size_t)a[2].i : RPC_MAX_PATH);
			if (r < 0)
				r = -errno;
			else
				rpc_put_bytes(&s->out, s->iobuf, (size_t)r, RPC_MAX_BUF);
		}
		close(fd);
		return r;
	}
	case RPC_OP_GETDENTS:
		return op_getdents(s, a);
	case RPC_OP_MKDIR:
		return op_mkdir(s, a);
	case RPC_OP_UNLINK:
		return op_unlink(s, a);
	case RPC_OP_RENAME:
	case RPC_OP_LINK:
		return op_rename_link(s, op, a);
	case RPC_OP_SYMLINK: {
		MODIFYING();
		char target[RPC_MAX_PATH + 1];
		memcpy(target, a[0].p, (size_t)a[0].i);
		target[a[0].i] = 0;
		struct parent p;
		int rc = open_parent(s, a[1].i, &a[2], &p);
		if (rc)
			return rc;
		r = p.dots ? -EEXIST : symlinkat(target, p.fd, p.last) < 0 ? -errno : 0;
		close(p.fd);
		return r;
	}
	case RPC_OP_CHMOD:
	case RPC_OP_FCHMOD:
		return op_chmod(s, op, a);
	case RPC_OP_CHOWN:
	case RPC_OP_FCHOWN:
		return op_chown(s, op, a);
	case RPC_OP_TRUNCATE: {
		MODIFYING();
		if ((fd = open_target(s, a[0].i, &a[1], 0)) < 0)
			return fd;
		char proc[64];
		proc_path(proc, sizeof proc, fd);
		r = truncate(proc, a[2].i) < 0 ? -errno : 0;
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
	case RPC_OP_FCHDIR:
		return op_chdir(s, op, a);
	case RPC_OP_GETCWD: {
		char path[PATH_MAX];
		int rc = dir_root_path(s, s->cwd_fd, path, sizeof path);
		if (rc)
			return rc;
		rpc_put_str(&s->out, path, RPC_MAX_PATH);
		return (int64_t)strlen(path) + 1;
	}
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

/* The log says which class of fault ended a session
 * (docs/wire-format.md, "What closes a session"), then the detail. */
static const char *fault(int rc)
{
	return rc == -E2BIG ? "oversized frame or field" : "malformed frame";
}

static const char *decode_error(int rc)
{
	return rc == -E2BIG ? "a length or count over its bound"
			    : "the body does not match the op's signature (it ends early, bytes follow the arguments, "
			      "a length is negative, or a string holds a NUL)";
}

static int serve_compound(struct session *s, const struct rpc_frame *f)
{
	struct rpc_dec d;
	rpc_dec_init(&d, f->body, f->body_len);
	int64_t count = rpc_get_i64(&d);
	if (d.error || count <= 0 || count > RPC_MAX_COMPOUND)
		return drop(s, -EPROTO, "malformed frame: COMPOUND (tag %lld) with %lld ops (1 to %d allowed)", (long long)f->tag,
			    (long long)count, RPC_MAX_COMPOUND);
	struct rpc_call calls[RPC_MAX_COMPOUND];
	size_t n;
	int rc = rpc_decode_compound(f, calls, &n, s->args, RPC_MAX_VALS);
	if (rc)
		return drop(s, rc, "%s: COMPOUND (tag %lld, %zu-byte body): an op is unknown, a HELLO or a COMPOUND, or %s",
			    fault(rc), (long long)f->tag, f->body_len, decode_error(rc));
	s->data_left = RPC_MAX_BUF;
	rpc_frame_begin(&s->out, f->tag, RPC_OP_COMPOUND);
	size_t result_at = s->out.len;
	rpc_put_i64(&s->out, 0);
	size_t count_at = s->out.len;
	rpc_put_i64(&s->out, 0);
	int64_t results[RPC_MAX_COMPOUND], done = 0, last = 0;
	for (size_t k = 0; k < n; k++) {
		int bad = 0;
		resolve_refs(calls[k].vals, calls[k].nvals, results, k, &bad);
		rpc_put_i64(&s->out, calls[k].op);
		int64_t r = -EINVAL;
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
	rpc_patch_i64(&s->out, result_at, last);
	rpc_patch_i64(&s->out, count_at, done);
	rpc_frame_end(&s->out);
	return 0;
}

static int serve_frame(struct session *s, const uint8_t *buf, size_t len)
{
	struct rpc_frame f;
	if (rpc_frame_parse(buf, len, &f))
		return drop(s, -EPROTO, "malformed frame: %zu bytes without tag and op", len);
	if (f.op == RPC_OP_COMPOUND)
		return serve_compound(s, &f);
	if (f.op == RPC_OP_HELLO || f.op == RPC_OP_AUTH)
		return drop(s, -EPROTO, "malformed frame: %s after the handshake", rpc_op_name(f.op));
	size_t n;
	int rc = rpc_decode_args(&f, s->args, RPC_MAX_VALS, &n);
	rpc_frame_begin(&s->out, f.tag, f.op);
	if (rc == -ENOSYS) {
		/* An unknown op is answered, not fatal: newer agents may probe. */
		rpc_put_i64(&s->out, neg_canon_errno(ENOSYS));
	} else if (rc) {
		return drop(s, rc, "%s: %s request (tag %lld, %zu-byte body): %s", fault(rc), rpc_op_name(f.op),
			    (long long)f.tag, f.body_len, decode_error(rc));
	} else {
		s->data_left = RPC_MAX_BUF;
		run_and_reply(s, f.op, s->args);
	}
	rpc_frame_end(&s->out);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the next frame, in a blocking recv() (one per frame as a rule).
 * The socket's receive timeout bounds every wait: inside a frame, silence
 * of --frame-timeout ends the session; between frames, only an idle time
 * of --idle-timeout does. During the handshake the reader's deadline
 * (--handshake-timeout) bounds the whole of it. Returns 0 with the frame
 * (valid until the next call), 1 at a normal end (the agent hung up
 * between frames, or the shadow drains), or an error with s->why. */
static int next_frame(struct session *s, const uint8_t **frame, size_t *len)
{
	struct rpc_reader *in = &s->in;
	uint64_t seen = in->received;
	int64_t progress = now_ms();
	int rc;
	while ((rc = rpc_reader_next(in, frame, len)) == -EAGAIN) {
		int64_t now = now_ms();
		if (in->received != seen) {
			seen = in->received;
			progress = now;
		}
		if (in->start != in->end) {
			if (now - progress >= s->root->frame_timeout_ms)
				break;   /* a stalled frame */
		} else if (s->root->idle_timeout_ms && now - s->last_frame_ms >= s->root->idle_timeout_ms) {
			return drop(s, -ETIMEDOUT, "idle for %d s (--idle-timeout)",
				    (int)((now - s->last_frame_ms) / 1000));
		}
	}
	if (!rc) {
		if (s->root->idle_timeout_ms)
			s->last_frame_ms = now_ms();
		return 0;
	}
	if (shadow_draining() && (rc == -ECONNRESET || rc == -EPROTO))
		return 1;   /* the drain's shutdown(SHUT_RD), also inside a frame */
	size_t have = in->end - in->start;
	int64_t want = -1;
	if (have >= 8) {
		struct rpc_dec d;
		rpc_dec_init(&d, in->buf + in->start, 8);
		want = rpc_get_i64(&d);
	}
	if (!s->handshaken && (rc == -E2BIG || (rc == -EPROTO && want >= 0 && want < 16))) {
		char hex[17];
		rpc_hex(in->buf + in->start, 8, hex);
		return drop(s, rc, "handshake: the first 8 bytes (%s) are no frame length from 16 to %u: "
			    "not a splitrun agent?", hex, RPC_MAX_FRAME);
	}
	int64_t limit = in->open ? (int64_t)RPC_MAX_FRAME + RPC_SEAL_ABYTES : RPC_MAX_FRAME;
	int64_t least = in->open ? 16 + RPC_SEAL_ABYTES : 16;
	switch (rc) {
	case -ECONNRESET:
		return s->handshaken ? 1 : drop(s, -EPROTO, "closed before the handshake");
	case -ETIMEDOUT:
		return drop(s, -ETIMEDOUT, "handshake: not done within %d ms (--handshake-timeout)",
			    s->root->handshake_timeout_ms);
	case -EBADMSG:
		return drop(s, -EBADMSG, "sealed frame %llu does not open: it was altered, dropped, reordered or "
			    "replayed on the way", (unsigned long long)rpc_seal_count(in->open) + 1);
	case -E2BIG:
		return drop(s, -E2BIG, "oversized frame or field: frame length %lld is over %lld", (long long)want,
			    (long long)limit);
	case -EAGAIN:
		return drop(s, -EPROTO, "malformed frame: no data for %d ms inside a frame (%zu of %lld bytes)",
			    s->root->frame_timeout_ms, have, want < 0 ? 8LL : (long long)want + 8);
	case -EPROTO:
		if (want >= 0 && want < least)
			return drop(s, -EPROTO, "malformed frame: frame length %lld is under %lld", (long long)want,
				    (long long)least);
		return drop(s, -EPROTO, "malformed frame: connection closed inside a frame (%zu of %lld bytes)", have,
			    want < 0 ? 8LL : (long long)want + 8);
	default:
		return drop(s, rc, "reading a frame: %s", strerror(-rc));
	}
}

static int write_reply(struct session *s, int fd)
{
	if (s->out.error)
		return drop(s, s->out.error, "reply does not fit a frame (%s)", strerror(-s->out.error));
	int rc = rpc_transport_send(fd, s->seal, s->out.data, s->out.len);
	return rc ? drop(s, rc, "writing a reply: %s", strerror(-rc)) : 0;
}

/* Answers the HELLO (or AUTH) with an error and ends the session. */
__attribute__((format(printf, 5, 6)))
static int refuse(struct session *s, int fd, int64_t op, int err, const char *fmt, ...)
{
	rpc_enc_reset(&s->out);
	if (op == RPC_OP_HELLO)
		rpc_encode_hello_reply(&s->out, neg_canon_errno(err), 0, 0, NULL);
	else
		rpc_encode_reply(&s->out, 0, op, neg_canon_errno(err), NULL, 0);
	write_reply(s, fd);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof s->why, fmt, ap);
	va_end(ap);
	return -err;
}

/* Gives the session the root and read-only flag of its authfile rule. */
static int apply_rule(struct session *s, const struct shadow_rule *rule)
{
	if (!rule->root && !rule->read_only)
		return 0;
	s->own = *s->root;
	s->own.read_only = s->root->read_only || rule->read_only;
	if (rule->root) {
		int fd = resolve_open(s->root->fd, rule->root, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_IN_ROOT);
		if (fd < 0)
			return fd;
		char proc[64];
		proc_path(proc, sizeof proc, fd);
		ssize_t n = readlink(proc, s->own.real, sizeof s->own.real - 1);
		if (n < 0) {
			int e = -errno;
			close(fd);
			return e;
		}
		s->own.real[n] = 0;
		s->own.fd = fd;
	}
	s->own_root = true;
	int cwd = fcntl(s->own.fd, F_DUPFD_CLOEXEC, 0);
	if (cwd < 0)
		return -errno;
	close(s->cwd_fd);
	s->cwd_fd = cwd;
	s->root = &s->own;
	return 0;
}

/* The handshake's second half when the shadow has keys
 * (docs/wire-format.md, "Authentication"): the shadow's challenge and
 * proof in the HELLO reply, the agent's proof in AUTH, the subjects
 * checked against the authfile, then sealed frames both ways. */
static int authenticate(struct session *s, int fd, const uint8_t *hello, size_t hello_len, const struct rpc_hello *h,
			int64_t version, int64_t features)
{
	const struct shadow_access *acc = s->root->access;
	if (!(features & RPC_FEATURE_AUTH))
		return refuse(s, fd, RPC_OP_HELLO, EACCES,
			      "handshake: the agent (%s, protocol version %lld) offers no key, and this shadow requires "
			      "one (splitrun --key)", h->arch, (long long)h->version);
	struct rpc_auth_hello ah;
	if (rpc_auth_hello_decode(h->auth, h->auth_len, &ah))
		return drop(s, -EPROTO, "handshake: malformed auth field (%zu bytes)", h->auth_len);
	char user_at_host[RPC_MAX_USER + 1 + sizeof s->host], key_name[RPC_KEY_NAME_LEN + 1] = "key:";
	snprintf(user_at_host, sizeof user_at_host, "%s@%s", ah.user, s->host);
	rpc_hex(ah.key_id, sizeof ah.key_id, key_name + 4);
	if (ah.scheme != RPC_AUTH_SCHEME)
		return refuse(s, fd, RPC_OP_HELLO, EACCES, "handshake: %s asks for auth scheme %lld (this shadow knows %d)",
			      user_at_host, (long long)ah.scheme, RPC_AUTH_SCHEME);
	const struct rpc_key *key = shadow_key_find(acc, ah.key_id);
	if (!key)
		return refuse(s, fd, RPC_OP_HELLO, EACCES, "handshake: %s offers %s, which is none of this shadow's keys",
			      user_at_host, key_name);

	struct rpc_auth_challenge ch;
	uint8_t th[32], field[RPC_MAX_AUTH];
	rpc_random(ch.nonce, sizeof ch.nonce);
	rpc_auth_transcript(hello, hello_len, version, features, rpc_host_arch(), ch.nonce, th);
	rpc_auth_proof(key, RPC_ROLE_SHADOW, th, ch.proof);
	size_t n = rpc_auth_challenge_encode(&ch, field);
	rpc_enc_reset(&s->out);
	rpc_encode_hello_reply_auth(&s->out, version, features, rpc_host_arch(), field, n);
	int rc = write_reply(s, fd);
	if (rc)
		return rc;

	const uint8_t *buf;
	size_t len;
	rc = next_frame(s, &buf, &len);
	if (rc)
		return rc < 0 ? rc : drop(s, -EACCES, "handshake: %s with %s hung up before AUTH (this shadow's proof "
					   "did not satisfy it?)", user_at_host, key->name);
	struct rpc_frame f;
	struct rpc_val v[2];
	if (rpc_frame_parse(buf, len, &f) || f.op != RPC_OP_AUTH)
		return drop(s, -EPROTO, "handshake: %s sent op %lld where AUTH belongs", user_at_host,
			    (long long)(len >= 16 ? f.op : -1));
	if (rpc_decode_args(&f, v, 2, &n) || v[0].i != RPC_AUTH_PROOF || v[1].i != RPC_SEAL_HEADER)
		return drop(s, -EPROTO, "handshake: malformed AUTH from %s", user_at_host);
	if (!rpc_auth_proof_ok(key, RPC_ROLE_AGENT, th, v[0].p))
		return refuse(s, fd, RPC_OP_AUTH, EACCES, "handshake: %s with %s: wrong proof (not the key's holder, or a "
			      "replay)", user_at_host, key->name);
	const char *subjects[2] = { key->name, user_at_host };
	const struct shadow_rule *rule = shadow_authorize(acc, subjects, 2);
	if (!rule)
		return refuse(s, fd, RPC_OP_AUTH, EPERM, "not authorized: neither %s nor %s matches a line of %s",
			      key->name, user_at_host, acc->authfile);
	if ((rc = apply_rule(s, rule)))
		return refuse(s, fd, RPC_OP_AUTH, -rc, "%s (%s): root=%s (%s line %d): %s", key->name, user_at_host,
			      rule->root, acc->authfile, rule->line, strerror(-rc));

	uint8_t to_shadow[RPC_SEAL_KEY], to_agent[RPC_SEAL_KEY], header[RPC_SEAL_HEADER];
	rpc_auth_session_keys(key, th, to_shadow, to_agent);
	s->in.open = rpc_seal_pull(to_shadow, v[1].p);
	struct rpc_seal *seal = rpc_seal_push(to_agent, header);
	rpc_wipe(to_shadow, sizeof to_shadow);
	rpc_wipe(to_agent, sizeof to_agent);
	rpc_wipe(th, sizeof th);
	if (!s->in.open || !seal) {
		rpc_seal_free(seal);
		return drop(s, -ENOMEM, "handshake: no memory for the sealed streams");
	}
	struct rpc_val hv = rpc_buf(header, sizeof header);
	rpc_enc_reset(&s->out);
	rpc_encode_reply(&s->out, 0, RPC_OP_AUTH, 0, &hv, 1);
	rc = write_reply(s, fd);
	s->seal = seal;
	if (!rc) {
		char line[64] = "";
		if (acc->authfile)
			snprintf(line, sizeof line, ", authfile line %d", rule->line);
		shadow_log("session from %s: %s (%s) authenticated%s%s%s%s", s->peer, key->name, user_at_host, line,
			   s->root->read_only ? ", read-only" : "", rule->root ? ", root=" : "", rule->root ? rule->root : "");
	}
	return rc;
}

/* The first frame must be the agent's HELLO (docs/wire-format.md,
 * "Handshake"); a frame that is no HELLO, or one with the wrong magic, is
 * not answered. */
static int handshake(struct session *s, int fd)
{
	const uint8_t *buf;
	size_t len;
	s->in.deadline_ms = now_ms() + s->root->handshake_timeout_ms;
	int rc = next_frame(s, &buf, &len);
	if (rc)
		return rc < 0 ? rc : drop(s, -EPROTO, "the shadow drains: closed before the handshake");
	struct rpc_frame f;
	struct rpc_hello h;
	if (rpc_frame_parse(buf, len, &f))
		return drop(s, -EPROTO, "handshake: frame of %zu bytes has no tag and op", len);
	if (f.op != RPC_OP_HELLO)
		return drop(s, -EPROTO, "handshake: first frame is op %lld, not HELLO", (long long)f.op);
	if (rpc_decode_hello(&f, &h)) {
		struct rpc_dec d;
		rpc_dec_init(&d, f.body, f.body_len);
		int64_t magic = rpc_get_i64(&d);
		if (!d.error && magic != RPC_MAGIC)
			return drop(s, -EPROTO, "handshake: bad magic %#llx (want %#llx)", (unsigned long long)magic,
				    (unsigned long long)RPC_MAGIC);
		return drop(s, -EPROTO, "handshake: malformed HELLO body");
	}
	const struct shadow_access *acc = s->root->access;
	bool keyed = acc && acc->nkeys;
	int64_t version, features;
	rc = rpc_negotiate(&h, keyed ? RPC_FEATURES : RPC_FEATURE_COMPOUND, &version, &features);
	if (rc) {
		rpc_encode_hello_reply(&s->out, neg_canon_errno(-rc), 0, 0, NULL);
		rc = drop(s, rc, "handshake: agent (%s) offers protocol version %lld, this shadow speaks %d to %d", h.arch,
			  (long long)h.version, RPC_VERSION_MIN, RPC_VERSION);
		write_reply(s, fd);
	} else {
		shadow_debug(s->root, "session: agent arch %s, version %lld, features %#llx", h.arch,
			     (long long)h.version, (unsigned long long)h.features);
		if (keyed) {
			rc = authenticate(s, fd, buf, len, &h, version, features);
		} else {
			rpc_encode_hello_reply(&s->out, 0, version, features, rpc_host_arch());
			rc = write_reply(s, fd);
		}
	}
	s->in.deadline_ms = 0;
	s->handshaken = true;
	s->last_frame_ms = now_ms();
	return rc;
}

/* The peer's address without its port: the host of user@host. */
static void peer_host(int fd, char *out, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	snprintf(out, size, "local");
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)size);
	} else if (ss.ss_family == AF_INET6) {
		struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a))
			inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)size);
		else
			inet_ntop(AF_INET6, a, out, (socklen_t)size);
	}
}

/* What serving needs beyond the handshake. */
static int session_buffers(struct session *s)
{
	s->iobuf = malloc(RPC_MAX_BUF);
	s->args = calloc(RPC_MAX_VALS, sizeof *s->args);
	return s->iobuf && s->args ? 0 : drop(s, -ENOMEM, "no memory for a session");
}

/* Closes every handle and lock of the session and frees it. */
static void session_free(struct session *s, const struct shadow_root *root)
{
	for (int h = 0; h < SHADOW_MAX_HANDLES; h++)
		if (s->handles[h])
			handle_close(s, h);
	for (size_t k = 0; k < s->nlocks; k++)
		close(s->locks[k].fd);
	free(s->locks);
	if (s->cwd_fd >= 0)
		close(s->cwd_fd);
	if (s->own_root && s->own.fd != root->fd)
		close(s->own.fd);
	rpc_reader_free(&s->in);
	rpc_seal_free(s->seal);
	rpc_enc_free(&s->out);
	free(s->iobuf);
	free(s->args);
	free(s);
}

int shadow_session_serve(const struct shadow_root *root, int fd, const char *peer, void (*before_close)(int fd))
{
	struct session *s = calloc(1, sizeof *s);
	int rc = -ENOMEM;
	if (!s) {
		shadow_log("session from %s refused: no memory", peer);
		if (before_close)
			before_close(fd);
		close(fd);
		return rc;
	}
	s->root = root;
	s->peer = peer;
	peer_host(fd, s->host, sizeof s->host);
	shadow_debug(root, "session from %s: start", peer);
	rpc_reader_init(&s->in, fd);
	rpc_enc_init(&s->out);
	s->cwd_fd = fcntl(root->fd, F_DUPFD_CLOEXEC, 0);
	if (s->cwd_fd < 0) {
		snprintf(s->why, sizeof s->why, "no descriptor for a session: %s", strerror(errno));
		goto out;
	}
	/* Every receive waits at most this long (recv then fails with EAGAIN):
	 * next_frame decides whether that is a stalled frame or an idle agent. */
	int tick = root->frame_timeout_ms;
	if (root->idle_timeout_ms && root->idle_timeout_ms < tick)
		tick = root->idle_timeout_ms;
	struct timeval tv = { tick / 1000, (tick % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	rc = handshake(s, fd);
	/* What serving needs is set aside only for an agent that shook hands. */
	if (!rc)
		rc = session_buffers(s);
	while (!rc) {
		const uint8_t *buf;
		size_t len;
		rc = next_frame(s, &buf, &len);
		if (rc)
			break;
		rpc_enc_reset(&s->out);
		rc = serve_frame(s, buf, len);
		if (!rc)
			rc = write_reply(s, fd);
	}
	if (rc == 1)
		rc = 0;   /* the agent hung up, or the shadow drains: a normal end */
out:
	if (rc)
		shadow_log("session from %s dropped: %s", peer, s->why);
	else
		shadow_debug(root, "session from %s: end", peer);
	session_free(s, root);
	if (before_close)
		before_close(fd);
	close(fd);
	return rc;
}

struct shadow_session {
	struct session *s;
};

struct shadow_session *shadow_session_open(const struct shadow_root *root)
{
	struct shadow_session *ss = calloc(1, sizeof *ss);
	struct session *s = calloc(1, sizeof *s);
	if (!ss || !s) {
		free(ss);
		free(s);
		return NULL;
	}
	ss->s = s;
	s->root = root;
	s->peer = "a fuzzer";
	snprintf(s->host, sizeof s->host, "local");
	rpc_reader_init(&s->in, -1);
	rpc_enc_init(&s->out);
	s->handshaken = true;
	s->cwd_fd = fcntl(root->fd, F_DUPFD_CLOEXEC, 0);
	if (s->cwd_fd < 0 || session_buffers(s)) {
		shadow_session_close(ss);
		return NULL;
	}
	return ss;
}

int shadow_session_feed(struct shadow_session *ss, const uint8_t *frame, size_t len, const uint8_t **reply,
			size_t *reply_len)
{
	struct session *s = ss->s;
	rpc_enc_reset(&s->out);
	int rc = serve_frame(s, frame, len);
	if (!rc && s->out.error)
		rc = drop(s, s->out.error, "reply does not fit a frame (%s)", strerror(-s->out.error));
	*reply = s->out.data;
	*reply_len = rc ? 0 : s->out.len;
	return rc;
}

void shadow_session_close(struct shadow_session *ss)
{
	if (!ss)
		return;
	session_free(ss->s, ss->s->root);
	free(ss);
}

int shadow_session_run(const struct shadow_root *root, int fd)
{
	return shadow_session_serve(root, fd, "a socket", NULL);
}
