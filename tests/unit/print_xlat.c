/* tests/unit/print_xlat.c: the generic flag/enum printer, string quoting and
 * cutting, the building blocks every decoder uses. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/unit/check.h"
#include "tracer/decode.h"
#include "tracer/xlat.h"

static struct pbuf b;

static const char *str(void)
{
	pb_putc(&b, 0);
	b.len = 0;
	return b.s;
}

int main(void)
{
	xlat_print_flags(&b, &xlat_prot, PROT_READ | PROT_WRITE);
	CHECK_EQ_STR(str(), "PROT_READ|PROT_WRITE", "flags");
	xlat_print_flags(&b, &xlat_prot, 0);
	CHECK_EQ_STR(str(), "PROT_NONE", "zero uses the table's zero name");
	xlat_print_flags(&b, &xlat_access_modes, R_OK | 0x100);
	CHECK_EQ_STR(str(), "R_OK|0x100", "unknown bits in hex");
	xlat_print_flags(&b, &xlat_fd_flags, 0);
	CHECK_EQ_STR(str(), "0", "zero without a name");
	xlat_print_enum(&b, &xlat_whence, SEEK_END, "SEEK_");
	CHECK_EQ_STR(str(), "SEEK_END", "enum");
	xlat_print_enum(&b, &xlat_whence, 77, "SEEK_");
	CHECK_EQ_STR(str(), "0x4d /* SEEK_??? */", "unknown enum like strace");
	print_open_flags(&b, O_RDONLY | O_CLOEXEC);
	CHECK_EQ_STR(str(), "O_RDONLY|O_CLOEXEC", "open flags");
	print_open_flags(&b, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_DIRECTORY);
	CHECK_EQ_STR(str(), "O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY", "open flags in strace's order");
	print_open_flags(&b, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_APPEND);
	CHECK_EQ_STR(str(), "O_WRONLY|O_CREAT|O_EXCL|O_TRUNC|O_APPEND", "creation flags");
	print_open_flags(&b, O_RDWR | xlat_kernel_o_largefile);
	CHECK_EQ_STR(str(), "O_RDWR|O_LARGEFILE", "the kernel's O_LARGEFILE");
	print_mode(&b, 0644);
	CHECK_EQ_STR(str(), "0644", "mode in octal");
	print_mode(&b, 0);
	CHECK_EQ_STR(str(), "000", "zero mode");
	xlat_print_signal(&b, SIGCHLD);
	CHECK_EQ_STR(str(), "SIGCHLD", "signal");
	xlat_print_signal(&b, 32);
	CHECK_EQ_STR(str(), "SIGRTMIN", "kernel SIGRTMIN");
	xlat_print_signal(&b, 35);
	CHECK_EQ_STR(str(), "SIGRT_3", "real-time signal");
	xlat_print_signal(&b, 99);
	CHECK_EQ_STR(str(), "99", "not a signal");
	CHECK_EQ_STR(xlat_errno_name(ENOENT), "ENOENT", "errno name");
	CHECK_EQ_STR(xlat_errno_name(EAGAIN), "EAGAIN", "EAGAIN, not EWOULDBLOCK");
	CHECK_EQ_STR(xlat_errno_name(512), "ERESTARTSYS", "kernel restart code");
	CHECK_EQ_STR(xlat_errno_text(512), "To be restarted if SA_RESTART is set", "its text");
	CHECK(xlat_errno_name(4000) == NULL, "unknown errno");

	const unsigned char s1[] = "hello\n\t\r\f\v\"\\";
	print_quoted(&b, s1, sizeof s1 - 1);
	CHECK_EQ_STR(str(), "\"hello\\n\\t\\r\\f\\v\\\"\\\\\"", "C escapes");
	const unsigned char s2[] = { 0, '1', 0, 'a', 033, '[', 0177, 0200, 0377, '7' };
	print_quoted(&b, s2, sizeof s2);
	CHECK_EQ_STR(str(), "\"\\0001\\0a\\33[\\177\\200\\3777\"", "octal, 3 digits before a digit");
	const unsigned char s3[] = { 1, '8' };
	print_quoted(&b, s3, sizeof s3);
	CHECK_EQ_STR(str(), "\"\\18\"", "8 is not an octal digit");

	static const char text[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	print_guest_buf(&b, getpid(), (uint64_t)(uintptr_t)text, 36, 32);
	CHECK_EQ_STR(str(), "\"0123456789abcdefghijklmnopqrstuv\"...", "cut at -s with ...");
	print_guest_buf(&b, getpid(), (uint64_t)(uintptr_t)text, 10, 32);
	CHECK_EQ_STR(str(), "\"0123456789\"", "shorter than -s");
	print_guest_buf(&b, getpid(), (uint64_t)(uintptr_t)text, 36, 0);
	CHECK_EQ_STR(str(), "\"\"...", "-s 0");
	print_guest_str(&b, getpid(), (uint64_t)(uintptr_t)text, 4);
	CHECK_EQ_STR(str(), "\"0123\"...", "string cut");
	print_guest_str(&b, getpid(), (uint64_t)(uintptr_t)text, 36);
	CHECK_EQ_STR(str(), "\"0123456789abcdefghijklmnopqrstuvwxyz\"", "string exactly at the limit");
	print_guest_str(&b, getpid(), (uint64_t)(uintptr_t)text, -1);
	CHECK_EQ_STR(str(), "\"0123456789abcdefghijklmnopqrstuvwxyz\"", "path: no limit");
	print_guest_str(&b, getpid(), 0, 32);
	CHECK_EQ_STR(str(), "NULL", "NULL pointer");
	print_guest_str(&b, getpid(), 8, 32);
	CHECK_EQ_STR(str(), "0x8", "unreadable pointer");

	print_wait_status(&b, 3 << 8);
	CHECK_EQ_STR(str(), "[{WIFEXITED(s) && WEXITSTATUS(s) == 3}]", "exit status");
	print_wait_status(&b, SIGKILL);
	CHECK_EQ_STR(str(), "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}]", "killed status");
	pb_free(&b);
	return check_done();
}
