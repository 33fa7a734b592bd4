/* policy/exec_create.c: creates that wait for nothing.
 *
 * Owns the directories this run made (a successful remote mkdir) and what
 * the agent knows of them: every name it has made or touched there since,
 * so that any other name is known to be absent; and, per directory, a pool
 * of anonymous files made at the shadow ahead of time (OPEN with O_TMPFILE
 * and FSTAT, replies taken whenever they come). A plain create of an
 * absent name there takes one of them at once (the guest's fstat is
 * answered from the pool's FSTAT, with the mode and link count the file
 * will have) and names it with FCHMOD and LINK(AT_EMPTY_PATH) sent without
 * waiting. A failure of the naming (EEXIST: someone at home made the name
 * meanwhile) is the file's, reported by every later write, fsync and close
 * of it (ex_io_create_done); until the LINK is answered, any other call on
 * the name waits for it (ex_create_path_seen). Pools are closed at the end
 * and forgotten with a lost session. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "policy/exec_create.h"
#include "policy/exec_internal.h"

#define POOL_START 4         /* anonymous files a directory's pool starts with */
#define POOL_MAX 16          /* ... grows to as they are used */
#define POOLS_KEPT 2         /* directories with a pool at a time */
#define DIRS_MAX 64          /* directories tracked at a time */

struct ex_create_dir;

/* One anonymous file made ahead. */
struct pooled {
	struct ex_create_dir *dir;   /* NULL: no longer wanted: closed when answered */
	struct pooled *next;
	int64_t tag;
	bool answered;
	int64_t h;
	struct canon_stat st;
};

/* A directory made by this run. */
struct ex_create_dir {
	char *path;                  /* at the shadow, without a trailing '/' */
	struct ex_create_dir *next;
	uint64_t used;               /* when last used (x->create.clock) */
	/* names made or touched since (open addressing, NULL: free) */
	char **names;
	size_t nnames, cap_names;
	/* the pool, oldest first */
	struct pooled *pool;
	size_t npool, target;
	bool pool_off;               /* O_TMPFILE failed there */
};

/* A LINK not yet answered: calls on its name wait for it. */
struct pending_link {
	char *path;
	int64_t tag;
};

static uint64_t name_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return h;
}

static bool names_has(const struct ex_create_dir *d, const char *name, size_t n)
{
	if (!d->cap_names)
		return false;
	for (size_t i = name_hash(name, n) & (d->cap_names - 1);; i = (i + 1) & (d->cap_names - 1)) {
		const char *e = d->names[i];
		if (!e)
			return false;
		if (strlen(e) == n && memcmp(e, name, n) == 0)
			return true;
	}
}

/* Returns false when there was no memory (the caller stops trusting D). */
static bool names_add(struct ex_create_dir *d, const char *name, size_t n)
{
	if (names_has(d, name, n))
		return true;
	if (2 * (d->nnames + 1) > d->cap_names) {
		size_t cap = d->cap_names ? 2 * d->cap_names : 64;
		char **t = calloc(cap, sizeof *t);
		if (!t)
			return false;
		for (size_t k = 0; k < d->cap_names; k++) {
			char *e = d->names[k];
			if (!e)
				continue;
			size_t i = name_hash(e, strlen(e)) & (cap - 1);
			while (t[i])
				i = (i + 1) & (cap - 1);
			t[i] = e;
		}
		free(d->names);
		d->names = t;
		d->cap_names = cap;
	}
	char *copy = strndup(name, n);
	if (!copy)
		return false;
	size_t i = name_hash(name, n) & (d->cap_names - 1);
	while (d->names[i])
		i = (i + 1) & (d->cap_names - 1);
	d->names[i] = copy;
	d->nnames++;
	return true;
}

/* ---- pools ---- */

static void pooled_unlink(struct ex_create_dir *d, struct pooled *e)
{
	for (struct pooled **p = &d->pool; *p; p = &(*p)->next)
		if (*p == e) {
			*p = e->next;
			d->npool--;
			return;
		}
}

static void pool_done(struct remote *r, void *owner, int64_t arg, struct rpc_reply *rep, int err)
{
	(void)arg;
	struct pooled *e = owner;
	int64_t h = err ? err : remote_tmpfile_reply(r, rep, &e->st);
	if (!e->dir) {
		if (h >= 0)
			remote_close(r, h, false);
		free(e);
		return;
	}
	if (h < 0) {
		/* No anonymous files there (EOPNOTSUPP, EISDIR, ENOENT, a
		 * read-only shadow...), or the shadow lost: creates there take
		 * the usual way. */
		if (!err)
			e->dir->pool_off = true;
		pooled_unlink(e->dir, e);
		free(e);
		return;
	}
	e->h = h;
	e->answered = true;
}

/* Lets go of D's pool: answered files are closed (anonymous: nothing
 * stays at home), the others once they are answered. CLOSE false: their
 * session is gone, and their handles with it. */
static void pool_drain(struct exec *x, struct ex_create_dir *d, bool close)
{
	while (d->pool) {
		struct pooled *e = d->pool;
		d->pool = e->next;
		d->npool--;
		if (e->answered) {
			if (close)
				remote_close(&x->remote, e->h, false);
			free(e);
		} else {
			e->dir = NULL;
		}
	}
}

