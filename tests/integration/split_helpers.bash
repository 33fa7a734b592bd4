# tests/integration/split_helpers.bash: what split-execution suites share.
#
#   setup_file:    split_start_shadow     a splitrun-shadow on a fresh export
#                                         root (loopback, port 0)
#   teardown_file: split_stop_shadow      kills it by its PID
#   setup:         split_fixture NAME     the same tree twice: $SPLIT_NATIVE/NAME
#                                         (used natively) and $SPLIT_ROOT/NAME
#                                         (the shadow's; the guest sees /NAME)
#   split_both 'SHELL COMMAND'            runs it in both trees (sh -c, in the
#                                         tree's top directory) and compares
#                                         stdout, stderr, exit status and the
#                                         resulting trees ($SPLIT_POLICY, if
#                                         set, is the policy of the split run);
#                                         $LOCAL is a fresh local directory of
#                                         each run's own, compared too
#   split_seed 'SHELL COMMAND'            adds to the fixture: runs it natively
#                                         in both copies of the tree
#   split_policy RULE...                  a policy file: RULEs (one per
#                                         argument), then the built-in rules
#   under_unotify                         true when the suite runs under the
#                                         user-notification backend
#                                         (SPLITRUN_BACKEND=unotify; tests/run.sh
#                                         runs the split suites under ptrace and
#                                         under unotify)
#
# The guest path /NAME routes remote under the built-in policy ("/**
# remote"); native output has the $SPLIT_NATIVE prefix taken out so that
# paths compare equal, and both runs' $LOCAL reads "$LOCAL".

SPLIT_ENV=(env -i PATH=/usr/local/bin:/usr/bin:/bin LC_ALL=C HOME=/nonexistent TZ=UTC SPLITRUN_BACKEND="${SPLITRUN_BACKEND:-}")

split_start_shadow() {
	SPLITRUN=${SPLITRUN_BINDIR:?}/splitrun
	SPLIT_SHADOW_BIN=${SPLITRUN_BINDIR:?}/splitrun-shadow
	export SPLITRUN
	export SPLIT_ROOT=$BATS_FILE_TMPDIR/root
	export SPLIT_NATIVE=$BATS_FILE_TMPDIR/native
	mkdir -p "$SPLIT_ROOT" "$SPLIT_NATIVE"
	"$SPLIT_SHADOW_BIN" --root "$SPLIT_ROOT" --listen 127.0.0.1:0 \
		> "$BATS_FILE_TMPDIR/shadow.out" 2> "$BATS_FILE_TMPDIR/shadow.log" &
	echo $! > "$BATS_FILE_TMPDIR/shadow.pid"
	local i
	for i in $(seq 100); do
		grep -q '^splitrun --shadow ' "$BATS_FILE_TMPDIR/shadow.out" 2>/dev/null && break
		sleep 0.05
	done
	SPLIT_ADDR=$(awk '/^splitrun --shadow / { print $3 }' "$BATS_FILE_TMPDIR/shadow.out")
	[ -n "$SPLIT_ADDR" ] || { echo "splitrun-shadow printed no address" >&2; cat "$BATS_FILE_TMPDIR/shadow.log" >&2; return 1; }
	export SPLIT_ADDR
}

# split_stop PIDFILE: kills that process and waits (bounded) until it is gone.
split_stop() {
	local pid i
	pid=$(cat "$1" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || return 0
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
}

split_stop_shadow() {
	split_stop "$BATS_FILE_TMPDIR/shadow.pid"
}

# The tree every test starts from: text, an empty file, a name with a blank,
# a 3 MB file (more than one wire buffer), modes, symlinks (one dangling),
# nested directories.
split_make_template() {
	local t=$1
	mkdir -p "$t/sub/deeper" "$t/empty-dir"
	printf 'alpha\nbeta\ngamma\ndelta\n' > "$t/a.txt"
	printf 'line1\nline2\n' > "$t/sub/b.txt"
	printf 'deep\n' > "$t/sub/deeper/c.txt"
	: > "$t/empty"
	printf 'spaced\n' > "$t/with space.txt"
	head -c 3000000 /dev/urandom > "$t/big.bin"
	printf '#!/bin/sh\necho "script $# $1"\n' > "$t/script.sh"
	ln -s a.txt "$t/link-to-a"
	ln -s /nonexistent/target "$t/dangling"
	ln -s sub "$t/link-to-sub"
	chmod 0600 "$t/sub/b.txt"
	chmod 0750 "$t/script.sh" "$t/sub/deeper"
	chmod 0444 "$t/empty"
	touch -d '2020-01-02 03:04:05' "$t/a.txt" "$t/sub/b.txt" "$t/empty" "$t/with space.txt"
}

split_fixture() {
	SPLIT_NAME=$1
	local tmpl=$BATS_FILE_TMPDIR/template
	[ -d "$tmpl" ] || split_make_template "$tmpl"
	rm -rf "${SPLIT_NATIVE:?}/$SPLIT_NAME" "${SPLIT_ROOT:?}/$SPLIT_NAME"
	cp -a "$tmpl" "$SPLIT_NATIVE/$SPLIT_NAME"
	cp -a "$tmpl" "$SPLIT_ROOT/$SPLIT_NAME"
	touch -d '2021-01-01 00:00:00' "$SPLIT_NATIVE/$SPLIT_NAME" "$SPLIT_ROOT/$SPLIT_NAME"
}

split_seed() {
	local d
	for d in "$SPLIT_NATIVE/$SPLIT_NAME" "$SPLIT_ROOT/$SPLIT_NAME"; do
		(cd "$d" && sh -c "$1") || { echo "split_seed '$1' failed in $d" >&2; return 1; }
	done
}

# tree_digest DIR: one line per entry: path, type, mode, and a content hash
# (files) or the target (symlinks).
tree_digest() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r f; do
		if [ -L "$f" ]; then
			printf '%s link %s\n' "$f" "$(readlink "$f")"
		elif [ -d "$f" ]; then
			printf '%s dir %s\n' "$f" "$(stat -c %a "$f")"
		else
			printf '%s file %s %s\n' "$f" "$(stat -c %a "$f")" "$(sha256sum < "$f" | cut -c1-64)"
		fi
	done)
}

