/* policy/exec_proc.c: calls about the process: execve of a remote program
 * (staged into the private staging directory first; a "#!" script's
 * interpreter is routed like any path, staged and followed if it is a
 * script too, and the script keeps its own name; without register rewrites
 * exec_prog.c runs it),
 * clone (CLONE_UNTRACED is dropped so no child escapes), unshare, umask,
 * the identity and clock calls the policy sends home, and sendmsg (a remote
 * fd cannot travel over a socket). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/auxv.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "policy/exec_internal.h"
#include "rpc/wire.h"

#define MAX_ARGV 65536

int ex_program_at_home(struct exec_call *c, const struct ex_path *p)
{
	struct exec *x = c->x;
	struct stat st;
	int64_t rc = remote_stat(&x->remote, RPC_HANDLE_CWD, p->shadow, 0, &st);
	if (rc == 0 && !S_ISREG(st.st_mode))
		rc = -EACCES;
	if (rc == 0)
		rc = remote_access(&x->remote, RPC_HANDLE_CWD, p->shadow, X_OK, 0);
	return (int)rc;
}

void ex_unstage_program(const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	unlink(path);
	if (slash) {
		*slash = 0;
		rmdir(dir);
	}
}

int ex_stage_program(struct exec_call *c, const struct ex_path *p, char *out, size_t size)
{
	struct exec *x = c->x;
	struct stat st;
	struct remote_data first;
	int64_t h = remote_open(&x->remote, p->shadow, O_RDONLY, 0, 0, &st, &first, RPC_MAX_BUF);
	if (h < 0)
		return (int)h;
	int rc = 0;
	if (S_ISDIR(st.st_mode))
		rc = -EACCES;
	else if (!S_ISREG(st.st_mode))
		rc = -EACCES;
	else
		rc = (int)remote_access(&x->remote, RPC_HANDLE_CWD, p->shadow, X_OK, 0);
	int fd = rc < 0 ? rc : ex_stage_program_file(x, p->guest, out, size);
	if (fd >= 0) {
		rc = ex_fetch(x, h, fd, st.st_size, &first);
		if (!rc && fchmod(fd, 0700) < 0)
			rc = -errno;
		close(fd);
		if (rc)
			ex_unstage_program(out);
		else
			x->stats.staged_files++;
	} else {
		rc = fd;
	}
	remote_data_free(&first);
	remote_close(&x->remote, h, false);
	return rc;
}

int ex_shebang_of(const char *data, size_t n, char *interp, size_t isize, char *arg, size_t asize)
{
	char buf[SHEBANG_MAX + 1];
	if (n > SHEBANG_MAX)
		n = SHEBANG_MAX;
	if (n < 2 || data[0] != '#' || data[1] != '!')
		return 0;
	memcpy(buf, data, n);
	buf[n] = 0;
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	char *s = buf + 2;
	while (*s == ' ' || *s == '\t')
		s++;
	char *end = s + strcspn(s, " \t");
	if (end == s)
		return -ENOEXEC;
	char *rest = *end ? end + 1 : end;
	*end = 0;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	size_t rl = strlen(rest);
	while (rl && (rest[rl - 1] == ' ' || rest[rl - 1] == '\t'))
		rest[--rl] = 0;
	if (strlen(s) >= isize || rl >= asize)
		return -ENAMETOOLONG;
	strcpy(interp, s);
	strcpy(arg, rest);
	return 1;
}

int ex_shebang(const char *path, char *interp, size_t isize, char *arg, size_t asize)
{
	char buf[SHEBANG_MAX];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	return n < 0 ? 0 : ex_shebang_of(buf, (size_t)n, interp, isize, arg, asize);
}

/* Scratch data for the rewritten execve: the program's path, and for a
 * script a new argv (interpreter, its argument, the script's name as the
 * guest gave it, then the guest's argv[1..]). */
struct exec_scratch {
	uint8_t *data;
	size_t len, cap;
	uint32_t *fixup;
	size_t nfixups;
};

static int scratch_put(struct exec_scratch *s, const void *p, size_t n, size_t *at)
{
	size_t need = (s->len + n + 7) & ~(size_t)7;
	if (need > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		while (cap < need)
			cap *= 2;
		uint8_t *grown = realloc(s->data, cap);
		if (!grown)
			return -ENOMEM;
		s->data = grown;
		s->cap = cap;
	}
	*at = s->len;
	memcpy(s->data + s->len, p, n);
	s->len = need;
	return 0;
}

static struct exec_scratch exec_scratch;   /* lives until the call is resumed */

