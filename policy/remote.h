/* policy/remote.h: the executive's side of the shadow's ops.
 *
 * Owns turning one native request (native flags, modes, structs) into a
 * wire op with canonical values (rpc/canon.h), sending it over the agent's
 * connection, and turning the reply back into native values. Each function
 * returns the op's result (>= 0) or a negative native errno. A transport
 * error marks the connection lost (remote->lost says why) and every later
 * call fails with -EIO without sending anything: the executive then stops
 * the guest. Paths are shadow-side paths (absolute); DIRH is a handle, or
 * RPC_HANDLE_CWD with an absolute path. */
#ifndef SPLITRUN_POLICY_REMOTE_H
#define SPLITRUN_POLICY_REMOTE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <time.h>

struct rpc_conn;
struct flock;

struct remote {
	struct rpc_conn *conn;
	const char *lost;          /* NULL, or why the shadow is lost */
	char lost_buf[256];
	unsigned long round_trips;
};

struct remote_dirent {
	uint64_t ino;
	int64_t off;
	unsigned char type;        /* native DT_* */
	char name[256];
};

/* OPEN, and FSTAT of the new handle in the same round trip when ST is not
 * NULL (on an FSTAT failure the handle is closed and its error returned).
 * FLAGS are the guest's (O_CLOEXEC is dropped: the shadow's own). */
int64_t remote_open(struct remote *r, const char *path, int flags, mode_t mode, mode_t umask, struct stat *st);
int64_t remote_close(struct remote *r, int64_t h);
/* DUP: a second handle on H's open file (its offset, flags and locks). */
int64_t remote_dup(struct remote *r, int64_t h);
/* READ (OFF < 0) or PREAD of at most N bytes (N <= RPC_MAX_BUF). */
int64_t remote_read(struct remote *r, int64_t h, void *buf, size_t n, int64_t off);
/* WRITE (OFF < 0) or PWRITE of N bytes (N <= RPC_MAX_BUF). */
int64_t remote_write(struct remote *r, int64_t h, const void *buf, size_t n, int64_t off);
int64_t remote_lseek(struct remote *r, int64_t h, int64_t off, int whence);
int64_t remote_fstat(struct remote *r, int64_t h, struct stat *st);
int64_t remote_stat(struct remote *r, int64_t dirh, const char *path, int at_flags, struct stat *st);
int64_t remote_statx(struct remote *r, int64_t dirh, const char *path, int at_flags, unsigned mask, struct statx *stx);
int64_t remote_access(struct remote *r, int64_t dirh, const char *path, int mode, int at_flags);
/* READLINK into BUF (at most SIZE bytes, no NUL added); returns the length. */
int64_t remote_readlink(struct remote *r, const char *path, char *buf, size_t size);
/* GETDENTS of at most MAX entries into ENTS; returns how many. */
int64_t remote_getdents(struct remote *r, int64_t h, struct remote_dirent *ents, size_t max);
int64_t remote_mkdir(struct remote *r, const char *path, mode_t mode, mode_t umask);
int64_t remote_unlink(struct remote *r, const char *path, int at_flags);
int64_t remote_rename(struct remote *r, const char *from, const char *to, unsigned flags);
int64_t remote_link(struct remote *r, const char *from, const char *to, int at_flags);
int64_t remote_symlink(struct remote *r, const char *target, const char *path);
int64_t remote_chmod(struct remote *r, int64_t dirh, const char *path, mode_t mode, int at_flags);
int64_t remote_fchmod(struct remote *r, int64_t h, mode_t mode);
int64_t remote_chown(struct remote *r, int64_t dirh, const char *path, uid_t uid, gid_t gid, int at_flags);
int64_t remote_fchown(struct remote *r, int64_t h, uid_t uid, gid_t gid);
int64_t remote_truncate(struct remote *r, const char *path, int64_t len);
int64_t remote_ftruncate(struct remote *r, int64_t h, int64_t len);
int64_t remote_fsync(struct remote *r, int64_t h, bool datasync);
/* TS: two timespecs with UTIME_NOW / UTIME_OMIT as utimensat takes them. */
int64_t remote_utimens(struct remote *r, int64_t dirh, const char *path, const struct timespec ts[2], int at_flags);
int64_t remote_statfs(struct remote *r, const char *path, struct statfs *sf);
int64_t remote_fstatfs(struct remote *r, int64_t h, struct statfs *sf);
/* fcntl lock CMD (F_GETLK, F_SETLK, F_SETLKW, F_OFD_*) with FL in and out. */
int64_t remote_lock(struct remote *r, int64_t h, int cmd, struct flock *fl);
/* flock(2) OP on H (FLOCK). */
int64_t remote_flock(struct remote *r, int64_t h, int op);
int64_t remote_fallocate(struct remote *r, int64_t h, int mode, int64_t off, int64_t len);
/* COPY_RANGE between two handles; an offset < 0 means the handle's own. */
int64_t remote_copy_range(struct remote *r, int64_t in, int64_t off_in, int64_t out, int64_t off_out,
			  size_t len, unsigned flags);
/* Checks that PATH (or, PATH NULL, handle DIRH) is a directory that may be
 * searched and gives its canonical path at the shadow (symlinks resolved)
 * in CANON (SIZE bytes). One round trip: CHDIR (or FCHDIR), FACCESSAT
 * X_OK, GETCWD (the session's cwd is not otherwise used). */
int64_t remote_enter_dir(struct remote *r, int64_t dirh, const char *path, char *canon, size_t size);
int64_t remote_uname(struct remote *r, struct utsname *u);
/* GETHOSTNAME into NAME (SIZE bytes, NUL-terminated). */
int64_t remote_gethostname(struct remote *r, char *name, size_t size);
/* IDS: real and effective uid and gid, and up to *NGROUPS groups. */
int64_t remote_ids(struct remote *r, uid_t *uid, uid_t *euid, gid_t *gid, gid_t *egid, gid_t *groups,
		   int *ngroups);
int64_t remote_clock_gettime(struct remote *r, struct timespec *ts);

#endif