# split_run ARGS...: splitrun --shadow with the test environment (and the
# variables of the array SPLIT_RUN_ENV, if any); output in
# $BATS_TEST_TMPDIR/split.{out,err}, status in $split_status.
split_run() {
	split_status=0
	(cd "$BATS_TEST_TMPDIR" && timeout -k 5 120 "${SPLIT_ENV[@]}" "${SPLIT_RUN_ENV[@]}" "$SPLITRUN" --shadow "$SPLIT_ADDR" "$@") \
		> "$BATS_TEST_TMPDIR/split.out" 2> "$BATS_TEST_TMPDIR/split.err" || split_status=$?
}

# differ WHAT FILE1 FILE2: prints a diff and fails when they differ.
differ() {
	if ! diff -u "$2" "$3" > "$BATS_TEST_TMPDIR/diff" 2>&1; then
		echo "--- $1 differs (native, then split):" >&2
		cat "$BATS_TEST_TMPDIR/diff" >&2
		return 1
	fi
}

split_both() {
	local cmd=$1 d=$BATS_TEST_TMPDIR native_status=0
	# $LOCAL: a directory of this machine's (under /tmp, local by the
	# built-in policy), one per run, for what goes between the two sides.
	rm -rf "$d/local.native" "$d/local.split"
	mkdir "$d/local.native" "$d/local.split"
	(cd "$SPLIT_NATIVE/$SPLIT_NAME" && timeout -k 5 120 "${SPLIT_ENV[@]}" LOCAL="$d/local.native" sh -c "$cmd") \
		> "$d/native.raw" 2> "$d/native.err.raw" || native_status=$?
	# The two trees' and the two local directories' own names differ.
	sed -e "s|$d/local.native|\$LOCAL|g" -e "s|$SPLIT_NATIVE||g" "$d/native.raw" > "$d/native.out"
	sed -e "s|$d/local.native|\$LOCAL|g" -e "s|$SPLIT_NATIVE||g" "$d/native.err.raw" > "$d/native.err"
	local policy=()
	[ -z "${SPLIT_POLICY:-}" ] || policy=(--policy "$SPLIT_POLICY")
	local SPLIT_RUN_ENV=(LOCAL="$d/local.split")
	split_run "${policy[@]}" -C "/$SPLIT_NAME" -- sh -c "$cmd"
	sed -i "s|$d/local.split|\$LOCAL|g" "$d/split.out" "$d/split.err"
	local bad=0
	differ "stdout of '$cmd'" "$d/native.out" "$d/split.out" || bad=1
	differ "stderr of '$cmd'" "$d/native.err" "$d/split.err" || bad=1
	if [ "$native_status" != "$split_status" ]; then
		echo "--- exit status of '$cmd': native $native_status, split $split_status" >&2
		bad=1
	fi
	tree_digest "$SPLIT_NATIVE/$SPLIT_NAME" > "$d/native.tree"
	tree_digest "$SPLIT_ROOT/$SPLIT_NAME" > "$d/split.tree"
	differ "resulting tree after '$cmd'" "$d/native.tree" "$d/split.tree" || bad=1
	tree_digest "$d/local.native" > "$d/native.local"
	tree_digest "$d/local.split" > "$d/split.local"
	differ "resulting \$LOCAL after '$cmd'" "$d/native.local" "$d/split.local" || bad=1
	return $bad
}

split_policy() {
	local f=$BATS_TEST_TMPDIR/test.policy
	printf '%s\n' "$@" > "$f"
	"$SPLITRUN" --check-policy - >> "$f"
	echo "$f"
}

under_unotify() {
	[ "${SPLITRUN_BACKEND:-}" = unotify ]
}
