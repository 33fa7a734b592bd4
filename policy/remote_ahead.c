/* policy/remote_ahead.c: opens sent ahead, for policy/remote.c (the
 * functions policy/remote_internal.h names open_ahead_*). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/attr_cache.h"
#include "policy/remote.h"
#include "policy/remote_internal.h"
#include "rpc/canon.h"
#include "rpc/client.h"
#include "rpc/wire.h"

/* A program that reads the files of a directory one after the other (cp -r,
 * tar, cat of a glob) opens the next entry of the directory's listing, in the
 * listing's order or in sorted order, when it is done with one. So when a
 * file that a listing named is opened for reading, the opens of the next
 * regular files in that order (OPEN, FSTAT and the first bytes, as the open
 * itself asks) are sent along, a window that grows while the guesses are
 * right; an open of one of them with the same flags takes that answer
 * instead of asking. Such an answer is as old as the previous open, at most
 * the attribute time (--attr-timeout; 0: nothing is sent ahead), and is
 * forgotten when the agent changes the file or its name. The opens go out
 * with O_NONBLOCK (a FIFO put there since the listing must not block the
 * shadow) and are used only for regular files. */
#define LISTINGS_MAX 4
#define LISTING_NAMES_MAX 100000
#define AHEAD_WINDOW_MAX 8
#define AHEAD_MAX (2 * AHEAD_WINDOW_MAX)

/* The orders a program may take a listing in: as it came, sorted by name
 * (a shell's glob, ls), sorted by inode number (cp, which reads faster so). */
enum { ORDER_LISTING, ORDER_NAME, ORDER_INODE, ORDERS, ORDER_ANY = ORDERS };

struct listed {
	char *name;
	uint64_t ino;
};

struct remote_listing {
	char *dir;                /* shadow path, no trailing '/' */
	int64_t h;                /* the handle it was read through */
	struct listed *e;         /* regular files (or of unknown type), in the listing's order */
	size_t n, cap;
	/* per order but the listing's own: the entries in that order (indices
	 * into e), and each entry's place in it; made for n_sorted entries */
	size_t *perm[ORDERS], *rank[ORDERS];
	size_t n_sorted;
	size_t cursor;            /* where the last open was found */
	int order;                /* which order the opens follow (ORDER_ANY: not known yet) */
	size_t window;            /* opens sent ahead in each order */
	uint64_t used;            /* for the least recently used to go */
};

struct remote_open_ahead {
	char *path;
	int flags;                /* the guest's flags (O_NONBLOCK added at the shadow) */
	size_t data_max;
	int64_t tag;
	uint64_t sent_ns;
	int order;                /* the order that guessed it */
	struct remote_listing *from;
	bool answered, invalid, abandoned;
	struct rpc_reply rep;     /* the COMPOUND's reply, once answered */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void listing_free(struct remote_listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->e[i].name);
	free(l->e);
	for (int o = 0; o < ORDERS; o++) {
		free(l->perm[o]);
		free(l->rank[o]);
	}
	free(l->dir);
	memset(l, 0, sizeof *l);
}

/* The handle an answered open ahead got, or -1. */
static int64_t ahead_handle(const struct remote_open_ahead *oa)
{
	int64_t h;
	const struct rpc_val *v;
	if (!oa->answered || !oa->rep.frame || !remote_op_result(&oa->rep, 0, &h, &v, NULL))
		return -1;
	return h;
}

static void ahead_free(struct remote *r, struct remote_open_ahead *oa)
{
	int64_t h = ahead_handle(oa);
	if (h >= 0 && !r->lost) {
		struct rpc_val a[] = { rpc_int(h) };
		remote_send_later(r, RPC_OP_CLOSE, a, 1, NULL, NULL, 0);
	}
	rpc_reply_free(&oa->rep);
	free(oa->path);
	free(oa);
}

/* Takes OA out of the table; it is freed (its handle closed) now or when
 * its answer comes. */
static void ahead_abandon(struct remote *r, size_t i)
{
	struct remote_open_ahead *oa = r->ahead[i];
	memmove(&r->ahead[i], &r->ahead[i + 1], (r->nahead - i - 1) * sizeof *r->ahead);
	r->nahead--;
	if (oa->answered)
		ahead_free(r, oa);
	else
		oa->abandoned = true;
}

/* The identity of the file an answered open ahead is open on. */
static bool ahead_file(const struct remote_open_ahead *oa, struct canon_stat *cst)
{
	int64_t res;
	const struct rpc_val *v;
	size_t nv;
	if (ahead_handle(oa) < 0 || !remote_op_result(&oa->rep, 1, &res, &v, &nv) || res < 0 || nv < RPC_STAT_FIELDS)
		return false;
	rpc_vals_stat(v, cst);
	return true;
}

