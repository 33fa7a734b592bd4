/* tracer/decode_calls.c: decoders of the calls whose arguments the generic
 * kind printer cannot render alone, grouped by family like strace's. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/sysinfo.h>
#include <poll.h>
#include <sys/select.h>
#include <sys/utsname.h>
#include <sys/un.h>

#include "tracer/decode.h"
#include "tracer/guestmem.h"
#include "tracer/xlat.h"

#define ARG(i) (ctx->call->arg[i])
#define PID (ctx->call->pid)
#define B (ctx->b)

static bool read_obj(const struct decode_ctx *ctx, uint64_t addr, void *obj, size_t len)
{
	return addr && guest_read(ctx->call->pid, addr, obj, len) == (ssize_t)len;
}

static void print_timespec(struct decode_ctx *ctx, uint64_t addr);
static void print_sigset(struct decode_ctx *ctx, uint64_t addr, uint64_t size);

static void print_sigset_arg(struct decode_ctx *ctx, uint64_t addr, uint64_t size)
{
	print_sigset(ctx, addr, size);
}

/* ---- open family ---- */

static bool open_wants_mode(uint64_t flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

static int nargs_open(const struct trace_call *call)
{
	return open_wants_mode(call->arg[1]) ? 3 : 2;
}

static int nargs_openat(const struct trace_call *call)
{
	return open_wants_mode(call->arg[2]) ? 4 : 3;
}

static bool print_openat2(struct decode_ctx *ctx, int i)
{
	if (i != 2)
		return false;
	struct open_how how;
	if (ARG(3) < sizeof how || !read_obj(ctx, ARG(2), &how, sizeof how)) {
		print_ptr(B, ARG(2));
		return true;
	}
	pb_puts(B, "{flags=");
	print_open_flags(B, how.flags);
	if (open_wants_mode(how.flags)) {
		pb_puts(B, ", mode=");
		print_mode(B, how.mode);
	}
	pb_puts(B, ", resolve=");
	xlat_print_flags(B, &xlat_resolve_flags, how.resolve);
	pb_putc(B, '}');
	return true;
}

/* ---- stat family ---- */

static void print_file_mode(struct pbuf *b, uint64_t mode)
{
	const char *type = xlat_name(&xlat_file_types, mode & S_IFMT);
	if (type) {
		pb_puts(b, type);
		pb_putc(b, '|');
	}
	if (mode & S_ISUID)
		pb_puts(b, "S_ISUID|");
	if (mode & S_ISGID)
		pb_puts(b, "S_ISGID|");
	if (mode & S_ISVTX)
		pb_puts(b, "S_ISVTX|");
	print_mode(b, mode & 0777);
}

static void print_stat(struct decode_ctx *ctx, uint64_t addr)
{
	struct stat st;
	if (ctx->call->ret < 0 || !read_obj(ctx, addr, &st, sizeof st)) {
		print_ptr(B, addr);
		return;
	}
	pb_puts(B, "{st_mode=");
	print_file_mode(B, st.st_mode);
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		pb_printf(B, ", st_rdev=makedev(%#x, %#x)", major(st.st_rdev), minor(st.st_rdev));
	else
		pb_printf(B, ", st_size=%lld", (long long)st.st_size);
	pb_puts(B, ", ...}");
}

static bool print_stat_arg(struct decode_ctx *ctx, int i)
{
	if (ctx->call->desc->arg[i] != AK_STRUCT_OUT)
		return false;
	print_stat(ctx, ARG(i));
	return true;
}

static bool print_statx_arg(struct decode_ctx *ctx, int i)
{
	if (i == 2) {
		uint64_t flags = ARG(2);
		uint64_t sync = flags & AT_STATX_SYNC_TYPE;
		flags &= ~(uint64_t)AT_STATX_SYNC_TYPE;
		if (sync == AT_STATX_SYNC_AS_STAT)
			pb_puts(B, "AT_STATX_SYNC_AS_STAT");
		else
			xlat_print_flags(B, &xlat_at_flags, sync);
		if (flags) {
			pb_putc(B, '|');
			xlat_print_flags(B, &xlat_at_flags, flags);
		}
		return true;
	}
	if (i == 3) {
		xlat_print_flags(B, &xlat_statx_mask, (uint32_t)ARG(3));
		return true;
	}
	if (i == 4) {
		struct statx stx;
		if (ctx->call->ret < 0 || !read_obj(ctx, ARG(4), &stx, sizeof stx)) {
			print_ptr(B, ARG(4));
			return true;
		}
		pb_puts(B, "{stx_mask=");
		xlat_print_flags(B, &xlat_statx_mask, stx.stx_mask);
		pb_printf(B, ", stx_attributes=%#llx, stx_mode=", (unsigned long long)stx.stx_attributes);
		print_file_mode(B, stx.stx_mode);
		pb_printf(B, ", stx_size=%llu, ...}", (unsigned long long)stx.stx_size);
		return true;
	}
	return false;
}

/* ---- descriptors ---- */

static bool print_fd_pair(struct decode_ctx *ctx, int i)
{
	if (i != 0)
		return false;
	int fds[2];
	if (ctx->call->ret < 0 || !read_obj(ctx, ARG(0), fds, sizeof fds)) {
		print_ptr(B, ARG(0));
		return true;
	}
	pb_putc(B, '[');
	print_fd(ctx, fds[0]);
	pb_puts(B, ", ");
	print_fd(ctx, fds[1]);
	pb_putc(B, ']');
	return true;
}

static bool print_pipe2(struct decode_ctx *ctx, int i)
{
	if (i == 1) {
		print_open_flag_bits(B, ARG(1), true);
		return true;
	}
	return print_fd_pair(ctx, i);
}

static bool print_dup3(struct decode_ctx *ctx, int i)
{
	if (i != 2)
		return false;
	print_open_flag_bits(B, ARG(2), true);
	return true;
}

static int nargs_fcntl(const struct trace_call *call)
{
	switch ((int)call->arg[1]) {
	case F_GETFD: case F_GETFL: case F_GETOWN: case F_GETSIG:
	case F_GETLEASE: case F_GETPIPE_SZ: case F_GET_SEALS:
		return 2;
	}
	return 3;
}

static bool print_fcntl(struct decode_ctx *ctx, int i)
{
	if (i != 2)
		return false;
	switch ((int)ARG(1)) {
	case F_SETFD:
		xlat_print_flags(B, &xlat_fd_flags, ARG(2));
		return true;
	case F_SETFL:
		print_open_flags(B, ARG(2));
		return true;
	case F_DUPFD: case F_DUPFD_CLOEXEC: case F_SETOWN: case F_SETPIPE_SZ:
	case F_SETLEASE: case F_NOTIFY: case F_ADD_SEALS:
		pb_dec(B, (int)ARG(2));
		return true;
	case F_SETSIG:
		xlat_print_signal(B, ARG(2));
		return true;
	case F_SETLK: case F_SETLKW: case F_GETLK:
	case F_OFD_SETLK: case F_OFD_SETLKW: case F_OFD_GETLK: {
		struct flock fl;
		bool is_get = (int)ARG(1) == F_GETLK || (int)ARG(1) == F_OFD_GETLK;
		if ((is_get && ctx->call->ret < 0) || !read_obj(ctx, ARG(2), &fl, sizeof fl)) {
			print_ptr(B, ARG(2));
			return true;
		}
		pb_puts(B, "{l_type=");
		xlat_print_enum(B, &xlat_lock_types, (uint16_t)fl.l_type, "F_");
		pb_puts(B, ", l_whence=");
		xlat_print_enum(B, &xlat_whence, (uint16_t)fl.l_whence, "SEEK_");
		pb_printf(B, ", l_start=%lld, l_len=%lld", (long long)fl.l_start, (long long)fl.l_len);
		if (is_get && fl.l_type != F_UNLCK)
			pb_printf(B, ", l_pid=%d", (int)fl.l_pid);
		pb_putc(B, '}');
		return true;
	}
	}
	print_ptr(B, ARG(2));
	return true;
}



static bool ret_fcntl(struct decode_ctx *ctx)
{
	int64_t ret = ctx->call->ret;
	switch ((int)ARG(1)) {
	case F_GETFD:
		if (!ret)
			return false;
		pb_hex(B, (uint64_t)ret);
		pb_puts(B, " (flags ");
		xlat_print_flags(B, &xlat_fd_flags, (uint64_t)ret);
		pb_putc(B, ')');
		return true;
	case F_GETFL:
		pb_hex(B, (uint64_t)ret);
		pb_puts(B, " (flags ");
		print_open_flags(B, (uint64_t)ret);
		pb_putc(B, ')');
		return true;
	case F_DUPFD: case F_DUPFD_CLOEXEC:
		print_fd(ctx, ret);
		return true;
	}
	return false;
}

static bool print_getdents(struct decode_ctx *ctx, int i)
{
	if (i != 1)
		return false;
	print_ptr(B, ARG(1));
	if (ctx->call->ret < 0 || !ARG(1))
		return true;
	/* Count the records: d_reclen is at offset 16 of linux_dirent64. */
	static unsigned char buf[1 << 16];
	size_t len = (size_t)ctx->call->ret < sizeof buf ? (size_t)ctx->call->ret : sizeof buf;
	if (!read_obj(ctx, ARG(1), buf, len))
		return true;
	unsigned n = 0;
	for (size_t off = 0; off + 19 <= len;) {
		uint16_t reclen;
		memcpy(&reclen, buf + off + 16, sizeof reclen);
		if (!reclen)
			break;
		off += reclen;
		n++;
	}
	pb_printf(B, " /* %u entries */", n);
	return true;
}

static void print_iov(struct decode_ctx *ctx, uint64_t addr, uint64_t count, int64_t data_len)
{
	struct iovec iov[32];
	uint64_t n = count < 32 ? count : 32;
	if (!n) {
		pb_puts(B, "[]");
		return;
	}
	if (!read_obj(ctx, addr, iov, n * sizeof iov[0])) {
		print_ptr(B, addr);
		return;
	}
	pb_putc(B, '[');
	for (uint64_t k = 0; k < n; k++) {
		if (k)
			pb_puts(B, ", ");
		uint64_t len = iov[k].iov_len;
		uint64_t shown = data_len < 0 ? len : ((uint64_t)data_len < len ? (uint64_t)data_len : len);
		pb_puts(B, "{iov_base=");
		print_guest_buf(B, PID, (uint64_t)(uintptr_t)iov[k].iov_base, shown, ctx->string_limit);
		pb_printf(B, ", iov_len=%llu}", (unsigned long long)len);
		if (data_len >= 0)
			data_len -= (int64_t)shown;
	}
	if (count > n)
		pb_puts(B, ", ...");
	pb_putc(B, ']');
}

static bool print_writev(struct decode_ctx *ctx, int i)
{
	if (i != 1)
		return false;
	print_iov(ctx, ARG(1), ARG(2), -1);
	return true;
}

static bool print_readv(struct decode_ctx *ctx, int i)
{
	if (i != 1)
		return false;
	if (ctx->call->ret < 0)
		print_ptr(B, ARG(1));
	else
		print_iov(ctx, ARG(1), ARG(2), ctx->call->ret);
	return true;
}

static bool print_getcwd(struct decode_ctx *ctx, int i)
{
	if (i != 0)
		return false;
	if (ctx->call->ret <= 0)
		print_ptr(B, ARG(0));
	else
		print_guest_buf(B, PID, ARG(0), (uint64_t)ctx->call->ret - 1, 4096);
	return true;
}

static bool print_unlinkat(struct decode_ctx *ctx, int i)
{
	if (i != 2)
		return false;
	xlat_print_flags(B, &xlat_unlinkat_flags, ARG(2));
	return true;
}

static bool print_faccessat2(struct decode_ctx *ctx, int i)
{
	if (i != 3)
		return false;
	xlat_print_flags(B, &xlat_faccessat_flags, ARG(3));
	return true;
}

static bool print_renameat2(struct decode_ctx *ctx, int i)
{
	if (i != 4)
		return false;
	xlat_print_flags(B, &xlat_rename_flags, ARG(4));
	return true;
}

/* ---- process ---- */

static void print_str_array(struct decode_ctx *ctx, uint64_t addr)
{
	if (!addr) {
		pb_puts(B, "NULL");
		return;
	}
	pb_putc(B, '[');
	for (int k = 0;; k++) {
		uint64_t ptr = 0;
		if (!read_obj(ctx, addr + (uint64_t)k * sizeof(void *), &ptr, sizeof(void *))) {
			if (k == 0) {
				B->len--;
				pb_hex(B, addr);
				return;
			}
			break;
		}
		if (!ptr)
			break;
		if (k)
			pb_puts(B, ", ");
		if (k >= ctx->string_limit) {
			pb_puts(B, "...");
			break;
		}
		print_guest_str(B, PID, ptr, ctx->string_limit);
	}
	pb_putc(B, ']');
}

static void print_env_count(struct decode_ctx *ctx, uint64_t addr)
{
	print_ptr(B, addr);
	if (!addr)
		return;
	uint64_t ptrs[64];
	unsigned n = 0;
	for (uint64_t at = addr;; at += sizeof ptrs) {
		ssize_t got = guest_read(PID, at, ptrs, sizeof ptrs);
		if (got <= 0)
			return;
		for (size_t k = 0; k < (size_t)got / sizeof ptrs[0]; k++) {
			if (!ptrs[k]) {
				pb_printf(B, " /* %u var%s */", n, n == 1 ? "" : "s");
				return;
			}
			n++;
		}
		if (n > 1u << 20)
			return;
	}
}

static bool print_execve(struct decode_ctx *ctx, int i)
{
	switch (i) {
	case 1: print_str_array(ctx, ARG(1)); return true;
	case 2: print_env_count(ctx, ARG(2)); return true;
	}
	return false;
}

static bool print_execveat(struct decode_ctx *ctx, int i)
{
	switch (i) {
	case 2: print_str_array(ctx, ARG(2)); return true;
	case 3: print_env_count(ctx, ARG(3)); return true;
	case 4: xlat_print_flags(B, &xlat_at_flags, ARG(4)); return true;
	}
	return false;
}

static void print_clone_flags(struct pbuf *b, uint64_t flags)
{
	uint64_t sig = flags & 0xff;
	flags &= ~(uint64_t)0xff;
	if (flags)
		xlat_print_flags(b, &xlat_clone_flags, flags);
	if (sig) {
		if (flags)
			pb_putc(b, '|');
		xlat_print_signal(b, sig);
	} else if (!flags) {
		pb_putc(b, '0');
	}
}

/* clone's raw argument order differs between architectures; strace prints
 * the same named fields on both. */
#if defined(__aarch64__)
enum { CLONE_ARG_TLS = 3, CLONE_ARG_CTID = 4 };
#else
enum { CLONE_ARG_CTID = 3, CLONE_ARG_TLS = 4 };
#endif

static bool clone_has_tail(uint64_t flags)
{
	return flags & (CLONE_PARENT_SETTID | CLONE_SETTLS | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID);
}

/* Two printed parts, like strace: "child_stack=, flags=" at entry, the
 * tid pointers and tls at exit. */
static int nargs_clone(const struct trace_call *call)
{
	return clone_has_tail(call->arg[0]) ? 2 : 1;
}

static bool print_clone(struct decode_ctx *ctx, int i)
{
	uint64_t flags = ARG(0);
	if (i == 0) {
		pb_puts(B, "child_stack=");
		print_ptr(B, ARG(1));
		pb_puts(B, ", flags=");
		print_clone_flags(B, flags);
		return true;
	}
	const char *sep = "";
	if (flags & CLONE_PARENT_SETTID) {
		pb_puts(B, "parent_tid=");
		print_ptr(B, ARG(2));
		sep = ", ";
	}
	if (flags & CLONE_SETTLS) {
		pb_puts(B, sep);
		pb_puts(B, "tls=");
		print_ptr(B, ARG(CLONE_ARG_TLS));
		sep = ", ";
	}
	if (flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) {
		pb_puts(B, sep);
		pb_puts(B, "child_tidptr=");
		print_ptr(B, ARG(CLONE_ARG_CTID));
	}
	return true;
}

static bool print_clone3(struct decode_ctx *ctx, int i)
{
	if (i != 0)
		return false;
	struct clone_args ca;
	memset(&ca, 0, sizeof ca);
	size_t len = ARG(1) < sizeof ca ? (size_t)ARG(1) : sizeof ca;
	if (len < 64 || !read_obj(ctx, ARG(0), &ca, len)) {
		print_ptr(B, ARG(0));
		return true;
	}
	pb_puts(B, "{flags=");
	xlat_print_flags(B, &xlat_clone_flags, ca.flags);
	if (ca.flags & CLONE_PIDFD)
		pb_printf(B, ", pidfd=%#llx", (unsigned long long)ca.pidfd);
	if (ca.flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID))
		pb_printf(B, ", child_tid=%#llx", (unsigned long long)ca.child_tid);
	if (ca.flags & CLONE_PARENT_SETTID)
		pb_printf(B, ", parent_tid=%#llx", (unsigned long long)ca.parent_tid);
	pb_puts(B, ", exit_signal=");
	xlat_print_signal(B, ca.exit_signal);
	pb_puts(B, ", stack=");
	pb_hex(B, ca.stack);
	pb_puts(B, ", stack_size=");
	pb_hex(B, ca.stack_size);
	if (ca.flags & CLONE_SETTLS) {
		pb_puts(B, ", tls=");
		pb_hex(B, ca.tls);
	}
	pb_putc(B, '}');
	return true;
}

