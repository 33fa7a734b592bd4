/* policy/exec_internal.h: what the executive's files share. exec.c holds
 * the core (tasks, pending exits, the release of remote objects, warnings,
 * the filter rules); exec_path.c resolves and routes paths; exec_table.c is
 * the table of calls with a handler; the handlers live by family in
 * exec_file.c (open, close, stage), exec_io.c (data), exec_map.c
 * (placeholders, shared writable maps), exec_meta.c
 * (attributes), exec_dir.c (names and directories, cwd), exec_fd.c (fd
 * bookkeeping: dup, fcntl, close_range, ...), exec_proc.c (execve,
 * clone, umask, identity and clock) and exec_prog.c (execve without
 * rewriting it: the run directory, changed names, the script helper);
 * exec_lost.c does what --on-disconnect says when the shadow is lost. */
#ifndef SPLITRUN_POLICY_EXEC_INTERNAL_H
#define SPLITRUN_POLICY_EXEC_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "arch/syscall.h"
#include "policy/exec.h"
#include "policy/exec_create.h"
#include "policy/policy.h"
#include "policy/remote.h"
#include "policy/vft.h"

/* What a call that runs in the guest leaves to do at its exit. */
enum pend_kind {
	PEND_NONE,
	PEND_INSTALL,       /* obj: the new fd (the result) refers to it */
	PEND_DUP,           /* the new fd (the result) is a copy of fd (cloexec) */
	PEND_DUP_ONTO,      /* fd2 is now a copy of fd, if the result is fd2 */
	PEND_SET_CLOEXEC,   /* fd's close-on-exec flag is now cloexec, if the result is 0 */
	PEND_CLOSE_RANGE,   /* close_range(fd, fd2, flags) succeeded if the result is 0 */
	PEND_CWD_LOCAL,     /* a local chdir/fchdir: the cwd is the kernel's now, if 0 */
	PEND_UNSHARE,       /* unshare(flags) */
	PEND_OVERRIDE,      /* the guest sees `result` instead, if the call returned 0 */
	PEND_RESULT,        /* the guest sees `result` instead, if the call did not fail */
	PEND_ADVANCE,       /* obj's shadow offset moves to result + what the call returned */
	PEND_RETRY,         /* a parked wait: when it times out, the original call is made again */
	PEND_CLOSE_FD,      /* splitrun's fd that was given to the guest is closed (fd) */
};

struct exec_pending {
	enum pend_kind kind;
	struct vft_object *obj;   /* a reference held until the exit */
	int fd, fd2;
	bool cloexec;
	uint64_t flags;
	int64_t result;
};

/* The per-thread state the executive hangs on a vft_task. */
struct exec_thread {
	struct exec_pending pending;
	bool parked;              /* the last call was parked (ex_park) */
	unsigned retries;         /* parks in a row, for the back-off */
	int script_depth;         /* the script helper's: scripts in a row before its execve */
};

struct ex_alias;
struct ex_script;
struct ex_restore;

#define EX_SCRATCH_MAX (2 * (PATH_MAX + 2))
/* What a remote open that may read asks for in its own round trip, unless
 * the last EX_OPEN_READ_UNUSED files opened so were closed unread (a
 * program that opens files for their fds, locks or mmap: the bytes would
 * only cost copying and sealing). The next read of a file opened without
 * them brings them back. */
#define EX_OPEN_READ (64 * 1024)
#define EX_OPEN_READ_UNUSED 8

/* Readahead: chunks of a file kept from PREAD replies, and PREADs in
 * flight (exec_io.c). */
#define EX_RA_SLOTS 24
struct ex_ra_pending {
	int64_t tag, off;
	size_t len;
};

/* The executive's state of a remote object (vft_object.io): made with it
 * (ex_object_new), freed at its release. */
