/* tests/progs/thread_exec.c: a non-leader thread calls execve; the new
 * image (this program with "after") prints its pid, which must be the
 * original process's, and exits 5. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *self;
static char pidbuf[32];

static void *exec_from_thread(void *arg)
{
	(void)arg;
	char *argv[] = { self, "after", pidbuf, NULL };
	execv("/proc/self/exe", argv);
	perror("execv");
	exit(9);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "after") == 0) {
		printf("after exec: pid %ld, before %s\n", (long)getpid(), argv[2]);
		return atol(argv[2]) == (long)getpid() ? 5 : 8;
	}
	self = argv[0];
	snprintf(pidbuf, sizeof pidbuf, "%ld", (long)getpid());
	pthread_t t;
	if (pthread_create(&t, NULL, exec_from_thread, NULL) != 0)
		return 7;
	for (int i = 0; i < 100; i++)
		usleep(100 * 1000);
	return 6;
}
