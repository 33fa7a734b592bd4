/* tests/unit/tracer_verdicts.c: the trap loop and the ptrace backend with a
 * handler that decides: SKIP with a result, rewrite an argument, CONTINUE
 * with and without the exit. The guest is this same program (argv[1] =
 * "guest"), which checks what its calls returned and exits 0 if all is as
 * the handler arranged. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch/syscall.h"
#include "tests/unit/check.h"
#include "tracer/backend.h"
#include "tracer/loop.h"

#define SKIPPED_PPID 4242
#define BOGUS_PGID_PID 999999

static int guest(void)
{
	int bad = 0;
	if (syscall(SYS_getppid) != SKIPPED_PPID)
		bad |= 1;
	/* The handler rewrites the bogus pid to 0 (this process). */
	if (syscall(SYS_getpgid, BOGUS_PGID_PID) != getpgid(0))
		bad |= 2;
	errno = 0;
	if (syscall(SYS_getsid, BOGUS_PGID_PID) != -1 || errno != EPERM)
		bad |= 4;
	return bad;
}

struct seen {
	int enters, exits, skipped_exits, new_procs, gone;
	int64_t getpgid_ret;
	int guest_status;
};

static enum trap_verdict on_enter(void *ctx, struct trace_call *call, struct trap_control *ctl)
{
	struct seen *s = ctx;
	s->enters++;
	if (call->nr == SYS_getppid) {
		ctl->result = SKIPPED_PPID;
		return TRAP_SKIP;
	}
	if (call->nr == SYS_getsid && call->arg[0] == BOGUS_PGID_PID) {
		ctl->result = -EPERM;
		return TRAP_SKIP;
	}
	if (call->nr == SYS_getpgid && call->arg[0] == BOGUS_PGID_PID) {
		memcpy(ctl->arg, call->arg, sizeof ctl->arg);
		ctl->arg[0] = 0;
		ctl->rewrite_args = true;
		return TRAP_CONTINUE_SEE_EXIT;
	}
	return TRAP_CONTINUE;
}

static void on_exit_call(void *ctx, struct trace_call *call)
{
	struct seen *s = ctx;
	s->exits++;
	if (call->skipped)
		s->skipped_exits++;
	if (call->nr == SYS_getpgid)
		s->getpgid_ret = call->ret;
}

static void on_new(void *ctx, pid_t tid)
{
	(void)tid;
	((struct seen *)ctx)->new_procs++;
}

static void on_gone(void *ctx, pid_t tid, int status)
{
	(void)tid;
	struct seen *s = ctx;
	s->gone++;
	s->guest_status = status;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "guest") == 0)
		return guest();

	long max = syscall_max_nr();
	bool *trapped = calloc((size_t)max + 1, 1);
	trapped[SYS_getppid] = trapped[SYS_getpgid] = trapped[SYS_getsid] = true;
	char *guest_argv[] = { argv[0], "guest", NULL };
	struct launch_spec spec = { .path = "/proc/self/exe", .argv = guest_argv, .traced = trapped };
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = 0;
		spec.path = self;
	}

	/* A sanitized guest's leak checker clones an untraced helper that
	 * calls getppid, which this test traps: with no tracer for it the
	 * call fails with ENOSYS and the checker waits forever. */
	setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
	struct seen s = { 0 };
	struct trap_handler h = {
		.ctx = &s, .on_enter = on_enter, .on_exit = on_exit_call,
		.on_new = on_new, .on_gone = on_gone,
	};
	struct trap_backend *b = ptrace_backend_new();
	CHECK(b != NULL, "ptrace backend created");
	CHECK_EQ_INT(b->ops->launch(b, &spec), 0, "guest launched under ptrace");
	CHECK_EQ_INT(trap_loop_run(b, &h), 0, "loop ran to the end");
	CHECK(b->guest_done, "the guest's end was seen");
	CHECK(WIFEXITED(b->guest_status), "guest exited (status %#x)", b->guest_status);
	CHECK_EQ_INT(WEXITSTATUS(b->guest_status), 0,
		     "guest saw the skipped result, the rewritten argument and the -EPERM (bit mask of failures)");
	CHECK(s.enters >= 3, "%d entries trapped (the three selected calls, maybe more from libc)", s.enters);
	CHECK_EQ_INT(s.skipped_exits, 2, "two calls were skipped and reported as such");
	CHECK_EQ_INT(s.getpgid_ret, getpgid(0), "getpgid's exit shows the rewritten call's result");
	CHECK(s.new_procs >= 1, "the guest was announced");
	CHECK(s.gone >= 1, "the guest's end was reported");
	b->ops->destroy(b);
	free(trapped);
	return check_done();
}
