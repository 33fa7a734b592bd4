/* tests/unit/rpc_auth.c: keys, the authenticated handshake's messages and
 * cryptography, and sealed frames (rpc/auth.h, rpc/seal.h).
 *   - the worked example of docs/wire-format.md ("An authenticated
 *     handshake"), computed there without libsodium: key id, transcript,
 *     proofs, stream keys, the four handshake frames, and two sealed frames
 *     that must open with libsodium;
 *   - key files: --keygen's file (mode 0600 whatever the umask, never
 *     overwritten), loading, and every way a key file is refused;
 *   - the auth fields' decoders refuse what is not exactly one;
 *   - sealed frames: a batch round trip, and a flipped bit anywhere, a
 *     dropped, reordered or replayed frame, a frame of the other direction
 *     or of another session do not open. */
#include "rpc/auth.h"
#include "rpc/seal.h"
#include "rpc/wire.h"
#include "tests/unit/check.h"
#include "tests/unit/doc_blocks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[] = "/tmp/rpc_auth_XXXXXX";

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	for (; s[0] && s[1] && n < max; s += 2)
		out[n++] = (uint8_t)strtoul((char[3]){ s[0], s[1], 0 }, NULL, 16);
	return n;
}

static const char *hex_of(const void *p, size_t n)
{
	static char out[2 * 4096 + 1];
	rpc_hex(p, n < 4096 ? n : 4096, out);
	return out;
}

static void fill(uint8_t *p, size_t n, uint8_t first)
{
	for (size_t k = 0; k < n; k++)
		p[k] = (uint8_t)(first + k);
}

/* ---- the worked example ---- */

