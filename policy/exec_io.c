/* policy/exec_io.c: data through remote fds: read and write in all their
 * forms, lseek, mmap, and the in-kernel copies (sendfile, copy_file_range,
 * splice) when one end is remote. Staged fds are local files, and held ones
 * (exec_map.c) their placeholders: their I/O runs.
 *
 * A remote regular file keeps its offset here (struct ex_io), so that:
 *   - sequential reads are served from readahead: PREADs sent ahead of the
 *     reader, several in flight (their number and size grow while the
 *     reads stay sequential), whose replies are kept without a copy; a
 *     read that finds nothing waits for the PREAD covering it, or sends
 *     one; the first bytes came with the open;
 *   - writes are write-behind (policy/remote.h): queued, sent before any
 *     other request, and their failures kept and given to the next write,
 *     fsync or close of the file; an fsync or a close waits until the
 *     shadow has answered every write of the file;
 *   - a read past the known end of the file is answered here while that
 *     end is fresh (the attribute cache's time).
 * A write drops the readahead of every open of the same file. Files that
 * are not regular (a FIFO at home) and O_SYNC writes go to the shadow one
 * call at a time, at the shadow's own offset. Data moves in chunks of the
 * wire's buffer bound, so a large read of a regular file is not short
 * before its end. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
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
#include <time.h>
#include <unistd.h>

#include "policy/exec_internal.h"
#include "rpc/wire.h"

#define MAX_IOV 1024   /* UIO_MAXIOV */

#define RA_FIRST_SIZE (128u * 1024)   /* the first readahead PREAD */
#define RA_MAX_SIZE RPC_MAX_BUF
#define RA_MAX_WINDOW 16              /* PREADs in flight for one file */
#define RA_TOTAL_MAX (32u << 20)      /* readahead held and in flight, every file */
/* Unless the program said it reads sequentially (posix_fadvise), readahead
 * reaches no further past the reader than this many times what it has read
 * in a row: a program that reads a header (ld.so, file, a 1-byte read) does
 * not fetch the whole file. */
#define RA_REACH_PER_READ 4

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

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the I/O state ---- */

struct ex_io *ex_io_of(struct vft_object *o)
{
	if (!o->io) {
		struct ex_io *io = calloc(1, sizeof *io);
		if (!io)
			return NULL;
		io->obj = o;
		io->eof = -1;
		io->ra_size = RA_FIRST_SIZE;
		io->ra_window = 1;
		o->io = io;
	}
	return o->io;
}

/* Whether O's offset and data are kept here (a remote regular file). */
static bool kept_here(struct vft_object *o)
{
	struct ex_io *io = o->io;
	return io && io->have_id && !o->is_dir && o->method == VFT_REMOTE;
}

static void ra_list_add(struct exec *x, struct ex_io *io)
{
	if (!io->on_ra_list) {
		io->next_ra = x->ra_list;
		x->ra_list = io;
		io->on_ra_list = true;
	}
}

static void ra_list_remove(struct exec *x, struct ex_io *io)
{
	for (struct ex_io **p = &x->ra_list; *p; p = &(*p)->next_ra)
		if (*p == io) {
			*p = io->next_ra;
			break;
		}
	io->on_ra_list = false;
}

/* Drops IO's readahead: kept chunks and PREADs in flight (their replies
 * will be thrown away). */
static void ra_drop(struct exec *x, struct ex_io *io)
{
	for (size_t k = 0; k < io->nchunks; k++) {
		x->ra_bytes -= io->chunk[k].len;
		remote_data_free(&io->chunk[k]);
	}
	io->nchunks = 0;
	if (io->npending) {
		remote_disown(&x->remote, io->pending);
		for (size_t k = 0; k < io->npending; k++)
			x->ra_bytes -= io->pending[k].len;
		io->npending = 0;
	}
	io->ra_next = 0;
	io->eof = -1;
	ra_list_remove(x, io);
}

