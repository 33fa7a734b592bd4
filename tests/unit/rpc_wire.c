/* tests/unit/rpc_wire.c: golden byte vectors of representative messages
 * (one of each kind: handshake both ways, plain requests and replies, an
 * error reply, each canonical struct in a reply, COMPOUND with result
 * references and its replies, including ones that stop at a failing op),
 * decoded back, and the decoder's refusal of truncated, oversized and
 * malformed input. The vectors were computed independently of rpc/wire.c
 * and are the worked examples of docs/wire-format.md; a change that alters
 * the bytes on the wire, or an example in the spec, fails here. */
#include "rpc/canon.h"
#include "rpc/wire.h"
#include "tests/unit/check.h"
#include "tests/unit/doc_blocks.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

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

/* A golden frame, unhexed into an allocation of its exact size (so ASan
 * catches a read past it), with f parsed (the frame without its length). */
struct gold {
	uint8_t *buf;
	size_t len;
	struct rpc_frame f;
};

static void gold_load(struct gold *g, const char *h)
{
	uint8_t tmp[4096];
	g->len = unhex(h, tmp);
	g->buf = malloc(g->len);
	memcpy(g->buf, tmp, g->len);
	if (rpc_frame_parse(g->buf + 8, g->len - 8, &g->f))
		printf("# golden frame does not parse\n");
}

#define GOLD_HELLO \
	"000000000000003e" "0000000000000000" "0000000000000001" "53504c4954525043" "0000000000000002" \
	"0000000000000001" "0000000000000006" "7838365f3634" "0000000000000000"
#define GOLD_HELLO_REPLY \
	"000000000000003f" "0000000000000000" "0000000000000001" "0000000000000000" "0000000000000002" \
	"0000000000000001" "0000000000000007" "61617263683634" "0000000000000000"
#define GOLD_HELLO_REPLY_V1 \
	"0000000000000037" "0000000000000000" "0000000000000001" "0000000000000000" "0000000000000001" \
	"0000000000000001" "0000000000000007" "61617263683634"
#define GOLD_HELLO_REFUSED \
	"0000000000000018" "0000000000000000" "0000000000000001" "ffffffffffffffa3"
#define GOLD_NULL \
	"0000000000000010" "0000000000000001" "0000000000000002"
#define GOLD_NULL_REPLY \
	"0000000000000018" "0000000000000001" "0000000000000002" "0000000000000000"
#define GOLD_OPEN \
	"0000000000000043" "0000000000000007" "0000000000000003" "ffffffffffffff9c" "0000000000000003" \
	"612f62" "0000000000000041" "00000000000001a4" "0000000000000012" "0000000000000000"
#define GOLD_PREAD \
	"0000000000000028" "0000000000000008" "0000000000000006" "0000000000000003" "0000000000002000" \
	"0000000000001000"
#define GOLD_READ_REPLY \
	"0000000000000023" "0000000000000009" "0000000000000005" "0000000000000003" "0000000000000003" \
	"616263"
#define GOLD_ERROR_REPLY \
	"0000000000000018" "000000000000000a" "0000000000000003" "fffffffffffffffe"
#define GOLD_FSTAT_REPLY \
	"00000000000000c0" "000000000000000b" "000000000000000c" "0000000000000000" "00000000000007ff" \
	"0000000000000008" "0000000000000001" "000000000012d687" "00000000000081a4" "0000000000000001" \
	"00000000000003e8" "00000000000003e8" "0000000000000000" "0000000000000000" "0000000000000005" \
	"0000000000001000" "0000000000000008" "000000006553f100" "00000000075bcd15" "000000006553f101" \
	"0000000000000000" "000000006553f102" "00000000000001f4" "0000000000000000" "0000000000000000"
#define GOLD_STATFS_REPLY \
	"0000000000000078" "000000000000000c" "000000000000001f" "0000000000000000" "000000000000ef53" \
	"0000000000001000" "00000000000f4240" "000000000007a120" "0000000000061a80" "0000000000010000" \
	"000000000000ea60" "0000000000001234" "0000000000005678" "00000000000000ff" "0000000000001000" \
	"0000000000001026"
#define GOLD_UNAME_REPLY \
	"0000000000000069" "000000000000000d" "0000000000000028" "0000000000000000" "0000000000000005" \
	"4c696e7578" "0000000000000004" "686f6d65" "0000000000000005" "362e312e30" "0000000000000006" \
	"233120534d50" "0000000000000007" "61617263683634" "0000000000000006" "286e6f6e6529"
#define GOLD_GETDENTS_REPLY \
	"0000000000000062" "000000000000000e" "0000000000000011" "0000000000000002" "0000000000000002" \
	"0000000000000002" "0000000000000001" "0000000000000004" "0000000000000001" "2e" "0000000000000083" \
	"0000000000000002" "0000000000000008" "0000000000000001" "61"
#define GOLD_LOCK \
	"0000000000000048" "000000000000000f" "0000000000000021" "0000000000000003" "0000000000000001" \
	"0000000000000001" "0000000000000000" "0000000000000000" "0000000000000064" "0000000000000000"
#define GOLD_LOCK_REPLY \
	"0000000000000040" "000000000000000f" "0000000000000021" "0000000000000000" "0000000000000000" \
	"0000000000000000" "000000000000000a" "0000000000000014" "0000000000001092"
#define GOLD_CLOCK_REPLY \
	"0000000000000028" "0000000000000010" "000000000000002b" "0000000000000000" "000000006553f100" \
	"000000003b9ac9ff"
#define GOLD_COMPOUND \
	"0000000000000079" "000000000000000b" "000000000000002c" "0000000000000003" "0000000000000003" \
	"ffffffffffffff9c" "0000000000000001" "66" "0000000000000000" "0000000000000000" "0000000000000000" \
	"0000000000000000" "000000000000000c" "8000000000000000" "0000000000000005" "8000000000000000" \
	"0000000000000010"
