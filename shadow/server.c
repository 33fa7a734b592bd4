/* shadow/server.c: listening socket, sessions in threads or processes,
 * signals (SIGTERM/SIGINT drain, SIGHUP reopens the log) and the log. */
#include "shadow/shadow.h"

#include "rpc/auth.h"
#include "rpc/canon.h"
#include "rpc/client.h"
#include "rpc/wire.h"
#include "shadow/access.h"
#include "shadow/resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- log ---- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file;
static const char *log_path_saved;
/* Set by SIGHUP in a session process: the next line reopens the log first. */
static volatile sig_atomic_t log_reopen_pending;

int shadow_log_open(const char *path)
{
	pthread_mutex_lock(&log_lock);
	int rc = 0;
	if (path) {
		FILE *f = fopen(path, "ae");
		if (!f) {
			rc = -errno;
		} else {
			if (log_file && log_file != stderr)
				fclose(log_file);
			log_file = f;
			setvbuf(f, NULL, _IOLBF, 0);
		}
		log_path_saved = path;
	} else {
		log_file = stderr;
	}
	pthread_mutex_unlock(&log_lock);
	return rc;
}

static void log_reopen(const char *why);

static void vlog(const char *fmt, va_list ap)
{
	if (log_reopen_pending) {
		log_reopen_pending = 0;
		log_reopen(NULL);
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	pthread_mutex_lock(&log_lock);
	FILE *f = log_file ? log_file : stderr;
	fprintf(f, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ splitrun-shadow[%d]: %s\n", tm.tm_year + 1900,
		tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, (int)getpid(), msg);
	fflush(f);
	pthread_mutex_unlock(&log_lock);
}

void shadow_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void shadow_debug(const struct shadow_root *root, const char *fmt, ...)
{
	if (!root->debug)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

/* why NULL: silently (a session process, before its next line). */
static void log_reopen(const char *why)
{
	if (!log_path_saved)
		return;
	int rc = shadow_log_open(log_path_saved);
	if (rc)
		shadow_log("%s: cannot reopen %s: %s; logging on to the old file", why ? why : "SIGHUP",
			   log_path_saved, strerror(-rc));
	else if (why)
		shadow_log("%s: log reopened", why);
}

/* ---- root ---- */

int shadow_root_open(struct shadow_root *r, const char *path)
{
	memset(r, 0, sizeof *r);
	r->fd = -1;
	r->frame_timeout_ms = SHADOW_FRAME_TIMEOUT_MS;
	r->handshake_timeout_ms = SHADOW_HANDSHAKE_TIMEOUT_MS;
	if (!realpath(path, r->real))
		return -errno;
	r->fd = open(r->real, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return r->fd < 0 ? -errno : 0;
}

/* ---- signals and draining ----
 * The main thread blocks the signals it acts on (SIGTERM, SIGINT, SIGHUP,
 * SIGCHLD) and lets them in only inside ppoll() while it waits to accept;
 * session threads inherit the block and never see them. A session waits
 * for its next frame in a plain blocking recv(), so draining wakes it with
 * shutdown(SHUT_RD) on its socket (its recv() then sees the end of the
 * stream after what it has read): for session threads the main thread does
 * that for every socket in the registry; a session process, and the one
 * session of --once, keep SIGTERM/SIGINT/SIGHUP open and the handler does
 * it (shutdown() is async-signal-safe). */

static volatile sig_atomic_t got_term, got_hup, got_chld;
static sigset_t wait_mask;
static volatile sig_atomic_t draining;
/* The session socket of this process, for a session process or --once. */
static volatile sig_atomic_t own_session_fd = -1;

static void on_signal(int sig)
{
	int e = errno;
	if (sig == SIGTERM || sig == SIGINT) {
		got_term = 1;
		if (own_session_fd >= 0) {
			draining = 1;
			shutdown(own_session_fd, SHUT_RD);
		}
	} else if (sig == SIGHUP) {
		got_hup = 1;
		if (own_session_fd >= 0)
			log_reopen_pending = 1;
	} else if (sig == SIGCHLD) {
		got_chld = 1;
	}
	errno = e;
}

static void signals_setup(void)
{
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGHUP);
	sigdelset(&wait_mask, SIGCHLD);
	/* SA_RESTART: a session process's blocking calls (F_SETLKW, flock, a
	 * FIFO's open) go on after SIGHUP; ppoll is never restarted, so the
	 * main loop still wakes up. */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* This thread serves fd as the only session of its process: SIGTERM and
 * SIGINT end it, SIGHUP reopens the log before the next line. */
static void own_session(int fd)
{
	own_session_fd = fd;
	sigset_t open;
	sigemptyset(&open);
	sigaddset(&open, SIGTERM);
	sigaddset(&open, SIGINT);
	sigaddset(&open, SIGHUP);
	pthread_sigmask(SIG_UNBLOCK, &open, NULL);
	if (got_term) {   /* came before the socket was known */
		draining = 1;
		shutdown(fd, SHUT_RD);
	}
}

bool shadow_draining(void)
{
	return draining;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Session threads' sockets, so that a drain can wake them. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static int *registry;
static size_t registry_len, registry_cap;

static void registry_add(int fd)
{
	pthread_mutex_lock(&registry_lock);
	if (registry_len == registry_cap) {
		size_t cap = registry_cap ? 2 * registry_cap : 16;
		int *n = realloc(registry, cap * sizeof *n);
		if (n) {
			registry = n;
			registry_cap = cap;
		}
	}
	if (registry_len < registry_cap)
		registry[registry_len++] = fd;
	if (draining)
		shutdown(fd, SHUT_RD);
	pthread_mutex_unlock(&registry_lock);
}

/* Before the session closes fd, so a drain never touches a reused number. */
static void registry_remove(int fd)
{
	pthread_mutex_lock(&registry_lock);
	for (size_t k = 0; k < registry_len; k++)
		if (registry[k] == fd) {
			registry[k] = registry[--registry_len];
			break;
		}
	pthread_mutex_unlock(&registry_lock);
}

static void registry_drain(void)
{
	pthread_mutex_lock(&registry_lock);
	draining = 1;
	for (size_t k = 0; k < registry_len; k++)
		shutdown(registry[k], SHUT_RD);
	pthread_mutex_unlock(&registry_lock);
}

/* ---- sessions ---- */

static atomic_int live_threads;

/* Session processes, for SIGHUP forwarding and the end of a drain. */
static pid_t *children;
static size_t nchildren, children_cap;

static void child_add(pid_t pid)
{
	if (nchildren == children_cap) {
		size_t cap = children_cap ? 2 * children_cap : 16;
		pid_t *n = realloc(children, cap * sizeof *n);
		if (!n)
			return;   /* the child still runs; it is reaped by waitpid(-1) */
		children = n;
		children_cap = cap;
	}
	children[nchildren++] = pid;
}

static void reap(void)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t k = 0; k < nchildren; k++)
			if (children[k] == pid) {
				children[k] = children[--nchildren];
				break;
			}
		if (WIFSIGNALED(status))
			shadow_log("session process %d killed by signal %d (%s); other sessions go on", (int)pid,
				   WTERMSIG(status), strsignal(WTERMSIG(status)));
		else if (WIFEXITED(status) && WEXITSTATUS(status))
			shadow_log("session process %d exited with status %d", (int)pid, WEXITSTATUS(status));
	}
}

struct thread_arg {
	const struct shadow_root *root;
	int fd;
	char peer[64];
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	registry_add(a->fd);
	shadow_session_serve(a->root, a->fd, a->peer, registry_remove);
	free(a);
	atomic_fetch_sub(&live_threads, 1);
	return NULL;
}

static void start_thread(const struct shadow_root *root, int cfd, const char *peer)
{
	struct thread_arg *a = malloc(sizeof *a);
	if (!a) {
		shadow_log("session from %s refused: no memory", peer);
		close(cfd);
		return;
	}
	a->root = root;
	a->fd = cfd;
	snprintf(a->peer, sizeof a->peer, "%s", peer);
	atomic_fetch_add(&live_threads, 1);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t t;
	int rc = pthread_create(&t, &attr, thread_main, a);
	pthread_attr_destroy(&attr);
	if (rc) {
		shadow_log("session from %s refused: pthread_create: %s", peer, strerror(rc));
		atomic_fetch_sub(&live_threads, 1);
		close(cfd);
		free(a);
	}
}

static void start_process(const struct shadow_root *root, int lfd, int cfd, const char *peer)
{
	pid_t pid = fork();
	if (pid == 0) {
		close(lfd);
		nchildren = 0;
		own_session(cfd);
		shadow_session_serve(root, cfd, peer, NULL);
		_exit(0);
	}
	if (pid < 0)
		shadow_log("session from %s refused: fork: %s", peer, strerror(errno));
	else
		child_add(pid);
	close(cfd);
}

/* ---- listening ---- */

static int split_listen(const char *spec, char *host, size_t host_size, char *port, size_t port_size)
{
	const char *colon = strrchr(spec, ':');
	if (!colon)
		return -EINVAL;
	size_t hl = (size_t)(colon - spec);
	const char *h = spec;
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	const char *p = colon + 1;
	if (hl == 0 || hl >= host_size || !*p || strlen(p) >= port_size || strspn(p, "0123456789") != strlen(p) ||
	    atol(p) > 65535)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = 0;
	strcpy(port, p);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	if (getaddrinfo(host, port, &hints, &ai))
		return -EINVAL;
	freeaddrinfo(ai);
	return 0;
}

int shadow_listen_valid(const char *spec)
{
	char host[256], port[16];
	return split_listen(spec, host, sizeof host, port, sizeof port);
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		/* ::ffff:127.x.y.z is 127.x.y.z, reached from this machine only */
		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

static int listen_on(const char *spec, char *shown, size_t shown_size, bool *loopback)
{
	char host[256] = "127.0.0.1", port[16] = "0";
	if (spec && split_listen(spec, host, sizeof host, port, sizeof port))
		return -EINVAL;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai;
	if (getaddrinfo(host, port, &hints, &ai))
		return -EINVAL;
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		int e = -errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return e;
	}
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	char addr[INET6_ADDRSTRLEN];
	*loopback = is_loopback(&ss);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof addr);
		snprintf(shown, shown_size, "[%s]:%d", addr, ntohs(s6->sin6_port));
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof addr);
		snprintf(shown, shown_size, "%s:%d", addr, ntohs(s4->sin_port));
	}
	return fd;
}

