/* rpc/wire.h: the splitrun wire format (docs/wire-format.md is the spec).
 * Owns the encoder and decoder of 64-bit big-endian integers, bounded
 * strings and buffers, frames (length, tag, op, body), the per-op argument
 * and result signatures, the handshake and COMPOUND. No I/O happens here. */
#ifndef SPLITRUN_RPC_WIRE_H
#define SPLITRUN_RPC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define RPC_MAGIC        INT64_C(0x53504c4954525043)   /* "SPLITRPC" */
#define RPC_VERSION      2            /* the highest version spoken */
#define RPC_VERSION_MIN  1            /* the lowest */
/* Hard bounds; docs/wire-format.md gives the reason for each. */
#define RPC_MAX_FRAME    (1u << 21)   /* bytes after the length field */
#define RPC_MAX_BUF      (1u << 20)   /* one data buffer */
#define RPC_MAX_PATH     4096         /* a path string, bytes, no NUL */
#define RPC_MAX_NAME     255          /* a directory entry name, a host name */
#define RPC_MAX_ARCH     31           /* the architecture name in HELLO */
#define RPC_MAX_AUTH     256          /* bytes of the handshake auth field */
#define RPC_MAX_UTS      64           /* one utsname field */
#define RPC_MAX_IOV      64           /* elements of a readv/writev list */
#define RPC_MAX_COMPOUND 32           /* ops in one COMPOUND */
#define RPC_MAX_DIRENTS  1024         /* entries in one GETDENTS reply */
#define RPC_MAX_GROUPS   256          /* supplementary groups in IDS */
#define RPC_MAX_VALS     8192         /* decoded values in one request */

#define RPC_HANDLE_CWD   INT64_C(-100) /* "the session's cwd" as a dir handle */
/* Inside a COMPOUND an integer argument RPC_REF(k) stands for the result of
 * the k-th op (0-based) of the same COMPOUND. */
#define RPC_REF_BASE     INT64_MIN
#define RPC_REF(k)       (RPC_REF_BASE + (int64_t)(k))
#define RPC_IS_REF(v)    ((v) >= RPC_REF_BASE && (v) < RPC_REF_BASE + RPC_MAX_COMPOUND)

/* X(name, number, argument signature, result signature)
 * Signature letters (docs/wire-format.md, "Signatures"):
 *   i int64
 *   s path string (<= RPC_MAX_PATH), n name string (<= RPC_MAX_NAME),
 *   a architecture name (<= RPC_MAX_ARCH); strings hold no NUL byte
 *   b buffer (<= RPC_MAX_BUF), A auth bytes (<= RPC_MAX_AUTH); any bytes
 *   L list of int64 lengths (count <= RPC_MAX_IOV, then the values)
 *   G list of int64 group ids (count <= RPC_MAX_GROUPS, then the values)
 *   B list of buffers (count <= RPC_MAX_IOV, then the buffers)
 *   D dirent list (count <= RPC_MAX_DIRENTS, then ino, off, type, name each)
 *   S canonical stat (21 ints), F canonical statfs (12 ints),
 *   U canonical utsname (6 strings <= RPC_MAX_UTS), K flock (5 ints),
 *   T timespec (2 ints)
 * The result integer always comes first and is not in the result signature;
 * the result values follow only when it is >= 0. */
