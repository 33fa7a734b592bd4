#!/usr/bin/env bats
# splitrun --check-policy: exit codes, the effective rules on stdout, every
# error and warning on stderr as file:line:col, includes expanded, the
# built-in policy ('-') and the docs that quote it, the worked example of
# docs/policy.md, the printed rules read back to the same rules, and the
# command line's own errors.

setup() {
	REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	SPLITRUN=${SPLITRUN_BINDIR:?}/splitrun
	[ -x "$SPLITRUN" ] || { echo "no $SPLITRUN" >&2; return 1; }
	WORK=$BATS_TEST_TMPDIR
}

# check WANT_STATUS ARGS...: runs splitrun ARGS, stdout to $WORK/out,
# stderr to $WORK/err, and compares the exit status.
check() {
	local want=$1; shift
	local got=0
	timeout -s KILL 20 "$SPLITRUN" "$@" > "$WORK/out" 2> "$WORK/err" || got=$?
	if [ "$got" != "$want" ]; then
		echo "status of 'splitrun $*': got $got, want $want" >&2
		echo "--- stdout" >&2; cat "$WORK/out" >&2
		echo "--- stderr" >&2; cat "$WORK/err" >&2
		return 1
	fi
}

# same FILE EXPECTED-TEXT: the file holds exactly the text (diff on failure).
same() {
	if ! diff -u <(printf '%s\n' "$2") "$1" >&2; then
		echo "($1 differs from what was expected)" >&2
		return 1
	fi
}

# The rule lines of a --check-policy output, without their "# FILE:LINE".
rules_of() {
	grep -v '^# ' "$1" | sed 's/ *# [^#]*$//'
}

@test "--help lists --check-policy" {
	check 0 --help
	grep -q -- '--check-policy FILE' "$WORK/out"
}

