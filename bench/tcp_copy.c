/* bench/tcp_copy.c: a plain TCP file copy, the floor a remote `cat` can
 * reach over a link (bench/workloads.sh runs it over loopback and through
 * bench/delay_proxy). A benchmark tool, not part of splitrun.
 *
 *   tcp_copy serve FILE       listen on 127.0.0.1 (a free port; "listen
 *                             ADDR:PORT" on stdout); for each connection,
 *                             wait for a 1-byte request, send FILE, close.
 *                             Until SIGTERM or SIGINT (exit 0).
 *   tcp_copy fetch ADDR:PORT  connect, send the request, read to the end;
 *                             print "BYTES SECONDS" (from before connect to
 *                             the end of stream).
 *
 * So a fetch costs what a request-reply exchange costs: one round trip (and
 * the connection's set-up, which bench/delay_proxy does not delay) plus the
 * transfer. Both ends set TCP_NODELAY. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "tcp_copy: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "", strerror(errno));
	exit(1);
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_nodelay(int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void serve_one(int fd, const char *path)
{
	char request;
	if (recv(fd, &request, 1, 0) != 1)
		return;
	int file = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (file < 0 || fstat(file, &st) < 0) {
		fprintf(stderr, "tcp_copy: %s: %s\n", path, strerror(errno));
		if (file >= 0)
			close(file);
		return;
	}
	off_t off = 0;
	while (off < st.st_size) {
		ssize_t n = sendfile(fd, file, &off, (size_t)(st.st_size - off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
	}
	close(file);
}

static _Noreturn void serve(const char *path)
{
	if (access(path, R_OK) < 0)
		die("cannot read", path);
	signal(SIGPIPE, SIG_IGN);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 16) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &al) < 0)
		die("listen", NULL);
	printf("listen 127.0.0.1:%u\n", ntohs(a.sin_port));
	fflush(stdout);
	/* SIGTERM's default action ends the process: nothing to clean up. */
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept", NULL);
		}
		set_nodelay(fd);
		serve_one(fd, path);
		close(fd);
	}
}

static int fetch(const char *addr)
{
	char host[64];
	const char *colon = strrchr(addr, ':');
	struct sockaddr_in a = { .sin_family = AF_INET };
	if (!colon || (size_t)(colon - addr) >= sizeof host) {
		fprintf(stderr, "tcp_copy: '%s': not ADDR:PORT\n", addr);
		return 2;
	}
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	int port = atoi(colon + 1);
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1 || port <= 0 || port > 65535) {
		fprintf(stderr, "tcp_copy: '%s': not a numeric IPv4 ADDR:PORT\n", addr);
		return 2;
	}
	a.sin_port = htons((unsigned short)port);
	static char buf[1 << 20];
	double t0 = now_seconds();
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
		die("connect", addr);
	set_nodelay(fd);
	if (send(fd, "G", 1, MSG_NOSIGNAL) != 1)
		die("send", addr);
	long long total = 0;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("recv", addr);
		if (n == 0)
			break;
		total += n;
	}
	double took = now_seconds() - t0;
	close(fd);
	printf("%lld %.6f\n", total, took);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		serve(argv[2]);
	if (argc == 3 && strcmp(argv[1], "fetch") == 0)
		return fetch(argv[2]);
	fputs("usage: tcp_copy serve FILE | tcp_copy fetch ADDR:PORT\n", stderr);
	return 2;
}
