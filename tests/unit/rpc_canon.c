/* tests/unit/rpc_canon.c: every canonical table round-trips both ways, unknown
 * bits are refused, the tricky open flags map right, named flags encode to the
 * CANON_* constants (so every arch agrees by construction), golden canonical
 * numbers, and the canonical structs round-trip. */
#include "rpc/canon.h"
#include "tests/unit/check.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/sysmacros.h>
#include <linux/falloc.h>
#include <linux/openat2.h>
#include <sys/file.h>

static void test_tables_round_trip(void)
{
	for (size_t t = 0; canon_tables[t]; t++) {
		const struct canon_table *tab = canon_tables[t];
		int bad = 0;
		for (int pass = 0; pass < 2; pass++) {
			const struct canon_entry *e = pass ? tab->field_entries : tab->entries;
			size_t n = pass ? tab->field_count : tab->count;
			for (size_t i = 0; i < n; i++) {
				int64_t c = -999, nat = -999;
				int r1 = canon_table_encode(tab, e[i].native, &c);
				int r2 = canon_table_decode(tab, e[i].canon, &nat);
				int64_t back_n = -999, back_c = -999;
				int r3 = canon_table_decode(tab, c, &back_n);
				int r4 = canon_table_encode(tab, nat, &back_c);
				if (r1 || r2 || r3 || r4 || c != e[i].canon || nat != e[i].native ||
				    back_n != e[i].native || back_c != e[i].canon) {
					bad++;
					printf("# %s %s: native %#llx -> canon %#llx (want %#llx) rc %d/%d/%d/%d\n",
					       tab->name, e[i].name, (long long)e[i].native, (long long)c,
					       (long long)e[i].canon, r1, r2, r3, r4);
				}
			}
		}
		CHECK(bad == 0, "table %s: all %zu+%zu entries round-trip both ways", tab->name, tab->count, tab->field_count);
	}
}

/* Flag sets round-trip as sets, not only bit by bit: any combination of a
 * table's entries (and one value of its field) encodes to the OR of their
 * canonical values and decodes back to the OR of their native values. The
 * combinations are drawn with a fixed-seed generator, plus all entries at
 * once, so a failure is reproducible. */
static void test_flag_combinations(void)
{
	uint64_t seed = 0x5eed5eed5eedULL;
	for (size_t t = 0; canon_tables[t]; t++) {
		const struct canon_table *tab = canon_tables[t];
		if (tab->kind != CANON_FLAGS)
			continue;
		int bad = 0, tried = 0;
		for (int round = 0; round <= 300; round++) {
			int64_t native = 0, canon = 0;
			for (size_t i = 0; i < tab->count; i++) {
				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				if (round == 300 || (seed >> 62) & 1) {
					native |= tab->entries[i].native;
					canon |= tab->entries[i].canon;
				}
			}
			if (tab->field_entries) {
				size_t f = (size_t)(seed >> 33) % tab->field_count;
				native |= tab->field_entries[f].native;
				canon |= tab->field_entries[f].canon;
			}
			int64_t c = -1, n = -1;
			int r1 = canon_table_encode(tab, native, &c), r2 = canon_table_decode(tab, canon, &n);
			tried++;
			if (r1 || r2 || c != canon || n != native) {
				if (bad++ < 3)
					printf("# %s: native %#llx -> %#llx (want %#llx), canonical %#llx -> %#llx (want %#llx)\n",
					       tab->name, (long long)native, (long long)c, (long long)canon, (long long)canon,
					       (long long)n, (long long)native);
			}
		}
		CHECK(bad == 0, "table %s: %d combinations of entries round-trip as sets", tab->name, tried);
	}
}

/* Independent of the tables in rpc/canon.c: every constant the protocol
 * promises, by its libc name, must be there with its CANON_ value. */
