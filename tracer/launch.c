/* tracer/launch.c: implements tracer/launch.h. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tracer/filter.h"
#include "tracer/launch.h"

extern char **environ;

/* 0 when PATH is an executable regular file, else the errno a shell would
 * report. */
static int check_executable(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return errno;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
		return EACCES;
	return 0;
}

char *launch_resolve(const char *prog, int *exit_code)
{
	int err = ENOENT;
	if (!*prog) {
		err = ENOENT;
	} else if (strchr(prog, '/')) {
		err = check_executable(prog);
		if (err == 0)
			return strdup(prog);
	} else {
		const char *path = getenv("PATH");
		if (!path)
			path = "/usr/local/bin:/bin:/usr/bin";
		bool saw_denied = false;
		size_t plen = strlen(prog);
		for (const char *dir = path;; ) {
			const char *end = strchrnul(dir, ':');
			size_t dlen = (size_t)(end - dir);
			char *cand = malloc(dlen + plen + 3);
			if (!cand)
				break;
			if (dlen == 0)
				sprintf(cand, "./%s", prog);
			else
				sprintf(cand, "%.*s/%s", (int)dlen, dir, prog);
			int e = check_executable(cand);
			if (e == 0)
				return cand;
			free(cand);
			if (e == EACCES || e == EISDIR)
				saw_denied = true;
			if (!*end)
				break;
			dir = end + 1;
		}
		err = saw_denied ? EACCES : ENOENT;
	}
	fprintf(stderr, "splitrun: %s: %s\n", prog, strerror(err));
	*exit_code = err == ENOENT || err == ENOTDIR ? 127 : 126;
	return NULL;
}

noreturn void launch_exec_child(const struct launch_spec *spec, scmp_filter_ctx filter)
{
	if (spec->cwd && chdir(spec->cwd) < 0) {
		fprintf(stderr, "splitrun: %s: %s\n", spec->cwd, strerror(errno));
		_exit(1);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		fprintf(stderr, "splitrun: prctl(PR_SET_NO_NEW_PRIVS): %s\n", strerror(errno));
		_exit(1);
	}
	int rc = seccomp_load(filter);
	if (rc != 0) {
		fprintf(stderr, "splitrun: seccomp: %s (the kernel or a container may forbid seccomp filters)\n",
			strerror(-rc));
		_exit(1);
	}
	launch_exec(spec);
	__builtin_unreachable();
}

noreturn void launch_exec_failed(const struct launch_spec *spec)
{
	int err = errno;
	fprintf(stderr, "splitrun: %s: %s\n", spec->path, strerror(err));
	_exit(err == ENOENT || err == ENOTDIR ? 127 : 126);
}

static volatile pid_t forward_to;
static volatile sig_atomic_t signals_received;

static void forward_signal(int sig, siginfo_t *si, void *uctx)
{
	(void)uctx;
	signals_received++;
	/* si_code > 0: the kernel sent it (the terminal's ^C, ^\, hang-up),
	 * and the guest, in the same process group, got it too. */
	if (si->si_code <= 0 && forward_to > 0 && si->si_pid != forward_to) {
		int saved = errno;
		kill(forward_to, sig);
		errno = saved;
	}
}

unsigned long launch_signals_received(void)
{
	return (unsigned long)signals_received;
}

void launch_forward_signals(pid_t guest)
{
	static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	forward_to = guest;
	struct sigaction sa = { .sa_sigaction = forward_signal, .sa_flags = SA_SIGINFO | SA_RESTART };
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaction(forwarded[i], &sa, NULL);
}

int launch_untraced(const struct launch_spec *spec)
{
	scmp_filter_ctx filter = filter_build(NULL, FILTER_BY_TRACE);
	if (!filter)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "splitrun: fork: %s\n", strerror(errno));
		seccomp_release(filter);
		return -1;
	}
	if (pid == 0)
		launch_exec_child(spec, filter);
	seccomp_release(filter);
	launch_forward_signals(pid);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "splitrun: waitpid: %s\n", strerror(errno));
			return -1;
		}
	return status;
}

noreturn void exit_like(int wait_status)
{
	fflush(NULL);
	if (WIFSIGNALED(wait_status)) {
		int sig = WTERMSIG(wait_status);
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		signal(sig, SIG_DFL);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
		_exit(128 + sig);
	}
	exit(WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 1);
}
