/* tracer/decode.c: the generic argument printer and the building blocks the
 * per-call decoders share. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tracer/decode.h"
#include "tracer/guestmem.h"
#include "tracer/xlat.h"

void print_quoted(struct pbuf *b, const unsigned char *s, size_t len)
{
	pb_reserve(b, len * 4 + 2);
	char *o = b->s + b->len;
	*o++ = '"';
	for (size_t i = 0; i < len; i++) {
		unsigned c = s[i];
		switch (c) {
		case '"': *o++ = '\\'; *o++ = '"'; continue;
		case '\\': *o++ = '\\'; *o++ = '\\'; continue;
		case '\n': *o++ = '\\'; *o++ = 'n'; continue;
		case '\t': *o++ = '\\'; *o++ = 't'; continue;
		case '\r': *o++ = '\\'; *o++ = 'r'; continue;
		case '\f': *o++ = '\\'; *o++ = 'f'; continue;
		case '\v': *o++ = '\\'; *o++ = 'v'; continue;
		}
		if (c >= ' ' && c < 0x7f) {
			*o++ = (char)c;
			continue;
		}
		/* Octal, as short as possible unless an octal digit follows. */
		*o++ = '\\';
		bool full = i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '7';
		if (full || c >> 6)
			*o++ = (char)('0' + (c >> 6));
		if (full || c >> 3)
			*o++ = (char)('0' + ((c >> 3) & 7));
		*o++ = (char)('0' + (c & 7));
	}
	*o++ = '"';
	b->len = (size_t)(o - b->s);
}

void print_ptr(struct pbuf *b, uint64_t addr)
{
	if (addr)
		pb_hex(b, addr);
	else
		pb_puts(b, "NULL");
}

/* Scratch for guest buffers: grows to the largest -s seen, then stays. */
static unsigned char *scratch;
static size_t scratch_cap;

static unsigned char *scratch_get(size_t n)
{
	if (n > scratch_cap) {
		unsigned char *p = realloc(scratch, n);
		if (!p)
			return NULL;
		scratch = p;
		scratch_cap = n;
	}
	return scratch;
}

void print_guest_buf(struct pbuf *b, pid_t pid, uint64_t addr, uint64_t len, int limit)
{
	if (!addr) {
		pb_puts(b, "NULL");
		return;
	}
	uint64_t want = len < (uint64_t)limit ? len : (uint64_t)limit;
	unsigned char *buf = scratch_get(want ? (size_t)want : 1);
	ssize_t got = want && buf ? guest_read(pid, addr, buf, (size_t)want) : 0;
	if (!buf || got < 0 || (uint64_t)got < want) {
		pb_hex(b, addr);
		return;
	}
	print_quoted(b, buf, (size_t)want);
	if (len > want)
		pb_puts(b, "...");
}

void print_guest_str(struct pbuf *b, pid_t pid, uint64_t addr, int limit)
{
	static char str[PATH_MAX + 2];
	if (!addr) {
		pb_puts(b, "NULL");
		return;
	}
	/* Ask for one byte more than is shown, so "longer than LIMIT" never
	 * depends on how guest_read_str reports a string that fills its buffer. */
	size_t shown = limit < 0 || limit > PATH_MAX ? PATH_MAX : (size_t)limit;
	ssize_t n = guest_read_str(pid, addr, str, shown + 2);
	if (n < 0) {
		pb_hex(b, addr);
		return;
	}
	if ((size_t)n > shown) {
		print_quoted(b, (unsigned char *)str, shown);
		pb_puts(b, "...");
	} else {
		print_quoted(b, (unsigned char *)str, (size_t)n);
	}
}

void print_fd(struct decode_ctx *ctx, int64_t fd)
{
	pb_dec(ctx->b, (int)fd);
	if (!ctx->fd_paths || (int)fd < 0)
		return;
	char link[64], target[PATH_MAX];
	snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)ctx->call->pid, (int)fd);
	ssize_t n = readlink(link, target, sizeof target - 1);
	if (n <= 0)
		return;
	pb_putc(ctx->b, '<');
	pb_putn(ctx->b, target, (size_t)n);
	pb_putc(ctx->b, '>');
}

