/* rpc/canon.h: the canonical external representation of the wire format
 * (after Bypass, section 4.3.4). Owns the protocol's own numbers for every
 * flag set and enumeration that crosses the wire (CANON_* below, documented in
 * docs/canonical-constants.md), the tables that map them to and from this
 * machine's values, and the canonical structs (all fields int64_t).
 *
 * Every function returns 0, or -EINVAL when a value (or any bit of a flag
 * set) has no canonical form / no native form on this machine. Canonical
 * values are the protocol's own numbers; native values come from the libc
 * (and kernel uapi) macros of the machine the code is compiled for, so the
 * aarch64 build maps aarch64's O_DIRECTORY etc. Nothing passes through raw. */
#ifndef SPLITRUN_RPC_CANON_H
#define SPLITRUN_RPC_CANON_H

#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>

/* ---- open flags: bits 0-1 are the access mode (an enumeration) ---- */
#define CANON_O_ACCMODE   INT64_C(0x3)
#define CANON_O_RDONLY    INT64_C(0x0)
#define CANON_O_WRONLY    INT64_C(0x1)
#define CANON_O_RDWR      INT64_C(0x2)
#define CANON_O_CREAT     INT64_C(0x4)
#define CANON_O_EXCL      INT64_C(0x8)
#define CANON_O_NOCTTY    INT64_C(0x10)
#define CANON_O_TRUNC     INT64_C(0x20)
#define CANON_O_APPEND    INT64_C(0x40)
#define CANON_O_NONBLOCK  INT64_C(0x80)
#define CANON_O_DSYNC     INT64_C(0x100)
#define CANON_O_SYNC      INT64_C(0x300)   /* includes CANON_O_DSYNC, as on Linux */
#define CANON_O_DIRECT    INT64_C(0x400)
#define CANON_O_LARGEFILE INT64_C(0x800)
#define CANON_O_DIRECTORY INT64_C(0x1000)
#define CANON_O_NOFOLLOW  INT64_C(0x2000)
#define CANON_O_NOATIME   INT64_C(0x4000)
#define CANON_O_CLOEXEC   INT64_C(0x8000)
#define CANON_O_PATH      INT64_C(0x10000)
#define CANON_O_TMPFILE   INT64_C(0x21000) /* includes CANON_O_DIRECTORY, as on Linux */
#define CANON_O_ASYNC     INT64_C(0x40000)

