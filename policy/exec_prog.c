/* policy/exec_prog.c: running a program without rewriting the execve
 * (user notification: a call can only be let run as it is, answered, or
 * given fds). The program is one stored at home (staged first), or a local
 * one named relative to something remote.
 *
 * The kernel is made to open a local file under the name the guest gave
 * it, or under one no longer than that, written over it in the guest's
 * memory (/proc/TID/mem writes read-only pages too), and the call runs:
 *   - the guest's own name, when it is relative (no "..") and the thread's
 *     kernel cwd is the run directory, this run's private directory, the
 *     first process's kernel cwd when its cwd is remote: the program is put
 *     there under that name (nothing in the guest changes);
 *   - else, with that kernel cwd, a short name there (the program's own
 *     name if it fits, so /proc/PID/comm is right);
 *   - else "/dev/fd/N", the program's file given to the thread at its
 *     lowest free fd N (close-on-exec) with ADDFD;
 *   - else the call is refused (ENOSYS and a warning).
 * A name made in the run directory goes when the thread traps again or
 * ends: by then the kernel has opened the program (or failed to).
 *
 * A "#!" script whose interpreter is local is put under its own name as
 * above, when it can be: the kernel starts the interpreter with that name,
 * which the interpreter then opens through the executive (the script at
 * home). Otherwise the kernel is given a trampoline, a file whose "#!" line
 * names splitrun itself (EXEC_SCRIPT_HELPER_ARG): the script helper asks
 * the executive (EXEC_SCRIPT_HELPER_NR) for the interpreter, its argument
 * and the script's name as the guest gave it, and execs them, as the kernel
 * would have; that execve is trapped like any other (a remote interpreter
 * is staged). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <poll.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/exec_internal.h"

#define ALIAS_TRIES 64

/* A name in the run directory, until TID traps again or ends. */
struct ex_alias {
	struct ex_alias *next;
	pid_t tid;
	char name[];             /* relative to run_dir */
};

/* A name written over the guest's own, put back once the execve that read
 * it is done: in the thread's memory if the call failed, and in that of the
 * process it shares its memory with (vfork's parent), which would
 * otherwise find the changed name in its own string. */
struct ex_restore {
	struct ex_restore *next;
	pid_t tid;
	pid_t owner;             /* the process sharing TID's memory, 0: none */
	int owner_fd;            /* a pidfd: OWNER is still that process */
	uint64_t addr;
	size_t len;              /* of WROTE, its NUL included */
	char *orig, *wrote;      /* LEN bytes each */
};

/* What the script helper of TID (or of TGID, when a thread other than the
 * leader made the execve) will be told. */
struct ex_script {
	struct ex_script *next;
	pid_t tid, tgid;
	int depth;
	size_t len;
	char data[];             /* interpreter, its argument, the script's name: each NUL-terminated */
};

/* The file the kernel is to run. */
enum prog_kind {
	PROG_COPY,     /* a program stored at home, staged: moved into place, gone when done */
	PROG_SHARED,   /* the trampoline: linked into place */
	PROG_LOCAL,    /* a program of this machine's: a symbolic link to it */
};

struct prog {
	char path[PATH_MAX + 2];
	enum prog_kind kind;
	bool placed;             /* a PROG_COPY now belongs to an alias (or is gone) */
	const char *base;        /* the last component of its guest path */
};

/* The guest's name for the program, in its memory at ADDR. */
struct exec_name {
	char raw[PATH_MAX + 1];
	size_t len;              /* its length */
	size_t room;             /* the longest name that may replace it */
	uint64_t addr;
	bool at_cwd;             /* a relative name is the kernel cwd's (not execveat's dirfd's) */
	bool nofollow;           /* AT_SYMLINK_NOFOLLOW */
};

/* ---- the run directory ---- */

int ex_run_dir_make(struct exec *x)
{
	int rc = ex_stage_dir(x);
	if (rc)
		return rc;
	char path[PATH_MAX + 8];
	snprintf(path, sizeof path, "%s/run", x->stage_dir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		fprintf(x->warn ? x->warn : stderr, "splitrun: cannot make %s: %s\n", path, strerror(-rc));
		return rc;
	}
	/* Compared with /proc/TID/cwd, which is physical. */
	if (!realpath(path, x->run_dir)) {
		rc = -errno;
		x->run_dir[0] = 0;
		return rc;
	}
	return 0;
}

