/* tests/unit/policy_glob.c: path patterns on their own: "*" and "?" within a
 * component (UTF-8 aware), "**" across components and its edge cases
 * (none, many, a directory followed by "**" matching the directory, the
 * pattern of "**" alone matching the root), escapes, the
 * literal-prefix fast path at component boundaries, the compile errors and
 * never-match findings with their offsets, and pattern coverage (the
 * shadowing check's soundness: never "covers" when it does not). */
#include "policy/glob.h"
#include "tests/unit/policy_test.h"

static struct arena arena;

static bool compile(const char *pattern, struct glob *g)
{
	struct glob_problem err, never;
	return glob_compile(&arena, pattern, strlen(pattern), g, &err, &never) == 0;
}

static void match(const char *pattern, const char *path, bool want)
{
	struct glob g;
	if (!CHECK(compile(pattern, &g), "'%s' compiles", pattern))
		return;
	CHECK(glob_match(&g, path, strlen(path)) == want, "'%s' %s '%s'", pattern,
	      want ? "matches" : "does not match", path);
}

static void test_match(void)
{
	/* literal */
	match("/", "/", true);
	match("/", "/a", false);
	match("/a", "/a", true);
	match("/a", "/", false);
	match("/a", "/ab", false);
	match("/ab", "/a", false);
	match("/a", "/a/b", false);
	match("/a/b", "/a/b", true);
	match("/a/b", "/a/bc", false);
	match("/home/ann", "/home/annex", false);

	/* * within one component */
	match("/*", "/", false);
	match("/*", "/a", true);
	match("/*", "/a/b", false);
	match("/a/*", "/a", false);
	match("/a/*", "/a/x", true);
	match("/a/*", "/a/.hidden", true);
	match("/a/*.c", "/a/x.c", true);
	match("/a/*.c", "/a/.c", true);
	match("/a/*.c", "/a/x.h", false);
	match("/a/*.c", "/a/b/x.c", false);
	match("/a/*x*y*", "/a/axbyc", true);
	match("/a/*x*y*", "/a/ayx", false);
	match("/a/*ab", "/a/aab", true);
	match("/a/*ab", "/a/abab", true);
	match("/a/*ab", "/a/aba", false);
	match("/a/a*a*a", "/a/aaa", true);
	match("/a/a*a*a", "/a/aa", false);
	match("/lib*", "/lib", true);
	match("/lib*", "/lib64", true);
	match("/lib*", "/li", false);

	/* ? is one character, UTF-8 aware */
	match("/?", "/a", true);
	match("/?", "/ab", false);
	match("/?", "/", false);
	match("/?", "/\xc3\xa9", true);               /* é: two bytes, one character */
	match("/??", "/\xc3\xa9", false);
	match("/?x", "/\xe2\x82\xacx", true);          /* €x */
	match("/*?", "/\xc3\xa9", true);
	match("/*??", "/\xc3\xa9", false);
	match("/a?c", "/abc", true);
	match("/a?c", "/a/c", false);

	/* ** across components */
	match("/**", "/", true);
	match("/**", "/a", true);
	match("/**", "/a/b/c", true);
	match("/a/**", "/a", true);                    /* the directory itself */
	match("/a/**", "/a/b", true);
	match("/a/**", "/a/b/c/d", true);
	match("/a/**", "/ab", false);
	match("/a/**", "/", false);
	match("/a/**/z", "/a/z", true);                /* ** as no component */
	match("/a/**/z", "/a/b/z", true);
	match("/a/**/z", "/a/b/c/z", true);
	match("/a/**/z", "/a/b/c/zz", false);
	match("/a/**/z", "/a/z/y", false);
	match("/a/**/z", "/a/z/z", true);
	match("/**/z", "/z", true);
	match("/**/z", "/a/b/z", true);
	match("/**/z", "/a/b/zz", false);
	match("/**/*.c", "/x.c", true);
	match("/**/*.c", "/a/b/x.c", true);
	match("/**/*.c", "/a/b/x.h", false);
	match("/a/**/b/**/c", "/a/b/c", true);
	match("/a/**/b/**/c", "/a/x/b/y/z/c", true);
	match("/a/**/b/**/c", "/a/x/y/z/c", false);
	match("/a/**/**/b", "/a/b", true);
	match("/a/**/**/b", "/a/x/y/b", true);
	match("/**/.git/**", "/src/p/.git/HEAD", true);
	match("/**/.git/**", "/src/p/.git", true);
	match("/**/.git/**", "/src/p/.gitignore", false);
	match("/home/*/.cache/**", "/home/bob/.cache", true);
	match("/home/*/.cache/**", "/home/bob/x/.cache", false);

	/* escapes */
	match("/a\\*", "/a*", true);
	match("/a\\*", "/ab", false);
	match("/a\\?", "/a?", true);
	match("/a\\?", "/ab", false);
	match("/\\*\\*", "/**", true);
	match("/\\*\\*", "/x", false);
	match("/a\\\\b", "/a\\b", true);
	match("/we\\ ird", "/we ird", true);
	match("/x*\\*", "/xyz*", true);
	match("/x*\\*", "/xyz", false);
}

