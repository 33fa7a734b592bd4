/* tests/unit/policy_attr_cache.c: the attribute and name cache
 * (policy/attr_cache.h): what lstat and stat answers stand for, names known
 * absent, the time entries are believed, what forgetting a path, a subtree,
 * a directory's entry or a file's other names takes away, and the bound. */
#include "policy/attr_cache.h"
#include "tests/unit/check.h"

#include <errno.h>
#include <time.h>

static struct canon_stat file_st(int64_t ino, int64_t type)
{
	struct canon_stat st = { 0 };
	st.mask = CANON_STATX_BASIC_STATS;
	st.dev_major = 8;
	st.dev_minor = 1;
	st.ino = ino;
	st.mode = type | 0644;
	st.nlink = 1;
	st.size = ino * 10;
	return st;
}

static void test_follow(void)
{
	struct attr_cache *c = attr_cache_new(60ull * 1000000000u, 100);
	struct canon_stat st, reg = file_st(10, CANON_S_IFREG), lnk = file_st(11, CANON_S_IFLNK);
	CHECK_EQ_INT(attr_cache_get(c, "/a", false, &st, NULL), 0, "unknown path: a miss");
	attr_cache_put(c, "/a", false, &reg, 77);
	int64_t source = 0;
	CHECK(attr_cache_get(c, "/a", false, &st, &source) == 1 && st.ino == 10, "lstat's answer is lstat's");
	CHECK_EQ_INT(source, 77, "with the source it was stored with");
	CHECK(attr_cache_get(c, "/a", true, &st, NULL) == 1 && st.ino == 10, "and stat's, for what is no symlink");
	attr_cache_put(c, "/l", false, &lnk, 0);
	CHECK(attr_cache_get(c, "/l", false, &st, NULL) == 1 && st.ino == 11, "a symlink's lstat");
	CHECK_EQ_INT(attr_cache_get(c, "/l", true, &st, NULL), 0, "what it points to is unknown");
	attr_cache_put(c, "/l", true, &reg, 0);
	CHECK(attr_cache_get(c, "/l", true, &st, NULL) == 1 && st.ino == 10, "stat of the symlink: its target");
	CHECK(attr_cache_get(c, "/l", false, &st, NULL) == 1 && st.ino == 11, "lstat of it still the link");
	/* stat's answer for a path lstat knew as another file: the path changed. */
	attr_cache_put(c, "/a", true, &lnk, 0);
	CHECK_EQ_INT(attr_cache_get(c, "/a", false, &st, NULL), 0, "lstat unknown once stat sees another file there");
	attr_cache_put_absent(c, "/gone", false, 0);
	CHECK_EQ_INT(attr_cache_get(c, "/gone", true, &st, NULL), -ENOENT, "no name: ENOENT for stat");
	CHECK_EQ_INT(attr_cache_get(c, "/gone", false, &st, NULL), -ENOENT, "and for lstat");
	attr_cache_put_absent(c, "/dangling", true, 0);
	CHECK_EQ_INT(attr_cache_get(c, "/dangling", true, &st, NULL), -ENOENT, "stat's ENOENT");
	CHECK_EQ_INT(attr_cache_get(c, "/dangling", false, &st, NULL), 0, "says nothing of lstat (a dangling link)");
	attr_cache_put(c, "/dir/", false, &reg, 0);
	CHECK_EQ_INT(attr_cache_get(c, "/dir/", false, &st, NULL), 0, "a path asking for a directory is not cached");
	struct attr_cache_stats s;
	attr_cache_get_stats(c, &s);
	CHECK(s.hits == 8 && s.misses == 4, "hits and misses counted (uncacheable paths are neither) (%lu, %lu)", s.hits, s.misses);
	attr_cache_free(c);
}

