/* policy/exec_meta.c: attributes of remote files: the stat family, statx,
 * statfs, access, readlink, chmod, chown, utime*, truncate. Each resolves
 * its (dirfd, path, flags) target: a remote path goes to the shadow by its
 * shadow path, an fd itself (AT_EMPTY_PATH, or an fd call) by its handle. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>

#include "policy/exec_internal.h"
#include "rpc/wire.h"

/* The handle-or-path form of a resolved remote target. */
struct target {
	int64_t dirh;
	const char *path;
	int at_flags;
};

static struct target target_of(const struct ex_path *p, int at_flags)
{
	if (p->fd_obj)
		return (struct target){ p->fd_obj->handle, "", at_flags | AT_EMPTY_PATH };
	return (struct target){ RPC_HANDLE_CWD, p->shadow, at_flags & ~AT_EMPTY_PATH };
}

/* Resolves the call's (dirfd, path) with AT_FLAGS. Returns true when the
 * target is remote (P filled, route marked); otherwise the call has been
 * run or answered. */
static bool remote_target(struct exec_call *c, int at_flags, struct ex_path *p)
{
	int pi = ex_arg_index(c->desc, AK_PATH, 0);
	int di = ex_arg_index(c->desc, AK_DIRFD, 0);
	switch (ex_resolve(c, di, pi, at_flags, p)) {
	case EX_DONE:
		return false;
	case EX_LOCAL:
		ex_run_local(c, p, NULL);
		return false;
	case EX_REMOTE:
		break;
	}
	ex_route_of(c, p);
	return true;
}

static int at_flags_arg(struct exec_call *c)
{
	int i = ex_arg_index(c->desc, AK_AT_FLAGS, 0);
	return i < 0 ? 0 : (int)c->arg[i];
}

static void answer_struct(struct exec_call *c, int64_t rc, uint64_t addr, const void *data, size_t size)
{
	if (rc >= 0 && ex_write_mem(c, addr, data, size) < 0)
		rc = -EFAULT;
	ex_answer(c, rc);
}

/* stat, lstat, newfstatat, fstat */
void ex_stat(struct exec_call *c)
{
	struct stat st;
	uint64_t buf;
	int64_t rc;
	if (c->row->param == STAT_FD) {
		struct vft_object *o = ex_fd_obj(c, 0);
		if (!o || o->method == VFT_STAGE) {
			if (o)
				c->a->route = ROUTE_STAGE;
			ex_run(c);   /* a staged file's copy is what the guest reads and writes */
			return;
		}
		c->a->route = ROUTE_REMOTE;
		rc = remote_fstat(&c->x->remote, o->handle, &st);
		if (rc == 0)
			ex_held_stat(c->x, &st, NULL);
		answer_struct(c, rc, c->arg[1], &st, sizeof st);
		return;
	}
	int at_flags = c->row->param == STAT_NOFOLLOW ? AT_SYMLINK_NOFOLLOW
		     : c->row->param == STAT_AT ? (int)c->arg[3] : 0;
	buf = c->row->param == STAT_AT ? c->arg[2] : c->arg[1];
	struct ex_path p;
	if (!remote_target(c, at_flags, &p))
		return;
	if (p.fd_obj && p.fd_obj->method == VFT_STAGE) {
		ex_run(c);
		return;
	}
	struct target t = target_of(&p, at_flags & (AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH));
	rc = p.fd_obj ? remote_fstat(&c->x->remote, t.dirh, &st) : remote_stat(&c->x->remote, t.dirh, t.path, t.at_flags, &st);
	if (rc == 0)
		ex_held_stat(c->x, &st, NULL);
	answer_struct(c, rc, buf, &st, sizeof st);
}

/* statx(dirfd, path, flags, mask, buf) */
void ex_statx(struct exec_call *c)
{
	int at_flags = (int)c->arg[2];
	struct ex_path p;
	if (!remote_target(c, at_flags, &p))
		return;
	if (p.fd_obj && p.fd_obj->method == VFT_STAGE) {
		ex_run(c);
		return;
	}
	struct target t = target_of(&p, at_flags & (AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH |
						    AT_STATX_SYNC_TYPE));
	struct statx stx;
	int64_t rc = remote_statx(&c->x->remote, t.dirh, t.path, t.at_flags, (unsigned)c->arg[3], &stx);
	if (rc == 0)
		ex_held_stat(c->x, NULL, &stx);
	answer_struct(c, rc, c->arg[4], &stx, sizeof stx);
}