/* ---- errno: the Linux generic numbers, fixed here as literals ---- */
#define CANON_EPERM            1
#define CANON_ENOENT           2
#define CANON_ESRCH            3
#define CANON_EINTR            4
#define CANON_EIO              5
#define CANON_ENXIO            6
#define CANON_E2BIG            7
#define CANON_ENOEXEC          8
#define CANON_EBADF            9
#define CANON_ECHILD           10
#define CANON_EAGAIN           11
#define CANON_ENOMEM           12
#define CANON_EACCES           13
#define CANON_EFAULT           14
#define CANON_ENOTBLK          15
#define CANON_EBUSY            16
#define CANON_EEXIST           17
#define CANON_EXDEV            18
#define CANON_ENODEV           19
#define CANON_ENOTDIR          20
#define CANON_EISDIR           21
#define CANON_EINVAL           22
#define CANON_ENFILE           23
#define CANON_EMFILE           24
#define CANON_ENOTTY           25
#define CANON_ETXTBSY          26
#define CANON_EFBIG            27
#define CANON_ENOSPC           28
#define CANON_ESPIPE           29
#define CANON_EROFS            30
#define CANON_EMLINK           31
#define CANON_EPIPE            32
#define CANON_EDOM             33
#define CANON_ERANGE           34
#define CANON_EDEADLK          35
#define CANON_ENAMETOOLONG     36
#define CANON_ENOLCK           37
#define CANON_ENOSYS           38
#define CANON_ENOTEMPTY        39
#define CANON_ELOOP            40
#define CANON_ENOMSG           42
#define CANON_EIDRM            43
#define CANON_ECHRNG           44
#define CANON_EL2NSYNC         45
#define CANON_EL3HLT           46
#define CANON_EL3RST           47
#define CANON_ELNRNG           48
#define CANON_EUNATCH          49
#define CANON_ENOCSI           50
#define CANON_EL2HLT           51
#define CANON_EBADE            52
#define CANON_EBADR            53
#define CANON_EXFULL           54
#define CANON_ENOANO           55
#define CANON_EBADRQC          56
#define CANON_EBADSLT          57
#define CANON_EBFONT           59
#define CANON_ENOSTR           60
#define CANON_ENODATA          61
#define CANON_ETIME            62
#define CANON_ENOSR            63
#define CANON_ENONET           64
#define CANON_ENOPKG           65
#define CANON_EREMOTE          66
#define CANON_ENOLINK          67
#define CANON_EADV             68
#define CANON_ESRMNT           69
#define CANON_ECOMM            70
#define CANON_EPROTO           71
#define CANON_EMULTIHOP        72
#define CANON_EDOTDOT          73
#define CANON_EBADMSG          74
#define CANON_EOVERFLOW        75
#define CANON_ENOTUNIQ         76
#define CANON_EBADFD           77
#define CANON_EREMCHG          78
#define CANON_ELIBACC          79
#define CANON_ELIBBAD          80
#define CANON_ELIBSCN          81
#define CANON_ELIBMAX          82
#define CANON_ELIBEXEC         83
#define CANON_EILSEQ           84
#define CANON_ERESTART         85
#define CANON_ESTRPIPE         86
#define CANON_EUSERS           87
#define CANON_ENOTSOCK         88
#define CANON_EDESTADDRREQ     89
#define CANON_EMSGSIZE         90
#define CANON_EPROTOTYPE       91
#define CANON_ENOPROTOOPT      92
#define CANON_EPROTONOSUPPORT  93
#define CANON_ESOCKTNOSUPPORT  94
#define CANON_EOPNOTSUPP       95
#define CANON_EPFNOSUPPORT     96
#define CANON_EAFNOSUPPORT     97
#define CANON_EADDRINUSE       98
#define CANON_EADDRNOTAVAIL    99
#define CANON_ENETDOWN         100
#define CANON_ENETUNREACH      101
#define CANON_ENETRESET        102
#define CANON_ECONNABORTED     103
#define CANON_ECONNRESET       104
#define CANON_ENOBUFS          105
#define CANON_EISCONN          106
#define CANON_ENOTCONN         107
#define CANON_ESHUTDOWN        108
#define CANON_ETOOMANYREFS     109
#define CANON_ETIMEDOUT        110
#define CANON_ECONNREFUSED     111
#define CANON_EHOSTDOWN        112
#define CANON_EHOSTUNREACH     113
#define CANON_EALREADY         114
#define CANON_EINPROGRESS      115
#define CANON_ESTALE           116
#define CANON_EUCLEAN          117
#define CANON_ENOTNAM          118
#define CANON_ENAVAIL          119
#define CANON_EISNAM           120
#define CANON_EREMOTEIO        121
#define CANON_EDQUOT           122
#define CANON_ENOMEDIUM        123
#define CANON_EMEDIUMTYPE      124
#define CANON_ECANCELED        125
#define CANON_ENOKEY           126
#define CANON_EKEYEXPIRED      127
#define CANON_EKEYREVOKED      128
#define CANON_EKEYREJECTED     129
#define CANON_EOWNERDEAD       130
#define CANON_ENOTRECOVERABLE  131
#define CANON_ERFKILL          132
#define CANON_EHWPOISON        133

