/* policy/exec_path.c: a path argument, from guest memory to a route.
 *
 * The path is joined to its base (the virtual cwd, a remote dirfd's guest
 * path, or a local dirfd's path from /proc), normalized lexically, stripped
 * of the magic links that name remote things (/proc/self/fd/N of a remote
 * fd, /proc/self/cwd under a remote cwd) and routed by the policy. A path
 * that routes local but was relative to something remote is given to the
 * kernel absolute, since the kernel's cwd (or the placeholder dirfd) is not
 * where the guest thinks it is. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/exec_internal.h"

void ex_route_of(struct exec_call *c, const struct ex_path *p)
{
	c->a->route = p->route.method == POLICY_STAGE ? ROUTE_STAGE : ROUTE_REMOTE;
}

bool ex_readonly(struct exec_call *c, const struct ex_path *p)
{
	if (!p->route.readonly)
		return false;
	ex_route_of(c, p);
	ex_answer(c, -EROFS);
	return true;
}

static bool all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* "/proc/self/", "/proc/thread-self/", "/proc/PID/", "/proc/PID/task/TID/":
 * the task they name (if traced) and the length of the prefix. */
static struct vft_task *proc_task(struct exec_call *c, const char *path, size_t *len)
{
	if (strncmp(path, "/proc/", 6) != 0)
		return NULL;
	const char *p = path + 6;
	const char *slash = strchr(p, '/');
	if (!slash)
		return NULL;
	size_t n = (size_t)(slash - p);
	struct vft_task *t = NULL;
	if ((n == 4 && strncmp(p, "self", 4) == 0) || (n == 11 && strncmp(p, "thread-self", 11) == 0))
		t = c->t;
	else if (all_digits(p, n))
		t = vft_task_find(c->x->vft, (pid_t)atoi(p));
	if (!t)
		return NULL;
	p = slash + 1;
	if (strncmp(p, "task/", 5) == 0) {
		const char *tslash = strchr(p + 5, '/');
		if (!tslash || !all_digits(p + 5, (size_t)(tslash - p - 5)))
			return NULL;
		t = vft_task_find(c->x->vft, (pid_t)atoi(p + 5));
		if (!t)
			return NULL;
		p = tslash + 1;
	}
	*len = (size_t)(p - path);
	return t;
}

/* If GUEST (normalized) goes through a magic link that names something
 * remote: what the link names, with *REST what follows the link in GUEST. */
static const char *magic_target(struct exec_call *c, const char *guest, const char **rest_out)
{
	static const struct { const char *name; int fd; } dev_links[] = {
		{ "/dev/stdin", 0 }, { "/dev/stdout", 1 }, { "/dev/stderr", 2 },
	};
	struct vft_task *t = NULL;
	const char *rest = NULL;
	int fd = -1;
	size_t pre;
	for (size_t i = 0; i < sizeof dev_links / sizeof dev_links[0]; i++)
		if (strcmp(guest, dev_links[i].name) == 0) {
			t = c->t;
			fd = dev_links[i].fd;
			rest = "";
		}
	if (!t && strncmp(guest, "/dev/fd/", 8) == 0) {
		t = c->t;
		rest = guest + 8;
	} else if (!t && (t = proc_task(c, guest, &pre))) {
		rest = guest + pre;
		if (strncmp(rest, "cwd", 3) == 0 && (rest[3] == 0 || rest[3] == '/')) {
			if (!t->fs->cwd_remote)
				return NULL;
			*rest_out = rest + 3;
			return t->fs->cwd;
		}
		if (strncmp(rest, "fd/", 3) != 0)
			return NULL;
		rest += 3;
	}
	if (!t)
		return NULL;
	if (fd < 0) {
		size_t n = strcspn(rest, "/");
		if (!all_digits(rest, n))
			return NULL;
		fd = atoi(rest);
		rest += n;
	}
	struct vft_object *o = vft_fd_get(t, fd, NULL);
	if (!o)
		return NULL;
	*rest_out = rest;
	return o->guest_path;
}

const char *ex_magic_link(struct exec_call *c, const char *guest)
{
	const char *rest;
	const char *target = magic_target(c, guest, &rest);
	return target && !*rest ? target : NULL;
}

/* Rewrites GUEST to what a magic link in it names. NOFOLLOW_LAST: a link
 * that is the last component is not followed (readlink, lstat). */
static int substitute_magic(struct exec_call *c, char *guest, size_t size, bool nofollow_last)
{
	const char *rest;
	const char *target = magic_target(c, guest, &rest);
	if (!target || (nofollow_last && !*rest))
		return 0;
	char out[PATH_MAX + 2];
	if ((size_t)snprintf(out, sizeof out, "%s%s", target, rest) >= sizeof out || strlen(out) >= size)
		return -ENAMETOOLONG;
	return policy_normalize(out, guest, size);
}

