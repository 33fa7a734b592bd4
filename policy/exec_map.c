/* policy/exec_map.c: placeholders, and remote files mapped shared and
 * writable.
 *
 * A remote fd is, in the guest, an fd on a memfd placeholder. There is one
 * placeholder per home file (its device and inode at the shadow), shared
 * by every open of that file in the guest, so that the file mapped in two
 * processes is one memory here as it is at home. A map fills it with the
 * file's bytes first.
 *
 * A shared writable map of a remote file makes its placeholder hold the
 * file ("held"): filled once more, it is from then on what every open of
 * the file in the guest reads and writes, natively (VFT_HELD objects; locks
 * still go to the shadow, where those taken before were). It is written
 * home through a handle of its own at msync, at fsync, when an open of it
 * closes, and, once no open is left, when no process maps it any more (a
 * process exits or execs) or splitrun ends. Meanwhile home does not see
 * the changes: programs there that use the file at the same time are not
 * coherent with it (docs/limits.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "policy/exec_internal.h"
#include "rpc/wire.h"

struct ex_placeholder {
	struct ex_placeholder *next;
	dev_t dev;                /* the home file, as the shadow's fstat gives it */
	ino_t ino;
	int fd;                   /* the memfd */
	dev_t memfd_dev;          /* how /proc/PID/maps names the memfd */
	ino_t memfd_ino;
	int users;                /* objects on it */
	bool held;
	bool writable;            /* held: some open of it may write (else nothing goes home) */
	bool mapped_ever;         /* held: a shared writable map was made of it */
	off_t pushed_size;        /* held: the memfd as it was fetched or last written home */
	struct timespec pushed_mtime;
	int64_t handle;           /* held: the shadow handle written back through */
	struct held_dup *dup;     /* the DUP that gives HANDLE, on its way, or NULL */
	struct push *push;        /* a write home on its way (exec_file.c), or NULL */
	struct vft_object *dup_of; /* the object whose handle HANDLE is a DUP of (its open
				   * file's locks are let go when that object goes) */
	char *guest_path;         /* for messages */
};

/* ---- the placeholders of the guest's remote files ---- */

int ex_placeholder_attach(struct exec *x, struct vft_object *o, const struct stat *st)
{
	struct ex_placeholder *ph;
	for (ph = x->placeholders; ph; ph = ph->next)
		if (ph->dev == st->st_dev && ph->ino == st->st_ino)
			break;
	if (!ph) {
		ph = calloc(1, sizeof *ph);
		char name[250];
		snprintf(name, sizeof name, "splitrun:%s", o->guest_path);
		int fd = ph ? memfd_create(name, MFD_CLOEXEC) : -1;
		struct stat mst;
		if (fd < 0 || fstat(fd, &mst) < 0 || !(ph->guest_path = strdup(o->guest_path))) {
			int err = ph ? errno : ENOMEM;
			if (fd >= 0)
				close(fd);
			free(ph);
			return -err;
		}
		ph->dev = st->st_dev;
		ph->ino = st->st_ino;
		ph->fd = fd;
		ph->memfd_dev = mst.st_dev;
		ph->memfd_ino = mst.st_ino;
		ph->handle = -1;
		ph->next = x->placeholders;
		x->placeholders = ph;
	}
	ph->users++;
	o->shared = ph;
	o->placeholder = ph->fd;
	if (ph->held) {
		o->method = VFT_HELD;
		o->filled = true;
	}
	return 0;
}

bool ex_placeholder_held(const struct vft_object *o)
{
	return o->shared && o->shared->held;
}

void ex_placeholder_mapped(struct vft_object *o)
{
	if (o->shared && o->shared->held)
		o->shared->mapped_ever = true;
}

/* A DUP for a held file's handle, not waited for. */
struct held_dup {
	struct ex_placeholder *ph;   /* NULL: the placeholder went first (the new handle is closed) */
	int64_t from;                /* the handle it DUPs */
	int64_t tag;
};

