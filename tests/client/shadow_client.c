/* tests/client/shadow_client.c: drives a splitrun-shadow from a script and
 * prints every result in a canonical, machine-independent form, so the same
 * script run against two shadows (x86_64 and aarch64) must print the same
 * text; or runs a concurrent stress load that checks every result against a
 * model. Built from rpc/ only, like an agent.
 *
 *   shadow_client ADDR:PORT [--key FILE [--user NAME]] [--check] SCRIPT      (SCRIPT "-" is stdin)
 *   shadow_client ADDR:PORT [--key FILE [--user NAME]] --stress SESSIONS OPS [--model DIR] [--keep-open]
 *
 * With --key every session authenticates with that key (claiming user
 * NAME) and its frames are sealed, as splitrun --key does.
 *
 * Script: one command per line; "#" starts a comment. A line is
 *   [$var =] COMMAND ARGS... [=> EXPECTED | =~ GLOB]
 * and prints "COMMAND ARGS => RESULT". With --check, a RESULT that differs
 * from EXPECTED (or does not match GLOB, fnmatch(3)) is reported on stderr
 * with its line number and the exit status is 1.
 *
 * Arguments: integers (42, -1, 0x10, 0644), canonical names joined by "|"
 * (O_RDONLY|O_DIRECTORY, AT_SYMLINK_NOFOLLOW, SEEK_SET, UTIME_NOW, ...),
 * $var, CWD (the session's cwd as a directory handle), #K (in a compound:
 * the result of its K-th op), "quoted strings" with C escapes. A path is
 * PATH (relative to the cwd) or $h:PATH (relative to handle $h; $h: alone is
 * the empty path). ${NAME} is replaced by the environment's NAME.
 *
 * Results: a number; an errno name (ENOENT); for reads N "data"; for stats
 * type=reg mode=0644 nlink=1 uid=0 gid=0 size=5 (no size for directories, which
 * depends on the filesystem; plus what @show adds: ino
 * and dev as labels #1, #2 in order of appearance, blocks, times as "now"
 * or SEC.NSEC); for getdents N [name:type ...] sorted by name.
 *
 * Directives: @session NAME (switch, connecting if new; "main" is the first),
 * @drop NAME (close the connection without closing handles), @raw NAME
 * (connect without handshake), @hello NAME [MAGIC [VERSION]], @send NAME
 * TOKENS (i64:N str:TEXT hex:HEX), @sendframe NAME TAG OP TOKENS (length
 * prepended), @shutdown NAME (no more writes), @recv NAME, @expect-close NAME,
 * @show FIELDS, @sleep MS, @echo TEXT, @peer (the shadow's handshake: its
 * architecture, protocol version, features). An op line ending in "&" is sent
 * without waiting ("pending"); @pending NAME says whether its reply has come,
 * @await NAME prints it (within 10 s). */
#include "rpc/auth.h"
#include "rpc/canon.h"
#include "rpc/client.h"
#include "rpc/wire.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *shadow_addr;
static struct rpc_key ident_key;
static struct rpc_identity ident;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("shadow_client: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* ---- growable output string ---- */

struct str {
	char *p;
	size_t len, cap;
};

static void sappend(struct str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sappend(struct str *s, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = s->cap - s->len;
		va_start(ap, fmt);
		int n = vsnprintf(s->p ? s->p + s->len : NULL, s->p ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (s->p && (size_t)n < room) {
			s->len += (size_t)n;
			return;
		}
		size_t cap = s->cap ? s->cap : 256;
		while (cap < s->len + (size_t)n + 1)
			cap *= 2;
		s->p = realloc(s->p, cap);
		if (!s->p)
			die("out of memory");
		s->cap = cap;
	}
}

static void squoted(struct str *s, const uint8_t *p, size_t n)
{
	sappend(s, "\"");
	for (size_t k = 0; k < n; k++) {
		uint8_t c = p[k];
		if (c == '"' || c == '\\')
			sappend(s, "\\%c", c);
		else if (c == '\n')
			sappend(s, "\\n");
		else if (c == '\t')
			sappend(s, "\\t");
		else if (c < 32 || c >= 127)
			sappend(s, "\\x%02x", c);
		else
			sappend(s, "%c", c);
	}
	sappend(s, "\"");
}

/* Long data is shown by length and FNV-1a hash, short data as text. */
static void sdata(struct str *s, const uint8_t *p, size_t n)
{
	if (n <= 96) {
		squoted(s, p, n);
		return;
	}
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t k = 0; k < n; k++)
		h = (h ^ p[k]) * 0x100000001b3ull;
	sappend(s, "fnv1a:%016" PRIx64, h);
}

/* ---- canonical names ---- */

static bool lookup_name(const char *name, int64_t *v)
{
	static const struct { const char *name; int64_t v; } extra[] = {
		{ "CLOCK_REALTIME", 0 }, { "CWD", RPC_HANDLE_CWD }, { "NULL", -1 },
	};
	for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++)
		if (!strcmp(extra[k].name, name)) {
			*v = extra[k].v;
			return true;
		}
	for (const struct canon_table *const *t = canon_tables; *t; t++) {
		for (size_t k = 0; k < (*t)->count; k++)
			if (!strcmp((*t)->entries[k].name, name)) {
				*v = (*t)->entries[k].canon;
				return true;
			}
		for (size_t k = 0; k < (*t)->field_count; k++)
			if (!strcmp((*t)->field_entries[k].name, name)) {
				*v = (*t)->field_entries[k].canon;
				return true;
			}
	}
	return false;
}

static const char *errno_str(int64_t result, char *buf, size_t size)
{
	const char *n = canon_errno_name(-result);
	if (n)
		return n;
	snprintf(buf, size, "E?%lld", (long long)-result);
	return buf;
}

/* ---- script state ---- */

struct conn {
	char name[32];
	struct rpc_conn c;
	bool raw, dead;
	int64_t pending_tag, pending_op;   /* a request sent with "&" */
};

#define MAX_CONNS 64
#define MAX_VARS 128

struct script {
	const char *file;
	int line;
	struct conn conns[MAX_CONNS];
	int nconns, cur;
	struct { char name[32]; int64_t v; } vars[MAX_VARS];
	int nvars;
	bool show_ino, show_dev, show_blocks, show_times, show_mask, show_rdev;
	int nlabels[2];   /* ino labels, dev labels (separate numbering) */
	int64_t label_keys[2][256][3];
	bool in_compound;
};

static struct script S;

static void parse_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void parse_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "shadow_client: %s:%d: ", S.file, S.line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static int64_t *var_slot(const char *name, bool create)
{
	for (int k = 0; k < S.nvars; k++)
		if (!strcmp(S.vars[k].name, name))
			return &S.vars[k].v;
	if (!create)
		parse_error("unknown variable $%s", name);
	if (S.nvars == MAX_VARS || strlen(name) >= sizeof S.vars[0].name)
		parse_error("too many variables or name too long");
	snprintf(S.vars[S.nvars].name, sizeof S.vars[0].name, "%s", name);
	S.vars[S.nvars].v = 0;
	return &S.vars[S.nvars++].v;
}

/* ---- tokens ---- */

struct tok {
	char *text;     /* unquoted text (C escapes decoded) */
	size_t len;
	bool quoted;
};

#define MAX_TOKS 128

/* Splits a line into tokens; quoted tokens keep embedded NULs via len. */
static int tokenize(char *line, struct tok *t, int max)
{
	int n = 0;
	char *p = line;
	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (n == max)
			parse_error("too many tokens");
		if (*p == '"' || (p[0] == '$' && strchr(p, ':') && strchr(p, ':')[1] == '"' &&
				  !memchr(p, ' ', (size_t)(strchr(p, ':') - p)))) {
			/* "..." or $h:"..." */
			char *out = p, *start = p;
			size_t prefix = 0;
			if (*p == '$') {
				prefix = (size_t)(strchr(p, ':') - p) + 1;
				p += prefix;
				out = p;
			}
			p++;
			char *w = out;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1]) {
					p++;
					switch (*p) {
					case 'n': *w++ = '\n'; p++; break;
					case 't': *w++ = '\t'; p++; break;
					case '0': *w++ = 0; p++; break;
					case 'x': {
						unsigned v;
						if (sscanf(p + 1, "%2x", &v) != 1)
							parse_error("bad \\x escape");
						*w++ = (char)v;
						p += 3;
						break;
					}
					default: *w++ = *p++; break;
					}
				} else {
					*w++ = *p++;
				}
			}
			if (*p != '"')
				parse_error("unterminated string");
			p++;
			t[n].text = start;
			t[n].len = prefix + (size_t)(w - out);
			/* Move the decoded text right after the prefix. */
			memmove(start + prefix, out, (size_t)(w - out));
			t[n].quoted = true;
			if (*p && !isspace((unsigned char)*p))
				parse_error("text right after a string");
			if (*p)
				*p++ = 0;
			start[t[n].len] = 0;
			n++;
			continue;
		}
		t[n].text = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		t[n].len = (size_t)(p - t[n].text);
		t[n].quoted = false;
		if (*p)
			*p++ = 0;
		n++;
	}
	return n;
}

