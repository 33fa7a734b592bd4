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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/exec_internal.h"

#define CONTAINER_OF(p, type, field) ((type *)(void *)((char *)(p) - offsetof(type, field)))
#include "rpc/canon.h"
#include "rpc/wire.h"

/* Open flags that describe the open, not the open file. */
#define OPEN_ONLY_FLAGS (O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)

struct vft_object *ex_object_new(struct exec *x, int64_t h, const struct ex_path *p, int flags, int shadow_flags,
				 const struct stat *st)
{
	struct vft_object *o = vft_object_new();
	if (!o)
		return NULL;
	o->handle = h;
	o->guest_path = strdup(p->guest);
	o->shadow_path = strdup(p->shadow);
	o->flags = flags & ~OPEN_ONLY_FLAGS;
	o->shadow_append = (shadow_flags & O_APPEND) != 0;
	o->is_dir = S_ISDIR(st->st_mode);
	o->method = VFT_REMOTE;
	struct ex_io *io = ex_io_of(o);
	if (!o->guest_path || !o->shadow_path || !io) {
		o->handle = -1;   /* the caller closes it */
		ex_io_free(x, o);
		vft_object_unref(NULL, o);
		return NULL;
	}
	/* What opening it again after a reconnect needs (exec_lost.c). */
	io->shadow_flags = shadow_flags;
	io->file_dev = st->st_dev;
	io->file_ino = st->st_ino;
	io->file_type = st->st_mode & S_IFMT;
	ex_live_add(x, io);
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

int ex_stage_dir(struct exec *x)
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
	int rc = ex_stage_dir(x);
	if (rc)
		return rc;
	const char *base = strrchr(guest, '/');
	base = base && base[1] ? base + 1 : "file";
	snprintf(path, size, "%s/%lu-%.200s", x->stage_dir, ++x->stage_seq, base);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
}

int ex_stage_program_file(struct exec *x, const char *guest, char *path, size_t size)
{
	int rc = ex_stage_dir(x);
	if (rc)
		return rc;
	char dir[PATH_MAX];
	if ((size_t)snprintf(dir, sizeof dir, "%s/exec", x->stage_dir) >= sizeof dir - 24)
		return -ENAMETOOLONG;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	size_t n = strlen(dir);
	snprintf(dir + n, sizeof dir - n, "/%lu", ++x->stage_seq);
	if (mkdir(dir, 0700) < 0)
		return -errno;
	const char *base = strrchr(guest, '/');
	base = base && base[1] ? base + 1 : guest;
	if ((size_t)snprintf(path, size, "%s/%s", dir, base) >= size) {
		rmdir(dir);
		return -ENAMETOOLONG;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		rmdir(dir);
		return rc;
	}
	return fd;
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

/* Fetches in flight for ex_fetch. */
#define FETCH_WINDOW 8

struct fetch {
	int fd;
	int err;
	off_t from;   /* FD's size before: holes are left only beyond it */
	off_t end;    /* the end of the bytes fetched */
};

static void fetch_store(struct fetch *f, const uint8_t *p, size_t len, off_t off)
{
	int rc = pwrite_sparse(f->fd, p, len, off, f->from);
	if (rc && !f->err)
		f->err = rc;
	if (off + (off_t)len > f->end)
		f->end = off + (off_t)len;
}

static void fetch_done(struct remote *r, void *owner, int64_t off, struct rpc_reply *rep, int err)
{
	(void)r;
	struct fetch *f = owner;
	struct remote_data d;
	int64_t n = err ? err : remote_data_from(&d, rep, RPC_MAX_BUF, off);
	if (n < 0) {
		if (!f->err)
			f->err = (int)n;
		return;
	}
	if (n > 0)
		fetch_store(f, d.p, d.len, off);
	remote_data_free(&d);
}

/* Copies SIZE bytes of the shadow's file H into local FD: FIRST (the bytes
 * the open brought, taken), then PREADs of the rest, several in flight. */
int ex_fetch(struct exec *x, int64_t h, int fd, off_t size, struct remote_data *first)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		remote_data_free(first);
		return -errno;
	}
	struct fetch f = { .fd = fd, .from = st.st_size };
	off_t off = 0;
	if (first && first->rep.frame) {
		if (first->len)
			fetch_store(&f, first->p, first->len, 0);
		off = first->eof ? size : (off_t)first->len;
		remote_data_free(first);
	}
	int64_t tags[FETCH_WINDOW];
	size_t n = 0;
	for (; off < size && !f.err; off += RPC_MAX_BUF) {
		if (n == FETCH_WINDOW) {
			remote_wait_tag(&x->remote, tags[0]);
			memmove(tags, tags + 1, (n - 1) * sizeof *tags);
			n--;
		}
		struct rpc_val a[] = { rpc_int(h), rpc_int(RPC_MAX_BUF), rpc_int(off) };
		int64_t tag = remote_send_later(&x->remote, RPC_OP_PREAD, a, 3, fetch_done, &f, off);
		if (tag < 0) {
			f.err = (int)tag;
			break;
		}
		tags[n++] = tag;
	}
	remote_wait_owner(&x->remote, &f);
	remote_disown(&x->remote, &f);
	if (x->remote.lost)
		return -EIO;
	/* trailing zero blocks were left as a hole */
	if (!f.err && f.end > f.from && fstat(fd, &st) == 0 && st.st_size < f.end && ftruncate(fd, f.end) < 0)
		f.err = -errno;
	return f.err;
}