/* ---- whence ---- */
#define CANON_SEEK_SET  INT64_C(0)
#define CANON_SEEK_CUR  INT64_C(1)
#define CANON_SEEK_END  INT64_C(2)
#define CANON_SEEK_DATA INT64_C(3)
#define CANON_SEEK_HOLE INT64_C(4)

/* ---- at-flags; bits 5-6 are the AT_STATX_SYNC_TYPE enumeration.
 * AT_REMOVEDIR and AT_EACCESS share a bit on Linux (which one is meant
 * depends on the call) and share a canonical bit too. ---- */
#define CANON_AT_SYMLINK_NOFOLLOW   INT64_C(0x1)
#define CANON_AT_REMOVEDIR          INT64_C(0x2)
#define CANON_AT_EACCESS            INT64_C(0x2)
#define CANON_AT_SYMLINK_FOLLOW     INT64_C(0x4)
#define CANON_AT_NO_AUTOMOUNT       INT64_C(0x8)
#define CANON_AT_EMPTY_PATH         INT64_C(0x10)
#define CANON_AT_STATX_SYNC_TYPE    INT64_C(0x60)
#define CANON_AT_STATX_SYNC_AS_STAT INT64_C(0x0)
#define CANON_AT_STATX_FORCE_SYNC   INT64_C(0x20)
#define CANON_AT_STATX_DONT_SYNC    INT64_C(0x40)
#define CANON_AT_RECURSIVE          INT64_C(0x80)

/* ---- access mode ---- */
#define CANON_F_OK INT64_C(0)
#define CANON_X_OK INT64_C(1)
#define CANON_W_OK INT64_C(2)
#define CANON_R_OK INT64_C(4)

/* ---- mode: file type (an enumeration within CANON_S_IFMT; 0 = no type,
 * as in mkdir/chmod modes) and the 12 permission bits ---- */
#define CANON_S_IFMT   INT64_C(0170000)
#define CANON_S_IFSOCK INT64_C(0140000)
#define CANON_S_IFLNK  INT64_C(0120000)
#define CANON_S_IFREG  INT64_C(0100000)
#define CANON_S_IFBLK  INT64_C(0060000)
#define CANON_S_IFDIR  INT64_C(0040000)
#define CANON_S_IFCHR  INT64_C(0020000)
#define CANON_S_IFIFO  INT64_C(0010000)
#define CANON_S_ISUID  INT64_C(04000)
#define CANON_S_ISGID  INT64_C(02000)
#define CANON_S_ISVTX  INT64_C(01000)
#define CANON_S_IRUSR  INT64_C(0400)
#define CANON_S_IWUSR  INT64_C(0200)
#define CANON_S_IXUSR  INT64_C(0100)
#define CANON_S_IRGRP  INT64_C(040)
#define CANON_S_IWGRP  INT64_C(020)
#define CANON_S_IXGRP  INT64_C(010)
#define CANON_S_IROTH  INT64_C(04)
#define CANON_S_IWOTH  INT64_C(02)
#define CANON_S_IXOTH  INT64_C(01)

/* ---- renameat2 flags ---- */
#define CANON_RENAME_NOREPLACE INT64_C(0x1)
#define CANON_RENAME_EXCHANGE  INT64_C(0x2)
#define CANON_RENAME_WHITEOUT  INT64_C(0x4)

/* ---- statx mask ---- */
#define CANON_STATX_TYPE        INT64_C(0x1)
#define CANON_STATX_MODE        INT64_C(0x2)
#define CANON_STATX_NLINK       INT64_C(0x4)
#define CANON_STATX_UID         INT64_C(0x8)
#define CANON_STATX_GID         INT64_C(0x10)
#define CANON_STATX_ATIME       INT64_C(0x20)
#define CANON_STATX_MTIME       INT64_C(0x40)
#define CANON_STATX_CTIME       INT64_C(0x80)
#define CANON_STATX_INO         INT64_C(0x100)
#define CANON_STATX_SIZE        INT64_C(0x200)
#define CANON_STATX_BLOCKS      INT64_C(0x400)
#define CANON_STATX_BASIC_STATS INT64_C(0x7ff)
#define CANON_STATX_BTIME       INT64_C(0x800)
#define CANON_STATX_MNT_ID      INT64_C(0x1000)
#define CANON_STATX_DIOALIGN    INT64_C(0x2000)

