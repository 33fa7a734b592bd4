/* shadow/access.h: who may connect to the shadow. Owns its keys (--key
 * FILE or DIR), the authfile (--authfile: subject patterns with `*`, and
 * per-subject `readonly` and `root=DIR`), and the matching of a session's
 * subjects against it. docs/security.md defines the subjects; the
 * handshake that authenticates them is shadow/session.c's, its
 * cryptography rpc/auth.h's. */
#ifndef SPLITRUN_SHADOW_ACCESS_H
#define SPLITRUN_SHADOW_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rpc/auth.h"

#define SHADOW_MAX_KEYS     1024   /* keys one shadow holds */
#define SHADOW_MAX_RULES    10000  /* lines of an authfile that are rules */
#define SHADOW_MAX_PATTERN  300    /* bytes of one subject pattern */
#define SHADOW_AUTHFILE_MAX (1 << 20)

/* One authfile line: who, and what they get. */
struct shadow_rule {
	char *pattern;      /* '*' matches any run of characters, all else itself */
	bool read_only;
	char *root;         /* export root beneath --root ("/x/y"), NULL: --root itself */
	int line;
};

struct shadow_access {
	struct rpc_key *keys;
	size_t nkeys;
	struct shadow_rule *rules;
	size_t nrules;
	const char *authfile;   /* NULL: every holder of a key may connect, with no restriction */
};

/* Adds the key in FILE, or every "*.key" file in a directory. Returns 0
 * or a negative errno with a message (naming the file) in err. */
int shadow_keys_add(struct shadow_access *a, const char *path, char *err, size_t errsize);
/* The key with this id, or NULL. */
const struct rpc_key *shadow_key_find(const struct shadow_access *a, const uint8_t id[RPC_KEY_ID_BYTES]);

/* Reads an authfile; 0 or a negative errno with "line N: ..." in err. */
int shadow_authfile_load(struct shadow_access *a, const char *path, char *err, size_t errsize);
/* Parses authfile text (len bytes) into a's rules. */
int shadow_authfile_parse(struct shadow_access *a, const char *text, size_t len, char *err, size_t errsize);

/* The first rule whose pattern matches one of the n subjects, a rule with
 * no restriction when there is no authfile, or NULL: not allowed. */
const struct shadow_rule *shadow_authorize(const struct shadow_access *a, const char *const *subjects, size_t n);
bool shadow_pattern_match(const char *pattern, const char *subject);

void shadow_access_free(struct shadow_access *a);

#endif
