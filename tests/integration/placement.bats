#!/usr/bin/env bats
# --cpu-placement (tracer/placement.h): what each setting does to the CPUs
# the program may run on, as the program itself sees them
# (Cpus_allowed_list in /proc/self/status), untraced, traced and under
# split execution with each backend; its wake-up hint under user
# notification (seen by strace); a program that sets its own affinity keeps
# it; bad settings are refused before anything runs. No timing: the
# figures behind the defaults are bench/remote_calls.sh's and
# bench/placement.sh's (docs/performance.md, "CPU placement").

bats_require_minimum_version 1.5.0
load split_helpers

setup_file() {
	split_start_shadow
}

teardown_file() {
	split_stop_shadow
}

setup() {
	SPLITRUN=${SPLITRUN_BINDIR:?}/splitrun
	WORK=$BATS_TEST_TMPDIR
	# The CPUs this test may use; the program inherits them unless
	# splitrun pins it.
	OWN=$(awk '/^Cpus_allowed_list:/ { print $2 }' /proc/self/status)
	FIRST=$(cpus_of "$OWN" | head -1)
	LAST=$(cpus_of "$OWN" | tail -1)
	OUTSIDE=$((LAST + 1))   # not among them
	unset SPLITRUN_CPU_PLACEMENT SPLITRUN_BACKEND
}

