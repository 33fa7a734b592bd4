/* tracer/decode.h: turns one syscall's arguments and result into strace's
 * text. The generic path prints each argument by its kind (arch/syscalls.def);
 * calls whose arguments depend on each other (open's mode, fcntl's third
 * argument, execve's arrays, clone's flags, the stat structs ...) have a
 * decoder of their own in decode_calls.c. Arguments a call fills are printed
 * at exit, the rest at entry, exactly where strace splits the line for
 * "<unfinished ...>". */
#ifndef SPLITRUN_TRACER_DECODE_H
#define SPLITRUN_TRACER_DECODE_H

#include <stdbool.h>

#include "tracer/print_buf.h"
#include "tracer/trace.h"

struct decode_ctx {
	struct pbuf *b;
	const struct trace_call *call;
	int string_limit;
	bool fd_paths;
	bool exiting;
	uint64_t *saved;   /* two words kept from entry to exit (socklen, fd sets ...) */
};

/* A call's own decoder. PRINT_ARG prints argument I and returns true, or
 * returns false to let the generic printer do it by kind. */
struct call_decoder {
	const char *name;
	int (*nargs)(const struct trace_call *call);  /* NULL: the table's */
	int first_out;                  /* first argument printed at exit; -1: by kinds */
	bool (*print_arg)(struct decode_ctx *ctx, int i);
	bool (*print_ret)(struct decode_ctx *ctx);     /* NULL or false: generic */
	bool ret_hex;                   /* mmap, brk ...: "= 0x7f..." */
	bool ret_fd;                    /* -y decorates the returned fd */
	bool comma_at_exit;             /* the ", " before first_out belongs to the exit half */
	void (*on_entry)(struct decode_ctx *ctx);    /* keeps what exit needs in ctx->saved */
	void (*exit_prefix)(struct decode_ctx *ctx); /* printed first in the exit half */
};

/* The decoder of NAME, or NULL. */
const struct call_decoder *decoder_for(const char *name);

/* Number of arguments to print, and the first one printed at exit
 * (== nargs when every argument is printed at entry). */
int decode_nargs(const struct call_decoder *d, const struct trace_call *call);
int decode_first_out(const struct call_decoder *d, const struct trace_call *call, int nargs);

void decode_arg(struct decode_ctx *ctx, const struct call_decoder *d, int i);
/* "= 3", "= -1 ENOENT (No such file or directory)", "= 0x7f...", "= ?". */
void decode_ret(struct decode_ctx *ctx, const struct call_decoder *d);

/* Building blocks, also used by the signal printer and the tests. */
void print_quoted(struct pbuf *b, const unsigned char *s, size_t len);
/* A buffer of LEN bytes at ADDR in PID, cut at LIMIT bytes with "...". */
void print_guest_buf(struct pbuf *b, pid_t pid, uint64_t addr, uint64_t len, int limit);
/* A NUL-terminated string at ADDR, cut at LIMIT (<0: a path, PATH_MAX). */
void print_guest_str(struct pbuf *b, pid_t pid, uint64_t addr, int limit);
void print_ptr(struct pbuf *b, uint64_t addr);
void print_fd(struct decode_ctx *ctx, int64_t fd);
void print_at_fdcwd(struct decode_ctx *ctx);
void print_mode(struct pbuf *b, uint64_t mode);
void print_open_flags(struct pbuf *b, uint64_t flags);
/* O_* bits without the access mode ("O_CLOEXEC", "0" when none and FIRST). */
void print_open_flag_bits(struct pbuf *b, uint64_t flags, bool first);
void print_siginfo(struct pbuf *b, const siginfo_t *si);
void print_wait_status(struct pbuf *b, int status);

#endif
