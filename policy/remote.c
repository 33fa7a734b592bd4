/* policy/remote.c: implements policy/remote.h over rpc/client.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/attr_cache.h"
#include "policy/remote.h"
#include "policy/remote_internal.h"
#include "rpc/canon.h"
#include "rpc/client.h"
#include "rpc/wire.h"

#define ENCODE(kind, native, out) do { \
	if (canon_##kind##_encode((int64_t)(native), &(out))) \
		return -EINVAL; \
} while (0)

/* Write-behind bytes on their way before a write waits for the oldest. */
#define WRITES_IN_FLIGHT_MAX (8u << 20)
/* Paths the cache holds at most. */
#define CACHE_PATHS 16384

static void forgets_drop(struct remote *r, size_t from, size_t to);

static int64_t native_errno(int64_t canon)
{
	int64_t native;
	return canon_errno_decode(canon, &native) ? EIO : native;
}

/* The native result of a wire result. */
static int64_t native_result(int64_t res)
{
	return res < 0 ? -native_errno(-res) : res;
}

static FILE *warn_stream(const struct remote *r)
{
	return r->warn ? r->warn : stderr;
}

/* ---- the table of later requests ---- */

static struct remote_later *later_find(struct remote *r, int64_t tag)
{
	/* Sorted by tag (tags grow); replies mostly come oldest first. */
	size_t lo = 0, hi = r->nlater;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (r->later[mid].tag < tag)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->nlater && r->later[lo].tag == tag ? &r->later[lo] : NULL;
}

static int later_add(struct remote *r, const struct remote_later *l)
{
	r->last_later_tag = l->tag;
	if (r->nlater == r->cap_later) {
		size_t cap = r->cap_later ? 2 * r->cap_later : 64;
		struct remote_later *n = realloc(r->later, cap * sizeof *n);
		if (!n)
			return -ENOMEM;
		r->later = n;
		r->cap_later = cap;
	}
	r->later[r->nlater++] = *l;
	r->write_bytes += l->write_bytes;
	return 0;
}

static void later_take(struct remote *r, struct remote_later *l, struct remote_later *out)
{
	*out = *l;
	r->write_bytes -= l->write_bytes;
	size_t i = (size_t)(l - r->later);
	memmove(&r->later[i], &r->later[i + 1], (r->nlater - i - 1) * sizeof *l);
	r->nlater--;
}

/* The shadow is gone: every later request fails, and the bytes of the
 * write-behind buffer, which will never be sent, fail with them. */
static void fail_later(struct remote *r)
{
	while (r->nlater) {
		struct remote_later l;
		later_take(r, &r->later[0], &l);
		free(l.data);
		if (l.done)
			l.done(r, l.owner, l.arg, NULL, -EIO);
	}
	size_t unsent = r->wb_len;
	r->wb_len = 0;
	if (unsent && r->wb_done)
		r->wb_done(r, r->wb_owner, (int64_t)unsent, NULL, -EIO);
}

static void mark_lost(struct remote *r, int64_t op, int rc)
{
	if (r->lost)
		return;
	snprintf(r->lost_buf, sizeof r->lost_buf, "the connection to the shadow was lost during %s: %s",
		 op ? rpc_op_name(op) : "the replies to earlier calls",
		 rc == -ECONNRESET ? "the shadow closed it" : strerror(-rc));
	r->lost = r->lost_buf;
	fail_later(r);
}

static void send_write(struct remote *r, int64_t h, uint8_t *data, size_t at, size_t len, int64_t off,
		       remote_done_fn *done, void *owner);

/* A reply for a later request: to its callback. A reply nobody asked for
 * means the connection is out of step: it is dropped as lost. */
static void dispatch(struct remote *r, struct rpc_reply *rep)
{
	struct remote_later *l = later_find(r, rep->tag);
	if (!l || (l->op != rep->op)) {
		rpc_reply_free(rep);
		mark_lost(r, rep->op, -EPROTO);
		return;
	}
	struct remote_later got;
	later_take(r, l, &got);
	if (got.data) {
		int64_t done = rep->result;
		if (done > 0 && (size_t)done < got.write_bytes) {
			/* A short write: the rest is written again; only what
			 * that answers is the write's outcome. */
			rpc_reply_free(rep);
			send_write(r, got.h, got.data, got.data_at + (size_t)done, got.write_bytes - (size_t)done,
				   got.off >= 0 ? got.off + done : -1, got.done, got.owner);
			return;
		}
		free(got.data);
	}
	if (got.done)
		got.done(r, got.owner, got.arg, rep, 0);
	else
		r->discarded++;
	rpc_reply_free(rep);
}

/* Waits for TAG's reply (a request not in the later table), handling the
 * replies of later requests that come first. 0 or a transport error (the
 * connection is then marked lost by the caller's op). */
static int wait_reply(struct remote *r, int64_t tag, struct rpc_reply *rep)
{
	for (;;) {
		int rc = rpc_recv_next(r->conn, tag, rep);
		if (rc)
			return rc;
		if (rep->tag == tag)
			return 0;
		dispatch(r, rep);
		if (r->lost)
			return -EPROTO;
	}
}

int remote_wait_tag(struct remote *r, int64_t tag)
{
	struct remote_later *l = later_find(r, tag);
	if (!l && !r->lost)
		rpc_note_wait(r->conn, tag);   /* handled already: the wait counts all the same */
	while (!r->lost && (l = later_find(r, tag))) {
		int64_t op = l->op;
		struct rpc_reply rep;
		int rc = rpc_recv_next(r->conn, tag, &rep);
		if (rc) {
			mark_lost(r, op, rc);
			break;
		}
		dispatch(r, &rep);
	}
	return r->lost ? -EIO : 0;
}

bool remote_owner_busy(const struct remote *r, void *owner)
{
	for (size_t i = 0; i < r->nlater; i++)
		if (r->later[i].owner == owner && r->later[i].done)
			return true;
	return r->wb_len && r->wb_owner == owner;
}

int remote_wait_owner(struct remote *r, void *owner)
{
	if (r->wb_len && r->wb_owner == owner)
		remote_flush_writes(r);
	for (;;) {
		int64_t last = -1;
		for (size_t i = 0; i < r->nlater; i++)
			if (r->later[i].owner == owner && r->later[i].done)
				last = r->later[i].tag;
		if (last < 0 || r->lost)
			return r->lost ? -EIO : 0;
		remote_wait_tag(r, last);
	}
}

void remote_poll(struct remote *r)
{
	while (!r->lost && r->nlater && rpc_reply_ready(r->conn)) {
		struct rpc_reply rep;
		int rc = rpc_recv_next(r->conn, -1, &rep);
		if (rc) {
			mark_lost(r, 0, rc);
			return;
		}
		dispatch(r, &rep);
	}
}

void remote_disown(struct remote *r, void *owner)
{
	if (r->wb_len && r->wb_owner == owner)
		remote_flush_writes(r);
	for (size_t i = 0; i < r->nlater; i++)
		if (r->later[i].owner == owner)
			r->later[i].done = NULL;
}

/* ---- sending ---- */

/* Whether OP with ARGS changes nothing at home: done again in a new session
 * (after the shadow was lost) it does what doing it once would have. Only
 * the session's own state moves (handles, offsets, its cwd). */
static bool op_changes_nothing(int64_t op, const struct rpc_val *args, size_t n)
{
	switch (op) {
	case RPC_OP_OPEN: {
		int64_t flags;
		if (n < 3 || canon_open_flags_decode(args[2].i, &flags))
			return false;
		return !(flags & (O_CREAT | O_TRUNC)) && (flags & O_TMPFILE) != O_TMPFILE;
	}
	case RPC_OP_READ: case RPC_OP_PREAD: case RPC_OP_READV: case RPC_OP_LSEEK: case RPC_OP_FSTAT:
	case RPC_OP_FSTATAT: case RPC_OP_STATX: case RPC_OP_FACCESSAT: case RPC_OP_READLINK:
	case RPC_OP_GETDENTS: case RPC_OP_STATFS: case RPC_OP_FSTATFS: case RPC_OP_CHDIR: case RPC_OP_FCHDIR:
	case RPC_OP_GETCWD: case RPC_OP_UNAME: case RPC_OP_GETHOSTNAME: case RPC_OP_IDS:
	case RPC_OP_CLOCK_GETTIME: case RPC_OP_NULL:
		return true;
	default:
		return false;
	}
}

/* Every request but write-behind's goes out through these two, which count
 * those that may change something at home (remote.changes_sent). */
static int64_t send_op(struct remote *r, int64_t op, const struct rpc_val *args, size_t n)
{
	if (!op_changes_nothing(op, args, n))
		r->changes_sent++;
	return rpc_send(r->conn, op, args, n);
}

static int64_t send_compound(struct remote *r, const struct rpc_call *calls, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (!op_changes_nothing(calls[k].op, calls[k].vals, calls[k].nvals)) {
			r->changes_sent++;
			break;
		}
	return rpc_send_compound(r->conn, calls, n);
}

