/* policy/exec.c: the executive's core: implements policy/exec.h around the
 * handlers of exec_*.c (exec_internal.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/kcmp.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/attr_cache.h"
#include "policy/exec_internal.h"
#include "rpc/wire.h"

static int low_remote_fd(struct exec *x, struct vft_task *t, struct vft_object *o, int at);

/* ---- answers ---- */

void ex_answer(struct exec_call *c, int64_t result)
{
	c->a->verdict = EXEC_ANSWER;
	c->a->result = result;
}

void ex_warn_once(struct exec_call *c, const char *fmt, ...)
{
	struct exec *x = c->x;
	if (c->nr >= 0 && c->nr <= x->max_nr) {
		if (x->warned[c->nr])
			return;
		x->warned[c->nr] = 1;
	}
	FILE *f = x->warn ? x->warn : stderr;
	fprintf(f, "splitrun: %s: ", c->desc ? c->desc->name : "syscall");
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
}

void ex_refuse(struct exec_call *c, int err, const char *why)
{
	c->a->route = ROUTE_REFUSED;
	ex_warn_once(c, "%s; it fails with %s (docs/limits.md)", why, strerrorname_np(err));
	ex_answer(c, -err);
}

void ex_run(struct exec_call *c)
{
	c->a->verdict = EXEC_RUN;
}

void ex_run_then(struct exec_call *c, enum pend_kind kind)
{
	if (!(c->x->caps & EXEC_CAN_SEE_EXIT)) {
		ex_refuse(c, ENOSYS, "the trap backend cannot see this call's result, which split execution needs");
		return;
	}
	c->a->verdict = EXEC_RUN;
	c->a->see_exit = true;
	c->p->kind = kind;
}

void ex_install(struct exec_call *c, struct vft_object *obj, int flags)
{
	int fd = obj->placeholder;
	if (c->x->caps & EXEC_CAN_ADDFD) {
		/* The guest's fds of the object all share one open file, as
		 * fds made by dup and fork do. */
		fd = ex_object_desc(obj, flags);
		if (fd < 0) {
			vft_object_unref(c->x->vft, obj);
			ex_answer(c, fd);
			return;
		}
	} else if (!(c->x->caps & EXEC_CAN_INSTALL)) {
		vft_object_unref(c->x->vft, obj);
		ex_refuse(c, ENOSYS, "the trap backend cannot give the guest a new fd");
		return;
	}
	c->a->verdict = EXEC_INSTALL;
	c->a->see_exit = true;
	c->a->install_fd = fd;
	c->a->install_flags = flags;
	c->a->install_at = ex_remote_fd_slot(c, 0);
	c->p->kind = PEND_INSTALL;
	c->p->obj = obj;
	c->p->cloexec = (flags & O_CLOEXEC) != 0;
	if (c->x->caps & EXEC_CAN_ADDFD)
		ex_install_ready(c);
}

void ex_install_ready(struct exec_call *c)
{
	struct vft_object *o = c->p->obj;
	if (!o || o->method != VFT_REMOTE)
		return;
	/* With ADDFD the guest runs on as soon as it has the fd: whatever
	 * its open file must be first is done now (at the exit would be too
	 * late). */
	int rc = ex_hold_desc(c->x, o);
	int at = c->a->install_at;
	if (rc == 0 && c->x->fd_base > 0 && at < c->x->fd_base)
		rc = low_remote_fd(c->x, c->t, o, at);
	if (rc < 0) {
		c->a->verdict = EXEC_ANSWER;
		c->a->result = rc;
		c->a->see_exit = false;
	}
}

void ex_install_local(struct exec_call *c, int fd, int cloexec)
{
	c->a->verdict = EXEC_INSTALL;
	c->a->see_exit = true;
	c->a->install_fd = fd;
	c->a->install_flags = cloexec;
	c->p->kind = PEND_CLOSE_FD;
	c->p->fd = fd;
}

bool ex_park(struct exec_call *c)
{
	return ex_park_on(c, -1);
}

bool ex_park_on(struct exec_call *c, int fd)
{
	struct exec *x = c->x;
	unsigned k = c->th->retries < 4 ? c->th->retries : 4;
	if (x->caps & EXEC_CAN_DEFER) {
		/* The call simply waits unanswered; it is offered again. */
		c->th->retries++;
		c->th->parked = true;
		c->a->verdict = EXEC_DEFER;
		c->a->defer_ms = 10u << k;
		return true;
	}
	if ((x->caps & (EXEC_CAN_REWRITE | EXEC_CAN_SEE_EXIT)) != (EXEC_CAN_REWRITE | EXEC_CAN_SEE_EXIT) ||
	    x->ppoll_nr < 0)
		return false;
	c->th->retries++;
	c->th->parked = true;
	struct timespec ts = { 0, (10L << k) * 1000000L };
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	memcpy(x->scratch, &ts, sizeof ts);
	memcpy(x->scratch + sizeof ts, &pfd, sizeof pfd);
	struct exec_action *a = c->a;
	a->rewrite_nr = true;
	a->nr = x->ppoll_nr;
	a->rewrite_args = true;
	memset(a->arg, 0, sizeof a->arg);
	a->arg[2] = 0;   /* the timeout: offset 0 of the scratch data */
	a->arg[4] = 8;   /* sizeof the kernel's sigset (no mask is given) */
	a->scratch = x->scratch;
	a->scratch_len = sizeof ts + sizeof pfd;
	a->scratch_args = 1u << 2;
	if (fd >= 0) {
		a->arg[0] = sizeof ts;   /* the pollfd, after the timeout */
		a->arg[1] = 1;
		a->scratch_args |= 1u << 0;
	}
	ex_run_then(c, PEND_RETRY);
	return true;
}

