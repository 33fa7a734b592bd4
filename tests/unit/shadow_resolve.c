/* tests/unit/shadow_resolve.c: the by-hand walk (resolve_by_hand, which the
 * shadow uses where openat2 is missing, as under qemu-user) against openat2
 * itself. Two identical trees are built; every path of a list is opened with
 * every flag set and resolve mode, through openat2 in one tree and through
 * the walk in the other. Both must fail with the same errno, or both open
 * the same name (the same path relative to the tree, the same type and the
 * same access mode). Runs as root, then again as nobody (for EACCES), then
 * with "/" as the root for procfs magic links. */
#include "shadow/resolve.h"

#include "tests/unit/check.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const tree_script[] = {
	"f f hello", "d d", "d e", "f d/g in-d", "l lf f", "l ld d", "l abs /d/g", "l rootlink /",
	"l up ../../../../etc", "l chain1 chain2", "l chain2 chain3", "l chain3 f", "l loop1 loop2",
	"l loop2 loop1", "l dangling nowhere", "l dangdir nodir/x", "p fifo", "d private", "f private/s secret",
	"m private 0700", "d nox", "f nox/f x", "m nox 0600", "d a", "d a/b", "d a/b/c", "f a/b/c/z z",
	"l dotdot ../..", "l self .", "l trail d/", "l fslash f/", "l absdir /a/b", "l viaabs /absdir/c/z",
	"f ro r", "m ro 0444", "d wx", "m wx 0300", "f wx/in i",
};

/* Builds the tree under dir ("d PATH", "f PATH TEXT", "l PATH TARGET",
 * "p PATH" fifo, "m PATH MODE"); 40 links k1..k40 (k1 -> f) and one more. */
static int build_tree(const char *dir)
{
	char p[4096], t[4096];
	for (size_t k = 0; k < sizeof tree_script / sizeof tree_script[0]; k++) {
		char kind, a[256], b[256] = "";
		if (sscanf(tree_script[k], "%c %255s %255s", &kind, a, b) < 2)
			return -1;
		snprintf(p, sizeof p, "%s/%s", dir, a);
		int rc = 0;
		switch (kind) {
		case 'd': rc = mkdir(p, 0755); break;
		case 'l': rc = symlink(b, p); break;
		case 'p': rc = mkfifo(p, 0644); break;
		case 'm': rc = chmod(p, (mode_t)strtol(b, NULL, 8)); break;
		case 'f': {
			FILE *f = fopen(p, "w");
			rc = !f || fputs(b, f) < 0 || fclose(f) ? -1 : 0;
			break;
		}
		}
		if (rc)
			return -1;
	}
	for (int k = 1; k <= 41; k++) {
		snprintf(p, sizeof p, "%s/k%d", dir, k);
		snprintf(t, sizeof t, k == 1 ? "f" : "k%d", k - 1);
		if (symlink(t, p))
			return -1;
	}
	return chmod(dir, 0755);
}

static int rm_entry(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)ftw;
	if (type == FTW_DP)
		chmod(p, 0700);
	return remove(p);
}