static void ahead_done(struct remote *r, void *owner, int64_t arg, struct rpc_reply *rep, int err)
{
	(void)arg;
	struct remote_open_ahead *oa = owner;
	oa->answered = true;
	if (err) {
		oa->invalid = true;
	} else {
		oa->rep = *rep;
		memset(rep, 0, sizeof *rep);
		struct canon_stat cst;
		bool have = ahead_file(oa, &cst);
		/* a change of ours sent after it: it says how things were */
		if (remote_stale(r, oa->tag, oa->path, have ? &cst : NULL)) {
			oa->invalid = true;
		} else if (have && r->cache && (cst.mode & CANON_S_IFMT) == CANON_S_IFREG) {
			/* Fresher than the listing's prefetch, which a slow walk
			 * outlives: the program's stat of the file comes before
			 * its open. Opened without following, the name is no
			 * symlink: lstat says the same. */
			attr_cache_put(r->cache, oa->path, true, &cst, oa->tag);
			if (oa->flags & O_NOFOLLOW)
				attr_cache_put(r->cache, oa->path, false, &cst, oa->tag);
		}
	}
	if (oa->abandoned)
		ahead_free(r, oa);
}

/* The agent changed PATH (SUBTREE: or what is beneath it), or the file
 * ST: opens of it sent ahead go. */
void open_ahead_forget(struct remote *r, const char *path, bool subtree, const struct canon_stat *st)
{
	for (size_t i = r->nahead; i-- > 0;) {
		struct remote_open_ahead *oa = r->ahead[i];
		struct canon_stat cst;
		bool hit = path ? (subtree ? remote_path_under(oa->path, path) : strcmp(oa->path, path) == 0)
				: st && ahead_file(oa, &cst) && remote_same_file(&cst, st);
		if (hit)
			ahead_abandon(r, i);
	}
}

/* The session is gone, and the handles of every open sent ahead with it. */
void open_ahead_drop(struct remote *r)
{
	while (r->nahead) {
		struct remote_open_ahead *oa = r->ahead[--r->nahead];
		if (oa->answered) {
			rpc_reply_free(&oa->rep);
			free(oa->path);
			free(oa);
		} else {
			oa->abandoned = true;   /* freed by its callback (which closes nothing: no answer) */
		}
	}
}

void open_ahead_fini(struct remote *r)
{
	while (r->nahead)
		ahead_abandon(r, r->nahead - 1);
}

static struct remote_listing *listing_of(struct remote *r, const char *dir, size_t dl)
{
	for (size_t i = 0; i < r->nlistings; i++)
		if (strlen(r->listings[i].dir) == dl && strncmp(r->listings[i].dir, dir, dl) == 0)
			return &r->listings[i];
	return NULL;
}

/* Entries of directory DIR_PATH read through handle H: remembered, in
 * order, for opens ahead. */
void open_ahead_listed(struct remote *r, int64_t h, const char *dir_path, const struct remote_dirents *d)
{
	size_t dl = strlen(dir_path);
	while (dl > 1 && dir_path[dl - 1] == '/')
		dl--;
	if (dl == 1 && dir_path[0] == '/')
		dl = 0;   /* the root: its entries are "/NAME" */
	if (!r->listings && !(r->listings = calloc(LISTINGS_MAX, sizeof *r->listings)))
		return;
	struct remote_listing *l = listing_of(r, dir_path, dl);
	if (l && l->h != h)
		listing_free(l);   /* read again: a new listing */
	if (!l || !l->dir) {
		if (!l && r->nlistings < LISTINGS_MAX) {
			l = &r->listings[r->nlistings++];
		} else if (!l) {
			l = &r->listings[0];
			for (size_t i = 1; i < r->nlistings; i++)
				if (r->listings[i].used < l->used)
					l = &r->listings[i];
			listing_free(l);
		}
		if (!(l->dir = strndup(dir_path, dl)))
			return;
		l->h = h;
		l->order = ORDER_ANY;
		l->window = 1;
	}
	l->used = ++r->listing_clock;
	for (size_t k = 0; k < d->count && l->n < LISTING_NAMES_MAX; k++) {
		const struct remote_dirent *e = &d->ents[k];
		if ((e->type != DT_REG && e->type != DT_UNKNOWN) || strcmp(e->name, ".") == 0 ||
		    strcmp(e->name, "..") == 0)
			continue;
		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 64;
			struct listed *n = realloc(l->e, cap * sizeof *n);
			if (!n)
				return;
			l->e = n;
			l->cap = cap;
		}
		if (!(l->e[l->n].name = strdup(e->name)))
			return;
		l->e[l->n].ino = e->ino;
		l->n++;
	}
}

