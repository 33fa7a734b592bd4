/* policy/exec_dir.c: names and directories: getdents, mkdir, mknod,
 * unlink and rmdir, rename, link, symlink; and the cwd: chdir and fchdir
 * into remote directories make the cwd virtual (the kernel's stays where it
 * last was local), getcwd reports it. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/exec_internal.h"
#include "rpc/wire.h"

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

/* Resolves the path argument of index NTH of kind AK_PATH (with the dirfd
 * right before it, if any); true when remote (route marked). */
static enum ex_resolved resolve_nth(struct exec_call *c, int nth, int at_flags, struct ex_path *p)
{
	int pi = ex_arg_index(c->desc, AK_PATH, nth);
	int di = pi > 0 && c->desc->arg[pi - 1] == AK_DIRFD ? pi - 1 : -1;
	return ex_resolve(c, di, pi, at_flags, p);
}

/* One-path calls that change the namespace: resolves, runs local ones,
 * refuses readonly ones. True when P is remote and writable. */
static bool remote_modify(struct exec_call *c, int nth, struct ex_path *p)
{
	switch (resolve_nth(c, nth, AT_SYMLINK_NOFOLLOW, p)) {
	case EX_DONE:
		return false;
	case EX_LOCAL:
		ex_run_local(c, p, NULL);
		return false;
	case EX_REMOTE:
		break;
	}
	ex_route_of(c, p);
	return !ex_readonly(c, p);
}

/* ---- directory entries ---- */

static size_t reclen_of(bool is64, size_t namelen)
{
	/* linux_dirent64: ino, off, reclen, type, name, NUL; linux_dirent:
	 * ino, off, reclen, name, NUL, type (its last byte). */
	return is64 ? ALIGN8(19 + namelen + 1) : ALIGN8(18 + namelen + 2);
}

static size_t put_dirent(uint8_t *buf, bool is64, const struct remote_dirent *e)
{
	size_t namelen = strlen(e->name), reclen = reclen_of(is64, namelen);
	uint64_t ino = e->ino, off = (uint64_t)e->off;
	unsigned short rl = (unsigned short)reclen;
	memset(buf, 0, reclen);
	memcpy(buf, &ino, 8);
	memcpy(buf + 8, &off, 8);
	memcpy(buf + 16, &rl, 2);
	if (is64) {
		buf[18] = e->type;
		memcpy(buf + 19, e->name, namelen);
	} else {
		memcpy(buf + 18, e->name, namelen);
		buf[reclen - 1] = e->type;
	}
	return reclen;
}

/* A remote directory's entries are fetched a batch at a time (the end of
 * the directory comes with the last batch, and the attributes of the
 * entries follow in later requests that fill the cache) and given to the
 * guest from here as its buffer allows; its position is the d_off of the
 * last entry given. */
static void listing_drop(struct ex_io *io)
{
	remote_dirents_free(&io->dents);
	io->dent_next = 0;
	io->dir_listing = false;
}

int64_t ex_dir_seek(struct exec *x, struct vft_object *o, int64_t off, int whence)
{
	struct ex_io *io = ex_io_of(o);
	if (!io)
		return -ENOMEM;
	if (whence == SEEK_CUR) {
		/* The shadow's position is past the entries fetched: the
		 * guest's is here. */
		if (off == 0)
			return io->dir_pos;   /* telldir */
		off += io->dir_pos;
		whence = SEEK_SET;
	}
	listing_drop(io);
	int64_t pos = remote_lseek(&x->remote, o->handle, off, whence);
	if (pos >= 0)
		io->dir_pos = pos;
	return pos;
}

/* getdents(fd, dirp, count), getdents64(fd, dirp, count) */
void ex_getdents(struct exec_call *c)
{
	struct exec *x = c->x;
	struct vft_object *o = ex_fd_obj(c, 0);
	if (!o) {
		ex_run(c);
		return;
	}
	c->a->route = ROUTE_REMOTE;
	if (!o->is_dir) {
		ex_answer(c, -ENOTDIR);
		return;
	}
	struct ex_io *io = ex_io_of(o);
	if (!io) {
		ex_answer(c, -ENOMEM);
		return;
	}
	bool is64 = c->row->param == DENTS_64;
	size_t count = (unsigned)c->arg[2];
	if (count > RPC_MAX_BUF)
		count = RPC_MAX_BUF;
	if (io->dent_next == io->dents.count && !(io->dir_listing && io->dents.eof)) {
		listing_drop(io);
		int64_t n = remote_getdents(&x->remote, o->handle, o->shadow_path, &io->dents);
		if (n < 0) {
			ex_answer(c, n);
			return;
		}
		io->dir_listing = true;
	}
	size_t pos = 0, k = io->dent_next;
	for (; k < io->dents.count; k++) {
		const struct remote_dirent *e = &io->dents.ents[k];
		size_t rl = reclen_of(is64, strlen(e->name));
		if (pos + rl > count)
			break;
		pos += put_dirent(x->iobuf + pos, is64, e);
	}
	/* Not even one entry fits: as the kernel, EINVAL. */
	int64_t res = k == io->dent_next && k < io->dents.count ? -EINVAL : (int64_t)pos;
	if (res > 0 && ex_write_mem(c, c->arg[1], x->iobuf, pos) < 0)
		res = -EFAULT;
	if (res > 0) {
		io->dir_pos = io->dents.ents[k - 1].off;
		io->dent_next = k;
	}
	ex_answer(c, res);
}