/* PH's handle, once the DUP that gives it is answered. */
static int64_t ph_handle(struct exec *x, struct ex_placeholder *ph)
{
	if (ph->dup)
		remote_wait_tag(&x->remote, ph->dup->tag);
	return ph->handle;
}

static void dup_done(struct remote *r, void *owner, int64_t arg, struct rpc_reply *rep, int err)
{
	(void)arg;
	struct held_dup *d = owner;
	bool ok = !err && rep->result >= 0;
	if (d->ph) {
		d->ph->dup = NULL;
		if (ok) {
			d->ph->handle = rep->result;
			remote_dup_reply(r, d->from, rep);
		}
	} else if (ok) {
		remote_close(r, rep->result, false);
	}
	free(d);
}

static void placeholder_free(struct exec *x, struct ex_placeholder *ph)
{
	if (ph->dup) {
		ph->dup->ph = NULL;   /* its answer closes what it opened */
		ph->dup = NULL;
	}
	if (ph->push) {
		/* Its write home is still on its way through the handle. */
		ex_push_hand_over(ph->push);
		ph->push = NULL;
		ph->handle = -1;
	}
	for (struct ex_placeholder **pp = &x->placeholders; *pp; pp = &(*pp)->next)
		if (*pp == ph) {
			*pp = ph->next;
			break;
		}
	if (ph->held)
		x->held_count--;
	if (ph->handle >= 0)
		remote_close(&x->remote, ph->handle, false);
	close(ph->fd);
	free(ph->guest_path);
	free(ph);
}

/* Fetches the home file's bytes into the memfd. Written over what is there
 * and cut to size at the end (not emptied first), so that maps of it that
 * already exist see no hole meanwhile. */
static int fetch_into(struct exec *x, int64_t h, int fd, struct stat *st)
{
	int64_t rc = remote_fstat(&x->remote, h, st);
	if (rc == 0)
		rc = ex_fetch(x, h, fd, st->st_size, NULL);
	if (rc == 0 && ftruncate(fd, st->st_size) < 0)
		rc = -errno;
	return (int)rc;
}

int ex_fill_placeholder(struct exec *x, struct vft_object *o)
{
	if (o->filled || o->method != VFT_REMOTE)
		return 0;
	if (o->placeholder < 0)
		return -EBADF;
	struct stat st;
	int rc = fetch_into(x, o->handle, o->placeholder, &st);
	if (rc == 0)
		o->filled = true;
	return rc;
}

void ex_held_stat(struct exec *x, struct stat *st, struct statx *stx)
{
	if (!x->held_count)
		return;
	dev_t dev = st ? st->st_dev : makedev(stx->stx_dev_major, stx->stx_dev_minor);
	ino_t ino = st ? st->st_ino : stx->stx_ino;
	struct ex_placeholder *ph;
	for (ph = x->placeholders; ph; ph = ph->next)
		if (ph->held && ph->dev == dev && ph->ino == ino)
			break;
	struct stat m;
	if (!ph || fstat(ph->fd, &m) < 0)
		return;
	/* What was written here is newer than home's time, if it is later. */
	if (st) {
		st->st_size = m.st_size;
		st->st_blocks = m.st_blocks;
		if (m.st_mtim.tv_sec > st->st_mtim.tv_sec ||
		    (m.st_mtim.tv_sec == st->st_mtim.tv_sec && m.st_mtim.tv_nsec > st->st_mtim.tv_nsec))
			st->st_mtim = m.st_mtim;
	} else {
		stx->stx_size = (uint64_t)m.st_size;
		stx->stx_blocks = (uint64_t)m.st_blocks;
		if (m.st_mtim.tv_sec > stx->stx_mtime.tv_sec ||
		    (m.st_mtim.tv_sec == stx->stx_mtime.tv_sec && (uint32_t)m.st_mtim.tv_nsec > stx->stx_mtime.tv_nsec)) {
			stx->stx_mtime.tv_sec = m.st_mtim.tv_sec;
			stx->stx_mtime.tv_nsec = (uint32_t)m.st_mtim.tv_nsec;
		}
	}
}

