/* policy/check.c: the checker. Once every rule is in, warns about rules that
 * can never decide anything because an earlier rule takes every path (or the
 * call) they name. Patterns that can never match a normalized path and calls
 * this architecture lacks are warned about by the parser, where it sees them. */
#include <string.h>

#include "policy/rules.h"

static void warn(FILE *err, const struct rule_origin *at, const char *what,
		 const struct rule_origin *by_at, const char *by_text)
{
	fprintf(err, "%s:%d:%d: warning: rule never applies: %s '%s' (%s:%d) first\n",
		at->file, at->line, at->col, what, by_text, by_at->file, by_at->line);
}

int policy_check_rules(struct policy *p, FILE *err)
{
	int warnings = 0;
	for (size_t i = 1; i < p->npaths; i++) {
		struct path_rule *later = &p->paths[i];
		for (size_t j = 0; j < i; j++) {
			const struct path_rule *earlier = &p->paths[j];
			if (glob_covers(&earlier->glob, &later->glob)) {
				warn(err, &later->at, "every path it matches goes by",
				     &earlier->at, earlier->text);
				later->shadowed_by = earlier;
				warnings++;
				break;
			}
		}
	}
	for (size_t i = 1; i < p->ncalls; i++) {
		struct call_rule *later = &p->calls[i];
		for (size_t j = 0; j < i; j++) {
			const struct call_rule *earlier = &p->calls[j];
			if (strcmp(earlier->name, later->name) == 0) {
				warn(err, &later->at, "the call goes by", &earlier->at, earlier->text);
				later->shadowed_by = earlier;
				warnings++;
				break;
			}
		}
	}
	return warnings;
}