/* Reads the guest's argv array (pointers only). */
static int read_argv(struct exec_call *c, uint64_t argv, uint64_t **out, size_t *count)
{
	size_t n = 0, cap = 64;
	uint64_t *v = malloc(cap * sizeof *v);
	if (!v)
		return -ENOMEM;
	for (;; n++) {
		if (n == cap) {
			if (cap >= MAX_ARGV) {
				free(v);
				return -E2BIG;
			}
			uint64_t *grown = realloc(v, (cap *= 2) * sizeof *v);
			if (!grown) {
				free(v);
				return -ENOMEM;
			}
			v = grown;
		}
		if (!argv) {
			v[n] = 0;
			break;
		}
		if (ex_read_mem(c, argv + n * 8, &v[n], 8) < 0) {
			free(v);
			return -EFAULT;
		}
		if (!v[n])
			break;
	}
	*out = v;
	*count = n;
	return 0;
}

/* The "#!" lines met on the way to a program the kernel can run: the
 * script's first, then its interpreter's if that is a script too... */
struct script_chain {
	int levels;
	char interp[MAX_SCRIPT_DEPTH][SHEBANG_MAX];
	char arg[MAX_SCRIPT_DEPTH][SHEBANG_MAX];
};

/* argv for a script, as the kernel builds it level by level (each level
 * puts its interpreter and argument before the name of the file it runs,
 * in place of argv[0]): [interp N, arg N?, ..., interp 1, arg 1?, script,
 * guest argv[1..], NULL]. */
static int script_argv(struct exec_call *c, struct exec_scratch *s, uint64_t guest_argv,
		       const struct script_chain *ch, const char *script, size_t *argv_at)
{
	uint64_t *gv;
	size_t gn;
	int rc = read_argv(c, guest_argv, &gv, &gn);
	if (rc)
		return rc;
	size_t ours[2 * MAX_SCRIPT_DEPTH + 1], nours = 0;
	for (int k = ch->levels - 1; k >= 0 && !rc; k--) {
		rc = scratch_put(s, ch->interp[k], strlen(ch->interp[k]) + 1, &ours[nours++]);
		if (!rc && ch->arg[k][0])
			rc = scratch_put(s, ch->arg[k], strlen(ch->arg[k]) + 1, &ours[nours++]);
	}
	if (!rc)
		rc = scratch_put(s, script, strlen(script) + 1, &ours[nours++]);
	size_t n = nours + (gn > 1 ? gn - 1 : 0) + 1;
	uint64_t *v = rc ? NULL : calloc(n, sizeof *v);
	if (!rc && !v)
		rc = -ENOMEM;
	if (!rc) {
		size_t k = 0;
		for (size_t i = 0; i < nours; i++)
			v[k++] = ours[i];
		for (size_t i = 1; i < gn; i++)
			v[k++] = gv[i];
		v[k] = 0;
		rc = scratch_put(s, v, n * sizeof *v, argv_at);
		/* Our own strings are offsets to fix up; the guest's are
		 * addresses already. */
		for (size_t i = 0; !rc && i < nours; i++) {
			uint32_t *grown = realloc(s->fixup, (s->nfixups + 1) * sizeof *grown);
			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			s->fixup = grown;
			s->fixup[s->nfixups++] = (uint32_t)(*argv_at + i * 8);
		}
	}
	free(v);
	free(gv);
	return rc;
}

