/* policy/remote.h: the executive's side of the shadow's ops.
 *
 * Owns turning one native request (native flags, modes, structs) into a
 * wire op with canonical values (rpc/canon.h), sending it over the agent's
 * connection, and turning the reply back into native values; and spending
 * as few round trips on it as the semantics allow:
 *   - ops a call needs together go in one COMPOUND (OPEN with FSTAT and the
 *     first bytes, MKDIR with the new directory's attributes, ...);
 *   - requests whose reply nobody waits for (closes, write-behind, stat
 *     prefetches, readahead) are sent at once and their replies handled
 *     whenever they arrive ("later" requests, with a callback);
 *   - the connection's write-behind buffer gathers sequential writes and
 *     goes out before any other request, so the shadow sees every op in the
 *     guest's order;
 *   - attributes and names are cached with close-to-open consistency
 *     (policy/attr_cache.h): opens ask the shadow, stat-like calls in
 *     between may be answered here, and every change the agent makes
 *     forgets what it touched (and replies sent before the change that
 *     come after it do not bring it back);
 *   - the opens of the next files of a directory listed are sent ahead of
 *     a program that reads them one after the other, and an open of one
 *     takes that answer (at most the attribute time old): policy/remote_ahead.c.
 * Each function returns the op's result (>= 0) or a negative native errno.
 * A transport error marks the connection lost (remote->lost says why):
 * every later request fails (their callbacks get -EIO, write-behind bytes
 * not yet sent too), and every later call fails with -EIO without sending
 * anything, until remote_resume puts a new connection in its place (what
 * the executive does then: policy/exec_lost.c). Paths are shadow-side
 * paths (absolute); DIRH is a handle, or RPC_HANDLE_CWD with an absolute
 * path. */
#ifndef SPLITRUN_POLICY_REMOTE_H
#define SPLITRUN_POLICY_REMOTE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <time.h>

#include "rpc/canon.h"
#include "rpc/client.h"

struct flock;
struct attr_cache;
struct remote;
struct remote_forget;
struct remote_open_ahead;
struct remote_listing;

/* The reply to a later request (REP NULL and ERR -EIO when the shadow was
 * lost first). DONE may keep the reply: it then takes rep's frame and
 * zeroes rep. OWNER and ARG are what the request was sent with. */
typedef void remote_done_fn(struct remote *r, void *owner, int64_t arg, struct rpc_reply *rep, int err);

struct remote_later {
	int64_t tag;
	int64_t op;
	remote_done_fn *done;     /* NULL: the reply is dropped */
	void *owner;
	int64_t arg;
	size_t write_bytes;       /* a write-behind: bytes on their way */
	/* a write-behind keeps its bytes until answered: what a short write
	 * did not write is sent again (its failure is then the real one) */
	uint8_t *data;            /* the allocation (freed when answered) */
	size_t data_at;           /* where this write's bytes begin in it */
	int64_t h, off;           /* handle, offset (-1: appended) */
};

/* What the agent knows of an open handle (for the cache). */
struct remote_handle {
	char *path;               /* the shadow path it was opened as; NULL: none */
	struct canon_stat st;     /* the file it is open on, from the open's FSTAT */
	bool have_st;
	uint64_t forgot_at;       /* the cache generation when its file was last forgotten */
};

struct remote {
	struct rpc_conn *conn;
	const char *lost;          /* NULL, or why the shadow is lost */
	char lost_buf[256];
	FILE *warn;                /* where failures nobody waits for are told; NULL: stderr */
	struct attr_cache *cache;  /* NULL: no caching */
	uint64_t attr_ttl_ns;      /* how long what the shadow said is believed */
	/* later requests in flight, by tag */
	struct remote_later *later;
	size_t nlater, cap_later;
	size_t write_bytes;        /* write-behind bytes on their way */
	int64_t prefetch_tag;      /* the last stat prefetch sent (0: none in flight) */
	int64_t changed_tag;       /* the last change whose reply was handled */
	int64_t last_later_tag;    /* the last later request sent */
	/* the write-behind buffer: wb_len bytes for handle wb_h at wb_off (-1:
	 * appended at the handle's offset) */
	uint8_t *wb_buf;
	size_t wb_len;
	int64_t wb_h, wb_off;
	remote_done_fn *wb_done;
	void *wb_owner;
	struct remote_handle *handles;
	size_t nhandles;
	unsigned long discarded;   /* later replies nobody wanted (readahead past its use) */
	unsigned long changes_sent;  /* requests sent that may change something at home
				      * (write-behind's writes are not counted) */
	/* forgets that replies in flight may not undo (remote.c) */
	struct remote_forget *forgets;
	size_t nforgets;
	/* opens sent ahead, and the listings they are guessed from */
	struct remote_open_ahead **ahead;
	size_t nahead;
	struct remote_listing *listings;
	size_t nlistings;
	uint64_t listing_clock;
	unsigned long ahead_sent, ahead_used;
};