static void pool_fill(struct exec *x, struct ex_create_dir *d)
{
	struct ex_create *cr = &x->create;
	if (d->pool_off || x->remote.lost)
		return;
	if (!d->target) {
		/* A pool starts: the least recently used other one goes. */
		d->target = POOL_START;
		size_t pools = 0;
		struct ex_create_dir *lru = NULL;
		for (struct ex_create_dir *o = cr->dirs; o; o = o->next)
			if (o != d && o->target) {
				pools++;
				if (!lru || o->used < lru->used)
					lru = o;
			}
		if (pools >= POOLS_KEPT && lru) {
			pool_drain(x, lru, true);
			lru->target = 0;
		}
	}
	struct pooled **tail = &d->pool;
	while (*tail)
		tail = &(*tail)->next;
	while (d->npool < d->target && !d->pool_off) {
		struct pooled *e = calloc(1, sizeof *e);
		if (!e)
			return;
		e->dir = d;
		e->h = -1;
		*tail = e;
		d->npool++;
		int64_t tag = remote_tmpfile_later(&x->remote, d->path, pool_done, e, 0);
		if (tag < 0) {
			/* lost: pool_done has not run */
			pooled_unlink(d, e);
			free(e);
			return;
		}
		e->tag = tag;
		if (*tail == e)
			tail = &e->next;
	}
}

/* ---- directories ---- */

static void dir_free(struct exec *x, struct ex_create_dir *d, bool close)
{
	pool_drain(x, d, close);
	for (size_t i = 0; i < d->cap_names; i++)
		free(d->names[i]);
	free(d->names);
	free(d->path);
	free(d);
}

static void dir_drop(struct exec *x, struct ex_create_dir *d)
{
	for (struct ex_create_dir **p = &x->create.dirs; *p; p = &(*p)->next)
		if (*p == d) {
			*p = d->next;
			x->create.ndirs--;
			break;
		}
	dir_free(x, d, true);
}

/* The tracked directory of PATH's parent, with the last component's
 * offset and length, or NULL. */
static struct ex_create_dir *parent_of(struct exec *x, const char *path, size_t *name_at, size_t *name_len)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	size_t slash = n;
	while (slash > 0 && path[slash - 1] != '/')
		slash--;
	if (slash == 0 || slash == n)
		return NULL;
	size_t dl = slash - 1;
	for (struct ex_create_dir *d = x->create.dirs; d; d = d->next)
		if (strlen(d->path) == (dl ? dl : 1) && memcmp(d->path, path, dl ? dl : 1) == 0) {
			*name_at = slash;
			*name_len = n - slash;
			return d;
		}
	return NULL;
}

void ex_create_dir_made(struct exec *x, const char *path)
{
	struct ex_create *cr = &x->create;
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (path[0] != '/')
		return;
	for (struct ex_create_dir *d = cr->dirs; d; d = d->next)
		if (strlen(d->path) == n && memcmp(d->path, path, n) == 0) {
			dir_drop(x, d);   /* a new directory at that name: known empty again */
			break;
		}
	if (cr->ndirs >= DIRS_MAX) {
		struct ex_create_dir *lru = NULL;
		for (struct ex_create_dir *d = cr->dirs; d; d = d->next)
			if (!lru || d->used < lru->used)
				lru = d;
		dir_drop(x, lru);
	}
	struct ex_create_dir *d = calloc(1, sizeof *d);
	if (!d || !(d->path = strndup(path, n))) {
		free(d);
		return;
	}
	d->used = ++cr->clock;
	d->next = cr->dirs;
	cr->dirs = d;
	cr->ndirs++;
}

/* The calls whose paths change no names (nor who may make them): a name
 * they look at is still known absent, a directory they name still known. */
static bool changes_no_names(const struct exec_call *c)
{
	exec_fn *f = c->row ? c->row->fn : NULL;
	return f == ex_stat || f == ex_statx || f == ex_access || f == ex_readlink || f == ex_statfs ||
	       f == ex_chdir || f == ex_execve || f == ex_xattr || f == ex_utimes || f == ex_truncate;
}

/* Waits for the LINK of PATH, if one is on its way. */
static void link_wait(struct exec *x, const char *path)
{
	struct ex_create *cr = &x->create;
	size_t k = 0;
	while (k < cr->npending && !remote_tag_pending(&x->remote, cr->pending[k].tag))
		free(cr->pending[k++].path);
	if (k) {
		memmove(cr->pending, cr->pending + k, (cr->npending - k) * sizeof *cr->pending);
		cr->npending -= k;
	}
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	for (size_t i = cr->npending; i-- > 0;)
		if (strlen(cr->pending[i].path) == n && memcmp(cr->pending[i].path, path, n) == 0) {
			remote_wait_tag(&x->remote, cr->pending[i].tag);
			return;
		}
}

