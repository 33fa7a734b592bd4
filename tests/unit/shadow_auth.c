/* tests/unit/shadow_auth.c: the authenticated handshake and sealed frames
 * as a live session and the client library speak them (docs/wire-format.md,
 * "Authentication", "Sealed frames"). A session (shadow_session_run) serves
 * one end of a socketpair in a thread, with keys and an authfile given
 * in-process; the agent is rpc_attach_as, or the test writing the
 * handshake's bytes itself (to send a wrong proof or replay a recorded
 * one), or a fake shadow whose bytes the test writes (an impostor). A proxy
 * thread between agent and session tampers with chosen sealed frames (a
 * flipped bit, a drop, a replay, a swap) in either direction: the side that
 * receives them must end the session. */
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
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/shadow_auth_XXXXXX";
static struct shadow_root plain_root, keyed_root;
static struct shadow_access access_keys;
static struct rpc_key key1, key2, stranger;

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

static void session_start(struct session *s, const struct shadow_root *root)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		exit(2);
	}
	s->fd = sv[0];
	s->peer = sv[1];
	s->root = root;
	s->rc = 1;
	pthread_create(&s->thread, NULL, session_main, s);
}

static int session_end(struct session *s)
{
	if (s->fd >= 0)
		close(s->fd);
	pthread_join(s->thread, NULL);
	return s->rc;
}

static void make_key(struct rpc_key *k)
{
	rpc_random(k->secret, sizeof k->secret);
	rpc_key_derive_id(k);
}

/* Attaches with key (NULL: none) as user; the connection owns a dup of fd. */
static int attach(struct rpc_conn *c, struct session *s, const struct rpc_key *key, const char *user)
{
	struct rpc_identity id = { .key = key, .user = user };
	int rc = rpc_attach_as(c, dup(s->fd), &id);
	return rc;
}

static int64_t call_null(struct rpc_conn *c)
{
	struct rpc_reply r;
	int rc = rpc_call(c, RPC_OP_NULL, NULL, 0, &r);
	if (rc)
		return rc;
	int64_t res = r.result;
	rpc_reply_free(&r);
	return res;
}

/* ---- the client and the session ---- */

static void handshakes(void)
{
	struct session s;
	struct rpc_conn c;

	session_start(&s, &keyed_root);
	CHECK_EQ_INT(attach(&c, &s, &key1, "fred"), 0, "the key's holder shakes hands");
	CHECK(c.server_version == 2 && c.server_features == (RPC_FEATURE_COMPOUND | RPC_FEATURE_AUTH) && c.seal &&
	      c.in.open, "version 2, COMPOUND and AUTH granted, both streams sealed");
	CHECK_EQ_INT(call_null(&c), 0, "a NULL round trip over sealed frames");
	struct rpc_reply r;
	CHECK(rpc_call(&c, RPC_OP_GETCWD, NULL, 0, &r) == 0 && r.result == 2 && r.vals[0].p[0] == '/',
	      "GETCWD over sealed frames: /");
	rpc_reply_free(&r);
	/* Pipelined: three requests out, replies taken in another order. */
	int64_t t1 = rpc_send(&c, RPC_OP_NULL, NULL, 0), t2 = rpc_send(&c, RPC_OP_GETCWD, NULL, 0),
		t3 = rpc_send(&c, RPC_OP_NULL, NULL, 0);
	bool ok = rpc_recv(&c, t3, &r) == 0 && r.op == RPC_OP_NULL;
	rpc_reply_free(&r);
	ok = ok && rpc_recv(&c, t1, &r) == 0 && r.op == RPC_OP_NULL;
	rpc_reply_free(&r);
	ok = ok && rpc_recv(&c, t2, &r) == 0 && r.op == RPC_OP_GETCWD;
	rpc_reply_free(&r);
	CHECK(ok, "pipelined requests over sealed frames, replies matched by tag");
	rpc_close(&c);
	CHECK_EQ_INT(session_end(&s), 0, "the session ends normally");

	session_start(&s, &keyed_root);
	CHECK_EQ_INT(attach(&c, &s, NULL, NULL), -EACCES, "no key to a shadow with keys: EACCES");
	CHECK(strstr(c.why, "requires a key") != NULL, "the agent says the shadow requires a key: %s", c.why);
	rpc_close(&c);
	CHECK_EQ_INT(session_end(&s), -EACCES, "the session is refused (EACCES)");

	session_start(&s, &keyed_root);
	CHECK_EQ_INT(attach(&c, &s, &stranger, "fred"), -EACCES, "an unknown key: EACCES");
	CHECK(strstr(c.why, "does not accept key") && strstr(c.why, stranger.name), "the agent names its key: %s", c.why);
	rpc_close(&c);
	CHECK_EQ_INT(session_end(&s), -EACCES, "the session is refused (EACCES)");

	session_start(&s, &plain_root);
	CHECK_EQ_INT(attach(&c, &s, &key1, "fred"), -ENOKEY, "a key, to a shadow without keys: refused by the agent");
	CHECK(strstr(c.why, "does not authenticate") != NULL, "the agent says why: %s", c.why);
	rpc_close(&c);
	CHECK_EQ_INT(session_end(&s), 0, "that session saw a plain hang-up");

	session_start(&s, &plain_root);
	CHECK_EQ_INT(attach(&c, &s, NULL, NULL), 0, "no key, no keys: a plain session");
	CHECK(c.server_features == RPC_FEATURE_COMPOUND && !c.seal && !c.in.open, "no AUTH, no sealing");
	CHECK_EQ_INT(call_null(&c), 0, "NULL");
	rpc_close(&c);
	session_end(&s);
}

