/* bench/syscall_cost.c: the guest of bench/syscalls.sh. Times the calls of
 * the Bypass paper's Figure 6 in tight loops and prints the cost per call.
 *
 *   syscall_cost [-f] [-n MAX_ITERATIONS] [-t SECONDS] [-d DIR] [TEST...]
 *
 * Each test makes MAX_ITERATIONS timed calls (default 100000) or as many as
 * fit in SECONDS (default 1), after an untimed warm-up. The timed calls are
 * cut into ten slices of a tenth each (a tenth of the calls or of the time),
 * and the cost reported is that of the median slice: a slice in which the
 * program was preempted (the machine is shared) does not count. The clock
 * is read through the vDSO, so timing makes no system call and the tracer
 * under test never sees it. Output, one line per test:
 *
 *   TEST TIMED_CALLS NS_PER_CALL(median slice) NS_PER_CALL(all slices)
 *
 * -f first installs a seccomp filter of one instruction that allows every
 * call: what any filter at all costs in the kernel's system call entry, the
 * floor under splitrun's own (untraced) filter.
 *
 * Files live in a fresh directory under DIR (default $TMPDIR, else /tmp),
 * removed at the end: reads come from a 1 MiB regular file, writes go to
 * another 1 MiB regular file (overwriting cached pages, as the paper wrote
 * "to a file"); both wrap around with an lseek every 1 MiB, which is one
 * lseek per 128 8 KB calls and per 1,048,576 1-byte calls. The system calls
 * made per iteration (x86_64 and aarch64 glibc):
 *
 *   open_close  openat + close      read1   read (1 byte)
 *   stat        newfstatat          write1  write (1 byte)
 *   getpid      getpid (syscall())  read8k  read (8192 bytes)
 *                                   write8k write (8192 bytes)
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FILE_SIZE (1 << 20)
#define BIG_CHUNK 8192
/* The clock is looked at once per batch, not per call. */
#define BATCH 64
#define SLICES 10

struct bench {
	char dir[4096];
	char data_path[4200];   /* read by read1/read8k, opened by open_close, stat'ed */
	char sink_path[4200];   /* written by write1/write8k */
	int data_fd, sink_fd;
	off_t data_off, sink_off;
	char buf[BIG_CHUNK];
};

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "syscall_cost: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "",
		strerror(errno));
	exit(1);
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void op_open_close(struct bench *b)
{
	int fd = open(b->data_path, O_RDONLY);
	if (fd < 0)
		die("open", b->data_path);
	if (close(fd) < 0)
		die("close", NULL);
}

static void op_stat(struct bench *b)
{
	struct stat st;
	if (stat(b->data_path, &st) < 0)
		die("stat", b->data_path);
}

static void op_getpid(struct bench *b)
{
	(void)b;
	syscall(SYS_getpid);
}

static void read_chunk(struct bench *b, size_t len)
{
	if (b->data_off + (off_t)len > FILE_SIZE) {
		if (lseek(b->data_fd, 0, SEEK_SET) < 0)
			die("lseek", b->data_path);
		b->data_off = 0;
	}
	ssize_t n = read(b->data_fd, b->buf, len);
	if (n != (ssize_t)len) {
		if (n >= 0)
			errno = EIO;
		die("read", b->data_path);
	}
	b->data_off += n;
}

static void write_chunk(struct bench *b, size_t len)
{
	if (b->sink_off + (off_t)len > FILE_SIZE) {
		if (lseek(b->sink_fd, 0, SEEK_SET) < 0)
			die("lseek", b->sink_path);
		b->sink_off = 0;
	}
	ssize_t n = write(b->sink_fd, b->buf, len);
	if (n != (ssize_t)len) {
		if (n >= 0)
			errno = EIO;
		die("write", b->sink_path);
	}
	b->sink_off += n;
}

static void op_read1(struct bench *b) { read_chunk(b, 1); }
static void op_write1(struct bench *b) { write_chunk(b, 1); }
static void op_read8k(struct bench *b) { read_chunk(b, BIG_CHUNK); }
static void op_write8k(struct bench *b) { write_chunk(b, BIG_CHUNK); }

static const struct test {
	const char *name;
	void (*op)(struct bench *);
} tests[] = {
	{ "open_close", op_open_close },
	{ "stat", op_stat },
	{ "getpid", op_getpid },
	{ "read1", op_read1 },
	{ "write1", op_write1 },
	{ "read8k", op_read8k },
	{ "write8k", op_write8k },
};
#define NTESTS (sizeof tests / sizeof tests[0])

/* Runs OP up to MAX times or until LIMIT seconds have passed (checked after
 * each batch); returns the count and stores the elapsed seconds. */
static long run_timed(const struct test *t, struct bench *b, long max, double limit, double *elapsed)
{
	double start = now_seconds(), end = start;
	long done = 0;
	while (done < max) {
		long batch = max - done < BATCH ? max - done : BATCH;
		for (long i = 0; i < batch; i++)
			t->op(b);
		done += batch;
		end = now_seconds();
		if (end - start >= limit)
			break;
	}
	*elapsed = end - start;
	return done;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void install_allow_all_filter(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("prctl(PR_SET_NO_NEW_PRIVS)", NULL);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		die("seccomp(SECCOMP_SET_MODE_FILTER)", NULL);
}

static void fill_file(const char *path, const char *buf)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die("create", path);
	for (size_t done = 0; done < FILE_SIZE; done += BIG_CHUNK)
		if (write(fd, buf, BIG_CHUNK) != BIG_CHUNK)
			die("write", path);
	if (close(fd) < 0)
		die("close", path);
}