static int64_t parse_int(const struct tok *t)
{
	if (t->quoted)
		parse_error("'%s': a number is wanted, not a string", t->text);
	const char *s = t->text;
	if (s[0] == '$')
		return *var_slot(s + 1, false);
	if (s[0] == '#') {
		if (!S.in_compound)
			parse_error("#K is for compounds only");
		return RPC_REF(atoi(s + 1));
	}
	int64_t v = 0;
	char buf[256];
	snprintf(buf, sizeof buf, "%s", s);
	for (char *part = strtok(buf, "|"); part; part = strtok(NULL, "|")) {
		int64_t x;
		char *end;
		if (isdigit((unsigned char)part[0]) || part[0] == '-') {
			errno = 0;
			x = strtoll(part, &end, 0);
			if (*end || errno)
				parse_error("bad number '%s'", part);
		} else if (!lookup_name(part, &x)) {
			parse_error("unknown name '%s'", part);
		}
		v |= x;
	}
	return v;
}

/* ---- argument building ---- */

struct args {
	struct rpc_val v[512];
	size_t n;
};

static void add_int(struct args *a, int64_t x)
{
	a->v[a->n++] = rpc_int(x);
}

static void add_buf(struct args *a, const struct tok *t)
{
	a->v[a->n++] = rpc_buf(t->text, t->len);
}

/* PATH or $h:PATH -> dirh, path. */
static void add_path(struct args *a, const struct tok *t)
{
	const char *s = t->text;
	size_t len = t->len;
	int64_t dirh = RPC_HANDLE_CWD;
	if (s[0] == '$' && memchr(s, ':', len)) {
		const char *colon = memchr(s, ':', len);
		char name[32];
		size_t nl = (size_t)(colon - s - 1);
		if (nl >= sizeof name)
			parse_error("variable name too long");
		memcpy(name, s + 1, nl);
		name[nl] = 0;
		dirh = !strcmp(name, "CWD") ? RPC_HANDLE_CWD : *var_slot(name, false);
		len -= (size_t)(colon + 1 - s);
		s = colon + 1;
	}
	add_int(a, dirh);
	a->v[a->n++] = rpc_buf(s, len);
}

struct cmd {
	const char *name;
	int op;
	const char *spec;   /* P path, I int, S string, i optional int (0), L int list, B string list */
	int nextra;         /* fixed values appended after the script's */
	int64_t extra[2];
};

#define CANON_AT_NOFOLLOW CANON_AT_SYMLINK_NOFOLLOW
static const struct cmd cmds[] = {
	{ "null", RPC_OP_NULL, "", 0, { 0 } },
	{ "open", RPC_OP_OPEN, "PIiii", 0, { 0 } },
	{ "close", RPC_OP_CLOSE, "I", 0, { 0 } },
	{ "dup", RPC_OP_DUP, "I", 0, { 0 } },
	{ "read", RPC_OP_READ, "II", 0, { 0 } },
	{ "pread", RPC_OP_PREAD, "III", 0, { 0 } },
	{ "readv", RPC_OP_READV, "IL", 0, { 0 } },
	{ "write", RPC_OP_WRITE, "IS", 0, { 0 } },
	{ "pwrite", RPC_OP_PWRITE, "ISI", 0, { 0 } },
	{ "writev", RPC_OP_WRITEV, "IB", 0, { 0 } },
	{ "lseek", RPC_OP_LSEEK, "III", 0, { 0 } },
	{ "fstat", RPC_OP_FSTAT, "I", 0, { 0 } },
	{ "stat", RPC_OP_FSTATAT, "Pi", 0, { 0 } },
	{ "lstat", RPC_OP_FSTATAT, "P", 1, { CANON_AT_NOFOLLOW } },
	{ "statx", RPC_OP_STATX, "PII", 0, { 0 } },
	{ "access", RPC_OP_FACCESSAT, "PIi", 0, { 0 } },
	{ "readlink", RPC_OP_READLINK, "Pd", 0, { 0 } },
	{ "getdents", RPC_OP_GETDENTS, "Ie", 0, { 0 } },
	{ "mkdir", RPC_OP_MKDIR, "PIi", 0, { 0 } },
	{ "rmdir", RPC_OP_UNLINK, "P", 1, { CANON_AT_REMOVEDIR } },
	{ "unlink", RPC_OP_UNLINK, "Pi", 0, { 0 } },
	{ "rename", RPC_OP_RENAME, "PPi", 0, { 0 } },
	{ "link", RPC_OP_LINK, "PPi", 0, { 0 } },
	{ "symlink", RPC_OP_SYMLINK, "SP", 0, { 0 } },
	{ "chmod", RPC_OP_CHMOD, "PIi", 0, { 0 } },
	{ "fchmod", RPC_OP_FCHMOD, "II", 0, { 0 } },
	{ "chown", RPC_OP_CHOWN, "PIIi", 0, { 0 } },
	{ "lchown", RPC_OP_CHOWN, "PII", 1, { CANON_AT_NOFOLLOW } },
	{ "fchown", RPC_OP_FCHOWN, "III", 0, { 0 } },
	{ "truncate", RPC_OP_TRUNCATE, "PI", 0, { 0 } },
	{ "ftruncate", RPC_OP_FTRUNCATE, "II", 0, { 0 } },
	{ "fsync", RPC_OP_FSYNC, "I", 1, { 0 } },
	{ "fdatasync", RPC_OP_FSYNC, "I", 1, { 1 } },
	{ "utimens", RPC_OP_UTIMENS, "PIIIIi", 0, { 0 } },
	{ "futimens", RPC_OP_UTIMENS, "FIIII", 1, { CANON_AT_EMPTY_PATH } },
	{ "statfs", RPC_OP_STATFS, "P", 0, { 0 } },
	{ "fstatfs", RPC_OP_FSTATFS, "I", 0, { 0 } },
	{ "lock", RPC_OP_LOCK, "IIIIII", 1, { 0 } },
	{ "flock", RPC_OP_FLOCK, "II", 0, { 0 } },
	{ "fallocate", RPC_OP_FALLOCATE, "IIII", 0, { 0 } },
	{ "copy_range", RPC_OP_COPY_RANGE, "IIIIIi", 0, { 0 } },
	{ "chdir", RPC_OP_CHDIR, "P", 0, { 0 } },
	{ "fchdir", RPC_OP_FCHDIR, "I", 0, { 0 } },
	{ "getcwd", RPC_OP_GETCWD, "", 0, { 0 } },
	{ "uname", RPC_OP_UNAME, "", 0, { 0 } },
	{ "gethostname", RPC_OP_GETHOSTNAME, "", 0, { 0 } },
	{ "ids", RPC_OP_IDS, "", 0, { 0 } },
	{ "clock", RPC_OP_CLOCK_GETTIME, "i", 0, { 0 } },
};

static const struct cmd *find_cmd(const char *name)
{
	for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
		if (!strcmp(cmds[k].name, name))
			return &cmds[k];
	return NULL;
}

/* Builds the wire values of one command from tokens t[0..n) (t[0] is the
 * command name). */
