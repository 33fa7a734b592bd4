# bench/wan_env.bash: sourced by the benchmark parts that need a "home"
# side behind a link (bench/workloads.sh). Not a part itself (bench/run.sh
# runs bench/*.sh). Starts and stops, by PID and only what it started:
#
#   a splitrun-shadow serving a directory, on a free loopback port;
#   bench/delay_proxy in front of a target (the 10 ms link);
#   a throwaway sshd on loopback (config, host key and an authorized user
#   key made in the work directory; run as sshd -D -f CONFIG -p PORT);
#   sshfs mounts through it (sshfs -f, so its PID is known; unmounted with
#   fusermount3 -u);
#   bench/tcp_copy's server (a plain TCP copy of one file).
#
# Every wait is bounded. wan_cleanup (call it from an EXIT trap) ends what
# is still running, unmounts what is still mounted and removes
# /run/sshd if wan_sshd_start made it and no sshd runs (sshd needs that
# directory; it is left alone if it was there).
#
# Callers set: WAN_WORK (a private work directory), WAN_BINDIR (splitrun's
# binaries), WAN_BENCHDIR (delay_proxy, tcp_copy), WAN_PREFIX (an array: the
# command prefix every process is started under, e.g. (taskset -c 0) or ()).

WAN_PIDS=()
WAN_MOUNTS=()
WAN_MADE_RUN_SSHD=0

wan_die() {
	echo "bench: $*" >&2
	exit 1
}