/* A write-back (ex_push, a staged file's): the first failure, and the
 * holes home could not punch, which get zeros written instead. A staged
 * file's is not waited for (exec.pushing) unless --sync-close: it then
 * has its handle, times and path of its own. */
struct push {
	int err;
	struct push_range { off_t off, len; } *zeros;
	size_t nzeros, cap_zeros;
	bool async, held, zeroed;
	int64_t h;
	bool close_h;             /* H is the push's to close once it is done */
	bool times_set;           /* TIMES go home too (a staged copy's) */
	struct timespec times[2];
	char *guest_path;
	const char *what;         /* "writing the staged file back", ... */
	struct push **slot;       /* the owner's pointer to it, cleared when it is done */
	struct push *next;
};

static void push_check(struct exec *x, struct push *p);

static int reply_errno(const struct rpc_reply *rep)
{
	int64_t native;
	return canon_errno_decode(-rep->result, &native) ? -EIO : (int)-native;
}

/* What the requests of a write-back answered: the first failure. */
static void write_back_done(struct remote *r, void *owner, int64_t bytes, struct rpc_reply *rep, int err)
{
	(void)r;
	struct push *p = owner;
	int e = err;
	if (!e && rep->result < 0)
		e = reply_errno(rep);
	else if (!e && bytes > 0 && rep->result < bytes)
		e = -EIO;   /* a short write-back: the rest did not get home */
	if (e && !p->err)
		p->err = e;
	if (p->async)
		push_check(CONTAINER_OF(r, struct exec, remote), p);
}

/* A hole punched at home (ARG: its offset; its length is the next hole's
 * business, so it is kept in the range list): where home cannot punch,
 * zeros are written instead. */
static void punch_done(struct remote *r, void *owner, int64_t idx, struct rpc_reply *rep, int err)
{
	(void)r;
	struct push *p = owner;
	int e = err ? err : rep->result < 0 ? reply_errno(rep) : 0;
	if (e == -EOPNOTSUPP || e == -ENOSYS || e == -EINVAL)
		p->zeros[idx].len = -p->zeros[idx].len;   /* negative: to be zeroed */
	else if (e && !p->err)
		p->err = e;
	if (p->async)
		push_check(CONTAINER_OF(r, struct exec, remote), p);
}

/* Sends what makes the shadow's file H the SIZE bytes of local FD: a
 * truncate, its data extents (write-behind) and its holes punched, answers
 * to P. */
