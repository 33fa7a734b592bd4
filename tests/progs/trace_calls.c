/* tests/progs/trace_calls.c: a guest whose syscalls are fixed, so its trace
 * can be compared line by line with strace's. Usage: trace_calls DIR [MODE]
 * MODE "kill" ends by SIGTERM to itself, "fork" adds a child exiting 3. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *mode = argc > 2 ? argv[2] : "";
	char path[4096];
	snprintf(path, sizeof path, "%s/trace_calls.txt", argv[1]);
	static const char data[] = "line one\n\ttab\033[0m \001\0028\377 quote\" backslash\\ and a long tail beyond 32";
	char buf[256];

	syscall(SYS_openat, AT_FDCWD, "/nonexistent/trace_calls", O_RDONLY);
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	syscall(SYS_write, fd, data, sizeof data - 1);
	syscall(SYS_lseek, fd, 0, SEEK_SET);
	syscall(SYS_read, fd, buf, 5);
	syscall(SYS_read, fd, buf, sizeof buf);
	syscall(SYS_read, 999, buf, sizeof buf);
	struct stat st;
	syscall(SYS_fstat, fd, &st);
	syscall(SYS_newfstatat, AT_FDCWD, path, &st, 0);
	syscall(SYS_newfstatat, AT_FDCWD, "/dev/null", &st, 0);
	syscall(SYS_faccessat, AT_FDCWD, path, R_OK | W_OK);
#ifdef SYS_dup2
	syscall(SYS_dup2, fd, 10);
#else
	syscall(SYS_dup3, fd, 10, 0);
#endif
	syscall(SYS_fcntl, 10, F_GETFD);
	syscall(SYS_fcntl, 10, F_SETFD, FD_CLOEXEC);
	syscall(SYS_fcntl, 10, F_DUPFD_CLOEXEC, 20);
	syscall(SYS_close, 20);
	syscall(SYS_close, 10);
	syscall(SYS_close, fd);
	syscall(SYS_mkdirat, AT_FDCWD, argv[1], 0755);
	syscall(SYS_unlinkat, AT_FDCWD, path, 0);
	syscall(SYS_unlinkat, AT_FDCWD, path, 0);
	void *m = (void *)syscall(SYS_mmap, NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	syscall(SYS_mprotect, m, 4096, PROT_READ);
	syscall(SYS_munmap, m, 8192);
	syscall(SYS_kill, getpid(), 0);
	if (strcmp(mode, "fork") == 0) {
		pid_t child = fork();
		if (child == 0) {
			syscall(SYS_getppid);
			_exit(3);
		}
		int status;
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (strcmp(mode, "kill") == 0)
		kill(getpid(), SIGTERM);
	return 0;
}
