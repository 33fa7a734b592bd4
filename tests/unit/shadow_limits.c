/* tests/unit/shadow_limits.c: the session limits of splitrun-shadow(8),
 * LIMITS, enforced by a live session (shadow_session_run on a socketpair):
 * 1024 handles (OPEN and DUP beyond: EMFILE), the handshake deadline (a
 * silent peer and one that dribbles a byte at a time are both dropped in
 * time), the idle timeout (and activity that keeps a session), a stalled
 * frame when the idle timeout is the shorter, and the bounds of a sealed
 * frame's length. Timings are checked against generous upper bounds (a
 * loaded machine is slow, never early); they show that the limit acts, the
 * benchmarks are elsewhere. */
#include "rpc/auth.h"
#include "rpc/canon.h"
#include "rpc/client.h"
#include "rpc/seal.h"
#include "rpc/wire.h"
#include "shadow/access.h"
#include "shadow/shadow.h"
#include "tests/unit/check.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/shadow_limits_XXXXXX";
static struct shadow_root root;

struct session {
	pthread_t thread;
	const struct shadow_root *root;
	int fd, peer, rc;
};

static void *session_main(void *p)
{
	struct session *s = p;
	s->rc = shadow_session_run(s->root, s->peer);
	return NULL;
}

static void session_start(struct session *s, const struct shadow_root *r)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		exit(2);
	s->fd = sv[0];
	s->peer = sv[1];
	s->root = r;
	s->rc = 1;
	pthread_create(&s->thread, NULL, session_main, s);
}