void ex_io_file_changed(struct exec *x, struct vft_object *o)
{
	struct ex_io *io = o ? o->io : NULL;
	for (struct ex_io *r = x->ra_list, *next; r; r = next) {
		next = r->next_ra;
		if (!o || r == io || (io && io->have_id && r->have_id && r->dev == io->dev && r->ino == io->ino))
			ra_drop(x, r);
	}
	if (io)
		io->eof = -1;
}

void ex_io_opened(struct exec *x, struct vft_object *o, const struct stat *st, struct remote_data *first)
{
	struct ex_io *io = ex_io_of(o);
	if (!io || !S_ISREG(st->st_mode)) {
		if (first)
			remote_data_free(first);
		return;
	}
	io->have_id = true;
	io->dev = st->st_dev;
	io->ino = st->st_ino;
	/* The size the open saw is the end of the file for as long as an
	 * attribute is believed (close-to-open): reads there end here. */
	io->eof = st->st_size;
	io->eof_ns = now_ns();
	ra_list_add(x, io);
	if (first && first->rep.frame) {
		io->chunk[0] = *first;
		memset(first, 0, sizeof *first);
		io->nchunks = 1;
		io->open_brought_data = true;
		x->ra_bytes += io->chunk[0].len;
		io->ra_next = (int64_t)io->chunk[0].len;
		if (io->chunk[0].eof) {
			io->eof = (int64_t)io->chunk[0].len;
			io->eof_ns = now_ns();
		}
	}
}

int64_t ex_io_pos(struct exec *x, struct vft_object *o)
{
	if (!kept_here(o))
		return remote_lseek(&x->remote, o->handle, 0, SEEK_CUR);
	struct ex_io *io = o->io;
	if (io->pos_at_shadow) {
		int64_t pos = remote_lseek(&x->remote, o->handle, 0, SEEK_CUR);
		if (pos < 0)
			return pos;
		io->pos = pos;
		io->pos_at_shadow = false;
	}
	return io->pos;
}

void ex_io_set_pos(struct exec *x, struct vft_object *o, int64_t pos)
{
	if (!kept_here(o)) {
		remote_lseek(&x->remote, o->handle, pos, SEEK_SET);
		return;
	}
	struct ex_io *io = o->io;
	io->pos = pos;
	io->pos_at_shadow = false;
}

#define CONTAINER_OF(p, type, field) ((type *)(void *)((char *)(p) - offsetof(type, field)))

static void closing_check(struct exec *x, struct ex_io *io);

static void wb_done(struct remote *r, void *owner, int64_t bytes, struct rpc_reply *rep, int err)
{
	struct ex_io *io = owner;
	if (err)
		io->lost_writes = true;   /* the shadow was lost before it answered: stored or not, none can tell */
	int e = err ? err : rep->result < 0 ? 0 : rep->result < bytes ? -EIO : 0;
	if (!err && rep->result < 0) {
		int64_t native;
		e = canon_errno_decode(-rep->result, &native) ? -EIO : (int)-native;
	}
	if (e && !io->wb_error)
		io->wb_error = e;
	if (io->closing)
		closing_check(CONTAINER_OF(r, struct exec, remote), io);
}

void ex_io_create_done(struct remote *r, void *owner, int64_t arg, struct rpc_reply *rep, int err)
{
	(void)arg;
	struct ex_io *io = owner;
	if (!err && rep->result < 0 && !io->create_error) {
		int64_t native;
		io->create_error = canon_errno_decode(-rep->result, &native) ? -EIO : (int)-native;
	}
	wb_done(r, owner, 0, rep, err);
}

/* ---- closes not waited for ---- */

/* A file closed with writes on its way: once none is left, its handle is
 * closed and a failure told. */
static void closing_check(struct exec *x, struct ex_io *io)
{
	if (io->closing_held || remote_owner_busy(&x->remote, io))
		return;
	int e = io->wb_error ? io->wb_error : io->lost_writes ? -EIO : 0;
	if (e) {
		x->unreported++;
		if (ex_tell_losses(x))
			fprintf(x->warn ? x->warn : stderr, "splitrun: %s: storing the data written at home failed: %s\n",
				io->closing_path ? io->closing_path : "a file", strerror(-e));
	}
	remote_close(&x->remote, io->closing_h, false);
	for (struct ex_io **p = &x->closing; *p; p = &(*p)->next_closing)
		if (*p == io) {
			*p = io->next_closing;
			break;
		}
	free(io->closing_path);
	free(io);
}

