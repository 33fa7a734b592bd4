/* tests/progs/escape.c: a guest that tries to get around splitrun's trap.
 *   io_uring              io_uring_setup(4, ...): the ring would let it do
 *                         file I/O the filter never sees
 *   kill-tracer FILE PIDFILE REPORT
 *                         maps REPORT (a local file) shared, where every
 *                         line it prints is kept too (without a call: a
 *                         guest without splitrun may find its writes fail),
 *                         reads FILE (remote under the test's policy), kills
 *                         splitrun with SIGKILL (its tracer, TracerPid of
 *                         /proc/self/status, under ptrace; its parent under
 *                         user notification, where there is no tracer;
 *                         only a process named splitrun), then reads FILE
 *                         again 50 times: were the calls now to run
 *                         locally, it would read this machine's FILE.
 *                         Writes its pid to PIDFILE first.
 *   nested-listener FILE  installs a seccomp filter of its own with a listener
 *                         (SECCOMP_FILTER_FLAG_NEW_LISTENER) that notifies
 *                         openat, answered by a thread of its own with
 *                         SECCOMP_USER_NOTIF_FLAG_CONTINUE: the most recent
 *                         listener takes precedence over splitrun's trap,
 *                         so were it installed, opening FILE would run on
 *                         this machine. Prints what seccomp(2) said, then
 *                         what reading FILE gave.
 * Prints one line per step with write(2), unbuffered, so that nothing is
 * lost when it is killed. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define REPORT_SIZE 65536
static char *report;        /* kill-tracer's shared map of REPORT */
static size_t report_used;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof line)
		n = sizeof line - 1;
	if (report && report_used + (size_t)n < REPORT_SIZE) {
		memcpy(report + report_used, line, (size_t)n);
		report_used += (size_t)n;
	}
	if (write(1, line, (size_t)n) < 0 && !report)
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

static long status_field(const char *fmt)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long pid = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, fmt, &pid) == 1)
			break;
	if (f)
		fclose(f);
	return pid;
}

/* splitrun's pid: the tracer, else the parent; 0 unless its name is
 * splitrun (nothing else is ever killed). */
static long splitrun_pid(void)
{
	long pid = status_field("TracerPid: %ld");
	if (pid <= 0)
		pid = (long)getppid();
	char path[64], comm[64] = "";
	snprintf(path, sizeof path, "/proc/%ld/comm", pid);
	FILE *f = fopen(path, "r");
	if (f) {
		if (!fgets(comm, sizeof comm, f))
			comm[0] = 0;
		fclose(f);
	}
	return strcmp(comm, "splitrun\n") == 0 ? pid : 0;
}

#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

static int listener = -1;
static pthread_mutex_t listener_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t listener_set = PTHREAD_COND_INITIALIZER;

/* Answers every notification of the guest's own listener with "run it". */
static void *continue_all(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&listener_lock);
	while (listener == -1)
		pthread_cond_wait(&listener_set, &listener_lock);
	int fd = listener;
	pthread_mutex_unlock(&listener_lock);
	for (;;) {
		struct seccomp_notif req;
		memset(&req, 0, sizeof req);
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		struct seccomp_notif_resp resp = { .id = req.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
		(void)ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}

static int nested_listener(const char *path)
{
#ifdef NATIVE_AUDIT_ARCH
	pthread_t answerer;
	if (pthread_create(&answerer, NULL, continue_all, NULL))
		return 2;
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof insns / sizeof insns[0], .filter = insns };
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	long fd = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (fd < 0) {
		say("seccomp listener: -1 %s\n", strerrorname_np(errno));
	} else {
		say("seccomp listener: installed\n");
		pthread_mutex_lock(&listener_lock);
		listener = (int)fd;
		pthread_cond_signal(&listener_set);
		pthread_mutex_unlock(&listener_lock);
	}
	read_first_line(path);
	return 0;
#else
	(void)path;
	say("seccomp listener: no test for this architecture\n");
	return 0;
#endif
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
	if (argc == 5 && !strcmp(argv[1], "kill-tracer")) {
		FILE *p = fopen(argv[3], "w");
		if (!p || fprintf(p, "%ld\n", (long)getpid()) < 0 || fclose(p))
			return 2;
		int fd = open(argv[4], O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || ftruncate(fd, REPORT_SIZE) < 0)
			return 2;
		report = mmap(NULL, REPORT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (report == MAP_FAILED)
			return 2;
		close(fd);
		read_first_line(argv[2]);
		long splitrun = splitrun_pid();
		say("killing splitrun %s\n", splitrun > 0 ? "(found)" : "(not found)");
		if (splitrun > 0)
			kill((pid_t)splitrun, SIGKILL);
		for (int k = 0; k < 50; k++) {
			read_first_line(argv[2]);
			struct timespec ts = { 0, 10 * 1000000 };
			nanosleep(&ts, NULL);
		}
		say("survived\n");
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "nested-listener"))
		return nested_listener(argv[2]);
	fprintf(stderr, "usage: escape io_uring | kill-tracer FILE PIDFILE REPORT | nested-listener FILE\n");
	return 2;
}
