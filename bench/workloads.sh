#!/usr/bin/env bash
# bench/workloads.sh: macro workloads with their data only on the home side,
# run natively, under splitrun (files at a splitrun-shadow; each backend
# splitrun has) and on sshfs (a throwaway sshd on loopback), over loopback
# and over a link of WL_DELAY_MS each way (bench/delay_proxy: 5 ms, so
# 10 ms round trips), pinned (taskset -c 0 on every process) and unpinned.
# Issue #5; docs/performance.md, "Macro workloads and WAN", reads the
# results. Run by bench/run.sh (bench/run.sh workloads).
#
# Workloads (the data lives in HOME/data; the commands run in it):
#   cat     cat of a 32 MB file (to /dev/null)
#   cp      cp -r of a tree of 1000 files of 4 KB (in one directory)
#   sqlite  sqlite3: 2000 INSERTs in one transaction, then a query
#   tar     tar c of that tree (to a pipe)
#   python  python3 writes 200 files of 16 KB, then reads them back
#   make    make -j2 of a small C project (16 files, then a link): two
#           processes at once, for CPU placements that pin (not in the
#           default list: bench/placement.sh runs it)
#   calls   per call, not a macro workload: bench/syscall_cost's open/close
#           and stat of a file in the data directory (100 calls each; its
#           median tenth), the issue's "12 ms per open/close" on sshfs
# Native: the commands run in HOME/data itself (the baseline: local disk,
# page cache warm). splitrun: splitrun --shadow ADDR -C /data -- COMMAND,
# the shadow serving HOME. sshfs: a fresh mount of HOME/data for every run
# (each splitrun run starts with empty caches too), the command run in it.
# Every output is checked against a native run's. References, over each
# link: a plain TCP copy of the 32 MB file (bench/tcp_copy), `ssh host cat`
# of it, and `ssh host true` (ssh's own set-up).
#
# Round trips: splitrun's own count (--stats=json: round_trips, and
# requests, wait_seconds), and the proxy's "turns" over the link (requests
# that follow a reply: for any client, at most its round trips plus the
# times it sent while a reply was on its way; for sshfs, whose own count
# we do not have, the nearest figure).
#
# Environment (subsets: space-separated lists):
#   WL_WORKLOADS  cat cp sqlite tar python     WL_LINKS  loopback wan
#   WL_CONFIGS    native splitrun sshfs        WL_PINS   pinned unpinned
#   WL_LOOP_REPS  runs per native and loopback cell (default 3)
#   WL_WAN_REPS   runs per 10 ms cell (default 1: those are long, and
#                 latency-bound, so steadier)
#   WL_DELAY_MS   the link's delay each way (default 5)
#   WL_TIMEOUT    seconds before one run is given up (default 400)
#   WL_BACKENDS   splitrun backends (default: each that `splitrun
#                 --backend=NAME -- true` accepts, of ptrace unotify); a
#                 word BACKEND:WHERE also gives --cpu-placement=WHERE
#                 (unotify:same), a column of its own; a suffix +async
#                 gives --async-close (unotify+async: closes of written
#                 files not waited for)
#   WL_KEY        yes (default): the shadow and splitrun share a key
#                 (splitrun-shadow --keygen), so the session is authenticated
#                 and its frames sealed, as across a real WAN and as sshfs's
#                 ssh is; no: plain frames (loopback's default)
#   WL_RESULTS    where workloads.raw goes (default $BENCH_RESULTS, or
#                 bench/results)
#   WL_WORK_PARENT  where the work directory (the home tree, sshd's files,
#                 the mount point) is made: default /dev/shm if it is a
#                 tmpfs, else /tmp. In memory, the figures are splitrun's and
#                 sshfs's, not those of a disk that other work on a shared
#                 machine also uses (a native cp -r of the tree took 1-4 s
#                 on this VM's ext4, from openat(O_CREAT) alone).
# Raw results: $WL_RESULTS/workloads.raw. A full run takes about 11 min
# here, nearly all of it the 10 ms runs of cp -r and tar (splitrun about
# 45 and 20 s per backend, sshfs about 85 and 27 s, per pinning): see
# docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
bindir=${SPLITRUN_BINDIR:-$PWD/bin}
benchdir=${SPLITRUN_BENCHDIR:-$PWD/build/native/bench}
splitrun=$bindir/splitrun
# shellcheck source=bench/wan_env.bash
. bench/wan_env.bash

