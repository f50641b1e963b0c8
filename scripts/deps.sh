#!/usr/bin/env bash
# shellcheck disable=SC2206 # package lists split on spaces on purpose
# Check (and, as root, install) the Debian 12 packages Skiff's build and tests use.
#
# Usage: scripts/deps.sh [group...]      groups: build qemu rootfs sanitize stress all (default)
#
#   build     gcc make binutils python3 file
#   qemu      qemu-system-x86 (qemu-system-x86_64, qboot.rom) qemu-utils
#   rootfs    cpio busybox-static e2fsprogs mtools
#   sanitize  clang libclang-rt-14-dev (ASan/UBSan/libFuzzer runtimes for clang)
#   stress    stress-ng (copied into the guest image: rootfs/stress.list)
#
# A package counts as present when dpkg lists it installed and the files the
# build uses from it exist. Missing packages are installed with
# `apt-get install -y --no-install-recommends` when run as root (`apt-get update`
# only if that first attempt fails); otherwise they are listed with the command
# to run, and the exit status is 1. Nothing missing: silent, exit 0, well under
# a second.
set -euo pipefail

usage() { sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

declare -A GROUP=(
	[build]="gcc make binutils python3 file"
	[qemu]="qemu-system-x86 qemu-utils"
	[rootfs]="cpio busybox-static e2fsprogs mtools"
	[sanitize]="clang libclang-rt-14-dev"
	[stress]="stress-ng"
)
ORDER="build qemu rootfs sanitize stress"

# probe PKG: succeed when what the build uses from PKG is on this machine.
probe() {
	case $1 in
	binutils) has ld && has objcopy && has nm && has readelf ;;
	qemu-system-x86) has qemu-system-x86_64 && [ -f /usr/share/qemu/qboot.rom ] ;;
	qemu-utils) has qemu-img ;;
	busybox-static) [ -x /bin/busybox ] || [ -x /usr/bin/busybox ] ;;
	e2fsprogs) has mke2fs || [ -x /sbin/mke2fs ] || [ -x /usr/sbin/mke2fs ] ;;
	mtools) has mcopy ;;
	libclang-rt-14-dev) compgen -G '/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.asan-x86_64.a' >/dev/null &&
		compgen -G '/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a' >/dev/null ;;
	*) has "$1" ;;
	esac
}
has() { command -v "$1" >/dev/null 2>&1; }

pkgs=()
[ $# -gt 0 ] || set -- all
for g in "$@"; do
	case $g in
	-h | --help) usage; exit 0 ;;
	all) for o in $ORDER; do pkgs+=(${GROUP[$o]}); done ;;
	*)
		[ -n "${GROUP[$g]:-}" ] || { echo "deps: unknown group '$g' (groups: $ORDER all)" >&2; exit 2; }
		pkgs+=(${GROUP[$g]})
		;;
	esac
done

# missing_now: print the packages of $pkgs that are not present, one per line.
missing_now() {
	local installed=" "
	if has dpkg-query; then
		installed+=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${pkgs[@]}" 2>/dev/null |
			awk '$1 == "ii" { sub(/:.*/, "", $2); printf "%s ", $2 }' || true)
	fi
	local p seen=" "
	for p in "${pkgs[@]}"; do
		case $seen in *" $p "*) continue ;; esac
		seen+="$p "
		if has dpkg-query; then
			case $installed in *" $p "*) ;; *) echo "$p"; continue ;; esac
		fi
		probe "$p" || echo "$p"
	done
}

mapfile -t missing < <(missing_now)
[ ${#missing[@]} -gt 0 ] || exit 0

echo "deps: missing Debian packages: ${missing[*]}" >&2
cmd=(apt-get install -y --no-install-recommends "${missing[@]}")
if [ "$(id -u)" != 0 ]; then
	echo "deps: install them as root with:" >&2
	echo "  ${cmd[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "deps: ${cmd[*]}" >&2
if ! "${cmd[@]}"; then
	echo "deps: install failed; running apt-get update and trying again" >&2
	apt-get update
	"${cmd[@]}"
fi

mapfile -t missing < <(missing_now)
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: still missing after install: ${missing[*]}" >&2
	exit 1
fi
echo "deps: installed ${cmd[*]:4}" >&2
