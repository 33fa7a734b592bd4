/* tests/progs/killself.c: dies by a signal: "TERM" raises SIGTERM, "SEGV"
 * writes through a null pointer. No core file either way. */
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

int main(int argc, char **argv)
{
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	if (argc == 2 && strcmp(argv[1], "TERM") == 0)
		raise(SIGTERM);
	if (argc == 2 && strcmp(argv[1], "SEGV") == 0)
		*(volatile int *)(volatile void *)0 = 1;
	return 2;
}
