/* tests/unit/tracer_verdicts.c: the trap loop and the ptrace backend with a
 * handler that decides: SKIP with a result, rewrite an argument, CONTINUE
 * with and without the exit, INSTALL_FD, a rewritten call number, scratch
 * data (a string and a pointer array), exit-result overrides, a rewritten
 * call restarted after a signal, and NEW events with their parent and what
 * they share. The guest is this same program (argv[1] = "guest"), which
 * checks what its calls returned and reports a bit mask of the checks that
 * failed (0: all as the handler arranged) through one last trapped call,
 * getsid(REPORT_BASE | mask). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch/syscall.h"
#include "tests/unit/check.h"
#include "tracer/backend.h"
#include "tracer/guestmem.h"
#include "tracer/loop.h"

#define SKIPPED_PPID 4242
#define BOGUS_PGID_PID 999999
#define OVERRIDE_PGID_PID 999998
#define OVERRIDE_SID_PID 999997
#define OVERRIDDEN_RESULT 777
#define OVERRIDDEN_SKIP 555
#define GETUID_MARK 0x5157
#define INSTALL_PATH "/splitrun-test/install-me"
#define INSTALL_DUP_FD 12345
#define REWRITE_PATH "/splitrun-test/no-such-file"
#define WRITEV_MARK_IOV 0x5158
#define RESTART_MARK_COUNT 1000
#define INSTALLED_TEXT "installed\n"
#define FORK_ROUNDS 20
#define REPORT_BASE 0x40000000
#define SLOW_MARK 999996
#define REDO_MARK 999995

enum guest_failure {
	F_SKIP = 1 << 0, F_REWRITE = 1 << 1, F_EPERM = 1 << 2, F_INSTALL = 1 << 3,
	F_INSTALL_FLAGS = 1 << 4, F_INSTALL_DUP = 1 << 5, F_NR = 1 << 6, F_STRING = 1 << 7,
	F_FIXUP = 1 << 8, F_OVERRIDE = 1 << 9, F_OVERRIDE_SKIP = 1 << 10, F_RESTART = 1 << 11,
	F_CHILDREN = 1 << 12, F_REDO = 1 << 13,
};

static void *thread_body(void *arg)
{
	(void)arg;
	return NULL;
}

static int wait_ok(pid_t pid);

static void *fork_from_thread(void *arg)
{
	usleep(50 * 1000);
	pid_t pid = fork();
	if (pid == 0)
		_exit(syscall(SYS_getppid) == SKIPPED_PPID ? 0 : 1);
	*(int *)arg = wait_ok(pid);
	return NULL;
}

static int wait_ok(pid_t pid)
{
	int status;
	return pid > 0 && waitpid(pid, &status, __WALL) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* One of each way to make a process or thread, in a known order (each
 * waited for before the next), then FORK_ROUNDS plain forks. */