/* The path of local fd FD of the calling thread, if it is a path. */
static bool local_fd_path(struct exec_call *c, int fd, char *out, size_t size)
{
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/%d/fd/%d", (int)c->tid, fd);
	ssize_t n = readlink(proc, out, size - 1);
	if (n <= 0 || out[0] != '/')
		return false;
	out[n] = 0;
	/* A deleted directory still resolves relative names in the kernel;
	 * its path does not. */
	return !(n > 10 && strcmp(out + n - 10, " (deleted)") == 0);
}

static enum ex_resolved done(struct exec_call *c, int64_t err)
{
	ex_answer(c, err);
	return EX_DONE;
}

static enum ex_resolved route(struct exec_call *c, struct ex_path *p, bool base_remote, bool relative)
{
	int rc = policy_route_path(c->x->policy, p->guest, &p->route, p->shadow, sizeof p->shadow - 1);
	if (rc < 0)
		return done(c, rc);
	if (p->route.log)
		c->a->log = true;
	switch (p->route.method) {
	case POLICY_LOCAL:
		p->rewrite = relative && base_remote;
		return EX_LOCAL;
	case POLICY_DENY:
		c->a->route = ROUTE_DENY;
		return done(c, -p->route.deny_errno);
	case POLICY_REMOTE:
	case POLICY_STAGE:
		break;
	}
	if (p->trailing_slash && strcmp(p->shadow, "/") != 0)
		strcat(p->shadow, "/");
	ex_create_path_seen(c, p);
	return EX_REMOTE;
}

static enum ex_resolved resolve_at(struct exec_call *c, int dirfd_arg, const char *raw, int at_flags,
				   struct ex_path *p)
{
	int dirfd = dirfd_arg >= 0 ? (int)c->arg[dirfd_arg] : AT_FDCWD;
	bool relative = raw[0] != '/';
	bool base_remote = false;
	char base[PATH_MAX + 2];
	size_t rawlen = strlen(raw);
	p->trailing_slash = rawlen > 1 && raw[rawlen - 1] == '/';
	if (relative) {
		if (dirfd == AT_FDCWD) {
			snprintf(base, sizeof base, "%s", c->t->fs->cwd);
			base_remote = c->t->fs->cwd_remote;
		} else {
			struct vft_object *o = vft_fd_get(c->t, dirfd, NULL);
			if (o) {
				if (rawlen == 0 && (at_flags & AT_EMPTY_PATH)) {
					/* The fd itself. */
					p->fd_obj = o;
					snprintf(p->guest, sizeof p->guest, "%s", o->guest_path);
					int rc = policy_route_path(c->x->policy, p->guest, &p->route, p->shadow,
								   sizeof p->shadow - 1);
					if (rc < 0)
						return done(c, rc);
					p->route.method = o->method == VFT_STAGE ? POLICY_STAGE : POLICY_REMOTE;
					snprintf(p->shadow, sizeof p->shadow, "%s", o->shadow_path ? o->shadow_path : "");
					return EX_REMOTE;
				}
				if (!o->is_dir)
					return done(c, -ENOTDIR);
				snprintf(base, sizeof base, "%s", o->guest_path);
				base_remote = true;
			} else if (rawlen == 0 && (at_flags & AT_EMPTY_PATH)) {
				return EX_LOCAL;   /* a local fd itself */
			} else if (!local_fd_path(c, dirfd, base, sizeof base)) {
				return EX_LOCAL;   /* not a directory with a path: the kernel says what */
			}
		}
		if (rawlen == 0) {
			if (!(at_flags & AT_EMPTY_PATH))
				return base_remote ? done(c, -ENOENT) : EX_LOCAL;
			relative = false;   /* the base itself, no rewrite needed */
		}
	}
	char joined[2 * PATH_MAX + 4];
	if (!relative && rawlen)
		snprintf(joined, sizeof joined, "%s", raw);
	else if (rawlen == 0)
		snprintf(joined, sizeof joined, "%s", base);
	else
		snprintf(joined, sizeof joined, "%s/%s", base, raw);
	int rc = policy_normalize(joined, p->guest, sizeof p->guest - 1);
	if (rc < 0)
		return base_remote || !relative ? done(c, rc) : EX_LOCAL;
	rc = substitute_magic(c, p->guest, sizeof p->guest - 1, (at_flags & AT_SYMLINK_NOFOLLOW) != 0);
	if (rc < 0)
		return done(c, rc);
	return route(c, p, base_remote, relative);
}