static void worked_example(void)
{
	const char *doc = doc_read("wire-format.md");
	CHECK(doc != NULL, "docs/wire-format.md found");
	if (!doc)
		return;
	struct rpc_key key;
	fill(key.secret, sizeof key.secret, 0x00);
	rpc_key_derive_id(&key);
	const char *want = doc_vector(doc, "AUTH", "key_id");
	CHECK_EQ_STR(hex_of(key.id, sizeof key.id), want ? want : "(missing)", "key id of the example's secret");
	CHECK_EQ_STR(key.name, "key:3c1b17eed6e6fd5c", "key name");

	struct rpc_auth_hello ah = { .scheme = RPC_AUTH_SCHEME };
	memcpy(ah.key_id, key.id, sizeof ah.key_id);
	fill(ah.nonce, sizeof ah.nonce, 0x20);
	strcpy(ah.user, "fred");
	uint8_t field[RPC_MAX_AUTH];
	size_t n = rpc_auth_hello_encode(&ah, field);
	struct rpc_enc e;
	rpc_enc_init(&e);
	rpc_encode_hello_auth(&e, "x86_64", RPC_FEATURE_COMPOUND | RPC_FEATURE_AUTH, field, n);
	char *gold = doc_golden(doc, "HELLO_AUTH");
	CHECK_EQ_STR(hex_of(e.data, e.len), gold ? gold : "(missing)", "HELLO with AUTH is the example's");
	free(gold);

	struct rpc_frame f;
	struct rpc_hello h;
	struct rpc_auth_hello back;
	CHECK(rpc_frame_parse(e.data + 8, e.len - 8, &f) == 0 && rpc_decode_hello(&f, &h) == 0 &&
	      rpc_auth_hello_decode(h.auth, h.auth_len, &back) == 0 && back.scheme == 1 &&
	      memcmp(back.key_id, key.id, 8) == 0 && memcmp(back.nonce, ah.nonce, 32) == 0 && !strcmp(back.user, "fred"),
	      "the auth field decodes back");

	uint8_t nonce_s[RPC_AUTH_NONCE], th[32], proof_s[32], proof_a[32], to_shadow[32], to_agent[32];
	fill(nonce_s, sizeof nonce_s, 0x40);
	rpc_auth_transcript(e.data + 8, e.len - 8, 2, 3, "aarch64", nonce_s, th);
	want = doc_vector(doc, "AUTH", "transcript");
	CHECK_EQ_STR(hex_of(th, 32), want ? want : "(missing)", "transcript hash");
	rpc_auth_proof(&key, RPC_ROLE_SHADOW, th, proof_s);
	want = doc_vector(doc, "AUTH", "shadow_proof");
	CHECK_EQ_STR(hex_of(proof_s, 32), want ? want : "(missing)", "the shadow's proof");
	rpc_auth_proof(&key, RPC_ROLE_AGENT, th, proof_a);
	want = doc_vector(doc, "AUTH", "agent_proof");
	CHECK_EQ_STR(hex_of(proof_a, 32), want ? want : "(missing)", "the agent's proof");
	CHECK(rpc_auth_proof_ok(&key, RPC_ROLE_SHADOW, th, proof_s) && rpc_auth_proof_ok(&key, RPC_ROLE_AGENT, th, proof_a),
	      "each proof checks");
	CHECK(!rpc_auth_proof_ok(&key, RPC_ROLE_AGENT, th, proof_s) && !rpc_auth_proof_ok(&key, RPC_ROLE_SHADOW, th, proof_a),
	      "a proof does not pass for the other role (no reflection)");
	th[31] ^= 1;
	CHECK(!rpc_auth_proof_ok(&key, RPC_ROLE_SHADOW, th, proof_s), "a proof does not pass for another transcript");
	th[31] ^= 1;
	rpc_auth_session_keys(&key, th, to_shadow, to_agent);
	want = doc_vector(doc, "AUTH", "to_shadow");
	CHECK_EQ_STR(hex_of(to_shadow, 32), want ? want : "(missing)", "stream key, agent to shadow");
	want = doc_vector(doc, "AUTH", "to_agent");
	CHECK_EQ_STR(hex_of(to_agent, 32), want ? want : "(missing)", "stream key, shadow to agent");

	struct rpc_auth_challenge ch;
	memcpy(ch.nonce, nonce_s, 32);
	memcpy(ch.proof, proof_s, 32);
	n = rpc_auth_challenge_encode(&ch, field);
	rpc_enc_reset(&e);
	rpc_encode_hello_reply_auth(&e, 2, 3, "aarch64", field, n);
	gold = doc_golden(doc, "HELLO_REPLY_AUTH");
	CHECK_EQ_STR(hex_of(e.data, e.len), gold ? gold : "(missing)", "HELLO reply with the challenge is the example's");
	free(gold);
	int64_t result;
	struct rpc_val v[8];
	struct rpc_auth_challenge ch2;
	CHECK(rpc_frame_parse(e.data + 8, e.len - 8, &f) == 0 && rpc_decode_reply(&f, &result, v, 8, &n) == 0 &&
	      n == 4 && result == 0 && rpc_auth_challenge_decode(v[3].p, (size_t)v[3].i, &ch2) == 0 &&
	      !memcmp(&ch2, &ch, sizeof ch), "the reply decodes: 4 values, the challenge back");

	uint8_t header_a[24], header_s[24];
	fill(header_a, 24, 0x60);
	fill(header_s, 24, 0x80);
	struct rpc_val args[2] = { { 32, proof_a }, { 24, header_a } };
	rpc_enc_reset(&e);
	CHECK_EQ_INT(rpc_encode_request(&e, 0, RPC_OP_AUTH, args, 2), 0, "AUTH encodes");
	gold = doc_golden(doc, "AUTH");
	CHECK_EQ_STR(hex_of(e.data, e.len), gold ? gold : "(missing)", "AUTH is the example's");
	free(gold);
	struct rpc_val hv = { 24, header_s };
	rpc_enc_reset(&e);
	CHECK_EQ_INT(rpc_encode_reply(&e, 0, RPC_OP_AUTH, 0, &hv, 1), 0, "AUTH reply encodes");
	gold = doc_golden(doc, "AUTH_REPLY");
	CHECK_EQ_STR(hex_of(e.data, e.len), gold ? gold : "(missing)", "AUTH reply is the example's");
	free(gold);
	rpc_enc_free(&e);

	/* The sealed frames of the example open with libsodium's streams,
	 * keyed and headed as the example says. */
	static const struct {
		const char *name;
		int to_agent;
		const char *plain;
	} sealed[] = {
		{ "SEALED_NULL", 0, "00000000000000010000000000000002" },
		{ "SEALED_NULL_REPLY", 1, "000000000000000100000000000000020000000000000000" },
	};
	for (size_t k = 0; k < 2; k++) {
		gold = doc_golden(doc, sealed[k].name);
		uint8_t frame[128];
		size_t len = gold ? unhex(gold, frame, sizeof frame) : 0;
		free(gold);
		struct rpc_seal *pull = rpc_seal_pull(sealed[k].to_agent ? to_agent : to_shadow,
						      sealed[k].to_agent ? header_s : header_a);
		const uint8_t *m;
		size_t mlen;
		int rc = len > 8 ? rpc_seal_open(pull, frame, frame + 8, len - 8, &m, &mlen) : -1;
		CHECK_EQ_INT(rc, 0, "%s opens with its direction's key and header", sealed[k].name);
		CHECK_EQ_STR(rc ? "" : hex_of(m, mlen), sealed[k].plain, "%s holds the plain frame", sealed[k].name);
		rpc_seal_free(pull);
	}
}

