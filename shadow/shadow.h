/* shadow/shadow.h: the shadow daemon. A session serves one agent connection
 * with its own handle table and cwd, confined beneath the export root with
 * openat2(RESOLVE_IN_ROOT); the server accepts connections and runs sessions
 * in threads or processes. */
#ifndef SPLITRUN_SHADOW_SHADOW_H
#define SPLITRUN_SHADOW_SHADOW_H

#include <stdbool.h>
#include <stdio.h>

struct shadow_config {
	const char *root;
	const char *listen;        /* "ADDR:PORT"; NULL = 127.0.0.1:0 */
	const char *log_path;      /* NULL = stderr */
	bool multiprocess;
	bool read_only;
	bool debug;
	bool once;
};

/* The export root, opened once. */
struct shadow_root {
	int fd;                    /* O_PATH directory */
	char real[4096];           /* its canonical absolute path */
	bool read_only;
	bool debug;
};

int shadow_root_open(struct shadow_root *r, const char *path);

/* Serves one connection until it closes or sends a bad frame. Closes fd and
 * every handle of the session. Returns 0 on a clean close, or a negative
 * errno describing why the session was dropped. */
int shadow_session_run(const struct shadow_root *root, int fd);

/* Logging: one line, prefixed with a timestamp; safe from any thread. */
void shadow_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void shadow_debug(const struct shadow_root *root, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int shadow_log_open(const char *path);   /* NULL = stderr; also reopen */

/* Runs the server until SIGTERM (or one session with --once). */
int shadow_serve(const struct shadow_config *cfg);

#endif
