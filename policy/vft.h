/* policy/vft.h: the virtual file table (the syscall-mode note's VFT).
 *
 * Owns the guest-side bookkeeping of everything that is not plainly local:
 *   - remote objects: one per open file description the guest holds on the
 *     shadow's side (or staged from it), reference-counted by the fds that
 *     point at it; the last unreference hands it to the release callback
 *     (which closes the shadow handle, writes back a staged file, ...);
 *   - fd tables: fd -> {object, close-on-exec}, one per guest fd table,
 *     shared under CLONE_FILES, copied on fork, unshared at execve (where
 *     close-on-exec entries drop);
 *   - fs state: the virtual cwd (a normalized absolute guest path, and
 *     whether it is remote) and the umask, shared under CLONE_FS;
 *   - tasks: each traced thread points at one fd table and one fs state.
 * Only fds that refer to remote objects are in a table; a local fd is simply
 * absent. Nothing here talks to the shadow, reads guest memory or knows
 * ptrace: the executive (policy/exec*.c) drives it. */
#ifndef SPLITRUN_POLICY_VFT_H
#define SPLITRUN_POLICY_VFT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

enum vft_method {
	VFT_REMOTE,   /* every call on it goes to the shadow */
	VFT_STAGE,    /* a local copy the guest uses natively, written back at the last close */
	VFT_HELD,     /* a remote file mapped shared and writable: its placeholder holds it, the
		       * guest's I/O is native, locks go to the shadow (policy/exec_map.c) */
};

struct ex_placeholder;

struct vft_object {
	int refs;
	enum vft_method method;
	int64_t handle;          /* the shadow's handle, -1 if none */
	char *guest_path;        /* normalized absolute guest path it was opened as */
	char *shadow_path;       /* the path the shadow was asked for */
	int flags;               /* the guest's open flags (status flags follow F_SETFL) */
	bool shadow_append;      /* the shadow's file was opened with O_APPEND */
	bool is_dir;
	int placeholder;         /* the tracer's fd of what the guest's fds are open on
				  * (a memfd, or the staged file), -1 if none */
	int desc;                /* backends that install the tracer's own open file
				  * (ADDFD): that open file, on the placeholder with the
				  * guest's flags, shared by all the guest's fds of this
				  * object; -1 if none */
	bool filled;             /* the placeholder holds the file's bytes (for mmap) */
	struct ex_placeholder *shared;  /* the executive's: the placeholder shared by the
				  * opens of one home file (policy/exec_map.c), or NULL */
	void *io;                /* the executive's I/O state (offset, readahead, write-behind,
				  * directory listing); it frees it at the release */
	/* VFT_STAGE */
	bool stage_dirty_check;  /* compare with the staged state at the last close */
	struct timespec staged_mtime;
	off_t staged_size;
	mode_t stage_mode;       /* the home file's permissions, given to the copy once installed */
	char *stage_path;
};

struct vft_entry {
	struct vft_object *obj;  /* NULL: not a remote fd */
	bool cloexec;
};

struct vft_table {
	int users;               /* tasks pointing at it */
	int nfds;                /* length of fd[] */
	int nremote;             /* entries with an object */
	int nlow;                /* entries below the VFT's low mark (vft_set_low_mark) */
	unsigned checked;        /* the executive's: the pass that last checked it */
	bool revalidate;         /* the kernel's table may have lost entries (an execve
				  * that may have succeeded, a child's copy of its
				  * parent's table made late): the executive checks each
				  * one against the kernel */
	struct vft_entry *fd;
};

struct vft_fs {
	int users;
	char *cwd;               /* normalized absolute guest path */
	bool cwd_remote;         /* the kernel's cwd is elsewhere (where it last was local) */
	mode_t umask;
};

struct vft_task {
	struct vft_task *next;
	pid_t tid;
	struct vft_table *files;
	struct vft_fs *fs;
	void *exec;              /* the executive's per-thread state; it frees it */
};

struct vft;

/* RELEASE is called with CTX for each object whose last reference goes; it
 * must free nothing the VFT owns (vft_object_free does that after it). */
