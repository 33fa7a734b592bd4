/* policy/parse.c: reads policy files (and their includes) into rules,
 * reporting every error of every line as "file:line:col: error: ...". The
 * grammar is in docs/policy.md and splitrun-policy(5). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/syscall.h"
#include "policy/lex.h"
#include "policy/rules.h"

#define POLICY_MAX_FILE_SIZE (1 << 20)

struct open_file {
	const char *name;
	dev_t dev;
	ino_t ino;
};

struct loader {
	struct policy *p;
	FILE *err;
	int errors, warnings;
	bool out_of_memory;
	struct open_file stack[POLICY_MAX_INCLUDE_DEPTH + 1];
	int depth;                 /* entries in STACK */
};

/* One line being parsed. */
struct line {
	struct loader *l;
	const char *file;
	int number;
	struct word *w;
	int n;
	int errors;                /* of this line: a line with errors adds no rule */
};

__attribute__((format(printf, 4, 5)))
static void report(struct line *ln, int col, bool error, const char *fmt, ...)
{
	va_list ap;
	fprintf(ln->l->err, "%s:%d:%d: %s: ", ln->file, ln->number, col, error ? "error" : "warning");
	va_start(ap, fmt);
	vfprintf(ln->l->err, fmt, ap);
	va_end(ap);
	fputc('\n', ln->l->err);
	if (error) {
		ln->l->errors++;
		ln->errors++;
	} else {
		ln->l->warnings++;
	}
}

#define error_at(ln, col, ...) report(ln, col, true, __VA_ARGS__)
#define warning_at(ln, col, ...) report(ln, col, false, __VA_ARGS__)

/* What follows an unknown word: a guess at what was meant if one is close,
 * else what was expected (may be NULL: nothing). */
struct hint {
	char text[160];
};

static const char *hint_text(struct hint *h, const char *guess, const char *expected)
{
	if (guess)
		snprintf(h->text, sizeof h->text, " (did you mean '%s'?)", guess);
	else if (expected)
		snprintf(h->text, sizeof h->text, " (expected %s)", expected);
	else
		h->text[0] = 0;
	return h->text;
}

/* The column just past the last word: where a missing word was expected. */
static int end_col(const struct line *ln)
{
	const struct word *last = &ln->w[ln->n - 1];
	return last->col + (int)last->raw_len;
}

static void *need(struct loader *l, void *p)
{
	if (!p)
		l->out_of_memory = true;
	return p;
}

/* The word's value (quotes and escapes removed), in the policy's arena. */
static char *value(struct line *ln, const struct word *w)
{
	char *v = need(ln->l, arena_alloc(&ln->l->p->arena, w->len + 1));
	if (v)
		lex_unescape(w, v);
	return v ? v : "";
}

/* "KEYWORD" followed by words FROM.. as written, blank-separated. */
static const char *rule_text(struct line *ln, const char *head, int from)
{
	size_t len = strlen(head);
	for (int i = from; i < ln->n; i++)
		len += 1 + ln->w[i].raw_len;
	char *t = need(ln->l, arena_alloc(&ln->l->p->arena, len + 1));
	if (!t)
		return "";
	char *o = t + strlen(head);
	memcpy(t, head, strlen(head));
	for (int i = from; i < ln->n; i++) {
		*o++ = ' ';
		memcpy(o, ln->w[i].raw, ln->w[i].raw_len);
		o += ln->w[i].raw_len;
	}
	*o = 0;
	return t;
}

/* Does the word hold an unescaped '*' or '?'? */
static bool has_glob_char(const struct word *w)
{
	for (size_t i = 0; i < w->len; i++) {
		if (w->text[i] == '\\')
			i++;
		else if (w->text[i] == '*' || w->text[i] == '?')
			return true;
	}
	return false;
}

static const char *const methods[] = { "local", "remote", "stage", "deny", NULL };
static const char *const path_modifiers[] = { "readonly", "map", "log", NULL };
static const char *const call_actions[] = { "local", "remote", "deny", "log", NULL };
static const char *const keywords[] = { "path", "call", "include", NULL };

