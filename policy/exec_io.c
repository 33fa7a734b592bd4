/* policy/exec_io.c: data through remote fds: read and write in all their
 * forms, lseek, mmap, and the in-kernel copies (sendfile, copy_file_range,
 * splice) when one end is remote. Data moves through guest memory in
 * chunks of the wire's buffer bound, so a large read of a regular file is
 * not short before its end. Staged fds are local files, and held ones
 * (exec_map.c) their placeholders: their I/O runs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy/exec_internal.h"
#include "rpc/wire.h"

#define MAX_IOV 1024   /* UIO_MAXIOV */

struct guest_iovec {
	uint64_t base, len;
};

int ex_open_guest_fd(struct exec_call *c, int fd, int flags)
{
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/%d/fd/%d", (int)c->tid, fd);
	int r = open(proc, flags | O_CLOEXEC);
	return r < 0 ? -errno : r;
}

/* The value of field NAME ("pos:", "flags:") of /proc/TID/fdinfo/FD, in BASE. */
static int64_t fdinfo_field(struct exec_call *c, int fd, const char *name, int base)
{
	char proc[64], line[128];
	snprintf(proc, sizeof proc, "/proc/%d/fdinfo/%d", (int)c->tid, fd);
	FILE *f = fopen(proc, "re");
	if (!f)
		return -errno;
	int64_t v = -EBADF;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, name, strlen(name)) == 0) {
			v = strtoll(line + strlen(name), NULL, base);
			break;
		}
	fclose(f);
	return v;
}

int64_t ex_guest_fd_pos(struct exec_call *c, int fd)
{
	return fdinfo_field(c, fd, "pos:", 10);
}

int ex_guest_fd_flags(struct exec_call *c, int fd)
{
	return (int)fdinfo_field(c, fd, "flags:", 8);
}

/* The remote (not staged or held) object of fd argument I; stage, held or
 * local: the call runs as it is, and NULL is returned. */
static struct vft_object *remote_fd(struct exec_call *c, int i)
{
	struct vft_object *o = ex_fd_obj(c, i);
	if (o && o->method != VFT_REMOTE) {
		c->a->route = ROUTE_STAGE;
		o = NULL;
	}
	if (!o) {
		ex_run(c);
		return NULL;
	}
	c->a->route = ROUTE_REMOTE;
	return o;
}

/* Reads up to COUNT bytes of O (at OFF, or its offset if OFF < 0) into the
 * guest at BUF. Returns bytes read or -errno (if nothing was). */
static int64_t read_to_guest(struct exec_call *c, struct vft_object *o, uint64_t buf, uint64_t count, int64_t off)
{
	struct exec *x = c->x;
	uint64_t done = 0;
	while (done < count) {
		size_t chunk = count - done < RPC_MAX_BUF ? (size_t)(count - done) : RPC_MAX_BUF;
		int64_t n = remote_read(&x->remote, o->handle, x->iobuf, chunk, off < 0 ? -1 : off + (int64_t)done);
		if (n < 0)
			return done ? (int64_t)done : n;
		if (n > 0 && ex_write_mem(c, buf + done, x->iobuf, (size_t)n) < 0)
			return done ? (int64_t)done : -EFAULT;
		done += (uint64_t)n;
		if ((size_t)n < chunk)
			break;
	}
	return (int64_t)done;
}

static int64_t write_from_guest(struct exec_call *c, struct vft_object *o, uint64_t buf, uint64_t count,
				int64_t off)
{
	struct exec *x = c->x;
	uint64_t done = 0;
	while (done < count) {
		size_t chunk = count - done < RPC_MAX_BUF ? (size_t)(count - done) : RPC_MAX_BUF;
		if (ex_read_mem(c, buf + done, x->iobuf, chunk) < 0)
			return done ? (int64_t)done : -EFAULT;
		int64_t n = remote_write(&x->remote, o->handle, x->iobuf, chunk, off < 0 ? -1 : off + (int64_t)done);
		if (n < 0)
			return done ? (int64_t)done : n;
		done += (uint64_t)n;
		if ((size_t)n < chunk)
			break;
	}
	return (int64_t)done;
}

