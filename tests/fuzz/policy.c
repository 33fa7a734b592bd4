/* tests/fuzz/policy.c: libFuzzer harness for the policy parser (policy/):
 * the input is a policy file; it is loaded (errors to /dev/null) and, when
 * it loads, routed (paths and calls) and printed as --check-policy would.
 * It is written to a private directory (in /dev/shm where there is one:
 * truncating a file on a disk with discard, as here, costs half a
 * millisecond, most of an input's time) and parsed from there, so includes
 * of relative names find that directory's own policies; an include of a
 * name with a '/' is neutralized first (the input could otherwise make the
 * parser read a terminal or a FIFO and hang, which is no bug). */
#include "policy/lex.h"
#include "policy/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
extern const char fuzz_name[];
const char fuzz_name[] = "policy";

static char dir[] = "/dev/shm/splitrun-fuzz-policy-XXXXXX";
static char input[sizeof dir + 16];
static FILE *devnull;

static void write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n)) {
		fprintf(stderr, "fuzz/policy: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	close(fd);
}

static void cleanup(void)
{
	static const char *const names[] = { "in.policy", "common.policy", "nested.policy" };
	char path[sizeof dir + 32];
	for (size_t k = 0; k < 3; k++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[k]);
		unlink(path);
	}
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(dir)) {
		strcpy(dir, "/tmp/splitrun-fuzz-policy-XXXXXX");
		if (!mkdtemp(dir))
			return 1;
	}
	snprintf(input, sizeof input, "%s/in.policy", dir);
	char path[sizeof dir + 32];
	static const char common[] = "path /home/** remote\npath /tmp/** local\ncall uname remote\n";
	static const char nested[] = "include common.policy\npath /srv/*.db stage\n";
	snprintf(path, sizeof path, "%s/common.policy", dir);
	write_file(path, common, sizeof common - 1);
	snprintf(path, sizeof path, "%s/nested.policy", dir);
	write_file(path, nested, sizeof nested - 1);
	devnull = fopen("/dev/null", "w");
	atexit(cleanup);
	return devnull ? 0 : 1;
}

/* Turns "include NAME" into an unknown keyword when NAME has a '/'. */
static void neutralize_includes(char *text, size_t len)
{
	for (size_t at = 0; at < len;) {
		char *line = text + at;
		char *nl = memchr(line, '\n', len - at);
		size_t n = nl ? (size_t)(nl - line) : len - at;
		at += n + 1;
		struct word w[LEX_MAX_WORDS];
		struct lex_error err;
		int partial;
		int count = lex_line(line, n, w, &partial, &err);
		if (count < 0)
			count = partial;
		if (count < 1 || !word_is(&w[0], "include"))
			continue;
		bool unsafe = false;
		for (int k = 1; k < count; k++)
			if (memchr(w[k].raw, '/', w[k].raw_len))
				unsafe = true;
		/* Also whatever the lexer did not split (an error after the name). */
		if (memchr(line, '/', n))
			unsafe = true;
		if (unsafe)
			((char *)w[0].raw)[0] = 'X';
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1 << 20))
		return 0;
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	neutralize_includes(text, size);
	write_file(input, text, size);
	free(text);
	struct policy *p = policy_load(input, devnull);
	if (!p)
		return 0;
	static const char *const paths[] = { "/", "/home/ann/x", "/tmp/a/b", "/usr/lib/libc.so.6", "/srv/a.db",
					     "/proc/self/fd/3", "/a/../b" };
	for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
		struct policy_route r;
		char out[4096];
		policy_route_path(p, paths[k], &r, out, sizeof out);
	}
	static const char *const calls[] = { "open", "io_uring_setup", "execve", "uname", "clock_gettime", "nosuch" };
	for (size_t k = 0; k < sizeof calls / sizeof calls[0]; k++) {
		struct policy_route r;
		policy_route_call(p, calls[k], &r);
	}
	policy_any_nonlocal(p);
	policy_any_path_log(p);
	policy_print(p, devnull);
	policy_free(p);
	return 0;
}
