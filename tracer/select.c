/* tracer/select.c: -e expressions (minimal first cut: trace=all|NAME,...). */
#include <stdio.h>
#include <string.h>

#include "tracer/trace.h"

int trace_select_parse(const char *expr, bool *selected, char *err, size_t errlen)
{
	long max = syscall_max_nr();
	if (strncmp(expr, "trace=", 6) == 0)
		expr += 6;
	if (strcmp(expr, "all") == 0) {
		for (long i = 0; i <= max; i++)
			selected[i] = true;
		return 0;
	}
	long nr = syscall_nr(expr);
	if (nr < 0) {
		snprintf(err, errlen, "invalid system call '%s'", expr);
		return -1;
	}
	selected[nr] = true;
	return 0;
}
