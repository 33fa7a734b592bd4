/* tracer/filter.c: implements tracer/filter.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/regs.h"
#include "arch/syscall.h"
#include "tracer/filter.h"

static bool traps_every_call(const bool *trapped, long max)
{
	for (long nr = 0; nr <= max; nr++)
		if (syscall_by_nr(nr) && !trapped[nr])
			return false;
	return true;
}

scmp_filter_ctx filter_build(const bool *trapped)
{
	long max = syscall_max_nr();
	bool all = trapped && traps_every_call(trapped, max);
	/* Trapping everything needs no rule per call: the default action
	 * does it, and numbers no table knows yet are trapped too. */
	scmp_filter_ctx ctx = seccomp_init(all ? SCMP_ACT_TRACE(0) : SCMP_ACT_ALLOW);
	if (!ctx) {
		fprintf(stderr, "splitrun: seccomp: cannot create a filter\n");
		return NULL;
	}
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	const uint32_t *foreign;
	size_t nforeign = arch_foreign_abis(&foreign);
	for (size_t i = 0; rc == 0 && i < nforeign; i++)
		if (seccomp_arch_exist(ctx, foreign[i]) == 0)
			rc = seccomp_arch_remove(ctx, foreign[i]);
	for (long nr = 0; rc == 0 && trapped && !all && nr <= max; nr++)
		if (trapped[nr] && syscall_by_nr(nr))
			rc = seccomp_rule_add_exact(ctx, SCMP_ACT_TRACE(0), (int)nr, 0);
	if (rc != 0) {
		fprintf(stderr, "splitrun: seccomp: cannot build the filter: %s\n", strerror(-rc));
		seccomp_release(ctx);
		return NULL;
	}
	/* A binary tree instead of a linear list of comparisons: selected calls
	 * cost O(log n) in the filter, not O(n). */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	return ctx;
}
