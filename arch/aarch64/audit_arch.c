/* arch/aarch64/audit_arch.c: the native ABI and the foreign one a 64-bit
 * process could reach on a kernel with COMPAT: AArch32 (SVC from A32 code
 * is only possible in a 32-bit process, but the filter refuses it anyway). */
#include <linux/audit.h>
#include <seccomp.h>

#include "arch/regs.h"

uint32_t arch_audit_arch(void)
{
	return AUDIT_ARCH_AARCH64;
}

size_t arch_foreign_abis(const uint32_t **arches)
{
	static const uint32_t foreign[] = { SCMP_ARCH_ARM };
	*arches = foreign;
	return sizeof foreign / sizeof foreign[0];
}
