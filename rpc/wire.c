/* rpc/wire.c: encoder, decoder and signatures of the wire format. */
#include "rpc/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name, *args, *result;
} op_table[] = {
#define RPC_OP_ROW(n, num, a, r) [num] = { #n, a, r },
	RPC_OPS(RPC_OP_ROW)
#undef RPC_OP_ROW
};

const char *rpc_op_name(int64_t op)
{
	if (op <= 0 || op >= RPC_OP_MAX || !op_table[op].name)
		return "?";
	return op_table[op].name;
}

const char *rpc_op_args(int64_t op)
{
	return op > 0 && op < RPC_OP_MAX ? op_table[op].args : NULL;
}

const char *rpc_op_result(int64_t op)
{
	return op > 0 && op < RPC_OP_MAX ? op_table[op].result : NULL;
}

void rpc_enc_init(struct rpc_enc *e)
{
	memset(e, 0, sizeof *e);
}

void rpc_enc_free(struct rpc_enc *e)
{
	free(e->data);
	memset(e, 0, sizeof *e);
}

void rpc_enc_reset(struct rpc_enc *e)
{
	e->len = 0;
	e->error = 0;
	e->frame_start = 0;
}

static uint8_t *enc_room(struct rpc_enc *e, size_t n)
{
	if (e->error)
		return NULL;
	if (e->len + n > RPC_MAX_FRAME + 8 + (e->frame_start)) {
		e->error = -E2BIG;
		return NULL;
	}
	if (e->len + n > e->cap) {
		size_t cap = e->cap ? e->cap : 256;
		while (cap < e->len + n)
			cap *= 2;
		uint8_t *d = realloc(e->data, cap);
		if (!d) {
			e->error = -ENOMEM;
			return NULL;
		}
		e->data = d;
		e->cap = cap;
	}
	uint8_t *p = e->data + e->len;
	e->len += n;
	return p;
}

static void store_be64(uint8_t *p, int64_t v)
{
	uint64_t u = (uint64_t)v;
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)u;
		u >>= 8;
	}
}

static int64_t load_be64(const uint8_t *p)
{
	uint64_t u = 0;
	for (int i = 0; i < 8; i++)
		u = (u << 8) | p[i];
	return (int64_t)u;
}

void rpc_put_i64(struct rpc_enc *e, int64_t v)
{
	uint8_t *p = enc_room(e, 8);
	if (p)
		store_be64(p, v);
}

void rpc_put_bytes(struct rpc_enc *e, const void *src, size_t n, size_t bound)
{
	if (n > bound) {
		if (!e->error)
			e->error = -E2BIG;
		return;
	}
	rpc_put_i64(e, (int64_t)n);
	uint8_t *p = enc_room(e, n);
	if (p && n)
		memcpy(p, src, n);
}

void rpc_put_str(struct rpc_enc *e, const char *s, size_t bound)
{
	rpc_put_bytes(e, s, strlen(s), bound);
}

void rpc_put_raw(struct rpc_enc *e, const void *src, size_t n)
{
	uint8_t *p = enc_room(e, n);
	if (p && n)
		memcpy(p, src, n);
}

void rpc_patch_i64(struct rpc_enc *e, size_t at, int64_t v)
{
	if (!e->error && at + 8 <= e->len)
		store_be64(e->data + at, v);
}

void rpc_frame_begin(struct rpc_enc *e, int64_t tag, int64_t op)
{
	e->frame_start = e->len;
	rpc_put_i64(e, 0);
	rpc_put_i64(e, tag);
	rpc_put_i64(e, op);
}

void rpc_frame_end(struct rpc_enc *e)
{
	if (e->error)
		return;
	size_t body = e->len - e->frame_start - 8;
	if (body > RPC_MAX_FRAME) {
		e->error = -E2BIG;
		return;
	}
	store_be64(e->data + e->frame_start, (int64_t)body);
}

void rpc_dec_init(struct rpc_dec *d, const void *p, size_t len)
{
	d->p = p;
	d->len = len;
	d->pos = 0;
	d->error = 0;
}