static bool io_checks(struct exec_call *c, struct vft_object *o, bool writing)
{
	int acc = o->flags & O_ACCMODE;
	if ((o->flags & O_PATH) || (writing ? acc == O_RDONLY : acc == O_WRONLY)) {
		ex_answer(c, -EBADF);
		return false;
	}
	if (o->is_dir) {
		ex_answer(c, writing ? -EBADF : -EISDIR);
		return false;
	}
	return true;
}

/* read(fd, buf, count), pread64(fd, buf, count, off) */
void ex_read(struct exec_call *c)
{
	struct vft_object *o = remote_fd(c, 0);
	if (!o || !io_checks(c, o, false))
		return;
	int64_t off = c->row->param == IO_POS ? (int64_t)c->arg[3] : -1;
	if (c->row->param == IO_POS && off < 0) {
		ex_answer(c, -EINVAL);
		return;
	}
	ex_answer(c, read_to_guest(c, o, c->arg[1], c->arg[2], off));
}

/* write(fd, buf, count), pwrite64(fd, buf, count, off) */
void ex_write(struct exec_call *c)
{
	struct vft_object *o = remote_fd(c, 0);
	if (!o || !io_checks(c, o, true))
		return;
	int64_t off = c->row->param == IO_POS ? (int64_t)c->arg[3] : -1;
	if (c->row->param == IO_POS && off < 0) {
		ex_answer(c, -EINVAL);
		return;
	}
	if (off < 0 && (o->flags & O_APPEND) && !(o->shadow_append)) {
		/* O_APPEND set with F_SETFL after the open: the shadow's
		 * file was not opened appending. */
		int64_t end = remote_lseek(&c->x->remote, o->handle, 0, SEEK_END);
		if (end < 0) {
			ex_answer(c, end);
			return;
		}
	}
	ex_answer(c, write_from_guest(c, o, c->arg[1], c->arg[2], off));
}

static int read_iov(struct exec_call *c, uint64_t addr, uint64_t cnt, struct guest_iovec **out)
{
	if ((int64_t)cnt < 0 || cnt > MAX_IOV)
		return -EINVAL;
	struct guest_iovec *iov = calloc(cnt ? cnt : 1, sizeof *iov);
	if (!iov)
		return -ENOMEM;
	if (ex_read_mem(c, addr, iov, cnt * sizeof *iov) < 0) {
		free(iov);
		return -EFAULT;
	}
	*out = iov;
	return 0;
}

/* The offset of the vector calls: none (readv), given (preadv), or given
 * with -1 meaning the file's own (preadv2). */
static int vector_offset(struct exec_call *c, int64_t *off)
{
	*off = -1;
	if (c->row->param == IOV_PLAIN)
		return 0;
	*off = (int64_t)c->arg[3];
	if (*off >= 0 || (c->row->param == IOV_POS2 && *off == -1))
		return 0;
	return -EINVAL;
}

static void vector_io(struct exec_call *c, bool writing)
{
	struct vft_object *o = remote_fd(c, 0);
	if (!o || !io_checks(c, o, writing))
		return;
	int64_t off;
	struct guest_iovec *iov;
	int rc = vector_offset(c, &off);
	if (rc == 0)
		rc = read_iov(c, c->arg[1], c->arg[2], &iov);
	if (rc < 0) {
		ex_answer(c, rc);
		return;
	}
	int64_t total = 0;
	for (uint64_t k = 0; k < c->arg[2]; k++) {
		if (!iov[k].len)
			continue;
		int64_t at = off < 0 ? -1 : off + total;
		int64_t n = writing ? write_from_guest(c, o, iov[k].base, iov[k].len, at)
				    : read_to_guest(c, o, iov[k].base, iov[k].len, at);
		if (n < 0) {
			if (!total)
				total = n;
			break;
		}
		total += n;
		if ((uint64_t)n < iov[k].len)
			break;
	}
	free(iov);
	ex_answer(c, total);
}

