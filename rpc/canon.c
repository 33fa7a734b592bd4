/* rpc/canon.c: the tables between this machine's constants and the
 * canonical ones of rpc/canon.h, the two generic mappers, and the struct
 * conversions. */
#include "rpc/canon.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <stdio.h>
#include <dirent.h>
#include <sys/sysmacros.h>
#include <linux/falloc.h>
#include <linux/openat2.h>
#include <sys/file.h>

extern const int64_t canon_kernel_o_largefile;

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define E(n) { CANON_##n, n, #n }

/* ---- generic mappers ---- */

static int enum_map(const struct canon_entry *e, size_t n, int64_t from, int64_t *to, int to_canon)
{
	for (size_t i = 0; i < n; i++) {
		if ((to_canon ? e[i].native : e[i].canon) == from) {
			*to = to_canon ? e[i].canon : e[i].native;
			return 0;
		}
	}
	return -EINVAL;
}

int canon_enum_encode(const struct canon_table *t, int64_t native, int64_t *canon)
{
	return enum_map(t->entries, t->count, native, canon, 1);
}

int canon_enum_decode(const struct canon_table *t, int64_t canon, int64_t *native)
{
	return enum_map(t->entries, t->count, canon, native, 0);
}

/* Each entry whose bits are all present contributes its other-side bits;
 * multi-bit entries (O_SYNC over O_DSYNC) thus need all of theirs. A bit no
 * entry accounts for makes the whole set -EINVAL. */
static int flags_map(const struct canon_table *t, int64_t from, int64_t *to, int to_canon)
{
	int64_t field_from = to_canon ? t->field_native_mask : t->field_canon_mask;
	int64_t out = 0, consumed = 0;

	if (t->field_entries) {
		int64_t field_out;
		if (enum_map(t->field_entries, t->field_count, from & field_from, &field_out, to_canon))
			return -EINVAL;
		out |= field_out;
		consumed |= field_from;
	}
	for (size_t i = 0; i < t->count; i++) {
		int64_t in_bits = to_canon ? t->entries[i].native : t->entries[i].canon;
		int64_t out_bits = to_canon ? t->entries[i].canon : t->entries[i].native;
		if (in_bits != 0 && (from & in_bits) == in_bits) {
			out |= out_bits;
			consumed |= in_bits;
		}
	}
	if (from & ~consumed)
		return -EINVAL;
	*to = out;
	return 0;
}

int canon_flags_encode(const struct canon_table *t, int64_t native, int64_t *canon)
{
	return flags_map(t, native, canon, 1);
}

int canon_flags_decode(const struct canon_table *t, int64_t canon, int64_t *native)
{
	return flags_map(t, canon, native, 0);
}

int canon_table_encode(const struct canon_table *t, int64_t native, int64_t *canon)
{
	return t->kind == CANON_ENUM ? canon_enum_encode(t, native, canon) : canon_flags_encode(t, native, canon);
}

int canon_table_decode(const struct canon_table *t, int64_t canon, int64_t *native)
{
	return t->kind == CANON_ENUM ? canon_enum_decode(t, canon, native) : canon_flags_decode(t, canon, native);
}

/* ---- tables ---- */

static const struct canon_entry open_accmode[] = { E(O_RDONLY), E(O_WRONLY), E(O_RDWR) };
/* O_LARGEFILE is not a constant initializer (see canon_kernel.c): this table
 * is filled in place at first use. Composite entries precede nothing in
 * particular: the mapper is order-free. */
static struct canon_entry open_flags[] = {
	E(O_CREAT), E(O_EXCL), E(O_NOCTTY), E(O_TRUNC), E(O_APPEND), E(O_NONBLOCK),
	E(O_DSYNC), E(O_SYNC), E(O_DIRECT), { CANON_O_LARGEFILE, 0, "O_LARGEFILE" },
	E(O_DIRECTORY), E(O_NOFOLLOW), E(O_NOATIME), E(O_CLOEXEC), E(O_PATH), E(O_TMPFILE),
	E(O_ASYNC),
};
static struct canon_table open_table = {
	"open_flags", CANON_FLAGS, open_flags, COUNT(open_flags),
	CANON_O_ACCMODE, O_ACCMODE, open_accmode, COUNT(open_accmode),
};

static const struct canon_entry errno_entries[] = {
	E(EPERM),
	E(ENOENT),
	E(ESRCH),
	E(EINTR),
	E(EIO),
	E(ENXIO),
	E(E2BIG),
	E(ENOEXEC),
	E(EBADF),
	E(ECHILD),
	E(EAGAIN),
	E(ENOMEM),
	E(EACCES),
	E(EFAULT),
	E(ENOTBLK),
	E(EBUSY),
	E(EEXIST),
	E(EXDEV),
	E(ENODEV),
	E(ENOTDIR),
	E(EISDIR),
	E(EINVAL),
	E(ENFILE),
	E(EMFILE),
	E(ENOTTY),
	E(ETXTBSY),
	E(EFBIG),
	E(ENOSPC),
	E(ESPIPE),
	E(EROFS),
	E(EMLINK),
	E(EPIPE),
	E(EDOM),
	E(ERANGE),
	E(EDEADLK),
	E(ENAMETOOLONG),
	E(ENOLCK),
	E(ENOSYS),
	E(ENOTEMPTY),
	E(ELOOP),
	E(ENOMSG),
	E(EIDRM),
	E(ECHRNG),
	E(EL2NSYNC),
	E(EL3HLT),
	E(EL3RST),
	E(ELNRNG),
	E(EUNATCH),
	E(ENOCSI),
	E(EL2HLT),
	E(EBADE),
	E(EBADR),
	E(EXFULL),
	E(ENOANO),
	E(EBADRQC),
	E(EBADSLT),
	E(EBFONT),
	E(ENOSTR),
	E(ENODATA),
	E(ETIME),
	E(ENOSR),
	E(ENONET),
	E(ENOPKG),
	E(EREMOTE),
	E(ENOLINK),
	E(EADV),
	E(ESRMNT),
	E(ECOMM),
	E(EPROTO),
	E(EMULTIHOP),
	E(EDOTDOT),
	E(EBADMSG),
	E(EOVERFLOW),
	E(ENOTUNIQ),
	E(EBADFD),
	E(EREMCHG),
	E(ELIBACC),
	E(ELIBBAD),
	E(ELIBSCN),
	E(ELIBMAX),
	E(ELIBEXEC),
	E(EILSEQ),
	E(ERESTART),
	E(ESTRPIPE),
	E(EUSERS),
	E(ENOTSOCK),
	E(EDESTADDRREQ),
	E(EMSGSIZE),
	E(EPROTOTYPE),
	E(ENOPROTOOPT),
	E(EPROTONOSUPPORT),
	E(ESOCKTNOSUPPORT),
	E(EOPNOTSUPP),
	E(EPFNOSUPPORT),
	E(EAFNOSUPPORT),
	E(EADDRINUSE),
	E(EADDRNOTAVAIL),
	E(ENETDOWN),
	E(ENETUNREACH),
	E(ENETRESET),
	E(ECONNABORTED),
	E(ECONNRESET),
	E(ENOBUFS),
	E(EISCONN),
	E(ENOTCONN),
	E(ESHUTDOWN),
	E(ETOOMANYREFS),
	E(ETIMEDOUT),
	E(ECONNREFUSED),
	E(EHOSTDOWN),
	E(EHOSTUNREACH),
	E(EALREADY),
	E(EINPROGRESS),
	E(ESTALE),
	E(EUCLEAN),
	E(ENOTNAM),
	E(ENAVAIL),
	E(EISNAM),
	E(EREMOTEIO),
	E(EDQUOT),
	E(ENOMEDIUM),
	E(EMEDIUMTYPE),
	E(ECANCELED),
	E(ENOKEY),
	E(EKEYEXPIRED),
	E(EKEYREVOKED),
	E(EKEYREJECTED),
	E(EOWNERDEAD),
	E(ENOTRECOVERABLE),
	E(ERFKILL),
	E(EHWPOISON),
};
static const struct canon_table errno_table = { "errno", CANON_ENUM, errno_entries, COUNT(errno_entries), 0, 0, NULL, 0 };

static const struct canon_entry whence_entries[] = { E(SEEK_SET), E(SEEK_CUR), E(SEEK_END), E(SEEK_DATA), E(SEEK_HOLE) };
static const struct canon_table whence_table = { "whence", CANON_ENUM, whence_entries, COUNT(whence_entries), 0, 0, NULL, 0 };

static const struct canon_entry at_sync[] = { E(AT_STATX_SYNC_AS_STAT), E(AT_STATX_FORCE_SYNC), E(AT_STATX_DONT_SYNC) };
static const struct canon_entry at_entries[] = {
	E(AT_SYMLINK_NOFOLLOW), E(AT_REMOVEDIR), E(AT_EACCESS), E(AT_SYMLINK_FOLLOW),
	E(AT_NO_AUTOMOUNT), E(AT_EMPTY_PATH), E(AT_RECURSIVE),
};
static const struct canon_table at_table = {
	"at_flags", CANON_FLAGS, at_entries, COUNT(at_entries),
	CANON_AT_STATX_SYNC_TYPE, AT_STATX_SYNC_TYPE, at_sync, COUNT(at_sync),
};

static const struct canon_entry access_entries[] = { E(F_OK), E(R_OK), E(W_OK), E(X_OK) };
static const struct canon_table access_table = { "access_mode", CANON_FLAGS, access_entries, COUNT(access_entries), 0, 0, NULL, 0 };

static const struct canon_entry mode_types[] = {
	{ 0, 0, "(no type)" }, E(S_IFSOCK), E(S_IFLNK), E(S_IFREG), E(S_IFBLK), E(S_IFDIR), E(S_IFCHR), E(S_IFIFO),
};
static const struct canon_entry mode_bits[] = {
	E(S_ISUID), E(S_ISGID), E(S_ISVTX), E(S_IRUSR), E(S_IWUSR), E(S_IXUSR),
	E(S_IRGRP), E(S_IWGRP), E(S_IXGRP), E(S_IROTH), E(S_IWOTH), E(S_IXOTH),
};
static const struct canon_table mode_table = {
	"mode", CANON_FLAGS, mode_bits, COUNT(mode_bits), CANON_S_IFMT, S_IFMT, mode_types, COUNT(mode_types),
};

static const struct canon_entry rename_entries[] = { E(RENAME_NOREPLACE), E(RENAME_EXCHANGE), E(RENAME_WHITEOUT) };
static const struct canon_table rename_table = { "rename_flags", CANON_FLAGS, rename_entries, COUNT(rename_entries), 0, 0, NULL, 0 };

static const struct canon_entry statx_entries[] = {
	E(STATX_TYPE), E(STATX_MODE), E(STATX_NLINK), E(STATX_UID), E(STATX_GID), E(STATX_ATIME),
	E(STATX_MTIME), E(STATX_CTIME), E(STATX_INO), E(STATX_SIZE), E(STATX_BLOCKS),
	E(STATX_BASIC_STATS), E(STATX_BTIME), E(STATX_MNT_ID), E(STATX_DIOALIGN),
};
static const struct canon_table statx_table = { "statx_mask", CANON_FLAGS, statx_entries, COUNT(statx_entries), 0, 0, NULL, 0 };

static const struct canon_entry dirent_entries[] = {
	E(DT_UNKNOWN), E(DT_FIFO), E(DT_CHR), E(DT_DIR), E(DT_BLK), E(DT_REG), E(DT_LNK), E(DT_SOCK), E(DT_WHT),
};
static const struct canon_table dirent_table = { "dirent_type", CANON_ENUM, dirent_entries, COUNT(dirent_entries), 0, 0, NULL, 0 };

static const struct canon_entry lock_type_entries[] = { E(F_RDLCK), E(F_WRLCK), E(F_UNLCK) };
static const struct canon_table lock_type_table = { "lock_type", CANON_ENUM, lock_type_entries, COUNT(lock_type_entries), 0, 0, NULL, 0 };

static const struct canon_entry lock_cmd_entries[] = {
	E(F_GETLK), E(F_SETLK), E(F_SETLKW), E(F_OFD_GETLK), E(F_OFD_SETLK), E(F_OFD_SETLKW),
};
static const struct canon_table lock_cmd_table = { "lock_cmd", CANON_ENUM, lock_cmd_entries, COUNT(lock_cmd_entries), 0, 0, NULL, 0 };

static const struct canon_entry utime_entries[] = { E(UTIME_NOW), E(UTIME_OMIT) };
static const struct canon_table utime_table = { "utime_nsec", CANON_ENUM, utime_entries, COUNT(utime_entries), 0, 0, NULL, 0 };

static const struct canon_entry falloc_entries[] = {
	E(FALLOC_FL_KEEP_SIZE), E(FALLOC_FL_PUNCH_HOLE), E(FALLOC_FL_NO_HIDE_STALE), E(FALLOC_FL_COLLAPSE_RANGE),
	E(FALLOC_FL_ZERO_RANGE), E(FALLOC_FL_INSERT_RANGE), E(FALLOC_FL_UNSHARE_RANGE),
};
static const struct canon_table falloc_table = { "fallocate_mode", CANON_FLAGS, falloc_entries, COUNT(falloc_entries), 0, 0, NULL, 0 };

static const struct canon_entry resolve_entries[] = {
	E(RESOLVE_NO_XDEV), E(RESOLVE_NO_MAGICLINKS), E(RESOLVE_NO_SYMLINKS), E(RESOLVE_BENEATH),
	E(RESOLVE_IN_ROOT), E(RESOLVE_CACHED),
};
static const struct canon_table resolve_table = { "resolve_flags", CANON_FLAGS, resolve_entries, COUNT(resolve_entries), 0, 0, NULL, 0 };

static const struct canon_entry flock_entries[] = { E(LOCK_SH), E(LOCK_EX), E(LOCK_NB), E(LOCK_UN) };
static const struct canon_table flock_table = { "flock_op", CANON_FLAGS, flock_entries, COUNT(flock_entries), 0, 0, NULL, 0 };

const struct canon_table *const canon_tables[] = {
	&open_table, &errno_table, &whence_table, &at_table, &access_table, &mode_table, &rename_table,
	&statx_table, &dirent_table, &lock_type_table, &lock_cmd_table, &utime_table, &falloc_table,
	&resolve_table, &flock_table, NULL,
};

/* Runs before main, so open_table is complete before any thread can read it
 * and the tests iterating canon_tables see the real value. */
__attribute__((constructor)) static void canon_fill_kernel_values(void)
{
	for (size_t i = 0; i < COUNT(open_flags); i++)
		if (open_flags[i].canon == CANON_O_LARGEFILE)
			open_flags[i].native = canon_kernel_o_largefile;
}

/* ---- named pairs ---- */

#define PAIR(what, table) \
	int canon_##what##_encode(int64_t native, int64_t *canon) { return canon_table_encode(&table, native, canon); } \
	int canon_##what##_decode(int64_t canon, int64_t *native) { return canon_table_decode(&table, canon, native); }
PAIR(open_flags, open_table)
PAIR(errno, errno_table)
PAIR(whence, whence_table)
PAIR(at_flags, at_table)
PAIR(access_mode, access_table)
PAIR(mode, mode_table)
PAIR(rename_flags, rename_table)
PAIR(statx_mask, statx_table)
PAIR(dirent_type, dirent_table)
PAIR(lock_type, lock_type_table)
PAIR(lock_cmd, lock_cmd_table)
PAIR(fallocate_mode, falloc_table)
PAIR(resolve_flags, resolve_table)
PAIR(flock_op, flock_table)

int canon_utime_nsec_encode(int64_t native, int64_t *canon)
{
	if (native >= 0 && native <= 999999999) {
		*canon = native;
		return 0;
	}
	return canon_enum_encode(&utime_table, native, canon);
}

int canon_utime_nsec_decode(int64_t canon, int64_t *native)
{
	if (canon >= 0 && canon <= 999999999) {
		*native = canon;
		return 0;
	}
	return canon_enum_decode(&utime_table, canon, native);
}

const char *canon_errno_name(int64_t canon)
{
	for (size_t i = 0; i < COUNT(errno_entries); i++)
		if (errno_entries[i].canon == canon)
			return errno_entries[i].name;
	return NULL;
}

/* ---- structs ---- */

static struct canon_timespec ts_from(int64_t sec, int64_t nsec)
{
	struct canon_timespec t = { sec, nsec };
	return t;
}

int canon_stat_from_statx(const struct statx *in, struct canon_stat *out)
{
	int64_t mask = 0;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < COUNT(statx_entries); i++)
		if ((in->stx_mask & statx_entries[i].native) == (uint64_t)statx_entries[i].native)
			mask |= statx_entries[i].canon;
	out->mask = mask;
	if (canon_mode_encode(in->stx_mode, &out->mode))
		return -EINVAL;
	out->dev_major = in->stx_dev_major;
	out->dev_minor = in->stx_dev_minor;
	out->ino = (int64_t)in->stx_ino;
	out->nlink = in->stx_nlink;
	out->uid = in->stx_uid;
	out->gid = in->stx_gid;
	out->rdev_major = in->stx_rdev_major;
	out->rdev_minor = in->stx_rdev_minor;
	out->size = (int64_t)in->stx_size;
	out->blksize = in->stx_blksize;
	out->blocks = (int64_t)in->stx_blocks;
	out->atime = ts_from(in->stx_atime.tv_sec, in->stx_atime.tv_nsec);
	out->mtime = ts_from(in->stx_mtime.tv_sec, in->stx_mtime.tv_nsec);
	out->ctime = ts_from(in->stx_ctime.tv_sec, in->stx_ctime.tv_nsec);
	out->btime = ts_from(in->stx_btime.tv_sec, in->stx_btime.tv_nsec);
	return 0;
}

