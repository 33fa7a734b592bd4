/* policy/arena.h: the memory of one loaded policy. Everything a policy owns
 * (rule texts, compiled globs, file names) is carved from one arena and
 * freed with it, so routing never allocates and policy_free is one call. */
#ifndef SPLITRUN_POLICY_ARENA_H
#define SPLITRUN_POLICY_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
};

/* Zeroed, aligned for any object; NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t size);
/* A NUL-terminated copy of the LEN bytes at S. */
char *arena_strndup(struct arena *a, const char *s, size_t len);
char *arena_strdup(struct arena *a, const char *s);
void arena_free(struct arena *a);

#endif