int64_t rpc_get_i64(struct rpc_dec *d)
{
	if (d->error)
		return 0;
	if (d->len - d->pos < 8) {
		d->error = -EPROTO;
		return 0;
	}
	int64_t v = load_be64(d->p + d->pos);
	d->pos += 8;
	return v;
}

struct rpc_val rpc_get_bytes(struct rpc_dec *d, size_t bound)
{
	struct rpc_val v = { 0, NULL };
	int64_t n = rpc_get_i64(d);
	if (d->error)
		return v;
	if (n < 0) {
		d->error = -EPROTO;
		return v;
	}
	if ((uint64_t)n > bound) {
		d->error = -E2BIG;
		return v;
	}
	if (d->len - d->pos < (size_t)n) {
		d->error = -EPROTO;
		return v;
	}
	v.i = n;
	v.p = d->p + d->pos;
	d->pos += (size_t)n;
	return v;
}

static int push(struct rpc_val *vals, size_t *n, size_t max, struct rpc_val v)
{
	if (*n >= max)
		return -E2BIG;
	vals[(*n)++] = v;
	return 0;
}

static int get_ints(struct rpc_dec *d, int count, struct rpc_val *vals, size_t *n, size_t max)
{
	for (int k = 0; k < count; k++) {
		struct rpc_val v = { rpc_get_i64(d), NULL };
		if (d->error)
			return d->error;
		if (push(vals, n, max, v))
			return -E2BIG;
	}
	return 0;
}

static int get_str(struct rpc_dec *d, size_t bound, struct rpc_val *vals, size_t *n, size_t max)
{
	struct rpc_val v = rpc_get_bytes(d, bound);
	if (d->error)
		return d->error;
	/* Strings carry no NUL; an embedded one would cut the path short. */
	if (bound != RPC_MAX_BUF && memchr(v.p ? v.p : (const uint8_t *)"", 0, (size_t)v.i))
		return -EPROTO;
	if (!v.p)
		v.p = (const uint8_t *)"";
	return push(vals, n, max, v);
}

static int get_list(struct rpc_dec *d, size_t bound, struct rpc_val *vals, size_t *n, size_t max,
		    int (*elem)(struct rpc_dec *, struct rpc_val *, size_t *, size_t))
{
	int64_t count = rpc_get_i64(d);
	if (d->error)
		return d->error;
	if (count < 0)
		return -EPROTO;
	if ((uint64_t)count > bound)
		return -E2BIG;
	struct rpc_val c = { count, NULL };
	int rc = push(vals, n, max, c);
	for (int64_t k = 0; !rc && k < count; k++)
		rc = elem(d, vals, n, max);
	return rc;
}

static int elem_int(struct rpc_dec *d, struct rpc_val *vals, size_t *n, size_t max)
{
	return get_ints(d, 1, vals, n, max);
}

static int elem_buf(struct rpc_dec *d, struct rpc_val *vals, size_t *n, size_t max)
{
	return get_str(d, RPC_MAX_BUF, vals, n, max);
}

static int elem_dirent(struct rpc_dec *d, struct rpc_val *vals, size_t *n, size_t max)
{
	int rc = get_ints(d, 3, vals, n, max);
	return rc ? rc : get_str(d, RPC_MAX_NAME, vals, n, max);
}

