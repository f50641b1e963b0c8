#!/usr/bin/env bash
# shellcheck disable=SC2054 # commas inside QEMU option values are intended
# Skiff with its root file system on a virtio-blk disk (root=/dev/vda rw,
# no initramfs), running user-space programs against ext2:
#
#   1. boot "write": the rootfs /init (skiff.test=disk-write) runs
#      tests/guest/disk_stress (dynamic: ld.so maps libc from the ext2 root)
#      which builds /stress: thousands of files and directories, renames,
#      truncates, appends, hard links, symlinks, deletes, sparse files past
#      4 GiB, /stress/MANIFEST; syncs; poweroff -f (reboot(2) syncs and marks
#      ext2 clean).
#   2. host: `e2fsck -fn` finds the image clean and marked clean; debugfs
#      cross-checks the MANIFEST: rdump of /stress/tree (every name, type,
#      size, CRC-32, symlink target, nothing extra), `ls -p` of
#      every directory (inode numbers and link counts of hard links), `stat`
#      of the sparse files (size, few blocks).
#   3. boot "verify": disk_stress replays the operations in memory and
#      checks the tree (contents, link counts, targets, holes read as zeros),
#      then removes /stress.
#   4. host: e2fsck clean again, and the inodes and blocks in use are back
#      to what they were before boot 1 (nothing leaked).
#   5. crash (CRASH_MACHINES, default q35): boot "fsync-loop"
#      (tests/guest/disk_fsync) writes and fsyncs files in a loop, printing
#      "fsynced N SIZE CRC32" after each; this script kills QEMU with SIGKILL
#      after CRASH_LINES (20) such lines. debugfs must find every file the
#      log calls fsynced with its checksum; a read-only boot
#      (skiff.test=disk-fsync-check) checks them again in the guest and reads
#      every other file (unsynced files may be damaged: counted, not judged).
#      Then e2fsck -fy repairs what the unsynced work left (reported, not
#      judged).
#
# Machines: q35 (virtio-blk-pci), microvm (virtio-blk-device found on the
# command line: acpi=off), microvm-acpi (virtio-blk-device found in the DSDT).
#
# LINUX=1 runs the same on Debian's Linux kernel (the reference for what the
# programs expect), through the stage-1 initramfs of
# scripts/linux-diskroot-initrd.sh (its disk drivers are modules). Linux's
# reboot(2) neither syncs nor unmounts, so there the file system is not
# required to be marked clean, only to pass e2fsck; microvm needs its ACPI
# (MACHINES="q35 microvm-acpi").
#
# Usage: tests/disk-root.sh
# Environment: MACHINES ("q35 microvm"), CRASH_MACHINES ("q35"), SMP (2),
# TIMEOUT (180 per boot), NO_BUILD=1 (use build/rootfs as it is), LINUX=1, and
# what scripts/run-qemu.sh reads. Logs:
# build/test-logs/diskroot[-linux]-<machine>-<step>.log (+ .out: run-qemu's
# stderr; .fsck).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build
L=$B/test-logs
MACHINES=${MACHINES:-q35 microvm}
CRASH_MACHINES=${CRASH_MACHINES-q35}
CRASH_LINES=${CRASH_LINES:-20}
export SMP=${SMP:-2} POWEROFF_OK=1
BOOT_TIMEOUT=${TIMEOUT:-180}
LINUX=${LINUX:-0}
mkdir -p "$L"
cd "$ROOT" || exit 2
tag=diskroot
kargs=(KERNEL="$B/skiff.elf")
base_append="console=ttyS0 root=/dev/vda init=/init"
if [ "$LINUX" = 1 ]; then
	tag=diskroot-linux
	MACHINES=${MACHINES_LINUX:-${MACHINES/microvm/microvm-acpi}}
	CRASH_MACHINES=${CRASH_MACHINES/microvm/microvm-acpi}
	vmlinuz=$(scripts/get-linux-guest.sh) && initrd=$(scripts/linux-diskroot-initrd.sh) ||
		{ echo "disk-root: no Linux guest kernel or its stage-1 initramfs"; exit 2; }
	kargs=(KERNEL="$vmlinuz" INITRD="$initrd")
	base_append="console=ttyS0 rdinit=/init quiet panic=-1"
fi

for t in mke2fs e2fsck debugfs dumpe2fs; do
	command -v $t >/dev/null || { echo "disk-root: $t missing (e2fsprogs: scripts/deps.sh)"; exit 2; }