#define X(tab, n) { #tab, #n, n, CANON_##n }
static void test_completeness(void)
{
	static const struct { const char *table, *name; int64_t native, canon; } want[] = {
		X(open_flags, O_RDONLY), X(open_flags, O_WRONLY), X(open_flags, O_RDWR), X(open_flags, O_CREAT),
		X(open_flags, O_EXCL), X(open_flags, O_NOCTTY), X(open_flags, O_TRUNC), X(open_flags, O_APPEND),
		X(open_flags, O_NONBLOCK), X(open_flags, O_DSYNC), X(open_flags, O_SYNC), X(open_flags, O_DIRECT),
		X(open_flags, O_DIRECTORY), X(open_flags, O_NOFOLLOW), X(open_flags, O_NOATIME), X(open_flags, O_CLOEXEC),
		X(open_flags, O_PATH), X(open_flags, O_TMPFILE), X(open_flags, O_ASYNC),
		X(whence, SEEK_SET), X(whence, SEEK_CUR), X(whence, SEEK_END), X(whence, SEEK_DATA), X(whence, SEEK_HOLE),
		X(at_flags, AT_SYMLINK_NOFOLLOW), X(at_flags, AT_REMOVEDIR), X(at_flags, AT_EACCESS),
		X(at_flags, AT_SYMLINK_FOLLOW), X(at_flags, AT_NO_AUTOMOUNT), X(at_flags, AT_EMPTY_PATH),
		X(at_flags, AT_STATX_SYNC_AS_STAT), X(at_flags, AT_STATX_FORCE_SYNC), X(at_flags, AT_STATX_DONT_SYNC),
		X(at_flags, AT_RECURSIVE),
		X(access_mode, F_OK), X(access_mode, R_OK), X(access_mode, W_OK), X(access_mode, X_OK),
		X(mode, S_IFSOCK), X(mode, S_IFLNK), X(mode, S_IFREG), X(mode, S_IFBLK), X(mode, S_IFDIR),
		X(mode, S_IFCHR), X(mode, S_IFIFO), X(mode, S_ISUID), X(mode, S_ISGID), X(mode, S_ISVTX),
		X(mode, S_IRUSR), X(mode, S_IWUSR), X(mode, S_IXUSR), X(mode, S_IRGRP), X(mode, S_IWGRP),
		X(mode, S_IXGRP), X(mode, S_IROTH), X(mode, S_IWOTH), X(mode, S_IXOTH),
		X(rename_flags, RENAME_NOREPLACE), X(rename_flags, RENAME_EXCHANGE), X(rename_flags, RENAME_WHITEOUT),
		X(statx_mask, STATX_TYPE), X(statx_mask, STATX_MODE), X(statx_mask, STATX_NLINK), X(statx_mask, STATX_UID),
		X(statx_mask, STATX_GID), X(statx_mask, STATX_ATIME), X(statx_mask, STATX_MTIME), X(statx_mask, STATX_CTIME),
		X(statx_mask, STATX_INO), X(statx_mask, STATX_SIZE), X(statx_mask, STATX_BLOCKS),
		X(statx_mask, STATX_BASIC_STATS), X(statx_mask, STATX_BTIME), X(statx_mask, STATX_MNT_ID),
		X(statx_mask, STATX_DIOALIGN),
		X(dirent_type, DT_UNKNOWN), X(dirent_type, DT_FIFO), X(dirent_type, DT_CHR), X(dirent_type, DT_DIR),
		X(dirent_type, DT_BLK), X(dirent_type, DT_REG), X(dirent_type, DT_LNK), X(dirent_type, DT_SOCK),
		X(dirent_type, DT_WHT),
		X(lock_type, F_RDLCK), X(lock_type, F_WRLCK), X(lock_type, F_UNLCK),
		X(lock_cmd, F_GETLK), X(lock_cmd, F_SETLK), X(lock_cmd, F_SETLKW), X(lock_cmd, F_OFD_GETLK),
		X(lock_cmd, F_OFD_SETLK), X(lock_cmd, F_OFD_SETLKW),
		X(utime_nsec, UTIME_NOW), X(utime_nsec, UTIME_OMIT),
		X(fallocate_mode, FALLOC_FL_KEEP_SIZE), X(fallocate_mode, FALLOC_FL_PUNCH_HOLE),
		X(fallocate_mode, FALLOC_FL_NO_HIDE_STALE), X(fallocate_mode, FALLOC_FL_COLLAPSE_RANGE),
		X(fallocate_mode, FALLOC_FL_ZERO_RANGE), X(fallocate_mode, FALLOC_FL_INSERT_RANGE),
		X(fallocate_mode, FALLOC_FL_UNSHARE_RANGE),
		X(resolve_flags, RESOLVE_NO_XDEV), X(resolve_flags, RESOLVE_NO_MAGICLINKS),
		X(resolve_flags, RESOLVE_NO_SYMLINKS), X(resolve_flags, RESOLVE_BENEATH),
		X(resolve_flags, RESOLVE_IN_ROOT), X(resolve_flags, RESOLVE_CACHED),
		X(flock_op, LOCK_SH), X(flock_op, LOCK_EX), X(flock_op, LOCK_NB), X(flock_op, LOCK_UN),
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct canon_table *tab = NULL;
		for (size_t t = 0; canon_tables[t]; t++)
			if (strcmp(canon_tables[t]->name, want[i].table) == 0)
				tab = canon_tables[t];
		int64_t c = -999, n = -999;
		int r1 = tab ? canon_table_encode(tab, want[i].native, &c) : -1;
		int r2 = tab ? canon_table_decode(tab, want[i].canon, &n) : -1;
		CHECK(r1 == 0 && r2 == 0 && c == want[i].canon && n == want[i].native,
		      "%s: %s native %#llo <-> canonical %#llx (got %#llx / %#llo, rc %d/%d)", want[i].table, want[i].name,
		      (long long)want[i].native, (long long)want[i].canon, (long long)c, (long long)n, r1, r2);
	}
	int64_t c;
	CHECK(canon_utime_nsec_encode(UTIME_NOW, &c) == 0 && c == CANON_UTIME_NOW, "canon_utime_nsec_encode(UTIME_NOW)");
}
#undef X

