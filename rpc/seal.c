/* rpc/seal.c: sealed frames over libsodium's secretstream. */
#include "rpc/seal.h"

#include "rpc/wire.h"

#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(RPC_SEAL_ABYTES == crypto_secretstream_xchacha20poly1305_ABYTES, "ABYTES");
_Static_assert(RPC_SEAL_HEADER == crypto_secretstream_xchacha20poly1305_HEADERBYTES, "HEADERBYTES");
_Static_assert(RPC_SEAL_KEY == crypto_secretstream_xchacha20poly1305_KEYBYTES, "KEYBYTES");

struct rpc_seal {
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t *buf;
	size_t cap;
	uint64_t count;
};

struct rpc_seal *rpc_seal_push(const uint8_t key[RPC_SEAL_KEY], uint8_t header[RPC_SEAL_HEADER])
{
	struct rpc_seal *s = calloc(1, sizeof *s);
	if (s)
		crypto_secretstream_xchacha20poly1305_init_push(&s->st, header, key);
	return s;
}

struct rpc_seal *rpc_seal_pull(const uint8_t key[RPC_SEAL_KEY], const uint8_t header[RPC_SEAL_HEADER])
{
	struct rpc_seal *s = calloc(1, sizeof *s);
	if (s && crypto_secretstream_xchacha20poly1305_init_pull(&s->st, header, key) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

void rpc_seal_free(struct rpc_seal *s)
{
	if (!s)
		return;
	sodium_memzero(&s->st, sizeof s->st);
	if (s->buf)
		sodium_memzero(s->buf, s->cap);
	free(s->buf);
	free(s);
}

static int room(struct rpc_seal *s, size_t need)
{
	if (need <= s->cap)
		return 0;
	size_t cap = s->cap ? s->cap : 4096;
	while (cap < need)
		cap *= 2;
	/* The old contents are sealed or opened bytes already handed out and
	 * used; no need to keep them, but plaintext must not linger. */
	if (s->buf)
		sodium_memzero(s->buf, s->cap);
	free(s->buf);
	s->buf = malloc(cap);
	s->cap = s->buf ? cap : 0;
	return s->buf ? 0 : -ENOMEM;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static int64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

int rpc_seal_len_ok(int64_t len)
{
	if (len < 16 + RPC_SEAL_ABYTES)
		return -EPROTO;
	if (len > (int64_t)RPC_MAX_FRAME + RPC_SEAL_ABYTES)
		return -E2BIG;
	return 0;
}

int rpc_seal_frames(struct rpc_seal *s, const uint8_t *data, size_t len, const uint8_t **out, size_t *out_len)
{
	/* First pass: check the frames and size the output. */
	size_t total = 0, nframes = 0;
	for (size_t at = 0; at < len;) {
		if (len - at < 8)
			return -EPROTO;
		int64_t n = get_be64(data + at);
		if (rpc_frame_len_ok(n) || (size_t)n > len - at - 8)
			return -EPROTO;
		at += 8 + (size_t)n;
		total += 8 + (size_t)n + RPC_SEAL_ABYTES;
		nframes++;
	}
	int rc = room(s, total);
	if (rc)
		return rc;
	uint8_t *o = s->buf;
	for (size_t at = 0; at < len;) {
		size_t n = (size_t)get_be64(data + at);
		put_be64(o, n + RPC_SEAL_ABYTES);
		unsigned long long clen;
		crypto_secretstream_xchacha20poly1305_push(&s->st, o + 8, &clen, data + at + 8, n, o, 8,
							   crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
		o += 8 + clen;
		at += 8 + n;
	}
	s->count += nframes;
	*out = s->buf;
	*out_len = total;
	return 0;
}

int rpc_seal_open(struct rpc_seal *s, const uint8_t len_field[8], const uint8_t *c, size_t clen, const uint8_t **m,
		  size_t *mlen)
{
	int rc = rpc_seal_len_ok((int64_t)clen);
	if (rc)
		return rc;
	if ((rc = room(s, clen - RPC_SEAL_ABYTES)))
		return rc;
	unsigned long long n;
	unsigned char tag;
	if (crypto_secretstream_xchacha20poly1305_pull(&s->st, s->buf, &n, &tag, c, clen, len_field, 8) != 0 ||
	    tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)
		return -EBADMSG;
	s->count++;
	*m = s->buf;
	*mlen = (size_t)n;
	return 0;
}

uint64_t rpc_seal_count(const struct rpc_seal *s)
{
	return s ? s->count : 0;
}
