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

/* At a seccomp stop: replaces the call number and the six argument
 * registers, in as few register round trips as the architecture allows. */
int arch_set_call(pid_t tid, long nr, const uint64_t args[SYSCALL_MAX_ARGS]);

/* At the exit stop of a call whose number or arguments were rewritten and
 * which the kernel is about to restart (-ERESTARTSYS and kin): puts back
 * what the restart re-executes so that the original call (NR, ARGS) is the
 * one that runs again (and is trapped again), without touching the result
 * register the signal code still needs. */
int arch_restore_for_restart(pid_t tid, long nr, const uint64_t args[SYSCALL_MAX_ARGS]);

/* At a syscall-exit stop: makes the thread, once resumed, execute its
 * system-call instruction again as call NR with ARGS (the instruction
 * pointer goes back over it), so the call is made, and trapped, anew. */
int arch_redo_call(pid_t tid, long nr, const uint64_t args[SYSCALL_MAX_ARGS]);

/* Bytes below the stack pointer that the ABI lets a function use without
 * moving it (x86_64: 128; aarch64: none). Scratch data a tracer writes into
 * a stopped thread's stack goes below this. */
size_t arch_red_zone(void);

/* Alignment the ABI requires of the stack pointer (16 on both). */
size_t arch_stack_align(void);

#endif