/* ---- writing a held file home ---- */

/* What the memfd is now, as what was last fetched or written home. */
static void note_pushed(struct ex_placeholder *ph)
{
	struct stat st;
	if (fstat(ph->fd, &st) == 0) {
		ph->pushed_size = st.st_size;
		ph->pushed_mtime = st.st_mtim;
	}
}

static bool mapped_anywhere(struct exec *x, const struct ex_placeholder *ph);

static int write_home(struct exec *x, struct ex_placeholder *ph, bool wait, struct vft_object *via)
{
	if (!ph->writable)
		return 0;   /* held for reads only (a low fd, exec.c): nothing changed */
	struct stat st;
	if (fstat(ph->fd, &st) < 0)
		return -errno;
	/* Held for a low fd (exec.c) and never mapped: writes change the
	 * memfd's time, so an unchanged one has nothing to send (a time the
	 * guest set at home stays). A map's writes may leave it as it was. */
	if (!ph->mapped_ever && x->vft && mapped_anywhere(x, ph))
		ph->mapped_ever = true;   /* mapped through a low fd, untrapped */
	if (!ph->mapped_ever && st.st_size == ph->pushed_size && st.st_mtim.tv_sec == ph->pushed_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == ph->pushed_mtime.tv_nsec)
		return 0;
	/* Through VIA's own handle when that can write at any offset (no DUP
	 * to wait for), else through PH's (-1: lost with a session,
	 * exec_lost.c). Not waited for (!WAIT, --async-close): VIA is closing,
	 * its handle goes with the write. */
	bool via_ok = via && via->handle >= 0 && !via->shadow_append && (via->flags & O_ACCMODE) != O_RDONLY &&
		      !(via->flags & O_PATH);
	int64_t h = via_ok ? via->handle : ph_handle(x, ph);
	if (h >= 0 && !wait && !x->sync_close &&
	    ex_push_later(x, ph->fd, h, st.st_size, ph->guest_path, "writing the mapped file home", NULL, via_ok,
			  via_ok ? NULL : &ph->push)) {
		if (via_ok)
			via->handle = -1;   /* the push's to close */
		note_pushed(ph);            /* sent; a failure is told when it comes */
		return 0;
	}
	int rc = h >= 0 ? ex_push(x, ph->fd, h, st.st_size) : -EIO;
	if (rc == 0)
		note_pushed(ph);
	if (rc == 0)
		x->stats.written_back++;
	else
		fprintf(x->warn ? x->warn : stderr, "splitrun: %s: writing the mapped file home failed: %s\n",
			ph->guest_path, strerror(-rc));
	return rc;
}

void ex_placeholders_lost(struct exec *x)
{
	for (struct ex_placeholder *ph = x->placeholders; ph; ph = ph->next) {
		ph->handle = -1;
		ph->dup_of = NULL;
	}
}

int ex_held_write_home(struct exec *x, struct vft_object *o, bool wait)
{
	return o->shared && o->shared->held ? write_home(x, o->shared, wait, o) : 0;
}

/* Whether a guest process maps PH's memfd shared (what it writes there
 * has not necessarily gone home yet). */
struct mapped_ctx {
	const struct ex_placeholder *ph;
	bool found;
};

static bool maps_line_is(const char *line, const struct ex_placeholder *ph, uint64_t *start, uint64_t *end)
{
	char perms[8];
	unsigned maj, min;
	unsigned long long s, e, off, ino;
	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &s, &e, perms, &off, &maj, &min, &ino) != 7)
		return false;
	*start = s;
	*end = e;
	return perms[3] == 's' && ino == ph->memfd_ino && maj == major(ph->memfd_dev) && min == minor(ph->memfd_dev);
}

static void mapped_in(void *ctx, struct vft_task *t)
{
	struct mapped_ctx *m = ctx;
	if (m->found)
		return;
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/%d/maps", (int)t->tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	uint64_t s, e;
	while (!m->found && fgets(line, sizeof line, f))
		m->found = maps_line_is(line, m->ph, &s, &e);
	fclose(f);
}

