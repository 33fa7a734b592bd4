#!/usr/bin/env bats
# make demo (tools/demo.sh) runs to the end, shows a remote file call and the
# summary, writes at home, and leaves no shadow behind.

@test "tools/demo.sh: split execution shown end to end, nothing left running" {
	local out=$BATS_TEST_TMPDIR/demo.out
	SPLITRUN_BINDIR=${SPLITRUN_BINDIR:?} timeout -k 5 120 tools/demo.sh > "$out" 2>&1 ||
		{ echo "demo failed:"; cat "$out"; return 1; } >&2
	grep -q 'openat(AT_FDCWD, "notes.txt", O_RDONLY) *= [0-9]* \[remote\]' "$out" &&
		grep -q 'openat(AT_FDCWD, "/etc/ld.so.cache", .*\[local\]' "$out" &&
		grep -Eq '^splitrun: [0-9]+ calls trapped: [0-9]+ local, [1-9][0-9]* remote' "$out" &&
		grep -qx 'item-42,42' "$out" &&
		grep -q 'I am ./hello.sh, stored at home' "$out" ||
		{ echo "a step of the demo is missing:"; cat "$out"; return 1; } >&2
	local root
	root=$(sed -n 's/^\$ splitrun-shadow --root \([^ ]*\) --listen .*/\1/p' "$out" | head -1)
	[ -n "$root" ] && ! ps -eo args= | grep -F -- "--root $root" | grep -v grep ||
		{ echo "a shadow serving '$root' is still running"; return 1; } >&2
	[ ! -e "$root" ]
}
