/* tracer/ptrace_backend.c: the ptrace + SECCOMP_RET_TRACE trap backend.
 *
 * Per thread the state machine is small: a thread runs under PTRACE_CONT,
 * so only the filter's selected calls stop it (seccomp stops). When the
 * handler wants a call's result the thread is resumed with PTRACE_SYSCALL,
 * which yields the syscall-exit stop of that call (seccomp runs after the
 * syscall-entry report, so no second entry stop for it comes); every stop
 * until then is resumed with PTRACE_SYSCALL as well, and the exit stop with
 * PTRACE_CONT again, so no syscall-entry stop of the next call ever comes.
 * Guests are PTRACE_SEIZE'd so that group stops can be PTRACE_LISTEN'ed
 * (SIGSTOP/SIGCONT behave as without a tracer). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arch/regs.h"
#include "tracer/backend.h"
#include "tracer/filter.h"
#include "tracer/launch.h"

#define PTRACE_OPTIONS (PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE | \
			PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | \
			PTRACE_O_TRACESYSGOOD)
#define THREAD_BUCKETS 256

struct thread {
	struct thread *next;
	pid_t tid;
	bool started;        /* its first stop (the auto-attach stop) was seen */
	bool awaiting_exit;  /* resumed with PTRACE_SYSCALL to see a call's exit */
	struct trace_call call;
};

struct ptrace_backend {
	struct trap_backend base;
	struct thread *buckets[THREAD_BUCKETS];
	/* A stop of a thread seen before its parent's fork event is taken
	 * up again after the NEW event announcing the thread. */
	bool have_deferred;
	pid_t deferred_tid;
	int deferred_status;
	pid_t announce_tid;
};

/* What resume() must do for an event (ev->stop points at one of these). */
struct stop {
	struct thread *thread;  /* NULL: nothing to restart */
	int signal;             /* to deliver on restart */
};

static struct stop current_stop;

static struct ptrace_backend *impl_of(struct trap_backend *b)
{
	return (struct ptrace_backend *)b;
}

static struct thread **slot_of(struct ptrace_backend *pb, pid_t tid)
{
	struct thread **p = &pb->buckets[(unsigned)tid % THREAD_BUCKETS];
	while (*p && (*p)->tid != tid)
		p = &(*p)->next;
	return p;
}

static struct thread *thread_find(struct ptrace_backend *pb, pid_t tid)
{
	return *slot_of(pb, tid);
}

static struct thread *thread_add(struct ptrace_backend *pb, pid_t tid, bool started)
{
	struct thread *t = calloc(1, sizeof *t);
	if (!t) {
		fprintf(stderr, "splitrun: out of memory\n");
		exit(1);
	}
	t->tid = tid;
	t->started = started;
	struct thread **bucket = &pb->buckets[(unsigned)tid % THREAD_BUCKETS];
	t->next = *bucket;
	*bucket = t;
	return t;
}

static void thread_remove(struct ptrace_backend *pb, pid_t tid)
{
	struct thread **p = slot_of(pb, tid);
	struct thread *t = *p;
	if (t) {
		*p = t->next;
		free(t);
	}
}

static int pt_launch(struct trap_backend *b, const struct launch_spec *spec)
{
	struct ptrace_backend *pb = impl_of(b);
	scmp_filter_ctx filter = filter_build(spec->traced);
	if (!filter)
		return -1;
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0) {
		fprintf(stderr, "splitrun: pipe: %s\n", strerror(errno));
		seccomp_release(filter);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "splitrun: fork: %s\n", strerror(errno));
		seccomp_release(filter);
		return -1;
	}
	if (pid == 0) {
		/* Wait until the parent is our tracer: the filter's first trap
		 * must find it there, or the call would fail with ENOSYS. */
		close(go[1]);
		char answer = 0;
		while (read(go[0], &answer, 1) < 0 && errno == EINTR)
			;
		if (answer != 'g')
			_exit(1);
		launch_exec_child(spec, filter);
	}
	close(go[0]);
	seccomp_release(filter);
	if (ptrace(PTRACE_SEIZE, pid, 0, (void *)(long)PTRACE_OPTIONS) < 0) {
		int err = errno;
		fprintf(stderr, "splitrun: ptrace: %s%s\n", strerror(err),
			err == EPERM ? " (a container or Yama may forbid tracing)" : "");
		close(go[1]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	b->guest = pid;
	launch_forward_signals(pid);
	thread_add(pb, pid, true);
	pb->announce_tid = pid;
	while (write(go[1], "g", 1) < 0 && errno == EINTR)
		;
	close(go[1]);
	return 0;
}

static void restart(struct thread *t, int sig)
{
	int op = t->awaiting_exit ? PTRACE_SYSCALL : PTRACE_CONT;
	/* ESRCH: the thread was killed meanwhile; waitpid will tell. */
	(void)ptrace(op, t->tid, 0, (void *)(long)sig);
}

static int read_call_info(struct thread *t, struct __ptrace_syscall_info *info)
{
	long n = ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof *info, info);
	return n <= 0 ? -1 : 0;
}