/* ---- dirent types ---- */
#define CANON_DT_UNKNOWN INT64_C(0)
#define CANON_DT_FIFO    INT64_C(1)
#define CANON_DT_CHR     INT64_C(2)
#define CANON_DT_DIR     INT64_C(4)
#define CANON_DT_BLK     INT64_C(6)
#define CANON_DT_REG     INT64_C(8)
#define CANON_DT_LNK     INT64_C(10)
#define CANON_DT_SOCK    INT64_C(12)
#define CANON_DT_WHT     INT64_C(14)

/* ---- fcntl locks ---- */
#define CANON_F_RDLCK INT64_C(0)
#define CANON_F_WRLCK INT64_C(1)
#define CANON_F_UNLCK INT64_C(2)
#define CANON_F_GETLK      INT64_C(1)
#define CANON_F_SETLK      INT64_C(2)
#define CANON_F_SETLKW     INT64_C(3)
#define CANON_F_OFD_GETLK  INT64_C(4)
#define CANON_F_OFD_SETLK  INT64_C(5)
#define CANON_F_OFD_SETLKW INT64_C(6)

/* ---- flock operation: one of SH, EX, UN, with NB or not ---- */
#define CANON_LOCK_SH INT64_C(0x1)
#define CANON_LOCK_EX INT64_C(0x2)
#define CANON_LOCK_NB INT64_C(0x4)
#define CANON_LOCK_UN INT64_C(0x8)

/* ---- utimensat nanoseconds: 0..999999999 are themselves ---- */
#define CANON_UTIME_NOW  INT64_C(-1)
#define CANON_UTIME_OMIT INT64_C(-2)

/* ---- fallocate mode ---- */
#define CANON_FALLOC_FL_KEEP_SIZE      INT64_C(0x1)
#define CANON_FALLOC_FL_PUNCH_HOLE     INT64_C(0x2)
#define CANON_FALLOC_FL_NO_HIDE_STALE  INT64_C(0x4)
#define CANON_FALLOC_FL_COLLAPSE_RANGE INT64_C(0x8)
#define CANON_FALLOC_FL_ZERO_RANGE     INT64_C(0x10)
#define CANON_FALLOC_FL_INSERT_RANGE   INT64_C(0x20)
#define CANON_FALLOC_FL_UNSHARE_RANGE  INT64_C(0x40)

/* ---- openat2 resolve flags ---- */
#define CANON_RESOLVE_NO_XDEV       INT64_C(0x1)
#define CANON_RESOLVE_NO_MAGICLINKS INT64_C(0x2)
#define CANON_RESOLVE_NO_SYMLINKS   INT64_C(0x4)
#define CANON_RESOLVE_BENEATH       INT64_C(0x8)
#define CANON_RESOLVE_IN_ROOT       INT64_C(0x10)
#define CANON_RESOLVE_CACHED        INT64_C(0x20)

/* ---- the tables ---- */
struct canon_entry { int64_t canon; int64_t native; const char *name; };

enum canon_kind { CANON_ENUM, CANON_FLAGS };

/* A flag table may hold one multi-bit field (the open access mode, the file
 * type, the statx sync type) that is an enumeration within a mask; entries
 * whose native value has several bits (O_SYNC, O_TMPFILE, STATX_BASIC_STATS)
 * match only when all their bits are present. */
struct canon_table {
	const char *name;
	enum canon_kind kind;
	const struct canon_entry *entries;
	size_t count;
	int64_t field_canon_mask, field_native_mask;
	const struct canon_entry *field_entries;
	size_t field_count;
};

