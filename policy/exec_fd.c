/* policy/exec_fd.c: fd bookkeeping and fd-level calls on remote fds.
 *
 * dup, dup2, dup3, F_DUPFD, close_range and the close-on-exec flag run
 * natively on the placeholders (the kernel picks the numbers); the VFT
 * learns the outcome at the exit. Status flags (F_GETFL/F_SETFL), locks,
 * sync, truncate, allocate, mode and owner go to the shadow; a staged
 * file's, and a held one's (exec_map.c) but for its locks, are local. */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/exec_internal.h"
#include "rpc/canon.h"

/* Status flags F_SETFL may change (the kernel's SETFL_MASK). */
#define SETFL_FLAGS (O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME | O_NONBLOCK)

static void route_obj(struct exec_call *c, const struct vft_object *o)
{
	c->a->route = o->method == VFT_STAGE ? ROUTE_STAGE : ROUTE_REMOTE;
}

/* Without exit events: the guest gets a new fd on OBJ's open file,
 * installed by the backend at AT (-1: the lowest free number). */
static void dup_install(struct exec_call *c, struct vft_object *o, int at, bool cloexec)
{
	vft_object_ref(o);
	ex_install(c, o, cloexec ? O_CLOEXEC : 0);
	if (c->a->verdict == EXEC_INSTALL && c->a->install_at != at) {
		c->a->install_at = at;
		ex_install_ready(c);
	}
}

/* The number F_DUPFD(fd, MIN) gives, for an install: -1 (the kernel's
 * lowest free, which is then >= MIN) when no fd below MIN is free. */
static int dupfd_slot(struct exec_call *c, int min)
{
	int lowest = ex_guest_free_fd(c, 0);
	if (lowest < 0 || lowest >= min)
		return lowest < 0 ? lowest : -1;
	return ex_guest_free_fd(c, min);
}

/* dup(old), dup2(old, new), dup3(old, new, flags) */
void ex_dup(struct exec_call *c)
{
	int old = (int)c->arg[0];
	bool addfd = !(c->x->caps & EXEC_CAN_SEE_EXIT);
	struct vft_object *o = vft_fd_get(c->t, old, NULL);
	if (c->row->param == DUP_ONE) {
		if (!o) {
			ex_run(c);
			return;
		}
		route_obj(c, o);
		if (addfd) {
			dup_install(c, o, ex_remote_fd_slot(c, 0), false);
			return;
		}
		ex_run_then(c, PEND_DUP);
		c->p->fd = old;
		c->p->cloexec = false;
		return;
	}
	int new = (int)c->arg[1];
	struct vft_object *target = vft_fd_get(c->t, new, NULL);
	if (!o && !target) {
		ex_run(c);
		return;
	}
	route_obj(c, o ? o : target);
	bool cloexec = c->row->param == DUP_THREE && (c->arg[2] & O_CLOEXEC);
	if (addfd) {
		/* What the kernel refuses changes nothing: it may run. */
		if (old == new || (c->row->param == DUP_THREE && (c->arg[2] & ~(uint64_t)O_CLOEXEC)) ||
		    !ex_guest_fd_open(c, old)) {
			ex_run(c);
			return;
		}
		if (o) {
			dup_install(c, o, new, cloexec);
			return;
		}
		/* A local fd onto a remote one: the remote one goes. */
		vft_fd_close(c->x->vft, c->t, new);
		ex_run(c);
		return;
	}
	ex_run_then(c, PEND_DUP_ONTO);
	c->p->fd = old;
	c->p->fd2 = new;
	c->p->cloexec = cloexec;
}

/* What F_GETFL reports: the kernel keeps the open's flags but those that
 * only describe the open, and shows its O_LARGEFILE bit on 64-bit (but for
 * O_PATH fds, which keep only O_PATH and the lookup flags). */
static int getfl(const struct vft_object *o)
{
	if (o->flags & O_PATH)
		return o->flags & (O_PATH | O_NOFOLLOW | O_DIRECTORY);
	return (o->flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) | (int)canon_kernel_o_largefile;
}

