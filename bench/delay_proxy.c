/* bench/delay_proxy.c: a TCP proxy that delays every chunk by a fixed time
 * in each direction, the benchmarks' stand-in for a wide-area link (this
 * kernel has no netem qdisc). A benchmark tool, not part of splitrun.
 *
 *   delay_proxy --target ADDR:PORT [--listen ADDR:PORT] [--delay MS]
 *               [--control ADDR:PORT] [--max-queue BYTES]
 *
 * Each accepted connection gets its own connection to the target. What one
 * side sends is read at once (one read is a "chunk"), held DELAY ms (default
 * 5, so 10 ms round trips), then written to the other side; chunks leave in
 * the order they came, and an end of stream is passed on (shutdown) after
 * the same delay. The proxy reads as fast as data comes and queues up to
 * --max-queue bytes per direction (default 64 MiB), so it adds latency, not
 * a bandwidth limit. What it does not model: the connection's own set-up
 * (a client's connect completes at once; only its data is delayed), loss,
 * and a bandwidth cap.
 *
 * Counters, over all connections since the start: connections, open ones,
 * bytes and chunks each way, and turns: chunks from a client that follow
 * data delivered to it (the first chunk of a connection counts too). For a
 * client that waits for each reply before its next request, turns are its
 * round trips; a client with several requests in flight makes fewer turns
 * than requests. Whoever connects to the control address gets one line,
 *
 *   connections=N open=N up_bytes=N up_chunks=N down_bytes=N down_chunks=N turns=N
 *
 * ("up": client to target), and the connection is closed. The same line
 * goes to stderr at exit. On start, stdout gets "listen ADDR:PORT" and, with
 * --control, "control ADDR:PORT" (a port of 0 means a free one). SIGTERM and
 * SIGINT end it: every connection is closed, exit status 0. Exit status 1:
 * cannot start; 2: bad options. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define READ_SIZE (256 * 1024)
/* Chunks written at once with writev when several are due. */
#define MAX_IOV 64
/* Reads from one socket per wake-up before others get their turn. */
#define READS_PER_WAKEUP 16
/* Data is read straight into chunks of READ_SIZE, reused once written (no
 * copy, no page faults in steady state); a read shorter than SMALL_READ is
 * moved to a chunk of its own size, so that many small messages in flight
 * do not hold READ_SIZE each. */
#define SMALL_READ 4096
#define MAX_SPARE 64

struct chunk {
	struct chunk *next;
	int64_t due_ns;
	size_t cap, len, off;
	bool end;               /* the sender's end of stream (len 0) */
	bool reset;             /* ... by an error: the connection is dropped */
	unsigned char data[];
};

/* One direction of a connection: from one socket to the other. */
struct flow {
	int from, to;
	struct chunk *head, *tail;
	size_t queued;
	bool read_done;         /* end of stream or error read from `from` */
	bool write_done;        /* the end has been passed on to `to` */
	bool blocked;           /* `to` would block: wait for POLLOUT */
	unsigned long long *bytes;
	unsigned long *chunks;
};

struct conn {
	struct conn *next;
	int client, server;
	struct flow up, down;
	bool delivered;         /* data reached the client since its last chunk */
	bool dead;
};

struct counters {
	unsigned long connections, open, up_chunks, down_chunks, turns;
	unsigned long long up_bytes, down_bytes;
};

static struct counters totals;
static int64_t delay_ns = 5000000;
static size_t max_queue = 64u << 20;
static volatile sig_atomic_t stopping;
static struct chunk *spare;
static unsigned spare_count;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void usage(FILE *to, int status)
{
	fputs("usage: delay_proxy --target ADDR:PORT [--listen ADDR:PORT] [--delay MS]\n"
	      "                   [--control ADDR:PORT] [--max-queue BYTES]\n"
	      "Forward TCP connections to the target, holding every chunk MS milliseconds\n"
	      "(default 5; fractions allowed; 0 forwards at once) in each direction, in order.\n"
	      "  --listen ADDR:PORT   where to accept (default 127.0.0.1:0, a free port)\n"
	      "  --control ADDR:PORT  a connection there gets the counters line, then EOF\n"
	      "  --max-queue BYTES    data held per direction before reading stops (64 MiB)\n"
	      "Prints 'listen ADDR:PORT' (and 'control ADDR:PORT') on stdout when ready.\n"
	      "SIGTERM/SIGINT: close everything, print the counters on stderr, exit 0.\n", to);
	exit(status);
}

static bool parse_addr(const char *text, struct sockaddr_in *out)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	if (!colon || (size_t)(colon - text) >= sizeof host)
		return false;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	char *end;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port < 0 || port > 65535)
		return false;
	memset(out, 0, sizeof *out);
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &out->sin_addr) == 1;
}