/* Every session may hold SHADOW_MAX_HANDLES descriptors, and with threads
 * they all share one table: take the whole hard limit. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* ---- the server ---- */

/* TCP_NODELAY: a reply goes out at once. Keepalive: a session whose
 * agent's machine vanished (no FIN, no RST) ends within about two minutes
 * instead of pinning a slot for ever. */
static void tune_socket(int fd)
{
	int one = 1, idle = 60, intvl = 10, cnt = 6;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
}

static int live_sessions(const struct shadow_config *cfg)
{
	return cfg->multiprocess ? (int)nchildren : atomic_load(&live_threads);
}

/* Over --max-sessions: answers the HELLO that is coming with EBUSY
 * (without reading it), then closes. One log line a second at most. */
static void refuse_busy(int fd, const char *peer, int max)
{
	static int64_t last_log;
	static unsigned long suppressed;
	struct rpc_enc e;
	int64_t busy;
	rpc_enc_init(&e);
	canon_errno_encode(EBUSY, &busy);
	rpc_encode_hello_reply(&e, -busy, 0, 0, NULL);
	if (!e.error)
		send(fd, e.data, e.len, MSG_DONTWAIT | MSG_NOSIGNAL);
	rpc_enc_free(&e);
	shutdown(fd, SHUT_WR);
	/* What the agent sent already is read, so that close() sends a FIN,
	 * not a reset that could overtake the answer. */
	char sink[512];
	while (recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0)
		;
	close(fd);
	int64_t now = now_ms();
	if (now - last_log >= 1000) {
		if (suppressed)
			shadow_log("session from %s refused: %d sessions open (--max-sessions); %lu more refused "
				   "since the last line", peer, max, suppressed);
		else
			shadow_log("session from %s refused: %d sessions open (--max-sessions)", peer, max);
		last_log = now;
		suppressed = 0;
	} else {
		suppressed++;
	}
}

