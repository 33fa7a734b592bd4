/* tests/unit/select_parse.c: -e expressions, their classes and their errors. */
#include <stdlib.h>

#include "tests/unit/check.h"
#include "tracer/trace.h"

static bool *sel;
static long max;
static char err[256];

static int parse(const char *expr)
{
	for (long i = 0; i <= max; i++)
		sel[i] = true;
	err[0] = 0;
	return trace_select_parse(expr, sel, err, sizeof err);
}

static bool on(const char *name)
{
	long nr = syscall_nr(name);
	return nr >= 0 && sel[nr];
}

static long count(void)
{
	long n = 0;
	for (long i = 0; i <= max; i++)
		n += sel[i];
	return n;
}

int main(void)
{
	max = syscall_max_nr();
	sel = calloc((size_t)max + 1, sizeof *sel);

	CHECK_EQ_INT(parse("trace=openat,read"), 0, "a list parses");
	CHECK(on("openat") && on("read"), "listed calls are selected");
	CHECK_EQ_INT(count(), 2, "and nothing else");
	CHECK_EQ_INT(parse("openat"), 0, "bare name");
	CHECK(on("openat") && count() == 1, "bare name selects one call");
	CHECK_EQ_INT(parse("t=close"), 0, "t= abbreviation");
	CHECK(on("close") && count() == 1, "t=close");

	CHECK_EQ_INT(parse("trace=!write"), 0, "negation parses");
	CHECK(!on("write") && on("read") && on("openat"), "negation selects all but write");
	CHECK_EQ_INT(count(), max, "all but one");

	CHECK_EQ_INT(parse("trace=all"), 0, "all");
	CHECK_EQ_INT(count(), max + 1, "all selects every number");
	CHECK_EQ_INT(parse("trace=none"), 0, "none");
	CHECK_EQ_INT(count(), 0, "none selects nothing");

	CHECK_EQ_INT(parse("trace=%file"), 0, "%%file");
	CHECK(on("openat") && on("execve") && on("newfstatat") && on("unlinkat") && on("readlinkat"),
	      "%%file has the path calls");
	CHECK(!on("read") && !on("close") && !on("mmap"), "%%file has no fd-only calls");
	CHECK_EQ_INT(parse("trace=%desc"), 0, "%%desc");
	CHECK(on("read") && on("close") && on("openat") && on("mmap") && on("fcntl"), "%%desc calls");
	CHECK(!on("execve") && !on("getpid"), "%%desc excludes non-fd calls");
	CHECK_EQ_INT(parse("trace=%process"), 0, "%%process");
	CHECK(on("clone") && on("execve") && on("wait4") && on("exit_group") && on("kill"), "%%process calls");
	CHECK(!on("getpid") && !on("arch_prctl") && !on("read"), "%%process excludes getpid, like strace");
	CHECK_EQ_INT(parse("%memory"), 0, "%%memory without trace=");
	CHECK(on("mmap") && on("munmap") && on("brk") && on("mprotect") && !on("read"), "%%memory calls");
	CHECK_EQ_INT(parse("trace=%network"), 0, "%%network");
	CHECK(on("socket") && on("connect") && !on("read"), "%%network calls");
	CHECK_EQ_INT(parse("trace=%signal"), 0, "%%signal");
	CHECK(on("rt_sigaction") && on("kill") && !on("read"), "%%signal calls");
	CHECK_EQ_INT(parse("trace=%%stat"), 0, "%%%%stat");
	CHECK(on("newfstatat") && on("statx") && !on("openat"), "%%%%stat calls");
	CHECK_EQ_INT(parse("trace=%creds"), 0, "%%creds");
	CHECK(on("getuid") && on("setresuid") && !on("getpid"), "%%creds calls");
	CHECK_EQ_INT(parse("trace=%clock"), 0, "%%clock");
	CHECK(on("clock_gettime") && !on("nanosleep"), "%%clock calls");
	CHECK_EQ_INT(parse("trace=file"), 0, "legacy class name without %%");
	CHECK(on("openat") && !on("read"), "file == %%file");
	CHECK_EQ_INT(parse("trace=!%file,%desc"), 0, "negated classes");
	CHECK(!on("openat") && !on("read") && on("getpid"), "negation applies to the whole set");
	CHECK_EQ_INT(parse("trace=/^get.*id$"), 0, "regex");
	CHECK(on("getpid") && on("getuid") && !on("read"), "regex matches names");
	CHECK_EQ_INT(parse("trace=?nosuchcall,read"), 0, "?name tolerates unknown names");
	CHECK(on("read") && count() == 1, "?name adds nothing");

	CHECK_EQ_INT(parse("trace=read,nosuchcall"), -1, "unknown name is an error");
	CHECK(strstr(err, "nosuchcall") != NULL, "the error names the word: %s", err);
	CHECK(on("read") && count() == max + 1, "a failed parse leaves the selection alone");
	CHECK_EQ_INT(parse("trace=%nosuchclass"), -1, "unknown class is an error");
	CHECK(strstr(err, "%nosuchclass") != NULL, "the error names the class: %s", err);
	CHECK_EQ_INT(parse("trace="), -1, "empty list is an error");
	CHECK(err[0] != 0, "with a message: %s", err);
	CHECK_EQ_INT(parse("signal=SIGCHLD"), -1, "other qualifiers are refused");
	CHECK(strstr(err, "signal") != NULL, "naming the qualifier: %s", err);
	CHECK_EQ_INT(parse("trace=/[unclosed"), -1, "a bad regex is an error");
	free(sel);
	return check_done();
}
