/* policy/exec_lost.c: what the executive does when the shadow is lost
 * (splitrun --on-disconnect; docs/limits.md, "When the shadow is lost").
 *
 * A transport error marks the connection lost (policy/remote.h): every
 * request still unanswered fails, and with it the write-behind of the
 * files it carried (their ex_io.lost_writes: stored at home or not, nobody
 * can tell, so no later call of those files may be told it succeeded).
 * Then, by --on-disconnect:
 *   - stop (the default): exec_lost gives the reason and the guest is
 *     stopped before the call that found the loss returns;
 *   - eio: the loss is told once and the guest goes on; every call that
 *     needs the shadow fails with EIO (remote.c sends nothing any more);
 *   - reconnect: the shadow is dialed again (a new session, authenticated
 *     as the first) with a growing pause between tries, until it answers
 *     or --reconnect-timeout has passed since the loss (then the guest is
 *     stopped). In the new session every object is opened again by its
 *     path, where that is safe: the same file (device and inode), nothing
 *     written to it lost, no lock held through it, its offset known here
 *     (regular files keep theirs here; a directory's listing position is
 *     sought again). Other objects are broken: every call on their fds
 *     fails with EIO but the close, a staged file's copy is still used but
 *     cannot go home (its close reports EIO if it changed). The call that
 *     found the loss is made again in the new session when it failed with
 *     EIO and sent nothing that changes anything at home; a call that did
 *     may have had its effect, so it keeps its EIO. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "policy/exec_internal.h"

/* Broken objects named one by one; more are only counted. */
#define BROKEN_NAMED_MAX 8
/* A flapping shadow: new sessions one call may make before giving up. */
#define SESSIONS_PER_CALL_MAX 8
/* The longest one try at dialing may take. */
#define TRY_MS 10000

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static FILE *warn_stream(const struct exec *x)
{
	return x->warn ? x->warn : stderr;
}

/* ---- every object's state ---- */

void ex_live_add(struct exec *x, struct ex_io *io)
{
	io->live_prev = NULL;
	io->live_next = x->live;
	if (x->live)
		x->live->live_prev = io;
	x->live = io;
}

void ex_live_remove(struct exec *x, struct ex_io *io)
{
	if (io->live_prev)
		io->live_prev->live_next = io->live_next;
	else if (x->live == io)
		x->live = io->live_next;
	else
		return;   /* never added */
	if (io->live_next)
		io->live_next->live_prev = io->live_prev;
	io->live_prev = io->live_next = NULL;
}

bool ex_lost_matters(const struct exec *x)
{
	if (x->held_count)
		return true;
	for (const struct ex_io *io = x->live; io; io = io->live_next)
		if (io->obj->method == VFT_STAGE && io->obj->stage_dirty_check && !io->broken)
			return true;
	return false;
}

/* ---- broken objects ---- */

bool ex_broken_fd(struct exec_call *c)
{
	const struct syscall_desc *d = c->desc;
	if (!d || strcmp(d->name, "close") == 0 || strcmp(d->name, "close_range") == 0)
		return false;
	/* dup2 and dup3 close their target: a broken one may be replaced. */
	bool onto = strcmp(d->name, "dup2") == 0 || strcmp(d->name, "dup3") == 0;
	for (int i = 0; i < d->nargs; i++) {
		if ((d->arg[i] != AK_FD && d->arg[i] != AK_DIRFD) || (onto && i == 1))
			continue;
		struct vft_object *o = ex_fd_obj(c, i);
		struct ex_io *io = o ? o->io : NULL;
		if (!io || !io->broken || o->method == VFT_STAGE)
			continue;
		io->loss_told = true;
		c->a->route = ROUTE_REMOTE;
		ex_answer(c, -EIO);
		return true;
	}
	return false;
}

static void mark_broken(struct exec *x, struct ex_io *io, const char *why, unsigned *named)
{
	struct vft_object *o = io->obj;
	io->broken = true;
	x->broken++;
	x->stats.not_reopened++;
	if ((*named)++ >= BROKEN_NAMED_MAX)
		return;
	if (o->method == VFT_STAGE)
		fprintf(warn_stream(x), "splitrun: %s: not opened again (%s): changes to its copy here cannot go home\n",
			o->guest_path, why);
	else
		fprintf(warn_stream(x), "splitrun: %s: not opened again (%s): its calls fail with EIO\n", o->guest_path,
			why);
}