/* "deny ERRNO" at word I: returns the native errno, or 0 after an error. */
static int parse_errno(struct line *ln, int i)
{
	if (i >= ln->n) {
		error_at(ln, end_col(ln), "'deny' needs an errno name, such as EACCES or ENOENT");
		return 0;
	}
	const char *name = value(ln, &ln->w[i]);
	int e = policy_errno_by_name(name);
	if (!e)
		error_at(ln, ln->w[i].col, "unknown errno name '%s'%s", name,
			 hint_text(&(struct hint){ 0 }, policy_suggest_errno(name), "a name such as EACCES or ENOENT"));
	return e;
}

/* A map prefix at word I: absolute, normalized, no glob characters. */
static const char *parse_prefix(struct line *ln, int i, const char *which)
{
	const struct word *w = &ln->w[i];
	const char *v = value(ln, w);
	if (v[0] != '/') {
		error_at(ln, w->col, "relative path '%s' as the %s prefix of 'map': prefixes are absolute", v, which);
		return NULL;
	}
	if (has_glob_char(w)) {
		error_at(ln, w->col, "the %s prefix '%s' of 'map' has a '*' or '?': prefixes are plain paths", which, v);
		return NULL;
	}
	char norm[4096];
	if (policy_normalize(v, norm, sizeof norm) < 0) {
		error_at(ln, w->col, "the %s prefix of 'map' is too long", which);
		return NULL;
	}
	if (strcmp(norm, v) != 0) {
		error_at(ln, w->col, "the %s prefix '%s' of 'map' is not normalized (write '%s')", which, v, norm);
		return NULL;
	}
	return v;
}

/* "map GUEST => SHADOW" at word I; returns the index past it. */
static int parse_map(struct line *ln, int i, struct path_rule *r, bool glob_ok)
{
	const struct word *map = &ln->w[i];
	if (i + 1 >= ln->n) {
		error_at(ln, end_col(ln), "'map' needs GUESTPREFIX => SHADOWPREFIX");
		return ln->n;
	}
	if (i + 2 >= ln->n || !word_is(&ln->w[i + 2], "=>")) {
		const struct word *guest = &ln->w[i + 1];
		bool glued = memmem(guest->text, guest->len, "=>", 2) != NULL;
		error_at(ln, i + 2 < ln->n ? ln->w[i + 2].col : end_col(ln),
			 "expected '=>' after the guest prefix of 'map'%s",
			 glued ? " (put blanks around '=>')" : "");
		return ln->n;
	}
	if (i + 3 >= ln->n) {
		error_at(ln, end_col(ln), "expected the shadow prefix after '=>'");
		return ln->n;
	}
	if (r->map_guest)
		error_at(ln, map->col, "'map' given twice");
	const char *guest = parse_prefix(ln, i + 1, "guest");
	const char *shadow = parse_prefix(ln, i + 3, "shadow");
	if (guest && glob_ok) {
		const char *fixed = r->glob.prefix_len ? r->glob.prefix : "/";
		size_t fixed_len = r->glob.prefix_len ? r->glob.prefix_len : 1;
		if (!path_is_under(fixed, fixed_len, guest, strlen(guest)))
			error_at(ln, ln->w[i + 1].col,
				 "the guest prefix '%s' of 'map' does not hold every path the pattern matches "
				 "(the pattern's fixed leading part '%s' must be at or under it)", guest, fixed);
	}
	if (guest && shadow && !r->map_guest) {
		r->map_guest = guest;
		r->map_guest_len = strlen(guest);
		r->map_shadow = shadow;
		r->map_shadow_len = strlen(shadow);
	}
	return i + 4;
}

/* ITEMS (N of SIZE bytes, room for *CAP) with room for one more: the same
 * or a grown array, or NULL when out of memory (ITEMS is then kept). */
static void *make_room(struct loader *l, void *items, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return items;
	size_t grown_cap = *cap ? 2 * *cap : 16;
	void *grown = need(l, realloc(items, grown_cap * size));
	if (grown)
		*cap = grown_cap;
	return grown;
}