static int64_t send_later_frame(struct remote *r, int64_t op, int64_t tag, remote_done_fn *done, void *owner,
				int64_t arg, size_t write_bytes)
{
	if (tag < 0) {
		mark_lost(r, op, (int)tag);
		return -EIO;
	}
	struct remote_later l = { .tag = tag, .op = op, .done = done, .owner = owner, .arg = arg,
				  .write_bytes = write_bytes };
	if (later_add(r, &l) < 0) {
		/* No room to remember it: wait for it here instead. */
		struct rpc_reply rep;
		int rc = wait_reply(r, tag, &rep);
		if (rc) {
			mark_lost(r, op, rc);
			return -EIO;
		}
		if (done)
			done(r, owner, arg, &rep, 0);
		rpc_reply_free(&rep);
	}
	return tag;
}

int64_t remote_send_later(struct remote *r, int64_t op, const struct rpc_val *args, size_t n, remote_done_fn *done,
			  void *owner, int64_t arg)
{
	if (r->lost)
		return -EIO;
	remote_flush_writes(r);
	if (r->lost)
		return -EIO;
	return send_later_frame(r, op, send_op(r, op, args, n), done, owner, arg, 0);
}

int64_t remote_compound_later(struct remote *r, const struct rpc_call *calls, size_t n, remote_done_fn *done,
			      void *owner, int64_t arg)
{
	if (r->lost)
		return -EIO;
	remote_flush_writes(r);
	if (r->lost)
		return -EIO;
	return send_later_frame(r, RPC_OP_COMPOUND, send_compound(r, calls, n), done, owner, arg, 0);
}

/* Sends one op and waits. Returns the result (>= 0 or -native errno);
 * REP holds the reply values until rpc_reply_free (also on an op error). */
static int64_t call(struct remote *r, int64_t op, const struct rpc_val *args, size_t n, struct rpc_reply *rep)
{
	memset(rep, 0, sizeof *rep);
	if (r->lost)
		return -EIO;
	remote_flush_writes(r);
	if (r->lost)
		return -EIO;
	int64_t tag = send_op(r, op, args, n);
	int rc = tag < 0 ? (int)tag : wait_reply(r, tag, rep);
	if (!rc && rep->op != op) {
		rpc_reply_free(rep);
		rc = -EPROTO;
	}
	if (rc) {
		memset(rep, 0, sizeof *rep);
		mark_lost(r, op, rc);
		return -EIO;
	}
	return native_result(rep->result);
}

/* An op whose reply carries no values. */
static int64_t call0(struct remote *r, int64_t op, const struct rpc_val *args, size_t n)
{
	struct rpc_reply rep;
	int64_t res = call(r, op, args, n, &rep);
	rpc_reply_free(&rep);
	return res;
}

/* A COMPOUND, waited for. Returns 0 with REP to read with op_result, or
 * -EIO (lost). */
static int64_t compound(struct remote *r, const struct rpc_call *calls, size_t n, struct rpc_reply *rep)
{
	memset(rep, 0, sizeof *rep);
	if (r->lost)
		return -EIO;
	remote_flush_writes(r);
	if (r->lost)
		return -EIO;
	int64_t tag = send_compound(r, calls, n);
	int rc = tag < 0 ? (int)tag : wait_reply(r, tag, rep);
	if (!rc && rep->op != RPC_OP_COMPOUND) {
		rpc_reply_free(rep);
		rc = -EPROTO;
	}
	if (rc) {
		memset(rep, 0, sizeof *rep);
		mark_lost(r, RPC_OP_COMPOUND, rc);
		return -EIO;
	}
	return 0;
}

/* How many values one op's results take in a reply (its result signature). */
static size_t result_vals(int64_t op, const struct rpc_val *v, size_t avail)
{
	const char *sig = rpc_op_result(op);
	size_t n = 0;
	for (; sig && *sig; sig++) {
		size_t k;
		switch (*sig) {
		case 'S': k = RPC_STAT_FIELDS; break;
		case 'F': k = RPC_STATFS_FIELDS; break;
		case 'U': k = RPC_UTS_FIELDS; break;
		case 'K': k = RPC_FLOCK_FIELDS; break;
		case 'T': k = 2; break;
		case 'D': k = n < avail && v[n].i >= 0 ? 1 + 4 * (size_t)v[n].i : 1; break;
		case 'G': case 'L': case 'B': k = n < avail && v[n].i >= 0 ? 1 + (size_t)v[n].i : 1; break;
		default: k = 1; break;
		}
		n += k;
	}
	return n;
}

/* Op K of a COMPOUND reply: its wire result, and its values in *V. Returns
 * false when op K did not run (or the reply is short). */
bool remote_op_result(const struct rpc_reply *rep, size_t k, int64_t *res, const struct rpc_val **v, size_t *nv)
{
	size_t i = 0;
	for (size_t op = 0; i + 2 <= rep->nvals; op++) {
		int64_t code = rep->vals[i].i, r = rep->vals[i + 1].i;
		i += 2;
		size_t n = r >= 0 ? result_vals(code, &rep->vals[i], rep->nvals - i) : 0;
		if (i + n > rep->nvals)
			return false;
		if (op == k) {
			*res = r;
			*v = &rep->vals[i];
			if (nv)
				*nv = n;
			return true;
		}
		i += n;
	}
	return false;
}

/* ---- write-behind ---- */

/* Sends LEN bytes of DATA from AT as a later write (WRITE when OFF < 0);
 * the write owns DATA from now on. DONE gets ARG = LEN. */
static void send_write(struct remote *r, int64_t h, uint8_t *data, size_t at, size_t len, int64_t off,
		       remote_done_fn *done, void *owner)
{
	struct rpc_val a[] = { rpc_int(h), rpc_buf(data + at, len), rpc_int(off) };
	int64_t op = off < 0 ? RPC_OP_WRITE : RPC_OP_PWRITE;
	int64_t tag = rpc_send(r->conn, op, a, off < 0 ? 2 : 3);
	if (tag < 0) {
		free(data);
		mark_lost(r, op, (int)tag);
		if (done)
			done(r, owner, (int64_t)len, NULL, -EIO);
		return;
	}
	struct remote_later l = { .tag = tag, .op = op, .done = done, .owner = owner, .arg = (int64_t)len,
				  .write_bytes = len, .data = data, .data_at = at, .h = h, .off = off };
	if (later_add(r, &l) < 0) {
		/* No room to remember it: its answer is awaited here. */
		struct rpc_reply rep;
		int rc = wait_reply(r, tag, &rep);
		free(data);
		if (rc) {
			mark_lost(r, op, rc);
			if (done)
				done(r, owner, (int64_t)len, NULL, -EIO);
			return;
		}
		if (done)
			done(r, owner, (int64_t)len, &rep, 0);
		rpc_reply_free(&rep);
	}
}

void remote_flush_writes(struct remote *r)
{
	if (!r->wb_len || r->lost)
		return;
	size_t len = r->wb_len;
	uint8_t *data = r->wb_buf;
	r->wb_len = 0;
	r->wb_buf = NULL;   /* the write keeps it until answered */
	send_write(r, r->wb_h, data, 0, len, r->wb_off, r->wb_done, r->wb_owner);
}

/* Waits while too many write-behind bytes are on their way. */
static void writes_bounded(struct remote *r)
{
	while (!r->lost && r->write_bytes > WRITES_IN_FLIGHT_MAX) {
		size_t i = 0;
		while (i < r->nlater && !r->later[i].write_bytes)
			i++;
		if (i == r->nlater)
			return;
		remote_wait_tag(r, r->later[i].tag);
	}
}

static void handle_changes(struct remote *r, int64_t h);

int64_t remote_write_behind(struct remote *r, int64_t h, const void *buf, size_t n, int64_t off,
			    remote_done_fn *done, void *owner)
{
	if (r->lost)
		return -EIO;
	handle_changes(r, h);
	const uint8_t *p = buf;
	size_t left = n;
	while (left && !r->lost) {
		bool follows = r->wb_len && r->wb_h == h && r->wb_done == done && r->wb_owner == owner &&
			       ((off < 0 && r->wb_off < 0) || (off >= 0 && r->wb_off >= 0 &&
							       r->wb_off + (int64_t)r->wb_len == off));
		if (r->wb_len && !follows)
			remote_flush_writes(r);
		if (!r->wb_len) {
			writes_bounded(r);
			if (!r->wb_buf && !(r->wb_buf = malloc(RPC_MAX_BUF)))
				return -ENOMEM;
			r->wb_h = h;
			r->wb_off = off;
			r->wb_done = done;
			r->wb_owner = owner;
		}
		size_t k = RPC_MAX_BUF - r->wb_len < left ? RPC_MAX_BUF - r->wb_len : left;
		memcpy(r->wb_buf + r->wb_len, p, k);
		r->wb_len += k;
		p += k;
		left -= k;
		if (off >= 0)
			off += (int64_t)k;
		if (r->wb_len == RPC_MAX_BUF)
			remote_flush_writes(r);
	}
	return r->lost ? -EIO : (int64_t)n;
}

/* ---- set-up ---- */

int remote_init(struct remote *r, struct rpc_conn *conn, FILE *warn, uint64_t attr_ttl_ns)
{
	memset(r, 0, sizeof *r);
	r->conn = conn;
	r->warn = warn;
	r->attr_ttl_ns = attr_ttl_ns;
	if (attr_ttl_ns && !(r->cache = attr_cache_new(attr_ttl_ns, CACHE_PATHS)))
		return -ENOMEM;
	return 0;
}

