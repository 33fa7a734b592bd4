/* tracer/filter.h: the guest's seccomp filter, generated with libseccomp.
 * Selected calls trap (SECCOMP_RET_TRACE); every other call of the native
 * ABI is allowed inside the kernel; any call through a foreign ABI (ia32
 * int 0x80, x32) kills the process. */
#ifndef SPLITRUN_TRACER_FILTER_H
#define SPLITRUN_TRACER_FILTER_H

#include <seccomp.h>
#include <stdbool.h>

/* TRAPPED is indexed by syscall number (syscall_max_nr()+1 long); NULL traps
 * nothing. Returns the filter, or NULL after printing why. */
scmp_filter_ctx filter_build(const bool *trapped);

#endif
