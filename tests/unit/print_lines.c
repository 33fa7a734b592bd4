/* tests/unit/print_lines.c: whole trace lines from synthetic calls whose
 * pointer arguments point into this very process (guest_read works on our
 * own pid), compared with what strace 6.1 prints for the same call. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/check.h"
#include "tracer/trace.h"

static FILE *out;
static char text[65536];

static const char *output(void)
{
	fflush(out);
	long n = ftell(out);
	if (n < 0 || (size_t)n >= sizeof text)
		n = 0;
	ssize_t got = pread(fileno(out), text, (size_t)n, 0);
	text[got > 0 ? got : 0] = 0;
	rewind(out);
	if (ftruncate(fileno(out), 0) != 0)
		perror("ftruncate");
	return text;
}

static struct trace_call make(const char *name, int64_t ret, uint64_t a0, uint64_t a1, uint64_t a2,
			      uint64_t a3, uint64_t a4, uint64_t a5)
{
	struct trace_call c;
	memset(&c, 0, sizeof c);
	c.pid = getpid();
	c.nr = syscall_nr(name);
	c.desc = syscall_by_nr(c.nr);
	c.arg[0] = a0, c.arg[1] = a1, c.arg[2] = a2, c.arg[3] = a3, c.arg[4] = a4, c.arg[5] = a5;
	c.ret = ret;
	return c;
}

static const char *one(struct trace_printer *p, struct trace_call c)
{
	trace_enter(p, &c);
	trace_exit(p, &c);
	return output();
}

#define P(x) ((uint64_t)(uintptr_t)(x))

/* strace's layout: the call, then " = result" from column 40 on. */
static const char *line(const char *call, const char *result)
{
	static char buf[1024];
	snprintf(buf, sizeof buf, "%-39s = %s\n", call, result);
	return buf;
}

