/* policy/names.c: the words a policy may use besides its keywords: the
 * identity and clock calls that can be local or remote, errno names (the
 * canonical table of rpc/canon.c, plus libc's aliases), and "did you mean"
 * hints. */
#include <errno.h>
#include <string.h>

#include "arch/syscall.h"
#include "policy/rules.h"
#include "rpc/canon.h"

const struct identity_call policy_identity_calls[] = {
	{ "uname", "the whole struct utsname: system name, host name, release, version, machine, domain name", true },
	{ "gethostname", "the host name alone: the nodename field uname(2) reports (libc's gethostname(3) reads it); no system call of its own", false },
	{ "getuid", "the real user id", true },
	{ "geteuid", "the effective user id", true },
	{ "getgid", "the real group id", true },
	{ "getegid", "the effective group id", true },
	{ "getgroups", "the supplementary group ids", true },
	{ "getresuid", "the real, effective and saved user ids", true },
	{ "getresgid", "the real, effective and saved group ids", true },
	{ "clock_gettime", "the time of a clock (CLOCK_REALTIME and the others)", true },
	{ "gettimeofday", "the wall-clock time in microseconds", true },
	{ "time", "the wall-clock time in seconds (x86_64 only; aarch64 libc uses clock_gettime)", true },
	{ NULL, NULL, false },
};

const struct identity_call *policy_identity_call(const char *name)
{
	for (const struct identity_call *c = policy_identity_calls; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* Names libc defines as aliases of another errno, which the canonical table
 * lists once. */
static const struct {
	const char *name;
	int value;
} errno_aliases[] = {
	{ "EWOULDBLOCK", EWOULDBLOCK },
	{ "EDEADLOCK", EDEADLOCK },
	{ "ENOTSUP", ENOTSUP },
};

static const struct canon_table *errno_table(void)
{
	for (const struct canon_table *const *t = canon_tables; *t; t++)
		if (strcmp((*t)->name, "errno") == 0)
			return *t;
	return NULL;
}

int policy_errno_by_name(const char *name)
{
	const struct canon_table *t = errno_table();
	for (size_t i = 0; t && i < t->count; i++)
		if (strcmp(t->entries[i].name, name) == 0)
			return (int)t->entries[i].native;
	for (size_t i = 0; i < sizeof errno_aliases / sizeof errno_aliases[0]; i++)
		if (strcmp(errno_aliases[i].name, name) == 0)
			return errno_aliases[i].value;
	return 0;
}

const char *policy_errno_name(int err)
{
	const struct canon_table *t = errno_table();
	for (size_t i = 0; t && i < t->count; i++)
		if (t->entries[i].native == err)
			return t->entries[i].name;
	return "E?";
}

/* ---- hints ---- */

/* Edit distance (insert, delete, substitute, swap neighbours), stopping at
 * LIMIT + 1: only small distances matter. */
static int distance(const char *a, const char *b, int limit)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > (size_t)limit)
		return limit + 1;
	int d[65][65];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int cost = a[i - 1] != b[j - 1];
			int best = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

struct suggestion {
	const char *word, *best;
	int best_distance, limit;
};

static void consider(struct suggestion *s, const char *candidate)
{
	int d = distance(s->word, candidate, s->limit);
	if (d <= s->limit && d < s->best_distance) {
		s->best = candidate;
		s->best_distance = d;
	}
}

static struct suggestion suggestion_for(const char *word)
{
	/* One slip per four letters, at most two: "opne" finds "open", but a
	 * three-letter word is not "corrected" into an unrelated one. */
	int limit = (int)strlen(word) / 4;
	return (struct suggestion){ word, NULL, 1000, limit > 2 ? 2 : limit };
}

const char *policy_suggest_word(const char *word, const char *const *list)
{
	struct suggestion s = suggestion_for(word);
	for (; *list; list++)
		consider(&s, *list);
	return s.best;
}

const char *policy_suggest_errno(const char *word)
{
	struct suggestion s = suggestion_for(word);
	const struct canon_table *t = errno_table();
	for (size_t i = 0; t && i < t->count; i++)
		consider(&s, t->entries[i].name);
	return s.best;
}

const char *policy_suggest_syscall(const char *word)
{
	struct suggestion s = suggestion_for(word);
	long max = syscall_max_nr();
	for (long nr = 0; nr <= max; nr++) {
		const struct syscall_desc *d = syscall_by_nr(nr);
		if (d)
			consider(&s, d->name);
	}
	for (const struct identity_call *c = policy_identity_calls; c->name; c++)
		consider(&s, c->name);
	return s.best;
}
