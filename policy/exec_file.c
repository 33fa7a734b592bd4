/* policy/exec_file.c: opening and closing remote files.
 *
 * A remote open asks the shadow for a handle (and its fstat, in the same
 * round trip), takes the file's memfd placeholder (exec_map.c) and answers
 * the guest with a new fd on it (EXEC_INSTALL), so the guest's fd numbers
 * are the kernel's. A
 * staged open fetches the whole file into a private local file and gives
 * the guest an fd on that instead; the last close writes it back if it
 * changed. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/exec_internal.h"
#include "rpc/wire.h"

/* Open flags that describe the open, not the open file. */
#define OPEN_ONLY_FLAGS (O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)

struct vft_object *ex_object_new(struct exec *x, int64_t h, const struct ex_path *p, int flags, bool is_dir)
{
	(void)x;
	struct vft_object *o = vft_object_new();
	if (!o)
		return NULL;
	o->handle = h;
	o->guest_path = strdup(p->guest);
	o->shadow_path = strdup(p->shadow);
	o->flags = flags & ~OPEN_ONLY_FLAGS;
	o->shadow_append = (flags & O_APPEND) != 0;
	o->is_dir = is_dir;
	o->method = VFT_REMOTE;
	if (!o->guest_path || !o->shadow_path) {
		o->handle = -1;   /* the caller closes it */
		vft_object_unref(NULL, o);
		return NULL;
	}
	return o;
}

int ex_object_desc(struct vft_object *o, int flags)
{
	if (o->desc >= 0)
		return o->desc;
	if (o->placeholder < 0)
		return -EBADF;
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", o->placeholder);
	/* Only what describes the open file; O_CLOEXEC is the fd's. An
	 * O_PATH file cannot be passed (ADDFD takes no O_PATH file): the
	 * guest's reads through it are refused by the executive instead. */
	int keep = O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | O_SYNC | O_DSYNC | O_ASYNC;
	if (flags & O_PATH)
		flags = O_RDONLY;
	int fd = open(proc, (flags & keep) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	o->desc = fd;
	return fd;
}

/* ---- staging ---- */

static int stage_dir(struct exec *x)
{
	if (x->stage_dir[0])
		return 0;
	const char *tmp = getenv("TMPDIR");
	if (!tmp || tmp[0] != '/')
		tmp = "/tmp";
	snprintf(x->stage_dir, sizeof x->stage_dir, "%s/splitrun-stage.XXXXXX", tmp);
	if (!mkdtemp(x->stage_dir)) {
		int err = errno;
		fprintf(x->warn ? x->warn : stderr, "splitrun: cannot make a staging directory in %s: %s\n", tmp,
			strerror(err));
		x->stage_dir[0] = 0;
		return -err;
	}
	return 0;
}

/* A new private file in the staging directory, for guest path GUEST. */
int ex_stage_file(struct exec *x, const char *guest, char *path, size_t size)
{
	int rc = stage_dir(x);
	if (rc)
		return rc;
	const char *base = strrchr(guest, '/');
	base = base && base[1] ? base + 1 : "file";
	snprintf(path, size, "%s/%lu-%.200s", x->stage_dir, ++x->stage_seq, base);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
}

/* Writes N bytes of BUF at OFF into FD, leaving a hole for each whole
 * block of zeros at or beyond FROM (where FD holds nothing yet), so a
 * sparse file stays sparse here and, through ex_push, at home. */
static int pwrite_sparse(int fd, const uint8_t *buf, size_t n, off_t off, off_t from)
{
	enum { BLOCK = 4096 };
	static const uint8_t zeros[BLOCK];
	size_t done = 0;
	while (done < n) {
		off_t at = off + (off_t)done;
		size_t len = n - done;
		if (at >= from && at % BLOCK == 0 && len >= BLOCK && memcmp(buf + done, zeros, BLOCK) == 0) {
			done += BLOCK;
			continue;
		}
		/* up to the next block boundary, where a zero block may start */
		size_t upto = BLOCK - (size_t)(at % BLOCK);
		if (upto < len)
			len = upto;
		ssize_t w = pwrite(fd, buf + done, len, at);
		if (w < 0)
			return -errno;
		done += (size_t)w;
	}
	return 0;
}

/* Copies the shadow's file H into local FD. */
int ex_fetch(struct exec *x, int64_t h, int fd, off_t size)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	off_t off = 0;
	while (off < size) {
		size_t want = (size_t)(size - off) < RPC_MAX_BUF ? (size_t)(size - off) : RPC_MAX_BUF;
		int64_t n = remote_read(&x->remote, h, x->iobuf, want, off);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		int rc = pwrite_sparse(fd, x->iobuf, (size_t)n, off, st.st_size);
		if (rc)
			return rc;
		off += n;
	}
	/* trailing zero blocks were left as a hole */
	if (off > st.st_size && fstat(fd, &st) == 0 && st.st_size < off && ftruncate(fd, off) < 0)
		return -errno;
	return 0;
}

