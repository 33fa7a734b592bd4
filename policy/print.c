/* policy/print.c: the effective rules, as --check-policy prints them, and
 * the --check-policy command itself. What is printed is itself a policy
 * with the same meaning: rules that never apply and the implied rules are
 * comments, each rule says where it was written. */
#include <errno.h>
#include <string.h>

#include "policy/rules.h"

#define ORIGIN_COLUMN 40

static void print_line(FILE *out, bool commented, const char *text, const struct rule_origin *at,
		       const char *note)
{
	int n = fprintf(out, "%s%s", commented ? "# " : "", text);
	fprintf(out, "%*s# %s:%d%s\n", n < ORIGIN_COLUMN ? ORIGIN_COLUMN - n : 1, "",
		at->file, at->line, note ? note : "");
}

void policy_print(const struct policy *p, FILE *out)
{
	char note[512];
	fprintf(out, "# splitrun policy: %s (first matching rule wins)\n", p->source);
	for (size_t i = 0; i < p->npaths; i++) {
		const struct path_rule *r = &p->paths[i];
		const char *why = NULL;
		if (r->never_matches) {
			why = ": can never match a normalized path";
		} else if (r->shadowed_by) {
			snprintf(note, sizeof note, ": never applies, %s:%d takes every path first",
				 r->shadowed_by->at.file, r->shadowed_by->at.line);
			why = note;
		}
		print_line(out, why != NULL, r->text, &r->at, why);
	}
	for (size_t i = 0; i < p->ncalls; i++) {
		const struct call_rule *r = &p->calls[i];
		const struct identity_call *id = policy_identity_call(r->name);
		const char *why = NULL;
		if (r->shadowed_by) {
			snprintf(note, sizeof note, ": never applies, %s:%d decides the call first",
				 r->shadowed_by->at.file, r->shadowed_by->at.line);
			why = note;
		} else if (r->nr < 0 && !(id && !id->is_syscall)) {
			why = ": no such call on this architecture";
		}
		print_line(out, why != NULL, r->text, &r->at, why);
	}
	struct policy_route io;
	policy_route_call(p, "io_uring_setup", &io);
	if (io.rule_text == p->io_uring_implied.text)
		print_line(out, true, io.log ? "call io_uring_setup deny ENOSYS log" : "call io_uring_setup deny ENOSYS",
			   &p->first_nonlocal->at, ": implied, this path rule is not local");
	if (p->covers_all)
		fprintf(out, "# any other path: none, %s:%d matches every path\n",
			p->covers_all->at.file, p->covers_all->at.line);
	else
		fprintf(out, "# any other path: local %s\n", POLICY_DEFAULT_RULE);
	fprintf(out, "# any other call: local %s\n", POLICY_DEFAULT_RULE);
}

static const char *plural(int n)
{
	return n == 1 ? "" : "s";
}

int policy_check_command(const char *file, FILE *out, FILE *err)
{
	int nerrors, nwarnings;
	const char *name = file ? file : POLICY_BUILTIN_NAME;
	struct policy *p = policy_load_counting(file, err, &nerrors, &nwarnings);
	if (!p) {
		fprintf(err, "splitrun: %s: %d error%s, %d warning%s\n", name,
			nerrors, plural(nerrors), nwarnings, plural(nwarnings));
		return 1;
	}
	policy_print(p, out);
	policy_free(p);
	if (nwarnings)
		fprintf(err, "splitrun: %s: %d warning%s\n", name, nwarnings, plural(nwarnings));
	if (fflush(out) != 0 || ferror(out)) {
		fprintf(err, "splitrun: writing the policy: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
