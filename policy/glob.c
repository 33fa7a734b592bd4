/* policy/glob.c: compiling, matching and comparing path patterns
 * (policy/glob.h). Matching is the classic wildcard walk with one backtrack
 * point, at component level for "**" and within a component for "*": linear
 * in practice, never allocating. */
#include <limits.h>
#include <string.h>

#include "policy/glob.h"

static const char *utf8_next(const char *s, const char *end)
{
	s++;
	while (s < end && ((unsigned char)*s & 0xC0) == 0x80)
		s++;
	return s;
}

/* ---- compiling ---- */

static bool is_special(char c)
{
	return c == '*' || c == '?';
}

/* Unescapes TEXT[0..LEN) into OUT; returns the length written. */
static size_t unescape(const char *text, size_t len, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\\' && i + 1 < len)
			i++;
		out[o++] = text[i];
	}
	return o;
}

static void set_problem(struct glob_problem *p, const char *message, size_t offset)
{
	if (!p->message) {
		p->message = message;
		p->offset = offset;
	}
}

/* One component TEXT[s..e) into C. */
static int compile_comp(struct arena *a, const char *text, size_t s, size_t e, bool last,
			struct glob_comp *c, struct glob_problem *err, struct glob_problem *never)
{
	bool special = false;
	for (size_t i = s; i < e; i++) {
		if (text[i] == '\\') {
			i++;
			continue;
		}
		if (is_special(text[i]))
			special = true;
		if (text[i] == '*' && i + 1 < e && text[i + 1] == '*' && !(s == i && e == i + 2)) {
			set_problem(err, "'**' must be a whole path component (as in /DIR/**/NAME)", i);
			return -1;
		}
	}
	if (e - s == 2 && text[s] == '*' && text[s + 1] == '*') {
		c->kind = GLOB_ANY_DEPTH;
		return 0;
	}
	if (!special) {
		char *lit = arena_alloc(a, e - s + 1);
		if (!lit)
			return -2;
		c->kind = GLOB_LITERAL;
		c->literal = lit;
		c->len = unescape(text + s, e - s, lit);
		if (c->len == 0)
			set_problem(never, last ? "paths are normalized and have no trailing '/'" :
				    "paths are normalized and have no '//'", s - 1);
		else if ((c->len == 1 && lit[0] == '.') || (c->len == 2 && lit[0] == '.' && lit[1] == '.'))
			set_problem(never, "paths are normalized and have no '.' or '..' components", s);
		else if (c->len > NAME_MAX)
			set_problem(never, "no file name is longer than 255 bytes (NAME_MAX)", s);
		return 0;
	}
	struct glob_atom *atoms = arena_alloc(a, (e - s) * sizeof *atoms);
	char *chars = arena_alloc(a, e - s);
	if (!atoms || !chars)
		return -2;
	size_t n = 0;
	for (size_t i = s; i < e; i++) {
		if (text[i] == '*' || text[i] == '?') {
			atoms[n++] = (struct glob_atom){ .kind = text[i] == '*' ? GLOB_ANY : GLOB_ONE };
			continue;
		}
		if (text[i] == '\\')
			i++;
		if (n == 0 || atoms[n - 1].kind != GLOB_CHARS)
			atoms[n++] = (struct glob_atom){ .kind = GLOB_CHARS, .chars = chars };
		*chars++ = text[i];
		atoms[n - 1].len++;
	}
	c->kind = GLOB_PATTERN;
	c->atoms = atoms;
	c->natoms = n;
	for (size_t i = 0; i < n; i++)
		c->min_len += atoms[i].kind == GLOB_CHARS ? atoms[i].len : atoms[i].kind == GLOB_ONE;
	if (n >= 2 && atoms[n - 1].kind == GLOB_CHARS && atoms[n - 2].kind == GLOB_ANY) {
		c->tail = atoms[n - 1].chars;
		c->tail_len = atoms[n - 1].len;
	}
	return 0;
}

