/* policy/exec_agent.c: local calls splitrun makes itself on a thread's
 * behalf, for a backend that cannot rewrite a call's arguments (user
 * notification). A local path named relative to something remote (the
 * virtual cwd after a chdir into a remote directory, or a remote dirfd)
 * means nothing to the guest's kernel, which would resolve it against its
 * own cwd; under ptrace the call is given the absolute path instead. Here
 * splitrun makes the same call with the absolute path and answers with
 * its result: an fd it opened is given to the guest (ADDFD), what the call
 * fills is copied into the guest, what it reads is copied out of it first.
 *
 * splitrun acts with its own credentials, so it does this only while the
 * thread's user and groups are splitrun's (else the call is refused), and
 * with the thread's umask for what it creates. Calls whose pointer
 * arguments it does not know are refused (docs/limits.md). */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>

#include "policy/exec_internal.h"

#define AGENT_BUF_MAX 65536

/* Whether TID's users, groups and supplementary groups (its status's
 * "Uid:", "Gid:" and "Groups:") are splitrun's own. */
static bool same_identity(pid_t tid)
{
	unsigned long mine[2][4], theirs[2][4];
	uid_t r, e, s;
	gid_t gr, ge, gs;
	if (getresuid(&r, &e, &s) < 0 || getresgid(&gr, &ge, &gs) < 0)
		return false;
	unsigned long fsuid = (unsigned long)setfsuid((uid_t)-1), fsgid = (unsigned long)setfsgid((gid_t)-1);
	unsigned long init[2][4] = { { r, e, s, fsuid }, { gr, ge, gs, fsgid } };
	memcpy(mine, init, sizeof mine);
	gid_t groups[64];
	int ngroups = getgroups(64, groups);
	if (ngroups < 0)
		return false;
	char path[64], line[1024];
	snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	int seen = 0;
	bool same = true;
	while (fgets(line, sizeof line, f)) {
		int k = strncmp(line, "Uid:", 4) == 0 ? 0 : strncmp(line, "Gid:", 4) == 0 ? 1 : -1;
		if (k >= 0) {
			seen |= 1 << k;
			if (sscanf(line + 4, "%lu %lu %lu %lu", &theirs[k][0], &theirs[k][1], &theirs[k][2],
				   &theirs[k][3]) != 4 || memcmp(theirs[k], mine[k], sizeof mine[k]) != 0)
				same = false;
		} else if (strncmp(line, "Groups:", 7) == 0) {
			seen |= 4;
			char *p = line + 7, *end;
			int n = 0;
			for (unsigned long g = strtoul(p, &end, 10); end != p; g = strtoul(p, &end, 10)) {
				if (n >= ngroups || g != (unsigned long)groups[n])
					same = false;
				n++;
				p = end;
			}
			if (n != ngroups)
				same = false;
		}
	}
	fclose(f);
	return same && seen == 7;
}

/* Bytes of the struct a known call reads through argument I, or 0. */
static size_t struct_in_size(const struct exec_call *c, int i)
{
	const char *name = c->desc->name;
	if (strcmp(name, "utimensat") == 0)
		return 2 * sizeof(struct timespec);
	if (strcmp(name, "utimes") == 0 || strcmp(name, "futimesat") == 0)
		return 2 * sizeof(struct timeval);
	if (strcmp(name, "utime") == 0)
		return sizeof(struct utimbuf);
	if (strcmp(name, "openat2") == 0 && i == 2)
		return c->arg[3] <= sizeof(struct open_how) ? (size_t)c->arg[3] : 0;
	return 0;
}

/* Bytes of the struct a known call fills through argument I, or 0. */
static size_t struct_out_size(const struct exec_call *c)
{
	const char *name = c->desc->name;
	if (strcmp(name, "statx") == 0)
		return sizeof(struct statx);
	if (strstr(name, "statfs"))
		return sizeof(struct statfs);
	if (strstr(name, "stat"))
		return sizeof(struct stat);
	return 0;
}

static bool is_open(const struct exec_call *c)
{
	const char *name = c->desc->name;
	return strcmp(name, "open") == 0 || strcmp(name, "openat") == 0 || strcmp(name, "openat2") == 0 ||
	       strcmp(name, "creat") == 0;
}

static bool creates(const struct exec_call *c, int open_flags)
{
	const char *name = c->desc->name;
	return (is_open(c) && (open_flags & (O_CREAT | O_TMPFILE))) || strstr(name, "mkdir") || strstr(name, "mknod");
}

/* An argument of the call as splitrun makes it. */
struct agent_arg {
	void *buf;          /* splitrun's copy (freed at the end), or NULL */
	size_t len;
	bool out;           /* copied back into the guest after the call */
};

