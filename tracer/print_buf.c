/* tracer/print_buf.c: see print_buf.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "tracer/print_buf.h"

void pb_reserve(struct pbuf *b, size_t more)
{
	if (b->len + more < b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (b->len + more >= cap)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (!s) {
		perror("splitrun: trace buffer");
		abort();
	}
	b->s = s;
	b->cap = cap;
}

void pb_free(struct pbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

void pb_printf(struct pbuf *b, const char *fmt, ...)
{
	va_list ap;
	pb_reserve(b, 64);
	va_start(ap, fmt);
	int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		pb_reserve(b, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void pb_udec(struct pbuf *b, uint64_t v)
{
	char tmp[24];
	int i = sizeof tmp;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	pb_putn(b, tmp + i, sizeof tmp - (size_t)i);
}

void pb_dec(struct pbuf *b, int64_t v)
{
	if (v < 0) {
		pb_putc(b, '-');
		pb_udec(b, -(uint64_t)v);
	} else {
		pb_udec(b, (uint64_t)v);
	}
}

void pb_hex(struct pbuf *b, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[20];
	int i = sizeof tmp;
	if (v == 0) {
		pb_putc(b, '0');
		return;
	}
	while (v) {
		tmp[--i] = digits[v & 15];
		v >>= 4;
	}
	tmp[--i] = 'x';
	tmp[--i] = '0';
	pb_putn(b, tmp + i, sizeof tmp - (size_t)i);
}

void pb_oct(struct pbuf *b, uint64_t v)
{
	char tmp[24];
	int i = sizeof tmp;
	if (v == 0) {
		pb_putc(b, '0');
		return;
	}
	while (v) {
		tmp[--i] = (char)('0' + (v & 7));
		v >>= 3;
	}
	tmp[--i] = '0';
	pb_putn(b, tmp + i, sizeof tmp - (size_t)i);
}

void pb_pad_to(struct pbuf *b, size_t from, size_t column)
{
	size_t col = b->len - from;
	if (col >= column)
		return;
	pb_reserve(b, column - col);
	memset(b->s + b->len, ' ', column - col);
	b->len += column - col;
}