static bool kernel_cwd_is_run_dir(struct exec_call *c)
{
	if (!c->x->run_dir[0])
		return false;
	char proc[64], cwd[PATH_MAX];
	snprintf(proc, sizeof proc, "/proc/%d/cwd", (int)c->tid);
	ssize_t n = readlink(proc, cwd, sizeof cwd - 1);
	if (n <= 0)
		return false;
	cwd[n] = 0;
	return strcmp(cwd, c->x->run_dir) == 0;
}

/* Removes NAME's last component and then its directories while empty. */
static void unplace(struct exec *x, const char *name)
{
	char path[2 * PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", x->run_dir, name);
	if (unlink(path) < 0)
		return;
	size_t base = strlen(x->run_dir);
	for (char *slash = strrchr(path, '/'); slash && (size_t)(slash - path) > base; slash = strrchr(path, '/')) {
		*slash = 0;
		if (rmdir(path) < 0)
			break;
	}
}

/* Puts PR at NAME in the run directory (its directories made). Returns 0
 * or -errno (EEXIST: the name is taken). */
static int place(struct exec *x, struct prog *pr, const char *name)
{
	char path[2 * PATH_MAX];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", x->run_dir, name) >= PATH_MAX)
		return -ENAMETOOLONG;
	size_t base = strlen(x->run_dir);
	for (char *slash = strchr(path + base + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = 0;
		int rc = mkdir(path, 0700) < 0 && errno != EEXIST ? -errno : 0;
		*slash = '/';
		if (rc)
			return rc;
	}
	int rc = 0;
	switch (pr->kind) {
	case PROG_COPY:
		rc = renameat2(AT_FDCWD, pr->path, AT_FDCWD, path, RENAME_NOREPLACE);
		break;
	case PROG_SHARED:
		rc = link(pr->path, path);
		break;
	case PROG_LOCAL:
		rc = symlink(pr->path, path);
		break;
	}
	if (rc < 0) {
		rc = -errno;
		/* directories made for it, if empty */
		for (char *slash = strrchr(path, '/'); slash && (size_t)(slash - path) > base; slash = strrchr(path, '/')) {
			*slash = 0;
			if (rmdir(path) < 0)
				break;
		}
		return rc;
	}
	if (pr->kind == PROG_COPY) {
		pr->placed = true;
		ex_unstage_program(pr->path);   /* its directory, empty now */
	}
	return 0;
}

static int alias_add(struct exec *x, pid_t tid, const char *name)
{
	struct ex_alias *a = malloc(sizeof *a + strlen(name) + 1);
	if (!a)
		return -ENOMEM;
	a->tid = tid;
	strcpy(a->name, name);
	a->next = x->aliases;
	x->aliases = a;
	return 0;
}

static bool same_memory(pid_t a, pid_t b)
{
	return syscall(SYS_kcmp, a, b, KCMP_VM, 0, 0) == 0;
}

/* Whether R's owner is still the process it was. */
static bool owner_alive(const struct ex_restore *r)
{
	struct pollfd p = { .fd = r->owner_fd, .events = POLLIN };
	return r->owner && r->owner_fd >= 0 && poll(&p, 1, 0) == 0;
}

/* Puts R's name back in PID's memory, if the bytes there are still the
 * ones written (else the memory is another program's now, or reused). */
static void put_back(struct exec *x, pid_t pid, const struct ex_restore *r)
{
	char now[PATH_MAX + 1];
	if (!x->mem->peek || x->mem->peek(pid, r->addr, now, r->len) != (ssize_t)r->len ||
	    memcmp(now, r->wrote, r->len) != 0)
		return;
	(void)x->mem->write(pid, r->addr, r->orig, r->len);
}

static void restore_free(struct ex_restore *r)
{
	if (r->owner_fd >= 0)
		close(r->owner_fd);
	free(r->orig);
	free(r->wrote);
	free(r);
}

/* Remembers that LEN bytes of NAME were written at N's address for C's
 * thread. */
static void restore_add(struct exec_call *c, const struct exec_name *n, const char *name)
{
	size_t len = strlen(name) + 1;
	if (len > n->len + 1)
		return;   /* a buffer with room of splitrun's own (the launch, the helper) */
	struct ex_restore *r = calloc(1, sizeof *r);
	if (!r || !(r->orig = malloc(len)) || !(r->wrote = malloc(len))) {
		if (r)
			free(r->orig);
		free(r);
		return;
	}
	r->tid = c->tid;
	r->addr = n->addr;
	r->len = len;
	memcpy(r->orig, n->raw, len);   /* n->raw holds at least LEN bytes: its own and its NUL */
	memcpy(r->wrote, name, len);
	r->owner_fd = -1;
	char path[64], line[128];
	snprintf(path, sizeof path, "/proc/%d/status", (int)c->tid);
	FILE *f = fopen(path, "re");
	pid_t ppid = 0;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "PPid:", 5) == 0) {
			ppid = (pid_t)atoi(line + 5);
			break;
		}
	if (f)
		fclose(f);
	if (ppid > 0 && same_memory(c->tid, ppid)) {
		r->owner = ppid;
		r->owner_fd = (int)syscall(SYS_pidfd_open, ppid, 0);
	}
	r->next = c->x->restores;
	c->x->restores = r;
}