static void clone3_exit(struct decode_ctx *ctx)
{
	struct clone_args ca;
	if (ctx->call->ret <= 0 || ARG(1) < 64 || !read_obj(ctx, ARG(0), &ca, 64))
		return;
	if (ca.flags & CLONE_PARENT_SETTID) {
		int tid;
		if (read_obj(ctx, ca.parent_tid, &tid, sizeof tid))
			pb_printf(B, " => {parent_tid=[%d]}", tid);
	}
}

static bool print_wait4(struct decode_ctx *ctx, int i)
{
	switch (i) {
	case 1: {
		int status;
		if (ctx->call->ret <= 0 || !read_obj(ctx, ARG(1), &status, sizeof status))
			print_ptr(B, ARG(1));
		else
			print_wait_status(B, status);
		return true;
	}
	case 2:
		xlat_print_flags(B, &xlat_wait_options, ARG(2));
		return true;
	case 3:
		print_ptr(B, ARG(3));
		return true;
	}
	return false;
}

/* ---- signals ---- */

static void print_sigset(struct decode_ctx *ctx, uint64_t addr, uint64_t size)
{
	uint64_t set = 0;
	if (size > sizeof set)
		size = sizeof set;
	if (!size || !read_obj(ctx, addr, &set, (size_t)size)) {
		print_ptr(B, addr);
		return;
	}
	unsigned bits = size * 8 >= 64 ? 64 : (unsigned)size * 8;
	bool invert = (unsigned)__builtin_popcountll(set) > bits / 2;
	if (invert) {
		set = ~set;
		if (bits < 64)
			set &= (1ull << bits) - 1;
		pb_putc(B, '~');
	}
	pb_putc(B, '[');
	bool first = true;
	for (unsigned s = 1; s <= bits; s++) {
		if (!(set & (1ull << (s - 1))))
			continue;
		if (!first)
			pb_putc(B, ' ');
		first = false;
		const char *name = xlat_signal_name((int)s);
		if (name)
			pb_puts(B, name + 3);
		else
			pb_dec(B, s);
	}
	pb_putc(B, ']');
}

