/* rpc/client.h: a small blocking client connection (connect, handshake,
 * tagged calls with several requests in flight). Used by tests, the
 * benchmark and the agent. It owns no policy: it sends what it is given. */
#ifndef SPLITRUN_RPC_CLIENT_H
#define SPLITRUN_RPC_CLIENT_H

#include "rpc/wire.h"

struct rpc_stash;

/* A buffered frame reader: one recv() usually brings a whole frame (or
 * several), so a frame costs one system call, not one for its length and
 * one for its body; frames are handed out in place, without a copy. */
struct rpc_reader {
	int fd;
	uint8_t *buf;
	size_t cap, start, end;   /* unread bytes are buf[start..end) */
};

void rpc_reader_init(struct rpc_reader *r, int fd);
void rpc_reader_free(struct rpc_reader *r);
/* The next whole frame, without its length field, valid until the next
 * call. Returns 0; -ECONNRESET when the peer closed between frames; -EPROTO
 * when it closed inside one or sent a length under 16; -E2BIG for a length
 * over RPC_MAX_FRAME; -ENOMEM; or the recv errno. */
int rpc_reader_next(struct rpc_reader *r, const uint8_t **frame, size_t *len);

struct rpc_conn {
	int fd;
	int64_t next_tag;
	int64_t server_version, server_features;
	char server_arch[RPC_MAX_ARCH + 1];
	struct rpc_enc enc;
	struct rpc_reader in;
	struct rpc_stash *stash;   /* replies read while waiting for another tag */
};

/* A reply owns one allocation holding its frame and vals; vals point into
 * it. For COMPOUND, vals hold, per executed op, the op number, its result,
 * then its result values; result is the failing op's (the last one's)
 * result, or that of the last op when all succeeded. */
struct rpc_reply {
	int64_t tag, op, result;
	size_t nvals;
	struct rpc_val *vals;
	uint8_t *frame;
};

/* Connects to "HOST:PORT" (rpc/addr.h: a name, IPv4 or [IPv6]) and shakes
 * hands. Returns 0 or a negative errno: rpc_resolve's (-EINVAL malformed,
 * -ENXIO unknown host, ...), connect's, or the handshake's (the shadow's
 * refusal is decoded from its canonical errno; -EPROTONOSUPPORT when it
 * offers no version we speak). */
int rpc_connect(struct rpc_conn *c, const char *addr_port);
/* Uses an already connected socket (takes ownership) and shakes hands. */
int rpc_attach(struct rpc_conn *c, int fd);
void rpc_close(struct rpc_conn *c);

/* Sends one request; returns its tag (>0) or a negative errno. */
int64_t rpc_send(struct rpc_conn *c, int64_t op, const struct rpc_val *args, size_t n);
int64_t rpc_send_compound(struct rpc_conn *c, const struct rpc_call *calls, size_t n);
/* Waits for the reply to tag. Returns 0 or a negative errno (transport, or
 * -EPROTO/-E2BIG for a reply the spec does not allow: close the connection). */
int rpc_recv(struct rpc_conn *c, int64_t tag, struct rpc_reply *r);
void rpc_reply_free(struct rpc_reply *r);
/* send + recv; returns the op's result (>= 0 or -canonical errno) through
 * r->result, the transport status as the return value (-EPROTO also when
 * the reply's op is not the request's). */
int rpc_call(struct rpc_conn *c, int64_t op, const struct rpc_val *args, size_t n, struct rpc_reply *r);

/* Helpers to build argument values. */
static inline struct rpc_val rpc_int(int64_t v) { struct rpc_val x = { v, 0 }; return x; }
struct rpc_val rpc_str(const char *s);
static inline struct rpc_val rpc_buf(const void *p, size_t n)
{
	struct rpc_val x = { (int64_t)n, (const uint8_t *)(p ? p : "") };
	return x;
}

/* Reads exactly n bytes / writes all n bytes, retrying on EINTR. */
int rpc_read_full(int fd, void *p, size_t n);
int rpc_write_full(int fd, const void *p, size_t n);
/* Reads one frame (length field first) into a malloc'd buffer, with exact
 * reads (two system calls): for a frame that must not read ahead. */
int rpc_read_frame(int fd, uint8_t **buf, size_t *len);

#endif