void remote_fini(struct remote *r)
{
	open_ahead_fini(r);
	remote_flush_writes(r);
	/* The last wait: for the replies of the last requests sent, whether
	 * or not some came already (struct rpc_stats). */
	if (!r->lost && r->last_later_tag)
		rpc_note_wait(r->conn, r->last_later_tag);
	while (!r->lost && r->nlater) {
		struct rpc_reply rep;
		int rc = rpc_recv_next(r->conn, -1, &rep);
		if (rc) {
			mark_lost(r, r->later[0].op, rc);
			break;
		}
		dispatch(r, &rep);
	}
	fail_later(r);
}

void remote_free(struct remote *r)
{
	open_ahead_fini(r);
	fail_later(r);
	open_ahead_listings_free(r);
	free(r->ahead);
	forgets_drop(r, 0, r->nforgets);
	free(r->forgets);
	r->listings = NULL;
	r->ahead = NULL;
	r->forgets = NULL;
	r->nlistings = 0;
	free(r->later);
	free(r->wb_buf);
	for (size_t h = 0; h < r->nhandles; h++)
		free(r->handles[h].path);
	free(r->handles);
	attr_cache_free(r->cache);
	r->later = NULL;
	r->wb_buf = NULL;
	r->handles = NULL;
	r->cache = NULL;
	r->nlater = r->cap_later = r->nhandles = 0;
}

/* ---- what the cache knows of handles ---- */

static struct remote_handle *handle_of(struct remote *r, int64_t h)
{
	return h >= 0 && (size_t)h < r->nhandles ? &r->handles[h] : NULL;
}

static void handle_opened(struct remote *r, int64_t h, const char *path, const struct canon_stat *st)
{
	if (h < 0 || h > 1 << 20)
		return;
	if ((size_t)h >= r->nhandles) {
		size_t n = r->nhandles ? r->nhandles : 64;
		while (n <= (size_t)h)
			n *= 2;
		struct remote_handle *t = realloc(r->handles, n * sizeof *t);
		if (!t)
			return;
		memset(t + r->nhandles, 0, (n - r->nhandles) * sizeof *t);
		r->handles = t;
		r->nhandles = n;
	}
	struct remote_handle *e = &r->handles[h];
	free(e->path);
	e->path = path ? strdup(path) : NULL;
	e->have_st = st != NULL;
	if (st)
		e->st = *st;
	e->forgot_at = 0;
}

static void handle_closed(struct remote *r, int64_t h)
{
	struct remote_handle *e = handle_of(r, h);
	if (e) {
		free(e->path);
		memset(e, 0, sizeof *e);
	}
}

bool remote_same_file(const struct canon_stat *a, const struct canon_stat *b)
{
	return a->ino == b->ino && a->dev_major == b->dev_major && a->dev_minor == b->dev_minor;
}

/* ---- what a later reply may no longer say ---- */

/* The agent's own changes make the cache forget what they touch. A reply
 * to a request sent before such a forget (a stat prefetch, an FSTAT after
 * a file's writes, an open sent ahead) and handled after it says how
 * things were, not how they are: it must not fill the cache again. So
 * forgets are logged, with the first tag sent after them, for as long as
 * requests sent before them are in flight. */
enum forget_kind { FORGET_PATH, FORGET_SUBTREE, FORGET_FILE, FORGET_ALL };

struct remote_forget {
	int64_t tag;               /* replies to tags below this one are stale */
	enum forget_kind kind;
	char *path;                /* FORGET_PATH, FORGET_SUBTREE */
	struct canon_stat st;      /* FORGET_FILE: its identity */
};

#define FORGETS_MAX 256

static void forgets_drop(struct remote *r, size_t from, size_t to)
{
	if (from == to)
		return;
	for (size_t i = from; i < to; i++)
		free(r->forgets[i].path);
	memmove(&r->forgets[from], &r->forgets[to], (r->nforgets - to) * sizeof *r->forgets);
	r->nforgets -= to - from;
}

/* Records no reply can be stale by any more: every request in flight was
 * sent after them. */
static void forgets_prune(struct remote *r)
{
	int64_t oldest = r->nlater ? r->later[0].tag : INT64_MAX;
	size_t k = 0;
	while (k < r->nforgets && r->forgets[k].tag <= oldest)
		k++;
	forgets_drop(r, 0, k);
}

static void log_forget(struct remote *r, enum forget_kind kind, const char *path, const struct canon_stat *st)
{
	forgets_prune(r);
	if (!r->nlater)
		return;   /* nothing in flight */
	if (r->nforgets == FORGETS_MAX || (kind == FORGET_ALL && r->nforgets)) {
		/* Too many: everything in flight is stale. */
		forgets_drop(r, 0, r->nforgets);
		kind = FORGET_ALL;
	}
	if (!r->forgets && !(r->forgets = calloc(FORGETS_MAX, sizeof *r->forgets)))
		return;
	/* The same forget again (a file written to, write after write) only
	 * moves to the end, with the newer tag. */
	for (size_t i = 0; i < r->nforgets && kind != FORGET_ALL; i++) {
		const struct remote_forget *o = &r->forgets[i];
		if (o->kind == kind && (kind == FORGET_FILE ? remote_same_file(&o->st, st) : strcmp(o->path, path) == 0)) {
			forgets_drop(r, i, i + 1);
			break;
		}
	}
	struct remote_forget f = { .tag = r->conn->next_tag, .kind = kind };
	if (st)
		f.st = *st;
	if (path && !(f.path = strdup(path)))
		f.kind = FORGET_ALL;
	r->forgets[r->nforgets++] = f;
}

bool remote_path_under(const char *path, const char *top)
{
	size_t n = strlen(top);
	return strncmp(path, top, n) == 0 && (path[n] == 0 || path[n] == '/' || (n && top[n - 1] == '/'));
}

/* Whether a reply to TAG about PATH (may be NULL) and the file ST (may be
 * NULL) was made stale by a forget logged after TAG was sent. */
bool remote_stale(const struct remote *r, int64_t tag, const char *path, const struct canon_stat *st)
{
	for (size_t i = r->nforgets; i-- > 0;) {
		const struct remote_forget *f = &r->forgets[i];
		if (f->tag <= tag)
			break;
		switch (f->kind) {
		case FORGET_ALL:
			return true;
		case FORGET_PATH:
			if (path && strcmp(path, f->path) == 0)
				return true;
			break;
		case FORGET_SUBTREE:
			if (path && remote_path_under(path, f->path))
				return true;
			break;
		case FORGET_FILE:
			if (st && remote_same_file(st, &f->st))
				return true;
			break;
		}
	}
	return false;
}

static void forget_path(struct remote *r, const char *path, bool subtree)
{
	attr_cache_forget(r->cache, path, subtree);
	log_forget(r, subtree ? FORGET_SUBTREE : FORGET_PATH, path, NULL);
	open_ahead_forget(r, path, subtree, NULL);
}

static void forget_file(struct remote *r, const struct canon_stat *st)
{
	attr_cache_forget_file(r->cache, st);
	log_forget(r, FORGET_FILE, NULL, st);
	open_ahead_forget(r, NULL, false, st);
}

/* The directory that holds PATH: its times, size and link count change
 * when a name in it does. */
static void forget_parent(struct remote *r, const char *path)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	while (n > 0 && path[n - 1] != '/')
		n--;
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 0)
		return;
	char parent[n + 1];
	memcpy(parent, path, n);
	parent[n] = 0;
	attr_cache_forget(r->cache, parent, false);
	log_forget(r, FORGET_PATH, parent, NULL);
}

/* The file open on H changes: what the cache knows of it goes. */
static void handle_changes(struct remote *r, int64_t h)
{
	struct remote_handle *e = handle_of(r, h);
	if (!r->cache || !e)
		return;
	if (e->forgot_at == attr_cache_generation(r->cache) + 1) {
		/* Forgotten already, nothing learnt since: only what is in
		 * flight must not come back. */
		if (e->path)
			log_forget(r, FORGET_PATH, e->path, NULL);
		if (e->have_st)
			log_forget(r, FORGET_FILE, NULL, &e->st);
		if (e->have_st)
			open_ahead_forget(r, NULL, false, &e->st);
		return;
	}
	if (e->path)
		forget_path(r, e->path, false);
	if (e->have_st)
		forget_file(r, &e->st);
	e->forgot_at = attr_cache_generation(r->cache) + 1;
}

void remote_forget_handle(struct remote *r, int64_t h)
{
	handle_changes(r, h);
}

/* ---- a new session ---- */