#define RPC_OPS(X) \
	X(HELLO,      1, "iiiaA",  "iia") \
	X(NULL,       2, "",       "") \
	X(OPEN,       3, "isiiii", "") \
	X(CLOSE,      4, "i",      "") \
	X(READ,       5, "ii",     "b") \
	X(PREAD,      6, "iii",    "b") \
	X(READV,      7, "iL",     "b") \
	X(WRITE,      8, "ib",     "") \
	X(PWRITE,     9, "ibi",    "") \
	X(WRITEV,    10, "iB",     "") \
	X(LSEEK,     11, "iii",    "") \
	X(FSTAT,     12, "i",      "S") \
	X(FSTATAT,   13, "isi",    "S") \
	X(STATX,     14, "isii",   "S") \
	X(FACCESSAT, 15, "isii",   "") \
	X(READLINK,  16, "isi",    "b") \
	X(GETDENTS,  17, "ii",     "D") \
	X(MKDIR,     18, "isii",   "") \
	X(UNLINK,    19, "isi",    "") \
	X(RENAME,    20, "isisi",  "") \
	X(LINK,      21, "isisi",  "") \
	X(SYMLINK,   22, "sis",    "") \
	X(CHMOD,     23, "isii",   "") \
	X(FCHMOD,    24, "ii",     "") \
	X(CHOWN,     25, "isiii",  "") \
	X(FCHOWN,    26, "iii",    "") \
	X(TRUNCATE,  27, "isi",    "") \
	X(FTRUNCATE, 28, "ii",     "") \
	X(FSYNC,     29, "ii",     "") \
	X(UTIMENS,   30, "isTTi",  "") \
	X(STATFS,    31, "is",     "F") \
	X(FSTATFS,   32, "i",      "F") \
	X(LOCK,      33, "iiK",    "K") \
	X(FALLOCATE, 34, "iiii",   "") \
	X(COPY_RANGE,35, "iiiiii", "") \
	X(CHDIR,     36, "is",     "") \
	X(FCHDIR,    37, "i",      "") \
	X(GETCWD,    38, "",       "s") \
	X(DUP,       39, "i",      "") \
	X(UNAME,     40, "",       "U") \
	X(GETHOSTNAME,41, "",      "n") \
	X(IDS,       42, "",       "iiiiG") \
	X(CLOCK_GETTIME,43, "i",   "T") \
	X(COMPOUND,  44, "",       "") \
	X(FLOCK,     45, "ii",     "") \
	X(AUTH,      46, "AA",     "A")

enum rpc_op {
#define RPC_OP_ENUM(name, num, args, res) RPC_OP_##name = num,
	RPC_OPS(RPC_OP_ENUM)
#undef RPC_OP_ENUM
	RPC_OP_MAX
};

#define RPC_STAT_FIELDS   21
#define RPC_STATFS_FIELDS 12
#define RPC_UTS_FIELDS    6
#define RPC_FLOCK_FIELDS  5

const char *rpc_op_name(int64_t op);
const char *rpc_op_args(int64_t op);    /* NULL for an unknown op */
const char *rpc_op_result(int64_t op);

/* Encoder: appends to a growable buffer. Errors are sticky: after a failure
 * every append is a no-op and e->error says why (-ENOMEM; -E2BIG for a
 * frame, string or list over its bound; -EINVAL for a NUL in a string). */
struct rpc_enc {
	uint8_t *data;
	size_t len, cap;
	int error;
	size_t frame_start;
};

void rpc_enc_init(struct rpc_enc *e);
void rpc_enc_free(struct rpc_enc *e);
void rpc_enc_reset(struct rpc_enc *e);
void rpc_put_i64(struct rpc_enc *e, int64_t v);
/* Length-prefixed bytes of at most bound bytes (buffers: any bytes). */
void rpc_put_bytes(struct rpc_enc *e, const void *p, size_t n, size_t bound);
/* A string: at most bound bytes; NUL-terminated here, no NUL on the wire. */
void rpc_put_str(struct rpc_enc *e, const char *s, size_t bound);
/* A buffer filled in place (read(2) straight into the message): begin
 * writes the length field and returns room for up to max <= RPC_MAX_BUF
 * bytes (NULL after an error); end, with nothing appended in between, sets
 * the length to n <= max and gives back the rest. */
uint8_t *rpc_put_buf_begin(struct rpc_enc *e, size_t max);
void rpc_put_buf_end(struct rpc_enc *e, uint8_t *p, size_t n);
/* Appends bytes already in wire form; overwrites an int64 written earlier. */
void rpc_put_raw(struct rpc_enc *e, const void *p, size_t n);
void rpc_patch_i64(struct rpc_enc *e, size_t at, int64_t v);
/* Starts a frame (writes a placeholder length, the tag and the op); end
 * patches the length. A frame over RPC_MAX_FRAME sets -E2BIG. */
