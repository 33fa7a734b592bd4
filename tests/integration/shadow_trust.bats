#!/usr/bin/env bats
# Who may connect (docs/security.md): shared keys (--keygen, --key-id,
# --key FILE|DIR on both sides, SPLITRUN_KEY), what a wrong or missing key
# says on each side, sealed sessions running the op scripts and the stress
# load, the authfile (subjects, wildcards, readonly, root=), and the refusal
# of a non-loopback address without a key.

load shadow_helpers

setup() {
	shadow_setup
	make_tree "$WORK/root"
	SPLITRUN=${SPLITRUN_BINDIR:?}/splitrun
	mkdir "$WORK/keys"
	"$SHADOW" --keygen "$WORK/keys/a.key" > "$WORK/keygen-a.out"
	"$SHADOW" --keygen "$WORK/keys/b.key" > "$WORK/keygen-b.out"
	KEY_A=$("$SHADOW" --key-id "$WORK/keys/a.key")
	KEY_B=$("$SHADOW" --key-id "$WORK/keys/b.key")
	"$SHADOW" --keygen "$WORK/stranger.key" > /dev/null
	cp "$WORK/keys/a.key" "$WORK/agent-a.key"   # cp keeps mode 0600
}

teardown() {
	shadow_teardown
}

# expect_exit WANT CMD...: runs CMD (20 s at most); checks the status.
expect_exit() {
	local want=$1 got=0
	shift
	timeout -s KILL 20 "$@" > "$WORK/cmd.out" 2> "$WORK/cmd.err" || got=$?
	if [ "$got" != "$want" ]; then
		echo "'$*' exited $got, want $want" >&2
		cat "$WORK/cmd.out" "$WORK/cmd.err" >&2
		return 1
	fi
}

stderr_says() {
	grep -qF -- "$1" "$WORK/cmd.err" || { echo "stderr lacks '$1':" >&2; cat "$WORK/cmd.err" >&2; return 1; }
}

log_says() { # NAME TEXT: the shadow's log has a line with TEXT (within 5 s)
	local k
	for k in $(seq 100); do
		grep -qF -- "$2" "$WORK/shadow-$1.log" && return 0
		sleep 0.05
	done
	echo "log of $1 lacks '$2':" >&2
	cat "$WORK/shadow-$1.log" >&2
	return 1
}

@test "--keygen: a 0600 key file and its id; never overwritten; --key-id prints the id" {
	[[ $KEY_A =~ ^key:[0-9a-f]{16}$ ]]
	[ "$KEY_A" != "$KEY_B" ]
	grep -qx "$KEY_A written to $WORK/keys/a.key (mode 0600); give it to the shadow with --key and a copy to each agent" \
		"$WORK/keygen-a.out"
	[ "$(stat -c %a "$WORK/keys/a.key")" = 600 ]
	grep -Eqx 'splitrun-key-1 [0-9a-f]{64}' "$WORK/keys/a.key"
	local before
	before=$(md5sum < "$WORK/keys/a.key")
	expect_exit 1 "$SHADOW" --keygen "$WORK/keys/a.key"
	stderr_says "splitrun-shadow: --keygen $WORK/keys/a.key: exists; a key is never overwritten"
	[ "$(md5sum < "$WORK/keys/a.key")" = "$before" ]
	# also under a umask that would give less, and through a dangling symlink (refused)
	(umask 0377 && "$SHADOW" --keygen "$WORK/c.key" > /dev/null)
	[ "$(stat -c %a "$WORK/c.key")" = 600 ]
	ln -s "$WORK/nowhere.key" "$WORK/link.key"
	expect_exit 1 "$SHADOW" --keygen "$WORK/link.key"
	[ ! -e "$WORK/nowhere.key" ]
	expect_exit 1 "$SHADOW" --keygen "$WORK/no/such/dir.key"
	stderr_says "No such file or directory"
	expect_exit 2 "$SHADOW" --keygen "$WORK/d.key" --key-id "$WORK/keys/a.key"
	stderr_says "--keygen and --key-id exclude each other"
}