struct ex_io {
	struct ex_io *next_ra;           /* in exec.ra_list while it holds readahead */
	bool on_ra_list;
	struct vft_object *obj;
	struct ex_io *live_prev, *live_next;   /* in exec.live: every object's */
	/* what opening it again in a new session takes (exec_lost.c) */
	int shadow_flags;                /* the flags its shadow file was opened with */
	uint64_t file_dev, file_ino;     /* the file it is open on, from the open's FSTAT */
	mode_t file_type;                /* its S_IFMT bits */
	bool locked;                     /* a lock was taken through it at the shadow */
	bool lost_writes;                /* data written to it was lost with a session */
	bool loss_told;                  /* a call of the guest's was answered EIO for that */
	bool reopen_due;                 /* its handle was the lost session's: to be opened again */
	bool broken;                     /* not opened again after a reconnect: its calls fail
					  * with EIO (a staged file's copy is still used; only
					  * its write-back fails) */
	/* the file offset: remote regular files keep it here, so that reads
	 * and writes can be served and queued without asking the shadow */
	int64_t pos;
	bool pos_at_shadow;              /* appending writes went out: the shadow's offset is it */
	bool have_id;                    /* dev, ino: which file it is (readahead of others) */
	uint64_t dev, ino;
	/* readahead */
	struct remote_data chunk[EX_RA_SLOTS];
	size_t nchunks;
	struct ex_ra_pending pending[EX_RA_SLOTS];
	size_t npending;
	int64_t last_end;                /* where the last read ended (sequential reads start there) */
	uint64_t seq_bytes;              /* read in a row, each read starting where the last ended */
	bool told_sequential;            /* posix_fadvise(POSIX_FADV_SEQUENTIAL) */
	int64_t ra_next;                 /* where the next readahead PREAD starts */
	size_t ra_size;                  /* bytes per readahead PREAD, growing */
	size_t ra_window;                /* readahead PREADs kept in flight, growing */
	int64_t eof;                     /* where the file ended as of eof_ns (-1: unknown) */
	uint64_t eof_ns;
	/* write-behind */
	int wb_error;                    /* -errno of a write-behind not yet reported */
	int create_error;                /* -errno of the naming of a file made ahead
					  * (exec_create.c): every later write, fsync
					  * and close reports it again */
	bool wrote;                      /* written since opened */
	bool naming;                     /* made ahead (exec_create.c): its close waits
					  * for the naming as for writes */
	bool open_brought_data;          /* its open's PREAD brought bytes (EX_OPEN_READ) */
	bool guest_read;                 /* the guest read from it */
	/* closed by the guest, its writes still on their way (exec.closing):
	 * the handle is closed, and a failure told, once they are answered */
	bool closing;
	bool closing_held;               /* not freed yet, whatever is answered */
	int64_t closing_h;
	char *closing_path;              /* the guest path, for the message */
	struct ex_io *next_closing;
	/* a directory's entries fetched and not yet given to the guest */
	struct remote_dirents dents;
	size_t dent_next;
	int64_t dir_pos;                 /* the guest's position (d_off of the last entry given) */
	bool dir_listing;                /* dents holds a listing from dir_pos on */
};