void ex_create_path_seen(struct exec_call *c, const struct ex_path *p)
{
	struct exec *x = c->x;
	struct ex_create *cr = &x->create;
	if (cr->npending)
		link_wait(x, p->shadow);
	if (!cr->dirs || changes_no_names(c) || (c->row && c->row->fn == ex_open))
		return;   /* ex_open says what it creates itself (ex_create_name_made) */
	if (c->row && c->row->fn == ex_symlink) {
		/* A new symlink may be another path to a directory made here,
		 * by which names would be made unseen: nothing is known any more. */
		while (cr->dirs)
			dir_drop(x, cr->dirs);
		return;
	}
	ex_create_name_made(x, p->shadow);
	/* A directory tracked at or beneath this path may be gone or
	 * replaced, or made unwritable. */
	size_t n = strlen(p->shadow);
	while (n > 1 && p->shadow[n - 1] == '/')
		n--;
	for (struct ex_create_dir *d = cr->dirs, *next; d; d = next) {
		next = d->next;
		if (strncmp(d->path, p->shadow, n) == 0 && (d->path[n] == 0 || d->path[n] == '/' || n == 1))
			dir_drop(x, d);
	}
}

void ex_create_name_made(struct exec *x, const char *path)
{
	size_t at, len;
	struct ex_create_dir *d = parent_of(x, path, &at, &len);
	if (d && !names_add(d, path + at, len))
		dir_drop(x, d);   /* no memory to remember it: nothing known there */
}

int64_t ex_create_take(struct exec_call *c, const struct ex_path *p, int flags, mode_t mode, struct stat *st,
		       struct canon_stat *cst)
{
	struct exec *x = c->x;
	size_t at, len;
	struct ex_create_dir *d = x->create.dirs ? parent_of(x, p->shadow, &at, &len) : NULL;
	if (!d)
		return -1;
	const char *name = p->shadow + at;
	int allowed = O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_LARGEFILE;
	bool plain = (flags & O_CREAT) && !(flags & ~allowed) && (flags & O_ACCMODE) != O_RDONLY &&
		     (flags & O_ACCMODE) != O_ACCMODE && p->route.method == POLICY_REMOTE && !p->trailing_slash &&
		     !p->fd_obj && !(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.');
	bool absent = !names_has(d, name, len);
	d->used = ++x->create.clock;
	struct pooled *e = NULL;
	if (plain && absent && !x->remote.lost) {
		remote_poll(&x->remote);
		for (e = d->pool; e && !e->answered; e = e->next)
			;
		if (x->remote.lost)
			e = NULL;   /* found lost now: its handles are void */
	}
	/* Whatever happens now, the name is made (or tried) by this run. */
	if (!names_add(d, name, len)) {
		dir_drop(x, d);
		return -1;
	}
	if (!e) {
		if (plain && absent && !d->target)
			pool_fill(x, d);   /* the first create here: the pool starts */
		return -1;
	}
	pooled_unlink(d, e);
	int64_t h = e->h;
	int64_t tag = e->tag;
	/* The file as it will be once named. */
	*cst = e->st;
	free(e);
	cst->nlink = 1;
	int64_t perm;
	if (canon_mode_encode((int64_t)(mode & 07777), &perm) || (cst->mode = CANON_S_IFREG | perm, 0) ||
	    canon_stat_to_stat(cst, st)) {
		remote_close(&x->remote, h, false);
		return -1;
	}
	rpc_note_wait(x->remote.conn, tag);   /* the wait it spared (struct rpc_stats) */
	if (d->target < POOL_MAX)
		d->target++;
	pool_fill(x, d);
	if (x->remote.lost)
		return -1;   /* found lost sending: H was the lost session's */
	return h;
}

int64_t ex_create_link(struct exec *x, struct ex_io *io, int64_t h, const struct canon_stat *cst, const char *path,
		       mode_t mode)
{
	struct ex_create *cr = &x->create;
	int64_t tag = remote_link_anonymous(&x->remote, h, cst, path, mode, ex_io_create_done, io);
	if (tag < 0)
		return tag;
	if (cr->npending == cr->cap_pending) {
		size_t cap = cr->cap_pending ? 2 * cr->cap_pending : 16;
		struct pending_link *t = realloc(cr->pending, cap * sizeof *t);
		if (!t) {
			remote_wait_tag(&x->remote, tag);   /* nothing to remember it with: wait now */
			return tag;
		}
		cr->pending = t;
		cr->cap_pending = cap;
	}
	char *copy = strdup(path);
	if (!copy) {
		remote_wait_tag(&x->remote, tag);
		return tag;
	}
	cr->pending[cr->npending++] = (struct pending_link){ copy, tag };
	return tag;
}

void ex_create_reset(struct exec *x, bool close)
{
	struct ex_create *cr = &x->create;
	while (cr->dirs) {
		struct ex_create_dir *d = cr->dirs;
		cr->dirs = d->next;
		dir_free(x, d, close);
	}
	cr->ndirs = 0;
	for (size_t i = 0; i < cr->npending; i++)
		free(cr->pending[i].path);
	free(cr->pending);
	cr->pending = NULL;
	cr->npending = cr->cap_pending = 0;
}
