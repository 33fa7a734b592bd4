/* tests/progs/foreign_abi.c: enters the kernel through a foreign ABI.
 *   ia32: getpid through int 0x80 (ia32 number 20)
 *   x32:  getpid with the x32 bit set (0x40000000 | 39)
 * Prints the raw result; under splitrun the filter must kill it first. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
#if defined(__x86_64__)
	long ret = 0;
	if (argc == 2 && strcmp(argv[1], "ia32") == 0)
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "rcx", "r11");
	else if (argc == 2 && strcmp(argv[1], "x32") == 0)
		__asm__ volatile("syscall" : "=a"(ret) : "a"(0x40000000L | 39L) : "memory", "rcx", "r11");
	else
		return 2;
	printf("returned %ld (pid %ld)\n", ret, (long)getpid());
	return 0;
#else
	(void)argc;
	(void)argv;
	printf("no foreign ABI test on this architecture\n");
	return 77;
#endif
}