static void test_unknown_bits_refused(void)
{
	for (size_t t = 0; canon_tables[t]; t++) {
		const struct canon_table *tab = canon_tables[t];
		if (tab->kind != CANON_FLAGS)
			continue;
		int64_t known_n = tab->field_native_mask, known_c = tab->field_canon_mask;
		for (size_t i = 0; i < tab->count; i++) {
			known_n |= tab->entries[i].native;
			known_c |= tab->entries[i].canon;
		}
		int64_t out;
		for (int bit = 0; bit < 62; bit++) {
			int64_t b = INT64_C(1) << bit;
			if (!(known_n & b)) {
				CHECK_EQ_INT(canon_table_encode(tab, b, &out), -EINVAL, "%s: native unknown bit %d refused", tab->name, bit);
				break;
			}
		}
		for (int bit = 0; bit < 62; bit++) {
			int64_t b = INT64_C(1) << bit;
			if (!(known_c & b)) {
				CHECK_EQ_INT(canon_table_decode(tab, b, &out), -EINVAL, "%s: canonical unknown bit %d refused", tab->name, bit);
				break;
			}
		}
		CHECK_EQ_INT(canon_table_encode(tab, -1, &out), -EINVAL, "%s: all bits set refused", tab->name);
	}
	int64_t out;
	CHECK_EQ_INT(canon_whence_encode(5, &out), -EINVAL, "whence 5 refused");
	CHECK_EQ_INT(canon_errno_encode(0, &out), -EINVAL, "errno 0 refused");
	CHECK_EQ_INT(canon_errno_encode(41, &out), -EINVAL, "errno 41 (unused on Linux) refused");
	CHECK_EQ_INT(canon_errno_decode(134, &out), -EINVAL, "canonical errno 134 refused");
	CHECK_EQ_INT(canon_open_flags_encode(O_ACCMODE, &out), -EINVAL, "access mode 3 refused");
	CHECK_EQ_INT(canon_open_flags_decode(CANON_O_ACCMODE, &out), -EINVAL, "canonical access mode 3 refused");
	CHECK_EQ_INT(canon_mode_encode(0170000, &out), -EINVAL, "file type 0170000 refused");
	CHECK_EQ_INT(canon_at_flags_encode(AT_STATX_SYNC_TYPE, &out), -EINVAL, "both statx sync bits refused");
	CHECK_EQ_INT(canon_utime_nsec_encode(1000000000, &out), -EINVAL, "nsec 1e9 refused");
	CHECK_EQ_INT(canon_utime_nsec_encode(-1, &out), -EINVAL, "nsec -1 refused");
	CHECK_EQ_INT(canon_utime_nsec_decode(-3, &out), -EINVAL, "canonical nsec -3 refused");
	CHECK_EQ_INT(canon_lock_cmd_encode(F_GETFL, &out), -EINVAL, "F_GETFL is no lock cmd");
}