static void push_send(struct exec *x, int fd, int64_t h, off_t size, struct push *p)
{
	struct remote *r = &x->remote;
	remote_forget_handle(r, h);
	struct rpc_val ta[] = { rpc_int(h), rpc_int(size) };
	remote_send_later(r, RPC_OP_FTRUNCATE, ta, 2, write_back_done, p, 0);
	for (off_t off = 0; !r->lost && !p->err && off < size;) {
		off_t data = lseek(fd, off, SEEK_DATA);
		if (data < 0 && errno != ENXIO) {
			p->err = -errno;
			break;
		}
		if (data < 0 || data > size)
			data = size;
		if (data > off) {
			/* a hole here: home must read zeros there too */
			if (p->nzeros == p->cap_zeros) {
				size_t cap = p->cap_zeros ? 2 * p->cap_zeros : 8;
				struct push_range *n = realloc(p->zeros, cap * sizeof *n);
				if (!n) {
					p->err = -ENOMEM;
					break;
				}
				p->zeros = n;
				p->cap_zeros = cap;
			}
			p->zeros[p->nzeros] = (struct push_range){ off, data - off };
			int64_t mode;
			if (canon_fallocate_mode_encode(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, &mode)) {
				p->zeros[p->nzeros].len = -(data - off);
			} else {
				struct rpc_val fa[] = { rpc_int(h), rpc_int(mode), rpc_int(off), rpc_int(data - off) };
				remote_send_later(r, RPC_OP_FALLOCATE, fa, 4, punch_done, p, (int64_t)p->nzeros);
			}
			p->nzeros++;
			off = data;
			continue;
		}
		off_t hole = lseek(fd, off, SEEK_HOLE);
		if (hole < 0 || hole > size)
			hole = size;
		while (!r->lost && off < hole) {
			size_t want = (size_t)(hole - off) < RPC_MAX_BUF ? (size_t)(hole - off) : RPC_MAX_BUF;
			ssize_t n = pread(fd, x->iobuf, want, off);
			if (n <= 0) {
				if (!p->err)
					p->err = n < 0 ? -errno : -EIO;
				return;
			}
			remote_write_behind(r, h, x->iobuf, (size_t)n, off, write_back_done, p);
			off += n;
		}
	}
}

/* Writes zeros at home where a hole could not be punched. Returns whether
 * any were sent. */
static bool push_zeros(struct exec *x, int64_t h, struct push *p)
{
	bool sent = false;
	memset(x->iobuf, 0, RPC_MAX_BUF);
	for (size_t i = 0; i < p->nzeros && !p->err && !x->remote.lost; i++) {
		if (p->zeros[i].len >= 0)
			continue;
		off_t end = p->zeros[i].off - p->zeros[i].len;
		for (off_t z = p->zeros[i].off; z < end;) {
			size_t len = (size_t)(end - z) < RPC_MAX_BUF ? (size_t)(end - z) : RPC_MAX_BUF;
			remote_write_behind(&x->remote, h, x->iobuf, len, z, write_back_done, p);
			z += (off_t)len;
		}
		p->zeros[i].len = -p->zeros[i].len;
		sent = true;
	}
	return sent;
}

/* Waits for P's requests; returns its first failure. */
static int push_wait(struct exec *x, struct push *p)
{
	remote_wait_owner(&x->remote, p);
	return x->remote.lost ? -EIO : p->err;
}

static void push_free(struct exec *x, struct push *p)
{
	remote_disown(&x->remote, p);
	free(p->zeros);
}

/* Writes local FD's first SIZE bytes over the shadow's file H: its data
 * extents are written, its holes punched at home (zeros written where home
 * cannot punch), so a sparse file stays sparse. */
int ex_push(struct exec *x, int fd, int64_t h, off_t size)
{
	struct push p = { 0 };
	push_send(x, fd, h, size, &p);
	int rc = push_wait(x, &p);
	if (!rc && push_zeros(x, h, &p))
		rc = push_wait(x, &p);
	push_free(x, &p);
	return rc;
}

static void staged_state(int fd, struct timespec *mtime, off_t *size)
{
	struct stat st;
	if (fstat(fd, &st) == 0) {
		*mtime = st.st_mtim;
		*size = st.st_size;
	}
}

/* Sends P's times (the staged copy's) to its file at home. */
static void send_times(struct exec *x, struct push *p)
{
	int64_t ns[2], cat;
	if (p->times_set && !p->err && !canon_utime_nsec_encode(p->times[0].tv_nsec, &ns[0]) &&
	    !canon_utime_nsec_encode(p->times[1].tv_nsec, &ns[1]) && !canon_at_flags_encode(AT_EMPTY_PATH, &cat)) {
		struct rpc_val ua[] = {
			rpc_int(p->h), rpc_str(""), rpc_int(p->times[0].tv_sec), rpc_int(ns[0]),
			rpc_int(p->times[1].tv_sec), rpc_int(ns[1]), rpc_int(cat),
		};
		remote_send_later(&x->remote, RPC_OP_UTIMENS, ua, 7, write_back_done, p, 0);
	}
}