static void path_init(struct ex_path *p, int dirfd_arg, int path_arg)
{
	p->guest[0] = p->shadow[0] = 0;
	p->fd_obj = NULL;
	p->rewrite = false;
	p->trailing_slash = false;
	p->path_arg = path_arg;
	p->dirfd_arg = dirfd_arg;
	memset(&p->route, 0, sizeof p->route);
}

enum ex_resolved ex_resolve(struct exec_call *c, int dirfd_arg, int path_arg, int at_flags, struct ex_path *p)
{
	path_init(p, dirfd_arg, path_arg);
	char raw[PATH_MAX + 1];
	ssize_t n = c->x->mem->read_str(c->tid, c->arg[path_arg], raw, sizeof raw);
	if (n < 0)
		return EX_LOCAL;   /* the kernel cannot read it either: EFAULT */
	if ((size_t)n >= sizeof raw)
		return done(c, -ENAMETOOLONG);
	return resolve_at(c, dirfd_arg, raw, at_flags, p);
}

enum ex_resolved ex_resolve_str(struct exec_call *c, const char *path, struct ex_path *p)
{
	path_init(p, -1, -1);
	if (strlen(path) > PATH_MAX)
		return done(c, -ENAMETOOLONG);
	return resolve_at(c, -1, path, 0, p);
}

/* Appends P's absolute path to the scratch data; returns its offset. */
static size_t scratch_path(struct exec *x, size_t *len, const struct ex_path *p)
{
	size_t at = *len;
	int n = snprintf(x->scratch + at, sizeof x->scratch - at, "%s%s", p->guest,
			 p->trailing_slash && strcmp(p->guest, "/") != 0 ? "/" : "");
	*len += (size_t)n + 1;
	return at;
}

void ex_run_local(struct exec_call *c, const struct ex_path *p1, const struct ex_path *p2)
{
	/* A call on a local path may tell someone else (a flag file, a program
	 * run) that a file written and closed is ready: it is at home first. */
	if (c->x->closing || c->x->pushing)
		ex_settle_closes(c->x);
	bool r1 = p1 && p1->rewrite && p1->path_arg >= 0;
	bool r2 = p2 && p2->rewrite && p2->path_arg >= 0;
	if (!r1 && !r2) {
		ex_run(c);
		return;
	}
	if (!(c->x->caps & EXEC_CAN_REWRITE)) {
		if (c->x->caps & EXEC_CAN_ADDFD)
			ex_run_in_agent(c, r1 ? p1 : NULL, r2 ? p2 : NULL);
		else
			ex_refuse(c, ENOSYS, "a local path relative to a remote directory needs --backend=ptrace");
		return;
	}
	struct exec_action *a = c->a;
	memcpy(a->arg, c->arg, sizeof a->arg);
	a->rewrite_args = true;
	size_t len = 0;
	const struct ex_path *ps[2] = { r1 ? p1 : NULL, r2 ? p2 : NULL };
	for (int k = 0; k < 2; k++) {
		if (!ps[k])
			continue;
		a->arg[ps[k]->path_arg] = scratch_path(c->x, &len, ps[k]);
		a->scratch_args |= (uint8_t)(1u << ps[k]->path_arg);
		if (ps[k]->dirfd_arg >= 0)
			a->arg[ps[k]->dirfd_arg] = (uint64_t)(int64_t)AT_FDCWD;
	}
	a->scratch = c->x->scratch;
	a->scratch_len = len;
	a->verdict = EXEC_RUN;
}

int ex_guest_of_shadow(struct exec *x, const char *guest, const char *shadow, const char *canon, char *out,
		       size_t size)
{
	size_t gl = strlen(guest), sl = strlen(shadow);
	while (sl > 1 && shadow[sl - 1] == '/')
		sl--;
	/* GUEST = GP + R and SHADOW = SP + R: the rule replaced GP by SP. */
	while (gl && sl && guest[gl - 1] == shadow[sl - 1]) {
		gl--;
		sl--;
	}
	if (strncmp(canon, shadow, sl) != 0)
		return -EXDEV;
	char cand[2 * PATH_MAX + 2];
	snprintf(cand, sizeof cand, "%.*s%s", (int)gl, guest, canon + sl);
	char norm[PATH_MAX + 2], back[PATH_MAX + 2];
	struct policy_route r;
	if (policy_normalize(cand[0] ? cand : "/", norm, sizeof norm) < 0 ||
	    policy_route_path(x->policy, norm, &r, back, sizeof back) < 0 ||
	    (r.method != POLICY_REMOTE && r.method != POLICY_STAGE) || strcmp(back, canon) != 0 ||
	    strlen(norm) >= size)
		return -EXDEV;
	strcpy(out, norm);
	return 0;
}
