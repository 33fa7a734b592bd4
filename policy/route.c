/* policy/route.c: the lookups the executive makes on every trapped call:
 * normalizing a path, routing it, routing a call by name. None allocates;
 * the tables they read are built once by policy_index at load. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/rules.h"

/* The previous component of IN before *POS that ".." does not cancel:
 * steps back over ".", "..", empty components and what the ".." cancel.
 * Returns false when none is left. */
static bool previous_kept(const char *in, size_t *pos, const char **comp, size_t *len)
{
	size_t skip = 0;
	size_t e = *pos;
	for (;;) {
		while (e > 0 && in[e - 1] == '/')
			e--;
		if (e == 0)
			return false;
		size_t s = e;
		while (s > 0 && in[s - 1] != '/')
			s--;
		size_t n = e - s;
		e = s;
		if (n == 1 && in[s] == '.')
			continue;
		if (n == 2 && in[s] == '.' && in[s + 1] == '.') {
			skip++;
			continue;
		}
		if (skip) {
			skip--;
			continue;
		}
		*comp = in + s;
		*len = n;
		*pos = e;
		return true;
	}
}

/* Into a separate buffer: walks IN backwards twice, first to size the
 * result, then to write it from its end. Exact whatever IN's length. */
static int normalize_apart(const char *in, char *out, size_t size)
{
	size_t in_len = strlen(in), total = 0, pos = in_len, len;
	const char *comp;
	while (previous_kept(in, &pos, &comp, &len))
		total += 1 + len;
	if ((total ? total : 1) + 1 > size)
		return -ENAMETOOLONG;
	if (!total) {
		strcpy(out, "/");
		return 0;
	}
	out[total] = 0;
	pos = in_len;
	while (previous_kept(in, &pos, &comp, &len)) {
		total -= len;
		memcpy(out + total, comp, len);
		out[--total] = '/';
	}
	return 0;
}

/* In place: writes forward, O trailing I, so nothing unread is overwritten;
 * what is written never outgrows IN, which the buffer holds. */
static int normalize_in_place(char *buf, size_t size)
{
	size_t o = 0;
	const char *s = buf;
	for (;;) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		const char *e = s;
		while (*e && *e != '/')
			e++;
		size_t len = (size_t)(e - s);
		if (len == 1 && s[0] == '.') {
			/* nothing */
		} else if (len == 2 && s[0] == '.' && s[1] == '.') {
			while (o > 0 && buf[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			buf[o++] = '/';
			memmove(buf + o, s, len);
			o += len;
		}
		s = e;
	}
	if (o == 0)
		buf[o++] = '/';
	if (o + 1 > size)
		return -ENAMETOOLONG;
	buf[o] = 0;
	return 0;
}

int policy_normalize(const char *in, char *out, size_t size)
{
	if (in[0] != '/')
		return -EINVAL;
	if (in == out)
		return normalize_in_place(out, size);
	/* The usual case, OUT as large as IN: copy, then one forward pass. */
	size_t len = strnlen(in, size);
	if (len < size) {
		memcpy(out, in, len + 1);
		return normalize_in_place(out, size);
	}
	return normalize_apart(in, out, size);
}

static void set_route(struct policy_route *r, enum policy_method method, int deny_errno, bool readonly,
		      bool log, const struct rule_origin *at, const char *text)
{
	*r = (struct policy_route){
		.method = method,
		.deny_errno = deny_errno,
		.readonly = readonly,
		.log = log,
		.file = at->file,
		.line = at->line,
		.rule_text = text,
	};
}

static void route_default(struct policy_route *r)
{
	static const struct rule_origin fallback = { POLICY_DEFAULT_RULE, 0, 0 };
	set_route(r, POLICY_LOCAL, 0, false, false, &fallback, POLICY_DEFAULT_RULE);
}

/* The shadow-side name of PATH under RULE's map (or PATH itself). */
static int shadow_name(const struct path_rule *rule, const char *path, size_t len, char *out, size_t size)
{
	const char *head = "", *rest = path;
	size_t head_len = 0, rest_len = len;
	if (rule->map_guest) {
		if (rule->map_guest_len > 1) {
			rest = path + rule->map_guest_len;
			rest_len = len - rule->map_guest_len;
		} else if (len == 1) {
			rest_len = 0;       /* the guest root itself */
		}
		if (rule->map_shadow_len > 1 || rest_len == 0) {
			head = rule->map_shadow;
			head_len = rule->map_shadow_len;
		}
	}
	if (head_len + rest_len + 1 > size)
		return -ENAMETOOLONG;
	memcpy(out, head, head_len);
	memcpy(out + head_len, rest, rest_len);
	out[head_len + rest_len] = 0;
	return 0;
}

/* ---- the prefix index ---- */

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = FNV_OFFSET;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * FNV_PRIME;
	return h;
}