done
if [ "${NO_BUILD:-0}" != 1 ]; then
	make -s -C tests/guest >/dev/null && scripts/mkrootfs.sh >/dev/null 2>&1 ||
		{ echo "disk-root: building the guest programs or the root file system failed"; exit 2; }
fi
for f in rootfs/init rootfs/tests/bin/disk_stress-dynamic rootfs/tests/bin/disk_fsync-static; do
	[ -e "$B/$f" ] || { echo "disk-root: $B/$f missing (make rootfs)"; exit 2; }
done
[ -c "$B/rootfs/dev/console" ] ||
	{ echo "disk-root: build/rootfs/dev/console is not a device (scripts/mkrootfs.sh must run as root)"; exit 2; }

# The disk: the root file system staged for build/rootfs.ext2 (same content,
# same mke2fs options), with room for the test: 320 MiB, 16384 more inodes.
mkimage() {
	local n
	n=$(find "$B/rootfs" | wc -l)
	rm -f "$1"
	mke2fs -q -F -t ext2 -L skiff -b 4096 -N $((n + 16384)) -E root_owner=0:0 \
		-d "$B/rootfs" "$1" 320M >/dev/null 2>&1
}

# usage IMG: free blocks and inodes counted in the allocation bitmaps
# (dumpe2fs lists each group's free ranges from them; the superblock's and
# descriptors' counts may lag: Linux updates them lazily).
usage() {
	dumpe2fs "$1" 2>/dev/null | awk -F': ' '
		/^  Free (blocks|inodes): / {
			n = split($2, r, ", ")
			for (i = 1; i <= n; i++) {
				if (r[i] == "") continue
				if (split(r[i], ab, "-") == 2) c = ab[2] - ab[1] + 1; else c = 1
				if ($1 ~ /blocks/) fb += c; else fi += c
			}
		}
		END { if (fb + fi > 0) printf "%d free blocks, %d free inodes", fb, fi }'
}

fails=0
# say PASS|FAIL MSG [LOG]: one result line; a failure shows the log's tail.
say() {
	echo "$1  disk root$([ "$LINUX" = 1 ] && echo ' (Linux)'): $2"
	if [ "$1" = FAIL ]; then
		fails=$((fails + 1))
		[ -z "${3:-}" ] || [ ! -f "$3" ] || tail -n 15 "$3" | sed 's/^/  | /'
	fi
}

# qemu_args MACHINE IMG: sets machine, opts, qargs for run-qemu.sh.
qemu_args() {
	local dev
	machine=$1 opts=
	case $1 in
	microvm) dev=virtio-blk-device opts=acpi=off ;;
	microvm-acpi) dev=virtio-blk-device machine=microvm ;;
	*) dev=virtio-blk-pci ;;
	esac
	qargs=(-drive file="$2",if=none,id=d0,format=raw -device "$dev",drive=d0)
}

# boot MACHINE IMG STEP APPEND-EXTRA: one boot to power-off; its log is
# $log. Returns run-qemu's status.
boot() {
	qemu_args "$1" "$2"
	log=$L/$tag-$1-$3.log
	env "${kargs[@]}" MACHINE=$machine MACHINE_OPTS=$opts TIMEOUT=$BOOT_TIMEOUT LOG=$log \
		APPEND="$base_append $4" scripts/run-qemu.sh -- "${qargs[@]}" >/dev/null 2>"$log.out" </dev/null
}

# fsck_clean IMG LOG: e2fsck -fn finds nothing and the state is "clean".
fsck_clean() {
	e2fsck -fn "$1" >"$2.fsck" 2>&1 || return 1
	[ "$LINUX" = 1 ] || dumpe2fs -h "$1" 2>/dev/null | grep -q '^Filesystem state: *clean$'
}

