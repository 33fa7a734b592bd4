/* tests/unit/policy_route.c: what the executive asks the policy on every
 * trapped call: normalizing a path, routing it (first match wins, map
 * prefixes rewritten at component boundaries), routing a call by name, the
 * implied io_uring rule, and the built-in default. */
#include "policy/rules.h"
#include "tests/unit/policy_test.h"

static const char *method_name(enum policy_method m)
{
	static const char *const names[] = { "local", "remote", "stage", "deny" };
	return (unsigned)m < 4 ? names[m] : "?";
}

static void check_normalize(const char *in, const char *want)
{
	char out[256];
	int rc = policy_normalize(in, out, sizeof out);
	CHECK_EQ_INT(rc, 0, "normalize(\"%s\") succeeds", in);
	if (rc == 0)
		CHECK_EQ_STR(out, want, "normalize(\"%s\")", in);
	char inplace[256];
	snprintf(inplace, sizeof inplace, "%s", in);
	rc = policy_normalize(inplace, inplace, sizeof inplace);
	CHECK(rc == 0 && strcmp(inplace, want) == 0, "normalize(\"%s\") in place gives \"%s\" (got \"%s\")",
	      in, want, inplace);
}

static void test_normalize(void)
{
	check_normalize("/", "/");
	check_normalize("//", "/");
	check_normalize("///", "/");
	check_normalize("/a", "/a");
	check_normalize("/a/", "/a");
	check_normalize("/a//b///c/", "/a/b/c");
	check_normalize("/./a/./b/.", "/a/b");
	check_normalize("/a/../b", "/b");
	check_normalize("/a/b/..", "/a");
	check_normalize("/a/b/../..", "/");
	check_normalize("/..", "/");
	check_normalize("/../..", "/");
	check_normalize("/../a", "/a");
	check_normalize("/a/b/../../../c", "/c");
	check_normalize("/...", "/...");
	check_normalize("/a/.b/..c/c..", "/a/.b/..c/c..");
	check_normalize("/a/./../b/./c/..", "/b");
	check_normalize("/home/ann//x/../y/", "/home/ann/y");

	char out[8];
	CHECK_EQ_INT(policy_normalize("/abcdef", out, 8), 0, "7 bytes and the NUL fit in 8");
	CHECK_EQ_STR(out, "/abcdef", "exact fit");
	CHECK_EQ_INT(policy_normalize("/abcdefg", out, 8), -ENAMETOOLONG, "8 bytes and the NUL do not fit in 8");
	CHECK_EQ_INT(policy_normalize("/abcdefgh/../x", out, 3), 0, "only the result must fit: \"/x\" in 3");
	CHECK_EQ_STR(out, "/x", "/abcdefgh/../x is /x");
	CHECK_EQ_INT(policy_normalize("/x/abcdefgh/..", out, 3), 0, "a long component popped at the end");
	CHECK_EQ_STR(out, "/x", "/x/abcdefgh/.. is /x");
	char inplace[] = "/abcdefgh/../xy/./";
	CHECK_EQ_INT(policy_normalize(inplace, inplace, 4), 0, "in place, the result \"/xy\" fits in 4");
	CHECK_EQ_STR(inplace, "/xy", "in place result");
	char inplace2[] = "/abcdefgh/xy";
	CHECK_EQ_INT(policy_normalize(inplace2, inplace2, 4), -ENAMETOOLONG, "in place, a result of 12 bytes does not fit in 4");
	CHECK_EQ_INT(policy_normalize("/a/b/c/../../..//", out, 2), 0, "\"/\" fits in 2");
	CHECK_EQ_INT(policy_normalize("/", out, 1), -ENAMETOOLONG, "\"/\" does not fit in 1");
	CHECK_EQ_INT(policy_normalize("/", out, 0), -ENAMETOOLONG, "nothing fits in 0");
	CHECK_EQ_INT(policy_normalize("a/b", out, sizeof out), -EINVAL, "a relative path is refused");
	CHECK_EQ_INT(policy_normalize("", out, sizeof out), -EINVAL, "an empty path is refused");
}

struct want_path {
	const char *path;
	enum policy_method method;
	int line;              /* 0: the default */
	const char *shadow;    /* remote/stage: the shadow-side path */
	bool readonly, log;
	int deny_errno;
};