/* execve(path, argv, envp), execveat(dirfd, path, argv, envp, flags) */
void ex_execve(struct exec_call *c)
{
	bool at = c->row->param == EXECVE_AT;
	int path_arg = at ? 1 : 0, argv_arg = at ? 2 : 1;
	int at_flags = at ? (int)c->arg[4] : 0;
	/* A script the helper runs for the one before it: a level deeper. */
	int helped = c->th->script_depth;
	c->th->script_depth = 0;
	/* The launch's and the script helper's names have room to spare. */
	size_t room = helped ? EXEC_SCRIPT_HELPER_ROOM : c->x->launch_room ? PATH_MAX : 0;
	c->x->launch_room = false;
	bool by_name = !(c->x->caps & EXEC_CAN_REWRITE) && (c->x->caps & EXEC_CAN_ADDFD);
	struct ex_path p;
	switch (ex_resolve(c, at ? 0 : -1, path_arg, at_flags & (AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW), &p)) {
	case EX_DONE:
		return;
	case EX_LOCAL:
		if (p.rewrite && by_name) {
			/* Relative to something remote: the kernel would look
			 * for it elsewhere. */
			ex_exec_by_name(c, &p, false, helped, room);
			return;
		}
		ex_run_local(c, &p, NULL);
		/* Without an exec event: if it succeeds, the close-on-exec
		 * fds are gone; the table is checked at the next call. */
		if (c->a->verdict == EXEC_RUN && !(c->x->caps & EXEC_CAN_SEE_EXIT))
			c->t->files->revalidate = true;
		return;
	case EX_REMOTE:
		break;
	}
	ex_route_of(c, &p);
	if (by_name) {
		ex_exec_by_name(c, &p, true, helped, room);
		return;
	}
	if (!(c->x->caps & EXEC_CAN_REWRITE)) {
		/* What the kernel would say of a missing or unrunnable file
		 * comes first (execvp goes on along PATH after ENOENT or
		 * EACCES); only a program that would run is refused. */
		int rc = ex_program_at_home(c, &p);
		if (rc < 0)
			ex_answer(c, rc);
		else
			ex_refuse(c, ENOSYS, "running a program stored at home needs --backend=ptrace");
		return;
	}
	if (p.fd_obj) {
		ex_refuse(c, ENOSYS, "execveat of a remote fd is not supported");
		return;
	}
	struct exec_scratch *s = &exec_scratch;
	s->len = 0;
	s->nfixups = 0;
	char staged[PATH_MAX];
	char script_name[PATH_MAX + 1];
	ssize_t n = c->x->mem->read_str(c->tid, c->arg[path_arg], script_name, sizeof script_name);
	if (n < 0) {
		ex_answer(c, -EFAULT);
		return;
	}
	/* Each interpreter is a path like any other; a remote one is staged,
	 * and may be a script itself. A local one is the kernel's to run. */
	static struct script_chain chain;
	chain.levels = 0;
	int rc = ex_stage_program(c, &p, staged, sizeof staged);
	while (rc == 0) {
		char interp[SHEBANG_MAX], arg[SHEBANG_MAX];
		int sb = ex_shebang(staged, interp, sizeof interp, arg, sizeof arg);
		if (sb <= 0) {
			rc = sb;
			break;
		}
		if (chain.levels == MAX_SCRIPT_DEPTH) {
			rc = -ELOOP;
			break;
		}
		memcpy(chain.interp[chain.levels], interp, sizeof interp);
		memcpy(chain.arg[chain.levels], arg, sizeof arg);
		chain.levels++;
		struct ex_path ip;
		enum ex_resolved how = ex_resolve_str(c, interp, &ip);
		if (how == EX_DONE)
			return;
		if (how == EX_LOCAL) {
			if (strlen(ip.guest) >= sizeof staged)
				rc = -ENAMETOOLONG;
			else
				strcpy(staged, ip.guest);
			break;
		}
		rc = ex_stage_program(c, &ip, staged, sizeof staged);
	}
	if (rc == 0 && chain.levels) {
		size_t argv_at = 0;
		rc = script_argv(c, s, c->arg[argv_arg], &chain, script_name, &argv_at);
		c->a->arg[argv_arg] = argv_at;
		c->a->scratch_args |= (uint8_t)(1u << argv_arg);
	}
	if (rc < 0) {
		ex_answer(c, rc);
		return;
	}
	size_t path_at;
	rc = scratch_put(s, staged, strlen(staged) + 1, &path_at);
	if (rc < 0) {
		ex_answer(c, rc);
		return;
	}
	struct exec_action *a = c->a;
	for (int i = 0; i < SYSCALL_MAX_ARGS; i++)
		if (!(a->scratch_args & (1u << i)))
			a->arg[i] = c->arg[i];
	a->arg[path_arg] = path_at;
	a->scratch_args |= (uint8_t)(1u << path_arg);
	if (at) {
		a->arg[0] = (uint64_t)(int64_t)AT_FDCWD;
		a->arg[4] &= ~(uint64_t)(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
	}
	a->rewrite_args = true;
	a->scratch = s->data;
	a->scratch_len = s->len;
	a->fixup = s->fixup;
	a->nfixups = s->nfixups;
	a->verdict = EXEC_RUN;
}

/* clone(flags, ...): a child made with CLONE_UNTRACED would escape the
 * ptrace tracer (and fail every trapped call); it is made traced instead.
 * (Without ptrace nothing is traced: the flag changes nothing.) */
void ex_clone(struct exec_call *c)
{
	uint64_t flags = c->arg[0];
	if (!(flags & CLONE_UNTRACED) || !(c->x->caps & EXEC_CAN_REWRITE)) {
		ex_run(c);
		return;
	}
	memcpy(c->a->arg, c->arg, sizeof c->a->arg);
	c->a->arg[0] &= ~(uint64_t)CLONE_UNTRACED;
	c->a->rewrite_args = true;
	ex_run(c);
}

void ex_unshare(struct exec_call *c)
{
	if (!(c->arg[0] & (CLONE_FILES | CLONE_FS | CLONE_NEWNS | CLONE_NEWUSER))) {
		ex_run(c);
		return;
	}
	if (!(c->x->caps & EXEC_CAN_SEE_EXIT)) {
		/* Without its result: taken to succeed (it can fail only for
		 * namespaces, which imply CLONE_FS). */
		vft_task_unshare(c->x->vft, c->t, (c->arg[0] & CLONE_FILES) != 0,
				 (c->arg[0] & (CLONE_FS | CLONE_NEWNS | CLONE_NEWUSER)) != 0);
		ex_run(c);
		return;
	}
	ex_run_then(c, PEND_UNSHARE);
	c->p->flags = c->arg[0];
}

void ex_umask(struct exec_call *c)
{
	c->t->fs->umask = (mode_t)c->arg[0] & 0777;
	ex_run(c);
}

/* True when the policy sends this call home. */
static bool sent_home(struct exec_call *c)
{
	if (c->x->call_route[c->nr].method == POLICY_LOCAL) {
		ex_run(c);
		return false;
	}
	c->a->route = ROUTE_REMOTE;
	return true;
}

/* uname(buf): home's whole utsname, or (with only "gethostname" sent
 * home) this machine's with home's node name. */
void ex_uname(struct exec_call *c)
{
	struct policy_route host;
	policy_route_call(c->x->policy, "gethostname", &host);
	bool whole = c->x->call_route[c->nr].method != POLICY_LOCAL;
	if (!whole && host.method == POLICY_LOCAL) {
		ex_run(c);
		return;
	}
	c->a->route = ROUTE_REMOTE;
	struct utsname u;
	int64_t rc;
	if (whole) {
		rc = remote_uname(&c->x->remote, &u);
	} else {
		rc = uname(&u) < 0 ? -errno : 0;
		if (rc == 0)
			rc = remote_gethostname(&c->x->remote, u.nodename, sizeof u.nodename);
	}
	if (rc >= 0 && ex_write_mem(c, c->arg[0], &u, sizeof u) < 0)
		rc = -EFAULT;
	ex_answer(c, rc);
}

/* getuid, geteuid, getgid, getegid, getresuid, getresgid, getgroups */
void ex_ids(struct exec_call *c)
{
	if (!sent_home(c))
		return;
	struct exec *x = c->x;
	gid_t groups[RPC_MAX_GROUPS];
	int ngroups = RPC_MAX_GROUPS;
	if (!x->have_ids || c->row->param == IDS_GROUPS) {
		int64_t rc = remote_ids(&x->remote, &x->uid, &x->euid, &x->gid, &x->egid, groups, &ngroups);
		if (rc < 0) {
			ex_answer(c, rc);
			return;
		}
		x->have_ids = true;
	}
	uint32_t three[3];
	switch (c->row->param) {
	case IDS_UID:
		ex_answer(c, x->uid);
		return;
	case IDS_EUID:
		ex_answer(c, x->euid);
		return;
	case IDS_GID:
		ex_answer(c, x->gid);
		return;
	case IDS_EGID:
		ex_answer(c, x->egid);
		return;
	case IDS_RESUID:
	case IDS_RESGID:
		three[0] = c->row->param == IDS_RESUID ? x->uid : x->gid;
		three[1] = three[2] = c->row->param == IDS_RESUID ? x->euid : x->egid;
		for (int k = 0; k < 3; k++)
			if (ex_write_mem(c, c->arg[k], &three[k], sizeof three[k]) < 0) {
				ex_answer(c, -EFAULT);
				return;
			}
		ex_answer(c, 0);
		return;
	case IDS_GROUPS: {
		int size = (int)c->arg[0];
		if (size == 0) {
			ex_answer(c, ngroups);
			return;
		}
		if (size < ngroups) {
			ex_answer(c, -EINVAL);
			return;
		}
		ex_answer(c, ex_write_mem(c, c->arg[1], groups, (size_t)ngroups * sizeof *groups) < 0 ? -EFAULT
											      : ngroups);
		return;
	}
	}
}

/* clock_gettime(CLOCK_REALTIME...), gettimeofday, time: the home clock.
 * Other clocks (monotonic, cpu time) stay local. */
void ex_clock(struct exec_call *c)
{
	int param = c->row->param;
	if (param == CLOCK_GETTIME && c->arg[0] != CLOCK_REALTIME && c->arg[0] != CLOCK_REALTIME_COARSE) {
		ex_run(c);
		return;
	}
	if (!sent_home(c))
		return;
	struct timespec ts;
	int64_t rc = remote_clock_gettime(&c->x->remote, &ts);
	if (rc < 0) {
		ex_answer(c, rc);
		return;
	}
	switch (param) {
	case CLOCK_GETTIME:
		rc = ex_write_mem(c, c->arg[1], &ts, sizeof ts);
		break;
	case CLOCK_TIMEOFDAY: {
		struct timeval tv = { ts.tv_sec, ts.tv_nsec / 1000 };
		struct timezone tz = { 0, 0 };
		if (c->arg[0])
			rc = ex_write_mem(c, c->arg[0], &tv, sizeof tv);
		if (!rc && c->arg[1])
			rc = ex_write_mem(c, c->arg[1], &tz, sizeof tz);
		break;
	}
	case CLOCK_TIME: {
		time_t t = ts.tv_sec;
		if (c->arg[0] && ex_write_mem(c, c->arg[0], &t, sizeof t) < 0) {
			ex_answer(c, -EFAULT);
			return;
		}
		ex_answer(c, t);
		return;
	}
	}
	ex_answer(c, rc < 0 ? rc : 0);
}

/* True when the message at MSG carries a remote fd in SCM_RIGHTS. */
static bool passes_remote_fd(struct exec_call *c, uint64_t msg_addr)
{
	struct msghdr m;
	if (ex_read_mem(c, msg_addr, &m, sizeof m) < 0 || !m.msg_control || m.msg_controllen < sizeof(struct cmsghdr))
		return false;
	size_t len = m.msg_controllen < 65536 ? m.msg_controllen : 65536;
	char *ctl = malloc(len);
	if (!ctl)
		return false;
	bool found = false;
	if (ex_read_mem(c, (uint64_t)(uintptr_t)m.msg_control, ctl, len) == 0) {
		m.msg_control = ctl;
		m.msg_controllen = len;
		for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h && !found; h = CMSG_NXTHDR(&m, h)) {
			if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS || h->cmsg_len < CMSG_LEN(0))
				continue;
			size_t nfds = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			const int *fds = (const int *)CMSG_DATA(h);
			for (size_t k = 0; k < nfds && !found; k++) {
				int fd;
				memcpy(&fd, fds + k, sizeof fd);
				found = vft_fd_get(c->t, fd, NULL) != NULL;
			}
		}
	}
	free(ctl);
	return found;
}