static void rm_tree(const char *dir)
{
	/* Make every directory searchable first, or nftw cannot descend. */
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null", dir);
	if (system(cmd) != 0)
		return;
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *const paths[] = {
	"", "/", ".", "..", "/..", "f", "/f", "f/", "f/.", "f/..", "d", "d/", "d/.", "d/..", "d/../f", "d/g", "d/g/",
	"//d//g", "/../../d/g", "ld", "ld/", "ld/g", "ld/..", "lf", "lf/", "abs", "abs/", "rootlink", "rootlink/",
	"rootlink/f", "rootlink/..", "up", "up/passwd", "chain1", "chain1/", "loop1", "loop1/", "loop1/x",
	"dangling", "dangling/", "dangdir", "nope", "nope/", "nope/x", "f/x", "fifo", "private", "private/",
	"private/s", "private/nope", "nox", "nox/", "nox/f", "nox/.", "nox/..", "a/b/c/z", "a/./b/../b/c/z",
	"dotdot/f", "self/self/f", "trail", "trail/g", "fslash", "absdir", "absdir/c", "viaabs", "k40", "k41",
	"ro", "wx", "wx/in", "wx/", "e/new", "e/new/", "newtop", "d/newer", "ld/newest", "dangling", "e/",
	"a/b/c/..", "wx/../f",
};

struct flagset {
	const char *name;
	int flags;
	bool creates;
};

static const struct flagset read_flags[] = {
	{ "O_RDONLY", O_RDONLY, false },
	{ "O_PATH", O_PATH, false },
	{ "O_PATH|O_NOFOLLOW", O_PATH | O_NOFOLLOW, false },
	{ "O_RDONLY|O_NOFOLLOW", O_RDONLY | O_NOFOLLOW, false },
	{ "O_DIRECTORY", O_RDONLY | O_DIRECTORY, false },
	{ "O_DIRECTORY|O_NOFOLLOW", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, false },
	{ "O_PATH|O_DIRECTORY", O_PATH | O_DIRECTORY, false },
	{ "O_PATH|O_NOFOLLOW|O_DIRECTORY", O_PATH | O_NOFOLLOW | O_DIRECTORY, false },
	{ "O_RDONLY|O_NONBLOCK", O_RDONLY | O_NONBLOCK, false },
	{ "O_WRONLY|O_NONBLOCK", O_WRONLY | O_NONBLOCK, false },
	{ "O_RDWR", O_RDWR, false },
};

static const struct flagset create_flags[] = {
	{ "O_WRONLY|O_CREAT", O_WRONLY | O_CREAT, true },
	{ "O_WRONLY|O_CREAT|O_EXCL", O_WRONLY | O_CREAT | O_EXCL, true },
	{ "O_WRONLY|O_CREAT|O_NOFOLLOW", O_WRONLY | O_CREAT | O_NOFOLLOW, true },
	{ "O_RDONLY|O_CREAT|O_DIRECTORY", O_RDONLY | O_CREAT | O_DIRECTORY, true },
	{ "O_TMPFILE|O_RDWR", O_TMPFILE | O_RDWR, true },
	{ "O_PATH|O_CREAT", O_PATH | O_CREAT, true },
	{ "O_RDWR|O_TRUNC", O_RDWR | O_TRUNC, true },
};

static const struct { const char *name; uint64_t resolve; } modes[] = {
	{ "RESOLVE_IN_ROOT", RESOLVE_IN_ROOT },
	{ "RESOLVE_BENEATH", RESOLVE_BENEATH },
	{ "RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS", RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS },
	{ "RESOLVE_IN_ROOT|RESOLVE_NO_XDEV", RESOLVE_IN_ROOT | RESOLVE_NO_XDEV },
	{ "RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS", RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS },
	{ "RESOLVE_IN_ROOT|RESOLVE_BENEATH", RESOLVE_IN_ROOT | RESOLVE_BENEATH },
};

/* O_NONBLOCK: the list has a FIFO, whose open would wait for a writer. */
static int nonblock(int flags)
{
	return (flags & O_PATH) ? flags : flags | O_NONBLOCK;
}

static int kernel_open(int dirfd, const char *path, int flags, uint64_t resolve)
{
	flags = nonblock(flags);
	struct open_how how = {
		.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC),
		.mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? 0600 : 0,
		.resolve = resolve | RESOLVE_NO_MAGICLINKS,
	};
	/* EAGAIN: a rename or mount anywhere raced a ".." (other tests run
	 * at the same time); the kernel asks to try again, as the shadow does. */
	int fd;
	for (int tries = 0; tries < 8; tries++) {
		fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return fd < 0 ? -errno : fd;
}

/* What an open gave: "errno NAME", or "PATH type accmode". */
static void describe(int fd, const char *tree, char *out, size_t size)
{
	if (fd < 0) {
		snprintf(out, size, "%s", strerrorname_np(-fd));
		return;
	}
	char proc[64], target[4096];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(proc, target, sizeof target - 1);
	target[n < 0 ? 0 : n] = 0;
	size_t tl = strlen(tree);
	const char *rel = strncmp(target, tree, tl) == 0 ? target + tl : target;
	/* An O_TMPFILE file is "/#INODE (deleted)": the inode differs. */
	char relbuf[4096];
	snprintf(relbuf, sizeof relbuf, "%s", rel);
	char *hash = strstr(relbuf, "/#");
	if (hash)
		strcpy(hash, "/#tmpfile");
	struct stat st;
	fstat(fd, &st);
	int fl = fcntl(fd, F_GETFL);
	snprintf(out, size, "%s type %o acc %o%s", *relbuf ? relbuf : "/", st.st_mode & S_IFMT, fl & O_ACCMODE,
		 (fl & O_PATH) ? " O_PATH" : "");
	close(fd);
}

/* One flag set in one mode over every path; returns the mismatches. */
static int compare(const char *ta, const char *tb, const struct flagset *fs, uint64_t resolve, const char *mode_name,
		   const char *who)
{
	int da = open(ta, O_PATH | O_DIRECTORY | O_CLOEXEC), db = open(tb, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int bad = 0;
	for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
		char ra[4200], rb[4200];
		describe(kernel_open(da, paths[k], fs->flags, resolve), ta, ra, sizeof ra);
		describe(resolve_by_hand(db, paths[k], nonblock(fs->flags) | O_CLOEXEC, 0600, resolve | RESOLVE_NO_MAGICLINKS), tb,
			 rb, sizeof rb);
		if (strcmp(ra, rb)) {
			if (bad++ < 8)
				printf("#   %s, %s, %s, \"%s\": openat2 %s, by hand %s\n", who, fs->name, mode_name, paths[k],
				       ra, rb);
		}
	}
	close(da);
	close(db);
	return bad;
}

static void matrix(const char *ta, const char *tb, const char *who, bool with_creates)
{
	for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
		for (size_t f = 0; f < sizeof read_flags / sizeof read_flags[0]; f++) {
			int bad = compare(ta, tb, &read_flags[f], modes[m].resolve, modes[m].name, who);
			CHECK(bad == 0, "%s: %s, %s: the walk and openat2 agree on %zu paths (%d differ)", who,
			      read_flags[f].name, modes[m].name, sizeof paths / sizeof paths[0], bad);
		}
		if (!with_creates)
			continue;
		for (size_t f = 0; f < sizeof create_flags / sizeof create_flags[0]; f++) {
			int bad = compare(ta, tb, &create_flags[f], modes[m].resolve, modes[m].name, who);
			CHECK(bad == 0, "%s: %s, %s: the walk and openat2 agree on %zu paths, creating alike (%d differ)",
			      who, create_flags[f].name, modes[m].name, sizeof paths / sizeof paths[0], bad);
		}
	}
}

