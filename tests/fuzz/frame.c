/* tests/fuzz/frame.c: libFuzzer harness for the frame decoder (rpc/wire.c,
 * and the auth fields and sealed frames of rpc/auth.c and rpc/seal.c).
 * The input is one frame without its length field. Every decoder must
 * refuse what is not well formed without reading outside the input, and
 * what one decodes must encode back to the very same bytes (requests,
 * plain replies, COMPOUNDs), so that nothing is accepted that the encoder
 * could not have written. The seed corpus is tests/fuzz/frame/. */
#include "rpc/auth.h"
#include "rpc/seal.h"
#include "rpc/wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
extern const char fuzz_name[];
const char fuzz_name[] = "frame";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return rpc_crypto_init();
}

static struct rpc_val vals[RPC_MAX_VALS];

/* A failed property: report and abort, which libFuzzer records as a crash. */
static void broken(const char *what, const struct rpc_frame *f)
{
	fprintf(stderr, "fuzz/frame: %s (op %lld, tag %lld, body %zu bytes)\n", what, (long long)f->op, (long long)f->tag,
		f->body_len);
	abort();
}

static void same_bytes(const struct rpc_enc *e, const uint8_t *data, size_t size, const char *what,
		       const struct rpc_frame *f)
{
	if (e->len != size + 8 || memcmp(e->data + 8, data, size) != 0)
		broken(what, f);
}

static void requests(const struct rpc_frame *f, const uint8_t *data, size_t size)
{
	size_t n = 0;
	struct rpc_enc e;
	rpc_enc_init(&e);
	if (rpc_decode_args(f, vals, RPC_MAX_VALS, &n) == 0) {
		if (rpc_encode_request(&e, f->tag, f->op, vals, n) != 0)
			broken("a decoded request does not encode", f);
		same_bytes(&e, data, size, "a decoded request encodes to other bytes", f);
	}
	struct rpc_call calls[RPC_MAX_COMPOUND];
	rpc_enc_reset(&e);
	if (rpc_decode_compound(f, calls, &n, vals, RPC_MAX_VALS) == 0) {
		if (rpc_encode_compound(&e, f->tag, calls, n) != 0)
			broken("a decoded COMPOUND does not encode", f);
		same_bytes(&e, data, size, "a decoded COMPOUND encodes to other bytes", f);
	}
	struct rpc_hello h;
	if (rpc_decode_hello(f, &h) == 0) {
		rpc_enc_reset(&e);
		struct rpc_auth_hello ah;
		if (rpc_auth_hello_decode(h.auth, h.auth_len, &ah) == 0) {
			uint8_t field[RPC_MAX_AUTH];
			size_t len = rpc_auth_hello_encode(&ah, field);
			if (len != h.auth_len || memcmp(field, h.auth, len) != 0)
				broken("a decoded auth field encodes to other bytes", f);
		}
		int64_t version, features;
		rpc_negotiate(&h, RPC_FEATURES, &version, &features);
	}
	rpc_enc_free(&e);
}

static void replies(const struct rpc_frame *f, const uint8_t *data, size_t size)
{
	int64_t result, result2;
	size_t n = 0, counted = 0;
	int rc = rpc_decode_reply(f, &result, vals, RPC_MAX_VALS, &n);
	int rc2 = rpc_decode_reply(f, &result2, NULL, SIZE_MAX, &counted);
	/* Counting (the client's first pass) and decoding agree. */
	if (rc2 != 0 ? rc == 0 : counted <= RPC_MAX_VALS ? rc != 0 || n != counted || result != result2 : rc != -E2BIG)
		broken("counting and decoding a reply disagree", f);
	if (rc != 0 || f->op == RPC_OP_COMPOUND || f->op == RPC_OP_HELLO)
		return;
	struct rpc_enc e;
	rpc_enc_init(&e);
	if (rpc_encode_reply(&e, f->tag, f->op, result, vals, n) != 0)
		broken("a decoded reply does not encode", f);
	same_bytes(&e, data, size, "a decoded reply encodes to other bytes", f);
	rpc_enc_free(&e);
}

/* Whatever the bytes, a sealed frame made of them does not open (the key
 * and header are the fuzzer's own, the bytes cannot carry a valid MAC). */
static void sealed(const uint8_t *data, size_t size)
{
	static const uint8_t key[RPC_SEAL_KEY] = { 1 }, header[RPC_SEAL_HEADER] = { 2 };
	struct rpc_seal *pull = rpc_seal_pull(key, header);
	uint8_t len_field[8] = { 0 };
	for (int i = 0; i < 8; i++)
		len_field[i] = (uint8_t)(size >> (56 - 8 * i));
	const uint8_t *m;
	size_t mlen;
	if (pull && size > 0 && rpc_seal_open(pull, len_field, data, size, &m, &mlen) == 0) {
		fprintf(stderr, "fuzz/frame: %zu random bytes opened as a sealed frame\n", size);
		abort();
	}
	rpc_seal_free(pull);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > RPC_MAX_FRAME)
		return 0;
	struct rpc_frame f;
	if (rpc_frame_parse(data, size, &f) == 0) {
		requests(&f, data, size);
		replies(&f, data, size);
	}
	struct rpc_auth_challenge ch;
	rpc_auth_challenge_decode(data, size, &ch);
	struct rpc_auth_hello ah;
	rpc_auth_hello_decode(data, size, &ah);
	sealed(data, size);
	return 0;
}