/* Writes local FD's first SIZE bytes over the shadow's file H: its data
 * extents are written, its holes punched at home (zeros written where home
 * cannot punch), so a sparse file stays sparse. */
int ex_push(struct exec *x, int fd, int64_t h, off_t size)
{
	int64_t rc = remote_ftruncate(&x->remote, h, size);
	bool can_punch = true;
	for (off_t off = 0; rc >= 0 && off < size;) {
		off_t data = lseek(fd, off, SEEK_DATA);
		if (data < 0 && errno != ENXIO) {
			rc = -errno;
			break;
		}
		if (data < 0 || data > size)
			data = size;
		if (data > off) {
			/* a hole here: home must read zeros there too */
			if (can_punch) {
				rc = remote_fallocate(&x->remote, h, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
						      data - off);
				if (rc == -EOPNOTSUPP || rc == -ENOSYS || rc == -EINVAL) {
					can_punch = false;
					rc = 0;
				}
			}
			if (!can_punch) {
				memset(x->iobuf, 0, RPC_MAX_BUF);
				for (off_t z = off; rc >= 0 && z < data;) {
					size_t len = (size_t)(data - z) < RPC_MAX_BUF ? (size_t)(data - z) : RPC_MAX_BUF;
					rc = remote_write(&x->remote, h, x->iobuf, len, z);
					if (rc >= 0 && rc != (int64_t)len)
						rc = -EIO;
					z += (off_t)len;
				}
			}
			off = data;
			continue;
		}
		off_t hole = lseek(fd, off, SEEK_HOLE);
		if (hole < 0 || hole > size)
			hole = size;
		while (rc >= 0 && off < hole) {
			size_t want = (size_t)(hole - off) < RPC_MAX_BUF ? (size_t)(hole - off) : RPC_MAX_BUF;
			ssize_t n = pread(fd, x->iobuf, want, off);
			if (n <= 0) {
				rc = n < 0 ? -errno : -EIO;
				break;
			}
			rc = remote_write(&x->remote, h, x->iobuf, (size_t)n, off);
			if (rc >= 0 && rc != n)
				rc = -EIO;
			off += n;
		}
	}
	return rc < 0 ? (int)rc : 0;
}

static void staged_state(int fd, struct timespec *mtime, off_t *size)
{
	struct stat st;
	if (fstat(fd, &st) == 0) {
		*mtime = st.st_mtim;
		*size = st.st_size;
	}
}

/* Writes a staged file back if it changed since it was staged. */
static int write_back(struct exec *x, struct vft_object *o)
{
	if (!o->stage_dirty_check || o->handle < 0 || o->placeholder < 0)
		return 0;
	struct stat st;
	if (fstat(o->placeholder, &st) < 0)
		return -errno;
	if (st.st_size == o->staged_size && st.st_mtim.tv_sec == o->staged_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == o->staged_mtime.tv_nsec)
		return 0;
	int64_t rc = ex_push(x, o->placeholder, o->handle, st.st_size);
	/* The copy's times go home too: the write-back would otherwise be
	 * the file's last change, not what the guest did or set. */
	if (rc >= 0 && fstat(o->placeholder, &st) == 0)
		rc = remote_utimens(&x->remote, o->handle, "", (struct timespec[2]){ st.st_atim, st.st_mtim },
				    AT_EMPTY_PATH);
	if (rc >= 0)
		x->stats.written_back++;
	return rc < 0 ? (int)rc : 0;
}

