/* rpc/client.c: blocking client connection. */
#include "rpc/client.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	rpc_encode_hello(&c->enc, rpc_host_arch(), RPC_FEATURES);
	int rc = flush(c);
	struct rpc_reply r;
	if (!rc)
		rc = rpc_recv(c, 0, &r);
	if (rc)
		return rc;
	if (r.op != RPC_OP_HELLO || r.result < 0 || r.nvals != 3) {
		rc = r.result < 0 ? (int)r.result : -EPROTO;
	} else {
		c->server_version = r.vals[0].i;
		c->server_features = r.vals[1].i;
		size_t n = (size_t)r.vals[2].i < sizeof c->server_arch - 1 ? (size_t)r.vals[2].i : sizeof c->server_arch - 1;
		memcpy(c->server_arch, r.vals[2].p, n);
		c->server_arch[n] = 0;
	}
	rpc_reply_free(&r);
	return rc;
}

int rpc_connect(struct rpc_conn *c, const char *addr_port)
{
	char host[256];
	const char *colon = strrchr(addr_port, ':');
	if (!colon || (size_t)(colon - addr_port) >= sizeof host)
		return -EINVAL;
	const char *h = addr_port;
	size_t hl = (size_t)(colon - addr_port);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	memcpy(host, h, hl);
	host[hl] = 0;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	if (getaddrinfo(host, colon + 1, &hints, &ai))
		return -EINVAL;
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		int e = -errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return e;
	}
	freeaddrinfo(ai);
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

static int decode_reply(uint8_t *frame, size_t len, struct rpc_reply *r)
{
	struct rpc_frame f;
	memset(r, 0, sizeof *r);
	r->frame = frame;
	int rc = rpc_frame_parse(frame, len, &f);
	if (rc)
		return rc;
	r->tag = f.tag;
	r->op = f.op;
	struct rpc_dec d;
	rpc_dec_init(&d, f.body, f.body_len);
	r->result = rpc_get_i64(&d);
	if (d.error)
		return d.error;
	r->vals = calloc(RPC_MAX_VALS, sizeof *r->vals);
	if (!r->vals)
		return -ENOMEM;
	if (f.op == RPC_OP_COMPOUND) {
		int64_t count = rpc_get_i64(&d);
		if (d.error || count < 0 || count > RPC_MAX_COMPOUND)
			return -EPROTO;
		for (int64_t k = 0; k < count; k++) {
			struct rpc_val op = { rpc_get_i64(&d), NULL };
			struct rpc_val res = { rpc_get_i64(&d), NULL };
			const char *sig = rpc_op_result(op.i);
			if (d.error || !sig || r->nvals + 2 > RPC_MAX_VALS)
				return -EPROTO;
			r->vals[r->nvals++] = op;
			r->vals[r->nvals++] = res;
			if (res.i >= 0 && (rc = rpc_get_sig(&d, sig, r->vals, &r->nvals, RPC_MAX_VALS)))
				return rc;
		}
	} else if (r->result >= 0) {
		const char *sig = rpc_op_result(f.op);
		if (!sig)
			return -EPROTO;
		if ((rc = rpc_get_sig(&d, sig, r->vals, &r->nvals, RPC_MAX_VALS)))
			return rc;
	}
	return d.pos == d.len ? 0 : -EPROTO;
}

static int64_t frame_tag(const uint8_t *frame, size_t len)
{
	struct rpc_frame f;
	return rpc_frame_parse(frame, len, &f) ? -1 : f.tag;
}

int rpc_recv(struct rpc_conn *c, int64_t tag, struct rpc_reply *r)
{
	uint8_t *frame = NULL;
	size_t len = 0;
	for (struct rpc_stash **s = &c->stash; *s; s = &(*s)->next) {
		if (frame_tag((*s)->frame, (*s)->len) == tag) {
			struct rpc_stash *hit = *s;
			*s = hit->next;
			frame = hit->frame;
			len = hit->len;
			free(hit);
			break;
		}
	}
	while (!frame) {
		uint8_t *b;
		size_t n;
		int rc = rpc_read_frame(c->fd, &b, &n);
		if (rc)
			return rc;
		if (frame_tag(b, n) == tag) {
			frame = b;
			len = n;
			break;
		}
		struct rpc_stash *s = malloc(sizeof *s);
		if (!s) {
			free(b);
			return -ENOMEM;
		}
		s->frame = b;
		s->len = n;
		s->next = c->stash;
		c->stash = s;
	}
	int rc = decode_reply(frame, len, r);
	if (rc)
		rpc_reply_free(r);
	return rc;
}

void rpc_reply_free(struct rpc_reply *r)
{
	free(r->vals);
	free(r->frame);
	r->vals = NULL;
	r->frame = NULL;
}

int rpc_call(struct rpc_conn *c, int64_t op, const struct rpc_val *args, size_t n, struct rpc_reply *r)
{
	int64_t tag = rpc_send(c, op, args, n);
	if (tag < 0)
		return (int)tag;
	return rpc_recv(c, tag, r);
}
