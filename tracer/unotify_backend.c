/* tracer/unotify_backend.c: the seccomp user-notification backend
 * (SECCOMP_RET_USER_NOTIF), the other implementation of tracer/backend.h.
 *
 * The guest's filter is loaded with SECCOMP_FILTER_FLAG_NEW_LISTENER (and
 * SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV where the kernel has it: once a
 * notification is received, only a fatal signal interrupts the waiting
 * thread, so an answer computed at the shadow is never thrown away by an
 * ordinary signal and the call redone). The child works out the number its
 * listener will get, tells it through a pipe before loading the filter,
 * and splitrun takes the listener with pidfd_getfd(2); nothing the child
 * does after loading its filter needs an answer before that.
 *
 * One thread of splitrun waits on an epoll set: the listener, a pidfd per
 * guest thread (PIDFD_THREAD: its end) and timers for held calls. A
 * notification becomes an ENTER event; the verdict is one ioctl: NOTIF_SEND
 * with a value or with SECCOMP_USER_NOTIF_FLAG_CONTINUE, or NOTIF_ADDFD with
 * SECCOMP_ADDFD_FLAG_SEND (the fd and the answer in one step; SETFD where
 * the number is the guest's choice, as for dup2). A TRAP_DEFER verdict
 * leaves the notification unanswered and offers the call again later.
 *
 * There are no ptrace events, and fork, vfork and clone are not trapped
 * (a trapped call can be interrupted by a signal until splitrun takes it,
 * and fork would then fail with EINTR, which it never does natively). A
 * thread is announced (NEW) when it first traps; its parent and what it
 * shares with it come from /proc and kcmp(2). Its end comes from its pidfd
 * (GONE); the first process is splitrun's child and is reaped for its
 * status. The run is over when the listener hangs up: no process uses the
 * filter any more. Every notification waiting on the listener is taken at
 * once, before any is handled: from then on only a fatal signal interrupts
 * its thread (WAIT_KILLABLE_RECV).
 *
 * A notification whose thread was interrupted (NOTIF_SEND or NOTIF_ADDFD
 * fail with ENOENT) leaves the answer with nobody to take it; without
 * WAIT_KILLABLE_RECV the kernel restarts such a call after the signal, and
 * the very same call of that thread (number and arguments) is then given
 * the answer already worked out instead of being done twice.
 *
 * With sync_wake_up the listener gets SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
 * (Linux 6.6): the notification wakes splitrun, and the answer the guest
 * thread, on the CPU of the side that did the waking, so a hand-off does
 * not cross CPUs (tracer/placement.h chooses). The first half only works
 * for a waiter in NOTIF_RECV itself: epoll passes the wake-up on as an
 * ordinary synchronous one, after which the scheduler prefers an idle CPU
 * (measured: in some runs half of the hand-offs still crossed CPUs;
 * docs/performance.md, "CPU placement"). So while no call is held for
 * later, splitrun waits in NOTIF_RECV, and after each notification looks
 * at the epoll set (thread ends, hang-up) without waiting, before the
 * notification is handled; NOTIF_RECV returns ENOENT once no process uses
 * the filter. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kcmp.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arch/syscall.h"
#include "policy/exec.h"
#include "tracer/backend.h"
#include "tracer/filter.h"
#include "tracer/launch.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif

#define THREAD_BUCKETS 256
/* A number no kernel gives a call: the child's last step before its
 * execve is this call, which traps whatever the policy (numbers no table
 * knows always trap in split mode) and waits until splitrun has its
 * listener. splitrun answers it ENOSYS. */
#define HANDSHAKE_NR 4095
#define QUEUE_MAX 256
#define LISTENER_WAIT_MS 10000

struct uthread {
	struct uthread *next;
	pid_t tid;
	pid_t tgid;
	int pidfd;                 /* -1: none (its end is learnt with its process's) */
	bool waiting;              /* call/id: a notification not answered yet */
	uint64_t id;
	struct trace_call call;
	/* A call whose answer found nobody (ENOENT): given again if the same
	 * call comes back (a restart). */
	bool replay;
	long replay_nr;
	uint64_t replay_args[SYSCALL_MAX_ARGS];
	int64_t replay_ret;
	/* TRAP_DEFER: offered again at due. */
	bool deferred;
	struct timespec due;
	bool gone;                 /* its GONE event is queued */
};