@test "a key: the agent runs a program on the keyed shadow's files; the log names the key and user@host" {
	start_shadow k "$WORK/root" --key "$WORK/keys/a.key"
	grep -q "1 key ($KEY_A), frames sealed" "$WORK/shadow-k.log"
	run timeout 30 "$SPLITRUN" --shadow "$SHADOW_ADDR" --key "$WORK/agent-a.key" -- cat /f
	[ "$status" = 0 ] && [ "$output" = hello ] || { echo "status $status: $output"; return 1; } >&2
	log_says k "$KEY_A ($(id -un)@127.0.0.1) authenticated"
	# SPLITRUN_KEY instead of --key
	run env SPLITRUN_KEY="$WORK/agent-a.key" timeout 30 "$SPLITRUN" --shadow "$SHADOW_ADDR" -- cat /d/g
	[ "$status" = 0 ] && [ "$output" = "in d" ] || { echo "status $status: $output"; return 1; } >&2
	# --key without --shadow is a usage error
	run "$SPLITRUN" --key "$WORK/agent-a.key" -- true
	[ "$status" = 2 ] && [[ "$output" == *"--key needs --shadow"* ]] || { echo "status $status: $output"; return 1; } >&2
}

@test "a wrong key, no key, a key to a keyless shadow: 121 and one clear line on each side" {
	start_shadow k "$WORK/root" --key "$WORK/keys/a.key"
	local stranger_id
	stranger_id=$("$SHADOW" --key-id "$WORK/stranger.key")
	expect_exit 121 "$SPLITRUN" --shadow "$SHADOW_ADDR" --key "$WORK/stranger.key" -- true
	stderr_says "splitrun: cannot use the shadow at $SHADOW_ADDR: the shadow does not accept key $stranger_id (it is none of its --key keys)"
	[ "$(wc -l < "$WORK/cmd.err")" = 1 ]
	log_says k "dropped: handshake: $(id -un)@127.0.0.1 offers $stranger_id, which is none of this shadow's keys"
	expect_exit 121 "$SPLITRUN" --shadow "$SHADOW_ADDR" -- true
	stderr_says "the shadow requires a key: give --key FILE (or SPLITRUN_KEY=FILE) with a copy of one of its keys"
	log_says k "offers no key, and this shadow requires one (splitrun --key)"
	start_shadow plain "$WORK/root"
	expect_exit 121 "$SPLITRUN" --shadow "$SHADOW_ADDR" --key "$WORK/agent-a.key" -- true
	stderr_says "the shadow does not authenticate (it runs without --key), so anyone could stand in for it"
	# a key file that is not private, or not there: 2, before connecting
	chmod 640 "$WORK/agent-a.key"
	expect_exit 2 "$SPLITRUN" --shadow "$SHADOW_ADDR" --key "$WORK/agent-a.key" -- true
	stderr_says "splitrun: --key $WORK/agent-a.key: is open to group or others (mode 0640); a key must be private: chmod 600"
	expect_exit 2 "$SPLITRUN" --shadow "$SHADOW_ADDR" --key "$WORK/none.key" -- true
	stderr_says "splitrun: --key $WORK/none.key: No such file or directory"
	# and on the shadow's side: exit 1, the file named
	expect_exit 1 "$SHADOW" --root "$WORK/root" --key "$WORK/agent-a.key"
	stderr_says "splitrun-shadow: --key $WORK/agent-a.key: is open to group or others (mode 0640)"
	printf 'not a key\n' > "$WORK/bad.key"
	chmod 600 "$WORK/bad.key"
	expect_exit 1 "$SHADOW" --root "$WORK/root" --key "$WORK/bad.key"
	stderr_says "splitrun-shadow: --key $WORK/bad.key: line 1 is not a key line"
}

@test "--key DIR: every *.key in it; each key's holder gets in" {
	touch "$WORK/keys/README"
	start_shadow dir "$WORK/root" --key "$WORK/keys"
	grep -q "2 keys (" "$WORK/shadow-dir.log"
	printf 'null => 0\n' > "$WORK/null.script"
	"$CLIENT" "$SHADOW_ADDR" --key "$WORK/keys/a.key" --check "$WORK/null.script" > /dev/null
	"$CLIENT" "$SHADOW_ADDR" --key "$WORK/keys/b.key" --check "$WORK/null.script" > /dev/null
	log_says dir "$KEY_A ($(id -un)@127.0.0.1) authenticated"
	log_says dir "$KEY_B ($(id -un)@127.0.0.1) authenticated"
	mkdir "$WORK/empty"
	expect_exit 1 "$SHADOW" --root "$WORK/root" --key "$WORK/empty"
	stderr_says "splitrun-shadow: --key $WORK/empty: a directory with no *.key file"
}

