#!/usr/bin/env bash
# epoll/eventfd benchmark: Skiff against Debian's stock Linux, same QEMU flags.
#
# Builds bench/epoll/epoll_bench.c statically, packs it as /init of a tiny
# initramfs, boots it on build/skiff.elf and on the Linux guest of
# scripts/get-linux-guest.sh in turn (ROUNDS boots each, REPS runs of the set
# per boot), and prints the median of each result with the ratio
# Skiff/Linux (times per operation: lower is better).
#
# Environment: SMP (2), MEM (256M), ACCEL, MACHINE as for scripts/run-qemu.sh;
# SCALE (1) multiplies the iteration counts; ROUNDS (2); REPS (3); TIMEOUT
# per boot (300); SKIFF_KERNEL (build/skiff.elf). Logs:
# build/bench/epoll/{skiff,linux}-N.log.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/build/bench/epoll
mkdir -p "$OUT"
cd "$ROOT"

gcc -O2 -static -pthread -o "$OUT/epoll_bench" bench/epoll/epoll_bench.c
[ -f build/skiff.elf ] || make -s kernel
LINUX_KERNEL=$(scripts/get-linux-guest.sh)

bench/init-cpio.py "$OUT/epoll_bench" "$OUT/bench.cpio"

ROUNDS=${ROUNDS:-2}
ARGS="${SCALE:-1} ${REPS:-3}"
run() { # name kernel append log
	local rc=0
	KERNEL=$2 INITRD=$OUT/bench.cpio APPEND="$3" SMP=${SMP:-2} MEM=${MEM:-256M} \
		TIMEOUT=${TIMEOUT:-300} POWEROFF_OK=1 LOG=$4 scripts/run-qemu.sh >/dev/null 2>&1 || rc=$?
	grep -q '^bench: done' "$4" || echo "epoll bench: $1 run did not finish (rc $rc, log $4)" >&2
}
echo "epoll bench: $ROUNDS boots each of Skiff and Linux;" \
	"host load average $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$OUT"/skiff-*.log "$OUT"/linux-*.log
for i in $(seq "$ROUNDS"); do
	run skiff "${SKIFF_KERNEL:-build/skiff.elf}" "console=ttyS0 rdinit=/init skiff.exit_on_panic -- $ARGS" "$OUT/skiff-$i.log"
	run linux "$LINUX_KERNEL" "console=ttyS0 rdinit=/init quiet panic=-1 -- $ARGS" "$OUT/linux-$i.log"
done

python3 - "$OUT" <<'PY'
import glob, re, statistics, sys
def parse(pattern):
    r = {}
    for p in sorted(glob.glob(pattern)):
        for line in open(p, errors='replace'):
            m = re.match(r'bench: (\w+) ([0-9.]+) ns', line.strip())
            if m:
                r.setdefault(m.group(1), []).append(float(m.group(2)))
    return r
s, l = parse(sys.argv[1] + '/skiff-*.log'), parse(sys.argv[1] + '/linux-*.log')
print('%-16s %10s %10s %6s   %s' % ('benchmark', 'Skiff', 'Linux', 'ratio', 'range Skiff / Linux (ns)'))
missing = False
for k in ('epoll_pingpong', 'wait_ready_1', 'wait_ready_1k', 'ctl_add_del', 'eventfd_rw'):
    sv, lv = s.get(k), l.get(k)
    if not sv or not lv:
        missing = True
        print('%-16s missing' % k)
        continue
    ms, ml = statistics.median(sv), statistics.median(lv)
    print('%-16s %7.0f ns %7.0f ns %6.2f   %.0f-%.0f / %.0f-%.0f' % (k, ms, ml, ms / ml,
          min(sv), max(sv), min(lv), max(lv)))
sys.exit(1 if missing else 0)
PY
