/* tests/unit/print_summary.c: the -c table, byte for byte in strace's format
 * (columns, dashes, order by time then name, errors blank when zero, total). */
#include <errno.h>
#include <unistd.h>

#include "tests/unit/check.h"
#include "tracer/trace.h"

static void call(struct trace_printer *p, const char *name, long usec, int64_t ret)
{
	struct trace_call c;
	memset(&c, 0, sizeof c);
	c.pid = getpid();
	c.nr = syscall_nr(name);
	c.desc = syscall_by_nr(c.nr);
	c.ret = ret;
	c.t_enter.tv_sec = 100;
	c.t_enter.tv_nsec = 999999000;
	c.t_exit.tv_sec = 100 + (999999000 + usec * 1000) / 1000000000;
	c.t_exit.tv_nsec = (999999000 + usec * 1000) % 1000000000;
	trace_enter(p, &c);
	trace_exit(p, &c);
}

int main(void)
{
	FILE *out = tmpfile();
	struct trace_options opts = { .out = out, .string_limit = 32, .summary_only = true };
	struct trace_printer *p = trace_printer_new(&opts);
	call(p, "execve", 526, 0);
	for (int i = 0; i < 8; i++)
		call(p, "mmap", i < 2 ? 19 : 18, 0x7f0000000000);
	call(p, "access", 21, -ENOENT);
	call(p, "close", 20, 0);
	call(p, "close", 20, -EBADF);
	call(p, "brk", 16, 0x555000);
	call(p, "read", 16, 5);
	trace_finish(p);
	fflush(out);
	char text[4096];
	long n = ftell(out);
	ssize_t got = pread(fileno(out), text, (size_t)n, 0);
	text[got > 0 ? got : 0] = 0;
	const char *want =
		"% time     seconds  usecs/call     calls    errors syscall\n"
		"------ ----------- ----------- --------- --------- ----------------\n"
		" 68.76    0.000526         526         1           execve\n"
		" 19.08    0.000146          18         8           mmap\n"
		"  5.23    0.000040          20         2         1 close\n"
		"  2.75    0.000021          21         1         1 access\n"
		"  2.09    0.000016          16         1           brk\n"
		"  2.09    0.000016          16         1           read\n"
		"------ ----------- ----------- --------- --------- ----------------\n"
		"100.00    0.000765          54        14         2 total\n";
	CHECK_EQ_STR(text, want, "summary table");
	CHECK(strstr(text, "execve(") == NULL, "-c prints no per-call lines");
	trace_printer_free(p);
	fclose(out);
	return check_done();
}
