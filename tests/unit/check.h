/* tests/unit/check.h: a TAP producer for the C unit tests. Each CHECK prints
 * "ok N - what" or "not ok N - what" with the place and the values that
 * differed; check_done() prints the plan and gives main's exit status. */
#ifndef SPLITRUN_TESTS_CHECK_H
#define SPLITRUN_TESTS_CHECK_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int check_count, check_failures;

#define CHECK(cond, ...) check_report(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)

#define CHECK_EQ_INT(got, want, ...) do { \
	long long got_ = (long long)(got), want_ = (long long)(want); \
	if (!CHECK(got_ == want_, __VA_ARGS__)) \
		printf("#   got %lld, want %lld\n", got_, want_); \
} while (0)

#define CHECK_EQ_STR(got, want, ...) do { \
	const char *got_ = (got), *want_ = (want); \
	if (!CHECK(got_ && want_ && strcmp(got_, want_) == 0, __VA_ARGS__)) \
		printf("#   got \"%s\"\n#  want \"%s\"\n", got_ ? got_ : "(null)", want_ ? want_ : "(null)"); \
} while (0)

__attribute__((format(printf, 5, 6), unused))
static int check_report(int ok, const char *file, int line, const char *expr, const char *fmt, ...)
{
	va_list ap;
	check_count++;
	printf("%sok %d - ", ok ? "" : "not ", check_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok) {
		check_failures++;
		printf("#   failed at %s:%d: %s\n", file, line, expr);
	}
	fflush(stdout);
	return ok;
}

__attribute__((unused))
static int check_done(void)
{
	printf("1..%d\n", check_count);
	return check_failures ? 1 : 0;
}

#endif