static int session_end(struct session *s)
{
	close(s->fd);
	pthread_join(s->thread, NULL);
	return s->rc;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits up to limit seconds for the peer to close; returns the time it took
 * (or -1 when it did not close). Bytes that arrive meanwhile are read. */
static double time_to_close(int fd, double limit)
{
	double t0 = now_s();
	struct timeval tv = { 0, 50000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	while (now_s() - t0 < limit) {
		char b[256];
		ssize_t n = recv(fd, b, sizeof b, 0);
		if (n == 0)
			return now_s() - t0;
	}
	return -1;
}

static int64_t call(struct rpc_conn *c, int64_t op, const struct rpc_val *a, size_t n)
{
	struct rpc_reply r;
	int rc = rpc_call(c, op, a, n, &r);
	if (rc)
		return -10000 + rc;
	int64_t res = r.result;
	rpc_reply_free(&r);
	return res;
}

static void handles(void)
{
	struct session s;
	struct rpc_conn c;
	session_start(&s, &root);
	CHECK_EQ_INT(rpc_attach(&c, dup(s.fd)), 0, "attach");
	struct rpc_val open_args[] = { rpc_int(RPC_HANDLE_CWD), rpc_str("/"), rpc_int(CANON_O_RDONLY | CANON_O_DIRECTORY),
				       rpc_int(0), rpc_int(0), rpc_int(0) };
	int opened = 0, last = -1;
	for (int k = 0; k < SHADOW_MAX_HANDLES; k++) {
		int64_t h = call(&c, RPC_OP_OPEN, open_args, 6);
		if (h < 0)
			break;
		opened++;
		last = (int)h;
	}
	CHECK_EQ_INT(opened, SHADOW_MAX_HANDLES, "1024 handles open in one session");
	CHECK_EQ_INT(last, SHADOW_MAX_HANDLES - 1, "the lowest free handle each time: the last is 1023");
	CHECK_EQ_INT(call(&c, RPC_OP_OPEN, open_args, 6), -CANON_EMFILE, "the 1025th OPEN: EMFILE");
	struct rpc_val h0 = rpc_int(0);
	CHECK_EQ_INT(call(&c, RPC_OP_DUP, &h0, 1), -CANON_EMFILE, "DUP with a full table: EMFILE");
	struct rpc_val h7 = rpc_int(7);
	CHECK_EQ_INT(call(&c, RPC_OP_CLOSE, &h7, 1), 0, "close handle 7");
	CHECK_EQ_INT(call(&c, RPC_OP_DUP, &h0, 1), 7, "then DUP takes 7");
	CHECK_EQ_INT(call(&c, RPC_OP_OPEN, open_args, 6), -CANON_EMFILE, "and the table is full again");
	rpc_close(&c);
	CHECK_EQ_INT(session_end(&s), 0, "a hang-up with 1024 handles open is a normal end");
}

static void handshake_deadline(void)
{
	struct shadow_root r = root;
	r.handshake_timeout_ms = 300;
	struct session s;

	/* A silent peer. */
	session_start(&s, &r);
	double t = time_to_close(s.fd, 10);
	CHECK(t >= 0.25 && t < 5, "a silent peer is dropped after --handshake-timeout 0.3 s (took %.2f s)", t);
	CHECK_EQ_INT(session_end(&s), -ETIMEDOUT, "session result ETIMEDOUT");

	/* A peer that sends a byte of its HELLO every 50 ms: each recv is
	 * quick, the whole is not. */
	session_start(&s, &r);
	static const uint8_t hello_len[8] = { 0, 0, 0, 0, 0, 0, 0, 0x3e };
	double t0 = now_s();
	bool closed = false;
	for (int k = 0; k < 200 && !closed; k++) {
		if (send(s.fd, &hello_len[k % 8], 1, MSG_NOSIGNAL) < 0)
			closed = true;
		struct timespec ts = { 0, 50 * 1000000 };
		nanosleep(&ts, NULL);
		uint8_t b;
		if (recv(s.fd, &b, 1, MSG_DONTWAIT) == 0)
			closed = true;
	}
	t = now_s() - t0;
	CHECK(closed && t < 5, "a peer dribbling a byte every 50 ms is dropped too (after %.2f s)", t);
	CHECK_EQ_INT(session_end(&s), -ETIMEDOUT, "session result ETIMEDOUT");

	/* A real agent is not hurried by it. */
	session_start(&s, &r);
	struct rpc_conn c;
	CHECK_EQ_INT(rpc_attach(&c, dup(s.fd)), 0, "a prompt agent shakes hands");
	struct timespec ts = { 0, 500 * 1000000 };
	nanosleep(&ts, NULL);
	CHECK_EQ_INT(call(&c, RPC_OP_NULL, NULL, 0), 0, "and is served after the handshake timeout has passed");
	rpc_close(&c);
	CHECK_EQ_INT(session_end(&s), 0, "normal end");
}

static void idle_and_stall(void)
{
	struct shadow_root r = root;
	r.idle_timeout_ms = 400;
	struct session s;
	struct rpc_conn c;

	session_start(&s, &r);
	CHECK_EQ_INT(rpc_attach(&c, dup(s.fd)), 0, "attach (idle timeout 0.4 s)");
	bool served = true;
	for (int k = 0; k < 8; k++) {   /* 8 x 0.2 s: busy for 1.6 s in all */
		struct timespec ts = { 0, 200 * 1000000 };
		nanosleep(&ts, NULL);
		served = served && call(&c, RPC_OP_NULL, NULL, 0) == 0;
	}
	CHECK(served, "an agent that sends a frame every 0.2 s is never idle for 0.4 s");
	double t = time_to_close(c.fd, 10);
	CHECK(t >= 0.3 && t < 5, "then, idle, it is dropped after about 0.4 s (took %.2f s)", t);
	rpc_close(&c);
	CHECK_EQ_INT(session_end(&s), -ETIMEDOUT, "session result ETIMEDOUT");

	/* Idle timeout shorter than the frame timeout: a frame that stalls is
	 * still judged by --frame-timeout (1 s here), not by the idle one. */
	r.frame_timeout_ms = 1000;
	r.idle_timeout_ms = 200;
	session_start(&s, &r);
	CHECK_EQ_INT(rpc_attach(&c, dup(s.fd)), 0, "attach (frame timeout 1 s, idle 0.2 s)");
	static const uint8_t half[12] = { 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0 };
	rpc_write_full(c.fd, half, sizeof half);
	t = time_to_close(c.fd, 10);
	CHECK(t >= 0.9 && t < 5, "a frame stalled after 12 bytes is dropped after the frame timeout (%.2f s)", t);
	rpc_close(&c);
	CHECK_EQ_INT(session_end(&s), -EPROTO, "session result EPROTO (a stalled frame is malformed)");
}

static void sealed_bounds(void)
{
	struct rpc_key key;
	rpc_random(key.secret, sizeof key.secret);
	rpc_key_derive_id(&key);
	struct shadow_access acc = { .keys = &key, .nkeys = 1 };
	struct shadow_root r = root;
	r.access = &acc;
	struct rpc_identity id = { .key = &key, .user = "fred" };
	static const struct {
		int64_t len;
		int rc;
		const char *what;
	} cases[] = {
		{ 32, -EPROTO, "a sealed length of 32 (under 16 + 17)" },
		{ (int64_t)RPC_MAX_FRAME + 18, -E2BIG, "a sealed length over RPC_MAX_FRAME + 17" },
		{ INT64_MAX, -E2BIG, "a sealed length of 2^63 - 1" },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		struct session s;
		struct rpc_conn c;
		session_start(&s, &r);
		CHECK_EQ_INT(rpc_attach_as(&c, dup(s.fd), &id), 0, "attach with a key");
		struct rpc_enc e;
		rpc_enc_init(&e);
		rpc_put_i64(&e, cases[k].len);
		rpc_write_full(c.fd, e.data, e.len);
		rpc_enc_free(&e);
		CHECK(time_to_close(c.fd, 10) >= 0, "%s: closed", cases[k].what);
		rpc_close(&c);
		CHECK_EQ_INT(session_end(&s), cases[k].rc, "%s: session result", cases[k].what);
	}
	/* The largest plain frame, sealed, goes through: a WRITE of 1 MiB. */
	struct session s;
	struct rpc_conn c;
	session_start(&s, &r);
	rpc_attach_as(&c, dup(s.fd), &id);
	struct rpc_val open_args[] = { rpc_int(RPC_HANDLE_CWD), rpc_str("/big"), rpc_int(CANON_O_WRONLY | CANON_O_CREAT),
				       rpc_int(0644), rpc_int(0), rpc_int(0) };
	int64_t h = call(&c, RPC_OP_OPEN, open_args, 6);
	uint8_t *data = calloc(1, RPC_MAX_BUF);
	struct rpc_val w[2] = { rpc_int(h), rpc_buf(data, RPC_MAX_BUF) };
	CHECK_EQ_INT(call(&c, RPC_OP_WRITE, w, 2), RPC_MAX_BUF, "a sealed WRITE of 1 MiB");
	struct rpc_val rd[3] = { rpc_int(h), rpc_int(RPC_MAX_BUF), rpc_int(0) };
	struct rpc_val close_h = rpc_int(h);
	call(&c, RPC_OP_CLOSE, &close_h, 1);
	open_args[2] = rpc_int(CANON_O_RDONLY);
	rd[0] = rpc_int(call(&c, RPC_OP_OPEN, open_args, 6));
	CHECK_EQ_INT(call(&c, RPC_OP_PREAD, rd, 3), RPC_MAX_BUF, "and a sealed reply of 1 MiB");
	free(data);
	rpc_close(&c);
	CHECK_EQ_INT(session_end(&s), 0, "normal end");
}

int main(void)
{
	if (rpc_crypto_init() || !mkdtemp(dir) || shadow_root_open(&root, dir)) {
		printf("Bail out! no libsodium, temporary directory or root\n");
		return 1;
	}
	handles();
	handshake_deadline();
	idle_and_stall();
	sealed_bounds();
	close(root.fd);
	char cmd[64];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return check_done();
}
