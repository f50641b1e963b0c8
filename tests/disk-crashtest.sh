#!/usr/bin/env bash
# fsync durability across a killed VM: boot 1 writes and syncs
# /crash-synced on an ext2 disk, then churns other files until this script
# kills QEMU (SIGKILL, no shutdown); boot 2 checks the synced file byte by
# byte, and the host checks it too with debugfs.
#
# Usage: tests/disk-crashtest.sh   Environment: MACHINE (q35), SMP (2).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build
export MACHINE=${MACHINE:-q35} SMP=${SMP:-2}
mkdir -p "$B/test-logs"
img=$B/crash-test.img
log=$B/test-logs/crash-$MACHINE
rm -f "$img"
mke2fs -q -F -t ext2 -L skiff-test "$img" 32M >/dev/null 2>&1
if [ "$MACHINE" = microvm ]; then dev=virtio-blk-device opts=acpi=off; else dev=virtio-blk-pci opts=; fi
qargs=(-drive file="$img",if=none,id=d0,format=raw -device "$dev",drive=d0)

# Boot 1, in the background; kill QEMU shortly after the "synced" line.
MACHINE_OPTS=$opts TIMEOUT=120 LOG=$log-1.log APPEND="console=ttyS0 skiff.selftest=ext2_crash ext2.crashtest=write" \
	"$ROOT/scripts/run-qemu.sh" -- "${qargs[@]}" >/dev/null 2>"$log-1.out" </dev/null &
sup=$!
for _ in $(seq 600); do
	grep -q 'ext2 crashtest: synced' "$log-1.log" 2>/dev/null && break
	kill -0 $sup 2>/dev/null || break
	sleep 0.2
done
if ! grep -q 'ext2 crashtest: synced' "$log-1.log" 2>/dev/null; then
	echo "FAIL  crash test: boot 1 never synced (log $log-1.log)"
	kill $sup 2>/dev/null
	wait $sup 2>/dev/null
	exit 1
fi
sleep 1 # let the churn dirty (and the flusher write) a few things
qemu=$(pgrep -P $sup -f qemu-system | head -n1)
[ -n "$qemu" ] && kill -9 "$qemu"
wait $sup 2>/dev/null

expect=$(python3 -c 'import sys; sys.stdout.buffer.write(bytes(((i*13+(i>>10)+1)&255) for i in range(256*1024)))' | md5sum | cut -d' ' -f1)
got=$(debugfs -R "cat /crash-synced" "$img" 2>/dev/null | md5sum | cut -d' ' -f1)
if [ "$got" != "$expect" ]; then
	echo "FAIL  crash test: host sees /crash-synced damaged after the kill"
	exit 1
fi
# Boot 2: Skiff itself finds the file whole.
if MACHINE_OPTS=$opts TIMEOUT=60 LOG=$log-2.log APPEND="console=ttyS0 skiff.selftest=ext2_crash ext2.crashtest=verify" \
	"$ROOT/scripts/run-qemu.sh" -- "${qargs[@]}" >/dev/null 2>"$log-2.out" </dev/null; then
	echo "PASS  crash test on $MACHINE: fsynced data survived SIGKILL of QEMU"
	exit 0
fi
echo "FAIL  crash test: boot 2 (log $log-2.log)"
tail -n 10 "$log-2.log" | sed 's/^/  | /'
exit 1
