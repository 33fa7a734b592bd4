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
 * (SIGSTOP/SIGCONT behave as without a tracer).
 *
 * A new thread is announced (NEW, with its parent and what it shares with
 * it, compared with kcmp while both are stopped) at its parent's
 * fork/vfork/clone event; if its own first stop comes first, it is held
 * stopped until then. Calls whose number or arguments were rewritten are
 * always resumed to their exit stop, so that a call the kernel restarts
 * after a signal is put back as the guest made it first. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kcmp.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arch/regs.h"
#include "tracer/backend.h"
#include "tracer/filter.h"
#include "tracer/guestmem.h"
#include "tracer/launch.h"

#define PTRACE_OPTIONS (PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE | \
			PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | \
			PTRACE_O_TRACESYSGOOD)
#define THREAD_BUCKETS 256

struct thread {
	struct thread *next;
	pid_t tid;
	bool started;        /* its first stop (the auto-attach stop) was seen */
	bool held;           /* that stop came before the parent's event: kept stopped */
	int held_status;
	bool awaiting_exit;  /* resumed with PTRACE_SYSCALL to see a call's exit */
	bool report_exit;    /* ... and the handler asked for it (else only the backend looks) */
	bool rewritten;      /* the running call's number or arguments were changed */
	long orig_nr;        /* the call as the guest made it, for a restart */
	uint64_t orig_args[SYSCALL_MAX_ARGS];
	uint64_t sp;         /* stack pointer at the seccomp stop */
	struct trace_call call;
};

/* A wait status to handle again before waiting for more (a held thread's
 * first stop, released once it is announced). */
struct replay {
	pid_t tid;
	int status;
};

#define QUEUE_MAX 64

struct ptrace_backend {
	struct trap_backend base;
	struct thread *buckets[THREAD_BUCKETS];
	size_t nheld;
	struct trap_new_task announce[QUEUE_MAX];   /* NEW events to give out first */
	size_t nannounce;
	struct replay replay[QUEUE_MAX];
	size_t nreplay;
	long openat_nr;
	uint8_t *scratch;                           /* scratch data being placed */
	size_t scratch_cap;
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
	scmp_filter_ctx filter = spec->rules ? filter_build_rules(spec->rules, spec->unknown_trap, FILTER_BY_TRACE)
					     : filter_build(spec->traced, FILTER_BY_TRACE);
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
	pb->announce[pb->nannounce++] = (struct trap_new_task){ .tid = pid };
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
	t->sp = info.stack_pointer;
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

static void queue_replay(struct ptrace_backend *pb, pid_t tid, int status)
{
	if (pb->nreplay == QUEUE_MAX) {
		/* Cannot happen with fewer than QUEUE_MAX threads born at once;
		 * resuming it unannounced is the lesser evil than a hang. */
		(void)ptrace(PTRACE_CONT, tid, 0, 0);
		return;
	}
	pb->replay[pb->nreplay++] = (struct replay){ tid, status };
}

static bool kcmp_same(pid_t a, pid_t b, int type, bool *failed)
{
	long r = syscall(SYS_kcmp, a, b, type, 0, 0);
	if (r < 0)
		*failed = true;
	return r == 0;
}

/* What CHILD shares with PARENT, asked of the kernel while both are stopped;
 * without kcmp, guessed from the kind of event (a clone is taken for a
 * thread, which shares everything). */
static void fill_sharing(struct trap_new_task *n, int event)
{
	static bool warned;
	bool failed = false;
	n->shares_files = kcmp_same(n->parent, n->tid, KCMP_FILES, &failed);
	n->shares_fs = kcmp_same(n->parent, n->tid, KCMP_FS, &failed);
	n->shares_vm = kcmp_same(n->parent, n->tid, KCMP_VM, &failed);
	if (!failed)
		return;
	if (!warned) {
		fprintf(stderr, "splitrun: kcmp: %s; guessing what new processes share from how they were made\n",
			strerror(errno));
		warned = true;
	}
	n->shares_files = n->shares_fs = event == PTRACE_EVENT_CLONE;
	n->shares_vm = event != PTRACE_EVENT_FORK;
}

/* The thread that probably made TID, from /proc (its group leader if it is
 * a thread, else its parent process); 0 if unknown. */
static pid_t guess_parent(pid_t tid)
{
	char path[64], line[128];
	snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	pid_t tgid = 0, ppid = 0;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "Tgid:", 5) == 0)
			tgid = (pid_t)atoi(line + 5);
		else if (strncmp(line, "PPid:", 5) == 0)
			ppid = (pid_t)atoi(line + 5);
	}
	fclose(f);
	return tgid && tgid != tid ? tgid : ppid;
}

/* After a thread ended: a held thread whose parent is no longer traced
 * will never see its parent's event (the parent was killed between making
 * it and reporting it). It is announced with no parent and let go. */