static void check_route(const struct policy *p, const struct want_path *w)
{
	struct policy_route r;
	char shadow[64] = "untouched";
	int rc = policy_route_path(p, w->path, &r, shadow, sizeof shadow);
	CHECK_EQ_INT(rc, 0, "route %s returns 0", w->path);
	if (!CHECK(r.method == w->method && r.line == w->line,
		   "%s goes %s by line %d", w->path, method_name(w->method), w->line))
		printf("#   got %s by line %d (%s)\n", method_name(r.method), r.line, r.rule_text);
	if (w->shadow)
		CHECK_EQ_STR(shadow, w->shadow, "%s is asked of the shadow as", w->path);
	else
		CHECK_EQ_STR(shadow, "untouched", "%s (not remote) leaves the shadow path alone", w->path);
	CHECK(r.readonly == w->readonly && r.log == w->log && r.deny_errno == w->deny_errno,
	      "%s: readonly %d log %d errno %d (got %d %d %d)", w->path, w->readonly, w->log,
	      w->deny_errno, r.readonly, r.log, r.deny_errno);
	if (w->line == 0)
		CHECK(strcmp(r.file, "(default)") == 0 && strcmp(r.rule_text, "(default)") == 0,
		      "%s: decided by the fallback (file %s, rule %s)", w->path, r.file, r.rule_text);
}

static const char routing_policy[] =
	"# routing test\n"                                                   /* 1 */
	"path /usr/** local\n"                                               /* 2 */
	"path /home/ann/** remote map /home/ann => /export/ann\n"            /* 3 */
	"path /home/ann2/** stage readonly\n"                                /* 4 */
	"path /home/*/.cache/** local\n"                                     /* 5 */
	"path /home/** remote\n"                                             /* 6 */
	"path /data/*.csv stage log\n"                                       /* 7 */
	"path /data/???.txt deny ENOENT\n"                                   /* 8 */
	"path /srv/**/secret deny EACCES\n"                                  /* 9 */
	"path /mnt/** remote map / => /\n"                                   /* 10 */
	"path /exports/** remote map /exports => /\n"                        /* 11 */
	"path /ro/** remote readonly map /ro => /srv/ro log\n"               /* 12 */
	"call uname,gethostname remote\n"                                    /* 13 */
	"call ptrace deny EPERM\n"                                           /* 14 */
	"call openat log\n"                                                  /* 15 */
	"call getuid local log\n";                                           /* 16 */

