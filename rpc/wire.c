/* rpc/wire.c: encoder, decoder and signatures of the wire format. */
#include "rpc/wire.h"

#include "rpc/canon.h"

#include <errno.h>
#include <stdbool.h>
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

uint8_t *rpc_put_buf_begin(struct rpc_enc *e, size_t max)
{
	if (max > RPC_MAX_BUF) {
		if (!e->error)
			e->error = -E2BIG;
		return NULL;
	}
	rpc_put_i64(e, (int64_t)max);
	return enc_room(e, max);
}

void rpc_put_buf_end(struct rpc_enc *e, uint8_t *p, size_t n)
{
	if (e->error || !p)
		return;
	size_t at = (size_t)(p - e->data);
	if (at < 8 || at + n > e->len) {
		e->error = -EINVAL;
		return;
	}
	store_be64(p - 8, (int64_t)n);
	e->len = at + n;
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

/* What each signature letter stands for on the wire. */
struct sig_kind {
	char letter;
	int ints;              /* that many int64 */
	int strs;              /* or that many strings/buffers of at most bound */
	size_t bound;
	bool any_bytes;        /* a buffer: NUL allowed */
	size_t list_max;       /* or a list: a count <= list_max, then elem each */
	const char *elem;
};

static const struct sig_kind sig_kinds[] = {
	{ 'i', 1, 0, 0, false, 0, NULL },
	{ 'T', 2, 0, 0, false, 0, NULL },
	{ 'K', RPC_FLOCK_FIELDS, 0, 0, false, 0, NULL },
	{ 'S', RPC_STAT_FIELDS, 0, 0, false, 0, NULL },
	{ 'F', RPC_STATFS_FIELDS, 0, 0, false, 0, NULL },
	{ 's', 0, 1, RPC_MAX_PATH, false, 0, NULL },
	{ 'n', 0, 1, RPC_MAX_NAME, false, 0, NULL },
	{ 'a', 0, 1, RPC_MAX_ARCH, false, 0, NULL },
	{ 'U', 0, RPC_UTS_FIELDS, RPC_MAX_UTS, false, 0, NULL },
	{ 'b', 0, 1, RPC_MAX_BUF, true, 0, NULL },
	{ 'A', 0, 1, RPC_MAX_AUTH, true, 0, NULL },
	{ 'L', 0, 0, 0, false, RPC_MAX_IOV, "i" },
	{ 'G', 0, 0, 0, false, RPC_MAX_GROUPS, "i" },
	{ 'B', 0, 0, 0, false, RPC_MAX_IOV, "b" },
	{ 'D', 0, 0, 0, false, RPC_MAX_DIRENTS, "iiin" },
};

static const struct sig_kind *sig_kind(char letter)
{
	for (size_t k = 0; k < sizeof sig_kinds / sizeof sig_kinds[0]; k++)
		if (sig_kinds[k].letter == letter)
			return &sig_kinds[k];
	return NULL;
}

static int push(struct rpc_val *vals, size_t *n, size_t max, struct rpc_val v)
{
	if (*n >= max)
		return -E2BIG;
	if (vals)
		vals[*n] = v;
	(*n)++;
	return 0;
}

static int get_str(struct rpc_dec *d, const struct sig_kind *k, struct rpc_val *vals, size_t *n, size_t max)
{
	struct rpc_val v = rpc_get_bytes(d, k->bound);
	if (d->error)
		return d->error;
	if (!v.p)
		v.p = d->p + d->pos;   /* empty: a valid pointer all the same */
	/* Strings carry no NUL; an embedded one would cut a path short. */
	if (!k->any_bytes && memchr(v.p, 0, (size_t)v.i))
		return -EPROTO;
	return push(vals, n, max, v);
}

int rpc_get_sig(struct rpc_dec *d, const char *sig, struct rpc_val *vals, size_t *n, size_t max)
{
	for (const char *s = sig; *s; s++) {
		const struct sig_kind *k = sig_kind(*s);
		int rc = 0;
		if (!k)
			return -EINVAL;
		for (int c = 0; !rc && c < k->ints; c++) {
			struct rpc_val v = { rpc_get_i64(d), NULL };
			rc = d->error ? d->error : push(vals, n, max, v);
		}
		for (int c = 0; !rc && c < k->strs; c++)
			rc = get_str(d, k, vals, n, max);
		if (!rc && k->elem) {
			struct rpc_val count = { rpc_get_i64(d), NULL };
			if (d->error)
				return d->error;
			if (count.i < 0)
				return -EPROTO;
			if ((uint64_t)count.i > k->list_max)
				return -E2BIG;
			rc = push(vals, n, max, count);
			for (int64_t c = 0; !rc && c < count.i; c++)
				rc = rpc_get_sig(d, k->elem, vals, n, max);
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int put_str(struct rpc_enc *e, const struct sig_kind *k, const struct rpc_val *v)
{
	if (v->i < 0 || (v->i > 0 && !v->p))
		return -EINVAL;
	if ((uint64_t)v->i > k->bound)
		return -E2BIG;
	if (!k->any_bytes && v->i && memchr(v->p, 0, (size_t)v->i))
		return -EINVAL;
	rpc_put_bytes(e, v->p, (size_t)v->i, k->bound);
	return e->error;
}

/* Writes one signature from vals[*k...] and advances *k; with e NULL it
 * only checks that vals has exactly the values the signature needs. */
static int put_sig(struct rpc_enc *e, const char *sig, const struct rpc_val *vals, size_t n, size_t *k)
{
	for (const char *s = sig; *s; s++) {
		const struct sig_kind *kind = sig_kind(*s);
		if (!kind)
			return -EINVAL;
		size_t need = (size_t)kind->ints + (size_t)kind->strs + (kind->elem ? 1 : 0);
		if (*k + need > n)
			return -EINVAL;
		for (int c = 0; c < kind->ints; c++, (*k)++)
			if (e)
				rpc_put_i64(e, vals[*k].i);
		for (int c = 0; c < kind->strs; c++, (*k)++) {
			int rc = e ? put_str(e, kind, &vals[*k]) : 0;
			if (rc)
				return rc;
		}
		if (kind->elem) {
			int64_t count = vals[(*k)++].i;
			if (count < 0 || (uint64_t)count > kind->list_max)
				return -E2BIG;
			if (e)
				rpc_put_i64(e, count);
			for (int64_t c = 0; c < count; c++) {
				int rc = put_sig(e, kind->elem, vals, n, k);
				if (rc)
					return rc;
			}
		}
	}
	return e ? e->error : 0;
}

int rpc_put_sig(struct rpc_enc *e, const char *sig, const struct rpc_val *vals, size_t n)
{
	size_t k = 0;
	int rc = put_sig(NULL, sig, vals, n, &k);   /* the values match first */
	if (!rc && k != n)
		rc = -EINVAL;
	k = 0;
	return rc ? rc : put_sig(e, sig, vals, n, &k);
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

/* Ends a frame begun at start; on any error takes it back out of e, so a
 * refused message leaves nothing behind. */
static int frame_done(struct rpc_enc *e, size_t start, int rc)
{
	rpc_frame_end(e);
	rc = rc ? rc : e->error;
	if (rc) {
		e->len = start;
		e->error = 0;
	}
	return rc;
}

int rpc_decode_args(const struct rpc_frame *f, struct rpc_val *vals, size_t max, size_t *n)
{
	const char *sig = rpc_op_args(f->op);
	if (!sig || f->op == RPC_OP_COMPOUND || f->op == RPC_OP_HELLO)
		return -ENOSYS;
	struct rpc_dec d;
	rpc_dec_init(&d, f->body, f->body_len);
	*n = 0;
	int rc = rpc_get_sig(&d, sig, vals, n, max);
	if (!rc && d.pos != d.len)
		rc = -EPROTO;   /* trailing bytes are malformed, not ignored */
	return rc;
}

int rpc_decode_compound(const struct rpc_frame *f, struct rpc_call *calls, size_t *ncalls, struct rpc_val *vals,
			size_t max)
{
	struct rpc_dec d;
	rpc_dec_init(&d, f->body, f->body_len);
	int64_t count = rpc_get_i64(&d);
	if (d.error)
		return d.error;
	if (f->op != RPC_OP_COMPOUND || count < 1 || count > RPC_MAX_COMPOUND)
		return -EPROTO;
	size_t n = 0;
	for (int64_t k = 0; k < count; k++) {
		int64_t op = rpc_get_i64(&d);
		const char *sig = rpc_op_args(op);
		/* An unknown op inside cannot be skipped: its length is unknown. */
		if (d.error || !sig || op == RPC_OP_COMPOUND || op == RPC_OP_HELLO || op == RPC_OP_AUTH)
			return d.error ? d.error : -EPROTO;
		size_t start = n;
		int rc = rpc_get_sig(&d, sig, vals, &n, max);
		if (rc)
			return rc;
		calls[k] = (struct rpc_call){ op, n - start, vals + start };
	}
	if (d.pos != d.len)
		return -EPROTO;
	*ncalls = (size_t)count;
	return 0;
}

int rpc_encode_reply(struct rpc_enc *e, int64_t tag, int64_t op, int64_t result, const struct rpc_val *vals, size_t n)
{
	const char *sig = rpc_op_result(op);
	if (!sig || op == RPC_OP_COMPOUND || (result < 0 && n))
		return -EINVAL;
	size_t start = e->len;
	rpc_frame_begin(e, tag, op);
	rpc_put_i64(e, result);
	int rc = result >= 0 ? rpc_put_sig(e, sig, vals, n) : 0;
	return frame_done(e, start, rc);
}

static int compound_reply(struct rpc_dec *d, int64_t result, struct rpc_val *vals, size_t max, size_t *n)
{
	int64_t count = rpc_get_i64(d);
	if (d->error)
		return d->error;
	if (count < 1 || count > RPC_MAX_COMPOUND)
		return -EPROTO;
	int64_t last = 0;
	for (int64_t k = 0; k < count; k++) {
		struct rpc_val op = { rpc_get_i64(d), NULL };
		struct rpc_val res = { rpc_get_i64(d), NULL };
		const char *sig = rpc_op_result(op.i);
		if (d->error)
			return d->error;
		/* Only the last executed op may have failed. */
		if (!sig || op.i == RPC_OP_HELLO || op.i == RPC_OP_COMPOUND || op.i == RPC_OP_AUTH ||
		    (res.i < 0 && k != count - 1))
			return -EPROTO;
		int rc = push(vals, n, max, op);
		if (!rc)
			rc = push(vals, n, max, res);
		if (!rc && res.i >= 0)
			rc = rpc_get_sig(d, sig, vals, n, max);
		if (rc)
			return rc;
		last = res.i;
	}
	return last == result ? 0 : -EPROTO;
}

/* The version field of a HELLO reply whose result is >= 0. */
static int64_t hello_version(const struct rpc_frame *f)
{
	struct rpc_dec d;
	rpc_dec_init(&d, f->body, f->body_len);
	rpc_get_i64(&d);
	int64_t v = rpc_get_i64(&d);
	return d.error ? 0 : v;
}

int rpc_decode_reply(const struct rpc_frame *f, int64_t *result, struct rpc_val *vals, size_t max, size_t *n)
{
	const char *sig = rpc_op_result(f->op);
	if (!sig)
		return -EPROTO;   /* the shadow answers with the request's op */
	struct rpc_dec d;
	rpc_dec_init(&d, f->body, f->body_len);
	*n = 0;
	*result = rpc_get_i64(&d);
	int rc = d.error;
	if (!rc && f->op == RPC_OP_COMPOUND)
		rc = compound_reply(&d, *result, vals, max, n);
	else if (!rc && *result >= 0)
		rc = rpc_get_sig(&d, sig, vals, n, max);
	/* From version 2 on, the HELLO reply ends with an auth field. */
	if (!rc && f->op == RPC_OP_HELLO && *result >= 0 && hello_version(f) >= 2)
		rc = rpc_get_sig(&d, "A", vals, n, max);
	if (!rc && d.pos != d.len)
		rc = -EPROTO;
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
	return frame_done(e, start, rc);
}

int rpc_encode_compound(struct rpc_enc *e, int64_t tag, const struct rpc_call *calls, size_t n)
{
	if (n == 0)
		return -EINVAL;
	if (n > RPC_MAX_COMPOUND)
		return -E2BIG;
	size_t start = e->len;
	rpc_frame_begin(e, tag, RPC_OP_COMPOUND);
	rpc_put_i64(e, (int64_t)n);
	int rc = 0;
	for (size_t k = 0; !rc && k < n; k++) {
		const char *sig = rpc_op_args(calls[k].op);
		if (!sig || calls[k].op == RPC_OP_COMPOUND || calls[k].op == RPC_OP_HELLO || calls[k].op == RPC_OP_AUTH) {
			rc = -EINVAL;
			break;
		}
		rpc_put_i64(e, calls[k].op);
		rc = rpc_put_sig(e, sig, calls[k].vals, calls[k].nvals);
	}
	return frame_done(e, start, rc);
}

/* ---- canonical structs ---- */

void rpc_put_stat(struct rpc_enc *e, const struct canon_stat *c)
{
	const int64_t f[RPC_STAT_FIELDS] = {
		c->mask, c->dev_major, c->dev_minor, c->ino, c->mode, c->nlink, c->uid, c->gid,
		c->rdev_major, c->rdev_minor, c->size, c->blksize, c->blocks,
		c->atime.sec, c->atime.nsec, c->mtime.sec, c->mtime.nsec,
		c->ctime.sec, c->ctime.nsec, c->btime.sec, c->btime.nsec,
	};
	for (int k = 0; k < RPC_STAT_FIELDS; k++)
		rpc_put_i64(e, f[k]);
}

void rpc_vals_stat(const struct rpc_val *v, struct canon_stat *c)
{
	int64_t *f[RPC_STAT_FIELDS] = {
		&c->mask, &c->dev_major, &c->dev_minor, &c->ino, &c->mode, &c->nlink, &c->uid, &c->gid,
		&c->rdev_major, &c->rdev_minor, &c->size, &c->blksize, &c->blocks,
		&c->atime.sec, &c->atime.nsec, &c->mtime.sec, &c->mtime.nsec,
		&c->ctime.sec, &c->ctime.nsec, &c->btime.sec, &c->btime.nsec,
	};
	for (int k = 0; k < RPC_STAT_FIELDS; k++)
		*f[k] = v[k].i;
}

void rpc_put_statfs(struct rpc_enc *e, const struct canon_statfs *c)
{
	const int64_t f[RPC_STATFS_FIELDS] = {
		c->type, c->bsize, c->blocks, c->bfree, c->bavail, c->files, c->ffree,
		c->fsid0, c->fsid1, c->namelen, c->frsize, c->flags,
	};
	for (int k = 0; k < RPC_STATFS_FIELDS; k++)
		rpc_put_i64(e, f[k]);
}

void rpc_vals_statfs(const struct rpc_val *v, struct canon_statfs *c)
{
	int64_t *f[RPC_STATFS_FIELDS] = {
		&c->type, &c->bsize, &c->blocks, &c->bfree, &c->bavail, &c->files, &c->ffree,
		&c->fsid0, &c->fsid1, &c->namelen, &c->frsize, &c->flags,
	};
	for (int k = 0; k < RPC_STATFS_FIELDS; k++)
		*f[k] = v[k].i;
}

#define UTS_FIELDS(u) { (u)->sysname, (u)->nodename, (u)->release, (u)->version, (u)->machine, (u)->domainname }

void rpc_put_utsname(struct rpc_enc *e, const struct canon_utsname *u)
{
	const char *f[RPC_UTS_FIELDS] = UTS_FIELDS(u);
	for (int k = 0; k < RPC_UTS_FIELDS; k++)
		rpc_put_bytes(e, f[k], strnlen(f[k], RPC_MAX_UTS), RPC_MAX_UTS);
}

void rpc_vals_utsname(const struct rpc_val *v, struct canon_utsname *u)
{
	char *f[RPC_UTS_FIELDS] = UTS_FIELDS(u);
	for (int k = 0; k < RPC_UTS_FIELDS; k++) {
		size_t n = (size_t)v[k].i < CANON_UTS_LEN - 1 ? (size_t)v[k].i : CANON_UTS_LEN - 1;
		memcpy(f[k], v[k].p, n);
		memset(f[k] + n, 0, CANON_UTS_LEN - n);
	}
}

void rpc_put_flock(struct rpc_enc *e, const struct canon_flock *fl)
{
	rpc_put_i64(e, fl->type);
	rpc_put_i64(e, fl->whence);
	rpc_put_i64(e, fl->start);
	rpc_put_i64(e, fl->len);
	rpc_put_i64(e, fl->pid);
}

void rpc_vals_flock(const struct rpc_val *v, struct canon_flock *fl)
{
	fl->type = v[0].i;
	fl->whence = v[1].i;
	fl->start = v[2].i;
	fl->len = v[3].i;
	fl->pid = v[4].i;
}

void rpc_put_timespec(struct rpc_enc *e, const struct canon_timespec *ts)
{
	rpc_put_i64(e, ts->sec);
	rpc_put_i64(e, ts->nsec);
}

void rpc_vals_timespec(const struct rpc_val *v, struct canon_timespec *ts)
{
	ts->sec = v[0].i;
	ts->nsec = v[1].i;
}

void rpc_put_dirent(struct rpc_enc *e, int64_t ino, int64_t off, int64_t canon_type, const char *name)
{
	rpc_put_i64(e, ino);
	rpc_put_i64(e, off);
	rpc_put_i64(e, canon_type);
	rpc_put_str(e, name, RPC_MAX_NAME);
}

/* ---- the handshake ---- */

void rpc_encode_hello_auth(struct rpc_enc *e, const char *arch, int64_t features, const void *auth, size_t n)
{
	rpc_frame_begin(e, 0, RPC_OP_HELLO);
	rpc_put_i64(e, RPC_MAGIC);
	rpc_put_i64(e, RPC_VERSION);
	rpc_put_i64(e, features);
	rpc_put_str(e, arch, RPC_MAX_ARCH);
	rpc_put_bytes(e, auth, n, RPC_MAX_AUTH);
	rpc_frame_end(e);
}

void rpc_encode_hello(struct rpc_enc *e, const char *arch, int64_t features)
{
	rpc_encode_hello_auth(e, arch, features, "", 0);
}

int rpc_decode_hello(const struct rpc_frame *f, struct rpc_hello *h)
{
	if (f->op != RPC_OP_HELLO)
		return -EPROTO;
	struct rpc_dec d;
	struct rpc_val v[5];
	size_t n = 0;
	rpc_dec_init(&d, f->body, f->body_len);
	int rc = rpc_get_sig(&d, rpc_op_args(RPC_OP_HELLO), v, &n, 5);
	if (rc)
		return rc;
	if (d.pos != d.len || v[0].i != RPC_MAGIC)
		return -EPROTO;
	h->magic = v[0].i;
	h->version = v[1].i;
	h->features = v[2].i;
	memcpy(h->arch, v[3].p, (size_t)v[3].i);
	h->arch[v[3].i] = 0;
	h->auth_len = (size_t)v[4].i;
	memcpy(h->auth, v[4].p, h->auth_len);
	return 0;
}

int rpc_negotiate(const struct rpc_hello *h, int64_t offered, int64_t *version, int64_t *features)
{
	/* The agent offers the highest version it speaks; a shadow answers the
	 * highest it speaks that is not above it. AUTH needs version 2. */
	if (h->version < RPC_VERSION_MIN)
		return -EPROTONOSUPPORT;
	*version = h->version < RPC_VERSION ? h->version : RPC_VERSION;
	*features = h->features & offered & RPC_FEATURES;
	if (*version < 2)
		*features &= ~RPC_FEATURE_AUTH;
	return 0;
}

static void hello_reply(struct rpc_enc *e, int64_t result, int64_t version, int64_t features, const char *arch,
			const void *auth, size_t n)
{
	rpc_frame_begin(e, 0, RPC_OP_HELLO);
	rpc_put_i64(e, result);
	if (result >= 0) {
		rpc_put_i64(e, version);
		rpc_put_i64(e, features);
		rpc_put_str(e, arch, RPC_MAX_ARCH);
		if (version >= 2)
			rpc_put_bytes(e, auth, n, RPC_MAX_AUTH);
	}
	rpc_frame_end(e);
}

void rpc_encode_hello_reply(struct rpc_enc *e, int64_t result, int64_t version, int64_t features, const char *arch)
{
	hello_reply(e, result, version, features, arch, "", 0);
}

void rpc_encode_hello_reply_auth(struct rpc_enc *e, int64_t version, int64_t features, const char *arch,
				 const void *auth, size_t n)
{
	hello_reply(e, 0, version, features, arch, auth, n);
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