/* ---- the agent's bytes written by hand ---- */

struct manual {
	uint8_t hello[512];
	size_t hello_len;            /* the HELLO frame, length field included */
	uint8_t reply[512];
	size_t reply_len;            /* the shadow's HELLO reply, length field included */
	uint8_t th[32];
	struct rpc_auth_challenge ch;
};

static int send_frame(int fd, struct rpc_enc *e)
{
	int rc = rpc_write_full(fd, e->data, e->len);
	rpc_enc_reset(e);
	return rc;
}

/* Sends HELLO for key as "fred", reads the challenge into m. Returns the
 * reply's result, or -1000 when nothing sensible came. */
static int64_t manual_hello(int fd, const struct rpc_key *key, struct manual *m, bool record)
{
	struct rpc_enc e;
	rpc_enc_init(&e);
	if (record) {
		struct rpc_auth_hello ah = { .scheme = RPC_AUTH_SCHEME };
		memcpy(ah.key_id, key->id, 8);
		rpc_random(ah.nonce, sizeof ah.nonce);
		strcpy(ah.user, "fred");
		uint8_t field[RPC_MAX_AUTH];
		size_t n = rpc_auth_hello_encode(&ah, field);
		rpc_encode_hello_auth(&e, "x86_64", RPC_FEATURES, field, n);
		memcpy(m->hello, e.data, e.len);
		m->hello_len = e.len;
	} else {
		rpc_put_raw(&e, m->hello, m->hello_len);
	}
	send_frame(fd, &e);
	rpc_enc_free(&e);
	uint8_t *buf;
	size_t len;
	struct rpc_frame f;
	int64_t result;
	struct rpc_val v[8];
	size_t nv;
	if (rpc_read_frame(fd, &buf, &len))
		return -1000;
	m->reply_len = 0;
	if (len + 8 <= sizeof m->reply) {
		for (int k = 0; k < 8; k++)
			m->reply[k] = (uint8_t)((uint64_t)len >> (56 - 8 * k));
		memcpy(m->reply + 8, buf, len);
		m->reply_len = len + 8;
	}
	int64_t out = -1000;
	if (!rpc_frame_parse(buf, len, &f) && !rpc_decode_reply(&f, &result, v, 8, &nv)) {
		out = result;
		if (result == 0 && nv == 4 && !rpc_auth_challenge_decode(v[3].p, (size_t)v[3].i, &m->ch))
			rpc_auth_transcript(m->hello + 8, m->hello_len - 8, v[0].i, v[1].i, "x86_64", m->ch.nonce, m->th);
		else if (result == 0)
			out = -1000;
	}
	free(buf);
	return out;
}