static int make_children(void)
{
	volatile int ok = 1;
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	ok &= wait_ok(pid);
	pid = vfork();
	if (pid == 0)
		_exit(0);
	ok &= wait_ok(pid);
	pthread_t th;
	ok &= pthread_create(&th, NULL, thread_body, NULL) == 0 && pthread_join(th, NULL) == 0;
	static const unsigned long clone_flags[] = { SIGCHLD, CLONE_FILES | SIGCHLD, CLONE_FS | SIGCHLD };
	for (size_t i = 0; i < sizeof clone_flags / sizeof clone_flags[0]; i++) {
		pid = (pid_t)syscall(SYS_clone, clone_flags[i], 0, 0, 0, 0);
		if (pid == 0)
			syscall(SYS_exit, 0);
		ok &= wait_ok(pid);
	}
	for (int i = 0; i < FORK_ROUNDS; i++) {
		pid = fork();
		if (pid == 0)
			_exit(syscall(SYS_getppid) == SKIPPED_PPID ? 0 : 1);
		ok &= wait_ok(pid);
	}
	/* A thread forks while the tracer is busy with this thread's call
	 * (the handler sleeps on it): the child's first stop and the fork
	 * event are both pending when the tracer waits again, and the kernel
	 * hands out the newer tracee's first (the forking thread, not being
	 * a group leader, is not the tracer's child and has no precedence). */
	int forked_ok = 0;
	ok &= pthread_create(&th, NULL, fork_from_thread, &forked_ok) == 0;
	syscall(SYS_getpgid, SLOW_MARK);
	ok &= pthread_join(th, NULL) == 0 && forked_ok;
	return ok;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A read whose count the handler rewrites, interrupted by a signal with
 * SA_RESTART before data comes: the restart must run (and trap) the call as
 * the guest made it. A child writes two bytes later; the rewritten count
 * (1) is what the final run used. */
static int restarted_read(void)
{
	int p[2];
	if (pipe(p) < 0)
		return 0;
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	pid_t writer = fork();
	if (writer == 0) {
		usleep(300 * 1000);
		_exit(write(p[1], "ab", 2) == 2 ? 0 : 1);
	}
	struct itimerval it = { .it_value = { .tv_usec = 100 * 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	char buf[RESTART_MARK_COUNT];
	long n = syscall(SYS_read, p[0], buf, RESTART_MARK_COUNT);
	int ok = n == 1 && buf[0] == 'a' && wait_ok(writer);
	close(p[0]);
	close(p[1]);
	return ok;
}

static int guest(void)
{
	int bad = 0;
	if (syscall(SYS_getppid) != SKIPPED_PPID)
		bad |= F_SKIP;
	/* The handler rewrites the bogus pid to 0 (this process). */
	if (syscall(SYS_getpgid, BOGUS_PGID_PID) != getpgid(0))
		bad |= F_REWRITE;
	errno = 0;
	if (syscall(SYS_getsid, BOGUS_PGID_PID) != -1 || errno != EPERM)
		bad |= F_EPERM;

	/* INSTALL_FD answers an openat with the lowest free fd, open on the
	 * tracer's memfd with the flags it chose. */
	int lowest = dup(0);
	close(lowest);
	long fd = syscall(SYS_openat, AT_FDCWD, INSTALL_PATH, O_RDONLY);
	char buf[64] = { 0 };
	if (fd != lowest || read((int)fd, buf, sizeof buf) != (ssize_t)strlen(INSTALLED_TEXT) ||
	    strcmp(buf, INSTALLED_TEXT) != 0)
		bad |= F_INSTALL;
	if (fd < 0 || !(fcntl((int)fd, F_GETFD) & FD_CLOEXEC) || (fcntl((int)fd, F_GETFL) & O_ACCMODE) != O_RDONLY)
		bad |= F_INSTALL_FLAGS;
	/* ... and any other call too (here a dup of a fd that does not exist). */
	long fd2 = syscall(SYS_dup, INSTALL_DUP_FD);
	if (fd2 < 0 || (fcntl((int)fd2, F_GETFL) & O_ACCMODE) != O_RDWR || (fcntl((int)fd2, F_GETFD) & FD_CLOEXEC) ||
	    write((int)fd2, "x", 1) != 1)
		bad |= F_INSTALL_DUP;
	close((int)fd);
	close((int)fd2);

	/* getuid(MARK) runs as getpid. */
	if (syscall(SYS_getuid, GETUID_MARK) != getpid())
		bad |= F_NR;
	/* A path in scratch memory replaces the guest's. */
	if (syscall(SYS_faccessat, AT_FDCWD, REWRITE_PATH, F_OK, 0) != 0)
		bad |= F_STRING;
	/* An iovec array in scratch memory whose base pointer is fixed up. */
	int p[2];
	char got[16] = { 0 };
	if (pipe(p) < 0 || syscall(SYS_writev, p[1], (void *)WRITEV_MARK_IOV, 1) != 8 ||
	    read(p[0], got, sizeof got) != 8 || memcmp(got, "fixup-ok", 8) != 0)
		bad |= F_FIXUP;
	/* The handler overrides these results at the exit. */
	if (syscall(SYS_getpgid, OVERRIDE_PGID_PID) != OVERRIDDEN_RESULT)
		bad |= F_OVERRIDE;
	if (syscall(SYS_getsid, OVERRIDE_SID_PID) != OVERRIDDEN_SKIP)
		bad |= F_OVERRIDE_SKIP;
	if (!restarted_read())
		bad |= F_RESTART;
	/* The handler lets the first run of this call happen and has the
	 * thread make it again at its exit; the second run is rewritten. */
	if (syscall(SYS_getpgid, REDO_MARK) != getpgid(0))
		bad |= F_REDO;
	if (!make_children())
		bad |= F_CHILDREN;
	syscall(SYS_getsid, REPORT_BASE | bad);
	return bad ? 1 : 0;
}

#define MAX_TASKS 64

struct seen {
	int enters, exits, skipped_exits, gone;
	int64_t getpgid_ret;
	int guest_status;
	pid_t guest;
	int install_exit_fd;      /* the fd on_exit saw for the openat install */
	int report;               /* the guest's failure mask, -1 until reported */
	int restart_marked_enters;
	int redo_enters;
	int enters_from_unannounced;
	int memfd_open, memfd_dup;
	struct trap_new_task tasks[MAX_TASKS];
	int ntasks;
	char scratch[64];
	uint32_t fixup;
};

static bool announced(const struct seen *s, pid_t tid)
{
	for (int i = 0; i < s->ntasks; i++)
		if (s->tasks[i].tid == tid)
			return true;
	return false;
}

static int memfd_with(const char *text)
{
	int fd = memfd_create("verdicts", MFD_CLOEXEC);
	if (fd >= 0 && write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	return fd;
}

static enum trap_verdict on_enter(void *ctx, struct trace_call *call, struct trap_control *ctl)
{
	struct seen *s = ctx;
	s->enters++;
	if (!announced(s, call->pid))
		s->enters_from_unannounced++;
	long nr = call->nr;
	if (nr == SYS_getppid) {
		ctl->result = SKIPPED_PPID;
		return TRAP_SKIP;
	}
	if (nr == SYS_getsid && (call->arg[0] & REPORT_BASE)) {
		s->report = (int)(call->arg[0] & ~(uint64_t)REPORT_BASE);
		ctl->result = 0;
		return TRAP_SKIP;
	}
	if (nr == SYS_getsid && call->arg[0] == BOGUS_PGID_PID) {
		ctl->result = -EPERM;
		return TRAP_SKIP;
	}
	if (nr == SYS_getsid && call->arg[0] == OVERRIDE_SID_PID) {
		ctl->result = -EPERM;
		return TRAP_SKIP;
	}
	if (nr == SYS_getpgid && call->arg[0] == SLOW_MARK)
		usleep(200 * 1000);
	if (nr == SYS_getpgid && call->arg[0] == REDO_MARK && s->redo_enters++ == 0)
		return TRAP_CONTINUE_SEE_EXIT;   /* ESRCH, then redone at the exit */
	if (nr == SYS_getpgid && (call->arg[0] == BOGUS_PGID_PID || call->arg[0] == OVERRIDE_PGID_PID ||
				  call->arg[0] == SLOW_MARK || call->arg[0] == REDO_MARK)) {
		memcpy(ctl->arg, call->arg, sizeof ctl->arg);
		ctl->arg[0] = 0;
		ctl->rewrite_args = true;
		return TRAP_CONTINUE_SEE_EXIT;
	}
	if (nr == SYS_openat) {
		char path[128];
		if (guest_read_str(call->pid, call->arg[1], path, sizeof path) > 0 && strcmp(path, INSTALL_PATH) == 0) {
			ctl->install_fd = s->memfd_open;
			ctl->install_flags = O_RDONLY | O_CLOEXEC;
			return TRAP_INSTALL_FD;
		}
	}
	if (nr == SYS_dup && call->arg[0] == INSTALL_DUP_FD) {
		ctl->install_fd = s->memfd_dup;
		ctl->install_flags = O_RDWR;
		return TRAP_INSTALL_FD;
	}
	if (nr == SYS_getuid && call->arg[0] == GETUID_MARK) {
		ctl->rewrite_nr = true;
		ctl->nr = SYS_getpid;
		return TRAP_CONTINUE;
	}
	if (nr == SYS_faccessat) {
		char path[128];
		if (guest_read_str(call->pid, call->arg[1], path, sizeof path) > 0 && strcmp(path, REWRITE_PATH) == 0) {
			strcpy(s->scratch, "/");
			memcpy(ctl->arg, call->arg, sizeof ctl->arg);
			ctl->arg[1] = 0;
			ctl->rewrite_args = true;
			ctl->scratch = s->scratch;
			ctl->scratch_len = 2;
			ctl->scratch_args = 1u << 1;
			return TRAP_CONTINUE;
		}
	}
	if (nr == SYS_writev && call->arg[1] == WRITEV_MARK_IOV) {
		/* struct iovec { base = offset 16, len = 8 } then the text. */
		uint64_t base = 16, len = 8;
		memset(s->scratch, 0, sizeof s->scratch);
		memcpy(s->scratch, &base, 8);
		memcpy(s->scratch + 8, &len, 8);
		memcpy(s->scratch + 16, "fixup-ok", 8);
		s->fixup = 0;
		memcpy(ctl->arg, call->arg, sizeof ctl->arg);
		ctl->arg[1] = 0;
		ctl->rewrite_args = true;
		ctl->scratch = s->scratch;
		ctl->scratch_len = 24;
		ctl->scratch_args = 1u << 1;
		ctl->fixup = &s->fixup;
		ctl->nfixups = 1;
		return TRAP_CONTINUE;
	}
	if (nr == SYS_read && call->arg[2] == RESTART_MARK_COUNT) {
		s->restart_marked_enters++;
		memcpy(ctl->arg, call->arg, sizeof ctl->arg);
		ctl->arg[2] = 1;
		ctl->rewrite_args = true;
		return TRAP_CONTINUE;
	}
	return TRAP_CONTINUE;
}

static void on_exit_call(void *ctx, struct trace_call *call, struct trap_control *ctl)
{
	struct seen *s = ctx;
	s->exits++;
	if (call->skipped)
		s->skipped_exits++;
	if (call->nr == SYS_getpgid && call->arg[0] == BOGUS_PGID_PID)
		s->getpgid_ret = call->ret;
	if (call->nr == SYS_getpgid && call->arg[0] == OVERRIDE_PGID_PID) {
		ctl->override_result = true;
		ctl->result = OVERRIDDEN_RESULT;
	}
	if (call->nr == SYS_getsid && call->arg[0] == OVERRIDE_SID_PID) {
		ctl->override_result = true;
		ctl->result = OVERRIDDEN_SKIP;
	}
	if (call->nr == SYS_openat)
		s->install_exit_fd = (int)call->ret;
	if (call->nr == SYS_getpgid && call->arg[0] == REDO_MARK && s->redo_enters == 1)
		ctl->redo_call = call->ret == -ESRCH;
}

static void on_new(void *ctx, const struct trap_new_task *task)
{
	struct seen *s = ctx;
	if (s->ntasks < MAX_TASKS)
		s->tasks[s->ntasks++] = *task;
}

static void on_gone(void *ctx, pid_t tid, int status)
{
	struct seen *s = ctx;
	s->gone++;
	if (tid == s->guest)
		s->guest_status = status;
}

static void check_task(const struct seen *s, int i, const char *what, bool files, bool fs, bool vm)
{
	if (i >= s->ntasks) {
		CHECK(0, "%s: announced (only %d NEW events)", what, s->ntasks);
		return;
	}
	const struct trap_new_task *t = &s->tasks[i];
	CHECK(t->parent == s->guest && t->shares_files == files && t->shares_fs == fs && t->shares_vm == vm,
	      "%s: parent %d (want %d), shares files %d fs %d vm %d (want %d %d %d)", what, (int)t->parent,
	      (int)s->guest, t->shares_files, t->shares_fs, t->shares_vm, files, fs, vm);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "guest") == 0)
		return guest();

	long max = syscall_max_nr();
	bool *trapped = calloc((size_t)max + 1, 1);
	static const long calls[] = {
		SYS_getppid, SYS_getpgid, SYS_getsid, SYS_openat, SYS_dup, SYS_getuid, SYS_faccessat,
		SYS_writev, SYS_read,
	};
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
		trapped[calls[i]] = true;
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
	struct seen s = { .install_exit_fd = -100, .report = -1 };
	s.memfd_open = memfd_with(INSTALLED_TEXT);
	s.memfd_dup = memfd_with("");
	CHECK(s.memfd_open >= 0 && s.memfd_dup >= 0, "memfds to install were made");
	struct trap_handler h = {
		.ctx = &s, .on_enter = on_enter, .on_exit = on_exit_call,
		.on_new = on_new, .on_gone = on_gone,
	};
	struct trap_backend *b = ptrace_backend_new();
	CHECK(b != NULL, "ptrace backend created");
	CHECK((b->caps & (TRAP_CAP_SEE_EXIT | TRAP_CAP_REWRITE | TRAP_CAP_INSTALL_FD)) ==
		      (TRAP_CAP_SEE_EXIT | TRAP_CAP_REWRITE | TRAP_CAP_INSTALL_FD),
	      "the ptrace backend says it can see exits, rewrite and install fds (caps %#x)", b->caps);
	CHECK_EQ_INT(b->ops->launch(b, &spec), 0, "guest launched under ptrace");
	s.guest = b->guest;
	CHECK_EQ_INT(trap_loop_run(b, &h), 0, "loop ran to the end");
	CHECK(b->guest_done, "the guest's end was seen");
	CHECK(WIFEXITED(b->guest_status), "guest exited (status %#x)", b->guest_status);
	CHECK(s.report >= 0, "the guest reported its checks");
	int bad = s.report < 0 ? -1 : s.report;
	static const struct { int bit; const char *what; } checks[] = {
		{ F_SKIP, "a skipped call returns the handler's value" },
		{ F_REWRITE, "a rewritten argument is used" },
		{ F_EPERM, "a skipped call returns the handler's -EPERM" },
		{ F_INSTALL, "INSTALL_FD gives the lowest free fd, reading the tracer's memfd" },
		{ F_INSTALL_FLAGS, "the installed fd has the asked flags (O_RDONLY, close-on-exec)" },
		{ F_INSTALL_DUP, "INSTALL_FD answers a call that is not an open (O_RDWR, no close-on-exec)" },
		{ F_NR, "a rewritten call number runs the other call" },
		{ F_STRING, "a string argument placed in scratch memory replaces the guest's" },
		{ F_FIXUP, "a pointer inside scratch data is fixed up to its address" },
		{ F_OVERRIDE, "on_exit overrides the result of a call that ran" },
		{ F_OVERRIDE_SKIP, "on_exit overrides the result of a skipped call" },
		{ F_RESTART, "a rewritten call interrupted and restarted by SA_RESTART still works" },
		{ F_CHILDREN, "fork, vfork, a thread and three kinds of clone ran and exited 0" },
		{ F_REDO, "a call redone at its exit runs again, and its second run is what the guest sees" },
	};
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
		CHECK(!(bad & checks[i].bit), "guest: %s (failure mask %#x)", checks[i].what, bad);
	CHECK(s.enters >= 3, "%d entries trapped", s.enters);
	CHECK_EQ_INT(s.getpgid_ret, getpgid(0), "getpgid's exit shows the rewritten call's result");
	CHECK(s.install_exit_fd >= 0, "on_exit of the install saw a fd (%d)", s.install_exit_fd);
	CHECK_EQ_INT(s.restart_marked_enters, 2,
		     "the restarted read was trapped again with the guest's own arguments (entries seen)");
	CHECK_EQ_INT(s.enters_from_unannounced, 0, "no call came from a thread before its NEW event");
	CHECK_EQ_INT(s.redo_enters, 2, "the redone call was trapped twice");

	/* NEW events: the guest first, then in the order the guest made them. */
	CHECK(s.ntasks >= 7 + FORK_ROUNDS + 1, "%d NEW events", s.ntasks);
	CHECK(s.ntasks > 0 && s.tasks[0].tid == s.guest && s.tasks[0].parent == 0,
	      "the first NEW is the guest, with no parent");
	/* tasks[1] is restarted_read's writer, then make_children's. */
	check_task(&s, 1, "fork (writer)", false, false, false);
	check_task(&s, 2, "fork", false, false, false);
	check_task(&s, 3, "vfork", false, false, true);
	check_task(&s, 4, "pthread", true, true, true);
	check_task(&s, 5, "clone(SIGCHLD)", false, false, false);
	check_task(&s, 6, "clone(CLONE_FILES)", true, false, false);
	check_task(&s, 7, "clone(CLONE_FS)", false, true, false);
	int right = 0;
	for (int i = 8; i < s.ntasks && i < 8 + FORK_ROUNDS; i++)
		right += s.tasks[i].parent == s.guest && !s.tasks[i].shares_files;
	CHECK_EQ_INT(right, FORK_ROUNDS, "each of the forks in a row was announced with its parent");
	int last = 8 + FORK_ROUNDS;
	CHECK(last + 1 < s.ntasks && s.tasks[last].shares_vm && s.tasks[last].parent == s.guest &&
		      s.tasks[last + 1].parent == s.tasks[last].tid && !s.tasks[last + 1].shares_files &&
		      !s.tasks[last + 1].shares_vm,
	      "a fork by a thread while the tracer was busy was announced with that thread as parent");
	CHECK(s.gone >= 1, "the guest's end was reported");
	b->ops->destroy(b);
	free(trapped);
	return check_done();
}