/* Opens O again in the new session. Returns NULL, or why it cannot be (in
 * BUF when it needs words of its own). */
static const char *reopen(struct exec *x, struct vft_object *o, struct ex_io *io, char *buf, size_t size)
{
	if (o->method == VFT_HELD || ex_placeholder_held(o))
		return "it is mapped shared and writable";
	if (io->lost_writes)
		return "data written to it did not all reach home";
	if (io->locked)
		return "it held locks at home, which went with the lost session";
	if ((io->shadow_flags & O_TMPFILE) == O_TMPFILE)
		return "it has no name at home";
	if (!S_ISREG(io->file_type) && !S_ISDIR(io->file_type))
		return "it is no regular file or directory";
	if (o->method == VFT_REMOTE && !o->is_dir && !io->have_id)
		return "its offset was the shadow's";
	struct remote *r = &x->remote;
	struct stat st;
	int64_t h = remote_open(r, o->shadow_path, io->shadow_flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC), 0, 0,
				&st, NULL, 0);
	if (h < 0) {
		snprintf(buf, size, "opening it failed: %s", strerror((int)-h));
		return buf;
	}
	if ((uint64_t)st.st_dev != io->file_dev || (uint64_t)st.st_ino != io->file_ino) {
		remote_close(r, h, false);
		return "its path names another file now";
	}
	o->handle = h;
	int64_t pos = 0;
	if (o->is_dir) {
		/* The shadow's position was past the entries fetched, or where
		 * the guest last sought. */
		if (io->dir_listing && io->dents.count && !io->dents.eof)
			pos = io->dents.ents[io->dents.count - 1].off;
		else if (!io->dir_listing)
			pos = io->dir_pos;
		if (pos > 0)
			pos = remote_lseek(r, h, pos, SEEK_SET);
	} else if (io->pos_at_shadow) {
		/* Appending writes left the offset at the end of the file. */
		pos = remote_lseek(r, h, 0, SEEK_END);
		if (pos >= 0) {
			io->pos = pos;
			io->pos_at_shadow = false;
		}
	}
	if (pos < 0) {
		snprintf(buf, size, "finding its position again failed: %s", strerror((int)-pos));
		return buf;
	}
	return NULL;
}

/* Every object of the old session is opened again (or broken). Returns
 * false when the new session was lost meanwhile (the objects not yet done
 * wait for the next one). */
static bool reopen_all(struct exec *x, unsigned *reopened, unsigned *broken)
{
	ex_io_file_changed(x, NULL);   /* readahead of every file: the old session's */
	ex_placeholders_lost(x);
	/* No handle of the old session may ever reach the new one. */
	for (struct ex_io *io = x->live; io; io = io->live_next)
		if (io->obj->handle >= 0 || io->reopen_due) {
			io->obj->handle = -1;
			io->reopen_due = true;
		}
	for (struct ex_io *io = x->live; io && !x->remote.lost; io = io->live_next) {
		if (!io->reopen_due)
			continue;
		char buf[160];
		const char *why = reopen(x, io->obj, io, buf, sizeof buf);
		if (x->remote.lost) {
			if (io->obj->handle >= 0)
				io->obj->handle = -1;
			break;
		}
		io->reopen_due = false;
		if (why) {
			mark_broken(x, io, why, broken);
		} else {
			(*reopened)++;
			x->stats.reopened++;
		}
	}
	return !x->remote.lost;
}

/* A refusal that dialing again will not change, or a signal to stop:
 * stop at once. */
static bool hopeless(int rc)
{
	return rc == -EACCES || rc == -EPERM || rc == -EKEYREJECTED || rc == -ENOKEY || rc == -EPROTONOSUPPORT ||
	       rc == -EINVAL || rc == -ENXIO || rc == -EINTR;
}