void ex_prog_task_event(struct exec *x, pid_t tid, bool gone)
{
	for (struct ex_restore **pr = &x->restores; *pr;) {
		struct ex_restore *r = *pr;
		bool mine = r->tid == tid;
		/* A thread of the memory's owner traps: the name can go back
		 * once the execve is done with it (the thread has a new
		 * memory, or is gone). */
		bool owners = !gone && !mine && owner_alive(r) && (tid == r->owner || same_memory(tid, r->owner)) &&
			      !same_memory(r->tid, r->owner);
		if (!mine && !owners) {
			pr = &r->next;
			continue;
		}
		if (mine && !gone)
			put_back(x, tid, r);   /* a failed execve: the same memory */
		if (owner_alive(r))
			put_back(x, r->owner, r);
		*pr = r->next;
		restore_free(r);
	}

	for (struct ex_alias **pa = &x->aliases; *pa;) {
		struct ex_alias *a = *pa;
		if (a->tid != tid) {
			pa = &a->next;
			continue;
		}
		*pa = a->next;
		unplace(x, a->name);
		free(a);
	}
	if (!gone)
		return;
	/* A thread other than the leader that execs takes the leader's id:
	 * its helper asks as the process, after the thread's old id ended. */
	for (struct ex_script **ps = &x->scripts; *ps;) {
		struct ex_script *s = *ps;
		if (s->tgid == tid) {
			*ps = s->next;
			free(s);
		} else {
			ps = &s->next;
		}
	}
}

void ex_prog_free(struct exec *x)
{
	while (x->restores) {
		struct ex_restore *r = x->restores;
		x->restores = r->next;
		restore_free(r);
	}
	while (x->aliases) {
		struct ex_alias *a = x->aliases;
		x->aliases = a->next;
		unplace(x, a->name);
		free(a);
	}
	while (x->scripts) {
		struct ex_script *s = x->scripts;
		x->scripts = s->next;
		free(s);
	}
}

/* ---- names ---- */

/* NAME as the kernel resolves it from the run directory, when that stays
 * inside it: its components without "." and empty ones. */
static bool mirror_name(const char *raw, char *out, size_t size)
{
	size_t n = strlen(raw);
	if (n == 0 || raw[0] == '/' || raw[n - 1] == '/')
		return false;
	size_t o = 0;
	for (const char *s = raw; *s;) {
		size_t k = strcspn(s, "/");
		if (k == 2 && s[0] == '.' && s[1] == '.')
			return false;
		if (k && !(k == 1 && s[0] == '.')) {
			if (o + k + 2 > size)
				return false;
			if (o)
				out[o++] = '/';
			memcpy(out + o, s, k);
			o += k;
		}
		s += k;
		while (*s == '/')
			s++;
	}
	out[o] = 0;
	return o > 0;
}

/* Writes NAME over the guest's name. Returns 0 or -EFAULT (what was
 * written is put back). */