static void closing_fstat_done(struct remote *r, void *owner, int64_t h, struct rpc_reply *rep, int err)
{
	struct ex_io *io = owner;
	if (!err)
		remote_fstat_reply(r, h, rep);
	closing_check(CONTAINER_OF(r, struct exec, remote), io);
}

bool ex_io_close_later(struct exec *x, struct vft_object *o)
{
	struct ex_io *io = o->io;
	if (x->sync_close || !io || !(io->wrote || io->naming) || io->wb_error || io->lost_writes || io->broken || io->reopen_due ||
	    !kept_here(o) || o->handle < 0 || x->remote.lost)
		return false;
	char *path = strdup(o->guest_path ? o->guest_path : "");
	if (!path)
		return false;
	ra_drop(x, io);
	remote_dirents_free(&io->dents);
	ex_live_remove(x, io);   /* no object's any more: nothing to open again */
	io->obj = NULL;
	io->closing = true;
	io->closing_h = o->handle;
	io->closing_path = path;
	io->next_closing = x->closing;
	x->closing = io;
	o->io = NULL;
	o->handle = -1;
	/* After the writes (the write-behind buffer goes out first). While
	 * it is sent, replies (or the shadow lost) may answer every write:
	 * IO stays until the send is done. */
	struct rpc_val a[] = { rpc_int(io->closing_h) };
	io->closing_held = true;
	remote_send_later(&x->remote, RPC_OP_FSTAT, a, 1, closing_fstat_done, io, io->closing_h);
	io->closing_held = false;
	closing_check(x, io);
	return true;
}

void ex_io_settle_closes(struct exec *x)
{
	while (x->closing) {
		struct ex_io *io = x->closing;
		if (!remote_owner_busy(&x->remote, io))
			closing_check(x, io);   /* nothing left on its way: gone */
		else if (remote_wait_owner(&x->remote, io) < 0)
			break;   /* lost: every one has been told */
	}
}

int ex_io_settle(struct exec *x, struct vft_object *o)
{
	struct ex_io *io = o->io;
	if (!io)
		return 0;
	ra_drop(x, io);
	if (io->wrote || io->naming)
		remote_wait_owner(&x->remote, io);
	/* Not told yet: the caller's release tells it, or counts it lost. */
	int e = io->wb_error;
	io->wb_error = io->create_error;
	return io->lost_writes ? -EIO : e;
}

int ex_io_take_error(struct ex_io *io)
{
	int e = io->wb_error;
	io->wb_error = io->create_error;   /* a file never named stays unusable */
	if (e && io->lost_writes)
		io->loss_told = true;
	return e;
}

void ex_io_free(struct exec *x, struct vft_object *o)
{
	struct ex_io *io = o->io;
	if (!io)
		return;
	if (io->guest_read)
		x->open_reads_unused = 0;
	else if (io->open_brought_data && x->open_reads_unused < EX_OPEN_READ_UNUSED)
		x->open_reads_unused++;
	ra_drop(x, io);
	remote_disown(&x->remote, io);
	remote_dirents_free(&io->dents);
	ex_live_remove(x, io);
	free(io);
	o->io = NULL;
}

/* ---- readahead ---- */

void ex_io_sequential(struct exec *x, struct vft_object *o)
{
	(void)x;
	if (!kept_here(o))
		return;
	struct ex_io *io = o->io;
	io->told_sequential = true;
	if (io->ra_window < RA_MAX_WINDOW / 2)
		io->ra_window = RA_MAX_WINDOW / 2;
	io->ra_size = RA_MAX_SIZE;
}

