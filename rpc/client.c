/* rpc/client.c: blocking client connection. */
#include "rpc/client.h"

#include "rpc/addr.h"
#include "rpc/canon.h"

#include <errno.h>
#include <netdb.h>
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
	r->buf = NULL;
	r->cap = r->start = r->end = 0;
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
		ssize_t n = recv(r->fd, r->buf + r->end, r->cap - r->end, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return r->end == r->start ? -ECONNRESET : -EPROTO;
		r->end += (size_t)n;
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
	if ((rc = rpc_frame_len_ok(n)) || (rc = reader_fill(r, 8 + (size_t)n)))
		return rc;
	*frame = r->buf + r->start + 8;
	*len = (size_t)n;
	r->start += 8 + (size_t)n;
	return 0;
}

static int flush(struct rpc_conn *c)
{
	if (c->enc.error)
		return c->enc.error;
	int rc = rpc_write_full(c->fd, c->enc.data, c->enc.len);
	rpc_enc_reset(&c->enc);
	return rc;
}

int rpc_attach(struct rpc_conn *c, int fd)
{
	memset(c, 0, sizeof *c);
	c->fd = fd;
	c->next_tag = 1;
	rpc_enc_init(&c->enc);
	rpc_reader_init(&c->in, fd);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	rpc_encode_hello(&c->enc, rpc_host_arch(), RPC_FEATURES);
	int rc = flush(c);
	struct rpc_reply r;
	if (!rc)
		rc = rpc_recv(c, 0, &r);
	if (rc)
		return rc;
	int64_t native;
	if (r.op != RPC_OP_HELLO) {
		rc = -EPROTO;
	} else if (r.result < 0) {
		rc = canon_errno_decode(-r.result, &native) ? -EINVAL : (int)-native;
	} else if (r.vals[0].i != RPC_VERSION || (r.vals[1].i & ~RPC_FEATURES)) {
		rc = -EPROTONOSUPPORT;   /* a version or features we did not offer */
	} else {
		c->server_version = r.vals[0].i;
		c->server_features = r.vals[1].i;
		memcpy(c->server_arch, r.vals[2].p, (size_t)r.vals[2].i);
		c->server_arch[r.vals[2].i] = 0;
	}
	rpc_reply_free(&r);
	return rc;
}

int rpc_connect(struct rpc_conn *c, const char *addr_port)
{
	struct addrinfo *list;
	int e = rpc_resolve(addr_port, false, &list);
	if (e)
		return e;
	/* A name may have several addresses ("localhost": ::1 and
	 * 127.0.0.1): the first that takes the connection is used. */
	int fd = -1;
	for (struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = -errno;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(list);
	if (fd < 0)
		return e ? e : -EHOSTUNREACH;
	int rc = rpc_attach(c, fd);
	if (rc)
		rpc_close(c);
	return rc;
}

void rpc_close(struct rpc_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	rpc_enc_free(&c->enc);
	rpc_reader_free(&c->in);
	while (c->stash) {
		struct rpc_stash *s = c->stash;
		c->stash = s->next;
		free(s->frame);
		free(s);
	}
}

int64_t rpc_send(struct rpc_conn *c, int64_t op, const struct rpc_val *args, size_t n)
{
	int64_t tag = c->next_tag++;
	int rc = rpc_encode_request(&c->enc, tag, op, args, n);
	if (!rc)
		rc = flush(c);
	return rc ? rc : tag;
}

int64_t rpc_send_compound(struct rpc_conn *c, const struct rpc_call *calls, size_t n)
{
	int64_t tag = c->next_tag++;
	int rc = rpc_encode_compound(&c->enc, tag, calls, n);
	if (!rc)
		rc = flush(c);
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

int rpc_recv(struct rpc_conn *c, int64_t tag, struct rpc_reply *r)
{
	for (struct rpc_stash **s = &c->stash; *s; s = &(*s)->next) {
		if (frame_tag((*s)->frame, (*s)->len) == tag) {
			struct rpc_stash *hit = *s;
			*s = hit->next;
			int rc = decode_reply(hit->frame, hit->len, r);
			free(hit->frame);
			free(hit);
			if (rc)
				rpc_reply_free(r);
			return rc;
		}
	}
	for (;;) {
		const uint8_t *b;
		size_t n;
		int rc = rpc_reader_next(&c->in, &b, &n);
		if (rc)
			return rc;
		if (frame_tag(b, n) == tag) {
			rc = decode_reply(b, n, r);
			if (rc)
				rpc_reply_free(r);
			return rc;
		}
		/* Another tag's reply: keep a copy for its rpc_recv. */
		struct rpc_stash *s = malloc(sizeof *s);
		uint8_t *copy = malloc(n);
		if (!s || !copy) {
			free(s);
			free(copy);
			return -ENOMEM;
		}
		memcpy(copy, b, n);
		s->frame = copy;
		s->len = n;
		s->next = c->stash;
		c->stash = s;
	}
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