static bool fill_entry(struct thread *t)
{
	struct __ptrace_syscall_info info;
	if (read_call_info(t, &info) < 0 || info.op != PTRACE_SYSCALL_INFO_SECCOMP)
		return false;
	struct trace_call *c = &t->call;
	c->pid = t->tid;
	c->nr = (long)info.seccomp.nr;
	c->desc = syscall_by_nr(c->nr);
	if (!c->desc) {
		static struct syscall_desc unknown = {
			.name = "syscall", .nargs = SYSCALL_MAX_ARGS,
			.arg = { AK_HEX, AK_HEX, AK_HEX, AK_HEX, AK_HEX, AK_HEX },
		};
		c->desc = &unknown;
	}
	for (int i = 0; i < SYSCALL_MAX_ARGS; i++)
		c->arg[i] = info.seccomp.args[i];
	c->ret = 0;
	c->skipped = false;
	c->route = NULL;
	c->printer_state = NULL;
	clock_gettime(CLOCK_MONOTONIC, &c->t_enter);
	return true;
}

static bool fill_exit(struct thread *t)
{
	struct __ptrace_syscall_info info;
	if (read_call_info(t, &info) < 0 || info.op != PTRACE_SYSCALL_INFO_EXIT)
		return false;
	t->call.ret = info.exit.rval;
	clock_gettime(CLOCK_MONOTONIC, &t->call.t_exit);
	return true;
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void set_stop(struct trap_event *ev, struct thread *t, int sig)
{
	current_stop = (struct stop){ .thread = t, .signal = sig };
	ev->stop = &current_stop;
}

/* Turns one wait status into an event. Returns true when EV is filled;
 * false when the stop was dealt with here and waiting goes on. */
static bool handle_status(struct ptrace_backend *pb, pid_t tid, int status, struct trap_event *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->tid = tid;
	struct thread *t = thread_find(pb, tid);
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		if (tid == pb->base.guest) {
			pb->base.guest_status = status;
			pb->base.guest_done = true;
		}
		thread_remove(pb, tid);
		ev->kind = TRAP_EV_GONE;
		ev->wait_status = status;
		ev->stop = NULL;
		return true;
	}
	if (!WIFSTOPPED(status))
		return false;
	if (!t) {
		/* A new thread's first stop came before its parent's event. */
		thread_add(pb, tid, false);
		pb->have_deferred = true;
		pb->deferred_tid = tid;
		pb->deferred_status = status;
		ev->kind = TRAP_EV_NEW;
		ev->stop = NULL;
		return true;
	}
	int sig = WSTOPSIG(status);
	int event = (unsigned)status >> 16;
	unsigned long msg = 0;
	switch (event) {
	case 0:
		break;
	case PTRACE_EVENT_SECCOMP:
		if (!fill_entry(t)) {
			restart(t, 0);
			return false;
		}
		ev->kind = TRAP_EV_ENTER;
		ev->call = &t->call;
		set_stop(ev, t, 0);
		return true;
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) == 0 && !thread_find(pb, (pid_t)msg)) {
			thread_add(pb, (pid_t)msg, false);
			ev->kind = TRAP_EV_NEW;
			ev->tid = (pid_t)msg;
			set_stop(ev, t, 0);
			return true;
		}
		restart(t, 0);
		return false;
	case PTRACE_EVENT_EXEC:
		if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) == 0 && (pid_t)msg != tid) {
			/* A non-leader thread exec'd: it now has the leader's id,
			 * and its state (the execve in progress) moves along. */
			struct thread *former = thread_find(pb, (pid_t)msg);
			if (former) {
				t->awaiting_exit = former->awaiting_exit;
				/* call.pid stays the former tid: the printer
				 * matches the exit with the entry it saw. */
				t->call = former->call;
				t->started = true;
				thread_remove(pb, (pid_t)msg);
			}
		}
		ev->kind = TRAP_EV_EXEC;
		ev->other_tid = msg ? (pid_t)msg : tid;
		set_stop(ev, t, 0);
		return true;
	case PTRACE_EVENT_STOP:
		if (!t->started) {
			t->started = true;
			restart(t, 0);
		} else if (is_stop_signal(sig)) {
			/* Group stop: stay stopped until SIGCONT, but keep
			 * reporting (PTRACE_LISTEN), like an untraced process. */
			(void)ptrace(PTRACE_LISTEN, tid, 0, 0);
		} else {
			restart(t, 0);
		}
		return false;
	default:
		restart(t, 0);
		return false;
	}
	if (sig == (SIGTRAP | 0x80)) {
		if (t->awaiting_exit && fill_exit(t)) {
			t->awaiting_exit = false;
			ev->kind = TRAP_EV_EXIT;
			ev->call = &t->call;
			set_stop(ev, t, 0);
			return true;
		}
		t->awaiting_exit = false;
		restart(t, 0);
		return false;
	}
	/* A signal-delivery stop: pass the signal on. */
	t->started = true;
	if (ptrace(PTRACE_GETSIGINFO, tid, 0, &ev->si) < 0) {
		memset(&ev->si, 0, sizeof ev->si);
		ev->si.si_signo = sig;
	}
	ev->kind = TRAP_EV_SIGNAL;
	set_stop(ev, t, sig);
	return true;
}

