/* policy/glob.h: path patterns, compiled once at load and matched on every
 * routed path without allocating.
 *
 * A pattern is an absolute path whose components may hold "*" (any run of
 * characters within the component), "?" (one character, UTF-8 aware) or be
 * exactly "**" (any number of whole components, none included, so a
 * pattern ending in the components DIR and "**" matches DIR too). A backslash makes the next character literal. Matching
 * is on normalized paths (policy_normalize). */
#ifndef SPLITRUN_POLICY_GLOB_H
#define SPLITRUN_POLICY_GLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/arena.h"

enum glob_atom_kind { GLOB_CHARS, GLOB_ONE, GLOB_ANY };

struct glob_atom {
	enum glob_atom_kind kind;
	size_t len;          /* GLOB_CHARS: bytes at chars */
	const char *chars;
};

enum glob_comp_kind { GLOB_LITERAL, GLOB_PATTERN, GLOB_ANY_DEPTH };

struct glob_comp {
	enum glob_comp_kind kind;
	const char *literal;            /* GLOB_LITERAL: the name, unescaped */
	size_t len;
	const struct glob_atom *atoms;  /* GLOB_PATTERN */
	size_t natoms;
	/* GLOB_PATTERN shortcuts: the fewest bytes a match has, and the bytes
	 * after the last "*" that every match ends with ("*.c": ".c"). */
	size_t min_len;
	const char *tail;
	size_t tail_len;
};

struct glob {
	/* The leading literal components as one string ("/home/ann"; "" when
	 * the first component is a pattern): matched with one memcmp. */
	const char *prefix;
	size_t prefix_len;
	size_t nprefix;                 /* components the prefix spans */
	const struct glob_comp *comps;  /* every component, the prefix's first */
	size_t ncomps;
	/* The last component is a single-component pattern past the prefix,
	 * so a path's last component must match it: checked before the walk. */
	bool check_last;
};

/* What is wrong with a pattern, and where: OFFSET is a byte offset into the
 * text given to glob_compile. */
struct glob_problem {
	const char *message;
	size_t offset;
};

/* Compiles the absolute pattern TEXT (LEN bytes, quotes already removed,
 * backslash escapes still in) into G, allocating from A. Returns 0, or -1
 * with ERR set for a bad pattern, or -2 when out of memory. A pattern that
 * compiles but can never match a normalized path sets NEVER->message
 * (otherwise left NULL): a warning, not an error. */
int glob_compile(struct arena *a, const char *text, size_t len, struct glob *g,
		 struct glob_problem *err, struct glob_problem *never);

/* Does the normalized absolute PATH (LEN bytes) match G? */
bool glob_match(const struct glob *g, const char *path, size_t len);

/* True when every path B matches is matched by A as well. Sound but not
 * complete: false when it cannot tell, so a warning built on it is never
 * wrong. */
bool glob_covers(const struct glob *a, const struct glob *b);

/* Is the normalized PATH equal to the normalized DIR or beneath it? ("/"
 * holds everything; "/home/ann" does not hold "/home/annex".) */
bool path_is_under(const char *path, size_t len, const char *dir, size_t dir_len);

#endif