/* -y shows the working directory too: AT_FDCWD</home/user>. */
void print_at_fdcwd(struct decode_ctx *ctx)
{
	pb_puts(ctx->b, "AT_FDCWD");
	if (!ctx->fd_paths)
		return;
	char link[64], target[PATH_MAX];
	snprintf(link, sizeof link, "/proc/%d/cwd", (int)ctx->call->pid);
	ssize_t n = readlink(link, target, sizeof target - 1);
	if (n <= 0)
		return;
	pb_putc(ctx->b, '<');
	pb_putn(ctx->b, target, (size_t)n);
	pb_putc(ctx->b, '>');
}

void print_mode(struct pbuf *b, uint64_t mode)
{
	pb_printf(b, "%#03llo", (unsigned long long)mode);
}

void print_open_flags(struct pbuf *b, uint64_t flags)
{
	xlat_print_enum(b, &xlat_open_access, flags & O_ACCMODE, NULL);
	flags &= ~(uint64_t)O_ACCMODE;
	print_open_flag_bits(b, flags, false);
}

void print_open_flag_bits(struct pbuf *b, uint64_t flags, bool first)
{
	if (!flags) {
		if (first)
			pb_putc(b, '0');
		return;
	}
	first = xlat_print_flags_part(b, &xlat_open_flags, &flags, first);
	if (xlat_kernel_o_largefile && (flags & xlat_kernel_o_largefile)) {
		pb_puts(b, first ? "O_LARGEFILE" : "|O_LARGEFILE");
		flags &= ~xlat_kernel_o_largefile;
		first = false;
	}
	first = xlat_print_flags_part(b, &xlat_open_flags_tail, &flags, first);
	if (flags) {
		if (!first)
			pb_putc(b, '|');
		pb_hex(b, flags);
	}
}

