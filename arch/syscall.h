/* arch/syscall.h: the syscall semantics table and the architecture's numbers.
 *
 * Owns: the mapping number <-> name for the architecture this binary runs on
 * (arch/ARCH/syscallent.h, generated) and the architecture-neutral meaning of
 * each call's arguments (arch/syscalls.def: argument count, strace-style
 * classes, one kind per argument). The filter generator, the trace decoder and
 * (later) the executive's router all read this one table; no layer above arch/
 * writes a syscall number. */
#ifndef SPLITRUN_ARCH_SYSCALL_H
#define SPLITRUN_ARCH_SYSCALL_H

#include <stdint.h>

/* Classes, as strace's -e trace=%CLASS. A call may be in several. */
enum syscall_class {
	SC_FILE    = 1u << 0,  /* takes a file name (%file) */
	SC_DESC    = 1u << 1,  /* takes or returns a file descriptor (%desc) */
	SC_PROCESS = 1u << 2,  /* process lifecycle (%process) */
	SC_NETWORK = 1u << 3,  /* sockets (%network) */
	SC_MEMORY  = 1u << 4,  /* memory mapping (%memory) */
	SC_SIGNAL  = 1u << 5,  /* signals (%signal) */
	SC_IPC     = 1u << 6,  /* SysV IPC (%ipc) */
	SC_STAT    = 1u << 7,  /* stat family, also %file or %desc (%stat) */
	SC_CREDS   = 1u << 8,  /* identity (%creds) */
	SC_CLOCK   = 1u << 9,  /* clocks and time (%clock) */
	SC_NO_ROW  = 1u << 14, /* no row in syscalls.def: what the arguments mean is unknown */
	SC_NEVER_RETURNS = 1u << 15, /* exit, exit_group: no "= value" line */
};

/* What one argument is. The decoder prints by kind; the router (policy/)
 * finds paths, dirfds and fds by kind. Kinds that name a flag set are decoded
 * by the trace printer's xlat tables. */
enum arg_kind {
	AK_NONE = 0,    /* no such argument */
	AK_HEX,         /* unknown: printed as 0x... */
	AK_INT,         /* signed decimal */
	AK_UINT,        /* unsigned decimal */
	AK_PTR,         /* address, printed as 0x... or NULL */
	AK_FD,          /* file descriptor (-y prints its path) */
	AK_DIRFD,       /* directory fd for an *at call: AT_FDCWD or an fd */
	AK_PATH,        /* NUL-terminated file name in guest memory */
	AK_STR,         /* NUL-terminated string that is not a path */
	AK_INBUF,       /* buffer the call reads; its length is the next argument */
	AK_OUTBUF,      /* buffer the call fills; length next, printed at exit */
	AK_SIZE,        /* a byte count */
	AK_OFFSET,      /* a file offset */
	AK_OPEN_FLAGS,  /* O_* */
	AK_MODE,        /* file mode bits, octal */
	AK_AT_FLAGS,    /* AT_* */
	AK_ACCESS_MODE, /* F_OK, R_OK|W_OK|X_OK */
	AK_WHENCE,      /* SEEK_* */
	AK_PROT,        /* PROT_* */
	AK_MAP_FLAGS,   /* MAP_* */
	AK_SIGNUM,      /* SIGxxx */
	AK_CLONE_FLAGS, /* CLONE_* */
	AK_FCNTL_CMD,   /* F_* */
	AK_STRUCT_OUT,  /* a struct the call fills (stat, statx, ...): decoded per call */
	AK_STRUCT_IN,   /* a struct the call reads: decoded per call */
	AK_KIND_COUNT
};

#define SYSCALL_MAX_ARGS 6

struct syscall_desc {
	const char *name;
	uint8_t nargs;
	uint32_t classes;                    /* enum syscall_class bits */
	uint8_t arg[SYSCALL_MAX_ARGS];       /* enum arg_kind */
};

/* The description of call NR on this architecture, or NULL when NR is not a
 * syscall of it. Calls with no semantics row get a generic description
 * (six AK_HEX arguments, class SC_NO_ROW), never NULL. */
const struct syscall_desc *syscall_by_nr(long nr);

/* The number of the call NAME on this architecture, or -1 if it has none
 * (aarch64 has no open, stat, access, ...). */
long syscall_nr(const char *name);

/* Highest syscall number of this architecture, for iteration. */
long syscall_max_nr(void);

/* For a NAME this architecture has no call of: the name of another supported
 * architecture ("x86_64", "aarch64") that has one, or NULL when none has
 * (or when this one has it too). Lets a policy that names "open" be a
 * warning on aarch64 instead of an error. */
const char *syscall_other_arch(const char *name);

#endif
