/* arch/table.c: implements arch/syscall.h by joining this architecture's
 * numbers (arch/ARCH/syscallent.h) with the architecture-neutral rows of
 * arch/syscalls.def by name. The joined table is built once, on first use. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "arch/syscall.h"

struct nr_name {
	long nr;
	const char *name;
};

static const struct nr_name arch_numbers[] = {
#define SYSCALL_NR(nr, name) { nr, #name },
#if defined(__x86_64__)
#include "arch/x86_64/syscallent.h"
#elif defined(__aarch64__)
#include "arch/aarch64/syscallent.h"
#else
#error "splitrun supports x86_64 and aarch64"
#endif
#undef SYSCALL_NR
};
#define ARCH_NUMBER_COUNT (sizeof arch_numbers / sizeof arch_numbers[0])

static const struct syscall_desc semantic_rows[] = {
#define SYSCALL(name, nargs, classes, k0, k1, k2, k3, k4, k5) \
	{ #name, nargs, classes, { k0, k1, k2, k3, k4, k5 } },
#include "arch/syscalls.def"
#undef SYSCALL
};
#define SEMANTIC_ROW_COUNT (sizeof semantic_rows / sizeof semantic_rows[0])

/* Indexed by number; a NULL name marks a hole in the numbering. */
static struct syscall_desc *by_nr;
static long max_nr = -1;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static int compare_rows_by_name(const void *a, const void *b)
{
	return strcmp(((const struct syscall_desc *)a)->name,
		      ((const struct syscall_desc *)b)->name);
}

static void build_table(void)
{
	for (size_t i = 0; i < ARCH_NUMBER_COUNT; i++)
		if (arch_numbers[i].nr > max_nr)
			max_nr = arch_numbers[i].nr;
	by_nr = calloc((size_t)max_nr + 1, sizeof *by_nr);
	struct syscall_desc *sorted = malloc(sizeof semantic_rows);
	if (!by_nr || !sorted)
		abort();
	memcpy(sorted, semantic_rows, sizeof semantic_rows);
	qsort(sorted, SEMANTIC_ROW_COUNT, sizeof *sorted, compare_rows_by_name);

	for (size_t i = 0; i < ARCH_NUMBER_COUNT; i++) {
		struct syscall_desc key = { .name = arch_numbers[i].name };
		const struct syscall_desc *row = bsearch(&key, sorted, SEMANTIC_ROW_COUNT,
							 sizeof *sorted, compare_rows_by_name);
		struct syscall_desc *d = &by_nr[arch_numbers[i].nr];
		if (row) {
			*d = *row;
		} else {
			d->nargs = SYSCALL_MAX_ARGS;
			d->classes = SC_NO_ROW;
			for (int a = 0; a < SYSCALL_MAX_ARGS; a++)
				d->arg[a] = AK_HEX;
		}
		/* The name must outlive SORTED: take the arch table's literal. */
		d->name = arch_numbers[i].name;
	}
	free(sorted);
}

const struct syscall_desc *syscall_by_nr(long nr)
{
	pthread_once(&table_once, build_table);
	if (nr < 0 || nr > max_nr || !by_nr[nr].name)
		return NULL;
	return &by_nr[nr];
}

long syscall_nr(const char *name)
{
	for (size_t i = 0; i < ARCH_NUMBER_COUNT; i++)
		if (strcmp(arch_numbers[i].name, name) == 0)
			return arch_numbers[i].nr;
	return -1;
}

long syscall_max_nr(void)
{
	pthread_once(&table_once, build_table);
	return max_nr;
}
