/* tests/unit/placement_parse.c: --cpu-placement's words and CPU lists
 * (tracer/placement.h): what each parses to, what is refused and why, the
 * list format of messages, and the defaults each backend resolves to. */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "tests/unit/check.h"
#include "tracer/placement.h"

static cpu_set_t allowed;
static int first_cpu = -1, last_cpu = -1;

static const char *formatted(const cpu_set_t *set)
{
	static char buf[256];
	cpu_placement_format(set, buf, sizeof buf);
	return buf;
}

static void check_list(const char *text, const char *want)
{
	struct cpu_placement p;
	char err[256] = "";
	int rc = cpu_placement_parse(text, &p, err, sizeof err);
	CHECK_EQ_INT(rc, 0, "'%s' parses (%s)", text, err);
	CHECK_EQ_INT(p.where, CPU_WHERE_LIST, "'%s' is a CPU list", text);
	CHECK_EQ_STR(formatted(&p.cpus), want, "'%s' is the CPUs %s", text, want);
}

static void check_refused(const char *text, const char *want_err)
{
	struct cpu_placement p;
	char err[256] = "";
	CHECK_EQ_INT(cpu_placement_parse(text, &p, err, sizeof err), -1, "'%s' is refused", text);
	CHECK_EQ_STR(err, want_err, "the reason '%s' is refused", text);
}

int main(void)
{
	sched_getaffinity(0, sizeof allowed, &allowed);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &allowed)) {
			if (first_cpu < 0)
				first_cpu = cpu;
			last_cpu = cpu;
		}

	static const struct {
		const char *word;
		enum cpu_where where;
	} words[] = {
		{ "auto", CPU_WHERE_AUTO }, { "any", CPU_WHERE_ANY }, { "sync", CPU_WHERE_SYNC },
		{ "same", CPU_WHERE_SAME },
	};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		struct cpu_placement p;
		char err[256] = "";
		CHECK_EQ_INT(cpu_placement_parse(words[i].word, &p, err, sizeof err), 0, "'%s' parses", words[i].word);
		CHECK_EQ_INT(p.where, words[i].where, "'%s' is its setting", words[i].word);
	}

	/* Lists of the CPUs this test may use. */
	char text[64], want[64];
	snprintf(text, sizeof text, "%d", first_cpu);
	check_list(text, text);
	snprintf(text, sizeof text, "%d,%d", last_cpu, first_cpu);
	if (first_cpu == last_cpu)
		snprintf(want, sizeof want, "%d", first_cpu);
	else if (last_cpu == first_cpu + 1)
		snprintf(want, sizeof want, "%d-%d", first_cpu, last_cpu);
	else
		snprintf(want, sizeof want, "%d,%d", first_cpu, last_cpu);
	check_list(text, want);
	snprintf(text, sizeof text, "%d-%d,%d", first_cpu, first_cpu, first_cpu);
	snprintf(want, sizeof want, "%d", first_cpu);
	check_list(text, want);
	snprintf(text, sizeof text, "%d-%d", first_cpu, last_cpu);
	cpu_set_t range;
	CPU_ZERO(&range);
	for (int cpu = first_cpu; cpu <= last_cpu; cpu++)
		CPU_SET(cpu, &range);
	CPU_AND(&range, &range, &allowed);
	if (CPU_EQUAL(&range, &allowed))
		check_list(text, formatted(&allowed));

	/* What is not a placement. */
	static const char *const bad[] = { "", "SAME", "same ", " 0", "0,", ",0", "0-", "-1", "1-0", "0--1", "0x1",
					   "1.5", "a,b", "99999", "1024" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char why[256];
		snprintf(why, sizeof why,
			 "unknown placement '%s' (auto, any, sync, same, or a CPU list such as 0 or 0,2-3)", bad[i]);
		check_refused(bad[i], why);
	}
	/* CPUs this process may not use: named, with those it may. */
	char may[256], outside_text[64];
	cpu_placement_format(&allowed, may, sizeof may);
	int outside = last_cpu + 1;
	snprintf(outside_text, sizeof outside_text, "%d,%d-%d", first_cpu, outside, outside + 1);
	char why[512];
	snprintf(why, sizeof why, "CPU %d-%d: not among the CPUs splitrun may run on (%s)", outside, outside + 1, may);
	if (outside + 1 < CPU_SETSIZE)
		check_refused(outside_text, why);

	/* The list format of messages. */
	cpu_set_t set;
	CPU_ZERO(&set);
	CHECK_EQ_STR(formatted(&set), "", "no CPU is an empty list");
	CPU_SET(0, &set);
	CPU_SET(1, &set);
	CPU_SET(2, &set);
	CPU_SET(5, &set);
	CPU_SET(7, &set);
	CPU_SET(8, &set);
	CPU_SET(CPU_SETSIZE - 1, &set);
	char expect[64];
	snprintf(expect, sizeof expect, "0-2,5,7-8,%d", CPU_SETSIZE - 1);
	CHECK_EQ_STR(formatted(&set), expect, "runs of CPUs are ranges");
	char tiny[6];
	cpu_placement_format(&set, tiny, sizeof tiny);
	CHECK_EQ_STR(tiny, "0-2,5", "a short buffer holds whole items only");

	/* The defaults (docs/performance.md, "CPU placement"), and the hint. */
	CHECK_EQ_INT(cpu_placement_resolve(CPU_WHERE_AUTO, true), CPU_WHERE_SYNC, "auto under unotify is sync");
	CHECK_EQ_INT(cpu_placement_resolve(CPU_WHERE_AUTO, false), CPU_WHERE_ANY, "auto under ptrace is any");
	CHECK_EQ_INT(cpu_placement_resolve(CPU_WHERE_SAME, false), CPU_WHERE_SAME, "a setting by name stays");
	CHECK(cpu_placement_sync_wake_up(CPU_WHERE_SYNC), "sync asks for synchronous wake-ups");
	CHECK(cpu_placement_sync_wake_up(CPU_WHERE_SAME), "same asks for them");
	CHECK(cpu_placement_sync_wake_up(CPU_WHERE_LIST), "a CPU list asks for them");
	CHECK(!cpu_placement_sync_wake_up(CPU_WHERE_ANY), "any does not");
	return check_done();
}