static struct prefix_bucket *find_bucket(const struct policy *p, const char *prefix, size_t len, uint64_t hash)
{
	size_t mask = p->nbuckets - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct prefix_bucket *b = &p->buckets[i];
		if (!b->prefix || (b->hash == hash && b->len == len && memcmp(b->prefix, prefix, len) == 0))
			return b;
	}
}

/* The first rule of LIST (ascending) before BEST that matches, or BEST. */
static size_t first_match(const struct policy *p, const uint32_t *list, size_t n, size_t best,
			  const char *path, size_t len)
{
	for (size_t k = 0; k < n && list[k] < best; k++)
		if (glob_match(&p->paths[list[k]].glob, path, len))
			return list[k];
	return best;
}

static bool indexed(const struct path_rule *r)
{
	return !r->shadowed_by && !r->never_matches;
}

static int build_prefix_index(struct policy *p)
{
	size_t nkeys = 0;
	for (size_t i = 0; i < p->npaths; i++)
		nkeys += indexed(&p->paths[i]) && p->paths[i].glob.prefix_len;
	p->nbuckets = 4;
	while (p->nbuckets < 2 * nkeys)
		p->nbuckets *= 2;
	p->buckets = arena_alloc(&p->arena, p->nbuckets * sizeof *p->buckets);
	uint32_t *wild = arena_alloc(&p->arena, (p->npaths + 1) * sizeof *wild);
	if (!p->buckets || !wild)
		return -ENOMEM;
	/* Count per prefix, then fill in rule order. */
	for (size_t i = 0; i < p->npaths; i++) {
		const struct glob *g = &p->paths[i].glob;
		if (!indexed(&p->paths[i]))
			continue;
		if (!g->prefix_len) {
			wild[p->nwild++] = (uint32_t)i;
			continue;
		}
		uint64_t h = hash_bytes(g->prefix, g->prefix_len);
		struct prefix_bucket *b = find_bucket(p, g->prefix, g->prefix_len, h);
		if (g->prefix_len > p->max_prefix_len)
			p->max_prefix_len = g->prefix_len;
		if (!b->prefix)
			*b = (struct prefix_bucket){ g->prefix, g->prefix_len, h, NULL, 0 };
		b->nrules++;
	}
	p->wild = wild;
	for (size_t i = 0; i < p->nbuckets; i++) {
		struct prefix_bucket *b = &p->buckets[i];
		if (b->prefix && !(b->rules = arena_alloc(&p->arena, b->nrules * sizeof *b->rules)))
			return -ENOMEM;
		b->nrules = 0;
	}
	for (size_t i = 0; i < p->npaths; i++) {
		const struct glob *g = &p->paths[i].glob;
		if (indexed(&p->paths[i]) && g->prefix_len) {
			struct prefix_bucket *b = find_bucket(p, g->prefix, g->prefix_len,
							      hash_bytes(g->prefix, g->prefix_len));
			b->rules[b->nrules++] = (uint32_t)i;
		}
	}
	return 0;
}

