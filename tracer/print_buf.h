/* tracer/print_buf.h: the growable line buffer every trace line is formatted
 * into before one write. It grows by doubling and is reused, so a steady
 * trace makes no allocation per call. */
#ifndef SPLITRUN_TRACER_PRINT_BUF_H
#define SPLITRUN_TRACER_PRINT_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pbuf {
	char *s;
	size_t len, cap;
};

void pb_reserve(struct pbuf *b, size_t more);
void pb_free(struct pbuf *b);
__attribute__((format(printf, 2, 3)))
void pb_printf(struct pbuf *b, const char *fmt, ...);
void pb_dec(struct pbuf *b, int64_t v);
void pb_udec(struct pbuf *b, uint64_t v);
/* 0x... ("0" for zero, like printf's %#lx). */
void pb_hex(struct pbuf *b, uint64_t v);
/* Octal with a leading 0 ("0644", "0" for zero). */
void pb_oct(struct pbuf *b, uint64_t v);
/* Pads with spaces up to COLUMN counted from byte FROM of the buffer. */
void pb_pad_to(struct pbuf *b, size_t from, size_t column);

static inline void pb_putc(struct pbuf *b, char c)
{
	if (b->len + 1 >= b->cap)
		pb_reserve(b, 1);
	b->s[b->len++] = c;
}

static inline void pb_putn(struct pbuf *b, const char *s, size_t n)
{
	if (b->len + n >= b->cap)
		pb_reserve(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
}

static inline void pb_puts(struct pbuf *b, const char *s)
{
	pb_putn(b, s, strlen(s));
}

#endif
