/* arch/x86_64/stack.c: stack facts of the System V x86_64 ABI: a 128-byte
 * red zone below %rsp that leaf functions use without moving it, and a
 * 16-byte aligned stack. */
#include "arch/regs.h"

size_t arch_red_zone(void)
{
	return 128;
}

size_t arch_stack_align(void)
{
	return 16;
}
