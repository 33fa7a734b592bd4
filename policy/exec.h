/* policy/exec.h: the executive of split execution.
 *
 * Owns the decision for each trapped call (local, remote, stage, deny,
 * emulate) and carrying it out: paths are read from guest memory, resolved
 * against the dirfd or the virtual cwd, normalized and routed by the policy;
 * fds are looked up in the virtual file table (policy/vft.h); remote work is
 * done at the shadow over the rpc connection (policy/remote.h). It knows no
 * tracer or ptrace: guest memory comes through struct exec_guest_mem, and
 * what to do with the call goes back as a struct exec_action, which the
 * tracer's split handler (tracer/split_handler.c) maps onto trap verdicts.
 * docs/architecture.md, "Split execution", describes the design. */
#ifndef SPLITRUN_POLICY_EXEC_H
#define SPLITRUN_POLICY_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "arch/syscall.h"
#include "rpc/client.h"

struct policy;
struct rpc_conn;

/* Guest memory, as the tracer provides it (tracer/guestmem.h has the same
 * contract: short reads only at an unmapped page; read_str returns the
 * length, MAX when the string did not fit, or -1). READ may refuse a
 * thread that no longer waits in its trapped call; PEEK reads any process
 * (for bytes the executive wrote itself and compares). ADDFD (NULL when
 * the backend cannot) puts the tracer's open file FD into TID's table now,
 * at its lowest free number, while TID's trapped call still waits
 * (O_CLOEXEC in FLAGS: close-on-exec); it returns the number or -errno. */
struct exec_guest_mem {
	ssize_t (*read)(pid_t tid, uint64_t addr, void *buf, size_t len);
	ssize_t (*write)(pid_t tid, uint64_t addr, const void *buf, size_t len);
	ssize_t (*read_str)(pid_t tid, uint64_t addr, char *buf, size_t max);
	ssize_t (*peek)(pid_t pid, uint64_t addr, void *buf, size_t len);
	int (*addfd)(pid_t tid, int fd, int flags);
};

/* A "#!" script run without rewriting the execve (docs/architecture.md,
 * "Programs without rewriting"): the kernel runs splitrun itself as the
 * script's interpreter, with this first argument; it asks the executive
 * for the real interpreter, its argument and the script's name with this
 * call number (one no kernel gives, so it traps), and execs them. */
#define EXEC_SCRIPT_HELPER_ARG "--run-script-from-home"
#define EXEC_SCRIPT_HELPER_NR 4094
/* The helper's execve names the interpreter in a buffer of this many
 * bytes, which a longer name may replace. */
#define EXEC_SCRIPT_HELPER_ROOM 4096

/* What the trap backend can do beyond running and answering a call. The
 * ptrace backend: SEE_EXIT, REWRITE, INSTALL, and it reports processes as
 * they are made and execve as it succeeds. The user-notification backend:
 * ADDFD and DEFER only; the executive then works out the rest itself
 * (docs/architecture.md, "Split execution without ptrace"). */
enum exec_caps {
	EXEC_CAN_SEE_EXIT = 1u << 0,  /* let a call run and learn its result */
	EXEC_CAN_REWRITE  = 1u << 1,  /* change number, arguments, place strings */
	EXEC_CAN_INSTALL  = 1u << 2,  /* answer with a new open file on a file the tracer holds */
	EXEC_CAN_ADDFD    = 1u << 3,  /* answer with a new fd on the tracer's own open file, at a
				       * number of our choice */
	EXEC_CAN_DEFER    = 1u << 4,  /* answer later: the call waits and is offered again */
};

enum exec_verdict {
	EXEC_RUN,       /* the call runs in the guest (maybe rewritten) */
	EXEC_ANSWER,    /* it does not run; the guest sees `result` */
	EXEC_INSTALL,   /* it does not run; the guest gets a new fd on install_fd */
	EXEC_FATAL,     /* the shadow is lost: stop the guest now (exec_lost says why) */
	EXEC_DEFER,     /* not now: the call waits defer_ms and is offered again (EXEC_CAN_DEFER) */
};

