/* tracer/loop.c: implements tracer/loop.h. Knows neither ptrace nor the
 * printer: only backend ops and handler callbacks. */
#include <errno.h>
#include <time.h>

#include "tracer/loop.h"

static enum trap_verdict on_enter(const struct trap_handler *h, struct trace_call *call,
				  struct trap_control *ctl)
{
	ctl->result = -ENOSYS;
	ctl->rewrite_args = false;
	if (!h->on_enter)
		return TRAP_CONTINUE;
	return h->on_enter(h->ctx, call, ctl);
}

int trap_loop_run(struct trap_backend *b, const struct trap_handler *h)
{
	struct trap_event ev;
	struct trap_control ctl;
	int rc;
	while ((rc = b->ops->next_event(b, &ev)) > 0) {
		enum trap_verdict verdict = TRAP_CONTINUE;
		switch (ev.kind) {
		case TRAP_EV_ENTER:
			verdict = on_enter(h, ev.call, &ctl);
			if (verdict == TRAP_SKIP) {
				struct trace_call *call = ev.call;
				b->ops->resume(b, &ev, verdict, &ctl);
				call->skipped = true;
				call->ret = ctl.result;
				clock_gettime(CLOCK_MONOTONIC, &call->t_exit);
				if (h->on_exit)
					h->on_exit(h->ctx, call);
				continue;
			}
			break;
		case TRAP_EV_EXIT:
			if (h->on_exit)
				h->on_exit(h->ctx, ev.call);
			break;
		case TRAP_EV_SIGNAL:
			if (h->on_signal)
				h->on_signal(h->ctx, ev.tid, &ev.si);
			break;
		case TRAP_EV_NEW:
			if (h->on_new)
				h->on_new(h->ctx, ev.tid);
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
		b->ops->resume(b, &ev, verdict, &ctl);
	}
	return rc < 0 ? -1 : 0;
}
