/* bench/rpc.c: raw rpc round trips against a running splitrun-shadow,
 * compared in the same run with a plain TCP ping-pong of the same request
 * and reply sizes (an echo server of our own, forked, over loopback with
 * TCP_NODELAY). A benchmark, not a test: it prints microseconds per round
 * trip and the ratio rpc / ping-pong; bench/rpc.sh runs it pinned and
 * unpinned and docs/performance.md reads the results.
 *
 *   rpc --shadow ADDR:PORT --file NAME [--iters N] [--rounds R]
 *       [--keyed-shadow ADDR:PORT --key FILE]
 *   rpc --pingpong REQ_BYTES,REPLY_BYTES [--iters N] [--rounds R]
 *
 * The second form times only the ping-pong, of the given sizes, and prints
 * "pingpong REQ REPLY US" (the median over rounds of the microseconds per
 * round trip): bench/remote_calls.sh sets it beside remote system calls
 * whose average frame sizes it measured.
 *
 * With a keyed shadow (one started with --key FILE over the same root) each
 * case is also timed over an authenticated, sealed session, in the same
 * rounds, so the cost of the encryption shows as a ratio to the plain rpc,
 * and beside it the cryptography alone (the request and the reply sealed
 * and opened in this process, the same rounds): what sealing must cost.
 * NAME is a file of at least 8 KB beneath the shadow's root. The rpc side
 * uses rpc/client.c, the library the agent uses, so what is measured is the
 * codec, the client and the shadow's session loop together. Rounds alternate
 * rpc and ping-pong so drift on a noisy machine hits both alike; the figure
 * of a case is the median of its rounds. */
#include "rpc/auth.h"
#include "rpc/client.h"
#include "rpc/seal.h"

#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROUNDS 31

static void die(const char *what, int err)
{
	fprintf(stderr, "bench/rpc: %s: %s\n", what, strerror(err));
	exit(1);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The q-quantile (0 <= q <= 1) of n values, interpolated; sorts v. */
static double quantile(double *v, int n, double q)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	double pos = q * (n - 1);
	int lo = (int)pos;
	return lo + 1 < n ? v[lo] + (pos - lo) * (v[lo + 1] - v[lo]) : v[lo];
}

/* ---- the ping-pong: one send and one receive of fixed sizes per side ---- */

static void set_nodelay(int fd)
{
	int one = 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
		die("TCP_NODELAY", errno);
}

static int recv_exactly(int fd, uint8_t *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = recv(fd, buf + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int send_all(int fd, const uint8_t *buf, size_t n)
{
	for (size_t sent = 0; sent < n;) {
		ssize_t r = send(fd, buf + sent, n - sent, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		sent += (size_t)r;
	}
	return 0;
}

/* Echo server: for each request of req bytes, a reply of rep bytes. It ends
 * when the client hangs up. */
static void echo_serve(int lfd, size_t req, size_t rep)
{
	int fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		_exit(1);
	set_nodelay(fd);
	uint8_t *in = calloc(1, req), *out = calloc(1, rep);
	while (in && out && recv_exactly(fd, in, req) == 0)
		if (send_all(fd, out, rep) < 0)
			break;
	_exit(0);
}

struct pingpong {
	pid_t pid;
	int fd;
	size_t req, rep;
	uint8_t *in, *out;
};

static void pingpong_start(struct pingpong *p, size_t req, size_t rep)
{
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 1) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &al) < 0)
		die("echo server socket", errno);
	p->pid = fork();
	if (p->pid < 0)
		die("fork", errno);
	if (p->pid == 0)
		echo_serve(lfd, req, rep);
	close(lfd);
	p->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || connect(p->fd, (struct sockaddr *)&a, sizeof a) < 0)
		die("connect to the echo server", errno);
	set_nodelay(p->fd);
	p->req = req;
	p->rep = rep;
	p->out = calloc(1, req);
	p->in = calloc(1, rep);
	if (!p->out || !p->in)
		die("calloc", ENOMEM);
}

static void pingpong_stop(struct pingpong *p)
{
	close(p->fd);
	waitpid(p->pid, NULL, 0);
	free(p->in);
	free(p->out);
}

static double pingpong_round(struct pingpong *p, int iters)
{
	double t0 = now_us();
	for (int k = 0; k < iters; k++)
		if (send_all(p->fd, p->out, p->req) < 0 || recv_exactly(p->fd, p->in, p->rep) < 0)
			die("ping-pong", errno ? errno : ECONNRESET);
	return (now_us() - t0) / iters;
}

/* ---- the rpc cases ---- */

