/* tests/progs/sig_wait.c: catches SIGINT (and SIGTERM), says so and exits
 * 0. Prints "ready" once the handlers are in place, then waits (at most
 * 20 s, so a lost signal cannot hang a test). */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void caught(int sig)
{
	const char *msg = sig == SIGINT ? "got SIGINT\n" : "got SIGTERM\n";
	if (write(1, msg, strlen(msg)) < 0)
		_exit(3);
	_exit(0);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = caught };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (write(1, "ready\n", 6) < 0)
		return 3;
	for (int i = 0; i < 200; i++)
		usleep(100 * 1000);
	return 1;
}