static bool print_rt_sigprocmask(struct decode_ctx *ctx, int i)
{
	switch (i) {
	case 0: xlat_print_enum(B, &xlat_sigprocmask_how, ARG(0), "SIG_"); return true;
	case 1: print_sigset(ctx, ARG(1), ARG(3)); return true;
	case 2:
		if (ctx->call->ret < 0)
			print_ptr(B, ARG(2));
		else
			print_sigset(ctx, ARG(2), ARG(3));
		return true;
	}
	return false;
}

static void print_sigaction(struct decode_ctx *ctx, uint64_t addr, uint64_t sigsetsize)
{
	/* The kernel's struct sigaction: handler, flags, restorer, mask. */
	uint64_t sa[3];
	if (!read_obj(ctx, addr, sa, sizeof sa)) {
		print_ptr(B, addr);
		return;
	}
	pb_puts(B, "{sa_handler=");
	if (sa[0] == 0)
		pb_puts(B, "SIG_DFL");
	else if (sa[0] == 1)
		pb_puts(B, "SIG_IGN");
	else
		pb_hex(B, sa[0]);
	pb_puts(B, ", sa_mask=");
	print_sigset(ctx, addr + sizeof sa, sigsetsize);
	pb_puts(B, ", sa_flags=");
	xlat_print_flags(B, &xlat_sa_flags, sa[1]);
	if (sa[1] & 0x04000000) {
		pb_puts(B, ", sa_restorer=");
		pb_hex(B, sa[2]);
	}
	pb_putc(B, '}');
}

static bool print_rt_sigaction(struct decode_ctx *ctx, int i)
{
	switch (i) {
	case 1: print_sigaction(ctx, ARG(1), ARG(3)); return true;
	case 2:
		if (ctx->call->ret < 0)
			print_ptr(B, ARG(2));
		else
			print_sigaction(ctx, ARG(2), ARG(3));
		return true;
	}
	return false;
}

/* ---- network ---- */

static bool print_socket(struct decode_ctx *ctx, int i)
{
	switch (i) {
	case 0: xlat_print_enum(B, &xlat_address_families, ARG(0), "AF_"); return true;
	case 1:
		xlat_print_enum(B, &xlat_socket_types, ARG(1) & 0xf, "SOCK_");
		if (ARG(1) & ~(uint64_t)0xf) {
			pb_putc(B, '|');
			xlat_print_flags(B, &xlat_socket_flags, ARG(1) & ~(uint64_t)0xf);
		}
		return true;
	case 2:
		if (ARG(0) == AF_INET || ARG(0) == AF_INET6)
			xlat_print_enum(B, &xlat_ip_protocols, ARG(2), "IPPROTO_");
		else
			pb_dec(B, (int)ARG(2));
		return true;
	}
	return false;
}

