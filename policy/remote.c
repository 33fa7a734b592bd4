/* policy/remote.c: implements policy/remote.h over rpc/client.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "policy/remote.h"
#include "rpc/canon.h"
#include "rpc/client.h"
#include "rpc/wire.h"

#define ENCODE(kind, native, out) do { \
	if (canon_##kind##_encode((int64_t)(native), &(out))) \
		return -EINVAL; \
} while (0)

static int64_t native_errno(int64_t canon)
{
	int64_t native;
	return canon_errno_decode(canon, &native) ? EIO : native;
}

static void mark_lost(struct remote *r, int64_t op, int rc)
{
	snprintf(r->lost_buf, sizeof r->lost_buf, "the connection to the shadow was lost during %s: %s",
		 rpc_op_name(op), rc == -ECONNRESET ? "the shadow closed it" : strerror(-rc));
	r->lost = r->lost_buf;
}

/* Sends one op and waits. Returns the result (>= 0 or -native errno);
 * REP holds the reply values until rpc_reply_free (also on an op error). */
static int64_t call(struct remote *r, int64_t op, const struct rpc_val *args, size_t n, struct rpc_reply *rep)
{
	memset(rep, 0, sizeof *rep);
	if (r->lost)
		return -EIO;
	r->round_trips++;
	int rc = rpc_call(r->conn, op, args, n, rep);
	if (rc) {
		memset(rep, 0, sizeof *rep);
		mark_lost(r, op, rc);
		return -EIO;
	}
	return rep->result < 0 ? -native_errno(-rep->result) : rep->result;
}

/* An op whose reply carries no values. */
static int64_t call0(struct remote *r, int64_t op, const struct rpc_val *args, size_t n)
{
	struct rpc_reply rep;
	int64_t res = call(r, op, args, n, &rep);
	rpc_reply_free(&rep);
	return res;
}

static int64_t put_stat(const struct rpc_val *v, struct stat *st)
{
	struct canon_stat c;
	rpc_vals_stat(v, &c);
	return canon_stat_to_stat(&c, st) ? -EOVERFLOW : 0;
}

