/* tests/unit/rpc_wire.c: golden byte vectors of representative messages and
 * the decoder's refusal of truncated, oversized and malformed input. A change
 * that alters the bytes on the wire fails here. */
#include "rpc/wire.h"
#include "tests/unit/check.h"

#include <errno.h>
#include <stdlib.h>

static char hex[1 << 16];

static const char *enc_hex(const struct rpc_enc *e)
{
	rpc_hex(e->data, e->len, hex);
	return hex;
}

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	for (; s[0] && s[1]; s += 2)
		out[n++] = (uint8_t)strtoul((char[3]){ s[0], s[1], 0 }, NULL, 16);
	return n;
}

#define GOLD_HELLO \
	"000000000000003e" "0000000000000000" "0000000000000001" "53504c4954525043" \
	"0000000000000001" "0000000000000001" "0000000000000006" "7838365f3634" "0000000000000000"
#define GOLD_OPEN \
	"0000000000000043" "0000000000000007" "0000000000000003" "ffffffffffffff9c" \
	"0000000000000003" "612f62" "0000000000000041" "00000000000001a4" "0000000000000012" "0000000000000000"
#define GOLD_READ_REPLY \
	"0000000000000023" "0000000000000009" "0000000000000005" "0000000000000003" "0000000000000003" "616263"
#define GOLD_ERROR_REPLY \
	"0000000000000018" "000000000000000a" "0000000000000003" "fffffffffffffffe"
#define GOLD_COMPOUND \
	"0000000000000079" "000000000000000b" "000000000000002c" "0000000000000003" \
	"0000000000000003" "ffffffffffffff9c" "0000000000000001" "66" \
	"0000000000000000" "0000000000000000" "0000000000000000" "0000000000000000" \
	"000000000000000c" "8000000000000000" \
	"0000000000000005" "8000000000000000" "0000000000000010"

static void golden_encodings(void)
{
	struct rpc_enc e;
	rpc_enc_init(&e);

	rpc_encode_hello(&e, "x86_64", RPC_FEATURE_COMPOUND);
	CHECK_EQ_STR(enc_hex(&e), GOLD_HELLO, "handshake bytes");

	rpc_enc_reset(&e);
	struct rpc_val open_args[] = {
		{ RPC_HANDLE_CWD, NULL }, { 3, (const uint8_t *)"a/b" }, { 0x41, NULL }, { 0644, NULL },
		{ 022, NULL }, { 0, NULL },
	};
	CHECK_EQ_INT(rpc_encode_request(&e, 7, RPC_OP_OPEN, open_args, 6), 0, "open request encodes");
	CHECK_EQ_STR(enc_hex(&e), GOLD_OPEN, "open request bytes");

	rpc_enc_reset(&e);
	rpc_frame_begin(&e, 9, RPC_OP_READ);
	rpc_put_i64(&e, 3);
	struct rpc_val data = { 3, (const uint8_t *)"abc" };
	CHECK_EQ_INT(rpc_put_sig(&e, rpc_op_result(RPC_OP_READ), &data, 1), 0, "read reply values encode");
	rpc_frame_end(&e);
	CHECK_EQ_STR(enc_hex(&e), GOLD_READ_REPLY, "read reply bytes");

	rpc_enc_reset(&e);
	rpc_frame_begin(&e, 10, RPC_OP_OPEN);
	rpc_put_i64(&e, -2);
	rpc_frame_end(&e);
	CHECK_EQ_STR(enc_hex(&e), GOLD_ERROR_REPLY, "error reply bytes");

	rpc_enc_reset(&e);
	struct rpc_val a0[] = { { RPC_HANDLE_CWD, NULL }, { 1, (const uint8_t *)"f" }, { 0, NULL }, { 0, NULL },
				{ 0, NULL }, { 0, NULL } };
	struct rpc_val a1[] = { { RPC_REF(0), NULL } };
	struct rpc_val a2[] = { { RPC_REF(0), NULL }, { 16, NULL } };
	struct rpc_call calls[] = { { RPC_OP_OPEN, 6, a0 }, { RPC_OP_FSTAT, 1, a1 }, { RPC_OP_READ, 2, a2 } };
	CHECK_EQ_INT(rpc_encode_compound(&e, 11, calls, 3), 0, "compound encodes");
	CHECK_EQ_STR(enc_hex(&e), GOLD_COMPOUND, "compound bytes");
	rpc_enc_free(&e);
}