struct unotify_backend {
	struct trap_backend base;
	bool sync_wake_up;         /* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP asked for */
	/* The kernel has it: splitrun waits in NOTIF_RECV itself when it can
	 * (a wait in epoll gets the wake-up as an ordinary one). */
	bool wait_in_recv;
	int listener;
	int epfd;
	bool hung_up;
	bool handshaken;           /* the child's handshake call was answered */
	unsigned filter_flags;
	struct uthread *buckets[THREAD_BUCKETS];
	size_t nthreads;
	struct trap_event queue[QUEUE_MAX];
	size_t qhead, qlen;
	struct uthread *to_free;   /* gone, its GONE event handed out */
	struct seccomp_notif *req;
	size_t req_size;
	struct seccomp_notif_resp *resp;
	size_t resp_size;
	unsigned ndeferred;
};

static struct unotify_backend *impl_of(struct trap_backend *b)
{
	return (struct unotify_backend *)b;
}

/* ---- threads ---- */

static struct uthread **slot_of(struct unotify_backend *ub, pid_t tid)
{
	struct uthread **p = &ub->buckets[(unsigned)tid % THREAD_BUCKETS];
	while (*p && (*p)->tid != tid)
		p = &(*p)->next;
	return p;
}

static struct uthread *thread_find(struct unotify_backend *ub, pid_t tid)
{
	return *slot_of(ub, tid);
}

static pid_t tgid_of(pid_t tid, pid_t *ppid)
{
	char path[64], line[128];
	snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	pid_t tgid = 0;
	*ppid = 0;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "Tgid:", 5) == 0)
			tgid = (pid_t)atoi(line + 5);
		else if (strncmp(line, "PPid:", 5) == 0)
			*ppid = (pid_t)atoi(line + 5);
	}
	fclose(f);
	return tgid;
}

static struct uthread *thread_add(struct unotify_backend *ub, pid_t tid)
{
	struct uthread *t = calloc(1, sizeof *t);
	if (!t) {
		fprintf(stderr, "splitrun: out of memory\n");
		exit(1);
	}
	pid_t ppid;
	t->tid = tid;
	t->tgid = tgid_of(tid, &ppid);
	if (!t->tgid)
		t->tgid = tid;
	t->pidfd = exec_thread_pidfd(tid);
	if (t->pidfd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)(unsigned)tid };
		(void)epoll_ctl(ub->epfd, EPOLL_CTL_ADD, t->pidfd, &ev);
	}
	struct uthread **bucket = &ub->buckets[(unsigned)tid % THREAD_BUCKETS];
	t->next = *bucket;
	*bucket = t;
	ub->nthreads++;
	return t;
}

static void thread_unlink(struct unotify_backend *ub, struct uthread *t)
{
	struct uthread **p = slot_of(ub, t->tid);
	if (*p == t)
		*p = t->next;
	ub->nthreads--;
	if (t->pidfd >= 0) {
		(void)epoll_ctl(ub->epfd, EPOLL_CTL_DEL, t->pidfd, NULL);
		close(t->pidfd);
		t->pidfd = -1;
	}
	if (t->deferred) {
		t->deferred = false;
		ub->ndeferred--;
	}
}

/* ---- the event queue ---- */

static struct trap_event *queue_push(struct unotify_backend *ub)
{
	if (ub->qlen == QUEUE_MAX) {
		fprintf(stderr, "splitrun: too many events at once (more than %d new threads?)\n", QUEUE_MAX);
		exit(1);
	}
	struct trap_event *ev = &ub->queue[(ub->qhead + ub->qlen++) % QUEUE_MAX];
	memset(ev, 0, sizeof *ev);
	return ev;
}

static bool queue_pop(struct unotify_backend *ub, struct trap_event *out)
{
	if (!ub->qlen)
		return false;
	*out = ub->queue[ub->qhead];
	ub->qhead = (ub->qhead + 1) % QUEUE_MAX;
	ub->qlen--;
	return true;
}

/* ---- processes appearing and ending ---- */

