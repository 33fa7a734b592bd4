/* policy/default.c: the embedded default policy. Its text is
 * policy/default.policy, included byte for byte at build time (the
 * Makefile runs the compiler from the repository's top, where the
 * assembler finds the file), so that the file the docs quote and
 * --check-policy prints is the one compiled in. */
#include "policy/rules.h"

__asm__(".section .rodata\n"
	".global policy_default_text\n"
	".type policy_default_text, %object\n"
	"policy_default_text:\n"
	".incbin \"policy/default.policy\"\n"
	".byte 0\n"
	".size policy_default_text, . - policy_default_text\n"
	".previous\n");