static void test_prefix(void)
{
	struct glob g;
	compile("/home/ann/**", &g);
	CHECK(g.prefix_len == 9 && memcmp(g.prefix, "/home/ann", 9) == 0 && g.nprefix == 2 && g.ncomps == 3,
	      "the literal prefix of /home/ann/** is /home/ann (2 of 3 components)");
	compile("/a\\*b/c*", &g);
	CHECK(g.prefix_len == 4 && memcmp(g.prefix, "/a*b", 4) == 0, "escapes are resolved in the prefix");
	compile("/**", &g);
	CHECK(g.prefix_len == 0 && g.nprefix == 0 && g.ncomps == 1, "/** has no literal prefix");
	compile("/", &g);
	CHECK(g.prefix_len == 0 && g.ncomps == 0, "/ has no components");
}

static void compile_error(const char *pattern, const char *message, size_t offset)
{
	struct glob g;
	struct glob_problem err, never;
	int rc = glob_compile(&arena, pattern, strlen(pattern), &g, &err, &never);
	CHECK_EQ_INT(rc, -1, "'%s' does not compile", pattern);
	if (rc == -1) {
		CHECK_EQ_STR(err.message, message, "'%s': the message", pattern);
		CHECK_EQ_INT(err.offset, offset, "'%s': the offset", pattern);
	}
}

static void never(const char *pattern, const char *message, size_t offset)
{
	struct glob g;
	struct glob_problem err, nev;
	int rc = glob_compile(&arena, pattern, strlen(pattern), &g, &err, &nev);
	CHECK_EQ_INT(rc, 0, "'%s' compiles", pattern);
	if (message) {
		CHECK_EQ_STR(nev.message, message, "'%s' can never match", pattern);
		CHECK_EQ_INT(nev.offset, offset, "'%s': where", pattern);
	} else {
		CHECK(nev.message == NULL, "'%s' can match (got: %s)", pattern, nev.message ? nev.message : "");
	}
}

static void test_problems(void)
{
	compile_error("a/b", "path patterns are absolute: they start with '/'", 0);
	compile_error("", "path patterns are absolute: they start with '/'", 0);
	compile_error("/a**", "'**' must be a whole path component (as in /DIR/**/NAME)", 2);
	compile_error("/**a", "'**' must be a whole path component (as in /DIR/**/NAME)", 1);
	compile_error("/x/***", "'**' must be a whole path component (as in /DIR/**/NAME)", 3);
	compile_error("/a\\", "'\\' at the end of a pattern escapes nothing", 2);
	compile_error("/a\\/b", "'/' cannot be escaped: it always separates components", 2);

	never("/a/", "paths are normalized and have no trailing '/'", 2);
	never("/a//b", "paths are normalized and have no '//'", 2);
	never("//", "paths are normalized and have no '//'", 0);
	never("/a/./b", "paths are normalized and have no '.' or '..' components", 3);
	never("/a/..", "paths are normalized and have no '.' or '..' components", 3);
	char long_name[300] = "/";
	memset(long_name + 1, 'x', 256);
	never(long_name, "no file name is longer than 255 bytes (NAME_MAX)", 1);
	long_name[256] = 0;
	never(long_name, NULL, 0);                        /* 255 bytes is fine */
	never("/a/.b/..c/...", NULL, 0);
	never("/a/.*", NULL, 0);
	never("/a\\*/\\?", NULL, 0);
}