static void ra_done(struct remote *r, void *owner, int64_t off, struct rpc_reply *rep, int err)
{
	struct exec *x = CONTAINER_OF(r, struct exec, remote);
	struct ex_io *io = CONTAINER_OF(owner, struct ex_io, pending);
	size_t k = 0;
	while (k < io->npending && io->pending[k].off != off)
		k++;
	if (k == io->npending)
		return;
	size_t asked = io->pending[k].len;
	memmove(&io->pending[k], &io->pending[k + 1], (io->npending - k - 1) * sizeof io->pending[k]);
	io->npending--;
	x->ra_bytes -= asked;
	if (err || io->nchunks == EX_RA_SLOTS)
		return;
	struct remote_data d;
	if (remote_data_from(&d, rep, asked, off) < 0)
		return;
	if (d.eof) {
		io->eof = off + (int64_t)d.len;
		io->eof_ns = now_ns();
	}
	if (d.len == 0) {
		remote_data_free(&d);
		return;
	}
	size_t at = io->nchunks;
	while (at > 0 && io->chunk[at - 1].off > off)
		at--;
	memmove(&io->chunk[at + 1], &io->chunk[at], (io->nchunks - at) * sizeof io->chunk[0]);
	io->chunk[at] = d;
	io->nchunks++;
	x->ra_bytes += d.len;
}

static bool eof_fresh(const struct exec *x, const struct ex_io *io)
{
	return io->eof >= 0 && now_ns() - io->eof_ns <= x->attr_ttl_ns;
}

bool ex_io_known_empty(struct exec *x, struct vft_object *o)
{
	struct ex_io *io = o->io;
	return kept_here(o) && !io->wrote && io->eof == 0 && eof_fresh(x, io);
}

static struct remote_data *chunk_at(struct ex_io *io, int64_t p)
{
	for (size_t k = 0; k < io->nchunks; k++)
		if (io->chunk[k].off <= p && p < io->chunk[k].off + (int64_t)io->chunk[k].len)
			return &io->chunk[k];
	return NULL;
}

static int64_t pending_at(const struct ex_io *io, int64_t p)
{
	for (size_t k = 0; k < io->npending; k++)
		if (io->pending[k].off <= p && p < io->pending[k].off + (int64_t)io->pending[k].len)
			return io->pending[k].tag;
	return 0;
}

/* Drops the chunks that end at or before P (read already). */
static void chunks_consumed(struct exec *x, struct ex_io *io, int64_t p)
{
	size_t keep = 0;
	for (size_t k = 0; k < io->nchunks; k++) {
		if (io->chunk[k].off + (int64_t)io->chunk[k].len <= p) {
			x->ra_bytes -= io->chunk[k].len;
			remote_data_free(&io->chunk[k]);
		} else {
			io->chunk[keep++] = io->chunk[k];
		}
	}
	io->nchunks = keep;
}

/* Sends a PREAD of LEN bytes at OFF whose reply becomes a chunk. Returns
 * its tag, or 0 when it cannot (no slot, the shadow lost). */
static int64_t ra_send(struct exec *x, struct vft_object *o, struct ex_io *io, int64_t off, size_t len)
{
	if (io->npending + io->nchunks >= EX_RA_SLOTS)
		return 0;
	/* In the table first: the reply may be handled before the send
	 * returns (with no memory to keep it for later). */
	size_t k = io->npending++;
	io->pending[k] = (struct ex_ra_pending){ 0, off, len };
	x->ra_bytes += len;
	struct rpc_val a[] = { rpc_int(o->handle), rpc_int((int64_t)len), rpc_int(off) };
	int64_t tag = remote_send_later(&x->remote, RPC_OP_PREAD, a, 3, ra_done, io->pending, off);
	for (k = 0; k < io->npending && io->pending[k].off != off; k++)
		;
	if (k < io->npending) {
		if (tag > 0) {
			io->pending[k].tag = tag;
		} else {
			x->ra_bytes -= len;
			memmove(&io->pending[k], &io->pending[k + 1], (io->npending - k - 1) * sizeof io->pending[k]);
			io->npending--;
		}
	}
	if (tag <= 0)
		return 0;
	if (off + (int64_t)len > io->ra_next)
		io->ra_next = off + (int64_t)len;
	ra_list_add(x, io);
	return tag;
}

/* Bytes asked for ahead of the readers, every file. */
static size_t ahead_total(const struct exec *x)
{
	size_t n = 0;
	for (const struct ex_io *io = x->ra_list; io; io = io->next_ra)
		if (io->ra_next > io->last_end)
			n += (size_t)(io->ra_next - io->last_end);
	return n;
}