/* Loads --key and --authfile. Returns 0, or 1 with a message on stderr. */
static int load_access(const struct shadow_config *cfg, struct shadow_access *acc)
{
	char err[512];
	if (cfg->nkeys && rpc_crypto_init()) {
		fprintf(stderr, "splitrun-shadow: libsodium cannot start (no entropy source?)\n");
		return 1;
	}
	for (int k = 0; k < cfg->nkeys; k++)
		if (shadow_keys_add(acc, cfg->keys[k], err, sizeof err)) {
			fprintf(stderr, "splitrun-shadow: --key %s\n", err);
			return 1;
		}
	if (cfg->authfile && shadow_authfile_load(acc, cfg->authfile, err, sizeof err)) {
		fprintf(stderr, "splitrun-shadow: --authfile %s: %s\n", cfg->authfile, err);
		return 1;
	}
	return 0;
}

static void drain(const struct shadow_config *cfg)
{
	int sessions = cfg->multiprocess ? (int)nchildren : atomic_load(&live_threads);
	shadow_log("draining: %d session%s open", sessions, sessions == 1 ? "" : "s");
	if (cfg->multiprocess)
		for (size_t k = 0; k < nchildren; k++)
			kill(children[k], SIGTERM);
	else
		registry_drain();
	int64_t deadline = now_ms() + SHADOW_DRAIN_TIMEOUT_MS;
	for (;;) {
		if (cfg->multiprocess)
			reap();
		int left = cfg->multiprocess ? (int)nchildren : atomic_load(&live_threads);
		if (left == 0)
			break;
		if (now_ms() >= deadline) {
			shadow_log("cutting %d session%s still open after %d s", left, left == 1 ? "" : "s",
				   SHADOW_DRAIN_TIMEOUT_MS / 1000);
			if (!cfg->multiprocess) {
				shadow_log("exiting");
				_exit(0);   /* the threads go with the process */
			}
			for (size_t k = 0; k < nchildren; k++)
				kill(children[k], SIGKILL);
			for (size_t k = 0; k < nchildren; k++)
				waitpid(children[k], NULL, 0);
			nchildren = 0;
			break;
		}
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
	}
}