/* Sends AUTH with proof; returns the reply's result (-1000: none). */
static int64_t manual_auth(int fd, const uint8_t proof[32])
{
	uint8_t header[24] = { 0 };
	struct rpc_val args[2] = { { 32, proof }, { 24, header } };
	struct rpc_enc e;
	rpc_enc_init(&e);
	rpc_encode_request(&e, 0, RPC_OP_AUTH, args, 2);
	send_frame(fd, &e);
	rpc_enc_free(&e);
	uint8_t *buf;
	size_t len;
	struct rpc_frame f;
	int64_t result = -1000;
	struct rpc_val v[4];
	size_t nv;
	if (rpc_read_frame(fd, &buf, &len))
		return -1000;
	if (rpc_frame_parse(buf, len, &f) || f.op != RPC_OP_AUTH || rpc_decode_reply(&f, &result, v, 4, &nv))
		result = -1000;
	free(buf);
	return result;
}

static bool at_eof(int fd)
{
	uint8_t b;
	return read(fd, &b, 1) == 0;
}

static void proofs(void)
{
	struct session s;
	struct manual m;
	uint8_t proof[32];

	/* The transcript the shadow used is the one the test computes: the
	 * shadow's proof checks, and the agent's proof made from it passes. */
	session_start(&s, &keyed_root);
	CHECK_EQ_INT(manual_hello(s.fd, &key1, &m, true), 0, "a hand-made HELLO is answered with a challenge");
	CHECK(rpc_auth_proof_ok(&key1, RPC_ROLE_SHADOW, m.th, m.ch.proof), "the shadow's proof checks");
	rpc_auth_proof(&key1, RPC_ROLE_AGENT, m.th, proof);
	CHECK_EQ_INT(manual_auth(s.fd, proof), 0, "a right proof: AUTH answered 0");
	CHECK_EQ_INT(session_end(&s), 0, "session ends normally");
	struct manual recorded = m;

	/* The same HELLO and AUTH bytes replayed in a new session: the shadow's
	 * nonce is new, so the recorded proof is wrong. */
	session_start(&s, &keyed_root);
	CHECK_EQ_INT(manual_hello(s.fd, &key1, &m, false), 0, "a replayed HELLO is answered (with a new challenge)");
	CHECK(memcmp(m.ch.nonce, recorded.ch.nonce, 32) != 0, "the shadow's nonce is new");
	CHECK_EQ_INT(manual_auth(s.fd, proof), -CANON_EACCES, "a replayed AUTH: EACCES");
	CHECK(at_eof(s.fd), "and the session closes");
	CHECK_EQ_INT(session_end(&s), -EACCES, "session result EACCES");

	/* A proof made with another key under this key's id. */
	session_start(&s, &keyed_root);
	manual_hello(s.fd, &key1, &m, true);
	rpc_auth_proof(&key2, RPC_ROLE_AGENT, m.th, proof);
	CHECK_EQ_INT(manual_auth(s.fd, proof), -CANON_EACCES, "a proof made with another key: EACCES");
	CHECK_EQ_INT(session_end(&s), -EACCES, "session result EACCES");

	/* The shadow's own proof sent back (reflection). */
	session_start(&s, &keyed_root);
	manual_hello(s.fd, &key1, &m, true);
	CHECK_EQ_INT(manual_auth(s.fd, m.ch.proof), -CANON_EACCES, "the shadow's proof reflected back: EACCES");
	CHECK_EQ_INT(session_end(&s), -EACCES, "session result EACCES");

	/* Something else where AUTH belongs. */
	session_start(&s, &keyed_root);
	manual_hello(s.fd, &key1, &m, true);
	struct rpc_enc e;
	rpc_enc_init(&e);
	rpc_encode_request(&e, 1, RPC_OP_NULL, NULL, 0);
	send_frame(s.fd, &e);
	rpc_enc_free(&e);
	CHECK(at_eof(s.fd), "a NULL where AUTH belongs: closed without an answer");
	CHECK_EQ_INT(session_end(&s), -EPROTO, "session result EPROTO");

	/* An impostor: a shadow that answers with AUTH granted but cannot
	 * prove the key (it does not hold it). */
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	struct rpc_auth_challenge fake = { 0 };
	rpc_random(&fake, sizeof fake);
	uint8_t field[RPC_MAX_AUTH];
	size_t n = rpc_auth_challenge_encode(&fake, field);
	rpc_enc_init(&e);
	rpc_encode_hello_reply_auth(&e, 2, RPC_FEATURES, "x86_64", field, n);
	send_frame(sv[1], &e);
	rpc_enc_free(&e);
	struct rpc_conn c;
	struct rpc_identity id = { .key = &key1, .user = "fred" };
	CHECK_EQ_INT(rpc_attach_as(&c, sv[0], &id), -EKEYREJECTED, "an impostor shadow: EKEYREJECTED");
	CHECK(strstr(c.why, "did not prove") && strstr(c.why, key1.name), "the agent says so: %s", c.why);
	rpc_close(&c);
	close(sv[1]);

	/* The real shadow's HELLO reply, recorded above (its nonce and its
	 * proof, good for that session), replayed to a new agent by someone
	 * without the key: the agent's nonce is new, so the proof is wrong. */
	CHECK(recorded.reply_len > 0, "the shadow's HELLO reply was recorded (%zu bytes)", recorded.reply_len);
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	CHECK_EQ_INT(rpc_write_full(sv[1], recorded.reply, recorded.reply_len), 0, "the recorded reply is sent");
	CHECK_EQ_INT(rpc_attach_as(&c, sv[0], &id), -EKEYREJECTED, "a replayed HELLO reply of the real shadow: EKEYREJECTED");
	CHECK(strstr(c.why, "did not prove") != NULL, "the agent says the shadow did not prove the key: %s", c.why);
	rpc_close(&c);
	close(sv[1]);
}

