#!/usr/bin/env bats
# Dissimilar machines, for real: splitrun-shadow built for aarch64
# (aarch64-linux-gnu-gcc, where O_DIRECTORY, O_NOFOLLOW, O_DIRECT,
# O_LARGEFILE and struct stat differ from x86_64) runs under
# qemu-aarch64-static, and the x86_64 test client drives it through the same
# scripts it runs against the x86_64 shadow: opens with O_DIRECTORY and
# O_NOFOLLOW, O_CREAT|O_EXCL, stat fields, getdents, errno values (ENOENT,
# EEXIST, ENOTDIR, ELOOP, ...), rename, locks, confinement, permissions.
# Each run must meet the script's expectations, and the two outputs must be
# identical. qemu-user has no openat2, so the aarch64 shadow resolves paths
# with its by-hand walk.
#
# The aarch64 binaries run with the cross toolchain's own loader and libc:
# qemu's -L prefix supplies ld-linux-aarch64.so.1 from /usr/aarch64-linux-gnu,
# and LD_LIBRARY_PATH makes that loader take libc.so.6 from there too; left to
# itself it would load the multiarch /lib/aarch64-linux-gnu/libc.so.6 (another
# build of glibc), and the mismatched pair hangs in pthread_create.

load ../integration/shadow_helpers

QEMU_A64="qemu-aarch64-static -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib"

setup_file() {
	REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	# the x86_64 client, and the aarch64 shadow (tests/run.sh cross ran make cross)
	make -s -C "$REPO" build/native/tests/shadow_client >&2
	[ -x "${SPLITRUN_CROSS_BINDIR:-$REPO/build/aarch64/bin}/splitrun-shadow" ] ||
		make -s -C "$REPO" cross >&2
}

setup() {
	REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	export SPLITRUN_BINDIR=${SPLITRUN_BINDIR:-$REPO/bin}
	export SPLITRUN_TESTBIN=${SPLITRUN_TESTBIN:-$REPO/build/native/tests}
	shadow_setup
	A64_SHADOW=${SPLITRUN_CROSS_BINDIR:-$REPO/build/aarch64/bin}/splitrun-shadow
	X86_SHADOW=$SHADOW
	file "$A64_SHADOW" | grep -q 'ARM aarch64' || { echo "$A64_SHADOW is not an aarch64 binary" >&2; return 1; }
	command -v qemu-aarch64-static >/dev/null || { echo "no qemu-aarch64-static (tools/deps.sh installs it)" >&2; return 1; }
}

teardown() {
	shadow_teardown
}

# on ARCH NAME ROOT [OPTIONS]: starts the x86_64 or the aarch64 shadow.
on() {
	local arch=$1 name=$2 root=$3
	shift 3
	if [ "$arch" = aarch64 ]; then
		SHADOW=$A64_SHADOW SHADOW_WRAP="${WRAP:+$WRAP }$QEMU_A64" start_shadow "$name" "$root" "$@"
	else
		SHADOW=$X86_SHADOW SHADOW_WRAP=${WRAP:-} start_shadow "$name" "$root" "$@"
	fi
}

# both NAME SCRIPT [SHADOW OPTIONS]: the script against a fresh tree on each
# machine; expectations met on both, outputs identical.
both() {
	local name=$1 script=$2 arch
	shift 2
	for arch in x86_64 aarch64; do
		local root=${ROOTBASE:-$WORK}/root-$name-$arch
		rm -rf "$root"
		make_tree "$root"
		[ -n "${PREPARE:-}" ] && $PREPARE "$root"
		on "$arch" "$name-$arch" "$root" "$@"
		printf '@peer\n' > "$WORK/peer.script"
		"$CLIENT" "$SHADOW_ADDR" "$WORK/peer.script" | grep -qx "@peer => arch=$arch version=2 features=0x1" ||
			{ echo "the shadow on $SHADOW_ADDR is not the $arch build" >&2; return 1; }
		run_script "$name-$arch" "$script" || { echo "($arch shadow)" >&2; return 1; }
		stop_shadow "$SHADOW_PID"
		[ "$STOP_STATUS" -eq 0 ] || { echo "$arch shadow exited with $STOP_STATUS" >&2; return 1; }
	done
	diff -u "$WORK/$name-x86_64.out" "$WORK/$name-aarch64.out" ||
		{ echo "x86_64 and aarch64 shadows answered $script differently" >&2; return 1; }
}

@test "the aarch64 shadow runs under qemu and resolves paths by hand (no openat2 in qemu-user)" {
	make_tree "$WORK/root"
	on aarch64 hello "$WORK/root"
	printf '@peer\nnull\nuname\n' > "$WORK/hello.script"
	"$CLIENT" "$SHADOW_ADDR" "$WORK/hello.script" > "$WORK/hello.out"
	cat "$WORK/hello.out"
	grep -qx '@peer => arch=aarch64 version=2 features=0x1' "$WORK/hello.out"
	grep -qx 'null => 0' "$WORK/hello.out"
	grep -q '^uname => sysname=Linux .* machine=aarch64$' "$WORK/hello.out"
	grep -o 'path resolution: [^,]*' "$WORK/shadow-hello.log"
	stop_shadow "$SHADOW_PID"
	[ "$STOP_STATUS" -eq 0 ]
}

@test "x86_64 and aarch64 shadows agree: open (O_DIRECTORY, O_NOFOLLOW, O_CREAT|O_EXCL, O_TMPFILE, resolve flags)" {
	both open "$SCRIPTS/open.script"
}

@test "x86_64 and aarch64 shadows agree: stat fields, statx, access, readlink, statfs" {
	both stat "$SCRIPTS/stat.script"
}

