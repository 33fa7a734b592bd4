/* tracer/loop.c: implements tracer/loop.h. Knows neither ptrace nor the
 * printer: only backend ops and handler callbacks. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "tracer/loop.h"

static enum trap_verdict on_enter(const struct trap_handler *h, struct trace_call *call,
				  struct trap_control *ctl)
{
	memset(ctl, 0, sizeof *ctl);
	ctl->result = -ENOSYS;
	ctl->install_fd = -1;
	ctl->install_at = -1;
	if (!h->on_enter)
		return TRAP_CONTINUE;
	return h->on_enter(h->ctx, call, ctl);
}

/* Reports CALL's result to the handler with a cleared control block in
 * EXIT_CTL; returns whether the handler overrode it. */
static bool on_exit(const struct trap_handler *h, struct trace_call *call, struct trap_control *exit_ctl)
{
	memset(exit_ctl, 0, sizeof *exit_ctl);
	exit_ctl->install_fd = -1;
	exit_ctl->install_at = -1;
	if (h->on_exit)
		h->on_exit(h->ctx, call, exit_ctl);
	if (exit_ctl->override_result)
		call->ret = exit_ctl->result;
	return exit_ctl->override_result;
}

int trap_loop_run(struct trap_backend *b, const struct trap_handler *h)
{
	struct trap_event ev;
	struct trap_control ctl, exit_ctl;
	int rc;
	while ((rc = b->ops->next_event(b, &ev)) > 0) {
		enum trap_verdict verdict = TRAP_CONTINUE;
		const struct trap_control *resume_ctl = &ctl;
		switch (ev.kind) {
		case TRAP_EV_ENTER:
			verdict = on_enter(h, ev.call, &ctl);
			if (verdict == TRAP_SKIP) {
				/* The result is known now: the handler sees it
				 * (and may still change it) before the guest. */
				struct trace_call *call = ev.call;
				call->skipped = true;
				call->ret = ctl.result;
				clock_gettime(CLOCK_MONOTONIC, &call->t_exit);
				if (on_exit(h, call, &exit_ctl))
					ctl.result = exit_ctl.result;
			}
			break;
		case TRAP_EV_EXIT:
			on_exit(h, ev.call, &exit_ctl);
			resume_ctl = &exit_ctl;
			break;
		case TRAP_EV_SIGNAL:
			if (h->on_signal)
				h->on_signal(h->ctx, ev.tid, &ev.si);
			break;
		case TRAP_EV_NEW:
			if (h->on_new)
				h->on_new(h->ctx, &ev.task);
			break;
		case TRAP_EV_EXEC:
			if (h->on_exec)
				h->on_exec(h->ctx, ev.tid, ev.other_tid);
			break;
		case TRAP_EV_GONE:
			if (h->on_gone)
				h->on_gone(h->ctx, ev.tid, ev.wait_status);
			break;
		}
		/* A failed resume is a thread killed while stopped (SIGKILL
		 * needs no tracer): its end is the next thing waitpid says. */
		(void)b->ops->resume(b, &ev, verdict, resume_ctl);
	}
	return rc < 0 ? -1 : 0;
}
