/* tracer/print.c: the trace printer (see tracer/trace.h). Minimal first cut:
 * raw hex arguments; decoders come next. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tracer/trace.h"

struct trace_printer {
	struct trace_options opts;
};

struct trace_printer *trace_printer_new(const struct trace_options *opts)
{
	struct trace_printer *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->opts = *opts;
	if (!p->opts.out)
		p->opts.out = stderr;
	return p;
}

void trace_printer_free(struct trace_printer *p)
{
	free(p);
}

void trace_enter(struct trace_printer *p, struct trace_call *call)
{
	(void)p;
	call->printer_state = NULL;
}

void trace_exit(struct trace_printer *p, struct trace_call *call)
{
	if (p->opts.summary_only)
		return;
	FILE *f = p->opts.out;
	fprintf(f, "%s(", call->desc->name);
	for (int i = 0; i < call->desc->nargs && i < SYSCALL_MAX_ARGS; i++)
		fprintf(f, "%s%#llx", i ? ", " : "", (unsigned long long)call->arg[i]);
	if (call->ret < 0 && call->ret > -4096)
		fprintf(f, ") = -1 (errno %lld)\n", (long long)-call->ret);
	else
		fprintf(f, ") = %lld\n", (long long)call->ret);
}

void trace_signal(struct trace_printer *p, pid_t pid, const siginfo_t *si)
{
	(void)pid;
	fprintf(p->opts.out, "--- signal %d ---\n", si->si_signo);
}

void trace_process_exit(struct trace_printer *p, pid_t pid, int wait_status)
{
	(void)pid;
	if (WIFEXITED(wait_status))
		fprintf(p->opts.out, "+++ exited with %d +++\n", WEXITSTATUS(wait_status));
	else if (WIFSIGNALED(wait_status))
		fprintf(p->opts.out, "+++ killed by signal %d +++\n", WTERMSIG(wait_status));
}

void trace_process_new(struct trace_printer *p, pid_t pid)
{
	(void)p;
	(void)pid;
}

void trace_finish(struct trace_printer *p)
{
	fflush(p->opts.out);
}