static const struct cmd *build(struct tok *t, int n, struct args *a)
{
	const struct cmd *c = find_cmd(t[0].text);
	if (!c)
		parse_error("unknown command '%s'", t[0].text);
	int k = 1;
	for (const char *sp = c->spec; *sp; sp++) {
		bool have = k < n;
		switch (*sp) {
		case 'P':
			if (!have)
				parse_error("%s: a path is missing", c->name);
			add_path(a, &t[k++]);
			break;
		case 'F':   /* a handle standing for an empty path */
			if (!have)
				parse_error("%s: a handle is missing", c->name);
			add_int(a, parse_int(&t[k++]));
			a->v[a->n++] = rpc_buf("", 0);
			break;
		case 'I':
			if (!have)
				parse_error("%s: an argument is missing", c->name);
			add_int(a, parse_int(&t[k++]));
			break;
		case 'i':
			add_int(a, have ? parse_int(&t[k++]) : 0);
			break;
		case 'd':
			add_int(a, have ? parse_int(&t[k++]) : 4096);
			break;
		case 'e':
			add_int(a, have ? parse_int(&t[k++]) : RPC_MAX_DIRENTS);
			break;
		case 'S':
			if (!have)
				parse_error("%s: a string is missing", c->name);
			add_buf(a, &t[k++]);
			break;
		case 'L':
			add_int(a, n - k);
			while (k < n)
				add_int(a, parse_int(&t[k++]));
			break;
		case 'B':
			add_int(a, n - k);
			while (k < n)
				add_buf(a, &t[k++]);
			break;
		}
	}
	if (k < n)
		parse_error("%s: too many arguments", c->name);
	for (int x = 0; x < c->nextra; x++)
		add_int(a, c->extra[x]);
	return c;
}

/* ---- results ---- */

static const char *type_name(int64_t canon_mode)
{
	switch (canon_mode & CANON_S_IFMT) {
	case CANON_S_IFREG: return "reg";
	case CANON_S_IFDIR: return "dir";
	case CANON_S_IFLNK: return "lnk";
	case CANON_S_IFIFO: return "fifo";
	case CANON_S_IFCHR: return "chr";
	case CANON_S_IFBLK: return "blk";
	case CANON_S_IFSOCK: return "sock";
	default: return "none";
	}
}

static const char *dirent_type_name(int64_t t)
{
	switch (t) {
	case CANON_DT_REG: return "reg";
	case CANON_DT_DIR: return "dir";
	case CANON_DT_LNK: return "lnk";
	case CANON_DT_FIFO: return "fifo";
	case CANON_DT_CHR: return "chr";
	case CANON_DT_BLK: return "blk";
	case CANON_DT_SOCK: return "sock";
	case CANON_DT_WHT: return "wht";
	default: return "unknown";
	}
}

static int label(int which, int64_t a, int64_t b, int64_t c)
{
	for (int k = 0; k < S.nlabels[which]; k++)
		if (S.label_keys[which][k][0] == a && S.label_keys[which][k][1] == b && S.label_keys[which][k][2] == c)
			return k + 1;
	if (S.nlabels[which] == 256)
		return 0;
	int k = S.nlabels[which]++;
	S.label_keys[which][k][0] = a;
	S.label_keys[which][k][1] = b;
	S.label_keys[which][k][2] = c;
	return k + 1;
}

static void stime(struct str *o, const char *name, int64_t sec, int64_t nsec)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	if (llabs(sec - (int64_t)now.tv_sec) <= 10)
		sappend(o, " %s=now", name);
	else
		sappend(o, " %s=%lld.%09lld", name, (long long)sec, (long long)nsec);
}

static void sstat(struct str *o, const struct rpc_val *v)
{
	enum { MASK, DEVMAJ, DEVMIN, INO, MODE, NLINK, UID, GID, RDEVMAJ, RDEVMIN, SIZE, BLKSIZE, BLOCKS,
	       ASEC, ANSEC, MSEC, MNSEC, CSEC, CNSEC, BSEC, BNSEC };
	sappend(o, "type=%s mode=%04llo nlink=%lld uid=%lld gid=%lld", type_name(v[MODE].i),
		(long long)(v[MODE].i & 07777), (long long)v[NLINK].i, (long long)v[UID].i, (long long)v[GID].i);
	/* A directory's size depends on the filesystem, not on the shadow. */
	if ((v[MODE].i & CANON_S_IFMT) != CANON_S_IFDIR)
		sappend(o, " size=%lld", (long long)v[SIZE].i);
	if (S.show_rdev)
		sappend(o, " rdev=%lld:%lld", (long long)v[RDEVMAJ].i, (long long)v[RDEVMIN].i);
	if (S.show_ino)
		sappend(o, " ino=#%d", label(0, v[DEVMAJ].i, v[DEVMIN].i, v[INO].i));
	if (S.show_dev)
		sappend(o, " dev=#%d", label(1, v[DEVMAJ].i, v[DEVMIN].i, 0));
	if (S.show_blocks)
		sappend(o, " blocks=%lld", (long long)v[BLOCKS].i);
	if (S.show_times) {
		stime(o, "atime", v[ASEC].i, v[ANSEC].i);
		stime(o, "mtime", v[MSEC].i, v[MNSEC].i);
		stime(o, "ctime", v[CSEC].i, v[CNSEC].i);
	}
	if (S.show_mask)
		sappend(o, " mask=%#llx", (long long)v[MASK].i);
}

struct dent {
	const char *name;
	size_t len;
	int64_t type;
};

static int dent_cmp(const void *x, const void *y)
{
	const struct dent *a = x, *b = y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->name, b->name, n);
	return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* Formats the values of one op's result. Returns how many values it used. */
static size_t format_result(struct str *o, int64_t op, int64_t result, const struct rpc_val *v, size_t nv)
{
	char eb[32];
	if (result < 0) {
		sappend(o, "%s", errno_str(result, eb, sizeof eb));
		return 0;
	}
	switch (op) {
	case RPC_OP_READ: case RPC_OP_PREAD: case RPC_OP_READV: case RPC_OP_READLINK:
		if (nv < 1)
			break;
		sappend(o, "%lld ", (long long)result);
		sdata(o, v[0].p, (size_t)v[0].i);
		return 1;
	case RPC_OP_FSTAT: case RPC_OP_FSTATAT: case RPC_OP_STATX:
		if (nv < RPC_STAT_FIELDS)
			break;
		sstat(o, v);
		return RPC_STAT_FIELDS;
	case RPC_OP_STATFS: case RPC_OP_FSTATFS:
		if (nv < RPC_STATFS_FIELDS)
			break;
		/* type, bsize, blocks, bfree, bavail, files, ffree, fsid0, fsid1, namelen, frsize, flags */
		sappend(o, "type=%#llx bsize=%lld namelen=%lld blocks=%s", (long long)v[0].i, (long long)v[1].i,
			(long long)v[9].i, v[2].i > 0 ? "some" : "none");
		return RPC_STATFS_FIELDS;
	case RPC_OP_GETDENTS: {
		if (nv < 1)
			break;
		size_t count = (size_t)v[0].i;
		if (nv < 1 + 4 * count)
			break;
		struct dent *d = calloc(count ? count : 1, sizeof *d);
		for (size_t k = 0; k < count; k++) {
			d[k].type = v[1 + 4 * k + 2].i;
			d[k].name = (const char *)v[1 + 4 * k + 3].p;
			d[k].len = (size_t)v[1 + 4 * k + 3].i;
		}
		qsort(d, count, sizeof *d, dent_cmp);
		sappend(o, "%lld [", (long long)result);
		for (size_t k = 0; k < count; k++)
			sappend(o, "%s%.*s:%s", k ? " " : "", (int)d[k].len, d[k].name, dirent_type_name(d[k].type));
		sappend(o, "]");
		free(d);
		return 1 + 4 * count;
	}
	case RPC_OP_LOCK: {
		if (nv < RPC_FLOCK_FIELDS)
			break;
		const char *tn = v[0].i == CANON_F_RDLCK ? "F_RDLCK" : v[0].i == CANON_F_WRLCK ? "F_WRLCK"
				 : v[0].i == CANON_F_UNLCK ? "F_UNLCK" : "?";
		const char *wn = v[1].i == CANON_SEEK_SET ? "SEEK_SET" : v[1].i == CANON_SEEK_CUR ? "SEEK_CUR"
				 : v[1].i == CANON_SEEK_END ? "SEEK_END" : "?";
		sappend(o, "type=%s whence=%s start=%lld len=%lld pid=", tn, wn, (long long)v[2].i, (long long)v[3].i);
		if (v[4].i > 0)
			sappend(o, "some");
		else
			sappend(o, "%lld", (long long)v[4].i);
		return RPC_FLOCK_FIELDS;
	}
	case RPC_OP_GETCWD:
		if (nv < 1)
			break;
		sappend(o, "%.*s", (int)v[0].i, (const char *)v[0].p);
		return 1;
	case RPC_OP_GETHOSTNAME:
		if (nv < 1)
			break;
		sappend(o, "%.*s", (int)v[0].i, (const char *)v[0].p);
		return 1;
	case RPC_OP_UNAME:
		if (nv < RPC_UTS_FIELDS)
			break;
		sappend(o, "sysname=%.*s nodename=%.*s release=%.*s machine=%.*s", (int)v[0].i, (const char *)v[0].p,
			(int)v[1].i, (const char *)v[1].p, (int)v[2].i, (const char *)v[2].p, (int)v[4].i,
			(const char *)v[4].p);
		return RPC_UTS_FIELDS;
	case RPC_OP_IDS: {
		if (nv < 5 || nv < 5 + (size_t)v[4].i)
			break;
		sappend(o, "uid=%lld euid=%lld gid=%lld egid=%lld groups=", (long long)v[0].i, (long long)v[1].i,
			(long long)v[2].i, (long long)v[3].i);
		for (int64_t k = 0; k < v[4].i; k++)
			sappend(o, "%s%lld", k ? "," : "", (long long)v[5 + k].i);
		if (v[4].i == 0)
			sappend(o, "none");
		return 5 + (size_t)v[4].i;
	}
	case RPC_OP_CLOCK_GETTIME: {
		if (nv < 2)
			break;
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		int64_t diff = v[0].i - (int64_t)now.tv_sec;
		if (llabs(diff) <= 5 && v[1].i >= 0 && v[1].i < 1000000000)
			sappend(o, "now");
		else
			sappend(o, "off by %llds (nsec %lld)", (long long)diff, (long long)v[1].i);
		return 2;
	}
	default:
		sappend(o, "%lld", (long long)result);
		return 0;
	}
	sappend(o, "(short reply: %zu values)", nv);
	return nv;
}