# cpus_of LIST: the CPUs of a list such as 0-2,5, one per line.
cpus_of() {
	local part
	for part in ${1//,/ }; do
		if [[ $part == *-* ]]; then
			seq "${part%-*}" "${part#*-}"
		else
			echo "$part"
		fi
	done
}

# allowed CMD...: runs CMD, which prints a /proc/PID/status (bounded); sets
# got to its Cpus_allowed_list (one line per process that printed one).
allowed() {
	local status=0
	timeout -s KILL 30 "$@" > "$WORK/out" 2> "$WORK/err" || status=$?
	if [ "$status" -ne 0 ]; then
		echo "'$*' exited $status" >&2
		cat "$WORK/err" >&2
		return 1
	fi
	got=$(awk '/^Cpus_allowed_list:/ { print $2 }' "$WORK/out" | paste -sd' ')
}

# expect_cpus WANT WHAT: got equals WANT, or says what differed.
expect_cpus() {
	if [ "$got" != "$1" ]; then
		echo "$2: the program may run on '$got', want '$1'" >&2
		cat "$WORK/err" >&2
		return 1
	fi
}

# expect_one_cpu WHAT: got is one CPU, the same for every process, one of OWN.
expect_one_cpu() {
	local first=${got%% *} cpu
	if ! [[ $first =~ ^[0-9]+$ ]] || ! cpus_of "$OWN" | grep -qx "$first"; then
		echo "$1: the program may run on '$got', want one CPU of $OWN" >&2
		return 1
	fi
	for cpu in $got; do
		[ "$cpu" = "$first" ] || { echo "$1: the processes are on different CPUs: '$got'" >&2; return 1; }
	done
}

# Two processes print their CPUs: the program and a child it starts.
STATUS_TWICE=(sh -c 'cat /proc/self/status; grep Cpus_allowed_list /proc/$$/status')

@test "bad --cpu-placement and SPLITRUN_CPU_PLACEMENT are refused before the program runs" {
	local bad
	for bad in left '' 1-0 0, ,0 -1 0- 1x 99999 a,b 0--1; do
		run -2 "$SPLITRUN" --cpu-placement="$bad" touch "$WORK/ran"
		[ "${lines[0]}" = "splitrun: --cpu-placement: unknown placement '$bad' (auto, any, sync, same, or a CPU list such as 0 or 0,2-3)" ] ||
			{ echo "--cpu-placement='$bad' printed: $output" >&2; return 1; }
	done
	run -2 "$SPLITRUN" --cpu-placement="$OUTSIDE" touch "$WORK/ran"
	[ "${lines[0]}" = "splitrun: --cpu-placement: CPU $OUTSIDE: not among the CPUs splitrun may run on ($OWN)" ] ||
		{ echo "a CPU outside $OWN: $output" >&2; return 1; }
	run -2 "$SPLITRUN" --cpu-placement="$FIRST,$OUTSIDE" --shadow "$SPLIT_ADDR" touch "$WORK/ran"
	[ "${lines[0]}" = "splitrun: --cpu-placement: CPU $OUTSIDE: not among the CPUs splitrun may run on ($OWN)" ] ||
		{ echo "a list with a CPU outside $OWN: $output" >&2; return 1; }
	run -2 env SPLITRUN_CPU_PLACEMENT=left "$SPLITRUN" touch "$WORK/ran"
	[ "${lines[0]}" = "splitrun: SPLITRUN_CPU_PLACEMENT: unknown placement 'left' (auto, any, sync, same, or a CPU list such as 0 or 0,2-3)" ] ||
		{ echo "SPLITRUN_CPU_PLACEMENT=left: $output" >&2; return 1; }
	[ ! -e "$WORK/ran" ] || { echo "the program ran despite a bad placement" >&2; return 1; }
	"$SPLITRUN" --help | grep -q -- '--cpu-placement=WHERE' || { echo "--help does not list --cpu-placement" >&2; return 1; }
}

@test "untraced and traced: same and a CPU list pin the program and its children; auto, any and sync leave them alone" {
	local mode
	for mode in untraced traced; do
		local opts=()
		[ "$mode" = traced ] && opts=(--trace -f -o "$WORK/trace")
		allowed "$SPLITRUN" "${opts[@]}" -- "${STATUS_TWICE[@]}"
		expect_cpus "$OWN $OWN" "$mode, no --cpu-placement"
		local where
		for where in auto any sync; do
			allowed "$SPLITRUN" "${opts[@]}" --cpu-placement="$where" -- "${STATUS_TWICE[@]}"
			expect_cpus "$OWN $OWN" "$mode, --cpu-placement=$where"
		done
		allowed "$SPLITRUN" "${opts[@]}" --cpu-placement=same -- "${STATUS_TWICE[@]}"
		expect_one_cpu "$mode, --cpu-placement=same"
		allowed "$SPLITRUN" "${opts[@]}" --cpu-placement="$LAST" -- "${STATUS_TWICE[@]}"
		expect_cpus "$LAST $LAST" "$mode, --cpu-placement=$LAST"
		allowed env SPLITRUN_CPU_PLACEMENT="$LAST" "$SPLITRUN" "${opts[@]}" -- "${STATUS_TWICE[@]}"
		expect_cpus "$LAST $LAST" "$mode, SPLITRUN_CPU_PLACEMENT=$LAST"
		# The option wins over the environment.
		allowed env SPLITRUN_CPU_PLACEMENT=same "$SPLITRUN" "${opts[@]}" --cpu-placement=any -- "${STATUS_TWICE[@]}"
		expect_cpus "$OWN $OWN" "$mode, SPLITRUN_CPU_PLACEMENT=same --cpu-placement=any"
	done
}

@test "split execution, each backend: same and a CPU list pin the program and its children; auto, any and sync do not" {
	local backend where
	for backend in ptrace unotify; do
		local split=("$SPLITRUN" --shadow "$SPLIT_ADDR" --backend="$backend")
		for where in auto any sync; do
			allowed "${split[@]}" --cpu-placement="$where" -- "${STATUS_TWICE[@]}"
			expect_cpus "$OWN $OWN" "$backend, --cpu-placement=$where"
		done
		allowed "${split[@]}" -- "${STATUS_TWICE[@]}"
		expect_cpus "$OWN $OWN" "$backend, the default"
		allowed "${split[@]}" --cpu-placement=same -- "${STATUS_TWICE[@]}"
		expect_one_cpu "$backend, --cpu-placement=same"
		allowed "${split[@]}" --cpu-placement="$LAST" -- "${STATUS_TWICE[@]}"
		expect_cpus "$LAST $LAST" "$backend, --cpu-placement=$LAST"
		allowed "${split[@]}" --cpu-placement="$FIRST-$LAST" -- "${STATUS_TWICE[@]}"
		expect_cpus "$OWN $OWN" "$backend, --cpu-placement=$FIRST-$LAST"
	done
}

@test "a program that sets its own CPUs keeps them: splitrun never pins a running program again" {
	local backend
	for backend in ptrace unotify; do
		local split=("$SPLITRUN" --shadow "$SPLIT_ADDR" --backend="$backend" --cpu-placement=same)
		# taskset sets its own affinity, then runs cat.
		allowed "${split[@]}" -- taskset -c "$OWN" cat /proc/self/status
		expect_cpus "$OWN" "$backend, same, then taskset -c $OWN"
		# A shell widens its own CPUs, then starts children (new processes,
		# which splitrun sees) and a thread-starting program.
		allowed "${split[@]}" -- sh -c "taskset -pc $OWN \$\$ > /dev/null; cat /proc/self/status; grep Cpus_allowed_list /proc/\$\$/status"
		expect_cpus "$OWN $OWN" "$backend, same, then the shell's taskset -p $OWN"
		# And narrows them to a CPU of its choice.
		allowed "${split[@]}" -- sh -c "taskset -pc $LAST \$\$ > /dev/null; cat /proc/self/status"
		expect_cpus "$LAST" "$backend, same, then the shell's taskset -p $LAST"
	done
}

@test "user notification: sync, same and a CPU list ask the kernel for synchronous wake-ups, any does not" {
	command -v strace > /dev/null || { echo "strace is missing (tools/deps.sh)" >&2; return 1; }
	local where
	# SECCOMP_IOCTL_NOTIF_SET_FLAGS with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
	# (strace 6.1 prints the request as _IOC(...)). splitrun makes it, not the
	# program: no -f.
	local set_flags='ioctl\([0-9]+, (SECCOMP_IOCTL_NOTIF_SET_FLAGS|_IOC\(_IOC_WRITE, 0x21, 0x4, 0x8\)), (0x1|SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)\)'
	# A sanitizer build's leak checker cannot work under strace.
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	for where in auto sync same "$LAST" any; do
		timeout -s KILL 30 strace -qq -e trace=ioctl -o "$WORK/strace" \
			"$SPLITRUN" --shadow "$SPLIT_ADDR" --backend=unotify --cpu-placement="$where" -- true
		if [ "$where" = any ]; then
			! grep -Eq "$set_flags" "$WORK/strace" ||
				{ echo "--cpu-placement=any asked for synchronous wake-ups:" >&2; grep -E "$set_flags" "$WORK/strace" >&2; return 1; }
		else
			grep -Eq "$set_flags" "$WORK/strace" ||
				{ echo "--cpu-placement=$where: no SECCOMP_IOCTL_NOTIF_SET_FLAGS in:" >&2; cat "$WORK/strace" >&2; return 1; }
		fi
	done
	# ptrace has no such hint: no seccomp listener at all.
	timeout -s KILL 30 strace -qq -e trace=ioctl -o "$WORK/strace" \
		"$SPLITRUN" --shadow "$SPLIT_ADDR" --backend=ptrace --cpu-placement=sync -- true
	! grep -Eq "$set_flags" "$WORK/strace" || { echo "ptrace asked for synchronous wake-ups" >&2; return 1; }
}
