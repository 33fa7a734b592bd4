/* policy/policy.h: the routing policy (docs/policy.md, splitrun-policy(5)).
 *
 * Owns the policy language (lexer, parser, checker, includes, the embedded
 * default) and the matcher that answers, for one normalized absolute guest
 * path or one syscall name, where the call goes. It knows nothing of ptrace,
 * fds or the wire: the executive (policy/exec*.c) asks it and acts.
 *
 * Path rules match normalized absolute guest paths (no ".", "..", "//",
 * no trailing "/" except for "/" itself); first match wins. Globs: "*" and
 * "?" stay within one component, "**" spans any number of components (none
 * included), so DIR followed by a "**" component matches DIR itself as well
 * as everything beneath it. */
#ifndef SPLITRUN_POLICY_POLICY_H
#define SPLITRUN_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum policy_method {
	POLICY_LOCAL,   /* run on the foreign machine, untouched */
	POLICY_REMOTE,  /* every call forwarded to the shadow (strict semantics) */
	POLICY_STAGE,   /* whole file fetched at open, I/O local, written back at close */
	POLICY_DENY,    /* fail with deny_errno */
};

/* Where one path or call goes, and why. */
struct policy_route {
	enum policy_method method;
	int deny_errno;          /* POLICY_DENY: a native errno value */
	bool readonly;           /* remote/stage: writes fail with EROFS */
	bool log;                /* trace this call even outside --trace */
	const char *file;        /* the rule that decided: file and line, */
	int line;                /* for trace marks and --check-policy; */
	const char *rule_text;   /* "(default)" for the built-in fallback */
};

struct policy;

/* Loads FILE (NULL: the embedded default policy). On errors prints each as
 * "file:line:col: message" to ERR and returns NULL; warnings (a rule that can
 * never match, or is shadowed entirely by an earlier one) go to ERR too but
 * do not fail. */
struct policy *policy_load(const char *file, FILE *err);
void policy_free(struct policy *p);

/* A loaded policy is never changed: the lookups below may run from any
 * number of threads at once, and none of them allocates. */

/* Routes PATH (normalized, absolute, guest side). For remote and stage,
 * SHADOW_PATH receives the path to ask the shadow for (after any "map");
 * returns 0, or -ENAMETOOLONG when it does not fit in SIZE (R is filled in
 * either way). For local and deny, and when SHADOW_PATH is NULL, nothing is
 * written there. The fallback (no rule matched) is local, with FILE and
 * RULE_TEXT "(default)" and LINE 0; the built-in policy's rules have FILE
 * "<built-in>". */
int policy_route_path(const struct policy *p, const char *path, struct policy_route *r,
		      char *shadow_path, size_t size);

/* Routes a call that is decided by name, not by path: identity and clock
 * calls (local or remote), "deny ERRNO" and "log" for any call. Calls that no
 * rule names are POLICY_LOCAL. io_uring_setup is denied with ENOSYS whenever
 * any path rule that can apply is not local (its I/O would bypass the trap).
 * "gethostname" is a name of the language, not a system call: ask for it
 * when deciding uname's nodename (docs/policy.md, "Identity and clock"). */
void policy_route_call(const struct policy *p, const char *syscall_name, struct policy_route *r);

/* True when some path rule is not local: the filter must then trap every
 * path- and fd-taking call. */
bool policy_any_nonlocal(const struct policy *p);

/* True when some path rule has "log": path-taking calls must be trapped to
 * be shown, even if every rule is local. */
bool policy_any_path_log(const struct policy *p);

/* --check-policy: prints the effective rules (includes expanded, the
 * built-in fallback last) to OUT. */
void policy_print(const struct policy *p, FILE *out);

/* splitrun --check-policy FILE (NULL: the embedded default): loads FILE,
 * prints its errors and warnings to ERR and, when it has no errors, its
 * effective rules to OUT. Returns the exit status: 0, or 1 on any error. */
int policy_check_command(const char *file, FILE *out, FILE *err);

/* Lexical normalization of an absolute path (collapses "//", ".", ".."; ".."
 * at "/" stays at "/"). IN and OUT may be the same buffer (which then holds
 * IN, so SIZE > strlen(IN)). Returns 0, -ENAMETOOLONG when the result and its
 * NUL do not fit in SIZE (whatever IN's length: "/a/.." fits in 2 bytes), or
 * -EINVAL when IN is not absolute. Joining a relative path to a cwd is the
 * caller's job. */
int policy_normalize(const char *in, char *out, size_t size);

#endif