void remote_resume(struct remote *r, struct rpc_conn *fresh)
{
	/* Tags go on from the old connection's (a request of the old one
	 * that anything still remembers is never taken for a new one), and
	 * so do the counters. */
	fresh->next_tag = r->conn->next_tag > fresh->next_tag ? r->conn->next_tag : fresh->next_tag;
	fresh->overlapped_below = r->conn->overlapped_below;
	struct rpc_stats old = r->conn->stats;
	struct rpc_stats *s = &fresh->stats;
	s->requests += old.requests;
	for (int op = 0; op < RPC_OP_MAX; op++)
		s->ops[op] += old.ops[op];
	s->round_trips += old.round_trips;
	s->bytes_sent += old.bytes_sent;
	fresh->in.received += r->conn->in.received;   /* what rpc_get_stats reports received */
	s->wait_ns += old.wait_ns;
	rpc_close(r->conn);
	*r->conn = *fresh;
	memset(fresh, 0, sizeof *fresh);
	fresh->fd = -1;
	fail_later(r);
	open_ahead_drop(r);
	forgets_drop(r, 0, r->nforgets);
	for (size_t h = 0; h < r->nhandles; h++)
		handle_closed(r, (int64_t)h);
	if (r->cache)
		attr_cache_clear(r->cache);
	r->prefetch_tag = r->changed_tag = r->last_later_tag = 0;
	r->lost = NULL;
	r->lost_buf[0] = 0;
}

/* PATH changed (its attributes, or what it names): forget it, the file it
 * named (ST if known) and, when names changed, its directory. */
static void path_changes(struct remote *r, const char *path, const struct canon_stat *st, bool names,
			 bool subtree)
{
	if (!r->cache)
		return;
	struct canon_stat old;
	if (attr_cache_get(r->cache, path, false, &old, NULL) == 1)
		forget_file(r, &old);
	if (st)
		forget_file(r, st);
	forget_path(r, path, subtree);
	if (names)
		forget_parent(r, path);
}

static bool cache_path(int64_t dirh, const char *path, int at_flags)
{
	return dirh == RPC_HANDLE_CWD && path[0] == '/' && !(at_flags & AT_EMPTY_PATH);
}

/* A change made by the agent was answered: replies to stat prefetches sent
 * before it and arriving after it are stale. */
static void changed(struct remote *r)
{
	r->changed_tag = r->conn->next_tag;
}

/* ---- ops ---- */

void remote_data_free(struct remote_data *d)
{
	rpc_reply_free(&d->rep);
	memset(d, 0, sizeof *d);
}

int64_t remote_data_from(struct remote_data *data, struct rpc_reply *rep, size_t asked, int64_t off)
{
	memset(data, 0, sizeof *data);
	const struct rpc_val *v = NULL;
	int64_t res = rep->result;
	size_t nv = rep->nvals;
	if (rep->op == RPC_OP_COMPOUND) {
		/* The PREAD is the last op that ran. */
		size_t k = 0;
		int64_t r;
		const struct rpc_val *w;
		while (remote_op_result(rep, k, &r, &w, &nv)) {
			res = r;
			v = w;
			k++;
		}
	} else {
		v = rep->vals;
	}
	if (res < 0)
		return -native_errno(-res);
	if (!v || nv < 1 || (size_t)v[0].i > asked || v[0].i != res)
		return -EPROTO;
	data->tag = rep->tag;
	data->rep = *rep;
	memset(rep, 0, sizeof *rep);
	data->p = v[0].p;
	data->len = (size_t)v[0].i;
	data->off = off;
	data->eof = data->len < asked;
	return (int64_t)data->len;
}

void remote_open_compound(struct open_compound *oc, struct rpc_val open_args[6], size_t data_max)
{
	oc->fstat_args[0] = rpc_int(RPC_REF(0));
	oc->pread_args[0] = rpc_int(RPC_REF(0));
	oc->pread_args[1] = rpc_int((int64_t)data_max);
	oc->pread_args[2] = rpc_int(0);
	oc->calls[0] = (struct rpc_call){ RPC_OP_OPEN, 6, open_args };
	oc->calls[1] = (struct rpc_call){ RPC_OP_FSTAT, 1, oc->fstat_args };
	oc->calls[2] = (struct rpc_call){ RPC_OP_PREAD, 3, oc->pread_args };
	oc->ncalls = data_max ? 3 : 2;
}

int64_t remote_open_reply(struct remote *r, const char *path, int flags, struct rpc_reply *rep, struct stat *st,
			  struct remote_data *data, size_t data_max)
{
	/* vals: OPEN, its result, FSTAT, its result, 21 stat fields, PREAD ... */
	int64_t h, fres, res;
	const struct rpc_val *v;
	size_t nv;
	if (!remote_op_result(rep, 0, &h, &v, NULL))
		return -EPROTO;
	if (h < 0) {
		res = -native_errno(-h);
		if (r->cache && -res == ENOENT)
			attr_cache_put_absent(r->cache, path, !(flags & O_NOFOLLOW), 0);
		return res;
	}
	if (!remote_op_result(rep, 1, &fres, &v, &nv) || fres < 0 || nv < RPC_STAT_FIELDS) {
		res = remote_op_result(rep, 1, &fres, &v, NULL) && fres < 0 ? -native_errno(-fres) : -EPROTO;
		remote_close(r, h, false);
		return res;
	}
	struct canon_stat cst;
	rpc_vals_stat(v, &cst);
	if (canon_stat_to_stat(&cst, st)) {
		remote_close(r, h, false);
		return -EOVERFLOW;
	}
	handle_opened(r, h, path, &cst);
	if (r->cache && path[0] == '/') {
		/* The open revalidated PATH: what it names now. */
		attr_cache_put(r->cache, path, !(flags & O_NOFOLLOW), &cst, 0);
	}
	if (data && data_max)
		remote_data_from(data, rep, data_max, 0);
	return h;
}

int64_t remote_open(struct remote *r, const char *path, int flags, mode_t mode, mode_t umask, struct stat *st,
		    struct remote_data *data, size_t data_max)
{
	int64_t cflags, cmode, cumask;
	if (data)
		memset(data, 0, sizeof *data);
	ENCODE(open_flags, flags & ~O_CLOEXEC, cflags);
	/* The mode argument means something only when the open creates; the
	 * guest's register holds whatever was there otherwise. */
	if (!(flags & O_CREAT) && (flags & O_TMPFILE) != O_TMPFILE)
		mode = 0;
	ENCODE(mode, mode & 07777, cmode);
	ENCODE(mode, umask & 0777, cumask);
	bool creates = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
	if (r->cache && (creates || (flags & O_TRUNC)))
		path_changes(r, path, NULL, creates, false);
	struct rpc_val open_args[] = {
		rpc_int(RPC_HANDLE_CWD), rpc_str(path), rpc_int(cflags), rpc_int(cmode), rpc_int(cumask), rpc_int(0),
	};
	if (!st) {
		int64_t h = call0(r, RPC_OP_OPEN, open_args, 6);
		if (h >= 0)
			handle_opened(r, h, path, NULL);
		if (creates || (flags & O_TRUNC))
			changed(r);
		return h;
	}
	/* Only plain reads are guessed (and sent ahead). */
	bool reads_only = (flags & O_ACCMODE) == O_RDONLY && !creates &&
			  !(flags & (O_TRUNC | O_PATH | O_DIRECTORY)) && path[0] == '/';
	if (reads_only && r->nahead) {
		int64_t h = open_ahead_take(r, path, flags, data ? data_max : 0, st, data);
		if (h >= 0) {
			open_ahead_next(r, path, flags, data ? data_max : 0, true);
			return h;
		}
	}
	struct open_compound oc;
	remote_open_compound(&oc, open_args, data ? data_max : 0);
	struct rpc_reply rep;
	int64_t res = compound(r, oc.calls, oc.ncalls, &rep);
	if (res < 0)
		return res;
	if (creates || (flags & O_TRUNC))
		changed(r);
	res = remote_open_reply(r, path, flags, &rep, st, data, data_max);
	rpc_reply_free(&rep);
	if (res >= 0 && reads_only && S_ISREG(st->st_mode))
		open_ahead_next(r, path, flags, data ? data_max : 0, false);
	return res;
}

static void close_done(struct remote *r, void *owner, int64_t arg, struct rpc_reply *rep, int err)
{
	(void)arg;
	char *path = owner;
	if (!err && rep->result < 0)
		fprintf(warn_stream(r), "splitrun: closing %s at the shadow failed: %s\n", path ? path : "a file",
			strerror((int)native_errno(-rep->result)));
	free(path);
}

int64_t remote_close(struct remote *r, int64_t h, bool wait)
{
	struct remote_handle *e = handle_of(r, h);
	char *path = e && e->path ? strdup(e->path) : NULL;
	handle_closed(r, h);
	struct rpc_val a[] = { rpc_int(h) };
	if (wait) {
		free(path);
		return call0(r, RPC_OP_CLOSE, a, 1);
	}
	int64_t tag = remote_send_later(r, RPC_OP_CLOSE, a, 1, close_done, path, 0);
	if (tag < 0)
		free(path);
	return tag < 0 ? tag : 0;
}

void remote_dup_reply(struct remote *r, int64_t h, const struct rpc_reply *rep)
{
	struct remote_handle *e = handle_of(r, h);
	if (rep->result >= 0 && e) {
		struct remote_handle copy = *e;
		handle_opened(r, rep->result, copy.path, copy.have_st ? &copy.st : NULL);
	}
}

