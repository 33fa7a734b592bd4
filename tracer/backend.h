/* tracer/backend.h: the interface every trap backend implements.
 *
 * A backend starts the guest under a seccomp filter and turns what the
 * kernel reports into trap events; the loop (tracer/loop.c) passes each
 * event to the handler and gives the verdict back with resume(). Two
 * backends implement the ops: ptrace + SECCOMP_RET_TRACE
 * (tracer/ptrace_backend.c) and seccomp user notification,
 * SECCOMP_RET_USER_NOTIF (tracer/unotify_backend.c). */
#ifndef SPLITRUN_TRACER_BACKEND_H
#define SPLITRUN_TRACER_BACKEND_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "tracer/handler.h"
#include "tracer/trace.h"

/* What a backend can do beyond CONTINUE and SKIP. The ptrace backend has
 * SEE_EXIT, REWRITE and INSTALL_FD; the user-notification backend can
 * neither see a call's exit nor rewrite registers, but installs the
 * tracer's own open file at a chosen number (ADDFD), holds a call unanswered
 * (DEFER), and announces processes and threads only when they first trap
 * (NEW events come late, with what they share found out then) and their
 * ends from pidfds (GONE without a wait status but the first process's);
 * it reports no SIGNAL and no EXEC events. */
enum trap_caps {
	TRAP_CAP_SEE_EXIT   = 1u << 0, /* TRAP_CONTINUE_SEE_EXIT; on_exit overrides of a run call */
	TRAP_CAP_REWRITE    = 1u << 1, /* rewrite_nr, rewrite_args, scratch data */
	TRAP_CAP_INSTALL_FD = 1u << 2, /* TRAP_INSTALL_FD: a new open file in the guest */
	TRAP_CAP_ADDFD      = 1u << 3, /* TRAP_INSTALL_FD: the tracer's open file, at install_at */
	TRAP_CAP_DEFER      = 1u << 4, /* TRAP_DEFER */
};

enum trap_event_kind {
	TRAP_EV_ENTER,  /* a selected call is about to run: call */
	TRAP_EV_EXIT,   /* its result is known: call */
	TRAP_EV_SIGNAL, /* si is about to be delivered to tid */
	TRAP_EV_NEW,    /* a new traced process or thread: task */
	TRAP_EV_EXEC,   /* tid finished an execve begun by other_tid */
	TRAP_EV_GONE,   /* tid ended; wait_status says how */
};

struct trap_event {
	enum trap_event_kind kind;
	pid_t tid;
	pid_t other_tid;
	int wait_status;
	siginfo_t si;
	struct trap_new_task task;
	struct trace_call *call;  /* owned by the backend, valid until resume */
	void *stop;               /* backend's: what resume() must restart */
};

struct filter_rule;

struct launch_spec {
	const char *path;          /* resolved program to exec */
	char *const *argv;
	const bool *traced;        /* by number, syscall_max_nr()+1 long; NULL: none */
	/* Instead of traced: an action per number (tracer/filter.h), and
	 * whether numbers no table knows trap. */
	const struct filter_rule *rules;
	bool unknown_trap;
	const char *cwd;           /* the guest's cwd; NULL: splitrun's */
};

struct trap_backend;

struct trap_backend_ops {
	const char *name;
	/* Starts the guest. Returns 0, or -1 after printing why. */
	int (*launch)(struct trap_backend *b, const struct launch_spec *spec);
	/* Waits for the next event. 1: EV is filled; 0: no guest is left;
	 * -1: error (printed). */
	int (*next_event)(struct trap_backend *b, struct trap_event *ev);
	/* Lets the stopped thread of EV go on: ENTER events according to
	 * VERDICT and CTL (SKIP with CTL->result); EXIT events with CTL->result
	 * as the call's result when CTL->override_result; all others as they
	 * were. */
	int (*resume)(struct trap_backend *b, struct trap_event *ev,
		      enum trap_verdict verdict, const struct trap_control *ctl);
	void (*destroy)(struct trap_backend *b);
	/* Optional. Whether TID still waits in the trapped call last offered
	 * for it: guest memory read for that call may be trusted only if so
	 * (a pid can be reused once its thread is gone). NULL: always. */
	bool (*still_waiting)(struct trap_backend *b, pid_t tid);
	/* Optional. Kills every guest process now (splitrun is about to exit
	 * without answering them). NULL: the backend's end does it. */
	void (*kill_all)(struct trap_backend *b);
	/* Optional (TRAP_CAP_ADDFD). Puts the tracer's open file FD into the
	 * table of TID, whose trapped call is being decided and still waits,
	 * at its lowest free number (O_CLOEXEC in FLAGS: close-on-exec).
	 * Returns that number or -errno. */
	int (*addfd)(struct trap_backend *b, pid_t tid, int fd, int flags);
};

struct trap_backend {
	const struct trap_backend_ops *ops;
	unsigned caps;          /* enum trap_caps */
	pid_t guest;            /* the first process */
	int guest_status;       /* its wait status, once guest_done */
	bool guest_done;
};

/* tracer/ptrace_backend.c */
struct trap_backend *ptrace_backend_new(void);

/* tracer/unotify_backend.c. SYNC_WAKE_UP: set
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP on the listener where the kernel has
 * it, so that each hand-off wakes its side on the CPU of the side that
 * woke it (tracer/placement.h decides). */
/* NULL after printing why (no user notification in this kernel...). */
struct trap_backend *unotify_backend_new(bool sync_wake_up);
/* Whether this kernel can run the user-notification backend. */
bool unotify_available(void);

#endif