/* A lock: a waiting one (F_SETLKW) is tried without waiting at the shadow,
 * and the thread is parked here while someone else holds it, so that the
 * tracer serves everyone (the holder's unlock included) meanwhile. */
static void lock(struct exec_call *c, struct vft_object *o, int cmd)
{
	struct flock fl;
	if (ex_read_mem(c, c->arg[2], &fl, sizeof fl) < 0) {
		ex_answer(c, -EFAULT);
		return;
	}
	/* Taken at the shadow as open-file-description locks: two opens of
	 * the file (by two guest processes, or two agents) conflict there,
	 * whatever process of the shadow serves them (docs/limits.md). */
	int shadow_cmd = cmd == F_GETLK ? F_OFD_GETLK : cmd == F_SETLK ? F_OFD_SETLK
		       : cmd == F_SETLKW ? F_OFD_SETLKW : cmd;
	int try = shadow_cmd == F_OFD_SETLKW ? F_OFD_SETLK : shadow_cmd;
	int64_t rc = remote_lock(&c->x->remote, o->handle, try, &fl);
	if ((rc == -EAGAIN || rc == -EACCES) && try != shadow_cmd) {
		if (ex_park(c))
			return;
		rc = remote_lock(&c->x->remote, o->handle, shadow_cmd, &fl);   /* no parking: wait there */
	}
	if (rc >= 0 && cmd != F_GETLK && cmd != F_OFD_GETLK && fl.l_type != F_UNLCK && o->io)
		((struct ex_io *)o->io)->locked = true;   /* not to be taken again silently (exec_lost.c) */
	if (rc >= 0 && (cmd == F_GETLK || cmd == F_OFD_GETLK) && fl.l_type != F_UNLCK)
		fl.l_pid = cmd == F_GETLK ? 0 : -1;   /* a holder at home has no pid here */
	if (rc >= 0 && (cmd == F_GETLK || cmd == F_OFD_GETLK) && ex_write_mem(c, c->arg[2], &fl, sizeof fl) < 0)
		rc = -EFAULT;
	ex_answer(c, rc);
}

/* fcntl(fd, cmd, arg) */
void ex_fcntl(struct exec_call *c)
{
	int fd = (int)c->arg[0], cmd = (int)c->arg[1];
	struct vft_object *o = vft_fd_get(c->t, fd, NULL);
	if (!o) {
		ex_run(c);
		return;
	}
	route_obj(c, o);
	bool no_exit = !(c->x->caps & EXEC_CAN_SEE_EXIT);
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (no_exit) {
			int min = (int)c->arg[2];
			int at = min < 0 ? -EINVAL : c->x->fd_base ? ex_remote_fd_slot(c, min) : dupfd_slot(c, min);
			if (at < -1) {
				ex_answer(c, at == -EMFILE && min > 0 ? -EINVAL : at);
				return;
			}
			dup_install(c, o, at, cmd == F_DUPFD_CLOEXEC);
			return;
		}
		ex_run_then(c, PEND_DUP);
		c->p->fd = fd;
		c->p->cloexec = cmd == F_DUPFD_CLOEXEC;
		return;
	case F_SETFD:
		if (no_exit) {
			/* It cannot fail on an open fd. */
			vft_fd_set_cloexec(c->t, fd, (c->arg[2] & FD_CLOEXEC) != 0);
			ex_run(c);
			return;
		}
		ex_run_then(c, PEND_SET_CLOEXEC);
		c->p->fd = fd;
		c->p->cloexec = (c->arg[2] & FD_CLOEXEC) != 0;
		return;
	case F_GETFD:
	case F_GETOWN:
	case F_SETOWN:
	case F_GETOWN_EX:
	case F_SETOWN_EX:
	case F_GETSIG:
	case F_SETSIG:
		ex_run(c);   /* fd flags and signal owners are the guest kernel's */
		return;
	}
	if (o->method == VFT_STAGE) {
		ex_run(c);   /* a local copy: its flags and locks are local */
		return;
	}
	bool locking = cmd == F_GETLK || cmd == F_SETLK || cmd == F_SETLKW || cmd == F_OFD_GETLK ||
		       cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
	if (o->method == VFT_HELD && !locking && cmd != F_ADD_SEALS && cmd != F_GET_SEALS) {
		ex_run(c);   /* held: the placeholder's flags are the guest's; locks stay at home */
		return;
	}
	switch (cmd) {
	case F_GETFL:
		ex_answer(c, getfl(o));
		return;
	case F_SETFL:
		if (o->flags & O_PATH) {
			ex_answer(c, -EBADF);
			return;
		}
		o->flags = (o->flags & ~SETFL_FLAGS) | ((int)c->arg[2] & SETFL_FLAGS);
		ex_answer(c, 0);
		return;
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		lock(c, o, cmd);
		return;
	case F_ADD_SEALS:
	case F_GET_SEALS:
		ex_answer(c, -EINVAL);   /* a regular file has no seals (the memfd placeholder would) */
		return;
	case F_GETPIPE_SZ:
	case F_SETPIPE_SZ:
		ex_answer(c, -EBADF);
		return;
	default:
		ex_refuse(c, EINVAL, "this fcntl command on a remote file is not supported");
		return;
	}
}

