/* policy/lex.h: splits one line of a policy file into words.
 *
 * Words are separated by blanks (spaces, tabs). A word that starts with '"'
 * runs to the next unescaped '"' and may hold blanks. A backslash makes the
 * next character part of the word (so "\ " is a blank inside a word); the
 * backslash itself is kept in the word's text, for the glob compiler to see.
 * A '#' that starts a word starts a comment to the end of the line. */
#ifndef SPLITRUN_POLICY_LEX_H
#define SPLITRUN_POLICY_LEX_H

#include <stdbool.h>
#include <stddef.h>

#define LEX_MAX_WORDS 32

struct word {
	const char *raw;    /* as written, quotes included */
	size_t raw_len;
	const char *text;   /* quotes removed, escapes kept */
	size_t len;
	int col;            /* 1-based byte column of raw */
	bool quoted;
};

struct lex_error {
	const char *message;
	int col;
};

/* Splits LINE (LEN bytes, no newline) into at most LEX_MAX_WORDS words.
 * Returns the number of words, or -1 with ERR set (words before the error
 * are still in WORDS, and the count of them in *PARTIAL). */
int lex_line(const char *line, size_t len, struct word *words, int *partial, struct lex_error *err);

/* Writes WORD's text without its escapes to OUT (room for word->len + 1
 * bytes) and returns the length; OUT is NUL-terminated. */
size_t lex_unescape(const struct word *w, char *out);

/* Does W spell exactly S (quotes aside)? */
bool word_is(const struct word *w, const char *s);

#endif