WORKLOADS=${WL_WORKLOADS:-cat cp sqlite tar python calls}
LINKS=${WL_LINKS:-loopback wan}
CONFIGS=${WL_CONFIGS:-native splitrun sshfs}
PINS=${WL_PINS:-pinned unpinned}
LOOP_REPS=${WL_LOOP_REPS:-3}
WAN_REPS=${WL_WAN_REPS:-1}
DELAY_MS=${WL_DELAY_MS:-5}
RUN_TIMEOUT=${WL_TIMEOUT:-400}
KEYED=${WL_KEY:-yes}

usage_error() {
	echo "bench/workloads.sh: $*" >&2
	exit 2
}
only_of() { # NAME VALUE ALLOWED...: every word of VALUE is one of ALLOWED
	local name=$1 value=$2 w
	shift 2
	[ -n "$value" ] || usage_error "$name is empty"
	for w in $value; do
		[[ " $* " == *" $w "* ]] || usage_error "$name: '$w' is not one of: $*"
	done
}
only_of WL_WORKLOADS "$WORKLOADS" cat cp sqlite tar python make calls
only_of WL_LINKS "$LINKS" loopback wan
only_of WL_CONFIGS "$CONFIGS" native splitrun sshfs
only_of WL_PINS "$PINS" pinned unpinned
only_of WL_KEY "$KEYED" yes no
for v in LOOP_REPS WAN_REPS RUN_TIMEOUT; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || usage_error "WL_$v: not a positive count: '${!v}'"
done
[[ $DELAY_MS =~ ^[0-9]+(\.[0-9]+)?$ ]] || usage_error "WL_DELAY_MS: not a number of milliseconds: '$DELAY_MS'"

for f in "$splitrun" "$bindir/splitrun-shadow" "$benchdir/delay_proxy" "$benchdir/tcp_copy" "$benchdir/syscall_cost"; do
	[ -x "$f" ] || { echo "bench/workloads.sh: $f is missing: run 'make bench'" >&2; exit 2; }