int rpc_get_sig(struct rpc_dec *d, const char *sig, struct rpc_val *vals, size_t *n, size_t max)
{
	int rc = 0;
	for (const char *s = sig; !rc && *s; s++) {
		switch (*s) {
		case 'i': rc = get_ints(d, 1, vals, n, max); break;
		case 'T': rc = get_ints(d, 2, vals, n, max); break;
		case 'K': rc = get_ints(d, RPC_FLOCK_FIELDS, vals, n, max); break;
		case 'S': rc = get_ints(d, RPC_STAT_FIELDS, vals, n, max); break;
		case 'F': rc = get_ints(d, RPC_STATFS_FIELDS, vals, n, max); break;
		case 's': rc = get_str(d, RPC_MAX_PATH, vals, n, max); break;
		case 'n': rc = get_str(d, RPC_MAX_NAME, vals, n, max); break;
		case 'b': rc = get_str(d, RPC_MAX_BUF, vals, n, max); break;
		case 'U':
			for (int k = 0; !rc && k < RPC_UTS_FIELDS; k++)
				rc = get_str(d, 64, vals, n, max);
			break;
		case 'L': rc = get_list(d, RPC_MAX_GROUPS > RPC_MAX_IOV ? RPC_MAX_GROUPS : RPC_MAX_IOV,
					vals, n, max, elem_int); break;
		case 'B': rc = get_list(d, RPC_MAX_IOV, vals, n, max, elem_buf); break;
		case 'D': rc = get_list(d, RPC_MAX_DIRENTS, vals, n, max, elem_dirent); break;
		default: rc = -EINVAL;
		}
	}
	return rc;
}

static int put_list(struct rpc_enc *e, const struct rpc_val *vals, size_t n, size_t *k, size_t bound,
		    int per, const char *elem_sig)
{
	if (*k >= n)
		return -EINVAL;
	int64_t count = vals[(*k)++].i;
	if (count < 0 || (uint64_t)count > bound)
		return -E2BIG;
	rpc_put_i64(e, count);
	for (int64_t c = 0; c < count; c++) {
		if (*k + (size_t)per > n)
			return -EINVAL;
		for (const char *s = elem_sig; *s; s++, (*k)++) {
			if (*s == 'i')
				rpc_put_i64(e, vals[*k].i);
			else
				rpc_put_bytes(e, vals[*k].p, (size_t)vals[*k].i, *s == 'n' ? RPC_MAX_NAME : RPC_MAX_BUF);
		}
	}
	return 0;
}

int rpc_put_sig(struct rpc_enc *e, const char *sig, const struct rpc_val *vals, size_t n)
{
	size_t k = 0;
	int rc = 0;
	for (const char *s = sig; !rc && *s; s++) {
		int ints = 0, strs = 0;
		size_t bound = 0;
		switch (*s) {
		case 'i': ints = 1; break;
		case 'T': ints = 2; break;
		case 'K': ints = RPC_FLOCK_FIELDS; break;
		case 'S': ints = RPC_STAT_FIELDS; break;
		case 'F': ints = RPC_STATFS_FIELDS; break;
		case 's': strs = 1; bound = RPC_MAX_PATH; break;
		case 'n': strs = 1; bound = RPC_MAX_NAME; break;
		case 'b': strs = 1; bound = RPC_MAX_BUF; break;
		case 'U': strs = RPC_UTS_FIELDS; bound = 64; break;
		case 'L': rc = put_list(e, vals, n, &k, RPC_MAX_GROUPS, 1, "i"); continue;
		case 'B': rc = put_list(e, vals, n, &k, RPC_MAX_IOV, 1, "b"); continue;
		case 'D': rc = put_list(e, vals, n, &k, RPC_MAX_DIRENTS, 4, "iiin"); continue;
		default: return -EINVAL;
		}
		if (k + (size_t)(ints + strs) > n)
			return -EINVAL;
		for (int c = 0; c < ints; c++)
			rpc_put_i64(e, vals[k++].i);
		for (int c = 0; c < strs; c++, k++)
			rpc_put_bytes(e, vals[k].p, (size_t)vals[k].i, bound);
	}
	if (!rc && k != n)
		rc = -EINVAL;
	return rc ? rc : e->error;
}

int rpc_frame_len_ok(int64_t len)
{
	if (len < 16)
		return -EPROTO;
	if (len > (int64_t)RPC_MAX_FRAME)
		return -E2BIG;
	return 0;
}

int rpc_frame_parse(const void *buf, size_t len, struct rpc_frame *f)
{
	struct rpc_dec d;
	rpc_dec_init(&d, buf, len);
	f->tag = rpc_get_i64(&d);
	f->op = rpc_get_i64(&d);
	if (d.error)
		return d.error;
	f->body = d.p + d.pos;
	f->body_len = len - d.pos;
	return 0;
}