@test "sealed sessions run the op scripts exactly as plain ones, and the 32-session stress load" {
	local s
	for s in open io stat dir names attrs locks cwd compound; do
		rm -rf "$WORK/root-$s"
		make_tree "$WORK/root-$s"
		start_shadow "$s" "$WORK/root-$s" --key "$WORK/keys/a.key"
		timeout -s KILL 120 "$CLIENT" "$SHADOW_ADDR" --key "$WORK/keys/a.key" --check "$SCRIPTS/$s.script" \
			> "$WORK/$s.out" 2> "$WORK/$s.err" || { echo "$s.script:" >&2; cat "$WORK/$s.err" >&2; return 1; }
		stop_shadow "$SHADOW_PID"
		! grep dropped "$WORK/shadow-$s.log"
	done
	start_shadow k "$WORK/root" --key "$WORK/keys/a.key"
	mkdir -p "$WORK/model"
	timeout -s KILL 300 "$CLIENT" "$SHADOW_ADDR" --key "$WORK/keys/a.key" --stress 32 1000 --model "$WORK/model" \
		--keep-open > "$WORK/stress.out" 2>&1 || { cat "$WORK/stress.out" >&2; return 1; }
	grep -qx 'stress: 32 sessions x 1000 ops: 3[0-9]* ops, 0 wrong' "$WORK/stress.out"
	for s in $(seq 0 31); do
		diff -r "$WORK/model/s$s" "$WORK/root/s$s"
	done
}

@test "--authfile: key ids and user@host with *, first match wins, readonly and root=; refusals are EPERM" {
	mkdir -p "$WORK/root/projects/fred"
	printf 'freds\n' > "$WORK/root/projects/fred/notes"
	cat > "$WORK/authfile" <<-EOF
	# who may use this shadow
	fred@127.0.0.1      root=/projects/fred
	$KEY_B              readonly
	*@10.*              readonly
	EOF
	start_shadow auth "$WORK/root" --key "$WORK/keys" --authfile "$WORK/authfile"
	grep -q "authfile $WORK/authfile" "$WORK/shadow-auth.log"
	# fred (key a) sees /projects/fred as /
	printf '$h = open /notes O_RDONLY => 0\nread $h 5 => 5 "freds"\ngetcwd => /\nopen /f O_RDONLY => ENOENT\n' \
		> "$WORK/fred.script"
	"$CLIENT" "$SHADOW_ADDR" --key "$WORK/keys/a.key" --user fred --check "$WORK/fred.script" > /dev/null
	log_says auth "$KEY_A (fred@127.0.0.1) authenticated, authfile line 2, root=/projects/fred"
	# bob with key a: no line matches
	printf 'null => 0\n' > "$WORK/null.script"
	run "$CLIENT" "$SHADOW_ADDR" --key "$WORK/keys/a.key" --user bob --check "$WORK/null.script"
	[ "$status" = 2 ] && [[ "$output" == *"the shadow's --authfile allows neither $KEY_A nor bob@this host"* ]] ||
		{ echo "status $status: $output"; return 1; } >&2
	log_says auth "dropped: not authorized: neither $KEY_A nor bob@127.0.0.1 matches a line of $WORK/authfile"
	# anyone with key b: read-only
	printf 'open /f O_RDONLY => 0\nopen /f O_WRONLY => EROFS\nmkdir /x 0755 => EROFS\n' > "$WORK/ro.script"
	"$CLIENT" "$SHADOW_ADDR" --key "$WORK/keys/b.key" --user bob --check "$WORK/ro.script" > /dev/null
	log_says auth "$KEY_B (bob@127.0.0.1) authenticated, authfile line 3, read-only"
	# the agent: refused by the authfile is 121, saying so
	expect_exit 121 "$SPLITRUN" --shadow "$SHADOW_ADDR" --key "$WORK/agent-a.key" -- true
	stderr_says "the shadow's --authfile allows neither $KEY_A nor $(id -un)@this host"
}