/* ---- connections ---- */

static struct conn *conn_find(const char *name, bool create, bool raw)
{
	for (int k = 0; k < S.nconns; k++)
		if (!strcmp(S.conns[k].name, name))
			return &S.conns[k];
	if (!create)
		parse_error("no session '%s'", name);
	if (S.nconns == MAX_CONNS || strlen(name) >= sizeof S.conns[0].name)
		parse_error("too many sessions or name too long");
	struct conn *c = &S.conns[S.nconns];
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", name);
	c->raw = raw;
	int rc;
	if (raw) {
		char host[256];
		const char *colon = strrchr(shadow_addr, ':');
		size_t hl = (size_t)(colon - shadow_addr);
		memcpy(host, shadow_addr, hl);
		host[hl] = 0;
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
		struct addrinfo *ai;
		if (getaddrinfo(host, colon + 1, &hints, &ai))
			die("bad address %s", shadow_addr);
		c->c.fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		rc = c->c.fd < 0 || connect(c->c.fd, ai->ai_addr, ai->ai_addrlen) < 0 ? -errno : 0;
		freeaddrinfo(ai);
		rpc_enc_init(&c->c.enc);
		c->c.next_tag = 1;
	} else {
		rc = rpc_connect_as(&c->c, shadow_addr, &ident);
	}
	if (rc)
		die("%s:%d: connecting session %s to %s: %s", S.file, S.line, name, shadow_addr,
		    c->c.why[0] ? c->c.why : strerror(-rc));
	S.nconns++;
	return c;
}

/* ---- raw frames ---- */

static void put_tokens(struct rpc_enc *e, struct tok *t, int n)
{
	for (int k = 0; k < n; k++) {
		const char *s = t[k].text;
		if (!strncmp(s, "i64:", 4)) {
			struct tok x = { (char *)s + 4, t[k].len - 4, false };
			rpc_put_i64(e, parse_int(&x));
		} else if (!strncmp(s, "str:", 4)) {
			rpc_put_bytes(e, s + 4, t[k].len - 4, SIZE_MAX);
		} else if (!strncmp(s, "hex:", 4)) {
			for (size_t j = 4; j + 1 < t[k].len; j += 2) {
				unsigned v;
				if (sscanf(s + j, "%2x", &v) != 1)
					parse_error("bad hex '%s'", s);
				uint8_t b = (uint8_t)v;
				rpc_put_raw(e, &b, 1);
			}
		} else {
			parse_error("raw token '%s': want i64:N, str:TEXT or hex:HEX", s);
		}
	}
}

static void send_enc(struct conn *c, struct rpc_enc *e, struct str *o)
{
	int rc = rpc_write_full(c->c.fd, e->data, e->len);
	if (rc)
		sappend(o, "send failed: %s", strerror(-rc));
	else
		sappend(o, "sent %zu bytes", e->len);
}

/* Reads one frame within 5 s and describes it. */
static void recv_frame(struct conn *c, struct str *o)
{
	struct pollfd p = { .fd = c->c.fd, .events = POLLIN };
	if (poll(&p, 1, 5000) <= 0) {
		sappend(o, "no reply within 5 s");
		return;
	}
	uint8_t *buf;
	size_t len;
	int rc = rpc_read_frame(c->c.fd, &buf, &len);
	if (rc) {
		if (rc == -ECONNRESET)
			sappend(o, "closed");
		else
			sappend(o, "read failed: %s", strerror(-rc));
		return;
	}
	struct rpc_frame f;
	char eb[32];
	if (rpc_frame_parse(buf, len, &f) || f.body_len < 8) {
		sappend(o, "malformed reply");
	} else {
		struct rpc_dec d;
		rpc_dec_init(&d, f.body, f.body_len);
		int64_t r = rpc_get_i64(&d);
		sappend(o, "tag=%lld op=%s result=", (long long)f.tag, rpc_op_name(f.op));
		if (r < 0)
			sappend(o, "%s", errno_str(r, eb, sizeof eb));
		else
			sappend(o, "%lld", (long long)r);
	}
	free(buf);
}

/* Waits up to 5 s for the peer to close; replies before that are shown. */
static void expect_close(struct conn *c, struct str *o)
{
	for (;;) {
		struct pollfd p = { .fd = c->c.fd, .events = POLLIN };
		if (poll(&p, 1, 5000) <= 0) {
			sappend(o, "still open after 5 s");
			return;
		}
		uint8_t b[8];
		ssize_t n = recv(c->c.fd, b, sizeof b, MSG_PEEK);
		if (n <= 0) {
			sappend(o, "closed");
			c->dead = true;
			return;
		}
		recv_frame(c, o);
		sappend(o, ", ");
	}
}

/* ---- running a line ---- */

static bool check_mode;
static int mismatches;

/* getdents-all H MAX: GETDENTS of at most MAX entries until the end; prints
 * the number of calls and the union, sorted (which is the same whatever
 * order the filesystem lists in). */
static void getdents_all(struct conn *c, struct tok *t, int n, struct str *o, int64_t *value)
{
	if (n != 3)
		parse_error("getdents-all H MAX");
	int64_t h = parse_int(&t[1]), max = parse_int(&t[2]);
	struct dent *all = NULL;
	size_t count = 0, cap = 0;
	int calls = 0;
	struct rpc_reply r[256];
	int nr = 0;
	for (;;) {
		struct rpc_val v[] = { rpc_int(h), rpc_int(max) };
		if (nr == 256)
			parse_error("getdents-all: more than 256 calls");
		int rc = rpc_call(&c->c, RPC_OP_GETDENTS, v, 2, &r[nr]);
		calls++;
		if (rc) {
			sappend(o, "(transport: %s)", strerror(-rc));
			c->dead = true;
			break;
		}
		struct rpc_reply *x = &r[nr++];
		if (x->result <= 0) {
			if (x->result < 0) {
				char eb[32];
				sappend(o, "%s after %zu entries", errno_str(x->result, eb, sizeof eb), count);
			}
			break;
		}
		for (int64_t k = 0; k < x->result; k++) {
			if (count == cap) {
				cap = cap ? 2 * cap : 64;
				all = realloc(all, cap * sizeof *all);
			}
			all[count].type = x->vals[1 + 4 * k + 2].i;
			all[count].name = (const char *)x->vals[1 + 4 * k + 3].p;
			all[count].len = (size_t)x->vals[1 + 4 * k + 3].i;
			count++;
		}
	}
	if (!o->len) {
		qsort(all, count, sizeof *all, dent_cmp);
		sappend(o, "%d calls, %zu entries [", calls, count);
		for (size_t k = 0; k < count; k++)
			sappend(o, "%s%.*s:%s", k ? " " : "", (int)all[k].len, all[k].name, dirent_type_name(all[k].type));
		sappend(o, "]");
	}
	*value = (int64_t)count;
	for (int k = 0; k < nr; k++)
		rpc_reply_free(&r[k]);
	free(all);
}

