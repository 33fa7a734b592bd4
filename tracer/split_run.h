/* tracer/split_run.h: `splitrun --shadow HOST:PORT [--policy FILE] [-C DIR]
 * -- PROGRAM`: loads the policy, connects to the shadow, sets up the
 * executive and the split-mode filter, runs the guest under the ptrace
 * backend with the split handler, and reports. */
#ifndef SPLITRUN_TRACER_SPLIT_RUN_H
#define SPLITRUN_TRACER_SPLIT_RUN_H

#include <stdbool.h>

#include "tracer/backend.h"
#include "tracer/trace.h"

/* Exit statuses of split mode (splitrun(1), EXIT STATUS). */
#define SPLITRUN_EXIT_BAD_INPUT 2         /* a bad option, policy or -C directory */
#define SPLITRUN_EXIT_NO_SHADOW 121       /* the shadow could not be reached or refused us */
/* 122, SPLITRUN_EXIT_SHADOW_LOST: tracer/split_handler.h */

enum split_backend {
	SPLIT_BACKEND_AUTO,      /* user notification unless the run needs ptrace */
	SPLIT_BACKEND_PTRACE,
	SPLIT_BACKEND_UNOTIFY,
};

struct split_opts {
	enum split_backend backend;
	enum unotify_placement placement;
	const char *shadow;              /* HOST:PORT */
	const char *policy_file;         /* NULL: the built-in policy */
	const char *cwd;                 /* -C DIR, NULL: splitrun's own */
	const char *key_file;            /* --key FILE or $SPLITRUN_KEY; NULL: none */
	bool summary;                    /* --summary: where the calls went, at the end */
	struct trace_printer *printer;   /* where calls are shown (stderr without -o) */
	bool trace;                      /* --trace: show the selected calls, not only logged ones */
	const bool *selected;            /* the calls --trace shows; NULL: all */
	bool follow_forks;
	char **argv;                     /* the program and its arguments */
};

/* Runs the guest. Returns its wait status, or -1 after printing why
 * (splitrun exits 1); exits itself with the statuses above. */
int split_run(const struct split_opts *o);

#endif