@test "x86_64 and aarch64 shadows agree: getdents, mkdir, rmdir, unlink (ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY)" {
	both dir "$SCRIPTS/dir.script"
}

@test "x86_64 and aarch64 shadows agree: rename (NOREPLACE, EXCHANGE), link, symlink, ELOOP" {
	both names "$SCRIPTS/names.script"
}

@test "x86_64 and aarch64 shadows agree: record locks (classic and OFD, F_SETLKW), threads and processes" {
	both locks "$SCRIPTS/locks.script"
	both locks-mp "$SCRIPTS/locks.script" --multiprocess
}

@test "x86_64 and aarch64 shadows agree: read/write family, lseek whence values, dup" {
	both io "$SCRIPTS/io.script"
}

@test "x86_64 and aarch64 shadows agree: chmod, chown, truncate, utimens (UTIME_NOW/OMIT), fallocate, copy_file_range" {
	both attrs "$SCRIPTS/attrs.script"
}

@test "x86_64 and aarch64 shadows agree: cwd, COMPOUND, --read-only" {
	both cwd "$SCRIPTS/cwd.script"
	both compound "$SCRIPTS/compound.script"
	both readonly "$SCRIPTS/readonly.script" --read-only
}

@test "x86_64 and aarch64 shadows agree: confinement (.., symlinks to / and outside, rename and link out)" {
	printf 'OUTSIDE\n' > "$WORK/outside"
	mkdir "$WORK/outdir"
	export OUTSIDE_FILE=$WORK/outside OUTSIDE_DIR=$WORK/outdir
	both confine "$SCRIPTS/confine.script"
	[ "$(cat "$WORK/outside")" = OUTSIDE ]
	[ -z "$(ls -A "$WORK/outdir")" ]
	[ ! -e /etc/splitrun-shadow-canary ]
}

@test "x86_64 and aarch64 shadows agree: procfs magic links refused with ELOOP, EXDEV across a mount" {
	command -v unshare >/dev/null
	# both shadows run in mount namespaces of their own, made by ns.sh
	local arch name
	for name in proc xdev; do
		for arch in x86_64 aarch64; do
			local root=$WORK/root-$name-$arch
			make_tree "$root"
			WRAP=$(ns_wrapper "$root") on "$arch" "$name-$arch" "$root"
			run_script "$name-$arch" "$SCRIPTS/$name.script" || { echo "($arch shadow)" >&2; return 1; }
			stop_shadow "$SHADOW_PID"
		done
		diff -u "$WORK/$name-x86_64.out" "$WORK/$name-aarch64.out"
	done
}

@test "x86_64 and aarch64 shadows agree: permissions as nobody (EACCES, EPERM)" {
	command -v setpriv >/dev/null
	local pub arch
	public_dir
	pub=$PUBLIC_DIR
	chmod 777 "$pub"
	for arch in x86_64 aarch64; do
		local root=$pub/root-$arch
		make_tree "$root"
		mkdir "$root/pub"
		chmod 1777 "$root/pub"
		WRAP="setpriv --reuid=65534 --regid=65534 --clear-groups" SHADOW_LOGDIR=$pub on "$arch" "eacces-$arch" "$root"
		run_script "eacces-$arch" "$SCRIPTS/eacces.script" || { echo "($arch shadow)" >&2; return 1; }
		stop_shadow "$SHADOW_PID"
	done
	diff -u "$WORK/eacces-x86_64.out" "$WORK/eacces-aarch64.out"
}

@test "x86_64 and aarch64 shadows agree: bad frames end only their session" {
	both robust "$SCRIPTS/robust.script" --frame-timeout 1
	grep -q 'dropped: handshake: bad magic 0x5350' "$WORK/shadow-robust-aarch64.log"
	[ "$(grep -c dropped "$WORK/shadow-robust-aarch64.log")" -eq 16 ]
}

@test "the aarch64 shadow under 32 concurrent sessions x 1000 ops, threads and processes: every result and the tree right" {
	local mode
	for mode in multithread multiprocess; do
		make_tree "$WORK/root-$mode"
		on aarch64 "stress-$mode" "$WORK/root-$mode" "--$mode"
		stress_check "$mode" "$WORK/root-$mode"
		stop_shadow "$SHADOW_PID"
		[ "$STOP_STATUS" -eq 0 ]
	done
}

@test "a keyed aarch64 shadow and an x86_64 agent: authenticated, sealed, the io script as on x86_64" {
	"$X86_SHADOW" --keygen "$WORK/k.key" > /dev/null
	make_tree "$WORK/root"
	on aarch64 keyed "$WORK/root" --key "$WORK/k.key"
	printf '@peer\n' > "$WORK/peer.script"
	"$CLIENT" "$SHADOW_ADDR" --key "$WORK/k.key" "$WORK/peer.script" | grep -qx '@peer => arch=aarch64 version=2 features=0x3'
	timeout -s KILL 120 "$CLIENT" "$SHADOW_ADDR" --key "$WORK/k.key" --check "$SCRIPTS/io.script" > "$WORK/io.out" ||
		{ cat "$WORK/io.out" >&2; return 1; }
	grep -q "$("$X86_SHADOW" --key-id "$WORK/k.key") ($(id -un)@127.0.0.1) authenticated" "$WORK/shadow-keyed.log"
	# without the key: refused
	run "$CLIENT" "$SHADOW_ADDR" "$WORK/peer.script"
	[ "$status" = 2 ] && [[ "$output" == *"the shadow requires a key"* ]] || { echo "status $status: $output"; return 1; } >&2
	stop_shadow "$SHADOW_PID"
	[ "$STOP_STATUS" -eq 0 ]
}
