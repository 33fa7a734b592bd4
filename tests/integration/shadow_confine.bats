#!/usr/bin/env bats
# Confinement: every path the shadow opens resolves beneath --root, with
# openat2 and with the by-hand walk. ../../etc/passwd, absolute symlinks to /
# and outside, symlink chains, /proc/self/root, rename and link out of the
# root, and symlinks the agent makes to the outside all fail with Linux's
# errno for the path taken inside the root (or land inside); the host files
# next to the root and the host's /etc are checked unchanged afterwards.

load shadow_helpers

setup() {
	shadow_setup
}

teardown() {
	shadow_teardown
}

# host_unchanged: the files beside the root are as they were.
host_unchanged() {
	[ "$(cat "$WORK/outside")" = OUTSIDE ] || { echo "outside file changed: $(cat "$WORK/outside")" >&2; return 1; }
	[ -z "$(ls -A "$WORK/outdir")" ] || { echo "outside dir got: $(ls -A "$WORK/outdir")" >&2; return 1; }
	local f
	for f in outside-renamed outside-linked stolen hard; do
		[ ! -e "$WORK/$f" ] || { echo "$WORK/$f was made outside the root" >&2; return 1; }
	done
	[ ! -e /etc/splitrun-shadow-canary ] || { echo "/etc/splitrun-shadow-canary was made on the host" >&2; return 1; }
}

@test "no path leaves the root: .., absolute and chained symlinks, agent-made links, rename and link out" {
	printf 'OUTSIDE\n' > "$WORK/outside"
	mkdir "$WORK/outdir"
	export OUTSIDE_FILE=$WORK/outside OUTSIDE_DIR=$WORK/outdir
	local mode
	for mode in thread process fallback; do
		rm -rf "$WORK/root"
		make_tree "$WORK/root"
		start_in_mode "$mode" "confine-$mode" "$WORK/root"
		run_script "confine-$mode" "$SCRIPTS/confine.script" || { echo "($mode mode)" >&2; return 1; }
		stop_shadow "$SHADOW_PID"
		host_unchanged || { echo "($mode mode)" >&2; return 1; }
		# what went "out" is beneath the root
		[ -f "$WORK/root/etc/splitrun-shadow-canary" ]
		[ "$(cat "$WORK/root/etc/splitrun-shadow-canary")" = "made inside" ]
		[ -f "$WORK/root/outside-linked" ]
	done
}

@test "procfs inside the root: magic links (/proc/self/root, cwd, exe, fd) are refused with ELOOP" {
	command -v unshare >/dev/null
	local mode
	for mode in thread process fallback; do
		rm -rf "$WORK/root"
		make_tree "$WORK/root"
		SHADOW_WRAP=$(ns_wrapper "$WORK/root") start_in_mode "$mode" "proc-$mode" "$WORK/root"
		run_script "proc-$mode" "$SCRIPTS/proc.script" || { echo "($mode mode)" >&2; return 1; }
		stop_shadow "$SHADOW_PID"
		# the mounts lived in the shadow's namespace only
		[ -z "$(ls -A "$WORK/root/proc")" ]
	done
}

@test "a filesystem mounted inside the root: rename and link across it give EXDEV, RESOLVE_NO_XDEV holds" {
	command -v unshare >/dev/null
	local mode
	for mode in thread fallback; do
		rm -rf "$WORK/root"
		make_tree "$WORK/root"
		SHADOW_WRAP=$(ns_wrapper "$WORK/root") start_in_mode "$mode" "xdev-$mode" "$WORK/root"
		run_script "xdev-$mode" "$SCRIPTS/xdev.script" || { echo "($mode mode)" >&2; return 1; }
		stop_shadow "$SHADOW_PID"
	done
}

@test "a directory moved out of the root by the host: relative names under its handle fail with ENOENT" {
	make_tree "$WORK/root"
	mkdir "$WORK/root/movable"
	printf 'm\n' > "$WORK/root/movable/x"
	start_shadow moved "$WORK/root"
	mkfifo "$WORK/go"
	cat > "$WORK/moved.script" <<-'EOF2'
	$m = open /movable O_DIRECTORY                     => 0
	stat $m:x                                          => type=reg mode=0644 nlink=1 uid=0 gid=0 size=2
	fchdir $m                                          => 0
	@sleep 1500
	stat $m:x                                          => ENOENT
	open $m:x O_RDONLY                                 => ENOENT
	getcwd                                             => ENOENT
	stat x                                             => ENOENT
	fstat $m                                           => type=dir mode=0755 nlink=2 uid=0 gid=0
	EOF2
	"$CLIENT" "$SHADOW_ADDR" --check "$WORK/moved.script" > "$WORK/moved.out" 2> "$WORK/moved.err" &
	local client=$!
	sleep 0.7
	mv "$WORK/root/movable" "$WORK/moved-away"
	local status=0
	wait "$client" || status=$?
	cat "$WORK/moved.out"
	cat "$WORK/moved.err" >&2
	[ "$status" -eq 0 ]
	[ "$(cat "$WORK/moved-away/x")" = m ]
}