static void add_path_rule(struct loader *l, const struct path_rule *r)
{
	struct policy *p = l->p;
	struct path_rule *paths = make_room(l, p->paths, p->npaths, &p->paths_cap, sizeof *r);
	if (paths) {
		p->paths = paths;
		p->paths[p->npaths++] = *r;
	}
}

static void add_call_rule(struct loader *l, const struct call_rule *r)
{
	struct policy *p = l->p;
	struct call_rule *calls = make_room(l, p->calls, p->ncalls, &p->calls_cap, sizeof *r);
	if (calls) {
		p->calls = calls;
		p->calls[p->ncalls++] = *r;
	}
}

static void parse_path(struct line *ln)
{
	struct path_rule r = { .at = { ln->file, ln->number, ln->n > 1 ? ln->w[1].col : ln->w[0].col } };
	if (ln->n < 2) {
		error_at(ln, end_col(ln), "expected a path pattern after 'path'");
		return;
	}
	const struct word *pat = &ln->w[1];
	struct glob_problem bad, never;
	bool glob_ok = false;
	int text_col = pat->col + pat->quoted;
	int plen = (int)pat->len;
	if (pat->len == 0 || pat->text[0] != '/') {
		error_at(ln, pat->col, "relative path '%.*s': path patterns are absolute (they start with '/')",
			 plen, pat->text);
	} else {
		int rc = glob_compile(&ln->l->p->arena, pat->text, pat->len, &r.glob, &bad, &never);
		if (rc == -2)
			ln->l->out_of_memory = true;
		else if (rc < 0)
			error_at(ln, text_col + (int)bad.offset, "bad pattern '%.*s': %s", plen, pat->text, bad.message);
		else
			glob_ok = true;
		if (rc == 0 && never.message) {
			r.never_matches = true;
			const char *v = value(ln, pat);
			char norm[4096], suggestion[4200] = "";
			if (policy_normalize(v, norm, sizeof norm) == 0 && strcmp(norm, v) != 0)
				snprintf(suggestion, sizeof suggestion, " (write '%s')", norm);
			warning_at(ln, text_col + (int)never.offset, "pattern '%.*s' can never match: %s%s",
				   plen, pat->text, never.message, suggestion);
		}
	}
	if (ln->n < 3) {
		error_at(ln, end_col(ln), "expected an access method after the pattern (local, remote, stage or deny ERRNO)");
		return;
	}
	const struct word *m = &ln->w[2];
	int i = 3;
	if (word_is(m, "local")) {
		r.method = POLICY_LOCAL;
	} else if (word_is(m, "remote")) {
		r.method = POLICY_REMOTE;
	} else if (word_is(m, "stage")) {
		r.method = POLICY_STAGE;
	} else if (word_is(m, "deny")) {
		r.method = POLICY_DENY;
		r.deny_errno = parse_errno(ln, i++);
	} else {
		const char *v = value(ln, m);
		error_at(ln, m->col, "unknown access method '%s'%s", v,
			 hint_text(&(struct hint){ 0 }, policy_suggest_word(v, methods),
				   "local, remote, stage or deny ERRNO"));
		return;
	}
	bool remote_like = r.method == POLICY_REMOTE || r.method == POLICY_STAGE;
	while (i < ln->n) {
		const struct word *w = &ln->w[i];
		if (word_is(w, "readonly")) {
			if (r.readonly)
				error_at(ln, w->col, "'readonly' given twice");
			if (!remote_like)
				error_at(ln, w->col, "'readonly' applies to remote and stage rules only");
			r.readonly = true;
			i++;
		} else if (word_is(w, "log")) {
			if (r.log)
				error_at(ln, w->col, "'log' given twice");
			r.log = true;
			i++;
		} else if (word_is(w, "map")) {
			if (!remote_like)
				error_at(ln, w->col, "'map' applies to remote and stage rules only");
			i = parse_map(ln, i, &r, glob_ok);
		} else {
			const char *v = value(ln, w);
			error_at(ln, w->col, "unknown modifier '%s'%s", v,
				 hint_text(&(struct hint){ 0 }, policy_suggest_word(v, path_modifiers),
					   "readonly, map or log"));
			i++;
		}
	}
	if (ln->errors)
		return;
	r.text = rule_text(ln, "path", 1);
	add_path_rule(ln->l, &r);
}