/* ---- arguments ---- */

int ex_arg_index(const struct syscall_desc *d, enum arg_kind k, int nth)
{
	for (int i = 0; d && i < d->nargs; i++)
		if (d->arg[i] == k && nth-- == 0)
			return i;
	return -1;
}

struct vft_object *ex_fd_obj(struct exec_call *c, int i)
{
	if (i < 0)
		return NULL;
	return vft_fd_get(c->t, (int)c->arg[i], NULL);
}

int ex_read_mem(struct exec_call *c, uint64_t addr, void *buf, size_t len)
{
	if (len == 0)
		return 0;
	return c->x->mem->read(c->tid, addr, buf, len) == (ssize_t)len ? 0 : -EFAULT;
}

int ex_write_mem(struct exec_call *c, uint64_t addr, const void *buf, size_t len)
{
	if (len == 0)
		return 0;
	return c->x->mem->write(c->tid, addr, buf, len) == (ssize_t)len ? 0 : -EFAULT;
}

/* ---- the guest's fd table, asked of the kernel ---- */

bool ex_guest_fd_open(struct exec_call *c, int fd)
{
	return fd >= 0 && syscall(SYS_kcmp, c->tid, c->tid, KCMP_FILE, fd, fd) == 0;
}

int ex_guest_free_fd(struct exec_call *c, int min)
{
	struct rlimit rl;
	rlim_t limit = prlimit(c->tid, RLIMIT_NOFILE, NULL, &rl) == 0 ? rl.rlim_cur : 1024;
	for (long fd = min < 0 ? 0 : min; (rlim_t)fd < limit && fd < INT_MAX; fd++)
		if (!ex_guest_fd_open(c, (int)fd))
			return (int)fd;
	return -EMFILE;
}

int ex_remote_fd_slot(struct exec_call *c, int min)
{
	if (c->x->fd_base <= 0)
		return -1;
	if (min < c->x->fd_base)
		min = c->x->fd_base;
	struct rlimit rl;
	rlim_t limit = prlimit(c->tid, RLIMIT_NOFILE, NULL, &rl) == 0 ? rl.rlim_cur : 1024;
	const struct vft_table *tab = c->t->files;
	for (long fd = min; (rlim_t)fd < limit && fd < INT_MAX; fd++) {
		/* The VFT knows the remote ones without asking the kernel. */
		if (fd < tab->nfds && tab->fd[fd].obj)
			continue;
		if (!ex_guest_fd_open(c, (int)fd))
			return (int)fd;
	}
	return -1;
}

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL   /* include/uapi/linux/pidfd.h, Linux 6.9 */
#endif

int exec_thread_pidfd(pid_t tid)
{
	int fd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
	if (fd < 0 && errno == EINVAL)
		fd = (int)syscall(SYS_pidfd_open, tid, 0);
	return fd;
}

/* The calling thread's pidfd (its own table, whatever its process). */
static int guest_pidfd(struct exec_call *c)
{
	int fd = exec_thread_pidfd(c->tid);
	return fd < 0 ? -errno : fd;
}

int ex_guest_file(struct exec_call *c, int fd)
{
	int pidfd = guest_pidfd(c);
	if (pidfd < 0)
		return pidfd;
	int file = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	int rc = file < 0 ? -errno : file;
	close(pidfd);
	if (file >= 0)
		(void)fcntl(file, F_SETFD, FD_CLOEXEC);
	return rc;
}

void ex_validate_table(struct exec_call *c)
{
	struct vft_table *tab = c->t->files;
	tab->revalidate = false;
	for (int fd = 0; fd < tab->nfds && tab->nremote; fd++) {
		struct vft_object *o = tab->fd[fd].obj;
		if (o && o->desc >= 0 && syscall(SYS_kcmp, c->tid, c->x->self, KCMP_FILE, fd, o->desc) != 0)
			vft_fd_close(c->x->vft, c->t, fd);
	}
}

/* ---- tasks and pending exits ---- */

static struct exec_thread *thread_of(struct vft_task *t)
{
	if (!t->exec)
		t->exec = calloc(1, sizeof(struct exec_thread));
	return t->exec;
}

