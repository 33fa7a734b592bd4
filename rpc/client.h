/* rpc/client.h: a small blocking client connection (connect, handshake,
 * tagged calls with several requests in flight). Used by tests, the
 * benchmark and the agent. It owns no policy: it sends what it is given. */
#ifndef SPLITRUN_RPC_CLIENT_H
#define SPLITRUN_RPC_CLIENT_H

#include <stdbool.h>

#include "rpc/wire.h"

struct rpc_stash;
struct rpc_seal;
struct rpc_key;

/* A buffered frame reader: one recv() usually brings a whole frame (or
 * several), so a frame costs one system call, not one for its length and
 * one for its body; frames are handed out in place, without a copy. With
 * open set, frames are sealed (rpc/seal.h) and handed out opened. */
struct rpc_reader {
	int fd;
	uint8_t *buf;
	size_t cap, start, end;   /* unread bytes are buf[start..end) */
	struct rpc_seal *open;    /* owned; NULL: plain frames */
	int64_t deadline_ms;      /* CLOCK_MONOTONIC ms; 0: none (the socket's own timeout) */
	uint64_t received;        /* bytes received so far */
};

void rpc_reader_init(struct rpc_reader *r, int fd);
void rpc_reader_free(struct rpc_reader *r);
/* The next whole frame, without its length field, valid until the next
 * call. Returns 0; -ECONNRESET when the peer closed between frames; -EPROTO
 * when it closed inside one or sent a length under 16; -E2BIG for a length
 * over RPC_MAX_FRAME; -EBADMSG for a sealed frame that does not open;
 * -ETIMEDOUT past deadline_ms; -ENOMEM; or the recv errno. */
int rpc_reader_next(struct rpc_reader *r, const uint8_t **frame, size_t *len);

/* Sends len bytes of whole frames, sealed first when seal is set: the
 * transport's one way out, for both sides. Returns 0 or -errno. */
int rpc_transport_send(int fd, struct rpc_seal *seal, const uint8_t *data, size_t len);

/* How long an agent waits for the shadow to complete the handshake. */
#define RPC_HANDSHAKE_TIMEOUT_MS 30000

/* What a connection has done, for splitrun --stats.
 *
 * A round trip is a wait for a reply that no earlier wait overlapped: a wait
 * for tag T counts when T was sent after the last counted wait began (every
 * request sent before then was already on its way while that wait lasted),
 * and then starts a new one. So N requests sent together and then awaited
 * are one round trip, a window of readahead requests kept full costs one
 * round trip per window, and a reply used long after it arrived counts as
 * the wait it spared would have (rpc_note_wait). The count depends only on
 * the order of sends and waits, never on timing: over a link of latency L,
 * a latency-bound run takes about round_trips x L. The handshake is one
 * (two when it authenticates). */
struct rpc_stats {
	unsigned long requests;            /* frames sent, the handshake's included */
	unsigned long ops[RPC_OP_MAX];     /* ops sent by number; those of a COMPOUND each count, the COMPOUND too */
	unsigned long round_trips;
	uint64_t bytes_sent, bytes_received;   /* on the socket (sealed frames as sealed), the handshake's included */
	uint64_t wait_ns;                  /* time spent blocked waiting for replies */
};

struct rpc_conn {
	int fd;
	int64_t next_tag;
	int64_t server_version, server_features;
	char server_arch[RPC_MAX_ARCH + 1];
	struct rpc_enc enc;
	struct rpc_reader in;
	/* Replies read while waiting for another tag, or while a send could
	 * not go on (oldest first). */
	struct rpc_stash *stash, *stash_tail;
	struct rpc_seal *seal;     /* owned; set once an authenticated handshake is done */
	char why[256];             /* why the handshake failed, when it did (else "") */
	int64_t overlapped_below;  /* waits for tags below this one are not new round trips */
	struct rpc_stats stats;
};

/* Who the agent is to a shadow that authenticates (docs/wire-format.md,
 * "Authentication"): its key and the user name it claims. */
struct rpc_identity {
	const struct rpc_key *key;   /* NULL: no key; the shadow must not require one */
	const char *user;            /* NULL: this process's user (rpc_user_self) */
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
 * offers no version we speak); c->why then says why in a sentence when
 * there is more to say. */
int rpc_connect(struct rpc_conn *c, const char *addr_port);
/* Uses an already connected socket (takes ownership) and shakes hands. */
int rpc_attach(struct rpc_conn *c, int fd);
/* The same, authenticating with id's key when it has one: both sides
 * prove they hold the key and every later frame is sealed. Besides the
 * errors above: -EACCES (the shadow does not accept the key, or wants one),
 * -EPERM (its authfile does not allow us), -EKEYREJECTED (the shadow did not
 * prove it holds the key), -ENOKEY (it does not authenticate at all),
 * -EBUSY (it serves all the sessions it allows), -ETIMEDOUT. */
int rpc_connect_as(struct rpc_conn *c, const char *addr_port, const struct rpc_identity *id);
int rpc_attach_as(struct rpc_conn *c, int fd, const struct rpc_identity *id);
/* rpc_connect_as given up after TIMEOUT_MS, the connect and the handshake
 * together (-ETIMEDOUT): for dialing a shadow again while a program waits. */
int rpc_connect_within(struct rpc_conn *c, const char *addr_port, const struct rpc_identity *id, int timeout_ms);
void rpc_close(struct rpc_conn *c);

/* Sends one request; returns its tag (>0) or a negative errno. A send
 * never blocks for good: while the socket is full, replies that arrive are
 * read and stashed, so a shadow waiting to send us replies always gets to
 * read our request (many large requests and replies may be in flight). */
int64_t rpc_send(struct rpc_conn *c, int64_t op, const struct rpc_val *args, size_t n);
int64_t rpc_send_compound(struct rpc_conn *c, const struct rpc_call *calls, size_t n);
/* Waits for the reply to tag. Returns 0 or a negative errno (transport, or
 * -EPROTO/-E2BIG for a reply the spec does not allow: close the connection). */
int rpc_recv(struct rpc_conn *c, int64_t tag, struct rpc_reply *r);
/* The next reply whatever its tag, oldest first, waiting when none has
 * arrived. WAITED_FOR is the request the caller waits for (-1: none, it only
 * drains what rpc_reply_ready says is there): the round trip is counted as
 * for rpc_recv (struct rpc_stats), once however many calls the wait takes.
 * Returns as rpc_recv. */
int rpc_recv_next(struct rpc_conn *c, int64_t waited_for, struct rpc_reply *r);
/* Whether a reply has arrived (one is stashed or a whole frame is read
 * without waiting): the next rpc_recv_next will not block. */
bool rpc_reply_ready(struct rpc_conn *c);
void rpc_get_stats(const struct rpc_conn *c, struct rpc_stats *s);
/* The caller needs TAG's reply, which came already (read while waiting
 * for another, or while sending): the wait it spared counts as it would
 * have (struct rpc_stats), so that the count does not depend on when
 * replies happened to arrive. */
void rpc_note_wait(struct rpc_conn *c, int64_t tag);
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
