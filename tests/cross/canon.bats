#!/usr/bin/env bats
# The canonical constants hold on a dissimilar machine: the rpc_canon unit
# test, built with aarch64-linux-gnu-gcc (where O_DIRECTORY, O_NOFOLLOW,
# O_DIRECT and O_LARGEFILE have other values than on x86_64), runs under
# qemu-aarch64-static and must pass every check, including the ones that
# compare named flags with the CANON_* constants and the golden numbers.

setup() {
	REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	A64="$REPO/build/aarch64/tests/unit/rpc_canon"
}

@test "rpc_canon built for aarch64 passes under qemu-aarch64-static" {
	make -s -C "$REPO" B=build/aarch64 BINDIR=build/aarch64/bin CC=aarch64-linux-gnu-gcc build/aarch64/tests/unit/rpc_canon
	[ -x "$A64" ]
	file "$A64" | grep -q 'ARM aarch64'
	run qemu-aarch64-static -L /usr/aarch64-linux-gnu "$A64"
	echo "$output"
	[ "$status" -eq 0 ]
	! grep -q '^not ok' <<<"$output"
	grep -q '^1\.\.[1-9]' <<<"$output"
	# The aarch64 values, which differ from x86_64's, were the ones mapped.
	grep -q '^# native O_DIRECTORY = 040000 (canonical 0x1000)$' <<<"$output"
	grep -q '^# native O_NOFOLLOW = 0100000 (canonical 0x2000)$' <<<"$output"
}

@test "rpc_canon natively and on aarch64 print the same canonical values" {
	make -s -C "$REPO" B=build/aarch64 BINDIR=build/aarch64/bin CC=aarch64-linux-gnu-gcc build/aarch64/tests/unit/rpc_canon
	local native_bin="$REPO/build/native/tests/unit/rpc_canon"
	make -s -C "$REPO" build/native/tests/unit/rpc_canon
	a64=$(qemu-aarch64-static -L /usr/aarch64-linux-gnu "$A64" | grep '^# native' | sed 's/= [0-7]* //')
	x86=$("$native_bin" | grep '^# native' | sed 's/= [0-7]* //')
	echo "aarch64: $a64"; echo "native: $x86"
	[ -n "$a64" ]
	[ "$a64" = "$x86" ]
}