static void pending_drop(struct exec *x, struct exec_pending *p)
{
	if (p->obj)
		vft_object_unref(x->vft, p->obj);
	if (p->kind == PEND_CLOSE_FD && p->fd >= 0)
		close(p->fd);
	memset(p, 0, sizeof *p);
}

static void thread_free(struct exec *x, struct vft_task *t)
{
	struct exec_thread *th = t->exec;
	if (th) {
		pending_drop(x, &th->pending);
		free(th);
		t->exec = NULL;
	}
}

struct discover_ctx {
	struct exec *x;
	pid_t tid;
	int fd;
	struct vft_object *found;
};

static void discover_in(void *ctx, int fd, struct vft_object *o, bool cloexec)
{
	(void)fd;
	(void)cloexec;
	struct discover_ctx *dc = ctx;
	if (!dc->found && o->desc >= 0 && syscall(SYS_kcmp, dc->tid, dc->x->self, KCMP_FILE, dc->fd, o->desc) == 0)
		dc->found = o;
}

static void discover_task(void *ctx, struct vft_task *t)
{
	struct discover_ctx *dc = ctx;
	if (!dc->found)
		vft_fd_each(t, discover_in, ctx);
}

/* T's fds that are splitrun's open files (a placeholder or a staged copy,
 * by their names in /proc/TID/fd) but not in T's table: each is matched
 * with kcmp against the objects other tasks hold. */
static void discover_fds(struct exec *x, struct vft_task *t)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)t->tid);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		int fd = atoi(e->d_name);
		if (vft_fd_get(t, fd, NULL))
			continue;
		char link[PATH_MAX + 32], target[PATH_MAX + 32];
		snprintf(link, sizeof link, "%s/%d", path, fd);
		ssize_t n = readlink(link, target, sizeof target - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		/* Staged files live in the staging directory itself; its
		 * subdirectories hold programs, which are no remote files. */
		size_t sl = strlen(x->stage_dir);
		if (strncmp(target, "/memfd:splitrun:", 16) != 0 &&
		    !(sl && strncmp(target, x->stage_dir, sl) == 0 && target[sl] == '/' && !strchr(target + sl + 1, '/')))
			continue;
		struct discover_ctx dc = { x, t->tid, fd, NULL };
		vft_task_each(x->vft, discover_task, &dc);
		if (dc.found)
			vft_fd_set(x->vft, t, fd, dc.found, false);
		else
			fprintf(x->warn ? x->warn : stderr,
				"splitrun: process %d: its fd %d (%s) was closed at home before it first trapped "
				"(docs/limits.md)\n", (int)t->tid, fd, target);
	}
	if (d)
		closedir(d);
}

/* A remote fd that lands below the fd base (dup2 onto 0..2, a low fd
 * limit; AT: its number, -1 when the kernel picks it): the filter lets its
 * calls run untrapped, so they must work natively: the file is held
 * (exec_map.c), every open of it reading and writing the placeholder,
 * written home at fsync, close and the end. A directory cannot be: its
 * fd works only in calls that trap (a warning says so). Returns 0 or
 * -errno (the file could not be fetched: the call fails). */
static int low_remote_fd(struct exec *x, struct vft_task *t, struct vft_object *o, int at)
{
	if (o->method != VFT_REMOTE)
		return 0;   /* staged or held: native already */
	if (o->is_dir || (o->flags & O_PATH)) {
		if (!x->warned_low_fd)
			fprintf(x->warn ? x->warn : stderr,
				"splitrun: %s at fd %d: a remote %s below fd %d works only in calls that trap "
				"(docs/limits.md)\n", o->guest_path, at, o->is_dir ? "directory" : "O_PATH fd", x->fd_base);
		x->warned_low_fd = true;
		return 0;
	}
	struct exec_call c = { .x = x, .t = t, .tid = t->tid, .th = t->exec };
	return ex_hold(&c, o, at);
}

/* Remote entries below the fd base: the calls that close or replace them
 * are not trapped, so before each trapped call every table that has any is
 * checked against the kernel's (kcmp of the guest's fd with the object's
 * open file), whichever process makes the call: the last close of a staged
 * or held file is what writes it home, and another process may be about to
 * open it. */
static void validate_low_task(void *ctx, struct vft_task *t)
{
	struct exec *x = ctx;
	struct vft_table *tab = t->files;
	if (!tab->nlow || tab->checked == x->check_stamp)
		return;
	tab->checked = x->check_stamp;
	int end = tab->nfds < x->fd_base ? tab->nfds : x->fd_base;
	for (int fd = 0; fd < end && tab->nlow; fd++) {
		struct vft_object *o = tab->fd[fd].obj;
		if (o && o->desc >= 0 && syscall(SYS_kcmp, t->tid, x->self, KCMP_FILE, fd, o->desc) != 0)
			vft_fd_close(x->vft, t, fd);
	}
}

static void validate_low_fds(struct exec *x)
{
	x->check_stamp++;
	vft_task_each(x->vft, validate_low_task, x);
}