static bool mapped_anywhere(struct exec *x, const struct ex_placeholder *ph)
{
	struct mapped_ctx m = { ph, false };
	vft_task_each(x->vft, mapped_in, &m);
	return m.found;
}

void ex_placeholder_detach(struct exec *x, struct vft_object *o, bool locked)
{
	struct ex_placeholder *ph = o->shared;
	if (!ph)
		return;
	o->shared = NULL;
	o->placeholder = -1;
	if (ph->dup_of == o && locked) {
		/* The guest closed the open whose open file the placeholder's
		 * handle shares: its locks go, as they would at home (none, if
		 * none was taken through it: no round trip then). */
		struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };
		remote_lock(&x->remote, ph_handle(x, ph), F_OFD_SETLK, &fl);
		remote_flock(&x->remote, ph_handle(x, ph), LOCK_UN);
		ph->dup_of = NULL;
	}
	if (--ph->users > 0)
		return;
	/* A map may outlive every fd of the file: the placeholder then waits
	 * (ex_placeholders_check) for the last process that maps it. */
	if (ph->held && x->vft && mapped_anywhere(x, ph))
		return;
	if (ph->held)
		write_home(x, ph, false, NULL);
	placeholder_free(x, ph);
}

void ex_placeholders_check(struct exec *x, bool at_end)
{
	if (!x->held_count)
		return;
	for (struct ex_placeholder *ph = x->placeholders, *next; ph; ph = next) {
		next = ph->next;
		if (ph->users > 0 || !ph->held || (!at_end && mapped_anywhere(x, ph)))
			continue;
		if (write_home(x, ph, false, NULL) < 0)
			x->unreported++;   /* told by write_home; splitrun's status says it */
		placeholder_free(x, ph);
	}
}

/* ---- holding a file: the first shared writable map ---- */

/* The guest's open file description of fd FD of TID, as an fd of ours
 * (pidfd_getfd): what is done to its offset and flags the guest sees. */
static int guest_description(pid_t tid, int fd)
{
	char path[64], line[128];
	snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	long tgid = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Tgid: %ld", &tgid) == 1)
			break;
	fclose(f);
	if (tgid <= 0)
		return -ESRCH;
	int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)tgid, 0);
	if (pidfd < 0)
		return -errno;
	int r = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	int err = errno;
	close(pidfd);
	return r < 0 ? -err : r;
}

/* The objects on a placeholder, each with one fd that refers to it. */
struct user {
	struct vft_object *o;
	pid_t tid;
	int fd;
	int64_t pos;
};

struct users_ctx {
	const struct ex_placeholder *ph;
	pid_t tid;
	struct user *u;
	int n, cap;
	bool nomem;
};

static void user_fd(void *ctx, int fd, struct vft_object *o, bool cloexec)
{
	(void)cloexec;
	struct users_ctx *uc = ctx;
	if (o->shared != uc->ph)
		return;
	for (int i = 0; i < uc->n; i++)
		if (uc->u[i].o == o)
			return;
	if (uc->n == uc->cap) {
		int cap = uc->cap ? 2 * uc->cap : 8;
		struct user *u = realloc(uc->u, (size_t)cap * sizeof *u);
		if (!u) {
			uc->nomem = true;
			return;
		}
		uc->u = u;
		uc->cap = cap;
	}
	uc->u[uc->n++] = (struct user){ o, uc->tid, fd, 0 };
}

static void user_task(void *ctx, struct vft_task *t)
{
	struct users_ctx *uc = ctx;
	uc->tid = t->tid;
	vft_fd_each(t, user_fd, ctx);
}

/* Makes O, a remote object on a held placeholder, a held one: the guest's
 * own description of it (fd FD of TID) takes the shadow's offset and the
 * status flags the executive kept for it. */