/* readv, preadv, preadv2 */
void ex_readv(struct exec_call *c)
{
	vector_io(c, false);
}

/* writev, pwritev, pwritev2 */
void ex_writev(struct exec_call *c)
{
	vector_io(c, true);
}

void ex_lseek(struct exec_call *c)
{
	struct vft_object *o = remote_fd(c, 0);
	if (!o)
		return;
	if (o->flags & O_PATH) {
		ex_answer(c, -EBADF);
		return;
	}
	ex_answer(c, remote_lseek(&c->x->remote, o->handle, (int64_t)c->arg[1], (int)c->arg[2]));
}

/* mmap(addr, len, prot, flags, fd, off): the placeholder is filled with the
 * file's bytes and the map runs natively on it. A shared writable map makes
 * the placeholder hold the file (exec_map.c). */
void ex_mmap(struct exec_call *c)
{
	int flags = (int)c->arg[3];
	if (flags & MAP_ANONYMOUS) {
		ex_run(c);
		return;
	}
	int type = flags & MAP_TYPE;
	bool shared_writable = (type == MAP_SHARED || type == MAP_SHARED_VALIDATE) && (c->arg[2] & PROT_WRITE);
	struct vft_object *held = ex_fd_obj(c, 4);
	if (held && held->method == VFT_HELD && shared_writable)
		ex_placeholder_mapped(held);
	struct vft_object *o = remote_fd(c, 4);
	if (!o)
		return;
	if (o->is_dir || (o->flags & O_PATH)) {
		ex_answer(c, o->is_dir ? -ENODEV : -EBADF);
		return;
	}
	if (shared_writable && (o->flags & O_ACCMODE) == O_RDWR) {
		int rc = ex_hold(c, o, (int)c->arg[4]);
		if (rc == 0)
			ex_placeholder_mapped(o);
		if (rc < 0) {
			char why[160];
			snprintf(why, sizeof why, "a shared writable mapping of a remote file failed: %s", strerror(-rc));
			ex_refuse(c, ENODEV, why);
			return;
		}
		c->a->route = ROUTE_STAGE;
		ex_run(c);
		return;
	}
	int rc = ex_fill_placeholder(c->x, o);
	if (rc < 0) {
		ex_answer(c, rc);
		return;
	}
	ex_run(c);
}

/* ---- copies between fds ---- */

/* Copies up to LEN bytes from remote IN (at *OFF_IN, or its own offset when
 * OFF_IN is NULL) to local file LFD at LOFF. Returns bytes copied or -errno. */
static int64_t remote_to_local(struct exec *x, struct vft_object *in, int64_t *off_in, int lfd, int64_t loff,
			       uint64_t len)
{
	uint64_t done = 0;
	while (done < len) {
		size_t chunk = len - done < RPC_MAX_BUF ? (size_t)(len - done) : RPC_MAX_BUF;
		int64_t n = remote_read(&x->remote, in->handle, x->iobuf, chunk, off_in ? *off_in : -1);
		if (n <= 0) {
			if (n < 0 && !done)
				return n;
			break;
		}
		/* LOFF < 0: the file's own offset (and O_APPEND) */
		ssize_t w = loff < 0 ? write(lfd, x->iobuf, (size_t)n) : pwrite(lfd, x->iobuf, (size_t)n, loff + (int64_t)done);
		if (w < 0) {
			/* The bytes read are not copied: give them back. */
			if (!off_in)
				remote_lseek(&x->remote, in->handle, -n, SEEK_CUR);
			return done ? (int64_t)done : -errno;
		}
		if (off_in)
			*off_in += n;
		done += (uint64_t)n;
		if ((size_t)n < chunk)
			break;
	}
	return (int64_t)done;
}

