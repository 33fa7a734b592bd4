/* arch/aarch64/set_regs.c: writing a stopped thread's syscall registers.
 * The number lives in its own regset (NT_ARM_SYSTEM_CALL; -1 skips the
 * call); arguments are x0..x5 and the result goes to x0 (NT_PRSTATUS). */
#include <elf.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <asm/ptrace.h>

#include "arch/regs.h"

static int get_regs(pid_t tid, struct user_pt_regs *regs)
{
	struct iovec iov = { .iov_base = regs, .iov_len = sizeof *regs };
	return ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &iov) < 0 ? -1 : 0;
}

static int set_regs(pid_t tid, struct user_pt_regs *regs)
{
	struct iovec iov = { .iov_base = regs, .iov_len = sizeof *regs };
	return ptrace(PTRACE_SETREGSET, tid, (void *)NT_PRSTATUS, &iov) < 0 ? -1 : 0;
}

int arch_set_syscall_nr(pid_t tid, long nr)
{
	int value = (int)nr;
	struct iovec iov = { .iov_base = &value, .iov_len = sizeof value };
	return ptrace(PTRACE_SETREGSET, tid, (void *)NT_ARM_SYSTEM_CALL, &iov) < 0 ? -1 : 0;
}

int arch_set_args(pid_t tid, const uint64_t args[SYSCALL_MAX_ARGS])
{
	struct user_pt_regs regs;
	if (get_regs(tid, &regs) < 0)
		return -1;
	for (int i = 0; i < SYSCALL_MAX_ARGS; i++)
		regs.regs[i] = args[i];
	return set_regs(tid, &regs);
}

int arch_set_result(pid_t tid, int64_t value)
{
	struct user_pt_regs regs;
	if (get_regs(tid, &regs) < 0)
		return -1;
	regs.regs[0] = (uint64_t)value;
	return set_regs(tid, &regs);
}

int arch_skip_with_result(pid_t tid, int64_t value)
{
	if (arch_set_syscall_nr(tid, -1) < 0)
		return -1;
	return arch_set_result(tid, value);
}

int arch_set_call(pid_t tid, long nr, const uint64_t args[SYSCALL_MAX_ARGS])
{
	if (arch_set_syscall_nr(tid, nr) < 0)
		return -1;
	return arch_set_args(tid, args);
}

/* The restart path reloads x0 from orig_x0 (which a tracer's write of x0
 * never changed) and re-executes SVC, which reads the number from x8 (also
 * never changed: NT_ARM_SYSTEM_CALL sets the kernel's copy only). x1..x5
 * are as the tracer left them, so those go back; x0 holds the restart code
 * and must stay. */
int arch_restore_for_restart(pid_t tid, long nr, const uint64_t args[SYSCALL_MAX_ARGS])
{
	(void)nr;
	struct user_pt_regs regs;
	if (get_regs(tid, &regs) < 0)
		return -1;
	for (int i = 1; i < SYSCALL_MAX_ARGS; i++)
		regs.regs[i] = args[i];
	return set_regs(tid, &regs);
}

/* "svc #0" is four bytes; it reads the number from x8. */
int arch_redo_call(pid_t tid, long nr, const uint64_t args[SYSCALL_MAX_ARGS])
{
	struct user_pt_regs regs;
	if (get_regs(tid, &regs) < 0)
		return -1;
	regs.pc -= 4;
	regs.regs[8] = (uint64_t)nr;
	for (int i = 0; i < SYSCALL_MAX_ARGS; i++)
		regs.regs[i] = args[i];
	return set_regs(tid, &regs);
}
