#!/usr/bin/env bash
# Fetch Debian 12's stock x86_64 Linux kernel as a reference guest, without
# installing it on the host: the package linux-image-amd64 points at is
# downloaded with `apt-get download` and unpacked with `dpkg -x` into
# build/linux/ (boot/vmlinuz-*, boot/config-*, lib/modules/*: the kernel has
# the 8250 serial console, devtmpfs, tmpfs and SysV IPC built in; virtio
# drivers are modules under lib/modules).
#
# Usage: scripts/get-linux-guest.sh        prints the vmlinuz path on stdout
#
# Environment: LINUX_DIR (default build/linux), LINUX_PKG (default: the
# linux-image-<version>-amd64 that linux-image-amd64 depends on).
# Does nothing when LINUX_DIR already holds a vmlinuz. Runs `apt-get update`
# once if apt does not know the package yet.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${LINUX_DIR:-$ROOT/build/linux}

find_vmlinuz() { compgen -G "$DIR/boot/vmlinuz-*" | sort -V | tail -n 1; }

if v=$(find_vmlinuz) && [ -n "$v" ]; then
	echo "$v"
	exit 0
fi

pkg_name() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }'
}
PKG=${LINUX_PKG:-$(pkg_name)}
if [ -z "$PKG" ]; then
	echo "get-linux-guest: apt does not know linux-image-amd64; running apt-get update" >&2
	apt-get update >&2
	PKG=$(pkg_name)
fi
[ -n "$PKG" ] || { echo "get-linux-guest: cannot resolve linux-image-amd64" >&2; exit 1; }

tmp="$DIR.tmp"
rm -rf "$tmp"
mkdir -p "$tmp/deb"
echo "get-linux-guest: downloading $PKG" >&2
# -o APT::Sandbox::User=root: the _apt user cannot write into a root-owned build dir.
if ! (cd "$tmp/deb" && apt-get download -o APT::Sandbox::User=root "$PKG" >&2); then
	echo "get-linux-guest: download failed; running apt-get update and trying again" >&2
	apt-get update >&2
	(cd "$tmp/deb" && apt-get download -o APT::Sandbox::User=root "$PKG" >&2)
fi
dpkg -x "$tmp"/deb/*.deb "$tmp"
rm -rf "$tmp/deb"
rm -rf "$DIR"
mv "$tmp" "$DIR"
v=$(find_vmlinuz)
[ -n "$v" ] || { echo "get-linux-guest: no vmlinuz in $PKG" >&2; exit 1; }
echo "get-linux-guest: $v" >&2
echo "$v"
