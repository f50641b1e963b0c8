#!/usr/bin/env bash
# Run the guest test suite: build the test programs (make -C tests/guest) and
# the root file system (scripts/mkrootfs.sh), boot it with
# skiff.test=guest, and check the console log: it must hold
# "guest tests: N passed, 0 failed" with N > 0 and no line starting "FAIL".
#
# Usage: tests/guest-run.sh [NAME-PATTERN]
#   NAME-PATTERN (a shell pattern, e.g. 't_file*') limits which programs run;
#   it is passed on the kernel command line as skiff.test_filter=...
#
# Environment:
#   LINUX=1    boot Debian's stock Linux kernel (scripts/get-linux-guest.sh)
#              instead of build/skiff.elf: the reference the tests encode
#   KERNEL     kernel to boot (default build/skiff.elf, or Linux with LINUX=1)
#   SMP (2), MEM (512M), TIMEOUT (600), MACHINE, ACCEL: as for scripts/run-qemu.sh
#              (Linux unpacks the initramfs into a tmpfs of half the memory
#              left beside the initrd: at 256M that is about 65 MiB, less than
#              the image with bash, coreutils, python3 and stress-ng plus the
#              files the tests write)
#   LOG        console log (default build/test-logs/guest[-linux].log)
#   NO_BUILD=1 use the existing build/initramfs.cpio as it is
#   EXTRA, NO_EXT2: passed on to scripts/mkrootfs.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

FILTER=${1:-}
LINUX=${LINUX:-0}
if [ "$LINUX" = 1 ]; then
	KERNEL=${KERNEL:-$(scripts/get-linux-guest.sh)}
	LOG=${LOG:-$ROOT/build/test-logs/guest-linux.log}
	# quiet: the kernel's own messages stay off the console; panic=-1 turns a
	# panic into an immediate reset, which -no-reboot makes an exit.
	BASE_APPEND="console=ttyS0 rdinit=/init quiet panic=-1"
else
	KERNEL=${KERNEL:-$ROOT/build/skiff.elf}
	LOG=${LOG:-$ROOT/build/test-logs/guest.log}
	BASE_APPEND="console=ttyS0 rdinit=/init"
	[ -f "$KERNEL" ] || make -s kernel
fi

if [ "${NO_BUILD:-0}" != 1 ]; then
	make -s -C tests/guest
	scripts/mkrootfs.sh
fi

APPEND="$BASE_APPEND skiff.test=guest${FILTER:+ skiff.test_filter=$FILTER}"
mkdir -p "$(dirname "$LOG")"
start=$(date +%s)
rc=0
KERNEL=$KERNEL INITRD=$ROOT/build/initramfs.cpio APPEND=$APPEND SMP=${SMP:-2} MEM=${MEM:-512M} \
	TIMEOUT=${TIMEOUT:-600} POWEROFF_OK=1 LOG=$LOG scripts/run-qemu.sh || rc=$?
secs=$(($(date +%s) - start))

fail() { echo "guest-run: FAILED: $*  (log: $LOG, ${secs}s)" >&2; exit 1; }
[ "$rc" = 0 ] || fail "run-qemu.sh exited with $rc"
summary=$(grep -aE '^guest tests: [0-9]+ passed, [0-9]+ failed$' "$LOG" | tail -n 1 || true)
[ -n "$summary" ] || fail "no 'guest tests: N passed, M failed' line"
grep -aq '^Skiff userland up$' "$LOG" || fail "no 'Skiff userland up' line"
if grep -aqE '^FAIL' "$LOG"; then
	grep -aE '^FAIL' "$LOG" >&2
	fail "FAIL lines above"
fi
case $summary in
"guest tests: 0 passed, 0 failed") fail "no test ran" ;;
"guest tests: "*" passed, 0 failed") ;;
*) fail "$summary" ;;
esac
echo "guest-run: $summary ($(grep -aE '^guest assertions:' "$LOG" | tail -n 1)), ${secs}s"