int policy_route_path(const struct policy *p, const char *path, struct policy_route *r,
		      char *shadow_path, size_t size)
{
	size_t len = strlen(path);
	/* The first matching rule is the first match of the rules of one of
	 * PATH's leading directories ("/home", "/home/ann", ...) or of the rules
	 * without a literal prefix, whichever comes first. */
	size_t best = SIZE_MAX;
	size_t end = len < p->max_prefix_len ? len : p->max_prefix_len;
	uint64_t h = FNV_OFFSET;
	for (size_t i = 0; i <= end; i++) {
		if (i > 0 && (i == len || path[i] == '/')) {
			const struct prefix_bucket *b = find_bucket(p, path, i, h);
			if (b->prefix)
				best = first_match(p, b->rules, b->nrules, best, path, len);
		}
		if (i < end)
			h = (h ^ (unsigned char)path[i]) * FNV_PRIME;
	}
	best = first_match(p, p->wild, p->nwild, best, path, len);
	if (best == SIZE_MAX) {
		route_default(r);
		return 0;
	}
	const struct path_rule *rule = &p->paths[best];
	set_route(r, rule->method, rule->deny_errno, rule->readonly, rule->log, &rule->at, rule->text);
	if (shadow_path && (rule->method == POLICY_REMOTE || rule->method == POLICY_STAGE))
		return shadow_name(rule, path, len, shadow_path, size);
	return 0;
}

static int compare_call_rules(const void *a, const void *b)
{
	const struct call_rule *x = *(const struct call_rule *const *)a;
	const struct call_rule *y = *(const struct call_rule *const *)b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x > y) - (x < y);
}

static int compare_name_to_rule(const void *key, const void *elem)
{
	return strcmp(key, (*(const struct call_rule *const *)elem)->name);
}

void policy_route_call(const struct policy *p, const char *syscall_name, struct policy_route *r)
{
	const struct call_rule *const *found = NULL;
	if (p->ncalls_by_name)
		found = bsearch(syscall_name, p->calls_by_name, p->ncalls_by_name,
				sizeof *p->calls_by_name, compare_name_to_rule);
	if (found) {
		const struct call_rule *rule = *found;
		set_route(r, rule->method, rule->deny_errno, false, rule->log, &rule->at, rule->text);
	} else {
		route_default(r);
	}
	if (p->first_nonlocal && r->method == POLICY_LOCAL && strcmp(syscall_name, "io_uring_setup") == 0) {
		const struct call_rule *implied = &p->io_uring_implied;
		set_route(r, POLICY_DENY, implied->deny_errno, false, r->log, &implied->at, implied->text);
	}
}

bool policy_any_nonlocal(const struct policy *p)
{
	return p->first_nonlocal != NULL;
}

bool policy_any_path_log(const struct policy *p)
{
	return p->any_path_log;
}

int policy_index(struct policy *p)
{
	/* Rules that can never apply need no trap. */
	for (size_t i = 0; i < p->npaths; i++) {
		const struct path_rule *r = &p->paths[i];
		if (r->shadowed_by || r->never_matches)
			continue;
		if (!p->first_nonlocal && r->method != POLICY_LOCAL)
			p->first_nonlocal = r;
		if (r->log)
			p->any_path_log = true;
	}
	if (p->first_nonlocal)
		p->io_uring_implied = (struct call_rule){
			.name = "io_uring_setup",
			.method = POLICY_DENY,
			.deny_errno = ENOSYS,
			.at = p->first_nonlocal->at,
			.text = "call io_uring_setup deny ENOSYS (implied: a path rule is not local)",
		};

	struct glob everything;
	struct glob_problem err, never;
	if (glob_compile(&p->arena, "/**", 3, &everything, &err, &never) != 0)
		return -ENOMEM;
	for (size_t i = 0; i < p->npaths && !p->covers_all; i++)
		if (glob_covers(&p->paths[i].glob, &everything))
			p->covers_all = &p->paths[i];

	if (build_prefix_index(p) < 0)
		return -ENOMEM;

	if (p->ncalls) {
		p->calls_by_name = malloc(p->ncalls * sizeof *p->calls_by_name);
		if (!p->calls_by_name)
			return -ENOMEM;
		for (size_t i = 0; i < p->ncalls; i++)
			p->calls_by_name[i] = &p->calls[i];
		qsort(p->calls_by_name, p->ncalls, sizeof *p->calls_by_name, compare_call_rules);
		size_t n = 0;
		for (size_t i = 0; i < p->ncalls; i++)
			if (n == 0 || strcmp(p->calls_by_name[n - 1]->name, p->calls_by_name[i]->name) != 0)
				p->calls_by_name[n++] = p->calls_by_name[i];
		p->ncalls_by_name = n;
	}
	return 0;
}