/* ---- the authfile ---- */

static void authfile(void)
{
	/* key2 is allowed read-only; fred at this socket ("local") gets the
	 * root /sub; "bob" with key1 matches nothing. */
	struct shadow_access acc = { .keys = access_keys.keys, .nkeys = access_keys.nkeys };
	char text[256], err[256];
	snprintf(text, sizeof text, "# test\n%s readonly\nfred@local root=/sub\n*@nowhere\n", key2.name);
	CHECK_EQ_INT(shadow_authfile_parse(&acc, text, strlen(text), err, sizeof err), 0, "the authfile parses");
	acc.authfile = "test-authfile";
	struct shadow_root root = keyed_root;
	root.access = &acc;
	struct session s;
	struct rpc_conn c;
	struct rpc_reply r;

	session_start(&s, &root);
	CHECK_EQ_INT(attach(&c, &s, &key1, "bob"), -EPERM, "bob with key1 matches no line: EPERM");
	CHECK(strstr(c.why, "--authfile") && strstr(c.why, "bob@this host"), "the agent says so: %s", c.why);
	rpc_close(&c);
	CHECK_EQ_INT(session_end(&s), -EPERM, "session result EPERM");

	session_start(&s, &root);
	CHECK_EQ_INT(attach(&c, &s, &key1, "fred"), 0, "fred@local with key1 is allowed");
	struct rpc_val open_args[] = { rpc_int(RPC_HANDLE_CWD), rpc_str("/inside"), rpc_int(0), rpc_int(0), rpc_int(0),
				       rpc_int(0) };
	CHECK(rpc_call(&c, RPC_OP_OPEN, open_args, 6, &r) == 0 && r.result >= 0, "and sees /inside: sub/inside");
	rpc_reply_free(&r);
	open_args[1] = rpc_str("/sub");
	CHECK(rpc_call(&c, RPC_OP_OPEN, open_args, 6, &r) == 0 && r.result == -CANON_ENOENT,
	      "but not /sub: its root is /sub");
	rpc_reply_free(&r);
	open_args[1] = rpc_str("../../top");
	CHECK(rpc_call(&c, RPC_OP_OPEN, open_args, 6, &r) == 0 && r.result == -CANON_ENOENT,
	      "nor ../../top: .. stops at its root");
	rpc_reply_free(&r);
	rpc_close(&c);
	CHECK_EQ_INT(session_end(&s), 0, "session ends normally");

	session_start(&s, &root);
	CHECK_EQ_INT(attach(&c, &s, &key2, "anyone"), 0, "key2 is allowed");
	open_args[1] = rpc_str("/top");
	open_args[2] = rpc_int(CANON_O_WRONLY);
	CHECK(rpc_call(&c, RPC_OP_OPEN, open_args, 6, &r) == 0 && r.result == -CANON_EROFS, "read-only: EROFS for writing");
	rpc_reply_free(&r);
	open_args[2] = rpc_int(CANON_O_RDONLY);
	CHECK(rpc_call(&c, RPC_OP_OPEN, open_args, 6, &r) == 0 && r.result >= 0, "reading /top is fine");
	rpc_reply_free(&r);
	rpc_close(&c);
	session_end(&s);

	/* A rule whose root does not exist: the AUTH answer is its errno. */
	struct shadow_access acc2 = { .keys = access_keys.keys, .nkeys = access_keys.nkeys, .authfile = "t2" };
	const char *t2 = "key:* root=/missing\n";
	shadow_authfile_parse(&acc2, t2, strlen(t2), err, sizeof err);
	root.access = &acc2;
	session_start(&s, &root);
	CHECK_EQ_INT(attach(&c, &s, &key1, "fred"), -ENOENT, "a rule's missing root: ENOENT at AUTH");
	CHECK(strstr(c.why, "cannot serve") != NULL, "the agent says so: %s", c.why);
	rpc_close(&c);
	CHECK_EQ_INT(session_end(&s), -ENOENT, "session result ENOENT");
	acc2.keys = NULL;
	acc2.nkeys = 0;
	shadow_access_free(&acc2);
	acc.keys = NULL;
	acc.nkeys = 0;
	shadow_access_free(&acc);
}

