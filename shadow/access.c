/* shadow/access.c: the shadow's keys and its authfile. */
#include "shadow/access.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((format(printf, 4, 5)))
static int fail(int rc, char *err, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return rc;
}

static int key_add_file(struct shadow_access *a, const char *path, char *err, size_t errsize)
{
	struct rpc_key k;
	char why[256];
	int rc = rpc_key_load(path, &k, why, sizeof why);
	if (rc)
		return fail(rc, err, errsize, "%s: %s", path, why);
	if (shadow_key_find(a, k.id)) {
		rpc_key_wipe(&k);
		return 0;   /* the same key twice (two copies of one file) */
	}
	if (a->nkeys == SHADOW_MAX_KEYS) {
		rpc_key_wipe(&k);
		return fail(-E2BIG, err, errsize, "%s: more than %d keys", path, SHADOW_MAX_KEYS);
	}
	struct rpc_key *keys = realloc(a->keys, (a->nkeys + 1) * sizeof *keys);
	if (!keys) {
		rpc_key_wipe(&k);
		return fail(-ENOMEM, err, errsize, "%s: out of memory", path);
	}
	a->keys = keys;
	a->keys[a->nkeys++] = k;
	rpc_key_wipe(&k);
	return 0;
}

static int name_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

int shadow_keys_add(struct shadow_access *a, const char *path, char *err, size_t errsize)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return fail(-errno, err, errsize, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return key_add_file(a, path, err, errsize);
	DIR *d = opendir(path);
	if (!d)
		return fail(-errno, err, errsize, "%s: %s", path, strerror(errno));
	/* In name order, so that errors come out the same way each time. */
	char **names = NULL;
	size_t n = 0;
	int rc = 0;
	struct dirent *e;
	while (!rc && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".key") != 0)
			continue;
		char **more = realloc(names, (n + 1) * sizeof *names);
		if (!more || !(more[n] = strdup(e->d_name))) {
			names = more ? more : names;
			rc = fail(-ENOMEM, err, errsize, "%s: out of memory", path);
			break;
		}
		names = more;
		n++;
	}
	closedir(d);
	if (!rc && n == 0)
		rc = fail(-ENOENT, err, errsize, "%s: a directory with no *.key file", path);
	if (names)
		qsort(names, n, sizeof *names, name_cmp);
	for (size_t k = 0; !rc && k < n; k++) {
		char full[PATH_MAX];
		if ((size_t)snprintf(full, sizeof full, "%s/%s", path, names[k]) >= sizeof full)
			rc = fail(-ENAMETOOLONG, err, errsize, "%s/%s: %s", path, names[k], strerror(ENAMETOOLONG));
		else
			rc = key_add_file(a, full, err, errsize);
	}
	for (size_t k = 0; k < n; k++)
		free(names[k]);
	free(names);
	return rc;
}

const struct rpc_key *shadow_key_find(const struct shadow_access *a, const uint8_t id[RPC_KEY_ID_BYTES])
{
	for (size_t k = 0; k < a->nkeys; k++)
		if (memcmp(a->keys[k].id, id, RPC_KEY_ID_BYTES) == 0)
			return &a->keys[k];
	return NULL;
}

/* ---- the authfile ---- */

/* Characters of a subject pattern: those of user names and key ids, the
 * '@' and ':' that join their parts, a host's '.' and ':' (IPv6), and '*'. */
static bool pattern_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == '-' || c == '@' || c == ':' || c == '*';
}

static char *dup_n(const char *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, p, n);
		s[n] = 0;
	}
	return s;
}

