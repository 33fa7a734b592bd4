/* tracer/split_handler.c: implements tracer/split_handler.h. */
#include <string.h>

#include "tracer/backend.h"
#include "tracer/split_handler.h"

unsigned split_exec_caps(unsigned trap_caps)
{
	unsigned caps = 0;
	if (trap_caps & TRAP_CAP_SEE_EXIT)
		caps |= EXEC_CAN_SEE_EXIT;
	if (trap_caps & TRAP_CAP_REWRITE)
		caps |= EXEC_CAN_REWRITE;
	if (trap_caps & TRAP_CAP_INSTALL_FD)
		caps |= EXEC_CAN_INSTALL;
	if (trap_caps & TRAP_CAP_ADDFD)
		caps |= EXEC_CAN_ADDFD;
	if (trap_caps & TRAP_CAP_DEFER)
		caps |= EXEC_CAN_DEFER;
	return caps;
}

/* --trace shows the selected calls (of the first process only, without
 * -f); a policy's "log" shows its calls whatever the options. */
static bool shown(const struct split_mode *m, const struct trace_call *call, bool logged)
{
	return logged || (m->trace && (m->follow_forks || call->pid == m->leader) &&
			  (!m->selected || m->selected[call->nr]));
}

static bool process_shown(const struct split_mode *m, pid_t tid)
{
	return m->trace && (m->follow_forks || tid == m->leader);
}

static void check_lost(struct split_mode *m)
{
	const char *why = exec_lost(m->exec);
	if (why)
		m->on_fatal(m->fatal_ctx, why);
}

static enum trap_verdict split_on_enter(void *ctx, struct trace_call *call, struct trap_control *ctl)
{
	struct split_mode *m = ctx;
	struct exec_action a;
	exec_enter(m->exec, call->pid, call->nr, call->arg, &a);
	if (a.verdict == EXEC_FATAL)
		check_lost(m);
	/* The route marks a call the printer shows; on_exit prints only those. */
	if (shown(m, call, a.log)) {
		call->route = exec_route_name(a.route);
		trace_enter(m->printer, call);
	}
	switch (a.verdict) {
	case EXEC_ANSWER:
	case EXEC_FATAL:
		ctl->result = a.result;
		return TRAP_SKIP;
	case EXEC_INSTALL:
		ctl->install_fd = a.install_fd;
		ctl->install_flags = a.install_flags;
		ctl->install_at = a.install_at;
		return TRAP_INSTALL_FD;
	case EXEC_DEFER:
		/* Waiting, not the call: shown when it is answered. */
		if (call->route)
			trace_forget(m->printer, call);
		ctl->defer_ms = a.defer_ms;
		return TRAP_DEFER;
	case EXEC_RUN:
		break;
	}
	ctl->rewrite_nr = a.rewrite_nr;
	ctl->nr = a.nr;
	ctl->rewrite_args = a.rewrite_args;
	memcpy(ctl->arg, a.arg, sizeof ctl->arg);
	ctl->scratch = a.scratch;
	ctl->scratch_len = a.scratch_len;
	ctl->scratch_args = a.scratch_args;
	ctl->fixup = a.fixup;
	ctl->nfixups = a.nfixups;
	if (!(m->trap_caps & TRAP_CAP_SEE_EXIT)) {
		/* The backend cannot tell what the call returns. */
		if (call->route)
			trace_exit_unknown(m->printer, call);
		return TRAP_CONTINUE;
	}
	return a.see_exit || call->route ? TRAP_CONTINUE_SEE_EXIT : TRAP_CONTINUE;
}

static void split_on_exit(void *ctx, struct trace_call *call, struct trap_control *ctl)
{
	struct split_mode *m = ctx;
	int64_t override;
	switch (call->skipped ? EXEC_EXIT_KEEP : exec_exit(m->exec, call->pid, call->ret, &override)) {
	case EXEC_EXIT_KEEP:
		break;
	case EXEC_EXIT_OVERRIDE:
		ctl->override_result = true;
		ctl->result = override;
		call->ret = override;
		break;
	case EXEC_EXIT_REDO:
		/* A wait, not the call: nothing to show yet. */
		ctl->redo_call = true;
		check_lost(m);
		return;
	}
	check_lost(m);
	if (call->route)
		trace_exit(m->printer, call);
}

static void split_on_signal(void *ctx, pid_t tid, const siginfo_t *si)
{
	struct split_mode *m = ctx;
	if (process_shown(m, tid))
		trace_signal(m->printer, tid, si);
}

static void split_on_new(void *ctx, const struct trap_new_task *task)
{
	struct split_mode *m = ctx;
	exec_task_new(m->exec, task->tid, task->parent, task->shares_files, task->shares_fs);
	if (m->trace)
		trace_process_new(m->printer, task->tid);
}

static void split_on_gone(void *ctx, pid_t tid, int wait_status)
{
	struct split_mode *m = ctx;
	exec_task_gone(m->exec, tid);
	check_lost(m);
	if (process_shown(m, tid))
		trace_process_exit(m->printer, tid, wait_status);
}

static void split_on_exec(void *ctx, pid_t tid, pid_t former_tid)
{
	struct split_mode *m = ctx;
	exec_task_exec(m->exec, tid, former_tid);
	check_lost(m);
}

struct trap_handler split_handler(struct split_mode *mode)
{
	return (struct trap_handler){
		.ctx = mode,
		.on_enter = split_on_enter,
		.on_exit = split_on_exit,
		.on_signal = split_on_signal,
		.on_new = split_on_new,
		.on_gone = split_on_gone,
		.on_exec = split_on_exec,
	};
}