static bool kcmp_same(pid_t a, pid_t b, int type, bool *failed)
{
	long r = syscall(SYS_kcmp, a, b, type, 0, 0);
	if (r < 0)
		*failed = true;
	return r == 0;
}

/* Whether thread PARENT (of process TGID) lists CHILD among its children. */
static bool lists_child(pid_t tgid, pid_t parent, pid_t child)
{
	char path[96];
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)tgid, (int)parent);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	long pid;
	bool found = false;
	while (!found && fscanf(f, "%ld", &pid) == 1)
		found = (pid_t)pid == child;
	fclose(f);
	return found;
}

/* The known thread that made TID: for a thread of a known process, one of
 * that process's threads (the leader if known); for a process, the thread
 * of its parent process that lists it as a child. 0 if none is known. */
static pid_t find_parent(struct unotify_backend *ub, pid_t tid, pid_t tgid, pid_t ppid)
{
	if (tgid != tid) {
		if (thread_find(ub, tgid))
			return tgid;
		for (int i = 0; i < THREAD_BUCKETS; i++)
			for (struct uthread *t = ub->buckets[i]; t; t = t->next)
				if (t->tgid == tgid && t->tid != tid)
					return t->tid;
		return 0;
	}
	for (int i = 0; i < THREAD_BUCKETS; i++)
		for (struct uthread *t = ub->buckets[i]; t; t = t->next)
			if (t->tgid == ppid && lists_child(t->tgid, t->tid, tid))
				return t->tid;
	return 0;
}

/* A thread splitrun did not know: announced (NEW) with its parent and
 * what it shares with it. */
static struct uthread *discover(struct unotify_backend *ub, pid_t tid, pid_t parent)
{
	pid_t ppid = 0;
	pid_t tgid = tgid_of(tid, &ppid);
	if (!tgid)
		return NULL;   /* gone already */
	if (!parent)
		parent = find_parent(ub, tid, tgid, ppid);
	struct uthread *t = thread_add(ub, tid);
	struct trap_event *ev = queue_push(ub);
	ev->kind = TRAP_EV_NEW;
	ev->tid = tid;
	ev->task = (struct trap_new_task){ .tid = tid, .parent = parent };
	if (parent) {
		bool failed = false;
		ev->task.shares_files = kcmp_same(parent, tid, KCMP_FILES, &failed);
		ev->task.shares_fs = kcmp_same(parent, tid, KCMP_FS, &failed);
		ev->task.shares_vm = kcmp_same(parent, tid, KCMP_VM, &failed);
		if (failed) {
			/* Gone meanwhile, or kcmp refused: a thread shares all. */
			ev->task.shares_files = ev->task.shares_fs = ev->task.shares_vm = tgid != tid;
		}
	}
	return t;
}

static void reap_guest(struct unotify_backend *ub, bool block)
{
	if (ub->base.guest_done || ub->base.guest <= 0)
		return;
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int rc;
	do
		rc = waitid(P_PID, (id_t)ub->base.guest, &si, WEXITED | (block ? 0 : WNOHANG));
	while (rc < 0 && errno == EINTR);
	if (rc < 0 || si.si_pid == 0)
		return;
	ub->base.guest_done = true;
	ub->base.guest_status = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0)
			      : (si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
}

/* T ended: a GONE event (with the wait status for the first process). */
static void thread_gone(struct unotify_backend *ub, struct uthread *t)
{
	if (t->gone)
		return;
	t->gone = true;
	thread_unlink(ub, t);
	if (t->tid == ub->base.guest)
		reap_guest(ub, false);
	struct trap_event *ev = queue_push(ub);
	ev->kind = TRAP_EV_GONE;
	ev->tid = t->tid;
	ev->wait_status = t->tid == ub->base.guest && ub->base.guest_done ? ub->base.guest_status : 0;
	ev->stop = t;   /* freed once handed out */
}

/* Without PIDFD_THREAD a non-leader thread has no pidfd: it ends with
 * its process. */
static void process_gone(struct unotify_backend *ub, pid_t tgid)
{
	for (int i = 0; i < THREAD_BUCKETS; i++)
		for (struct uthread *t = ub->buckets[i], *next; t; t = next) {
			next = t->next;
			if (t->tgid == tgid && t->pidfd < 0)
				thread_gone(ub, t);
		}
}