void exec_task_new(struct exec *x, pid_t tid, pid_t parent, bool shares_files, bool shares_fs)
{
	struct vft_task *old = vft_task_find(x->vft, tid);
	if (old)
		thread_free(x, old);
	if (parent && !vft_task_find(x->vft, parent))
		fprintf(x->warn ? x->warn : stderr,
			"splitrun: process %d: its parent is unknown; its inherited remote files are lost to it\n",
			(int)tid);
	struct vft_task *t = vft_task_new(x->vft, tid, parent, shares_files, shares_fs);
	if (t && !(x->caps & EXEC_CAN_SEE_EXIT) && parent && !shares_files) {
		/* Announced at its first trapped call, not at its fork: its
		 * table is its own by now. The parent's remote fds as they are
		 * now are checked against it, and what it holds that the
		 * parent no longer does is looked for. */
		discover_fds(x, t);
		t->files->revalidate = true;
	}
	if (!t)
		fprintf(x->warn ? x->warn : stderr, "splitrun: out of memory for process %d\n", (int)tid);
}

void exec_task_gone(struct exec *x, pid_t tid)
{
	struct vft_task *t = vft_task_find(x->vft, tid);
	if (!t)
		return;
	thread_free(x, t);
	vft_task_gone(x->vft, tid);
	remote_flush_writes(&x->remote);   /* a process's exit sends what it wrote */
	ex_prog_task_event(x, tid, true);
	/* Its maps are gone: held files no one maps any more go home. */
	ex_placeholders_check(x, false);
}

void exec_task_exec(struct exec *x, pid_t tid, pid_t former_tid)
{
	if (former_tid != tid) {
		struct vft_task *leader = vft_task_find(x->vft, tid);
		if (leader)
			thread_free(x, leader);
	}
	struct vft_task *t = vft_task_find(x->vft, former_tid);
	/* The execve's own exit will not be looked at: nothing of it is
	 * pending (execve never asks for its exit). */
	if (t)
		thread_free(x, t);
	vft_task_exec(x->vft, tid, former_tid);
	remote_flush_writes(&x->remote);
	ex_placeholders_check(x, false);
	if (x->remote_clock) {
		int rc = ex_hide_vdso(x, tid);
		if (rc < 0 && rc != -ENOENT)
			fprintf(x->warn ? x->warn : stderr,
				"splitrun: process %d: cannot hide the vDSO (%s): its clock stays this machine's\n",
				(int)tid, strerror(-rc));
	}
}

const char *exec_kernel_cwd(const struct exec *x)
{
	return x->run_dir[0] ? x->run_dir : NULL;
}

const char *exec_lost(const struct exec *x)
{
	if (x->stop_why)
		return x->stop_why;
	return x->on_lost == EXEC_LOST_STOP ? x->remote.lost : NULL;
}

void exec_get_stats(const struct exec *x, struct exec_stats *s)
{
	*s = x->stats;
	rpc_get_stats(x->remote.conn, &s->rpc);
	struct attr_cache_stats cs;
	attr_cache_get_stats(x->remote.cache, &cs);
	s->cache_hits = cs.hits;
	s->cache_misses = cs.misses;
	s->unreported = x->unreported;
}

const char *exec_route_name(enum exec_route r)
{
	static const char *const names[ROUTE_COUNT] = { "local", "remote", "stage", "deny", "refused" };
	return r < ROUTE_COUNT ? names[r] : "?";
}

/* ---- the call ---- */

/* A trapped call with no handler: its fds and paths decide. A remote fd or
 * path it would use locally is refused; an unknown call is refused. */
static void generic(struct exec_call *c)
{
	const struct syscall_desc *d = c->desc;
	if (!d || (d->classes & SC_NO_ROW)) {
		ex_refuse(c, ENOSYS, "a call splitrun does not know (no row in arch/syscalls.def) is not run");
		return;
	}
	for (int i = 0; i < d->nargs; i++) {
		if ((d->arg[i] == AK_FD || d->arg[i] == AK_DIRFD) && ex_fd_obj(c, i) &&
		    !(d->arg[i] == AK_DIRFD && ex_arg_index(d, AK_PATH, 0) >= 0)) {
			if (strcmp(d->name, "ioctl") == 0)
				ex_refuse(c, ENOTTY, "an ioctl on a remote file is not supported");
			else
				ex_refuse(c, EOPNOTSUPP, "not supported on a remote file");
			return;
		}
	}
	struct ex_path paths[2];
	int n = 0;
	for (int k = 0; k < 2; k++) {
		int pi = ex_arg_index(d, AK_PATH, k);
		if (pi < 0)
			break;
		int di = pi > 0 && d->arg[pi - 1] == AK_DIRFD ? pi - 1 : -1;
		if (d->arg[pi] == AK_PATH && c->arg[pi] == 0)
			continue;
		switch (ex_resolve(c, di, pi, 0, &paths[n])) {
		case EX_DONE:
			return;
		case EX_REMOTE:
			ex_route_of(c, &paths[n]);
			ex_refuse(c, EOPNOTSUPP, "not supported on a remote path");
			return;
		case EX_LOCAL:
			n++;
			break;
		}
	}
	ex_run_local(c, n > 0 ? &paths[0] : NULL, n > 1 ? &paths[1] : NULL);
}

