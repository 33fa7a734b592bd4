/* policy/vft.c: implements policy/vft.h. Tables are dense arrays indexed
 * by fd (fd numbers are small and the lowest free one is always taken);
 * tasks are found by tid in a small hash. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/vft.h"

#define TASK_BUCKETS 256

struct vft {
	vft_release_fn *release;
	void *ctx;
	struct vft_task *buckets[TASK_BUCKETS];
	int ntasks;
	char *initial_cwd;
	bool initial_cwd_remote;
	mode_t initial_umask;
	int low_mark;            /* entries below it are counted (vft_low_count) */
	long nlow;
};

static long objects_alive;

/* ---- objects ---- */

struct vft_object *vft_object_new(void)
{
	struct vft_object *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	o->refs = 1;
	o->handle = -1;
	o->placeholder = -1;
	o->desc = -1;
	objects_alive++;
	return o;
}

void vft_object_ref(struct vft_object *o)
{
	o->refs++;
}

void vft_object_unref(struct vft *v, struct vft_object *o)
{
	if (!o || --o->refs > 0)
		return;
	if (v && v->release)
		v->release(v->ctx, o);
	free(o->guest_path);
	free(o->shadow_path);
	free(o->stage_path);
	free(o);
	objects_alive--;
}

long vft_object_count(void)
{
	return objects_alive;
}

void vft_set_low_mark(struct vft *v, int mark)
{
	v->low_mark = mark;
}

long vft_low_count(const struct vft *v)
{
	return v->nlow;
}

/* ---- tables ---- */

static struct vft_table *table_new(void)
{
	struct vft_table *t = calloc(1, sizeof *t);
	if (t)
		t->users = 1;
	return t;
}

/* Counts (DELTA +1/-1) an entry FD of T becoming or ceasing to be remote. */
static void count_low(struct vft *v, struct vft_table *t, int fd, int delta)
{
	if (v && fd < v->low_mark) {
		t->nlow += delta;
		v->nlow += delta;
	}
}

static struct vft_table *table_copy(struct vft *v, const struct vft_table *from)
{
	struct vft_table *t = table_new();
	if (!t)
		return NULL;
	if (from->nfds) {
		t->fd = malloc((size_t)from->nfds * sizeof *t->fd);
		if (!t->fd) {
			free(t);
			return NULL;
		}
		memcpy(t->fd, from->fd, (size_t)from->nfds * sizeof *t->fd);
		t->nfds = from->nfds;
	}
	t->nremote = from->nremote;
	t->revalidate = from->revalidate;
	t->nlow = from->nlow;
	v->nlow += from->nlow;
	for (int fd = 0; fd < t->nfds; fd++)
		if (t->fd[fd].obj)
			vft_object_ref(t->fd[fd].obj);
	return t;
}

static void table_put(struct vft *v, struct vft_table *t)
{
	if (!t || --t->users > 0)
		return;
	v->nlow -= t->nlow;
	for (int fd = 0; fd < t->nfds; fd++)
		if (t->fd[fd].obj) {
			struct vft_object *o = t->fd[fd].obj;
			t->fd[fd].obj = NULL;
			vft_object_unref(v, o);
		}
	free(t->fd);
	free(t);
}

static int table_grow(struct vft_table *t, int fd)
{
	if (fd < t->nfds)
		return 0;
	int n = t->nfds ? t->nfds : 16;
	while (n <= fd)
		n *= 2;
	struct vft_entry *grown = realloc(t->fd, (size_t)n * sizeof *grown);
	if (!grown)
		return -ENOMEM;
	memset(grown + t->nfds, 0, (size_t)(n - t->nfds) * sizeof *grown);
	t->fd = grown;
	t->nfds = n;
	return 0;
}

/* Clears FD; the object it held is unreferenced after the table is
 * consistent again (the release callback may look at other tables). */
static void table_clear(struct vft *v, struct vft_table *t, int fd)
{
	if (fd < 0 || fd >= t->nfds || !t->fd[fd].obj)
		return;
	struct vft_object *o = t->fd[fd].obj;
	t->fd[fd].obj = NULL;
	t->fd[fd].cloexec = false;
	t->nremote--;
	count_low(v, t, fd, -1);
	vft_object_unref(v, o);
}