typedef void vft_release_fn(void *ctx, struct vft_object *obj);

/* A VFT whose tasks start, when they have no parent, with cwd CWD (remote
 * or not) and UMASK. Returns NULL when out of memory. */
struct vft *vft_new(vft_release_fn *release, void *ctx, const char *cwd, bool cwd_remote, mode_t umask);
/* Drops every task (and so releases every object). */
void vft_free(struct vft *v);

/* ---- tasks ---- */
/* TID appears. With a known PARENT it shares (or gets a copy of) the
 * parent's fd table and fs state; without one it gets an empty table and
 * the initial fs state. Returns the task, or NULL when out of memory. */
struct vft_task *vft_task_new(struct vft *v, pid_t tid, pid_t parent, bool share_files, bool share_fs);

struct vft_task *vft_task_find(const struct vft *v, pid_t tid);
/* TID is gone; its table and fs state lose a user. Its exec state must
 * have been freed by the caller. */
void vft_task_gone(struct vft *v, pid_t tid);
/* TID finished an execve that FORMER_TID made (they differ when a
 * non-leader thread execs: the task moves to the leader's id, and the old
 * leader's task, whose exec state the caller must have freed, is dropped).
 * The table is unshared, as the kernel does, and its close-on-exec entries
 * dropped. */
void vft_task_exec(struct vft *v, pid_t tid, pid_t former_tid);
/* unshare(CLONE_FILES / CLONE_FS) succeeded in TID. Returns 0 or -ENOMEM. */
int vft_task_unshare(struct vft *v, struct vft_task *t, bool files, bool fs);
int vft_task_count(const struct vft *v);
/* Calls FN for each task. */
void vft_task_each(struct vft *v, void (*fn)(void *ctx, struct vft_task *t), void *ctx);

/* ---- objects ---- */
/* A new object with one reference (the caller's), no handle, no paths. */
struct vft_object *vft_object_new(void);
void vft_object_ref(struct vft_object *o);
/* Drops one reference; the last calls V's release callback (none when V is
 * NULL) and frees O. */
void vft_object_unref(struct vft *v, struct vft_object *o);
/* Objects alive (for tests and the exit summary). */
long vft_object_count(void);
/* Remote entries at fds below MARK are counted, in each table (nlow) and
 * in all (vft_low_count): the executive checks those against the kernel
 * when the calls that change them are not trapped. */
void vft_set_low_mark(struct vft *v, int mark);
long vft_low_count(const struct vft *v);

/* ---- fds of a task's table ---- */
/* The object FD refers to, or NULL for a local (or unused) fd. */
struct vft_object *vft_fd_get(const struct vft_task *t, int fd, bool *cloexec);
/* FD now refers to O (which gets a reference); whatever FD referred to
 * before loses one. O NULL: FD is local now. Returns 0 or -ENOMEM. */
int vft_fd_set(struct vft *v, struct vft_task *t, int fd, struct vft_object *o, bool cloexec);
/* close(FD) */
void vft_fd_close(struct vft *v, struct vft_task *t, int fd);
/* dup2/dup3/F_DUPFD: NEWFD refers to what OLDFD refers to (local or remote). */
int vft_fd_dup(struct vft *v, struct vft_task *t, int oldfd, int newfd, bool cloexec);
void vft_fd_set_cloexec(struct vft_task *t, int fd, bool cloexec);
/* close_range(FIRST, LAST, flags): CLOEXEC_ONLY marks instead of closing;
 * UNSHARE gives the task its own table first. Returns 0 or -ENOMEM. */
int vft_fd_close_range(struct vft *v, struct vft_task *t, unsigned first, unsigned last, bool cloexec_only,
		       bool unshare);
/* Calls FN for each remote fd of T's table, in fd order. */
void vft_fd_each(const struct vft_task *t, void (*fn)(void *ctx, int fd, struct vft_object *o, bool cloexec),
		 void *ctx);

/* ---- fs state ---- */
/* Sets T's (possibly shared) cwd. Returns 0 or -ENOMEM. */
int vft_set_cwd(struct vft_task *t, const char *cwd, bool remote);

#endif