static int64_t local_to_remote(struct exec *x, int lfd, int64_t loff, struct vft_object *out, int64_t *off_out,
			       uint64_t len)
{
	uint64_t done = 0;
	while (done < len) {
		size_t chunk = len - done < RPC_MAX_BUF ? (size_t)(len - done) : RPC_MAX_BUF;
		ssize_t n = loff < 0 ? read(lfd, x->iobuf, chunk) : pread(lfd, x->iobuf, chunk, loff + (int64_t)done);
		if (n <= 0) {
			if (n < 0 && !done)
				return -errno;
			break;
		}
		int64_t w = remote_write(&x->remote, out->handle, x->iobuf, (size_t)n, off_out ? *off_out : -1);
		if (w < 0)
			return done ? (int64_t)done : w;
		if (off_out)
			*off_out += w;
		done += (uint64_t)w;
		if (w < n)
			break;
	}
	return (int64_t)done;
}

/* Remote to remote through the tracer (the shadow's copy_file_range
 * refused: different file systems at home, say). */
static int64_t remote_to_remote(struct exec *x, struct vft_object *in, int64_t *off_in, struct vft_object *out,
				int64_t *off_out, uint64_t len)
{
	uint64_t done = 0;
	while (done < len) {
		size_t chunk = len - done < RPC_MAX_BUF ? (size_t)(len - done) : RPC_MAX_BUF;
		int64_t n = remote_read(&x->remote, in->handle, x->iobuf, chunk, off_in ? *off_in : -1);
		if (n <= 0) {
			if (n < 0 && !done)
				return n;
			break;
		}
		int64_t w = remote_write(&x->remote, out->handle, x->iobuf, (size_t)n, off_out ? *off_out : -1);
		if (w < 0)
			return done ? (int64_t)done : w;
		if (off_in)
			*off_in += w;
		if (off_out)
			*off_out += w;
		done += (uint64_t)w;
		if (w < n || (size_t)n < chunk)
			break;
	}
	return (int64_t)done;
}

/* An offset argument: a pointer to a loff_t, or NULL for the fd's own. */
static int offset_arg(struct exec_call *c, uint64_t ptr, int64_t *val, int64_t **use)
{
	*use = NULL;
	if (!ptr)
		return 0;
	if (ex_read_mem(c, ptr, val, sizeof *val) < 0)
		return -EFAULT;
	if (*val < 0)
		return -EINVAL;
	*use = val;
	return 0;
}

/* Finishes a copy where the local end's own offset must move by N: the call
 * becomes lseek(LFD_ARG's fd, POS + N, SEEK_SET) and the guest sees N. */
static void finish_local_advance(struct exec_call *c, int guest_fd, int64_t pos, int64_t n)
{
	if (n <= 0 || !(c->x->caps & EXEC_CAN_REWRITE)) {
		ex_answer(c, n);
		return;
	}
	struct exec_action *a = c->a;
	a->rewrite_nr = true;
	a->nr = syscall_nr("lseek");
	a->rewrite_args = true;
	memset(a->arg, 0, sizeof a->arg);
	a->arg[0] = (uint64_t)guest_fd;
	a->arg[1] = (uint64_t)(pos + n);
	a->arg[2] = SEEK_SET;
	ex_run_then(c, PEND_RESULT);
	c->p->result = n;
}

/* A copy between IN_FD and OUT_FD of which at least one is remote, with
 * optional offset pointers (copy_file_range; sendfile has none for out). */