int shadow_serve(const struct shadow_config *cfg)
{
	struct shadow_root root;
	int rc = shadow_root_open(&root, cfg->root);
	if (rc) {
		fprintf(stderr, "splitrun-shadow: --root %s: %s\n", cfg->root, strerror(-rc));
		return 1;
	}
	root.read_only = cfg->read_only;
	root.debug = cfg->debug;
	root.frame_timeout_ms = cfg->frame_timeout_ms > 0 ? cfg->frame_timeout_ms : SHADOW_FRAME_TIMEOUT_MS;
	root.handshake_timeout_ms = cfg->handshake_timeout_ms > 0 ? cfg->handshake_timeout_ms : SHADOW_HANDSHAKE_TIMEOUT_MS;
	root.idle_timeout_ms = cfg->idle_timeout_ms;
	int max_sessions = cfg->max_sessions > 0 ? cfg->max_sessions : SHADOW_MAX_SESSIONS;
	static struct shadow_access access;
	if (load_access(cfg, &access)) {
		close(root.fd);
		shadow_access_free(&access);
		return 1;
	}
	root.access = &access;
	if ((rc = shadow_log_open(cfg->log_path))) {
		fprintf(stderr, "splitrun-shadow: --log %s: %s\n", cfg->log_path, strerror(-rc));
		return 1;
	}
	/* Create modes arrive with the agent's umask as a separate argument. */
	umask(0);
	raise_fd_limit();
	char shown[128];
	bool loopback = true;
	int lfd = listen_on(cfg->listen, shown, sizeof shown, &loopback);
	if (lfd < 0) {
		fprintf(stderr, "splitrun-shadow: --listen %s: %s\n", cfg->listen ? cfg->listen : "127.0.0.1:0",
			strerror(-lfd));
		shadow_access_free(&access);
		return 1;
	}
	if (!loopback && !access.nkeys && !cfg->insecure) {
		fprintf(stderr, "splitrun-shadow: --listen %s: not a loopback address, and without --key anyone who can "
			"reach it could read and write %s as this user. Give --key FILE (splitrun-shadow --keygen FILE "
			"makes one; agents use a copy), or --insecure if every machine that can reach this address is "
			"trusted\n", cfg->listen, root.real);
		close(lfd);
		close(root.fd);
		return 2;
	}
	signals_setup();
	printf("splitrun --shadow %s\n", shown);
	fflush(stdout);
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	char keys[160] = "no key: sessions are not authenticated";
	if (access.nkeys)
		snprintf(keys, sizeof keys, "%zu key%s (%s%s), frames sealed%s%s", access.nkeys, access.nkeys == 1 ? "" : "s",
			 access.keys[0].name, access.nkeys > 1 ? ", ..." : "", access.authfile ? ", authfile " : "",
			 access.authfile ? access.authfile : "");
	shadow_log("serving %s%s on %s (%s%s), path resolution: %s, descriptor limit %llu; %s; at most %d sessions",
		   root.real, root.read_only ? " read-only" : "", shown, cfg->multiprocess ? "multiprocess" : "multithread",
		   cfg->once ? ", one session" : "", resolve_uses_fallback() ? "by hand (no openat2)" : "openat2",
		   (unsigned long long)rl.rlim_cur, keys, max_sessions);
	if (!loopback && !access.nkeys)
		shadow_log("warning: %s is not a loopback address and sessions are not authenticated (--insecure): "
			   "anyone who can connect reads and writes %s", shown, root.real);

	while (!got_term) {
		if (got_hup) {
			got_hup = 0;
			log_reopen("SIGHUP");
			for (size_t k = 0; k < nchildren; k++)
				kill(children[k], SIGHUP);
		}
		if (got_chld) {
			got_chld = 0;
			reap();
		}
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };
		int r = ppoll(&pfd, 1, NULL, &wait_mask);
		if (r <= 0)
			continue;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		int cfd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS) {
				shadow_log("accept: %s; waiting 100 ms", strerror(errno));
				struct timespec ts = { 0, 100 * 1000000 };
				nanosleep(&ts, NULL);
			}
			continue;
		}
		tune_socket(cfd);
		char peer[64] = "?";
		char host[INET6_ADDRSTRLEN], serv[16];
		if (!getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, serv, sizeof serv,
				 NI_NUMERICHOST | NI_NUMERICSERV))
			snprintf(peer, sizeof peer, "%s:%s", host, serv);
		if (!cfg->once && live_sessions(cfg) >= max_sessions) {
			refuse_busy(cfd, peer, max_sessions);
			continue;
		}
		if (cfg->once) {
			close(lfd);
			lfd = -1;
			own_session(cfd);
			shadow_session_serve(&root, cfd, peer, NULL);
			break;
		}
		if (cfg->multiprocess)
			start_process(&root, lfd, cfd, peer);
		else
			start_thread(&root, cfd, peer);
	}
	if (lfd >= 0)
		close(lfd);
	drain(cfg);
	shadow_log("exiting");
	close(root.fd);
	free(children);
	free(registry);
	shadow_access_free(&access);
	return 0;
}