/* Sets up R on CONN (WARN: NULL for stderr). ATTR_TTL_NS: how long an
 * attribute or a name is believed (0: no cache). Returns 0 or -ENOMEM. */
int remote_init(struct remote *r, struct rpc_conn *conn, FILE *warn, uint64_t attr_ttl_ns);
/* Waits for every later request (the write-behind sent first). */
void remote_fini(struct remote *r);
/* Frees what R holds (not the connection). */
void remote_free(struct remote *r);
/* After the shadow was lost: FRESH, a connection just made, takes the lost
 * one's place (R's connection is closed and becomes FRESH's; FRESH is left
 * empty). Nothing of the old session is kept: its later requests and
 * write-behind failed when it was lost, its handles are forgotten (the
 * caller opens its files again), the cache is emptied (home may have
 * changed meanwhile). Tags and counters go on. */
void remote_resume(struct remote *r, struct rpc_conn *fresh);

/* ---- later requests ---- */
/* Sends a request (or a COMPOUND) whose reply goes to DONE when it arrives.
 * Returns the tag, or -EIO when the shadow is lost. */
int64_t remote_send_later(struct remote *r, int64_t op, const struct rpc_val *args, size_t n, remote_done_fn *done,
			  void *owner, int64_t arg);
int64_t remote_compound_later(struct remote *r, const struct rpc_call *calls, size_t n, remote_done_fn *done,
			      void *owner, int64_t arg);
/* Waits until TAG's reply has been handled. 0 or -EIO. */
int remote_wait_tag(struct remote *r, int64_t tag);
/* Waits until no later request of OWNER is in flight. 0 or -EIO. */
int remote_wait_owner(struct remote *r, void *owner);
/* Handles the replies that have arrived, without waiting. */
void remote_poll(struct remote *r);
/* OWNER is going away: its replies will be dropped. */
void remote_disown(struct remote *r, void *owner);
/* Whether OWNER has later requests in flight. */
bool remote_owner_busy(const struct remote *r, void *owner);

/* ---- write-behind ---- */
/* Queues N bytes for handle H at OFF (-1: at its offset, an O_APPEND
 * handle). They go out, in writes of up to RPC_MAX_BUF, when the buffer is
 * full or before any other request; each write's reply goes to DONE with
 * OWNER and ARG = the bytes it carried. Returns N or -EIO. */
int64_t remote_write_behind(struct remote *r, int64_t h, const void *buf, size_t n, int64_t off,
			    remote_done_fn *done, void *owner);
/* Sends the write-behind buffer now. */
void remote_flush_writes(struct remote *r);
/* The file open on handle H is about to change by a later request (sent
 * with remote_send_later): what the cache knows of it goes. */
void remote_forget_handle(struct remote *r, int64_t h);

/* ---- ops ---- */
/* Bytes of a file kept from a READ or PREAD reply without a copy. */
struct remote_data {
	struct rpc_reply rep;     /* owns the bytes */
	const uint8_t *p;
	size_t len;
	int64_t off;
	bool eof;                 /* fewer bytes came than were asked: the file ended there */
	int64_t tag;              /* the request they came with */
};
void remote_data_free(struct remote_data *d);

/* OPEN, and FSTAT of the new handle in the same round trip when ST is not
 * NULL (on an FSTAT failure the handle is closed and its error returned),
 * and with DATA not NULL also a PREAD of up to DATA_MAX bytes at 0 (DATA
 * empty if that fails: a directory, a pipe). FLAGS are the guest's
 * (O_CLOEXEC is dropped: the shadow's own). */
int64_t remote_open(struct remote *r, const char *path, int flags, mode_t mode, mode_t umask, struct stat *st,
		    struct remote_data *data, size_t data_max);
/* CLOSE. With WAIT false the reply is not waited for: a failure is
 * reported on the warning stream when it arrives, and 0 returned. A
 * write-behind of H still in flight must have been answered first (a
 * short write sends the rest again, through H). */
