/* arch/aarch64/stack.c: stack facts of AAPCS64: no red zone (nothing below
 * sp may be relied on), and sp 16-byte aligned. */
#include "arch/regs.h"

size_t arch_red_zone(void)
{
	return 0;
}

size_t arch_stack_align(void)
{
	return 16;
}
