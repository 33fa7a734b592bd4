/* policy/exec_create.h: creates that wait for nothing (exec_create.c):
 * the directories this run made, the names it made there, the anonymous
 * files made ahead in them, and the LINKs that name them on their way. */
#ifndef SPLITRUN_POLICY_EXEC_CREATE_H
#define SPLITRUN_POLICY_EXEC_CREATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "rpc/canon.h"

struct exec;
struct exec_call;
struct ex_path;
struct ex_io;
struct ex_create_dir;
struct pending_link;

/* The executive's state of it (exec.create). */
struct ex_create {
	struct ex_create_dir *dirs;
	size_t ndirs;
	uint64_t clock;
	struct pending_link *pending;   /* LINKs on their way, oldest first */
	size_t npending, cap_pending;
};

/* The guest's mkdir of PATH (at the shadow) succeeded: nothing is in it
 * but what this run makes. */
void ex_create_dir_made(struct exec *x, const char *path);
/* A remote path P is used by call C (from ex_resolve): a call on a name
 * whose LINK is on its way waits for it; a call that may change names
 * makes P's name known to exist, and forgets the directories made at or
 * beneath P. */
void ex_create_path_seen(struct exec_call *c, const struct ex_path *p);
/* An open that may create PATH takes the usual way: its name exists. */
void ex_create_name_made(struct exec *x, const char *path);
/* A create of P with the guest's FLAGS (MODE: with the umask applied)
 * that needs no reply: the handle of an anonymous file made ahead, ST and
 * CST (canonical) filled with what the named file will be; or -1: take
 * the usual way (the pool may start now). The caller names it with
 * ex_create_link. */
int64_t ex_create_take(struct exec_call *c, const struct ex_path *p, int flags, mode_t mode, struct stat *st,
		       struct canon_stat *cst);
/* Names the anonymous file H (CST) PATH with MODE, not waited for; the
 * replies go to IO (ex_io_create_done). Returns the LINK's tag or -errno. */
int64_t ex_create_link(struct exec *x, struct ex_io *io, int64_t h, const struct canon_stat *cst, const char *path,
		       mode_t mode);
/* Forgets every directory and pool: CLOSE, at the end (their handles are
 * closed), or not, after a lost session (its handles are void). */
void ex_create_reset(struct exec *x, bool close);

#endif
