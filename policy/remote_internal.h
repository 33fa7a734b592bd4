/* policy/remote_internal.h: what policy/remote.c and policy/remote_ahead.c
 * (opens sent ahead) share; nothing outside remote*.c includes it. */
#ifndef SPLITRUN_POLICY_REMOTE_INTERNAL_H
#define SPLITRUN_POLICY_REMOTE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "policy/remote.h"
#include "rpc/canon.h"
#include "rpc/client.h"

/* ---- remote.c ---- */

/* Op K of a COMPOUND reply: its wire result, and its values in *V; false
 * when op K did not run (or the reply is short). */
bool remote_op_result(const struct rpc_reply *rep, size_t k, int64_t *res, const struct rpc_val **v, size_t *nv);
/* Whether A and B are the same file (device and inode). */
bool remote_same_file(const struct canon_stat *a, const struct canon_stat *b);
/* Whether PATH is TOP or beneath it. */
bool remote_path_under(const char *path, const char *top);
/* Whether a reply to TAG about PATH (may be NULL) and the file ST (may be
 * NULL) was made stale by a forget logged after TAG was sent. */
bool remote_stale(const struct remote *r, int64_t tag, const char *path, const struct canon_stat *st);
/* The reply REP to an OPEN+FSTAT(+PREAD) COMPOUND of PATH with FLAGS: the
 * handle, or -errno, with ST and DATA (up to DATA_MAX bytes) as
 * remote_open gives them. */
int64_t remote_open_reply(struct remote *r, const char *path, int flags, struct rpc_reply *rep, struct stat *st,
			  struct remote_data *data, size_t data_max);

/* The COMPOUND of an open that brings its attributes along, and its first
 * DATA_MAX bytes when DATA_MAX is not 0: OPEN (OPEN_ARGS, kept by
 * pointer), FSTAT, PREAD. */
struct open_compound {
	struct rpc_val fstat_args[1], pread_args[3];
	struct rpc_call calls[3];
	size_t ncalls;
};
void remote_open_compound(struct open_compound *oc, struct rpc_val open_args[6], size_t data_max);

/* ---- remote_ahead.c: opens sent ahead ---- */

/* The agent changed PATH (SUBTREE: or what is beneath it), or the file
 * ST: opens of it sent ahead go. */
void open_ahead_forget(struct remote *r, const char *path, bool subtree, const struct canon_stat *st);
/* The session is gone, and the handles of every open sent ahead with it. */
void open_ahead_drop(struct remote *r);
/* The end: every open sent ahead is closed. */
void open_ahead_fini(struct remote *r);
/* Entries of directory DIR_PATH read through handle H: remembered, in
 * order, for opens ahead. */
void open_ahead_listed(struct remote *r, int64_t h, const char *dir_path, const struct remote_dirents *d);
void open_ahead_listings_free(struct remote *r);
/* PATH was just opened for reading with FLAGS (GUESSED: with an answer
 * sent ahead): the opens of the entries after it in its directory's
 * listing go out ahead of the program. */
void open_ahead_next(struct remote *r, const char *path, int flags, size_t data_max, bool guessed);
/* The answer of the open of PATH sent ahead, if there is a usable one: the
 * handle, with ST and DATA as remote_open gives them; else -ENOENT (not
 * there) and the caller opens. */
int64_t open_ahead_take(struct remote *r, const char *path, int flags, size_t data_max, struct stat *st,
			struct remote_data *data);

#endif