/* ---- answers ---- */

static int send_resp(struct unotify_backend *ub, uint64_t id, int64_t val, bool cont)
{
	memset(ub->resp, 0, ub->resp_size);
	ub->resp->id = id;
	if (cont) {
		ub->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else if (val < 0 && val >= -4095) {
		ub->resp->error = (int32_t)val;
	} else {
		ub->resp->val = val;
	}
	int rc;
	do
		rc = ioctl(ub->listener, SECCOMP_IOCTL_NOTIF_SEND, ub->resp);
	while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : 0;
}

static bool id_valid(struct unotify_backend *ub, uint64_t id)
{
	return ioctl(ub->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static void fill_call(struct uthread *t, const struct seccomp_notif *req)
{
	struct trace_call *c = &t->call;
	c->pid = t->tid;
	c->nr = req->data.nr;
	c->desc = syscall_by_nr(c->nr);
	if (!c->desc) {
		static struct syscall_desc unknown = {
			.name = "syscall", .nargs = SYSCALL_MAX_ARGS,
			.arg = { AK_HEX, AK_HEX, AK_HEX, AK_HEX, AK_HEX, AK_HEX },
		};
		c->desc = &unknown;
	}
	for (int i = 0; i < SYSCALL_MAX_ARGS; i++)
		c->arg[i] = req->data.args[i];
	c->ret = 0;
	c->skipped = false;
	c->route = NULL;
	c->printer_state = NULL;
	clock_gettime(CLOCK_MONOTONIC, &c->t_enter);
	t->id = req->id;
	t->waiting = true;
}

/* The notification in ub->req, just received: queues its events. */
static void take(struct unotify_backend *ub)
{
	pid_t tid = (pid_t)ub->req->pid;
	struct uthread *t = thread_find(ub, tid);
	if (!t) {
		t = discover(ub, tid, 0);
		if (!t) {
			(void)send_resp(ub, ub->req->id, -ESRCH, false);
			return;
		}
	}
	if (ub->req->data.nr == HANDSHAKE_NR && tid == ub->base.guest && !ub->handshaken) {
		ub->handshaken = true;
		(void)send_resp(ub, ub->req->id, -ENOSYS, false);
		return;
	}
	if (t->replay) {
		t->replay = false;
		if (ub->req->data.nr == t->replay_nr &&
		    memcmp(ub->req->data.args, t->replay_args, sizeof t->replay_args) == 0) {
			(void)send_resp(ub, ub->req->id, t->replay_ret, false);
			return;
		}
	}
	fill_call(t, ub->req);
	struct trap_event *ev = queue_push(ub);
	ev->kind = TRAP_EV_ENTER;
	ev->tid = tid;
	ev->call = &t->call;
	ev->stop = t;
}

/* One notification off the listener into ub->req, waiting until there is
 * one (a caller that must not wait polls first). False when there was none
 * to take: ENOENT (its thread was interrupted before we took it, or no
 * process uses the filter any more), EINTR (a signal to splitrun). */
static bool recv_one(struct unotify_backend *ub)
{
	memset(ub->req, 0, ub->req_size);
	return ioctl(ub->listener, SECCOMP_IOCTL_NOTIF_RECV, ub->req) == 0;
}

/* Takes every notification waiting on the listener; TAKEN: one is in
 * ub->req already. */
static void receive(struct unotify_backend *ub, bool taken)
{
	for (int n = 0; n < 64 && ub->qlen + 2 < QUEUE_MAX; n++) {
		if ((n > 0 || !taken) && !recv_one(ub))
			break;
		take(ub);
		struct pollfd more = { .fd = ub->listener, .events = POLLIN };
		if (poll(&more, 1, 0) <= 0 || !(more.revents & POLLIN))
			break;
	}
}

static long ms_until(const struct timespec *due)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (due->tv_sec - now.tv_sec) * 1000 + (due->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms + 1;
}

/* Held calls that are due are offered again; returns the wait until the
 * next one (-1: none). */
static int offer_deferred(struct unotify_backend *ub)
{
	long next = -1;
	for (int i = 0; i < THREAD_BUCKETS && ub->ndeferred; i++)
		for (struct uthread *t = ub->buckets[i]; t; t = t->next) {
			if (!t->deferred)
				continue;
			long ms = ms_until(&t->due);
			if (ms > 0) {
				if (next < 0 || ms < next)
					next = ms;
				continue;
			}
			t->deferred = false;
			ub->ndeferred--;
			if (!id_valid(ub, t->id)) {
				t->waiting = false;   /* killed meanwhile (or interrupted: it comes back) */
				continue;
			}
			clock_gettime(CLOCK_MONOTONIC, &t->call.t_enter);
			struct trap_event *ev = queue_push(ub);
			ev->kind = TRAP_EV_ENTER;
			ev->tid = t->tid;
			ev->call = &t->call;
			ev->stop = t;
		}
	return next > INT_MAX ? INT_MAX : (int)next;
}

static int poll_events(struct unotify_backend *ub, int timeout, bool listener);

static int un_next_event(struct trap_backend *b, struct trap_event *ev)
{
	struct unotify_backend *ub = impl_of(b);
	if (ub->to_free) {
		free(ub->to_free);
		ub->to_free = NULL;
	}
	for (;;) {
		if (queue_pop(ub, ev)) {
			if (ev->kind == TRAP_EV_GONE) {
				ub->to_free = ev->stop;
				ev->stop = NULL;
			}
			return 1;
		}
		if (ub->hung_up) {
			reap_guest(ub, true);
			return 0;
		}
		int timeout = offer_deferred(ub);
		if (ub->qlen)
			continue;
		if (ub->wait_in_recv && timeout < 0) {
			/* Nothing held for later: wait in the listener itself,
			 * which is woken on the trapping thread's CPU. */
			if (recv_one(ub)) {
				/* Ends that came before this call are told first
				 * (a child's exit before its parent's next call). */
				if (poll_events(ub, 0, false) < 0)
					return -1;
				receive(ub, true);
				continue;
			}
			/* EINTR, or ENOENT: an interrupted thread, or no process
			 * left (the listener hangs up): look without waiting. */
			timeout = 0;
		}
		if (poll_events(ub, timeout, true) < 0)
			return -1;
	}
}

/* Waits up to TIMEOUT ms (-1: no limit) on the epoll set: thread ends
 * (GONE), and with LISTENER notifications and the listener's hang-up.
 * Returns 0, or -1 after printing why. */
static int poll_events(struct unotify_backend *ub, int timeout, bool listener)
{
	struct epoll_event evs[16];
	int n = epoll_wait(ub->epfd, evs, 16, timeout);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		fprintf(stderr, "splitrun: epoll_wait: %s\n", strerror(errno));
		return -1;
	}
	bool hup = false;
	for (int i = 0; i < n; i++) {
		if (evs[i].data.u64 == UINT64_MAX) {
			if (!listener)
				continue;
			if (evs[i].events & EPOLLIN)
				receive(ub, false);
			else if (evs[i].events & (EPOLLHUP | EPOLLERR))
				hup = true;
			continue;
		}
		pid_t tid = (pid_t)evs[i].data.u64;
		struct uthread *t = thread_find(ub, tid);
		if (t) {
			pid_t tgid = t->tgid;
			thread_gone(ub, t);
			if (tid == tgid)
				process_gone(ub, tgid);
		}
	}
	if (hup && !ub->qlen) {
		/* No process uses the filter: whoever is still listed
		 * ended without our hearing it. */
		for (int i = 0; i < THREAD_BUCKETS; i++)
			for (struct uthread *t = ub->buckets[i], *next; t; t = next) {
				next = t->next;
				thread_gone(ub, t);
			}
		ub->hung_up = true;
	}
	return 0;
}

/* ---- verdicts ---- */

static int install(struct unotify_backend *ub, struct uthread *t, const struct trap_control *ctl)
{
	struct seccomp_notif_addfd add = {
		.id = t->id,
		.flags = SECCOMP_ADDFD_FLAG_SEND | (ctl->install_at >= 0 ? SECCOMP_ADDFD_FLAG_SETFD : 0),
		.srcfd = (uint32_t)ctl->install_fd,
		.newfd = ctl->install_at >= 0 ? (uint32_t)ctl->install_at : 0,
		.newfd_flags = (uint32_t)(ctl->install_flags & O_CLOEXEC),
	};
	int fd;
	do
		fd = ioctl(ub->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
	while (fd < 0 && errno == EINTR);
	int64_t ret = fd;
	if (fd < 0) {
		ret = -errno;
		/* The call still waits for an answer, unless it is gone. */
		if (errno != ENOENT && send_resp(ub, t->id, ret, false) == -ENOENT)
			ret = -ENOENT;
	}
	t->waiting = false;
	t->call.ret = ret;
	clock_gettime(CLOCK_MONOTONIC, &t->call.t_exit);
	struct trap_event *ev = queue_push(ub);
	ev->kind = TRAP_EV_EXIT;
	ev->tid = t->tid;
	ev->call = &t->call;
	ev->stop = NULL;
	return 0;
}

static int un_resume(struct trap_backend *b, struct trap_event *ev, enum trap_verdict verdict,
		     const struct trap_control *ctl)
{
	struct unotify_backend *ub = impl_of(b);
	if (ev->kind != TRAP_EV_ENTER || !ev->stop)
		return 0;
	struct uthread *t = ev->stop;
	ev->stop = NULL;
	int rc = 0;
	switch (verdict) {
	case TRAP_INSTALL_FD:
		return install(ub, t, ctl);
	case TRAP_DEFER:
		clock_gettime(CLOCK_MONOTONIC, &t->due);
		t->due.tv_sec += ctl->defer_ms / 1000;
		t->due.tv_nsec += (long)(ctl->defer_ms % 1000) * 1000000L;
		if (t->due.tv_nsec >= 1000000000L) {
			t->due.tv_sec++;
			t->due.tv_nsec -= 1000000000L;
		}
		t->deferred = true;
		ub->ndeferred++;
		return 0;
	case TRAP_SKIP:
		rc = send_resp(ub, t->id, ctl->result, false);
		if (rc == -ENOENT) {
			t->replay = true;
			t->replay_nr = t->call.nr;
			memcpy(t->replay_args, t->call.arg, sizeof t->replay_args);
			t->replay_ret = ctl->result;
		}
		break;
	case TRAP_CONTINUE:
	case TRAP_CONTINUE_SEE_EXIT:
		rc = send_resp(ub, t->id, 0, true);
		break;
	}
	t->waiting = false;
	/* ENOENT: the thread was interrupted; nothing waits for the answer. */
	return rc < 0 && rc != -ENOENT ? -1 : 0;
}

static int un_addfd(struct trap_backend *b, pid_t tid, int fd, int flags)
{
	struct unotify_backend *ub = impl_of(b);
	struct uthread *t = thread_find(ub, tid);
	if (!t || !t->waiting)
		return -ESRCH;
	/* Without SEND: the call goes on waiting for its answer. */
	struct seccomp_notif_addfd add = {
		.id = t->id,
		.srcfd = (uint32_t)fd,
		.newfd_flags = (uint32_t)(flags & O_CLOEXEC),
	};
	int got;
	do
		got = ioctl(ub->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
	while (got < 0 && errno == EINTR);
	return got < 0 ? -errno : got;
}

static bool un_still_waiting(struct trap_backend *b, pid_t tid)
{
	struct unotify_backend *ub = impl_of(b);
	struct uthread *t = thread_find(ub, tid);
	return t && t->waiting && id_valid(ub, t->id);
}

/* Kills PID's process after the processes any of its threads made (so
 * that none is reparented out of sight first). */
static void kill_tree(pid_t pid, int depth)
{
	char path[320];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = depth < 64 ? opendir(path) : NULL;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%s/children", (int)pid, e->d_name);
		FILE *f = fopen(path, "re");
		long child;
		while (f && fscanf(f, "%ld", &child) == 1)
			kill_tree((pid_t)child, depth + 1);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	(void)kill(pid, SIGKILL);
}

static void un_kill_all(struct trap_backend *b)
{
	struct unotify_backend *ub = impl_of(b);
	for (int i = 0; i < THREAD_BUCKETS; i++)
		for (struct uthread *t = ub->buckets[i]; t; t = t->next)
			if (t->tid == t->tgid)
				kill_tree(t->tid, 0);
	if (ub->base.guest > 0)
		kill_tree(ub->base.guest, 0);
}

static void un_destroy(struct trap_backend *b)
{
	struct unotify_backend *ub = impl_of(b);
	for (int i = 0; i < THREAD_BUCKETS; i++)
		while (ub->buckets[i]) {
			struct uthread *t = ub->buckets[i];
			ub->buckets[i] = t->next;
			if (t->pidfd >= 0)
				close(t->pidfd);
			free(t);
		}
	free(ub->to_free);
	if (ub->listener >= 0)
		close(ub->listener);
	if (ub->epfd >= 0)
		close(ub->epfd);
	free(ub->req);
	free(ub->resp);
	free(ub);
}

/* ---- starting the guest ---- */

static bool is_listener(int fd)
{
	char path[64], target[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, target, sizeof target - 1);
	if (n <= 0)
		return false;
	target[n] = 0;
	return strcmp(target, "anon_inode:seccomp notify") == 0;
}

static noreturn void child(const struct launch_spec *spec, const struct sock_fprog *prog, unsigned flags,
			   int report)
{
	if (spec->cwd && chdir(spec->cwd) < 0) {
		int err = errno;
		fprintf(stderr, "splitrun: %s: %s\n", spec->cwd, strerror(err));
		(void)!write(report, &err, sizeof err);
		_exit(1);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		int err = errno;
		(void)!write(report, &err, sizeof err);
		_exit(1);
	}
	/* The listener will be the lowest free fd: its number goes to
	 * splitrun now, while a write still needs no answer. */
	int listener = fcntl(report, F_DUPFD, 0);
	if (listener < 0) {
		int err = errno;
		(void)!write(report, &err, sizeof err);
		_exit(1);
	}
	close(listener);
	int msg = -listener - 1;
	(void)!write(report, &msg, sizeof msg);
	long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
	if (rc < 0) {
		int err = errno;
		(void)!write(report, &err, sizeof err);
		_exit(1);
	}
	/* From here every selected call waits for splitrun, which takes the
	 * listener from us with pidfd_getfd meanwhile; this one is selected
	 * whatever the policy, so the listener is not closed by the execve
	 * before splitrun has it. */
	while (syscall(HANDSHAKE_NR) < 0 && errno == EINTR)
		;
	launch_exec(spec);
	__builtin_unreachable();
}

/* Takes the child's listener, number FD, once it exists. */
static int take_listener(pid_t pid, int fd, int report)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	struct timespec pause = { 0, 100000 };
	for (int waited = 0; waited < LISTENER_WAIT_MS * 10; waited++) {
		int got = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
		if (got >= 0) {
			if (is_listener(got)) {
				close(pidfd);
				(void)fcntl(got, F_SETFD, FD_CLOEXEC);
				return got;
			}
			close(got);
		} else if (errno != EBADF) {
			int err = errno;
			close(pidfd);
			return -err;
		}
		int err;
		ssize_t n = read(report, &err, sizeof err);
		if (n == (ssize_t)sizeof err) {
			close(pidfd);
			return -err;
		}
		nanosleep(&pause, NULL);
	}
	close(pidfd);
	return -ETIMEDOUT;
}

static int un_launch(struct trap_backend *b, const struct launch_spec *spec)
{
	struct unotify_backend *ub = impl_of(b);
	scmp_filter_ctx filter = spec->rules ? filter_build_rules(spec->rules, spec->unknown_trap, FILTER_BY_NOTIFY)
					     : filter_build(spec->traced, FILTER_BY_NOTIFY);
	if (!filter)
		return -1;
	struct sock_fprog prog;
	int rc = filter_export(filter, &prog);
	seccomp_release(filter);
	if (rc < 0)
		return -1;
	int report[2];
	if (pipe2(report, O_CLOEXEC) < 0) {
		fprintf(stderr, "splitrun: pipe: %s\n", strerror(errno));
		free(prog.filter);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "splitrun: fork: %s\n", strerror(errno));
		free(prog.filter);
		return -1;
	}
	if (pid == 0) {
		close(report[0]);
		child(spec, &prog, ub->filter_flags, report[1]);
	}
	free(prog.filter);
	close(report[1]);
	int msg = 0;
	ssize_t n = read(report[0], &msg, sizeof msg);
	int err = n == (ssize_t)sizeof msg && msg > 0 ? msg : 0;
	int listener = n == (ssize_t)sizeof msg && msg < 0 ? -msg - 1 : -1;
	if (listener >= 0) {
		(void)fcntl(report[0], F_SETFL, O_NONBLOCK);
		int got = take_listener(pid, listener, report[0]);
		listener = got;
		if (got < 0)
			err = -got;
	}
	close(report[0]);
	if (listener < 0) {
		fprintf(stderr, "splitrun: seccomp user notification: %s%s\n", strerror(err ? err : EIO),
			err == EPERM ? " (a container or Yama may forbid it; try --backend=ptrace)" : "");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	ub->listener = listener;
	/* A kernel before 6.6 refuses the flag (EINVAL): no hint there. */
	if (ub->sync_wake_up)
		ub->wait_in_recv = ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
	struct epoll_event lev = { .events = EPOLLIN, .data.u64 = UINT64_MAX };
	if (epoll_ctl(ub->epfd, EPOLL_CTL_ADD, listener, &lev) < 0) {
		fprintf(stderr, "splitrun: epoll: %s\n", strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	b->guest = pid;
	launch_forward_signals(pid);
	thread_add(ub, pid);
	struct trap_event *ev = queue_push(ub);
	ev->kind = TRAP_EV_NEW;
	ev->tid = pid;
	ev->task = (struct trap_new_task){ .tid = pid };
	return 0;
}

static const struct trap_backend_ops unotify_ops = {
	.name = "unotify",
	.launch = un_launch,
	.next_event = un_next_event,
	.resume = un_resume,
	.destroy = un_destroy,
	.still_waiting = un_still_waiting,
	.kill_all = un_kill_all,
	.addfd = un_addfd,
};

/* Whether the kernel takes FLAGS for a filter with a listener: with no
 * program it says EFAULT after checking the flags, EINVAL before. */
static bool filter_flags_ok(unsigned flags)
{
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL) < 0 && errno == EFAULT;
}

bool unotify_available(void)
{
	uint32_t action = SECCOMP_RET_USER_NOTIF;
	struct seccomp_notif_sizes sizes;
	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0 &&
	       syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0 &&
	       filter_flags_ok(SECCOMP_FILTER_FLAG_NEW_LISTENER) &&
	       syscall(SYS_pidfd_getfd, -1, 0, 0) < 0 && errno == EBADF;
}

struct trap_backend *unotify_backend_new(bool sync_wake_up)
{
	if (!unotify_available()) {
		fprintf(stderr, "splitrun: this kernel has no seccomp user notification with fd passing "
				"(SECCOMP_RET_USER_NOTIF, pidfd_getfd); use --backend=ptrace\n");
		return NULL;
	}
	struct seccomp_notif_sizes sizes;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		return NULL;
	struct unotify_backend *ub = calloc(1, sizeof *ub);
	if (!ub)
		return NULL;
	ub->base.ops = &unotify_ops;
	ub->base.caps = TRAP_CAP_ADDFD | TRAP_CAP_DEFER;
	ub->sync_wake_up = sync_wake_up;
	ub->listener = -1;
	ub->req_size = sizes.seccomp_notif > sizeof *ub->req ? sizes.seccomp_notif : sizeof *ub->req;
	ub->resp_size = sizes.seccomp_notif_resp > sizeof *ub->resp ? sizes.seccomp_notif_resp : sizeof *ub->resp;
	ub->req = calloc(1, ub->req_size);
	ub->resp = calloc(1, ub->resp_size);
	ub->epfd = epoll_create1(EPOLL_CLOEXEC);
	ub->filter_flags = SECCOMP_FILTER_FLAG_NEW_LISTENER;
	if (filter_flags_ok(SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV))
		ub->filter_flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	if (!ub->req || !ub->resp || ub->epfd < 0) {
		un_destroy(&ub->base);
		return NULL;
	}
	return &ub->base;
}
