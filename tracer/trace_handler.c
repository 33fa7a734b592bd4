/* tracer/trace_handler.c: implements tracer/trace_handler.h. */
#include "tracer/trace_handler.h"

static bool shown(const struct trace_mode *m, pid_t tid)
{
	return m->follow_forks || tid == m->leader;
}

static enum trap_verdict trace_on_enter(void *ctx, struct trace_call *call, struct trap_control *ctl)
{
	struct trace_mode *m = ctx;
	(void)ctl;
	if (!shown(m, call->pid))
		return TRAP_CONTINUE;
	trace_enter(m->printer, call);
	return TRAP_CONTINUE_SEE_EXIT;
}

static void trace_on_exit(void *ctx, struct trace_call *call, struct trap_control *ctl)
{
	struct trace_mode *m = ctx;
	(void)ctl;
	trace_exit(m->printer, call);
}

static void trace_on_signal(void *ctx, pid_t tid, const siginfo_t *si)
{
	struct trace_mode *m = ctx;
	if (shown(m, tid))
		trace_signal(m->printer, tid, si);
}

static void trace_on_new(void *ctx, const struct trap_new_task *task)
{
	struct trace_mode *m = ctx;
	if (shown(m, task->tid))
		trace_process_new(m->printer, task->tid);
}

static void trace_on_gone(void *ctx, pid_t tid, int wait_status)
{
	struct trace_mode *m = ctx;
	if (shown(m, tid))
		trace_process_exit(m->printer, tid, wait_status);
}

struct trap_handler trace_handler(struct trace_mode *mode)
{
	return (struct trap_handler){
		.ctx = mode,
		.on_enter = trace_on_enter,
		.on_exit = trace_on_exit,
		.on_signal = trace_on_signal,
		.on_new = trace_on_new,
		.on_gone = trace_on_gone,
	};
}