static void setup(struct bench *b, const char *parent)
{
	snprintf(b->dir, sizeof b->dir, "%s/syscall_cost.XXXXXX", parent);
	if (!mkdtemp(b->dir))
		die("mkdtemp", b->dir);
	snprintf(b->data_path, sizeof b->data_path, "%s/data", b->dir);
	snprintf(b->sink_path, sizeof b->sink_path, "%s/sink", b->dir);
	for (size_t i = 0; i < sizeof b->buf; i++)
		b->buf[i] = (char)('a' + i % 26);
	fill_file(b->data_path, b->buf);
	fill_file(b->sink_path, b->buf);
	b->data_fd = open(b->data_path, O_RDONLY);
	if (b->data_fd < 0)
		die("open", b->data_path);
	b->sink_fd = open(b->sink_path, O_WRONLY);
	if (b->sink_fd < 0)
		die("open", b->sink_path);
}

static void teardown(struct bench *b)
{
	close(b->data_fd);
	close(b->sink_fd);
	unlink(b->data_path);
	unlink(b->sink_path);
	rmdir(b->dir);
}

static void usage(FILE *to, int status)
{
	fputs("Usage: syscall_cost [-f] [-n MAX_ITERATIONS] [-t SECONDS] [-d DIR] [TEST...]\n"
	      "Time the Bypass Figure 6 calls; print per test: NAME TIMED_CALLS\n"
	      "NS_PER_CALL (median of 10 slices) NS_PER_CALL (mean of all).\n"
	      "  -f       first install a seccomp filter that allows every call\n"
	      "  -n N     at most N timed calls per test (default 100000)\n"
	      "  -t S     at most S seconds per test (default 1)\n"
	      "  -d DIR   make the scratch directory in DIR (default $TMPDIR or /tmp)\n"
	      "Tests (default: all, in this order):", to);
	for (size_t i = 0; i < NTESTS; i++)
		fprintf(to, " %s", tests[i].name);
	fputc('\n', to);
	exit(status);
}

static const struct test *test_named(const char *name)
{
	for (size_t i = 0; i < NTESTS; i++)
		if (strcmp(tests[i].name, name) == 0)
			return &tests[i];
	return NULL;
}

int main(int argc, char **argv)
{
	long max = 100000;
	double limit = 1.0;
	const char *parent = getenv("TMPDIR");
	if (!parent || !*parent)
		parent = "/tmp";
	bool allow_all_filter = false;
	int c;
	while ((c = getopt(argc, argv, "fn:t:d:h")) != -1) {
		char *end;
		switch (c) {
		case 'f':
			allow_all_filter = true;
			break;
		case 'n':
			max = strtol(optarg, &end, 10);
			if (*end || end == optarg || max < 1) {
				fprintf(stderr, "syscall_cost: -n: not a positive count: '%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			limit = strtod(optarg, &end);
			if (*end || end == optarg || !(limit > 0)) {
				fprintf(stderr, "syscall_cost: -t: not a positive number of seconds: '%s'\n", optarg);
				return 2;
			}
			break;
		case 'd':
			parent = optarg;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		default:
			usage(stderr, 2);
		}
	}
	const struct test *chosen[NTESTS * 4];
	size_t nchosen = 0;
	for (int i = optind; i < argc; i++) {
		const struct test *t = test_named(argv[i]);
		if (!t) {
			fprintf(stderr, "syscall_cost: unknown test '%s'\n", argv[i]);
			usage(stderr, 2);
		}
		if (nchosen == sizeof chosen / sizeof chosen[0]) {
			fprintf(stderr, "syscall_cost: too many tests\n");
			return 2;
		}
		chosen[nchosen++] = t;
	}
	if (nchosen == 0)
		for (size_t i = 0; i < NTESTS; i++)
			chosen[nchosen++] = &tests[i];

	if (allow_all_filter)
		install_allow_all_filter();
	static struct bench b;
	setup(&b, parent);
	int slices = max < SLICES ? (int)max : SLICES;
	for (size_t i = 0; i < nchosen; i++) {
		double elapsed, total_elapsed = 0, per_call[SLICES];
		long total = 0;
		/* Warm-up: caches, the page cache, a tracer's lazily built tables. */
		run_timed(chosen[i], &b, max / 100 + 1, limit / 10, &elapsed);
		for (int s = 0; s < slices; s++) {
			long n = run_timed(chosen[i], &b, max / slices, limit / slices, &elapsed);
			per_call[s] = elapsed * 1e9 / (double)n;
			total += n;
			total_elapsed += elapsed;
		}
		qsort(per_call, (size_t)slices, sizeof per_call[0], compare_doubles);
		double median = slices % 2 ? per_call[slices / 2]
					   : (per_call[slices / 2 - 1] + per_call[slices / 2]) / 2;
		printf("%s %ld %.1f %.1f\n", chosen[i]->name, total, median,
		       total_elapsed * 1e9 / (double)total);
		fflush(stdout);
	}
	teardown(&b);
	return 0;
}
