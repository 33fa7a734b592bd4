/* tests/unit/print_stack.c: -k unwinds a real stopped tracee. The child
 * stops itself inside a known function; its stack must show that function,
 * main, and this test binary's path, in strace's " > path(sym+0x..) [0x..]"
 * format. */
#include <signal.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/check.h"
#include "tracer/print_internal.h"

__attribute__((noinline)) static void stop_here_for_unwinding(void)
{
	raise(SIGSTOP);
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	pid_t child = fork();
	if (child == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		stop_here_for_unwinding();
		_exit(0);
	}
	int status;
	CHECK(waitpid(child, &status, 0) == child && WIFSTOPPED(status), "child stopped under ptrace");
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = 0;

	struct stacks *st = stacks_new();
	struct pbuf b = { 0 };
	stacks_print(st, child, &b);
	pb_putc(&b, 0);
	printf("# stack:\n");
	for (const char *l = b.s; *l;) {
		size_t len = strcspn(l, "\n");
		printf("# %.*s\n", (int)len, l);
		l += len + (l[len] == '\n');
	}
	CHECK(strncmp(b.s, " > ", 3) == 0, "lines start with \" > \"");
	char want[4200];
	snprintf(want, sizeof want, " > %s(stop_here_for_unwinding+0x", self);
	CHECK(strstr(b.s, want) != NULL, "the stopped function, with this binary's path");
	snprintf(want, sizeof want, " > %s(main+0x", self);
	CHECK(strstr(b.s, want) != NULL, "its caller main");
	CHECK(strstr(b.s, "libc.so.6(") != NULL, "libc's frames (raise)");

	/* Cached address space: a second unwind gives the same text. */
	char *first = strdup(b.s);
	b.len = 0;
	stacks_print(st, child, &b);
	pb_putc(&b, 0);
	CHECK_EQ_STR(b.s, first, "second unwind from the cache is the same");
	stacks_invalidate(st, child);
	b.len = 0;
	stacks_print(st, child, &b);
	pb_putc(&b, 0);
	CHECK_EQ_STR(b.s, first, "and after invalidation");
	stacks_forget(st, child);
	stacks_free(st);
	free(first);
	pb_free(&b);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	return check_done();
}