int64_t remote_dup(struct remote *r, int64_t h)
{
	struct rpc_val a[] = { rpc_int(h) };
	int64_t d = call0(r, RPC_OP_DUP, a, 1);
	struct remote_handle *e = handle_of(r, h);
	if (d >= 0 && e) {
		/* The same file: what the cache knows of H holds for it. */
		struct remote_handle copy = *e;
		handle_opened(r, d, copy.path, copy.have_st ? &copy.st : NULL);
	}
	return d;
}

int64_t remote_read(struct remote *r, int64_t h, void *buf, size_t n, int64_t off)
{
	struct rpc_val a[] = { rpc_int(h), rpc_int((int64_t)n), rpc_int(off) };
	struct rpc_reply rep;
	int64_t res = call(r, off < 0 ? RPC_OP_READ : RPC_OP_PREAD, a, off < 0 ? 2 : 3, &rep);
	if (res >= 0) {
		size_t got = rep.nvals ? (size_t)rep.vals[0].i : 0;
		if (got > n) {
			res = -EPROTO;
		} else {
			memcpy(buf, rep.vals[0].p, got);
			res = (int64_t)got;
		}
	}
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_pread_data(struct remote *r, int64_t h, size_t n, int64_t off, struct remote_data *data)
{
	struct rpc_val a[] = { rpc_int(h), rpc_int((int64_t)n), rpc_int(off) };
	struct rpc_reply rep;
	memset(data, 0, sizeof *data);
	int64_t res = call(r, RPC_OP_PREAD, a, 3, &rep);
	if (res >= 0)
		res = remote_data_from(data, &rep, n, off);
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_write(struct remote *r, int64_t h, const void *buf, size_t n, int64_t off)
{
	handle_changes(r, h);
	struct rpc_val a[] = { rpc_int(h), rpc_buf(buf, n), rpc_int(off) };
	int64_t res = call0(r, off < 0 ? RPC_OP_WRITE : RPC_OP_PWRITE, a, off < 0 ? 2 : 3);
	changed(r);
	return res;
}

int64_t remote_lseek(struct remote *r, int64_t h, int64_t off, int whence)
{
	int64_t cw;
	ENCODE(whence, whence, cw);
	struct rpc_val a[] = { rpc_int(h), rpc_int(off), rpc_int(cw) };
	return call0(r, RPC_OP_LSEEK, a, 3);
}

/* A stat-like op waited for: the canonical stat in *CST. */
static int64_t stat_call(struct remote *r, int64_t op, const struct rpc_val *a, size_t n, struct canon_stat *cst)
{
	struct rpc_reply rep;
	int64_t res = call(r, op, a, n, &rep);
	if (res >= 0) {
		if (rep.nvals >= RPC_STAT_FIELDS)
			rpc_vals_stat(rep.vals, cst);
		else
			res = -EPROTO;
	}
	rpc_reply_free(&rep);
	return res;
}

static int64_t fstat_asked(struct remote *r, int64_t h, struct canon_stat *cst);

int64_t remote_fstat_fresh(struct remote *r, int64_t h)
{
	struct canon_stat cst;
	return fstat_asked(r, h, &cst);
}

int64_t remote_fstat(struct remote *r, int64_t h, struct stat *st)
{
	struct remote_handle *e = handle_of(r, h);
	struct canon_stat cst;
	/* The path the handle was opened as, if it still names its file. */
	int64_t source = 0;
	if (r->cache && e && e->path && e->have_st && attr_cache_get(r->cache, e->path, true, &cst, &source) == 1 &&
	    remote_same_file(&cst, &e->st)) {
		if (source > 0)
			rpc_note_wait(r->conn, source);
		return canon_stat_to_stat(&cst, st) ? -EOVERFLOW : 0;
	}
	int64_t res = fstat_asked(r, h, &cst);
	if (res < 0)
		return res;
	return canon_stat_to_stat(&cst, st) ? -EOVERFLOW : 0;
}

void remote_fstat_reply(struct remote *r, int64_t h, const struct rpc_reply *rep)
{
	struct remote_handle *e = handle_of(r, h);
	if (!r->cache || !e || !e->path || !e->have_st || rep->result < 0 || rep->nvals < RPC_STAT_FIELDS)
		return;
	struct canon_stat cst;
	rpc_vals_stat(rep->vals, &cst);
	if (remote_same_file(&cst, &e->st) && !remote_stale(r, rep->tag, e->path, &cst))
		attr_cache_put(r->cache, e->path, true, &cst, rep->tag);
}

/* FSTAT at the shadow; the answer refreshes the cache. */
static int64_t fstat_asked(struct remote *r, int64_t h, struct canon_stat *cst)
{
	struct rpc_val a[] = { rpc_int(h) };
	int64_t res = stat_call(r, RPC_OP_FSTAT, a, 1, cst);
	if (res < 0)
		return res;
	struct remote_handle *e = handle_of(r, h);
	if (r->cache && e && e->path && e->have_st && remote_same_file(cst, &e->st))
		attr_cache_put(r->cache, e->path, true, cst, 0);
	return 0;
}

/* Stat prefetches of a directory in flight: what the stat of PATH might be
 * waiting for. Returns the tag of the last one for PATH's directory. */
static int64_t prefetch_for(struct remote *r, const char *path);

/* A cache lookup for the stat-like call of PATH: 1 hit (CST), -ENOENT known
 * absent, 0 unknown. A miss waits first for stat prefetches of PATH's
 * directory that are on their way. */
static int cached(struct remote *r, const char *path, bool follow, struct canon_stat *cst)
{
	if (!r->cache)
		return 0;
	int64_t source = 0;
	int hit = attr_cache_get(r->cache, path, follow, cst, &source);
	if (hit == 0) {
		int64_t tag = prefetch_for(r, path);
		if (tag > 0 && remote_wait_tag(r, tag) == 0)
			hit = attr_cache_get(r->cache, path, follow, cst, &source);
	}
	/* An answer a prefetch brought is a wait spared, or not (struct
	 * rpc_stats): counted by the request it came with. */
	if (hit && source > 0)
		rpc_note_wait(r->conn, source);
	return hit;
}

static void remember(struct remote *r, const char *path, bool follow, int64_t res, const struct canon_stat *cst)
{
	if (!r->cache || path[0] != '/')
		return;
	if (res >= 0)
		attr_cache_put(r->cache, path, follow, cst, 0);
	else if (res == -ENOENT)
		attr_cache_put_absent(r->cache, path, follow, 0);
}

int64_t remote_stat(struct remote *r, int64_t dirh, const char *path, int at_flags, struct stat *st)
{
	int64_t cat;
	ENCODE(at_flags, at_flags, cat);
	bool follow = !(at_flags & AT_SYMLINK_NOFOLLOW), use = cache_path(dirh, path, at_flags);
	struct canon_stat cst;
	int hit = use ? cached(r, path, follow, &cst) : 0;
	if (hit < 0)
		return hit;
	if (hit == 0) {
		struct rpc_val a[] = { rpc_int(dirh), rpc_str(path), rpc_int(cat) };
		int64_t res = stat_call(r, RPC_OP_FSTATAT, a, 3, &cst);
		if (use)
			remember(r, path, follow, res, &cst);
		if (res < 0)
			return res;
	}
	return canon_stat_to_stat(&cst, st) ? -EOVERFLOW : 0;
}

int64_t remote_statx(struct remote *r, int64_t dirh, const char *path, int at_flags, unsigned mask, struct statx *stx)
{
	int64_t cat, cmask;
	ENCODE(at_flags, at_flags, cat);
	/* Bits the protocol has no name for ask for nothing it could answer. */
	if (canon_statx_mask_encode(mask & (STATX_BASIC_STATS | STATX_BTIME), &cmask))
		return -EINVAL;
	bool follow = !(at_flags & AT_SYMLINK_NOFOLLOW);
	bool use = cache_path(dirh, path, at_flags) && (at_flags & AT_STATX_SYNC_TYPE) != AT_STATX_FORCE_SYNC;
	struct canon_stat cst;
	int hit = use ? cached(r, path, follow, &cst) : 0;
	if (hit < 0)
		return hit;
	if (hit > 0 && (cst.mask & cmask) != cmask)
		hit = 0;   /* asks for more than was fetched (the birth time) */
	if (hit == 0) {
		struct rpc_val a[] = { rpc_int(dirh), rpc_str(path), rpc_int(cat), rpc_int(cmask) };
		int64_t res = stat_call(r, RPC_OP_STATX, a, 4, &cst);
		if (use)
			remember(r, path, follow, res, &cst);
		if (res < 0)
			return res;
	}
	return canon_stat_to_statx(&cst, stx) ? -EOVERFLOW : 0;
}

int64_t remote_access(struct remote *r, int64_t dirh, const char *path, int mode, int at_flags)
{
	int64_t cmode, cat;
	ENCODE(access_mode, mode, cmode);
	ENCODE(at_flags, at_flags, cat);
	/* Permissions are the shadow's to judge; that nothing is there is
	 * known here. */
	struct canon_stat cst;
	if (cache_path(dirh, path, at_flags) && r->cache &&
	    attr_cache_get(r->cache, path, !(at_flags & AT_SYMLINK_NOFOLLOW), &cst, NULL) == -ENOENT)
		return -ENOENT;
	struct rpc_val a[] = { rpc_int(dirh), rpc_str(path), rpc_int(cmode), rpc_int(cat) };
	return call0(r, RPC_OP_FACCESSAT, a, 4);
}

int64_t remote_readlink(struct remote *r, const char *path, char *buf, size_t size)
{
	struct rpc_val a[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path), rpc_int((int64_t)size) };
	struct rpc_reply rep;
	int64_t res = call(r, RPC_OP_READLINK, a, 3, &rep);
	if (res >= 0) {
		size_t got = rep.nvals ? (size_t)rep.vals[0].i : 0;
		if (got > size)
			got = size;
		memcpy(buf, rep.vals[0].p, got);
		res = (int64_t)got;
	}
	rpc_reply_free(&rep);
	return res;
}

/* ---- directories ---- */

void remote_dirents_free(struct remote_dirents *d)
{
	free(d->ents);
	free(d->names);
	memset(d, 0, sizeof *d);
}

/* A stat prefetch: the directory's path and the names asked, in order. */
struct prefetch {
	size_t count;
	char *dir;           /* no trailing '/' ("" for the root) */
	char *names[];
};

static void prefetch_done(struct remote *r, void *owner, int64_t arg, struct rpc_reply *rep, int err)
{
	(void)arg;
	struct prefetch *pf = owner;
	/* A change of ours answered before this reply came makes it stale
	 * (only a shadow that reorders replies would do that). */
	if (!err && r->cache && rep->tag >= r->changed_tag) {
		for (size_t k = 0; k < pf->count; k++) {
			int64_t res;
			const struct rpc_val *v;
			size_t nv;
			if (!remote_op_result(rep, k, &res, &v, &nv))
				break;
			char path[RPC_MAX_PATH + 2];
			if ((size_t)snprintf(path, sizeof path, "%s/%s", pf->dir, pf->names[k]) >= sizeof path)
				continue;
			if (res >= 0 && nv >= RPC_STAT_FIELDS) {
				struct canon_stat cst;
				rpc_vals_stat(v, &cst);
				if (!remote_stale(r, rep->tag, path, &cst))
					attr_cache_put(r->cache, path, false, &cst, rep->tag);
			} else if (res < 0 && native_errno(-res) == ENOENT && !remote_stale(r, rep->tag, path, NULL)) {
				attr_cache_put_absent(r->cache, path, false, rep->tag);
			}
		}
	}
	for (size_t k = 0; k < pf->count; k++)
		free(pf->names[k]);
	free(pf->dir);
	free(pf);
}

static int64_t prefetch_for(struct remote *r, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return 0;
	size_t dl = (size_t)(slash - path);
	int64_t tag = 0;
	for (size_t i = 0; i < r->nlater; i++) {
		const struct remote_later *l = &r->later[i];
		if (l->done != prefetch_done)
			continue;
		const struct prefetch *pf = l->owner;
		if (strlen(pf->dir) == dl && strncmp(pf->dir, path, dl) == 0)
			tag = l->tag;
	}
	return tag;
}

/* Asks for the attributes of NAMES in directory handle H (path DIR) in
 * later COMPOUNDs of FSTATATs. */
static void prefetch_stats(struct remote *r, int64_t h, const char *dir, const struct remote_dirents *d)
{
	int64_t cat;
	if (canon_at_flags_encode(AT_SYMLINK_NOFOLLOW, &cat))
		return;
	size_t dl = strlen(dir);
	while (dl > 0 && dir[dl - 1] == '/')
		dl--;
	for (size_t k = 0; k < d->count && !r->lost;) {
		struct prefetch *pf = calloc(1, sizeof *pf + RPC_MAX_COMPOUND * sizeof(char *));
		if (!pf || !(pf->dir = strndup(dir, dl))) {
			free(pf);
			return;
		}
		struct rpc_val args[RPC_MAX_COMPOUND][3];
		struct rpc_call calls[RPC_MAX_COMPOUND];
		for (; k < d->count && pf->count < RPC_MAX_COMPOUND; k++) {
			const char *name = d->ents[k].name;
			if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
				continue;
			size_t i = pf->count;
			if (!(pf->names[i] = strdup(name)))
				break;
			args[i][0] = rpc_int(h);
			args[i][1] = rpc_str(pf->names[i]);
			args[i][2] = rpc_int(cat);
			calls[i] = (struct rpc_call){ RPC_OP_FSTATAT, 3, args[i] };
			pf->count++;
		}
		if (pf->count == 0 || remote_compound_later(r, calls, pf->count, prefetch_done, pf, 0) < 0)
			prefetch_done(r, pf, 0, NULL, -EIO);
	}
}

/* Appends the entries of one GETDENTS result (V: count, then 4 values per
 * entry) to D. */
static int add_dirents(struct remote_dirents *d, const struct rpc_val *v, size_t nv, size_t *names_len)
{
	int64_t count = nv ? v[0].i : -1;
	if (count < 0 || nv < 1 + 4 * (size_t)count)
		return -EPROTO;
	struct remote_dirent *e = realloc(d->ents, (d->count + (size_t)count + 1) * sizeof *e);
	if (!e)
		return -ENOMEM;
	d->ents = e;
	size_t need = *names_len;
	for (int64_t k = 0; k < count; k++)
		need += (size_t)v[1 + 4 * k + 3].i + 1;
	char *names = realloc(d->names, need ? need : 1);
	if (!names)
		return -ENOMEM;
	/* Names moved: point the entries again. */
	for (size_t k = 0, at = 0; k < d->count; k++) {
		d->ents[k].name = names + at;
		at += strlen(names + at) + 1;
	}
	d->names = names;
	for (int64_t k = 0; k < count; k++) {
		const struct rpc_val *x = &v[1 + 4 * k];
		int64_t type;
		if (canon_dirent_type_decode(x[2].i, &type))
			type = DT_UNKNOWN;
		struct remote_dirent *out = &d->ents[d->count++];
		out->ino = (uint64_t)x[0].i;
		out->off = x[1].i;
		out->type = (unsigned char)type;
		memcpy(names + *names_len, x[3].p, (size_t)x[3].i);
		names[*names_len + (size_t)x[3].i] = 0;
		out->name = names + *names_len;
		*names_len += (size_t)x[3].i + 1;
	}
	return 0;
}

int64_t remote_getdents(struct remote *r, int64_t h, const char *dir_path, struct remote_dirents *out)
{
	memset(out, 0, sizeof *out);
	struct rpc_val a[] = { rpc_int(h), rpc_int(RPC_MAX_DIRENTS) };
	struct rpc_call calls[] = { { RPC_OP_GETDENTS, 2, a }, { RPC_OP_GETDENTS, 2, a } };
	struct rpc_reply rep;
	int64_t res = compound(r, calls, 2, &rep);
	if (res < 0)
		return res;
	size_t names_len = 0;
	for (size_t k = 0; k < 2 && res >= 0; k++) {
		int64_t got;
		const struct rpc_val *v;
		size_t nv;
		if (!remote_op_result(&rep, k, &got, &v, &nv))
			break;
		if (got < 0) {
			/* The second may find the reply's data budget spent: it
			 * is asked again next time. */
			if (k == 0)
				res = -native_errno(-got);
			break;
		}
		res = add_dirents(out, v, nv, &names_len);
		if (got == 0)
			out->eof = true;
	}
	rpc_reply_free(&rep);
	if (res < 0) {
		remote_dirents_free(out);
		return res;
	}
	if (dir_path && r->cache && out->count) {
		prefetch_stats(r, h, dir_path, out);
		open_ahead_listed(r, h, dir_path, out);
	}
	return (int64_t)out->count;
}

/* ---- changes ---- */

/* OP on a path, then, in the same round trip, the new attributes of PATH
 * (seen with FOLLOW): they refresh the cache. Returns OP's result. */
static int64_t change_then_stat(struct remote *r, int64_t op, const struct rpc_val *a, size_t n, const char *path,
				bool follow)
{
	int64_t cat;
	if (!r->cache || path[0] != '/' || canon_at_flags_encode(follow ? 0 : AT_SYMLINK_NOFOLLOW, &cat))
		return call0(r, op, a, n);
	struct rpc_val sa[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path), rpc_int(cat) };
	struct rpc_call calls[] = { { op, n, (struct rpc_val *)a }, { RPC_OP_FSTATAT, 3, sa } };
	struct rpc_reply rep;
	int64_t res = compound(r, calls, 2, &rep);
	if (res < 0)
		return res;
	changed(r);
	const struct rpc_val *v;
	size_t nv;
	int64_t sres;
	if (!remote_op_result(&rep, 0, &res, &v, NULL)) {
		res = -EPROTO;
	} else if (res >= 0 && remote_op_result(&rep, 1, &sres, &v, &nv) && sres >= 0 && nv >= RPC_STAT_FIELDS) {
		struct canon_stat cst;
		rpc_vals_stat(v, &cst);
		forget_file(r, &cst);
		attr_cache_put(r->cache, path, follow, &cst, 0);
	}
	rpc_reply_free(&rep);
	return native_result(res);
}

