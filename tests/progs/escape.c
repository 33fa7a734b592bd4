/* tests/progs/escape.c: a guest that tries to get around splitrun's trap.
 *   io_uring              io_uring_setup(4, ...): the ring would let it do
 *                         file I/O the filter never sees
 *   kill-tracer FILE PIDFILE
 *                         reads FILE (remote under the test's policy), kills
 *                         its tracer (TracerPid of /proc/self/status) with
 *                         SIGKILL, then reads FILE again 50 times: were the
 *                         calls now to run locally, it would read this
 *                         machine's FILE. Writes its pid to PIDFILE first.
 * Prints one line per step with write(2), unbuffered, so that nothing is
 * lost when it is killed. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > 0 && write(1, line, (size_t)n) < 0)
		_exit(3);
}

static void read_first_line(const char *path)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		say("open %s: %s\n", path, strerrorname_np(errno));
		return;
	}
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) {
		say("read %s: %s\n", path, strerrorname_np(errno));
		return;
	}
	buf[n] = 0;
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	say("read %s: %s\n", path, buf);
}

static long tracer_pid(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long pid = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "TracerPid: %ld", &pid) == 1)
			break;
	if (f)
		fclose(f);
	return pid;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "io_uring")) {
#ifdef __NR_io_uring_setup
		char params[120] = { 0 };   /* struct io_uring_params */
		long r = syscall(__NR_io_uring_setup, 4, params);
		say("io_uring_setup: %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "(a ring)");
#else
		say("io_uring_setup: no such call here\n");
#endif
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "kill-tracer")) {
		FILE *p = fopen(argv[3], "w");
		if (!p || fprintf(p, "%ld\n", (long)getpid()) < 0 || fclose(p))
			return 2;
		read_first_line(argv[2]);
		long tracer = tracer_pid();
		say("killing tracer %ld\n", tracer > 0 ? 1L : 0L);
		if (tracer > 0)
			kill((pid_t)tracer, SIGKILL);
		for (int k = 0; k < 50; k++) {
			read_first_line(argv[2]);
			struct timespec ts = { 0, 10 * 1000000 };
			nanosleep(&ts, NULL);
		}
		say("survived\n");
		return 0;
	}
	fprintf(stderr, "usage: escape io_uring | kill-tracer FILE PIDFILE\n");
	return 2;
}
