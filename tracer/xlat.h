/* tracer/xlat.h: symbolic constants as data. Each table maps values to the
 * names strace prints; one generic printer renders enums ("SEEK_SET") and
 * flag sets ("O_WRONLY|O_CREAT|0x400000"). Values come from libc macros, so
 * they take the target's values at compile time. */
#ifndef SPLITRUN_TRACER_XLAT_H
#define SPLITRUN_TRACER_XLAT_H

#include <stdbool.h>
#include <stdint.h>

#include "tracer/print_buf.h"

struct xlat_entry {
	uint64_t val;
	const char *name;
};

struct xlat {
	const struct xlat_entry *e;
	unsigned n;
};

/* The name of V, or NULL. */
const char *xlat_name(const struct xlat *x, uint64_t v);
/* NAME, or V in hex followed by " / * PREFIX??? * /" when V has no name. */
void xlat_print_enum(struct pbuf *b, const struct xlat *x, uint64_t v, const char *unknown_prefix);
/* NAME|NAME|0xREST; "0" (or the table's zero name) for zero. Entries are
 * tried in table order, so a multi-bit name listed first wins. */
void xlat_print_flags(struct pbuf *b, const struct xlat *x, uint64_t v);
/* The names of X's flags set in *V, '|'-separated (a leading '|' unless
 * FIRST), cleared from *V. Returns whether nothing has been printed yet. */
bool xlat_print_flags_part(struct pbuf *b, const struct xlat *x, uint64_t *v, bool first);

extern const struct xlat xlat_open_access;   /* O_RDONLY, O_WRONLY, O_RDWR */
extern const struct xlat xlat_open_flags;    /* O_* up to O_DIRECT, strace's order */
extern const struct xlat xlat_open_flags_tail; /* O_* after O_LARGEFILE */
extern const struct xlat xlat_at_flags;
extern const struct xlat xlat_faccessat_flags;
extern const struct xlat xlat_unlinkat_flags;
extern const struct xlat xlat_access_modes;
extern const struct xlat xlat_whence;
extern const struct xlat xlat_prot;
extern const struct xlat xlat_map_type;
extern const struct xlat xlat_map_flags;
extern const struct xlat xlat_mremap_flags;
extern const struct xlat xlat_madvise;
extern const struct xlat xlat_clone_flags;
extern const struct xlat xlat_fcntl_cmds;
extern const struct xlat xlat_fd_flags;
extern const struct xlat xlat_file_types;    /* S_IFREG ... */
extern const struct xlat xlat_statx_mask;
extern const struct xlat xlat_wait_options;
extern const struct xlat xlat_sigprocmask_how;
extern const struct xlat xlat_sa_flags;
extern const struct xlat xlat_rename_flags;
extern const struct xlat xlat_address_families;
extern const struct xlat xlat_socket_types;
extern const struct xlat xlat_socket_flags;
extern const struct xlat xlat_ip_protocols;
extern const struct xlat xlat_si_codes;      /* SI_USER ... (all signals) */
extern const struct xlat xlat_cld_codes;
extern const struct xlat xlat_segv_codes;
extern const struct xlat xlat_bus_codes;
extern const struct xlat xlat_ill_codes;
extern const struct xlat xlat_fpe_codes;
extern const struct xlat xlat_trap_codes;
extern const struct xlat xlat_arch_prctl;
extern const struct xlat xlat_rlimits;
extern const struct xlat xlat_getrandom_flags;
extern const struct xlat xlat_fadvise;
extern const struct xlat xlat_fs_magic;
extern const struct xlat xlat_statfs_flags;
extern const struct xlat xlat_rusage_who;
extern const struct xlat xlat_lock_types;
extern const struct xlat xlat_sigaltstack_flags;
extern const struct xlat xlat_resolve_flags;
extern const struct xlat xlat_flock_ops;
extern const struct xlat xlat_msg_flags;
extern const struct xlat xlat_poll_events;
extern const struct xlat xlat_clocks;
extern const struct xlat xlat_timer_flags;
extern const struct xlat xlat_epoll_flags;
extern const struct xlat xlat_prctl_options;
extern const struct xlat xlat_ioctl_cmds;
extern const struct xlat xlat_termios_iflags;
extern const struct xlat xlat_termios_oflags;
extern const struct xlat xlat_termios_cflags;
extern const struct xlat xlat_termios_lflags;
extern const struct xlat xlat_baud;
extern const struct xlat xlat_futex_ops;

/* "SIGTERM", "SIGRTMIN", "SIGRT_3"; NULL when SIG is not a signal. */
const char *xlat_signal_name(int sig);
void xlat_print_signal(struct pbuf *b, uint64_t sig);
/* "ENOENT", NULL if unknown. */
const char *xlat_errno_name(int err);
/* strerror's text, or the kernel's meaning of its internal restart codes. */
const char *xlat_errno_text(int err);

/* O_LARGEFILE as the kernel sets it in f_flags (libc defines it as 0 on
 * 64-bit targets); see xlat_kernel.c. */
extern const uint64_t xlat_kernel_o_largefile;

#endif