struct rpc_case {
	const char *name;
	int64_t op;
	struct rpc_val args[3];
	size_t nargs;
	int64_t want_result;
	size_t req_len, rep_len;   /* frame sizes on the wire, length field included */
	double rpc[MAX_ROUNDS], pp[MAX_ROUNDS], sealed[MAX_ROUNDS], crypto[MAX_ROUNDS];
};

static void rpc_once(struct rpc_conn *c, struct rpc_case *rc, size_t *rep_len)
{
	struct rpc_reply r;
	int err = rpc_call(c, rc->op, rc->args, rc->nargs, &r);
	if (err)
		die(rc->name, -err);
	if (r.result != rc->want_result) {
		fprintf(stderr, "bench/rpc: %s: result %lld, want %lld\n", rc->name, (long long)r.result,
			(long long)rc->want_result);
		exit(1);
	}
	if (rep_len) {
		/* Recompute the reply's size from what it decoded to. */
		size_t n = 8 + 8 + 8 + 8;
		for (size_t k = 0; k < r.nvals; k++)
			n += 8 + (r.vals[k].p ? (size_t)r.vals[k].i : 0);
		*rep_len = n;
	}
	rpc_reply_free(&r);
}

static double rpc_round(struct rpc_conn *c, struct rpc_case *rc, int iters)
{
	double t0 = now_us();
	for (int k = 0; k < iters; k++)
		rpc_once(c, rc, NULL);
	return (now_us() - t0) / iters;
}

/* The cryptography of one sealed round trip alone, in this process: the
 * request sealed and opened, then the reply, with streams of their own
 * (the cost the sealed rpc pays over the plain one, less the copies and
 * the larger sends). Microseconds per round trip. */
struct crypto_case {
	struct rpc_seal *push[2], *pull[2];
	uint8_t *frame[2];
	size_t len[2];
};

static void crypto_start(struct crypto_case *cc, size_t req_len, size_t rep_len)
{
	uint8_t key[RPC_SEAL_KEY], header[RPC_SEAL_HEADER];
	size_t lens[2] = { req_len, rep_len };
	for (int d = 0; d < 2; d++) {
		rpc_random(key, sizeof key);
		cc->push[d] = rpc_seal_push(key, header);
		cc->pull[d] = rpc_seal_pull(key, header);
		cc->len[d] = lens[d];
		cc->frame[d] = calloc(1, lens[d]);
		if (!cc->push[d] || !cc->pull[d] || !cc->frame[d])
			die("seal", ENOMEM);
		uint64_t body = lens[d] - 8;
		for (int k = 0; k < 8; k++)
			cc->frame[d][k] = (uint8_t)(body >> (56 - 8 * k));
	}
}

static void crypto_stop(struct crypto_case *cc)
{
	for (int d = 0; d < 2; d++) {
		rpc_seal_free(cc->push[d]);
		rpc_seal_free(cc->pull[d]);
		free(cc->frame[d]);
	}
}

static double crypto_round(struct crypto_case *cc, int iters)
{
	double t0 = now_us();
	for (int k = 0; k < iters; k++)
		for (int d = 0; d < 2; d++) {
			const uint8_t *sealed, *plain;
			size_t sealed_len, plain_len;
			if (rpc_seal_frames(cc->push[d], cc->frame[d], cc->len[d], &sealed, &sealed_len) ||
			    rpc_seal_open(cc->pull[d], sealed, sealed + 8, sealed_len - 8, &plain, &plain_len) ||
			    plain_len != cc->len[d] - 8)
				die("seal", EBADMSG);
		}
	return (now_us() - t0) / iters;
}

/* Connects (authenticating when key is set), opens file, returns its handle. */
static int64_t connect_and_open(struct rpc_conn *conn, const char *addr, const struct rpc_key *key, const char *file)
{
	struct rpc_identity id = { .key = key };
	int err = rpc_connect_as(conn, addr, &id);
	if (err) {
		fprintf(stderr, "bench/rpc: %s: %s\n", addr, conn->why[0] ? conn->why : strerror(-err));
		exit(1);
	}
	struct rpc_val open_args[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(file), rpc_int(0), rpc_int(0), rpc_int(0),
				       rpc_int(0) };
	struct rpc_reply r;
	if ((err = rpc_call(conn, RPC_OP_OPEN, open_args, 6, &r)))
		die("OPEN", -err);
	if (r.result < 0) {
		fprintf(stderr, "bench/rpc: OPEN %s: canonical errno %lld\n", file, (long long)-r.result);
		exit(1);
	}
	int64_t h = r.result;
	rpc_reply_free(&r);
	return h;
}