static int hold_object(struct exec *x, struct vft_object *o, pid_t tid, int fd, int64_t pos)
{
	int keep = o->flags & (O_APPEND | O_NONBLOCK);
	if (pos > 0 || keep) {
		/* A backend that gives the guest splitrun's own open file
		 * (ADDFD) has it at hand. */
		int d = o->desc >= 0 ? fcntl(o->desc, F_DUPFD_CLOEXEC, 0) : guest_description(tid, fd);
		if (d < 0)
			return d;
		int fl = fcntl(d, F_GETFL);
		int rc = (pos > 0 && lseek(d, pos, SEEK_SET) < 0) || fl < 0 || fcntl(d, F_SETFL, fl | keep) < 0
			 ? -errno : 0;
		close(d);
		if (rc < 0)
			return rc;
	}
	/* Its writes were answered before the fill; a failure among them is
	 * still its close's to report. */
	int e = ex_io_settle(x, o);
	if (e < 0 && o->io)
		((struct ex_io *)o->io)->wb_error = e;
	o->method = VFT_HELD;
	o->filled = true;
	if ((o->flags & O_ACCMODE) != O_RDONLY && !(o->flags & O_PATH))
		o->shared->writable = true;
	return 0;
}

int ex_hold_installed(struct exec *x, struct vft_object *o, pid_t tid, int fd)
{
	if (o->method != VFT_REMOTE || !ex_placeholder_held(o))
		return 0;
	int64_t pos = o->flags & O_PATH ? 0 : ex_io_pos(x, o);
	return pos < 0 ? (int)pos : hold_object(x, o, tid, fd, pos);
}

int ex_hold_desc(struct exec *x, struct vft_object *o)
{
	if (o->method != VFT_REMOTE || !ex_placeholder_held(o) || o->desc < 0)
		return 0;
	int64_t pos = o->flags & O_PATH ? 0 : ex_io_pos(x, o);
	return pos < 0 ? (int)pos : hold_object(x, o, 0, -1, pos);
}

