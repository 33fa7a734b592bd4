/* tests/unit/policy_errors.c: every error and warning of the policy
 * language, each with its exact "file:line:col: ..." text; all errors of a
 * file reported, not just the first; includes beside the including file,
 * include cycles and depth; unreadable files. */
#include <fcntl.h>

#include "arch/syscall.h"
#include "tests/unit/policy_test.h"

struct one_line {
	const char *line;
	const char *diag;      /* after "FILE:LINE:" */
};

/* Each a line alone in a file is an error with exactly this message. */
static const struct one_line errors[] = {
	{ "path \"/a b local", "6: error: unterminated quote: no closing '\"' on this line" },
	{ "path /a\\", "8: error: '\\' at the end of a line escapes nothing" },
	{ "path \"/a\"b local", "10: error: expected a blank after the closing '\"'" },
	{ "paht /a local", "1: error: unknown keyword 'paht' (did you mean 'path'?)" },
	{ "xyzzy", "1: error: unknown keyword 'xyzzy' (expected path, call or include)" },
	{ "/home/** local", "1: error: unknown keyword '/home/**' (a path rule starts with 'path': path /home/** ...)" },
	{ "path", "5: error: expected a path pattern after 'path'" },
	{ "path home/** local", "6: error: relative path 'home/**': path patterns are absolute (they start with '/')" },
	{ "path \"\" local", "6: error: relative path '': path patterns are absolute (they start with '/')" },
	{ "path /a**b local", "8: error: bad pattern '/a**b': '**' must be a whole path component (as in /DIR/**/NAME)" },
	{ "path \"/x/**y\" local", "10: error: bad pattern '/x/**y': '**' must be a whole path component (as in /DIR/**/NAME)" },
	{ "path /a\\/b local", "8: error: bad pattern '/a\\/b': '/' cannot be escaped: it always separates components" },
	{ "path /a", "8: error: expected an access method after the pattern (local, remote, stage or deny ERRNO)" },
	{ "path /a lokal", "9: error: unknown access method 'lokal' (did you mean 'local'?)" },
	{ "path /a fetch", "9: error: unknown access method 'fetch' (expected local, remote, stage or deny ERRNO)" },
	{ "path /a deny", "13: error: 'deny' needs an errno name, such as EACCES or ENOENT" },
	{ "path /a deny EACCESS", "14: error: unknown errno name 'EACCESS' (did you mean 'EACCES'?)" },
	{ "path /a deny 13", "14: error: unknown errno name '13' (expected a name such as EACCES or ENOENT)" },
	{ "path /a deny eacces", "14: error: unknown errno name 'eacces' (expected a name such as EACCES or ENOENT)" },
	{ "path /a local readonly", "15: error: 'readonly' applies to remote and stage rules only" },
	{ "path /a deny EPERM readonly", "20: error: 'readonly' applies to remote and stage rules only" },
	{ "path /a remote readonly readonly", "25: error: 'readonly' given twice" },
	{ "path /a remote log log", "20: error: 'log' given twice" },
	{ "path /a remote fast", "16: error: unknown modifier 'fast' (expected readonly, map or log)" },
	{ "path /a stage readonyl", "15: error: unknown modifier 'readonyl' (did you mean 'readonly'?)" },
	{ "path /a/** local map /a => /b", "18: error: 'map' applies to remote and stage rules only" },
	{ "path /a/** remote map", "22: error: 'map' needs GUESTPREFIX => SHADOWPREFIX" },
	{ "path /a/** remote map /a /b", "26: error: expected '=>' after the guest prefix of 'map'" },
	{ "path /a/** remote map /a=>/b", "29: error: expected '=>' after the guest prefix of 'map' (put blanks around '=>')" },
	{ "path /a/** remote map /a =>", "28: error: expected the shadow prefix after '=>'" },
	{ "path /a/** remote map a => /b", "23: error: relative path 'a' as the guest prefix of 'map': prefixes are absolute" },
	{ "path /a/** remote map /a => b", "29: error: relative path 'b' as the shadow prefix of 'map': prefixes are absolute" },
	{ "path /a/** remote map /a/* => /b", "23: error: the guest prefix '/a/*' of 'map' has a '*' or '?': prefixes are plain paths" },
	{ "path /a/** remote map /a => /b?", "29: error: the shadow prefix '/b?' of 'map' has a '*' or '?': prefixes are plain paths" },
	{ "path /a/** remote map /a/ => /b", "23: error: the guest prefix '/a/' of 'map' is not normalized (write '/a')" },
	{ "path /a/** remote map /a => /b/../c", "29: error: the shadow prefix '/b/../c' of 'map' is not normalized (write '/c')" },
	{ "path /home/** remote map /home/ann => /x", "26: error: the guest prefix '/home/ann' of 'map' does not hold every path the pattern matches (the pattern's fixed leading part '/home' must be at or under it)" },
	{ "path /home/ann* remote map /home/ann => /x", "28: error: the guest prefix '/home/ann' of 'map' does not hold every path the pattern matches (the pattern's fixed leading part '/home' must be at or under it)" },
	{ "path /** stage map /home => /x", "20: error: the guest prefix '/home' of 'map' does not hold every path the pattern matches (the pattern's fixed leading part '/' must be at or under it)" },
	{ "path /a/** remote map /a => /b map /a => /c", "32: error: 'map' given twice" },
	{ "call", "5: error: expected a system call name after 'call'" },
	{ "call uname", "11: error: expected an action after 'uname' (local, remote, deny ERRNO or log)" },
	{ "call uname remot", "12: error: unknown action 'remot' (did you mean 'remote'?)" },
	{ "call uname forward", "12: error: unknown action 'forward' (expected local, remote, deny ERRNO or log)" },
	{ "call opneat deny EPERM", "6: error: unknown system call 'opneat' (did you mean 'openat'?)" },
	{ "call nosuchcall log", "6: error: unknown system call 'nosuchcall'" },
	{ "call uname,getuidd remote", "12: error: unknown system call 'getuidd' (did you mean 'getuid'?)" },
	{ "call openat remote", "6: error: 'remote' applies only to identity and clock calls (uname, gethostname, getuid, ..., clock_gettime; see splitrun-policy(5)); 'openat' goes where its arguments say" },
	{ "call uname,read local", "12: error: 'local' applies only to identity and clock calls (uname, gethostname, getuid, ..., clock_gettime; see splitrun-policy(5)); 'read' goes where its arguments say" },
	{ "call gethostname deny EPERM", "6: error: 'gethostname' is not a system call: it can only be local or remote" },
	{ "call gethostname log", "6: error: 'gethostname' is not a system call: it can only be local or remote" },
	{ "call uname, remote", "12: error: empty name in the list of calls (write NAME,NAME with no blanks or trailing ',')" },
	{ "call ,uname remote", "6: error: empty name in the list of calls (write NAME,NAME with no blanks or trailing ',')" },
	{ "call uname remote fast", "19: error: unexpected 'fast' after the action (only 'log' may follow it)" },
	{ "call uname remote log log", "23: error: 'log' given twice" },
	{ "call ptrace deny", "17: error: 'deny' needs an errno name, such as EACCES or ENOENT" },
	{ "call ptrace deny EPREM", "18: error: unknown errno name 'EPREM' (did you mean 'EPERM'?)" },
	{ "include", "8: error: expected a file name after 'include'" },
	{ "include a b", "11: error: unexpected 'b' after the file name (quote a name that has blanks)" },
	{ "include \"\"", "9: error: empty file name after 'include'" },
	{ "\t path\t/tab local extra", "19: error: unknown modifier 'extra' (expected readonly, map or log)" },
};