/* ---- key files ---- */

static void key_files(void)
{
	char path[128], err[512];
	struct rpc_key k, k2;
	snprintf(path, sizeof path, "%s/a.key", tmp);
	mode_t old = umask(0);
	CHECK_EQ_INT(rpc_key_generate(path, &k, err, sizeof err), 0, "keygen under umask 0");
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600, "the key file is mode 0600 (umask 0)");
	CHECK_EQ_INT(rpc_key_load(path, &k2, err, sizeof err), 0, "the key file loads");
	CHECK(!memcmp(k.secret, k2.secret, 32) && !strcmp(k.name, k2.name), "and holds the key made");
	CHECK_EQ_INT(rpc_key_generate(path, &k2, err, sizeof err), -EEXIST, "keygen never overwrites");
	CHECK(strstr(err, "never overwritten") != NULL, "and says so: %s", err);
	CHECK_EQ_INT(rpc_key_load(path, &k2, err, sizeof err), 0, "the first key is still there");
	CHECK(!memcmp(k.secret, k2.secret, 32), "unchanged");
	umask(0277);
	snprintf(path, sizeof path, "%s/b.key", tmp);
	CHECK_EQ_INT(rpc_key_generate(path, &k2, err, sizeof err), 0, "keygen under umask 0277");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600, "the key file is mode 0600 (umask 0277)");
	CHECK(memcmp(k.secret, k2.secret, 32) != 0, "two keys made differ");
	umask(old);
	snprintf(path, sizeof path, "%s/nodir/c.key", tmp);
	CHECK_EQ_INT(rpc_key_generate(path, &k2, err, sizeof err), -ENOENT, "keygen into a missing directory");

	/* Refusals of load. */
	snprintf(path, sizeof path, "%s/a.key", tmp);
	chmod(path, 0640);
	CHECK_EQ_INT(rpc_key_load(path, &k2, err, sizeof err), -EINVAL, "a group-readable key file is refused");
	CHECK(strstr(err, "mode 0640") && strstr(err, "chmod 600"), "naming its mode and the fix: %s", err);
	chmod(path, 0604);
	CHECK_EQ_INT(rpc_key_load(path, &k2, err, sizeof err), -EINVAL, "an others-readable key file is refused");
	chmod(path, 0600);
	CHECK_EQ_INT(rpc_key_load(tmp, &k2, err, sizeof err), -EINVAL, "a directory is no key file");
	CHECK(strstr(err, "not a regular file") != NULL, "says why: %s", err);
	snprintf(path, sizeof path, "%s/missing.key", tmp);
	CHECK_EQ_INT(rpc_key_load(path, &k2, err, sizeof err), -ENOENT, "a missing key file");

	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "", "holds no key" },
		{ "# only a comment\n\n", "holds no key" },
		{ "splitrun-key-1\n", "line 1 is not a key line" },
		{ "splitrun-key-2 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", "line 1 is not a key line" },
		{ "hello\nsplitrun-key-1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", "line 1 is not" },
		{ "splitrun-key-1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e\n", "has 62 characters" },
		{ "splitrun-key-1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00\n", "has 66 characters" },
		{ "splitrun-key-1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g\n", "not 64 hex digits" },
		{ "splitrun-key-1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
		  "splitrun-key-1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", "line 2: a second key" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = 0;
		int rc = rpc_key_parse(bad[i].text, strlen(bad[i].text), &k2, err, sizeof err);
		CHECK(rc == -EINVAL && strstr(err, bad[i].why), "bad key file %zu refused: want '%s', got '%s'", i, bad[i].why,
		      err);
	}
	const char *good = "# comment\r\n\n  \nsplitrun-key-1\t000102030405060708090A0B0C0D0E0F101112131415161718191a1b1c1d1e1f  \r\n# end\n";
	CHECK(rpc_key_parse(good, strlen(good), &k2, err, sizeof err) == 0 && !strcmp(k2.name, "key:3c1b17eed6e6fd5c"),
	      "comments, blank lines, CRLF, tabs and upper-case hex are fine");

	/* Too big to be a key file. */
	snprintf(path, sizeof path, "%s/big.key", tmp);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	char zeros[RPC_KEY_FILE_MAX + 1];
	memset(zeros, '#', sizeof zeros);
	CHECK(fd >= 0 && write(fd, zeros, sizeof zeros) == (ssize_t)sizeof zeros, "a big file written");
	close(fd);
	CHECK_EQ_INT(rpc_key_load(path, &k2, err, sizeof err), -EINVAL, "a file over 4096 bytes is no key file");
	unlink(path);

	CHECK(rpc_user_valid("fred", 4) && rpc_user_valid("a.b_c-9", 7) && !rpc_user_valid("", 0) &&
	      !rpc_user_valid("a@b", 3) && !rpc_user_valid("a b", 3) && !rpc_user_valid("*", 1) &&
	      !rpc_user_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 33), "user names: [A-Za-z0-9._-]{1,32}");
	char self[RPC_MAX_USER + 1];
	rpc_user_self(self);
	CHECK(rpc_user_valid(self, strlen(self)), "this process's user name is claimable: %s", self);
}