/* ---- tampering on the way ---- */

enum tamper { NONE, FLIP, DROP, REPLAY, SWAP };

struct proxy {
	int from, to;
	int index;             /* the frame (0: HELLO or its reply) to tamper with */
	enum tamper what;
	pthread_t thread;
	int flip_at;           /* FLIP: the byte this far from the frame's end */
};

static void *proxy_main(void *p)
{
	struct proxy *x = p;
	uint8_t *held = NULL;
	size_t held_len = 0;
	for (int k = 0;; k++) {
		uint8_t *buf;
		size_t len;
		if (rpc_read_frame(x->from, &buf, &len))
			break;
		uint8_t *whole = malloc(len + 8);
		struct rpc_enc e;
		rpc_enc_init(&e);
		rpc_put_i64(&e, (int64_t)len);
		memcpy(whole, e.data, 8);
		rpc_enc_free(&e);
		memcpy(whole + 8, buf, len);
		free(buf);
		len += 8;
		if (k == x->index && x->what == FLIP)
			whole[len - (size_t)x->flip_at] ^= 0x10;
		if (k == x->index && x->what == SWAP) {
			held = whole;
			held_len = len;
			continue;
		}
		if (!(k == x->index && x->what == DROP))
			rpc_write_full(x->to, whole, len);
		if (k == x->index && x->what == REPLAY)
			rpc_write_full(x->to, whole, len);
		if (held) {
			rpc_write_full(x->to, held, held_len);
			free(held);
			held = NULL;
		}
		free(whole);
	}
	free(held);
	shutdown(x->to, SHUT_WR);
	return NULL;
}

/* An agent with key1 talks to a keyed session through two proxies;
 * toward: tamper with agent->shadow (true) or shadow->agent frames. Sends
 * three pipelined NULLs and collects their replies. Returns the first
 * transport error the agent saw (0: none); *session_rc the session's. */
static int tampered_run_at(bool toward, int index, enum tamper what, int flip_at, int *session_rc)
{
	int a[2], b[2];
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a);   /* agent a[0] <-> proxy a[1] */
	struct session s;
	session_start(&s, &keyed_root);                          /* proxy s.fd <-> session */
	b[0] = s.fd;
	struct proxy up = { a[1], b[0], toward ? index : -1, toward ? what : NONE, 0, flip_at };
	struct proxy down = { b[0], a[1], toward ? -1 : index, toward ? NONE : what, 0, flip_at };
	pthread_create(&up.thread, NULL, proxy_main, &up);
	pthread_create(&down.thread, NULL, proxy_main, &down);
	struct rpc_conn c;
	struct rpc_identity id = { .key = &key1, .user = "fred" };
	int rc = rpc_attach_as(&c, a[0], &id);
	int64_t tags[3];
	for (int k = 0; !rc && k < 3; k++) {
		tags[k] = rpc_send(&c, RPC_OP_NULL, NULL, 0);
		if (tags[k] < 0)
			rc = (int)tags[k];
	}
	for (int k = 0; !rc && k < 3; k++) {
		struct rpc_reply r;
		rc = rpc_recv(&c, tags[k], &r);
		if (!rc)
			rpc_reply_free(&r);
	}
	rpc_close(&c);   /* closes a[0]: the up proxy sees the end */
	pthread_join(up.thread, NULL);
	pthread_join(down.thread, NULL);
	s.fd = -1;
	*session_rc = session_end(&s);
	close(a[1]);
	close(b[0]);
	return rc;
}