/* Keeps the window ahead of a sequential reader at P full: ra_window PREADs
 * of ra_size bytes, not past the known end of the file, within the bound
 * for every file. What is sent depends on the reads alone (not on when
 * replies came), so that round trips count the same on any link. */
static void ra_top_up(struct exec *x, struct vft_object *o, struct ex_io *io, int64_t p)
{
	if (io->ra_next < p)
		io->ra_next = p;
	int64_t end = io->eof >= 0 ? io->eof : INT64_MAX;
	size_t total = ahead_total(x);
	size_t reach = io->ra_window * io->ra_size;
	if (!io->told_sequential && reach / RA_REACH_PER_READ > io->seq_bytes)
		reach = (size_t)io->seq_bytes * RA_REACH_PER_READ;
	while ((size_t)(io->ra_next - p) < reach && total + io->ra_size <= RA_TOTAL_MAX &&
	       io->ra_next < end && !x->remote.lost) {
		size_t len = io->ra_size < reach ? io->ra_size : reach;
		if (!ra_send(x, o, io, io->ra_next, len))
			break;
		total += len;
	}
}

/* Where read data goes: guest memory or a buffer of the tracer's. */
typedef int sink_fn(void *ctx, size_t done, const uint8_t *p, size_t n);

/* Reads up to COUNT bytes of O (kept here) at OFF into SINK. Returns the
 * bytes read, or -errno when none were. */
static int64_t io_read(struct exec *x, struct vft_object *o, uint64_t count, int64_t off, sink_fn *sink, void *ctx)
{
	struct ex_io *io = o->io;
	bool seq = off == io->last_end;
	uint64_t done = 0;
	if (count) {
		io->guest_read = true;
		x->open_reads_unused = 0;
	}
	int64_t err = 0;
	while (done < count && !err) {
		int64_t p = off + (int64_t)done;
		struct remote_data *ch = chunk_at(io, p);
		if (ch) {
			/* Bytes a PREAD brought are a wait spared, or not: counted
			 * by its request (struct rpc_stats). */
			rpc_note_wait(x->remote.conn, ch->tag);
			size_t at = (size_t)(p - ch->off);
			size_t n = ch->len - at < count - done ? ch->len - at : (size_t)(count - done);
			if (sink(ctx, done, ch->p + at, n) < 0)
				err = -EFAULT;
			else
				done += n;
			continue;
		}
		if (eof_fresh(x, io) && p >= io->eof)
			break;
		int64_t tag = pending_at(io, p);
		if (!tag) {
			if (x->ra_bytes > RA_TOTAL_MAX || io->npending + io->nchunks >= EX_RA_SLOTS)
				ex_io_file_changed(x, NULL);   /* memory or slots: start over */
			size_t want = count - done < RA_MAX_SIZE ? (size_t)(count - done) : RA_MAX_SIZE;
			if (seq && want < io->ra_size)
				want = io->ra_size;
			tag = ra_send(x, o, io, p, want);
			if (seq)
				ra_top_up(x, o, io, p + (int64_t)want);
		}
		if (tag) {
			if (remote_wait_tag(&x->remote, tag) < 0)
				err = -EIO;
			else if (chunk_at(io, p) || (eof_fresh(x, io) && p >= io->eof))
				continue;
		}
		if (err)
			break;
		/* No chunk came (the PREAD failed): once more, waited for, to
		 * learn why. */
		size_t want = count - done < RPC_MAX_BUF ? (size_t)(count - done) : RPC_MAX_BUF;
		int64_t n = remote_read(&x->remote, o->handle, x->iobuf, want, p);
		if (n < 0)
			err = n;
		else if (n == 0)
			break;
		else if (sink(ctx, done, x->iobuf, (size_t)n) < 0)
			err = -EFAULT;
		else
			done += (uint64_t)n;
		if (n >= 0 && (size_t)n < want)
			break;
	}
	io->last_end = off + (int64_t)done;
	io->seq_bytes = seq ? io->seq_bytes + done : done;
	if (seq && done) {
		/* Each sequential read widens the window (by the reads alone,
		 * not by when replies came, so that round trips are counted
		 * the same on any link). */
		chunks_consumed(x, io, io->last_end);
		io->ra_window = io->ra_window * 4 < RA_MAX_WINDOW ? io->ra_window * 4 : RA_MAX_WINDOW;
		io->ra_size = io->ra_size * 4 < RA_MAX_SIZE ? io->ra_size * 4 : RA_MAX_SIZE;
		ra_top_up(x, o, io, io->last_end);
	}
	return done ? (int64_t)done : err;
}