static void print_sockaddr(struct decode_ctx *ctx, uint64_t addr, uint64_t len)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	if (len > sizeof ss)
		len = sizeof ss;
	if (len < sizeof(sa_family_t) || !read_obj(ctx, addr, &ss, (size_t)len)) {
		print_ptr(B, addr);
		return;
	}
	pb_puts(B, "{sa_family=");
	xlat_print_enum(B, &xlat_address_families, ss.ss_family, "AF_");
	if (ss.ss_family == AF_UNIX) {
		const struct sockaddr_un *un = (const void *)&ss;
		size_t n = strnlen(un->sun_path, len - sizeof(sa_family_t));
		pb_puts(B, ", sun_path=");
		if (n == 0 && len > sizeof(sa_family_t) + 1) {
			pb_puts(B, "@");
			n = strnlen(un->sun_path + 1, len - sizeof(sa_family_t) - 1);
			print_quoted(B, (const unsigned char *)un->sun_path + 1, n);
		} else {
			print_quoted(B, (const unsigned char *)un->sun_path, n);
		}
	} else if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)&ss;
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &in->sin_addr, a, sizeof a);
		pb_printf(B, ", sin_port=htons(%u), sin_addr=inet_addr(\"%s\")", ntohs(in->sin_port), a);
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)&ss;
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof a);
		pb_printf(B, ", sin6_port=htons(%u), sin6_flowinfo=htonl(%u), inet_pton(AF_INET6, \"%s\", &sin6_addr), sin6_scope_id=%u",
			  ntohs(in6->sin6_port), ntohl(in6->sin6_flowinfo), a, in6->sin6_scope_id);
	}
	pb_putc(B, '}');
}

static bool print_connect(struct decode_ctx *ctx, int i)
{
	if (i != 1)
		return false;
	print_sockaddr(ctx, ARG(1), ARG(2));
	return true;
}

/* Calls that fill a sockaddr and its length: keep the length given. */
static void save_socklen(struct decode_ctx *ctx)
{
	uint32_t len = 0;
	ctx->saved[0] = ARG(2) && read_obj(ctx, ARG(2), &len, sizeof len) ? len : UINT64_MAX;
}

static bool print_sockname(struct decode_ctx *ctx, int i)
{
	uint32_t out = 0;
	bool have_out = ctx->call->ret >= 0 && ARG(2) && read_obj(ctx, ARG(2), &out, sizeof out);
	switch (i) {
	case 1:
		if (!have_out || !ARG(1))
			print_ptr(B, ARG(1));
		else
			print_sockaddr(ctx, ARG(1), out < ctx->saved[0] ? out : ctx->saved[0]);
		return true;
	case 2:
		if (!have_out && ctx->saved[0] != UINT64_MAX) {
			pb_printf(B, "[%llu]", (unsigned long long)ctx->saved[0]);
		} else if (!have_out) {
			print_ptr(B, ARG(2));
		} else if (ctx->saved[0] != out && ctx->saved[0] != UINT64_MAX) {
			pb_printf(B, "[%llu => %u]", (unsigned long long)ctx->saved[0], out);
		} else {
			pb_printf(B, "[%u]", out);
		}
		return true;
	case 3:
		xlat_print_flags(B, &xlat_socket_flags, ARG(3));
		return true;
	}
	return false;
}

static bool print_send_recv(struct decode_ctx *ctx, int i)
{
	if (i != 3)
		return false;
	xlat_print_flags(B, &xlat_msg_flags, (uint32_t)ARG(3));
	return true;
}

/* ---- poll and select ---- */

static void print_pollfds(struct decode_ctx *ctx, bool revents)
{
	struct pollfd fds[32];
	uint64_t n = ARG(1) < 32 ? ARG(1) : 32;
	if (!n || !read_obj(ctx, ARG(0), fds, n * sizeof fds[0])) {
		print_ptr(B, ARG(0));
		return;
	}
	pb_putc(B, '[');
	bool first = true;
	for (uint64_t k = 0; k < n; k++) {
		if (revents && !fds[k].revents)
			continue;
		pb_puts(B, first ? "{fd=" : ", {fd=");
		first = false;
		pb_dec(B, fds[k].fd);
		pb_puts(B, revents ? ", revents=" : ", events=");
		xlat_print_flags(B, &xlat_poll_events, (uint16_t)(revents ? fds[k].revents : fds[k].events));
		pb_putc(B, '}');
	}
	if (ARG(1) > n)
		pb_puts(B, ", ...");
	pb_putc(B, ']');
}

static bool print_poll(struct decode_ctx *ctx, int i)
{
	switch (i) {
	case 0: print_pollfds(ctx, false); return true;
	case 1: pb_udec(B, (uint32_t)ARG(1)); return true;
	case 2: pb_dec(B, (int)ARG(2)); return true;
	}
	return false;
}

static bool ret_poll(struct decode_ctx *ctx)
{
	if (ctx->call->ret == 0) {
		pb_puts(B, "0 (Timeout)");
		return true;
	}
	pb_dec(B, ctx->call->ret);
	pb_puts(B, " (");
	print_pollfds(ctx, true);
	pb_putc(B, ')');
	return true;
}

static bool print_ppoll(struct decode_ctx *ctx, int i)
{
	switch (i) {
	case 0: print_pollfds(ctx, false); return true;
	case 1: pb_udec(B, (uint32_t)ARG(1)); return true;
	case 2: print_timespec(ctx, ARG(2)); return true;
	case 3:
		if (ARG(3))
			print_sigset_arg(ctx, ARG(3), ARG(4));
		else
			pb_puts(B, "NULL");
		return true;
	case 4: pb_udec(B, ARG(4)); return true;
	}
	return false;
}

/* An fd_set of NFDS bits at ADDR as strace writes it: [3 5]. */
static void print_fdset(struct decode_ctx *ctx, uint64_t addr, int nfds)
{
	uint64_t bits[16];
	if (!addr) {
		pb_puts(B, "NULL");
		return;
	}
	if (nfds < 0)
		nfds = 0;
	if (nfds > 1024)
		nfds = 1024;
	size_t words = ((size_t)nfds + 63) / 64;
	if (words && !read_obj(ctx, addr, bits, words * 8)) {
		print_ptr(B, addr);
		return;
	}
	pb_putc(B, '[');
	bool first = true;
	for (int fd = 0; fd < nfds; fd++) {
		if (!(bits[fd / 64] & (1ull << (fd % 64))))
			continue;
		if (!first)
			pb_putc(B, ' ');
		first = false;
		pb_dec(B, fd);
	}
	pb_putc(B, ']');
}

static bool print_select(struct decode_ctx *ctx, int i)
{
	bool pselect = strcmp(ctx->call->desc->name, "pselect6") == 0;
	switch (i) {
	case 0: pb_dec(B, (int)ARG(0)); return true;
	case 1: case 2: case 3: print_fdset(ctx, ARG(i), (int)ARG(0)); return true;
	case 4:
		if (!ARG(4)) {
			pb_puts(B, "NULL");
		} else if (pselect) {
			print_timespec(ctx, ARG(4));
		} else {
			int64_t tv[2];
			if (read_obj(ctx, ARG(4), tv, sizeof tv))
				pb_printf(B, "{tv_sec=%lld, tv_usec=%lld}", (long long)tv[0], (long long)tv[1]);
			else
				print_ptr(B, ARG(4));
		}
		return true;
	case 5: {
		uint64_t ss[2];
		if (ARG(5) && read_obj(ctx, ARG(5), ss, sizeof ss)) {
			pb_putc(B, '{');
			if (ss[0])
				print_sigset_arg(ctx, ss[0], ss[1]);
			else
				pb_puts(B, "NULL");
			pb_printf(B, ", %llu}", (unsigned long long)ss[1]);
		} else {
			print_ptr(B, ARG(5));
		}
		return true;
	}
	}
	return false;
}