#define GOLD_COMPOUND_REPLY \
	"0000000000000105" "000000000000000b" "000000000000002c" "0000000000000005" "0000000000000003" \
	"0000000000000003" "0000000000000004" "000000000000000c" "0000000000000000" "00000000000007ff" \
	"0000000000000008" "0000000000000001" "000000000012d687" "00000000000081a4" "0000000000000001" \
	"00000000000003e8" "00000000000003e8" "0000000000000000" "0000000000000000" "0000000000000005" \
	"0000000000001000" "0000000000000008" "000000006553f100" "00000000075bcd15" "000000006553f101" \
	"0000000000000000" "000000006553f102" "00000000000001f4" "0000000000000000" "0000000000000000" \
	"0000000000000005" "0000000000000005" "0000000000000005" "68656c6c6f"
#define GOLD_COMPOUND_STOPPED \
	"00000000000000f8" "000000000000000b" "000000000000002c" "ffffffffffffffeb" "0000000000000003" \
	"0000000000000003" "0000000000000004" "000000000000000c" "0000000000000000" "00000000000007ff" \
	"0000000000000008" "0000000000000001" "000000000012d687" "00000000000081a4" "0000000000000001" \
	"00000000000003e8" "00000000000003e8" "0000000000000000" "0000000000000000" "0000000000000005" \
	"0000000000001000" "0000000000000008" "000000006553f100" "00000000075bcd15" "000000006553f101" \
	"0000000000000000" "000000006553f102" "00000000000001f4" "0000000000000000" "0000000000000000" \
	"0000000000000005" "ffffffffffffffeb"
#define GOLD_COMPOUND_FAILED_FIRST \
	"0000000000000030" "000000000000000b" "000000000000002c" "fffffffffffffffe" "0000000000000001" \
	"0000000000000003" "fffffffffffffffe"


/* The values behind the vectors. */
static const struct canon_stat gold_stat = {
	.mask = CANON_STATX_BASIC_STATS, .dev_major = 8, .dev_minor = 1, .ino = 1234567,
	.mode = CANON_S_IFREG | 0644, .nlink = 1, .uid = 1000, .gid = 1000, .rdev_major = 0, .rdev_minor = 0,
	.size = 5, .blksize = 4096, .blocks = 8,
	.atime = { 1700000000, 123456789 }, .mtime = { 1700000001, 0 }, .ctime = { 1700000002, 500 },
	.btime = { 0, 0 },
};
static const struct canon_statfs gold_statfs = {
	0xef53, 4096, 1000000, 500000, 400000, 65536, 60000, 0x1234, 0x5678, 255, 4096, 0x1026,
};
static const struct canon_utsname gold_uts = { "Linux", "home", "6.1.0", "#1 SMP", "aarch64", "(none)" };
static const struct canon_flock gold_flock = { CANON_F_RDLCK, CANON_SEEK_SET, 10, 20, 4242 };
static const struct canon_timespec gold_ts = { 1700000000, 999999999 };

static void compound_reply_head(struct rpc_enc *e, int64_t result, int64_t count)
{
	rpc_frame_begin(e, 11, RPC_OP_COMPOUND);
	rpc_put_i64(e, result);
	rpc_put_i64(e, count);
	rpc_put_i64(e, RPC_OP_OPEN);
	rpc_put_i64(e, 4);
}