/* Where a call went, for --trace marks and the summary. */
enum exec_route {
	ROUTE_LOCAL,
	ROUTE_REMOTE,
	ROUTE_STAGE,
	ROUTE_DENY,     /* the policy denied it */
	ROUTE_REFUSED,  /* it cannot be split: ENOSYS/EOPNOTSUPP/ENOTTY and a warning */
	ROUTE_COUNT
};

struct exec_action {
	enum exec_verdict verdict;
	enum exec_route route;
	bool log;                /* a policy rule says: show this call even without --trace */
	int64_t result;          /* EXEC_ANSWER */
	bool see_exit;           /* EXEC_RUN and EXEC_INSTALL: exec_exit wants the result */
	/* EXEC_RUN rewrites (EXEC_CAN_REWRITE), as in tracer/handler.h */
	bool rewrite_nr;
	long nr;
	bool rewrite_args;
	uint64_t arg[SYSCALL_MAX_ARGS];
	const void *scratch;
	size_t scratch_len;
	uint8_t scratch_args;
	const uint32_t *fixup;
	size_t nfixups;
	/* EXEC_INSTALL */
	int install_fd;
	int install_flags;
	int install_at;          /* EXEC_CAN_ADDFD: the guest's fd number, -1: the lowest free */
	/* EXEC_DEFER */
	unsigned defer_ms;
};

/* What the executive does when the shadow is lost (splitrun --on-disconnect;
 * docs/limits.md, "When the shadow is lost"). */
enum exec_on_lost {
	EXEC_LOST_STOP,        /* the guest is stopped (EXEC_FATAL, exec_lost says why) */
	EXEC_LOST_EIO,         /* the guest goes on; every call that needs the shadow fails with EIO */
	EXEC_LOST_RECONNECT,   /* the shadow is dialed again for a while; the guest's files are
				* opened again where nothing was lost, the others fail with EIO;
				* if the time runs out, the guest is stopped */
};

/* Makes a new connection to the shadow (a new session, authenticated as
 * the first was) in FRESH, giving up after TIMEOUT_MS. FIRST: the first try
 * since the shadow was lost. Returns 0, or -errno with WHY (SIZE bytes)
 * saying why in words; -EINTR: stop trying (splitrun was told to stop
 * since the first try). */
typedef int exec_redial_fn(void *ctx, struct rpc_conn *fresh, int timeout_ms, bool first, char *why, size_t size);

struct exec_config {
	const struct policy *policy;
	struct rpc_conn *conn;          /* connected to the shadow */
	const struct exec_guest_mem *mem;
	unsigned caps;                  /* enum exec_caps */
	const char *cwd;                /* the first process's (virtual) cwd, absolute */
	mode_t umask;
	int fd_base;                    /* EXEC_CAN_ADDFD: remote fds go at this number and above
					 * (exec_filter_rules), 0: anywhere */
	bool launch_room;               /* the first execve (the launch's) names its program in a
					 * buffer of PATH_MAX bytes, which a longer name may replace */
	FILE *warn;                     /* one-time warnings ("splitrun: ..."), NULL: stderr */
	uint64_t attr_ttl_ns;           /* how long attributes and names are believed (0: not cached) */
	enum exec_on_lost on_lost;
	uint64_t reconnect_ns;          /* EXEC_LOST_RECONNECT: how long the shadow is dialed for */
	exec_redial_fn *redial;         /* EXEC_LOST_RECONNECT: how */
	void *redial_ctx;
	bool sync_close;                /* a close of a written file waits for its data to be at home */
};

struct exec;
struct exec_stats;

/* Returns NULL after printing why (out of memory, no staging directory). */
struct exec *exec_new(const struct exec_config *cfg);
/* Releases every remote object (closing handles, writing staged files
 * back, waiting for write-behind) and removes the staging directory.
 * Returns 0, or the -errno of the first failure no call of the program
 * could report (data written that did not get home; -EIO when the shadow
 * was lost). FINAL (may be NULL) gets the figures of the whole run. */