static void test_open_flags(void)
{
	int64_t c, n;
	CHECK(canon_open_flags_encode(O_RDONLY, &c) == 0 && c == CANON_O_RDONLY, "O_RDONLY -> 0");
	CHECK(canon_open_flags_encode(O_WRONLY | O_CREAT | O_EXCL, &c) == 0 &&
	      c == (CANON_O_WRONLY | CANON_O_CREAT | CANON_O_EXCL), "O_WRONLY|O_CREAT|O_EXCL");
	CHECK(canon_open_flags_decode(CANON_O_RDWR | CANON_O_TRUNC | CANON_O_CLOEXEC, &n) == 0 &&
	      n == (O_RDWR | O_TRUNC | O_CLOEXEC), "canonical RDWR|TRUNC|CLOEXEC decodes");
	CHECK(canon_open_flags_encode(O_DSYNC, &c) == 0 && c == CANON_O_DSYNC, "O_DSYNC alone is only DSYNC");
	CHECK(canon_open_flags_encode(O_SYNC, &c) == 0 && c == CANON_O_SYNC, "O_SYNC -> CANON_O_SYNC");
	CHECK(canon_open_flags_decode(CANON_O_SYNC, &n) == 0 && n == O_SYNC, "CANON_O_SYNC -> O_SYNC");
	CHECK(canon_open_flags_decode(CANON_O_DSYNC, &n) == 0 && n == O_DSYNC, "CANON_O_DSYNC -> O_DSYNC");
	CHECK(canon_open_flags_encode(O_SYNC & ~O_DSYNC, &c) == -EINVAL, "__O_SYNC without the DSYNC bit refused");
	CHECK(canon_open_flags_encode(O_TMPFILE | O_RDWR, &c) == 0 && c == (CANON_O_TMPFILE | CANON_O_RDWR), "O_TMPFILE|O_RDWR");
	CHECK(canon_open_flags_decode(CANON_O_TMPFILE | CANON_O_WRONLY, &n) == 0 && n == (O_TMPFILE | O_WRONLY), "canonical TMPFILE decodes");
	CHECK(canon_open_flags_encode(O_TMPFILE & ~O_DIRECTORY, &c) == -EINVAL, "__O_TMPFILE without O_DIRECTORY refused");
	CHECK(canon_open_flags_encode(O_DIRECTORY, &c) == 0 && c == CANON_O_DIRECTORY, "O_DIRECTORY alone is not TMPFILE");
	CHECK(canon_open_flags_encode(O_PATH | O_NOFOLLOW | O_CLOEXEC, &c) == 0 &&
	      c == (CANON_O_PATH | CANON_O_NOFOLLOW | CANON_O_CLOEXEC), "O_PATH|O_NOFOLLOW|O_CLOEXEC");
}

/* Named flags encode to the CANON_* constants on every arch; the native
 * values (which differ between x86_64 and aarch64) go to TAP comments. */
