/* tracer/trace_handler.h: trace mode as a trap handler: every trapped call
 * is let run and shown at entry and exit by the trace printer. */
#ifndef SPLITRUN_TRACER_TRACE_HANDLER_H
#define SPLITRUN_TRACER_TRACE_HANDLER_H

#include <stdbool.h>
#include <sys/types.h>

#include "tracer/handler.h"
#include "tracer/trace.h"

struct trace_mode {
	struct trace_printer *printer;
	/* Without -f only the first process is shown (like strace, which
	 * would not follow the others; splitrun traps them all regardless,
	 * since an untraced child's trapped calls would fail). */
	bool follow_forks;
	pid_t leader;
};

/* A handler whose ctx is MODE (which must outlive it). */
struct trap_handler trace_handler(struct trace_mode *mode);

#endif
