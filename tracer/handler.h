/* tracer/handler.h: what decides about a trapped call.
 *
 * The trap loop (tracer/loop.c) takes events from a backend and hands each
 * to one handler. Trace mode is one handler (tracer/trace_handler.c); the
 * split-execution executive will be another. A handler never touches ptrace
 * or seccomp: it answers with a verdict and, for SKIP, a result. */
#ifndef SPLITRUN_TRACER_HANDLER_H
#define SPLITRUN_TRACER_HANDLER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tracer/trace.h"

enum trap_verdict {
	TRAP_CONTINUE,          /* let the call run; no exit event */
	TRAP_CONTINUE_SEE_EXIT, /* let it run and report its result (on_exit) */
	TRAP_SKIP,              /* do not run it; the guest sees ctl->result */
};

/* Filled by on_enter. rewrite_args makes the backend write arg[] into the
 * call's argument registers before it runs (for CONTINUE verdicts). */
struct trap_control {
	int64_t result;         /* for TRAP_SKIP: a value or -errno */
	bool rewrite_args;
	uint64_t arg[SYSCALL_MAX_ARGS];
};

struct trap_handler {
	void *ctx;
	/* The call has not run. CALL->arg holds its arguments. */
	enum trap_verdict (*on_enter)(void *ctx, struct trace_call *call, struct trap_control *ctl);
	/* The call's result is in CALL->ret (also after a SKIP, with skipped set). */
	void (*on_exit)(void *ctx, struct trace_call *call);
	/* SI is about to be delivered to TID (it is passed on unchanged). */
	void (*on_signal)(void *ctx, pid_t tid, const siginfo_t *si);
	/* A new process or thread TID is traced. */
	void (*on_new)(void *ctx, pid_t tid);
	/* TID ended with WAIT_STATUS. */
	void (*on_gone)(void *ctx, pid_t tid, int wait_status);
	/* TID finished an execve; FORMER_TID is the thread that called it (it
	 * differs when a non-leader thread execs: it takes over the leader's id). */
	void (*on_exec)(void *ctx, pid_t tid, pid_t former_tid);
};

#endif