static int listen_on(const struct sockaddr_in *addr, const char *what, const char *text)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, (const struct sockaddr *)addr, sizeof *addr) < 0 || listen(fd, 64) < 0) {
		fprintf(stderr, "delay_proxy: cannot listen on %s (%s): %s\n", text, what, strerror(errno));
		exit(1);
	}
	struct sockaddr_in bound;
	socklen_t len = sizeof bound;
	char host[INET_ADDRSTRLEN];
	getsockname(fd, (struct sockaddr *)&bound, &len);
	inet_ntop(AF_INET, &bound.sin_addr, host, sizeof host);
	printf("%s %s:%u\n", what, host, ntohs(bound.sin_port));
	return fd;
}

static void set_socket_options(int fd)
{
	int one = 1;
	/* Small chunks must leave when due, not wait for an ACK (Nagle). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void flow_init(struct flow *f, int from, int to, unsigned long long *bytes, unsigned long *chunks)
{
	*f = (struct flow){ .from = from, .to = to, .bytes = bytes, .chunks = chunks };
}

static struct chunk *chunk_new(size_t cap)
{
	struct chunk *c;
	if (cap == READ_SIZE && spare) {
		c = spare;
		spare = c->next;
		spare_count--;
	} else {
		c = malloc(sizeof *c + cap);
		if (!c) {
			fprintf(stderr, "delay_proxy: out of memory\n");
			exit(1);
		}
	}
	*c = (struct chunk){ .cap = cap };
	return c;
}

static void chunk_free(struct chunk *c)
{
	if (c->cap == READ_SIZE && spare_count < MAX_SPARE) {
		c->next = spare;
		spare = c;
		spare_count++;
	} else {
		free(c);
	}
}

static void flow_free(struct flow *f)
{
	while (f->head) {
		struct chunk *c = f->head;
		f->head = c->next;
		chunk_free(c);
	}
	f->tail = NULL;
	f->queued = 0;
}

/* Queues C (holding LEN bytes of data, or an end) to leave at NOW + delay. */
static void enqueue(struct flow *f, struct chunk *c, size_t len, bool end, bool reset, int64_t now)
{
	c->due_ns = now + delay_ns;
	c->len = len;
	c->end = end;
	c->reset = reset;
	if (f->tail)
		f->tail->next = c;
	else
		f->head = c;
	f->tail = c;
	f->queued += len;
}

/* Drops a connection at once; with `reset`, the peers see a reset. */
static void conn_kill(struct conn *c, bool reset)
{
	if (c->dead)
		return;
	if (reset) {
		struct linger hard = { .l_onoff = 1, .l_linger = 0 };
		setsockopt(c->client, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
		setsockopt(c->server, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
	}
	close(c->client);
	close(c->server);
	flow_free(&c->up);
	flow_free(&c->down);
	c->dead = true;
	totals.open--;
}

/* Reads what `from` has, stamping each chunk with its due time. */
static void flow_read(struct conn *c, struct flow *f, int64_t now)
{
	for (int k = 0; k < READS_PER_WAKEUP && !f->read_done && f->queued < max_queue; k++) {
		struct chunk *buf = chunk_new(READ_SIZE);
		ssize_t n = recv(f->from, buf->data, READ_SIZE, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
			bool again = errno == EINTR;
			chunk_free(buf);
			if (again)
				continue;
			return;
		}
		if (n <= 0) {
			enqueue(f, buf, 0, true, n < 0, now);
			f->read_done = true;
			return;
		}
		if (n < SMALL_READ) {
			struct chunk *small = chunk_new((size_t)n);
			memcpy(small->data, buf->data, (size_t)n);
			chunk_free(buf);
			buf = small;
		}
		if (f == &c->up && c->delivered) {
			totals.turns++;
			c->delivered = false;
		}
		enqueue(f, buf, (size_t)n, false, false, now);
		*f->bytes += (unsigned long long)n;
		(*f->chunks)++;
	}
}

/* Writes the chunks that are due, as far as `to` takes them. */
static void flow_write(struct conn *c, struct flow *f, int64_t now)
{
	while (f->head && f->head->due_ns <= now) {
		if (f->head->end) {
			if (f->head->reset) {
				conn_kill(c, true);
				return;
			}
			shutdown(f->to, SHUT_WR);
			f->write_done = true;
			flow_free(f);
			return;
		}
		struct iovec iov[MAX_IOV];
		int n = 0;
		for (struct chunk *k = f->head; k && n < MAX_IOV && !k->end && k->due_ns <= now; k = k->next)
			iov[n++] = (struct iovec){ k->data + k->off, k->len - k->off };
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		ssize_t sent = sendmsg(f->to, &msg, MSG_NOSIGNAL);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			f->blocked = true;
			return;
		}
		if (sent < 0) {
			/* The receiving side is gone: so is the connection. */
			conn_kill(c, true);
			return;
		}
		f->blocked = false;
		if (f == &c->down && sent > 0)
			c->delivered = true;
		size_t left = (size_t)sent;
		while (left > 0) {
			struct chunk *k = f->head;
			size_t part = k->len - k->off < left ? k->len - k->off : left;
			k->off += part;
			left -= part;
			f->queued -= part;
			if (k->off == k->len) {
				f->head = k->next;
				if (!f->head)
					f->tail = NULL;
				chunk_free(k);
			}
		}
		if (f->head && f->head->off > 0) {
			f->blocked = true;
			return;
		}
	}
}

static struct conn *conn_open(int client, const struct sockaddr_in *target)
{
	int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (server < 0 || connect(server, (const struct sockaddr *)target, sizeof *target) < 0) {
		fprintf(stderr, "delay_proxy: cannot connect to the target: %s\n", strerror(errno));
		if (server >= 0)
			close(server);
		close(client);
		return NULL;
	}
	set_socket_options(client);
	set_socket_options(server);
	struct conn *c = calloc(1, sizeof *c);
	if (!c) {
		fprintf(stderr, "delay_proxy: out of memory\n");
		exit(1);
	}
	c->client = client;
	c->server = server;
	c->delivered = true;
	flow_init(&c->up, client, server, &totals.up_bytes, &totals.up_chunks);
	flow_init(&c->down, server, client, &totals.down_bytes, &totals.down_chunks);
	totals.connections++;
	totals.open++;
	return c;
}

static int format_counters(char *buf, size_t size)
{
	return snprintf(buf, size,
			"connections=%lu open=%lu up_bytes=%llu up_chunks=%lu down_bytes=%llu down_chunks=%lu "
			"turns=%lu\n",
			totals.connections, totals.open, totals.up_bytes, totals.up_chunks, totals.down_bytes,
			totals.down_chunks, totals.turns);
}

static void serve_control(int control)
{
	int fd = accept4(control, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	char line[256];
	int len = format_counters(line, sizeof line);
	/* A fresh socket's send buffer takes a line whole. */
	if (send(fd, line, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) != len)
		fprintf(stderr, "delay_proxy: control: short send\n");
	close(fd);
}

static bool flow_wants_read(const struct flow *f)
{
	return !f->read_done && f->queued < max_queue;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "target", required_argument, 0, 't' },
		{ "listen", required_argument, 0, 'l' },
		{ "delay", required_argument, 0, 'd' },
		{ "control", required_argument, 0, 'c' },
		{ "max-queue", required_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *target_text = NULL, *listen_text = "127.0.0.1:0", *control_text = NULL;
	struct sockaddr_in target, listen_addr, control_addr;
	int opt;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;
		switch (opt) {
		case 't': target_text = optarg; break;
		case 'l': listen_text = optarg; break;
		case 'c': control_text = optarg; break;
		case 'd': {
			errno = 0;
			double ms = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(ms >= 0) || ms > 60000) {
				fprintf(stderr, "delay_proxy: --delay: not a number of milliseconds in 0..60000: '%s'\n",
					optarg);
				return 2;
			}
			delay_ns = (int64_t)(ms * 1e6 + 0.5);
			break;
		}
		case 'q': {
			errno = 0;
			unsigned long long q = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg || q < READ_SIZE || q > SIZE_MAX / 2) {
				fprintf(stderr, "delay_proxy: --max-queue: not a byte count >= %d: '%s'\n", READ_SIZE,
					optarg);
				return 2;
			}
			max_queue = (size_t)q;
			break;
		}
		case 'h': usage(stdout, 0); break;
		default: usage(stderr, 2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "delay_proxy: unexpected argument '%s'\n", argv[optind]);
		usage(stderr, 2);
	}
	if (!target_text) {
		fprintf(stderr, "delay_proxy: --target is required\n");
		usage(stderr, 2);
	}
	const char *bad = !parse_addr(target_text, &target)           ? target_text
			  : !parse_addr(listen_text, &listen_addr)        ? listen_text
			  : control_text && !parse_addr(control_text, &control_addr) ? control_text
									  : NULL;
	if (bad) {
		fprintf(stderr, "delay_proxy: '%s': not a numeric IPv4 ADDR:PORT\n", bad);
		return 2;
	}

	/* Timers fire within a microsecond or so of their due time, not the
	 * default 50 us slack later. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	sigset_t stop_signals, run_mask;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	sigprocmask(SIG_BLOCK, &stop_signals, &run_mask);
	sigdelset(&run_mask, SIGTERM);
	sigdelset(&run_mask, SIGINT);
	struct sigaction sa = { .sa_handler = on_stop };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	int listener = listen_on(&listen_addr, "listen", listen_text);
	int control = control_text ? listen_on(&control_addr, "control", control_text) : -1;
	fflush(stdout);

	struct conn *conns = NULL;
	struct pollfd *pfds = NULL;
	struct conn **owners = NULL;
	size_t cap = 0;
	while (!stopping) {
		size_t nconns = 0;
		for (struct conn *c = conns; c; c = c->next)
			nconns++;
		size_t need = 2 + 2 * nconns;
		if (need > cap) {
			cap = need * 2;
			pfds = realloc(pfds, cap * sizeof *pfds);
			owners = realloc(owners, cap * sizeof *owners);
			if (!pfds || !owners) {
				fprintf(stderr, "delay_proxy: out of memory\n");
				return 1;
			}
		}
		size_t n = 0;
		pfds[n++] = (struct pollfd){ .fd = listener, .events = POLLIN };
		pfds[n++] = (struct pollfd){ .fd = control, .events = POLLIN };
		int64_t now = now_ns(), next_due = INT64_MAX;
		for (struct conn *c = conns; c; c = c->next) {
			short client_events = 0, server_events = 0;
			if (flow_wants_read(&c->up))
				client_events |= POLLIN;
			if (flow_wants_read(&c->down))
				server_events |= POLLIN;
			if (c->up.blocked)
				server_events |= POLLOUT;
			if (c->down.blocked)
				client_events |= POLLOUT;
			struct flow *flows[2] = { &c->up, &c->down };
			for (int k = 0; k < 2; k++)
				if (flows[k]->head && !flows[k]->blocked && flows[k]->head->due_ns < next_due)
					next_due = flows[k]->head->due_ns;
			/* A socket with nothing asked of it is left out: a hung-up
			 * one would otherwise wake ppoll again and again. */
			owners[n] = c;
			pfds[n++] = (struct pollfd){ .fd = client_events ? c->client : -1, .events = client_events };
			owners[n] = c;
			pfds[n++] = (struct pollfd){ .fd = server_events ? c->server : -1, .events = server_events };
		}
		struct timespec timeout, *tp = NULL;
		if (next_due != INT64_MAX) {
			int64_t wait = next_due > now ? next_due - now : 0;
			timeout = (struct timespec){ .tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000 };
			tp = &timeout;
		}
		int ready = ppoll(pfds, n, tp, &run_mask);
		if (ready < 0 && errno != EINTR) {
			fprintf(stderr, "delay_proxy: ppoll: %s\n", strerror(errno));
			return 1;
		}
		if (stopping)
			break;
		now = now_ns();
		if (ready > 0) {
			if (pfds[0].revents & POLLIN) {
				int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
				struct conn *c = client >= 0 ? conn_open(client, &target) : NULL;
				if (c) {
					c->next = conns;
					conns = c;
				}
			}
			if (control >= 0 && (pfds[1].revents & POLLIN))
				serve_control(control);
			for (size_t k = 2; k < n; k += 2) {
				struct conn *c = owners[k];
				short client_ev = pfds[k].revents, server_ev = pfds[k + 1].revents;
				if (client_ev & (POLLIN | POLLHUP | POLLERR))
					flow_read(c, &c->up, now);
				if (!c->dead && (server_ev & (POLLIN | POLLHUP | POLLERR)))
					flow_read(c, &c->down, now);
				if (!c->dead && (server_ev & (POLLOUT | POLLERR | POLLHUP)))
					c->up.blocked = false;
				if (!c->dead && (client_ev & (POLLOUT | POLLERR | POLLHUP)))
					c->down.blocked = false;
			}
		}
		for (struct conn **link = &conns; *link;) {
			struct conn *c = *link;
			if (!c->dead && !c->up.blocked)
				flow_write(c, &c->up, now);
			if (!c->dead && !c->down.blocked)
				flow_write(c, &c->down, now);
			if (!c->dead && c->up.write_done && c->down.write_done) {
				close(c->client);
				close(c->server);
				c->dead = true;
				totals.open--;
			}
			if (c->dead) {
				*link = c->next;
				free(c);
			} else {
				link = &c->next;
			}
		}
	}
	while (conns) {
		struct conn *c = conns;
		conns = c->next;
		conn_kill(c, false);
		free(c);
	}
	while (spare) {
		struct chunk *c = spare;
		spare = c->next;
		free(c);
	}
	free(pfds);
	free(owners);
	close(listener);
	if (control >= 0)
		close(control);
	char line[256];
	format_counters(line, sizeof line);
	fprintf(stderr, "delay_proxy: %s", line);
	return 0;
}