static void test_named_flags(void)
{
	extern const int64_t canon_kernel_o_largefile;
	static const struct { const char *name; int64_t native, canon; } named[] = {
		{ "O_DIRECTORY", O_DIRECTORY, CANON_O_DIRECTORY },
		{ "O_NOFOLLOW", O_NOFOLLOW, CANON_O_NOFOLLOW },
		{ "O_DIRECT", O_DIRECT, CANON_O_DIRECT },
		{ "O_LARGEFILE", 0, CANON_O_LARGEFILE },
		{ "O_CREAT", O_CREAT, CANON_O_CREAT },
		{ "O_EXCL", O_EXCL, CANON_O_EXCL },
		{ "O_APPEND", O_APPEND, CANON_O_APPEND },
		{ "O_NONBLOCK", O_NONBLOCK, CANON_O_NONBLOCK },
		{ "O_CLOEXEC", O_CLOEXEC, CANON_O_CLOEXEC },
		{ "O_PATH", O_PATH, CANON_O_PATH },
		{ "O_TMPFILE", O_TMPFILE, CANON_O_TMPFILE },
	};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		int64_t native = named[i].native, c = -1, back = -1;
		if (named[i].canon == CANON_O_LARGEFILE)
			native = canon_kernel_o_largefile;
		printf("# native %s = %#llo (canonical %#llx)\n", named[i].name, (long long)native, (long long)named[i].canon);
		CHECK(native != 0, "%s has a native bit on this machine", named[i].name);
		CHECK(canon_open_flags_encode(native, &c) == 0 && c == named[i].canon, "%s encodes to its CANON_ constant", named[i].name);
		CHECK(canon_open_flags_decode(named[i].canon, &back) == 0 && back == native, "%s decodes to the native value", named[i].name);
	}
}

/* Golden canonical numbers: a change to any of them breaks the wire. */
static void test_golden(void)
{
	int64_t c;
	CHECK_EQ_INT(CANON_O_DIRECTORY, 0x1000, "golden O_DIRECTORY");
	CHECK_EQ_INT(CANON_O_NOFOLLOW, 0x2000, "golden O_NOFOLLOW");
	CHECK_EQ_INT(CANON_O_TMPFILE, 0x21000, "golden O_TMPFILE");
	CHECK_EQ_INT(CANON_O_SYNC, 0x300, "golden O_SYNC");
	CHECK(canon_open_flags_encode(O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, &c) == 0 && c == 0x8025, "golden creat() flags = 0x8025 (got %#llx)", (long long)c);
	CHECK(canon_open_flags_encode(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, &c) == 0 && c == 0xb000, "golden opendir flags = 0xb000 (got %#llx)", (long long)c);
	CHECK(canon_errno_encode(ENOENT, &c) == 0 && c == 2, "golden ENOENT = 2");
	CHECK(canon_errno_encode(ELOOP, &c) == 0 && c == 40, "golden ELOOP = 40");
	CHECK(canon_errno_encode(EHWPOISON, &c) == 0 && c == 133, "golden EHWPOISON = 133");
	CHECK(canon_at_flags_encode(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_STATX_DONT_SYNC, &c) == 0 && c == 0x51, "golden at-flags = 0x51 (got %#llx)", (long long)c);
	CHECK(canon_mode_encode(S_IFDIR | 0755, &c) == 0 && c == 040755, "golden mode dir 0755");
	CHECK(canon_mode_encode(S_IFLNK | 0777, &c) == 0 && c == 0120777, "golden mode symlink");
	CHECK(canon_lock_cmd_encode(F_OFD_SETLKW, &c) == 0 && c == 6, "golden F_OFD_SETLKW = 6");
	CHECK(canon_lock_cmd_encode(F_SETLK, &c) == 0 && c == 2, "golden F_SETLK = 2");
	CHECK(canon_flock_op_encode(LOCK_EX | LOCK_NB, &c) == 0 && c == (CANON_LOCK_EX | CANON_LOCK_NB) && c == 6,
	      "golden LOCK_EX|LOCK_NB = 6");
	CHECK(canon_flock_op_decode(CANON_LOCK_UN, &c) == 0 && c == LOCK_UN, "canonical LOCK_UN decodes");
	CHECK_EQ_INT(canon_flock_op_encode(0x40, &c), -EINVAL, "an unknown flock bit is refused");
	CHECK(canon_utime_nsec_encode(UTIME_NOW, &c) == 0 && c == -1, "golden UTIME_NOW = -1");
	CHECK(canon_utime_nsec_encode(UTIME_OMIT, &c) == 0 && c == -2, "golden UTIME_OMIT = -2");
	CHECK(canon_utime_nsec_encode(123456789, &c) == 0 && c == 123456789, "nsec passes as itself");
	CHECK(canon_statx_mask_encode(STATX_BASIC_STATS | STATX_BTIME, &c) == 0 && c == 0xfff, "golden statx basic+btime = 0xfff");
	CHECK(canon_dirent_type_encode(DT_LNK, &c) == 0 && c == 10, "golden DT_LNK = 10");
	CHECK(canon_resolve_flags_encode(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, &c) == 0 && c == 0x12, "golden RESOLVE_IN_ROOT|NO_MAGICLINKS");
	CHECK(canon_fallocate_mode_encode(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, &c) == 0 && c == 3, "golden punch hole");
	CHECK(canon_rename_flags_encode(RENAME_EXCHANGE, &c) == 0 && c == 2, "golden RENAME_EXCHANGE");
	CHECK(canon_access_mode_encode(R_OK | X_OK, &c) == 0 && c == 5, "golden R_OK|X_OK");
	CHECK(canon_whence_encode(SEEK_HOLE, &c) == 0 && c == 4, "golden SEEK_HOLE");
}