struct exec {
	const struct policy *policy;
	struct remote remote;
	const struct exec_guest_mem *mem;
	unsigned caps;
	FILE *warn;
	struct vft *vft;
	const struct exec_row **rows;   /* by syscall number */
	struct policy_route *call_route; /* by syscall number: the policy's rule for its name */
	long max_nr;
	uint8_t *warned;                /* by syscall number: a warning was given */
	struct exec_stats stats;
	struct ex_placeholder *placeholders; /* one per home file open remotely (exec_map.c) */
	unsigned held_count;            /* placeholders that hold a file mapped shared and writable */
	char stage_dir[PATH_MAX];       /* "" until first needed */
	unsigned long stage_seq;
	uint64_t attr_ttl_ns;           /* how long attributes, names and ends of files are believed */
	/* exec_prog.c: the first process's kernel cwd when its cwd is remote
	 * (physical path, "" if none), the names made there for programs
	 * starting, the script helper's trampoline and its pending answers */
	char run_dir[PATH_MAX];
	struct ex_alias *aliases;
	unsigned long alias_seq;
	char trampoline[PATH_MAX];
	struct ex_script *scripts;
	struct ex_restore *restores;
	int dev_fd;                     /* /dev/fd/N names an fd here: 1, not: -1, unknown: 0 */
	bool launch_room;               /* exec_config's, until the first execve */
	int release_error;              /* -errno of the last failed release (write-back) */
	bool in_close;                  /* a release now is the guest's close: it reports the error */
	unsigned long unreported;       /* failed releases no call could report (data lost) */
	struct ex_io *ra_list;          /* objects holding readahead */
	struct ex_io *closing;          /* files closed with writes on their way (exec_io.c) */
	struct push *pushing;           /* staged files being written back (exec_file.c) */
	bool sync_close;                /* --sync-close: a close waits for its writes */
	size_t ra_bytes;                /* readahead held and in flight, all objects */
	unsigned open_reads_unused;     /* files closed in a row whose open's bytes went unread */
	struct ex_io *live;             /* the state of every remote object (exec_lost.c) */
	struct ex_create create;        /* directories made, files made ahead (exec_create.c) */
	/* the shadow lost (exec_lost.c) */
	enum exec_on_lost on_lost;
	uint64_t reconnect_ns;
	exec_redial_fn *redial;
	void *redial_ctx;
	uint64_t lost_at_ns;            /* CLOCK_MONOTONIC when it was found lost (0: it is not) */
	bool lost_told;                 /* that loss was told on the warning stream */
	unsigned long broken;           /* objects that could not be opened again */
	const char *stop_why;           /* the guest must be stopped (exec_lost), or NULL */
	bool stopped;                   /* exec_free of a guest stopped for a lost shadow: its one
					 * line was said, nothing more is */
	bool ending;                    /* in exec_free */
	char stop_buf[600];
	char scratch[EX_SCRATCH_MAX];   /* strings placed in the guest for a rewritten call */
	uint8_t *iobuf;                 /* RPC_MAX_BUF bytes of data on its way */
	long ppoll_nr;
	bool remote_clock;              /* some clock call goes home: hide the vDSO */
	bool have_ids;
	uid_t uid, euid;
	gid_t gid, egid;
	pid_t self;                     /* splitrun's pid, for kcmp */
	int fd_base;                    /* remote fds go at this number and above (0: anywhere) */
	bool warned_low_fd;
	unsigned check_stamp;           /* validate_low_fds' pass, marked on each table checked */
};

/* One trapped call being decided. */
struct exec_call {
	struct exec *x;
	struct vft_task *t;
	pid_t tid;
	long nr;
	const struct syscall_desc *desc;
	const uint64_t *arg;
	struct exec_action *a;
	struct exec_pending *p;
	struct exec_thread *th;
	const struct exec_row *row;
};

typedef void exec_fn(struct exec_call *c);

/* One row of the table of calls with a handler (exec_table.c). PARAM is the
 * handler's: a variant (stat vs lstat, read vs pread, ...). */
struct exec_row {
	const char *name;
	exec_fn *fn;
	int param;
};

extern const struct exec_row exec_rows[];
extern const size_t exec_row_count;

/* ---- answers (exec.c) ---- */
void ex_answer(struct exec_call *c, int64_t result);
/* Answers -ERR and warns once per call name: "splitrun: NAME: WHY". */
void ex_refuse(struct exec_call *c, int err, const char *why);
/* The call runs in the guest untouched. */
void ex_run(struct exec_call *c);
/* The call runs, and KIND is done at its exit (the pending block is c->p). */
void ex_run_then(struct exec_call *c, enum pend_kind kind);
/* The call is answered with a new fd open on OBJ's placeholder, FLAGS being
 * the guest's open flags; OBJ's reference passes to the pending block. */
void ex_install(struct exec_call *c, struct vft_object *obj, int flags);
/* Under ADDFD, what an install needs done before the guest has the fd
 * (ex_install calls it; a caller that changes install_at afterwards calls
 * it again). */