static void copy_between(struct exec_call *c, int in_fd, uint64_t in_ptr, int out_fd, uint64_t out_ptr,
			 uint64_t len, bool have_out_ptr)
{
	struct exec *x = c->x;
	struct vft_object *in = vft_fd_get(c->t, in_fd, NULL), *out = vft_fd_get(c->t, out_fd, NULL);
	if (in && in->method != VFT_REMOTE)
		in = NULL;
	if (out && out->method != VFT_REMOTE)
		out = NULL;
	if (!in && !out) {
		ex_run(c);
		return;
	}
	c->a->route = ROUTE_REMOTE;
	if ((in && (in->is_dir || (in->flags & O_ACCMODE) == O_WRONLY || (in->flags & O_PATH))) ||
	    (out && (out->is_dir || (out->flags & O_ACCMODE) == O_RDONLY || (out->flags & O_PATH)))) {
		ex_answer(c, in && in->is_dir ? -EISDIR : -EBADF);
		return;
	}
	int64_t off_in, off_out, *pin, *pout;
	int rc = offset_arg(c, in_ptr, &off_in, &pin);
	if (!rc && have_out_ptr)
		rc = offset_arg(c, out_ptr, &off_out, &pout);
	else
		pout = NULL;
	if (rc < 0) {
		ex_answer(c, rc);
		return;
	}
	int64_t n;
	if (in && out) {
		n = remote_copy_range(&x->remote, in->handle, pin ? *pin : -1, out->handle, pout ? *pout : -1,
				      len > RPC_MAX_BUF ? RPC_MAX_BUF : (size_t)len, 0);
		if (n >= 0) {
			if (pin)
				*pin += n;
			if (pout)
				*pout += n;
		} else if (n == -EXDEV || n == -EOPNOTSUPP || n == -ENOSYS || n == -EINVAL) {
			n = remote_to_remote(x, in, pin, out, pout, len);
		}
	} else {
		/* One end is a local file: the tracer opens it anew and uses
		 * explicit offsets; the guest's own offset, if it is the one
		 * used, is moved at the end. Without rewrites the guest's own
		 * open file is used (pidfd_getfd): its offset moves, and
		 * O_APPEND holds, by themselves. */
		int lfd_guest = in ? out_fd : in_fd;
		bool own = !(x->caps & EXEC_CAN_REWRITE);
		int lfd = own ? ex_guest_file(c, lfd_guest) : ex_open_guest_fd(c, lfd_guest, in ? O_WRONLY : O_RDONLY);
		if (lfd < 0) {
			ex_refuse(c, EINVAL, "a copy between a remote file and a local fd that is no file is not supported");
			return;
		}
		int64_t *plocal = in ? pout : pin;
		int64_t lpos = plocal ? *plocal : own ? -1 : ex_guest_fd_pos(c, lfd_guest);
		if (lpos < 0 && !(own && !plocal)) {
			close(lfd);
			ex_answer(c, lpos);
			return;
		}
		n = in ? remote_to_local(x, in, pin, lfd, lpos, len) : local_to_remote(x, lfd, lpos, out, pout, len);
		close(lfd);
		if (n > 0 && plocal)
			*plocal += n;
		if (n >= 0 && !plocal && !own) {
			if ((pin && ex_write_mem(c, in_ptr, &off_in, sizeof off_in) < 0))
				n = -EFAULT;
			finish_local_advance(c, lfd_guest, lpos, n);
			return;
		}
	}
	if (n >= 0 && pin && ex_write_mem(c, in_ptr, &off_in, sizeof off_in) < 0)
		n = -EFAULT;
	if (n >= 0 && pout && ex_write_mem(c, out_ptr, &off_out, sizeof off_out) < 0)
		n = -EFAULT;
	ex_answer(c, n);
}

/* From remote IN at its own offset to the guest's local fd OUT_FD, by
 * splitrun through the guest's open file itself (pidfd_getfd), for a
 * backend that cannot point the call at the filled placeholder. A pipe,
 * socket or terminal that is full is never waited on here: the call
 * fails with EAGAIN when NONBLOCK (or the file is), else it waits and is
 * made again. At most PIPE_BUF bytes go into a pipe at a time (a write
 * that size fits once poll says there is room). */