static void test_errno(void)
{
	int mapped = 0, expected = 0;
	for (int e = 1; e <= 133; e++) {
		if (e == 41 || e == 58) /* unused numbers in Linux's errno space */
			continue;
		expected++;
		int64_t c, back;
		if (canon_errno_encode(e, &c) == 0 && canon_errno_decode(c, &back) == 0 && back == e && canon_errno_name(c))
			mapped++;
		else
			printf("# errno %d (%s) does not map\n", e, strerrorname_np(e));
	}
	CHECK_EQ_INT(mapped, expected, "every host errno 1..133 maps and has a name");
	int64_t c;
	CHECK(canon_errno_encode(EWOULDBLOCK, &c) == 0 && c == CANON_EAGAIN, "EWOULDBLOCK is EAGAIN");
	CHECK_EQ_STR(canon_errno_name(CANON_ENOENT), "ENOENT", "errno name");
	CHECK_EQ_STR(canon_errno_name(CANON_EHWPOISON), "EHWPOISON", "errno name, last");
	CHECK(canon_errno_name(999) == NULL, "no name for 999");
}

static void test_stat_structs(void)
{
	struct canon_stat cs, back;
	memset(&cs, 0, sizeof(cs));
	cs.mask = CANON_STATX_BASIC_STATS | CANON_STATX_BTIME;
	cs.dev_major = 259; cs.dev_minor = 3; cs.ino = 0x123456789aLL; cs.mode = CANON_S_IFREG | 04751;
	cs.nlink = 3; cs.uid = 1001; cs.gid = 1002; cs.rdev_major = 8; cs.rdev_minor = 17;
	cs.size = 0x1234567890LL; cs.blksize = 4096; cs.blocks = 777;
	cs.atime = (struct canon_timespec){ 1700000001, 11 };
	cs.mtime = (struct canon_timespec){ 1700000002, 22 };
	cs.ctime = (struct canon_timespec){ 1700000003, 33 };
	cs.btime = (struct canon_timespec){ 1700000004, 44 };

	struct statx sx;
	CHECK(canon_stat_to_statx(&cs, &sx) == 0 && canon_stat_from_statx(&sx, &back) == 0 &&
	      memcmp(&cs, &back, sizeof(cs)) == 0, "canon_stat -> statx -> canon_stat identical");
	struct stat st;
	CHECK(canon_stat_to_stat(&cs, &st) == 0 && canon_stat_from_stat(&st, &back) == 0, "canon_stat -> stat -> canon_stat");
	struct canon_stat want = cs;
	want.mask = CANON_STATX_BASIC_STATS;
	want.btime = (struct canon_timespec){ 0, 0 };
	CHECK(memcmp(&want, &back, sizeof(want)) == 0, "stat round trip keeps every basic field");
	CHECK_EQ_INT(st.st_mode, S_IFREG | 04751, "native st_mode");
	CHECK_EQ_INT(major(st.st_rdev), 8, "native rdev major");

	cs.mode = 0170000;
	CHECK_EQ_INT(canon_stat_to_stat(&cs, &st), -EINVAL, "bad canonical mode refused");
}