@test "a valid policy: exit 0, the effective rules with their origins, nothing on stderr" {
	cd "$WORK"
	cat > p.pol <<'EOF'
# comment
path /usr/**  local
path /home/ann/** remote map /home/ann => /export/ann readonly
path "/home/x y/**" stage log
call uname,gethostname remote
call ptrace deny EPERM
EOF
	check 0 --check-policy p.pol
	same "$WORK/out" "# splitrun policy: p.pol (first matching rule wins)
path /usr/** local                      # p.pol:2
path /home/ann/** remote map /home/ann => /export/ann readonly # p.pol:3
path \"/home/x y/**\" stage log           # p.pol:4
call uname remote                       # p.pol:5
call gethostname remote                 # p.pol:5
call ptrace deny EPERM                  # p.pol:6
# call io_uring_setup deny ENOSYS       # p.pol:3: implied, this path rule is not local
# any other path: local (default)
# any other call: local (default)"
	[ ! -s "$WORK/err" ] || { cat "$WORK/err" >&2; return 1; }
	# --check-policy=FILE works too.
	check 0 --check-policy=p.pol
	grep -q '^path /usr/\*\* local ' "$WORK/out"
}

@test "errors: exit 1, every one as file:line:col, a count, nothing on stdout" {
	cd "$WORK"
	cat > bad.pol <<'EOF'
path /usr/** lokal
path /ok/** local
path home/** remote
call opneat deny EPERM
path /a/** remote map /a /b
path /home/** remote
path /home/ann/** stage
EOF
	check 1 --check-policy bad.pol
	same "$WORK/err" "bad.pol:1:14: error: unknown access method 'lokal' (did you mean 'local'?)
bad.pol:3:6: error: relative path 'home/**': path patterns are absolute (they start with '/')
bad.pol:4:6: error: unknown system call 'opneat' (did you mean 'openat'?)
bad.pol:5:26: error: expected '=>' after the guest prefix of 'map'
bad.pol:7:6: warning: rule never applies: every path it matches goes by 'path /home/** remote' (bad.pol:6) first
splitrun: bad.pol: 4 errors, 1 warning"
	[ ! -s "$WORK/out" ] || { echo "stdout should be empty:" >&2; cat "$WORK/out" >&2; return 1; }
}

@test "warnings only: exit 0, the rules, the warnings and their count" {
	cd "$WORK"
	printf 'path /a/ local\npath /** remote\npath /b/** local\ncall uname remote\ncall uname local\n' > w.pol
	check 0 --check-policy w.pol
	same "$WORK/err" "w.pol:1:8: warning: pattern '/a/' can never match: paths are normalized and have no trailing '/' (write '/a')
w.pol:3:6: warning: rule never applies: every path it matches goes by 'path /** remote' (w.pol:2) first
w.pol:5:6: warning: rule never applies: the call goes by 'call uname remote' (w.pol:4) first
splitrun: w.pol: 3 warnings"
	same "$WORK/out" "# splitrun policy: w.pol (first matching rule wins)
# path /a/ local                        # w.pol:1: can never match a normalized path
path /** remote                         # w.pol:2
# path /b/** local                      # w.pol:3: never applies, w.pol:2 takes every path first
call uname remote                       # w.pol:4
# call uname local                      # w.pol:5: never applies, w.pol:4 decides the call first
# call io_uring_setup deny ENOSYS       # w.pol:2: implied, this path rule is not local
# any other path: none, w.pol:2 matches every path
# any other call: local (default)"
}

@test "includes are expanded in place, relative to the including file, from any cwd" {
	mkdir -p "$WORK/conf/common" "$WORK/elsewhere"
	printf 'path /first/** local\ninclude common/paths.pol\npath /last/** remote\n' > "$WORK/conf/main.pol"
	printf 'include ../calls.pol\npath /middle/** stage\n' > "$WORK/conf/common/paths.pol"
	printf 'call uname remote\n' > "$WORK/conf/calls.pol"
	cd "$WORK/elsewhere"
	check 0 --check-policy ../conf/main.pol
	same "$WORK/out" "# splitrun policy: ../conf/main.pol (first matching rule wins)
path /first/** local                    # ../conf/main.pol:1
path /middle/** stage                   # ../conf/common/paths.pol:2
path /last/** remote                    # ../conf/main.pol:3
call uname remote                       # ../conf/common/../calls.pol:1
# call io_uring_setup deny ENOSYS       # ../conf/common/paths.pol:2: implied, this path rule is not local
# any other path: local (default)
# any other call: local (default)"
	# A cycle is an error at the include that closes it.
	printf 'include ../main.pol\n' > "$WORK/conf/common/paths.pol"
	check 1 --check-policy ../conf/main.pol
	grep -qx '../conf/common/paths.pol:1:9: error: include cycle: ../conf/main.pol -> ../conf/common/paths.pol -> ../conf/common/../main.pol' "$WORK/err" ||
		{ cat "$WORK/err" >&2; return 1; }
}

@test "'-' checks and prints the built-in policy, rule for rule as policy/default.policy" {
	check 0 --check-policy -
	[ ! -s "$WORK/err" ] || { cat "$WORK/err" >&2; return 1; }
	head -1 "$WORK/out" | grep -qx '# splitrun policy: <built-in> (first matching rule wins)'
	# Each rule of the file, in order, with its line number in the file.
	local want
	want=$(grep -n '^path\|^call' "$REPO/policy/default.policy" |
		sed 's/^\([0-9]*\):\(.*[^ ]\) *#.*/\2 @\1/; s/^\([0-9]*\):\(.*\)/\2 @\1/' |
		awk '{ line = $NF; $NF = ""; sub(/ $/, ""); printf "%s # <built-in>:%s\n", $0, substr(line, 2) }')
	got=$(grep -v '^# ' "$WORK/out" | sed 's/  *#/ #/')
	[ "$got" = "$want" ] || { diff -u <(echo "$want") <(echo "$got") >&2; return 1; }
	grep -qx '# call io_uring_setup deny ENOSYS  *# <built-in>:[0-9]*: implied, this path rule is not local' "$WORK/out"
	grep -qx '# any other path: none, <built-in>:[0-9]* matches every path' "$WORK/out"
}