static void action_init(struct exec_action *a)
{
	memset(a, 0, sizeof *a);
	a->verdict = EXEC_RUN;
	a->route = ROUTE_LOCAL;
	a->install_fd = -1;
	a->install_at = -1;
}

/* The call's handler (what write-behind and replies that came need first,
 * and the refusal of calls on broken fds). */
static void run_call(struct exec *x, struct exec_call *c)
{
	/* Write-behind data waits only while the guest keeps writing: any
	 * other call sends it (a program that then sleeps, or waits for
	 * another process, has its data at home meanwhile). */
	if (x->remote.wb_len && !(c->row && (c->row->fn == ex_write || c->row->fn == ex_writev)))
		remote_flush_writes(&x->remote);
	if (x->remote.nlater)
		remote_poll(&x->remote);
	if (x->broken && ex_broken_fd(c))
		return;
	if (c->nr == EXEC_SCRIPT_HELPER_NR)
		ex_script_fetch(c);
	else if (c->row)
		c->row->fn(c);
	else
		generic(c);
}

void exec_enter(struct exec *x, pid_t tid, long nr, const uint64_t args[SYSCALL_MAX_ARGS], struct exec_action *a)
{
	action_init(a);
	if (x->remote.lost)
		ex_lost(x);
	if (exec_lost(x)) {
		a->verdict = EXEC_FATAL;
		return;
	}
	struct vft_task *t = vft_task_find(x->vft, tid);
	if (!t)
		t = vft_task_new(x->vft, tid, 0, false, false);
	struct exec_thread *th = t ? thread_of(t) : NULL;
	if (!th) {
		a->verdict = EXEC_ANSWER;
		a->result = -ENOMEM;
		return;
	}
	pending_drop(x, &th->pending);
	if (x->aliases || x->restores)
		ex_prog_task_event(x, tid, false);
	if (!th->parked)
		th->retries = 0;
	th->parked = false;
	if (nr >= 0 && nr <= x->max_nr) {
		const struct policy_route *cr = &x->call_route[nr];
		a->log = cr->log;
		if (cr->method == POLICY_DENY) {
			/* Denied by name, and logged (else the filter answers). */
			a->route = ROUTE_DENY;
			a->verdict = EXEC_ANSWER;
			a->result = -cr->deny_errno;
			x->stats.calls[a->route]++;
			return;
		}
	}
	struct exec_call c = {
		.x = x, .t = t, .tid = tid, .nr = nr, .desc = syscall_by_nr(nr), .arg = args, .a = a,
		.p = &th->pending, .th = th,
	};
	c.row = nr >= 0 && nr <= x->max_nr ? x->rows[nr] : NULL;
	if (t->files->revalidate)
		ex_validate_table(&c);
	if (x->fd_base && vft_low_count(x->vft))
		validate_low_fds(x);
	bool was_up = !x->remote.lost;
	unsigned long changes = x->remote.changes_sent;
	run_call(x, &c);
	/* It failed only because the shadow was lost, and nothing it asked
	 * could have changed anything at home: in a new session it is made
	 * again, as if nothing had happened. */
	bool again = a->verdict == EXEC_ANSWER && a->result == -EIO && x->remote.changes_sent == changes;
	if (was_up && x->remote.lost && ex_lost(x) && again) {
		bool log = a->log;
		action_init(a);
		a->log = log;
		pending_drop(x, &th->pending);
		run_call(x, &c);
	}
	if (exec_lost(x))
		a->verdict = EXEC_FATAL;
	if (!a->see_exit)
		pending_drop(x, &th->pending);
	x->stats.calls[a->route]++;
}

static void exit_cwd_local(struct exec *x, struct vft_task *t)
{
	char proc[64], cwd[PATH_MAX];
	snprintf(proc, sizeof proc, "/proc/%d/cwd", (int)t->tid);
	ssize_t n = readlink(proc, cwd, sizeof cwd - 1);
	if (n <= 0 || cwd[0] != '/') {
		fprintf(x->warn ? x->warn : stderr, "splitrun: process %d: cannot read its cwd: %s\n", (int)t->tid,
			n < 0 ? strerror(errno) : "not a path");
		return;
	}
	cwd[n] = 0;
	vft_set_cwd(t, cwd, false);
}