static void stop(struct exec *x, const char *lost, const char *fmt, const char *why)
{
	char tail[400];
	/* Cut short when too long (the return values say so): one line. */
	if (snprintf(tail, sizeof tail, fmt, why) >= (int)sizeof tail)
		tail[sizeof tail - 1] = 0;
	if (snprintf(x->stop_buf, sizeof x->stop_buf, "%s; %s", lost, tail) >= (int)sizeof x->stop_buf)
		x->stop_buf[sizeof x->stop_buf - 1] = 0;
	x->stop_why = x->stop_buf;
}

/* Dials until a session is made or the time since the loss runs out. */
static bool redial(struct exec *x, const char *lost, uint64_t deadline, bool first)
{
	unsigned pause_ms = 20;
	char why[256] = "no answer";
	for (;; first = false) {
		uint64_t now = now_ns();
		if (now >= deadline) {
			stop(x, lost, "it did not come back in time (%s)", why);
			return false;
		}
		/* A try is cut short so that one lost in the network (a SYN
		 * dropped while the machine reboots) does not spend all the
		 * time left. */
		uint64_t left_ms = (deadline - now + 999999) / 1000000;
		struct rpc_conn fresh;
		why[0] = 0;
		int rc = x->redial(x->redial_ctx, &fresh, left_ms > TRY_MS ? TRY_MS : (int)left_ms, first, why,
				   sizeof why);
		if (rc == 0) {
			remote_resume(&x->remote, &fresh);
			ex_create_reset(x, false);   /* the lost session's handles, and home may have changed */
			return true;
		}
		if (!why[0])
			snprintf(why, sizeof why, "%s", strerror(-rc));
		if (hopeless(rc)) {
			stop(x, lost, "dialing it again: %s", why);
			return false;
		}
		now = now_ns();
		uint64_t pause_ns = (uint64_t)pause_ms * 1000000u;
		if (now + pause_ns > deadline)
			pause_ns = deadline > now ? deadline - now : 0;
		/* A signal ends the pause early: the next try looks at it. */
		struct timespec ts = { (time_t)(pause_ns / 1000000000u), (long)(pause_ns % 1000000000u) };
		nanosleep(&ts, NULL);
		if (pause_ms < 1000)
			pause_ms *= 2;
	}
}

bool ex_lost(struct exec *x)
{
	if (!x->remote.lost || x->stop_why)
		return false;
	if (!x->lost_at_ns) {
		x->lost_at_ns = now_ns();
		x->lost_told = false;
	}
	switch (x->on_lost) {
	case EXEC_LOST_STOP:
		return false;
	case EXEC_LOST_EIO:
		if (!x->lost_told)
			fprintf(warn_stream(x), "splitrun: %s; the program goes on, its calls that need the shadow fail "
				"with EIO\n", x->remote.lost);
		x->lost_told = true;
		return false;
	case EXEC_LOST_RECONNECT:
		break;
	}
	char lost[sizeof x->remote.lost_buf];
	snprintf(lost, sizeof lost, "%s", x->remote.lost);
	if (!x->lost_told)
		fprintf(warn_stream(x), "splitrun: %s; dialing it again for up to %.3g s\n", lost,
			(double)x->reconnect_ns / 1e9);
	x->lost_told = true;
	unsigned reopened = 0, broken = 0;
	for (int round = 0; round < SESSIONS_PER_CALL_MAX; round++) {
		if (!redial(x, lost, x->lost_at_ns + x->reconnect_ns, round == 0))
			return false;
		x->stats.reconnects++;
		if (reopen_all(x, &reopened, &broken))
			break;
		/* Lost again while opening the files: a loss of its own. */
		snprintf(lost, sizeof lost, "%s", x->remote.lost);
		x->lost_at_ns = now_ns();
	}
	if (x->remote.lost) {
		stop(x, lost, "%s", "it was lost again each time it answered");
		return false;
	}
	double took = (double)(now_ns() - x->lost_at_ns) / 1e9;
	if (broken > BROKEN_NAMED_MAX)
		fprintf(warn_stream(x), "splitrun: ... and %u more not opened again\n", broken - BROKEN_NAMED_MAX);
	fprintf(warn_stream(x), "splitrun: the shadow answered again after %.2f s: %u open files opened again, %u not\n",
		took, reopened, broken);
	x->lost_at_ns = 0;
	x->lost_told = false;
	return true;
}