@test "docs/policy.md quotes policy/default.policy verbatim, splitrun-policy(5) its rules" {
	python3 - "$REPO" <<'EOF'
import sys
repo = sys.argv[1]
default = open(repo + "/policy/default.policy").read()
doc = open(repo + "/docs/policy.md").read()
if "```\n" + default + "```\n" not in doc:
    sys.exit("docs/policy.md does not quote policy/default.policy as a whole block")
man = open(repo + "/docs/man/splitrun-policy.5").read()
for line in default.splitlines():
    if line.startswith("path ") and line not in man:
        sys.exit("splitrun-policy.5 lacks the rule line: " + line)
EOF
}

@test "the worked example of docs/policy.md gives the output the doc shows" {
	cd "$WORK"
	python3 - "$REPO/docs/policy.md" <<'EOF'
import sys
doc = open(sys.argv[1]).read()
blocks = doc.split("```")
# The first code block is the example policy; the block that starts with
# "$ splitrun --check-policy ann.policy" is its output (stdout, then stderr).
open("ann.policy", "w").write(blocks[1].lstrip("\n"))
out = [b for b in blocks if b.lstrip("\n").startswith("$ splitrun --check-policy ann.policy")]
if len(out) != 1:
    sys.exit("docs/policy.md: no example output block")
open("want.txt", "w").write(out[0].lstrip("\n").split("\n", 1)[1])
EOF
	check 0 --check-policy ann.policy
	cat "$WORK/out" "$WORK/err" > got.txt
	diff -u want.txt got.txt >&2
}

@test "the printed rules read back as the same rules, with no warnings" {
	cd "$WORK"
	mkdir -p inc
	printf 'path /srv/*.log local\ncall ptrace log\n' > inc/x.pol
	cat > p.pol <<'EOF'
path /home/ann/** remote map /home/ann => /export/ann
path /home/ann/x/** stage
include inc/x.pol
path /srv/a.log deny ENOENT
path "/q r/**" remote readonly log
path /w\ x/\*/** local
path /never/ remote
call uname,getuid remote
call ptrace deny EPERM
EOF
	check 0 --check-policy p.pol
	cp "$WORK/out" first.pol
	grep -q warning "$WORK/err"
	check 0 --check-policy first.pol
	[ ! -s "$WORK/err" ] || { echo "the printed policy has diagnostics:" >&2; cat "$WORK/err" >&2; return 1; }
	diff -u <(rules_of first.pol) <(rules_of "$WORK/out") >&2
	# The comments kept the inert rules out, the live ones are all there.
	rules_of first.pol | grep -qx 'path "/q r/\*\*" remote readonly log'
	rules_of first.pol | grep -qx 'path /w\\ x/\\\*/\*\* local'
	! rules_of first.pol | grep -q '^path /home/ann/x'
}

@test "unreadable policies: exit 1 and the reason" {
	cd "$WORK"
	check 1 --check-policy nothere.pol
	same "$WORK/err" "nothere.pol: error: cannot read the policy: No such file or directory
splitrun: nothere.pol: 1 error, 0 warnings"
	mkdir adir
	check 1 --check-policy adir
	grep -qx 'adir: error: cannot read the policy: Is a directory' "$WORK/err"
	printf 'path /a local\n' > secret.pol
	chmod 600 secret.pol
	chmod 755 "$WORK"
	local got=0
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SPLITRUN" --check-policy "$WORK/secret.pol" \
		> "$WORK/out" 2> "$WORK/err" || got=$?
	[ "$got" -eq 1 ] || { echo "status $got" >&2; cat "$WORK/err" >&2; return 1; }
	grep -qx "$WORK/secret.pol: error: cannot read the policy: Permission denied" "$WORK/err" ||
		{ cat "$WORK/err" >&2; return 1; }
}

@test "usage errors: no file, a program after --check-policy; a full stdout" {
	check 2 --check-policy
	grep -q "option '--check-policy' needs an argument" "$WORK/err"
	check 2 --check-policy - true
	grep -q "splitrun: --check-policy runs no program (got 'true')" "$WORK/err"
	local got=0
	"$SPLITRUN" --check-policy - > /dev/full 2> "$WORK/err" || got=$?
	[ "$got" -eq 1 ] || { echo "status $got with a full stdout" >&2; return 1; }
	grep -q '^splitrun: writing the policy: No space left on device$' "$WORK/err"
}