void ex_run_in_agent(struct exec_call *c, const struct ex_path *p1, const struct ex_path *p2)
{
	const struct syscall_desc *d = c->desc;
	if (strcmp(d->name, "execve") == 0 || strcmp(d->name, "execveat") == 0) {
		ex_refuse(c, ENOSYS, "running a local program named relative to a remote directory needs --backend=ptrace");
		return;
	}
	if (!same_identity(c->tid)) {
		ex_refuse(c, ENOSYS, "a local path relative to a remote directory, by a process whose identity is not "
				     "splitrun's, needs --backend=ptrace");
		return;
	}
	struct agent_arg held[SYSCALL_MAX_ARGS] = { { 0 } };
	uint64_t arg[SYSCALL_MAX_ARGS];
	memcpy(arg, c->arg, sizeof arg);
	const struct ex_path *ps[2] = { p1, p2 };
	int64_t rc = 0;
	int open_flags = 0;
	for (int i = 0; i < d->nargs && rc == 0; i++) {
		const struct ex_path *mine = NULL;
		for (int k = 0; k < 2; k++)
			if (ps[k] && ps[k]->path_arg == i)
				mine = ps[k];
		bool is_dirfd = false;
		for (int k = 0; k < 2; k++)
			if (ps[k] && ps[k]->rewrite && ps[k]->dirfd_arg == i)
				is_dirfd = true;
		if (is_dirfd) {
			arg[i] = (uint64_t)(int64_t)AT_FDCWD;
			continue;
		}
		switch (d->arg[i]) {
		case AK_PATH:
		case AK_STR: {
			if (!c->arg[i])
				break;
			char *s = malloc(PATH_MAX + 4);
			if (!s) {
				rc = -ENOMEM;
				break;
			}
			held[i].buf = s;
			if (mine) {
				snprintf(s, PATH_MAX + 4, "%s%s", mine->guest,
					 mine->trailing_slash && strcmp(mine->guest, "/") != 0 ? "/" : "");
			} else {
				ssize_t n = c->x->mem->read_str(c->tid, c->arg[i], s, PATH_MAX + 1);
				if (n < 0 || n > PATH_MAX)
					rc = n < 0 ? -EFAULT : -ENAMETOOLONG;
			}
			arg[i] = (uint64_t)(uintptr_t)s;
			break;
		}
		case AK_OPEN_FLAGS:
			open_flags = (int)c->arg[i];
			break;
		case AK_INBUF:
		case AK_OUTBUF:
		case AK_STRUCT_IN:
		case AK_STRUCT_OUT:
		case AK_PTR: {
			if (!c->arg[i])
				break;
			bool in = d->arg[i] == AK_INBUF || d->arg[i] == AK_STRUCT_IN || d->arg[i] == AK_PTR;
			size_t len = d->arg[i] == AK_INBUF || d->arg[i] == AK_OUTBUF
					     ? (i + 1 < d->nargs ? (size_t)c->arg[i + 1] : 0)
				     : d->arg[i] == AK_STRUCT_OUT ? struct_out_size(c) : struct_in_size(c, i);
			if (len == 0 || len > AGENT_BUF_MAX) {
				rc = -ENOSYS;
				break;
			}
			held[i].buf = calloc(1, len);
			held[i].len = len;
			held[i].out = !in;
			if (!held[i].buf)
				rc = -ENOMEM;
			else if (in)
				rc = ex_read_mem(c, c->arg[i], held[i].buf, len);
			arg[i] = (uint64_t)(uintptr_t)held[i].buf;
			break;
		}
		default:
			break;
		}
	}
	if (strcmp(d->name, "openat2") == 0 && held[2].buf)
		open_flags = (int)((struct open_how *)held[2].buf)->flags;
	if (rc == -ENOSYS) {
		ex_refuse(c, ENOSYS, "a local path relative to a remote directory, in a call splitrun cannot make "
				     "itself, needs --backend=ptrace");
	} else if (rc < 0) {
		ex_answer(c, rc);
	} else {
		mode_t saved = 0;
		bool mask = creates(c, open_flags);
		if (mask)
			saved = umask(c->t->fs->umask);
		if (is_open(c)) {
			/* splitrun's own fd is never inherited by its children. */
			int flag_arg = ex_arg_index(d, AK_OPEN_FLAGS, 0);
			if (flag_arg >= 0)
				arg[flag_arg] |= O_CLOEXEC;
			else if (strcmp(d->name, "openat2") == 0)
				((struct open_how *)held[2].buf)->flags |= O_CLOEXEC;
		}
		rc = syscall(c->nr, arg[0], arg[1], arg[2], arg[3], arg[4], arg[5]);
		if (rc < 0)
			rc = -errno;
		if (mask)
			umask(saved);
		for (int i = 0; i < d->nargs && rc >= 0; i++)
			if (held[i].out) {
				size_t len = d->arg[i] == AK_OUTBUF && (size_t)rc < held[i].len ? (size_t)rc : held[i].len;
				if (ex_write_mem(c, c->arg[i], held[i].buf, len) < 0)
					rc = -EFAULT;
			}
		if (rc >= 0 && is_open(c)) {
			ex_install_local(c, (int)rc, open_flags & O_CLOEXEC);
		} else {
			ex_answer(c, rc);
		}
	}
	for (int i = 0; i < SYSCALL_MAX_ARGS; i++)
		free(held[i].buf);
}
