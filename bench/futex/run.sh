#!/usr/bin/env bash
# Futex benchmark: Skiff against Debian's stock Linux, same QEMU flags.
#
# Builds bench/futex/futex_bench.c statically, packs it as /init in a tiny
# initramfs (with /dev/console and /proc so both kernels give it stdio and
# thread states), boots it on build/skiff.elf and on the Linux guest of
# scripts/get-linux-guest.sh, and prints each result with the ratio
# Skiff/Linux (times per operation: lower is better, target <= 1.0).
#
# Environment: SMP (2), MEM (256M), ACCEL, MACHINE as for scripts/run-qemu.sh;
# SCALE (1) multiplies the iteration counts; TIMEOUT per boot (300);
# SKIFF_KERNEL (build/skiff.elf).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/build/bench/futex
mkdir -p "$OUT"
cd "$ROOT"

gcc -O2 -static -pthread -o "$OUT/futex_bench" bench/futex/futex_bench.c
[ -f build/skiff.elf ] || make -s kernel
LINUX_KERNEL=$(scripts/get-linux-guest.sh)

# newc archive: /init, /dev/console (c 5 1), /proc, /tmp; no root needed.
python3 - "$OUT/futex_bench" "$OUT/bench.cpio" <<'PY'
import sys
src, dst = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
out = bytearray()
ino = [1]
def ent(name, mode, body=b'', rdev=(0, 0)):
    nm = name.encode() + b'\0'
    hdr = '070701' + ''.join('%08x' % v for v in (
        ino[0], mode, 0, 0, 1, 0, len(body), 0, 0, rdev[0], rdev[1], len(nm), 0))
    ino[0] += 1
    out.extend(hdr.encode() + nm)
    out.extend(b'\0' * (-len(out) % 4))
    out.extend(body)
    out.extend(b'\0' * (-len(out) % 4))
ent('dev', 0o040755)
ent('dev/console', 0o020600, rdev=(5, 1))
ent('proc', 0o040755)
ent('tmp', 0o041777)
ent('init', 0o100755, data)
ent('TRAILER!!!', 0)
open(dst, 'wb').write(out)
PY

run() { # name kernel append log
	local rc=0
	KERNEL=$2 INITRD=$OUT/bench.cpio APPEND="$3" SMP=${SMP:-2} MEM=${MEM:-256M} \
		TIMEOUT=${TIMEOUT:-300} POWEROFF_OK=1 LOG=$4 scripts/run-qemu.sh >/dev/null 2>&1 || rc=$?
	grep -q '^bench: done' "$4" || echo "futex bench: $1 run did not finish (rc $rc, log $4)" >&2
}
# /init is the benchmark itself: when it exits Linux panics (panic=-1:
# reset, an exit under -no-reboot) and Skiff reports the death of init.
run skiff "${SKIFF_KERNEL:-build/skiff.elf}" "console=ttyS0 rdinit=/init -- ${SCALE:-1}" "$OUT/skiff.log"
run linux "$LINUX_KERNEL" "console=ttyS0 rdinit=/init quiet panic=-1 -- ${SCALE:-1}" "$OUT/linux.log"

python3 - "$OUT/skiff.log" "$OUT/linux.log" <<'PY'
import re, sys
def parse(p):
    r = {}
    for line in open(p, errors='replace'):
        m = re.match(r'bench: (\w+) ([0-9.]+) (\w+)', line.strip())
        if m:
            r[m.group(1)] = (float(m.group(2)), m.group(3))
    return r
s, l = parse(sys.argv[1]), parse(sys.argv[2])
print('%-16s %14s %14s %8s' % ('futex bench', 'skiff', 'linux', 'ratio'))
worst = 0.0
for k in ('pingpong_rtt', 'wake_nowaiter', 'wake64', 'mutex4'):
    sv, lv = s.get(k, (None, ''))[0], l.get(k, (None, ''))[0]
    unit = (s.get(k) or l.get(k) or (0, 'ns'))[1]
    ratio = sv / lv if sv is not None and lv else None
    if ratio is not None:
        worst = max(worst, ratio)
    fmt = lambda v: '-' if v is None else '%.0f %s' % (v, unit)
    print('%-16s %14s %14s %8s' % (k, fmt(sv), fmt(lv), '-' if ratio is None else '%.2f' % ratio))
print('futex bench: worst ratio %.2f (target <= 1.00)' % worst)
PY