static int write_name(struct exec_call *c, const struct exec_name *n, const char *name)
{
	size_t len = strlen(name) + 1;
	ssize_t w = c->x->mem->write(c->tid, n->addr, name, len);
	if (w == (ssize_t)len)
		return 0;
	if (w > 0)
		(void)c->x->mem->write(c->tid, n->addr, n->raw, (size_t)w);
	return -EFAULT;
}

/* Whether "/dev/fd/N" names fd N of the process that opens it. */
static bool dev_fd_works(struct exec *x)
{
	if (!x->dev_fd) {
		char target[64];
		ssize_t k = readlink("/dev/fd", target, sizeof target - 1);
		if (k > 0)
			target[k] = 0;
		x->dev_fd = k > 0 && strcmp(target, "/proc/self/fd") == 0 && access("/proc/self/fd", X_OK) == 0 ? 1 : -1;
	}
	return x->dev_fd > 0;
}

/* The kernel is about to run what the guest named: the call runs. */
static void let_run(struct exec_call *c)
{
	/* If it succeeds, the close-on-exec fds are gone: the table is
	 * checked at the thread's next call. */
	c->t->files->revalidate = true;
	ex_run(c);
}

static void drop(struct prog *pr)
{
	if (pr->kind == PROG_COPY && !pr->placed)
		ex_unstage_program(pr->path);
	pr->placed = true;
}

/* Runs PR under the guest's own name, when the kernel would find it in
 * the run directory. Returns false (nothing done) when it cannot. */
static bool run_mirrored(struct exec_call *c, struct prog *pr, const struct exec_name *n)
{
	char name[PATH_MAX];
	if (!n->at_cwd || (n->nofollow && pr->kind == PROG_LOCAL) || !mirror_name(n->raw, name, sizeof name) ||
	    !kernel_cwd_is_run_dir(c) || place(c->x, pr, name) < 0)
		return false;
	if (alias_add(c->x, c->tid, name) < 0) {
		unplace(c->x, name);
		ex_answer(c, -ENOMEM);
		return true;
	}
	let_run(c);
	return true;
}

/* Runs PR under a name written over the guest's (no longer than it): a
 * short one in the run directory, or /dev/fd/N; or refuses. */