int canon_stat_from_stat(const struct stat *in, struct canon_stat *out)
{
	memset(out, 0, sizeof(*out));
	out->mask = CANON_STATX_BASIC_STATS;
	if (canon_mode_encode(in->st_mode, &out->mode))
		return -EINVAL;
	out->dev_major = major(in->st_dev);
	out->dev_minor = minor(in->st_dev);
	out->ino = (int64_t)in->st_ino;
	out->nlink = (int64_t)in->st_nlink;
	out->uid = in->st_uid;
	out->gid = in->st_gid;
	out->rdev_major = major(in->st_rdev);
	out->rdev_minor = minor(in->st_rdev);
	out->size = in->st_size;
	out->blksize = in->st_blksize;
	out->blocks = in->st_blocks;
	out->atime = ts_from(in->st_atim.tv_sec, in->st_atim.tv_nsec);
	out->mtime = ts_from(in->st_mtim.tv_sec, in->st_mtim.tv_nsec);
	out->ctime = ts_from(in->st_ctim.tv_sec, in->st_ctim.tv_nsec);
	return 0;
}

int canon_stat_to_stat(const struct canon_stat *in, struct stat *out)
{
	int64_t mode;
	if (canon_mode_decode(in->mode, &mode))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->st_dev = makedev((unsigned)in->dev_major, (unsigned)in->dev_minor);
	out->st_ino = (ino_t)in->ino;
	out->st_mode = (mode_t)mode;
	out->st_nlink = (nlink_t)in->nlink;
	out->st_uid = (uid_t)in->uid;
	out->st_gid = (gid_t)in->gid;
	out->st_rdev = makedev((unsigned)in->rdev_major, (unsigned)in->rdev_minor);
	out->st_size = in->size;
	out->st_blksize = (blksize_t)in->blksize;
	out->st_blocks = in->blocks;
	out->st_atim.tv_sec = in->atime.sec;
	out->st_atim.tv_nsec = in->atime.nsec;
	out->st_mtim.tv_sec = in->mtime.sec;
	out->st_mtim.tv_nsec = in->mtime.nsec;
	out->st_ctim.tv_sec = in->ctime.sec;
	out->st_ctim.tv_nsec = in->ctime.nsec;
	return 0;
}