static void parse_call(struct line *ln)
{
	if (ln->n < 2) {
		error_at(ln, end_col(ln), "expected a system call name after 'call'");
		return;
	}
	const struct word *names = &ln->w[1];
	if (ln->n < 3) {
		error_at(ln, end_col(ln), "expected an action after '%s' (local, remote, deny ERRNO or log)",
			 value(ln, names));
		return;
	}
	struct call_rule r = { 0 };
	const struct word *a = &ln->w[2];
	int i = 3;
	bool identity_only = false;
	if (word_is(a, "local") || word_is(a, "remote")) {
		r.method = word_is(a, "local") ? POLICY_LOCAL : POLICY_REMOTE;
		identity_only = true;
	} else if (word_is(a, "deny")) {
		r.method = POLICY_DENY;
		r.deny_errno = parse_errno(ln, i++);
	} else if (word_is(a, "log")) {
		r.method = POLICY_LOCAL;
		r.log = true;
	} else {
		const char *v = value(ln, a);
		error_at(ln, a->col, "unknown action '%s'%s", v,
			 hint_text(&(struct hint){ 0 }, policy_suggest_word(v, call_actions),
				   "local, remote, deny ERRNO or log"));
		return;
	}
	for (; i < ln->n; i++) {
		const struct word *w = &ln->w[i];
		if (word_is(w, "log") && !r.log) {
			r.log = true;
		} else if (word_is(w, "log")) {
			error_at(ln, w->col, "'log' given twice");
		} else {
			const char *v = value(ln, w);
			error_at(ln, w->col, "unexpected '%s' after the action (only 'log' may follow it)", v);
		}
	}

	/* The names: NAME[,NAME...], one rule each; none if the line is wrong. */
	const char *list = value(ln, names);
	size_t first = ln->l->p->ncalls;
	for (const char *s = list;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		int col = names->col + names->quoted + (int)(s - list);
		char *name = need(ln->l, arena_strndup(&ln->l->p->arena, s, len));
		if (!name)
			return;
		const struct identity_call *id = policy_identity_call(name);
		long nr = syscall_nr(name);
		const char *other = nr < 0 ? syscall_other_arch(name) : NULL;
		if (len == 0) {
			error_at(ln, col, "empty name in the list of calls (write NAME,NAME with no blanks or trailing ',')");
		} else if (nr < 0 && !id && !other) {
			error_at(ln, col, "unknown system call '%s'%s", name,
				 hint_text(&(struct hint){ 0 }, policy_suggest_syscall(name), NULL));
		} else if (identity_only && !id) {
			error_at(ln, col, "'%s' applies only to identity and clock calls (uname, gethostname, "
				 "getuid, ..., clock_gettime; see splitrun-policy(5)); '%s' goes where its "
				 "arguments say", word_is(a, "local") ? "local" : "remote", name);
		} else if (id && !id->is_syscall && !identity_only) {
			error_at(ln, col, "'%s' is not a system call: it can only be local or remote", name);
		} else if (nr < 0 && other) {
			warning_at(ln, col, "'%s' is not a system call on this architecture (only on %s): "
				   "this rule never applies here", name, other);
		}
		if (len) {
			size_t head_len = strlen("call ") + len;
			char *head = need(ln->l, arena_alloc(&ln->l->p->arena, head_len + 1));
			if (!head)
				return;
			snprintf(head, head_len + 1, "call %s", name);
			r.name = name;
			r.nr = nr;
			r.at = (struct rule_origin){ ln->file, ln->number, col };
			r.text = rule_text(ln, head, 2);
			add_call_rule(ln->l, &r);
		}
		if (!comma)
			break;
		s = comma + 1;
	}
	if (ln->errors)
		ln->l->p->ncalls = first;
}