enum exec_exit_action exec_exit(struct exec *x, pid_t tid, int64_t ret, int64_t *override)
{
	struct vft_task *t = vft_task_find(x->vft, tid);
	if (!t || !t->exec)
		return EXEC_EXIT_KEEP;
	struct exec_pending *p = &((struct exec_thread *)t->exec)->pending;
	enum exec_exit_action what = EXEC_EXIT_KEEP;
	/* A call the kernel restarts is trapped again: nothing happened. */
	bool restarting = ret >= -516 && ret <= -512;
	switch (restarting ? PEND_NONE : p->kind) {
	case PEND_NONE:
		break;
	case PEND_INSTALL:
		if (ret >= 0)
			vft_fd_set(x->vft, t, (int)ret, p->obj, p->cloexec);
		if (ret >= 0 && ret < x->fd_base)
			(void)low_remote_fd(x, t, p->obj, (int)ret);
		/* The guest holds its own fd on a staged copy now: the copy
		 * may have the home file's exact mode (fstat shows it). */
		if (ret >= 0 && p->obj->method == VFT_STAGE)
			(void)fchmod(p->obj->placeholder, p->obj->stage_mode);
		/* A map of the file took hold of it while the open was on
		 * its way: the new fd is a held one too. */
		if (ret >= 0 && ex_hold_installed(x, p->obj, tid, (int)ret) < 0)
			fprintf(x->warn ? x->warn : stderr,
				"splitrun: %s: the file is mapped, and this open of it cannot follow\n",
				p->obj->guest_path);
		break;
	case PEND_DUP:
		if (ret >= 0)
			vft_fd_dup(x->vft, t, p->fd, (int)ret, p->cloexec);
		break;
	case PEND_DUP_ONTO:
		if (ret == p->fd2)
			vft_fd_dup(x->vft, t, p->fd, p->fd2, p->cloexec);
		break;
	case PEND_SET_CLOEXEC:
		if (ret >= 0)
			vft_fd_set_cloexec(t, p->fd, p->cloexec);
		break;
	case PEND_CLOSE_RANGE:
		if (ret == 0)
			vft_fd_close_range(x->vft, t, (unsigned)p->fd, (unsigned)p->fd2,
					   (p->flags & CLOSE_RANGE_CLOEXEC) != 0, (p->flags & CLOSE_RANGE_UNSHARE) != 0);
		break;
	case PEND_CWD_LOCAL:
		if (ret == 0)
			exit_cwd_local(x, t);
		break;
	case PEND_UNSHARE:
		if (ret == 0)
			/* A new mount or user namespace implies CLONE_FS. */
			vft_task_unshare(x->vft, t, (p->flags & CLONE_FILES) != 0,
					 (p->flags & (CLONE_FS | CLONE_NEWNS | CLONE_NEWUSER)) != 0);
		break;
	case PEND_OVERRIDE:
		if (ret == 0 && p->result < 0) {
			*override = p->result;
			what = EXEC_EXIT_OVERRIDE;
		}
		break;
	case PEND_RESULT:
		if (ret >= 0) {
			*override = p->result;
			what = EXEC_EXIT_OVERRIDE;
		}
		break;
	case PEND_CLOSE_FD:
		break;   /* pending_drop closes it */
	case PEND_RETRY:
		/* Timed out, or the fd waited on is ready: try again. A
		 * signal (EINTR, or a restart the backend has already put
		 * back) is the guest's own business. */
		if (ret >= 0)
			what = EXEC_EXIT_REDO;
		break;
	case PEND_ADVANCE:
		if (ret > 0 && p->obj)
			ex_io_set_pos(x, p->obj, p->result + ret);
		break;
	}
	pending_drop(x, p);
	return what;
}

/* ---- setup ---- */