static void test_real_file(void)
{
	char path[] = "/tmp/rpc_canon_XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0, "temp file");
	if (fd < 0)
		return;
	CHECK(write(fd, "hello", 5) == 5, "write");
	struct stat st;
	struct statx sx;
	struct canon_stat a, b;
	int ok = stat(path, &st) == 0 && statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &sx) == 0;
	CHECK(ok, "stat and statx of %s", path);
	if (ok) {
		CHECK(canon_stat_from_stat(&st, &a) == 0 && canon_stat_from_statx(&sx, &b) == 0, "both convert");
		CHECK_EQ_INT(a.ino, b.ino, "ino agrees");
		CHECK_EQ_INT(a.dev_major, b.dev_major, "dev major agrees");
		CHECK_EQ_INT(a.dev_minor, b.dev_minor, "dev minor agrees");
		CHECK_EQ_INT(a.mode, b.mode, "mode agrees");
		CHECK_EQ_INT(a.mode & CANON_S_IFMT, CANON_S_IFREG, "regular file type");
		CHECK_EQ_INT(a.size, 5, "size from stat");
		CHECK_EQ_INT(b.size, 5, "size from statx");
		CHECK_EQ_INT(a.nlink, b.nlink, "nlink agrees");
		CHECK_EQ_INT(a.uid, b.uid, "uid agrees");
		CHECK_EQ_INT(a.blocks, b.blocks, "blocks agree");
		CHECK_EQ_INT(a.blksize, b.blksize, "blksize agrees");
		CHECK(a.mtime.sec == b.mtime.sec && a.mtime.nsec == b.mtime.nsec, "mtime agrees");
		CHECK_EQ_INT(b.mask & CANON_STATX_BASIC_STATS, CANON_STATX_BASIC_STATS, "statx reported basic stats");
	}
	close(fd);
	unlink(path);
}

static void test_other_structs(void)
{
	struct canon_statfs cf = { 0xef53, 4096, 1000000, 500000, 400000, 65536, 60000, 0x1234, 0x5678, 255, 1024, 0x1026 }, cb;
	struct statfs sf;
	CHECK(canon_statfs_to_statfs(&cf, &sf) == 0 && canon_statfs_from_statfs(&sf, &cb) == 0 &&
	      memcmp(&cf, &cb, sizeof(cf)) == 0, "statfs round trip");
	struct statfs real;
	CHECK(statfs("/", &real) == 0 && canon_statfs_from_statfs(&real, &cb) == 0 && cb.bsize > 0 && cb.namelen > 0,
	      "statfs of / converts (bsize %lld namelen %lld)", (long long)cb.bsize, (long long)cb.namelen);

	struct canon_utsname cu, ub;
	memset(&cu, 0, sizeof(cu));
	strcpy(cu.sysname, "Linux"); strcpy(cu.nodename, "home-box"); strcpy(cu.release, "6.1.0-test");
	strcpy(cu.version, "#1 SMP"); strcpy(cu.machine, "aarch64"); strcpy(cu.domainname, "(none)");
	struct utsname un;
	CHECK(canon_utsname_to_utsname(&cu, &un) == 0 && canon_utsname_from_utsname(&un, &ub) == 0 &&
	      memcmp(&cu, &ub, sizeof(cu)) == 0, "utsname round trip");
	CHECK_EQ_STR(un.nodename, "home-box", "utsname nodename");

	struct canon_flock fl = { CANON_F_WRLCK, CANON_SEEK_END, -100, 4096, 4242 }, fb;
	struct flock nf;
	CHECK(canon_flock_to_flock(&fl, &nf) == 0 && canon_flock_from_flock(&nf, &fb) == 0 &&
	      memcmp(&fl, &fb, sizeof(fl)) == 0, "flock round trip");
	CHECK(nf.l_type == F_WRLCK && nf.l_whence == SEEK_END && nf.l_start == -100, "native flock fields");
	fl.type = 7;
	CHECK_EQ_INT(canon_flock_to_flock(&fl, &nf), -EINVAL, "bad lock type refused");
}

int main(void)
{
	test_tables_round_trip();
	test_flag_combinations();
	test_completeness();
	test_unknown_bits_refused();
	test_open_flags();
	test_named_flags();
	test_golden();
	test_errno();
	test_stat_structs();
	test_real_file();
	test_other_structs();
	return check_done();
}