static struct statx_timestamp stx_ts(struct canon_timespec t)
{
	struct statx_timestamp s;
	memset(&s, 0, sizeof(s));
	s.tv_sec = t.sec;
	s.tv_nsec = (uint32_t)t.nsec;
	return s;
}

int canon_stat_to_statx(const struct canon_stat *in, struct statx *out)
{
	int64_t mode, mask;
	if (canon_mode_decode(in->mode, &mode) || canon_statx_mask_decode(in->mask, &mask))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->stx_mask = (uint32_t)mask;
	out->stx_mode = (uint16_t)mode;
	out->stx_dev_major = (uint32_t)in->dev_major;
	out->stx_dev_minor = (uint32_t)in->dev_minor;
	out->stx_ino = (uint64_t)in->ino;
	out->stx_nlink = (uint32_t)in->nlink;
	out->stx_uid = (uint32_t)in->uid;
	out->stx_gid = (uint32_t)in->gid;
	out->stx_rdev_major = (uint32_t)in->rdev_major;
	out->stx_rdev_minor = (uint32_t)in->rdev_minor;
	out->stx_size = (uint64_t)in->size;
	out->stx_blksize = (uint32_t)in->blksize;
	out->stx_blocks = (uint64_t)in->blocks;
	out->stx_atime = stx_ts(in->atime);
	out->stx_mtime = stx_ts(in->mtime);
	out->stx_ctime = stx_ts(in->ctime);
	out->stx_btime = stx_ts(in->btime);
	return 0;
}