static void test_route_path(void)
{
	struct policy *p = test_load_text("routing.pol", routing_policy);
	if (!CHECK(p != NULL, "the routing policy loads")) {
		printf("# %s", diag_text);
		return;
	}
	CHECK_EQ_STR(diag_text, "", "with no diagnostics");
	static const struct want_path cases[] = {
		{ "/usr", POLICY_LOCAL, 2, NULL, false, false, 0 },
		{ "/usr/bin/ls", POLICY_LOCAL, 2, NULL, false, false, 0 },
		{ "/usrx", POLICY_LOCAL, 0, NULL, false, false, 0 },
		{ "/", POLICY_LOCAL, 0, NULL, false, false, 0 },
		{ "/home/ann", POLICY_REMOTE, 3, "/export/ann", false, false, 0 },
		{ "/home/ann/in.csv", POLICY_REMOTE, 3, "/export/ann/in.csv", false, false, 0 },
		{ "/home/ann/a/b/c", POLICY_REMOTE, 3, "/export/ann/a/b/c", false, false, 0 },
		{ "/home/annex/f", POLICY_REMOTE, 6, "/home/annex/f", false, false, 0 },
		{ "/home/annex", POLICY_REMOTE, 6, "/home/annex", false, false, 0 },
		{ "/home/ann2/f", POLICY_STAGE, 4, "/home/ann2/f", true, false, 0 },
		{ "/home/bob/.cache/x", POLICY_LOCAL, 5, NULL, false, false, 0 },
		{ "/home/bob/.cache", POLICY_LOCAL, 5, NULL, false, false, 0 },
		{ "/home/ann/.cache/x", POLICY_REMOTE, 3, "/export/ann/.cache/x", false, false, 0 },
		{ "/home/bob/.cachex", POLICY_REMOTE, 6, "/home/bob/.cachex", false, false, 0 },
		{ "/home", POLICY_REMOTE, 6, "/home", false, false, 0 },
		{ "/data/a.csv", POLICY_STAGE, 7, "/data/a.csv", false, true, 0 },
		{ "/data/.csv", POLICY_STAGE, 7, "/data/.csv", false, true, 0 },
		{ "/data/sub/a.csv", POLICY_LOCAL, 0, NULL, false, false, 0 },
		{ "/data/a.csvx", POLICY_LOCAL, 0, NULL, false, false, 0 },
		{ "/data/abc.txt", POLICY_DENY, 8, NULL, false, false, ENOENT },
		{ "/data/ab.txt", POLICY_LOCAL, 0, NULL, false, false, 0 },
		{ "/data/abcd.txt", POLICY_LOCAL, 0, NULL, false, false, 0 },
		{ "/data/\xc3\xa9t\xc3\xa9.txt", POLICY_DENY, 8, NULL, false, false, ENOENT },
		{ "/srv/secret", POLICY_DENY, 9, NULL, false, false, EACCES },
		{ "/srv/a/b/secret", POLICY_DENY, 9, NULL, false, false, EACCES },
		{ "/srv/a/secretx", POLICY_LOCAL, 0, NULL, false, false, 0 },
		{ "/srv/a/secret/x", POLICY_LOCAL, 0, NULL, false, false, 0 },
		{ "/mnt", POLICY_REMOTE, 10, "/mnt", false, false, 0 },
		{ "/mnt/a", POLICY_REMOTE, 10, "/mnt/a", false, false, 0 },
		{ "/exports", POLICY_REMOTE, 11, "/", false, false, 0 },
		{ "/exports/a/b", POLICY_REMOTE, 11, "/a/b", false, false, 0 },
		{ "/exportsx", POLICY_LOCAL, 0, NULL, false, false, 0 },
		{ "/ro/f", POLICY_REMOTE, 12, "/srv/ro/f", true, true, 0 },
		{ "/ro", POLICY_REMOTE, 12, "/srv/ro", true, true, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		check_route(p, &cases[i]);

	struct policy_route r;
	policy_route_path(p, "/home/ann/x", &r, NULL, 0);
	CHECK_EQ_STR(r.rule_text, "path /home/ann/** remote map /home/ann => /export/ann",
		     "rule_text is the rule as written");
	CHECK(strstr(r.file, "routing.pol") != NULL && r.line == 3, "file and line of the rule (%s:%d)", r.file, r.line);
	CHECK_EQ_INT(policy_route_path(p, "/home/ann/x", &r, NULL, 0), 0, "no shadow buffer: fine");

	char small[16];
	CHECK_EQ_INT(policy_route_path(p, "/home/ann/abc", &r, small, sizeof small), 0,
		     "\"/export/ann/abc\" (15 bytes) fits in 16");
	CHECK_EQ_STR(small, "/export/ann/abc", "shadow path at the exact size");
	CHECK_EQ_INT(policy_route_path(p, "/home/ann/abcd", &r, small, sizeof small), -ENAMETOOLONG,
		     "\"/export/ann/abcd\" (16 bytes) does not fit in 16");
	CHECK_EQ_INT(r.method, POLICY_REMOTE, "the route is filled in even when the name does not fit");

	CHECK(policy_any_nonlocal(p), "a remote rule makes the policy non-local");
	CHECK(policy_any_path_log(p), "a path rule logs");

	/* calls */
	policy_route_call(p, "uname", &r);
	CHECK(r.method == POLICY_REMOTE && r.line == 13 && !r.log, "uname is remote by line 13");
	CHECK_EQ_STR(r.rule_text, "call uname remote", "one rule per name of a list");
	policy_route_call(p, "gethostname", &r);
	CHECK(r.method == POLICY_REMOTE && r.line == 13, "gethostname is remote by line 13");
	CHECK_EQ_STR(r.rule_text, "call gethostname remote", "the second name's rule text");
	policy_route_call(p, "ptrace", &r);
	CHECK(r.method == POLICY_DENY && r.deny_errno == EPERM && r.line == 14, "ptrace denied with EPERM");
	policy_route_call(p, "openat", &r);
	CHECK(r.method == POLICY_LOCAL && r.log && r.line == 15, "openat: log only");
	policy_route_call(p, "getuid", &r);
	CHECK(r.method == POLICY_LOCAL && r.log && r.line == 16, "getuid local log");
	policy_route_call(p, "getgid", &r);
	CHECK(r.method == POLICY_LOCAL && !r.log && r.line == 0 && strcmp(r.rule_text, "(default)") == 0,
	      "a call no rule names is local by the fallback");
	policy_route_call(p, "io_uring_setup", &r);
	CHECK(r.method == POLICY_DENY && r.deny_errno == ENOSYS, "io_uring_setup denied with ENOSYS (a rule is not local)");
	CHECK(r.line == 3 && strstr(r.rule_text, "implied") != NULL,
	      "the implied rule names the first non-local rule (line %d: %s)", r.line, r.rule_text);
	policy_route_call(p, "io_uring_enter", &r);
	CHECK_EQ_INT(r.method, POLICY_LOCAL, "io_uring_enter itself is not denied (without setup it has no ring)");
	policy_free(p);
}

static void test_io_uring_rule(void)
{
	struct policy_route r;
	struct policy *p = test_load_text("local.pol", "path /usr/** local\npath /** local\ncall uname remote\n");
	CHECK(p && !policy_any_nonlocal(p), "an all-local policy (with a remote identity call) is local");
	if (p) {
		policy_route_call(p, "io_uring_setup", &r);
		CHECK(r.method == POLICY_LOCAL && !r.log, "io_uring_setup stays local when every path rule is");
		policy_free(p);
	}

	p = test_load_text("deny.pol", "path /secret/** deny EACCES\n");
	CHECK(p && policy_any_nonlocal(p) && !policy_any_path_log(p), "a deny rule alone is not local");
	if (p) {
		policy_route_call(p, "io_uring_setup", &r);
		CHECK(r.method == POLICY_DENY && r.deny_errno == ENOSYS && r.line == 1,
		      "io_uring_setup denied because of the deny rule on line 1");
		policy_free(p);
	}

	p = test_load_text("eperm.pol", "path /** remote\ncall io_uring_setup deny EPERM\n");
	if (CHECK(p != NULL, "explicit io_uring_setup rule loads")) {
		policy_route_call(p, "io_uring_setup", &r);
		CHECK(r.method == POLICY_DENY && r.deny_errno == EPERM && r.line == 2,
		      "an explicit deny of io_uring_setup keeps its errno");
		policy_free(p);
	}

	p = test_load_text("uring_log.pol", "call io_uring_setup log\npath /home/** stage\n");
	if (CHECK(p != NULL, "io_uring_setup log loads")) {
		policy_route_call(p, "io_uring_setup", &r);
		CHECK(r.method == POLICY_DENY && r.deny_errno == ENOSYS && r.log && r.line == 2,
		      "'log' of io_uring_setup still denies it, and logs it");
		policy_free(p);
	}
}

static void test_default_policy(void)
{
	struct policy *p = test_load(NULL);
	if (!CHECK(p != NULL, "the built-in policy loads")) {
		printf("# %s", diag_text);
		return;
	}
	CHECK_EQ_STR(diag_text, "", "the built-in policy has no warnings");
	static const struct { const char *path; enum policy_method m; } cases[] = {
		{ "/", POLICY_LOCAL }, { "/usr", POLICY_LOCAL }, { "/usr/lib/libc.so.6", POLICY_LOCAL },
		{ "/lib", POLICY_LOCAL }, { "/lib64/ld-linux-x86-64.so.2", POLICY_LOCAL },
		{ "/lib32/x", POLICY_LOCAL }, { "/libexec/x", POLICY_LOCAL },
		{ "/bin/sh", POLICY_LOCAL }, { "/sbin/init", POLICY_LOCAL }, { "/etc/passwd", POLICY_LOCAL },
		{ "/opt/x/bin/y", POLICY_LOCAL }, { "/proc/self/fd/3", POLICY_LOCAL },
		{ "/sys/kernel/mm", POLICY_LOCAL }, { "/dev/null", POLICY_LOCAL }, { "/run/user/0", POLICY_LOCAL },
		{ "/tmp", POLICY_LOCAL }, { "/tmp/x.txt", POLICY_LOCAL }, { "/var/tmp/y", POLICY_LOCAL },
		{ "/home/ann/in.csv", POLICY_REMOTE }, { "/root/.profile", POLICY_REMOTE },
		{ "/var/log/syslog", POLICY_REMOTE }, { "/var", POLICY_REMOTE }, { "/etcx", POLICY_REMOTE },
		{ "/usr2/x", POLICY_REMOTE }, { "/srv/data", POLICY_REMOTE }, { "/tmpfoo", POLICY_REMOTE },
	};
	char shadow[PATH_MAX];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct policy_route r;
		policy_route_path(p, cases[i].path, &r, shadow, sizeof shadow);
		if (!CHECK(r.method == cases[i].m, "built-in: %s is %s", cases[i].path, method_name(cases[i].m)))
			printf("#   got %s by %s:%d\n", method_name(r.method), r.file, r.line);
		else if (r.method == POLICY_REMOTE)
			CHECK(strcmp(shadow, cases[i].path) == 0, "built-in: the shadow is asked for %s as is (got %s)",
			      cases[i].path, shadow);
		CHECK_EQ_STR(r.file, "<built-in>", "built-in: %s decided by a built-in rule", cases[i].path);
	}
	struct policy_route r;
	policy_route_call(p, "io_uring_setup", &r);
	CHECK(r.method == POLICY_DENY && r.deny_errno == ENOSYS, "built-in: io_uring_setup denied with ENOSYS");
	policy_route_call(p, "uname", &r);
	CHECK_EQ_INT(r.method, POLICY_LOCAL, "built-in: uname local");
	CHECK(policy_any_nonlocal(p) && !policy_any_path_log(p), "built-in: non-local, no path logging");
	policy_free(p);
}

/* The router's index (rules by literal prefix, the rest in a list, rules
 * that never apply left out) must pick exactly the rule a plain first-match
 * scan over every rule picks. Random policies over a small alphabet, so
 * prefixes, patterns and shadowing collide often. */
static void test_index_against_scan(void)
{
	static const char *const comps[] = { "a", "b", "ab", "ba", "*", "?", "a*", "*b", "**", "**", "a?" };
	static const char *const names[] = { "a", "b", "ab", "ba", "aab", "bb" };
	int mismatches = 0, routed = 0, nonlocal_seen = 0;
	for (int round = 0; round < 60; round++) {
		char text[8192] = "", rule[256];
		int nrules = 1 + (int)test_rnd(24);
		for (int i = 0; i < nrules; i++) {
			int depth = (int)test_rnd(4);
			strcpy(rule, "path ");
			if (depth == 0)
				strcat(rule, "/");
			for (int d = 0; d < depth; d++) {
				strcat(rule, "/");
				strcat(rule, d == 0 && test_rnd(3) ? names[test_rnd(6)] : comps[test_rnd(11)]);
			}
			strcat(rule, test_rnd(2) ? " local\n" : " remote\n");
			strcat(text, rule);
		}
		char name[32];
		snprintf(name, sizeof name, "random%d.pol", round);
		struct policy *p = test_load_text(name, text);
		if (!p) {
			mismatches++;
			printf("# random policy %d refused:\n%s# %s\n", round, text, diag_text);
			continue;
		}
		nonlocal_seen += policy_any_nonlocal(p);
		for (int k = 0; k < 200; k++) {
			char path[64] = "";
			int depth = (int)test_rnd(5);
			for (int d = 0; d < depth; d++) {
				strcat(path, "/");
				strcat(path, names[test_rnd(6)]);
			}
			if (!depth)
				strcpy(path, "/");
			int want = 0;
			for (size_t i = 0; i < p->npaths; i++)
				if (glob_match(&p->paths[i].glob, path, strlen(path))) {
					want = p->paths[i].at.line;
					break;
				}
			struct policy_route r;
			policy_route_path(p, path, &r, NULL, 0);
			routed++;
			if (r.line != want) {
				if (mismatches++ < 5)
					printf("# %s in policy %d: index says line %d, scan says %d\n%s", path, round, r.line, want, text);
			}
		}
		policy_free(p);
	}
	CHECK_EQ_INT(mismatches, 0, "the indexed router agrees with a first-match scan on %d random paths", routed);
	CHECK(nonlocal_seen > 0, "the random policies include non-local ones (%d)", nonlocal_seen);
}

int main(void)
{
	test_dir_make();
	test_normalize();
	test_route_path();
	test_io_uring_rule();
	test_default_policy();
	test_index_against_scan();
	test_dir_remove();
	return check_done();
}