int glob_compile(struct arena *a, const char *text, size_t len, struct glob *g,
		 struct glob_problem *err, struct glob_problem *never)
{
	memset(g, 0, sizeof *g);
	err->message = never->message = NULL;
	if (len == 0 || text[0] != '/') {
		set_problem(err, "path patterns are absolute: they start with '/'", 0);
		return -1;
	}
	/* Component boundaries, checking escapes on the way. */
	size_t slashes = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\\') {
			if (i + 1 == len) {
				set_problem(err, "'\\' at the end of a pattern escapes nothing", i);
				return -1;
			}
			if (text[i + 1] == '/') {
				set_problem(err, "'/' cannot be escaped: it always separates components", i);
				return -1;
			}
			i++;
		} else if (text[i] == '/') {
			slashes++;
		}
	}
	struct glob_comp *comps = arena_alloc(a, slashes * sizeof *comps);
	if (!comps)
		return -2;
	size_t n = 0;
	if (len > 1) {
		size_t s = 1;
		for (;;) {
			size_t e = s;
			while (e < len && text[e] != '/')
				e += text[e] == '\\' ? 2 : 1;
			int rc = compile_comp(a, text, s, e, e >= len, &comps[n++], err, never);
			if (rc)
				return rc;
			if (e >= len)
				break;
			s = e + 1;
		}
	}
	size_t nprefix = 0, prefix_len = 0;
	while (nprefix < n && comps[nprefix].kind == GLOB_LITERAL)
		prefix_len += 1 + comps[nprefix++].len;
	char *prefix = arena_alloc(a, prefix_len + 1);
	if (!prefix)
		return -2;
	char *p = prefix;
	for (size_t i = 0; i < nprefix; i++) {
		*p++ = '/';
		memcpy(p, comps[i].literal, comps[i].len);
		p += comps[i].len;
	}
	g->prefix = prefix;
	g->prefix_len = prefix_len;
	g->nprefix = nprefix;
	g->comps = comps;
	g->ncomps = n;
	g->check_last = n > nprefix && comps[n - 1].kind != GLOB_ANY_DEPTH;
	return 0;
}

/* ---- matching ---- */

/* The component of a normalized path at S (which is at a '/' or at END):
 * false when there is none left. */
static bool next_comp(const char *s, const char *end, const char **comp, size_t *len, const char **after)
{
	if (s < end && *s == '/')
		s++;
	if (s >= end)
		return false;
	const char *e = memchr(s, '/', (size_t)(end - s));
	if (!e)
		e = end;
	*comp = s;
	*len = (size_t)(e - s);
	*after = e;
	return true;
}

static bool atoms_match(const struct glob_atom *at, size_t n, const char *s, const char *end)
{
	size_t i = 0, star_i = SIZE_MAX;
	const char *star_s = NULL;
	for (;;) {
		if (i < n) {
			const struct glob_atom *t = &at[i];
			if (t->kind == GLOB_ANY) {
				star_i = i++;
				star_s = s;
				continue;
			}
			if (t->kind == GLOB_CHARS && (size_t)(end - s) >= t->len && memcmp(s, t->chars, t->len) == 0) {
				s += t->len;
				i++;
				continue;
			}
			if (t->kind == GLOB_ONE && s < end) {
				s = utf8_next(s, end);
				i++;
				continue;
			}
		} else if (s == end) {
			return true;
		}
		if (star_i == SIZE_MAX || star_s == end)
			return false;
		star_s = utf8_next(star_s, end);
		s = star_s;
		i = star_i + 1;
	}
}

static bool comp_match(const struct glob_comp *c, const char *s, size_t len)
{
	if (c->kind == GLOB_LITERAL)
		return len == c->len && memcmp(s, c->literal, len) == 0;
	if (len < c->min_len || (c->tail_len && memcmp(s + len - c->tail_len, c->tail, c->tail_len) != 0))
		return false;
	return atoms_match(c->atoms, c->natoms, s, s + len);
}

static bool comps_match(const struct glob_comp *pc, size_t n, const char *s, const char *end)
{
	size_t i = 0, star_i = SIZE_MAX;
	const char *star_s = NULL, *comp, *after;
	size_t len;
	for (;;) {
		if (i < n && pc[i].kind == GLOB_ANY_DEPTH) {
			star_i = i++;
			star_s = s;
			continue;
		}
		if (next_comp(s, end, &comp, &len, &after)) {
			if (i < n && comp_match(&pc[i], comp, len)) {
				i++;
				s = after;
				continue;
			}
		} else if (i == n) {
			return true;
		}
		if (star_i == SIZE_MAX || !next_comp(star_s, end, &comp, &len, &after))
			return false;
		star_s = after;
		s = star_s;
		i = star_i + 1;
	}
}