int64_t remote_close(struct remote *r, int64_t h, bool wait);
/* DUP: a second handle on H's open file (its offset, flags and locks). */
int64_t remote_dup(struct remote *r, int64_t h);
/* The reply REP to a DUP of H sent as a later request: what is known of H
 * holds for the new handle. */
void remote_dup_reply(struct remote *r, int64_t h, const struct rpc_reply *rep);
/* READ (OFF < 0) or PREAD of at most N bytes (N <= RPC_MAX_BUF). */
int64_t remote_read(struct remote *r, int64_t h, void *buf, size_t n, int64_t off);
/* PREAD into DATA (kept without a copy). */
int64_t remote_pread_data(struct remote *r, int64_t h, size_t n, int64_t off, struct remote_data *data);
/* Turns a PREAD reply into DATA (for later PREADs). Returns bytes or -errno. */
int64_t remote_data_from(struct remote_data *data, struct rpc_reply *rep, size_t asked, int64_t off);
/* WRITE (OFF < 0) or PWRITE of N bytes (N <= RPC_MAX_BUF). */
int64_t remote_write(struct remote *r, int64_t h, const void *buf, size_t n, int64_t off);
int64_t remote_lseek(struct remote *r, int64_t h, int64_t off, int whence);
int64_t remote_fstat(struct remote *r, int64_t h, struct stat *st);
/* FSTAT asked of the shadow (not the cache), after every write queued for
 * H: once it is answered, they all have been (a v1 shadow answers in
 * order), and the cache holds the file's new attributes. */
int64_t remote_fstat_fresh(struct remote *r, int64_t h);
/* The reply REP to an FSTAT of H sent as a later request: the cache
 * learns it, unless a change of the agent's made it stale meanwhile. */
void remote_fstat_reply(struct remote *r, int64_t h, const struct rpc_reply *rep);
int64_t remote_stat(struct remote *r, int64_t dirh, const char *path, int at_flags, struct stat *st);
int64_t remote_statx(struct remote *r, int64_t dirh, const char *path, int at_flags, unsigned mask, struct statx *stx);
int64_t remote_access(struct remote *r, int64_t dirh, const char *path, int mode, int at_flags);
/* READLINK into BUF (at most SIZE bytes, no NUL added); returns the length. */
int64_t remote_readlink(struct remote *r, const char *path, char *buf, size_t size);

/* GETDENTS: a batch of directory entries kept in the reply. */
struct remote_dirent {
	uint64_t ino;
	int64_t off;
	unsigned char type;        /* native DT_* */
	const char *name;          /* points into the batch; NUL-terminated copy */
};
struct remote_dirents {
	struct remote_dirent *ents;
	size_t count;
	bool eof;                  /* the directory ended after these */
	char *names;               /* the names, NUL-terminated */
};
void remote_dirents_free(struct remote_dirents *d);
/* Reads the next entries of directory handle H (two GETDENTS in one
 * COMPOUND, so that the end of a directory costs no round trip of its own),
 * and, when DIR_PATH is given, asks for the attributes of every entry in
 * later requests that fill the cache (NFS's READDIRPLUS, without its own
 * op). Returns the count or -errno. */
int64_t remote_getdents(struct remote *r, int64_t h, const char *dir_path, struct remote_dirents *out);
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


/* ---- anonymous files made ahead (policy/exec_create.c) ---- */
/* Sends a COMPOUND of OPEN(DIR, O_TMPFILE | O_RDWR, 0600) and FSTAT of the
 * new handle as a later request. Returns its tag or -errno. */
int64_t remote_tmpfile_later(struct remote *r, const char *dir, remote_done_fn *done, void *owner, int64_t arg);
/* The reply REP to it: the handle, CST filled, or -errno (a handle whose
 * FSTAT failed is closed). */
int64_t remote_tmpfile_reply(struct remote *r, const struct rpc_reply *rep, struct canon_stat *cst);
/* Names the anonymous file H (CST: its attributes as it will be once
 * named) PATH: FCHMOD to MODE (unless 0600) and LINK(H, "", PATH,
 * AT_EMPTY_PATH), sent as later requests to DONE with OWNER (arg 0), not
 * waited for. The cache learns that PATH names CST's file and H is known
 * as open on it. Returns the LINK's tag or -errno. */
int64_t remote_link_anonymous(struct remote *r, int64_t h, const struct canon_stat *cst, const char *path,
			      mode_t mode, remote_done_fn *done, void *owner);
/* Whether the reply to later request TAG is still awaited. */
bool remote_tag_pending(struct remote *r, int64_t tag);

#endif