void ex_install_ready(struct exec_call *c);
/* The call is answered with a new fd on splitrun's open file FD (ADDFD:
 * the guest's fd is that open file), which is closed once it is given;
 * CLOEXEC is O_CLOEXEC or 0. The fd is local: the VFT does not record it. */
void ex_install_local(struct exec_call *c, int fd, int cloexec);
/* The call would block at the shadow (a lock held by someone else): the
 * thread waits here a little (a ppoll with a timeout, backing off from 10 to
 * 160 ms) and then makes the call again. A signal during the wait behaves as
 * during the call: its handler runs and the call fails with EINTR, or it
 * restarts. Returns false when the backend cannot do it. */
bool ex_park(struct exec_call *c);
/* The guest's lowest free fd number >= MIN (probed with kcmp), or -errno
 * (EMFILE: none below its RLIMIT_NOFILE). */
int ex_guest_free_fd(struct exec_call *c, int min);
/* Where a new remote fd of the calling thread goes (install_at): the
 * lowest free number >= MIN and >= the fd base, or -1 (the kernel's lowest
 * free) without a base or when the guest's fd limit is below it. */
int ex_remote_fd_slot(struct exec_call *c, int min);
/* Whether FD is open in the calling thread's table. */
bool ex_guest_fd_open(struct exec_call *c, int fd);
/* The guest's open file of its fd FD, as a new fd of splitrun's
 * (pidfd_getfd: the same open file, offset and flags shared), or -errno. */
int ex_guest_file(struct exec_call *c, int fd);
/* Checks each remote entry of the calling thread's table against the
 * kernel's (kcmp of the guest's fd with the object's desc) and drops those
 * the kernel no longer has. */
void ex_validate_table(struct exec_call *c);
/* The same, but the wait ends as soon as the guest's fd FD is readable
 * (a backend that defers calls waits out the time only). */