static void run_renamed(struct exec_call *c, struct prog *pr, const struct exec_name *n)
{
	struct exec *x = c->x;
	char name[PATH_MAX];
	if (n->at_cwd && !(n->nofollow && pr->kind == PROG_LOCAL) && kernel_cwd_is_run_dir(c)) {
		for (int k = 0; k < ALIAS_TRIES; k++) {
			if (k == 0) {
				snprintf(name, sizeof name, "%s", pr->base);
			} else {
				/* base 36: 0..9a..z, 10.. */
				unsigned long v = x->alias_seq++;
				char digits[32];
				int d = 0;
				do
					digits[d++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
				while ((v /= 36) && d < 31);
				for (int i = 0; i < d; i++)
					name[i] = digits[d - 1 - i];
				name[d] = 0;
			}
			if (strlen(name) > n->room || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
				continue;
			int rc = place(x, pr, name);
			if (rc == -EEXIST || rc == -ENOTDIR || rc == -EISDIR)
				continue;
			if (rc < 0)
				break;
			if (alias_add(x, c->tid, name) < 0 || write_name(c, n, name) < 0) {
				/* the alias, if listed, goes at the thread's next call */
				ex_refuse(c, ENOSYS, "running a program stored at home: its name cannot be changed in the program's memory");
				return;
			}
			restore_add(c, n, name);
			let_run(c);
			return;
		}
	}
	if (!n->nofollow && x->mem->addfd && dev_fd_works(x)) {
		int predicted = ex_guest_free_fd(c, 0);
		snprintf(name, sizeof name, "/dev/fd/%d", predicted);
		if (predicted >= 0 && strlen(name) <= n->room) {
			int fd = open(pr->path, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				int err = errno;
				drop(pr);
				ex_answer(c, -err);
				return;
			}
			int got = x->mem->addfd(c->tid, fd, O_CLOEXEC);
			close(fd);
			/* The guest's fd keeps the copy: its name can go now. */
			drop(pr);
			if (got < 0) {
				ex_answer(c, got);
				return;
			}
			snprintf(name, sizeof name, "/dev/fd/%d", got);
			if (strlen(name) > n->room || write_name(c, n, name) < 0) {
				ex_refuse(c, ENOSYS, "running a program stored at home: its name cannot be changed in the program's memory");
				return;
			}
			restore_add(c, n, name);
			let_run(c);
			return;
		}
	}
	drop(pr);
	ex_refuse(c, ENOSYS, n->nofollow ? "execveat with AT_SYMLINK_NOFOLLOW of a program stored at home needs --backend=ptrace"
			     : "running a program stored at home by so short a name needs a longer path to it here "
			       "(as long as the /dev/fd/N that takes its place), a cwd at home from the start (-C DIR), "
			       "or --backend=ptrace");
}

/* ---- what the kernel would say first ---- */

/* Of the ELF program open at FD: 1 when it is no ELF file, 0 when its
 * interpreter (PT_INTERP) is there to run it, or the -errno the kernel
 * would give (as it gives it before the program replaces the caller). */
static int elf_check(int fd)
{
	unsigned char ident[EI_NIDENT];
	if (pread(fd, ident, sizeof ident, 0) != (ssize_t)sizeof ident || memcmp(ident, ELFMAG, SELFMAG) != 0)
		return 1;
	bool wide = ident[EI_CLASS] == ELFCLASS64;
	if (!wide && ident[EI_CLASS] != ELFCLASS32)
		return -ENOEXEC;
	uint64_t phoff;
	unsigned phnum, phentsize;
	if (wide) {
		Elf64_Ehdr eh;
		if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh)
			return -ENOEXEC;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
	} else {
		Elf32_Ehdr eh;
		if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh)
			return -ENOEXEC;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
	}
	if (phentsize < (wide ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || phnum > 4096)
		return 0;   /* the kernel judges the rest */
	for (unsigned i = 0; i < phnum; i++) {
		uint64_t type, off, size;
		off_t at = (off_t)(phoff + (uint64_t)i * phentsize);
		if (wide) {
			Elf64_Phdr ph;
			if (pread(fd, &ph, sizeof ph, at) != (ssize_t)sizeof ph)
				return 0;
			type = ph.p_type, off = ph.p_offset, size = ph.p_filesz;
		} else {
			Elf32_Phdr ph;
			if (pread(fd, &ph, sizeof ph, at) != (ssize_t)sizeof ph)
				return 0;
			type = ph.p_type, off = ph.p_offset, size = ph.p_filesz;
		}
		if (type != PT_INTERP)
			continue;
		char interp[PATH_MAX];
		if (size < 2 || size > sizeof interp || pread(fd, interp, size, (off_t)off) != (ssize_t)size ||
		    interp[size - 1])
			return -ENOEXEC;
		struct stat st;
		if (stat(interp, &st) < 0)
			return -errno;
		if (!S_ISREG(st.st_mode))
			return -EACCES;
		return access(interp, X_OK) < 0 ? -errno : 0;
	}
	return 0;
}

/* Whether the local program PATH could be run: the -errno execve would
 * give, or 0. */
static int local_runnable(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	return access(path, X_OK) < 0 ? -errno : 0;
}

/* ---- scripts ---- */

/* What the kernel would say of running INTERP, a script's interpreter
 * (its "#!" line's), with DEPTH scripts on the way to it: 0, the -errno,
 * or 1 when the call has been answered already (a denied path). An
 * interpreter at home that is a script too is followed: the kernel would
 * fail before the caller is replaced, and so must this. */
static int interp_check(struct exec_call *c, const char *interp, int depth)
{
	char name[SHEBANG_MAX], arg[SHEBANG_MAX];
	snprintf(name, sizeof name, "%s", interp);
	for (;;) {
		struct ex_path ip;
		enum ex_resolved how = ex_resolve_str(c, name, &ip);
		if (how == EX_DONE)
			return 1;
		if (how == EX_LOCAL)
			return local_runnable(ip.guest);   /* the kernel follows local scripts */
		int rc = ex_program_at_home(c, &ip);
		if (rc < 0)
			return rc;
		/* Its first bytes come with the open. */
		struct stat st;
		struct remote_data head;
		int64_t h = remote_open(&c->x->remote, ip.shadow, O_RDONLY, 0, 0, &st, &head, SHEBANG_MAX);
		if (h < 0)
			return (int)h;
		rc = ex_shebang_of((const char *)head.p, head.len, name, sizeof name, arg, sizeof arg);
		remote_data_free(&head);
		remote_close(&c->x->remote, h, false);
		if (rc <= 0)
			return rc;
		if (++depth >= MAX_SCRIPT_DEPTH)
			return -ELOOP;
	}
}

/* The trampoline: "#!SPLITRUN --run-script-from-home". Returns 0 or -errno. */
static int trampoline(struct exec *x)
{
	if (x->trampoline[0])
		return 0;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return -ENOENT;
	self[n] = 0;
	/* The kernel splits the line at blanks and reads 256 bytes of it. */
	char line[SHEBANG_MAX + 1];
	if (strpbrk(self, " \t\n") || (size_t)snprintf(line, sizeof line, "#!%s %s\n", self, EXEC_SCRIPT_HELPER_ARG) >= SHEBANG_MAX)
		return -ENAMETOOLONG;
	char path[PATH_MAX];
	int fd = ex_stage_program_file(x, "trampoline", path, sizeof path);
	if (fd < 0)
		return fd;
	size_t len = strlen(line);
	int rc = write(fd, line, len) == (ssize_t)len && fchmod(fd, 0700) == 0 ? 0 : -EIO;
	close(fd);
	if (rc) {
		unlink(path);
		return rc;
	}
	snprintf(x->trampoline, sizeof x->trampoline, "%s", path);
	return 0;
}

static pid_t tgid_of(pid_t tid)
{
	char path[64], line[128];
	snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
	FILE *f = fopen(path, "re");
	pid_t tgid = tid;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "Tgid:", 5) == 0) {
			tgid = (pid_t)atoi(line + 5);
			break;
		}
	if (f)
		fclose(f);
	return tgid;
}