/* ---- names ---- */

/* mkdir(path, mode), mkdirat(dirfd, path, mode) */
void ex_mkdir(struct exec_call *c)
{
	struct ex_path p;
	if (!remote_modify(c, 0, &p))
		return;
	mode_t mode = (mode_t)c->arg[ex_arg_index(c->desc, AK_MODE, 0)];
	int64_t rc = remote_mkdir(&c->x->remote, p.shadow, mode, c->t->fs->umask);
	if (rc == 0)
		ex_create_dir_made(c->x, p.shadow);
	ex_answer(c, rc);
}

/* mknod(path, mode, dev), mknodat(dirfd, path, mode, dev): a regular file
 * is made with an exclusive create; FIFOs, sockets and devices cannot be. */
void ex_mknod(struct exec_call *c)
{
	struct ex_path p;
	if (!remote_modify(c, 0, &p))
		return;
	mode_t mode = (mode_t)c->arg[ex_arg_index(c->desc, AK_MODE, 0)];
	if ((mode & S_IFMT) != 0 && (mode & S_IFMT) != S_IFREG) {
		ex_refuse(c, EOPNOTSUPP, "only regular files can be made with mknod at the shadow");
		return;
	}
	int64_t h = remote_open(&c->x->remote, p.shadow, O_WRONLY | O_CREAT | O_EXCL, mode & 07777,
				c->t->fs->umask, NULL, NULL, 0);
	if (h >= 0)
		h = remote_close(&c->x->remote, h, true);
	ex_answer(c, h);
}

/* unlink(path), rmdir(path), unlinkat(dirfd, path, flags) */
void ex_unlink(struct exec_call *c)
{
	struct ex_path p;
	if (!remote_modify(c, 0, &p))
		return;
	int flags = c->row->param == UNLINK_DIR ? AT_REMOVEDIR : c->row->param == UNLINK_AT ? (int)c->arg[2] : 0;
	if (flags & ~AT_REMOVEDIR) {
		ex_answer(c, -EINVAL);
		return;
	}
	ex_answer(c, remote_unlink(&c->x->remote, p.shadow, flags));
}

/* Two-path calls: both local run, both remote go to the shadow, one of
 * each crosses file systems (EXDEV). True when both are remote. */
static bool two_paths(struct exec_call *c, int at_flags, struct ex_path *from, struct ex_path *to)
{
	enum ex_resolved r1 = resolve_nth(c, 0, at_flags, from);
	if (r1 == EX_DONE)
		return false;
	enum ex_resolved r2 = resolve_nth(c, 1, AT_SYMLINK_NOFOLLOW, to);
	if (r2 == EX_DONE)
		return false;
	if (r1 == EX_LOCAL && r2 == EX_LOCAL) {
		ex_run_local(c, from, to);
		return false;
	}
	if (r1 != r2) {
		ex_route_of(c, r1 == EX_REMOTE ? from : to);
		ex_answer(c, -EXDEV);
		return false;
	}
	ex_route_of(c, from);
	return !ex_readonly(c, from) && !ex_readonly(c, to);
}

/* rename(old, new), renameat(od, old, nd, new), renameat2(..., flags) */
void ex_rename(struct exec_call *c)
{
	struct ex_path from, to;
	if (!two_paths(c, AT_SYMLINK_NOFOLLOW, &from, &to))
		return;
	unsigned flags = ex_arg_index(c->desc, AK_HEX, 0) == 4 ? (unsigned)c->arg[4] : 0;
	ex_answer(c, remote_rename(&c->x->remote, from.shadow, to.shadow, flags));
}

/* link(old, new), linkat(od, old, nd, new, flags) */
void ex_link(struct exec_call *c)
{
	int flags = ex_arg_index(c->desc, AK_AT_FLAGS, 0) == 4 ? (int)c->arg[4] : 0;
	struct ex_path from, to;
	if (!two_paths(c, (flags & AT_SYMLINK_FOLLOW) ? 0 : AT_SYMLINK_NOFOLLOW, &from, &to))
		return;
	if (flags & ~AT_SYMLINK_FOLLOW) {
		ex_refuse(c, EOPNOTSUPP, "linkat with AT_EMPTY_PATH on a remote file is not supported");
		return;
	}
	ex_answer(c, remote_link(&c->x->remote, from.shadow, to.shadow, flags));
}

/* symlink(target, path), symlinkat(target, dirfd, path): the target is
 * a string stored in the link, not a path to resolve. */