static int tampered_run(bool toward, int index, enum tamper what, int *session_rc)
{
	return tampered_run_at(toward, index, what, 20, session_rc);
}

static void tampering(void)
{
	int src;
	CHECK(tampered_run(true, -1, NONE, &src) == 0 && src == 0, "through the proxy untouched: all replies, clean end");
	/* Agent to shadow: frames 0 HELLO, 1 AUTH, 2-4 the sealed NULLs. */
	static const struct {
		enum tamper what;
		int index;
		const char *name;
	} t[] = {
		{ FLIP, 3, "a flipped bit" }, { DROP, 3, "a dropped frame" }, { REPLAY, 2, "a replayed frame" },
		{ SWAP, 2, "two frames swapped" }, { FLIP, 4, "a flipped bit in the last frame" },
	};
	for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
		int agent_rc = tampered_run(true, t[k].index, t[k].what, &src);
		CHECK_EQ_INT(src, -EBADMSG, "agent to shadow, %s (frame %d): the session ends with EBADMSG", t[k].name,
			     t[k].index);
		CHECK(agent_rc != 0, "and the agent does not get all its replies (%d)", agent_rc);
	}
	for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
		int agent_rc = tampered_run(false, t[k].index, t[k].what, &src);
		CHECK_EQ_INT(agent_rc, -EBADMSG, "shadow to agent, %s (frame %d): the agent's recv fails with EBADMSG",
			     t[k].name, t[k].index);
	}
	/* The handshake itself: a flipped bit in the HELLO or its reply. */
	int agent_rc = tampered_run(true, 0, FLIP, &src);
	CHECK(agent_rc != 0 && src != 0, "a flipped bit in HELLO: no session (agent %d, shadow %d)", agent_rc, src);
	agent_rc = tampered_run(false, 0, FLIP, &src);
	CHECK_EQ_INT(agent_rc, -EKEYREJECTED, "a flipped bit in the HELLO reply's proof: the agent refuses the shadow");
	/* AUTH: 32 bytes of proof, then 8 of length and 24 of header. */
	agent_rc = tampered_run_at(true, 1, FLIP, 48, &src);
	CHECK_EQ_INT(src, -EACCES, "a flipped bit in AUTH's proof: refused (EACCES)");
	agent_rc = tampered_run_at(true, 1, FLIP, 20, &src);
	CHECK_EQ_INT(src, -EBADMSG, "a flipped bit in AUTH's stream header: the first sealed frame does not open");
	agent_rc = tampered_run_at(false, 1, FLIP, 20, &src);
	CHECK_EQ_INT(agent_rc, -EBADMSG, "a flipped bit in the AUTH reply's stream header: the agent's first reply "
		     "does not open");
}

int main(void)
{
	if (rpc_crypto_init() || !mkdtemp(dir)) {
		printf("Bail out! no libsodium or no temporary directory\n");
		return 1;
	}
	char path[128];
	snprintf(path, sizeof path, "%s/sub", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/sub/inside", dir);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	snprintf(path, sizeof path, "%s/top", dir);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	if (shadow_root_open(&plain_root, dir)) {
		printf("Bail out! shadow_root_open\n");
		return 1;
	}
	make_key(&key1);
	make_key(&key2);
	make_key(&stranger);
	struct rpc_key keys[2] = { key1, key2 };
	access_keys.keys = keys;
	access_keys.nkeys = 2;
	keyed_root = plain_root;
	keyed_root.access = &access_keys;

	handshakes();
	proofs();
	authfile();
	tampering();

	close(plain_root.fd);
	char cmd[64];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return check_done();
}