void print_wait_status(struct pbuf *b, int status)
{
	pb_puts(b, "[{");
	if (WIFEXITED(status)) {
		pb_puts(b, "WIFEXITED(s) && WEXITSTATUS(s) == ");
		pb_dec(b, WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		pb_puts(b, "WIFSIGNALED(s) && WTERMSIG(s) == ");
		xlat_print_signal(b, (uint64_t)WTERMSIG(status));
		if (WCOREDUMP(status))
			pb_puts(b, " && WCOREDUMP(s)");
	} else if (WIFSTOPPED(status)) {
		pb_puts(b, "WIFSTOPPED(s) && WSTOPSIG(s) == ");
		xlat_print_signal(b, (uint64_t)WSTOPSIG(status));
		if (status >> 16) {
			pb_puts(b, " && status>>16 == ");
			pb_dec(b, status >> 16);
		}
	} else if (WIFCONTINUED(status)) {
		pb_puts(b, "WIFCONTINUED(s)");
	} else {
		pb_hex(b, (uint64_t)(unsigned)status);
	}
	pb_puts(b, "}]");
}

/* Clock ticks, with strace's comment in seconds when not zero. */
static void print_clock_ticks(struct pbuf *b, uint64_t ticks)
{
	static long hz;
	if (!hz)
		hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
	pb_udec(b, ticks);
	if (!ticks)
		return;
	int digits = 0;
	for (long h = hz - 1; h > 0; h /= 10)
		digits++;
	pb_printf(b, " /* %llu.%0*llu s */", (unsigned long long)(ticks / (uint64_t)hz), digits,
		  (unsigned long long)(ticks % (uint64_t)hz));
}

void print_siginfo(struct pbuf *b, const siginfo_t *si)
{
	pb_puts(b, "{si_signo=");
	xlat_print_signal(b, (uint64_t)si->si_signo);
	pb_puts(b, ", si_code=");
	const struct xlat *codes = NULL;
	if (si->si_code > 0) {
		switch (si->si_signo) {
		case SIGCHLD: codes = &xlat_cld_codes; break;
		case SIGSEGV: codes = &xlat_segv_codes; break;
		case SIGBUS: codes = &xlat_bus_codes; break;
		case SIGILL: codes = &xlat_ill_codes; break;
		case SIGFPE: codes = &xlat_fpe_codes; break;
		case SIGTRAP: codes = &xlat_trap_codes; break;
		}
	}
	const char *code = codes ? xlat_name(codes, (uint64_t)si->si_code) : NULL;
	if (!code)
		code = xlat_name(&xlat_si_codes, (uint64_t)(int64_t)si->si_code);
	if (code)
		pb_puts(b, code);
	else
		pb_dec(b, si->si_code);

	if (si->si_code == SI_USER || si->si_code == SI_TKILL) {
		pb_printf(b, ", si_pid=%d, si_uid=%u", (int)si->si_pid, (unsigned)si->si_uid);
	} else if (si->si_code == SI_QUEUE || si->si_code == SI_MESGQ) {
		pb_printf(b, ", si_pid=%d, si_uid=%u, si_int=%d, si_ptr=", (int)si->si_pid,
			  (unsigned)si->si_uid, si->si_int);
		print_ptr(b, (uint64_t)(uintptr_t)si->si_ptr);
	} else if (si->si_code == SI_TIMER) {
		pb_printf(b, ", si_timerid=%#x, si_overrun=%d, si_int=%d, si_ptr=",
			  (unsigned)si->si_timerid, si->si_overrun, si->si_int);
		print_ptr(b, (uint64_t)(uintptr_t)si->si_ptr);
	} else if (si->si_code > 0 && si->si_signo == SIGCHLD) {
		pb_printf(b, ", si_pid=%d, si_uid=%u, si_status=", (int)si->si_pid, (unsigned)si->si_uid);
		if (si->si_code == CLD_EXITED)
			pb_dec(b, si->si_status);
		else
			xlat_print_signal(b, (uint64_t)si->si_status);
		pb_puts(b, ", si_utime=");
		print_clock_ticks(b, (uint64_t)si->si_utime);
		pb_puts(b, ", si_stime=");
		print_clock_ticks(b, (uint64_t)si->si_stime);
	} else if ((si->si_code > 0 || si->si_code == SI_KERNEL) &&
		   (si->si_signo == SIGSEGV || si->si_signo == SIGBUS || si->si_signo == SIGILL ||
		    si->si_signo == SIGFPE || si->si_signo == SIGTRAP)) {
		pb_puts(b, ", si_addr=");
		print_ptr(b, (uint64_t)(uintptr_t)si->si_addr);
	} else if (si->si_code > 0 && si->si_signo == SIGSYS) {
		pb_puts(b, ", si_call_addr=");
		print_ptr(b, (uint64_t)(uintptr_t)si->si_call_addr);
		pb_printf(b, ", si_syscall=%d, si_arch=%#x", si->si_syscall, si->si_arch);
	}
	pb_putc(b, '}');
}

int decode_nargs(const struct call_decoder *d, const struct trace_call *call)
{
	if (d && d->nargs)
		return d->nargs(call);
	return call->desc->nargs;
}

int decode_first_out(const struct call_decoder *d, const struct trace_call *call, int nargs)
{
	if (d && d->first_out >= 0)
		return d->first_out < nargs ? d->first_out : nargs;
	for (int i = 0; i < nargs; i++)
		if (call->desc->arg[i] == AK_OUTBUF || call->desc->arg[i] == AK_STRUCT_OUT)
			return i;
	return nargs;
}

static void print_by_kind(struct decode_ctx *ctx, int i)
{
	struct pbuf *b = ctx->b;
	const struct trace_call *call = ctx->call;
	uint64_t v = call->arg[i];
	switch ((enum arg_kind)call->desc->arg[i]) {
	case AK_INT:
		pb_dec(b, (int)v);
		break;
	case AK_UINT:
	case AK_SIZE:
		pb_udec(b, v);
		break;
	case AK_OFFSET:
		pb_dec(b, (int64_t)v);
		break;
	case AK_PTR:
	case AK_STRUCT_IN:
		print_ptr(b, v);
		break;
	case AK_FD:
		print_fd(ctx, (int64_t)v);
		break;
	case AK_DIRFD:
		if ((int)v == AT_FDCWD)
			print_at_fdcwd(ctx);
		else
			print_fd(ctx, (int64_t)v);
		break;
	case AK_PATH:
		print_guest_str(b, call->pid, v, -1);
		break;
	case AK_STR:
		print_guest_str(b, call->pid, v, ctx->string_limit);
		break;
	case AK_INBUF:
		print_guest_buf(b, call->pid, v, i + 1 < SYSCALL_MAX_ARGS ? call->arg[i + 1] : 0,
				ctx->string_limit);
		break;
	case AK_OUTBUF:
		if (call->ret < 0)
			print_ptr(b, v);
		else
			print_guest_buf(b, call->pid, v, (uint64_t)call->ret, ctx->string_limit);
		break;
	case AK_OPEN_FLAGS:
		print_open_flags(b, v);
		break;
	case AK_MODE:
		print_mode(b, v);
		break;
	case AK_AT_FLAGS:
		xlat_print_flags(b, &xlat_at_flags, (uint32_t)v);
		break;
	case AK_ACCESS_MODE:
		xlat_print_flags(b, &xlat_access_modes, v);
		break;
	case AK_WHENCE:
		xlat_print_enum(b, &xlat_whence, (uint32_t)v, "SEEK_");
		break;
	case AK_PROT:
		xlat_print_flags(b, &xlat_prot, v);
		break;
	case AK_MAP_FLAGS: {
		const char *type = xlat_name(&xlat_map_type, v & 0xf);
		if (type) {
			pb_puts(b, type);
			v &= ~(uint64_t)0xf;
			if (v) {
				pb_putc(b, '|');
				xlat_print_flags(b, &xlat_map_flags, v);
			}
		} else {
			xlat_print_flags(b, &xlat_map_flags, v);
		}
		break;
	}
	case AK_SIGNUM:
		xlat_print_signal(b, (uint64_t)(int)v);
		break;
	case AK_CLONE_FLAGS: {
		uint64_t sig = v & 0xff;
		v &= ~(uint64_t)0xff;
		if (v)
			xlat_print_flags(b, &xlat_clone_flags, v);
		if (sig) {
			if (v)
				pb_putc(b, '|');
			xlat_print_signal(b, sig);
		} else if (!v) {
			pb_putc(b, '0');
		}
		break;
	}
	case AK_FCNTL_CMD:
		xlat_print_enum(b, &xlat_fcntl_cmds, (uint32_t)v, "F_");
		break;
	case AK_STRUCT_OUT:
		print_ptr(b, v);
		break;
	case AK_NONE:
	case AK_HEX:
	default:
		pb_hex(b, v);
		break;
	}
}

void decode_arg(struct decode_ctx *ctx, const struct call_decoder *d, int i)
{
	if (d && d->print_arg && d->print_arg(ctx, i))
		return;
	print_by_kind(ctx, i);
}

void decode_ret(struct decode_ctx *ctx, const struct call_decoder *d)
{
	struct pbuf *b = ctx->b;
	const struct trace_call *call = ctx->call;
	int64_t ret = call->ret;
	pb_puts(b, "= ");
	if (ret < 0 && ret >= -4095) {
		int err = (int)-ret;
		const char *name = xlat_errno_name(err);
		/* The restart codes never reach the guest: strace writes "?" */
		pb_puts(b, err >= 512 && err <= 516 ? "? " : "-1 ");
		if (name)
			pb_puts(b, name);
		else
			pb_printf(b, "ERRNO_%d", err);
		pb_puts(b, " (");
		pb_puts(b, xlat_errno_text(err));
		pb_putc(b, ')');
		return;
	}
	if (d && d->print_ret && d->print_ret(ctx))
		return;
	if (d && d->ret_hex) {
		pb_hex(b, (uint64_t)ret);
		return;
	}
	if (d && d->ret_fd) {
		print_fd(ctx, ret);
		return;
	}
	pb_dec(b, ret);
}