/* Writes N bytes of BUF to O (kept here) at OFF (-1: at its offset, which
 * moves). Returns N or -errno. */
static int64_t io_write(struct exec *x, struct vft_object *o, const void *buf, size_t n, int64_t off)
{
	struct ex_io *io = o->io;
	bool append = (o->flags & O_APPEND) != 0, positional = off >= 0;
	ex_io_file_changed(x, o);
	io->wrote = true;
	if (!positional && append && !o->shadow_append) {
		/* O_APPEND set with F_SETFL after the open: the shadow's file
		 * was not opened appending. */
		int64_t end = remote_lseek(&x->remote, o->handle, 0, SEEK_END);
		int64_t w = end < 0 ? end : remote_write(&x->remote, o->handle, buf, n, -1);
		if (w >= 0)
			io->pos_at_shadow = true;
		return w;
	}
	int64_t at = positional ? off : append ? -1 : io->pos;
	if (!positional && !append && io->pos_at_shadow) {
		at = ex_io_pos(x, o);
		if (at < 0)
			return at;
	}
	int64_t w;
	if (o->flags & O_DSYNC)   /* O_SYNC too: each write reaches home before it returns */
		w = remote_write(&x->remote, o->handle, buf, n, at);
	else
		w = remote_write_behind(&x->remote, o->handle, buf, n, at, wb_done, io);
	if (w > 0 && !positional) {
		if (append)
			io->pos_at_shadow = true;
		else
			io->pos += w;
	}
	return w;
}

/* ---- the calls ---- */

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

struct guest_sink {
	struct exec_call *c;
	uint64_t addr;
};

static int to_guest(void *ctx, size_t done, const uint8_t *p, size_t n)
{
	struct guest_sink *g = ctx;
	return ex_write_mem(g->c, g->addr + done, p, n);
}

/* Reads up to COUNT bytes of O (at OFF, or its offset if OFF < 0) into the
 * guest at BUF. Returns bytes read or -errno (if nothing was). */
