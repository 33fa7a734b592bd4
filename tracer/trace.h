/* tracer/trace.h: the contract between the trap loop and the trace printer.
 *
 * The trap loop (tracer/loop.c and the backends) owns processes, stops and
 * registers; it fills a struct trace_call for each trapped syscall and hands
 * it to the printer at entry and at exit. The printer (tracer/print*.c,
 * decoders, xlat tables, -c summary, -k stacks) owns everything that is
 * written for a person. Neither includes the other's internals. */
#ifndef SPLITRUN_TRACER_TRACE_H
#define SPLITRUN_TRACER_TRACE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "arch/syscall.h"

/* One syscall of one thread, from its entry stop to its exit. */
struct trace_call {
	pid_t pid;                       /* thread id */
	long nr;
	const struct syscall_desc *desc; /* never NULL */
	uint64_t arg[SYSCALL_MAX_ARGS];
	int64_t ret;                     /* at exit: the value or -errno */
	bool skipped;                    /* the call did not run; ret was set by a handler */
	struct timespec t_enter, t_exit; /* CLOCK_MONOTONIC, for -c and -T */
	const char *route;               /* where it went ("local", "remote", ...), NULL in pure trace */
	void *printer_state;             /* the printer's, between enter and exit */
};

struct trace_options {
	FILE *out;            /* -o FILE, else stderr */
	int string_limit;     /* -s N, default 32 */
	bool follow_forks;    /* -f: [pid N] prefixes once there is more than one process */
	bool fd_paths;        /* -y */
	bool summary_only;    /* -c */
	bool stack_traces;    /* -k */
};

struct trace_printer;

/* Parses one -e expression ("trace=open,read", "trace=%file", "%desc",
 * "trace=!write", "trace=all", "open" ...) into SELECTED, an array indexed by
 * syscall number of length syscall_max_nr()+1. Returns 0, or -1 with a message
 * naming the bad word in ERR. */
int trace_select_parse(const char *expr, bool *selected, char *err, size_t errlen);

struct trace_printer *trace_printer_new(const struct trace_options *opts);
void trace_printer_free(struct trace_printer *p);

/* Called at the entry stop, before the call runs (pointer arguments that are
 * inputs are read now). */
void trace_enter(struct trace_printer *p, struct trace_call *call);
/* Called when the result is known (the exit stop, or right after a skip). */
void trace_exit(struct trace_printer *p, struct trace_call *call);
/* The call's result will not be known (a backend that lets calls run
 * without seeing them return): the line ends with "= ?". */
void trace_exit_unknown(struct trace_printer *p, struct trace_call *call);
/* The call's entry was shown too early (it is offered again later): it is
 * taken back. */
void trace_forget(struct trace_printer *p, struct trace_call *call);
/* A signal is about to be delivered to PID: "--- SIGCHLD {si_signo=...} ---". */
void trace_signal(struct trace_printer *p, pid_t pid, const siginfo_t *si);
/* PID ended: "+++ exited with 0 +++" or "+++ killed by SIGKILL +++". */
void trace_process_exit(struct trace_printer *p, pid_t pid, int wait_status);
/* A new process or thread appeared (for -f prefixes). */
void trace_process_new(struct trace_printer *p, pid_t pid);
/* The run is over: prints the -c table if asked. */
void trace_finish(struct trace_printer *p);

#endif