struct exec *exec_new(const struct exec_config *cfg)
{
	struct exec *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->policy = cfg->policy;
	x->attr_ttl_ns = cfg->attr_ttl_ns;
	x->on_lost = cfg->on_lost;
	x->reconnect_ns = cfg->reconnect_ns;
	x->redial = cfg->redial;
	x->redial_ctx = cfg->redial_ctx;
	if (x->on_lost == EXEC_LOST_RECONNECT && !x->redial)
		x->on_lost = EXEC_LOST_STOP;
	x->sync_close = cfg->sync_close;
	if (remote_init(&x->remote, cfg->conn, cfg->warn, cfg->attr_ttl_ns) < 0) {
		remote_free(&x->remote);
		free(x);
		fprintf(stderr, "splitrun: out of memory\n");
		return NULL;
	}
	x->mem = cfg->mem;
	x->caps = cfg->caps;
	x->fd_base = cfg->caps & EXEC_CAN_ADDFD ? cfg->fd_base : 0;
	x->launch_room = cfg->launch_room;
	x->warn = cfg->warn;
	x->max_nr = syscall_max_nr();
	x->rows = calloc((size_t)x->max_nr + 1, sizeof *x->rows);
	x->warned = calloc((size_t)x->max_nr + 1, 1);
	x->iobuf = malloc(RPC_MAX_BUF);
	x->ppoll_nr = syscall_nr("ppoll");
	x->self = getpid();
	x->call_route = calloc((size_t)x->max_nr + 1, sizeof *x->call_route);
	for (long nr = 0; x->call_route && nr <= x->max_nr; nr++) {
		const struct syscall_desc *d = syscall_by_nr(nr);
		if (!d)
			continue;
		policy_route_call(x->policy, d->name, &x->call_route[nr]);
		if (x->call_route[nr].method == POLICY_REMOTE && (d->classes & SC_CLOCK))
			x->remote_clock = true;
	}
	char cwd[PATH_MAX];
	bool cwd_ok = cfg->cwd && policy_normalize(cfg->cwd, cwd, sizeof cwd) == 0;
	struct policy_route route = { 0 };
	char shadow[PATH_MAX];
	if (cwd_ok && policy_route_path(x->policy, cwd, &route, shadow, sizeof shadow) < 0)
		cwd_ok = false;
	bool cwd_remote = route.method == POLICY_REMOTE || route.method == POLICY_STAGE;
	char canon[PATH_MAX], physical[PATH_MAX];
	if (cwd_ok && cwd_remote && remote_enter_dir(&x->remote, RPC_HANDLE_CWD, shadow, canon, sizeof canon) == 0 &&
	    ex_guest_of_shadow(x, cwd, shadow, canon, physical, sizeof physical) == 0)
		strcpy(cwd, physical);
	if (cwd_ok)
		x->vft = vft_new(ex_release, x, cwd, cwd_remote, cfg->umask);
	if (x->vft)
		vft_set_low_mark(x->vft, x->fd_base);
	if (!x->rows || !x->warned || !x->iobuf || !x->call_route || !x->vft) {
		fprintf(stderr, "splitrun: %s\n", cwd_ok ? "out of memory" : "the cwd is not a usable absolute path");
		exec_free(x, NULL);
		return NULL;
	}
	/* The kernel's cwd is of no use to a remote cwd: a private empty
	 * directory, where programs stored at home can be given names. */
	if (cwd_remote && ex_run_dir_make(x) < 0) {
		exec_free(x, NULL);
		return NULL;
	}
	for (size_t i = 0; i < exec_row_count; i++) {
		long nr = syscall_nr(exec_rows[i].name);
		if (nr >= 0 && nr <= x->max_nr)
			x->rows[nr] = &exec_rows[i];
	}
	return x;
}

/* Removes everything in directory FD (closed here), never following a
 * symbolic link; DEPTH bounds the descent. */
static void empty_dir(int fd, int depth)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0 || errno != EISDIR)
			continue;
		int sub = depth < 64 ? openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
		if (sub >= 0)
			empty_dir(sub, depth + 1);
		unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

