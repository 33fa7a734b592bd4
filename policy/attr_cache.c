/* policy/attr_cache.c: implements policy/attr_cache.h: a hash table of
 * paths with chains, and a list in the order entries were stored, whose
 * head is dropped when the table is full. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/attr_cache.h"

enum known { UNKNOWN, PRESENT, ABSENT };

struct entry {
	struct entry *chain;              /* same bucket */
	struct entry *older, *newer;      /* storage order */
	uint64_t hash;
	uint64_t stored_ns;
	int64_t source;
	enum known as_lstat, as_stat;
	struct canon_stat lst, st;
	char path[];
};

struct attr_cache {
	uint64_t ttl_ns;
	size_t capacity, count, nbuckets;
	struct entry **bucket;
	struct entry *oldest, *newest;
	uint64_t generation;
	unsigned long hits, misses;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t hash_of(const char *s)
{
	uint64_t h = 1469598103934665603u;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211u;
	return h;
}

struct attr_cache *attr_cache_new(uint64_t ttl_ns, size_t capacity)
{
	struct attr_cache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->ttl_ns = ttl_ns;
	c->capacity = capacity ? capacity : 1;
	c->nbuckets = 64;
	while (c->nbuckets < c->capacity)
		c->nbuckets *= 2;
	c->bucket = calloc(c->nbuckets, sizeof *c->bucket);
	if (!c->bucket) {
		free(c);
		return NULL;
	}
	return c;
}

static struct entry **slot_of(struct attr_cache *c, const char *path, uint64_t h)
{
	struct entry **e = &c->bucket[h & (c->nbuckets - 1)];
	while (*e && ((*e)->hash != h || strcmp((*e)->path, path) != 0))
		e = &(*e)->chain;
	return e;
}

static void unlink_entry(struct attr_cache *c, struct entry *e)
{
	struct entry **s = &c->bucket[e->hash & (c->nbuckets - 1)];
	while (*s != e)
		s = &(*s)->chain;
	*s = e->chain;
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	c->count--;
	free(e);
}

void attr_cache_clear(struct attr_cache *c)
{
	while (c->oldest)
		unlink_entry(c, c->oldest);
}

void attr_cache_free(struct attr_cache *c)
{
	if (!c)
		return;
	attr_cache_clear(c);
	free(c->bucket);
	free(c);
}

/* Paths are absolute and normalized; one that ends in "/" asks for a
 * directory and is left to the shadow. */
static bool cacheable(const char *path)
{
	size_t n = strlen(path);
	return n > 0 && path[0] == '/' && (n == 1 || path[n - 1] != '/');
}

int attr_cache_get(struct attr_cache *c, const char *path, bool follow, struct canon_stat *st, int64_t *source)
{
	if (!c || !cacheable(path))
		return 0;
	uint64_t h = hash_of(path);
	struct entry *e = *slot_of(c, path, h);
	if (e && (c->ttl_ns == 0 || now_ns() - e->stored_ns > c->ttl_ns)) {
		unlink_entry(c, e);
		e = NULL;
	}
	int res = 0;
	if (e) {
		/* lstat's answer is stat's too unless it is a symlink; no name
		 * at all is no file either way. */
		bool lst_ok = e->as_lstat == ABSENT ||
			      (e->as_lstat == PRESENT && (e->lst.mode & CANON_S_IFMT) != CANON_S_IFLNK);
		if (!follow && e->as_lstat != UNKNOWN)
			res = e->as_lstat == ABSENT ? -1 : 1;
		else if (follow && e->as_stat != UNKNOWN)
			res = e->as_stat == ABSENT ? -1 : 2;
		else if (follow && lst_ok)
			res = e->as_lstat == ABSENT ? -1 : 1;
		if (res == 1)
			*st = e->lst;
		else if (res == 2)
			*st = e->st;
	}
	if (res)
		c->hits++;
	else
		c->misses++;
	if (res && source)
		*source = e->source;
	return res < 0 ? -ENOENT : res != 0;
}

static bool same_file(const struct canon_stat *a, const struct canon_stat *b)
{
	return a->ino == b->ino && a->dev_major == b->dev_major && a->dev_minor == b->dev_minor;
}

static struct entry *entry_for(struct attr_cache *c, const char *path)
{
	if (!c || !cacheable(path))
		return NULL;
	uint64_t h = hash_of(path);
	struct entry **s = slot_of(c, path, h);
	struct entry *e = *s;
	if (e) {
		/* Fresh again: to the newest end. */
		if (e->newer) {
			if (e->older)
				e->older->newer = e->newer;
			else
				c->oldest = e->newer;
			e->newer->older = e->older;
			e->older = c->newest;
			e->newer = NULL;
			c->newest->newer = e;
			c->newest = e;
		}
		if (now_ns() - e->stored_ns > c->ttl_ns)
			e->as_lstat = e->as_stat = UNKNOWN;
	} else {
		size_t len = strlen(path);
		e = calloc(1, sizeof *e + len + 1);
		if (!e)
			return NULL;
		memcpy(e->path, path, len + 1);
		e->hash = h;
		*s = e;
		e->older = c->newest;
		if (c->newest)
			c->newest->newer = e;
		else
			c->oldest = e;
		c->newest = e;
		c->count++;
		if (c->count > c->capacity)
			unlink_entry(c, c->oldest);
	}
	e->stored_ns = now_ns();
	c->generation++;
	return e;
}

void attr_cache_put(struct attr_cache *c, const char *path, bool follow, const struct canon_stat *st,
		    int64_t source)
{
	struct entry *e = entry_for(c, path);
	if (!e)
		return;
	e->source = source;
	if (follow) {
		e->as_stat = PRESENT;
		e->st = *st;
		/* When lstat knew the same file under PATH (no symlink), this is
		 * its newer lstat too; another file means PATH changed, and
		 * what it is now to lstat is unknown. */
		if (e->as_lstat == PRESENT && (e->lst.mode & CANON_S_IFMT) != CANON_S_IFLNK) {
			if (same_file(&e->lst, st))
				e->lst = *st;
			else
				e->as_lstat = UNKNOWN;
		} else if (e->as_lstat == ABSENT) {
			e->as_lstat = UNKNOWN;
		}
	} else {
		e->as_lstat = PRESENT;
		e->lst = *st;
		e->as_stat = UNKNOWN;
	}
}

void attr_cache_put_absent(struct attr_cache *c, const char *path, bool follow, int64_t source)
{
	struct entry *e = entry_for(c, path);
	if (!e)
		return;
	e->source = source;
	e->as_stat = ABSENT;
	if (!follow)
		e->as_lstat = ABSENT;
	else if (e->as_lstat == PRESENT && (e->lst.mode & CANON_S_IFMT) != CANON_S_IFLNK)
		e->as_lstat = UNKNOWN;
}

void attr_cache_forget(struct attr_cache *c, const char *path, bool subtree)
{
	if (!c)
		return;
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	char key[n + 1];
	memcpy(key, path, n);
	key[n] = 0;
	struct entry *e = *slot_of(c, key, hash_of(key));
	if (e)
		unlink_entry(c, e);
	if (!subtree)
		return;
	for (struct entry *x = c->oldest, *next; x; x = next) {
		next = x->newer;
		if ((n == 1 || (strncmp(x->path, key, n) == 0 && x->path[n] == '/')) && x->path[1])
			unlink_entry(c, x);
	}
}

void attr_cache_forget_parent(struct attr_cache *c, const char *path)
{
	if (!c)
		return;
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
	attr_cache_forget(c, parent, false);
}

void attr_cache_forget_file(struct attr_cache *c, const struct canon_stat *st)
{
	if (!c)
		return;
	for (struct entry *x = c->oldest, *next; x; x = next) {
		next = x->newer;
		if ((x->as_lstat == PRESENT && same_file(&x->lst, st)) || (x->as_stat == PRESENT && same_file(&x->st, st)))
			unlink_entry(c, x);
	}
}

uint64_t attr_cache_generation(const struct attr_cache *c)
{
	return c ? c->generation : 0;
}

void attr_cache_get_stats(const struct attr_cache *c, struct attr_cache_stats *s)
{
	memset(s, 0, sizeof *s);
	if (!c)
		return;
	s->hits = c->hits;
	s->misses = c->misses;
	s->entries = c->count;
}
