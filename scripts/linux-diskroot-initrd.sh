#!/usr/bin/env bash
# The small initramfs Debian's Linux kernel needs to use a virtio-blk ext2
# disk as its root: in linux-image-amd64 the virtio transports, virtio_blk
# and ext4 (which serves ext2: CONFIG_EXT4_USE_FOR_EXT2=y) are modules
# (CONFIG_VIRTIO_BLK=m, CONFIG_VIRTIO_PCI=m, CONFIG_VIRTIO_MMIO=m,
# CONFIG_EXT4_FS=m, no CONFIG_EXT2_FS), so root=/dev/vda alone cannot work.
#
# The archive holds busybox (static), those modules with what they depend on
# (read from each module's .modinfo "depends=", loaded in dependency order),
# plus crc32c_generic (ext4's mount asks the crypto API for "crc32c" and
# fails without it)
# and an /init that: mounts devtmpfs; insmods the modules; waits for
# /dev/vda; mounts it (ext2; read-only if the command line says "ro",
# else read-write) on /newroot; writes
# "skiff-diskroot: switch_root to /dev/vda" to /dev/kmsg (the kernel's time
# stamp of that line is when the disk root's /init is about to run); and
# execs switch_root /newroot /init. Boot it with:
#     -kernel vmlinuz -initrd build/linux-diskroot.cpio -append "rdinit=/init ..."
# On microvm Linux finds the virtio-mmio disk only through ACPI (the DSDT:
# keep microvm's ACPI on; CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES is off).
#
# Usage: scripts/linux-diskroot-initrd.sh     prints the archive's path
# Environment: LINUX_DIR (build/linux, from scripts/get-linux-guest.sh),
# OUT (build/linux-diskroot.cpio).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${LINUX_DIR:-$ROOT/build/linux}
OUT=${OUT:-$ROOT/build/linux-diskroot.cpio}
MODULES="virtio_pci virtio_mmio virtio_blk crc32c_generic ext4"

[ -d "$DIR/lib/modules" ] || "$ROOT/scripts/get-linux-guest.sh" >/dev/null
moddir=$(compgen -G "$DIR/lib/modules/*/kernel" | sort -V | tail -n 1)
[ -n "$moddir" ] || { echo "linux-diskroot-initrd: no modules under $DIR/lib/modules" >&2; exit 1; }
BUSYBOX=
for b in /bin/busybox /usr/bin/busybox; do [ -x "$b" ] && BUSYBOX=$b && break; done
[ -n "$BUSYBOX" ] || { echo "linux-diskroot-initrd: busybox-static missing" >&2; exit 1; }
if [ -f "$OUT" ] && [ "$OUT" -nt "$0" ] && [ "$OUT" -nt "$moddir" ]; then
	echo "$OUT"
	exit 0
fi

stage=$OUT.d
rm -rf "$stage"
mkdir -p "$stage"/{bin,dev,proc,newroot,lib/modules}
install -m 755 "$BUSYBOX" "$stage/bin/busybox"
for a in sh mount umount insmod sleep switch_root; do ln -s busybox "$stage/bin/$a"; done

# Modules in load order: each after the ones its .modinfo depends on.
order=$(python3 - "$moddir" $MODULES <<'PY'
import os, subprocess, sys
moddir, wanted = sys.argv[1], sys.argv[2:]
path = {}
for top, _, files in os.walk(moddir):
    for f in files:
        if f.endswith(".ko"):
            path[f[:-3].replace("-", "_")] = os.path.join(top, f)
def depends(name):
    info = subprocess.run(["objcopy", "-O", "binary", "-j", ".modinfo", path[name], "/dev/stdout"],
                          capture_output=True, check=True).stdout
    for field in info.split(b"\0"):
        if field.startswith(b"depends="):
            return [d.decode().replace("-", "_") for d in field[8:].split(b",") if d]
    return []
done, out = set(), []
def visit(name):
    if name in done:
        return
    done.add(name)
    if name not in path:
        sys.exit("linux-diskroot-initrd: module %s not found under %s" % (name, moddir))
    for d in depends(name):
        visit(d)
    out.append(path[name])
for w in wanted:
    visit(w)
print("\n".join(out))
PY
)
names=
for ko in $order; do
	cp "$ko" "$stage/lib/modules/"
	names="$names $(basename "$ko" .ko)"
done

cat >"$stage/init" <<EOF
#!/bin/sh
# Stage 1 (scripts/linux-diskroot-initrd.sh): load the disk drivers, mount
# /dev/vda, hand over to its /init.
mount -t devtmpfs devtmpfs /dev
for m in$names; do
	insmod /lib/modules/\$m.ko || echo "diskroot: insmod \$m failed"
done
i=0
while [ ! -b /dev/vda ] && [ \$i -lt 1000 ]; do
	sleep 0.01
	i=\$((i + 1))
done
mount -t proc proc /proc
opt=rw
case " \$(cat /proc/cmdline) " in *" ro "*) opt=ro ;; esac
umount /proc
if ! mount -t ext2 -o \$opt /dev/vda /newroot; then
	echo "diskroot: cannot mount /dev/vda"
	exec sh
fi
echo "skiff-diskroot: switch_root to /dev/vda" >/dev/kmsg
umount /dev
exec switch_root /newroot /init
EOF
chmod 755 "$stage/init"
(cd "$stage" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --quiet) >"$OUT.tmp"
# /dev/console (c 5 1) for the kernel to open before /init runs: an
# appended archive, so no mknod (root) is needed.
python3 - "$OUT.tmp" <<'PY'
import sys
def entry(name, mode, rmaj=0, rmin=0, ino=0):
    name = name.encode() + b"\0"
    hdr = "070701" + "".join("%08X" % v for v in (ino, mode, 0, 0, 1, 0, 0, 0, 0, rmaj, rmin, len(name), 0))
    b = hdr.encode() + name
    return b + b"\0" * (-len(b) % 4)
data = entry("dev/console", 0o020600, 5, 1, 0x7fff0001) + entry("TRAILER!!!", 0)
data += b"\0" * (-len(data) % 512)
with open(sys.argv[1], "ab") as f:
    f.write(data)
PY
mv "$OUT.tmp" "$OUT"
rm -rf "$stage"
echo "$OUT"