int64_t remote_mkdir(struct remote *r, const char *path, mode_t mode, mode_t umask)
{
	int64_t cmode, cumask;
	ENCODE(mode, mode & 07777, cmode);
	ENCODE(mode, umask & 0777, cumask);
	path_changes(r, path, NULL, true, false);
	struct rpc_val a[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path), rpc_int(cmode), rpc_int(cumask) };
	return change_then_stat(r, RPC_OP_MKDIR, a, 4, path, false);
}

/* The attributes PATH had (for the other names of its file), fetched in
 * the round trip of the change that follows them: a COMPOUND of FSTATAT
 * and OP, which is sent alone when the FSTATAT fails, so that its own
 * error is what the caller sees. */
static int64_t stat_then_change(struct remote *r, const char *path, int64_t op, const struct rpc_val *a, size_t n)
{
	int64_t cat;
	if (!r->cache || path[0] != '/' || canon_at_flags_encode(AT_SYMLINK_NOFOLLOW, &cat))
		return call0(r, op, a, n);
	struct rpc_val sa[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path), rpc_int(cat) };
	struct rpc_call calls[] = { { RPC_OP_FSTATAT, 3, sa }, { op, n, (struct rpc_val *)a } };
	struct rpc_reply rep;
	int64_t res = compound(r, calls, 2, &rep);
	if (res < 0)
		return res;
	const struct rpc_val *v;
	size_t nv;
	int64_t sres;
	if (!remote_op_result(&rep, 0, &sres, &v, &nv)) {
		res = -EPROTO;
	} else if (sres < 0) {
		res = call0(r, op, a, n);
	} else {
		if (nv >= RPC_STAT_FIELDS) {
			struct canon_stat cst;
			rpc_vals_stat(v, &cst);
			forget_file(r, &cst);
		}
		res = remote_op_result(&rep, 1, &res, &v, NULL) ? native_result(res) : -EPROTO;
	}
	rpc_reply_free(&rep);
	changed(r);
	return res;
}