void rpc_frame_begin(struct rpc_enc *e, int64_t tag, int64_t op);
void rpc_frame_end(struct rpc_enc *e);

/* A decoded value points into the frame it came from (no copy). */
struct rpc_val {
	int64_t i;            /* integer value, or the byte length */
	const uint8_t *p;     /* bytes of a string or buffer; NULL for integers */
};

struct rpc_dec {
	const uint8_t *p;
	size_t len, pos;
	int error;            /* sticky -EPROTO / -E2BIG */
};

void rpc_dec_init(struct rpc_dec *d, const void *p, size_t len);
int64_t rpc_get_i64(struct rpc_dec *d);
/* A length-prefixed byte string of at most bound bytes. */
struct rpc_val rpc_get_bytes(struct rpc_dec *d, size_t bound);

/* Reads the values of one signature into vals (appending at *n, at most
 * max). With vals NULL it only counts them (*n), to size an array. Lists
 * flatten to their count, then their elements. Returns 0 or a negative
 * errno (-EPROTO malformed, -E2BIG over a bound or over max). */
int rpc_get_sig(struct rpc_dec *d, const char *sig, struct rpc_val *vals, size_t *n, size_t max);
/* Writes values of one signature (the same flattening rpc_get_sig reads).
 * Returns 0, -EINVAL (wrong count, NUL in a string), -E2BIG or -ENOMEM. */
int rpc_put_sig(struct rpc_enc *e, const char *sig, const struct rpc_val *vals, size_t n);

/* A frame header as read from a full frame (without its length field). */
struct rpc_frame {
	int64_t tag, op;
	const uint8_t *body;
	size_t body_len;
};
/* Splits a frame body; buf/len exclude the 8-byte length. */
int rpc_frame_parse(const void *buf, size_t len, struct rpc_frame *f);
/* Checks a length field read off the wire. Returns 0 or -E2BIG/-EPROTO. */
int rpc_frame_len_ok(int64_t len);

/* One op of a request (a plain request or one element of a COMPOUND). */
struct rpc_call {
	int64_t op;
	size_t nvals;
	struct rpc_val *vals;
};

/* Encodes a whole request frame / a COMPOUND frame. Return 0 or -errno;
 * on failure nothing is left in e. */
int rpc_encode_request(struct rpc_enc *e, int64_t tag, int64_t op, const struct rpc_val *args, size_t n);
int rpc_encode_compound(struct rpc_enc *e, int64_t tag, const struct rpc_call *calls, size_t n);

/* Decodes a request body for op (not COMPOUND, not HELLO: -ENOSYS for
 * those and for an unknown op). vals must hold max entries. */
int rpc_decode_args(const struct rpc_frame *f, struct rpc_val *vals, size_t max, size_t *n);
/* Decodes a COMPOUND request into calls (RPC_MAX_COMPOUND entries) whose
 * vals point into vals (max entries). -EPROTO for a count outside
 * 1..RPC_MAX_COMPOUND, an unknown op, a HELLO or COMPOUND inside, trailing
 * bytes; -E2BIG over a bound. */
int rpc_decode_compound(const struct rpc_frame *f, struct rpc_call *calls, size_t *ncalls, struct rpc_val *vals,
			size_t max);

/* Encodes the reply to a plain request: the result, then (result >= 0
 * only) the values of op's result signature. Returns 0 or -errno. */
int rpc_encode_reply(struct rpc_enc *e, int64_t tag, int64_t op, int64_t result, const struct rpc_val *vals, size_t n);

