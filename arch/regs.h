/* arch/regs.h: what the ptrace backend needs to know about a stopped
 * thread's registers and about the ABIs the seccomp filter must refuse.
 * Each architecture implements it in arch/ARCH/ (one small file per job);
 * reading a call (number, arguments, result) goes through
 * PTRACE_GET_SYSCALL_INFO and needs no code here. */
#ifndef SPLITRUN_ARCH_REGS_H
#define SPLITRUN_ARCH_REGS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arch/syscall.h"

/* AUDIT_ARCH_* of the native ABI, as PTRACE_GET_SYSCALL_INFO reports it. */
uint32_t arch_audit_arch(void);

/* libseccomp SCMP_ARCH_* tokens of the other ABIs a native process can
 * enter the kernel through (x86_64: ia32 via int 0x80, x32). The filter
 * kills the process on any of them. Returns how many are in *ARCHES. */
size_t arch_foreign_abis(const uint32_t **arches);

/* At a seccomp stop: changes the call number (-1: the call is skipped). */
int arch_set_syscall_nr(pid_t tid, long nr);

/* At a seccomp stop: replaces the six argument registers. */
int arch_set_args(pid_t tid, const uint64_t args[SYSCALL_MAX_ARGS]);

/* At a seccomp stop of a skipped call, or an exit stop: the value the guest
 * sees (a result, or -errno). */
int arch_set_result(pid_t tid, int64_t value);

/* Skips the call at a seccomp stop and makes it return VALUE, in one
 * register round trip where the architecture allows it. */
int arch_skip_with_result(pid_t tid, int64_t value);

#endif
