#!/bin/sh
# tools/deps.sh: makes sure what splitrun's build, tests, demo and benchmarks
# need is installed; installs what is missing with apt-get (Debian 12). The
# last line is the programs tests/integration/split_corpus.bats runs.
# Quiet and quick when everything is there. SPLITRUN_NO_INSTALL=1 only reports.
set -eu

# Host packages, and the arm64 libraries that the aarch64 cross build links.
PACKAGES="build-essential libseccomp-dev libunwind-dev bats strace busybox-static
 gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static python3 sqlite3
 iproute2 util-linux procps coreutils findutils libsodium-dev clang libclang-rt-14-dev
 git zip unzip bzip2 xz-utils gzip vim ed patch perl-base file
 openssh-server openssh-client sshfs linux-perf"
ARM64_PACKAGES="libseccomp-dev:arm64 libunwind-dev:arm64 libsodium-dev:arm64"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=""
for p in $PACKAGES $ARM64_PACKAGES; do
	installed "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "tools/deps.sh: missing:$missing" >&2
if [ "${SPLITRUN_NO_INSTALL:-0}" = 1 ]; then
	echo "tools/deps.sh: install them with apt-get (SPLITRUN_NO_INSTALL=1 is set)" >&2
	exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
else
	echo "tools/deps.sh: not root and no sudo: install them as root with apt-get" >&2
	exit 1
fi
case "$missing" in
*:arm64*)
	dpkg --print-foreign-architectures | grep -qx arm64 || $SUDO dpkg --add-architecture arm64 ;;
esac
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