void ex_release(void *ctx, struct vft_object *o)
{
	struct exec *x = ctx;
	if (o->method == VFT_STAGE) {
		int rc = write_back(x, o);
		if (rc < 0) {
			x->release_error = rc;
			fprintf(x->warn ? x->warn : stderr, "splitrun: %s: writing the staged file back failed: %s\n",
				o->guest_path, strerror(-rc));
		}
		if (o->stage_path)
			unlink(o->stage_path);
	}
	if (o->method == VFT_HELD && (o->flags & O_ACCMODE) != O_RDONLY) {
		/* What the guest wrote through it (or a map) goes home now. */
		int rc = ex_held_write_home(x, o);
		if (rc < 0)
			x->release_error = rc;
	}
	if (o->handle >= 0) {
		int64_t rc = remote_close(&x->remote, o->handle);
		if (rc < 0 && o->method == VFT_REMOTE && (o->flags & O_ACCMODE) != O_RDONLY)
			x->release_error = (int)rc;
	}
	if (o->shared)
		ex_placeholder_detach(x, o);
	else if (o->placeholder >= 0)
		close(o->placeholder);
	if (o->desc >= 0)
		close(o->desc);
}

/* A stage open: the file is fetched whole into a private local file and
 * the guest gets that. Returns false when the file is no regular file
 * (it is then used remotely; H stays open and ST describes it). */
static bool stage_open(struct exec_call *c, const struct ex_path *p, int flags, int64_t h, const struct stat *st)
{
	struct exec *x = c->x;
	if (!S_ISREG(st->st_mode))
		return false;
	char path[PATH_MAX];
	int fd = ex_stage_file(x, p->guest, path, sizeof path);
	int rc = fd < 0 ? fd : 0;
	if (!rc && !(flags & O_TRUNC))
		rc = ex_fetch(x, h, fd, st->st_size);
	/* The guest opens the copy through /proc: its owner bits must let
	 * it (the shadow has checked the real permissions already). */
	if (!rc && fchmod(fd, (st->st_mode & 07777) | 0600) < 0)
		rc = -errno;
	struct vft_object *o = rc ? NULL : ex_object_new(x, h, p, flags, false);
	if (!o) {
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		remote_close(&x->remote, h);
		ex_answer(c, rc ? rc : -ENOMEM);
		return true;
	}
	o->method = VFT_STAGE;
	o->placeholder = fd;
	o->stage_mode = st->st_mode & 07777;
	o->stage_path = strdup(path);
	o->stage_dirty_check = (flags & O_ACCMODE) != O_RDONLY;
	staged_state(fd, &o->staged_mtime, &o->staged_size);
	x->stats.staged_files++;
	ex_install(c, o, flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY));
	return true;
}

/* The open call's arguments, whatever the variant. */
struct open_args {
	int dirfd_arg, path_arg;
	int flags;
	mode_t mode;
	uint64_t resolve;
};

static int open_args(struct exec_call *c, struct open_args *o)
{
	const uint64_t *a = c->arg;
	*o = (struct open_args){ .dirfd_arg = -1, .path_arg = 0 };
	switch (c->row->param) {
	case OPEN_PLAIN:
		o->path_arg = 0;
		o->flags = (int)a[1];
		o->mode = (mode_t)a[2];
		break;
	case OPEN_CREAT:
		o->path_arg = 0;
		o->flags = O_CREAT | O_WRONLY | O_TRUNC;
		o->mode = (mode_t)a[1];
		break;
	case OPEN_AT:
		o->dirfd_arg = 0;
		o->path_arg = 1;
		o->flags = (int)a[2];
		o->mode = (mode_t)a[3];
		break;
	case OPEN_HOW: {
		o->dirfd_arg = 0;
		o->path_arg = 1;
		struct open_how how = { 0 };
		if (a[3] < 24)   /* OPEN_HOW_SIZE_VER0 */
			return -EINVAL;
		if (ex_read_mem(c, a[2], &how, sizeof how) < 0)
			return -EFAULT;
		o->flags = (int)how.flags;
		o->mode = (mode_t)how.mode;
		o->resolve = how.resolve;
		break;
	}
	}
	return 0;
}

