/* tracer/filter.h: the guest's seccomp filter, generated with libseccomp.
 * Each native call is allowed inside the kernel, trapped
 * (SECCOMP_RET_TRACE for the ptrace backend, SECCOMP_RET_USER_NOTIF for
 * the user-notification one) or answered inside the kernel with an errno
 * (SECCOMP_RET_ERRNO); any call through a foreign ABI (ia32 int 0x80, x32)
 * kills the process. A filter that traps anything also answers
 * seccomp(SECCOMP_SET_MODE_FILTER) with SECCOMP_FILTER_FLAG_NEW_LISTENER
 * with EBUSY: the guest's own listener would override the trap. */
#ifndef SPLITRUN_TRACER_FILTER_H
#define SPLITRUN_TRACER_FILTER_H

#include <linux/filter.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>

enum filter_action {
	FILTER_ALLOW = 0,
	FILTER_TRACE,
	FILTER_ERRNO,
};

struct filter_rule {
	uint8_t action;   /* enum filter_action */
	uint16_t err;     /* FILTER_ERRNO: the errno the call returns */
	/* FILTER_TRACE: the call is allowed all the same when every argument
	 * in FD_ARGS (a mask of argument indices) is below FD_BELOW, compared
	 * as 64-bit unsigned values (a negative fd or one with high bits set
	 * traps: the kernel's int never lets one through that is not below),
	 * or, with ANON_OK (mmap), when its flags (argument 3) have
	 * MAP_ANONYMOUS. */
	uint8_t fd_args;
	uint32_t fd_below;
	bool anon_ok;
};

/* How a trapped call reaches splitrun. */
enum filter_trap {
	FILTER_BY_TRACE,   /* SECCOMP_RET_TRACE: a ptrace seccomp stop */
	FILTER_BY_NOTIFY,  /* SECCOMP_RET_USER_NOTIF: a notification on the listener */
};

/* TRAPPED is indexed by syscall number (syscall_max_nr()+1 long); NULL traps
 * nothing. Returns the filter, or NULL after printing why. */
scmp_filter_ctx filter_build(const bool *trapped, enum filter_trap how);

/* RULES is indexed by syscall number (syscall_max_nr()+1 long). Numbers the
 * architecture table does not know (newer kernels' calls) are trapped when
 * UNKNOWN_TRAP, else allowed. Returns the filter, or NULL after printing why. */
scmp_filter_ctx filter_build_rules(const struct filter_rule *rules, bool unknown_trap, enum filter_trap how);

/* The BPF program of CTX, for a backend that loads it with seccomp(2)
 * itself (its flags). Returns 0 (PROG->filter is malloc'd), or -1 after
 * printing why. */
int filter_export(scmp_filter_ctx ctx, struct sock_fprog *prog);

#endif