static void send_to_guest_file(struct exec_call *c, struct vft_object *in, int out_fd, uint64_t count,
			       bool nonblock)
{
	struct exec *x = c->x;
	int out = ex_guest_file(c, out_fd);
	if (out < 0) {
		ex_answer(c, out);
		return;
	}
	struct stat st;
	int fl = fcntl(out, F_GETFL);
	if (fstat(out, &st) < 0 || fl < 0 || (fl & O_ACCMODE) == O_RDONLY) {
		close(out);
		ex_answer(c, -EBADF);
		return;
	}
	size_t max = count < RPC_MAX_BUF ? (size_t)count : RPC_MAX_BUF;
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		struct pollfd pfd = { .fd = out, .events = POLLOUT };
		if (poll(&pfd, 1, 0) == 0) {
			close(out);
			if (!nonblock && !(fl & O_NONBLOCK) && ex_park(c))
				return;
			ex_answer(c, -EAGAIN);
			return;
		}
		if (S_ISFIFO(st.st_mode) && max > PIPE_BUF)
			max = PIPE_BUF;
	}
	int64_t n = max ? remote_read(&x->remote, in->handle, x->iobuf, max, -1) : 0;
	if (n <= 0) {
		close(out);
		ex_answer(c, n);
		return;
	}
	ssize_t w = S_ISSOCK(st.st_mode) ? send(out, x->iobuf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL)
					 : write(out, x->iobuf, (size_t)n);
	int err = errno;
	close(out);
	if (w < n)
		remote_lseek(&x->remote, in->handle, (w < 0 ? 0 : w) - n, SEEK_CUR);
	if (w < 0 && err == EPIPE)
		(void)syscall(SYS_tgkill, c->tid, c->tid, SIGPIPE);   /* as the kernel would */
	ex_answer(c, w < 0 ? -err : w);
}

/* sendfile(out_fd, in_fd, offset, count) */
void ex_sendfile(struct exec_call *c)
{
	int out_fd = (int)c->arg[0], in_fd = (int)c->arg[1];
	struct vft_object *in = vft_fd_get(c->t, in_fd, NULL), *out = vft_fd_get(c->t, out_fd, NULL);
	if (in && in->method == VFT_REMOTE && !out) {
		/* To a local fd, which may be a pipe or a socket the tracer
		 * cannot write to: the copy runs natively from the filled
		 * placeholder, at the remote file's offset. */
		c->a->route = ROUTE_REMOTE;
		if (in->is_dir || (in->flags & O_ACCMODE) == O_WRONLY || (in->flags & O_PATH)) {
			ex_answer(c, in->is_dir ? -EISDIR : -EBADF);
			return;
		}
		int rc = ex_fill_placeholder(c->x, in);
		if (rc < 0) {
			ex_answer(c, rc);
			return;
		}
		if (c->arg[2]) {
			ex_run(c);
			return;
		}
		int64_t pos = remote_lseek(&c->x->remote, in->handle, 0, SEEK_CUR);
		if (pos < 0) {
			ex_answer(c, pos);
			return;
		}
		if (!(c->x->caps & EXEC_CAN_REWRITE)) {
			send_to_guest_file(c, in, out_fd, c->arg[3], false);
			return;
		}
		static int64_t scratch_pos;
		scratch_pos = pos;
		struct exec_action *a = c->a;
		memcpy(a->arg, c->arg, sizeof a->arg);
		a->rewrite_args = true;
		a->arg[2] = 0;
		a->scratch = &scratch_pos;
		a->scratch_len = sizeof scratch_pos;
		a->scratch_args = 1u << 2;
		ex_run_then(c, PEND_ADVANCE);
		vft_object_ref(in);
		c->p->obj = in;
		c->p->result = pos;
		return;
	}
	copy_between(c, in_fd, c->arg[2], out_fd, 0, c->arg[3], false);
}

/* copy_file_range(fd_in, off_in, fd_out, off_out, len, flags) */
void ex_copy_file_range(struct exec_call *c)
{
	if (c->arg[5] != 0 && (ex_fd_obj(c, 0) || ex_fd_obj(c, 2))) {
		c->a->route = ROUTE_REMOTE;
		ex_answer(c, -EINVAL);
		return;
	}
	copy_between(c, (int)c->arg[0], c->arg[1], (int)c->arg[2], c->arg[3], c->arg[4], true);
}