int exec_free(struct exec *x, struct exec_stats *final);

/* A trapped call of TID: NR with ARGS. Fills A. */
void exec_enter(struct exec *x, pid_t tid, long nr, const uint64_t args[SYSCALL_MAX_ARGS], struct exec_action *a);
enum exec_exit_action {
	EXEC_EXIT_KEEP,      /* the guest sees RET */
	EXEC_EXIT_OVERRIDE,  /* the guest sees *override */
	EXEC_EXIT_REDO,      /* the thread makes its original call again (EXEC_CAN_REWRITE) */
};

/* The result RET of the call TID made (for see_exit). */
enum exec_exit_action exec_exit(struct exec *x, pid_t tid, int64_t ret, int64_t *override);

/* Processes and threads (tracer/handler.h's trap_new_task, field by field). */
void exec_task_new(struct exec *x, pid_t tid, pid_t parent, bool shares_files, bool shares_fs);
void exec_task_gone(struct exec *x, pid_t tid);
void exec_task_exec(struct exec *x, pid_t tid, pid_t former_tid);

/* The directory the first process starts in (its kernel cwd) when its
 * cwd is remote: an empty private directory of this run's, where programs
 * stored at home get local names while they start; NULL: splitrun's own
 * cwd. */
const char *exec_kernel_cwd(const struct exec *x);

/* Non-NULL once the guest must be stopped because the shadow is lost: the
 * reason, one line. With EXEC_LOST_STOP that is at once; with
 * EXEC_LOST_RECONNECT when the shadow did not come back in time; with
 * EXEC_LOST_EIO never. */
const char *exec_lost(const struct exec *x);

/* The seccomp rules of split mode, by syscall number (syscall_max_nr()+1
 * entries). Mirrors tracer/filter.h's struct filter_rule (the executive
 * does not include tracer headers). Unknown numbers must trap. FD_BASE
 * (0: none): remote fds are placed at fd_base and above, so a call whose
 * fd arguments are all below it need not trap. */
enum exec_filter { EXEC_FILTER_ALLOW, EXEC_FILTER_TRAP, EXEC_FILTER_ERRNO };
struct exec_filter_rule {
	uint8_t action;      /* enum exec_filter */
	uint16_t err;        /* EXEC_FILTER_ERRNO */
	/* EXEC_FILTER_TRAP: still allowed when every argument in FD_ARGS
	 * (a mask of argument indices) is below FD_BELOW, or (ANON_OK, mmap)
	 * when the map is anonymous. */
	uint8_t fd_args;
	uint32_t fd_below;
	bool anon_ok;
};
void exec_filter_rules(const struct policy *p, unsigned caps, int fd_base, struct exec_filter_rule *rules);

/* Why the executive cannot run under a backend with only CAPS, with this
 * policy (and FIRST_REMOTE: the first program is stored at home), or NULL
 * when it can: what it cannot do is refused call by call otherwise, but
 * these would make every run fail. */
const char *exec_cannot_run(const struct policy *p, unsigned caps, bool first_remote);

/* What split execution did so far: calls per route, the connection's
 * requests, ops, round trips, bytes and waits (rpc/client.h), the cache. */
struct exec_stats {
	unsigned long calls[ROUTE_COUNT];
	struct rpc_stats rpc;
	unsigned long cache_hits, cache_misses;   /* stat-like calls answered here, or not */
	unsigned long staged_files, written_back;
	unsigned long unreported;                 /* failed writes no call could report */
	unsigned long reconnects;                 /* new sessions after the shadow was lost */
	unsigned long reopened, not_reopened;     /* files opened again in them, or failed with EIO */
};

/* A pidfd for thread TID that names that thread and its fd table even when
 * TID does not lead its process (PIDFD_THREAD); on a kernel before 6.9, a
 * process pidfd, which only a leader has. The fd, or -1 with errno set. */
int exec_thread_pidfd(pid_t tid);

void exec_get_stats(const struct exec *x, struct exec_stats *s);
const char *exec_route_name(enum exec_route r);

#endif
