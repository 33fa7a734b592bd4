/* tracer/split_run.h: `splitrun --shadow HOST:PORT [--policy FILE] [-C DIR]
 * -- PROGRAM`: loads the policy, connects to the shadow, sets up the
 * executive and the split-mode filter, runs the guest under the ptrace
 * backend with the split handler, and reports. */
#ifndef SPLITRUN_TRACER_SPLIT_RUN_H
#define SPLITRUN_TRACER_SPLIT_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tracer/backend.h"
#include "tracer/placement.h"
#include "tracer/trace.h"

/* Exit statuses of split mode (splitrun(1), EXIT STATUS). */
#define SPLITRUN_EXIT_BAD_INPUT 2         /* a bad option, policy or -C directory */
#define SPLITRUN_EXIT_NO_SHADOW 121       /* the shadow could not be reached or refused us */
#define SPLIT_ATTR_TIMEOUT 3.0            /* seconds attributes are believed, by default */
#define SPLIT_RECONNECT_TIMEOUT 60.0      /* seconds --on-disconnect=reconnect dials, by default */
/* 122, SPLITRUN_EXIT_SHADOW_LOST: tracer/split_handler.h */

enum split_backend {
	SPLIT_BACKEND_AUTO,      /* user notification unless the run needs ptrace */
	SPLIT_BACKEND_PTRACE,
	SPLIT_BACKEND_UNOTIFY,
};

/* --on-disconnect (policy/exec.h, enum exec_on_lost). */
enum split_on_disconnect {
	SPLIT_DISCONNECT_STOP,
	SPLIT_DISCONNECT_EIO,
	SPLIT_DISCONNECT_RECONNECT,
};

enum split_stats {
	SPLIT_STATS_NONE,
	SPLIT_STATS_TEXT,                /* --stats (and --summary) */
	SPLIT_STATS_JSON,                /* --stats=json */
};

struct exec_stats;

struct split_opts {
	enum split_backend backend;
	struct cpu_placement placement;  /* --cpu-placement */
	const char *shadow;              /* HOST:PORT */
	const char *policy_file;         /* NULL: the built-in policy */
	const char *cwd;                 /* -C DIR, NULL: splitrun's own */
	const char *key_file;            /* --key FILE or $SPLITRUN_KEY; NULL: none */
	enum split_stats stats;          /* printed at the end, or when the shadow is lost */
	FILE *stats_out;                 /* where (stderr, or the -c table's stream) */
	bool stats_later;                /* the caller prints them (after the -c table) */
	struct exec_stats *final;        /* the run's figures, filled at the end */
	uint64_t attr_ttl_ns;            /* --attr-timeout */
	enum split_on_disconnect on_disconnect;
	uint64_t reconnect_ns;           /* --reconnect-timeout */
	bool sync_close;                 /* --sync-close */
	struct trace_printer *printer;   /* where calls are shown (stderr without -o) */
	bool trace;                      /* --trace: show the selected calls, not only logged ones */
	const bool *selected;            /* the calls --trace shows; NULL: all */
	bool follow_forks;
	char **argv;                     /* the program and its arguments */
};

/* Runs the guest. Returns its wait status, or -1 after printing why
 * (splitrun exits 1); exits itself with the statuses above. */
int split_run(const struct split_opts *o);
/* Prints what the run did (splitrun(1), --stats; JSON: one line). */
void split_stats_print(FILE *out, enum split_stats how, const struct exec_stats *s);

#endif