int64_t remote_open(struct remote *r, const char *path, int flags, mode_t mode, mode_t umask, struct stat *st)
{
	int64_t cflags, cmode, cumask;
	ENCODE(open_flags, flags & ~O_CLOEXEC, cflags);
	/* The mode argument means something only when the open creates; the
	 * guest's register holds whatever was there otherwise. */
	if (!(flags & O_CREAT) && (flags & O_TMPFILE) != O_TMPFILE)
		mode = 0;
	ENCODE(mode, mode & 07777, cmode);
	ENCODE(mode, umask & 0777, cumask);
	struct rpc_val open_args[] = {
		rpc_int(RPC_HANDLE_CWD), rpc_str(path), rpc_int(cflags), rpc_int(cmode), rpc_int(cumask), rpc_int(0),
	};
	if (!st)
		return call0(r, RPC_OP_OPEN, open_args, 6);
	struct rpc_val fstat_args[] = { rpc_int(RPC_REF(0)) };
	struct rpc_call calls[] = {
		{ RPC_OP_OPEN, 6, open_args },
		{ RPC_OP_FSTAT, 1, fstat_args },
	};
	if (r->lost)
		return -EIO;
	struct rpc_reply rep;
	memset(&rep, 0, sizeof rep);
	r->round_trips++;
	int64_t tag = rpc_send_compound(r->conn, calls, 2);
	int rc = tag < 0 ? (int)tag : rpc_recv(r->conn, tag, &rep);
	if (rc) {
		mark_lost(r, RPC_OP_COMPOUND, rc);
		return -EIO;
	}
	/* vals: OPEN, its result, FSTAT, its result, 21 stat fields */
	int64_t res;
	if (rep.nvals < 2 || rep.vals[1].i < 0) {
		res = rep.nvals >= 2 ? -native_errno(-rep.vals[1].i) : -EPROTO;
	} else if (rep.nvals < 4 + RPC_STAT_FIELDS || rep.vals[3].i < 0) {
		int64_t h = rep.vals[1].i;
		res = rep.nvals >= 4 ? -native_errno(-rep.vals[3].i) : -EPROTO;
		rpc_reply_free(&rep);
		remote_close(r, h);
		return res;
	} else {
		res = rep.vals[1].i;
		int64_t conv = put_stat(&rep.vals[4], st);
		if (conv < 0) {
			rpc_reply_free(&rep);
			remote_close(r, res);
			return conv;
		}
	}
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_close(struct remote *r, int64_t h)
{
	struct rpc_val a[] = { rpc_int(h) };
	return call0(r, RPC_OP_CLOSE, a, 1);
}

int64_t remote_dup(struct remote *r, int64_t h)
{
	struct rpc_val a[] = { rpc_int(h) };
	return call0(r, RPC_OP_DUP, a, 1);
}

int64_t remote_read(struct remote *r, int64_t h, void *buf, size_t n, int64_t off)
{
	struct rpc_val a[] = { rpc_int(h), rpc_int((int64_t)n), rpc_int(off) };
	struct rpc_reply rep;
	int64_t res = call(r, off < 0 ? RPC_OP_READ : RPC_OP_PREAD, a, off < 0 ? 2 : 3, &rep);
	if (res >= 0) {
		size_t got = rep.nvals ? (size_t)rep.vals[0].i : 0;
		if (got > n) {
			res = -EPROTO;
		} else {
			memcpy(buf, rep.vals[0].p, got);
			res = (int64_t)got;
		}
	}
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_write(struct remote *r, int64_t h, const void *buf, size_t n, int64_t off)
{
	struct rpc_val a[] = { rpc_int(h), rpc_buf(buf, n), rpc_int(off) };
	return call0(r, off < 0 ? RPC_OP_WRITE : RPC_OP_PWRITE, a, off < 0 ? 2 : 3);
}

int64_t remote_lseek(struct remote *r, int64_t h, int64_t off, int whence)
{
	int64_t cw;
	ENCODE(whence, whence, cw);
	struct rpc_val a[] = { rpc_int(h), rpc_int(off), rpc_int(cw) };
	return call0(r, RPC_OP_LSEEK, a, 3);
}

static int64_t stat_reply(struct remote *r, int64_t op, const struct rpc_val *a, size_t n, struct stat *st)
{
	struct rpc_reply rep;
	int64_t res = call(r, op, a, n, &rep);
	if (res >= 0)
		res = rep.nvals >= RPC_STAT_FIELDS ? put_stat(rep.vals, st) : -EPROTO;
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_fstat(struct remote *r, int64_t h, struct stat *st)
{
	struct rpc_val a[] = { rpc_int(h) };
	return stat_reply(r, RPC_OP_FSTAT, a, 1, st);
}

int64_t remote_stat(struct remote *r, int64_t dirh, const char *path, int at_flags, struct stat *st)
{
	int64_t cat;
	ENCODE(at_flags, at_flags, cat);
	struct rpc_val a[] = { rpc_int(dirh), rpc_str(path), rpc_int(cat) };
	return stat_reply(r, RPC_OP_FSTATAT, a, 3, st);
}

int64_t remote_statx(struct remote *r, int64_t dirh, const char *path, int at_flags, unsigned mask, struct statx *stx)
{
	int64_t cat, cmask;
	ENCODE(at_flags, at_flags, cat);
	/* Bits the protocol has no name for ask for nothing it could answer. */
	if (canon_statx_mask_encode(mask & (STATX_BASIC_STATS | STATX_BTIME), &cmask))
		return -EINVAL;
	struct rpc_val a[] = { rpc_int(dirh), rpc_str(path), rpc_int(cat), rpc_int(cmask) };
	struct rpc_reply rep;
	int64_t res = call(r, RPC_OP_STATX, a, 4, &rep);
	if (res >= 0) {
		struct canon_stat c;
		if (rep.nvals < RPC_STAT_FIELDS) {
			res = -EPROTO;
		} else {
			rpc_vals_stat(rep.vals, &c);
			res = canon_stat_to_statx(&c, stx) ? -EOVERFLOW : 0;
		}
	}
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_access(struct remote *r, int64_t dirh, const char *path, int mode, int at_flags)
{
	int64_t cmode, cat;
	ENCODE(access_mode, mode, cmode);
	ENCODE(at_flags, at_flags, cat);
	struct rpc_val a[] = { rpc_int(dirh), rpc_str(path), rpc_int(cmode), rpc_int(cat) };
	return call0(r, RPC_OP_FACCESSAT, a, 4);
}

int64_t remote_readlink(struct remote *r, const char *path, char *buf, size_t size)
{
	struct rpc_val a[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path), rpc_int((int64_t)size) };
	struct rpc_reply rep;
	int64_t res = call(r, RPC_OP_READLINK, a, 3, &rep);
	if (res >= 0) {
		size_t got = rep.nvals ? (size_t)rep.vals[0].i : 0;
		if (got > size)
			got = size;
		memcpy(buf, rep.vals[0].p, got);
		res = (int64_t)got;
	}
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_getdents(struct remote *r, int64_t h, struct remote_dirent *ents, size_t max)
{
	struct rpc_val a[] = { rpc_int(h), rpc_int((int64_t)max) };
	struct rpc_reply rep;
	int64_t res = call(r, RPC_OP_GETDENTS, a, 2, &rep);
	if (res >= 0) {
		/* count, then ino, off, type, name per entry */
		int64_t count = rep.nvals ? rep.vals[0].i : 0;
		if (count < 0 || (size_t)count > max || rep.nvals < 1 + 4 * (size_t)count) {
			res = -EPROTO;
		} else {
			for (int64_t k = 0; k < count; k++) {
				const struct rpc_val *v = &rep.vals[1 + 4 * k];
				int64_t type;
				if (canon_dirent_type_decode(v[2].i, &type))
					type = DT_UNKNOWN;
				ents[k].ino = (uint64_t)v[0].i;
				ents[k].off = v[1].i;
				ents[k].type = (unsigned char)type;
				size_t len = (size_t)v[3].i < sizeof ents[k].name ? (size_t)v[3].i : sizeof ents[k].name - 1;
				memcpy(ents[k].name, v[3].p, len);
				ents[k].name[len] = 0;
			}
			res = count;
		}
	}
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_mkdir(struct remote *r, const char *path, mode_t mode, mode_t umask)
{
	int64_t cmode, cumask;
	ENCODE(mode, mode & 07777, cmode);
	ENCODE(mode, umask & 0777, cumask);
	struct rpc_val a[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path), rpc_int(cmode), rpc_int(cumask) };
	return call0(r, RPC_OP_MKDIR, a, 4);
}

int64_t remote_unlink(struct remote *r, const char *path, int at_flags)
{
	int64_t cat;
	ENCODE(at_flags, at_flags, cat);
	struct rpc_val a[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path), rpc_int(cat) };
	return call0(r, RPC_OP_UNLINK, a, 3);
}

int64_t remote_rename(struct remote *r, const char *from, const char *to, unsigned flags)
{
	int64_t cflags;
	ENCODE(rename_flags, flags, cflags);
	struct rpc_val a[] = {
		rpc_int(RPC_HANDLE_CWD), rpc_str(from), rpc_int(RPC_HANDLE_CWD), rpc_str(to), rpc_int(cflags),
	};
	return call0(r, RPC_OP_RENAME, a, 5);
}

int64_t remote_link(struct remote *r, const char *from, const char *to, int at_flags)
{
	int64_t cat;
	ENCODE(at_flags, at_flags, cat);
	struct rpc_val a[] = {
		rpc_int(RPC_HANDLE_CWD), rpc_str(from), rpc_int(RPC_HANDLE_CWD), rpc_str(to), rpc_int(cat),
	};
	return call0(r, RPC_OP_LINK, a, 5);
}

int64_t remote_symlink(struct remote *r, const char *target, const char *path)
{
	struct rpc_val a[] = { rpc_str(target), rpc_int(RPC_HANDLE_CWD), rpc_str(path) };
	return call0(r, RPC_OP_SYMLINK, a, 3);
}

int64_t remote_chmod(struct remote *r, int64_t dirh, const char *path, mode_t mode, int at_flags)
{
	int64_t cmode, cat;
	ENCODE(mode, mode & 07777, cmode);
	ENCODE(at_flags, at_flags, cat);
	struct rpc_val a[] = { rpc_int(dirh), rpc_str(path), rpc_int(cmode), rpc_int(cat) };
	return call0(r, RPC_OP_CHMOD, a, 4);
}

int64_t remote_fchmod(struct remote *r, int64_t h, mode_t mode)
{
	int64_t cmode;
	ENCODE(mode, mode & 07777, cmode);
	struct rpc_val a[] = { rpc_int(h), rpc_int(cmode) };
	return call0(r, RPC_OP_FCHMOD, a, 2);
}

int64_t remote_chown(struct remote *r, int64_t dirh, const char *path, uid_t uid, gid_t gid, int at_flags)
{
	int64_t cat;
	ENCODE(at_flags, at_flags, cat);
	struct rpc_val a[] = {
		rpc_int(dirh), rpc_str(path), rpc_int(uid == (uid_t)-1 ? -1 : (int64_t)uid),
		rpc_int(gid == (gid_t)-1 ? -1 : (int64_t)gid), rpc_int(cat),
	};
	return call0(r, RPC_OP_CHOWN, a, 5);
}

int64_t remote_fchown(struct remote *r, int64_t h, uid_t uid, gid_t gid)
{
	struct rpc_val a[] = {
		rpc_int(h), rpc_int(uid == (uid_t)-1 ? -1 : (int64_t)uid), rpc_int(gid == (gid_t)-1 ? -1 : (int64_t)gid),
	};
	return call0(r, RPC_OP_FCHOWN, a, 3);
}

int64_t remote_truncate(struct remote *r, const char *path, int64_t len)
{
	struct rpc_val a[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path), rpc_int(len) };
	return call0(r, RPC_OP_TRUNCATE, a, 3);
}

int64_t remote_ftruncate(struct remote *r, int64_t h, int64_t len)
{
	struct rpc_val a[] = { rpc_int(h), rpc_int(len) };
	return call0(r, RPC_OP_FTRUNCATE, a, 2);
}

int64_t remote_fsync(struct remote *r, int64_t h, bool datasync)
{
	struct rpc_val a[] = { rpc_int(h), rpc_int(datasync) };
	return call0(r, RPC_OP_FSYNC, a, 2);
}

int64_t remote_utimens(struct remote *r, int64_t dirh, const char *path, const struct timespec ts[2], int at_flags)
{
	int64_t ns[2], cat;
	for (int k = 0; k < 2; k++)
		ENCODE(utime_nsec, ts[k].tv_nsec, ns[k]);
	ENCODE(at_flags, at_flags, cat);
	struct rpc_val a[] = {
		rpc_int(dirh), rpc_str(path), rpc_int(ts[0].tv_sec), rpc_int(ns[0]), rpc_int(ts[1].tv_sec),
		rpc_int(ns[1]), rpc_int(cat),
	};
	return call0(r, RPC_OP_UTIMENS, a, 7);
}

static int64_t statfs_reply(struct remote *r, int64_t op, const struct rpc_val *a, size_t n, struct statfs *sf)
{
	struct rpc_reply rep;
	int64_t res = call(r, op, a, n, &rep);
	if (res >= 0) {
		struct canon_statfs c;
		if (rep.nvals < RPC_STATFS_FIELDS) {
			res = -EPROTO;
		} else {
			rpc_vals_statfs(rep.vals, &c);
			res = canon_statfs_to_statfs(&c, sf) ? -EOVERFLOW : 0;
		}
	}
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_statfs(struct remote *r, const char *path, struct statfs *sf)
{
	struct rpc_val a[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path) };
	return statfs_reply(r, RPC_OP_STATFS, a, 2, sf);
}

int64_t remote_fstatfs(struct remote *r, int64_t h, struct statfs *sf)
{
	struct rpc_val a[] = { rpc_int(h) };
	return statfs_reply(r, RPC_OP_FSTATFS, a, 1, sf);
}

int64_t remote_lock(struct remote *r, int64_t h, int cmd, struct flock *fl)
{
	int64_t ccmd;
	ENCODE(lock_cmd, cmd, ccmd);
	struct canon_flock cf;
	if (canon_flock_from_flock(fl, &cf))
		return -EINVAL;
	struct rpc_val a[] = {
		rpc_int(h), rpc_int(ccmd), rpc_int(cf.type), rpc_int(cf.whence), rpc_int(cf.start), rpc_int(cf.len),
		rpc_int(cf.pid),
	};
	struct rpc_reply rep;
	int64_t res = call(r, RPC_OP_LOCK, a, 7, &rep);
	if (res >= 0) {
		if (rep.nvals < RPC_FLOCK_FIELDS) {
			res = -EPROTO;
		} else {
			rpc_vals_flock(rep.vals, &cf);
			if (canon_flock_to_flock(&cf, fl))
				res = -EINVAL;
		}
	}
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_flock(struct remote *r, int64_t h, int op)
{
	int64_t cop;
	ENCODE(flock_op, op, cop);
	struct rpc_val a[] = { rpc_int(h), rpc_int(cop) };
	return call0(r, RPC_OP_FLOCK, a, 2);
}

int64_t remote_fallocate(struct remote *r, int64_t h, int mode, int64_t off, int64_t len)
{
	int64_t cmode;
	ENCODE(fallocate_mode, mode, cmode);
	struct rpc_val a[] = { rpc_int(h), rpc_int(cmode), rpc_int(off), rpc_int(len) };
	return call0(r, RPC_OP_FALLOCATE, a, 4);
}

int64_t remote_copy_range(struct remote *r, int64_t in, int64_t off_in, int64_t out, int64_t off_out,
			  size_t len, unsigned flags)
{
	struct rpc_val a[] = {
		rpc_int(in), rpc_int(off_in), rpc_int(out), rpc_int(off_out), rpc_int((int64_t)len), rpc_int(flags),
	};
	return call0(r, RPC_OP_COPY_RANGE, a, 6);
}

int64_t remote_enter_dir(struct remote *r, int64_t dirh, const char *path, char *canon, size_t size)
{
	int64_t cx;
	canon_access_mode_encode(X_OK, &cx);
	struct rpc_val chdir_args[] = { rpc_int(dirh), rpc_str(path ? path : "") };
	struct rpc_val fchdir_args[] = { rpc_int(dirh) };
	struct rpc_val access_args[] = { rpc_int(RPC_HANDLE_CWD), rpc_str("."), rpc_int(cx), rpc_int(0) };
	struct rpc_call calls[] = {
		path ? (struct rpc_call){ RPC_OP_CHDIR, 2, chdir_args } : (struct rpc_call){ RPC_OP_FCHDIR, 1, fchdir_args },
		{ RPC_OP_FACCESSAT, 4, access_args },
		{ RPC_OP_GETCWD, 0, NULL },
	};
	if (r->lost)
		return -EIO;
	struct rpc_reply rep;
	memset(&rep, 0, sizeof rep);
	r->round_trips++;
	int64_t tag = rpc_send_compound(r->conn, calls, 3);
	int rc = tag < 0 ? (int)tag : rpc_recv(r->conn, tag, &rep);
	if (rc) {
		mark_lost(r, RPC_OP_COMPOUND, rc);
		return -EIO;
	}
	/* vals: op, result (, values) per op; GETCWD's string last */
	int64_t res = rep.result < 0 ? -native_errno(-rep.result) : 0;
	if (res == 0) {
		const struct rpc_val *v = rep.nvals ? &rep.vals[rep.nvals - 1] : NULL;
		if (rep.nvals != 7 || !v->p || (size_t)v->i >= size) {
			res = rep.nvals == 7 ? -ENAMETOOLONG : -EPROTO;
		} else {
			memcpy(canon, v->p, (size_t)v->i);
			canon[v->i] = 0;
		}
	}
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_uname(struct remote *r, struct utsname *u)
{
	struct rpc_reply rep;
	int64_t res = call(r, RPC_OP_UNAME, NULL, 0, &rep);
	if (res >= 0) {
		struct canon_utsname c;
		if (rep.nvals < RPC_UTS_FIELDS) {
			res = -EPROTO;
		} else {
			rpc_vals_utsname(rep.vals, &c);
			res = canon_utsname_to_utsname(&c, u) ? -EINVAL : 0;
		}
	}
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_gethostname(struct remote *r, char *name, size_t size)
{
	struct rpc_reply rep;
	int64_t res = call(r, RPC_OP_GETHOSTNAME, NULL, 0, &rep);
	if (res >= 0) {
		if (rep.nvals < 1 || size == 0) {
			res = -EPROTO;
		} else {
			size_t n = (size_t)rep.vals[0].i < size - 1 ? (size_t)rep.vals[0].i : size - 1;
			memcpy(name, rep.vals[0].p, n);
			name[n] = 0;
		}
	}
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_ids(struct remote *r, uid_t *uid, uid_t *euid, gid_t *gid, gid_t *egid, gid_t *groups,
		   int *ngroups)
{
	struct rpc_reply rep;
	int64_t res = call(r, RPC_OP_IDS, NULL, 0, &rep);
	if (res >= 0) {
		int64_t n = rep.nvals >= 5 ? rep.vals[4].i : -1;
		if (n < 0 || rep.nvals < 5 + (size_t)n) {
			res = -EPROTO;
		} else {
			*uid = (uid_t)rep.vals[0].i;
			*euid = (uid_t)rep.vals[1].i;
			*gid = (gid_t)rep.vals[2].i;
			*egid = (gid_t)rep.vals[3].i;
			int keep = n < *ngroups ? (int)n : *ngroups;
			for (int k = 0; k < keep; k++)
				groups[k] = (gid_t)rep.vals[5 + k].i;
			*ngroups = keep;
		}
	}
	rpc_reply_free(&rep);
	return res;
}

int64_t remote_clock_gettime(struct remote *r, struct timespec *ts)
{
	struct rpc_val a[] = { rpc_int(0) };   /* canonical CLOCK_REALTIME */
	struct rpc_reply rep;
	int64_t res = call(r, RPC_OP_CLOCK_GETTIME, a, 1, &rep);
	if (res >= 0) {
		if (rep.nvals < 2) {
			res = -EPROTO;
		} else {
			ts->tv_sec = rep.vals[0].i;
			ts->tv_nsec = rep.vals[1].i;
		}
	}
	rpc_reply_free(&rep);
	return res;
}