/* Each alone in a file is a warning with this message; the policy loads. */
static const struct one_line warnings[] = {
	{ "path /a/ local", "8: warning: pattern '/a/' can never match: paths are normalized and have no trailing '/' (write '/a')" },
	{ "path /a//b local", "8: warning: pattern '/a//b' can never match: paths are normalized and have no '//' (write '/a/b')" },
	{ "path /a/./b local", "9: warning: pattern '/a/./b' can never match: paths are normalized and have no '.' or '..' components (write '/a/b')" },
	{ "path \"/x/../b\" remote", "10: warning: pattern '/x/../b' can never match: paths are normalized and have no '.' or '..' components (write '/b')" },
};

static void test_one_line(const struct one_line *c, bool error, int index)
{
	char name[32], want[1024];
	snprintf(name, sizeof name, "%s%d.pol", error ? "e" : "w", index);
	struct policy *p = test_load_text(name, c->line);
	snprintf(want, sizeof want, "%s/%s:1:%s\n", test_dir, name, c->diag);
	CHECK(error ? p == NULL : p != NULL, "'%s' %s", c->line, error ? "is refused" : "loads (a warning)");
	CHECK_EQ_STR(diag_text, want, "'%s'", c->line);
	policy_free(p);
}

/* All the error lines in one file: every one is reported, in order, each
 * with its own line number. */