static bool ret_select(struct decode_ctx *ctx)
{
	if (ctx->call->ret == 0) {
		pb_puts(B, "0 (Timeout)");
		return true;
	}
	bool pselect = strcmp(ctx->call->desc->name, "pselect6") == 0;
	pb_dec(B, ctx->call->ret);
	pb_puts(B, " (");
	static const char *const names[] = { "in", "out", "except" };
	bool first = true;
	for (int k = 0; k < 3; k++) {
		uint64_t bits[16];
		int nfds = (int)ARG(0) < 0 ? 0 : ((int)ARG(0) > 1024 ? 1024 : (int)ARG(0));
		size_t words = ((size_t)nfds + 63) / 64;
		if (!ARG(1 + k) || !words || !read_obj(ctx, ARG(1 + k), bits, words * 8))
			continue;
		bool any = false;
		for (size_t w = 0; w < words; w++)
			any |= bits[w] != 0;
		if (!any)
			continue;
		pb_puts(B, first ? "" : ", ");
		first = false;
		pb_puts(B, names[k]);
		pb_putc(B, ' ');
		print_fdset(ctx, ARG(1 + k), nfds);
	}
	if (ARG(4)) {
		int64_t t[2];
		if (read_obj(ctx, ARG(4), t, sizeof t))
			pb_printf(B, "%sleft {tv_sec=%lld, %s=%lld}", first ? "" : ", ", (long long)t[0],
				  pselect ? "tv_nsec" : "tv_usec", (long long)t[1]);
	}
	pb_putc(B, ')');
	return true;
}

/* ---- memory, misc ---- */

static bool print_madvise(struct decode_ctx *ctx, int i)
{
	if (i != 2)
		return false;
	xlat_print_enum(B, &xlat_madvise, ARG(2), "MADV_");
	return true;
}

static bool print_mremap(struct decode_ctx *ctx, int i)
{
	if (i != 3)
		return false;
	xlat_print_flags(B, &xlat_mremap_flags, ARG(3));
	return true;
}

static int nargs_mremap(const struct trace_call *call)
{
	return (call->arg[3] & MREMAP_FIXED) ? 5 : 4;
}

/* ---- ioctl ---- */

static void print_delay_field(struct pbuf *b, uint32_t v, uint32_t mask, const char *name,
			      unsigned shift_values)
{
	unsigned shift = (unsigned)__builtin_ctz(mask);
	unsigned n = (v & mask) >> shift;
	(void)shift_values;
	pb_printf(b, "%s%u|", name, n);
}

static void print_termios(struct decode_ctx *ctx, uint64_t addr)
{
	/* The kernel's struct termios starts with the four flag words. */
	uint32_t t[4];
	if (ctx->call->ret < 0 || !read_obj(ctx, addr, t, sizeof t)) {
		print_ptr(B, addr);
		return;
	}
	pb_puts(B, "{c_iflag=");
	xlat_print_flags(B, &xlat_termios_iflags, t[0]);
	pb_puts(B, ", c_oflag=");
	print_delay_field(B, t[1], NLDLY, "NL", 0);
	print_delay_field(B, t[1], CRDLY, "CR", 0);
	if ((t[1] & TABDLY) == TABDLY)
		pb_puts(B, "XTABS|");
	else
		print_delay_field(B, t[1], TABDLY, "TAB", 0);
	print_delay_field(B, t[1], BSDLY, "BS", 0);
	print_delay_field(B, t[1], VTDLY, "VT", 0);
	print_delay_field(B, t[1], FFDLY, "FF", 0);
	uint64_t of = t[1] & ~(uint32_t)(NLDLY | CRDLY | TABDLY | BSDLY | VTDLY | FFDLY);
	if (of)
		xlat_print_flags(B, &xlat_termios_oflags, of);
	else
		B->len--;
	pb_puts(B, ", c_cflag=");
	xlat_print_enum(B, &xlat_baud, t[2] & CBAUD, NULL);
	pb_printf(B, "|CS%u", 5 + ((t[2] & CSIZE) >> __builtin_ctz(CSIZE)));
	uint64_t cf = t[2] & ~(uint32_t)(CBAUD | CSIZE);
	if (cf) {
		pb_putc(B, '|');
		xlat_print_flags(B, &xlat_termios_cflags, cf);
	}
	pb_puts(B, ", c_lflag=");
	xlat_print_flags(B, &xlat_termios_lflags, t[3]);
	pb_puts(B, ", ...}");
}

static bool print_ioctl(struct decode_ctx *ctx, int i)
{
	uint32_t req = (uint32_t)ARG(1);
	if (i == 1) {
		xlat_print_enum(B, &xlat_ioctl_cmds, req, NULL);
		return true;
	}
	if (i != 2)
		return false;
	switch (req) {
	case TCGETS:
	case TCSETS: case TCSETSW: case TCSETSF:
		print_termios(ctx, ARG(2));
		return true;
	case TIOCGWINSZ:
	case TIOCSWINSZ: {
		struct winsize ws;
		if (ctx->call->ret < 0 || !read_obj(ctx, ARG(2), &ws, sizeof ws)) {
			print_ptr(B, ARG(2));
			return true;
		}
		pb_printf(B, "{ws_row=%u, ws_col=%u, ws_xpixel=%u, ws_ypixel=%u}", ws.ws_row,
			  ws.ws_col, ws.ws_xpixel, ws.ws_ypixel);
		return true;
	}
	case TIOCGPGRP:
	case TIOCSPGRP: {
		int pgrp;
		if (ctx->call->ret < 0 || !read_obj(ctx, ARG(2), &pgrp, sizeof pgrp))
			print_ptr(B, ARG(2));
		else
			pb_printf(B, "[%d]", pgrp);
		return true;
	}
	case FIONCLEX: case FIOCLEX: case TIOCNOTTY: case TIOCEXCL: case TIOCNXCL:
		return true;
	case FICLONE:
		pb_dec(B, (int)ARG(2));
		return true;
	}
	print_ptr(B, ARG(2));
	return true;
}

static int nargs_ioctl(const struct trace_call *call)
{
	switch ((uint32_t)call->arg[1]) {
	case FIONCLEX: case FIOCLEX: case TIOCNOTTY: case TIOCEXCL: case TIOCNXCL:
		return 2;
	}
	return 3;
}

static int nargs_prctl(const struct trace_call *call)
{
	switch ((int)call->arg[0]) {
	case PR_GET_DUMPABLE: case PR_GET_KEEPCAPS: case PR_GET_SECCOMP:
	case PR_GET_NO_NEW_PRIVS: case PR_GET_TIMERSLACK: case PR_GET_CHILD_SUBREAPER:
		return 1;
	case PR_SET_NAME: case PR_GET_NAME: case PR_SET_PDEATHSIG: case PR_GET_PDEATHSIG:
	case PR_SET_DUMPABLE: case PR_SET_KEEPCAPS: case PR_CAPBSET_READ:
	case PR_CAPBSET_DROP: case PR_SET_TIMERSLACK: case PR_SET_CHILD_SUBREAPER:
	case PR_GET_TID_ADDRESS: case PR_SET_PTRACER:
		return 2;
	}
	return 5;
}

static bool print_prctl(struct decode_ctx *ctx, int i)
{
	int option = (int)ARG(0);
	if (i == 0) {
		xlat_print_enum(B, &xlat_prctl_options, (uint32_t)option, "PR_");
		return true;
	}
	if (i != 1)
		return false;
	switch (option) {
	case PR_SET_NAME:
		print_guest_str(B, PID, ARG(1), 15);
		return true;
	case PR_GET_NAME:
		if (ctx->call->ret < 0)
			print_ptr(B, ARG(1));
		else
			print_guest_str(B, PID, ARG(1), 15);
		return true;
	case PR_SET_PDEATHSIG:
		xlat_print_signal(B, ARG(1));
		return true;
	case PR_SET_DUMPABLE: case PR_SET_KEEPCAPS: case PR_CAPBSET_READ: case PR_CAPBSET_DROP:
	case PR_SET_CHILD_SUBREAPER: case PR_SET_NO_NEW_PRIVS:
		pb_udec(B, ARG(1));
		return true;
	}
	return false;
}

