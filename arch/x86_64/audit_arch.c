/* arch/x86_64/audit_arch.c: the native ABI and the foreign ones a 64-bit
 * process can still reach: ia32 through int 0x80 and x32 (number with bit
 * 30 set). libseccomp checks the x32 bit itself when x32 is not in the
 * filter, so it is listed for completeness of the refused set. */
#include <linux/audit.h>
#include <seccomp.h>

#include "arch/regs.h"

uint32_t arch_audit_arch(void)
{
	return AUDIT_ARCH_X86_64;
}

size_t arch_foreign_abis(const uint32_t **arches)
{
	static const uint32_t foreign[] = { SCMP_ARCH_X86, SCMP_ARCH_X32 };
	*arches = foreign;
	return sizeof foreign / sizeof foreign[0];
}