static void golden_decodings(void)
{
	uint8_t buf[512];
	size_t n = unhex(GOLD_OPEN, buf);
	struct rpc_frame f;
	CHECK_EQ_INT(rpc_frame_parse(buf + 8, n - 8, &f), 0, "open frame parses");
	CHECK_EQ_INT(f.tag, 7, "open tag");
	CHECK_EQ_INT(f.op, RPC_OP_OPEN, "open op");
	struct rpc_val v[16];
	size_t nv;
	CHECK_EQ_INT(rpc_decode_args(&f, v, 16, &nv), 0, "open args decode");
	CHECK_EQ_INT(nv, 6, "open has six values");
	CHECK_EQ_INT(v[0].i, RPC_HANDLE_CWD, "dir handle");
	CHECK(v[1].i == 3 && memcmp(v[1].p, "a/b", 3) == 0, "path is a/b");
	CHECK_EQ_INT(v[3].i, 0644, "mode");

	n = unhex(GOLD_HELLO, buf);
	struct rpc_hello h;
	CHECK_EQ_INT(rpc_frame_parse(buf + 8, n - 8, &f), 0, "hello frame parses");
	CHECK_EQ_INT(rpc_decode_hello(&f, &h), 0, "hello decodes");
	CHECK_EQ_STR(h.arch, "x86_64", "hello arch");
	CHECK_EQ_INT(h.version, RPC_VERSION, "hello version");
	buf[8 + 16 + 7] ^= 1;   /* one bit of the magic */
	CHECK_EQ_INT(rpc_decode_hello(&f, &h), -EPROTO, "bad magic refused");

	/* Every truncation of the open request is refused, never read past. */
	n = unhex(GOLD_OPEN, buf);
	int all_refused = 1;
	for (size_t cut = 16; cut < n - 8; cut++) {
		uint8_t *copy = malloc(cut);   /* exact size: ASan catches overreads */
		memcpy(copy, buf + 8, cut);
		if (rpc_frame_parse(copy, cut, &f) == 0 && rpc_decode_args(&f, v, 16, &nv) == 0) {
			all_refused = 0;
			printf("#   a frame cut to %zu bytes decoded\n", cut);
		}
		free(copy);
	}
	CHECK(all_refused, "every truncated open request is refused");

	uint8_t longer[512];
	memcpy(longer, buf, n);
	longer[n] = 0;
	CHECK_EQ_INT(rpc_frame_parse(longer + 8, n - 7, &f), 0, "frame with a trailing byte parses");
	CHECK_EQ_INT(rpc_decode_args(&f, v, 16, &nv), -EPROTO, "trailing byte refused");

	/* Path length 5000 > RPC_MAX_PATH. */
	memcpy(longer, buf, n);
	longer[8 + 24 + 6] = 0x13;
	longer[8 + 24 + 7] = 0x88;
	rpc_frame_parse(longer + 8, n - 8, &f);
	CHECK_EQ_INT(rpc_decode_args(&f, v, 16, &nv), -E2BIG, "oversized path refused");
	/* Negative length. */
	memset(longer + 8 + 24, 0xff, 8);
	CHECK_EQ_INT(rpc_decode_args(&f, v, 16, &nv), -EPROTO, "negative length refused");
	/* An embedded NUL in a path. */
	memcpy(longer, buf, n);
	longer[8 + 32 + 1] = 0;
	CHECK_EQ_INT(rpc_decode_args(&f, v, 16, &nv), -EPROTO, "NUL inside a path refused");
	/* An unknown op. */
	memcpy(longer, buf, n);
	longer[8 + 15] = 0x7f;
	rpc_frame_parse(longer + 8, n - 8, &f);
	CHECK_EQ_INT(rpc_decode_args(&f, v, 16, &nv), -ENOSYS, "unknown op reported");

	CHECK_EQ_INT(rpc_frame_len_ok((int64_t)RPC_MAX_FRAME + 1), -E2BIG, "frame over the bound refused");
	CHECK_EQ_INT(rpc_frame_len_ok(-1), -EPROTO, "negative frame length refused");
	CHECK_EQ_INT(rpc_frame_len_ok(15), -EPROTO, "frame too short for tag and op refused");
	CHECK_EQ_INT(rpc_frame_len_ok(16), 0, "smallest frame accepted");
}

static void bounds(void)
{
	struct rpc_enc e;
	rpc_enc_init(&e);
	struct rpc_val a[] = { { 0, NULL } };
	struct rpc_call calls[RPC_MAX_COMPOUND + 1];
	for (int k = 0; k <= RPC_MAX_COMPOUND; k++)
		calls[k] = (struct rpc_call){ RPC_OP_NULL, 0, a };
	CHECK_EQ_INT(rpc_encode_compound(&e, 1, calls, RPC_MAX_COMPOUND + 1), -E2BIG, "33-op compound refused");
	CHECK_EQ_INT(rpc_encode_compound(&e, 1, calls, RPC_MAX_COMPOUND), 0, "32-op compound accepted");
	rpc_enc_reset(&e);
	char *big = malloc(RPC_MAX_BUF + 1);
	memset(big, 'x', RPC_MAX_BUF + 1);
	struct rpc_val w[] = { { 0, NULL }, { RPC_MAX_BUF + 1, (const uint8_t *)big } };
	CHECK_EQ_INT(rpc_encode_request(&e, 1, RPC_OP_WRITE, w, 2), -E2BIG, "buffer over RPC_MAX_BUF refused");
	w[1].i = RPC_MAX_BUF;
	CHECK_EQ_INT(rpc_encode_request(&e, 1, RPC_OP_WRITE, w, 2), 0, "buffer of RPC_MAX_BUF accepted");
	rpc_enc_reset(&e);
	CHECK_EQ_INT(rpc_encode_request(&e, 1, RPC_OP_OPEN, w, 2), -EINVAL, "wrong value count refused");
	CHECK_EQ_INT(e.len, 0, "nothing left behind by a refused request");
	free(big);
	rpc_enc_free(&e);
	CHECK_EQ_STR(rpc_op_name(RPC_OP_STATX), "STATX", "op names");
	CHECK(RPC_IS_REF(RPC_REF(31)) && !RPC_IS_REF(RPC_REF(32)) && !RPC_IS_REF(-1), "reference range");
}

int main(void)
{
	golden_encodings();
	golden_decodings();
	bounds();
	return check_done();
}