static void run_op_line(struct conn *c, struct tok *t, int n, struct str *o, int64_t *value)
{
	static struct args a;
	struct rpc_reply r;
	if (!strcmp(t[0].text, "compound")) {
		struct rpc_call calls[RPC_MAX_COMPOUND];
		static struct args ca[RPC_MAX_COMPOUND];
		size_t nc = 0;
		int start = 1;
		S.in_compound = true;
		for (int k = 1; k <= n; k++) {
			if (k == n || (!t[k].quoted && !strcmp(t[k].text, ";"))) {
				if (k == start)
					parse_error("empty op in compound");
				if (nc == RPC_MAX_COMPOUND)
					parse_error("too many ops in compound");
				ca[nc].n = 0;
				const struct cmd *cm = build(&t[start], k - start, &ca[nc]);
				calls[nc].op = cm->op;
				calls[nc].nvals = ca[nc].n;
				calls[nc].vals = ca[nc].v;
				nc++;
				start = k + 1;
			}
		}
		S.in_compound = false;
		int64_t tag = rpc_send_compound(&c->c, calls, nc);
		int rc = tag < 0 ? (int)tag : rpc_recv(&c->c, tag, &r);
		if (rc) {
			sappend(o, "(transport: %s)", strerror(-rc));
			c->dead = true;
			return;
		}
		size_t k = 0;
		for (size_t e = 0; k + 1 < r.nvals; e++) {
			int64_t op = r.vals[k].i, res = r.vals[k + 1].i;
			k += 2;
			sappend(o, "%s%s=", e ? " ; " : "", rpc_op_name(op));
			k += format_result(o, op, res, r.vals + k, r.nvals - k);
		}
		*value = r.result;
		rpc_reply_free(&r);
		return;
	}
	if (!strcmp(t[0].text, "getdents-all")) {
		getdents_all(c, t, n, o, value);
		return;
	}
	a.n = 0;
	bool async = n > 1 && !t[n - 1].quoted && !strcmp(t[n - 1].text, "&");
	const struct cmd *cm = build(t, async ? n - 1 : n, &a);
	if (async) {
		if (c->pending_tag)
			parse_error("session %s already has a request pending", c->name);
		int64_t tag = rpc_send(&c->c, cm->op, a.v, a.n);
		if (tag < 0) {
			sappend(o, "(transport: %s)", strerror((int)-tag));
			c->dead = true;
			return;
		}
		c->pending_tag = tag;
		c->pending_op = cm->op;
		sappend(o, "pending");
		return;
	}
	int rc = rpc_call(&c->c, cm->op, a.v, a.n, &r);
	if (rc) {
		sappend(o, "(transport: %s)", strerror(-rc));
		c->dead = true;
		return;
	}
	format_result(o, cm->op, r.result, r.vals, r.nvals);
	*value = r.result;
	rpc_reply_free(&r);
}

static void run_directive(struct tok *t, int n, struct str *o)
{
	const char *d = t[0].text;
	if (!strcmp(d, "@session")) {
		if (n != 2)
			parse_error("@session NAME");
		struct conn *c = conn_find(t[1].text, true, false);
		S.cur = (int)(c - S.conns);
		return;
	}
	if (!strcmp(d, "@echo"))
		return;
	if (!strcmp(d, "@peer")) {
		struct conn *c = &S.conns[S.cur];
		sappend(o, "arch=%s version=%lld features=%#llx", c->c.server_arch, (long long)c->c.server_version,
			(long long)c->c.server_features);
		return;
	}
	if (!strcmp(d, "@sleep")) {
		if (n != 2)
			parse_error("@sleep MS");
		usleep((useconds_t)parse_int(&t[1]) * 1000);
		return;
	}
	if (!strcmp(d, "@show")) {
		S.show_ino = S.show_dev = S.show_blocks = S.show_times = S.show_mask = S.show_rdev = false;
		for (int k = 1; k < n; k++) {
			const char *f = t[k].text;
			if (!strcmp(f, "ino")) S.show_ino = true;
			else if (!strcmp(f, "dev")) S.show_dev = true;
			else if (!strcmp(f, "blocks")) S.show_blocks = true;
			else if (!strcmp(f, "times")) S.show_times = true;
			else if (!strcmp(f, "mask")) S.show_mask = true;
			else if (!strcmp(f, "rdev")) S.show_rdev = true;
			else parse_error("@show: unknown field '%s'", f);
		}
		return;
	}
	if (n < 2)
		parse_error("%s NAME ...", d);
	if (!strcmp(d, "@raw")) {
		conn_find(t[1].text, true, true);
		sappend(o, "connected");
		return;
	}
	struct conn *c = conn_find(t[1].text, false, false);
	struct rpc_enc e;
	rpc_enc_init(&e);
	if (!strcmp(d, "@drop")) {
		close(c->c.fd);
		c->c.fd = -1;
		c->dead = true;
		rpc_close(&c->c);
	} else if (!strcmp(d, "@shutdown")) {
		shutdown(c->c.fd, SHUT_WR);
	} else if (!strcmp(d, "@send")) {
		put_tokens(&e, t + 2, n - 2);
		send_enc(c, &e, o);
	} else if (!strcmp(d, "@sendframe")) {
		if (n < 4)
			parse_error("@sendframe NAME TAG OP TOKENS...");
		rpc_frame_begin(&e, parse_int(&t[2]), parse_int(&t[3]));
		put_tokens(&e, t + 4, n - 4);
		rpc_frame_end(&e);
		send_enc(c, &e, o);
	} else if (!strcmp(d, "@hello")) {
		rpc_frame_begin(&e, 0, RPC_OP_HELLO);
		rpc_put_i64(&e, n > 2 ? parse_int(&t[2]) : RPC_MAGIC);
		rpc_put_i64(&e, n > 3 ? parse_int(&t[3]) : RPC_VERSION);
		rpc_put_i64(&e, RPC_FEATURES);
		rpc_put_str(&e, "x86_64", 64);
		rpc_put_bytes(&e, "", 0, RPC_MAX_AUTH);
		rpc_frame_end(&e);
		if (rpc_write_full(c->c.fd, e.data, e.len))
			sappend(o, "send failed");
		else
			recv_frame(c, o);
	} else if (!strcmp(d, "@await")) {
		if (!c->pending_tag)
			parse_error("@await %s: nothing pending", c->name);
		struct pollfd p = { .fd = c->c.fd, .events = POLLIN };
		if (poll(&p, 1, 10000) <= 0) {
			sappend(o, "no reply within 10 s");
		} else {
			struct rpc_reply r;
			int rc = rpc_recv(&c->c, c->pending_tag, &r);
			if (rc) {
				sappend(o, "(transport: %s)", strerror(-rc));
				c->dead = true;
			} else {
				format_result(o, c->pending_op, r.result, r.vals, r.nvals);
				rpc_reply_free(&r);
			}
		}
		c->pending_tag = 0;
	} else if (!strcmp(d, "@pending")) {
		/* Is the reply to the "&" request there yet? */
		struct pollfd p = { .fd = c->c.fd, .events = POLLIN };
		sappend(o, poll(&p, 1, 0) > 0 ? "reply ready" : "still waiting");
	} else if (!strcmp(d, "@recv")) {
		recv_frame(c, o);
	} else if (!strcmp(d, "@expect-close")) {
		expect_close(c, o);
	} else {
		parse_error("unknown directive %s", d);
	}
	rpc_enc_free(&e);
}

/* Splits "CMD => WANT" / "CMD =~ GLOB"; returns the kind ('=', '~', 0). */
static int split_expect(char *line, char **want)
{
	bool q = false;
	for (char *p = line; *p; p++) {
		if (*p == '\\' && q && p[1]) {
			p++;
			continue;
		}
		if (*p == '"')
			q = !q;
		if (!q && p[0] == '=' && (p[1] == '>' || p[1] == '~') && (p == line || isspace((unsigned char)p[-1]))) {
			int kind = p[1] == '>' ? '=' : '~';
			*p = 0;
			char *w = p + 2;
			while (isspace((unsigned char)*w))
				w++;
			size_t l = strlen(w);
			while (l && isspace((unsigned char)w[l - 1]))
				w[--l] = 0;
			*want = w;
			return kind;
		}
	}
	return 0;
}

static void strip_comment(char *line)
{
	bool q = false;
	for (char *p = line; *p; p++) {
		if (*p == '\\' && q && p[1]) {
			p++;
			continue;
		}
		if (*p == '"')
			q = !q;
		if (!q && *p == '#' && (p == line || isspace((unsigned char)p[-1])) && !isdigit((unsigned char)p[1])) {
			*p = 0;
			return;
		}
	}
}