static int64_t read_to_guest(struct exec_call *c, struct vft_object *o, uint64_t buf, uint64_t count, int64_t off)
{
	struct exec *x = c->x;
	if (kept_here(o)) {
		int64_t at = off >= 0 ? off : ex_io_pos(x, o);
		if (at < 0)
			return at;
		struct guest_sink g = { c, buf };
		int64_t n = io_read(x, o, count, at, to_guest, &g);
		if (n > 0 && off < 0)
			((struct ex_io *)o->io)->pos = at + n;
		return n;
	}
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
		int64_t at = off < 0 ? -1 : off + (int64_t)done;
		int64_t n = kept_here(o) ? io_write(x, o, x->iobuf, chunk, at)
					 : remote_write(&x->remote, o->handle, x->iobuf, chunk, at);
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
	if (writing && kept_here(o)) {
		/* A write-behind that failed: this write reports it. */
		struct ex_io *io = o->io;
		remote_poll(&c->x->remote);
		if (io->wb_error) {
			ex_answer(c, ex_io_take_error(io));
			return false;
		}
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
	if (!kept_here(o) && off < 0 && (o->flags & O_APPEND) && !(o->shadow_append)) {
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
	struct exec *x = c->x;
	struct vft_object *o = remote_fd(c, 0);
	if (!o)
		return;
	if (o->flags & O_PATH) {
		ex_answer(c, -EBADF);
		return;
	}
	int64_t off = (int64_t)c->arg[1];
	int whence = (int)c->arg[2];
	if (o->is_dir) {
		ex_answer(c, ex_dir_seek(x, o, off, whence));
		return;
	}
	if (!kept_here(o)) {
		ex_answer(c, remote_lseek(&x->remote, o->handle, off, whence));
		return;
	}
	/* The offset is kept here; the end of the file, its holes and its
	 * data are the shadow's to tell (after the writes queued before). */
	struct ex_io *io = o->io;
	int64_t pos;
	switch (whence) {
	case SEEK_SET:
		pos = off;
		break;
	case SEEK_CUR:
		pos = ex_io_pos(x, o);
		if (pos < 0) {
			ex_answer(c, pos);
			return;
		}
		if (off > 0 && pos > INT64_MAX - off) {
			ex_answer(c, -EOVERFLOW);
			return;
		}
		pos += off;
		break;
	default:
		pos = remote_lseek(&x->remote, o->handle, off, whence);
		if (pos < 0) {
			ex_answer(c, pos);
			return;
		}
		break;
	}
	if (pos < 0) {
		ex_answer(c, -EINVAL);
		return;
	}
	io->pos = pos;
	io->pos_at_shadow = false;
	ex_answer(c, pos);
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

static int to_buffer(void *ctx, size_t done, const uint8_t *p, size_t n)
{
	memcpy((uint8_t *)ctx + done, p, n);
	return 0;
}

/* Reads up to N (<= RPC_MAX_BUF) bytes of remote IN at *AT (AT NULL: at its
 * own offset, which does not move yet) into the I/O buffer. */
static int64_t remote_in(struct exec *x, struct vft_object *in, const int64_t *at, size_t n)
{
	if (!kept_here(in))
		return remote_read(&x->remote, in->handle, x->iobuf, n, at ? *at : -1);
	int64_t p = at ? *at : ex_io_pos(x, in);
	return p < 0 ? p : io_read(x, in, n, p, to_buffer, x->iobuf);
}

/* N bytes of IN were copied on: the offset used moves. TAKEN is what
 * remote_in read: a shadow offset moved by more is put back. */
static void remote_in_used(struct exec *x, struct vft_object *in, int64_t *at, int64_t taken, int64_t n)
{
	if (at)
		*at += n;
	else if (kept_here(in))
		((struct ex_io *)in->io)->pos += n;
	else if (taken > n)
		remote_lseek(&x->remote, in->handle, n - taken, SEEK_CUR);
}

/* Writes N bytes of the I/O buffer to remote OUT at *AT (NULL: at its own
 * offset, which moves), *AT moving too. */
static int64_t remote_out(struct exec *x, struct vft_object *out, int64_t *at, size_t n)
{
	int64_t w = kept_here(out) ? io_write(x, out, x->iobuf, n, at ? *at : -1)
				   : remote_write(&x->remote, out->handle, x->iobuf, n, at ? *at : -1);
	if (w > 0 && at)
		*at += w;
	return w;
}

/* Copies up to LEN bytes from remote IN (at *OFF_IN, or its own offset when
 * OFF_IN is NULL) to local file LFD at LOFF. Returns bytes copied or -errno. */
static int64_t remote_to_local(struct exec *x, struct vft_object *in, int64_t *off_in, int lfd, int64_t loff,
			       uint64_t len)
{
	uint64_t done = 0;
	while (done < len) {
		size_t chunk = len - done < RPC_MAX_BUF ? (size_t)(len - done) : RPC_MAX_BUF;
		int64_t n = remote_in(x, in, off_in, chunk);
		if (n <= 0) {
			if (n < 0 && !done)
				return n;
			break;
		}
		/* LOFF < 0: the file's own offset (and O_APPEND) */
		ssize_t w = loff < 0 ? write(lfd, x->iobuf, (size_t)n) : pwrite(lfd, x->iobuf, (size_t)n, loff + (int64_t)done);
		remote_in_used(x, in, off_in, n, w < 0 ? 0 : w);
		if (w < 0)
			return done ? (int64_t)done : -errno;
		done += (uint64_t)w;
		if (w < n || (size_t)n < chunk)
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
		int64_t w = remote_out(x, out, off_out, (size_t)n);
		if (w < 0)
			return done ? (int64_t)done : w;
		done += (uint64_t)w;
		if (w < n)
			break;
	}
	return (int64_t)done;
}

/* Remote to remote through the tracer: from readahead into write-behind,
 * or when the shadow's copy_file_range refused (different file systems at
 * home, say). */
static int64_t remote_to_remote(struct exec *x, struct vft_object *in, int64_t *off_in, struct vft_object *out,
				int64_t *off_out, uint64_t len)
{
	uint64_t done = 0;
	while (done < len) {
		size_t chunk = len - done < RPC_MAX_BUF ? (size_t)(len - done) : RPC_MAX_BUF;
		int64_t n = remote_in(x, in, off_in, chunk);
		if (n <= 0) {
			if (n < 0 && !done)
				return n;
			break;
		}
		int64_t w = remote_out(x, out, off_out, (size_t)n);
		remote_in_used(x, in, off_in, n, w < 0 ? 0 : w);
		if (w < 0)
			return done ? (int64_t)done : w;
		done += (uint64_t)w;
		if (w < n || (size_t)n < chunk)
			break;
	}
	return (int64_t)done;
}

/* Whether the next bytes of remote IN (at AT, or its offset) are here
 * already, or known not to exist: a copy from it then costs no round trip
 * through the tracer, where the shadow's own copy would cost one. */
static bool in_hand(struct exec *x, struct vft_object *in, const int64_t *at)
{
	if (!kept_here(in))
		return false;
	struct ex_io *io = in->io;
	int64_t p = at ? *at : io->pos_at_shadow ? -1 : io->pos;
	return p >= 0 && (chunk_at(io, p) || (eof_fresh(x, io) && p >= io->eof));
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
	if (out && kept_here(out) && ((struct ex_io *)out->io)->wb_error) {
		/* A write-behind that failed: this write reports it. */
		ex_answer(c, ex_io_take_error(out->io));
		return;
	}
	if (in && out && in_hand(x, in, pin)) {
		n = remote_to_remote(x, in, pin, out, pout, len);
	} else if (in && out) {
		/* The shadow copies: at the offsets kept here, which then move. */
		int64_t at_in = pin ? *pin : kept_here(in) ? ex_io_pos(x, in) : -1;
		int64_t at_out = pout ? *pout : kept_here(out) && !(out->flags & O_APPEND) ? ex_io_pos(x, out) : -1;
		n = at_in < -1 ? at_in : at_out < -1 ? at_out : 0;
		if (n == 0) {
			if (kept_here(out))
				ex_io_file_changed(x, out);
			n = remote_copy_range(&x->remote, in->handle, at_in, out->handle, at_out,
					      len > RPC_MAX_BUF ? RPC_MAX_BUF : (size_t)len, 0);
		}
		if (n >= 0) {
			if (pin)
				*pin += n;
			else if (kept_here(in))
				((struct ex_io *)in->io)->pos += n;
			if (pout)
				*pout += n;
			else if (kept_here(out) && at_out >= 0)
				((struct ex_io *)out->io)->pos += n;
			else if (kept_here(out))
				((struct ex_io *)out->io)->pos_at_shadow = true;
			if (kept_here(out))
				((struct ex_io *)out->io)->wrote = true;
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
	int64_t n = max ? remote_in(x, in, NULL, max) : 0;
	if (n <= 0) {
		close(out);
		ex_answer(c, n);
		return;
	}
	ssize_t w = S_ISSOCK(st.st_mode) ? send(out, x->iobuf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL)
					 : write(out, x->iobuf, (size_t)n);
	int err = errno;
	close(out);
	remote_in_used(x, in, NULL, n, w < 0 ? 0 : w);
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
		int64_t pos = ex_io_pos(c->x, in);
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
		int64_t pos = ex_io_pos(c->x, in);
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
		res = remote_out(c->x, out, pout, (size_t)n);
		if (res > 0 && pout && ex_write_mem(c, c->arg[3], pout, sizeof *pout) < 0)
			res = -EFAULT;
	}
	ex_answer(c, res);
}