/* ---- the auth fields' decoders ---- */

static void auth_fields(void)
{
	struct rpc_auth_hello ah = { .scheme = 1 }, out;
	strcpy(ah.user, "fred");
	uint8_t field[RPC_MAX_AUTH];
	size_t n = rpc_auth_hello_encode(&ah, field);
	CHECK_EQ_INT(rpc_auth_hello_decode(field, n, &out), 0, "an agent's auth field decodes");
	for (size_t cut = 0; cut < n; cut++)
		if (rpc_auth_hello_decode(field, cut, &out) != -EPROTO) {
			CHECK(0, "a field cut to %zu bytes is refused", cut);
			break;
		}
	CHECK(1, "every truncation of the agent's field is refused");
	field[n] = 0;
	CHECK_EQ_INT(rpc_auth_hello_decode(field, n + 1, &out), -EPROTO, "a trailing byte is refused");
	/* The key id's length (the second integer) says 7: refused. */
	uint8_t copy[RPC_MAX_AUTH];
	memcpy(copy, field, n);
	copy[15] = 7;
	CHECK_EQ_INT(rpc_auth_hello_decode(copy, n, &out), -EPROTO, "a key id of 7 bytes is refused");
	strcpy(ah.user, "fr@d");
	n = rpc_auth_hello_encode(&ah, field);
	CHECK_EQ_INT(rpc_auth_hello_decode(field, n, &out), -EPROTO, "a user name with '@' is refused");
	ah.user[0] = 0;
	n = rpc_auth_hello_encode(&ah, field);
	CHECK_EQ_INT(rpc_auth_hello_decode(field, n, &out), -EPROTO, "an empty user name is refused");

	struct rpc_auth_challenge ch = { 0 }, ch2;
	n = rpc_auth_challenge_encode(&ch, field);
	CHECK_EQ_INT(rpc_auth_challenge_decode(field, n, &ch2), 0, "a challenge decodes");
	CHECK_EQ_INT(rpc_auth_challenge_decode(field, n - 1, &ch2), -EPROTO, "a short challenge is refused");
	CHECK_EQ_INT(rpc_auth_challenge_decode(field, 0, &ch2), -EPROTO, "an empty challenge is refused");
}

