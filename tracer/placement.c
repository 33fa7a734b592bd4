/* tracer/placement.c: --cpu-placement (tracer/placement.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/placement.h"

/* The CPUs splitrun may run on now (its affinity, inherited or set by
 * taskset or a cpuset). */
static int allowed_cpus(cpu_set_t *set)
{
	CPU_ZERO(set);
	return sched_getaffinity(0, sizeof *set, set);
}

void cpu_placement_format(const cpu_set_t *set, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = 0;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, set))
			continue;
		int last = cpu;
		while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, set))
			last++;
		int n = last == cpu ? snprintf(buf + used, len - used, "%s%d", used ? "," : "", cpu)
				    : snprintf(buf + used, len - used, "%s%d-%d", used ? "," : "", cpu, last);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
		cpu = last;
	}
}

/* A number 0..CPU_SETSIZE-1 at *P (decimal digits only); advances *P. */
static bool cpu_number(const char **p, int *cpu)
{
	const char *s = *p;
	if (*s < '0' || *s > '9')
		return false;
	long n = 0;
	while (*s >= '0' && *s <= '9') {
		n = n * 10 + (*s++ - '0');
		if (n >= CPU_SETSIZE)
			return false;
	}
	*p = s;
	*cpu = (int)n;
	return true;
}

/* "N", "N-M", joined by commas, as taskset -c and cpuset(7) write them. */
static bool parse_list(const char *text, cpu_set_t *set)
{
	CPU_ZERO(set);
	const char *p = text;
	for (;;) {
		int first, last;
		if (!cpu_number(&p, &first))
			return false;
		last = first;
		if (*p == '-') {
			p++;
			if (!cpu_number(&p, &last) || last < first)
				return false;
		}
		for (int cpu = first; cpu <= last; cpu++)
			CPU_SET(cpu, set);
		if (*p == 0)
			return true;
		if (*p++ != ',')
			return false;
	}
}

int cpu_placement_parse(const char *text, struct cpu_placement *out, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		enum cpu_where where;
	} names[] = {
		{ "auto", CPU_WHERE_AUTO }, { "any", CPU_WHERE_ANY }, { "sync", CPU_WHERE_SYNC },
		{ "same", CPU_WHERE_SAME },
	};
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(text, names[i].name) == 0) {
			out->where = names[i].where;
			return 0;
		}
	if (!parse_list(text, &out->cpus)) {
		snprintf(err, errlen, "unknown placement '%s' (auto, any, sync, same, or a CPU list such as 0 or 0,2-3)",
			 text);
		return -1;
	}
	cpu_set_t allowed;
	if (allowed_cpus(&allowed) == 0) {
		cpu_set_t outside;
		CPU_XOR(&outside, &out->cpus, &allowed);
		CPU_AND(&outside, &outside, &out->cpus);
		if (CPU_COUNT(&outside)) {
			char listed[256], may[256];
			cpu_placement_format(&outside, listed, sizeof listed);
			cpu_placement_format(&allowed, may, sizeof may);
			snprintf(err, errlen, "CPU %s: not among the CPUs splitrun may run on (%s)", listed, may);
			return -1;
		}
	}
	out->where = CPU_WHERE_LIST;
	return 0;
}

enum cpu_where cpu_placement_resolve(enum cpu_where where, bool unotify)
{
	if (where != CPU_WHERE_AUTO)
		return where;
	/* docs/performance.md, "CPU placement", has the figures. */
	return unotify ? CPU_WHERE_SYNC : CPU_WHERE_ANY;
}

bool cpu_placement_sync_wake_up(enum cpu_where where)
{
	/* Pinned to one CPU the hint changes nothing; to a list of CPUs it
	 * keeps each hand-off on one of them. */
	return where == CPU_WHERE_SYNC || where == CPU_WHERE_SAME || where == CPU_WHERE_LIST;
}

int cpu_placement_pin(const struct cpu_placement *p, enum cpu_where resolved)
{
	cpu_set_t set;
	const char *what = resolved == CPU_WHERE_SAME ? "same" : "a CPU list";
	switch (resolved) {
	case CPU_WHERE_SAME: {
		int cpu = sched_getcpu();
		if (cpu < 0) {
			fprintf(stderr, "splitrun: --cpu-placement=same: sched_getcpu: %s\n", strerror(errno));
			return -1;
		}
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		break;
	}
	case CPU_WHERE_LIST:
		set = p->cpus;
		break;
	default:
		return 0;
	}
	if (sched_setaffinity(0, sizeof set, &set) < 0) {
		fprintf(stderr, "splitrun: --cpu-placement=%s: sched_setaffinity: %s\n", what, strerror(errno));
		return -1;
	}
	return 0;
}