/* A write-back not waited for: once every request is answered (and zeros
 * sent, then answered, where home could not punch), the handle is closed
 * and a failure told. */
static void push_check(struct exec *x, struct push *p)
{
	if (p->held || remote_owner_busy(&x->remote, p))
		return;
	if (!p->err && !p->zeroed && !x->remote.lost) {
		p->zeroed = true;
		p->held = true;
		if (push_zeros(x, p->h, p))
			send_times(x, p);
		p->held = false;
		if (remote_owner_busy(&x->remote, p))
			return;
	}
	if (x->remote.lost && !p->err)
		p->err = -EIO;
	if (p->err) {
		x->unreported++;
		if (ex_tell_losses(x))
			fprintf(x->warn ? x->warn : stderr, "splitrun: %s: %s failed: %s\n",
				p->guest_path ? p->guest_path : "a file", p->what, strerror(-p->err));
	} else {
		x->stats.written_back++;
	}
	if (p->close_h)
		remote_close(&x->remote, p->h, false);
	if (p->slot)
		*p->slot = NULL;
	for (struct push **q = &x->pushing; *q; q = &(*q)->next)
		if (*q == p) {
			*q = p->next;
			break;
		}
	free(p->zeros);
	free(p->guest_path);
	free(p);
}

bool ex_push_later(struct exec *x, int fd, int64_t h, off_t size, const char *guest_path, const char *what,
		   const struct timespec *times, bool close_h, struct push **slot)
{
	struct push *p = calloc(1, sizeof *p);
	if (!p || !(p->guest_path = strdup(guest_path ? guest_path : ""))) {
		free(p);
		return false;
	}
	p->async = p->held = true;
	p->h = h;
	p->close_h = close_h;
	p->what = what;
	if (times) {
		p->times_set = true;
		p->times[0] = times[0];
		p->times[1] = times[1];
	}
	p->next = x->pushing;
	x->pushing = p;
	if (slot) {
		*slot = p;
		p->slot = slot;
	}
	push_send(x, fd, h, size, p);
	send_times(x, p);
	p->held = false;
	push_check(x, p);
	return true;
}

void ex_push_hand_over(struct push *p)
{
	p->close_h = true;
	p->slot = NULL;
}

void ex_settle_closes(struct exec *x)
{
	ex_io_settle_closes(x);
	while (x->pushing) {
		struct push *p = x->pushing;
		if (!remote_owner_busy(&x->remote, p))
			push_check(x, p);   /* done: gone */
		else if (remote_wait_owner(&x->remote, p) < 0)
			break;
	}
}

/* Writes a staged file back if it changed since it was staged: truncate,
 * the bytes, the copy's times, all sent before the answers are awaited. */
static int write_back(struct exec *x, struct vft_object *o)
{
	if (!o->stage_dirty_check || o->placeholder < 0)
		return 0;
	struct stat st;
	if (fstat(o->placeholder, &st) < 0)
		return -errno;
	if (st.st_size == o->staged_size && st.st_mtim.tv_sec == o->staged_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == o->staged_mtime.tv_nsec)
		return 0;
	if (o->handle < 0)
		return -EIO;   /* its home file was lost with a session (exec_lost.c) */
	/* The copy's times go home too: the write-back would otherwise be
	 * the file's last change, not what the guest did or set (and again
	 * after zeros written where home could not punch a hole). */
	struct timespec times[2] = { st.st_atim, st.st_mtim };
	if (!x->sync_close && !x->remote.lost) {
		if (ex_push_later(x, o->placeholder, o->handle, st.st_size, o->guest_path,
				  "writing the staged file back", times, true, NULL)) {
			o->handle = -1;   /* the write-back's now */
			return 0;
		}
	}
	struct push p = { .h = o->handle, .times_set = true, .times = { st.st_atim, st.st_mtim } };
	push_send(x, o->placeholder, o->handle, st.st_size, &p);
	send_times(x, &p);
	int rc = push_wait(x, &p);
	if (!rc && push_zeros(x, o->handle, &p)) {
		send_times(x, &p);
		rc = push_wait(x, &p);
	}
	push_free(x, &p);
	if (!rc)
		x->stats.written_back++;
	return rc;
}