/* Replaces ${NAME} by the environment's NAME (tests name host paths so). */
static void expand_env(char *line, size_t size)
{
	char out[8192];
	size_t o = 0;
	for (const char *p = line; *p && o + 1 < sizeof out;) {
		const char *end;
		if (p[0] == '$' && p[1] == '{' && (end = strchr(p, '}'))) {
			char name[128];
			size_t nl = (size_t)(end - p - 2);
			if (nl >= sizeof name)
				parse_error("variable name too long");
			memcpy(name, p + 2, nl);
			name[nl] = 0;
			const char *v = getenv(name);
			if (!v)
				parse_error("${%s} is not in the environment", name);
			size_t vl = strlen(v);
			if (o + vl + 1 >= sizeof out)
				parse_error("line too long after ${%s}", name);
			memcpy(out + o, v, vl);
			o += vl;
			p = end + 1;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = 0;
	if (o + 1 > size)
		parse_error("line too long after expansion");
	memcpy(line, out, o + 1);
}

static int run_script(const char *file)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	if (!f)
		die("%s: %s", file, strerror(errno));
	S.file = file;
	conn_find("main", true, false);
	S.cur = 0;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		S.line++;
		line[strcspn(line, "\n")] = 0;
		if (cap < 8192) {
			line = realloc(line, 8192);
			cap = 8192;
		}
		expand_env(line, cap);
		strip_comment(line);
		char *want = NULL;
		int kind = split_expect(line, &want);
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		size_t l = strlen(p);
		while (l && isspace((unsigned char)p[l - 1]))
			p[--l] = 0;
		if (!*p)
			continue;
		char shown[4096];
		snprintf(shown, sizeof shown, "%s", p);
		struct tok t[MAX_TOKS];
		int n = tokenize(p, t, MAX_TOKS);
		if (n == 0)
			continue;
		struct str o = { 0 };
		sappend(&o, "%s", "");
		int64_t *assign = NULL;
		if (n >= 3 && t[0].text[0] == '$' && !t[0].quoted && !strcmp(t[1].text, "=")) {
			assign = var_slot(t[0].text + 1, true);
			memmove(t, t + 2, (size_t)(n - 2) * sizeof *t);
			n -= 2;
		}
		if (t[0].text[0] == '@') {
			if (!strcmp(t[0].text, "@echo"))
				sappend(&o, "%s", shown + 5 + strspn(shown + 5, " "));
			run_directive(t, n, &o);
		} else {
			struct conn *c = &S.conns[S.cur];
			int64_t value = 0;
			if (c->dead || c->raw)
				sappend(&o, "(session %s is %s)", c->name, c->dead ? "closed" : "raw");
			else
				run_op_line(c, t, n, &o, &value);
			if (assign)
				*assign = value;
		}
		printf("%s => %s\n", shown, o.p);
		fflush(stdout);
		if (check_mode && kind) {
			bool ok = kind == '=' ? !strcmp(o.p, want) : fnmatch(want, o.p, 0) == 0;
			if (!ok) {
				mismatches++;
				fprintf(stderr, "%s:%d: %s\n   got: %s\n  want: %s%s\n", file, S.line, shown, o.p,
					kind == '~' ? "(glob) " : "", want);
			}
		}
		free(o.p);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	for (int k = 0; k < S.nconns; k++)
		if (S.conns[k].c.fd >= 0)
			rpc_close(&S.conns[k].c);
	if (check_mode && mismatches)
		fprintf(stderr, "%s: %d result%s differed\n", file, mismatches, mismatches == 1 ? "" : "s");
	return mismatches ? 1 : 0;
}

/* ---- stress ---- */

#define NFILES 6
#define MAXFILE 16384

struct model_file {
	bool exists;
	size_t len;
	uint8_t data[MAXFILE];
};

struct stress {
	int index, ops_wanted;
	bool keep_open;
	struct rpc_conn c;
	uint64_t rng;
	char dir[32];
	struct model_file files[NFILES];
	bool subdir;
	long ops, wrong;
	char first_error[512];
	long per_kind[16];
};

static uint64_t rnd(struct stress *st)
{
	uint64_t x = st->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return st->rng = x;
}

static void wrong(struct stress *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wrong(struct stress *st, const char *fmt, ...)
{
	st->wrong++;
	if (st->first_error[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = snprintf(st->first_error, sizeof st->first_error, "session %d op %ld: ", st->index, st->ops);
	vsnprintf(st->first_error + n, sizeof st->first_error - (size_t)n, fmt, ap);
	va_end(ap);
}

/* One call; the reply is left in *r (caller frees). Returns the result, or
 * INT64_MIN on a transport failure (counted as wrong). */
static int64_t scall(struct stress *st, int64_t op, struct rpc_val *v, size_t n, struct rpc_reply *r)
{
	st->ops++;
	int rc = rpc_call(&st->c, op, v, n, r);
	if (rc) {
		wrong(st, "%s: transport %s", rpc_op_name(op), strerror(-rc));
		memset(r, 0, sizeof *r);
		return INT64_MIN;
	}
	return r->result;
}

static int64_t scall_free(struct stress *st, int64_t op, struct rpc_val *v, size_t n)
{
	struct rpc_reply r;
	int64_t res = scall(st, op, v, n, &r);
	rpc_reply_free(&r);
	return res;
}

static void fpath(struct stress *st, int k, char *out, size_t size)
{
	snprintf(out, size, "%s/f%d", st->dir, k);
}

static int64_t sopen(struct stress *st, const char *path, int64_t flags, int64_t mode)
{
	struct rpc_val v[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path), rpc_int(flags), rpc_int(mode), rpc_int(0),
			       rpc_int(0) };
	return scall_free(st, RPC_OP_OPEN, v, 6);
}

static void sclose(struct stress *st, int64_t h)
{
	struct rpc_val v[] = { rpc_int(h) };
	int64_t r = scall_free(st, RPC_OP_CLOSE, v, 1);
	if (r != 0)
		wrong(st, "close(%lld) = %lld", (long long)h, (long long)r);
}

static void expect_errno(struct stress *st, const char *what, int64_t got, int64_t want_canon)
{
	if (got != -want_canon)
		wrong(st, "%s = %lld, want -%lld", what, (long long)got, (long long)want_canon);
}

/* Reads the whole file through h and compares with the model. */
static void read_compare(struct stress *st, int64_t h, const struct model_file *m, const char *what)
{
	uint8_t *got = malloc(MAXFILE + 1);
	size_t len = 0;
	for (;;) {
		struct rpc_val v[] = { rpc_int(h), rpc_int(4096) };
		struct rpc_reply r;
		int64_t res = scall(st, RPC_OP_READ, v, 2, &r);
		if (res < 0 || r.nvals != 1 || r.vals[0].i != res || len + (size_t)res > MAXFILE) {
			wrong(st, "%s: read = %lld", what, (long long)res);
			rpc_reply_free(&r);
			break;
		}
		memcpy(got + len, r.vals[0].p, (size_t)res);
		len += (size_t)res;
		rpc_reply_free(&r);
		if (res == 0)
			break;
	}
	if (len != m->len || memcmp(got, m->data, len))
		wrong(st, "%s: content differs (got %zu bytes, want %zu)", what, len, m->len);
	free(got);
}

static void fill_random(struct stress *st, uint8_t *p, size_t n)
{
	for (size_t k = 0; k < n; k++)
		p[k] = (uint8_t)('a' + rnd(st) % 26);
}

static void stress_step(struct stress *st)
{
	char path[64], path2[64];
	int k = (int)(rnd(st) % NFILES);
	struct model_file *m = &st->files[k];
	fpath(st, k, path, sizeof path);
	int kind = (int)(rnd(st) % 14);
	st->per_kind[kind]++;
	switch (kind) {
	case 0: { /* create with content */
		int64_t h = sopen(st, path, CANON_O_WRONLY | CANON_O_CREAT | CANON_O_TRUNC, 0644);
		if (h < 0) {
			wrong(st, "create %s = %lld", path, (long long)h);
			return;
		}
		size_t n = rnd(st) % 4097;
		uint8_t buf[4096];
		fill_random(st, buf, n);
		struct rpc_val v[] = { rpc_int(h), rpc_buf(buf, n) };
		int64_t w = scall_free(st, RPC_OP_WRITE, v, 2);
		if (w != (int64_t)n)
			wrong(st, "write %zu to %s = %lld", n, path, (long long)w);
		sclose(st, h);
		m->exists = true;
		memcpy(m->data, buf, n);
		m->len = n;
		break;
	}
	case 1: { /* read whole */
		int64_t h = sopen(st, path, CANON_O_RDONLY, 0);
		if (!m->exists) {
			expect_errno(st, "open missing file", h, CANON_ENOENT);
			return;
		}
		if (h < 0) {
			wrong(st, "open %s = %lld", path, (long long)h);
			return;
		}
		read_compare(st, h, m, path);
		sclose(st, h);
		break;
	}
	case 2: { /* pwrite somewhere */
		int64_t h = sopen(st, path, CANON_O_WRONLY, 0);
		if (!m->exists) {
			expect_errno(st, "open missing file for pwrite", h, CANON_ENOENT);
			return;
		}
		size_t off = rnd(st) % 8192, n = 1 + rnd(st) % 512;
		uint8_t buf[512];
		fill_random(st, buf, n);
		struct rpc_val v[] = { rpc_int(h), rpc_buf(buf, n), rpc_int((int64_t)off) };
		int64_t w = scall_free(st, RPC_OP_PWRITE, v, 3);
		if (w != (int64_t)n)
			wrong(st, "pwrite = %lld", (long long)w);
		sclose(st, h);
		if (off > m->len)
			memset(m->data + m->len, 0, off - m->len);
		memcpy(m->data + off, buf, n);
		if (off + n > m->len)
			m->len = off + n;
		break;
	}
	case 3: { /* pread a range */
		int64_t h = sopen(st, path, CANON_O_RDONLY, 0);
		if (!m->exists) {
			expect_errno(st, "open missing file for pread", h, CANON_ENOENT);
			return;
		}
		size_t off = rnd(st) % (m->len + 16), n = rnd(st) % 1024;
		struct rpc_val v[] = { rpc_int(h), rpc_int((int64_t)n), rpc_int((int64_t)off) };
		struct rpc_reply r;
		int64_t res = scall(st, RPC_OP_PREAD, v, 3, &r);
		size_t want = off >= m->len ? 0 : (m->len - off < n ? m->len - off : n);
		if (res != (int64_t)want || r.nvals != 1 || memcmp(r.vals[0].p, m->data + (off < m->len ? off : 0), want))
			wrong(st, "pread(%zu at %zu) = %lld, want %zu bytes of the model", n, off, (long long)res, want);
		rpc_reply_free(&r);
		sclose(st, h);
		break;
	}
	case 4: { /* append with writev */
		int64_t h = sopen(st, path, CANON_O_WRONLY | CANON_O_APPEND, 0);
		if (!m->exists) {
			expect_errno(st, "open missing file for append", h, CANON_ENOENT);
			return;
		}
		uint8_t a[100], b[100];
		size_t na = rnd(st) % 100, nb = rnd(st) % 100;
		if (m->len + na + nb > MAXFILE)
			na = nb = 0;
		fill_random(st, a, na);
		fill_random(st, b, nb);
		struct rpc_val v[] = { rpc_int(h), rpc_int(2), rpc_buf(a, na), rpc_buf(b, nb) };
		int64_t w = scall_free(st, RPC_OP_WRITEV, v, 4);
		if (w != (int64_t)(na + nb))
			wrong(st, "writev = %lld, want %zu", (long long)w, na + nb);
		sclose(st, h);
		memcpy(m->data + m->len, a, na);
		memcpy(m->data + m->len + na, b, nb);
		m->len += na + nb;
		break;
	}
	case 5: { /* stat */
		struct rpc_val v[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path), rpc_int(0) };
		struct rpc_reply r;
		int64_t res = scall(st, RPC_OP_FSTATAT, v, 3, &r);
		if (!m->exists)
			expect_errno(st, "stat missing file", res, CANON_ENOENT);
		else if (res != 0 || r.nvals != RPC_STAT_FIELDS || r.vals[10].i != (int64_t)m->len ||
			 (r.vals[4].i & CANON_S_IFMT) != CANON_S_IFREG || (r.vals[4].i & 07777) != 0644)
			wrong(st, "stat %s = %lld size %lld, want size %zu", path, (long long)res,
			      r.nvals > 10 ? (long long)r.vals[10].i : -1LL, m->len);
		rpc_reply_free(&r);
		break;
	}
	case 6: { /* rename fk -> fj */
		int j = (int)(rnd(st) % NFILES);
		fpath(st, j, path2, sizeof path2);
		struct rpc_val v[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path), rpc_int(RPC_HANDLE_CWD), rpc_str(path2),
				       rpc_int(0) };
		int64_t res = scall_free(st, RPC_OP_RENAME, v, 5);
		if (!m->exists)
			expect_errno(st, "rename missing file", res, CANON_ENOENT);
		else if (res != 0)
			wrong(st, "rename %s %s = %lld", path, path2, (long long)res);
		else if (j != k) {
			st->files[j] = *m;
			m->exists = false;
			m->len = 0;
		}
		break;
	}
	case 7: { /* unlink */
		struct rpc_val v[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path), rpc_int(0) };
		int64_t res = scall_free(st, RPC_OP_UNLINK, v, 3);
		if (!m->exists)
			expect_errno(st, "unlink missing file", res, CANON_ENOENT);
		else if (res != 0)
			wrong(st, "unlink %s = %lld", path, (long long)res);
		m->exists = false;
		m->len = 0;
		break;
	}
	case 8: { /* list the directory */
		int64_t h = sopen(st, st->dir, CANON_O_RDONLY | CANON_O_DIRECTORY, 0);
		if (h < 0) {
			wrong(st, "open dir = %lld", (long long)h);
			return;
		}
		bool seen[NFILES] = { false };
		bool seen_sub = false;
		int others = 0;
		for (int rounds = 0; rounds < 10; rounds++) {
			int64_t max = 1 + (int64_t)(rnd(st) % 4);   /* small batches exercise resumption */
			struct rpc_val v[] = { rpc_int(h), rpc_int(max) };
			struct rpc_reply r;
			int64_t res = scall(st, RPC_OP_GETDENTS, v, 2, &r);
			if (res < 0) {
				wrong(st, "getdents = %lld", (long long)res);
				rpc_reply_free(&r);
				break;
			}
			for (int64_t e = 0; e < res; e++) {
				const struct rpc_val *name = &r.vals[1 + 4 * e + 3];
				int f;
				if (name->i == 2 && name->p[0] == 'f' && (f = name->p[1] - '0') >= 0 && f < NFILES) {
					if (seen[f])
						wrong(st, "getdents: f%d twice", f);
					seen[f] = true;
				} else if (name->i == 1 && name->p[0] == 'd') {
					seen_sub = true;
				} else if (!(name->i == 1 && name->p[0] == '.') &&
					   !(name->i == 2 && name->p[0] == '.' && name->p[1] == '.')) {
					others++;
				}
			}
			rpc_reply_free(&r);
			if (res == 0)
				break;
		}
		for (int f = 0; f < NFILES; f++)
			if (seen[f] != st->files[f].exists)
				wrong(st, "getdents: f%d %s, model says %s", f, seen[f] ? "listed" : "missing",
				      st->files[f].exists ? "exists" : "absent");
		if (seen_sub != st->subdir || others)
			wrong(st, "getdents: subdir %d (want %d), %d unexpected names", seen_sub, st->subdir, others);
		sclose(st, h);
		break;
	}
	case 9: { /* mkdir or rmdir the subdirectory */
		snprintf(path2, sizeof path2, "%s/d", st->dir);
		struct rpc_val mk[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path2), rpc_int(0755), rpc_int(0) };
		struct rpc_val rm[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path2), rpc_int(CANON_AT_REMOVEDIR) };
		bool make = rnd(st) % 2;
		int64_t res = make ? scall_free(st, RPC_OP_MKDIR, mk, 4) : scall_free(st, RPC_OP_UNLINK, rm, 3);
		int64_t want = make ? (st->subdir ? -CANON_EEXIST : 0) : (st->subdir ? 0 : -CANON_ENOENT);
		if (res != want)
			wrong(st, "%s %s = %lld, want %lld", make ? "mkdir" : "rmdir", path2, (long long)res, (long long)want);
		st->subdir = make;
		break;
	}
	case 10: { /* truncate */
		size_t n = rnd(st) % 6000;
		struct rpc_val v[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path), rpc_int((int64_t)n) };
		int64_t res = scall_free(st, RPC_OP_TRUNCATE, v, 3);
		if (!m->exists) {
			expect_errno(st, "truncate missing file", res, CANON_ENOENT);
			return;
		}
		if (res != 0)
			wrong(st, "truncate = %lld", (long long)res);
		if (n > m->len)
			memset(m->data + m->len, 0, n - m->len);
		m->len = n;
		break;
	}
	case 11: { /* compound: open, read, close */
		struct rpc_val a0[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path), rpc_int(CANON_O_RDONLY), rpc_int(0),
					rpc_int(0), rpc_int(0) };
		struct rpc_val a1[] = { rpc_int(RPC_REF(0)), rpc_int(MAXFILE) };
		struct rpc_val a2[] = { rpc_int(RPC_REF(0)) };
		struct rpc_call calls[] = { { RPC_OP_OPEN, 6, a0 }, { RPC_OP_READ, 2, a1 }, { RPC_OP_CLOSE, 1, a2 } };
		st->ops++;
		int64_t tag = rpc_send_compound(&st->c, calls, 3);
		struct rpc_reply r;
		int rc = tag < 0 ? (int)tag : rpc_recv(&st->c, tag, &r);
		if (rc) {
			wrong(st, "compound: transport %s", strerror(-rc));
			return;
		}
		if (!m->exists) {
			if (r.result != -CANON_ENOENT || r.nvals != 2)
				wrong(st, "compound on missing file: result %lld, %zu values", (long long)r.result, r.nvals);
		} else if (r.result != 0 || r.nvals != 7 || r.vals[3].i != (int64_t)m->len ||
			   r.vals[4].i != (int64_t)m->len || memcmp(r.vals[4].p, m->data, m->len)) {
			wrong(st, "compound read of %s: result %lld, %zu values", path, (long long)r.result, r.nvals);
		}
		rpc_reply_free(&r);
		break;
	}
	case 12: { /* dup shares the offset */
		int64_t h = sopen(st, path, CANON_O_RDONLY, 0);
		if (!m->exists) {
			expect_errno(st, "open missing file for dup", h, CANON_ENOENT);
			return;
		}
		struct rpc_val dv[] = { rpc_int(h) };
		int64_t h2 = scall_free(st, RPC_OP_DUP, dv, 1);
		int64_t off = m->len ? (int64_t)(rnd(st) % m->len) : 0;
		struct rpc_val lv[] = { rpc_int(h2), rpc_int(off), rpc_int(CANON_SEEK_SET) };
		int64_t res = scall_free(st, RPC_OP_LSEEK, lv, 3);
		if (h2 < 0 || res != off)
			wrong(st, "dup %lld / lseek %lld", (long long)h2, (long long)res);
		sclose(st, h2);
		struct model_file *rest = malloc(sizeof *rest);
		rest->exists = true;
		rest->len = m->len - (size_t)off;
		memcpy(rest->data, m->data + off, rest->len);
		read_compare(st, h, rest, "read after lseek on a dup");
		free(rest);
		sclose(st, h);
		break;
	}
	default: { /* symlink, readlink, unlink */
		snprintf(path2, sizeof path2, "%s/l", st->dir);
		char target[32];
		snprintf(target, sizeof target, "f%d-%llu", k, (unsigned long long)(rnd(st) % 1000));
		struct rpc_val sv[] = { rpc_str(target), rpc_int(RPC_HANDLE_CWD), rpc_str(path2) };
		int64_t res = scall_free(st, RPC_OP_SYMLINK, sv, 3);
		struct rpc_val rv[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path2), rpc_int(4096) };
		struct rpc_reply r;
		int64_t n = scall(st, RPC_OP_READLINK, rv, 3, &r);
		if (res != 0 || n != (int64_t)strlen(target) || r.nvals != 1 || memcmp(r.vals[0].p, target, strlen(target)))
			wrong(st, "symlink/readlink %s: %lld / %lld", target, (long long)res, (long long)n);
		rpc_reply_free(&r);
		struct rpc_val uv[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(path2), rpc_int(0) };
		if ((res = scall_free(st, RPC_OP_UNLINK, uv, 3)) != 0)
			wrong(st, "unlink link = %lld", (long long)res);
		break;
	}
	}
}

