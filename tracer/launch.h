/* tracer/launch.h: starting the guest and ending like it.
 *
 * Program lookup (like execvp, but in splitrun so that a trace shows one
 * execve), the child's last steps (NO_NEW_PRIVS, the seccomp filter, exec),
 * forwarding of signals sent to splitrun, the untraced run (no ptrace at
 * all), and leaving with the guest's exit status. */
#ifndef SPLITRUN_TRACER_LAUNCH_H
#define SPLITRUN_TRACER_LAUNCH_H

#include <seccomp.h>
#include <stdnoreturn.h>
#include <sys/types.h>
#include <unistd.h>

#include "tracer/backend.h"

/* The file PROG names, searched in $PATH when it has no '/'. Returns a
 * malloc'd path, or NULL after printing "splitrun: PROG: reason" with
 * *EXIT_CODE set as a shell would: 127 not found, 126 not executable. */
char *launch_resolve(const char *prog, int *exit_code);

/* In the forked child: sets NO_NEW_PRIVS, loads FILTER, execs. Never
 * returns; on failure prints why and exits 126/127 (exec) or 1 (seccomp). */
noreturn void launch_exec_child(const struct launch_spec *spec, scmp_filter_ctx filter);

/* After a failed execve of SPEC's program in the child: prints why (errno)
 * and exits 126 or 127. */
noreturn void launch_exec_failed(const struct launch_spec *spec);

/* The child's exec of SPEC's program (its filter loaded); never returns.
 * Inline, and nothing noreturn is called before the execve: a sanitizer's
 * runtime makes a system call (sigaltstack) before any such call, which
 * the trace would show before the execve. */
__attribute__((always_inline)) static inline void launch_exec(const struct launch_spec *spec)
{
	extern char **environ;
	execve(spec->path, spec->argv, environ);
	launch_exec_failed(spec);
}

/* SIGINT, SIGTERM, SIGHUP, SIGQUIT sent to splitrun alone (by kill, not by
 * the terminal, which signals the guest's process group itself) go on to
 * GUEST. */
void launch_forward_signals(pid_t guest);
/* How many of those signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT) splitrun
 * has received so far, whoever sent them: a wait of splitrun's own (for a
 * shadow to come back) gives up when this moves. */
unsigned long launch_signals_received(void);

/* Runs the guest with no tracing: filter, exec, wait. Returns its wait
 * status, or -1 after printing why. */
int launch_untraced(const struct launch_spec *spec);

/* Exits with the guest's status; when a signal killed it, dies by the same
 * signal (without a core file of splitrun's own). */
noreturn void exit_like(int wait_status);

#endif