/* A release failed: the guest's close reports it; with no close to report
 * it (an exit, a dup2 over the fd, close-on-exec), it is told here and
 * splitrun's exit status will say data was lost. */
static void release_failed(struct exec *x, const struct vft_object *o, int rc, const char *what)
{
	const struct ex_io *io = o->io;
	if (x->in_close && (x->caps & EXEC_CAN_SEE_EXIT)) {
		x->release_error = rc;
		if (o->method != VFT_STAGE)
			return;
	} else if (io && io->loss_told && rc == -EIO) {
		return;   /* a call of the guest's was told already (EIO) */
	} else {
		x->unreported++;
	}
	if (ex_tell_losses(x))
		fprintf(x->warn ? x->warn : stderr, "splitrun: %s: %s failed: %s\n", o->guest_path, what,
			strerror(-rc));
}

bool ex_tell_losses(const struct exec *x)
{
	/* A guest being stopped for a lost shadow: its one line says it all. */
	return !x->stopped && (x->ending || !exec_lost(x));
}

void ex_release(void *ctx, struct vft_object *o)
{
	struct exec *x = ctx;
	if (o->method == VFT_STAGE) {
		int rc = write_back(x, o);
		if (rc < 0)
			release_failed(x, o, rc, "writing the staged file back");
		if (o->stage_path)
			unlink(o->stage_path);
	}
	if (o->method == VFT_HELD && (o->flags & O_ACCMODE) != O_RDONLY) {
		/* What the guest wrote through it (or a map) goes home now. */
		int rc = ex_held_write_home(x, o, false);
		if (rc < 0)
			release_failed(x, o, rc, "writing the mapped file home");
	}
	/* A file written to is closed once its writes and an FSTAT after them
	 * are answered (the cache learns its new size and times), without
	 * waiting (ex_io_close_later); with --sync-close, or a failure known
	 * already, the FSTAT is waited for and the failure is the close's.
	 * The CLOSE itself is never waited for (a failure of it is told when
	 * it comes), nor is anything of a file only read.
	 * A file made ahead (exec_create.c) waits for its naming the same way;
	 * unwritten, without the FSTAT (a held file's write home, waited
	 * for, came after it). */
	bool wrote = o->io && ((struct ex_io *)o->io)->wrote;
	bool naming = o->io && ((struct ex_io *)o->io)->naming;
	if (!((wrote || naming) && o->handle >= 0 && ex_io_close_later(x, o))) {
		if (wrote && o->handle >= 0)
			remote_fstat_fresh(&x->remote, o->handle);
		int rc = ex_io_settle(x, o);
		if (o->handle >= 0)
			remote_close(&x->remote, o->handle, false);
		if (rc < 0)
			release_failed(x, o, rc, "storing the data written at home");
	}
	bool locked = o->io && ((struct ex_io *)o->io)->locked;
	ex_io_free(x, o);
	if (o->shared)
		ex_placeholder_detach(x, o, locked);
	else if (o->placeholder >= 0)
		close(o->placeholder);
	if (o->desc >= 0)
		close(o->desc);
}

/* A stage open: the file is fetched whole into a private local file and
 * the guest gets that. Returns false when the file is no regular file
 * (it is then used remotely; H stays open and ST describes it). */