/* statfs(path, buf), fstatfs(fd, buf) */
void ex_statfs(struct exec_call *c)
{
	struct ex_path p;
	if (!remote_target(c, 0, &p))
		return;
	struct statfs sf;
	answer_struct(c, remote_statfs(&c->x->remote, p.shadow, &sf), c->arg[1], &sf, sizeof sf);
}

void ex_fstatfs(struct exec_call *c)
{
	struct vft_object *o = ex_fd_obj(c, 0);
	if (!o) {
		ex_run(c);
		return;
	}
	c->a->route = o->method == VFT_STAGE ? ROUTE_STAGE : ROUTE_REMOTE;
	struct statfs sf;
	answer_struct(c, remote_fstatfs(&c->x->remote, o->handle, &sf), c->arg[1], &sf, sizeof sf);
}

/* access(path, mode), faccessat(dirfd, path, mode), faccessat2(dirfd, path, mode, flags) */
void ex_access(struct exec_call *c)
{
	int mode_arg = ex_arg_index(c->desc, AK_ACCESS_MODE, 0);
	int mode = (int)c->arg[mode_arg];
	int at_flags = c->row->param == ACCESS_AT2 ? (int)c->arg[3] : 0;
	struct ex_path p;
	if (!remote_target(c, at_flags, &p))
		return;
	if ((mode & W_OK) && ex_readonly(c, &p))
		return;
	struct target t = target_of(&p, at_flags & (AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH));
	ex_answer(c, remote_access(&c->x->remote, t.dirh, t.path, mode, t.at_flags));
}

/* readlink(path, buf, size), readlinkat(dirfd, path, buf, size) */
void ex_readlink(struct exec_call *c)
{
	int pi = ex_arg_index(c->desc, AK_PATH, 0);
	int di = ex_arg_index(c->desc, AK_DIRFD, 0);
	uint64_t buf = c->arg[pi + 1];
	int64_t size = (int64_t)(int)c->arg[pi + 2];
	struct ex_path p;
	enum ex_resolved how = ex_resolve(c, di, pi, AT_SYMLINK_NOFOLLOW, &p);
	if (how == EX_DONE)
		return;
	const char *magic = how == EX_LOCAL ? ex_magic_link(c, p.guest) : NULL;
	if (magic) {
		/* /proc/self/fd/N of a remote fd names the remote file. */
		c->a->route = ROUTE_REMOTE;
		if (size <= 0) {
			ex_answer(c, -EINVAL);
			return;
		}
		size_t n = strlen(magic) < (size_t)size ? strlen(magic) : (size_t)size;
		ex_answer(c, ex_write_mem(c, buf, magic, n) < 0 ? -EFAULT : (int64_t)n);
		return;
	}
	if (how == EX_LOCAL) {
		ex_run_local(c, &p, NULL);
		return;
	}
	ex_route_of(c, &p);
	if (size <= 0) {
		ex_answer(c, -EINVAL);
		return;
	}
	if (p.fd_obj) {
		ex_answer(c, -ENOENT);   /* readlinkat(fd, "") of an O_PATH link: the shadow has no such op */
		return;
	}
	size_t want = (size_t)size < PATH_MAX ? (size_t)size : PATH_MAX;
	char link[PATH_MAX];
	int64_t n = remote_readlink(&c->x->remote, p.shadow, link, want);
	if (n > 0 && ex_write_mem(c, buf, link, (size_t)n) < 0)
		n = -EFAULT;
	ex_answer(c, n);
}

/* chmod(path, mode), fchmodat(dirfd, path, mode), fchmodat2(dirfd, path, mode, flags) */
void ex_chmod(struct exec_call *c)
{
	int at_flags = at_flags_arg(c);
	mode_t mode = (mode_t)c->arg[ex_arg_index(c->desc, AK_MODE, 0)];
	struct ex_path p;
	if (!remote_target(c, at_flags, &p) || ex_readonly(c, &p))
		return;
	if (p.fd_obj) {
		ex_answer(c, remote_fchmod(&c->x->remote, p.fd_obj->handle, mode));
		return;
	}
	ex_answer(c, remote_chmod(&c->x->remote, RPC_HANDLE_CWD, p.shadow, mode, at_flags & AT_SYMLINK_NOFOLLOW));
}