/* ---- fs ---- */

static struct vft_fs *fs_new(const char *cwd, bool remote, mode_t umask)
{
	struct vft_fs *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->cwd = strdup(cwd);
	if (!f->cwd) {
		free(f);
		return NULL;
	}
	f->users = 1;
	f->cwd_remote = remote;
	f->umask = umask;
	return f;
}

static void fs_put(struct vft_fs *f)
{
	if (!f || --f->users > 0)
		return;
	free(f->cwd);
	free(f);
}

int vft_set_cwd(struct vft_task *t, const char *cwd, bool remote)
{
	char *copy = strdup(cwd);
	if (!copy)
		return -ENOMEM;
	free(t->fs->cwd);
	t->fs->cwd = copy;
	t->fs->cwd_remote = remote;
	return 0;
}

/* ---- the VFT and its tasks ---- */

struct vft *vft_new(vft_release_fn *release, void *ctx, const char *cwd, bool cwd_remote, mode_t umask)
{
	struct vft *v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	v->initial_cwd = strdup(cwd);
	if (!v->initial_cwd) {
		free(v);
		return NULL;
	}
	v->release = release;
	v->ctx = ctx;
	v->initial_cwd_remote = cwd_remote;
	v->initial_umask = umask;
	return v;
}

static void task_drop(struct vft *v, struct vft_task *t)
{
	table_put(v, t->files);
	fs_put(t->fs);
	free(t);
	v->ntasks--;
}

void vft_free(struct vft *v)
{
	if (!v)
		return;
	for (int i = 0; i < TASK_BUCKETS; i++)
		while (v->buckets[i]) {
			struct vft_task *t = v->buckets[i];
			v->buckets[i] = t->next;
			task_drop(v, t);
		}
	free(v->initial_cwd);
	free(v);
}

static struct vft_task **task_slot(const struct vft *v, pid_t tid)
{
	struct vft_task *const *p = &v->buckets[(unsigned)tid % TASK_BUCKETS];
	while (*p && (*p)->tid != tid)
		p = &(*p)->next;
	return (struct vft_task **)p;
}

struct vft_task *vft_task_find(const struct vft *v, pid_t tid)
{
	return *task_slot(v, tid);
}

int vft_task_count(const struct vft *v)
{
	return v->ntasks;
}

void vft_task_each(struct vft *v, void (*fn)(void *ctx, struct vft_task *t), void *ctx)
{
	for (int i = 0; i < TASK_BUCKETS; i++)
		for (struct vft_task *t = v->buckets[i]; t; t = t->next)
			fn(ctx, t);
}

static void task_link(struct vft *v, struct vft_task *t)
{
	struct vft_task **bucket = &v->buckets[(unsigned)t->tid % TASK_BUCKETS];
	t->next = *bucket;
	*bucket = t;
	v->ntasks++;
}

struct vft_task *vft_task_new(struct vft *v, pid_t tid, pid_t parent, bool share_files, bool share_fs)
{
	if (vft_task_find(v, tid))
		vft_task_gone(v, tid);   /* a recycled id whose end we missed */
	const struct vft_task *p = parent ? vft_task_find(v, parent) : NULL;
	struct vft_task *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->tid = tid;
	if (p && share_files) {
		t->files = p->files;
		t->files->users++;
	} else {
		t->files = p ? table_copy(v, p->files) : table_new();
	}
	if (p && share_fs) {
		t->fs = p->fs;
		t->fs->users++;
	} else if (p) {
		t->fs = fs_new(p->fs->cwd, p->fs->cwd_remote, p->fs->umask);
	} else {
		t->fs = fs_new(v->initial_cwd, v->initial_cwd_remote, v->initial_umask);
	}
	if (!t->files || !t->fs) {
		table_put(v, t->files);
		fs_put(t->fs);
		free(t);
		return NULL;
	}
	task_link(v, t);
	return t;
}

void vft_task_gone(struct vft *v, pid_t tid)
{
	struct vft_task **slot = task_slot(v, tid);
	struct vft_task *t = *slot;
	if (!t)
		return;
	*slot = t->next;
	task_drop(v, t);
}