/* splice(fd_in, off_in, fd_out, off_out, len, flags): one end is a pipe.
 * From a remote file the splice runs natively from the filled placeholder
 * (at the remote offset); into a remote file the tracer drains the pipe,
 * and a blocking splice from an empty pipe waits for it (parked). */
void ex_splice(struct exec_call *c)
{
	struct vft_object *in = ex_fd_obj(c, 0), *out = ex_fd_obj(c, 2);
	if (in && in->method != VFT_REMOTE)
		in = NULL;
	if (out && out->method != VFT_REMOTE)
		out = NULL;
	if (!in && !out) {
		ex_run(c);
		return;
	}
	c->a->route = ROUTE_REMOTE;
	if (in && out) {
		ex_answer(c, -EINVAL);   /* neither end is a pipe */
		return;
	}
	if (in) {
		if (in->is_dir || (in->flags & O_ACCMODE) == O_WRONLY || (in->flags & O_PATH)) {
			ex_answer(c, -EBADF);
			return;
		}
		int rc = ex_fill_placeholder(c->x, in);
		if (rc < 0) {
			ex_answer(c, rc);
			return;
		}
		if (c->arg[1]) {
			ex_run(c);
			return;
		}
		if (!(c->x->caps & EXEC_CAN_REWRITE)) {
			send_to_guest_file(c, in, (int)c->arg[2], c->arg[4], (c->arg[5] & SPLICE_F_NONBLOCK) != 0);
			return;
		}
		int64_t pos = remote_lseek(&c->x->remote, in->handle, 0, SEEK_CUR);
		if (pos < 0) {
			ex_answer(c, pos);
			return;
		}
		static int64_t scratch_pos;
		scratch_pos = pos;
		struct exec_action *a = c->a;
		memcpy(a->arg, c->arg, sizeof a->arg);
		a->rewrite_args = true;
		a->arg[1] = 0;
		a->scratch = &scratch_pos;
		a->scratch_len = sizeof scratch_pos;
		a->scratch_args = 1u << 1;
		ex_run_then(c, PEND_ADVANCE);
		vft_object_ref(in);
		c->p->obj = in;
		c->p->result = pos;
		return;
	}
	/* Pipe to remote file: read what the pipe has (without blocking: the
	 * tracer serves everyone) through a new open of it. */
	int pfd = ex_open_guest_fd(c, (int)c->arg[0], O_RDONLY | O_NONBLOCK);
	if (pfd < 0) {
		ex_answer(c, -EINVAL);
		return;
	}
	int64_t off_out, *pout;
	int rc = offset_arg(c, c->arg[3], &off_out, &pout);
	uint64_t len = c->arg[4];
	size_t chunk = len < RPC_MAX_BUF ? (size_t)len : RPC_MAX_BUF;
	ssize_t n = rc < 0 ? rc : read(pfd, c->x->iobuf, chunk);
	int64_t res = n < 0 ? (rc < 0 ? rc : (errno == EAGAIN ? -EAGAIN : -errno)) : 0;
	close(pfd);
	if (res == -EAGAIN && !(c->arg[5] & SPLICE_F_NONBLOCK)) {
		/* Nothing yet, and the guest would wait for it: it does, in
		 * a ppoll on the pipe, then splices again. */
		int fl = ex_guest_fd_flags(c, (int)c->arg[0]);
		if (fl >= 0 && !(fl & O_NONBLOCK) && ex_park_on(c, (int)c->arg[0]))
			return;
	}
	if (n > 0) {
		res = remote_write(&c->x->remote, out->handle, c->x->iobuf, (size_t)n, pout ? *pout : -1);
		if (res > 0 && pout) {
			*pout += res;
			if (ex_write_mem(c, c->arg[3], pout, sizeof *pout) < 0)
				res = -EFAULT;
		}
	}
	ex_answer(c, res);
}