int main(void)
{
	out = tmpfile();
	struct trace_options opts = { .out = out, .string_limit = 32 };
	struct trace_printer *p = trace_printer_new(&opts);
	CHECK(p != NULL, "printer created");

	CHECK_EQ_STR(one(p, make("openat", 3, (uint64_t)AT_FDCWD, P("/etc/passwd"), O_RDONLY | O_CLOEXEC, 0, 0, 0)),
		     "openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC) = 3\n", "openat with flags");
	CHECK_EQ_STR(one(p, make("openat", -ENOENT, (uint64_t)AT_FDCWD, P("/nonexistent"), O_RDONLY, 0, 0, 0)),
		     "openat(AT_FDCWD, \"/nonexistent\", O_RDONLY) = -1 ENOENT (No such file or directory)\n",
		     "errno name and text");
	CHECK_EQ_STR(one(p, make("openat", 4, (uint64_t)AT_FDCWD, P("x"), O_WRONLY | O_CREAT | O_TRUNC, 0644, 0, 0)),
		     "openat(AT_FDCWD, \"x\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 4\n", "mode only with O_CREAT");
	CHECK_EQ_STR(one(p, make("close", 0, 3, 0, 0, 0, 0, 0)),
		     "close(3)                                = 0\n", "result aligned at column 40");

	static const char data[] = "root:x:0:0:root:/root:/bin/bash\nline two\n";
	CHECK_EQ_STR(one(p, make("read", 5, 3, P(data), 4096, 0, 0, 0)),
		     "read(3, \"root:\", 4096)                  = 5\n", "read prints what was returned");
	CHECK_EQ_STR(one(p, make("read", (int64_t)strlen(data), 3, P(data), 4096, 0, 0, 0)),
		     "read(3, \"root:x:0:0:root:/root:/bin/bash\\n\"..., 4096) = 41\n", "read cut at 32 with ...");
	char want[2048];
	char call[512];
	snprintf(call, sizeof call, "read(3, %p, 4096)", (void *)data);
	snprintf(want, sizeof want, "%s", line(call, "-1 EAGAIN (Resource temporarily unavailable)"));
	CHECK_EQ_STR(one(p, make("read", -EAGAIN, 3, P(data), 4096, 0, 0, 0)), want,
		     "failed read prints the buffer address");
	static const unsigned char bin[] = { '\t', '\n', 0x1b, 'c', 0x01, '8', 0x01, '7', 0xff, '"', '\\', 0 };
	CHECK_EQ_STR(one(p, make("write", 12, 1, P(bin), 12, 0, 0, 0)),
		     "write(1, \"\\t\\n\\33c\\18\\0017\\377\\\"\\\\\\0\", 12) = 12\n", "write escapes like strace");
	CHECK_EQ_STR(one(p, make("exit_group", 0, 0, 0, 0, 0, 0, 0)),
		     "exit_group(0)                           = ?\n", "exit_group never returns");

	struct stat st;
	stat("/", &st);
	snprintf(want, sizeof want, "newfstatat(AT_FDCWD, \"/\", {st_mode=S_IFDIR|%#03o, st_size=%lld, ...}, 0) = 0\n",
		 st.st_mode & 0777, (long long)st.st_size);
	CHECK_EQ_STR(one(p, make("newfstatat", 0, (uint64_t)AT_FDCWD, P("/"), P(&st), 0, 0, 0)), want,
		     "struct stat abbreviated");
	CHECK_EQ_STR(one(p, make("mmap", 0x7f0000001000, 0, 8192, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0)),
		     "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000001000\n",
		     "mmap flags and hex result");
	CHECK_EQ_STR(one(p, make("brk", 0x5555000, 0, 0, 0, 0, 0, 0)),
		     "brk(NULL)                               = 0x5555000\n", "brk NULL and hex");
	CHECK_EQ_STR(one(p, make("lseek", 0, 3, 0, SEEK_CUR, 0, 0, 0)),
		     "lseek(3, 0, SEEK_CUR)                   = 0\n", "whence");
	CHECK_EQ_STR(one(p, make("access", -ENOENT, P("/etc/ld.so.preload"), R_OK, 0, 0, 0, 0)),
		     "access(\"/etc/ld.so.preload\", R_OK)      = -1 ENOENT (No such file or directory)\n", "access mode");
	CHECK_EQ_STR(one(p, make("kill", 0, 123, SIGTERM, 0, 0, 0, 0)),
		     "kill(123, SIGTERM)                      = 0\n", "signal names");
	CHECK_EQ_STR(one(p, make("fcntl", 1, 3, F_GETFD, 0, 0, 0, 0)),
		     "fcntl(3, F_GETFD)                       = 0x1 (flags FD_CLOEXEC)\n", "fcntl F_GETFD result");
	CHECK_EQ_STR(one(p, make("fcntl", 0, 3, F_SETFD, FD_CLOEXEC, 0, 0, 0)),
		     "fcntl(3, F_SETFD, FD_CLOEXEC)           = 0\n", "fcntl F_SETFD");
	CHECK_EQ_STR(one(p, make("clone", 4686, CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD, 0, 0,
				  0x7f969e4e8a10, 0x7f969e4e8a10, 0)),
		     "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f969e4e8a10) = 4686\n",
		     "clone named arguments");
	int status = 0 << 8;
	CHECK_EQ_STR(one(p, make("wait4", 4687, (uint64_t)-1, P(&status), 0, 0, 0, 0)),
		     "wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 4687\n", "wait4 status");
	snprintf(call, sizeof call, "wait4(-1, %p, 0, NULL)", (void *)&status);
	snprintf(want, sizeof want, "%s", line(call, "? ERESTARTSYS (To be restarted if SA_RESTART is set)"));
	CHECK_EQ_STR(one(p, make("wait4", -512, (uint64_t)-1, P(&status), 0, 0, 0, 0)), want,
		     "restart codes print ?");

	const char *argv[] = { "ls", "-l", NULL };
	const char *envp[] = { "A=1", "B=2", "C=3", NULL };
	snprintf(want, sizeof want, "execve(\"/bin/ls\", [\"ls\", \"-l\"], %p /* 3 vars */) = 0\n", (void *)envp);
	CHECK_EQ_STR(one(p, make("execve", 0, P("/bin/ls"), P(argv), P(envp), 0, 0, 0)), want, "execve arrays");

	int pipefd[2] = { 3, 4 };
	CHECK_EQ_STR(one(p, make("pipe2", 0, P(pipefd), O_CLOEXEC, 0, 0, 0, 0)),
		     line("pipe2([3, 4], O_CLOEXEC)", "0"), "pipe2 fd pair at exit");
	struct pollfd pfd[2] = { { 3, POLLIN, POLLIN }, { 5, POLLOUT, 0 } };
	CHECK_EQ_STR(one(p, make("poll", 1, P(pfd), 2, 1000, 0, 0, 0)),
		     "poll([{fd=3, events=POLLIN}, {fd=5, events=POLLOUT}], 2, 1000) = 1 ([{fd=3, revents=POLLIN}])\n",
		     "poll and its result");
	CHECK_EQ_STR(one(p, make("poll", 0, P(pfd), 1, 0, 0, 0, 0)),
		     line("poll([{fd=3, events=POLLIN}], 1, 0)", "0 (Timeout)"), "poll timeout");
	struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = "/run/x.sock" };
	CHECK_EQ_STR(one(p, make("connect", -ENOENT, 3, P(&sun), sizeof sun, 0, 0, 0)),
		     "connect(3, {sa_family=AF_UNIX, sun_path=\"/run/x.sock\"}, 110) = -1 ENOENT (No such file or directory)\n",
		     "AF_UNIX sockaddr");
	CHECK_EQ_STR(one(p, make("socket", 3, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP, 0, 0, 0)),
		     line("socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP)", "3"), "socket");
	uint64_t set = 1ull << (SIGCHLD - 1);
	CHECK_EQ_STR(one(p, make("rt_sigprocmask", 0, SIG_BLOCK, P(&set), 0, 8, 0, 0)),
		     line("rt_sigprocmask(SIG_BLOCK, [CHLD], NULL, 8)", "0"), "sigset");
	uint64_t most = ~(uint64_t)0 & ~(3ull << 31); /* signal N is bit N-1 */
	CHECK_EQ_STR(one(p, make("rt_sigprocmask", 0, SIG_SETMASK, P(&most), 0, 8, 0, 0)),
		     line("rt_sigprocmask(SIG_SETMASK, ~[RTMIN RT_1], NULL, 8)", "0"), "inverted sigset");

	/* A call with no semantics row prints raw hex and never crashes. */
	struct trace_call unknown = make("openat", 0, 0x1, 0xdeadbeef, 0, 0, 0, 0);
	static struct syscall_desc raw = { "mystery", 6, 0, { AK_HEX, AK_HEX, AK_HEX, AK_HEX, AK_HEX, AK_HEX } };
	unknown.desc = &raw;
	unknown.nr = 100000;
	CHECK_EQ_STR(one(p, unknown), line("mystery(0x1, 0xdeadbeef, 0, 0, 0, 0)", "0"), "unknown call in hex");
	/* Bad pointers print as addresses. */
	CHECK_EQ_STR(one(p, make("openat", -EFAULT, (uint64_t)AT_FDCWD, 0x10, O_RDONLY, 0, 0, 0)),
		     "openat(AT_FDCWD, 0x10, O_RDONLY)        = -1 EFAULT (Bad address)\n", "unreadable path");

	/* Signals and exits. */
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = SIGCHLD;
	si.si_code = CLD_EXITED;
	si.si_pid = 4694;
	si.si_status = 0;
	trace_signal(p, getpid(), &si);
	CHECK_EQ_STR(output(),
		     "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=4694, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---\n",
		     "SIGCHLD siginfo");
	memset(&si, 0, sizeof si);
	si.si_signo = SIGTERM;
	si.si_code = SI_USER;
	si.si_pid = 4759;
	trace_signal(p, getpid(), &si);
	CHECK_EQ_STR(output(), "--- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=4759, si_uid=0} ---\n",
		     "SI_USER siginfo");
	trace_process_exit(p, getpid(), 0);
	CHECK_EQ_STR(output(), "+++ exited with 0 +++\n", "exit status");
	trace_process_exit(p, 1234, SIGTERM);
	CHECK_EQ_STR(output(), "+++ killed by SIGTERM +++\n", "killed by a signal");
	trace_printer_free(p);

	/* -s 5 */
	opts.string_limit = 5;
	p = trace_printer_new(&opts);
	CHECK_EQ_STR(one(p, make("write", 42, 1, P(data), 42, 0, 0, 0)),
		     "write(1, \"root:\"..., 42)                = 42\n", "-s 5 cuts buffers");
	CHECK_EQ_STR(one(p, make("openat", 3, (uint64_t)AT_FDCWD, P("/etc/passwd"), O_RDONLY, 0, 0, 0)),
		     "openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY) = 3\n", "-s does not cut paths");
	trace_printer_free(p);

	/* -f to a file: every line starts with the pid; two threads interleave. */
	opts.string_limit = 32;
	opts.follow_forks = true;
	p = trace_printer_new(&opts);
	struct trace_call a = make("read", 5, 0, P(data), 4096, 0, 0, 0);
	struct trace_call b = make("close", 0, 4, 0, 0, 0, 0, 0);
	b.pid = getppid();
	trace_process_new(p, a.pid);
	trace_process_new(p, b.pid);
	trace_enter(p, &a);
	trace_enter(p, &b);
	trace_exit(p, &b);
	trace_exit(p, &a);
	char a_pfx[16], b_pfx[16], expect[4096];
	snprintf(a_pfx, sizeof a_pfx, "%-5d ", (int)a.pid);
	snprintf(b_pfx, sizeof b_pfx, "%-5d ", (int)b.pid);
	snprintf(call, sizeof call, "%sclose(4)", b_pfx);
	snprintf(expect, sizeof expect, "%sread(0,  <unfinished ...>\n%s", a_pfx, line(call, "0"));
	snprintf(call, sizeof call, "%s<... read resumed>\"root:\", 4096)", a_pfx);
	snprintf(expect + strlen(expect), sizeof expect - strlen(expect), "%s", line(call, "5"));
	CHECK_EQ_STR(output(), expect, "unfinished and resumed, pid column with -o");

	/* A thread killed in the middle of a call: "= ?" then the exit line. */
	struct trace_call r2 = make("read", 0, 0, P(data), 10, 0, 0, 0);
	trace_enter(p, &r2);
	trace_process_exit(p, r2.pid, SIGKILL);
	snprintf(call, sizeof call, "%sread(0,  <unfinished ...>)", a_pfx);
	snprintf(expect, sizeof expect, "%s", line(call, "?"));
	snprintf(expect + strlen(expect), sizeof expect - strlen(expect), "%s+++ killed by SIGKILL +++\n", a_pfx);
	CHECK_EQ_STR(output(), expect, "killed during a call");
	trace_printer_free(p);

	/* -f to stderr: "[pid N] " only while two processes are traced. */
	FILE *err_file = tmpfile();
	int saved_stderr = dup(2);
	fflush(stderr);
	dup2(fileno(err_file), 2);
	opts.out = stderr;
	p = trace_printer_new(&opts);
	struct trace_call c1 = make("close", 0, 5, 0, 0, 0, 0, 0);
	struct trace_call c2 = make("close", 0, 6, 0, 0, 0, 0, 0);
	c2.pid = getppid();
	trace_process_new(p, c1.pid);
	trace_enter(p, &c1);
	trace_exit(p, &c1);
	trace_process_new(p, c2.pid);
	trace_enter(p, &c2);
	trace_exit(p, &c2);
	trace_process_exit(p, c2.pid, 0);
	trace_enter(p, &c1);
	trace_exit(p, &c1);
	trace_finish(p);
	trace_printer_free(p);
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	opts.out = out;
	FILE *keep = out;
	out = err_file;
	snprintf(call, sizeof call, "[pid %5d] close(6)", (int)c2.pid);
	snprintf(expect, sizeof expect, "%s", line("close(5)", "0"));
	snprintf(expect + strlen(expect), sizeof expect - strlen(expect), "%s", line(call, "0"));
	snprintf(expect + strlen(expect), sizeof expect - strlen(expect), "[pid %5d] +++ exited with 0 +++\n%s",
		 (int)c2.pid, line("close(5)", "0"));
	fseek(err_file, 0, SEEK_END);
	CHECK_EQ_STR(output(), expect, "[pid N] prefixes on stderr only with two processes");
	out = keep;
	fclose(err_file);

	/* -y */
	opts.follow_forks = false;
	opts.fd_paths = true;
	p = trace_printer_new(&opts);
	int fd = open("/dev/null", O_RDONLY);
	snprintf(call, sizeof call, "close(%d</dev/null>)", fd);
	snprintf(want, sizeof want, "%s", line(call, "0"));
	CHECK_EQ_STR(one(p, make("close", 0, (uint64_t)fd, 0, 0, 0, 0, 0)), want, "-y prints fd paths");
	close(fd);
	char cwd[160];
	if (!getcwd(cwd, sizeof cwd))
		cwd[0] = 0;
	snprintf(call, sizeof call, "openat(AT_FDCWD<%s>, \"/nonexistent\", O_RDONLY)", cwd);
	snprintf(want, sizeof want, "%s", line(call, "-1 ENOENT (No such file or directory)"));
	CHECK_EQ_STR(one(p, make("openat", -ENOENT, (uint64_t)AT_FDCWD, P("/nonexistent"), O_RDONLY, 0, 0, 0)),
		     want, "-y shows the working directory for AT_FDCWD");
	trace_printer_free(p);
	fclose(out);
	return check_done();
}
