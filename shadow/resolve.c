/* shadow/resolve.c: openat2 confinement and its by-hand fallback. */
#include "shadow/resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_SYMLINKS 40          /* Linux's MAXSYMLINKS */
#define MAX_DEPTH    2048        /* "a/" * 2048 fills PATH_MAX */
#define PROC_ROOT_INO 1

/* -1: not decided yet, 0: openat2 works, 1: walk by hand. */
static atomic_int fallback = -1;

bool resolve_uses_fallback(void)
{
	int f = atomic_load(&fallback);
	if (f < 0) {
		const char *e = getenv("SPLITRUN_SHADOW_NO_OPENAT2");
		int want = e && *e && strcmp(e, "0") != 0;
		if (!want) {
			struct open_how how = { .flags = O_PATH | O_CLOEXEC };
			int fd = (int)syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
			want = fd < 0 && errno == ENOSYS;
			if (fd >= 0)
				close(fd);
		}
		int expected = -1;
		atomic_compare_exchange_strong(&fallback, &expected, want);
		f = atomic_load(&fallback);
	}
	return f == 1;
}

int resolve_open(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve)
{
	resolve |= RESOLVE_NO_MAGICLINKS;
	if (!resolve_uses_fallback()) {
		struct open_how how = {
			.flags = (uint64_t)(unsigned)flags,
			.mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0,
			.resolve = resolve,
		};
		/* EAGAIN: a rename or mount raced a ".." (or RESOLVE_CACHED
		 * missed); the kernel asks to try again. */
		for (int tries = 0; tries < 8; tries++) {
			int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
			if (fd >= 0)
				return fd;
			if (errno == ENOSYS) {
				atomic_store(&fallback, 1);
				break;
			}
			if (errno != EAGAIN || (resolve & RESOLVE_CACHED))
				return -errno;
		}
		if (!resolve_uses_fallback())
			return -EAGAIN;
	}
	return resolve_by_hand(dirfd, path, flags, mode, resolve);
}

/* "." and ".." are looked up in a directory, which needs search permission
 * on it, as the kernel's walk checks before every component. */