static void test_all_errors_reported(void)
{
	size_t n = sizeof errors / sizeof errors[0];
	char *text = calloc(n, 128), *want = calloc(n, 1024);
	char *t = text, *w = want;
	const char *path = test_file("all.pol", "");
	for (size_t i = 0; i < n; i++) {
		t += sprintf(t, "%s\n", errors[i].line);
		if (i % 7 == 3) {   /* good lines and comments between the bad ones */
			t += sprintf(t, "# fine\npath /ok%zu local   # fine too\n\n", i);
			w += sprintf(w, "%s", "");
		}
	}
	/* Line numbers: count them as written. */
	int line = 1;
	size_t k = 0;
	for (const char *s = text; *s; line++) {
		const char *nl = strchr(s, '\n');
		if (k < n && strncmp(s, errors[k].line, strlen(errors[k].line)) == 0 &&
		    (size_t)(nl - s) == strlen(errors[k].line)) {
			w += sprintf(w, "%s:%d:%s\n", path, line, errors[k].diag);
			k++;
		}
		s = nl + 1;
	}
	struct policy *p = test_load_text("all.pol", text);
	CHECK(p == NULL, "a file with %zu bad lines is refused", n);
	CHECK_EQ_STR(diag_text, want, "every error of the file is reported, in order");
	int lines = 0;
	for (const char *s = diag_text; (s = strchr(s, '\n')); s++)
		lines++;
	CHECK_EQ_INT(lines, (int)n, "one message per bad line");
	free(text);
	free(want);
}

static void test_special_bytes(void)
{
	char want[512];
	const char *path = test_file("nul.pol", "");
	FILE *f = fopen(path, "w");
	fwrite("path /a local\npath /b\0 local\n", 1, 29, f);
	fclose(f);
	struct policy *p = test_load(path);
	snprintf(want, sizeof want, "%s:2:8: error: NUL byte in a policy file\n", path);
	CHECK(p == NULL, "a NUL byte is refused");
	CHECK_EQ_STR(diag_text, want, "NUL byte: the message");

	char many[512] = "path /a remote";
	for (int i = 0; i < 31; i++)
		strcat(many, " log");
	p = test_load_text("many.pol", many);
	snprintf(want, sizeof want, "%s/many.pol:1:%d: error: too many words on one line\n", test_dir,
		 (int)strlen("path /a remote") + 29 * 4 + 2); /* the 33rd word: the 30th "log" */
	CHECK(p == NULL, "33 words on a line are refused");
	CHECK_EQ_STR(diag_text, want, "too many words: the message");

	/* What is not an error: quoted keywords and blanks in names, '#' inside
	 * a word, comments, blank lines, CRLF line ends. */
	p = test_load_text("fine.pol",
			   "\n   # a comment\n\"path\" \"/with blank/**\" remote # trailing\r\n"
			   "path /a#b local\npath /c\\ d stage\n\t\n"
			   "path \"/q\\\"uote/**\" deny EPERM\n");
	if (CHECK(p != NULL, "quotes, '#' inside words, comments and CRLF are fine")) {
		CHECK_EQ_STR(diag_text, "", "and give no diagnostics");
		struct policy_route r;
		char shadow[64];
		policy_route_path(p, "/with blank/x", &r, shadow, sizeof shadow);
		CHECK(r.method == POLICY_REMOTE && r.line == 3, "a quoted pattern with a blank matches (line %d)", r.line);
		policy_route_path(p, "/a#b", &r, shadow, sizeof shadow);
		CHECK(r.method == POLICY_LOCAL && r.line == 4, "'#' inside a word is part of it");
		policy_route_path(p, "/c d", &r, shadow, sizeof shadow);
		CHECK(r.method == POLICY_STAGE && r.line == 5, "an escaped blank is part of the word");
		policy_route_path(p, "/q\"uote/x", &r, shadow, sizeof shadow);
		CHECK(r.method == POLICY_DENY && r.line == 7, "an escaped quote inside quotes is part of the word");
		policy_free(p);
	} else {
		printf("# %s", diag_text);
	}
}