/* f_fsid is an opaque pair of ints; f_flags are ST_* mount flags, the same
 * numbers on every Linux arch (statvfs.h), passed as they are. */
int canon_statfs_from_statfs(const struct statfs *in, struct canon_statfs *out)
{
	int fsid[2];
	memcpy(fsid, &in->f_fsid, sizeof(fsid));
	out->type = (int64_t)in->f_type;
	out->bsize = (int64_t)in->f_bsize;
	out->blocks = (int64_t)in->f_blocks;
	out->bfree = (int64_t)in->f_bfree;
	out->bavail = (int64_t)in->f_bavail;
	out->files = (int64_t)in->f_files;
	out->ffree = (int64_t)in->f_ffree;
	out->fsid0 = fsid[0];
	out->fsid1 = fsid[1];
	out->namelen = (int64_t)in->f_namelen;
	out->frsize = (int64_t)in->f_frsize;
	out->flags = (int64_t)in->f_flags;
	return 0;
}

int canon_statfs_to_statfs(const struct canon_statfs *in, struct statfs *out)
{
	int fsid[2] = { (int)in->fsid0, (int)in->fsid1 };
	memset(out, 0, sizeof(*out));
	out->f_type = (__fsword_t)in->type;
	out->f_bsize = (__fsword_t)in->bsize;
	out->f_blocks = (__typeof__(out->f_blocks))in->blocks;
	out->f_bfree = (__typeof__(out->f_blocks))in->bfree;
	out->f_bavail = (__typeof__(out->f_blocks))in->bavail;
	out->f_files = (__typeof__(out->f_files))in->files;
	out->f_ffree = (__typeof__(out->f_files))in->ffree;
	memcpy(&out->f_fsid, fsid, sizeof(fsid));
	out->f_namelen = (__fsword_t)in->namelen;
	out->f_frsize = (__fsword_t)in->frsize;
	out->f_flags = (__fsword_t)in->flags;
	return 0;
}