static void *stress_main(void *p)
{
	struct stress *st = p;
	int rc = rpc_connect_as(&st->c, shadow_addr, &ident);
	if (rc) {
		wrong(st, "connect: %s", st->c.why[0] ? st->c.why : strerror(-rc));
		return NULL;
	}
	snprintf(st->dir, sizeof st->dir, "/s%d", st->index);
	struct rpc_val v[] = { rpc_int(RPC_HANDLE_CWD), rpc_str(st->dir), rpc_int(0755), rpc_int(0) };
	int64_t res = scall_free(st, RPC_OP_MKDIR, v, 4);
	if (res != 0)
		wrong(st, "mkdir %s = %lld", st->dir, (long long)res);
	while (st->ops < st->ops_wanted && st->wrong == 0)
		stress_step(st);
	/* Handles left open on purpose are closed by the shadow at hang-up. */
	if (st->keep_open)
		for (int k = 0; k < 5; k++)
			if (sopen(st, st->dir, CANON_O_RDONLY | CANON_O_DIRECTORY, 0) < 0)
				wrong(st, "open to leave open failed");
	rpc_close(&st->c);
	return NULL;
}

static int write_model(struct stress *st, const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/s%d", dir, st->index);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (st->subdir) {
		snprintf(path, sizeof path, "%s/s%d/d", dir, st->index);
		mkdir(path, 0755);
	}
	for (int k = 0; k < NFILES; k++) {
		if (!st->files[k].exists)
			continue;
		snprintf(path, sizeof path, "%s/s%d/f%d", dir, st->index, k);
		FILE *f = fopen(path, "w");
		if (!f || fwrite(st->files[k].data, 1, st->files[k].len, f) != st->files[k].len)
			return -EIO;
		fclose(f);
	}
	return 0;
}

