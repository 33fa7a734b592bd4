/* tracer/summary.c: the -c table, in strace's format and order: rows sorted
 * by time (descending), then by name; a "total" row. Time is the wall time
 * from the entry stop to the exit stop (strace's -w), which is what a
 * tracer that does not read the guest's rusage per call can measure. */
#include <stdlib.h>
#include <string.h>

#include "tracer/print_internal.h"

struct counter {
	uint64_t ns;
	uint64_t calls, errors;
	const char *name;
};

struct summary {
	long max_nr;
	struct counter *by_nr;
	struct counter other;   /* numbers outside the table */
};

struct summary *summary_new(long max_nr)
{
	struct summary *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->max_nr = max_nr;
	s->by_nr = calloc((size_t)max_nr + 1, sizeof *s->by_nr);
	if (!s->by_nr) {
		free(s);
		return NULL;
	}
	return s;
}

void summary_free(struct summary *s)
{
	if (!s)
		return;
	free(s->by_nr);
	free(s);
}

void summary_add(struct summary *s, const struct trace_call *call)
{
	/* strace's table has no row for calls that never return */
	if (!s || (call->desc->classes & SC_NEVER_RETURNS))
		return;
	struct counter *c = call->nr >= 0 && call->nr <= s->max_nr ? &s->by_nr[call->nr] : &s->other;
	c->name = call->desc->name;
	c->calls++;
	if (call->ret < 0 && call->ret >= -4095)
		c->errors++;
	int64_t ns = (int64_t)(call->t_exit.tv_sec - call->t_enter.tv_sec) * 1000000000 +
		     (call->t_exit.tv_nsec - call->t_enter.tv_nsec);
	if (ns > 0)
		c->ns += (uint64_t)ns;
}

static int by_time(const void *a, const void *b)
{
	const struct counter *x = *(const struct counter *const *)a;
	const struct counter *y = *(const struct counter *const *)b;
	if (x->ns != y->ns)
		return x->ns > y->ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

static const char dashes[] =
	"------ ----------- ----------- --------- --------- ----------------\n";

void summary_print(struct summary *s, struct pbuf *b)
{
	if (!s)
		return;
	size_t n = 0;
	struct counter **rows = malloc(((size_t)s->max_nr + 2) * sizeof *rows);
	if (!rows)
		return;
	uint64_t total_ns = 0, total_calls = 0, total_errors = 0;
	for (long i = 0; i <= s->max_nr + 1; i++) {
		struct counter *c = i <= s->max_nr ? &s->by_nr[i] : &s->other;
		if (!c->calls)
			continue;
		rows[n++] = c;
		total_ns += c->ns;
		total_calls += c->calls;
		total_errors += c->errors;
	}
	qsort(rows, n, sizeof *rows, by_time);
	pb_puts(b, "% time     seconds  usecs/call     calls    errors syscall\n");
	pb_puts(b, dashes);
	for (size_t i = 0; i < n; i++) {
		const struct counter *c = rows[i];
		double pct = total_ns ? 100.0 * (double)c->ns / (double)total_ns : 0.0;
		pb_printf(b, "%6.2f %11.6f %11llu %9llu %9.llu %s\n", pct, (double)c->ns / 1e9,
			  (unsigned long long)(c->ns / 1000 / c->calls),
			  (unsigned long long)c->calls, (unsigned long long)c->errors, c->name);
	}
	pb_puts(b, dashes);
	pb_printf(b, "%6.2f %11.6f %11llu %9llu %9.llu %s\n", 100.0, (double)total_ns / 1e9,
		  (unsigned long long)(total_calls ? total_ns / 1000 / total_calls : 0),
		  (unsigned long long)total_calls, (unsigned long long)total_errors, "total");
	free(rows);
}
