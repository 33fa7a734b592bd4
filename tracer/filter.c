/* tracer/filter.c: implements tracer/filter.h. */
#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

static uint32_t trap_action(enum filter_trap how)
{
	return how == FILTER_BY_NOTIFY ? SCMP_ACT_NOTIFY : SCMP_ACT_TRACE(0);
}

static uint32_t scmp_action(const struct filter_rule *r, enum filter_trap how)
{
	switch (r->action) {
	case FILTER_TRACE:
		return trap_action(how);
	case FILTER_ERRNO:
		return SCMP_ACT_ERRNO(r->err);
	default:
		return SCMP_ACT_ALLOW;
	}
}

/* The conditional ALLOW rules of a call that traps only for an fd at or
 * above R->fd_below: one rule, every fd argument below it (the conditions
 * of one rule all hold); for mmap also one for anonymous maps. */
static int allow_low_fds(scmp_filter_ctx ctx, int nr, const struct filter_rule *r)
{
	struct scmp_arg_cmp cmp[SYSCALL_MAX_ARGS];
	unsigned n = 0;
	for (unsigned i = 0; i < SYSCALL_MAX_ARGS; i++)
		if (r->fd_args & (1u << i))
			cmp[n++] = SCMP_CMP64(i, SCMP_CMP_LT, r->fd_below);
	int rc = seccomp_rule_add_exact_array(ctx, SCMP_ACT_ALLOW, nr, n, cmp);
	if (rc == 0 && r->anon_ok) {
		struct scmp_arg_cmp anon = SCMP_CMP64(3, SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, MAP_ANONYMOUS);
		rc = seccomp_rule_add_exact_array(ctx, SCMP_ACT_ALLOW, nr, 1, &anon);
	}
	return rc;
}

/* A filter the guest adds with a listener of its own would take precedence
 * over the trap: for calls that both filters send to user space, the most
 * recent listener is asked, and its SECCOMP_USER_NOTIF_FLAG_CONTINUE runs
 * the call here, whatever splitrun's filter said (SECCOMP_RET_TRACE
 * included). So seccomp(2) with SECCOMP_FILTER_FLAG_NEW_LISTENER fails
 * with EBUSY, which is what the kernel itself answers under the
 * user-notification backend (one listener per filter tree); other ops
 * reject that flag anyway. Only the low 32 bits of the flags count (an
 * unsigned int), and a rule with no argument for the same call would
 * swallow this one in libseccomp: the rest of seccomp(2) gets ACTION by a
 * rule of its own. */
static int refuse_nested_listener(scmp_filter_ctx ctx, long nr, uint32_t action, uint32_t default_action)
{
	int rc = seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(EBUSY), (int)nr, 1,
					SCMP_A1_64(SCMP_CMP_MASKED_EQ, SECCOMP_FILTER_FLAG_NEW_LISTENER,
						   SECCOMP_FILTER_FLAG_NEW_LISTENER));
	if (rc == 0 && action != default_action)
		rc = seccomp_rule_add_exact(ctx, action, (int)nr, 1,
					    SCMP_A1_64(SCMP_CMP_MASKED_EQ, SECCOMP_FILTER_FLAG_NEW_LISTENER, 0));
	return rc;
}

/* One rule per call whose action differs from the default one; a filter
 * that traps anything also refuses a nested listener. */
static scmp_filter_ctx build(const struct filter_rule *rules, uint32_t default_action, enum filter_trap how)
{
	long max = syscall_max_nr();
	scmp_filter_ctx ctx = seccomp_init(default_action);
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
	bool traps = rules || default_action != SCMP_ACT_ALLOW;
	long nr_seccomp = traps ? syscall_nr("seccomp") : -1;
	uint32_t seccomp_action = default_action;
	for (long nr = 0; rc == 0 && rules && nr <= max; nr++) {
		if (!syscall_by_nr(nr))
			continue;
		uint32_t action = scmp_action(&rules[nr], how);
		if (nr == nr_seccomp)
			seccomp_action = action;
		else if (action != default_action)
			rc = seccomp_rule_add_exact(ctx, action, (int)nr, 0);
		if (rc == 0 && rules[nr].action == FILTER_TRACE && rules[nr].fd_args)
			rc = allow_low_fds(ctx, (int)nr, &rules[nr]);
	}
	if (rc == 0 && nr_seccomp >= 0)
		rc = refuse_nested_listener(ctx, nr_seccomp, seccomp_action, default_action);
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

scmp_filter_ctx filter_build(const bool *trapped, enum filter_trap how)
{
	long max = syscall_max_nr();
	/* Trapping everything needs no rule per call: the default action
	 * does it, and numbers no table knows yet are trapped too. */
	if (trapped && traps_every_call(trapped, max))
		return build(NULL, trap_action(how), how);
	struct filter_rule *rules = NULL;
	if (trapped) {
		rules = calloc((size_t)max + 1, sizeof *rules);
		if (!rules) {
			fprintf(stderr, "splitrun: out of memory\n");
			return NULL;
		}
		for (long nr = 0; nr <= max; nr++)
			rules[nr].action = trapped[nr] ? FILTER_TRACE : FILTER_ALLOW;
	}
	scmp_filter_ctx ctx = build(rules, SCMP_ACT_ALLOW, how);
	free(rules);
	return ctx;
}

scmp_filter_ctx filter_build_rules(const struct filter_rule *rules, bool unknown_trap, enum filter_trap how)
{
	return build(rules, unknown_trap ? trap_action(how) : SCMP_ACT_ALLOW, how);
}

int filter_export(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	int fd = memfd_create("splitrun-filter", MFD_CLOEXEC);
	int rc = fd < 0 ? -errno : seccomp_export_bpf(ctx, fd);
	off_t size = rc == 0 ? lseek(fd, 0, SEEK_END) : -1;
	struct sock_filter *insns = size > 0 ? malloc((size_t)size) : NULL;
	if (rc == 0 && (size <= 0 || size % (off_t)sizeof *insns || size / (off_t)sizeof *insns > 0xffff || !insns ||
			pread(fd, insns, (size_t)size, 0) != size))
		rc = -EINVAL;
	if (fd >= 0)
		close(fd);
	if (rc != 0) {
		free(insns);
		fprintf(stderr, "splitrun: seccomp: cannot export the filter: %s\n", strerror(-rc));
		return -1;
	}
	prog->len = (unsigned short)(size / (off_t)sizeof *insns);
	prog->filter = insns;
	return 0;
}
