#!/usr/bin/env bash
# Disk self-tests: boot twice with a scratch disk (the virtio_blk self-test
# writes to it) and an ext2 image labelled skiff-test (the ext2 and
# ext2_vfs self-tests), on q35 with virtio-blk-pci and on microvm
# with virtio-blk-device, found on the command line (microvm: acpi=off) or
# in the DSDT (microvm-acpi: ACPI on, QEMU's default). The first boot creates a stress tree
# (hundreds of files, renames, links, symlinks, a sparse file past 4 GiB),
# the second verifies and removes it; `e2fsck -fn` must find the image
# clean after each boot.
#
# Usage: tests/disk-selftest.sh
# Environment: MACHINES ("q35 microvm microvm-acpi"), SMP (2), TIMEOUT (120),
# DISK_TESTS (virtio_blk,ext2,ext2_vfs), and what scripts/run-qemu.sh reads.
# Logs: build/test-logs/disk-<machine>-<boot>.log (+ .out, .fsck).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build
MACHINES=${MACHINES:-q35 microvm microvm-acpi}
export SMP=${SMP:-2} TIMEOUT=${TIMEOUT:-120}
TESTS=${DISK_TESTS:-virtio_blk,ext2,ext2_vfs}
mkdir -p "$B/test-logs"

command -v mke2fs >/dev/null && command -v e2fsck >/dev/null ||
	{ echo "disk-selftest: e2fsprogs missing (scripts/deps.sh)"; exit 2; }
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
printf 'hello from skiff ext2\n' >"$src/hello.txt"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(((i*7+3)&255) for i in range(200*1024)))' >"$src/big.bin"

# boot MACHINE N EXPECT: one boot; succeed when the self-tests pass, the
# log has EXPECT, and e2fsck finds the image clean.
boot() {
	local m=$1 n=$2 expect=$3 dev opts machine log=$B/test-logs/disk-$1-$2.log
	local machine=$m
	case $m in
	microvm) dev=virtio-blk-device opts=acpi=off ;;
	microvm-acpi) dev=virtio-blk-device opts= machine=microvm ;;
	*) dev=virtio-blk-pci opts= ;;
	esac
	MACHINE=$machine MACHINE_OPTS=$opts LOG=$log APPEND="console=ttyS0 skiff.selftest=$TESTS" \
		"$ROOT/scripts/run-qemu.sh" -- \
		-drive file="$B/scratch.img",if=none,id=d0,format=raw -device $dev,drive=d0 \
		-drive file="$B/ext2-test.img",if=none,id=d1,format=raw -device $dev,drive=d1 \
		>/dev/null 2>"$log.out" </dev/null
	local st=$? why=
	if [ $st != 0 ]; then
		why="run-qemu exit $st"
	elif ! tr -d '\r' <"$log" | grep -q 'selftest: all passed$'; then
		why="self-tests failed"
	elif ! grep -q "$expect" "$log"; then
		why="no '$expect' line"
	elif ! e2fsck -fn "$B/ext2-test.img" >"$log.fsck" 2>&1; then
		why="e2fsck found problems"
	fi
	if [ -z "$why" ]; then
		echo "PASS  disk self-tests on $m, boot $n"
		return 0
	fi
	echo "FAIL  disk self-tests on $m, boot $n: $why (logs: $log{,.out,.fsck})"
	tail -n 15 "$log" | sed 's/^/  | /'
	[ ! -s "$log.fsck" ] || tail -n 8 "$log.fsck" | sed 's/^/  fsck| /'
	return 1
}

fails=0
for m in $MACHINES; do
	rm -f "$B/scratch.img" "$B/ext2-test.img"
	printf 'SKIFF-SCRATCH' >"$B/scratch.img"
	truncate -s 16M "$B/scratch.img"
	mke2fs -q -F -t ext2 -L skiff-test -d "$src" "$B/ext2-test.img" 32M >/dev/null 2>&1
	boot "$m" 1 'stress tree created' || fails=$((fails + 1))
	boot "$m" 2 'stress tree from the previous boot verified and removed' || fails=$((fails + 1))
done
[ $fails -eq 0 ]