@test "--authfile: errors name the file and line (exit 1); without --key it is refused (exit 2)" {
	printf 'key:*\nfred@* rw\n' > "$WORK/bad1"
	expect_exit 1 "$SHADOW" --root "$WORK/root" --key "$WORK/keys" --authfile "$WORK/bad1"
	stderr_says "splitrun-shadow: --authfile $WORK/bad1: line 2: unknown option 'rw' (readonly, root=DIR)"
	printf 'fr/ed@host\n' > "$WORK/bad2"
	expect_exit 1 "$SHADOW" --root "$WORK/root" --key "$WORK/keys" --authfile "$WORK/bad2"
	stderr_says "line 1: 'fr/ed@host' is no subject pattern"
	printf 'key:* root=relative\n' > "$WORK/bad3"
	expect_exit 1 "$SHADOW" --root "$WORK/root" --key "$WORK/keys" --authfile "$WORK/bad3"
	stderr_says "line 1: root= wants an absolute path beneath --root"
	expect_exit 1 "$SHADOW" --root "$WORK/root" --key "$WORK/keys" --authfile "$WORK/missing"
	stderr_says "splitrun-shadow: --authfile $WORK/missing: No such file or directory"
	expect_exit 2 "$SHADOW" --root "$WORK/root" --authfile "$WORK/bad1"
	stderr_says "--authfile needs --key"
}

@test "a non-loopback --listen: refused without a key, served with one (no warning)" {
	expect_exit 2 "$SHADOW" --root "$WORK/root" --listen 0.0.0.0:0
	stderr_says "not a loopback address, and without --key"
	start_shadow any "$WORK/root" --listen 0.0.0.0:0 --key "$WORK/keys/a.key"
	! grep -q warning "$WORK/shadow-any.log"
	run timeout 30 "$SPLITRUN" --shadow "127.0.0.1:${SHADOW_ADDR##*:}" --key "$WORK/agent-a.key" -- cat /f
	[ "$status" = 0 ] && [ "$output" = hello ] || { echo "status $status: $output"; return 1; } >&2
}

@test "limits: 1024 keys and 10000 authfile rules are taken, one more is refused; an authfile over 1 MiB is refused" {
	mkdir "$WORK/many"
	python3 -c '
import os, sys
for k in range(1025):
    p = os.path.join(sys.argv[1], "k%04d.key" % k)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"splitrun-key-1 %064x\n" % (k + 1))
    os.close(fd)
' "$WORK/many"
	expect_exit 1 "$SHADOW" --root "$WORK/root" --key "$WORK/many"
	stderr_says "more than 1024 keys"
	rm "$WORK/many/k1024.key"
	# 1024 keys: served; a holder of the last one gets in
	start_shadow many "$WORK/root" --key "$WORK/many"
	run timeout 30 "$SPLITRUN" --shadow "$SHADOW_ADDR" --key "$WORK/many/k1023.key" -- cat /f
	[ "$status" = 0 ] && [ "$output" = hello ] || { echo "status $status: $output"; return 1; } >&2
	# 10000 rules (the last lets key a in), then 10001
	{ for k in $(seq 9999); do echo "nobody$k@*"; done; echo "$KEY_A"; } > "$WORK/rules"
	start_shadow rules "$WORK/root" --key "$WORK/keys" --authfile "$WORK/rules"
	run timeout 30 "$SPLITRUN" --shadow "$SHADOW_ADDR" --key "$WORK/agent-a.key" -- cat /f
	[ "$status" = 0 ] && [ "$output" = hello ] || { echo "status $status: $output"; return 1; } >&2
	echo 'key:*' >> "$WORK/rules"
	expect_exit 1 "$SHADOW" --root "$WORK/root" --key "$WORK/keys" --authfile "$WORK/rules"
	stderr_says "line 10001: more than 10000 rules"
	# comments do not count as rules, but the file's size does
	{ printf '# %01048574d\n' 0; echo 'key:*'; } > "$WORK/big"
	[ "$(stat -c %s "$WORK/big")" -gt 1048576 ]
	expect_exit 1 "$SHADOW" --root "$WORK/root" --key "$WORK/keys" --authfile "$WORK/big"
	stderr_says "--authfile $WORK/big: bigger than 1048576 bytes"
}