static void test_shadowing(void)
{
	char want[4096];
	test_file("sub/inc.pol", "# included\npath /home/bob/** local\npath /opt/x/** remote\ncall ptrace log\n");
	struct policy *p = test_load_text("shadow.pol",
		"path /home/** remote\n"            /* 1 */
		"path /home/ann/** stage\n"         /* 2: shadowed */
		"path /home/* local\n"              /* 3: shadowed */
		"path /srv/*.log local\n"           /* 4 */
		"path /srv/a*.log remote\n"         /* 5: shadowed */
		"path /srv/?.log deny EPERM\n"      /* 6: shadowed */
		"path /srv/**/x.log remote\n"       /* 7: not shadowed (deeper) */
		"call uname remote\n"               /* 8 */
		"call uname local\n"                /* 9: shadowed */
		"include sub/inc.pol\n"             /* 10: line 2 shadowed */
		"path /opt/** local\n"              /* 11: not shadowed by the included /opt/x rule */
		"call ptrace deny EPERM\n"          /* 12: shadowed by the include */
		"call getuid,getuid remote\n");     /* 13: the second is shadowed */
	const char *f = test_files[ntest_files - 1];
	snprintf(want, sizeof want,
		 "%s:2:6: warning: rule never applies: every path it matches goes by 'path /home/** remote' (%s:1) first\n"
		 "%s:3:6: warning: rule never applies: every path it matches goes by 'path /home/** remote' (%s:1) first\n"
		 "%s:5:6: warning: rule never applies: every path it matches goes by 'path /srv/*.log local' (%s:4) first\n"
		 "%s:6:6: warning: rule never applies: every path it matches goes by 'path /srv/*.log local' (%s:4) first\n"
		 "%s/sub/inc.pol:2:6: warning: rule never applies: every path it matches goes by 'path /home/** remote' (%s:1) first\n"
		 "%s:9:6: warning: rule never applies: the call goes by 'call uname remote' (%s:8) first\n"
		 "%s:12:6: warning: rule never applies: the call goes by 'call ptrace log' (%s/sub/inc.pol:4) first\n"
		 "%s:13:13: warning: rule never applies: the call goes by 'call getuid remote' (%s:13) first\n",
		 f, f, f, f, f, f, f, f, test_dir, f, f, f, f, test_dir, f, f);
	CHECK(p != NULL, "shadowed rules are warnings only");
	CHECK_EQ_STR(diag_text, want, "each shadowed rule is named, with the rule that takes its paths first");
	if (p) {
		struct policy_route r;
		policy_route_path(p, "/opt/x/y", &r, NULL, 0);
		CHECK(r.method == POLICY_REMOTE && strstr(r.file, "sub/inc.pol") && r.line == 3,
		      "an included rule routes, naming its own file (%s:%d)", r.file, r.line);
		policy_route_call(p, "ptrace", &r);
		CHECK(r.method == POLICY_LOCAL && r.log, "the included 'call ptrace log' wins over the later deny");
	}
	policy_free(p);

	/* A shadowed or never-matching non-local rule forces no trap. */
	p = test_load_text("inert.pol", "path /** local\npath /home/** remote\npath /x/ remote\n");
	CHECK(p && !policy_any_nonlocal(p), "rules that never apply do not make the policy non-local");
	if (p) {
		struct policy_route r;
		policy_route_call(p, "io_uring_setup", &r);
		CHECK_EQ_INT(r.method, POLICY_LOCAL, "and do not deny io_uring_setup");
	}
	policy_free(p);
}