int rpc_decode_args(const struct rpc_frame *f, struct rpc_val *vals, size_t max, size_t *n)
{
	const char *sig = rpc_op_args(f->op);
	if (!sig || f->op == RPC_OP_COMPOUND)
		return -ENOSYS;
	struct rpc_dec d;
	rpc_dec_init(&d, f->body, f->body_len);
	*n = 0;
	int rc = rpc_get_sig(&d, sig, vals, n, max);
	if (!rc && d.pos != d.len)
		rc = -EPROTO;   /* trailing bytes are malformed, not ignored */
	return rc;
}

int rpc_encode_request(struct rpc_enc *e, int64_t tag, int64_t op, const struct rpc_val *args, size_t n)
{
	const char *sig = rpc_op_args(op);
	if (!sig || op == RPC_OP_COMPOUND || op == RPC_OP_HELLO)
		return -EINVAL;
	size_t start = e->len;
	rpc_frame_begin(e, tag, op);
	int rc = rpc_put_sig(e, sig, args, n);
	rpc_frame_end(e);
	rc = rc ? rc : e->error;
	if (rc) {
		e->len = start;
		e->error = 0;
	}
	return rc;
}

int rpc_encode_compound(struct rpc_enc *e, int64_t tag, const struct rpc_call *calls, size_t n)
{
	if (n == 0 || n > RPC_MAX_COMPOUND)
		return -E2BIG;
	size_t start = e->len;
	rpc_frame_begin(e, tag, RPC_OP_COMPOUND);
	rpc_put_i64(e, (int64_t)n);
	int rc = 0;
	for (size_t k = 0; !rc && k < n; k++) {
		const char *sig = rpc_op_args(calls[k].op);
		if (!sig || calls[k].op == RPC_OP_COMPOUND || calls[k].op == RPC_OP_HELLO) {
			rc = -EINVAL;
			break;
		}
		rpc_put_i64(e, calls[k].op);
		rc = rpc_put_sig(e, sig, calls[k].vals, calls[k].nvals);
	}
	rpc_frame_end(e);
	rc = rc ? rc : e->error;
	if (rc) {
		e->len = start;
		e->error = 0;
	}
	return rc;
}

void rpc_encode_hello(struct rpc_enc *e, const char *arch, int64_t features)
{
	rpc_frame_begin(e, 0, RPC_OP_HELLO);
	rpc_put_i64(e, RPC_MAGIC);
	rpc_put_i64(e, RPC_VERSION);
	rpc_put_i64(e, features);
	rpc_put_str(e, arch, RPC_MAX_PATH);
	rpc_put_bytes(e, "", 0, RPC_MAX_AUTH);
	rpc_frame_end(e);
}

int rpc_decode_hello(const struct rpc_frame *f, struct rpc_hello *h)
{
	if (f->op != RPC_OP_HELLO)
		return -EPROTO;
	struct rpc_dec d;
	rpc_dec_init(&d, f->body, f->body_len);
	h->magic = rpc_get_i64(&d);
	h->version = rpc_get_i64(&d);
	h->features = rpc_get_i64(&d);
	struct rpc_val arch = rpc_get_bytes(&d, sizeof h->arch - 1);
	struct rpc_val auth = rpc_get_bytes(&d, RPC_MAX_AUTH);
	if (d.error)
		return d.error;
	if (d.pos != d.len || h->magic != RPC_MAGIC)
		return -EPROTO;
	memcpy(h->arch, arch.p, (size_t)arch.i);
	h->arch[arch.i] = 0;
	h->auth_len = (size_t)auth.i;
	if (auth.i)
		memcpy(h->auth, auth.p, (size_t)auth.i);
	return 0;
}

const char *rpc_host_arch(void)
{
#if defined(__x86_64__)
	return "x86_64";
#elif defined(__aarch64__)
	return "aarch64";
#else
	return "unknown";
#endif
}

void rpc_hex(const void *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *b = p;
	for (size_t k = 0; k < n; k++) {
		out[2 * k] = digits[b[k] >> 4];
		out[2 * k + 1] = digits[b[k] & 15];
	}
	out[2 * n] = 0;
}