int64_t remote_unlink(struct remote *r, const char *path, int at_flags)
{
	int64_t cat;
	ENCODE(at_flags, at_flags, cat);
	path_changes(r, path, NULL, true, (at_flags & AT_REMOVEDIR) != 0);
	struct rpc_val a[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path), rpc_int(cat) };
	int64_t res = stat_then_change(r, path, RPC_OP_UNLINK, a, 3);
	if (res == 0 && r->cache)
		attr_cache_put_absent(r->cache, path, false, 0);
	return res;
}

int64_t remote_rename(struct remote *r, const char *from, const char *to, unsigned flags)
{
	int64_t cflags;
	ENCODE(rename_flags, flags, cflags);
	/* Anything beneath either name moves or goes; the file replaced at
	 * TO loses a link. */
	path_changes(r, from, NULL, true, true);
	path_changes(r, to, NULL, true, true);
	struct rpc_val a[] = {
		rpc_int(RPC_HANDLE_CWD), rpc_str(from), rpc_int(RPC_HANDLE_CWD), rpc_str(to), rpc_int(cflags),
	};
	return stat_then_change(r, from, RPC_OP_RENAME, a, 5);
}

int64_t remote_link(struct remote *r, const char *from, const char *to, int at_flags)
{
	int64_t cat;
	ENCODE(at_flags, at_flags, cat);
	path_changes(r, from, NULL, false, false);
	path_changes(r, to, NULL, true, false);
	struct rpc_val a[] = {
		rpc_int(RPC_HANDLE_CWD), rpc_str(from), rpc_int(RPC_HANDLE_CWD), rpc_str(to), rpc_int(cat),
	};
	/* The new name's attributes are the file's, with its new link count. */
	return change_then_stat(r, RPC_OP_LINK, a, 5, to, false);
}

int64_t remote_symlink(struct remote *r, const char *target, const char *path)
{
	path_changes(r, path, NULL, true, false);
	struct rpc_val a[] = { rpc_str(target), rpc_int(RPC_HANDLE_CWD), rpc_str(path) };
	return change_then_stat(r, RPC_OP_SYMLINK, a, 3, path, false);
}

/* A change of PATH's attributes (by DIRH and PATH, or by handle with
 * AT_EMPTY_PATH). */
static int64_t attr_change(struct remote *r, int64_t dirh, const char *path, int at_flags, int64_t op,
			   const struct rpc_val *a, size_t n)
{
	if ((at_flags & AT_EMPTY_PATH) && !path[0]) {
		handle_changes(r, dirh);
		int64_t res = call0(r, op, a, n);
		changed(r);
		return res;
	}
	if (!cache_path(dirh, path, at_flags))
		return call0(r, op, a, n);
	path_changes(r, path, NULL, false, false);
	return change_then_stat(r, op, a, n, path, !(at_flags & AT_SYMLINK_NOFOLLOW));
}

/* A change through handle H. */
static int64_t handle_change(struct remote *r, int64_t h, int64_t op, const struct rpc_val *a, size_t n)
{
	handle_changes(r, h);
	int64_t res = call0(r, op, a, n);
	changed(r);
	return res;
}

int64_t remote_chmod(struct remote *r, int64_t dirh, const char *path, mode_t mode, int at_flags)
{
	int64_t cmode, cat;
	ENCODE(mode, mode & 07777, cmode);
	ENCODE(at_flags, at_flags, cat);
	struct rpc_val a[] = { rpc_int(dirh), rpc_str(path), rpc_int(cmode), rpc_int(cat) };
	return attr_change(r, dirh, path, at_flags, RPC_OP_CHMOD, a, 4);
}

int64_t remote_fchmod(struct remote *r, int64_t h, mode_t mode)
{
	int64_t cmode;
	ENCODE(mode, mode & 07777, cmode);
	struct rpc_val a[] = { rpc_int(h), rpc_int(cmode) };
	return handle_change(r, h, RPC_OP_FCHMOD, a, 2);
}

int64_t remote_chown(struct remote *r, int64_t dirh, const char *path, uid_t uid, gid_t gid, int at_flags)
{
	int64_t cat;
	ENCODE(at_flags, at_flags, cat);
	struct rpc_val a[] = {
		rpc_int(dirh), rpc_str(path), rpc_int(uid == (uid_t)-1 ? -1 : (int64_t)uid),
		rpc_int(gid == (gid_t)-1 ? -1 : (int64_t)gid), rpc_int(cat),
	};
	return attr_change(r, dirh, path, at_flags, RPC_OP_CHOWN, a, 5);
}

int64_t remote_fchown(struct remote *r, int64_t h, uid_t uid, gid_t gid)
{
	struct rpc_val a[] = {
		rpc_int(h), rpc_int(uid == (uid_t)-1 ? -1 : (int64_t)uid), rpc_int(gid == (gid_t)-1 ? -1 : (int64_t)gid),
	};
	return handle_change(r, h, RPC_OP_FCHOWN, a, 3);
}

int64_t remote_truncate(struct remote *r, const char *path, int64_t len)
{
	struct rpc_val a[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path), rpc_int(len) };
	return attr_change(r, RPC_HANDLE_CWD, path, 0, RPC_OP_TRUNCATE, a, 3);
}

int64_t remote_ftruncate(struct remote *r, int64_t h, int64_t len)
{
	struct rpc_val a[] = { rpc_int(h), rpc_int(len) };
	return handle_change(r, h, RPC_OP_FTRUNCATE, a, 2);
}

int64_t remote_fsync(struct remote *r, int64_t h, bool datasync)
{
	struct rpc_val a[] = { rpc_int(h), rpc_int(datasync) };
	return call0(r, RPC_OP_FSYNC, a, 2);
}

int64_t remote_utimens(struct remote *r, int64_t dirh, const char *path, const struct timespec ts[2], int at_flags)
{
	int64_t ns[2], cat;
	for (int k = 0; k < 2; k++)
		ENCODE(utime_nsec, ts[k].tv_nsec, ns[k]);
	ENCODE(at_flags, at_flags, cat);
	struct rpc_val a[] = {
		rpc_int(dirh), rpc_str(path), rpc_int(ts[0].tv_sec), rpc_int(ns[0]), rpc_int(ts[1].tv_sec),
		rpc_int(ns[1]), rpc_int(cat),
	};
	return attr_change(r, dirh, path, at_flags, RPC_OP_UTIMENS, a, 7);
}

static int64_t statfs_reply(struct remote *r, int64_t op, const struct rpc_val *a, size_t n, struct statfs *sf)
{
	struct rpc_reply rep;
	int64_t res = call(r, op, a, n, &rep);
	if (res >= 0) {
		struct canon_statfs c;
		if (rep.nvals < RPC_STATFS_FIELDS) {
			res = -EPROTO;
		} else {
			rpc_vals_statfs(rep.vals, &c);
			res = canon_statfs_to_statfs(&c, sf) ? -EOVERFLOW : 0;
		}
	}
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_statfs(struct remote *r, const char *path, struct statfs *sf)
{
	struct rpc_val a[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path) };
	return statfs_reply(r, RPC_OP_STATFS, a, 2, sf);
}

int64_t remote_fstatfs(struct remote *r, int64_t h, struct statfs *sf)
{
	struct rpc_val a[] = { rpc_int(h) };
	return statfs_reply(r, RPC_OP_FSTATFS, a, 1, sf);
}