/* ---- clocks, misc ---- */

static void print_timespec(struct decode_ctx *ctx, uint64_t addr)
{
	int64_t ts[2];
	if (!read_obj(ctx, addr, ts, sizeof ts)) {
		print_ptr(B, addr);
		return;
	}
	pb_printf(B, "{tv_sec=%lld, tv_nsec=%lld}", (long long)ts[0], (long long)ts[1]);
}

static bool print_clock_nanosleep(struct decode_ctx *ctx, int i)
{
	switch (i) {
	case 0: xlat_print_enum(B, &xlat_clocks, ARG(0), "CLOCK_"); return true;
	case 1: xlat_print_flags(B, &xlat_timer_flags, ARG(1)); return true;
	case 2: print_timespec(ctx, ARG(2)); return true;
	case 3:
		if (ctx->call->ret == -EINTR || ctx->call->ret == -516)
			print_timespec(ctx, ARG(3));
		else
			print_ptr(B, ARG(3));
		return true;
	}
	return false;
}

static bool print_nanosleep(struct decode_ctx *ctx, int i)
{
	switch (i) {
	case 0: print_timespec(ctx, ARG(0)); return true;
	case 1:
		if (ctx->call->ret == -EINTR || ctx->call->ret == -516)
			print_timespec(ctx, ARG(1));
		else
			print_ptr(B, ARG(1));
		return true;
	}
	return false;
}

static bool print_clock_gettime(struct decode_ctx *ctx, int i)
{
	switch (i) {
	case 0: xlat_print_enum(B, &xlat_clocks, ARG(0), "CLOCK_"); return true;
	case 1:
		if (ctx->call->ret < 0)
			print_ptr(B, ARG(1));
		else
			print_timespec(ctx, ARG(1));
		return true;
	}
	return false;
}

static bool print_uname(struct decode_ctx *ctx, int i)
{
	if (i != 0)
		return false;
	struct utsname u;
	if (ctx->call->ret < 0 || !read_obj(ctx, ARG(0), &u, sizeof u)) {
		print_ptr(B, ARG(0));
		return true;
	}
	pb_puts(B, "{sysname=");
	print_quoted(B, (const unsigned char *)u.sysname, strnlen(u.sysname, sizeof u.sysname));
	pb_puts(B, ", nodename=");
	print_quoted(B, (const unsigned char *)u.nodename, strnlen(u.nodename, sizeof u.nodename));
	pb_puts(B, ", ...}");
	return true;
}

static bool print_epoll_create1(struct decode_ctx *ctx, int i)
{
	if (i != 0)
		return false;
	xlat_print_flags(B, &xlat_epoll_flags, ARG(0));
	return true;
}

static bool print_getgroups(struct decode_ctx *ctx, int i)
{
	if (i != 1)
		return false;
	int64_t n = ctx->call->ret;
	if (!ARG(1)) {
		pb_puts(B, "NULL");
		return true;
	}
	if (n < 0 || (int)ARG(0) == 0) {
		if (n >= 0 && (int)ARG(0) == 0)
			pb_puts(B, "[]");
		else
			print_ptr(B, ARG(1));
		return true;
	}
	uint32_t g[32];
	size_t shown = (size_t)n < 32 ? (size_t)n : 32;
	if (!read_obj(ctx, ARG(1), g, shown * sizeof g[0])) {
		print_ptr(B, ARG(1));
		return true;
	}
	pb_putc(B, '[');
	for (size_t k = 0; k < shown; k++)
		pb_printf(B, "%s%u", k ? ", " : "", g[k]);
	if ((size_t)n > shown)
		pb_puts(B, ", ...");
	pb_putc(B, ']');
	return true;
}

static bool print_flock(struct decode_ctx *ctx, int i)
{
	if (i != 1)
		return false;
	xlat_print_flags(B, &xlat_flock_ops, ARG(1));
	return true;
}

static bool print_sysinfo(struct decode_ctx *ctx, int i)
{
	if (i != 0)
		return false;
	struct sysinfo si;
	if (ctx->call->ret < 0 || !read_obj(ctx, ARG(0), &si, sizeof si)) {
		print_ptr(B, ARG(0));
		return true;
	}
	pb_printf(B, "{uptime=%ld, loads=[%lu, %lu, %lu], totalram=%lu, freeram=%lu, sharedram=%lu, "
		     "bufferram=%lu, totalswap=%lu, freeswap=%lu, procs=%u, totalhigh=%lu, "
		     "freehigh=%lu, mem_unit=%u}",
		  (long)si.uptime, si.loads[0], si.loads[1], si.loads[2], si.totalram, si.freeram,
		  si.sharedram, si.bufferram, si.totalswap, si.freeswap, (unsigned)si.procs,
		  si.totalhigh, si.freehigh, (unsigned)si.mem_unit);
	return true;
}

static void print_stack_t(struct decode_ctx *ctx, uint64_t addr)
{
	stack_t ss;
	if (!read_obj(ctx, addr, &ss, sizeof ss)) {
		print_ptr(B, addr);
		return;
	}
	pb_puts(B, "{ss_sp=");
	print_ptr(B, (uint64_t)(uintptr_t)ss.ss_sp);
	pb_puts(B, ", ss_flags=");
	xlat_print_flags(B, &xlat_sigaltstack_flags, (uint32_t)ss.ss_flags);
	pb_printf(B, ", ss_size=%zu}", ss.ss_size);
}

static bool print_sigaltstack(struct decode_ctx *ctx, int i)
{
	switch (i) {
	case 0:
		if (ARG(0))
			print_stack_t(ctx, ARG(0));
		else
			pb_puts(B, "NULL");
		return true;
	case 1:
		if (ARG(1) && ctx->call->ret >= 0)
			print_stack_t(ctx, ARG(1));
		else
			print_ptr(B, ARG(1));
		return true;
	}
	return false;
}

static bool ret_umask(struct decode_ctx *ctx)
{
	print_mode(B, (uint64_t)ctx->call->ret);
	return true;
}

static void print_timeval(struct pbuf *b, const struct timeval *tv)
{
	pb_printf(b, "{tv_sec=%lld, tv_usec=%lld}", (long long)tv->tv_sec, (long long)tv->tv_usec);
}

static bool print_getrusage(struct decode_ctx *ctx, int i)
{
	if (i == 0) {
		xlat_print_enum(B, &xlat_rusage_who, (uint64_t)(int64_t)(int)ARG(0), "RUSAGE_");
		return true;
	}
	struct rusage ru;
	if (ctx->call->ret < 0 || !read_obj(ctx, ARG(1), &ru, sizeof ru)) {
		print_ptr(B, ARG(1));
		return true;
	}
	pb_puts(B, "{ru_utime=");
	print_timeval(B, &ru.ru_utime);
	pb_puts(B, ", ru_stime=");
	print_timeval(B, &ru.ru_stime);
	pb_puts(B, ", ...}");
	return true;
}