static void golden_encodings(void)
{
	struct rpc_enc e;
	rpc_enc_init(&e);

	rpc_encode_hello(&e, "x86_64", RPC_FEATURE_COMPOUND);
	CHECK_EQ_STR(enc_hex(&e), GOLD_HELLO, "HELLO request bytes");
	rpc_enc_reset(&e);
	rpc_encode_hello_reply(&e, 0, 2, RPC_FEATURE_COMPOUND, "aarch64");
	CHECK_EQ_STR(enc_hex(&e), GOLD_HELLO_REPLY, "HELLO reply bytes (version 2: an empty auth field)");
	rpc_enc_reset(&e);
	rpc_encode_hello_reply(&e, 0, 1, RPC_FEATURE_COMPOUND, "aarch64");
	CHECK_EQ_STR(enc_hex(&e), GOLD_HELLO_REPLY_V1, "HELLO reply bytes (version 1: no auth field)");
	rpc_enc_reset(&e);
	rpc_encode_hello_reply(&e, -CANON_EPROTONOSUPPORT, 0, 0, NULL);
	CHECK_EQ_STR(enc_hex(&e), GOLD_HELLO_REFUSED, "HELLO refusal bytes");

	rpc_enc_reset(&e);
	CHECK_EQ_INT(rpc_encode_request(&e, 1, RPC_OP_NULL, NULL, 0), 0, "NULL request encodes");
	CHECK_EQ_STR(enc_hex(&e), GOLD_NULL, "NULL request bytes");
	rpc_enc_reset(&e);
	CHECK_EQ_INT(rpc_encode_reply(&e, 1, RPC_OP_NULL, 0, NULL, 0), 0, "NULL reply encodes");
	CHECK_EQ_STR(enc_hex(&e), GOLD_NULL_REPLY, "NULL reply bytes");

	rpc_enc_reset(&e);
	struct rpc_val open_args[] = {
		{ RPC_HANDLE_CWD, NULL }, { 3, (const uint8_t *)"a/b" }, { CANON_O_WRONLY | CANON_O_APPEND, NULL },
		{ 0644, NULL }, { 022, NULL }, { 0, NULL },
	};
	CHECK_EQ_INT(rpc_encode_request(&e, 7, RPC_OP_OPEN, open_args, 6), 0, "OPEN request encodes");
	CHECK_EQ_STR(enc_hex(&e), GOLD_OPEN, "OPEN request bytes");
	rpc_enc_reset(&e);
	struct rpc_val pread_args[] = { { 3, NULL }, { 8192, NULL }, { 4096, NULL } };
	CHECK_EQ_INT(rpc_encode_request(&e, 8, RPC_OP_PREAD, pread_args, 3), 0, "PREAD request encodes");
	CHECK_EQ_STR(enc_hex(&e), GOLD_PREAD, "PREAD request bytes");

	rpc_enc_reset(&e);
	struct rpc_val data = { 3, (const uint8_t *)"abc" };
	CHECK_EQ_INT(rpc_encode_reply(&e, 9, RPC_OP_READ, 3, &data, 1), 0, "READ reply encodes");
	CHECK_EQ_STR(enc_hex(&e), GOLD_READ_REPLY, "READ reply bytes");
	rpc_enc_reset(&e);
	CHECK_EQ_INT(rpc_encode_reply(&e, 10, RPC_OP_OPEN, -CANON_ENOENT, NULL, 0), 0, "error reply encodes");
	CHECK_EQ_STR(enc_hex(&e), GOLD_ERROR_REPLY, "error reply bytes (ENOENT)");
	CHECK_EQ_INT(rpc_encode_reply(&e, 10, RPC_OP_READ, -CANON_EIO, &data, 1), -EINVAL,
		     "an error reply with values is refused");

	/* Each canonical struct in a reply. */
	rpc_enc_reset(&e);
	rpc_frame_begin(&e, 11, RPC_OP_FSTAT);
	rpc_put_i64(&e, 0);
	rpc_put_stat(&e, &gold_stat);
	rpc_frame_end(&e);
	CHECK_EQ_STR(enc_hex(&e), GOLD_FSTAT_REPLY, "FSTAT reply bytes (canonical stat)");
	rpc_enc_reset(&e);
	rpc_frame_begin(&e, 12, RPC_OP_STATFS);
	rpc_put_i64(&e, 0);
	rpc_put_statfs(&e, &gold_statfs);
	rpc_frame_end(&e);
	CHECK_EQ_STR(enc_hex(&e), GOLD_STATFS_REPLY, "STATFS reply bytes (canonical statfs)");
	rpc_enc_reset(&e);
	rpc_frame_begin(&e, 13, RPC_OP_UNAME);
	rpc_put_i64(&e, 0);
	rpc_put_utsname(&e, &gold_uts);
	rpc_frame_end(&e);
	CHECK_EQ_STR(enc_hex(&e), GOLD_UNAME_REPLY, "UNAME reply bytes (canonical utsname)");
	rpc_enc_reset(&e);
	rpc_frame_begin(&e, 14, RPC_OP_GETDENTS);
	rpc_put_i64(&e, 2);
	rpc_put_i64(&e, 2);
	rpc_put_dirent(&e, 2, 1, CANON_DT_DIR, ".");
	rpc_put_dirent(&e, 131, 2, CANON_DT_REG, "a");
	rpc_frame_end(&e);
	CHECK_EQ_STR(enc_hex(&e), GOLD_GETDENTS_REPLY, "GETDENTS reply bytes (dirent list)");
	rpc_enc_reset(&e);
	struct rpc_val lock_args[] = { { 3, NULL }, { CANON_F_GETLK, NULL }, { CANON_F_WRLCK, NULL },
				       { CANON_SEEK_SET, NULL }, { 0, NULL }, { 100, NULL }, { 0, NULL } };
	CHECK_EQ_INT(rpc_encode_request(&e, 15, RPC_OP_LOCK, lock_args, 7), 0, "LOCK request encodes");
	CHECK_EQ_STR(enc_hex(&e), GOLD_LOCK, "LOCK request bytes (flock)");
	rpc_enc_reset(&e);
	rpc_frame_begin(&e, 15, RPC_OP_LOCK);
	rpc_put_i64(&e, 0);
	rpc_put_flock(&e, &gold_flock);
	rpc_frame_end(&e);
	CHECK_EQ_STR(enc_hex(&e), GOLD_LOCK_REPLY, "LOCK reply bytes (flock)");
	rpc_enc_reset(&e);
	rpc_frame_begin(&e, 16, RPC_OP_CLOCK_GETTIME);
	rpc_put_i64(&e, 0);
	rpc_put_timespec(&e, &gold_ts);
	rpc_frame_end(&e);
	CHECK_EQ_STR(enc_hex(&e), GOLD_CLOCK_REPLY, "CLOCK_GETTIME reply bytes (timespec)");

	/* COMPOUND: OPEN "f", then FSTAT and READ of its handle. */
	rpc_enc_reset(&e);
	struct rpc_val a0[] = { { RPC_HANDLE_CWD, NULL }, { 1, (const uint8_t *)"f" }, { 0, NULL }, { 0, NULL },
				{ 0, NULL }, { 0, NULL } };
	struct rpc_val a1[] = { { RPC_REF(0), NULL } };
	struct rpc_val a2[] = { { RPC_REF(0), NULL }, { 16, NULL } };
	struct rpc_call calls[] = { { RPC_OP_OPEN, 6, a0 }, { RPC_OP_FSTAT, 1, a1 }, { RPC_OP_READ, 2, a2 } };
	CHECK_EQ_INT(rpc_encode_compound(&e, 11, calls, 3), 0, "COMPOUND encodes");
	CHECK_EQ_STR(enc_hex(&e), GOLD_COMPOUND, "COMPOUND request bytes");
	rpc_enc_reset(&e);
	compound_reply_head(&e, 5, 3);
	rpc_put_i64(&e, RPC_OP_FSTAT);
	rpc_put_i64(&e, 0);
	rpc_put_stat(&e, &gold_stat);
	rpc_put_i64(&e, RPC_OP_READ);
	rpc_put_i64(&e, 5);
	rpc_put_bytes(&e, "hello", 5, RPC_MAX_BUF);
	rpc_frame_end(&e);
	CHECK_EQ_STR(enc_hex(&e), GOLD_COMPOUND_REPLY, "COMPOUND reply bytes");
	rpc_enc_reset(&e);
	compound_reply_head(&e, -CANON_EISDIR, 3);
	rpc_put_i64(&e, RPC_OP_FSTAT);
	rpc_put_i64(&e, 0);
	rpc_put_stat(&e, &gold_stat);
	rpc_put_i64(&e, RPC_OP_READ);
	rpc_put_i64(&e, -CANON_EISDIR);
	rpc_frame_end(&e);
	CHECK_EQ_STR(enc_hex(&e), GOLD_COMPOUND_STOPPED, "COMPOUND reply stopping at the third op");
	rpc_enc_free(&e);
}