int vft_task_unshare(struct vft *v, struct vft_task *t, bool files, bool fs)
{
	if (files && t->files->users > 1) {
		struct vft_table *own = table_copy(v, t->files);
		if (!own)
			return -ENOMEM;
		table_put(v, t->files);
		t->files = own;
	}
	if (fs && t->fs->users > 1) {
		struct vft_fs *own = fs_new(t->fs->cwd, t->fs->cwd_remote, t->fs->umask);
		if (!own)
			return -ENOMEM;
		fs_put(t->fs);
		t->fs = own;
	}
	return 0;
}

void vft_task_exec(struct vft *v, pid_t tid, pid_t former_tid)
{
	if (former_tid != tid) {
		/* The exec'ing thread takes the leader's id; the leader is gone. */
		struct vft_task **slot = task_slot(v, former_tid);
		struct vft_task *former = *slot;
		if (former) {
			*slot = former->next;
			v->ntasks--;
			vft_task_gone(v, tid);
			former->tid = tid;
			task_link(v, former);
		}
	}
	struct vft_task *t = vft_task_find(v, tid);
	if (!t)
		return;
	/* On failure the shared table stays: dropping its close-on-exec
	 * entries would be wrong for the other users, keeping them is only a
	 * leak until they close. */
	if (vft_task_unshare(v, t, true, false) < 0)
		return;
	struct vft_table *tab = t->files;
	for (int fd = 0; fd < tab->nfds; fd++)
		if (tab->fd[fd].obj && tab->fd[fd].cloexec)
			table_clear(v, tab, fd);
}

/* ---- fds ---- */

struct vft_object *vft_fd_get(const struct vft_task *t, int fd, bool *cloexec)
{
	const struct vft_table *tab = t->files;
	if (fd < 0 || fd >= tab->nfds || !tab->fd[fd].obj)
		return NULL;
	if (cloexec)
		*cloexec = tab->fd[fd].cloexec;
	return tab->fd[fd].obj;
}

int vft_fd_set(struct vft *v, struct vft_task *t, int fd, struct vft_object *o, bool cloexec)
{
	struct vft_table *tab = t->files;
	if (fd < 0)
		return -EBADF;
	if (!o) {
		table_clear(v, tab, fd);
		return 0;
	}
	int rc = table_grow(tab, fd);
	if (rc)
		return rc;
	vft_object_ref(o);
	struct vft_object *old = tab->fd[fd].obj;
	tab->fd[fd].obj = o;
	tab->fd[fd].cloexec = cloexec;
	if (old) {
		vft_object_unref(v, old);
	} else {
		tab->nremote++;
		count_low(v, tab, fd, +1);
	}
	return 0;
}

void vft_fd_close(struct vft *v, struct vft_task *t, int fd)
{
	table_clear(v, t->files, fd);
}

int vft_fd_dup(struct vft *v, struct vft_task *t, int oldfd, int newfd, bool cloexec)
{
	if (oldfd == newfd)
		return 0;
	return vft_fd_set(v, t, newfd, vft_fd_get(t, oldfd, NULL), cloexec);
}

void vft_fd_set_cloexec(struct vft_task *t, int fd, bool cloexec)
{
	struct vft_table *tab = t->files;
	if (fd >= 0 && fd < tab->nfds && tab->fd[fd].obj)
		tab->fd[fd].cloexec = cloexec;
}

int vft_fd_close_range(struct vft *v, struct vft_task *t, unsigned first, unsigned last, bool cloexec_only,
		       bool unshare)
{
	if (unshare) {
		int rc = vft_task_unshare(v, t, true, false);
		if (rc)
			return rc;
	}
	struct vft_table *tab = t->files;
	for (unsigned fd = first; fd <= last && fd < (unsigned)tab->nfds; fd++) {
		if (!tab->fd[fd].obj)
			continue;
		if (cloexec_only)
			tab->fd[fd].cloexec = true;
		else
			table_clear(v, tab, (int)fd);
	}
	return 0;
}

void vft_fd_each(const struct vft_task *t, void (*fn)(void *ctx, int fd, struct vft_object *o, bool cloexec),
		 void *ctx)
{
	const struct vft_table *tab = t->files;
	for (int fd = 0; fd < tab->nfds; fd++)
		if (tab->fd[fd].obj)
			fn(ctx, fd, tab->fd[fd].obj, tab->fd[fd].cloexec);
}