/* close_range(first, last, flags) */
void ex_close_range(struct exec_call *c)
{
	unsigned first = (unsigned)c->arg[0], last = (unsigned)c->arg[1];
	unsigned flags = (unsigned)c->arg[2];
	struct vft_table *tab = c->t->files;
	bool touches = (flags & CLOSE_RANGE_UNSHARE) && tab->users > 1;
	for (unsigned fd = first; !touches && fd <= last && fd < (unsigned)tab->nfds; fd++)
		touches = tab->fd[fd].obj != NULL;
	if (!touches) {
		ex_run(c);
		return;
	}
	c->a->route = ROUTE_REMOTE;
	if (!(c->x->caps & EXEC_CAN_SEE_EXIT)) {
		/* Valid arguments cannot fail: the table changes now. */
		if (first <= last && !(flags & ~(unsigned)(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)))
			vft_fd_close_range(c->x->vft, c->t, first, last, (flags & CLOSE_RANGE_CLOEXEC) != 0,
					   (flags & CLOSE_RANGE_UNSHARE) != 0);
		ex_run(c);
		return;
	}
	ex_run_then(c, PEND_CLOSE_RANGE);
	c->p->fd = (int)first;
	c->p->fd2 = (int)last;
	c->p->flags = flags;
}

/* ioctl(fd, request, arg): the fd flags ones run (and are learnt), the
 * file ones that have a meaning for a regular file are answered, the rest
 * fail with ENOTTY as for a file that has no such ioctl. */
