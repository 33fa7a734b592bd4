/* policy/lex.c: words of one policy line (policy/lex.h). */
#include <string.h>

#include "policy/lex.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

int lex_line(const char *line, size_t len, struct word *words, int *partial, struct lex_error *err)
{
	int n = 0;
	size_t i = 0;
	*partial = 0;
	for (;;) {
		while (i < len && is_blank(line[i]))
			i++;
		if (i >= len || line[i] == '#')
			return n;
		if (n == LEX_MAX_WORDS) {
			*err = (struct lex_error){ "too many words on one line", (int)i + 1 };
			*partial = n;
			return -1;
		}
		struct word *w = &words[n];
		size_t start = i;
		bool quoted = line[i] == '"';
		if (quoted)
			i++;
		for (;;) {
			if (i >= len) {
				if (quoted) {
					*err = (struct lex_error){ "unterminated quote: no closing '\"' on this line", (int)start + 1 };
					*partial = n;
					return -1;
				}
				break;
			}
			if (line[i] == '\\') {
				if (i + 1 >= len) {
					*err = (struct lex_error){ "'\\' at the end of a line escapes nothing", (int)i + 1 };
					*partial = n;
					return -1;
				}
				i += 2;
				continue;
			}
			if (quoted && line[i] == '"')
				break;
			if (!quoted && is_blank(line[i]))
				break;
			i++;
		}
		*w = (struct word){
			.raw = line + start,
			.text = line + start + quoted,
			.len = i - start - quoted,
			.col = (int)start + 1,
			.quoted = quoted,
		};
		if (quoted) {
			i++;
			if (i < len && !is_blank(line[i])) {
				*err = (struct lex_error){ "expected a blank after the closing '\"'", (int)i + 1 };
				*partial = n;
				return -1;
			}
		}
		w->raw_len = i - start;
		n++;
	}
}

size_t lex_unescape(const struct word *w, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < w->len; i++) {
		if (w->text[i] == '\\' && i + 1 < w->len)
			i++;
		out[o++] = w->text[i];
	}
	out[o] = 0;
	return o;
}

bool word_is(const struct word *w, const char *s)
{
	return w->len == strlen(s) && memcmp(w->text, s, w->len) == 0;
}