void ex_symlink(struct exec_call *c)
{
	bool at = c->desc->nargs == 3;
	struct ex_path p;
	switch (ex_resolve(c, at ? 1 : -1, at ? 2 : 1, AT_SYMLINK_NOFOLLOW, &p)) {
	case EX_DONE:
		return;
	case EX_LOCAL:
		ex_run_local(c, &p, NULL);
		return;
	case EX_REMOTE:
		break;
	}
	ex_route_of(c, &p);
	if (ex_readonly(c, &p))
		return;
	char target[PATH_MAX + 1];
	ssize_t n = c->x->mem->read_str(c->tid, c->arg[0], target, sizeof target);
	if (n < 0 || (size_t)n >= sizeof target) {
		ex_answer(c, n < 0 ? -EFAULT : -ENAMETOOLONG);
		return;
	}
	if (n == 0) {
		ex_answer(c, -ENOENT);
		return;
	}
	ex_answer(c, remote_symlink(&c->x->remote, target, p.shadow));
}

/* ---- the cwd ---- */

/* A remote directory becomes the cwd if it is one and may be searched; the
 * cwd is its physical path (symlinks resolved at the shadow), as getcwd
 * reports it natively, when that path is a guest path routed there too;
 * else the path as the guest named it. */
static int64_t enter_remote_dir(struct exec_call *c, int64_t dirh, const char *path, const char *guest,
				const char *shadow)
{
	char canon[PATH_MAX + 1], physical[PATH_MAX + 1];
	int64_t rc = remote_enter_dir(&c->x->remote, dirh, path, canon, sizeof canon);
	if (rc < 0)
		return rc;
	if (ex_guest_of_shadow(c->x, guest, shadow, canon, physical, sizeof physical) == 0)
		guest = physical;
	return vft_set_cwd(c->t, guest, true);
}

/* Without exit events, a local chdir to PATH (absolute) is judged first:
 * the cwd becomes its physical path if the kernel will take it, and the
 * call runs; else the guest gets the kernel's reason. */
static void chdir_local_now(struct exec_call *c, const char *path)
{
	char physical[PATH_MAX];
	struct stat st;
	if (!realpath(path, physical) || stat(physical, &st) < 0) {
		ex_answer(c, -errno);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		ex_answer(c, -ENOTDIR);
		return;
	}
	if (access(physical, X_OK) < 0) {
		ex_answer(c, -errno);
		return;
	}
	int rc = vft_set_cwd(c->t, physical, false);
	if (rc < 0)
		ex_answer(c, rc);
	else
		ex_run(c);
}

/* chdir(path) */
void ex_chdir(struct exec_call *c)
{
	struct ex_path p;
	switch (ex_resolve(c, -1, 0, 0, &p)) {
	case EX_DONE:
		return;
	case EX_LOCAL:
		if (!(c->x->caps & EXEC_CAN_SEE_EXIT)) {
			if (p.rewrite)
				ex_refuse(c, ENOSYS, "a chdir from a remote directory to a local one by a relative path needs --backend=ptrace");
			else
				chdir_local_now(c, p.guest);
			return;
		}
		ex_run_local(c, &p, NULL);
		if (c->a->verdict == EXEC_RUN)
			ex_run_then(c, PEND_CWD_LOCAL);
		return;
	case EX_REMOTE:
		break;
	}
	ex_route_of(c, &p);
	ex_answer(c, enter_remote_dir(c, RPC_HANDLE_CWD, p.shadow, p.guest, p.shadow));
}

/* fchdir(fd) */
void ex_fchdir(struct exec_call *c)
{
	struct vft_object *o = ex_fd_obj(c, 0);
	if (!o && !(c->x->caps & EXEC_CAN_SEE_EXIT)) {
		char proc[64], path[PATH_MAX];
		snprintf(proc, sizeof proc, "/proc/%d/fd/%d", (int)c->tid, (int)c->arg[0]);
		ssize_t n = readlink(proc, path, sizeof path - 1);
		if (n <= 0 || path[0] != '/') {
			ex_answer(c, n < 0 && errno == ENOENT ? -EBADF : -ENOTDIR);
			return;
		}
		path[n] = 0;
		chdir_local_now(c, path);
		return;
	}
	if (!o) {
		ex_run_then(c, PEND_CWD_LOCAL);
		return;
	}
	c->a->route = ROUTE_REMOTE;
	if (!o->is_dir) {
		ex_answer(c, -ENOTDIR);
		return;
	}
	ex_answer(c, enter_remote_dir(c, o->handle, NULL, o->guest_path, o->shadow_path));
}

/* getcwd(buf, size): the raw call returns the length with the NUL. */
void ex_getcwd(struct exec_call *c)
{
	if (!c->t->fs->cwd_remote) {
		ex_run(c);
		return;
	}
	c->a->route = ROUTE_REMOTE;
	const char *cwd = c->t->fs->cwd;
	size_t len = strlen(cwd) + 1;
	if (c->arg[1] < len) {
		ex_answer(c, -ERANGE);
		return;
	}
	ex_answer(c, ex_write_mem(c, c->arg[0], cwd, len) < 0 ? -EFAULT : (int64_t)len);
}
