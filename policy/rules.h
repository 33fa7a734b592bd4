/* policy/rules.h: a loaded policy, as the parser builds it and the router and
 * printer read it. Internal to the policy language (parse.c, check.c,
 * route.c, print.c); the executive uses policy/policy.h only. */
#ifndef SPLITRUN_POLICY_RULES_H
#define SPLITRUN_POLICY_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/arena.h"
#include "policy/glob.h"
#include "policy/policy.h"

/* Where a rule was written. */
struct rule_origin {
	const char *file;   /* as the user named it, or POLICY_BUILTIN_NAME */
	int line, col;
};

struct path_rule {
	struct glob glob;
	enum policy_method method;
	int deny_errno;                  /* native */
	bool readonly, log;
	const char *map_guest;           /* NULL: no map */
	size_t map_guest_len;
	const char *map_shadow;
	size_t map_shadow_len;
	struct rule_origin at;
	const char *text;                /* "path PATTERN remote", as printed */
	const struct path_rule *shadowed_by; /* an earlier rule taking every path */
	bool never_matches;              /* no normalized path fits the pattern */
};

struct call_rule {
	const char *name;
	long nr;                         /* on this architecture; -1: none */
	enum policy_method method;
	int deny_errno;
	bool log;
	struct rule_origin at;           /* col: of this name in the list */
	const char *text;                /* "call NAME ACTION...", one name */
	const struct call_rule *shadowed_by; /* the earlier rule for the name */
};

struct policy {
	struct arena arena;
	const char *source;              /* the top file, or POLICY_BUILTIN_NAME */
	struct path_rule *paths;         /* in order: first match wins */
	size_t npaths, paths_cap;
	struct call_rule *calls;         /* in order */
	size_t ncalls, calls_cap;
	const struct call_rule **calls_by_name; /* sorted, first rule per name */
	size_t ncalls_by_name;
	const struct path_rule *first_nonlocal; /* forces the io_uring rule */
	bool any_path_log;
	struct call_rule io_uring_implied;
	const struct path_rule *covers_all;     /* a rule matching every path */

	/* The lookup index (route.c): rules by their literal prefix, so a path
	 * is tried only against rules whose fixed leading directories it has,
	 * and the rules that start with a pattern. Rules that can never apply
	 * are left out. */
	struct prefix_bucket *buckets;   /* open addressing, nbuckets a power of 2 */
	size_t nbuckets;
	size_t max_prefix_len;           /* no longer prefix has a bucket */
	const uint32_t *wild;            /* rules with no literal prefix, in order */
	size_t nwild;
};

struct prefix_bucket {
	const char *prefix;              /* NULL: empty slot */
	size_t len;
	uint64_t hash;
	uint32_t *rules;                 /* indices into paths, ascending */
	size_t nrules;
};

#define POLICY_BUILTIN_NAME "<built-in>"
#define POLICY_MAX_INCLUDE_DEPTH 16
#define POLICY_DEFAULT_RULE "(default)"

/* policy/default.c: the embedded default policy's text. */
extern const char policy_default_text[];

/* policy/parse.c: policy_load, and how many errors and warnings it wrote. */
struct policy *policy_load_counting(const char *file, FILE *err, int *nerrors, int *nwarnings);

/* policy/check.c: the checker's warnings, once every rule is in. Returns the
 * number of warnings written to ERR. */
int policy_check_rules(struct policy *p, FILE *err);

/* policy/route.c: builds the lookup tables once the rules are in and
 * checked; returns 0 or -ENOMEM. */
int policy_index(struct policy *p);

/* policy/names.c: the vocabulary. */
struct identity_call {
	const char *name;
	const char *meaning;
	bool is_syscall;                 /* false: a name of the policy language only */
};
extern const struct identity_call policy_identity_calls[];
const struct identity_call *policy_identity_call(const char *name);
/* The native errno for NAME ("EACCES"), or 0 when there is none. */
int policy_errno_by_name(const char *name);
/* "EACCES" for a native errno (for messages). */
const char *policy_errno_name(int err);
/* The closest candidate to WORD among errno names, syscall names of this
 * architecture, or the given list (NULL-terminated), or NULL when none is
 * close: for "did you mean" hints. */
const char *policy_suggest_errno(const char *word);
const char *policy_suggest_syscall(const char *word);
const char *policy_suggest_word(const char *word, const char *const *list);

#endif