static void print_cpuset(struct decode_ctx *ctx, uint64_t addr, uint64_t bytes)
{
	uint64_t bits[16];
	if (bytes > sizeof bits)
		bytes = sizeof bits;
	if (!read_obj(ctx, addr, bits, (size_t)bytes)) {
		print_ptr(B, addr);
		return;
	}
	pb_putc(B, '[');
	bool first = true;
	for (unsigned cpu = 0; cpu < bytes * 8; cpu++) {
		if (!(bits[cpu / 64] & (1ull << (cpu % 64))))
			continue;
		if (!first)
			pb_putc(B, ' ');
		first = false;
		pb_udec(B, cpu);
	}
	pb_putc(B, ']');
}

static bool print_sched_affinity(struct decode_ctx *ctx, int i)
{
	if (i != 2)
		return false;
	bool get = strcmp(ctx->call->desc->name, "sched_getaffinity") == 0;
	if (ctx->call->ret < 0 && get)
		print_ptr(B, ARG(2));
	else
		print_cpuset(ctx, ARG(2), get ? (uint64_t)ctx->call->ret : ARG(1));
	return true;
}

static bool print_statfs(struct decode_ctx *ctx, int i)
{
	if (i != 1)
		return false;
	struct statfs sf;
	if (ctx->call->ret < 0 || !read_obj(ctx, ARG(1), &sf, sizeof sf)) {
		print_ptr(B, ARG(1));
		return true;
	}
	int fsid[2];
	memcpy(fsid, &sf.f_fsid, sizeof fsid);
	pb_puts(B, "{f_type=");
	xlat_print_enum(B, &xlat_fs_magic, (uint64_t)sf.f_type, NULL);
	pb_printf(B, ", f_bsize=%lld, f_blocks=%llu, f_bfree=%llu, f_bavail=%llu, f_files=%llu, "
		     "f_ffree=%llu, f_fsid={val=[%#x, %#x]}, f_namelen=%lld, f_frsize=%lld, f_flags=",
		  (long long)sf.f_bsize, (unsigned long long)sf.f_blocks, (unsigned long long)sf.f_bfree,
		  (unsigned long long)sf.f_bavail, (unsigned long long)sf.f_files,
		  (unsigned long long)sf.f_ffree, (unsigned)fsid[0], (unsigned)fsid[1],
		  (long long)sf.f_namelen, (long long)sf.f_frsize);
	xlat_print_flags(B, &xlat_statfs_flags, (uint64_t)sf.f_flags);
	pb_putc(B, '}');
	return true;
}

static bool print_fadvise(struct decode_ctx *ctx, int i)
{
	if (i != 3)
		return false;
	xlat_print_enum(B, &xlat_fadvise, ARG(3), "POSIX_FADV_");
	return true;
}

static bool print_arch_prctl(struct decode_ctx *ctx, int i)
{
	if (i != 0)
		return false;
	xlat_print_enum(B, &xlat_arch_prctl, (uint32_t)ARG(0), "ARCH_");
	return true;
}

static void print_rlim_value(struct pbuf *b, uint64_t v)
{
	if (v == RLIM_INFINITY)
		pb_puts(b, "RLIM64_INFINITY");
	else if (v > 1024 && v % 1024 == 0)
		pb_printf(b, "%llu*1024", (unsigned long long)(v / 1024));
	else
		pb_udec(b, v);
}

static void print_rlimit(struct decode_ctx *ctx, uint64_t addr)
{
	uint64_t r[2];
	if (!read_obj(ctx, addr, r, sizeof r)) {
		print_ptr(B, addr);
		return;
	}
	pb_puts(B, "{rlim_cur=");
	print_rlim_value(B, r[0]);
	pb_puts(B, ", rlim_max=");
	print_rlim_value(B, r[1]);
	pb_putc(B, '}');
}

static bool print_prlimit64(struct decode_ctx *ctx, int i)
{
	switch (i) {
	case 1: xlat_print_enum(B, &xlat_rlimits, ARG(1), "RLIMIT_"); return true;
	case 2: print_rlimit(ctx, ARG(2)); return true;
	case 3:
		if (ctx->call->ret < 0)
			print_ptr(B, ARG(3));
		else
			print_rlimit(ctx, ARG(3));
		return true;
	}
	return false;
}

static bool print_getrlimit(struct decode_ctx *ctx, int i)
{
	switch (i) {
	case 0: xlat_print_enum(B, &xlat_rlimits, ARG(0), "RLIMIT_"); return true;
	case 1:
		if (ctx->call->ret < 0)
			print_ptr(B, ARG(1));
		else
			print_rlimit(ctx, ARG(1));
		return true;
	}
	return false;
}

static bool print_getrandom(struct decode_ctx *ctx, int i)
{
	if (i == 0) {
		/* strace shows random bytes in hex escapes */
		unsigned char buf[256];
		int64_t ret = ctx->call->ret;
		if (ret < 0 || !ARG(0)) {
			print_ptr(B, ARG(0));
			return true;
		}
		size_t n = (size_t)ret < (size_t)ctx->string_limit ? (size_t)ret : (size_t)ctx->string_limit;
		if (n > sizeof buf)
			n = sizeof buf;
		if (n && !read_obj(ctx, ARG(0), buf, n)) {
			print_ptr(B, ARG(0));
			return true;
		}
		pb_putc(B, '"');
		for (size_t k = 0; k < n; k++)
			pb_printf(B, "\\x%02x", buf[k]);
		pb_putc(B, '"');
		if ((uint64_t)ret > n)
			pb_puts(B, "...");
		return true;
	}
	if (i == 2) {
		xlat_print_flags(B, &xlat_getrandom_flags, ARG(2));
		return true;
	}
	return false;
}

/* Which of futex's six registers each operation uses, in strace's order:
 * u=uaddr o=op v=val t=timeout (or val2 as a number: n) a=uaddr2 b=val3. */
static const char *futex_fields(uint64_t op)
{
	switch (op & 127) {
	case 0: return "uovt";        /* FUTEX_WAIT */
	case 1: return "uov";         /* FUTEX_WAKE */
	case 2: return "uov";         /* FUTEX_FD */
	case 3: return "uovna";       /* FUTEX_REQUEUE */
	case 4: return "uovnab";      /* FUTEX_CMP_REQUEUE */
	case 5: return "uovnab";      /* FUTEX_WAKE_OP */
	case 6: return "uot";         /* FUTEX_LOCK_PI */
	case 7: return "uo";          /* FUTEX_UNLOCK_PI */
	case 8: return "uo";          /* FUTEX_TRYLOCK_PI */
	case 9: return "uovtb";       /* FUTEX_WAIT_BITSET */
	case 10: return "uovb";       /* FUTEX_WAKE_BITSET */
	case 11: return "uovta";      /* FUTEX_WAIT_REQUEUE_PI */
	case 12: return "uovnab";     /* FUTEX_CMP_REQUEUE_PI */
	case 13: return "uot";        /* FUTEX_LOCK_PI2 */
	}
	return "uovtab";
}

static int nargs_futex(const struct trace_call *call)
{
	return (int)strlen(futex_fields(call->arg[1]));
}

static bool print_futex(struct decode_ctx *ctx, int i)
{
	switch (futex_fields(ARG(1))[i]) {
	case 'u': pb_hex(B, ARG(0)); return true;
	case 'o': xlat_print_enum(B, &xlat_futex_ops, ARG(1), "FUTEX_"); return true;
	case 'v': pb_dec(B, (int)ARG(2)); return true;
	case 't':
		if (ARG(3))
			print_timespec(ctx, ARG(3));
		else
			pb_puts(B, "NULL");
		return true;
	case 'n': pb_udec(B, (uint32_t)ARG(3)); return true;
	case 'a': print_ptr(B, ARG(4)); return true;
	case 'b':
		if ((uint32_t)ARG(5) == 0xffffffff)
			pb_puts(B, "FUTEX_BITSET_MATCH_ANY");
		else
			pb_hex(B, (uint32_t)ARG(5));
		return true;
	}
	return false;
}