void ex_ioctl(struct exec_call *c)
{
	int fd = (int)c->arg[0];
	unsigned long req = (unsigned long)c->arg[1];
	struct vft_object *o = vft_fd_get(c->t, fd, NULL);
	if (!o) {
		ex_run(c);
		return;
	}
	route_obj(c, o);
	if (req == FIOCLEX || req == FIONCLEX) {
		if (!(c->x->caps & EXEC_CAN_SEE_EXIT)) {
			vft_fd_set_cloexec(c->t, fd, req == FIOCLEX);
			ex_run(c);
			return;
		}
		ex_run_then(c, PEND_SET_CLOEXEC);
		c->p->fd = fd;
		c->p->cloexec = req == FIOCLEX;
		return;
	}
	if (o->method != VFT_REMOTE) {
		ex_run(c);
		return;
	}
	int on;
	switch (req) {
	case FIONBIO:
	case FIOASYNC:
		if (ex_read_mem(c, c->arg[2], &on, sizeof on) < 0) {
			ex_answer(c, -EFAULT);
			return;
		}
		int bit = req == FIONBIO ? O_NONBLOCK : O_ASYNC;
		o->flags = on ? o->flags | bit : o->flags & ~bit;
		ex_answer(c, 0);
		return;
	case FIONREAD: {
		struct stat st;
		int64_t rc = remote_fstat(&c->x->remote, o->handle, &st);
		int64_t pos = rc < 0 ? rc : ex_io_pos(c->x, o);
		if (pos < 0) {
			ex_answer(c, pos);
			return;
		}
		int avail = st.st_size > pos ? (int)(st.st_size - pos) : 0;
		ex_answer(c, ex_write_mem(c, c->arg[2], &avail, sizeof avail) < 0 ? -EFAULT : 0);
		return;
	}
	/* What a file system without these features answers, quietly: a
	 * program asks them to find out (cp tries a reflink, isatty asks
	 * for terminal modes, lsattr for inode flags). */
	case FICLONE:
	case FICLONERANGE:
	case FIDEDUPERANGE:
	case FS_IOC_FIEMAP:
		ex_answer(c, -EOPNOTSUPP);
		return;
	case FS_IOC_GETFLAGS:
	case FS_IOC_SETFLAGS:
	case FS_IOC_FSGETXATTR:
	case FS_IOC_FSSETXATTR:
		ex_answer(c, -ENOTTY);
		return;
	default:
		if (_IOC_TYPE(req) == 'T') {
			ex_answer(c, -ENOTTY);   /* a regular file is no terminal */
			return;
		}
		ex_refuse(c, ENOTTY, "an ioctl on a remote file is not supported");
		return;
	}
}

/* The remote object of fd argument 0 for a call that acts on the file
 * itself (staged ones too: their handle is the real file). NULL: run. */
static struct vft_object *file_obj(struct exec_call *c)
{
	struct vft_object *o = ex_fd_obj(c, 0);
	if (!o) {
		ex_run(c);
		return NULL;
	}
	route_obj(c, o);
	return o;
}

/* fsync, fdatasync, sync_file_range, syncfs */
void ex_fsync(struct exec_call *c)
{
	struct vft_object *o = file_obj(c);
	if (!o)
		return;
	if (o->method == VFT_STAGE) {
		ex_run(c);   /* the copy reaches home at the last close */
		return;
	}
	bool data = c->row->param == SYNC_DATA || c->row->param == SYNC_RANGE;
	/* Files closed with writes on their way are this file, or on its
	 * file system: at home before the call returns. */
	ex_settle_closes(c->x);
	int64_t rc = ex_held_write_home(c->x, o, true);
	if (rc < 0) {
		ex_answer(c, -EIO);
		return;
	}
	/* After the shadow's fsync, every write queued before it has been
	 * answered; one that failed is this call's failure. */
	rc = remote_fsync(&c->x->remote, o->handle, data);
	struct ex_io *io = o->io;
	if (io && remote_wait_owner(&c->x->remote, io) == 0 && io->wb_error)
		rc = ex_io_take_error(io);
	else if (io && io->lost_writes && rc == -EIO)
		io->loss_told = true;
	ex_answer(c, rc);
}

void ex_ftruncate(struct exec_call *c)
{
	struct vft_object *o = file_obj(c);
	if (!o)
		return;
	if (o->method != VFT_REMOTE) {
		ex_run(c);
		return;
	}
	if ((int64_t)c->arg[1] < 0) {
		ex_answer(c, -EINVAL);
		return;
	}
	ex_io_file_changed(c->x, o);
	ex_answer(c, remote_ftruncate(&c->x->remote, o->handle, (int64_t)c->arg[1]));
}

void ex_fallocate(struct exec_call *c)
{
	struct vft_object *o = file_obj(c);
	if (!o)
		return;
	if (o->method != VFT_REMOTE) {
		ex_run(c);
		return;
	}
	ex_io_file_changed(c->x, o);
	ex_answer(c, remote_fallocate(&c->x->remote, o->handle, (int)c->arg[1], (int64_t)c->arg[2],
				      (int64_t)c->arg[3]));
}