static void covers(const char *a, const char *b, bool want)
{
	struct glob ga, gb;
	if (!CHECK(compile(a, &ga) && compile(b, &gb), "'%s' and '%s' compile", a, b))
		return;
	CHECK(glob_covers(&ga, &gb) == want, "'%s' %s every path of '%s'", a, want ? "takes" : "does not take", b);
}

static void test_covers(void)
{
	covers("/home/**", "/home/ann/**", true);
	covers("/home/ann/**", "/home/**", false);
	covers("/home/**", "/home", true);
	covers("/home/**", "/home/**", true);
	covers("/**", "/", true);
	covers("/**", "/anything/**/x*", true);
	covers("/*/**", "/**", false);                   /* "/" is not under any component */
	covers("/home/*", "/home/ann", true);
	covers("/home/*", "/home/ann/x", false);
	covers("/home/*", "/home/**", false);
	covers("/home/*", "/home/a*", true);
	covers("/home/a*", "/home/*", false);
	covers("/home/*/x", "/home/?/x", true);
	covers("/home/?/x", "/home/*/x", false);
	covers("/home/?/x", "/home/a/x", true);
	covers("/home/?/x", "/home/ab/x", false);
	covers("/s/*.log", "/s/a*.log", true);
	covers("/s/*.log", "/s/?.log", true);
	covers("/s/*.log", "/s/a.log", true);
	covers("/s/*.log", "/s/a.txt", false);
	covers("/s/*.log", "/s/*.log.1", false);
	covers("/a/**/z", "/a/b/c/z", true);
	covers("/a/**/z", "/a/z", true);
	covers("/a/**/z", "/a/**/z", true);
	covers("/a/**/z", "/a/**", false);
	covers("/**/*.c", "/src/**/*.c", true);
	covers("/src/**/*.c", "/**/*.c", false);
	covers("/lib*/**", "/lib64/**", true);
	covers("/lib*/**", "/lib", true);
	covers("/lib*/**", "/li/**", false);
	covers("/x/\xc3\xa9", "/x/?", false);
	covers("/x/?", "/x/\xc3\xa9", true);             /* one character, two bytes */
	covers("/x/??", "/x/\xc3\xa9", false);
	covers("/home/ann", "/home/annex", false);
	covers("/home/ann/**", "/home/annex/**", false);
}

static void random_pattern(char *out, const char *const *alphabet, unsigned n)
{
	int depth = (int)test_rnd(4);
	out[0] = 0;
	for (int d = 0; d < depth; d++) {
		strcat(out, "/");
		strcat(out, alphabet[test_rnd(n)]);
	}
	if (!depth)
		strcpy(out, "/");
}

/* Soundness of the shadowing check on random pairs: whenever A is said to
 * take every path of B, no path B matches escapes A. */
static void test_covers_sound(void)
{
	static const char *const comps[] = { "a", "b", "ab", "*", "?", "a*", "*b", "**", "?b", "a?" };
	static const char *const names[] = { "a", "b", "ab", "ba", "aab", "bb", "abb" };
	int said = 0, checked = 0, wrong = 0;
	for (int pair = 0; pair < 3000; pair++) {
		char a[64], b[64];
		struct glob ga, gb;
		random_pattern(a, comps, 10);
		random_pattern(b, comps, 10);
		if (!compile(a, &ga) || !compile(b, &gb) || !glob_covers(&ga, &gb))
			continue;
		said++;
		for (int k = 0; k < 300; k++) {
			char path[64];
			random_pattern(path, names, 7);
			if (!glob_match(&gb, path, strlen(path)))
				continue;
			checked++;
			if (!glob_match(&ga, path, strlen(path)) && wrong++ < 5)
				printf("# '%s' said to take every path of '%s', but not %s\n", a, b, path);
		}
	}
	CHECK_EQ_INT(wrong, 0, "coverage is sound: %d random pairs said covered, %d paths checked", said, checked);
	CHECK(said > 100 && checked > 1000, "the random pairs exercise coverage (%d pairs, %d paths)", said, checked);
}

int main(void)
{
	test_match();
	test_prefix();
	test_problems();
	test_covers();
	test_covers_sound();
	arena_free(&arena);
	return check_done();
}
