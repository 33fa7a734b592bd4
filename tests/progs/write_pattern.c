/* tests/progs/write_pattern.c: a guest that writes a file and says exactly
 * what it was told (split_faults.bats kills the shadow under it).
 *
 *   write_pattern FILE SIZE CHUNK SYNC_EVERY PACE_US
 *       creates FILE (O_TRUNC) and writes SIZE bytes of the pattern in writes
 *       of CHUNK bytes, an fsync after every SYNC_EVERY bytes (0: none) and
 *       one at the end when SYNC_EVERY is given, PACE_US microseconds of
 *       sleep after each write; then closes it. Each step it was told
 *       succeeded is a line on stdout: "opened", "synced N" (the first N
 *       bytes are stored, said fsync), "done" (every call succeeded). The
 *       first failure is "error CALL errno E at N" (N bytes written), after
 *       which only the close is tried. Exit 0 when every call succeeded.
 *   write_pattern --pattern SIZE
 *       writes the first SIZE bytes of the pattern to stdout.
 *
 * The pattern names its offset (each 8-byte word is a hash of its index),
 * so a chunk stored in the wrong place, twice or from another run is seen. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint8_t pattern_byte(uint64_t i)
{
	uint64_t z = i / 8 + 0x9e3779b97f4a7c15u;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	z ^= z >> 31;
	return (uint8_t)(z >> (8 * (i % 8)));
}

static void fill(uint8_t *buf, uint64_t off, size_t n)
{
	for (size_t k = 0; k < n; k++)
		buf[k] = pattern_byte(off + k);
}

/* One line, in one write: what the test reads must not interleave. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > 0 && write(1, line, (size_t)n) < 0)
		_exit(3);
}

static uint64_t number(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || end == s) {
		fprintf(stderr, "write_pattern: %s: not a number: %s\n", what, s);
		exit(2);
	}
	return v;
}

static int print_pattern(uint64_t size)
{
	static uint8_t buf[1 << 16];
	for (uint64_t off = 0; off < size;) {
		size_t n = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;
		fill(buf, off, n);
		if (fwrite(buf, 1, n, stdout) != n)
			return 1;
		off += n;
	}
	return fflush(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--pattern") == 0)
		return print_pattern(number(argv[2], "SIZE"));
	if (argc != 6) {
		fprintf(stderr, "usage: write_pattern FILE SIZE CHUNK SYNC_EVERY PACE_US | --pattern SIZE\n");
		return 2;
	}
	uint64_t size = number(argv[2], "SIZE"), chunk = number(argv[3], "CHUNK");
	uint64_t sync_every = number(argv[4], "SYNC_EVERY"), pace_us = number(argv[5], "PACE_US");
	if (chunk == 0 || chunk > (64u << 20)) {
		fprintf(stderr, "write_pattern: CHUNK must be 1 to 64 MiB\n");
		return 2;
	}
	uint8_t *buf = malloc(chunk);
	if (!buf)
		return 2;
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		say("error open errno %d at 0\n", errno);
		return 1;
	}
	say("opened\n");
	const char *failed = NULL;
	int err = 0;
	uint64_t off = 0, last_sync = 0;
	while (off < size && !failed) {
		size_t n = size - off < chunk ? (size_t)(size - off) : (size_t)chunk;
		fill(buf, off, n);
		ssize_t w = write(fd, buf, n);
		if (w < 0) {
			failed = "write";
			err = errno;
			break;
		}
		off += (uint64_t)w;   /* a short write goes on from where it stopped */
		if (sync_every && (off - last_sync >= sync_every || off == size)) {
			if (fsync(fd) < 0) {
				failed = "fsync";
				err = errno;
				break;
			}
			last_sync = off;
			say("synced %llu\n", (unsigned long long)off);
		}
		if (pace_us)
			nanosleep(&(struct timespec){ (time_t)(pace_us / 1000000), (long)(pace_us % 1000000) * 1000 }, NULL);
	}
	if (failed)
		say("error %s errno %d at %llu\n", failed, err, (unsigned long long)off);
	if (close(fd) < 0 && !failed) {
		failed = "close";
		say("error close errno %d at %llu\n", errno, (unsigned long long)off);
	}
	free(buf);
	if (failed)
		return 1;
	say("done\n");
	return 0;
}