static const struct call_decoder decoders[] = {
	{ .name = "open", .nargs = nargs_open, .first_out = -1, .ret_fd = true },
	{ .name = "openat", .nargs = nargs_openat, .first_out = -1, .ret_fd = true },
	{ .name = "openat2", .first_out = -1, .print_arg = print_openat2, .ret_fd = true },
	{ .name = "creat", .first_out = -1, .ret_fd = true },
	{ .name = "stat", .first_out = -1, .print_arg = print_stat_arg },
	{ .name = "lstat", .first_out = -1, .print_arg = print_stat_arg },
	{ .name = "fstat", .first_out = -1, .print_arg = print_stat_arg },
	{ .name = "newfstatat", .first_out = -1, .print_arg = print_stat_arg },
	{ .name = "statx", .first_out = 4, .print_arg = print_statx_arg },
	{ .name = "pipe", .first_out = 0, .print_arg = print_fd_pair },
	{ .name = "pipe2", .first_out = 0, .print_arg = print_pipe2 },
	{ .name = "dup", .first_out = -1, .ret_fd = true },
	{ .name = "dup2", .first_out = -1, .ret_fd = true },
	{ .name = "dup3", .first_out = -1, .print_arg = print_dup3, .ret_fd = true },
	{ .name = "fcntl", .nargs = nargs_fcntl, .first_out = -1, .print_arg = print_fcntl,
	  .print_ret = ret_fcntl },
	{ .name = "getdents64", .first_out = 1, .print_arg = print_getdents },
	{ .name = "getdents", .first_out = 1, .print_arg = print_getdents },
	{ .name = "readv", .first_out = 1, .print_arg = print_readv },
	{ .name = "preadv", .first_out = 1, .print_arg = print_readv },
	{ .name = "preadv2", .first_out = 1, .print_arg = print_readv },
	{ .name = "writev", .first_out = -1, .print_arg = print_writev },
	{ .name = "pwritev", .first_out = -1, .print_arg = print_writev },
	{ .name = "pwritev2", .first_out = -1, .print_arg = print_writev },
	{ .name = "getcwd", .first_out = 0, .print_arg = print_getcwd },
	{ .name = "unlinkat", .first_out = -1, .print_arg = print_unlinkat },
	{ .name = "faccessat2", .first_out = -1, .print_arg = print_faccessat2 },
	{ .name = "renameat2", .first_out = -1, .print_arg = print_renameat2 },
	{ .name = "execve", .first_out = -1, .print_arg = print_execve },
	{ .name = "execveat", .first_out = -1, .print_arg = print_execveat },
	{ .name = "clone", .nargs = nargs_clone, .first_out = 1, .print_arg = print_clone,
	  .comma_at_exit = true },
	{ .name = "clone3", .first_out = 1, .print_arg = print_clone3, .comma_at_exit = true,
	  .exit_prefix = clone3_exit },
	{ .name = "wait4", .first_out = 1, .print_arg = print_wait4 },
	{ .name = "rt_sigprocmask", .first_out = 2, .print_arg = print_rt_sigprocmask },
	{ .name = "rt_sigaction", .first_out = 2, .print_arg = print_rt_sigaction },
	{ .name = "socket", .first_out = -1, .print_arg = print_socket, .ret_fd = true },
	{ .name = "connect", .first_out = -1, .print_arg = print_connect },
	{ .name = "bind", .first_out = -1, .print_arg = print_connect },
	{ .name = "accept", .first_out = 1, .print_arg = print_sockname, .ret_fd = true,
	  .on_entry = save_socklen },
	{ .name = "accept4", .first_out = 1, .print_arg = print_sockname, .ret_fd = true,
	  .on_entry = save_socklen },
	{ .name = "getsockname", .first_out = 1, .print_arg = print_sockname, .on_entry = save_socklen },
	{ .name = "getpeername", .first_out = 1, .print_arg = print_sockname, .on_entry = save_socklen },
	{ .name = "sendto", .first_out = -1, .print_arg = print_send_recv },
	{ .name = "recvfrom", .first_out = -1, .print_arg = print_send_recv },
	{ .name = "poll", .first_out = -1, .print_arg = print_poll, .print_ret = ret_poll },
	{ .name = "ppoll", .first_out = -1, .print_arg = print_ppoll, .print_ret = ret_poll },
	{ .name = "select", .first_out = -1, .print_arg = print_select, .print_ret = ret_select },
	{ .name = "pselect6", .first_out = -1, .print_arg = print_select, .print_ret = ret_select },
	{ .name = "mmap", .first_out = -1, .ret_hex = true },
	{ .name = "brk", .first_out = -1, .ret_hex = true },
	{ .name = "mremap", .nargs = nargs_mremap, .first_out = -1, .print_arg = print_mremap,
	  .ret_hex = true },
	{ .name = "shmat", .first_out = -1, .ret_hex = true },
	{ .name = "madvise", .first_out = -1, .print_arg = print_madvise },
	{ .name = "ioctl", .nargs = nargs_ioctl, .first_out = 2, .print_arg = print_ioctl },
	{ .name = "prctl", .nargs = nargs_prctl, .first_out = 1, .print_arg = print_prctl },
	{ .name = "clock_nanosleep", .first_out = 3, .print_arg = print_clock_nanosleep },
	{ .name = "nanosleep", .first_out = 1, .print_arg = print_nanosleep },
	{ .name = "clock_gettime", .first_out = 1, .print_arg = print_clock_gettime },
	{ .name = "clock_getres", .first_out = 1, .print_arg = print_clock_gettime },
	{ .name = "uname", .first_out = 0, .print_arg = print_uname },
	{ .name = "epoll_create1", .first_out = -1, .print_arg = print_epoll_create1, .ret_fd = true },
	{ .name = "getgroups", .first_out = 1, .print_arg = print_getgroups },
	{ .name = "flock", .first_out = -1, .print_arg = print_flock },
	{ .name = "sysinfo", .first_out = 0, .print_arg = print_sysinfo },
	{ .name = "sigaltstack", .first_out = 1, .print_arg = print_sigaltstack },
	{ .name = "umask", .first_out = -1, .print_ret = ret_umask },
	{ .name = "getrusage", .first_out = 1, .print_arg = print_getrusage },
	{ .name = "sched_getaffinity", .first_out = 2, .print_arg = print_sched_affinity },
	{ .name = "sched_setaffinity", .first_out = -1, .print_arg = print_sched_affinity },
	{ .name = "statfs", .first_out = 1, .print_arg = print_statfs },
	{ .name = "fstatfs", .first_out = 1, .print_arg = print_statfs },
	{ .name = "fadvise64", .first_out = -1, .print_arg = print_fadvise },
	{ .name = "arch_prctl", .first_out = -1, .print_arg = print_arch_prctl },
	{ .name = "prlimit64", .first_out = 3, .print_arg = print_prlimit64 },
	{ .name = "getrlimit", .first_out = 1, .print_arg = print_getrlimit },
	{ .name = "setrlimit", .first_out = -1, .print_arg = print_getrlimit },
	{ .name = "getrandom", .first_out = 0, .print_arg = print_getrandom },
	{ .name = "futex", .nargs = nargs_futex, .first_out = -1, .print_arg = print_futex },
};

const struct call_decoder *decoder_for(const char *name)
{
	for (size_t i = 0; i < sizeof decoders / sizeof decoders[0]; i++)
		if (strcmp(decoders[i].name, name) == 0)
			return &decoders[i];
	return NULL;
}
