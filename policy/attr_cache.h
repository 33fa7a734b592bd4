/* policy/attr_cache.h: what the agent remembers of files at the shadow.
 *
 * Owns the attribute and name cache of close-to-open consistency (as NFS
 * clients do): per shadow path, its attributes as lstat sees them and as
 * stat sees them (canonical, rpc/canon.h), or the fact that nothing by that
 * name exists, each for a limited time (the TTL) after the shadow said so.
 * Opens never use it (they always ask the shadow, which revalidates); stat,
 * lstat, statx and access may, in between. It does no I/O and knows no op:
 * policy/remote.c fills it from replies and forgets what the agent's own
 * changes touch. Bounded: the oldest entries go first when it is full. */
#ifndef SPLITRUN_POLICY_ATTR_CACHE_H
#define SPLITRUN_POLICY_ATTR_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rpc/canon.h"

struct attr_cache;

struct attr_cache_stats {
	unsigned long hits;       /* answered from the cache (negative answers included) */
	unsigned long misses;     /* looked up and not there (or too old) */
	unsigned long entries;    /* held now */
};

/* A cache whose entries are good for TTL_NS nanoseconds (0: nothing is
 * ever served) and which holds at most CAPACITY paths. NULL: no memory. */
struct attr_cache *attr_cache_new(uint64_t ttl_ns, size_t capacity);
void attr_cache_free(struct attr_cache *c);

/* Looks PATH up as stat (FOLLOW) or lstat would see it. Returns 1 with ST
 * filled, -ENOENT when PATH is known not to exist, 0 when unknown. SOURCE
 * (may be NULL) gets what the answer was stored with. */
int attr_cache_get(struct attr_cache *c, const char *path, bool follow, struct canon_stat *st, int64_t *source);
/* The shadow just said PATH has ST (seen with FOLLOW or not). SOURCE is
 * the caller's: which request said so (kept and given back by get). */
void attr_cache_put(struct attr_cache *c, const char *path, bool follow, const struct canon_stat *st,
		    int64_t source);
/* The shadow just said ENOENT for PATH: as lstat (FOLLOW false), there is
 * no such name at all; as stat, it may be a dangling symlink. */
void attr_cache_put_absent(struct attr_cache *c, const char *path, bool follow, int64_t source);
/* Forgets PATH (with SUBTREE, also every path beneath it). */
void attr_cache_forget(struct attr_cache *c, const char *path, bool subtree);
/* Forgets the directory that holds PATH (its times, size and link count
 * change when a name in it does). */
void attr_cache_forget_parent(struct attr_cache *c, const char *path);
/* Forgets every path known to name the file DEV_MAJOR:DEV_MINOR:INO
 * (other hard links, paths through symlinks). */
void attr_cache_forget_file(struct attr_cache *c, const struct canon_stat *st);
void attr_cache_clear(struct attr_cache *c);
/* Grows each time an entry is stored: a caller that forgot a file's paths
 * need not do it again before this number changes. */
uint64_t attr_cache_generation(const struct attr_cache *c);
void attr_cache_get_stats(const struct attr_cache *c, struct attr_cache_stats *s);

#endif
