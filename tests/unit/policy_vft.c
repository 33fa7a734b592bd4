/* tests/unit/policy_vft.c: the virtual file table on its own: fork copies
 * the fd table and CLONE_FILES shares it, CLONE_FS shares the cwd, execve
 * unshares and drops close-on-exec entries (also when a non-leader thread
 * execs), dup onto 0..2 replaces what was there, close_range closes or marks
 * (and unshares), and an object is released exactly once, when its last
 * reference goes, whichever table held it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/vft.h"
#include "tests/unit/check.h"

#define MAX_RELEASED 64

struct released {
	int n;
	struct vft_object *objs[MAX_RELEASED];
	int64_t handles[MAX_RELEASED];
};

static void on_release(void *ctx, struct vft_object *o)
{
	struct released *r = ctx;
	if (r->n < MAX_RELEASED) {
		r->objs[r->n] = o;
		r->handles[r->n] = o->handle;
	}
	r->n++;
}

static int released_handle(const struct released *r, int64_t handle)
{
	int times = 0;
	for (int i = 0; i < r->n && i < MAX_RELEASED; i++)
		times += r->handles[i] == handle;
	return times;
}

/* An object with HANDLE put at FD of T (the table holds the only ref). */
static struct vft_object *put(struct vft *v, struct vft_task *t, int fd, int64_t handle, bool cloexec)
{
	struct vft_object *o = vft_object_new();
	o->handle = handle;
	vft_fd_set(v, t, fd, o, cloexec);
	vft_object_unref(v, o);
	return o;
}

static void test_fork_copies(void)
{
	struct released r = { 0 };
	struct vft *v = vft_new(on_release, &r, "/home/ann", true, 022);
	struct vft_task *parent = vft_task_new(v, 100, 0, false, false);
	CHECK(parent && strcmp(parent->fs->cwd, "/home/ann") == 0 && parent->fs->cwd_remote && parent->fs->umask == 022,
	      "a task with no parent starts with the initial cwd and umask");
	struct vft_object *o = put(v, parent, 3, 7, false);
	CHECK_EQ_INT(o->refs, 1, "one fd, one reference");
	struct vft_task *child = vft_task_new(v, 101, 100, false, false);
	CHECK(child && child->files != parent->files && child->fs != parent->fs, "fork: own table, own fs state");
	CHECK(vft_fd_get(child, 3, NULL) == o, "fork: the child's fd 3 is the same object");
	CHECK_EQ_INT(o->refs, 2, "fork: the object has a reference from each table");
	vft_fd_close(v, child, 3);
	CHECK(vft_fd_get(parent, 3, NULL) == o && r.n == 0, "a close in the child leaves the parent's fd alone");
	vft_set_cwd(child, "/tmp", false);
	CHECK(strcmp(parent->fs->cwd, "/home/ann") == 0, "a chdir in the forked child does not move the parent");
	vft_task_gone(v, 101);
	vft_fd_close(v, parent, 3);
	CHECK_EQ_INT(r.n, 1, "the last close releases the object");
	CHECK_EQ_INT(vft_object_count(), 0, "no object is left");
	vft_free(v);
}

static void test_clone_files_shares(void)
{
	struct released r = { 0 };
	struct vft *v = vft_new(on_release, &r, "/", false, 0);
	struct vft_task *a = vft_task_new(v, 200, 0, false, false);
	struct vft_task *b = vft_task_new(v, 201, 200, true, false);
	CHECK(b && b->files == a->files && b->files->users == 2, "CLONE_FILES: one table, two users");
	struct vft_object *o = put(v, a, 4, 11, false);
	CHECK(vft_fd_get(b, 4, NULL) == o, "an fd opened by one is seen by the other");
	CHECK_EQ_INT(o->refs, 1, "a shared table holds one reference, not one per task");
	vft_fd_close(v, b, 4);
	CHECK(vft_fd_get(a, 4, NULL) == NULL && r.n == 1, "a close by the other closes it for both, and releases");
	struct vft_task *c = vft_task_new(v, 202, 200, true, true);
	vft_set_cwd(c, "/home/ann/src", true);
	CHECK(strcmp(a->fs->cwd, "/home/ann/src") == 0 && a->fs->cwd_remote, "CLONE_FS: a chdir is seen by both");
	c->fs->umask = 077;
	CHECK_EQ_INT(a->fs->umask, 077, "CLONE_FS: so is a umask");
	put(v, a, 5, 12, false);
	vft_task_gone(v, 200);
	vft_task_gone(v, 201);
	CHECK_EQ_INT(r.n, 1, "the table lives while one user is left");
	vft_task_gone(v, 202);
	CHECK_EQ_INT(r.n, 2, "the last user's end releases what the table held");
	CHECK_EQ_INT(vft_task_count(v), 0, "no task is left");
	vft_free(v);
}