# wan_wait_line FILE PATTERN: waits (at most 10 s) until FILE has a line
# matching PATTERN (an ERE); prints the first such line.
wan_wait_line() {
	local file=$1 pattern=$2 k line
	for ((k = 0; k < 200; k++)); do
		line=$(grep -m1 -E "$pattern" "$file" 2>/dev/null || true)
		if [ -n "$line" ]; then
			echo "$line"
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# wan_stop PID: SIGTERM, then (after 5 s) SIGKILL; waits for it.
wan_stop() {
	local pid=$1 k
	kill -TERM "$pid" 2>/dev/null || true
	for ((k = 0; k < 100; k++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	local kept=() p
	for p in "${WAN_PIDS[@]}"; do
		[ "$p" = "$pid" ] || kept+=("$p")
	done
	WAN_PIDS=("${kept[@]}")
}

# wan_shadow_start ROOT [OPTION...]: sets WAN_SHADOW (ADDR:PORT) and
# WAN_SHADOW_PID; the options go to splitrun-shadow (e.g. --key FILE).
wan_shadow_start() {
	local root=$1 line
	shift
	# A file of an earlier start would be read before this one rewrites it.
	rm -f "$WAN_WORK/shadow.addr"
	"${WAN_PREFIX[@]}" "$WAN_BINDIR/splitrun-shadow" --root "$root" --listen 127.0.0.1:0 \
		--log "$WAN_WORK/shadow.log" "$@" > "$WAN_WORK/shadow.addr" &
	WAN_SHADOW_PID=$!
	WAN_PIDS+=("$WAN_SHADOW_PID")
	line=$(wan_wait_line "$WAN_WORK/shadow.addr" '^splitrun --shadow ') ||
		wan_die "splitrun-shadow did not start: $(cat "$WAN_WORK/shadow.log" 2>/dev/null)"
	WAN_SHADOW=${line#splitrun --shadow }
}

# wan_proxy_start NAME TARGET DELAY_MS: a delay_proxy in front of TARGET;
# sets WAN_PROXY_ADDR[NAME] and WAN_PROXY_CONTROL[NAME].
declare -A WAN_PROXY_ADDR WAN_PROXY_CONTROL WAN_PROXY_PID
wan_proxy_start() {
	local name=$1 target=$2 delay=$3 out=$WAN_WORK/proxy.$1 line
	rm -f "$out.addr"
	"${WAN_PREFIX[@]}" "$WAN_BENCHDIR/delay_proxy" --target "$target" --delay "$delay" \
		--control 127.0.0.1:0 > "$out.addr" 2> "$out.log" &
	WAN_PROXY_PID[$name]=$!
	WAN_PIDS+=("$!")
	line=$(wan_wait_line "$out.addr" '^control ') || wan_die "delay_proxy did not start: $(cat "$out.log")"
	WAN_PROXY_CONTROL[$name]=${line#control }
	line=$(grep -m1 '^listen ' "$out.addr")
	WAN_PROXY_ADDR[$name]=${line#listen }
}

# wan_proxy_turns NAME: prints the proxy's turns counter so far.
wan_proxy_turns() {
	local addr=${WAN_PROXY_CONTROL[$1]} fd line
	exec {fd}<>"/dev/tcp/${addr%:*}/${addr##*:}"
	read -r line <&"$fd" || true
	exec {fd}<&-
	line=${line##*turns=}
	echo "${line%% *}"
}

# wan_free_port: a port that was free a moment ago.
wan_free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wan_sshd_start EXPORT: a throwaway sshd; sets WAN_SSHD (127.0.0.1:PORT)
# and WAN_SSH_OPTS (an array: the ssh options that reach it as root with
# the generated key; the port is given separately).
wan_sshd_start() {
	local d=$WAN_WORK/ssh port k
	# Fresh keys each time (ssh-keygen would ask before overwriting).
	rm -rf "$d"
	mkdir -p "$d"
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" -C bench-host < /dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$d/user_key" -C bench-user < /dev/null
	cp "$d/user_key.pub" "$d/authorized_keys"
	cat > "$d/sshd_config" <<-EOF
		HostKey $d/host_key
		ListenAddress 127.0.0.1
		AuthorizedKeysFile $d/authorized_keys
		PidFile none
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PubkeyAuthentication yes
		PermitRootLogin prohibit-password
		UsePAM no
		StrictModes no
		PrintMotd no
		Subsystem sftp /usr/lib/openssh/sftp-server
		LogLevel ERROR
	EOF
	if [ ! -d /run/sshd ]; then
		mkdir -m 755 /run/sshd
		WAN_MADE_RUN_SSHD=1
	fi
	/usr/sbin/sshd -t -f "$d/sshd_config" || wan_die "sshd rejects its configuration ($d/sshd_config)"
	# curve25519-sha256: ssh's default key exchange here (sntrup761x25519)
	# takes about 0.35 s of CPU on this VM, half of an "ssh host true"; the
	# faster one makes ssh's set-up, which no comparison is about, cheaper
	# (sshfs mounts sooner; "ssh host cat" is a stricter reference).
	WAN_SSH_OPTS=(-F /dev/null -i "$d/user_key" -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no
		-o BatchMode=yes -o LogLevel=ERROR -o KexAlgorithms=curve25519-sha256)
	# The port is picked, then bound by sshd: another process may take it
	# in between, so a failed start is tried again with another port.
	for ((k = 0; k < 5; k++)); do
		port=$(wan_free_port)
		"${WAN_PREFIX[@]}" /usr/sbin/sshd -D -f "$d/sshd_config" -p "$port" -E "$d/sshd.log" &
		WAN_SSHD_PID=$!
		WAN_PIDS+=("$WAN_SSHD_PID")
		WAN_SSHD=127.0.0.1:$port
		if wan_ssh_ready "$port"; then
			return 0
		fi
		wan_stop "$WAN_SSHD_PID"
	done
	wan_die "sshd did not start: $(cat "$d/sshd.log")"
}

# wan_ssh_ready PORT: true once ssh through PORT runs a command (10 s).
wan_ssh_ready() {
	local k
	for ((k = 0; k < 40; k++)); do
		kill -0 "$WAN_SSHD_PID" 2>/dev/null || return 1
		if timeout 10 ssh "${WAN_SSH_OPTS[@]}" -p "$1" root@127.0.0.1 true 2>/dev/null; then
			return 0
		fi
		sleep 0.25
	done
	return 1
}

# wan_sshfs_mount PORT REMOTE_DIR MOUNTPOINT: sshfs in the foreground, in
# the background (so its PID is ours); returns when the mount is up (20 s).
wan_sshfs_mount() {
	local port=$1 remote=$2 mnt=$3 k
	mkdir -p "$mnt"
	"${WAN_PREFIX[@]}" sshfs -f -p "$port" -o ssh_command="ssh ${WAN_SSH_OPTS[*]}" \
		"root@127.0.0.1:$remote" "$mnt" 2> "$WAN_WORK/sshfs.log" &
	WAN_SSHFS_PID=$!
	WAN_PIDS+=("$WAN_SSHFS_PID")
	WAN_MOUNTS+=("$mnt")
	for ((k = 0; k < 400; k++)); do
		mountpoint -q "$mnt" && return 0
		kill -0 "$WAN_SSHFS_PID" 2>/dev/null || break
		sleep 0.05
	done
	wan_die "sshfs did not mount $mnt: $(cat "$WAN_WORK/sshfs.log")"
}

wan_sshfs_umount() {
	local mnt=$1 k
	fusermount3 -u "$mnt" 2>/dev/null || umount "$mnt" 2>/dev/null || true
	for ((k = 0; k < 100; k++)); do
		kill -0 "$WAN_SSHFS_PID" 2>/dev/null || break
		sleep 0.05
	done
	wan_stop "$WAN_SSHFS_PID"
	local kept=() m
	for m in "${WAN_MOUNTS[@]}"; do
		[ "$m" = "$mnt" ] || kept+=("$m")
	done
	WAN_MOUNTS=("${kept[@]}")
}

# wan_tcp_copy_start FILE: sets WAN_TCP_COPY (the server's ADDR:PORT).
wan_tcp_copy_start() {
	local line
	rm -f "$WAN_WORK/tcp_copy.addr"
	"${WAN_PREFIX[@]}" "$WAN_BENCHDIR/tcp_copy" serve "$1" > "$WAN_WORK/tcp_copy.addr" &
	WAN_PIDS+=("$!")
	line=$(wan_wait_line "$WAN_WORK/tcp_copy.addr" '^listen ') || wan_die "tcp_copy did not start"
	WAN_TCP_COPY=${line#listen }
}

# wan_stop_all: unmounts, then stops every process started here, newest first.
wan_stop_all() {
	local m k
	for m in "${WAN_MOUNTS[@]}"; do
		fusermount3 -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	WAN_MOUNTS=()
	for ((k = ${#WAN_PIDS[@]} - 1; k >= 0; k--)); do
		wan_stop "${WAN_PIDS[k]}"
	done
	WAN_PIDS=()
}

wan_cleanup() {
	wan_stop_all
	# Only while no other sshd (another run's, say) may still need it.
	if [ "$WAN_MADE_RUN_SSHD" = 1 ] && ! pgrep -x sshd > /dev/null; then
		rmdir /run/sshd 2>/dev/null || true
		WAN_MADE_RUN_SSHD=0
	fi
}
