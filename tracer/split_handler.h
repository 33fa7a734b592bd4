/* tracer/split_handler.h: split mode as a trap handler. Each trapped call
 * goes to the executive (policy/exec.h), whose action becomes the trap
 * verdict; with --trace the call is also shown, marked with where it went.
 * A lost shadow ends everything at once (split_fatal). */
#ifndef SPLITRUN_TRACER_SPLIT_HANDLER_H
#define SPLITRUN_TRACER_SPLIT_HANDLER_H

#include <stdbool.h>
#include <sys/types.h>

#include "policy/exec.h"
#include "tracer/handler.h"
#include "tracer/trace.h"

/* splitrun's exit status when the shadow is lost while the guest runs. */
#define SPLITRUN_EXIT_SHADOW_LOST 122

struct split_mode {
	struct exec *exec;
	struct trace_printer *printer;   /* never NULL: a policy's "log" rules print too */
	bool trace;                      /* --trace */
	const bool *selected;            /* calls --trace shows, by number; NULL: all */
	bool follow_forks;               /* -f */
	pid_t leader;
	unsigned trap_caps;              /* the backend's (enum trap_caps) */
	/* Called (then splitrun exits) when the shadow is lost. */
	void (*on_fatal)(void *ctx, const char *why);
	void *fatal_ctx;
};

/* The caps of backend B, in the executive's terms. */
unsigned split_exec_caps(unsigned trap_caps);

/* A handler whose ctx is MODE (which must outlive it). */
struct trap_handler split_handler(struct split_mode *mode);

#endif