static void parse_text(struct loader *l, const char *file, const char *text, size_t len);

/* The file an include names: beside the including file unless absolute. */
static char *include_path(struct loader *l, const char *including, const char *name)
{
	const char *slash = strrchr(including, '/');
	size_t dir_len = name[0] == '/' || !slash || strcmp(including, POLICY_BUILTIN_NAME) == 0 ?
			 0 : (size_t)(slash - including) + 1;
	char *path = need(l, arena_alloc(&l->p->arena, dir_len + strlen(name) + 1));
	if (path) {
		memcpy(path, including, dir_len);
		strcpy(path + dir_len, name);
	}
	return path;
}

/* Reads the whole of PATH; returns 0 or an errno. */
static int read_policy_file(const char *path, char **text, size_t *len, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	int rc = 0;
	if (fstat(fd, st) < 0) {
		rc = errno;
	} else if (S_ISDIR(st->st_mode)) {
		rc = EISDIR;
	} else {
		size_t cap = 4096, n = 0;
		char *buf = malloc(cap);
		for (;;) {
			if (!buf) {
				rc = ENOMEM;
				break;
			}
			if (n == cap) {
				if (cap > POLICY_MAX_FILE_SIZE) {
					rc = EFBIG;
					break;
				}
				char *grown = realloc(buf, cap * 2);
				if (!grown) {
					rc = ENOMEM;
					break;
				}
				buf = grown;
				cap *= 2;
			}
			ssize_t got = read(fd, buf + n, cap - n);
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				rc = errno;
				break;
			}
			if (got == 0)
				break;
			n += (size_t)got;
		}
		if (!rc && n > POLICY_MAX_FILE_SIZE)
			rc = EFBIG;
		if (rc) {
			free(buf);
		} else {
			*text = buf;
			*len = n;
		}
	}
	close(fd);
	return rc;
}

static const char *read_error_text(int err)
{
	return err == EFBIG ? "larger than 1 MiB: not a policy" : strerror(err);
}

static void parse_include(struct line *ln)
{
	struct loader *l = ln->l;
	if (ln->n < 2) {
		error_at(ln, end_col(ln), "expected a file name after 'include'");
		return;
	}
	for (int i = 2; i < ln->n; i++)
		error_at(ln, ln->w[i].col, "unexpected '%s' after the file name (quote a name that has blanks)",
			 value(ln, &ln->w[i]));
	const struct word *w = &ln->w[1];
	const char *name = value(ln, w);
	if (!name[0]) {
		error_at(ln, w->col, "empty file name after 'include'");
		return;
	}
	if (ln->errors)
		return;
	char *path = include_path(l, ln->file, name);
	if (!path)
		return;
	if (l->depth > POLICY_MAX_INCLUDE_DEPTH) {
		error_at(ln, w->col, "cannot include '%s': includes nest deeper than %d files",
			 path, POLICY_MAX_INCLUDE_DEPTH);
		return;
	}
	char *text;
	size_t len;
	struct stat st;
	int rc = read_policy_file(path, &text, &len, &st);
	if (rc) {
		error_at(ln, w->col, "cannot include '%s': %s", path, read_error_text(rc));
		return;
	}
	for (int i = 0; i < l->depth; i++) {
		if (l->stack[i].dev == st.st_dev && l->stack[i].ino == st.st_ino && l->stack[i].name) {
			/* The chain from the file first read again down to here. */
			size_t chain_len = strlen(path) + 1;
			for (int k = i; k < l->depth; k++)
				chain_len += strlen(l->stack[k].name) + 4;
			char *chain = malloc(chain_len);
			if (chain) {
				chain[0] = 0;
				for (int k = i; k < l->depth; k++) {
					strcat(chain, l->stack[k].name);
					strcat(chain, " -> ");
				}
				strcat(chain, path);
			}
			error_at(ln, w->col, "include cycle: %s", chain ? chain : path);
			free(chain);
			free(text);
			return;
		}
	}
	l->stack[l->depth++] = (struct open_file){ path, st.st_dev, st.st_ino };
	parse_text(l, path, text, len);
	l->depth--;
	free(text);
}

