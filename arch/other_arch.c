/* arch/other_arch.c: the call names of every supported architecture, so that
 * a name this one lacks can be told apart from a name no Linux has. The
 * numbers stay in arch/ARCH/syscallent.h; only the names are taken here. */
#include <stddef.h>
#include <string.h>

#include "arch/syscall.h"

#define SYSCALL_NR(nr, name) #name,
static const char *const x86_64_names[] = {
#include "arch/x86_64/syscallent.h"
};
static const char *const aarch64_names[] = {
#include "arch/aarch64/syscallent.h"
};
#undef SYSCALL_NR

static const struct {
	const char *arch;
	const char *const *names;
	size_t count;
} arches[] = {
	{ "x86_64", x86_64_names, sizeof x86_64_names / sizeof x86_64_names[0] },
	{ "aarch64", aarch64_names, sizeof aarch64_names / sizeof aarch64_names[0] },
};

const char *syscall_other_arch(const char *name)
{
	if (syscall_nr(name) >= 0)
		return NULL;
	for (size_t a = 0; a < sizeof arches / sizeof arches[0]; a++)
		for (size_t i = 0; i < arches[a].count; i++)
			if (strcmp(arches[a].names[i], name) == 0)
				return arches[a].arch;
	return NULL;
}