static void golden_decodings(void)
{
	struct gold g;
	struct rpc_val v[64];
	size_t nv;
	int64_t result;

	gold_load(&g, GOLD_OPEN);
	CHECK_EQ_INT(g.f.tag, 7, "OPEN tag");
	CHECK_EQ_INT(g.f.op, RPC_OP_OPEN, "OPEN op");
	CHECK_EQ_INT(rpc_decode_args(&g.f, v, 64, &nv), 0, "OPEN arguments decode");
	CHECK(nv == 6 && v[0].i == RPC_HANDLE_CWD && v[1].i == 3 && memcmp(v[1].p, "a/b", 3) == 0 &&
	      v[2].i == (CANON_O_WRONLY | CANON_O_APPEND) && v[3].i == 0644 && v[4].i == 022 && v[5].i == 0,
	      "OPEN arguments: cwd, \"a/b\", WRONLY|APPEND, 0644, 022, 0");
	free(g.buf);

	gold_load(&g, GOLD_HELLO);
	struct rpc_hello h;
	CHECK_EQ_INT(rpc_decode_hello(&g.f, &h), 0, "HELLO decodes");
	CHECK(h.version == 2 && h.features == RPC_FEATURE_COMPOUND && strcmp(h.arch, "x86_64") == 0 && h.auth_len == 0,
	      "HELLO fields: version 2, COMPOUND, x86_64, no auth");
	int64_t ver = 0, feat = 0;
	CHECK(rpc_negotiate(&h, RPC_FEATURES, &ver, &feat) == 0 && ver == 2 && feat == RPC_FEATURE_COMPOUND,
	      "negotiated 2, COMPOUND");
	h.version = 7;
	h.features = -1;
	CHECK(rpc_negotiate(&h, RPC_FEATURES, &ver, &feat) == 0 && ver == 2 && feat == RPC_FEATURES,
	      "an agent offering version 7 and every feature gets 2 and ours");
	CHECK(rpc_negotiate(&h, RPC_FEATURE_COMPOUND, &ver, &feat) == 0 && ver == 2 && feat == RPC_FEATURE_COMPOUND,
	      "a shadow that offers no AUTH does not grant it");
	h.version = 1;
	CHECK(rpc_negotiate(&h, RPC_FEATURES, &ver, &feat) == 0 && ver == 1 && feat == RPC_FEATURE_COMPOUND,
	      "version 1 never has AUTH");
	h.version = 0;
	CHECK_EQ_INT(rpc_negotiate(&h, RPC_FEATURES, &ver, &feat), -EPROTONOSUPPORT, "version 0 is not negotiable");
	g.buf[8 + 16 + 7] ^= 1;   /* one bit of the magic */
	CHECK_EQ_INT(rpc_decode_hello(&g.f, &h), -EPROTO, "bad magic refused");
	free(g.buf);

	gold_load(&g, GOLD_HELLO_REPLY);
	CHECK(rpc_decode_reply(&g.f, &result, v, 64, &nv) == 0 && result == 0 && nv == 4 && v[0].i == 2 &&
	      v[1].i == 1 && v[2].i == 7 && memcmp(v[2].p, "aarch64", 7) == 0 && v[3].i == 0 && v[3].p,
	      "HELLO reply (version 2) decodes: version, features, arch, an empty auth field");
	free(g.buf);
	gold_load(&g, GOLD_HELLO_REPLY_V1);
	CHECK(rpc_decode_reply(&g.f, &result, v, 64, &nv) == 0 && result == 0 && nv == 3 && v[0].i == 1 &&
	      v[1].i == 1 && v[2].i == 7 && memcmp(v[2].p, "aarch64", 7) == 0, "HELLO reply (version 1) decodes");
	free(g.buf);
	gold_load(&g, GOLD_HELLO_REFUSED);
	CHECK(rpc_decode_reply(&g.f, &result, v, 64, &nv) == 0 && result == -CANON_EPROTONOSUPPORT && nv == 0,
	      "HELLO refusal decodes: result alone");
	free(g.buf);

	gold_load(&g, GOLD_READ_REPLY);
	CHECK(rpc_decode_reply(&g.f, &result, v, 64, &nv) == 0 && result == 3 && nv == 1 && v[0].i == 3 &&
	      memcmp(v[0].p, "abc", 3) == 0, "READ reply decodes: 3, \"abc\"");
	nv = 99;
	CHECK(rpc_decode_reply(&g.f, &result, NULL, SIZE_MAX, &nv) == 0 && nv == 1, "counting pass: one value");
	free(g.buf);
	gold_load(&g, GOLD_ERROR_REPLY);
	CHECK(rpc_decode_reply(&g.f, &result, v, 64, &nv) == 0 && result == -CANON_ENOENT && nv == 0,
	      "error reply decodes: -ENOENT, no values");
	free(g.buf);

	gold_load(&g, GOLD_FSTAT_REPLY);
	struct canon_stat st;
	CHECK(rpc_decode_reply(&g.f, &result, v, 64, &nv) == 0 && result == 0 && nv == RPC_STAT_FIELDS, "FSTAT reply decodes");
	rpc_vals_stat(v, &st);
	CHECK(memcmp(&st, &gold_stat, sizeof st) == 0, "FSTAT reply gives back every stat field");
	free(g.buf);
	gold_load(&g, GOLD_STATFS_REPLY);
	struct canon_statfs sf;
	CHECK(rpc_decode_reply(&g.f, &result, v, 64, &nv) == 0 && nv == RPC_STATFS_FIELDS, "STATFS reply decodes");
	rpc_vals_statfs(v, &sf);
	CHECK(memcmp(&sf, &gold_statfs, sizeof sf) == 0, "STATFS reply gives back every statfs field");
	free(g.buf);
	gold_load(&g, GOLD_UNAME_REPLY);
	struct canon_utsname u;
	memset(&u, 0x55, sizeof u);
	CHECK(rpc_decode_reply(&g.f, &result, v, 64, &nv) == 0 && nv == RPC_UTS_FIELDS, "UNAME reply decodes");
	rpc_vals_utsname(v, &u);
	CHECK(memcmp(&u, &gold_uts, sizeof u) == 0, "UNAME reply gives back every field, NUL-padded");
	free(g.buf);
	gold_load(&g, GOLD_GETDENTS_REPLY);
	CHECK(rpc_decode_reply(&g.f, &result, v, 64, &nv) == 0 && result == 2 && nv == 9, "GETDENTS reply decodes");
	CHECK(v[0].i == 2 && v[1].i == 2 && v[2].i == 1 && v[3].i == CANON_DT_DIR && v[4].i == 1 && v[4].p[0] == '.' &&
	      v[5].i == 131 && v[6].i == 2 && v[7].i == CANON_DT_REG && v[8].i == 1 && v[8].p[0] == 'a',
	      "GETDENTS entries: (2, 1, DIR, \".\"), (131, 2, REG, \"a\")");
	free(g.buf);
	gold_load(&g, GOLD_LOCK);
	struct canon_flock fl;
	CHECK(rpc_decode_args(&g.f, v, 64, &nv) == 0 && nv == 2 + RPC_FLOCK_FIELDS && v[0].i == 3 &&
	      v[1].i == CANON_F_GETLK, "LOCK request decodes");
	rpc_vals_flock(v + 2, &fl);
	CHECK(fl.type == CANON_F_WRLCK && fl.whence == CANON_SEEK_SET && fl.start == 0 && fl.len == 100 && fl.pid == 0,
	      "LOCK request flock");
	free(g.buf);
	gold_load(&g, GOLD_LOCK_REPLY);
	CHECK(rpc_decode_reply(&g.f, &result, v, 64, &nv) == 0 && nv == RPC_FLOCK_FIELDS, "LOCK reply decodes");
	rpc_vals_flock(v, &fl);
	CHECK(memcmp(&fl, &gold_flock, sizeof fl) == 0, "LOCK reply gives back the flock");
	free(g.buf);
	gold_load(&g, GOLD_CLOCK_REPLY);
	struct canon_timespec ts;
	CHECK(rpc_decode_reply(&g.f, &result, v, 64, &nv) == 0 && nv == 2, "CLOCK_GETTIME reply decodes");
	rpc_vals_timespec(v, &ts);
	CHECK(ts.sec == gold_ts.sec && ts.nsec == gold_ts.nsec, "CLOCK_GETTIME reply gives back the timespec");
	free(g.buf);

	gold_load(&g, GOLD_COMPOUND);
	struct rpc_call calls[RPC_MAX_COMPOUND];
	size_t nc = 0;
	CHECK_EQ_INT(rpc_decode_compound(&g.f, calls, &nc, v, 64), 0, "COMPOUND request decodes");
	CHECK(nc == 3 && calls[0].op == RPC_OP_OPEN && calls[0].nvals == 6 && calls[1].op == RPC_OP_FSTAT &&
	      calls[1].nvals == 1 && RPC_IS_REF(calls[1].vals[0].i) && calls[2].op == RPC_OP_READ &&
	      calls[2].vals[0].i == RPC_REF(0) && calls[2].vals[1].i == 16, "COMPOUND ops: OPEN, FSTAT(REF0), READ(REF0, 16)");
	CHECK_EQ_INT(rpc_decode_args(&g.f, v, 64, &nv), -ENOSYS, "a COMPOUND is not a plain request");
	free(g.buf);
	gold_load(&g, GOLD_COMPOUND_REPLY);
	CHECK(rpc_decode_reply(&g.f, &result, v, 64, &nv) == 0 && result == 5 && nv == 2 + 2 + RPC_STAT_FIELDS + 3,
	      "COMPOUND reply decodes (%zu values)", nv);
	rpc_vals_stat(v + 4, &st);
	CHECK(v[0].i == RPC_OP_OPEN && v[1].i == 4 && v[2].i == RPC_OP_FSTAT && v[3].i == 0 &&
	      memcmp(&st, &gold_stat, sizeof st) == 0 && v[25].i == RPC_OP_READ && v[26].i == 5 &&
	      v[27].i == 5 && memcmp(v[27].p, "hello", 5) == 0, "COMPOUND reply: handle 4, the stat, \"hello\"");
	free(g.buf);
	gold_load(&g, GOLD_COMPOUND_STOPPED);
	CHECK(rpc_decode_reply(&g.f, &result, v, 64, &nv) == 0 && result == -CANON_EISDIR &&
	      nv == 2 + 2 + RPC_STAT_FIELDS + 2 && v[26].i == -CANON_EISDIR, "stopped COMPOUND reply decodes");
	free(g.buf);
	gold_load(&g, GOLD_COMPOUND_FAILED_FIRST);
	CHECK(rpc_decode_reply(&g.f, &result, v, 64, &nv) == 0 && result == -CANON_ENOENT && nv == 2 &&
	      v[0].i == RPC_OP_OPEN && v[1].i == -CANON_ENOENT, "COMPOUND failing at its first op decodes");
	free(g.buf);
}