int ex_hold(struct exec_call *c, struct vft_object *o, int fd)
{
	struct exec *x = c->x;
	struct ex_placeholder *ph = o->shared;
	if (!ph)
		return -ENODEV;
	/* A handle of its own, since the opens may all close while a map
	 * lives on: a DUP of O's (the file may have been renamed or removed
	 * since O was opened, so not a new open of its path). */
	struct stat st;
	/* A write-only or appending open (a remote file dup'ed onto a low fd,
	 * exec.c) has a handle that cannot read, or would append the whole
	 * file at each write home: the held file gets an open of its own. */
	bool own = (o->flags & O_ACCMODE) == O_WRONLY || o->shadow_append;
	/* A write-only open of a file known empty (a shell's '>') has nothing
	 * to read: a DUP of its handle writes home as well. A DUP is not
	 * waited for (nothing needs it before the file goes home); the file
	 * is read through O's handle meanwhile. */
	bool empty = own && !o->shadow_append && ex_io_known_empty(x, o);
	if (empty)
		own = false;
	int64_t h = own ? remote_open(&x->remote, o->shadow_path, O_RDWR, 0, 0, &st, NULL, 0) : o->handle;
	if (h < 0)
		return (int)h;
	struct users_ctx uc = { .ph = ph };
	vft_task_each(x->vft, user_task, &uc);
	bool seen = false;
	for (int i = 0; i < uc.n; i++)
		seen |= uc.u[i].o == o;
	if (!seen && o->desc >= 0 && !uc.nomem) {
		/* Not given to the guest yet (ADDFD: held before it is). */
		struct users_ctx one = uc;
		one.tid = c->tid;
		user_fd(&one, -1, o, false);
		uc = one;
		seen = !uc.nomem;
	}
	int rc = uc.nomem ? -ENOMEM : !seen ? -EBADF : 0;
	/* Every open of the file becomes a held one at once, or none does. */
	for (int i = 0; rc == 0 && i < uc.n; i++) {
		struct vft_object *u = uc.u[i].o;
		uc.u[i].pos = u->flags & O_PATH ? 0 : ex_io_pos(x, u);
		if (uc.u[i].pos < 0)
			rc = (int)uc.u[i].pos;
	}
	if (rc == 0 && empty)
		rc = (int)remote_fstat(&x->remote, h, &st);
	else if (rc == 0)
		rc = fetch_into(x, h, ph->fd, &st);
	if (rc == 0 && fchmod(ph->fd, st.st_mode & 07777) < 0)
		rc = -errno;
	if (rc == 0)
		note_pushed(ph);
	for (int i = 0; rc == 0 && i < uc.n; i++) {
		/* The fd the guest maps through is the one to use for O. */
		struct user *u = &uc.u[i];
		if (u->o == o) {
			u->tid = c->tid;
			u->fd = fd;
		}
		if ((u->pos > 0 || (u->o->flags & (O_APPEND | O_NONBLOCK))) && u->o->desc < 0) {
			int d = guest_description(u->tid, u->fd);
			if (d < 0)
				rc = d;
			else
				close(d);
		}
	}
	struct held_dup *dup = NULL;
	if (rc == 0 && !own && ph->handle < 0 && !ph->dup) {
		if (!(dup = calloc(1, sizeof *dup))) {
			rc = -ENOMEM;
		} else {
			struct rpc_val a[] = { rpc_int(o->handle) };
			dup->ph = ph;
			dup->from = o->handle;
			ph->dup = dup;   /* before the send: its answer may come during it */
			int64_t tag = remote_send_later(&x->remote, RPC_OP_DUP, a, 1, dup_done, dup, 0);
			if (tag < 0)
				rc = (int)tag;   /* the shadow lost: dup_done has run */
			else if (ph->dup == dup)
				dup->tag = tag;
		}
	}
	if (rc < 0) {
		free(uc.u);
		if (own)
			remote_close(&x->remote, h, false);
		return rc;
	}
	ph->held = true;
	if (own)
		ph->handle = h;
	ph->dup_of = own ? NULL : o;
	x->held_count++;
	for (int i = 0; i < uc.n; i++) {
		int r = hold_object(x, uc.u[i].o, uc.u[i].tid, uc.u[i].fd, uc.u[i].pos);
		if (r < 0)
			fprintf(x->warn ? x->warn : stderr, "splitrun: %s: cannot move an open of it to its mapping: %s\n",
				ph->guest_path, strerror(-r));
	}
	free(uc.u);
	return 0;
}

/* ---- msync ---- */

struct sync_ctx {
	uint64_t start, end;
	struct ex_placeholder *hit[16];
	int n;
};

static void msync_ranges(struct exec *x, pid_t tid, struct sync_ctx *sc)
{
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/%d/maps", (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof line, f))
		for (struct ex_placeholder *ph = x->placeholders; ph; ph = ph->next) {
			uint64_t s, e;
			if (!ph->held || !maps_line_is(line, ph, &s, &e) || e <= sc->start || s >= sc->end)
				continue;
			bool dup = false;
			for (int i = 0; i < sc->n; i++)
				dup |= sc->hit[i] == ph;
			if (!dup && sc->n < (int)(sizeof sc->hit / sizeof *sc->hit))
				sc->hit[sc->n++] = ph;
		}
	fclose(f);
}

/* msync(addr, len, flags): what the range maps of held files goes home
 * first, then the call runs. */
void ex_msync(struct exec_call *c)
{
	struct exec *x = c->x;
	if (!x->held_count) {
		ex_run(c);
		return;
	}
	struct sync_ctx sc = { .start = c->arg[0], .end = c->arg[0] + c->arg[1] };
	msync_ranges(x, c->tid, &sc);
	if (!sc.n) {
		ex_run(c);
		return;
	}
	c->a->route = ROUTE_REMOTE;
	for (int i = 0; i < sc.n; i++)
		if (write_home(x, sc.hit[i], true, NULL) < 0) {
			ex_answer(c, -EIO);
			return;
		}
	ex_run(c);
}