static void test_includes(void)
{
	char want[2048];
	/* Relative to the including file's directory, at every level. */
	test_file("inc/top.pol", "include lib/a.pol\npath /top/** remote\n");
	test_file("inc/lib/a.pol", "include ../b.pol\ninclude c.pol\npath /a/** stage\n");
	test_file("inc/b.pol", "path /b/** deny ENOENT\n");
	test_file("inc/lib/c.pol", "path /c/** remote\n");
	char abs_inc[600];
	snprintf(abs_inc, sizeof abs_inc, "include \"%s/inc/b.pol\"\n", test_dir);
	test_file("inc/abs.pol", abs_inc);
	struct policy *p = test_load(test_files[ntest_files - 5]);
	if (CHECK(p != NULL, "nested relative includes load")) {
		CHECK_EQ_STR(diag_text, "", "without diagnostics");
		struct policy_route r;
		char expect_file[600];
		policy_route_path(p, "/b/x", &r, NULL, 0);
		snprintf(expect_file, sizeof expect_file, "%s/inc/lib/../b.pol", test_dir);
		CHECK(r.method == POLICY_DENY && r.deny_errno == ENOENT && r.line == 1,
		      "'../b.pol' from lib/a.pol is inc/b.pol");
		CHECK_EQ_STR(r.file, expect_file, "the rule names the file as it was reached");
		policy_route_path(p, "/c/x", &r, NULL, 0);
		snprintf(expect_file, sizeof expect_file, "%s/inc/lib/c.pol", test_dir);
		CHECK(r.method == POLICY_REMOTE, "'c.pol' from lib/a.pol is inc/lib/c.pol");
		CHECK_EQ_STR(r.file, expect_file, "c.pol's rules name it");
		policy_route_path(p, "/a/x", &r, NULL, 0);
		CHECK(r.method == POLICY_STAGE && r.line == 3, "the including file's own rules follow its includes");
		policy_route_path(p, "/top", &r, NULL, 0);
		CHECK(r.method == POLICY_REMOTE && r.line == 2, "the top file's rule after the include");
	}
	policy_free(p);
	p = test_load(test_files[ntest_files - 1]);
	CHECK(p != NULL && diag_text[0] == 0, "an absolute include path is taken as is");
	policy_free(p);

	/* A missing include, and errors inside an included file. */
	test_file("inc/bad.pol", "path /x lokal\n");
	p = test_load_text("inc/uses_bad.pol", "include bad.pol\ninclude nothere.pol\ninclude lib\n");
	snprintf(want, sizeof want,
		 "%s/inc/bad.pol:1:9: error: unknown access method 'lokal' (did you mean 'local'?)\n"
		 "%s/inc/uses_bad.pol:2:9: error: cannot include '%s/inc/nothere.pol': No such file or directory\n"
		 "%s/inc/uses_bad.pol:3:9: error: cannot include '%s/inc/lib': Is a directory\n",
		 test_dir, test_dir, test_dir, test_dir, test_dir);
	CHECK(p == NULL, "errors in and of includes refuse the policy");
	CHECK_EQ_STR(diag_text, want, "errors name the included file, or the include line");

	/* Cycles: a file including itself, and a longer loop. */
	p = test_load_text("cyc/self.pol", "path /a local\ninclude self.pol\n");
	snprintf(want, sizeof want,
		 "%s/cyc/self.pol:2:9: error: include cycle: %s/cyc/self.pol -> %s/cyc/self.pol\n",
		 test_dir, test_dir, test_dir);
	CHECK(p == NULL, "a file including itself is refused");
	CHECK_EQ_STR(diag_text, want, "self-include: the cycle");
	test_file("cyc/b.pol", "include c.pol\n");
	test_file("cyc/c.pol", "\n\n  include   \"a.pol\"\n");
	p = test_load_text("cyc/a.pol", "include b.pol\n");
	snprintf(want, sizeof want,
		 "%s/cyc/c.pol:3:13: error: include cycle: %s/cyc/a.pol -> %s/cyc/b.pol -> %s/cyc/c.pol -> %s/cyc/a.pol\n",
		 test_dir, test_dir, test_dir, test_dir, test_dir);
	CHECK(p == NULL, "a -> b -> c -> a is refused");
	CHECK_EQ_STR(diag_text, want, "the whole cycle is shown");

	/* The same file twice, not nested, is no cycle (its rules shadow). */
	test_file("twice/x.pol", "call uname remote\n");
	p = test_load_text("twice/top.pol", "include x.pol\ninclude x.pol\n");
	snprintf(want, sizeof want,
		 "%s/twice/x.pol:1:6: warning: rule never applies: the call goes by 'call uname remote' (%s/twice/x.pol:1) first\n",
		 test_dir, test_dir);
	CHECK(p != NULL, "including one file twice is no cycle");
	CHECK_EQ_STR(diag_text, want, "only the repeated rules' warning");
	policy_free(p);

	/* Depth: 16 nested includes are fine, 17 are not. */
	for (int depth = 16; depth <= 17; depth++) {
		char name[64], text[64];
		for (int i = 0; i <= depth; i++) {
			snprintf(name, sizeof name, "deep%d/d%d.pol", depth, i);
			if (i < depth)
				snprintf(text, sizeof text, "include d%d.pol\n", i + 1);
			else
				snprintf(text, sizeof text, "path /deep/** remote\n");
			test_file(name, text);
		}
		p = test_load(test_files[ntest_files - depth - 1]);
		if (depth == 16) {
			CHECK(p != NULL && diag_text[0] == 0, "16 nested includes load");
			struct policy_route r;
			if (p) {
				policy_route_path(p, "/deep/x", &r, NULL, 0);
				CHECK_EQ_INT(r.method, POLICY_REMOTE, "the deepest file's rule is in");
			}
		} else {
			snprintf(want, sizeof want,
				 "%s/deep17/d16.pol:1:9: error: cannot include '%s/deep17/d17.pol': includes nest deeper than 16 files\n",
				 test_dir, test_dir);
			CHECK(p == NULL, "17 nested includes are refused");
			CHECK_EQ_STR(diag_text, want, "too deep: the message");
		}
		policy_free(p);
	}
}