/* Patches the 8-byte value at byte offset at (from the length field) of a
 * golden frame and returns what the decoder makes of the result. */
static int with_patch(const char *gold, size_t at, int64_t value, int as_reply)
{
	struct gold g;
	struct rpc_val v[256];
	size_t nv;
	int64_t result;
	gold_load(&g, gold);
	for (int k = 7; k >= 0; k--, value = (int64_t)((uint64_t)value >> 8))
		g.buf[at + (size_t)k] = (uint8_t)value;
	int rc = as_reply ? rpc_decode_reply(&g.f, &result, v, 256, &nv) : rpc_decode_args(&g.f, v, 256, &nv);
	free(g.buf);
	return rc;
}

static void refusals(void)
{
	struct gold g;
	struct rpc_val v[16];
	size_t nv;
	int64_t result;

	/* Every truncation of a request or a reply is refused, never read past. */
	const char *cut_these[] = { GOLD_OPEN, GOLD_FSTAT_REPLY, GOLD_GETDENTS_REPLY, GOLD_COMPOUND_REPLY };
	for (int t = 0; t < 4; t++) {
		gold_load(&g, cut_these[t]);
		int all_refused = 1;
		for (size_t cut = 16; cut < g.len - 8; cut++) {
			uint8_t *copy = malloc(cut);
			struct rpc_frame f;
			struct rpc_val many[64];
			memcpy(copy, g.buf + 8, cut);
			int rc = rpc_frame_parse(copy, cut, &f);
			if (!rc)
				rc = t == 0 ? rpc_decode_args(&f, many, 64, &nv) : rpc_decode_reply(&f, &result, many, 64, &nv);
			if (rc == 0) {
				all_refused = 0;
				printf("#   a frame cut to %zu bytes decoded\n", cut);
			}
			free(copy);
		}
		CHECK(all_refused, "every truncation of golden frame %d is refused", t);
		free(g.buf);
	}
	CHECK_EQ_INT(rpc_frame_parse("0123456789abcde", 15, &(struct rpc_frame){ 0 }), -EPROTO, "a frame under 16 bytes");

	/* A trailing byte. */
	uint8_t longer[512];
	gold_load(&g, GOLD_OPEN);
	memcpy(longer, g.buf, g.len);
	longer[g.len] = 0;
	struct rpc_frame f;
	CHECK_EQ_INT(rpc_frame_parse(longer + 8, g.len - 7, &f), 0, "frame with a trailing byte parses");
	CHECK_EQ_INT(rpc_decode_args(&f, v, 16, &nv), -EPROTO, "trailing byte in a request refused");
	free(g.buf);
	gold_load(&g, GOLD_NULL_REPLY);
	memcpy(longer, g.buf, g.len);
	longer[g.len] = 0;
	rpc_frame_parse(longer + 8, g.len - 7, &f);
	CHECK_EQ_INT(rpc_decode_reply(&f, &result, v, 16, &nv), -EPROTO, "trailing byte in a reply refused");
	free(g.buf);

	/* Strings: over the bound, negative, a NUL inside. OPEN's path length
	 * is at byte 32, its first byte at 40. */
	CHECK_EQ_INT(with_patch(GOLD_OPEN, 32, RPC_MAX_PATH + 1, 0), -E2BIG, "path of 4097 bytes refused (E2BIG)");
	CHECK_EQ_INT(with_patch(GOLD_OPEN, 32, -1, 0), -EPROTO, "negative string length refused");
	CHECK_EQ_INT(with_patch(GOLD_OPEN, 32, INT64_MAX, 0), -E2BIG, "huge string length refused");
	gold_load(&g, GOLD_OPEN);
	g.buf[41] = 0;
	CHECK_EQ_INT(rpc_decode_args(&g.f, v, 16, &nv), -EPROTO, "NUL inside a path refused");
	free(g.buf);
	/* HELLO's arch (length at 48) and auth (after the 6 arch bytes). */
	gold_load(&g, GOLD_HELLO);
	struct rpc_hello h;
	g.buf[55] = RPC_MAX_ARCH + 1;
	CHECK_EQ_INT(rpc_decode_hello(&g.f, &h), -E2BIG, "HELLO arch of 32 bytes refused");
	free(g.buf);
	gold_load(&g, GOLD_HELLO);
	g.buf[62] = 0x01;
	g.buf[63] = 0x01;   /* auth length 257 */
	CHECK_EQ_INT(rpc_decode_hello(&g.f, &h), -E2BIG, "HELLO auth of 257 bytes refused");
	free(g.buf);
	/* Dirent name over RPC_MAX_NAME (the second entry's name length is at
	 * 97, its byte at 105), and a NUL as a name. */
	CHECK_EQ_INT(with_patch(GOLD_GETDENTS_REPLY, 97, RPC_MAX_NAME + 1, 1), -E2BIG, "dirent name of 256 bytes refused");
	gold_load(&g, GOLD_GETDENTS_REPLY);
	g.buf[105] = 0;
	CHECK_EQ_INT(rpc_decode_reply(&g.f, &result, v, 16, &nv), -EPROTO, "NUL as a dirent name refused");
	free(g.buf);
	/* List counts: GETDENTS count (at 32) over RPC_MAX_DIRENTS, negative. */
	CHECK_EQ_INT(with_patch(GOLD_GETDENTS_REPLY, 32, RPC_MAX_DIRENTS + 1, 1), -E2BIG, "1025 dirents refused");
	CHECK_EQ_INT(with_patch(GOLD_GETDENTS_REPLY, 32, -1, 1), -EPROTO, "negative list count refused");
	CHECK_EQ_INT(with_patch(GOLD_GETDENTS_REPLY, 32, 3, 1), -EPROTO, "a count above the entries present refused");

	/* Encoder bounds for lists. */
	struct rpc_enc e;
	rpc_enc_init(&e);
	struct rpc_val readv[2 + RPC_MAX_IOV + 1];
	readv[0] = (struct rpc_val){ 3, NULL };
	readv[1] = (struct rpc_val){ RPC_MAX_IOV + 1, NULL };
	for (int k = 0; k <= RPC_MAX_IOV; k++)
		readv[2 + k] = (struct rpc_val){ 1, NULL };
	CHECK_EQ_INT(rpc_encode_request(&e, 1, RPC_OP_READV, readv, 2 + RPC_MAX_IOV + 1), -E2BIG, "READV of 65 refused");
	readv[1].i = RPC_MAX_IOV;
	CHECK_EQ_INT(rpc_encode_request(&e, 1, RPC_OP_READV, readv, 2 + RPC_MAX_IOV), 0, "READV of 64 accepted");
	rpc_frame_parse(e.data + 8, e.len - 8, &f);
	struct rpc_val many[128];
	CHECK(rpc_decode_args(&f, many, 128, &nv) == 0 && nv == 2 + RPC_MAX_IOV, "READV of 64 decodes");
	uint8_t *b = (uint8_t *)e.data;
	b[8 + 16 + 8 + 7] = RPC_MAX_IOV + 1;   /* claim 65 on the wire */
	CHECK_EQ_INT(rpc_decode_args(&f, many, 128, &nv), -E2BIG, "READV list of 65 on the wire refused");
	CHECK_EQ_INT(rpc_decode_args(&f, many, 10, &nv), -E2BIG, "more values than the table holds refused");
	rpc_enc_reset(&e);
	struct rpc_val nul_path[] = { { RPC_HANDLE_CWD, NULL }, { 3, (const uint8_t *)"a\0b" } };
	CHECK_EQ_INT(rpc_encode_request(&e, 1, RPC_OP_CHDIR, nul_path, 2), -EINVAL, "encoder refuses a NUL in a path");
	CHECK_EQ_INT(e.len, 0, "nothing left behind by a refused request");
	struct rpc_val nul_buf[] = { { 3, NULL }, { 3, (const uint8_t *)"a\0b" } };
	CHECK_EQ_INT(rpc_encode_request(&e, 1, RPC_OP_WRITE, nul_buf, 2), 0, "a NUL in a buffer is data");
	rpc_enc_free(&e);

	/* Ops. */
	gold_load(&g, GOLD_OPEN);
	g.f.op = 0x7f;
	CHECK_EQ_INT(rpc_decode_args(&g.f, v, 16, &nv), -ENOSYS, "unknown op in a request: ENOSYS (answered, not fatal)");
	CHECK_EQ_INT(rpc_decode_reply(&g.f, &result, v, 16, &nv), -EPROTO, "unknown op in a reply: malformed");
	g.f.op = RPC_OP_HELLO;
	CHECK_EQ_INT(rpc_decode_args(&g.f, v, 16, &nv), -ENOSYS, "HELLO is no plain request");
	free(g.buf);

	/* COMPOUND requests: count 0 and 33, an unknown op or a HELLO inside. */
	struct rpc_call calls[RPC_MAX_COMPOUND];
	size_t nc;
	struct rpc_val cv[64];
	const struct { size_t at; int64_t value; const char *what; } bad[] = {
		{ 24, 0, "0 ops" }, { 24, 33, "33 ops" }, { 24, -1, "a negative count" }, { 24, 4, "a count above the ops present" },
		{ 32, 0x63, "an unknown op" }, { 32, RPC_OP_HELLO, "a HELLO" }, { 32, RPC_OP_COMPOUND, "a COMPOUND" },
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		gold_load(&g, GOLD_COMPOUND);
		int64_t val = bad[k].value;
		for (int i = 7; i >= 0; i--, val = (int64_t)((uint64_t)val >> 8))
			g.buf[bad[k].at + (size_t)i] = (uint8_t)val;
		CHECK_EQ_INT(rpc_decode_compound(&g.f, calls, &nc, cv, 64), -EPROTO, "COMPOUND with %s refused", bad[k].what);
		free(g.buf);
	}
	/* COMPOUND replies the spec does not allow. Offsets: result 24,
	 * count 32, first op's result 48. */
	CHECK_EQ_INT(with_patch(GOLD_COMPOUND_REPLY, 24, 4, 1), -EPROTO, "COMPOUND reply whose result is not the last op's");
	CHECK_EQ_INT(with_patch(GOLD_COMPOUND_REPLY, 32, 0, 1), -EPROTO, "COMPOUND reply with 0 ops");
	CHECK_EQ_INT(with_patch(GOLD_COMPOUND_REPLY, 32, 33, 1), -EPROTO, "COMPOUND reply with 33 ops");
	CHECK_EQ_INT(with_patch(GOLD_COMPOUND_STOPPED, 48, -CANON_EIO, 1), -EPROTO,
		     "COMPOUND reply going on after a failed op");
	CHECK_EQ_INT(with_patch(GOLD_COMPOUND_FAILED_FIRST, 40, RPC_OP_COMPOUND, 1), -EPROTO,
		     "COMPOUND reply containing a COMPOUND");

	/* Frame lengths. */
	CHECK_EQ_INT(rpc_frame_len_ok((int64_t)RPC_MAX_FRAME + 1), -E2BIG, "frame over RPC_MAX_FRAME refused");
	CHECK_EQ_INT(rpc_frame_len_ok((int64_t)RPC_MAX_FRAME), 0, "frame of RPC_MAX_FRAME accepted");
	CHECK_EQ_INT(rpc_frame_len_ok(-1), -EPROTO, "negative frame length refused");
	CHECK_EQ_INT(rpc_frame_len_ok(INT64_MIN), -EPROTO, "INT64_MIN frame length refused");
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
	CHECK_EQ_INT(rpc_encode_compound(&e, 1, calls, 0), -EINVAL, "0-op compound refused");
	CHECK_EQ_INT(rpc_encode_compound(&e, 1, calls, RPC_MAX_COMPOUND), 0, "32-op compound accepted");
	rpc_enc_reset(&e);
	char *big = malloc(RPC_MAX_BUF + 1);
	memset(big, 'x', RPC_MAX_BUF + 1);
	struct rpc_val w[] = { { 0, NULL }, { RPC_MAX_BUF + 1, (const uint8_t *)big } };
	CHECK_EQ_INT(rpc_encode_request(&e, 1, RPC_OP_WRITE, w, 2), -E2BIG, "buffer over RPC_MAX_BUF refused");
	w[1].i = RPC_MAX_BUF;
	CHECK_EQ_INT(rpc_encode_request(&e, 1, RPC_OP_WRITE, w, 2), 0, "buffer of RPC_MAX_BUF accepted");
	rpc_enc_reset(&e);
	/* Two 1 MiB buffers do not fit in one frame. */
	struct rpc_val wv[] = { { 0, NULL }, { 2, NULL }, { RPC_MAX_BUF, (const uint8_t *)big }, { RPC_MAX_BUF, (const uint8_t *)big } };
	CHECK_EQ_INT(rpc_encode_request(&e, 1, RPC_OP_WRITEV, wv, 4), -E2BIG, "a request over RPC_MAX_FRAME refused");
	CHECK_EQ_INT(e.len, 0, "nothing left behind by an oversized request");
	CHECK_EQ_INT(rpc_encode_request(&e, 1, RPC_OP_OPEN, w, 2), -EINVAL, "wrong value count refused");
	CHECK_EQ_INT(e.len, 0, "nothing left behind by a refused request");
	free(big);
	rpc_enc_free(&e);
	/* A buffer filled in place is the same bytes as one put whole. */
	struct rpc_enc whole, inplace;
	rpc_enc_init(&whole);
	rpc_enc_init(&inplace);
	rpc_put_i64(&whole, 7);
	rpc_put_bytes(&whole, "abc", 3, RPC_MAX_BUF);
	rpc_put_i64(&inplace, 7);
	uint8_t *room = rpc_put_buf_begin(&inplace, 4096);
	CHECK(room != NULL, "room for a buffer filled in place");
	if (room) {
		memcpy(room, "abc", 3);
		rpc_put_buf_end(&inplace, room, 3);
	}
	CHECK(inplace.len == whole.len && memcmp(inplace.data, whole.data, whole.len) == 0,
	      "buffer filled in place: same bytes as rpc_put_bytes");
	CHECK(rpc_put_buf_begin(&inplace, RPC_MAX_BUF + 1) == NULL && inplace.error == -E2BIG,
	      "room over RPC_MAX_BUF refused");
	rpc_enc_free(&whole);
	rpc_enc_free(&inplace);
	CHECK_EQ_STR(rpc_op_name(RPC_OP_STATX), "STATX", "op names");
	CHECK_EQ_STR(rpc_op_name(0), "?", "no op 0");
	CHECK(RPC_IS_REF(RPC_REF(31)) && !RPC_IS_REF(RPC_REF(32)) && !RPC_IS_REF(-1), "reference range");
	/* The op numbers are part of the wire. */
	CHECK(RPC_OP_HELLO == 1 && RPC_OP_NULL == 2 && RPC_OP_OPEN == 3 && RPC_OP_GETDENTS == 17 &&
	      RPC_OP_STATFS == 31 && RPC_OP_LOCK == 33 && RPC_OP_CLOCK_GETTIME == 43 && RPC_OP_COMPOUND == 44 &&
	      RPC_OP_FLOCK == 45 && RPC_OP_AUTH == 46 && RPC_OP_MAX == 47, "op numbers");
}

