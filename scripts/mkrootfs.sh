#!/usr/bin/env bash
# Build the guest root file system from rootfs/.
#
# Usage: scripts/mkrootfs.sh
#
# Produces:
#   build/rootfs/          the staging tree
#   build/initramfs.cpio   the same tree as an uncompressed cpio (newc), owner root
#   build/rootfs.ext2      the same tree as an ext2 image (mke2fs -d)
#
# The tree holds: busybox (busybox-static) at /bin/busybox with a symlink to it
# for every applet (`busybox --list-full`); the host files named in
# rootfs/binaries.list and rootfs/stress.list (and rootfs/extra.list with
# EXTRA=1) at the same paths,
# each with every shared library ldd resolves for it and the ELF interpreter
# /lib64/ld-linux-x86-64.so.2; rootfs/files/ copied verbatim; rootfs/init as
# /init; the guest test programs from build/guest/ in /tests/bin/ (debug
# sections stripped), tests/guest/run-all as /tests/run-all and
# tests/guest/sh/*.sh in /tests/sh/; and the device nodes /dev/console and /dev/null (the kernel opens
# /dev/console for /init before anything is mounted).
#
# Environment:
#   EXTRA=1    also install rootfs/extra.list (GNU grep and sed, strace)
#   NO_EXT2=1  skip build/rootfs.ext2 (an older one is removed: it would be stale)
#   FORCE=1    rebuild even if no input changed since the last build
#   BUILD      build directory (default build)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
STAGE=$BUILD/rootfs
CPIO=$BUILD/initramfs.cpio
EXT2=$BUILD/rootfs.ext2
GUEST=$BUILD/guest
STAMP=$BUILD/rootfs.stamp
EXTRA=${EXTRA:-0}
NO_EXT2=${NO_EXT2:-0}

die() { echo "mkrootfs: $*" >&2; exit 1; }
log() { echo "mkrootfs: $*" >&2; }

