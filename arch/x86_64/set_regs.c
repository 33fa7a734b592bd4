/* arch/x86_64/set_regs.c: writing a stopped thread's syscall registers.
 * orig_rax holds the number the kernel dispatches on (-1 skips the call),
 * rax the result; arguments are rdi, rsi, rdx, r10, r8, r9. */
#include <sys/ptrace.h>
#include <sys/user.h>

#include "arch/regs.h"

static int get_regs(pid_t tid, struct user_regs_struct *regs)
{
	return ptrace(PTRACE_GETREGS, tid, 0, regs) < 0 ? -1 : 0;
}

static int set_regs(pid_t tid, const struct user_regs_struct *regs)
{
	return ptrace(PTRACE_SETREGS, tid, 0, regs) < 0 ? -1 : 0;
}

int arch_set_syscall_nr(pid_t tid, long nr)
{
	struct user_regs_struct regs;
	if (get_regs(tid, &regs) < 0)
		return -1;
	regs.orig_rax = (unsigned long long)nr;
	return set_regs(tid, &regs);
}

int arch_set_args(pid_t tid, const uint64_t args[SYSCALL_MAX_ARGS])
{
	struct user_regs_struct regs;
	if (get_regs(tid, &regs) < 0)
		return -1;
	regs.rdi = args[0];
	regs.rsi = args[1];
	regs.rdx = args[2];
	regs.r10 = args[3];
	regs.r8 = args[4];
	regs.r9 = args[5];
	return set_regs(tid, &regs);
}

int arch_set_result(pid_t tid, int64_t value)
{
	struct user_regs_struct regs;
	if (get_regs(tid, &regs) < 0)
		return -1;
	regs.rax = (unsigned long long)value;
	return set_regs(tid, &regs);
}

int arch_skip_with_result(pid_t tid, int64_t value)
{
	struct user_regs_struct regs;
	if (get_regs(tid, &regs) < 0)
		return -1;
	regs.orig_rax = (unsigned long long)-1;
	regs.rax = (unsigned long long)value;
	return set_regs(tid, &regs);
}

int arch_set_call(pid_t tid, long nr, const uint64_t args[SYSCALL_MAX_ARGS])
{
	struct user_regs_struct regs;
	if (get_regs(tid, &regs) < 0)
		return -1;
	regs.orig_rax = (unsigned long long)nr;
	regs.rdi = args[0];
	regs.rsi = args[1];
	regs.rdx = args[2];
	regs.r10 = args[3];
	regs.r8 = args[4];
	regs.r9 = args[5];
	return set_regs(tid, &regs);
}

/* The restart path sets rax from orig_rax and re-executes the syscall
 * instruction with rdi..r9 as they are, so all of them go back. */
int arch_restore_for_restart(pid_t tid, long nr, const uint64_t args[SYSCALL_MAX_ARGS])
{
	return arch_set_call(tid, nr, args);
}

/* "syscall" is two bytes (0f 05); it reads the number from rax. */
int arch_redo_call(pid_t tid, long nr, const uint64_t args[SYSCALL_MAX_ARGS])
{
	struct user_regs_struct regs;
	if (get_regs(tid, &regs) < 0)
		return -1;
	regs.rip -= 2;
	regs.rax = (unsigned long long)nr;
	regs.orig_rax = (unsigned long long)-1;
	regs.rdi = args[0];
	regs.rsi = args[1];
	regs.rdx = args[2];
	regs.r10 = args[3];
	regs.r8 = args[4];
	regs.r9 = args[5];
	return set_regs(tid, &regs);
}