static void test_unreadable(void)
{
	char want[1024], path[600];
	snprintf(path, sizeof path, "%s/nonexistent.pol", test_dir);
	struct policy *p = test_load(path);
	snprintf(want, sizeof want, "%s: error: cannot read the policy: No such file or directory\n", path);
	CHECK(p == NULL, "a missing policy is refused");
	CHECK_EQ_STR(diag_text, want, "missing policy: the message");

	p = test_load(test_dir);
	snprintf(want, sizeof want, "%s: error: cannot read the policy: Is a directory\n", test_dir);
	CHECK(p == NULL, "a directory is refused");
	CHECK_EQ_STR(diag_text, want, "directory: the message");

	const char *big = test_file("big.pol", "");
	int fd = open(big, O_WRONLY);
	char line[64];
	memset(line, ' ', sizeof line);
	line[63] = '\n';
	for (int i = 0; i < (1 << 20) / 64 + 1; i++)
		if (write(fd, line, sizeof line) != (ssize_t)sizeof line)
			break;
	close(fd);
	p = test_load(big);
	snprintf(want, sizeof want, "%s: error: cannot read the policy: larger than 1 MiB: not a policy\n", big);
	CHECK(p == NULL, "a file over 1 MiB is refused");
	CHECK_EQ_STR(diag_text, want, "too big: the message");
}

static void test_other_arch(void)
{
#if defined(__aarch64__)
	/* aarch64 has no open, time, ...: warnings, and the rules stay inert. */
	char want[1024];
	struct policy *p = test_load_text("arch.pol", "call open deny EACCES\ncall time,uname remote\n");
	const char *f = test_files[ntest_files - 1];
	snprintf(want, sizeof want,
		 "%s:1:6: warning: 'open' is not a system call on this architecture (only on x86_64): this rule never applies here\n"
		 "%s:2:6: warning: 'time' is not a system call on this architecture (only on x86_64): this rule never applies here\n",
		 f, f);
	CHECK(p != NULL, "calls of another architecture are warnings");
	CHECK_EQ_STR(diag_text, want, "other architecture: the messages");
	policy_free(p);
#else
	CHECK(syscall_nr("open") >= 0 && syscall_nr("time") >= 0,
	      "x86_64 has open and time (their warning is checked on aarch64 under qemu)");
	struct policy *p = test_load_text("arch.pol", "call open deny EACCES\ncall time,uname remote\n");
	CHECK(p != NULL && diag_text[0] == 0, "open and time rules load without warnings here");
	policy_free(p);
#endif
}

int main(void)
{
	test_dir_make();
	for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
		test_one_line(&errors[i], true, (int)i);
	for (size_t i = 0; i < sizeof warnings / sizeof warnings[0]; i++)
		test_one_line(&warnings[i], false, (int)i);
	test_all_errors_reported();
	test_special_bytes();
	test_shadowing();
	test_includes();
	test_unreadable();
	test_other_arch();
	test_dir_remove();
	return check_done();
}