static void test_time(void)
{
	struct attr_cache *c = attr_cache_new(30ull * 1000000, 100);
	struct canon_stat st, reg = file_st(10, CANON_S_IFREG);
	attr_cache_put(c, "/a", false, &reg, 0);
	attr_cache_put_absent(c, "/b", false, 0);
	CHECK(attr_cache_get(c, "/a", false, &st, NULL) == 1, "fresh: believed");
	nanosleep(&(struct timespec){ 0, 60 * 1000000 }, NULL);
	CHECK_EQ_INT(attr_cache_get(c, "/a", false, &st, NULL), 0, "after the time: asked again");
	CHECK_EQ_INT(attr_cache_get(c, "/b", false, &st, NULL), 0, "an absent name too");
	attr_cache_free(c);
	c = attr_cache_new(0, 100);
	attr_cache_put(c, "/a", false, &reg, 0);
	CHECK_EQ_INT(attr_cache_get(c, "/a", false, &st, NULL), 0, "time 0: nothing is believed");
	attr_cache_free(c);
}

static void test_forget(void)
{
	struct attr_cache *c = attr_cache_new(60ull * 1000000000u, 100);
	struct canon_stat st, d = file_st(1, CANON_S_IFDIR), f = file_st(2, CANON_S_IFREG), g = file_st(3, CANON_S_IFREG);
	attr_cache_put(c, "/d", false, &d, 0);
	attr_cache_put(c, "/d/f", false, &f, 0);
	attr_cache_put(c, "/d/sub/g", false, &g, 0);
	attr_cache_put(c, "/dx", false, &g, 0);
	attr_cache_put(c, "/other/link-to-f", true, &f, 0);
	attr_cache_forget_parent(c, "/d/new");
	CHECK_EQ_INT(attr_cache_get(c, "/d", false, &st, NULL), 0, "a name made in /d: /d forgotten");
	CHECK(attr_cache_get(c, "/d/f", false, &st, NULL) == 1, "its entries stay");
	attr_cache_forget_file(c, &f);
	CHECK_EQ_INT(attr_cache_get(c, "/d/f", false, &st, NULL), 0, "a file's change: its path forgotten");
	CHECK_EQ_INT(attr_cache_get(c, "/other/link-to-f", true, &st, NULL), 0, "and its other names");
	CHECK(attr_cache_get(c, "/dx", false, &st, NULL) == 1, "other files stay");
	attr_cache_forget(c, "/d", true);
	CHECK_EQ_INT(attr_cache_get(c, "/d/sub/g", false, &st, NULL), 0, "a subtree forgotten");
	CHECK(attr_cache_get(c, "/dx", false, &st, NULL) == 1, "but not a sibling that shares its prefix");
	uint64_t g0 = attr_cache_generation(c);
	attr_cache_put(c, "/e", false, &f, 0);
	CHECK(attr_cache_generation(c) != g0, "storing moves the generation");
	attr_cache_forget(c, "/", true);
	CHECK_EQ_INT(attr_cache_get(c, "/e", false, &st, NULL), 0, "the root's subtree: everything");
	attr_cache_free(c);
}

static void test_bound(void)
{
	struct attr_cache *c = attr_cache_new(60ull * 1000000000u, 3);
	struct canon_stat st, f = file_st(2, CANON_S_IFREG);
	attr_cache_put(c, "/1", false, &f, 0);
	attr_cache_put(c, "/2", false, &f, 0);
	attr_cache_put(c, "/3", false, &f, 0);
	attr_cache_put(c, "/1", false, &f, 0);   /* fresh again: the newest */
	attr_cache_put(c, "/4", false, &f, 0);
	struct attr_cache_stats s;
	attr_cache_get_stats(c, &s);
	CHECK_EQ_INT(s.entries, 3, "never more than its capacity");
	CHECK_EQ_INT(attr_cache_get(c, "/2", false, &st, NULL), 0, "the oldest went first");
	CHECK(attr_cache_get(c, "/1", false, &st, NULL) == 1 && attr_cache_get(c, "/4", false, &st, NULL) == 1,
	      "a refreshed entry and the newest stay");
	attr_cache_free(c);
}

int main(void)
{
	test_follow();
	test_time();
	test_forget();
	test_bound();
	return check_done();
}