static int may_search(int dirfd)
{
	int fd = openat(dirfd, ".", O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* A symlink on procfs that is not in procfs's root directory is a magic link
 * (/proc/PID/root, /proc/PID/fd/N, ...): following its text would not do what
 * the kernel does, so it is refused like RESOLVE_NO_MAGICLINKS refuses it.
 * Those in the root (self, thread-self, mounts, net) are plain. */
static bool is_magic_link(int linkfd, int parentfd)
{
	struct statfs sf;
	struct stat st;
	if (fstatfs(linkfd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
		return false;
	if (fstatfs(parentfd, &sf) < 0 || fstat(parentfd, &st) < 0)
		return true;
	return !(sf.f_type == PROC_SUPER_MAGIC && st.st_ino == PROC_ROOT_INO);
}

/* Opens the directory dirfd stands for with the caller's flags, checking
 * permissions as an open of it by name would (an O_PATH fd has none). */
static int reopen_dir(int dirfd, int flags, mode_t mode)
{
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", dirfd);
	flags &= ~O_NOFOLLOW;   /* it would refuse the magic link itself */
	int fd = open(proc, flags, mode);
	if (fd < 0 && errno == ENOENT && access("/proc/self/fd", F_OK) < 0)
		fd = openat(dirfd, ".", flags, mode);   /* no /proc: the best we can do */
	return fd < 0 ? -errno : fd;
}

/* The walk. The stack holds an O_PATH fd per directory descended into; ".."
 * pops it (never asking the kernel for ".."), so the walk cannot climb above
 * its start. Every component is opened with O_NOFOLLOW and inspected; a
 * symlink's text is spliced in front of the rest of the path. */
int resolve_by_hand(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve)
{
	bool in_root = resolve & RESOLVE_IN_ROOT, beneath = resolve & RESOLVE_BENEATH;
	bool no_symlinks = resolve & RESOLVE_NO_SYMLINKS, no_xdev = resolve & RESOLVE_NO_XDEV;
	if (in_root == beneath)
		return -EINVAL;
	if (resolve & ~(uint64_t)(RESOLVE_IN_ROOT | RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV |
				   RESOLVE_NO_MAGICLINKS | RESOLVE_CACHED))
		return -EINVAL;
	/* openat2 is strict where openat ignores: O_PATH takes few flags. */
	if ((flags & O_PATH) && (flags & ~(O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)))
		return -EINVAL;
	if ((flags & O_CREAT) && (flags & O_TMPFILE) == O_DIRECTORY)
		return -EINVAL;
	if ((resolve & RESOLVE_CACHED) && ((flags & (O_CREAT | O_TRUNC)) || (flags & O_TMPFILE) == O_TMPFILE))
		return -EAGAIN;
	size_t plen = strlen(path);
	if (plen >= PATH_MAX)
		return -ENAMETOOLONG;
	if (plen == 0)
		return -ENOENT;
	if (beneath && path[0] == '/')
		return -EXDEV;

	const size_t cap = 2 * PATH_MAX + 2;
	int *stack = malloc(MAX_DEPTH * sizeof *stack);
	char *rest = malloc(cap), *tmp = malloc(cap), *target = malloc(PATH_MAX);
	int depth = 0, links = 0, rc;
	if (!stack || !rest || !tmp || !target) {
		free(stack);
		free(rest);
		free(tmp);
		free(target);
		return -ENOMEM;
	}
	memcpy(rest, path, plen + 1);
	stack[0] = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	struct stat st;
	if (stack[0] < 0 || fstat(stack[0], &st) < 0) {
		rc = -errno;
		goto out;
	}
	dev_t start_dev = st.st_dev;

	for (;;) {
		char *p = rest;
		while (*p == '/')
			p++;
		if (!*p) {   /* the path named the directory on top of the stack */
			if (flags & O_CREAT)
				rc = (flags & O_EXCL) ? -EEXIST : -EISDIR;
			else
				rc = reopen_dir(stack[depth], flags, mode);
			goto out;
		}
		size_t len = strcspn(p, "/");
		if (len > NAME_MAX) {
			rc = -ENAMETOOLONG;
			goto out;
		}
		char name[NAME_MAX + 1];
		memcpy(name, p, len);
		name[len] = 0;
		char *after = p + len;
		bool had_slash = *after == '/';
		while (*after == '/')
			after++;
		bool last = !*after;
		memmove(rest, after, strlen(after) + 1);

		if (last && had_slash && (flags & O_CREAT)) {
			rc = -EISDIR;   /* the kernel says so before looking */
			goto out;
		}
		if (!strcmp(name, ".") || !strcmp(name, "..")) {
			if ((rc = may_search(stack[depth])))
				goto out;
			if (name[1] == '.') {
				if (depth > 0)
					close(stack[depth--]);
				else if (beneath) {
					rc = -EXDEV;
					goto out;
				}
			}
			continue;
		}

		int fd = openat(stack[depth], name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			rc = -errno;
			if (rc == -ENOENT && last && (flags & O_CREAT)) {
				rc = openat(stack[depth], name, flags | O_NOFOLLOW, mode);
				rc = rc < 0 ? -errno : rc;
			}
			goto out;
		}
		if (fstat(fd, &st) < 0 || (no_xdev && st.st_dev != start_dev)) {
			rc = no_xdev && st.st_dev != start_dev ? -EXDEV : -errno;
			close(fd);
			goto out;
		}

		if (S_ISLNK(st.st_mode)) {
			bool stop_here = last && !had_slash &&
					 ((flags & O_NOFOLLOW) || ((flags & O_CREAT) && (flags & O_EXCL)));
			if (stop_here) {
				if ((flags & O_CREAT) && (flags & O_EXCL))
					rc = -EEXIST;
				else if (flags & O_DIRECTORY)
					rc = -ENOTDIR;
				else if (!(flags & O_PATH))
					rc = -ELOOP;
				else {
					rc = fd;   /* O_PATH|O_NOFOLLOW: the link itself */
					fd = -1;
				}
				if (fd >= 0)
					close(fd);
				goto out;
			}
			if (no_symlinks || is_magic_link(fd, stack[depth]) || ++links > MAX_SYMLINKS) {
				close(fd);
				rc = -ELOOP;
				goto out;
			}
			ssize_t n = readlinkat(fd, "", target, PATH_MAX - 1);
			close(fd);
			if (n < 0) {
				rc = -errno;
				goto out;
			}
			target[n] = 0;
			if (target[0] == '/') {
				if (beneath) {
					rc = -EXDEV;
					goto out;
				}
				while (depth > 0)
					close(stack[depth--]);
			}
			int w = snprintf(tmp, cap, "%s%s%s", target, had_slash ? "/" : "", rest);
			if (w < 0 || (size_t)w >= cap) {
				rc = -ENAMETOOLONG;
				goto out;
			}
			memcpy(rest, tmp, (size_t)w + 1);
			continue;
		}

		if (last) {
			close(fd);
			/* O_NOFOLLOW: if the name became a symlink since the
			 * fstat, the open fails instead of following it. */
			rc = openat(stack[depth], name, flags | O_NOFOLLOW | (had_slash ? O_DIRECTORY : 0), mode);
			rc = rc < 0 ? -errno : rc;
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			close(fd);
			rc = -ENOTDIR;
			goto out;
		}
		if (depth + 1 >= MAX_DEPTH) {
			close(fd);
			rc = -ENAMETOOLONG;
			goto out;
		}
		stack[++depth] = fd;
	}
out:
	if (stack[0] >= 0)
		while (depth >= 0)
			close(stack[depth--]);
	free(stack);
	free(rest);
	free(tmp);
	free(target);
	return rc;
}