static bool stage_open(struct exec_call *c, const struct ex_path *p, int flags, int shadow_flags, int64_t h,
		       const struct stat *st, struct remote_data *first)
{
	struct exec *x = c->x;
	if (!S_ISREG(st->st_mode))
		return false;
	char path[PATH_MAX];
	int fd = ex_stage_file(x, p->guest, path, sizeof path);
	int rc = fd < 0 ? fd : 0;
	if (!rc && !(flags & O_TRUNC))
		rc = ex_fetch(x, h, fd, st->st_size, first);
	/* The guest opens the copy through /proc: its owner bits must let
	 * it (the shadow has checked the real permissions already). */
	if (!rc && fchmod(fd, (st->st_mode & 07777) | 0600) < 0)
		rc = -errno;
	remote_data_free(first);   /* taken by the fetch, unless it did not run */
	struct vft_object *o = rc ? NULL : ex_object_new(x, h, p, flags, shadow_flags, st);
	if (!o) {
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		remote_close(&x->remote, h, false);
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

static void install_opened(struct exec_call *c, struct vft_object *o, int flags, const struct stat *st,
			   struct remote_data *first);
static bool create_made_ahead(struct exec_call *c, const struct ex_path *p, int flags, mode_t mode);

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
	if ((flags & O_CREAT) && create_made_ahead(c, &p, flags, oa.mode))
		return;
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
	/* An open that may read brings the file's first bytes along (a whole
	 * small file; a staged file's first wire buffer). PREAD does not move
	 * the offset and fails on what is no regular file. */
	bool reads = !(flags & (O_PATH | O_DIRECTORY | O_TRUNC)) && (flags & O_ACCMODE) != O_WRONLY &&
		     (flags & O_TMPFILE) != O_TMPFILE;
	size_t first_len = !reads ? 0 : stage ? RPC_MAX_BUF :
			   x->open_reads_unused >= EX_OPEN_READ_UNUSED ? 0 : EX_OPEN_READ;
	struct stat st;
	struct remote_data first;
	int64_t h = remote_open(&x->remote, p.shadow, shadow_flags, oa.mode, c->t->fs->umask, &st, &first,
				first_len);
	if (h < 0) {
		ex_answer(c, h);
		return;
	}
	if (stage && stage_open(c, &p, flags, shadow_flags, h, &st, &first))
		return;
	if (stage)
		c->a->route = ROUTE_REMOTE;
	struct vft_object *o = ex_object_new(x, h, &p, flags, shadow_flags, &st);
	if (!o) {
		remote_data_free(&first);
		remote_close(&x->remote, h, false);
		ex_answer(c, -ENOMEM);
		return;
	}
	install_opened(c, o, flags, &st, &first);
}

/* A create in a directory this run made, of a name known absent: a file
 * made ahead takes the name without a wait (exec_create.c). Returns
 * whether the call was answered. */
static bool create_made_ahead(struct exec_call *c, const struct ex_path *p, int flags, mode_t mode)
{
	struct exec *x = c->x;
	mode_t made = mode & 07777 & ~(c->t->fs->umask & 0777);
	struct stat st;
	struct canon_stat cst;
	int64_t h = ex_create_take(c, p, flags, made, &st, &cst);
	if (h < 0)
		return false;
	/* The shadow's file is open for reading and writing (what a new
	 * session opens it again with); the guest's access mode is checked
	 * here, as for any remote file. */
	struct vft_object *o = ex_object_new(x, h, p, flags, O_RDWR, &st);
	if (!o) {
		remote_close(&x->remote, h, false);
		ex_answer(c, -ENOMEM);
		return true;
	}
	/* Its close waits for the naming, as for written bytes. */
	ex_io_of(o)->naming = true;
	int64_t tag = ex_create_link(x, ex_io_of(o), h, &cst, p->shadow, made);
	if (tag < 0) {
		vft_object_unref(x->vft, o);
		ex_answer(c, tag);
		return true;
	}
	struct remote_data none = { 0 };
	install_opened(c, o, flags, &st, &none);
	return true;
}

/* Gives the guest its fd on O, just opened with FLAGS on the file ST
 * describes (FIRST: the bytes the open brought). */
static void install_opened(struct exec_call *c, struct vft_object *o, int flags, const struct stat *st,
			   struct remote_data *first)
{
	struct exec *x = c->x;
	ex_io_opened(x, o, st, first);
	int rc = ex_placeholder_attach(x, o, st);
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
	c->x->in_close = true;
	vft_fd_close(c->x->vft, c->t, (int)c->arg[0]);
	c->x->in_close = false;
	/* Without exit events the guest's close returns 0: the failure was
	 * reported on stderr, and splitrun's status says data was lost
	 * (docs/limits.md). */
	if (c->x->release_error < 0 && (c->x->caps & EXEC_CAN_SEE_EXIT)) {
		ex_run_then(c, PEND_OVERRIDE);
		c->p->result = c->x->release_error;
		if (!c->a->see_exit)
			ex_answer(c, c->x->release_error);
	} else {
		ex_run(c);
	}
}