int64_t remote_lock(struct remote *r, int64_t h, int cmd, struct flock *fl)
{
	int64_t ccmd;
	ENCODE(lock_cmd, cmd, ccmd);
	struct canon_flock cf;
	if (canon_flock_from_flock(fl, &cf))
		return -EINVAL;
	struct rpc_val a[] = {
		rpc_int(h), rpc_int(ccmd), rpc_int(cf.type), rpc_int(cf.whence), rpc_int(cf.start), rpc_int(cf.len),
		rpc_int(cf.pid),
	};
	struct rpc_reply rep;
	int64_t res = call(r, RPC_OP_LOCK, a, 7, &rep);
	if (res >= 0) {
		if (rep.nvals < RPC_FLOCK_FIELDS) {
			res = -EPROTO;
		} else {
			rpc_vals_flock(rep.vals, &cf);
			if (canon_flock_to_flock(&cf, fl))
				res = -EINVAL;
		}
	}
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_flock(struct remote *r, int64_t h, int op)
{
	int64_t cop;
	ENCODE(flock_op, op, cop);
	struct rpc_val a[] = { rpc_int(h), rpc_int(cop) };
	return call0(r, RPC_OP_FLOCK, a, 2);
}

int64_t remote_fallocate(struct remote *r, int64_t h, int mode, int64_t off, int64_t len)
{
	int64_t cmode;
	ENCODE(fallocate_mode, mode, cmode);
	struct rpc_val a[] = { rpc_int(h), rpc_int(cmode), rpc_int(off), rpc_int(len) };
	return handle_change(r, h, RPC_OP_FALLOCATE, a, 4);
}

int64_t remote_copy_range(struct remote *r, int64_t in, int64_t off_in, int64_t out, int64_t off_out,
			  size_t len, unsigned flags)
{
	struct rpc_val a[] = {
		rpc_int(in), rpc_int(off_in), rpc_int(out), rpc_int(off_out), rpc_int((int64_t)len), rpc_int(flags),
	};
	return handle_change(r, out, RPC_OP_COPY_RANGE, a, 6);
}

int64_t remote_enter_dir(struct remote *r, int64_t dirh, const char *path, char *canon, size_t size)
{
	int64_t cx;
	canon_access_mode_encode(X_OK, &cx);
	struct rpc_val chdir_args[] = { rpc_int(dirh), rpc_str(path ? path : "") };
	struct rpc_val fchdir_args[] = { rpc_int(dirh) };
	struct rpc_val access_args[] = { rpc_int(RPC_HANDLE_CWD), rpc_str("."), rpc_int(cx), rpc_int(0) };
	struct rpc_call calls[] = {
		path ? (struct rpc_call){ RPC_OP_CHDIR, 2, chdir_args } : (struct rpc_call){ RPC_OP_FCHDIR, 1, fchdir_args },
		{ RPC_OP_FACCESSAT, 4, access_args },
		{ RPC_OP_GETCWD, 0, NULL },
	};
	struct rpc_reply rep;
	int64_t rc = compound(r, calls, 3, &rep);
	if (rc < 0)
		return rc;
	/* vals: op, result (, values) per op; GETCWD's string last */
	int64_t res = rep.result < 0 ? -native_errno(-rep.result) : 0;
	if (res == 0) {
		const struct rpc_val *v = rep.nvals ? &rep.vals[rep.nvals - 1] : NULL;
		if (rep.nvals != 7 || !v->p || (size_t)v->i >= size) {
			res = rep.nvals == 7 ? -ENAMETOOLONG : -EPROTO;
		} else {
			memcpy(canon, v->p, (size_t)v->i);
			canon[v->i] = 0;
		}
	}
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_uname(struct remote *r, struct utsname *u)
{
	struct rpc_reply rep;
	int64_t res = call(r, RPC_OP_UNAME, NULL, 0, &rep);
	if (res >= 0) {
		struct canon_utsname c;
		if (rep.nvals < RPC_UTS_FIELDS) {
			res = -EPROTO;
		} else {
			rpc_vals_utsname(rep.vals, &c);
			res = canon_utsname_to_utsname(&c, u) ? -EINVAL : 0;
		}
	}
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_gethostname(struct remote *r, char *name, size_t size)
{
	struct rpc_reply rep;
	int64_t res = call(r, RPC_OP_GETHOSTNAME, NULL, 0, &rep);
	if (res >= 0) {
		if (rep.nvals < 1 || size == 0) {
			res = -EPROTO;
		} else {
			size_t n = (size_t)rep.vals[0].i < size - 1 ? (size_t)rep.vals[0].i : size - 1;
			memcpy(name, rep.vals[0].p, n);
			name[n] = 0;
		}
	}
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_ids(struct remote *r, uid_t *uid, uid_t *euid, gid_t *gid, gid_t *egid, gid_t *groups,
		   int *ngroups)
{
	struct rpc_reply rep;
	int64_t res = call(r, RPC_OP_IDS, NULL, 0, &rep);
	if (res >= 0) {
		int64_t n = rep.nvals >= 5 ? rep.vals[4].i : -1;
		if (n < 0 || rep.nvals < 5 + (size_t)n) {
			res = -EPROTO;
		} else {
			*uid = (uid_t)rep.vals[0].i;
			*euid = (uid_t)rep.vals[1].i;
			*gid = (gid_t)rep.vals[2].i;
			*egid = (gid_t)rep.vals[3].i;
			int keep = n < *ngroups ? (int)n : *ngroups;
			for (int k = 0; k < keep; k++)
				groups[k] = (gid_t)rep.vals[5 + k].i;
			*ngroups = keep;
		}
	}
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_clock_gettime(struct remote *r, struct timespec *ts)
{
	struct rpc_val a[] = { rpc_int(0) };   /* canonical CLOCK_REALTIME */
	struct rpc_reply rep;
	int64_t res = call(r, RPC_OP_CLOCK_GETTIME, a, 1, &rep);
	if (res >= 0) {
		if (rep.nvals < 2) {
			res = -EPROTO;
		} else {
			ts->tv_sec = rep.vals[0].i;
			ts->tv_nsec = rep.vals[1].i;
		}
	}
	rpc_reply_free(&rep);
	return res;
}

/* ---- anonymous files made ahead (policy/exec_create.c) ---- */

int64_t remote_tmpfile_later(struct remote *r, const char *dir, remote_done_fn *done, void *owner, int64_t arg)
{
	int64_t cflags, cmode, cumask;
	ENCODE(open_flags, O_TMPFILE | O_RDWR, cflags);
	ENCODE(mode, 0600, cmode);
	ENCODE(mode, 0, cumask);
	struct rpc_val open_args[] = {
		rpc_int(RPC_HANDLE_CWD), rpc_str(dir), rpc_int(cflags), rpc_int(cmode), rpc_int(cumask), rpc_int(0),
	};
	struct open_compound oc;
	remote_open_compound(&oc, open_args, 0);
	/* An anonymous file changes nothing at home: a call that fails because
	 * the shadow was lost while this was sent may be made again. */
	unsigned long changes = r->changes_sent;
	int64_t tag = remote_compound_later(r, oc.calls, oc.ncalls, done, owner, arg);
	r->changes_sent = changes;
	return tag;
}

int64_t remote_tmpfile_reply(struct remote *r, const struct rpc_reply *rep, struct canon_stat *cst)
{
	int64_t h, fres;
	const struct rpc_val *v;
	size_t nv;
	if (!remote_op_result(rep, 0, &h, &v, NULL))
		return -EPROTO;
	if (h < 0)
		return -native_errno(-h);
	if (!remote_op_result(rep, 1, &fres, &v, &nv) || fres < 0 || nv < RPC_STAT_FIELDS) {
		int64_t res = remote_op_result(rep, 1, &fres, &v, NULL) && fres < 0 ? -native_errno(-fres) : -EPROTO;
		remote_close(r, h, false);
		return res;
	}
	rpc_vals_stat(v, cst);
	return h;
}

int64_t remote_link_anonymous(struct remote *r, int64_t h, const struct canon_stat *cst, const char *path,
			      mode_t mode, remote_done_fn *done, void *owner)
{
	int64_t cmode, cat;
	ENCODE(mode, mode & 07777, cmode);
	ENCODE(at_flags, AT_EMPTY_PATH, cat);
	path_changes(r, path, NULL, true, false);
	handle_opened(r, h, path, cst);
	if ((mode & 07777) != 0600) {
		struct rpc_val ca[] = { rpc_int(h), rpc_int(cmode) };
		if (remote_send_later(r, RPC_OP_FCHMOD, ca, 2, done, owner, 0) < 0)
			return -EIO;
	}
	struct rpc_val la[] = {
		rpc_int(h), rpc_str(""), rpc_int(RPC_HANDLE_CWD), rpc_str(path), rpc_int(cat),
	};
	int64_t tag = remote_send_later(r, RPC_OP_LINK, la, 5, done, owner, 0);
	if (tag < 0)
		return tag;
	changed(r);
	/* What the guest's stat of the new name (or fstat of H) says until it
	 * changes: the file as it will be once linked. */
	if (r->cache) {
		attr_cache_put(r->cache, path, true, cst, 0);
		attr_cache_put(r->cache, path, false, cst, 0);
	}
	return tag;
}

bool remote_tag_pending(struct remote *r, int64_t tag)
{
	return later_find(r, tag) != NULL;
}
