/* bench/policy.c: what the policy costs per trapped call: policy_normalize,
 * policy_route_path over the built-in policy (a path decided by its second
 * rule, and one that falls through to the last) and over a policy of 200
 * rules, and policy_route_call, each against a getppid(2) system call
 * measured in the same run (the cheapest kernel entry there is; a trap costs
 * thousands of them). A benchmark, not a test: it prints nanoseconds per
 * operation and the ratio to getppid; bench/policy.sh runs it pinned and
 * unpinned and docs/performance.md reads the results.
 *
 *   policy [--iters N] [--rounds R]
 *
 * The figure of a case is the median of its rounds. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "policy/policy.h"

#define MAX_ROUNDS 31

static volatile long sink;

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct bench_case {
	const char *name;
	void (*run)(const void *arg);
	const void *arg;
	double ns[MAX_ROUNDS];
};

static const struct policy *builtin, *big;

static void run_getppid(const void *arg)
{
	(void)arg;
	sink += syscall(SYS_getppid);
}

static void run_normalize(const void *arg)
{
	char out[PATH_MAX];
	sink += policy_normalize(arg, out, sizeof out) + out[1];
}

static void run_route_builtin(const void *arg)
{
	struct policy_route r;
	char shadow[PATH_MAX];
	sink += policy_route_path(builtin, arg, &r, shadow, sizeof shadow) + (int)r.method;
}

static void run_route_big(const void *arg)
{
	struct policy_route r;
	char shadow[PATH_MAX];
	sink += policy_route_path(big, arg, &r, shadow, sizeof shadow) + (int)r.method;
}

static void run_route_call(const void *arg)
{
	struct policy_route r;
	policy_route_call(big, arg, &r);
	sink += (int)r.method;
}

/* 200 rules: directories of projects, then patterns that must be tried and
 * fail for a path under /home, then the catch-all. */
static const char *write_big_policy(char *path, size_t size)
{
	snprintf(path, size, "/tmp/splitrun-bench-policy.XXXXXX");
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		perror("bench/policy: temporary policy");
		exit(1);
	}
	for (int i = 0; i < 100; i++)
		fprintf(f, "path /srv/project%d/** remote map /srv/project%d => /export/p%d\n", i, i, i);
	for (int i = 0; i < 98; i++)
		fprintf(f, "path /data/**/*.%d stage\n", i);
	fprintf(f, "call uname,gethostname,getuid,geteuid remote\ncall ptrace deny EPERM\n");
	fprintf(f, "path /usr/** local\npath /** remote\n");
	fclose(f);
	return path;
}

int main(int argc, char **argv)
{
	long iters = 200000;
	int rounds = 7;
	static const struct option opts[] = {
		{ "iters", required_argument, NULL, 'i' },
		{ "rounds", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'i')
			iters = atol(optarg);
		else if (c == 'r')
			rounds = atoi(optarg);
		else
			return 2;
	}
	if (iters < 1 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "bench/policy: --iters >= 1, 1 <= --rounds <= %d\n", MAX_ROUNDS);
		return 2;
	}
	char big_path[64];
	builtin = policy_load(NULL, stderr);
	big = policy_load(write_big_policy(big_path, sizeof big_path), stderr);
	unlink(big_path);
	if (!builtin || !big)
		return 1;

	struct bench_case cases[] = {
		{ "getppid(2) (reference)", run_getppid, NULL, { 0 } },
		{ "normalize /home/ann/src/./p/../p/main.c", run_normalize, "/home/ann/src/./p/../p/main.c", { 0 } },
		{ "route built-in: /usr/lib/libc.so.6 (rule 2)", run_route_builtin, "/usr/lib/x86_64-linux-gnu/libc.so.6", { 0 } },
		{ "route built-in: /home/ann/src/main.c (rule 14)", run_route_builtin, "/home/ann/src/p/main.c", { 0 } },
		{ "route 200 rules: /srv/project99/a/b (rule 100, map)", run_route_big, "/srv/project99/a/b", { 0 } },
		{ "route 200 rules: /home/ann/x (rule 200)", run_route_big, "/home/ann/x", { 0 } },
		{ "route 200 rules: /data/a/b/c.97 (rule 198, glob)", run_route_big, "/data/a/b/c.97", { 0 } },
		{ "route_call uname (5 call rules)", run_route_call, "uname", { 0 } },
		{ "route_call io_uring_setup (implied)", run_route_call, "io_uring_setup", { 0 } },
	};
	size_t ncases = sizeof cases / sizeof cases[0];
	for (int r = 0; r < rounds; r++) {
		for (size_t k = 0; k < ncases; k++) {
			double t0 = now_ns();
			for (long i = 0; i < iters; i++)
				cases[k].run(cases[k].arg);
			cases[k].ns[r] = (now_ns() - t0) / (double)iters;
		}
	}
	double ref = median(cases[0].ns, rounds);
	printf("%-56s %10s %12s\n", "operation", "ns/op", "x getppid");
	for (size_t k = 0; k < ncases; k++) {
		double m = k ? median(cases[k].ns, rounds) : ref;
		printf("%-56s %10.1f %12.3f\n", cases[k].name, m, m / ref);
	}
	printf("(median of %d rounds of %ld operations each)\n", rounds, iters);
	policy_free((struct policy *)builtin);
	policy_free((struct policy *)big);
	return sink == 42 ? 3 : 0;
}