bool ex_park_on(struct exec_call *c, int fd);
/* A one-time warning about this call (by number). */
void ex_warn_once(struct exec_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- arguments (exec.c) ---- */
/* Index of the NTH argument of kind K in the call's row, or -1. */
int ex_arg_index(const struct syscall_desc *d, enum arg_kind k, int nth);
/* The remote object the fd argument at index I refers to, or NULL. */
struct vft_object *ex_fd_obj(struct exec_call *c, int i);
/* Guest memory: 0 or -EFAULT when not all LEN bytes could be moved. */
int ex_read_mem(struct exec_call *c, uint64_t addr, void *buf, size_t len);
int ex_write_mem(struct exec_call *c, uint64_t addr, const void *buf, size_t len);

/* ---- paths (exec_path.c) ---- */
struct ex_path {
	char guest[PATH_MAX + 2];     /* normalized absolute guest path */
	char shadow[PATH_MAX + 2];    /* remote/stage: the path at the shadow */
	struct policy_route route;
	struct vft_object *fd_obj;    /* an empty path with AT_EMPTY_PATH on a remote fd */
	bool rewrite;                 /* to run locally the path must be given absolute */
	bool trailing_slash;          /* the guest wrote "dir/": it must be a directory */
	int path_arg, dirfd_arg;      /* argument indices (-1: none) */
};

enum ex_resolved {
	EX_LOCAL,    /* route local; the caller runs it (ex_run_local) */
	EX_REMOTE,   /* remote or stage (p->route.method says which) */
	EX_DONE,     /* answered already (denied, bad path, bad dirfd) */
};

/* Reads the path argument PATH_ARG (relative to DIRFD_ARG, -1: the cwd),
 * resolves and routes it. AT_FLAGS: AT_EMPTY_PATH lets "" name the fd
 * itself. */
enum ex_resolved ex_resolve(struct exec_call *c, int dirfd_arg, int path_arg, int at_flags, struct ex_path *p);
/* Resolves a path given as a string (no guest memory). */
enum ex_resolved ex_resolve_str(struct exec_call *c, const char *path, struct ex_path *p);
/* Runs the call locally, giving P1 (and P2) absolute where needed. */
void ex_run_local(struct exec_call *c, const struct ex_path *p1, const struct ex_path *p2);
/* The same made by splitrun itself (exec_agent.c), for a backend that
 * cannot rewrite calls. */
void ex_run_in_agent(struct exec_call *c, const struct ex_path *p1, const struct ex_path *p2);
/* Answers -EROFS if P's rule is readonly; returns whether it did. */
bool ex_readonly(struct exec_call *c, const struct ex_path *p);
/* Marks the call's route from P's method (remote or stage). */
void ex_route_of(struct exec_call *c, const struct ex_path *p);
/* The guest path of CANON, a path at the shadow, when GUEST routes to
 * SHADOW: the same prefix substitution backwards, if the result routes to
 * CANON again. Returns 0 with it in OUT, or -EXDEV when there is none. */
int ex_guest_of_shadow(struct exec *x, const char *guest, const char *shadow, const char *canon, char *out,
		       size_t size);
/* What GUEST (normalized) names when it is a magic link to something
 * remote (/proc/self/fd/N of a remote fd, /proc/self/cwd under a remote
 * cwd, /dev/stdin of a remote fd 0...), else NULL. */
const char *ex_magic_link(struct exec_call *c, const char *guest);

/* ---- I/O state (exec_io.c) ---- */
/* O's I/O state (made with it by ex_object_new; NULL only when there was no
 * memory for it). */
struct ex_io *ex_io_of(struct vft_object *o);
/* Before a release: waits for O's write-behind and gives its failure
 * (-errno) if any, dropping O's readahead. */
int ex_io_settle(struct exec *x, struct vft_object *o);
/* The write-behind failure of IO not yet reported (-errno, 0: none), now
 * reported by the caller. */
int ex_io_take_error(struct ex_io *io);
/* The release of O, a remote file written to: unless --sync-close, or a
 * failure is known already (the close reports it), nothing is waited for.
 * O's writes go out, then an FSTAT (the cache learns the file's new size
 * and times); once all are answered, the handle is closed and a failure is
 * told on the warning stream (splitrun then exits 122). Takes O's I/O
 * state and handle (O->handle becomes -1) and returns true, or returns
 * false: the caller settles and closes as usual. */
bool ex_io_close_later(struct exec *x, struct vft_object *o);
/* Waits until the writes of every file closed that way are at home. */
void ex_io_settle_closes(struct exec *x);
/* The same, and for staged files written back: before a call that could
 * let someone else look (an fsync, a call on a local path, running a
 * program). */
void ex_settle_closes(struct exec *x);
/* The reply to a request that names a file made ahead (exec_create.c),
 * OWNER being its object's I/O state: a failure is reported as a
 * write-behind's is, by every later write, fsync and close. */
remote_done_fn ex_io_create_done;
/* Frees O's I/O state (at its release). */
void ex_io_free(struct exec *x, struct vft_object *o);
/* O's file offset (asked of the shadow when it is not kept here, or
 * after appending writes), and setting it. */
int64_t ex_io_pos(struct exec *x, struct vft_object *o);
void ex_io_set_pos(struct exec *x, struct vft_object *o, int64_t pos);
/* Whether O's file is known to be empty (as its open saw it, within the
 * attribute time, and not written since). */
bool ex_io_known_empty(struct exec *x, struct vft_object *o);
/* The program says it reads O sequentially (POSIX_FADV_SEQUENTIAL): its
 * readahead starts wide. */
void ex_io_sequential(struct exec *x, struct vft_object *o);
/* Keeps the data of the open's first read as O's first readahead. */
void ex_io_opened(struct exec *x, struct vft_object *o, const struct stat *st, struct remote_data *first);
/* The file of O changed some other way (truncate, fallocate): readahead
 * of it is dropped. O NULL: of every file. */
void ex_io_file_changed(struct exec *x, struct vft_object *o);

/* lseek on a remote directory (its listing is kept here: exec_dir.c). */
int64_t ex_dir_seek(struct exec *x, struct vft_object *o, int64_t off, int whence);

/* ---- objects (exec_file.c) ---- */
/* Whether data that did not reach home is named on the warning stream now
 * (not while a guest is stopped for a lost shadow: its one line says it
 * all; at the end, always). */
bool ex_tell_losses(const struct exec *x);
/* The release callback of the VFT: closes the handle, writes back a staged
 * file, closes the placeholder. */
void ex_release(void *ctx, struct vft_object *o);
/* A new remote object for an open shadow handle H of guest path P, opened
 * with the guest's FLAGS (the shadow's with SHADOW_FLAGS) on the file ST
 * describes. NULL: no memory (H is left to the caller). */
struct vft_object *ex_object_new(struct exec *x, int64_t h, const struct ex_path *p, int flags, int shadow_flags,
				 const struct stat *st);

/* ---- the shadow lost (exec_lost.c) ---- */
/* The shadow is lost (x->remote.lost): does what --on-disconnect says.
 * Stop: nothing (exec_lost tells). EIO: tells it, once. Reconnect: dials
 * the shadow until it answers or the time runs out (then x->stop_why), and
 * opens every object again in the new session where that is safe (the
 * others are broken: their calls fail with EIO). Returns true when a new
 * session was made now. */
bool ex_lost(struct exec *x);
/* A call on a broken object's fd: answered EIO (returns true), but for the
 * calls that let go of fds (close, close_range, the target of dup2/dup3). */
bool ex_broken_fd(struct exec_call *c);
/* O's state joins exec.live (every object's), or leaves it. */
void ex_live_add(struct exec *x, struct ex_io *io);
void ex_live_remove(struct exec *x, struct ex_io *io);
/* Whether a new session would have something to do for the objects alive
 * (a staged or held file to write home): worth dialing for at the end. */
bool ex_lost_matters(const struct exec *x);

/* ---- placeholders and shared writable maps (exec_map.c) ---- */
/* Gives O, a remote object of the home file ST describes, the placeholder
 * of that file (made if it has none: a memfd). A file held by a map makes
 * O a VFT_HELD object. Returns 0 or -errno. */
int ex_placeholder_attach(struct exec *x, struct vft_object *o, const struct stat *st);
/* O lets go of its placeholder (the last one frees it, once no process
 * maps it if it is held). LOCKED: a lock was taken through O at the shadow
 * (a held file's handle that shares O's open file lets go of them). */
void ex_placeholder_detach(struct exec *x, struct vft_object *o, bool locked);
bool ex_placeholder_held(const struct vft_object *o);
/* A shared writable map was made of O's held file: its writes may not
 * change the memfd's time, so it always goes home. */
void ex_placeholder_mapped(struct vft_object *o);
/* Fills O's placeholder with the file's bytes (for mmap), once per object.
 * Returns 0 or -errno. */
int ex_fill_placeholder(struct exec *x, struct vft_object *o);
/* The shadow's session was lost: the handles placeholders hold are void
 * (a held file's changes can no longer go home: EIO). */
void ex_placeholders_lost(struct exec *x);
/* A shared writable map of O through the guest's fd FD: its placeholder
 * holds the file from now on, and every open of it becomes VFT_HELD.
 * Returns 0 or -errno (the map is then refused). */
int ex_hold(struct exec_call *c, struct vft_object *o, int fd);
/* O, just installed as fd FD of TID on a placeholder that a map holds
 * meanwhile, becomes VFT_HELD too. Returns 0 or -errno. */
int ex_hold_installed(struct exec *x, struct vft_object *o, pid_t tid, int fd);
/* The same before O is given to the guest, for a backend that gives it
 * O->desc itself (ADDFD): the guest then never sees it otherwise. */
int ex_hold_desc(struct exec *x, struct vft_object *o);
/* A stat (ST) or statx (STX) the shadow gave of a file a map holds here:
 * its size, blocks and modification time become the placeholder's. */
void ex_held_stat(struct exec *x, struct stat *st, struct statx *stx);
/* Writes the held file of O home (0 if O is not held), through O's own
 * handle when that can write (no DUP to wait for). Returns 0 or -errno.
 * Without WAIT (O's release) and with --async-close it is not waited for
 * (O->handle becomes -1: the write closes it). */
int ex_held_write_home(struct exec *x, struct vft_object *o, bool wait);
/* Held files no open is left of: written home and let go once no process
 * maps them (AT_END: now). */
void ex_placeholders_check(struct exec *x, bool at_end);
/* O->desc, made if need be: the tracer's open file on O's placeholder with
 * the guest's open FLAGS. Returns it or -errno. */
int ex_object_desc(struct vft_object *o, int flags);
/* A new private file in the staging directory (0600) for guest path GUEST;
 * its path goes to PATH. Returns the fd or -errno. */
int ex_stage_file(struct exec *x, const char *guest, char *path, size_t size);
/* A new private file for the program at guest path GUEST, under its own
 * name (what /proc/PID/comm shows once it runs) in a directory of its own
 * (the staging directory's exec/N/). Returns the fd or -errno. */
int ex_stage_program_file(struct exec *x, const char *guest, char *path, size_t size);
/* Makes the staging directory if it is not there yet. Returns 0 or -errno. */
int ex_stage_dir(struct exec *x);
/* Copies SIZE bytes of the shadow's file H into local FD: FIRST (the bytes
 * its open brought, taken; may be NULL), then the rest with several PREADs
 * in flight. */
int ex_fetch(struct exec *x, int64_t h, int fd, off_t size, struct remote_data *first);
/* The other way: the shadow's file H becomes the SIZE bytes of local FD
 * (truncated, then written, all sent before the answers are awaited).
 * Returns 0 or -errno. */
int ex_push(struct exec *x, int fd, int64_t h, off_t size);
/* The same not waited for (as a close is not: --sync-close says otherwise):
 * everything is sent now (FD may go), and once all is answered a failure is
 * told as WHAT ("writing the mapped file home") of GUEST_PATH with 122,
 * TIMES (may be NULL) having gone home after the bytes, and H closed when
 * CLOSE_H. SLOT (may be NULL) holds the push until it is done. Returns
 * false when it could not start (no memory): call ex_push. */
bool ex_push_later(struct exec *x, int fd, int64_t h, off_t size, const char *guest_path, const char *what,
		   const struct timespec *times, bool close_h, struct push **slot);
/* A push of H still to be done, its H no longer the caller's to close: the
 * push closes it when done. */
void ex_push_hand_over(struct push *p);
/* The guest's local fd FD, opened anew by the tracer through /proc (a
 * new open file description: it has its own offset). Returns fd or -errno. */
int ex_open_guest_fd(struct exec_call *c, int fd, int flags);
/* The file offset and the status flags of the guest's local fd FD (from
 * /proc/TID/fdinfo), or -errno. */
int64_t ex_guest_fd_pos(struct exec_call *c, int fd);
int ex_guest_fd_flags(struct exec_call *c, int fd);

/* Removes the vDSO from the auxiliary vector of the program TID has just
 * exec'd (AT_SYSINFO_EHDR becomes AT_IGNORE), so that libc's clock calls
 * enter the kernel and can be trapped. Returns 0 or -errno. */
int ex_hide_vdso(struct exec *x, pid_t tid);

/* ---- programs (exec_proc.c) ---- */
#define SHEBANG_MAX 256          /* the kernel reads this much of a script (BINPRM_BUF_SIZE) */
#define MAX_SCRIPT_DEPTH 4       /* the kernel's binfmt_script allows 4 levels too */
/* Whether the remote program P could be run: a regular file its user may
 * execute. Returns 0 or the -errno execve would give. */
int ex_program_at_home(struct exec_call *c, const struct ex_path *p);
/* Stages the remote program P (mode 0700, ex_stage_program_file). Returns
 * 0 with its path in OUT, or -errno. */
int ex_stage_program(struct exec_call *c, const struct ex_path *p, char *out, size_t size);
/* Removes the copy at PATH, and its directory. */
void ex_unstage_program(const char *path);
/* The "#!" line of local file PATH: the interpreter and its one optional
 * argument, as the kernel splits them. Returns 1 with them filled, 0 when
 * it is no script, or -errno. */
int ex_shebang(const char *path, char *interp, size_t isize, char *arg, size_t asize);
/* The same of the first N bytes of a file, at DATA. */
int ex_shebang_of(const char *data, size_t n, char *interp, size_t isize, char *arg, size_t asize);

/* ---- programs without rewriting the execve (exec_prog.c) ---- */
/* Makes the run directory (x->run_dir). Returns 0 or -errno. */
int ex_run_dir_make(struct exec *x);
/* execve/execveat of P (remote, or local but named relative to something
 * remote), under a backend that cannot rewrite the call but has ADDFD.
 * DEPTH: scripts the script helper has run in a row before it; ROOM: the
 * bytes the guest's name may take (0: its own length). */
void ex_exec_by_name(struct exec_call *c, const struct ex_path *p, bool remote, int depth, size_t room);
/* The script helper's call (EXEC_SCRIPT_HELPER_NR). */
void ex_script_fetch(struct exec_call *c);
/* TID trapped again (a program it started has been opened by now) or
 * ended (GONE): the names made for it go, and the names written over its
 * own are put back where that memory still exists (a failed execve, a
 * vfork's parent). */
void ex_prog_task_event(struct exec *x, pid_t tid, bool gone);
/* Everything exec_prog.c still holds goes (at the end). */
void ex_prog_free(struct exec *x);

/* ---- handlers, by family ---- */
exec_fn ex_open, ex_close;
exec_fn ex_read, ex_write, ex_readv, ex_writev, ex_lseek, ex_sendfile, ex_copy_file_range, ex_splice, ex_mmap,
	ex_msync;
exec_fn ex_stat, ex_statx, ex_statfs, ex_access, ex_readlink, ex_chmod, ex_chown, ex_utimes, ex_truncate;
exec_fn ex_getdents, ex_mkdir, ex_mknod, ex_unlink, ex_rename, ex_link, ex_symlink, ex_chdir, ex_fchdir,
	ex_getcwd;
exec_fn ex_dup, ex_fcntl, ex_close_range, ex_ioctl, ex_fsync, ex_ftruncate, ex_fallocate, ex_fchmod, ex_fchown,
	ex_fstatfs, ex_flock, ex_hint, ex_xattr;
exec_fn ex_execve, ex_clone, ex_unshare, ex_umask, ex_uname, ex_ids, ex_clock, ex_sendmsg;

/* Row parameters. */
enum {
	/* ex_open */
	OPEN_PLAIN, OPEN_AT, OPEN_CREAT, OPEN_HOW,
	/* ex_read / ex_write */
	IO_PLAIN, IO_POS,
	/* ex_readv / ex_writev */
	IOV_PLAIN, IOV_POS, IOV_POS2,
	/* ex_stat */
	STAT_FOLLOW, STAT_NOFOLLOW, STAT_AT, STAT_FD,
	/* ex_getdents */
	DENTS_OLD, DENTS_64,
	/* ex_dup */
	DUP_ONE, DUP_TWO, DUP_THREE,
	/* ex_unlink */
	UNLINK_FILE, UNLINK_DIR, UNLINK_AT,
	/* ex_access */
	ACCESS_PLAIN, ACCESS_AT, ACCESS_AT2,
	/* ex_chmod, ex_chown */
	ATTR_FOLLOW, ATTR_NOFOLLOW, ATTR_AT,
	/* ex_utimes */
	UTIME_SEC, UTIME_USEC, UTIME_USEC_AT, UTIME_NSEC_AT,
	/* ex_fsync */
	SYNC_FULL, SYNC_DATA, SYNC_RANGE, SYNC_FS,
	/* ex_ids */
	IDS_UID, IDS_EUID, IDS_GID, IDS_EGID, IDS_RESUID, IDS_RESGID, IDS_GROUPS,
	/* ex_clock */
	CLOCK_GETTIME, CLOCK_TIMEOFDAY, CLOCK_TIME,
	/* ex_execve */
	EXECVE_PLAIN, EXECVE_AT,
};

#endif