bool glob_match(const struct glob *g, const char *path, size_t len)
{
	if (g->prefix_len) {
		if (len < g->prefix_len || memcmp(path, g->prefix, g->prefix_len) != 0 ||
		    (len > g->prefix_len && path[g->prefix_len] != '/'))
			return false;
	}
	if (g->check_last) {
		const char *slash = memrchr(path, '/', len);
		if (!slash || !comp_match(&g->comps[g->ncomps - 1], slash + 1, (size_t)(path + len - slash - 1)))
			return false;
	}
	return comps_match(g->comps + g->nprefix, g->ncomps - g->nprefix,
			   path + g->prefix_len, path + len);
}

bool path_is_under(const char *path, size_t len, const char *dir, size_t dir_len)
{
	if (dir_len == 1 && dir[0] == '/')
		return len > 0 && path[0] == '/';
	return len >= dir_len && memcmp(path, dir, dir_len) == 0 &&
	       (len == dir_len || path[dir_len] == '/');
}

/* ---- coverage: does A match everything B matches? ---- */

/* One character position of a component pattern. */
struct cover_elem {
	enum glob_atom_kind kind;  /* GLOB_CHARS: one UTF-8 character */
	const char *chars;
	size_t len;
};

#define COVER_MAX_ELEMS 512
#define COVER_BUDGET 100000

static int expand_comp(const struct glob_comp *c, struct cover_elem *out)
{
	int n = 0;
	if (c->kind == GLOB_LITERAL) {
		struct glob_atom one = { GLOB_CHARS, c->len, c->literal };
		return expand_comp(&(struct glob_comp){ .kind = GLOB_PATTERN, .atoms = &one, .natoms = 1 }, out);
	}
	for (size_t i = 0; i < c->natoms; i++) {
		const struct glob_atom *t = &c->atoms[i];
		if (t->kind != GLOB_CHARS) {
			if (n == COVER_MAX_ELEMS)
				return -1;
			out[n++] = (struct cover_elem){ t->kind, NULL, 0 };
			continue;
		}
		const char *s = t->chars, *end = t->chars + t->len;
		while (s < end) {
			const char *next = utf8_next(s, end);
			if (n == COVER_MAX_ELEMS)
				return -1;
			out[n++] = (struct cover_elem){ GLOB_CHARS, s, (size_t)(next - s) };
			s = next;
		}
	}
	return n;
}

static bool elems_cover(const struct cover_elem *a, int na, const struct cover_elem *b, int nb, long *budget)
{
	if (--*budget <= 0)
		return false;
	if (na == 0)
		return nb == 0;
	if (a->kind == GLOB_ANY)
		return elems_cover(a + 1, na - 1, b, nb, budget) ||
		       (nb > 0 && elems_cover(a, na, b + 1, nb - 1, budget));
	if (nb == 0 || b->kind == GLOB_ANY)
		return false;
	if (a->kind == GLOB_CHARS && (b->kind != GLOB_CHARS || a->len != b->len ||
				      memcmp(a->chars, b->chars, a->len) != 0))
		return false;
	return elems_cover(a + 1, na - 1, b + 1, nb - 1, budget);
}

static bool comp_covers(const struct glob_comp *a, const struct glob_comp *b, long *budget)
{
	if (a->kind == GLOB_LITERAL && b->kind == GLOB_LITERAL)
		return a->len == b->len && memcmp(a->literal, b->literal, a->len) == 0;
	struct cover_elem ea[COVER_MAX_ELEMS], eb[COVER_MAX_ELEMS];
	int na = expand_comp(a, ea), nb = expand_comp(b, eb);
	return na >= 0 && nb >= 0 && elems_cover(ea, na, eb, nb, budget);
}

static bool comps_cover(const struct glob_comp *a, size_t na, const struct glob_comp *b, size_t nb, long *budget)
{
	if (--*budget <= 0)
		return false;
	if (na == 0)
		return nb == 0;
	if (a->kind == GLOB_ANY_DEPTH)
		return comps_cover(a + 1, na - 1, b, nb, budget) ||
		       (nb > 0 && comps_cover(a, na, b + 1, nb - 1, budget));
	if (nb == 0 || b->kind == GLOB_ANY_DEPTH)
		return false;
	return comp_covers(a, b, budget) && comps_cover(a + 1, na - 1, b + 1, nb - 1, budget);
}

bool glob_covers(const struct glob *a, const struct glob *b)
{
	long budget = COVER_BUDGET;
	return comps_cover(a->comps, a->ncomps, b->comps, b->ncomps, &budget);
}
