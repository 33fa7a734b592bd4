/* tests/unit/doc_blocks.h: reads the worked examples of a document in the
 * tree (docs/wire-format.md), so that a test fails when an example and the
 * code differ. A block is the fenced code block after a marker line
 * ("<!-- golden NAME -->", "<!-- vectors NAME -->"). */
#ifndef SPLITRUN_TESTS_DOC_BLOCKS_H
#define SPLITRUN_TESTS_DOC_BLOCKS_H

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The document docs/NAME of the tree this test was built from, read whole
 * (a static buffer), or NULL. */
__attribute__((unused))
static const char *doc_read(const char *name)
{
	static char doc[1 << 18];
	char exe[PATH_MAX], path[2 * PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	/* build/VARIANT/tests/unit/TEST -> the tree's docs/ */
	snprintf(path, sizeof path, "%s/../../../../docs/%s", dirname(exe), name);
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(path, sizeof path, "docs/%s", name);
		f = fopen(path, "r");
	}
	if (!f)
		return NULL;
	size_t len = fread(doc, 1, sizeof doc - 1, f);
	doc[len] = 0;
	fclose(f);
	return doc;
}

/* The block after marker, as the lines between its fences (malloc'd), or
 * NULL. */
__attribute__((unused))
static char *doc_block_text(const char *doc, const char *marker)
{
	const char *p = strstr(doc, marker);
	if (!p || !(p = strstr(p, "```")) || !(p = strchr(p, '\n')))
		return NULL;
	const char *end = strstr(++p, "```");
	if (!end)
		return NULL;
	char *out = calloc(1, (size_t)(end - p) + 1);
	memcpy(out, p, (size_t)(end - p));
	return out;
}

/* The golden block NAME: each line's leading hex digits, joined. */
__attribute__((unused))
static char *doc_golden(const char *doc, const char *name)
{
	char marker[64];
	snprintf(marker, sizeof marker, "<!-- golden %s -->", name);
	char *text = doc_block_text(doc, marker);
	if (!text)
		return NULL;
	char *o = text;
	for (const char *line = text; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line))
		for (const char *c = line; *c && strchr("0123456789abcdef", *c); c++)
			*o++ = *c;
	*o = 0;
	return text;
}

/* In the vectors block NAME, the value of the line "KEY VALUE" (a static
 * buffer), or NULL. */
__attribute__((unused))
static const char *doc_vector(const char *doc, const char *name, const char *key)
{
	static char value[512];
	char marker[64];
	snprintf(marker, sizeof marker, "<!-- vectors %s -->", name);
	char *text = doc_block_text(doc, marker);
	const char *found = NULL;
	size_t kl = strlen(key);
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if (!strncmp(line, key, kl) && (line[kl] == ' ' || line[kl] == '\t')) {
			const char *v = line + kl;
			while (*v == ' ' || *v == '\t')
				v++;
			snprintf(value, sizeof value, "%s", v);
			found = value;
			break;
		}
		line = nl ? nl + 1 : line + strlen(line);
	}
	free(text);
	return found;
}

#endif