# host_check IMG: debugfs against /stress/MANIFEST (see the header).
host_check() {
	local img=$1 dump=$B/$tag-dump
	rm -rf "$dump"
	mkdir -p "$dump"
	debugfs -R "cat /stress/MANIFEST" "$img" >"$dump/MANIFEST" 2>/dev/null &&
		debugfs -R "rdump /stress/tree $dump" "$img" >/dev/null 2>&1 || return 1
	awk '$1 == "d" { print "ls -p /stress/tree/" $2 } END { print "ls -p /stress/tree" }' "$dump/MANIFEST" \
		>"$dump/cmds"
	printf 'stat /stress/sparse\nstat /stress/sparse2\n' >>"$dump/cmds"
	debugfs -f "$dump/cmds" "$img" >"$dump/listing" 2>/dev/null || return 1
	python3 - "$dump" <<'PY'
import os, re, sys, zlib
d = sys.argv[1]
tree = os.path.join(d, "tree")
bad = []
def crc(path):
    with open(path, "rb") as f:
        return zlib.crc32(f.read())
man = {}
for line in open(os.path.join(d, "MANIFEST")):
    w = line.split()
    man[w[1]] = w
# Names and inodes debugfs lists for each directory.
ino_of, names_of = {}, {}
cur = None
stat = {}
for line in open(os.path.join(d, "listing"), errors="replace"):
    m = re.match(r"debugfs: ls -p /stress/tree/?(.*)$", line)
    if m:
        cur = m.group(1)
        continue
    m = re.match(r"debugfs: stat /stress/(\S+)$", line)
    if m:
        cur = None
        st = stat.setdefault(m.group(1), {})
        continue
    if cur is not None:
        f = line.strip().split("/")
        if len(f) >= 7 and f[5] not in (".", ".."):
            p = (cur + "/" if cur else "") + f[5]
            ino_of[p] = int(f[1])
            names_of.setdefault(int(f[1]), []).append(p)
    elif stat:
        for k, v in re.findall(r"(?:^|\s)(Size|Blockcount): (\d+)", line):
            if "Fragment" not in line:
                st.setdefault(k, int(v))
found = set()
for top, dirs, files in os.walk(tree):
    for n in dirs + files:
        found.add(os.path.relpath(os.path.join(top, n), tree))
for p in sorted(found - set(man)):
    bad.append("%s: in the image, not in the MANIFEST" % p)
for p in sorted(set(man) - found):
    bad.append("%s: in the MANIFEST, not in the image" % p)
nfile = 0
for p, w in man.items():
    if p not in found:
        continue
    fp = os.path.join(tree, p)
    if w[0] == "d":
        ok = os.path.isdir(fp) and not os.path.islink(fp)
    elif w[0] == "l":
        ok = os.path.islink(fp) and os.readlink(fp) == w[2] and ino_of.get(p) == int(w[3])
    else:
        nfile += 1
        size, nlink, h, ino = int(w[2]), int(w[3]), int(w[4], 16), int(w[5])
        ok = (os.path.isfile(fp) and not os.path.islink(fp) and os.path.getsize(fp) == size
              and crc(fp) == h and ino_of.get(p) == ino and len(names_of.get(ino, [])) == nlink)
    if not ok:
        bad.append("%s: differs from the MANIFEST line %s" % (p, " ".join(w)))
want = {"sparse": 6 * 2**30 + 5100, "sparse2": 4 * 2**30 + 100}
for name, size in want.items():
    st = stat.get(name, {})
    if st.get("Size") != size or not 0 < st.get("Blockcount", 0) <= 2048:
        bad.append("/stress/%s: debugfs stat %s, expected Size %d and a few blocks" % (name, st, size))
for b in bad[:20]:
    print("  host: " + b)
if bad:
    sys.exit(1)
print("  host: debugfs agrees with the MANIFEST: %d names, %d files" % (len(man), nfile))
PY
	local st=$?
	rm -rf "$dump"
	return $st
}

for m in $MACHINES; do
	img=$B/$tag-$m.img
	mkimage "$img" || { say FAIL "$m: mke2fs"; continue; }
	before=$(usage "$img")
	t0=$(date +%s)
	boot "$m" "$img" write "rw skiff.test=disk-write"
	st=$?
	if [ $st != 0 ] || ! grep -aq '^disk_stress: write PASS' "$log"; then
		say FAIL "$m: boot 1 (write): run-qemu exit $st, no 'disk_stress: write PASS' (logs: $log{,.out})" "$log"
		continue
	fi
	grep -a '^disk_stress: write PASS' "$log" | sed 's/^/  /'
	if ! fsck_clean "$img" "$log"; then
		say FAIL "$m: e2fsck after boot 1: not clean (log: $log.fsck)" "$log.fsck"
		continue
	fi
	if ! host_check "$img"; then
		say FAIL "$m: debugfs on the host disagrees with the guest's MANIFEST"
		continue
	fi
	boot "$m" "$img" verify "rw skiff.test=disk-verify"
	st=$?
	if [ $st != 0 ] || ! grep -aq '^disk_stress: verify PASS' "$log" ||
		! grep -aq '^disk_stress: remove PASS' "$log"; then
		say FAIL "$m: boot 2 (verify): run-qemu exit $st, no 'disk_stress: verify PASS' + 'remove PASS' (logs: $log{,.out})" "$log"
		continue
	fi
	grep -a '^disk_stress: verify PASS' "$log" | sed 's/^/  /'
	if ! fsck_clean "$img" "$log"; then
		say FAIL "$m: e2fsck after boot 2: not clean (log: $log.fsck)" "$log.fsck"
		continue
	fi
	after=$(usage "$img")
	if [ -z "$before" ] || [ "$after" != "$before" ]; then
		say FAIL "$m: after removing everything: $after, before boot 1: $before (leaked)"
		continue
	fi
	say PASS "$m: stress tree written, checked by debugfs and e2fsck, verified by a second boot, removed without leaks ($(($(date +%s) - t0)) s)"
	rm -f "$img"
