/* tracer/handler.h: what decides about a trapped call.
 *
 * The trap loop (tracer/loop.c) takes events from a backend and hands each
 * to one handler. Trace mode is one handler (tracer/trace_handler.c); split
 * execution is another (tracer/split_handler.c). A handler never touches
 * ptrace or seccomp: it answers with a verdict and the details of it in a
 * struct trap_control. Some verdicts and rewrites only some backends can
 * carry out; struct trap_backend's caps say which (tracer/backend.h). */
#ifndef SPLITRUN_TRACER_HANDLER_H
#define SPLITRUN_TRACER_HANDLER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tracer/trace.h"

enum trap_verdict {
	TRAP_CONTINUE,          /* let the call run; no exit event */
	TRAP_CONTINUE_SEE_EXIT, /* let it run and report its result (on_exit); TRAP_CAP_SEE_EXIT */
	TRAP_SKIP,              /* do not run it; the guest sees ctl->result */
	TRAP_INSTALL_FD,        /* do not run it; the guest gets a new fd open on the tracer's
				 * file ctl->install_fd, and on_exit sees that fd number (or
				 * -errno) as the result; TRAP_CAP_INSTALL_FD or
				 * TRAP_CAP_ADDFD */
	TRAP_DEFER,             /* answer later: the thread keeps waiting and the same call
				 * is offered again (a new on_enter) after ctl->defer_ms;
				 * TRAP_CAP_DEFER */
};

/* Filled by on_enter (and on_exit, for an override). Fields past `result`
 * are read only when their flag or verdict asks. */
struct trap_control {
	int64_t result;         /* TRAP_SKIP: a value or -errno; on_exit: see override_result */

	/* CONTINUE verdicts. The call that runs is nr (if rewrite_nr) with
	 * arg[] (if rewrite_args); both need TRAP_CAP_REWRITE. A rewritten
	 * call that the kernel restarts after a signal is put back first, so
	 * the original call is trapped again and decided anew. */
	bool rewrite_nr;
	long nr;
	bool rewrite_args;
	uint64_t arg[SYSCALL_MAX_ARGS];

	/* Scratch data placed in the stopped thread's memory for the rewritten
	 * call (TRAP_CAP_REWRITE): SCRATCH_LEN bytes; each arg[i] with bit i of
	 * scratch_args set is an offset into it and becomes its address; each
	 * of the NFIXUPS offsets in FIXUP names an 8-byte slot inside the
	 * scratch holding an offset into it, which becomes an address too (for
	 * pointer arrays such as argv or iovecs). It lives below the stack
	 * pointer (past the red zone) only while the call runs. */
	const void *scratch;
	size_t scratch_len;
	uint8_t scratch_args;
	const uint32_t *fixup;
	size_t nfixups;

	/* TRAP_INSTALL_FD: the tracer's fd to give the guest and the flags of
	 * the guest's new open file (O_ACCMODE, O_APPEND, O_CLOEXEC,
	 * O_NONBLOCK, O_PATH, O_DIRECTORY...). The tracer's fd may be closed
	 * once on_exit has seen the result. Under TRAP_CAP_ADDFD the guest's
	 * fd is the tracer's open file itself (so only O_CLOEXEC of the flags
	 * counts) and lands on install_at when that is >= 0 (replacing
	 * whatever was there, as dup2 does), else on the lowest free number. */
	int install_fd;
	int install_flags;
	int install_at;

	/* TRAP_DEFER: milliseconds until the call is offered again. */
	unsigned defer_ms;

	/* Set by on_exit: the guest sees `result` instead of the call's own
	 * result (a call that ran, was skipped or installed an fd). */
	bool override_result;
	/* Set by on_exit of a call that ran (TRAP_CAP_REWRITE): the thread
	 * makes the original call again, as the guest made it, and it is
	 * trapped anew (the call that ran, a rewritten one, was a wait). */
	bool redo_call;
};

/* A new traced process or thread, announced before it runs any code. */
struct trap_new_task {
	pid_t tid;
	pid_t parent;        /* the thread whose fork/vfork/clone made it; 0: the first
			      * process, or a parent that died before reporting it */
	bool shares_files;   /* one fd table with the parent (CLONE_FILES) */
	bool shares_fs;      /* one cwd/umask/root with the parent (CLONE_FS) */
	bool shares_vm;      /* one address space (CLONE_VM: a thread, or vfork) */
};

struct trap_handler {
	void *ctx;
	/* The call has not run. CALL->arg holds its arguments. */
	enum trap_verdict (*on_enter)(void *ctx, struct trace_call *call, struct trap_control *ctl);
	/* The call's result is in CALL->ret (also after a SKIP, with skipped
	 * set, and after an INSTALL_FD). CTL comes cleared (other threads' calls
	 * may have come in between): set override_result and result to change
	 * what the guest sees. */
	void (*on_exit)(void *ctx, struct trace_call *call, struct trap_control *ctl);
	/* SI is about to be delivered to TID (it is passed on unchanged). */
	void (*on_signal)(void *ctx, pid_t tid, const siginfo_t *si);
	/* A new process or thread is traced; it has not run yet. */
	void (*on_new)(void *ctx, const struct trap_new_task *task);
	/* TID ended with WAIT_STATUS. */
	void (*on_gone)(void *ctx, pid_t tid, int wait_status);
	/* TID finished an execve; FORMER_TID is the thread that called it (it
	 * differs when a non-leader thread execs: it takes over the leader's id). */
	void (*on_exec)(void *ctx, pid_t tid, pid_t former_tid);
};

#endif
