/* tracer/guestmem.c: implements tracer/guestmem.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tracer/guestmem.h"

#define GUEST_PAGE 4096u

static ssize_t proc_mem_io(pid_t pid, uint64_t addr, void *buf, size_t len, bool write)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
	int fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t done = 0;
	while (done < len) {
		ssize_t n = write ? pwrite(fd, (const char *)buf + done, len - done, (off_t)(addr + done))
				  : pread(fd, (char *)buf + done, len - done, (off_t)(addr + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	int saved = errno;
	close(fd);
	if (done == 0 && len > 0) {
		errno = saved ? saved : EFAULT;
		return -1;
	}
	return (ssize_t)done;
}

static bool vm_io_unusable(int err)
{
	return err == ENOSYS || err == EPERM;
}

ssize_t guest_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	if (len == 0)
		return 0;
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n < 0 && vm_io_unusable(errno))
		return proc_mem_io(pid, addr, buf, len, false);
	return n;
}

ssize_t guest_write(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	if (len == 0)
		return 0;
	struct iovec local = { .iov_base = (void *)buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n = process_vm_writev(pid, &local, 1, &remote, 1, 0);
	/* Read-only pages (text, relro, a string literal) can only be
	 * written through /proc: from the first page that refused. */
	if (n < 0 && (vm_io_unusable(errno) || errno == EFAULT))
		return proc_mem_io(pid, addr, (void *)buf, len, true);
	if (n >= 0 && (size_t)n < len) {
		ssize_t rest = proc_mem_io(pid, addr + (uint64_t)n, (char *)buf + n, len - (size_t)n, true);
		if (rest > 0)
			n += rest;
	}
	return n;
}

ssize_t guest_read_str(pid_t pid, uint64_t addr, char *buf, size_t max)
{
	if (max == 0) {
		errno = EINVAL;
		return -1;
	}
	size_t got = 0;
	/* Chunks never cross a page boundary, so a string that ends just
	 * before an unmapped page is still read whole. */
	while (got < max - 1) {
		size_t to_page_end = GUEST_PAGE - (size_t)((addr + got) % GUEST_PAGE);
		size_t want = max - 1 - got;
		if (want > to_page_end)
			want = to_page_end;
		ssize_t n = guest_read(pid, addr + got, buf + got, want);
		if (n <= 0) {
			if (got == 0)
				return -1;
			break;
		}
		char *nul = memchr(buf + got, '\0', (size_t)n);
		if (nul)
			return nul - buf;
		got += (size_t)n;
		if ((size_t)n < want)
			break;
	}
	buf[got] = '\0';
	return got == max - 1 ? (ssize_t)max : (ssize_t)got;
}