extern const struct canon_table *const canon_tables[]; /* NULL-terminated */

int canon_enum_encode(const struct canon_table *t, int64_t native, int64_t *canon);
int canon_enum_decode(const struct canon_table *t, int64_t canon, int64_t *native);
int canon_flags_encode(const struct canon_table *t, int64_t native, int64_t *canon);
int canon_flags_decode(const struct canon_table *t, int64_t canon, int64_t *native);
/* By kind: dispatches to the enum or flag mapper. */
int canon_table_encode(const struct canon_table *t, int64_t native, int64_t *canon);
int canon_table_decode(const struct canon_table *t, int64_t canon, int64_t *native);

#define CANON_PAIR(what) \
	int canon_##what##_encode(int64_t native, int64_t *canon); \
	int canon_##what##_decode(int64_t canon, int64_t *native);
CANON_PAIR(open_flags)
CANON_PAIR(errno)
CANON_PAIR(whence)
CANON_PAIR(at_flags)
CANON_PAIR(access_mode)
CANON_PAIR(mode)
CANON_PAIR(rename_flags)
CANON_PAIR(statx_mask)
CANON_PAIR(dirent_type)
CANON_PAIR(lock_type)
CANON_PAIR(lock_cmd)
CANON_PAIR(utime_nsec)
CANON_PAIR(fallocate_mode)
CANON_PAIR(resolve_flags)
CANON_PAIR(flock_op)
#undef CANON_PAIR

/* The kernel's O_LARGEFILE bit (glibc's O_LARGEFILE is 0 on 64-bit
 * targets; the kernel sets its own bit in every open file's flags there). */
extern const int64_t canon_kernel_o_largefile;

/* "ENOENT" for CANON_ENOENT; NULL for a number with no canonical errno. */
const char *canon_errno_name(int64_t canon);

/* ---- canonical structs ---- */
struct canon_timespec { int64_t sec, nsec; };

struct canon_stat {
	int64_t mask; /* canonical STATX mask of the valid fields */
	int64_t dev_major, dev_minor, ino, mode /* canonical type+perm */, nlink,
		uid, gid, rdev_major, rdev_minor, size, blksize, blocks;
	struct canon_timespec atime, mtime, ctime, btime;
};

struct canon_statfs {
	int64_t type, bsize, blocks, bfree, bavail, files, ffree, fsid0, fsid1,
		namelen, frsize, flags;
};

#define CANON_UTS_LEN 65
struct canon_utsname {
	char sysname[CANON_UTS_LEN], nodename[CANON_UTS_LEN], release[CANON_UTS_LEN],
	     version[CANON_UTS_LEN], machine[CANON_UTS_LEN], domainname[CANON_UTS_LEN];
};

struct canon_flock { int64_t type /* canonical */, whence /* canonical */, start, len, pid; };

/* statx: bits of stx_mask with no canonical form are dropped (they only say
 * which fields are valid), not refused. from_stat sets mask to
 * CANON_STATX_BASIC_STATS; to_stat ignores btime and mask. */
int canon_stat_from_statx(const struct statx *in, struct canon_stat *out);
int canon_stat_from_stat(const struct stat *in, struct canon_stat *out);
int canon_stat_to_stat(const struct canon_stat *in, struct stat *out);
int canon_stat_to_statx(const struct canon_stat *in, struct statx *out);
int canon_statfs_from_statfs(const struct statfs *in, struct canon_statfs *out);
int canon_statfs_to_statfs(const struct canon_statfs *in, struct statfs *out);
int canon_utsname_from_utsname(const struct utsname *in, struct canon_utsname *out);
int canon_utsname_to_utsname(const struct canon_utsname *in, struct utsname *out);
int canon_flock_from_flock(const struct flock *in, struct canon_flock *out);
int canon_flock_to_flock(const struct canon_flock *in, struct flock *out);

#endif
