/* tests/unit/arch_table.c: the joined syscall table of the host arch. */
#include <string.h>
#include <sys/syscall.h>

#include "arch/regs.h"
#include "arch/syscall.h"
#include "tests/unit/check.h"

int main(void)
{
	long max = syscall_max_nr();
	CHECK(max > 400, "syscall_max_nr() = %ld covers the modern calls", max);
	CHECK_EQ_INT(syscall_nr("openat"), SYS_openat, "syscall_nr(openat) is libc's SYS_openat");
	CHECK_EQ_INT(syscall_nr("read"), SYS_read, "syscall_nr(read)");
	CHECK_EQ_INT(syscall_nr("exit_group"), SYS_exit_group, "syscall_nr(exit_group)");
	CHECK_EQ_INT(syscall_nr("no_such_call"), -1, "unknown name gives -1");
#if defined(__x86_64__)
	CHECK_EQ_INT(syscall_nr("openat"), 257, "x86_64 openat is 257");
	CHECK_EQ_INT(syscall_nr("open"), 2, "x86_64 open is 2");
	CHECK(syscall_other_arch("open") == NULL, "open is x86_64's own: no other arch named");
#elif defined(__aarch64__)
	CHECK_EQ_INT(syscall_nr("open"), -1, "aarch64 has no open");
	CHECK_EQ_STR(syscall_other_arch("open"), "x86_64", "open is known on x86_64");
	CHECK_EQ_INT(syscall_nr("fcntl"), 25, "aarch64 fcntl (an __NR3264_ alias) is 25");
	CHECK_EQ_INT(syscall_nr("newfstatat"), 79, "aarch64 newfstatat is 79");
#endif
	CHECK(syscall_other_arch("openat") == NULL, "openat is everywhere: NULL");
	CHECK(syscall_other_arch("no_such_call") == NULL, "a name no arch has: NULL");
	CHECK(syscall_nr("syscalls") < 0 && syscall_nr("arch_specific_syscall") < 0,
	      "table-size macros are not calls");

	long mismatches = 0, described = 0;
	for (long nr = 0; nr <= max; nr++) {
		const struct syscall_desc *d = syscall_by_nr(nr);
		if (!d)
			continue;
		described++;
		if (syscall_nr(d->name) != nr || d->nargs > SYSCALL_MAX_ARGS) {
			mismatches++;
			printf("# %ld -> %s -> %ld (nargs %d)\n", nr, d->name, syscall_nr(d->name), d->nargs);
		}
	}
	CHECK_EQ_INT(mismatches, 0, "every number round-trips through its name");
	CHECK(described > 300, "%ld numbers are described", described);

	CHECK(syscall_by_nr(-1) == NULL, "syscall_by_nr(-1) is NULL");
	CHECK(syscall_by_nr(max + 1) == NULL, "syscall_by_nr(max+1) is NULL");
	CHECK(syscall_by_nr(100000) == NULL, "syscall_by_nr(100000) is NULL");

	const struct syscall_desc *openat = syscall_by_nr(SYS_openat);
	CHECK(openat != NULL, "openat is described");
	if (openat) {
		CHECK_EQ_STR(openat->name, "openat", "name of SYS_openat");
		CHECK_EQ_INT(openat->nargs, 4, "openat takes 4 arguments");
		CHECK_EQ_INT(openat->arg[0], AK_DIRFD, "openat arg 0 is a dirfd");
		CHECK_EQ_INT(openat->arg[1], AK_PATH, "openat arg 1 is a path");
		CHECK(openat->classes & SC_FILE, "openat is in %%file");
	}
	const struct syscall_desc *eg = syscall_by_nr(SYS_exit_group);
	CHECK(eg && (eg->classes & SC_NEVER_RETURNS), "exit_group never returns");

	/* A number with no semantics row still gets a generic description,
	 * marked as such (split mode refuses those calls). */
	long generic = 0, generic_bad = 0;
	for (long nr = 0; nr <= max; nr++) {
		const struct syscall_desc *d = syscall_by_nr(nr);
		if (!d || d->classes != SC_NO_ROW || d->nargs != SYSCALL_MAX_ARGS)
			continue;
		int all_hex = 1;
		for (int a = 0; a < SYSCALL_MAX_ARGS; a++)
			all_hex &= d->arg[a] == AK_HEX;
		generic += all_hex;
		if (!d->name || !*d->name)
			generic_bad++;
	}
	CHECK(generic > 0, "%ld calls without a row get six AK_HEX arguments and SC_NO_ROW", generic);
	const struct syscall_desc *openat_row = syscall_by_nr(SYS_openat);
	CHECK(openat_row && !(openat_row->classes & SC_NO_ROW), "a call with a row is not marked SC_NO_ROW");
	CHECK_EQ_INT(generic_bad, 0, "generic descriptions are named");

	const uint32_t *foreign;
	CHECK(arch_foreign_abis(&foreign) >= 1, "at least one foreign ABI is refused");
	CHECK(arch_audit_arch() != 0, "audit arch is known");
	return check_done();
}
