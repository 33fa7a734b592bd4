/* tests/progs/stop_cont.c: job-control stops inside a traced tree.
 *   self:  the process stops itself (SIGSTOP); a child continues it.
 *   child: a child stops itself; the parent sees it stopped (WUNTRACED),
 *          continues it and collects its exit status.
 * Prints what happened and exits 0 when every step went as untraced. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int stop_self(void)
{
	pid_t parent = getpid();
	pid_t child = fork();
	if (child == 0) {
		struct timespec t = { 0, 200 * 1000 * 1000 };
		nanosleep(&t, NULL);
		kill(parent, SIGCONT);
		_exit(0);
	}
	raise(SIGSTOP);
	printf("continued\n");
	int status;
	waitpid(child, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static int stop_child(void)
{
	pid_t child = fork();
	if (child == 0) {
		raise(SIGSTOP);
		printf("child continued\n");
		fflush(stdout);
		_exit(7);
	}
	int status;
	if (waitpid(child, &status, WUNTRACED) != child || !WIFSTOPPED(status)) {
		printf("child not seen stopped (status %#x)\n", status);
		return 1;
	}
	printf("child stopped by %s\n", strsignal(WSTOPSIG(status)));
	fflush(stdout);
	kill(child, SIGCONT);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) {
		printf("child did not exit (status %#x)\n", status);
		return 1;
	}
	printf("child exited with %d\n", WEXITSTATUS(status));
	return WEXITSTATUS(status) == 7 ? 0 : 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 2 && strcmp(argv[1], "self") == 0)
		return stop_self();
	if (argc == 2 && strcmp(argv[1], "child") == 0)
		return stop_child();
	fprintf(stderr, "usage: stop_cont self|child\n");
	return 2;
}