/* sendmsg(fd, msg, flags), sendmmsg(fd, msgvec, vlen, flags) */
void ex_sendmsg(struct exec_call *c)
{
	if (c->t->files->nremote == 0) {
		ex_run(c);
		return;
	}
	bool many = c->desc->nargs == 4;
	unsigned n = many ? (unsigned)c->arg[2] : 1;
	if (n > 1024)
		n = 1024;
	for (unsigned k = 0; k < n; k++) {
		/* struct mmsghdr is a msghdr and an unsigned int, padded. */
		uint64_t at = c->arg[1] + (many ? k * ((sizeof(struct msghdr) + sizeof(unsigned) + 7) & ~7u) : 0);
		if (passes_remote_fd(c, at)) {
			ex_refuse(c, EOPNOTSUPP, "a remote fd cannot be passed over a socket");
			return;
		}
	}
	ex_run(c);
}

/* ---- the vDSO ---- */

/* Where a new program's stack starts (argc), from /proc/TID/stat's
 * startstack field (the 28th), so no register needs reading. */
static uint64_t start_stack(pid_t tid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	/* The command name (field 2) may hold blanks: count from its ')'. */
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	for (int field = 2; field < 28 && p; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

int ex_hide_vdso(struct exec *x, pid_t tid)
{
	uint64_t at = start_stack(tid), v;
	if (!at || x->mem->read(tid, at, &v, 8) != 8)
		return -EFAULT;
	at += 8 * (v + 2);   /* argc, argv[], NULL */
	for (int k = 0; k < 1 << 16; k++, at += 8) {   /* envp[], NULL */
		if (x->mem->read(tid, at, &v, 8) != 8)
			return -EFAULT;
		if (!v)
			break;
	}
	at += 8;
	for (int k = 0; k < 256; k++, at += 16) {
		uint64_t pair[2];
		if (x->mem->read(tid, at, pair, sizeof pair) != sizeof pair)
			return -EFAULT;
		if (pair[0] == AT_NULL)
			return -ENOENT;
		if (pair[0] == AT_SYSINFO_EHDR) {
			uint64_t ignore = AT_IGNORE;
			return x->mem->write(tid, at, &ignore, 8) == 8 ? 0 : -EFAULT;
		}
	}
	return -ENOENT;
}