void ex_open(struct exec_call *c)
{
	struct exec *x = c->x;
	struct open_args oa;
	struct ex_path p;
	int rc = open_args(c, &oa);
	if (rc < 0) {
		/* Only a remote open needs the arguments: let the kernel judge. */
		ex_run(c);
		return;
	}
	switch (ex_resolve(c, oa.dirfd_arg, oa.path_arg, 0, &p)) {
	case EX_DONE:
		return;
	case EX_LOCAL:
		ex_run_local(c, &p, NULL);
		return;
	case EX_REMOTE:
		break;
	}
	ex_route_of(c, &p);
	int flags = oa.flags;
	bool writes = (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)) ||
		      (flags & O_TMPFILE) == O_TMPFILE;
	if (writes && ex_readonly(c, &p))
		return;
	if (oa.resolve & RESOLVE_CACHED) {
		ex_answer(c, -EAGAIN);   /* "not in the cache": the caller retries without */
		return;
	}
	if (oa.resolve & ~(uint64_t)(RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS)) {
		ex_refuse(c, EOPNOTSUPP, "openat2 with RESOLVE_BENEATH, RESOLVE_IN_ROOT or RESOLVE_NO_SYMLINKS on a remote path is not supported");
		return;
	}
	bool stage = p.route.method == POLICY_STAGE && !(flags & (O_PATH | O_DIRECTORY)) &&
		     (flags & O_TMPFILE) != O_TMPFILE;
	int shadow_flags = flags;
	if (stage) {
		/* The copy is fetched through this handle and written back
		 * through it at the last close: it must read, and must not
		 * append (the guest's O_APPEND applies to the copy). */
		shadow_flags &= ~O_APPEND;
		if ((flags & O_ACCMODE) == O_WRONLY && !(flags & O_TRUNC))
			shadow_flags = (shadow_flags & ~O_ACCMODE) | O_RDWR;
	}
	struct stat st;
	int64_t h = remote_open(&x->remote, p.shadow, shadow_flags, oa.mode, c->t->fs->umask, &st);
	if (h < 0) {
		ex_answer(c, h);
		return;
	}
	if (stage && stage_open(c, &p, flags, h, &st))
		return;
	if (stage)
		c->a->route = ROUTE_REMOTE;
	struct vft_object *o = ex_object_new(x, h, &p, flags, S_ISDIR(st.st_mode));
	if (!o) {
		remote_close(&x->remote, h);
		ex_answer(c, -ENOMEM);
		return;
	}
	rc = ex_placeholder_attach(x, o, &st);
	if (rc < 0) {
		vft_object_unref(x->vft, o);
		ex_answer(c, rc);
		return;
	}
	/* The guest's fd has the guest's access mode (what it may do natively
	 * with it, mmap, is then checked by the kernel); nothing else of the
	 * flags matters to a placeholder, but to one that holds its file (a
	 * map of it lives), whose I/O is native. */
	int install = flags & O_PATH ? O_PATH : flags & O_ACCMODE;
	if ((install & O_ACCMODE) == O_ACCMODE)
		install = O_RDWR;
	if (o->method == VFT_HELD) {
		c->a->route = ROUTE_STAGE;
		install |= flags & (O_APPEND | O_NONBLOCK);
		if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY && ftruncate(o->placeholder, 0) < 0) {
			vft_object_unref(x->vft, o);
			ex_answer(c, -errno);
			return;
		}
	}
	ex_install(c, o, install | (flags & O_CLOEXEC));
}

void ex_close(struct exec_call *c)
{
	struct vft_object *o = ex_fd_obj(c, 0);
	if (!o) {
		ex_run(c);
		return;
	}
	c->a->route = o->method == VFT_STAGE ? ROUTE_STAGE : ROUTE_REMOTE;
	/* close() frees the fd whatever it returns: the VFT lets go now, and
	 * a failed last release (a staged file not written back) is what the
	 * guest's close returns. */
	c->x->release_error = 0;
	vft_fd_close(c->x->vft, c->t, (int)c->arg[0]);
	/* Without exit events the guest's close returns 0: the failed
	 * write-back was reported on stderr (docs/limits.md). */
	if (c->x->release_error < 0 && (c->x->caps & EXEC_CAN_SEE_EXIT)) {
		ex_run_then(c, PEND_OVERRIDE);
		c->p->result = c->x->release_error;
		if (!c->a->see_exit)
			ex_answer(c, c->x->release_error);
	} else {
		ex_run(c);
	}
}
