/* tests/unit/exec_filter.c: split mode's seccomp rules (exec_filter_rules)
 * for each backend: which calls trap, which trap only for an fd at or above
 * the base where user notification puts remote fds, which never trap, and
 * that a policy with every path local traps nothing but calls decided by
 * name. */
#include <errno.h>
#include <stdlib.h>

#include "arch/syscall.h"
#include "policy/exec.h"
#include "tests/unit/policy_test.h"

#define PTRACE_CAPS (EXEC_CAN_SEE_EXIT | EXEC_CAN_REWRITE | EXEC_CAN_INSTALL)
#define UNOTIFY_CAPS (EXEC_CAN_ADDFD | EXEC_CAN_DEFER)

static struct exec_filter_rule *rules_for(const struct policy *p, unsigned caps, int base)
{
	struct exec_filter_rule *r = calloc((size_t)syscall_max_nr() + 1, sizeof *r);
	if (r)
		exec_filter_rules(p, caps, base, r);
	return r;
}

static const struct exec_filter_rule *rule(const struct exec_filter_rule *r, const char *name)
{
	long nr = syscall_nr(name);
	static const struct exec_filter_rule none = { .action = 255 };
	return nr < 0 ? &none : &r[nr];
}

static const char *action_name(const struct exec_filter_rule *r)
{
	if (r->action == EXEC_FILTER_ALLOW)
		return "allow";
	if (r->action == EXEC_FILTER_ERRNO)
		return "errno";
	if (r->action == EXEC_FILTER_TRAP)
		return r->fd_args ? "trap-high-fds" : "trap";
	return "no such call";
}

static void expect(const struct exec_filter_rule *r, const char *name, const char *want, const char *backend)
{
	CHECK_EQ_STR(action_name(rule(r, name)), want, "%s: %s", backend, name);
}

static void test_builtin(void)
{
	struct policy *p = test_load(NULL);
	struct exec_filter_rule *pt = rules_for(p, PTRACE_CAPS, 0);
	struct exec_filter_rule *un = rules_for(p, UNOTIFY_CAPS, 512);
	if (!CHECK(p && pt && un, "the built-in policy and its rules")) {
		free(pt);
		free(un);
		return;
	}
	/* Under ptrace every fd call traps: remote fds take any number. */
	expect(pt, "read", "trap", "ptrace");
	expect(pt, "close", "trap", "ptrace");
	expect(pt, "mmap", "trap", "ptrace");
	expect(pt, "clone", "trap", "ptrace");   /* CLONE_UNTRACED */
	/* Under user notification only fds at or above the base. */
	expect(un, "read", "trap-high-fds", "unotify");
	expect(un, "dup2", "trap-high-fds", "unotify");
	expect(un, "close_range", "trap-high-fds", "unotify");
	expect(un, "copy_file_range", "trap-high-fds", "unotify");
	const struct exec_filter_rule *m = rule(un, "mmap");
	CHECK(m->action == EXEC_FILTER_TRAP && m->fd_args == 1u << 4 && m->anon_ok && m->fd_below == 512,
	      "unotify: mmap traps for its fd (argument 4) at or above 512, not anonymous maps");
	const struct exec_filter_rule *sp = rule(un, "splice");
	CHECK(sp->fd_args == ((1u << 0) | (1u << 2)), "unotify: splice traps for either fd (arguments 0 and 2)");
	/* Whatever the backend: paths are read; fds passed in a message, the
	 * cwd and new programs are looked at; forks are not trapped without
	 * ptrace (a trapped fork could fail with EINTR). */
	const char *both[] = { "openat", "newfstatat", "execve", "chdir", "fchdir", "getcwd", "sendmsg", "umask" };
	for (size_t i = 0; i < sizeof both / sizeof both[0]; i++) {
		expect(pt, both[i], "trap", "ptrace");
		expect(un, both[i], "trap", "unotify");
	}
	expect(un, "clone", "allow", "unotify");
	expect(un, "getpid", "allow", "unotify");
	expect(pt, "getpid", "allow", "ptrace");
	expect(un, "clone3", "errno", "unotify");
	CHECK_EQ_INT(rule(un, "clone3")->err, ENOSYS, "clone3 fails with ENOSYS");
	expect(un, "io_uring_setup", "errno", "unotify");
	free(pt);
	free(un);
	policy_free(p);
}

static void test_all_local(void)
{
	struct policy *p = test_load_text("local", "path /** local\ncall getuid remote\n");
	struct exec_filter_rule *pt = rules_for(p, PTRACE_CAPS, 0);
	struct exec_filter_rule *un = rules_for(p, UNOTIFY_CAPS, 512);
	if (!CHECK(p && pt && un, "an all-local policy and its rules")) {
		free(pt);
		free(un);
		return;
	}
	/* Nothing remote can be open, no path needs reading. */
	const char *never[] = { "read", "openat", "newfstatat", "execve", "chdir", "close", "mmap", "sendmsg", "clone" };
	for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
		expect(pt, never[i], "allow", "ptrace, all local");
		expect(un, never[i], "allow", "unotify, all local");
	}
	expect(un, "getuid", "trap", "unotify, all local");
	free(pt);
	free(un);
	policy_free(p);
}

int main(void)
{
	test_dir_make();
	test_builtin();
	test_all_local();
	test_dir_remove();
	return check_done();
}