/* ---- sealed frames ---- */

struct stream_pair {
	struct rpc_seal *push, *pull;
};

static void pair_new(struct stream_pair *p, uint8_t key_byte)
{
	uint8_t key[32], header[24];
	memset(key, key_byte, sizeof key);
	p->push = rpc_seal_push(key, header);
	p->pull = rpc_seal_pull(key, header);
}

static void pair_free(struct stream_pair *p)
{
	rpc_seal_free(p->push);
	rpc_seal_free(p->pull);
}

/* Three plain frames (NULL tag 1, a READ reply of 3 bytes tag 2, NULL tag
 * 3) in one buffer, as a pipelining agent would send them. */
static size_t three_frames(uint8_t *out)
{
	struct rpc_enc e;
	rpc_enc_init(&e);
	rpc_encode_request(&e, 1, RPC_OP_NULL, NULL, 0);
	struct rpc_val b = { 3, (const uint8_t *)"abc" };
	rpc_encode_reply(&e, 2, RPC_OP_READ, 3, &b, 1);
	rpc_encode_request(&e, 3, RPC_OP_NULL, NULL, 0);
	memcpy(out, e.data, e.len);
	size_t n = e.len;
	rpc_enc_free(&e);
	return n;
}

/* The sealed frames of a buffer: offsets and lengths (length field included). */
static size_t split_frames(const uint8_t *p, size_t len, size_t *at, size_t *flen, size_t max)
{
	size_t n = 0;
	for (size_t o = 0; o + 8 <= len && n < max;) {
		struct rpc_dec d;
		rpc_dec_init(&d, p + o, 8);
		size_t l = 8 + (size_t)rpc_get_i64(&d);
		at[n] = o;
		flen[n++] = l;
		o += l;
	}
	return n;
}

static int open_one(struct rpc_seal *pull, const uint8_t *frame, size_t len, const uint8_t **m, size_t *mlen)
{
	return rpc_seal_open(pull, frame, frame + 8, len - 8, m, mlen);
}

static void seal_frames(void)
{
	uint8_t plain[256], sealed[512];
	size_t plen = three_frames(plain);
	struct stream_pair p;
	pair_new(&p, 7);
	const uint8_t *out, *m;
	size_t olen, mlen, at[8], fl[8];
	CHECK_EQ_INT(rpc_seal_frames(p.push, plain, plen, &out, &olen), 0, "three frames seal in one batch");
	CHECK_EQ_INT(olen, plen + 3 * RPC_SEAL_ABYTES, "each frame grows by 17 bytes");
	memcpy(sealed, out, olen);
	size_t nf = split_frames(sealed, olen, at, fl, 8);
	CHECK_EQ_INT(nf, 3, "three sealed frames");
	size_t po = 0;
	bool same = true;
	for (size_t k = 0; k < nf; k++) {
		if (open_one(p.pull, sealed + at[k], fl[k], &m, &mlen) || po + 8 + mlen > plen ||
		    memcmp(m, plain + po + 8, mlen) != 0)
			same = false;
		po += 8 + mlen;
	}
	CHECK(same && po == plen, "they open in order to the plain frames");
	CHECK_EQ_INT(rpc_seal_count(p.pull), 3, "three opened");
	pair_free(&p);
}

/* Each tampering: seal the three frames, tamper, and open in order; the
 * frame named must fail and those before it open. */
