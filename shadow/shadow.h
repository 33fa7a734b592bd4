/* shadow/shadow.h: the shadow daemon. A session serves one agent connection
 * with its own handle table, cwd and record locks, confined beneath the
 * export root (shadow/resolve.h); the server accepts connections, runs
 * sessions in threads or processes, drains on SIGTERM and reopens its log on
 * SIGHUP. docs/shadow.md describes the whole; splitrun-shadow(8) the use. */
#ifndef SPLITRUN_SHADOW_SHADOW_H
#define SPLITRUN_SHADOW_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Limits (splitrun-shadow(8) lists them). */
#define SHADOW_MAX_HANDLES       1024    /* open handles per session */
#define SHADOW_FRAME_TIMEOUT_MS  30000   /* silence allowed inside a frame (--frame-timeout) */
#define SHADOW_DRAIN_TIMEOUT_MS  10000   /* SIGTERM: time sessions get to end */
#define SHADOW_MAX_SESSIONS      128     /* sessions at once, handshakes included (--max-sessions) */
#define SHADOW_HANDSHAKE_TIMEOUT_MS 10000 /* from accept to the end of the handshake (--handshake-timeout) */
#define SHADOW_MAX_KEY_ARGS      64      /* --key options */

struct shadow_access;

struct shadow_config {
	const char *root;
	const char *listen;        /* "ADDR:PORT"; NULL = 127.0.0.1:0 */
	const char *log_path;      /* NULL = stderr */
	bool multiprocess;
	bool read_only;
	bool debug;
	bool once;
	bool insecure;             /* serve a non-loopback address without a key */
	int frame_timeout_ms;      /* 0 = SHADOW_FRAME_TIMEOUT_MS */
	int handshake_timeout_ms;  /* 0 = SHADOW_HANDSHAKE_TIMEOUT_MS */
	int idle_timeout_ms;       /* 0 = none */
	int max_sessions;          /* 0 = SHADOW_MAX_SESSIONS */
	const char *keys[SHADOW_MAX_KEY_ARGS];   /* --key FILE or DIR */
	int nkeys;
	const char *authfile;      /* NULL: every key holder may connect */
};

/* The export root, opened once. */
struct shadow_root {
	int fd;                    /* O_PATH directory */
	char real[4096];           /* its canonical absolute path */
	bool read_only;
	bool debug;
	int frame_timeout_ms;
	int handshake_timeout_ms;
	int idle_timeout_ms;       /* 0: an idle session waits for ever */
	/* Keys and authfile; NULL or without keys: sessions are not
	 * authenticated (the shadow then serves loopback, or --insecure). */
	const struct shadow_access *access;
};

int shadow_root_open(struct shadow_root *r, const char *path);

/* Serves one connection until the agent closes it, the shadow drains, or
 * the agent breaks the protocol. Closes fd and every handle of the session.
 * Returns 0 on a normal end, or -EPROTO (malformed), -E2BIG (oversized),
 * -EPROTONOSUPPORT (no common version) or another negative errno; the log
 * then has a line "session from PEER dropped: WHY" saying exactly why.
 * before_close (if any) is called with fd just before fd is closed. */
int shadow_session_serve(const struct shadow_root *root, int fd, const char *peer, void (*before_close)(int fd));
/* The same for a socket without a peer name (tests). */
int shadow_session_run(const struct shadow_root *root, int fd);

/* A session with no connection, as after a handshake without a key, for
 * tests/fuzz/session.c: feed serves one frame (without its length field)
 * and gives its reply (valid until the next call), or returns the error
 * that would end a session; close closes every handle as a hang-up does. */
struct shadow_session;
struct shadow_session *shadow_session_open(const struct shadow_root *root);
int shadow_session_feed(struct shadow_session *s, const uint8_t *frame, size_t len, const uint8_t **reply,
			size_t *reply_len);
void shadow_session_close(struct shadow_session *s);

/* True once the shadow drains (SIGTERM): a session that sees its input end
 * then ends normally, whatever it was reading. */
bool shadow_draining(void);

/* Logging: one line, prefixed with a timestamp; safe from any thread. */
void shadow_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void shadow_debug(const struct shadow_root *root, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int shadow_log_open(const char *path);   /* NULL = stderr; also reopen */

/* Checks a --listen value; 0 or -EINVAL. */
int shadow_listen_valid(const char *spec);

/* Runs the server until SIGTERM (or one session with --once). Returns the
 * exit status: 0, or 1 when it cannot start (message on stderr). */
int shadow_serve(const struct shadow_config *cfg);

#endif