/* fchmod and fchown change the home file; a staged copy follows, so that
 * the guest's fstat of it agrees. */
void ex_fchmod(struct exec_call *c)
{
	struct vft_object *o = file_obj(c);
	if (!o)
		return;
	int64_t rc = remote_fchmod(&c->x->remote, o->handle, (mode_t)c->arg[1]);
	if (rc == 0 && o->method != VFT_REMOTE) {
		o->stage_mode = (mode_t)c->arg[1] & 07777;
		(void)fchmod(o->placeholder, o->stage_mode);
	}
	ex_answer(c, rc);
}

void ex_fchown(struct exec_call *c)
{
	struct vft_object *o = file_obj(c);
	if (!o)
		return;
	int64_t rc = remote_fchown(&c->x->remote, o->handle, (uid_t)c->arg[1], (gid_t)c->arg[2]);
	if (rc == 0 && o->method == VFT_STAGE)
		(void)fchown(o->placeholder, (uid_t)c->arg[1], (gid_t)c->arg[2]);
	ex_answer(c, rc);
}

/* flock(fd, op): flock at the shadow on the remote file's handle; a
 * waiting one is tried without waiting and parked like F_SETLKW. */
void ex_flock(struct exec_call *c)
{
	struct vft_object *o = file_obj(c);
	if (!o)
		return;
	if (o->method == VFT_STAGE) {
		ex_run(c);
		return;
	}
	int op = (int)c->arg[1];
	int64_t rc = remote_flock(&c->x->remote, o->handle, op | LOCK_NB);
	if (rc == -EWOULDBLOCK && !(op & LOCK_NB) && ex_park(c))
		return;
	if (rc == -EWOULDBLOCK && !(op & LOCK_NB))
		rc = remote_flock(&c->x->remote, o->handle, op);
	if (rc >= 0 && (op & ~LOCK_NB) != LOCK_UN && o->io)
		((struct ex_io *)o->io)->locked = true;   /* not to be taken again silently (exec_lost.c) */
	ex_answer(c, rc);
}

/* fadvise64, readahead: advice about a file the guest does not hold. */
void ex_hint(struct exec_call *c)
{
	struct vft_object *o = file_obj(c);
	if (!o)
		return;
	if (o->method != VFT_REMOTE) {
		ex_run(c);
		return;
	}
	if (o->is_dir || (o->flags & O_PATH)) {
		ex_answer(c, -EBADF);
		return;
	}
	/* fadvise64(fd, offset, len, advice): a reader that says it reads on
	 * gets the widest readahead at once (cat, cp say so). */
	if (strcmp(c->desc->name, "readahead") != 0 && (int)c->arg[3] == POSIX_FADV_SEQUENTIAL)
		ex_io_sequential(c->x, o);
	ex_answer(c, 0);
}

/* The xattr calls on remote paths and fds: the shadow has no such ops, so
 * remote files have no extended attributes, as on a file system without
 * them (ENOTSUP): programs that copy or list them carry on. */
void ex_xattr(struct exec_call *c)
{
	int fi = ex_arg_index(c->desc, AK_FD, 0);
	if (fi >= 0) {
		struct vft_object *o = ex_fd_obj(c, fi);
		if (!o || o->method == VFT_STAGE) {
			ex_run(c);
			return;
		}
		route_obj(c, o);
		ex_answer(c, -EOPNOTSUPP);
		return;
	}
	struct ex_path p;
	int at = c->desc->name[0] == 'l' ? AT_SYMLINK_NOFOLLOW : 0;
	switch (ex_resolve(c, -1, ex_arg_index(c->desc, AK_PATH, 0), at, &p)) {
	case EX_DONE:
		return;
	case EX_LOCAL:
		ex_run_local(c, &p, NULL);
		return;
	case EX_REMOTE:
		break;
	}
	ex_route_of(c, &p);
	ex_answer(c, -EOPNOTSUPP);
}