static void usage(FILE *f)
{
	fputs("usage: rpc --shadow ADDR:PORT --file NAME [--iters N] [--rounds R]\n"
	      "           [--keyed-shadow ADDR:PORT --key FILE]\n"
	      "       rpc --pingpong REQ_BYTES,REPLY_BYTES [--iters N] [--rounds R]\n"
	      "Round trips of NULL, PREAD 1 byte and PREAD 8 KB against a running\n"
	      "splitrun-shadow, and a TCP ping-pong of the same sizes; with a keyed\n"
	      "shadow, also over an authenticated session with sealed frames; or the\n"
	      "ping-pong alone, of the sizes given.\n", f);
}

static int pingpong_only(const char *sizes, int iters, int rounds)
{
	char *end;
	errno = 0;
	unsigned long req = strtoul(sizes, &end, 10), rep = 0;
	if (*end == ',')
		rep = strtoul(end + 1, &end, 10);
	if (errno || *end || req < 1 || rep < 1 || req > (1 << 24) || rep > (1 << 24)) {
		fprintf(stderr, "bench/rpc: --pingpong: not REQ_BYTES,REPLY_BYTES (1..16 MiB each): '%s'\n", sizes);
		return 2;
	}
	struct pingpong p;
	double us[MAX_ROUNDS];
	pingpong_start(&p, req, rep);
	pingpong_round(&p, iters / 10 + 1);
	for (int round = 0; round < rounds; round++)
		us[round] = pingpong_round(&p, iters);
	pingpong_stop(&p);
	printf("pingpong %lu %lu %.3f\n", req, rep, quantile(us, rounds, 0.5));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "shadow", required_argument, 0, 's' },
		{ "file", required_argument, 0, 'f' },
		{ "iters", required_argument, 0, 'n' },
		{ "rounds", required_argument, 0, 'r' },
		{ "keyed-shadow", required_argument, 0, 'S' },
		{ "key", required_argument, 0, 'k' },
		{ "pingpong", required_argument, 0, 'p' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *shadow = NULL, *file = NULL, *keyed = NULL, *key_file = NULL, *pingpong_sizes = NULL;
	int iters = 1000, rounds = 15, c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': shadow = optarg; break;
		case 'f': file = optarg; break;
		case 'n': iters = atoi(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'S': keyed = optarg; break;
		case 'k': key_file = optarg; break;
		case 'p': pingpong_sizes = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (pingpong_sizes && !shadow && !file && !keyed && !key_file && iters >= 1 && rounds >= 1 &&
	    rounds <= MAX_ROUNDS) {
		signal(SIGPIPE, SIG_IGN);
		return pingpong_only(pingpong_sizes, iters, rounds);
	}
	if (!shadow || !file || pingpong_sizes || iters < 1 || rounds < 1 || rounds > MAX_ROUNDS || !keyed != !key_file) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);

	struct rpc_conn conn, sconn;
	int64_t h = connect_and_open(&conn, shadow, NULL, file);
	if (keyed) {
		struct rpc_key key;
		char err[512];
		if (rpc_crypto_init() || rpc_key_load(key_file, &key, err, sizeof err)) {
			fprintf(stderr, "bench/rpc: --key %s: %s\n", key_file, err);
			return 2;
		}
		/* The same file opens as the same handle number in a fresh session. */
		if (connect_and_open(&sconn, keyed, &key, file) != h) {
			fprintf(stderr, "bench/rpc: the keyed session's handle differs\n");
			return 1;
		}
		rpc_key_wipe(&key);
	}

	struct rpc_case cases[] = {
		{ .name = "NULL", .op = RPC_OP_NULL, .nargs = 0, .want_result = 0 },
		{ .name = "PREAD 1 B", .op = RPC_OP_PREAD, .args = { rpc_int(h), rpc_int(1), rpc_int(0) }, .nargs = 3,
		  .want_result = 1 },
		{ .name = "PREAD 8 KB", .op = RPC_OP_PREAD, .args = { rpc_int(h), rpc_int(8192), rpc_int(0) },
		  .nargs = 3, .want_result = 8192 },
	};
	size_t ncases = sizeof cases / sizeof cases[0];
	for (size_t k = 0; k < ncases; k++) {
		struct rpc_case *rc = &cases[k];
		struct rpc_enc e;
		rpc_enc_init(&e);
		if (rpc_encode_request(&e, 1, rc->op, rc->args, rc->nargs))
			die("encode", EINVAL);
		rc->req_len = e.len;
		rpc_enc_free(&e);
		rpc_once(&conn, rc, &rc->rep_len);
		struct pingpong p;
		pingpong_start(&p, rc->req_len, rc->rep_len);
		struct crypto_case cc;
		if (keyed)
			crypto_start(&cc, rc->req_len, rc->rep_len);
		/* Warm every path up before timing. */
		rpc_round(&conn, rc, iters / 10 + 1);
		if (keyed) {
			rpc_round(&sconn, rc, iters / 10 + 1);
			crypto_round(&cc, iters / 10 + 1);
		}
		pingpong_round(&p, iters / 10 + 1);
		for (int round = 0; round < rounds; round++) {
			rc->rpc[round] = rpc_round(&conn, rc, iters);
			if (keyed) {
				rc->sealed[round] = rpc_round(&sconn, rc, iters);
				rc->crypto[round] = crypto_round(&cc, iters);
			}
			rc->pp[round] = pingpong_round(&p, iters);
		}
		pingpong_stop(&p);
		if (keyed)
			crypto_stop(&cc);
	}
	rpc_close(&conn);
	if (keyed)
		rpc_close(&sconn);

	printf("%-11s %6s %8s %8s %13s %6s %12s\n", "case", "req B", "reply B", "rpc us", "ping-pong us", "ratio",
	       "ratio q1-q3");
	for (size_t k = 0; k < ncases; k++) {
		struct rpc_case *rc = &cases[k];
		double ratios[MAX_ROUNDS];
		for (int round = 0; round < rounds; round++)
			ratios[round] = rc->rpc[round] / rc->pp[round];
		double ratio = quantile(ratios, rounds, 0.5);
		double q1 = quantile(ratios, rounds, 0.25), q3 = quantile(ratios, rounds, 0.75);
		double rpc_us = quantile(rc->rpc, rounds, 0.5), pp_us = quantile(rc->pp, rounds, 0.5);
		printf("%-11s %6zu %8zu %8.2f %13.2f %6.2f %7.2f-%.2f\n", rc->name, rc->req_len, rc->rep_len, rpc_us, pp_us,
		       ratio, q1, q3);
	}
	printf("(%d rounds of %d round trips per case, rpc and ping-pong alternating; medians over rounds;\n"
	       " ratio = median of the per-round rpc/ping-pong ratios, q1-q3 their spread; target <= 1.30)\n",
	       rounds, iters);
	if (!keyed)
		return 0;
	printf("\n%-11s %6s %8s %9s %13s %6s %11s %12s %9s %10s\n", "sealed", "req B", "reply B", "sealed us",
	       "ping-pong us", "ratio", "vs plain rpc", "q1-q3", "extra us", "crypto us");
	for (size_t k = 0; k < ncases; k++) {
		struct rpc_case *rc = &cases[k];
		double to_pp[MAX_ROUNDS], to_rpc[MAX_ROUNDS];
		for (int round = 0; round < rounds; round++) {
			to_pp[round] = rc->sealed[round] / rc->pp[round];
			to_rpc[round] = rc->sealed[round] / rc->rpc[round];
		}
		double sealed_us = quantile(rc->sealed, rounds, 0.5), pp_us = quantile(rc->pp, rounds, 0.5);
		double ratio = quantile(to_pp, rounds, 0.5), vs = quantile(to_rpc, rounds, 0.5);
		double q1 = quantile(to_rpc, rounds, 0.25), q3 = quantile(to_rpc, rounds, 0.75);
		double extra[MAX_ROUNDS];
		for (int round = 0; round < rounds; round++)
			extra[round] = rc->sealed[round] - rc->rpc[round];
		double extra_us = quantile(extra, rounds, 0.5), crypto_us = quantile(rc->crypto, rounds, 0.5);
		printf("%-11s %6zu %8zu %9.2f %13.2f %6.2f %11.2f %7.2f-%.2f %9.2f %10.2f\n", rc->name,
		       rc->req_len + RPC_SEAL_ABYTES, rc->rep_len + RPC_SEAL_ABYTES, sealed_us, pp_us, ratio, vs, q1, q3,
		       extra_us, crypto_us);
	}
	printf("(the same rounds over an authenticated session with sealed frames: XChaCha20-Poly1305 both ways;\n"
	       " ratio to the plain ping-pong of the unsealed sizes, and to the plain rpc of the same round;\n"
	       " extra us = sealed - plain rpc, median of the rounds; crypto us = sealing and opening the request\n"
	       " and the reply in this process alone, the same rounds)\n");
	return 0;
}
