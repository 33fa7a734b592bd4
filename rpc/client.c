/* rpc/client.c: blocking client connection. */
#include "rpc/client.h"

#include "rpc/addr.h"
#include "rpc/auth.h"
#include "rpc/canon.h"
#include "rpc/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct rpc_stash {
	struct rpc_stash *next;
	uint8_t *frame;
	size_t len;
};

struct rpc_val rpc_str(const char *s)
{
	struct rpc_val x = { (int64_t)strlen(s), (const uint8_t *)s };
	return x;
}

int rpc_read_full(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	while (n) {
		ssize_t r = read(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ECONNRESET;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

int rpc_write_full(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t r = send(fd, b, n, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

int rpc_read_frame(int fd, uint8_t **buf, size_t *len)
{
	uint8_t hdr[8];
	int rc = rpc_read_full(fd, hdr, 8);
	if (rc)
		return rc;
	struct rpc_dec d;
	rpc_dec_init(&d, hdr, 8);
	int64_t n = rpc_get_i64(&d);
	rc = rpc_frame_len_ok(n);
	if (rc)
		return rc;
	uint8_t *b = malloc((size_t)n);
	if (!b)
		return -ENOMEM;
	rc = rpc_read_full(fd, b, (size_t)n);
	if (rc) {
		free(b);
		return rc;
	}
	*buf = b;
	*len = (size_t)n;
	return 0;
}

enum { READER_INITIAL = 64 * 1024 };

void rpc_reader_init(struct rpc_reader *r, int fd)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
}

void rpc_reader_free(struct rpc_reader *r)
{
	free(r->buf);
	rpc_seal_free(r->open);
	r->open = NULL;
	r->buf = NULL;
	r->cap = r->start = r->end = 0;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* With a deadline, waits until fd is readable or the deadline passes. */
static int reader_wait(struct rpc_reader *r)
{
	if (!r->deadline_ms)
		return 0;
	for (;;) {
		int64_t left = r->deadline_ms - monotonic_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = r->fd, .events = POLLIN };
		int n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* Makes room for need bytes from start: moves the unread bytes to the
 * front, grows the buffer (never beyond one largest frame). */
static int reader_room(struct rpc_reader *r, size_t need)
{
	if (r->start && r->cap - r->start < need) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->cap - r->start >= need)
		return 0;
	size_t cap = r->cap ? r->cap : READER_INITIAL;
	while (cap < need)
		cap *= 2;
	uint8_t *b = realloc(r->buf, cap);
	if (!b)
		return -ENOMEM;
	r->buf = b;
	r->cap = cap;
	return 0;
}

static int reader_fill(struct rpc_reader *r, size_t need)
{
	int rc = reader_room(r, need);
	while (!rc && r->end - r->start < need) {
		if ((rc = reader_wait(r)))
			break;
		ssize_t n = recv(r->fd, r->buf + r->end, r->cap - r->end, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return r->end == r->start ? -ECONNRESET : -EPROTO;
		r->end += (size_t)n;
		r->received += (uint64_t)n;
	}
	return rc;
}

int rpc_reader_next(struct rpc_reader *r, const uint8_t **frame, size_t *len)
{
	if (r->start == r->end)
		r->start = r->end = 0;
	int rc = reader_fill(r, 8);
	if (rc)
		return rc;
	struct rpc_dec d;
	rpc_dec_init(&d, r->buf + r->start, 8);
	int64_t n = rpc_get_i64(&d);
	rc = r->open ? rpc_seal_len_ok(n) : rpc_frame_len_ok(n);
	if (rc || (rc = reader_fill(r, 8 + (size_t)n)))
		return rc;
	const uint8_t *at = r->buf + r->start;
	r->start += 8 + (size_t)n;
	if (r->open)
		return rpc_seal_open(r->open, at, at + 8, (size_t)n, frame, len);
	*frame = at + 8;
	*len = (size_t)n;
	return 0;
}

/* The bytes of the next frame when they are all buffered: 8 + its length
 * (sealed length with a seal); 0 when it is not whole yet; a negative errno
 * for a bad length. */
static int64_t reader_whole(const struct rpc_reader *r)
{
	if (r->end - r->start < 8)
		return 0;
	struct rpc_dec d;
	rpc_dec_init(&d, r->buf + r->start, 8);
	int64_t n = rpc_get_i64(&d);
	int rc = r->open ? rpc_seal_len_ok(n) : rpc_frame_len_ok(n);
	if (rc)
		return rc;
	return r->end - r->start >= 8 + (size_t)n ? 8 + n : 0;
}

/* Reads what has arrived without waiting. Returns 0 (maybe nothing came),
 * or as reader_fill for a hang-up or an error. */
static int reader_pull(struct rpc_reader *r)
{
	size_t want = 64 * 1024;
	if (r->end - r->start >= 8) {
		struct rpc_dec d;
		rpc_dec_init(&d, r->buf + r->start, 8);
		int64_t n = rpc_get_i64(&d);
		if ((r->open ? rpc_seal_len_ok(n) : rpc_frame_len_ok(n)) == 0 && 8 + (size_t)n > r->end - r->start)
			want = 8 + (size_t)n - (r->end - r->start);
	}
	int rc = reader_room(r, r->end - r->start + want);
	if (rc)
		return rc;
	for (;;) {
		ssize_t n = recv(r->fd, r->buf + r->end, r->cap - r->end, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		if (n == 0)
			return r->end == r->start ? -ECONNRESET : -EPROTO;
		r->end += (size_t)n;
		r->received += (uint64_t)n;
		return 0;
	}
}

int rpc_transport_send(int fd, struct rpc_seal *seal, const uint8_t *data, size_t len)
{
	if (seal) {
		int rc = rpc_seal_frames(seal, data, len, &data, &len);
		if (rc)
			return rc;
	}
	return rpc_write_full(fd, data, len);
}

/* Keeps a copy of frame (len bytes) at the stash's tail. */
static int stash_push(struct rpc_conn *c, const uint8_t *frame, size_t len)
{
	struct rpc_stash *s = malloc(sizeof *s);
	uint8_t *copy = malloc(len);
	if (!s || !copy) {
		free(s);
		free(copy);
		return -ENOMEM;
	}
	memcpy(copy, frame, len);
	s->frame = copy;
	s->len = len;
	s->next = NULL;
	if (c->stash_tail)
		c->stash_tail->next = s;
	else
		c->stash = s;
	c->stash_tail = s;
	return 0;
}

/* Moves every whole frame that has arrived, without waiting, into the
 * stash. */
static int stash_arrived(struct rpc_conn *c)
{
	int rc = reader_pull(&c->in);
	int64_t whole;
	while (!rc && (whole = reader_whole(&c->in)) != 0) {
		if (whole < 0)
			return (int)whole;
		const uint8_t *b;
		size_t n;
		rc = rpc_reader_next(&c->in, &b, &n);
		if (!rc)
			rc = stash_push(c, b, n);
	}
	return rc;
}

/* Sends the encoded frames (sealed first, with a seal). While the socket
 * takes no more, what the peer sends meanwhile is read and stashed: a peer
 * blocked on sending us replies could otherwise never read the rest of our
 * request. */
static int flush(struct rpc_conn *c)
{
	if (c->enc.error)
		return c->enc.error;
	const uint8_t *b = c->enc.data;
	size_t left = c->enc.len;
	int rc = c->seal ? rpc_seal_frames(c->seal, b, left, &b, &left) : 0;
	while (left && !rc) {
		ssize_t n = send(c->fd, b, left, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			b += n;
			left -= (size_t)n;
			c->stats.bytes_sent += (uint64_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			rc = -errno;
			break;
		}
		struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLOUT };
		if (poll(&p, 1, -1) < 0) {
			rc = errno == EINTR ? 0 : -errno;
			continue;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR))
			rc = stash_arrived(c);
	}
	rpc_enc_reset(&c->enc);
	c->stats.requests++;
	return rc;
}

__attribute__((format(printf, 3, 4)))
static int why(struct rpc_conn *c, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
	return rc;
}

static int refusal(struct rpc_conn *c, int64_t canon, const struct rpc_key *key)
{
	int64_t native;
	if (canon_errno_decode(canon, &native))
		return why(c, -EINVAL, "the shadow refused the handshake with an unknown error (%lld)", (long long)canon);
	int e = (int)native;
	if (e == EACCES && key)
		return why(c, -EACCES, "the shadow does not accept key %s (it is none of its --key keys)", key->name);
	if (e == EACCES)
		return why(c, -EACCES, "the shadow requires a key: give --key FILE (or SPLITRUN_KEY=FILE) with a "
			   "copy of one of its keys");
	if (e == EBUSY)
		return why(c, -EBUSY, "the shadow is serving as many sessions as it allows (--max-sessions); "
			   "try again later");
	if (e == EPROTONOSUPPORT)
		return why(c, -EPROTONOSUPPORT, "it speaks no protocol version this splitrun knows");
	return why(c, -e, "the shadow refused the handshake: %s", strerror(e));
}

/* The second round trip of an authenticated handshake: our proof and
 * stream header out, the shadow's stream header back. */
static int authenticate(struct rpc_conn *c, const struct rpc_key *key, const char *user, const uint8_t *hello,
			size_t hello_len, const struct rpc_reply *r)
{
	struct rpc_auth_challenge ch;
	if (r->nvals != 4 || rpc_auth_challenge_decode(r->vals[3].p, (size_t)r->vals[3].i, &ch))
		return why(c, -EPROTO, "the shadow's challenge is malformed (is it a splitrun-shadow?)");
	uint8_t th[32], proof[RPC_AUTH_PROOF], to_shadow[RPC_KEY_BYTES], to_agent[RPC_KEY_BYTES];
	rpc_auth_transcript(hello, hello_len, r->vals[0].i, r->vals[1].i, c->server_arch, ch.nonce, th);
	if (!rpc_auth_proof_ok(key, RPC_ROLE_SHADOW, th, ch.proof))
		return why(c, -EKEYREJECTED, "the shadow did not prove that it holds key %s: it is not the shadow "
			   "you meant, or someone is in between", key->name);
	rpc_auth_proof(key, RPC_ROLE_AGENT, th, proof);
	rpc_auth_session_keys(key, th, to_shadow, to_agent);
	uint8_t header[RPC_SEAL_HEADER];
	struct rpc_seal *seal = rpc_seal_push(to_shadow, header);
	struct rpc_val args[2] = { rpc_buf(proof, sizeof proof), rpc_buf(header, sizeof header) };
	int rc = seal ? rpc_encode_request(&c->enc, 0, RPC_OP_AUTH, args, 2) : -ENOMEM;
	if (!rc) {
		c->stats.ops[RPC_OP_AUTH]++;
		rc = flush(c);
	}
	struct rpc_reply ar = { 0 };
	c->overlapped_below = 0;   /* tag 0 again, and a round trip of its own */
	if (!rc)
		rc = rpc_recv(c, 0, &ar);
	if (!rc && ar.op != RPC_OP_AUTH)
		rc = why(c, -EPROTO, "the shadow answered AUTH with op %lld", (long long)ar.op);
	int64_t native;
	if (!rc && ar.result < 0) {
		rc = canon_errno_decode(-ar.result, &native) ? -EINVAL : (int)-native;
		if (rc == -EPERM)
			why(c, rc, "the shadow's --authfile allows neither %s nor %s@this host", key->name, user);
		else if (rc == -EACCES)
			why(c, rc, "the shadow refused our proof for key %s", key->name);
		else
			why(c, rc, "the shadow cannot serve what its --authfile gives %s: %s", key->name, strerror(-rc));
	} else if (!rc && (ar.nvals != 1 || ar.vals[0].i != RPC_SEAL_HEADER)) {
		rc = why(c, -EPROTO, "the shadow's AUTH reply is malformed");
	} else if (!rc && !(c->in.open = rpc_seal_pull(to_agent, ar.vals[0].p))) {
		rc = -ENOMEM;
	}
	if (!rc) {
		c->seal = seal;
		seal = NULL;
	}
	rpc_seal_free(seal);
	rpc_reply_free(&ar);
	rpc_wipe(th, sizeof th);
	rpc_wipe(to_shadow, sizeof to_shadow);
	rpc_wipe(to_agent, sizeof to_agent);
	return rc;
}

/* rpc_attach_as, the handshake bounded by DEADLINE_MS (CLOCK_MONOTONIC). */
static int attach_until(struct rpc_conn *c, int fd, const struct rpc_identity *id, int64_t deadline_ms)
{
	memset(c, 0, sizeof *c);
	c->fd = fd;
	c->next_tag = 1;
	rpc_enc_init(&c->enc);
	rpc_reader_init(&c->in, fd);
	/* TCP_NODELAY: a request goes out at once. Keepalive and a user
	 * timeout: a shadow whose machine vanished (no FIN, no RST) is found
	 * lost within about two minutes, whether or not a request of ours
	 * waits to be acknowledged, instead of never. */
	int one = 1, idle = 60, intvl = 10, cnt = 6;
	unsigned user_timeout_ms = 120000;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
	const struct rpc_key *key = id ? id->key : NULL;
	int64_t offered = RPC_FEATURE_COMPOUND | (key ? RPC_FEATURE_AUTH : 0);
	uint8_t auth[RPC_MAX_AUTH];
	size_t auth_len = 0;
	char user[RPC_MAX_USER + 1] = "";
	if (key) {
		if (rpc_crypto_init())
			return why(c, -ENOSYS, "libsodium cannot start (no entropy source?)");
		struct rpc_auth_hello ah = { .scheme = RPC_AUTH_SCHEME };
		if (id->user)
			snprintf(user, sizeof user, "%s", id->user);
		else
			rpc_user_self(user);
		if (!rpc_user_valid(user, strlen(user)))
			return why(c, -EINVAL, "user name '%s' cannot be claimed (1 to %d of A-Z a-z 0-9 . _ -)", user,
				   RPC_MAX_USER);
		memcpy(ah.key_id, key->id, sizeof ah.key_id);
		rpc_random(ah.nonce, sizeof ah.nonce);
		snprintf(ah.user, sizeof ah.user, "%s", user);
		auth_len = rpc_auth_hello_encode(&ah, auth);
	}
	rpc_encode_hello_auth(&c->enc, rpc_host_arch(), offered, auth, auth_len);
	c->stats.ops[RPC_OP_HELLO]++;
	/* The transcript starts with the HELLO frame as sent. */
	uint8_t hello[8 + 3 * 8 + 8 + RPC_MAX_ARCH + 8 + RPC_MAX_AUTH + 8];
	size_t hello_len = c->enc.len - 8;
	memcpy(hello, c->enc.data + 8, hello_len < sizeof hello ? hello_len : sizeof hello);
	int64_t limit_ms = deadline_ms - monotonic_ms();
	c->in.deadline_ms = deadline_ms;
	int rc = flush(c);
	struct rpc_reply r = { 0 };
	if (!rc)
		rc = rpc_recv(c, 0, &r);
	if (rc == -ETIMEDOUT)
		return why(c, rc, "no answer to the handshake within %.2g s", (double)limit_ms / 1000);
	if (rc)
		return rc;
	if (r.op != RPC_OP_HELLO) {
		rc = -EPROTO;
	} else if (r.result < 0) {
		rc = refusal(c, -r.result, key);
	} else if (r.vals[0].i < RPC_VERSION_MIN || r.vals[0].i > RPC_VERSION || (r.vals[1].i & ~offered)) {
		rc = -EPROTONOSUPPORT;   /* a version or features we did not offer */
	} else {
		c->server_version = r.vals[0].i;
		c->server_features = r.vals[1].i;
		memcpy(c->server_arch, r.vals[2].p, (size_t)r.vals[2].i);
		c->server_arch[r.vals[2].i] = 0;
		if (key && !(c->server_features & RPC_FEATURE_AUTH))
			rc = why(c, -ENOKEY, "the shadow does not authenticate (it runs without --key), so anyone "
				 "could stand in for it: not using it with a key");
		else if (key)
			rc = authenticate(c, key, user, hello, hello_len, &r);
	}
	rpc_reply_free(&r);
	rpc_wipe(auth, sizeof auth);
	if (rc == -ETIMEDOUT)
		why(c, rc, "no answer to the handshake within %.2g s", (double)limit_ms / 1000);
	c->in.deadline_ms = 0;
	return rc;
}

int rpc_attach_as(struct rpc_conn *c, int fd, const struct rpc_identity *id)
{
	return attach_until(c, fd, id, monotonic_ms() + RPC_HANDSHAKE_TIMEOUT_MS);
}

int rpc_attach(struct rpc_conn *c, int fd)
{
	return rpc_attach_as(c, fd, NULL);
}

/* connect(2) of FD to AI, given up at DEADLINE_MS (0: none, the kernel's
 * own). Returns 0 or -errno. */
static int connect_until(int fd, const struct addrinfo *ai, int64_t deadline_ms)
{
	if (!deadline_ms)
		return connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ? 0 : -errno;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	int rc = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ? 0 : -errno;
	while (rc == -EINPROGRESS || rc == -EINTR) {
		int64_t left = deadline_ms - monotonic_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0) {
			int err = 0;
			socklen_t len = sizeof err;
			rc = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ? -errno : -err;
		}
	}
	if (!rc && fcntl(fd, F_SETFL, fl) < 0)
		rc = -errno;
	return rc;
}

static int connect_until_as(struct rpc_conn *c, const char *addr_port, const struct rpc_identity *id,
			    int64_t deadline_ms)
{
	c->why[0] = 0;
	c->fd = -1;
	struct addrinfo *list;
	int e = rpc_resolve(addr_port, false, &list);
	if (e)
		return e;
	/* A name may have several addresses ("localhost": ::1 and
	 * 127.0.0.1): the first that takes the connection is used. */
	int fd = -1;
	for (struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		e = fd < 0 ? -errno : connect_until(fd, ai, deadline_ms);
		if (fd >= 0 && e == 0)
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(list);
	if (fd < 0)
		return e ? e : -EHOSTUNREACH;
	int64_t handshake_ms = monotonic_ms() + RPC_HANDSHAKE_TIMEOUT_MS;
	int rc = attach_until(c, fd, id, deadline_ms && deadline_ms < handshake_ms ? deadline_ms : handshake_ms);
	if (rc)
		rpc_close(c);
	return rc;
}

int rpc_connect_as(struct rpc_conn *c, const char *addr_port, const struct rpc_identity *id)
{
	return connect_until_as(c, addr_port, id, 0);
}

int rpc_connect_within(struct rpc_conn *c, const char *addr_port, const struct rpc_identity *id, int timeout_ms)
{
	return connect_until_as(c, addr_port, id, monotonic_ms() + (timeout_ms > 0 ? timeout_ms : 1));
}

int rpc_connect(struct rpc_conn *c, const char *addr_port)
{
	return rpc_connect_as(c, addr_port, NULL);
}

void rpc_close(struct rpc_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	rpc_enc_free(&c->enc);
	rpc_reader_free(&c->in);
	rpc_seal_free(c->seal);
	c->seal = NULL;
	while (c->stash) {
		struct rpc_stash *s = c->stash;
		c->stash = s->next;
		free(s->frame);
		free(s);
	}
	c->stash_tail = NULL;
}

int64_t rpc_send(struct rpc_conn *c, int64_t op, const struct rpc_val *args, size_t n)
{
	int64_t tag = c->next_tag++;
	int rc = rpc_encode_request(&c->enc, tag, op, args, n);
	if (!rc && op > 0 && op < RPC_OP_MAX)
		c->stats.ops[op]++;
	if (!rc)
		rc = flush(c);
	return rc ? rc : tag;
}

int64_t rpc_send_compound(struct rpc_conn *c, const struct rpc_call *calls, size_t n)
{
	int64_t tag = c->next_tag++;
	int rc = rpc_encode_compound(&c->enc, tag, calls, n);
	if (!rc) {
		c->stats.ops[RPC_OP_COMPOUND]++;
		for (size_t k = 0; k < n; k++)
			if (calls[k].op > 0 && calls[k].op < RPC_OP_MAX)
				c->stats.ops[calls[k].op]++;
		rc = flush(c);
	}
	return rc ? rc : tag;
}

/* Decodes frame (len bytes, not owned) into r, which gets one allocation
 * holding a copy of the frame and the values that point into it. */
static int decode_reply(const uint8_t *frame, size_t len, struct rpc_reply *r)
{
	struct rpc_frame f;
	size_t nvals;
	memset(r, 0, sizeof *r);
	int rc = rpc_frame_parse(frame, len, &f);
	if (!rc)   /* first pass: count the values, check the whole reply */
		rc = rpc_decode_reply(&f, &r->result, NULL, SIZE_MAX, &nvals);
	if (rc)
		return rc;
	size_t at = (len + _Alignof(struct rpc_val) - 1) / _Alignof(struct rpc_val) * _Alignof(struct rpc_val);
	r->frame = malloc(at + nvals * sizeof *r->vals);
	if (!r->frame)
		return -ENOMEM;
	memcpy(r->frame, frame, len);
	r->vals = (struct rpc_val *)(void *)(r->frame + at);
	rpc_frame_parse(r->frame, len, &f);
	r->tag = f.tag;
	r->op = f.op;
	return rpc_decode_reply(&f, &r->result, r->vals, nvals, &r->nvals);
}

static int64_t frame_tag(const uint8_t *frame, size_t len)
{
	struct rpc_frame f;
	return rpc_frame_parse(frame, len, &f) ? -1 : f.tag;
}

/* Takes stash entry *at (decoded into r). */
static int stash_take(struct rpc_conn *c, struct rpc_stash **at, struct rpc_stash *prev, struct rpc_reply *r)
{
	struct rpc_stash *hit = *at;
	*at = hit->next;
	if (c->stash_tail == hit)
		c->stash_tail = prev;
	int rc = decode_reply(hit->frame, hit->len, r);
	free(hit->frame);
	free(hit);
	if (rc)
		rpc_reply_free(r);
	return rc;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void rpc_note_wait(struct rpc_conn *c, int64_t tag)
{
	if (tag >= c->overlapped_below) {
		c->stats.round_trips++;
		c->overlapped_below = c->next_tag;
	}
}

/* Reads the next frame off the socket, timing the wait if there is one. */
static int read_frame(struct rpc_conn *c, const uint8_t **b, size_t *n)
{
	if (reader_whole(&c->in) != 0)
		return rpc_reader_next(&c->in, b, n);
	uint64_t t0 = now_ns();
	int rc = rpc_reader_next(&c->in, b, n);
	c->stats.wait_ns += now_ns() - t0;
	return rc;
}

int rpc_recv(struct rpc_conn *c, int64_t tag, struct rpc_reply *r)
{
	rpc_note_wait(c, tag);
	for (struct rpc_stash **s = &c->stash, *prev = NULL; *s; prev = *s, s = &(*s)->next)
		if (frame_tag((*s)->frame, (*s)->len) == tag)
			return stash_take(c, s, prev, r);
	for (;;) {
		const uint8_t *b;
		size_t n;
		int rc = read_frame(c, &b, &n);
		if (rc)
			return rc;
		if (frame_tag(b, n) == tag) {
			rc = decode_reply(b, n, r);
			if (rc)
				rpc_reply_free(r);
			return rc;
		}
		/* Another tag's reply: keep a copy for its rpc_recv. */
		rc = stash_push(c, b, n);
		if (rc)
			return rc;
	}
}

int rpc_recv_next(struct rpc_conn *c, int64_t waited_for, struct rpc_reply *r)
{
	rpc_note_wait(c, waited_for);   /* counts once per wait: then waited_for is overlapped */
	if (c->stash)
		return stash_take(c, &c->stash, NULL, r);
	const uint8_t *b;
	size_t n;
	int rc = read_frame(c, &b, &n);
	if (!rc) {
		rc = decode_reply(b, n, r);
		if (rc)
			rpc_reply_free(r);
	}
	return rc;
}

bool rpc_reply_ready(struct rpc_conn *c)
{
	if (c->stash || reader_whole(&c->in) != 0)
		return true;
	return reader_pull(&c->in) != 0 || reader_whole(&c->in) != 0;
}

void rpc_get_stats(const struct rpc_conn *c, struct rpc_stats *s)
{
	*s = c->stats;
	s->bytes_received = c->in.received;
}

void rpc_reply_free(struct rpc_reply *r)
{
	free(r->frame);
	r->vals = NULL;
	r->frame = NULL;
}

int rpc_call(struct rpc_conn *c, int64_t op, const struct rpc_val *args, size_t n, struct rpc_reply *r)
{
	int64_t tag = rpc_send(c, op, args, n);
	if (tag < 0)
		return (int)tag;
	int rc = rpc_recv(c, tag, r);
	if (!rc && r->op != op) {
		rpc_reply_free(r);
		rc = -EPROTO;   /* a reply carries its request's op */
	}
	return rc;
}