/* The worked examples of docs/wire-format.md are these vectors. */
static void spec_examples(void)
{
	const char *doc = doc_read("wire-format.md");
	CHECK(doc != NULL, "docs/wire-format.md found");
	if (!doc)
		return;
	static const struct { const char *name, *hex; } ex[] = {
#define EX(n) { #n, GOLD_##n }
		EX(HELLO), EX(HELLO_REPLY), EX(HELLO_REPLY_V1), EX(HELLO_REFUSED), EX(NULL), EX(NULL_REPLY), EX(OPEN),
		EX(PREAD), EX(READ_REPLY), EX(ERROR_REPLY), EX(FSTAT_REPLY), EX(STATFS_REPLY), EX(UNAME_REPLY),
		EX(GETDENTS_REPLY), EX(LOCK), EX(LOCK_REPLY), EX(CLOCK_REPLY), EX(COMPOUND), EX(COMPOUND_REPLY),
		EX(COMPOUND_STOPPED), EX(COMPOUND_FAILED_FIRST),
#undef EX
	};
	for (size_t k = 0; k < sizeof ex / sizeof ex[0]; k++) {
		char *block = doc_golden(doc, ex[k].name);
		CHECK_EQ_STR(block, ex[k].hex, "docs/wire-format.md example %s is the golden vector", ex[k].name);
		free(block);
	}
}

int main(void)
{
	golden_encodings();
	golden_decodings();
	refusals();
	bounds();
	spec_examples();
	return check_done();
}