static void remove_stage_dir(struct exec *x)
{
	if (!x->stage_dir[0])
		return;
	/* Only what the executive made lives there: staged files, program
	 * copies, the run directory (with names made there, and whatever
	 * the guest put in its kernel cwd unseen, a relative socket's name). */
	int fd = open(x->stage_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		empty_dir(fd, 0);
	rmdir(x->stage_dir);
	x->stage_dir[0] = 0;
	x->run_dir[0] = 0;
}

static void free_task_state(void *ctx, struct vft_task *t)
{
	thread_free(ctx, t);
}

int exec_free(struct exec *x, struct exec_stats *final)
{
	if (!x)
		return 0;
	/* The guest stopped for a lost shadow: its one line says it all. */
	x->stopped = exec_lost(x) != NULL;
	x->ending = true;
	/* Staged and held files still to go home need a session. */
	if (x->remote.lost && x->on_lost == EXEC_LOST_RECONNECT && !x->stop_why && ex_lost_matters(x) &&
	    !ex_lost(x) && x->stop_why)
		fprintf(x->warn ? x->warn : stderr, "splitrun: %s\n", x->stop_why);
	if (x->vft) {
		/* Each task's exec state first (with the references its
		 * pending exit holds), then the tables, which releases every
		 * object still open: handles closed, staged files written back. */
		vft_task_each(x->vft, free_task_state, x);
		vft_free(x->vft);
		x->vft = NULL;
	}
	ex_placeholders_check(x, true);
	ex_prog_free(x);
	ex_create_reset(x, true);   /* files made ahead and not used: closed */
	remote_fini(&x->remote);
	ex_settle_closes(x);   /* told; none is left unless the shadow was lost */
	if (final)
		exec_get_stats(x, final);
	remote_free(&x->remote);
	remove_stage_dir(x);
	/* A shadow lost once the guest is done (the replies to its last
	 * closes) matters only when data was lost with it that no call of the
	 * guest's reported (a write of a file closed without waiting that got
	 * no answer counts), or when the guest was to be stopped for it. */
	int rc = x->stopped || x->stop_why || x->unreported ? -EIO : 0;
	if (x->remote.lost && !x->stopped && !x->lost_told && !x->stop_why)
		fprintf(x->warn ? x->warn : stderr, "splitrun: %s%s\n", x->remote.lost,
			rc < 0 ? "" : " (after the program's end: nothing it wrote was lost)");
	free(x->rows);
	free(x->warned);
	free(x->iobuf);
	free(x->call_route);
	free(x);
	return rc;
}

/* ---- the filter ---- */

static bool has_arg_kind(const struct syscall_desc *d, enum arg_kind k)
{
	return ex_arg_index(d, k, 0) >= 0;
}

/* The fd arguments (and dirfds) of D, as a mask of argument indices. */
static uint8_t fd_args_of(const struct syscall_desc *d)
{
	uint8_t mask = 0;
	for (int i = 0; i < d->nargs; i++)
		if (d->arg[i] == AK_FD || d->arg[i] == AK_DIRFD)
			mask |= (uint8_t)(1u << i);
	return mask;
}

void exec_filter_rules(const struct policy *p, unsigned caps, int fd_base, struct exec_filter_rule *rules)
{
	/* Calls that change what later calls mean, trapped whatever their
	 * arguments: the cwd, the umask, new programs, clone's flags. */
	static const char *const always[] = {
		"clone", "execve", "execveat", "umask", "chdir", "fchdir", "getcwd", "unshare",
		"msync",   /* a held file's map goes home (exec_map.c) */
	};
	/* Calls on fds that trap whatever the fd's number: what they pass
	 * along is behind a pointer (SCM_RIGHTS). */
	static const char *const fds_behind_pointers[] = { "sendmsg", "sendmmsg" };
	long max = syscall_max_nr();
	/* With every path rule local (and none logged), nothing remote can
	 * ever be open and no path needs looking at: only calls decided by
	 * name trap. */
	bool remote_possible = policy_any_nonlocal(p);
	bool path_traps = remote_possible || policy_any_path_log(p);
	/* "gethostname" is a name of the policy language, not a call: libc
	 * asks uname. */
	struct policy_route host;
	policy_route_call(p, "gethostname", &host);
	for (long nr = 0; nr <= max; nr++) {
		const struct syscall_desc *d = syscall_by_nr(nr);
		struct exec_filter_rule *rule = &rules[nr];
		*rule = (struct exec_filter_rule){ .action = EXEC_FILTER_ALLOW };
		if (!d)
			continue;
		struct policy_route r;
		policy_route_call(p, d->name, &r);
		if (r.method == POLICY_DENY && !r.log) {
			rule->action = EXEC_FILTER_ERRNO;
			rule->err = (uint16_t)r.deny_errno;
			continue;
		}
		if (strcmp(d->name, "clone3") == 0) {
			/* Its flags sit behind a pointer the filter cannot
			 * read; libc falls back to clone. */
			rule->action = EXEC_FILTER_ERRNO;
			rule->err = ENOSYS;
			continue;
		}
		bool trap = (d->classes & SC_NO_ROW) || r.method != POLICY_LOCAL || r.log ||
			    (has_arg_kind(d, AK_PATH) && path_traps);
		for (size_t i = 0; !trap && remote_possible && i < sizeof always / sizeof always[0]; i++)
			trap = strcmp(d->name, always[i]) == 0;
		/* clone traps for CLONE_UNTRACED, which only ptrace follows; a
		 * fork is never trapped without ptrace: until it is taken, a
		 * trapped call can be interrupted, and fork would fail with
		 * EINTR (exec_task_new finds the child's remote fds instead). */
		if (trap && strcmp(d->name, "clone") == 0 && !(caps & EXEC_CAN_REWRITE))
			trap = r.method != POLICY_LOCAL || r.log;
		for (size_t i = 0; !trap && remote_possible && i < sizeof fds_behind_pointers / sizeof fds_behind_pointers[0];
		     i++)
			trap = strcmp(d->name, fds_behind_pointers[i]) == 0;
		if (!trap && strcmp(d->name, "uname") == 0)
			trap = host.method != POLICY_LOCAL || host.log;
		if (trap) {
			rule->action = EXEC_FILTER_TRAP;
		} else if (remote_possible && fd_args_of(d)) {
			/* Only an fd that may be remote traps: remote fds live
			 * at fd_base and above (ex_install), and what lands
			 * lower is held (native). */
			rule->action = EXEC_FILTER_TRAP;
			if (fd_base > 0) {
				rule->fd_args = fd_args_of(d);
				rule->fd_below = (uint32_t)fd_base;
				rule->anon_ok = strcmp(d->name, "mmap") == 0;
			}
		}
	}
}
const char *exec_cannot_run(const struct policy *p, unsigned caps, bool first_remote)
{
	if (caps & EXEC_CAN_REWRITE)
		return NULL;
	if (first_remote && !(caps & EXEC_CAN_ADDFD))
		return "the program is stored at home: running it needs --backend=ptrace";
	long max = syscall_max_nr();
	for (long nr = 0; nr <= max; nr++) {
		const struct syscall_desc *d = syscall_by_nr(nr);
		struct policy_route r;
		if (!d || !(d->classes & SC_CLOCK))
			continue;
		policy_route_call(p, d->name, &r);
		if (r.method == POLICY_REMOTE)
			return "the policy sends the clock home, which needs the vDSO hidden at each execve: "
			       "that needs --backend=ptrace";
	}
	return NULL;
}