/* chown(path, uid, gid), lchown, fchownat(dirfd, path, uid, gid, flags) */
void ex_chown(struct exec_call *c)
{
	int at_flags = c->row->param == ATTR_NOFOLLOW ? AT_SYMLINK_NOFOLLOW : at_flags_arg(c);
	int pi = ex_arg_index(c->desc, AK_PATH, 0);
	uid_t uid = (uid_t)c->arg[pi + 1];
	gid_t gid = (gid_t)c->arg[pi + 2];
	struct ex_path p;
	if (!remote_target(c, at_flags, &p) || ex_readonly(c, &p))
		return;
	struct target t = target_of(&p, at_flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH));
	ex_answer(c, remote_chown(&c->x->remote, t.dirh, t.path, uid, gid, t.at_flags));
}

/* The times of utime (a struct utimbuf), utimes and futimesat (two
 * timevals) and utimensat (two timespecs); NULL: now. */
static int read_times(struct exec_call *c, uint64_t addr, struct timespec ts[2])
{
	if (!addr) {
		ts[0].tv_sec = ts[1].tv_sec = 0;
		ts[0].tv_nsec = ts[1].tv_nsec = UTIME_NOW;
		return 0;
	}
	switch (c->row->param) {
	case UTIME_SEC: {
		struct utimbuf u;
		if (ex_read_mem(c, addr, &u, sizeof u) < 0)
			return -EFAULT;
		ts[0] = (struct timespec){ u.actime, 0 };
		ts[1] = (struct timespec){ u.modtime, 0 };
		return 0;
	}
	case UTIME_USEC:
	case UTIME_USEC_AT: {
		struct timeval tv[2];
		if (ex_read_mem(c, addr, tv, sizeof tv) < 0)
			return -EFAULT;
		for (int k = 0; k < 2; k++) {
			if (tv[k].tv_usec < 0 || tv[k].tv_usec >= 1000000)
				return -EINVAL;
			ts[k] = (struct timespec){ tv[k].tv_sec, tv[k].tv_usec * 1000 };
		}
		return 0;
	}
	default:
		if (ex_read_mem(c, addr, ts, 2 * sizeof *ts) < 0)
			return -EFAULT;
		for (int k = 0; k < 2; k++)
			if ((ts[k].tv_nsec < 0 || ts[k].tv_nsec >= 1000000000) && ts[k].tv_nsec != UTIME_NOW &&
			    ts[k].tv_nsec != UTIME_OMIT)
				return -EINVAL;
		return 0;
	}
}

/* utime(path, times), utimes(path, tv), futimesat(dirfd, path, tv),
 * utimensat(dirfd, path, ts, flags); utimensat with a NULL path is futimens */
void ex_utimes(struct exec_call *c)
{
	int pi = ex_arg_index(c->desc, AK_PATH, 0);
	int at_flags = c->row->param == UTIME_NSEC_AT ? (int)c->arg[3] : 0;
	struct ex_path p;
	if (c->row->param == UTIME_NSEC_AT && c->arg[1] == 0) {
		/* futimens(fd, ts) */
		struct vft_object *o = ex_fd_obj(c, 0);
		if (!o) {
			ex_run(c);
			return;
		}
		c->a->route = o->method == VFT_STAGE ? ROUTE_STAGE : ROUTE_REMOTE;
		struct timespec ts[2];
		int rc = read_times(c, c->arg[2], ts);
		if (rc < 0) {
			ex_answer(c, rc);
			return;
		}
		int64_t r = remote_utimens(&c->x->remote, o->handle, "", ts, AT_EMPTY_PATH);
		if (r == 0 && o->method == VFT_STAGE)
			(void)futimens(o->placeholder, ts);   /* the copy's times go home at the close */
		ex_answer(c, r);
		return;
	}
	if (!remote_target(c, at_flags, &p) || ex_readonly(c, &p))
		return;
	struct timespec ts[2];
	int rc = read_times(c, c->arg[pi + 1], ts);
	if (rc < 0) {
		ex_answer(c, rc);
		return;
	}
	struct target t = target_of(&p, at_flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH));
	ex_answer(c, remote_utimens(&c->x->remote, t.dirh, t.path, ts, t.at_flags));
}

/* truncate(path, length) */
void ex_truncate(struct exec_call *c)
{
	struct ex_path p;
	if (!remote_target(c, 0, &p) || ex_readonly(c, &p))
		return;
	if ((int64_t)c->arg[1] < 0) {
		ex_answer(c, -EINVAL);
		return;
	}
	ex_io_file_changed(c->x, NULL);   /* which open file it is, is not known here */
	ex_answer(c, remote_truncate(&c->x->remote, p.shadow, (int64_t)c->arg[1]));
}
