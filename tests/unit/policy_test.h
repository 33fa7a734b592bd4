/* tests/unit/policy_test.h: helpers of the policy_* unit tests: policy files
 * written into a private temporary directory, loaded with their diagnostics
 * captured; a seeded random generator. */
#ifndef SPLITRUN_TESTS_POLICY_TEST_H
#define SPLITRUN_TESTS_POLICY_TEST_H

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy.h"
#include "tests/unit/check.h"

static char test_dir[64];
#define TEST_MAX_FILES 512
#define TEST_PATH_MAX 512
static char test_files[TEST_MAX_FILES][TEST_PATH_MAX];
static int ntest_files;
static char *diag_text;       /* what the last load wrote to its error stream */

/* A fixed-seed xorshift: random tests that fail, fail again. */
static uint64_t test_rng_state = 0x9e3779b97f4a7c15u;

__attribute__((unused))
static unsigned test_rnd(unsigned n)
{
	test_rng_state ^= test_rng_state << 13;
	test_rng_state ^= test_rng_state >> 7;
	test_rng_state ^= test_rng_state << 17;
	return (unsigned)(test_rng_state % n);
}

__attribute__((unused))
static void test_dir_make(void)
{
	snprintf(test_dir, sizeof test_dir, "/tmp/splitrun-policy-test.XXXXXX");
	if (!mkdtemp(test_dir)) {
		perror("mkdtemp");
		exit(2);
	}
}

/* Writes TEXT to NAME (relative to the test directory; subdirectories are
 * made) and returns its full path. */
__attribute__((unused))
static const char *test_file(const char *name, const char *text)
{
	if (ntest_files == TEST_MAX_FILES || strlen(test_dir) + strlen(name) + 2 > TEST_PATH_MAX) {
		fprintf(stderr, "policy_test.h: more than %d files or too long a name (%s)\n", TEST_MAX_FILES, name);
		exit(2);
	}
	char *path = test_files[ntest_files++];
	size_t dir_len = strlen(test_dir);
	memcpy(path, test_dir, dir_len);
	path[dir_len] = '/';
	memcpy(path + dir_len + 1, name, strlen(name) + 1);
	for (char *s = path + strlen(test_dir) + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			perror(path);
			exit(2);
		}
		*s = '/';
	}
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
	return path;
}

/* Loads FILE (NULL: the default), keeping its diagnostics in diag_text. */
__attribute__((unused))
static struct policy *test_load(const char *file)
{
	size_t size;
	free(diag_text);
	FILE *err = open_memstream(&diag_text, &size);
	struct policy *p = policy_load(file, err);
	fclose(err);
	return p;
}

/* Loads TEXT written as NAME. */
__attribute__((unused))
static struct policy *test_load_text(const char *name, const char *text)
{
	return test_load(test_file(name, text));
}

__attribute__((unused))
static void test_dir_remove(void)
{
	for (int i = ntest_files - 1; i >= 0; i--)
		unlink(test_files[i]);
	/* Subdirectories, deepest first: their names are prefixes of the files'. */
	for (int i = ntest_files - 1; i >= 0; i--) {
		char *s;
		while ((s = strrchr(test_files[i], '/')) && s > test_files[i] + strlen(test_dir)) {
			*s = 0;
			rmdir(test_files[i]);
		}
	}
	rmdir(test_dir);
	free(diag_text);
	diag_text = NULL;
}

#endif