/* What TID's script helper will be told. Returns 0 or -ENOMEM. */
static int script_add(struct exec_call *c, const char *interp, const char *arg, const char *name, int depth)
{
	struct exec *x = c->x;
	for (struct ex_script **ps = &x->scripts; *ps;) {   /* a failed execve's */
		struct ex_script *s = *ps;
		if (s->tid == c->tid) {
			*ps = s->next;
			free(s);
		} else {
			ps = &s->next;
		}
	}
	size_t li = strlen(interp) + 1, la = strlen(arg) + 1, ln = strlen(name) + 1;
	struct ex_script *s = malloc(sizeof *s + li + la + ln);
	if (!s)
		return -ENOMEM;
	s->tid = c->tid;
	s->tgid = tgid_of(c->tid);
	s->depth = depth;
	s->len = li + la + ln;
	memcpy(s->data, interp, li);
	memcpy(s->data + li, arg, la);
	memcpy(s->data + li + la, name, ln);
	s->next = x->scripts;
	x->scripts = s;
	return 0;
}

static void script_forget(struct exec *x, pid_t tid)
{
	for (struct ex_script **ps = &x->scripts; *ps; ps = &(*ps)->next)
		if ((*ps)->tid == tid) {
			struct ex_script *s = *ps;
			*ps = s->next;
			free(s);
			return;
		}
}

void ex_script_fetch(struct exec_call *c)
{
	struct exec *x = c->x;
	struct ex_script **ps = &x->scripts;
	while (*ps && (*ps)->tid != c->tid && (*ps)->tgid != c->tid)
		ps = &(*ps)->next;
	struct ex_script *s = *ps;
	if (!s) {
		ex_answer(c, -ENOSYS);   /* as for any number no kernel gives */
		return;
	}
	if (c->arg[1] < s->len) {
		ex_answer(c, -ERANGE);
		return;
	}
	if (ex_write_mem(c, c->arg[0], s->data, s->len) < 0) {
		ex_answer(c, -EFAULT);
		return;
	}
	c->th->script_depth = s->depth;
	ex_answer(c, (int64_t)s->len);
	*ps = s->next;
	free(s);
}

/* ---- execve ---- */