/* The same, as nobody, in a child; its TAP lines go to our stdout. */
static void matrix_as_nobody(const char *ta, const char *tb)
{
	fflush(stdout);
	int pipefd[2];
	if (pipe(pipefd))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		dup2(pipefd[1], 1);
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) {
			printf("not ok - cannot become nobody\n");
			_exit(1);
		}
		check_count = 0;
		check_failures = 0;
		matrix(ta, tb, "nobody", false);
		fflush(stdout);
		_exit(check_failures ? 1 : 0);
	}
	close(pipefd[1]);
	FILE *in = fdopen(pipefd[0], "r");
	char line[4096];
	while (fgets(line, sizeof line, in)) {
		if (!strncmp(line, "ok ", 3) || !strncmp(line, "not ok ", 7)) {
			bool ok = line[0] == 'o';
			const char *what = strstr(line, " - ");
			CHECK(ok, "%.*s", (int)strcspn(what ? what + 3 : line, "\n"), what ? what + 3 : line);
		} else {
			fputs(line, stdout);
		}
	}
	fclose(in);
	int status;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status), "the nobody child ran to its end (status %#x)", status);
}

int main(void)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	int probe = (int)syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
	if (probe < 0) {
		printf("1..0 # SKIP openat2 is missing here; nothing to compare the walk with\n");
		return 0;
	}
	close(probe);

	char base[] = "/tmp/splitrun-resolve.XXXXXX";
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	chmod(base, 0755);
	char ta[4200], tb[4200];
	snprintf(ta, sizeof ta, "%s/a", base);
	snprintf(tb, sizeof tb, "%s/b", base);
	CHECK(mkdir(ta, 0755) == 0 && mkdir(tb, 0755) == 0 && build_tree(ta) == 0 && build_tree(tb) == 0,
	      "two identical trees built under %s", base);

	matrix(ta, tb, "root", true);
	matrix_as_nobody(ta, tb);

	/* procfs: magic links refused, plain procfs links followed. */
	static const char *const proc_paths[] = {
		"/proc/self", "/proc/self/status", "/proc/mounts", "/proc/self/root", "/proc/self/root/etc",
		"/proc/self/cwd", "/proc/self/cwd/", "/proc/self/exe", "/proc/self/fd/0", "/proc/thread-self/root",
		"/proc/self/ns/mnt", "/proc/self/task", "/proc/net",
	};
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (size_t k = 0; k < sizeof proc_paths / sizeof proc_paths[0]; k++) {
		for (int nofollow = 0; nofollow < 2; nofollow++) {
			int flags = O_PATH | (nofollow ? O_NOFOLLOW : 0);
			char ra[4200], rb[4200];
			describe(kernel_open(root, proc_paths[k], flags, RESOLVE_IN_ROOT), "", ra, sizeof ra);
			describe(resolve_by_hand(root, proc_paths[k], flags | O_CLOEXEC, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS),
				 "", rb, sizeof rb);
			/* the walk opens /proc/self of the same process: same names */
			if (!CHECK(!strcmp(ra, rb), "/ as the root: %s%s: openat2 and the walk agree", proc_paths[k],
				   nofollow ? " (O_NOFOLLOW)" : ""))
				printf("#   openat2 %s, by hand %s\n", ra, rb);
		}
	}
	close(root);
	CHECK(resolve_by_hand(AT_FDCWD, "x", O_RDONLY, 0, 0) == -EINVAL, "the walk refuses to run unconfined");

	rm_tree(base);
	return check_done();
}