/* Decodes a reply frame: *result, then its values into vals (NULL: count
 * only). For a COMPOUND the values are, per executed op: the op number, its
 * result, then its result values; the reply is checked to be one the spec
 * allows (1..RPC_MAX_COMPOUND ops, only the last may fail, and the overall
 * result is the last op's). Returns 0, -EPROTO or -E2BIG. */
int rpc_decode_reply(const struct rpc_frame *f, int64_t *result, struct rpc_val *vals, size_t max, size_t *n);

/* Canonical structs in replies (rpc/canon.h), field by field in the order
 * of docs/wire-format.md; rpc_vals_* read them back from decoded values
 * (RPC_STAT_FIELDS values for a stat, and so on). */
struct canon_stat;
struct canon_statfs;
struct canon_utsname;
struct canon_flock;
struct canon_timespec;
void rpc_put_stat(struct rpc_enc *e, const struct canon_stat *st);
void rpc_put_statfs(struct rpc_enc *e, const struct canon_statfs *sf);
void rpc_put_utsname(struct rpc_enc *e, const struct canon_utsname *u);
void rpc_put_flock(struct rpc_enc *e, const struct canon_flock *fl);
void rpc_put_timespec(struct rpc_enc *e, const struct canon_timespec *ts);
/* One entry of a D list (the count comes first; see rpc_patch_i64). */
void rpc_put_dirent(struct rpc_enc *e, int64_t ino, int64_t off, int64_t canon_type, const char *name);
void rpc_vals_stat(const struct rpc_val *v, struct canon_stat *st);
void rpc_vals_statfs(const struct rpc_val *v, struct canon_statfs *sf);
void rpc_vals_utsname(const struct rpc_val *v, struct canon_utsname *u);
void rpc_vals_flock(const struct rpc_val *v, struct canon_flock *fl);
void rpc_vals_timespec(const struct rpc_val *v, struct canon_timespec *ts);

/* The handshake (docs/wire-format.md, "Handshake" and "Authentication"). */
struct rpc_hello {
	int64_t magic, version, features;
	char arch[RPC_MAX_ARCH + 1];
	size_t auth_len;
	uint8_t auth[RPC_MAX_AUTH];
};
#define RPC_FEATURE_COMPOUND INT64_C(1)
#define RPC_FEATURE_AUTH     INT64_C(2)   /* version 2: shared-key authentication, sealed frames */
#define RPC_FEATURES         (RPC_FEATURE_COMPOUND | RPC_FEATURE_AUTH)

/* The agent's HELLO (tag 0; version RPC_VERSION, an empty auth field). */
void rpc_encode_hello(struct rpc_enc *e, const char *arch, int64_t features);
/* The same with an auth field of n <= RPC_MAX_AUTH bytes. */
void rpc_encode_hello_auth(struct rpc_enc *e, const char *arch, int64_t features, const void *auth, size_t n);
/* Decodes a HELLO request; -EPROTO when malformed or the magic is wrong. */
int rpc_decode_hello(const struct rpc_frame *f, struct rpc_hello *h);
/* The shadow's side of the negotiation: the version and features the
 * session will use (the agent's features that are also in offered), or
 * -EPROTONOSUPPORT when no version is common. */
int rpc_negotiate(const struct rpc_hello *h, int64_t offered, int64_t *version, int64_t *features);
/* The shadow's HELLO reply: result 0 with version, features and arch (and
 * from version 2 on an auth field, here empty), or result -canonical
 * errno alone. */
void rpc_encode_hello_reply(struct rpc_enc *e, int64_t result, int64_t version, int64_t features, const char *arch);
/* A version 2 reply with an auth field of n <= RPC_MAX_AUTH bytes. */
void rpc_encode_hello_reply_auth(struct rpc_enc *e, int64_t version, int64_t features, const char *arch,
				 const void *auth, size_t n);
/* The host's architecture name ("x86_64", "aarch64"). */
const char *rpc_host_arch(void);

/* Hex dump of bytes (lowercase, no separators) into out (2n+1 bytes). */
void rpc_hex(const void *p, size_t n, char *out);

#endif
