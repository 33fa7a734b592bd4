#!/usr/bin/env bats
# The wire format's golden vectors hold on a dissimilar machine: rpc_wire,
# built with aarch64-linux-gnu-gcc, runs under qemu-aarch64-static and must
# produce and accept exactly the bytes it does on x86_64 (including the
# worked examples of docs/wire-format.md, which it reads).

setup() {
	REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	A64="$REPO/build/aarch64/tests/unit/rpc_wire"
}

@test "rpc_wire built for aarch64 passes under qemu-aarch64-static" {
	make -s -C "$REPO" B=build/aarch64 BINDIR=build/aarch64/bin CC=aarch64-linux-gnu-gcc build/aarch64/tests/unit/rpc_wire
	file "$A64" | grep -q 'ARM aarch64'
	run qemu-aarch64-static -L /usr/aarch64-linux-gnu "$A64"
	echo "$output"
	[ "$status" -eq 0 ]
	! grep -q '^not ok' <<<"$output"
	grep -q '^1\.\.[1-9]' <<<"$output"
	grep -q '^ok .* docs/wire-format.md example COMPOUND_STOPPED is the golden vector' <<<"$output"
}