void ex_exec_by_name(struct exec_call *c, const struct ex_path *p, bool remote, int depth, size_t room)
{
	struct exec *x = c->x;
	bool at = c->row->param == EXECVE_AT;
	int flags = at ? (int)c->arg[4] : 0;
	struct exec_name n = {
		.addr = c->arg[at ? 1 : 0],
		.at_cwd = !at || (int)c->arg[0] == AT_FDCWD,
		.nofollow = (flags & AT_SYMLINK_NOFOLLOW) != 0,
	};
	ssize_t len = x->mem->read_str(c->tid, n.addr, n.raw, sizeof n.raw);
	if (len < 0 || (size_t)len >= sizeof n.raw) {
		ex_answer(c, len < 0 ? -EFAULT : -ENAMETOOLONG);
		return;
	}
	n.len = (size_t)len;
	n.room = room > n.len ? room - 1 : n.len;
	if (p->fd_obj) {
		ex_refuse(c, ENOSYS, "execveat of a remote fd is not supported");
		return;
	}
	const char *slash = strrchr(p->guest, '/');
	struct prog pr = { .base = slash && slash[1] ? slash + 1 : p->guest };
	int rc;
	if (remote) {
		rc = ex_program_at_home(c, p);
		if (rc == 0)
			rc = ex_stage_program(c, p, pr.path, sizeof pr.path);
		pr.kind = PROG_COPY;
	} else {
		rc = local_runnable(p->guest);
		snprintf(pr.path, sizeof pr.path, "%s", p->guest);
		pr.kind = PROG_LOCAL;
		pr.placed = true;
	}
	if (rc < 0) {
		ex_answer(c, rc);
		return;
	}
	char interp[SHEBANG_MAX], arg[SHEBANG_MAX];
	int sb = ex_shebang(pr.path, interp, sizeof interp, arg, sizeof arg);
	if (sb < 0 && !remote)
		sb = 0;   /* a program only its owner's kernel can read: as it is */
	if (sb < 0) {
		drop(&pr);
		ex_answer(c, sb);
		return;
	}
	if (sb == 0) {
		int fd = open(pr.path, O_RDONLY | O_CLOEXEC);
		rc = fd < 0 ? 0 : elf_check(fd);
		if (fd >= 0)
			close(fd);
		if (rc != 0) {
			/* Not ELF (or no "#!"): the kernel says ENOEXEC, and a
			 * shell then runs it with sh, by the guest's own name. */
			drop(&pr);
			ex_answer(c, rc > 0 ? -ENOEXEC : rc);
			return;
		}
		if (!run_mirrored(c, &pr, &n))
			run_renamed(c, &pr, &n);
		return;
	}
	/* A script: its interpreter is a path like any other. */
	if (depth >= MAX_SCRIPT_DEPTH) {
		drop(&pr);
		ex_answer(c, -ELOOP);
		return;
	}
	struct ex_path ip;
	enum ex_resolved how = ex_resolve_str(c, interp, &ip);
	if (how == EX_DONE) {
		drop(&pr);
		return;
	}
	rc = interp_check(c, interp, depth + 1);
	if (rc != 0) {
		drop(&pr);
		if (rc < 0)
			ex_answer(c, rc);
		return;
	}
	/* A local interpreter the kernel finds by its name: the script under
	 * its own name, and the kernel does the rest. */
	if (how == EX_LOCAL && interp[0] == '/' && run_mirrored(c, &pr, &n))
		return;
	drop(&pr);
	rc = trampoline(x);
	if (rc < 0) {
		ex_refuse(c, ENOSYS, "running a script stored at home needs splitrun's own path as a #! line "
				     "(no blank, under 256 bytes), or --backend=ptrace");
		return;
	}
	if (script_add(c, interp, arg, n.raw, depth + 1) < 0) {
		ex_answer(c, -ENOMEM);
		return;
	}
	struct prog tp = { .kind = PROG_SHARED, .placed = true, .base = pr.base };
	snprintf(tp.path, sizeof tp.path, "%s", x->trampoline);
	if (!run_mirrored(c, &tp, &n))
		run_renamed(c, &tp, &n);
	if (c->a->verdict != EXEC_RUN)
		script_forget(x, c->tid);
}