static void tampering(void)
{
	uint8_t plain[256];
	size_t plen = three_frames(plain);
	const uint8_t *out, *m;
	size_t olen, mlen, at[8], fl[8];

	/* A flipped bit at every position of the second frame. */
	int bad_positions = 0, positions = 0;
	for (size_t bit = 0;; bit++) {
		struct stream_pair p;
		pair_new(&p, 9);
		rpc_seal_frames(p.push, plain, plen, &out, &olen);
		uint8_t s[512];
		memcpy(s, out, olen);
		split_frames(s, olen, at, fl, 8);
		if (bit >= 8 * fl[1]) {
			pair_free(&p);
			break;
		}
		s[at[1] + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		positions++;
		int first = open_one(p.pull, s + at[0], fl[0], &m, &mlen);
		/* The frame's bytes as they were, with the length field as
		 * altered: it is the additional data, so it does not open. */
		int second = open_one(p.pull, s + at[1], fl[1], &m, &mlen);
		if (first != 0 || second == 0)
			bad_positions++;
		pair_free(&p);
	}
	CHECK(positions == 8 * (8 + 35 + RPC_SEAL_ABYTES) && bad_positions == 0,
	      "a flipped bit anywhere in a sealed frame (%d positions) makes it not open, the frame before opens",
	      positions);

	struct {
		const char *what;
		int order[4];   /* frames offered, in order; -1 ends */
		int fails_at;   /* index into order of the first failure */
	} cases[] = {
		{ "a dropped frame: the next one does not open", { 0, 2, -1 }, 1 },
		{ "reordered frames do not open", { 1, 0, 2, -1 }, 0 },
		{ "a replayed frame does not open", { 0, 1, 1, -1 }, 2 },
		{ "a replay of the first after the third does not open", { 0, 1, 2, 0 }, 3 },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct stream_pair p;
		pair_new(&p, 11);
		rpc_seal_frames(p.push, plain, plen, &out, &olen);
		uint8_t s[512];
		memcpy(s, out, olen);
		split_frames(s, olen, at, fl, 8);
		int failed = -1;
		for (int k = 0; k < 4 && cases[c].order[k] >= 0; k++) {
			int f = cases[c].order[k];
			if (open_one(p.pull, s + at[f], fl[f], &m, &mlen) != 0) {
				failed = k;
				break;
			}
		}
		CHECK_EQ_INT(failed, cases[c].fails_at, "%s", cases[c].what);
		pair_free(&p);
	}

	/* A frame of another stream (another key, or the same key with the
	 * other direction's header) does not open. */
	struct stream_pair a, b;
	pair_new(&a, 13);
	pair_new(&b, 13);   /* same key, fresh headers */
	rpc_seal_frames(a.push, plain, plen, &out, &olen);
	uint8_t s[512];
	memcpy(s, out, olen);
	CHECK_EQ_INT(open_one(b.pull, s, 8 + 16 + RPC_SEAL_ABYTES, &m, &mlen), -EBADMSG,
		     "a frame of another session (same key, another header) does not open");
	pair_free(&a);
	pair_free(&b);
	pair_new(&a, 14);
	pair_new(&b, 15);
	rpc_seal_frames(a.push, plain, plen, &out, &olen);
	memcpy(s, out, olen);
	CHECK_EQ_INT(open_one(b.pull, s, 8 + 16 + RPC_SEAL_ABYTES, &m, &mlen), -EBADMSG,
		     "a frame sealed with another key does not open");
	pair_free(&a);
	pair_free(&b);

	/* Lengths no sealed frame has. */
	CHECK(rpc_seal_len_ok(32) == -EPROTO && rpc_seal_len_ok(33) == 0 &&
	      rpc_seal_len_ok((int64_t)RPC_MAX_FRAME + 17) == 0 && rpc_seal_len_ok((int64_t)RPC_MAX_FRAME + 18) == -E2BIG &&
	      rpc_seal_len_ok(-1) == -EPROTO, "sealed lengths: 33 to RPC_MAX_FRAME + 17");
	pair_new(&a, 16);
	uint8_t junk[8] = { 0 };
	CHECK_EQ_INT(rpc_seal_frames(a.push, junk, 5, &out, &olen), -EPROTO, "sealing less than a frame is refused");
	CHECK_EQ_INT(rpc_seal_frames(a.push, plain, plen - 1, &out, &olen), -EPROTO, "sealing a cut frame is refused");
	pair_free(&a);
}

int main(void)
{
	if (rpc_crypto_init() || !mkdtemp(tmp)) {
		printf("Bail out! no libsodium or no temporary directory\n");
		return 1;
	}
	worked_example();
	key_files();
	auth_fields();
	seal_frames();
	tampering();
	char cmd[64];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmp);
	return check_done();
}