done

# The crash test: see the header.
for m in $CRASH_MACHINES; do
	img=$B/$tag-crash-$m.img
	mkimage "$img" || { say FAIL "$m: mke2fs"; continue; }
	qemu_args "$m" "$img"
	log=$L/$tag-$m-fsync-loop.log
	rm -f "$log"
	t0=$(date +%s)
	env "${kargs[@]}" MACHINE=$machine MACHINE_OPTS=$opts TIMEOUT=$BOOT_TIMEOUT LOG=$log \
		APPEND="$base_append rw skiff.test=disk-fsync-loop" scripts/run-qemu.sh -- "${qargs[@]}" >/dev/null 2>"$log.out" </dev/null &
	sup=$!
	lines=0
	while kill -0 $sup 2>/dev/null; do
		lines=$(grep -acE '^fsynced [0-9]+ [0-9]+ [0-9a-f]{8}$' "$log" 2>/dev/null)
		[ "${lines:-0}" -lt "$CRASH_LINES" ] || break
		sleep 0.1
	done
	qemu=$(pgrep -P $sup -f qemu-system | head -n 1)
	[ -z "$qemu" ] || kill -9 "$qemu"
	wait $sup 2>/dev/null
	# Only complete lines count: the guest printed them after both fsyncs.
	grep -aE '^fsynced [0-9]+ [0-9]+ [0-9a-f]{8}$' "$log" >"$log.synced"
	n=$(wc -l <"$log.synced")
	if [ -z "$qemu" ] || [ "$n" -lt "$CRASH_LINES" ]; then
		say FAIL "$m: the fsync loop printed $n 'fsynced' lines before QEMU ended (logs: $log{,.out})" "$log"
		continue
	fi
	last=$(tail -n 1 "$log.synced" | cut -d' ' -f2)
	# The host reads each fsynced file straight from the killed VM's disk.
	dump=$B/$tag-dump
	rm -rf "$dump"
	mkdir -p "$dump"
	awk '{ printf "dump /crash/fsync/f%05d '"$dump"'/f%05d\n", $2, $2 }' "$log.synced" >"$dump/cmds"
	debugfs -f "$dump/cmds" "$img" >/dev/null 2>&1
	if ! python3 - "$dump" "$log.synced" <<'PY'; then
import os, sys, zlib
d, synced = sys.argv[1], sys.argv[2]
bad = 0
for line in open(synced):
    _, n, size, h = line.split()
    p = os.path.join(d, "f%05d" % int(n))
    data = open(p, "rb").read() if os.path.exists(p) else None
    x = zlib.crc32(data or b"")
    if data is None or len(data) != int(size) or x != int(h, 16):
        bad += 1
        if bad <= 10:
            print("  host: /crash/fsync/f%05d: %s" % (int(n), "missing" if data is None else
                  "%d bytes, crc %08x; fsynced %s bytes, crc %s" % (len(data), x, size, h)))
sys.exit(1 if bad else 0)
PY
		say FAIL "$m: after SIGKILL, debugfs finds fsynced files missing or damaged"
		rm -rf "$dump"
		continue
	fi
	rm -rf "$dump"
	boot "$m" "$img" fsync-check "ro skiff.test=disk-fsync-check skiff.disk_arg=$last"
	st=$?
	if [ $st != 0 ] || ! grep -aq '^disk_fsync: check PASS' "$log"; then
		say FAIL "$m: boot after the kill: run-qemu exit $st, no 'disk_fsync: check PASS' (logs: $log{,.out})" "$log"
		continue
	fi
	grep -a '^disk_fsync: check PASS' "$log" | sed 's/^/  /'
	e2fsck -fy "$img" >"$log.fsck" 2>&1
	fsck=$?
	say PASS "$m: QEMU killed after 'fsynced $last': all $n fsynced files intact (debugfs and a second boot); e2fsck -fy exit $fsck ($(($(date +%s) - t0)) s)"
	rm -f "$img"
done
[ $fails -eq 0 ]