static int pt_next_event(struct trap_backend *b, struct trap_event *ev)
{
	struct ptrace_backend *pb = impl_of(b);
	for (;;) {
		if (pb->announce_tid) {
			memset(ev, 0, sizeof *ev);
			ev->kind = TRAP_EV_NEW;
			ev->tid = pb->announce_tid;
			pb->announce_tid = 0;
			return 1;
		}
		pid_t tid;
		int status;
		if (pb->have_deferred) {
			pb->have_deferred = false;
			tid = pb->deferred_tid;
			status = pb->deferred_status;
		} else {
			tid = waitpid(-1, &status, __WALL);
			if (tid < 0) {
				if (errno == EINTR)
					continue;
				if (errno == ECHILD)
					return 0;
				fprintf(stderr, "splitrun: waitpid: %s\n", strerror(errno));
				return -1;
			}
		}
		if (handle_status(pb, tid, status, ev))
			return 1;
	}
}

static int pt_resume(struct trap_backend *b, struct trap_event *ev,
		     enum trap_verdict verdict, const struct trap_control *ctl)
{
	(void)b;
	struct stop *s = ev->stop;
	if (!s || !s->thread)
		return 0;
	struct thread *t = s->thread;
	ev->stop = NULL;
	if (ev->kind == TRAP_EV_ENTER) {
		if (verdict != TRAP_SKIP && ctl->rewrite_args && arch_set_args(t->tid, ctl->arg) < 0)
			return -1;
		switch (verdict) {
		case TRAP_SKIP:
			if (arch_skip_with_result(t->tid, ctl->result) < 0)
				return -1;
			t->awaiting_exit = false;
			break;
		case TRAP_CONTINUE_SEE_EXIT:
			t->awaiting_exit = true;
			break;
		case TRAP_CONTINUE:
			t->awaiting_exit = false;
			break;
		}
	}
	restart(t, s->signal);
	return 0;
}

static void pt_destroy(struct trap_backend *b)
{
	struct ptrace_backend *pb = impl_of(b);
	for (int i = 0; i < THREAD_BUCKETS; i++)
		while (pb->buckets[i]) {
			struct thread *t = pb->buckets[i];
			pb->buckets[i] = t->next;
			free(t);
		}
	free(pb);
}

static const struct trap_backend_ops ptrace_ops = {
	.name = "ptrace",
	.launch = pt_launch,
	.next_event = pt_next_event,
	.resume = pt_resume,
	.destroy = pt_destroy,
};

struct trap_backend *ptrace_backend_new(void)
{
	struct ptrace_backend *pb = calloc(1, sizeof *pb);
	if (!pb)
		return NULL;
	pb->base.ops = &ptrace_ops;
	return &pb->base;
}