void open_ahead_listings_free(struct remote *r)
{
	for (size_t i = 0; i < r->nlistings; i++)
		listing_free(&r->listings[i]);
	free(r->listings);
	r->listings = NULL;
	r->nlistings = 0;
}

/* qsort has no context argument: the listing being sorted. */
static const struct listed *sorting;

static int by_name(const void *a, const void *b)
{
	return strcmp(sorting[*(const size_t *)a].name, sorting[*(const size_t *)b].name);
}

static int by_inode(const void *a, const void *b)
{
	uint64_t x = sorting[*(const size_t *)a].ino, y = sorting[*(const size_t *)b].ino;
	return x < y ? -1 : x > y;
}

/* Makes L's orders for its entries. Returns false without memory. */
static bool listing_sort(struct remote_listing *l)
{
	if (l->n_sorted == l->n && l->perm[ORDER_NAME])
		return true;
	for (int o = ORDER_NAME; o < ORDERS; o++) {
		size_t *p = realloc(l->perm[o], (l->n ? l->n : 1) * sizeof *p);
		if (p)
			l->perm[o] = p;
		size_t *k = realloc(l->rank[o], (l->n ? l->n : 1) * sizeof *k);
		if (k)
			l->rank[o] = k;
		if (!p || !k)
			return false;
		for (size_t i = 0; i < l->n; i++)
			p[i] = i;
		sorting = l->e;
		qsort(p, l->n, sizeof *p, o == ORDER_NAME ? by_name : by_inode);
		for (size_t i = 0; i < l->n; i++)
			k[p[i]] = i;
	}
	l->n_sorted = l->n;
	return true;
}

/* The index of the entry K places after entry I in ORDER, or -1. */
static ssize_t listing_next_index(const struct remote_listing *l, int order, size_t i, size_t k)
{
	if (order != ORDER_LISTING && (l->n_sorted != l->n || !l->rank[order]))
		return -1;
	size_t at = (order == ORDER_LISTING ? i : l->rank[order][i]) + k;
	if (at >= l->n)
		return -1;
	return (ssize_t)(order == ORDER_LISTING ? at : l->perm[order][at]);
}

/* NAME's index in L's listing order, or -1. The entries after the last one
 * found, in each order, are tried first. */
static ssize_t listing_find(struct remote_listing *l, const char *name)
{
	for (int o = 0; o < ORDERS && l->n; o++) {
		ssize_t i = listing_next_index(l, o, l->cursor, 1);
		if (i >= 0 && strcmp(l->e[i].name, name) == 0) {
			l->cursor = (size_t)i;
			return i;
		}
	}
	for (size_t k = 0; k < l->n; k++) {
		size_t i = (l->cursor + k) % l->n;
		if (strcmp(l->e[i].name, name) == 0) {
			l->cursor = i;
			return (ssize_t)i;
		}
	}
	return -1;
}

/* The name of the entry K places after entry I in ORDER, or NULL. */
static const char *listing_next(const struct remote_listing *l, int order, size_t i, size_t k)
{
	ssize_t j = listing_next_index(l, order, i, k);
	return j < 0 ? NULL : l->e[j].name;
}

static struct remote_open_ahead *ahead_find(struct remote *r, const char *path, size_t *at)
{
	for (size_t i = 0; i < r->nahead; i++)
		if (strcmp(r->ahead[i]->path, path) == 0) {
			if (at)
				*at = i;
			return r->ahead[i];
		}
	return NULL;
}

/* Sends the open of PATH ahead (unless it is on its way already). */
static void ahead_send(struct remote *r, struct remote_listing *l, int order, const char *path, int flags,
		       size_t data_max)
{
	if (ahead_find(r, path, NULL))
		return;
	int64_t cflags, zero;
	if (canon_open_flags_encode((flags & ~O_CLOEXEC) | O_NONBLOCK, &cflags) || canon_mode_encode(0, &zero))
		return;
	struct remote_open_ahead *oa = calloc(1, sizeof *oa);
	if (!oa || !(oa->path = strdup(path))) {
		free(oa);
		return;
	}
	if (r->nahead == AHEAD_MAX)
		ahead_abandon(r, 0);   /* the oldest guess */
	if (!r->ahead && !(r->ahead = calloc(AHEAD_MAX, sizeof *r->ahead))) {
		free(oa->path);
		free(oa);
		return;
	}
	oa->flags = flags & ~O_CLOEXEC;
	oa->data_max = data_max;
	oa->order = order;
	oa->from = l;
	oa->sent_ns = mono_ns();
	r->ahead[r->nahead++] = oa;
	struct rpc_val open_args[] = {
		rpc_int(RPC_HANDLE_CWD), rpc_str(oa->path), rpc_int(cflags), rpc_int(zero), rpc_int(zero), rpc_int(0),
	};
	struct open_compound oc;
	remote_open_compound(&oc, open_args, data_max);
	int64_t tag = remote_compound_later(r, oc.calls, oc.ncalls, ahead_done, oa, 0);
	if (tag < 0) {
		size_t at;
		if (ahead_find(r, oa->path, &at) == oa)
			ahead_abandon(r, at);
		return;
	}
	oa->tag = tag;
	r->ahead_sent++;
}

