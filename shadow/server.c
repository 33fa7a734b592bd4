/* shadow/server.c: listening socket, sessions in threads or processes,
 * signals (SIGTERM drains, SIGHUP reopens the log) and the log itself. */
#include "shadow/shadow.h"

#include "rpc/wire.h"

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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file;
static const char *log_path_saved;

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

static void vlog(const char *fmt, va_list ap)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	pthread_mutex_lock(&log_lock);
	FILE *f = log_file ? log_file : stderr;
	fprintf(f, "%02d:%02d:%02d.%03ld splitrun-shadow[%d]: %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
		ts.tv_nsec / 1000000, (int)getpid(), msg);
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

int shadow_root_open(struct shadow_root *r, const char *path)
{
	memset(r, 0, sizeof *r);
	if (!realpath(path, r->real))
		return -errno;
	r->fd = open(r->real, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return r->fd < 0 ? -errno : 0;
}

static volatile sig_atomic_t got_term, got_hup;
static void on_signal(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		got_term = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
}

static atomic_int live_threads;

struct thread_arg {
	const struct shadow_root *root;
	int fd;
	char peer[64];
};

static void run_logged(const struct shadow_root *root, int fd, const char *peer)
{
	shadow_debug(root, "session from %s: start", peer);
	int rc = shadow_session_run(root, fd);
	if (rc)
		shadow_log("session from %s closed: %s", peer,
			   rc == -E2BIG ? "oversized frame or field" : rc == -EPROTO ? "malformed frame" : strerror(-rc));
	else
		shadow_debug(root, "session from %s: end", peer);
}

static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	run_logged(a->root, a->fd, a->peer);
	free(a);
	atomic_fetch_sub(&live_threads, 1);
	return NULL;
}

static int listen_on(const char *spec, char *shown, size_t shown_size)
{
	char host[256] = "127.0.0.1", port[16] = "0";
	if (spec) {
		const char *colon = strrchr(spec, ':');
		if (!colon)
			return -EINVAL;
		size_t hl = (size_t)(colon - spec);
		const char *h = spec;
		if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
			h++;
			hl -= 2;
		}
		if (hl >= sizeof host || strlen(colon + 1) >= sizeof port)
			return -EINVAL;
		memcpy(host, h, hl);
		host[hl] = 0;
		strcpy(port, colon + 1);
	}
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
	int p;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof addr);
		p = ntohs(s6->sin6_port);
		snprintf(shown, shown_size, "[%s]:%d", addr, p);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof addr);
		p = ntohs(s4->sin_port);
		snprintf(shown, shown_size, "%s:%d", addr, p);
	}
	return fd;
}

static void reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
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
	if ((rc = shadow_log_open(cfg->log_path))) {
		fprintf(stderr, "splitrun-shadow: --log %s: %s\n", cfg->log_path, strerror(-rc));
		return 1;
	}
	/* Create modes arrive with the guest's umask already applied. */
	umask(0);
	char shown[128];
	int lfd = listen_on(cfg->listen, shown, sizeof shown);
	if (lfd < 0) {
		fprintf(stderr, "splitrun-shadow: --listen %s: %s\n", cfg->listen ? cfg->listen : "127.0.0.1:0",
			strerror(-lfd));
		return 1;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	printf("splitrun --shadow %s\n", shown);
	fflush(stdout);
	shadow_log("serving %s%s on %s (%s)", root.real, root.read_only ? " read-only" : "", shown,
		   cfg->multiprocess ? "multiprocess" : "multithread");

	while (!got_term) {
		if (got_hup) {
			got_hup = 0;
			shadow_log_open(log_path_saved);
			shadow_log("log reopened");
		}
		if (cfg->multiprocess)
			reap();
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		int cfd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		int one = 1;
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		char peer[64] = "?";
		char host[INET6_ADDRSTRLEN], serv[16];
		if (!getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, serv, sizeof serv,
				 NI_NUMERICHOST | NI_NUMERICSERV))
			snprintf(peer, sizeof peer, "%s:%s", host, serv);
		if (cfg->once) {
			close(lfd);
			lfd = -1;
			run_logged(&root, cfd, peer);
			break;
		}
		if (cfg->multiprocess) {
			pid_t pid = fork();
			if (pid == 0) {
				close(lfd);
				signal(SIGTERM, SIG_DFL);
				run_logged(&root, cfd, peer);
				_exit(0);
			}
			if (pid < 0)
				shadow_log("fork: %s", strerror(errno));
			close(cfd);
			continue;
		}
		struct thread_arg *a = malloc(sizeof *a);
		pthread_t t;
		if (!a) {
			close(cfd);
			continue;
		}
		a->root = &root;
		a->fd = cfd;
		snprintf(a->peer, sizeof a->peer, "%s", peer);
		atomic_fetch_add(&live_threads, 1);
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, thread_main, a)) {
			atomic_fetch_sub(&live_threads, 1);
			close(cfd);
			free(a);
		}
		pthread_attr_destroy(&attr);
	}
	if (lfd >= 0)
		close(lfd);
	/* Drain: sessions in progress finish (their agents hang up). */
	shadow_log("draining");
	for (int k = 0; k < 100 && atomic_load(&live_threads) > 0; k++)
		usleep(50000);
	if (cfg->multiprocess)
		while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
			if (errno == ECHILD)
				break;
	shadow_log("exiting");
	close(root.fd);
	return 0;
}