static void release_orphans(struct ptrace_backend *pb)
{
	for (int i = 0; i < THREAD_BUCKETS && pb->nheld; i++)
		for (struct thread *t = pb->buckets[i]; t; t = t->next) {
			if (!t->held)
				continue;
			pid_t parent = guess_parent(t->tid);
			if (parent && thread_find(pb, parent))
				continue;
			if (pb->nannounce == QUEUE_MAX)
				return;
			t->held = false;
			pb->nheld--;
			pb->announce[pb->nannounce++] = (struct trap_new_task){ .tid = t->tid };
			queue_replay(pb, t->tid, t->held_status);
		}
}

static bool is_restart_code(int64_t ret)
{
	/* ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK:
	 * the kernel's own, never seen by a program. */
	return ret >= -516 && ret <= -512;
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
		bool was_held = t && t->held;
		if (was_held)
			pb->nheld--;
		thread_remove(pb, tid);
		if (pb->nheld)
			release_orphans(pb);
		if (was_held)
			return false;   /* never announced: nobody knows it */
		ev->kind = TRAP_EV_GONE;
		ev->wait_status = status;
		ev->stop = NULL;
		return true;
	}
	if (!WIFSTOPPED(status))
		return false;
	if (!t) {
		/* A new thread's first stop came before its parent's event:
		 * it waits, stopped, to be announced with its parent. */
		t = thread_add(pb, tid, false);
		t->held = true;
		t->held_status = status;
		pb->nheld++;
		return false;
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
	case PTRACE_EVENT_CLONE: {
		struct thread *child = NULL;
		if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) == 0 && msg) {
			child = thread_find(pb, (pid_t)msg);
			if (child && !child->held) {
				restart(t, 0);   /* announced already */
				return false;
			}
		}
		if (!msg) {
			restart(t, 0);
			return false;
		}
		if (!child) {
			child = thread_add(pb, (pid_t)msg, false);
		} else {
			child->held = false;
			pb->nheld--;
			queue_replay(pb, child->tid, child->held_status);
		}
		ev->kind = TRAP_EV_NEW;
		ev->tid = child->tid;
		ev->task = (struct trap_new_task){ .tid = child->tid, .parent = tid };
		fill_sharing(&ev->task, event);
		set_stop(ev, t, 0);
		return true;
	}
	case PTRACE_EVENT_EXEC:
		if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) == 0 && (pid_t)msg != tid) {
			/* A non-leader thread exec'd: it now has the leader's id,
			 * and its state (the execve in progress) moves along. */
			struct thread *former = thread_find(pb, (pid_t)msg);
			if (former) {
				struct thread *next = t->next;
				/* call.pid stays the former tid: the printer
				 * matches the exit with the entry it saw. */
				*t = *former;
				t->next = next;
				t->tid = tid;
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
			if (t->rewritten) {
				t->rewritten = false;
				if (is_restart_code(t->call.ret))
					(void)arch_restore_for_restart(tid, t->orig_nr, t->orig_args);
			}
			if (t->report_exit) {
				t->report_exit = false;
				ev->kind = TRAP_EV_EXIT;
				ev->call = &t->call;
				set_stop(ev, t, 0);
				return true;
			}
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
		if (pb->nannounce) {
			memset(ev, 0, sizeof *ev);
			ev->kind = TRAP_EV_NEW;
			ev->task = pb->announce[0];
			ev->tid = ev->task.tid;
			memmove(pb->announce, pb->announce + 1, --pb->nannounce * sizeof pb->announce[0]);
			return 1;
		}
		pid_t tid;
		int status;
		if (pb->nreplay) {
			tid = pb->replay[0].tid;
			status = pb->replay[0].status;
			memmove(pb->replay, pb->replay + 1, --pb->nreplay * sizeof pb->replay[0]);
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

/* Copies LEN bytes of DATA below T's stack pointer (past the red zone),
 * turning the FIXUP slots and nothing else into addresses. Returns the
 * address, or 0 with errno set. */
static uint64_t place_scratch(struct ptrace_backend *pb, struct thread *t, const void *data, size_t len,
			      const uint32_t *fixup, size_t nfixups)
{
	uint64_t addr = (t->sp - arch_red_zone() - len) & ~(uint64_t)(arch_stack_align() - 1);
	if (len > pb->scratch_cap) {
		uint8_t *grown = realloc(pb->scratch, len);
		if (!grown) {
			errno = ENOMEM;
			return 0;
		}
		pb->scratch = grown;
		pb->scratch_cap = len;
	}
	memcpy(pb->scratch, data, len);
	for (size_t i = 0; i < nfixups; i++) {
		uint64_t slot;
		if ((size_t)fixup[i] + sizeof slot > len) {
			errno = EINVAL;
			return 0;
		}
		memcpy(&slot, pb->scratch + fixup[i], sizeof slot);
		slot += addr;
		memcpy(pb->scratch + fixup[i], &slot, sizeof slot);
	}
	if (guest_write(t->tid, addr, pb->scratch, len) != (ssize_t)len) {
		if (errno == 0)
			errno = EFAULT;
		return 0;
	}
	return addr;
}

/* Runs NR with ARGS instead of the trapped call; the exit stop is always
 * seen (to put the call back if the kernel restarts it). */
static int rewrite_call(struct thread *t, long nr, const uint64_t args[SYSCALL_MAX_ARGS])
{
	if (arch_set_call(t->tid, nr, args) < 0)
		return -1;
	t->rewritten = true;
	t->orig_nr = t->call.nr;
	memcpy(t->orig_args, t->call.arg, sizeof t->orig_args);
	t->awaiting_exit = true;
	return 0;
}

/* TRAP_INSTALL_FD: the call becomes openat(AT_FDCWD, "/proc/<us>/fd/<N>",
 * flags), which opens a new file description on the tracer's file in the
 * guest; its exit (the new fd) is reported. When that cannot be arranged
 * the call is skipped with -errno, and that exit is reported instead. */
static int install_fd(struct ptrace_backend *pb, struct thread *t, const struct trap_control *ctl)
{
	char path[64];
	int len = snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)getpid(), ctl->install_fd);
	if (pb->openat_nr < 0)
		pb->openat_nr = syscall_nr("openat");
	uint64_t addr = place_scratch(pb, t, path, (size_t)len + 1, NULL, 0);
	t->report_exit = true;
	if (!addr) {
		int err = errno;
		t->awaiting_exit = true;
		return arch_skip_with_result(t->tid, -err);
	}
	uint64_t args[SYSCALL_MAX_ARGS] = {
		(uint64_t)(int64_t)AT_FDCWD, addr, (uint64_t)(unsigned)ctl->install_flags, 0, 0, 0,
	};
	return rewrite_call(t, pb->openat_nr, args);
}

static int resume_entry(struct ptrace_backend *pb, struct thread *t, enum trap_verdict verdict,
			const struct trap_control *ctl)
{
	t->awaiting_exit = t->report_exit = t->rewritten = false;
	switch (verdict) {
	case TRAP_SKIP:
		return arch_skip_with_result(t->tid, ctl->result);
	case TRAP_INSTALL_FD:
		return install_fd(pb, t, ctl);
	case TRAP_CONTINUE_SEE_EXIT:
		t->awaiting_exit = t->report_exit = true;
		break;
	case TRAP_CONTINUE:
	case TRAP_DEFER:   /* not among this backend's caps: the call runs */
		break;
	}
	if (!ctl->rewrite_nr && !ctl->rewrite_args && !ctl->scratch_len)
		return 0;
	uint64_t args[SYSCALL_MAX_ARGS];
	memcpy(args, ctl->rewrite_args ? ctl->arg : t->call.arg, sizeof args);
	if (ctl->scratch_len) {
		uint64_t addr = place_scratch(pb, t, ctl->scratch, ctl->scratch_len, ctl->fixup, ctl->nfixups);
		if (!addr) {
			/* The guest cannot be given what was decided: it gets
			 * the reason instead of a call with stale pointers. */
			int err = errno;
			t->awaiting_exit = t->report_exit;
			return arch_skip_with_result(t->tid, -err);
		}
		for (int i = 0; i < SYSCALL_MAX_ARGS; i++)
			if (ctl->scratch_args & (1u << i))
				args[i] += addr;
	}
	return rewrite_call(t, ctl->rewrite_nr ? ctl->nr : t->call.nr, args);
}

static int pt_resume(struct trap_backend *b, struct trap_event *ev,
		     enum trap_verdict verdict, const struct trap_control *ctl)
{
	struct ptrace_backend *pb = impl_of(b);
	struct stop *s = ev->stop;
	if (!s || !s->thread)
		return 0;
	struct thread *t = s->thread;
	ev->stop = NULL;
	int rc = 0;
	if (ev->kind == TRAP_EV_ENTER)
		rc = resume_entry(pb, t, verdict, ctl);
	else if (ev->kind == TRAP_EV_EXIT && ctl && ctl->redo_call)
		rc = arch_redo_call(t->tid, t->call.nr, t->call.arg);
	else if (ev->kind == TRAP_EV_EXIT && ctl && ctl->override_result)
		rc = arch_set_result(t->tid, ctl->result);
	restart(t, s->signal);
	return rc < 0 ? -1 : 0;
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
	free(pb->scratch);
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
	pb->base.caps = TRAP_CAP_SEE_EXIT | TRAP_CAP_REWRITE | TRAP_CAP_INSTALL_FD;
	pb->openat_nr = -1;
	return &pb->base;
}