static void test_exec(void)
{
	struct released r = { 0 };
	struct vft *v = vft_new(on_release, &r, "/", false, 0);
	struct vft_task *a = vft_task_new(v, 300, 0, false, false);
	put(v, a, 3, 21, true);
	struct vft_object *keep = put(v, a, 4, 22, false);
	struct vft_task *sibling = vft_task_new(v, 301, 300, true, false);  /* CLONE_FILES, not a thread */
	vft_task_exec(v, 300, 300);
	a = vft_task_find(v, 300);
	CHECK(a->files != sibling->files, "execve unshares a shared table");
	CHECK(vft_fd_get(a, 3, NULL) == NULL, "execve drops the close-on-exec fd");
	CHECK(vft_fd_get(a, 4, NULL) == keep, "execve keeps the others");
	CHECK(vft_fd_get(sibling, 3, NULL) != NULL, "the other user of the old table still has its close-on-exec fd");
	CHECK_EQ_INT(r.n, 0, "nothing is released while the sibling holds both");
	vft_task_gone(v, 301);
	CHECK(released_handle(&r, 21) == 1 && r.n == 1, "the sibling's end releases the dropped fd's object");

	/* A non-leader thread execs: the task moves to the leader's id. */
	struct vft_task *thread = vft_task_new(v, 302, 300, true, true);
	put(v, thread, 5, 23, true);
	vft_task_exec(v, 300, 302);
	CHECK(vft_task_find(v, 302) == NULL && vft_task_find(v, 300) == thread,
	      "a thread's execve moves its task to the leader's id");
	CHECK(vft_fd_get(thread, 5, NULL) == NULL && vft_fd_get(thread, 4, NULL) == keep,
	      "and drops the close-on-exec fd of the table it shared with the leader");
	CHECK_EQ_INT(vft_task_count(v), 1, "one task is left");
	vft_free(v);
	CHECK_EQ_INT(vft_object_count(), 0, "freeing the VFT releases everything");
}

static void test_dup_and_close(void)
{
	struct released r = { 0 };
	struct vft *v = vft_new(on_release, &r, "/", false, 0);
	struct vft_task *t = vft_task_new(v, 400, 0, false, false);
	struct vft_object *in = put(v, t, 3, 31, false);
	struct vft_object *out = put(v, t, 4, 32, false);
	vft_fd_dup(v, t, 3, 0, false);   /* sh: 0< remote */
	vft_fd_dup(v, t, 4, 1, false);   /* 1> remote */
	vft_fd_dup(v, t, 1, 2, false);   /* 2>&1 */
	CHECK(vft_fd_get(t, 0, NULL) == in && vft_fd_get(t, 1, NULL) == out && vft_fd_get(t, 2, NULL) == out,
	      "dup onto 0, 1 and 2 points them at the objects");
	CHECK(in->refs == 2 && out->refs == 3, "each dup is a reference (in %d, out %d)", in->refs, out->refs);
	vft_fd_close(v, t, 3);
	vft_fd_close(v, t, 4);
	CHECK_EQ_INT(r.n, 0, "closing the originals releases nothing while 0..2 refer to them");
	vft_fd_dup(v, t, 9, 2, false);   /* 2> a local fd */
	CHECK(vft_fd_get(t, 2, NULL) == NULL && out->refs == 1, "dup of a local fd onto a remote one makes it local");
	vft_fd_dup(v, t, 0, 1, true);    /* dup3(0, 1, O_CLOEXEC) */
	bool cloexec = false;
	CHECK(vft_fd_get(t, 1, &cloexec) == in && cloexec, "dup3 with O_CLOEXEC marks the new fd");
	CHECK(released_handle(&r, 32) == 1, "the object replaced by the last dup is released");
	vft_fd_dup(v, t, 0, 0, false);
	CHECK(in->refs == 2, "a dup onto itself changes nothing");

	/* close_range */
	put(v, t, 10, 40, false);
	put(v, t, 11, 41, false);
	put(v, t, 12, 42, false);
	vft_fd_close_range(v, t, 11, ~0u, true, false);
	CHECK(vft_fd_get(t, 11, &cloexec) && cloexec && vft_fd_get(t, 10, &cloexec) && !cloexec,
	      "close_range(11, ~0, CLOEXEC) marks 11.. and not 10");
	vft_fd_close_range(v, t, 10, 11, false, false);
	CHECK(!vft_fd_get(t, 10, NULL) && !vft_fd_get(t, 11, NULL) && vft_fd_get(t, 12, NULL),
	      "close_range(10, 11) closes those two only");
	CHECK(released_handle(&r, 40) == 1 && released_handle(&r, 41) == 1 && released_handle(&r, 42) == 0,
	      "and releases their objects");
	struct vft_task *sharer = vft_task_new(v, 401, 400, true, false);
	vft_fd_close_range(v, t, 0, ~0u, false, true);
	CHECK(t->files != sharer->files && t->files->nremote == 0 && vft_fd_get(sharer, 12, NULL),
	      "close_range(CLOSE_RANGE_UNSHARE) closes only in the task's own copy");
	vft_free(v);
	CHECK_EQ_INT(vft_object_count(), 0, "no object is left");
}

static void test_unshare_and_orphans(void)
{
	struct released r = { 0 };
	struct vft *v = vft_new(on_release, &r, "/home/ann", true, 022);
	struct vft_task *a = vft_task_new(v, 500, 0, false, false);
	struct vft_task *b = vft_task_new(v, 501, 500, true, true);
	CHECK_EQ_INT(vft_task_unshare(v, b, true, true), 0, "unshare(CLONE_FILES|CLONE_FS)");
	CHECK(a->files != b->files && a->fs != b->fs, "the task has its own table and fs state after unshare");
	vft_set_cwd(b, "/tmp", false);
	CHECK(strcmp(a->fs->cwd, "/home/ann") == 0, "and its chdir no longer moves the other");
	struct vft_task *orphan = vft_task_new(v, 502, 999, false, false);
	CHECK(orphan && orphan->files->nremote == 0 && strcmp(orphan->fs->cwd, "/home/ann") == 0,
	      "a task whose parent is unknown starts empty, in the initial cwd");
	struct vft_object *o = put(v, a, 1000, 50, false);
	CHECK(vft_fd_get(a, 1000, NULL) == o, "a large fd number grows the table");
	CHECK(vft_fd_set(v, a, -1, o, false) == -EBADF, "a negative fd is refused");
	vft_free(v);
	CHECK_EQ_INT(r.n, 1, "freeing the VFT releases the last object");
}

int main(void)
{
	test_fork_copies();
	test_clone_files_shares();
	test_exec();
	test_dup_and_close();
	test_unshare_and_orphans();
	return check_done();
}