static int run_stress(int sessions, int ops, const char *model_dir, bool keep_open)
{
	struct stress *st = calloc((size_t)sessions, sizeof *st);
	pthread_t *t = calloc((size_t)sessions, sizeof *t);
	if (!st || !t)
		die("out of memory");
	for (int k = 0; k < sessions; k++) {
		st[k].index = k;
		st[k].ops_wanted = ops;
		st[k].keep_open = keep_open;
		st[k].rng = 0x9e3779b97f4a7c15ull * (uint64_t)(k + 1);
		if (pthread_create(&t[k], NULL, stress_main, &st[k]))
			die("pthread_create failed");
	}
	long total = 0, bad = 0, kinds[16] = { 0 };
	for (int k = 0; k < sessions; k++) {
		pthread_join(t[k], NULL);
		total += st[k].ops;
		bad += st[k].wrong;
		for (int j = 0; j < 16; j++)
			kinds[j] += st[k].per_kind[j];
		if (st[k].first_error[0])
			printf("# %s\n", st[k].first_error);
		if (model_dir && write_model(&st[k], model_dir))
			die("cannot write the model to %s", model_dir);
	}
	printf("stress: %d sessions x %d ops: %ld ops, %ld wrong\n", sessions, ops, total, bad);
	printf("# steps by kind:");
	for (int j = 0; j < 14; j++)
		printf(" %ld", kinds[j]);
	printf("\n");
	free(st);
	free(t);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: shadow_client ADDR:PORT [--check] SCRIPT\n"
				"       shadow_client ADDR:PORT --stress SESSIONS OPS [--model DIR] [--keep-open]\n");
		return 2;
	}
	shadow_addr = argv[1];
	while (argc >= 5 && (!strcmp(argv[2], "--key") || !strcmp(argv[2], "--user"))) {
		if (!strcmp(argv[2], "--key")) {
			char err[512];
			if (rpc_crypto_init() || rpc_key_load(argv[3], &ident_key, err, sizeof err))
				die("--key %s: %s", argv[3], err);
			ident.key = &ident_key;
		} else {
			ident.user = argv[3];
		}
		memmove(&argv[2], &argv[4], (size_t)(argc - 4) * sizeof *argv);
		argc -= 2;
	}
	if (!strcmp(argv[2], "--stress")) {
		if (argc < 5)
			die("--stress SESSIONS OPS");
		const char *model = NULL;
		bool keep = false;
		for (int k = 5; k < argc; k++) {
			if (!strcmp(argv[k], "--model") && k + 1 < argc)
				model = argv[++k];
			else if (!strcmp(argv[k], "--keep-open"))
				keep = true;
			else
				die("unknown option %s", argv[k]);
		}
		return run_stress(atoi(argv[3]), atoi(argv[4]), model, keep);
	}
	int k = 2;
	if (!strcmp(argv[k], "--check")) {
		check_mode = true;
		k++;
	}
	if (k != argc - 1)
		die("one script, please");
	return run_script(argv[k]);
}