/* PATH was just opened for reading with FLAGS (GUESSED: with an answer
 * sent ahead): the opens of the entries after it in its directory's
 * listing go out ahead of the program. */
void open_ahead_next(struct remote *r, const char *path, int flags, size_t data_max, bool guessed)
{
	const char *slash = strrchr(path, '/');
	if (!r->cache || r->lost || !r->nlistings || !slash || !slash[1])
		return;
	struct remote_listing *l = listing_of(r, path, (size_t)(slash - path));
	if (!l || !l->dir)
		return;
	const char *name = slash + 1;
	ssize_t i = listing_find(l, name);
	if (i < 0)
		return;
	l->used = ++r->listing_clock;
	if (!guessed && (l->order != ORDER_ANY || l->window > 1)) {
		/* Not where the guesses went: they go, and guessing starts over. */
		for (size_t k = r->nahead; k-- > 0;)
			if (r->ahead[k]->from == l)
				ahead_abandon(r, k);
		l->order = ORDER_ANY;
		l->window = 1;
	}
	size_t dl = (size_t)(slash - path);
	char next[RPC_MAX_PATH + 2];
	bool sorted = listing_sort(l);
	for (int order = ORDER_LISTING; order < ORDERS; order++) {
		if ((l->order != ORDER_ANY && l->order != order) || (order != ORDER_LISTING && !sorted))
			continue;
		for (size_t k = 1; k <= l->window && !r->lost; k++) {
			const char *n = listing_next(l, order, (size_t)i, k);
			if (!n || (size_t)snprintf(next, sizeof next, "%.*s/%s", (int)dl, path, n) >= sizeof next)
				break;
			ahead_send(r, l, order, next, flags, data_max);
		}
	}
}


int64_t open_ahead_take(struct remote *r, const char *path, int flags, size_t data_max, struct stat *st,
			struct remote_data *data)
{
	size_t at;
	struct remote_open_ahead *oa = ahead_find(r, path, &at);
	if (!oa)
		return -ENOENT;
	struct remote_listing *l = oa->from;
	bool usable = oa->flags == (flags & ~O_CLOEXEC) && oa->data_max == data_max &&
		      mono_ns() - oa->sent_ns <= r->attr_ttl_ns;
	if (!usable) {
		ahead_abandon(r, at);
		return -ENOENT;
	}
	memmove(&r->ahead[at], &r->ahead[at + 1], (r->nahead - at - 1) * sizeof *r->ahead);
	r->nahead--;
	if (!oa->answered)
		remote_wait_tag(r, oa->tag);
	else
		rpc_note_wait(r->conn, oa->tag);   /* a wait spared, or not (struct rpc_stats) */
	struct canon_stat cst;
	int64_t h = -ENOENT;
	if (!r->lost && !oa->invalid && ahead_file(oa, &cst) && (cst.mode & CANON_S_IFMT) == CANON_S_IFREG) {
		h = remote_open_reply(r, path, flags, &oa->rep, st, data, data_max);
		if (h >= 0) {
			r->ahead_used++;
			/* the guess was right: that order, and a wider window */
			if (l >= r->listings && l < r->listings + r->nlistings && l->dir) {
				l->order = oa->order;
				if (l->window < AHEAD_WINDOW_MAX)
					l->window *= 2;
			}
		}
	}
	if (h < 0)
		ahead_free(r, oa);   /* closes its handle, if it has one */
	else {
		rpc_reply_free(&oa->rep);
		free(oa->path);
		free(oa);
	}
	return h < 0 ? -ENOENT : h;
}

/* The OPEN+FSTAT(+PREAD) COMPOUND reply REP of an open of PATH: the handle
 * (ST filled, DATA holding the first bytes), or -errno (a handle got with
 * a failed FSTAT is closed). */