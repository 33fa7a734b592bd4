/* tests/progs/forks_threads.c: a parent and a forked child, each with a
 * pthread; every one of the four makes a faccessat on a path naming its
 * role and prints "ROLE TID" so a test can check the [pid N] of each. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void mark(const char *role)
{
	char path[64], line[64];
	snprintf(path, sizeof path, "/nonexistent-marker-%s", role);
	syscall(SYS_faccessat, AT_FDCWD, path, F_OK, 0);
	int n = snprintf(line, sizeof line, "%s %ld\n", role, (long)syscall(SYS_gettid));
	if (write(1, line, (size_t)n) < 0)
		_exit(3);
}

static void *thread_main(void *role)
{
	mark(role);
	return NULL;
}

static void with_thread(const char *main_role, const char *thread_role)
{
	pthread_t t;
	mark(main_role);
	if (pthread_create(&t, NULL, thread_main, (void *)thread_role) != 0)
		_exit(4);
	pthread_join(t, NULL);
}

int main(void)
{
	pid_t child = fork();
	if (child < 0)
		return 5;
	if (child == 0) {
		with_thread("child", "child-thread");
		return 0;
	}
	with_thread("parent", "parent-thread");
	int status;
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return 6;
	return 0;
}