static void copy_field(char *dst, size_t dst_len, const char *src, size_t src_len)
{
	size_t n = strnlen(src, src_len);
	if (n >= dst_len)
		n = dst_len - 1;
	memcpy(dst, src, n);
	memset(dst + n, 0, dst_len - n);
}

#define UTS_COPY(d, s) copy_field((d), sizeof(d), (s), sizeof(s))
int canon_utsname_from_utsname(const struct utsname *in, struct canon_utsname *out)
{
	UTS_COPY(out->sysname, in->sysname);
	UTS_COPY(out->nodename, in->nodename);
	UTS_COPY(out->release, in->release);
	UTS_COPY(out->version, in->version);
	UTS_COPY(out->machine, in->machine);
	UTS_COPY(out->domainname, in->domainname);
	return 0;
}

int canon_utsname_to_utsname(const struct canon_utsname *in, struct utsname *out)
{
	UTS_COPY(out->sysname, in->sysname);
	UTS_COPY(out->nodename, in->nodename);
	UTS_COPY(out->release, in->release);
	UTS_COPY(out->version, in->version);
	UTS_COPY(out->machine, in->machine);
	UTS_COPY(out->domainname, in->domainname);
	return 0;
}

int canon_flock_from_flock(const struct flock *in, struct canon_flock *out)
{
	if (canon_lock_type_encode(in->l_type, &out->type) || canon_whence_encode(in->l_whence, &out->whence))
		return -EINVAL;
	out->start = in->l_start;
	out->len = in->l_len;
	out->pid = in->l_pid;
	return 0;
}

int canon_flock_to_flock(const struct canon_flock *in, struct flock *out)
{
	int64_t type, whence;
	if (canon_lock_type_decode(in->type, &type) || canon_whence_decode(in->whence, &whence))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->l_type = (short)type;
	out->l_whence = (short)whence;
	out->l_start = in->start;
	out->l_len = in->len;
	out->l_pid = (pid_t)in->pid;
	return 0;
}