# --- nothing changed? ------------------------------------------------------
inputs=("$ROOT/rootfs" "$ROOT/scripts/mkrootfs.sh" "$ROOT/tests/guest/run-all" "$ROOT/tests/guest/sh")
[ -d "$GUEST" ] && inputs+=("$GUEST")
config="EXTRA=$EXTRA NO_EXT2=$NO_EXT2"
if [ "${FORCE:-0}" != 1 ] && [ -f "$CPIO" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$config" ] &&
	{ [ "$NO_EXT2" = 1 ] || [ -f "$EXT2" ]; } &&
	[ -z "$(find "${inputs[@]}" -newer "$CPIO" -print -quit 2>/dev/null)" ]; then
	log "up to date ($CPIO)"
	exit 0
fi

# --- host tools ----------------------------------------------------------------
BUSYBOX=
for b in /bin/busybox /usr/bin/busybox; do
	if [ -x "$b" ]; then BUSYBOX=$b; break; fi
done
[ -n "$BUSYBOX" ] || die "busybox not found (install busybox-static)"
if readelf -l "$BUSYBOX" 2>/dev/null | grep -q 'Requesting program interpreter'; then
	die "$BUSYBOX is dynamically linked (install busybox-static, not busybox)"
fi
command -v cpio >/dev/null || die "cpio not found (install cpio)"
command -v ldd >/dev/null || die "ldd not found (install libc-bin)"
if [ "$NO_EXT2" != 1 ]; then
	MKE2FS=$(command -v mke2fs || echo /sbin/mke2fs)
	[ -x "$MKE2FS" ] || die "mke2fs not found (install e2fsprogs, or set NO_EXT2=1)"
fi

# --- staging tree ----------------------------------------------------------
rm -rf "$STAGE"
mkdir -p "$STAGE"
cd "$STAGE"
mkdir -p bin sbin usr/bin usr/sbin lib/x86_64-linux-gnu lib64 etc proc sys dev tmp \
	root run var/log var/tmp var/www mnt home tests/bin tests/sh
chmod 1777 tmp var/tmp
chmod 700 root

install -m 755 "$BUSYBOX" bin/busybox
while read -r applet; do
	if [ -z "$applet" ] || [ "$applet" = bin/busybox ]; then continue; fi
	mkdir -p "$(dirname "$applet")"
	[ -e "$applet" ] || [ -L "$applet" ] || ln -s /bin/busybox "$applet"
done < <("$BUSYBOX" --list-full)

declare -A copied=()

# copy_file SRC [DEST]: SRC (a host path, symlinks followed) to DEST (default
# the same path) in the staging tree, once.
copy_file() {
	local src=$1 dst=${2:-$1}
	[ -z "${copied[$dst]:-}" ] || return 0
	copied[$dst]=1
	mkdir -p "$STAGE$(dirname "$dst")"
	rm -f "$STAGE$dst"
	cp -L --preserve=mode "$src" "$STAGE$dst"
}

is_elf() { [ -f "$1" ] && [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }

# copy_libs FILE: the shared libraries and interpreter ldd finds for FILE.
copy_libs() {
	local f=$1 out line lib
	is_elf "$f" || return 0
	readelf -d "$f" 2>/dev/null | grep -q '(NEEDED)' || return 0
	out=$(ldd "$f" 2>&1) || die "ldd $f failed: $out"
	while read -r line; do
		case $line in
		*"not found"*) die "$f: $line" ;;
		*"=> /"*) lib=${line#*=> }; lib=${lib%% (*} ;;
		/*) lib=${line%% (*} ;;
		*) continue ;;
		esac
		copy_file "$lib"
	done <<<"$out"
}

# install_list LIST REQUIRED: every path in LIST with its libraries. A
# directory is copied whole (symlinks and mtimes kept),
# with the libraries of every ELF file in it, less what matches
# a "!GLOB" line of LIST (a find -path pattern on the host path; * matches
# across /).
install_list() {
	local list=$1 required=$2 path f
	local -a prune=(-false)
	while read -r path; do
		path=${path%%#*}
		path=$(echo "$path" | tr -d '[:space:]')
		case $path in '!'?*) prune+=(-o -path "${path#!}") ;; esac
	done <"$list"
	while read -r path; do
		path=${path%%#*}
		path=$(echo "$path" | tr -d '[:space:]')
		case $path in '' | '!'*) continue ;; esac
		if [ ! -e "$path" ]; then
			[ "$required" = 1 ] && die "$path (from ${list#"$ROOT"/}) is not on this host"
			log "skipping $path (from ${list#"$ROOT"/}): not on this host"
			continue
		fi
		if [ -d "$path" ]; then
			find "$path" \( "${prune[@]}" \) -prune -o -print0 |
				cpio -0 -pdm --quiet "$STAGE" || die "copying $path failed"
			while IFS= read -r -d '' f; do
				copy_libs "$f"
			done < <(find "$path" \( "${prune[@]}" \) -prune -o -type f -print0)
		else
			copy_file "$path"
			copy_libs "$path"
		fi
	done <"$list"
}

install_list "$ROOT/rootfs/binaries.list" 1
[ "$EXTRA" != 1 ] || install_list "$ROOT/rootfs/extra.list" 0
install_list "$ROOT/rootfs/stress.list" 0
# Every dynamically linked program needs the interpreter at this path.
copy_file /lib64/ld-linux-x86-64.so.2

cp -a "$ROOT/rootfs/files/." "$STAGE/"
install -m 755 "$ROOT/rootfs/init" "$STAGE/init"

# Guest tests.
if [ -d "$GUEST" ]; then
	for f in "$GUEST"/*-static "$GUEST"/*-dynamic; do
		[ -f "$f" ] || continue
		# Debug sections stripped (the symbols stay): build/guest/ keeps
		# the full binaries for gdb and addr2line.
		strip --strip-debug -o "$STAGE/tests/bin/$(basename "$f")" "$f" 2>/dev/null ||
			install -m 755 "$f" "$STAGE/tests/bin/$(basename "$f")"
		copy_libs "$f"
	done
else
	log "no $GUEST: /tests/bin is empty (make -C tests/guest builds it)"
fi
[ ! -f "$ROOT/tests/guest/run-all" ] || install -m 755 "$ROOT/tests/guest/run-all" "$STAGE/tests/run-all"
for f in "$ROOT"/tests/guest/sh/*.sh; do
	[ -f "$f" ] && install -m 755 "$f" "$STAGE/tests/sh/$(basename "$f")"
done

# Device nodes. Made in the staging tree when we may (root) so that the ext2
# image has them; the cpio always gets them from a small appended archive,
# which needs no privilege.
if [ "$(id -u)" = 0 ]; then
	mknod -m 600 dev/console c 5 1
	mknod -m 666 dev/null c 1 3
else
	log "not root: build/rootfs.ext2 gets no /dev/console (the initramfs has it)"
fi

# --- initramfs.cpio --------------------------------------------------------
tmp=$CPIO.tmp
find . -mindepth 1 ! -path ./dev/console ! -path ./dev/null -printf '%P\n' | LC_ALL=C sort |
	cpio -o -H newc --owner=0:0 --quiet >"$tmp"
# Append /dev/console (c 5 1, 0600) and /dev/null (c 1 3, 0666) as a second
# archive: the Linux and Skiff unpackers both read concatenated archives.
python3 - "$tmp" <<'PY'
import sys, time
def entry(name, mode, rmaj=0, rmin=0, ino=0):
    name = name.encode() + b"\0"
    hdr = "070701" + "".join("%08X" % v for v in (
        ino, mode, 0, 0, 1, int(time.time()), 0, 0, 0, rmaj, rmin, len(name), 0))
    b = hdr.encode() + name
    return b + b"\0" * (-len(b) % 4)
data = (entry("dev/console", 0o020600, 5, 1, 0x7fff0001) +
        entry("dev/null", 0o020666, 1, 3, 0x7fff0002) +
        entry("TRAILER!!!", 0))
data += b"\0" * (-len(data) % 512)
with open(sys.argv[1], "ab") as f:
    f.write(data)
PY
mv "$tmp" "$CPIO"
log "$CPIO: $(du -h "$CPIO" | cut -f1), $(find . | wc -l) entries"

# --- rootfs.ext2 -----------------------------------------------------------
if [ "$NO_EXT2" != 1 ]; then
	kib=$(du -sk --apparent-size . | cut -f1)
	inodes=$(find . | wc -l)
	size_mib=$(((kib * 5 / 4 + inodes * 4) / 1024 + 16))
	rm -f "$EXT2"
	"$MKE2FS" -q -F -t ext2 -L skiff -b 4096 -N $((inodes + 1024)) -E root_owner=0:0 \
		-d "$STAGE" "$EXT2" "${size_mib}M" || die "mke2fs failed"
	log "$EXT2: ${size_mib} MiB"
else
	rm -f "$EXT2"
fi
echo "$config" >"$STAMP"