done
for tool in sshd:/usr/sbin/sshd ssh sshfs fusermount3 sqlite3 python3:/usr/bin/python3 tar taskset; do
	path=${tool#*:}
	command -v "$path" >/dev/null || { echo "bench/workloads.sh: ${tool%%:*} is missing: run tools/deps.sh" >&2; exit 2; }
done
[ -c /dev/fuse ] || { echo "bench/workloads.sh: no /dev/fuse: sshfs cannot mount" >&2; exit 2; }

backends=${WL_BACKENDS:-}
if [ -z "$backends" ]; then
	for b in ptrace unotify; do
		"$splitrun" --backend="$b" -- /bin/true 2>/dev/null && backends+="${backends:+ }$b"
	done
	[ -n "$backends" ] || backends=default
fi
for b in $backends; do
	[[ $b =~ ^(ptrace|unotify|default)(:(auto|any|sync|same|[0-9][0-9,-]*))?(\+async)?$ ]] ||
		usage_error "WL_BACKENDS: '$b' is not BACKEND[:PLACEMENT][+async] (ptrace, unotify, default; auto, any, sync, same, a CPU list)"
done
# (The help is read whole first: grep -q stops reading at its match, and
# under pipefail a splitrun still writing would fail the test by SIGPIPE.)
[[ $("$splitrun" --help 2>&1) == *"--stats[=json]"* ]] ||
	{ echo "bench/workloads.sh: $splitrun has no --stats=json (splitrun(1), STATISTICS)" >&2; exit 2; }

parent=${WL_WORK_PARENT:-}
if [ -z "$parent" ]; then
	parent=/tmp
	[ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ] && parent=/dev/shm
fi
work=$(mktemp -d "$parent/splitrun-bench-wl.XXXXXX")
WAN_WORK=$work WAN_BINDIR=$bindir WAN_BENCHDIR=$benchdir
WAN_PREFIX=()
cleanup() {
	cd "$top"
	wan_cleanup
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

home=$work/home
data=$home/data
mkdir -p "$data/tree" "$work/local" "$work/mnt"
# Programs run under splitrun must be on a local path (the built-in policy
# sends /work and the like home).
cp "$benchdir/syscall_cost" "$work/syscall_cost"
shadow_opts=() key_opts=()
if [ "$KEYED" = yes ]; then
	"$bindir/splitrun-shadow" --keygen "$work/shadow.key" > /dev/null
	shadow_opts=(--key "$work/shadow.key")
	key_opts=(--key "$work/shadow.key")
fi
export HOME=$work/local   # no program reads its rc files from a remote home
# The data, random (nothing compresses it on the way): the 32 MB file (cat
# and the references), and the tree of 1000 files of 4 KB (cp, tar) when a
# workload uses it. One process writes it all (1000 runs of head took
# seconds of the small runs of tests/integration/bench_workloads.bats).
make_tree=no make_project=no
[[ " $WORKLOADS " == *" cp "* || " $WORKLOADS " == *" tar "* ]] && make_tree=yes
[[ " $WORKLOADS " == *" make "* ]] && make_project=yes
/usr/bin/python3 - "$data" "$make_tree" "$make_project" <<'EOF'
import os, sys
data, make_tree, make_project = sys.argv[1], sys.argv[2] == "yes", sys.argv[3] == "yes"
with open(os.path.join(data, "big"), "wb") as f:
    for _ in range(32):
        f.write(os.urandom(1 << 20))
if make_tree:
    for i in range(1000):
        with open(os.path.join(data, "tree", "f%d" % i), "wb") as f:
            f.write(os.urandom(4096))
if make_project:
    # 16 sources of a few dozen small functions each: about 0.1 s of cc1
    # apiece here, so two compilers at once can use both CPUs.
    proj = os.path.join(data, "proj")
    os.mkdir(proj)
    for i in range(16):
        with open(os.path.join(proj, "u%d.c" % i), "w") as f:
            f.write("#include <stdio.h>\n#include <string.h>\n")
            for k in range(40):
                f.write("static unsigned f%d(const char *s, unsigned n)\n{\n"
                        "\tunsigned h = %du;\n\tfor (unsigned j = 0; j < n; j++)\n"
                        "\t\th = (h ^ (unsigned char)s[j %% strlen(s)]) * 16777619u + j * %du;\n"
                        "\treturn h;\n}\n" % (k, 2166136261 + k, k + 1))
            f.write("unsigned u%d(void)\n{\n\tunsigned t = 0;\n" % i)
            for k in range(40):
                f.write("\tt += f%d(\"u%d-%d\", %d);\n" % (k, i, k, k + 3))
            f.write("\treturn t;\n}\n")
    with open(os.path.join(proj, "main.c"), "w") as f:
        f.write("#include <stdio.h>\n")
        f.write("".join("unsigned u%d(void);\n" % i for i in range(16)))
        f.write("int main(void)\n{\n\tunsigned t = 0;\n")
        f.write("".join("\tt += u%d();\n" % i for i in range(16)))
        f.write("\tprintf(\"%u\\n\", t);\n\treturn 0;\n}\n")
    with open(os.path.join(proj, "Makefile"), "w") as f:
        f.write("OBJS := main.o %s\nprog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n"
                "%%.o: %%.c\n\t$(CC) -O2 -c -o $@ $<\n" % " ".join("u%d.o" % i for i in range(16)))
EOF
{
	echo "BEGIN;"
	echo "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, value INTEGER);"
	for ((i = 1; i <= 2000; i++)); do
		echo "INSERT INTO t VALUES ($i, 'name-$i', $((i * 7 % 1000)));"
	done
	echo "COMMIT;"
	echo "SELECT count(*), sum(value), max(name) FROM t;"
} > "$work/inserts.sql"
cat > "$work/files.py" <<'EOF'
# Writes 200 files of 16 KB in pyout/, reads them back; prints a digest.
import hashlib, os
os.mkdir("pyout")
for i in range(200):
    with open("pyout/f%d" % i, "wb") as f:
        f.write(hashlib.sha256(b"%d" % i).digest() * 512)
h = hashlib.sha256()
for i in range(200):
    with open("pyout/f%d" % i, "rb") as f:
        h.update(f.read())
print(h.hexdigest())
EOF

results=${WL_RESULTS:-${BENCH_RESULTS:-bench/results}}
raw=$results/workloads.raw
mkdir -p "$results"
: > "$raw"
failures=0

# Removes what a workload leaves in the data directory (not timed).
reset_outputs() {
	rm -rf "$data/tree.copy" "$data/pyout" "$data/bench.db" "$data/bench.db-journal" "$data"/syscall_cost.* \
		"$data"/proj/*.o "$data/proj/prog"
}

# exec_workload WORKLOAD DIR LAUNCHER...: runs the workload's command in DIR
# under LAUNCHER (nothing, or splitrun and its options), its stdout checked
# output to $work/out, stderr to $work/err; sets elapsed (seconds).
exec_workload() {
	local wl=$1 dir=$2 t0 t1 status=0
	shift 2
	cd "$dir"
	t0=$EPOCHREALTIME
	case $wl in
	cat) timeout "$RUN_TIMEOUT" "${WAN_PREFIX[@]}" "$@" cat big > /dev/null 2> "$work/err" || status=$? ;;
	cp) timeout "$RUN_TIMEOUT" "${WAN_PREFIX[@]}" "$@" cp -r tree tree.copy 2> "$work/err" || status=$? ;;
	sqlite) timeout "$RUN_TIMEOUT" "${WAN_PREFIX[@]}" "$@" sqlite3 -batch -init /dev/null bench.db \
		< "$work/inserts.sql" > "$work/out" 2> "$work/err" || status=$? ;;
	tar) { timeout "$RUN_TIMEOUT" "${WAN_PREFIX[@]}" "$@" tar cf - tree 2> "$work/err" | wc -c > "$work/out"; } ||
		status=$? ;;
	python) timeout "$RUN_TIMEOUT" "${WAN_PREFIX[@]}" "$@" /usr/bin/python3 -I "$work/files.py" \
		> "$work/out" 2> "$work/err" || status=$? ;;
	make) timeout "$RUN_TIMEOUT" "${WAN_PREFIX[@]}" "$@" make -s -j2 -C proj > "$work/out" 2> "$work/err" ||
		status=$? ;;
	calls) timeout "$RUN_TIMEOUT" "${WAN_PREFIX[@]}" "$@" "$work/syscall_cost" -n 100 -t 30 -d . open_close stat \
		> "$work/out" 2> "$work/err" || status=$? ;;
	esac
	t1=$EPOCHREALTIME
	cd "$top"
	elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
	return $status
}

# What each workload left, checked on the home side against the first
# native run's: the outputs and the copied tree. Not in a subshell (the
# first output is remembered); sets why when it fails.
declare -A expected
check_outputs() {
	local wl=$1 got=
	why=
	case $wl in
	cp) diff -r "$data/tree" "$data/tree.copy" > /dev/null || why="tree.copy differs from tree" ;;
	calls) grep -q '^open_close [1-9]' "$work/out" && grep -q '^stat [1-9]' "$work/out" ||
		why="syscall_cost printed '$(cat "$work/out")'" ;;
	sqlite | tar | python) got=$(cat "$work/out") ;;
	make) # The program built at home, run there (natively).
		got=$("$data/proj/prog" 2>&1) || why="the built program failed: $got" ;;
	esac
	if [ -n "$got" ]; then
		if [ -z "${expected[$wl]:-}" ]; then
			expected[$wl]=$got
		elif [ "$got" != "${expected[$wl]}" ]; then
			why="output '$got', the native run printed '${expected[$wl]}'"
		fi
	fi
	[ -z "$why" ]
}

# splitrun's figures, from the --stats=json line on its stderr (the field
# names of splitrun(1), STATISTICS): sets rt (round_trips), remote
# (calls.remote), requests and wait (wait_seconds); "-" where there is none.
splitrun_counts() {
	read -r rt remote requests wait < <(/usr/bin/python3 - "$work/err" <<'EOF'
import json, sys
figures = ["-"] * 4
for line in open(sys.argv[1], errors="replace"):
    if line.startswith('{"calls"'):
        try:
            s = json.loads(line)
            figures = [s["round_trips"], s["calls"]["remote"], s["requests"], "%.4f" % s["wait_seconds"]]
        except (ValueError, KeyError, TypeError):
            pass
print(*figures)
EOF
	)
}

# run_one PIN LINK CONFIG REP WORKLOAD: one timed run; appends a raw line
#   PIN LINK CONFIG REP WORKLOAD STATUS SECONDS ROUND_TRIPS REMOTE_CALLS TURNS
#   REQUESTS WAIT_SECONDS
run_one() {
	local pin=$1 link=$2 config=$3 rep=$4 wl=$5 dir=$data launcher=() proxy= turns0 turns=- status=ok why=
	rt=- remote=- requests=- wait=-
	reset_outputs
	case $config in
	sshfs)
		if [ "$link" = wan ]; then
			wan_sshfs_mount "${WAN_PROXY_ADDR[ssh]##*:}" "$data" "$work/mnt"
			proxy=ssh
		else
			wan_sshfs_mount "${WAN_SSHD##*:}" "$data" "$work/mnt"
		fi
		dir=$work/mnt ;;
	splitrun:*)
		local addr=$WAN_SHADOW backend=${config#splitrun:} where= close=
		if [[ $backend == *+async ]]; then
			close=--async-close
			backend=${backend%+async}
		fi
		if [[ $backend == *:* ]]; then
			where=${backend#*:}
			backend=${backend%%:*}
		fi
		if [ "$link" = wan ]; then
			addr=${WAN_PROXY_ADDR[shadow]}
			proxy=shadow
		fi
		launcher=("$splitrun" --shadow "$addr" -C /data "${key_opts[@]}" --stats=json)
		[ "$backend" = default ] || launcher+=(--backend="$backend")
		[ -z "$where" ] || launcher+=(--cpu-placement="$where")
		[ -z "$close" ] || launcher+=("$close")
		launcher+=(--)
		dir=$work/local ;;
	esac
	[ -n "$proxy" ] && turns0=$(wan_proxy_turns "$proxy")
	local code=0
	exec_workload "$wl" "$dir" "${launcher[@]}" || code=$?
	if [ "$code" -ne 0 ]; then
		status=failed
		why="exit status $code$([ "$code" -eq 124 ] && echo " (timed out after ${RUN_TIMEOUT}s)"): $(tail -3 "$work/err" | tr '\n' ' ')"
	fi
	[ -n "$proxy" ] && turns=$(($(wan_proxy_turns "$proxy") - turns0))
	[ "$config" = sshfs ] && wan_sshfs_umount "$work/mnt"
	[[ $config == splitrun:* ]] && splitrun_counts
	if [ "$status" = ok ] && ! check_outputs "$wl"; then
		status=wrong
	fi
	if [ "$status" != ok ]; then
		echo "bench/workloads.sh: $pin $link $config $wl: $status: $why" >&2
		failures=$((failures + 1))
	fi
	if [ "$wl" = calls ]; then
		# One line per call: its cost (s per iteration) in the seconds field.
		local name n ns
		while read -r name n ns _; do
			echo "$pin $link $config $rep call:$name $status $(awk -v x="$ns" 'BEGIN { printf "%.6f", x / 1e9 }') - - - - -" >> "$raw"
		done < <(if [ "$status" = ok ]; then cat "$work/out"; else printf 'open_close 0 0\nstat 0 0\n'; fi)
	else
		echo "$pin $link $config $rep $wl $status $elapsed $rt $remote $turns $requests $wait" >> "$raw"
	fi
	printf '  %-8s %-8s %-16s #%d %-6s %9.3f s  round trips %s  turns %s\n' \
		"$pin" "$link" "$config" "$rep" "$wl" "$elapsed" "$rt" "$turns" >&2
}

# reference PIN LINK REP: a plain TCP copy of the 32 MB file, ssh host cat
# of it, ssh host true.
reference() {
	local pin=$1 link=$2 rep=$3 tcp=$WAN_TCP_COPY port=${WAN_SSHD##*:} t0 t1 out
	if [ "$link" = wan ]; then
		tcp=${WAN_PROXY_ADDR[tcp]}
		port=${WAN_PROXY_ADDR[ssh]##*:}
	fi
	out=$("${WAN_PREFIX[@]}" "$benchdir/tcp_copy" fetch "$tcp")
	[ "${out%% *}" = $((32 << 20)) ] || { echo "bench/workloads.sh: tcp_copy fetched '$out'" >&2; failures=$((failures + 1)); }
	echo "$pin $link tcp_copy $rep ref ok ${out##* } - - - - -" >> "$raw"
	t0=$EPOCHREALTIME
	"${WAN_PREFIX[@]}" ssh "${WAN_SSH_OPTS[@]}" -p "$port" root@127.0.0.1 cat "$data/big" > /dev/null
	t1=$EPOCHREALTIME
	echo "$pin $link ssh_cat $rep ref ok $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }') - - - - -" >> "$raw"
	t0=$EPOCHREALTIME
	"${WAN_PREFIX[@]}" ssh "${WAN_SSH_OPTS[@]}" -p "$port" root@127.0.0.1 true
	t1=$EPOCHREALTIME
	echo "$pin $link ssh_true $rep ref ok $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }') - - - - -" >> "$raw"
}

configs=()
for c in $CONFIGS; do
	case $c in
	splitrun) for b in $backends; do configs+=("splitrun:$b"); done ;;
	*) configs+=("$c") ;;
	esac
done
max_reps=$((LOOP_REPS > WAN_REPS ? LOOP_REPS : WAN_REPS))
started=$(date +%s)
echo "# workloads: $(uname -srm); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(nproc) CPUs"
echo "# splitrun $("$splitrun" --version | cut -d' ' -f2) (backends: $backends; round trips from --stats=json);" \
	"$(ssh -V 2>&1 | cut -d, -f1); sshfs $(sshfs --version 2>&1 | sed -n 's/^SSHFS version //p' | head -1)"
echo "# link: ${DELAY_MS} ms each way (bench/delay_proxy); runs per cell: $LOOP_REPS native/loopback, $WAN_REPS wan;" \
	"splitrun's frames $([ "$KEYED" = yes ] && echo "sealed (a shared key)" || echo "plain (no key)")"
echo "# work directory: $work"
for pin in $PINS; do
	WAN_PREFIX=()
	[ "$pin" = pinned ] && WAN_PREFIX=(taskset -c 0)
	echo "# $pin: load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
	wan_shadow_start "$home" "${shadow_opts[@]}"
	wan_sshd_start
	wan_tcp_copy_start "$data/big"
	wan_proxy_start shadow "$WAN_SHADOW" "$DELAY_MS"
	wan_proxy_start ssh "$WAN_SSHD" "$DELAY_MS"
	wan_proxy_start tcp "$WAN_TCP_COPY" "$DELAY_MS"
	# Warm-up, untimed: the page cache, and the expected outputs.
	for wl in $WORKLOADS; do
		reset_outputs
		exec_workload "$wl" "$data" || wan_die "the native $wl failed: $(cat "$work/err")"
		check_outputs "$wl" || wan_die "the native $wl: $why"
	done
	for ((rep = 1; rep <= max_reps; rep++)); do
		for link in $LINKS; do
			reps=$LOOP_REPS
			[ "$link" = wan ] && reps=$WAN_REPS
			[ "$rep" -le "$reps" ] && reference "$pin" "$link" "$rep"
		done
		for wl in $WORKLOADS; do
			for link in $LINKS; do
				reps=$LOOP_REPS
				[ "$link" = wan ] && reps=$WAN_REPS
				[ "$rep" -le "$reps" ] || continue
				for config in "${configs[@]}"; do
					# Native does not go over a link: once per repetition.
					if [ "$config" = native ]; then
						[ "$link" = "${LINKS%% *}" ] && [ "$rep" -le "$LOOP_REPS" ] || continue
						run_one "$pin" local native "$rep" "$wl"
					else
						run_one "$pin" "$link" "$config" "$rep" "$wl"
					fi
				done
			done
		done
		echo "# $pin: repetition $rep/$max_reps done after $(($(date +%s) - started)) s" >&2
	done
	wan_stop_all
	echo "# $pin: load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
done
reset_outputs

bench/workloads_report.awk -v delay="$DELAY_MS" -v backends="$backends" "$raw"
echo "# took $(($(date +%s) - started)) s; raw results: $raw"
[ "$failures" -eq 0 ] || { echo "bench/workloads.sh: $failures runs failed or were wrong (above)" >&2; exit 1; }