static void parse_line(struct loader *l, const char *file, int number, const char *text, size_t len)
{
	struct word words[LEX_MAX_WORDS];
	struct line ln = { l, file, number, words, 0, 0 };
	struct lex_error lerr;
	int partial;
	const char *nul = memchr(text, 0, len);
	if (nul) {
		error_at(&ln, (int)(nul - text) + 1, "NUL byte in a policy file");
		return;
	}
	ln.n = lex_line(text, len, words, &partial, &lerr);
	if (ln.n < 0) {
		error_at(&ln, lerr.col, "%s", lerr.message);
		return;
	}
	if (ln.n == 0)
		return;
	if (word_is(&words[0], "path")) {
		parse_path(&ln);
	} else if (word_is(&words[0], "call")) {
		parse_call(&ln);
	} else if (word_is(&words[0], "include")) {
		parse_include(&ln);
	} else {
		const char *v = value(&ln, &words[0]);
		if (v[0] == '/')
			error_at(&ln, words[0].col, "unknown keyword '%s' (a path rule starts with 'path': path %s ...)", v, v);
		else
			error_at(&ln, words[0].col, "unknown keyword '%s'%s", v,
				 hint_text(&(struct hint){ 0 }, policy_suggest_word(v, keywords),
					   "path, call or include"));
	}
}

static void parse_text(struct loader *l, const char *file, const char *text, size_t len)
{
	const char *end = text + len;
	int number = 1;
	for (const char *s = text; s < end; number++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *line_end = nl ? nl : end;
		parse_line(l, file, number, s, (size_t)(line_end - s));
		if (l->out_of_memory)
			return;
		s = nl ? nl + 1 : end;
	}
}

struct policy *policy_load_counting(const char *file, FILE *err, int *nerrors, int *nwarnings)
{
	struct policy *p = calloc(1, sizeof *p);
	struct loader l = { .p = p, .err = err };
	*nerrors = *nwarnings = 0;
	if (!p) {
		fprintf(err, "splitrun: out of memory loading the policy\n");
		*nerrors = 1;
		return NULL;
	}
	if (!file) {
		p->source = POLICY_BUILTIN_NAME;
		l.stack[l.depth++] = (struct open_file){ NULL, 0, 0 };
		parse_text(&l, POLICY_BUILTIN_NAME, policy_default_text, strlen(policy_default_text));
	} else {
		char *text;
		size_t len;
		struct stat st;
		p->source = need(&l, arena_strdup(&p->arena, file));
		int rc = p->source ? read_policy_file(file, &text, &len, &st) : ENOMEM;
		if (rc) {
			fprintf(err, "%s: error: cannot read the policy: %s\n", file, read_error_text(rc));
			*nerrors = 1;
			policy_free(p);
			return NULL;
		}
		l.stack[l.depth++] = (struct open_file){ p->source, st.st_dev, st.st_ino };
		parse_text(&l, p->source, text, len);
		free(text);
	}
	if (!l.out_of_memory)
		l.warnings += policy_check_rules(p, err);
	if (!l.out_of_memory && policy_index(p) < 0)
		l.out_of_memory = true;
	if (l.out_of_memory) {
		fprintf(err, "splitrun: out of memory loading the policy\n");
		l.errors++;
	}
	*nerrors = l.errors;
	*nwarnings = l.warnings;
	if (l.errors) {
		policy_free(p);
		return NULL;
	}
	return p;
}

struct policy *policy_load(const char *file, FILE *err)
{
	int nerrors, nwarnings;
	return policy_load_counting(file, err, &nerrors, &nwarnings);
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	free(p->paths);
	free(p->calls);
	free(p->calls_by_name);
	arena_free(&p->arena);
	free(p);
}
