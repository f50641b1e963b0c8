#!/usr/bin/env bash
# Futex benchmark: Skiff against Debian's stock Linux, same QEMU flags.
#
# Builds bench/futex/futex_bench.c statically, packs it as /init in a tiny
# initramfs (with /dev/console and /proc so both kernels give it stdio and
# thread states), boots it on build/skiff.elf and on the Linux guest of
# scripts/get-linux-guest.sh, and prints each result with the ratio
# Skiff/Linux (times per operation: lower is better, target <= 1.0).
# The two kernels boot in turn, ROUNDS times each (Skiff, Linux, Skiff, ...),
# and each boot runs the whole set REPS times: a result is the median of
# its ROUNDS x REPS samples (min and max are printed too), so a burst of
# host load (other QEMUs on the same cores) does not decide a ratio.
#
# Environment: SMP (2), MEM (256M), ACCEL, MACHINE as for scripts/run-qemu.sh;
# SCALE (1) multiplies the iteration counts; ROUNDS (2) boots of each kernel;
# REPS (5) runs of the set per boot; TIMEOUT per boot (300);
# SKIFF_KERNEL (build/skiff.elf); SKIFF_APPEND, LINUX_APPEND: more kernel
# command line for one side (e.g. SKIFF_APPEND=skiff.haltpoll_ns=0). Logs: build/bench/futex/{skiff,linux}-N.log.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/build/bench/futex
mkdir -p "$OUT"
cd "$ROOT"

gcc -O2 -static -pthread -o "$OUT/futex_bench" bench/futex/futex_bench.c
[ -f build/skiff.elf ] || make -s kernel
LINUX_KERNEL=$(scripts/get-linux-guest.sh)

bench/init-cpio.py "$OUT/futex_bench" "$OUT/bench.cpio"

ROUNDS=${ROUNDS:-2}
REPS=${REPS:-5}
ARGS="${SCALE:-1} $REPS"
run() { # name kernel append log
	local rc=0
	KERNEL=$2 INITRD=$OUT/bench.cpio APPEND="$3" SMP=${SMP:-2} MEM=${MEM:-256M} \
		TIMEOUT=${TIMEOUT:-300} POWEROFF_OK=1 LOG=$4 scripts/run-qemu.sh >/dev/null 2>&1 || rc=$?
	grep -q '^bench: done' "$4" || echo "futex bench: $1 run did not finish (rc $rc, log $4)" >&2
}
echo "futex bench: $ROUNDS boots each of Skiff and Linux, $REPS runs per boot;" \
	"host load average $(cut -d' ' -f1-3 /proc/loadavg) (other QEMUs on these cores make it noisy)"
rm -f "$OUT"/skiff-*.log "$OUT"/linux-*.log
# /init is the benchmark itself: when it exits Linux panics (panic=-1:
# reset, an exit under -no-reboot) and Skiff reports the death of init.
for i in $(seq "$ROUNDS"); do
	run skiff "${SKIFF_KERNEL:-build/skiff.elf}" \
		"console=ttyS0 rdinit=/init ${SKIFF_APPEND:-} -- $ARGS" "$OUT/skiff-$i.log"
	run linux "$LINUX_KERNEL" \
		"console=ttyS0 rdinit=/init quiet panic=-1 ${LINUX_APPEND:-} -- $ARGS" "$OUT/linux-$i.log"
done

python3 - "$OUT" <<'PY'
import glob, re, statistics, sys
def parse(pattern):
    r = {}
    for p in sorted(glob.glob(pattern)):
        for line in open(p, errors='replace'):
            m = re.match(r'bench: (\w+) ([0-9.]+) (\w+)', line.strip())
            if m:
                r.setdefault(m.group(1), []).append(float(m.group(2)))
    return r
s, l = parse(sys.argv[1] + '/skiff-*.log'), parse(sys.argv[1] + '/linux-*.log')
def fmt(v):
    return '-' if not v else '%.0f ns' % statistics.median(v)
def spread(v):
    return '-' if not v else '%.0f-%.0f' % (min(v), max(v))
print('%-14s %12s %12s %6s   %s' % ('benchmark', 'Skiff', 'Linux', 'ratio', 'range Skiff / Linux (ns), n'))
worst, missing = 0.0, False
for k in ('pingpong_rtt', 'wake_nowaiter', 'wake64', 'mutex4'):
    sv, lv = s.get(k), l.get(k)
    ratio = statistics.median(sv) / statistics.median(lv) if sv and lv else None
    if ratio is None:
        missing = True
    else:
        worst = max(worst, ratio)
    print('%-14s %12s %12s %6s   %s / %s, %d' % (k, fmt(sv), fmt(lv),
          '-' if ratio is None else '%.2f' % ratio, spread(sv), spread(lv), len(sv or [])))
print('futex bench: worst ratio %.2f (target <= 1.00; lower is better)%s'
      % (worst, ', SOME RESULTS MISSING' if missing else ''))
sys.exit(1 if missing else 0)
PY