static int parse_line(struct shadow_access *a, const char *line, size_t n, int lineno, char *err, size_t errsize)
{
	struct shadow_rule r = { .line = lineno };
	size_t at = 0;
	int word = 0;
	while (at < n) {
		while (at < n && (line[at] == ' ' || line[at] == '\t'))
			at++;
		if (at == n || line[at] == '#')
			break;
		size_t start = at;
		while (at < n && line[at] != ' ' && line[at] != '\t')
			at++;
		const char *w = line + start;
		size_t wl = at - start;
		if (word++ == 0) {
			if (wl > SHADOW_MAX_PATTERN)
				return fail(-E2BIG, err, errsize, "line %d: a subject pattern of more than %d bytes", lineno,
					    SHADOW_MAX_PATTERN);
			for (size_t i = 0; i < wl; i++)
				if (!pattern_char(w[i]))
					return fail(-EINVAL, err, errsize,
						    "line %d: '%.*s' is no subject pattern (key:ID or USER@HOST, with * "
						    "for any characters; character %zu is not allowed)", lineno,
						    (int)(wl > 60 ? 60 : wl), w, i + 1);
			r.pattern = dup_n(w, wl);
			if (!r.pattern)
				return fail(-ENOMEM, err, errsize, "out of memory");
		} else if (wl == 8 && memcmp(w, "readonly", 8) == 0) {
			r.read_only = true;
		} else if (wl > 5 && memcmp(w, "root=", 5) == 0) {
			if (r.root || w[5] != '/' || wl - 5 > 4095 || memchr(w, 0, wl)) {
				free(r.pattern);
				free(r.root);
				return fail(-EINVAL, err, errsize,
					    r.root ? "line %d: root= given twice"
						   : "line %d: root= wants an absolute path beneath --root (root=/projects/x)",
					    lineno);
			}
			r.root = dup_n(w + 5, wl - 5);
			if (!r.root) {
				free(r.pattern);
				return fail(-ENOMEM, err, errsize, "out of memory");
			}
		} else {
			free(r.pattern);
			free(r.root);
			return fail(-EINVAL, err, errsize, "line %d: unknown option '%.*s' (readonly, root=DIR)", lineno,
				    (int)(wl > 60 ? 60 : wl), w);
		}
	}
	if (!r.pattern)
		return 0;   /* blank or comment */
	if (a->nrules == SHADOW_MAX_RULES) {
		free(r.pattern);
		free(r.root);
		return fail(-E2BIG, err, errsize, "line %d: more than %d rules", lineno, SHADOW_MAX_RULES);
	}
	struct shadow_rule *rules = realloc(a->rules, (a->nrules + 1) * sizeof *rules);
	if (!rules) {
		free(r.pattern);
		free(r.root);
		return fail(-ENOMEM, err, errsize, "out of memory");
	}
	a->rules = rules;
	a->rules[a->nrules++] = r;
	return 0;
}

int shadow_authfile_parse(struct shadow_access *a, const char *text, size_t len, char *err, size_t errsize)
{
	int lineno = 0;
	for (size_t at = 0; at < len;) {
		const char *line = text + at;
		const char *nl = memchr(line, '\n', len - at);
		size_t n = nl ? (size_t)(nl - line) : len - at;
		at += n + (nl != NULL);
		lineno++;
		if (n && line[n - 1] == '\r')
			n--;
		int rc = parse_line(a, line, n, lineno, err, errsize);
		if (rc)
			return rc;
	}
	return 0;
}

int shadow_authfile_load(struct shadow_access *a, const char *path, char *err, size_t errsize)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fail(-errno, err, errsize, "%s", strerror(errno));
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) < 0)
		rc = fail(-errno, err, errsize, "%s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = fail(-EINVAL, err, errsize, "not a regular file");
	else if (st.st_size > SHADOW_AUTHFILE_MAX)
		rc = fail(-E2BIG, err, errsize, "bigger than %d bytes", SHADOW_AUTHFILE_MAX);
	if (rc) {
		close(fd);
		return rc;
	}
	char *text = malloc((size_t)st.st_size + 1);
	ssize_t n = text ? read(fd, text, (size_t)st.st_size + 1) : -1;
	int e = errno;
	close(fd);
	if (n < 0) {
		free(text);
		return fail(text ? -e : -ENOMEM, err, errsize, "%s", text ? strerror(e) : "out of memory");
	}
	a->authfile = path;
	rc = shadow_authfile_parse(a, text, (size_t)n, err, errsize);
	free(text);
	return rc;
}

bool shadow_pattern_match(const char *p, const char *s)
{
	/* Greedy '*' with one backtrack point: linear in practice. */
	const char *star = NULL, *resume = NULL;
	while (*s) {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p == *s) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == 0;
}

const struct shadow_rule *shadow_authorize(const struct shadow_access *a, const char *const *subjects, size_t n)
{
	static const struct shadow_rule anyone = { .pattern = (char *)"*" };
	if (!a->authfile)
		return &anyone;
	for (size_t r = 0; r < a->nrules; r++)
		for (size_t k = 0; k < n; k++)
			if (shadow_pattern_match(a->rules[r].pattern, subjects[k]))
				return &a->rules[r];
	return NULL;
}

void shadow_access_free(struct shadow_access *a)
{
	for (size_t k = 0; k < a->nkeys; k++)
		rpc_key_wipe(&a->keys[k]);
	free(a->keys);
	for (size_t r = 0; r < a->nrules; r++) {
		free(a->rules[r].pattern);
		free(a->rules[r].root);
	}
	free(a->rules);
	memset(a, 0, sizeof *a);
}
