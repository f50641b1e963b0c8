#!/usr/bin/env bash
# shellcheck disable=SC2086,SC2054 # lists split on spaces; commas in QEMU options
# Boot to user space, Skiff and Debian's Linux in the same QEMU, with the
# root file system in an initramfs or on a virtio-blk ext2 disk, on q35 and
# microvm: N boots of each, min/median/max of two figures, a table with
# Skiff/Linux ratios, and a PNG chart (build/boottime-root.png).
#
#   host ms  = wall time from just before QEMU starts to the console line
#              "Skiff userland up", which the rootfs /init prints on both
#              kernels once /proc, /sys and /dev are mounted (run-qemu's
#              BOOTTIME_MARK): QEMU start-up, firmware, kernel, init script.
#   guest ms = the kernel's own clock at the exec of the root file system's
#              /init. Skiff: the printk time stamp of "init: running /init"
#              (microseconds since the TSC at PVH entry). Linux: the printk
#              time stamp (local_clock: counts from the early TSC set-up in
#              setup_arch, so the bzImage decompressor and the earliest boot
#              are not in it) of "Run /init as init process" (initramfs) or of
#              the line "skiff-diskroot: switch_root to /dev/vda" that the
#              stage-1 /init logs right before handing over to the disk's
#              /init (disk root; see scripts/linux-diskroot-initrd.sh: Debian's
#              virtio_blk and ext4 are modules, so Linux needs that stage to
#              load them). The rootfs /init prints those lines from dmesg.
#
# Every boot uses the same content: build/initramfs.cpio, or a fresh copy of
# build/rootfs.ext2 (made by scripts/mkrootfs.sh from the same tree) as
# /dev/vda, mounted read-write (Skiff: root=/dev/vda rw init=/init). The
# kernel command line has skiff.test=boottime: /init powers off right after
# the mark. microvm keeps its ACPI tables (Linux finds virtio-mmio devices
# only in the DSDT); q35 uses virtio-blk-pci.
#
# Usage: scripts/boottime-root.sh
# Environment: N (5 boots per configuration), MACHINES ("q35 microvm"),
# KERNELS ("skiff linux"), ROOTS ("initramfs disk"), SMP (2), MEM (512M:
# Linux unpacks the initramfs into a tmpfs of half the memory), TIMEOUT (120),
# ACCEL, as scripts/run-qemu.sh. Logs: build/boottime-root/. Exit status 1 if
# any boot failed.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build
OUT=$B/boottime-root
N=${N:-5}
MACHINES=${MACHINES:-q35 microvm}
KERNELS=${KERNELS:-skiff linux}
ROOTS=${ROOTS:-initramfs disk}
export SMP=${SMP:-2} MEM=${MEM:-512M} TIMEOUT=${TIMEOUT:-120} POWEROFF_OK=1
export BOOTTIME_MARK='^Skiff userland up$'
mkdir -p "$OUT"
cd "$ROOT" || exit 2

[ -f "$B/initramfs.cpio" ] && [ -f "$B/rootfs.ext2" ] ||
	{ echo "boottime-root: build the root file system first (make rootfs)" >&2; exit 2; }
if [[ " $KERNELS " == *" linux "* ]]; then
	vmlinuz=$(scripts/get-linux-guest.sh) && stage1=$(scripts/linux-diskroot-initrd.sh) ||
		{ echo "boottime-root: no Linux guest kernel" >&2; exit 2; }
fi

stats() {
	sort -n | awk '{ v[NR] = $1 }
		END {
			if (NR == 0) { print "- - -"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%g %g %g\n", v[1], m, v[NR]
		}'
}

# one_boot KERNEL MACHINE ROOT I: prints "HOST_MS GUEST_MS" or fails.
one_boot() {
	local k=$1 m=$2 r=$3 log=$OUT/$1-$2-$3-$4.log
	local env=(MACHINE="$m" LOG="$log") qargs=() dev=virtio-blk-pci append
	[ "$m" = microvm ] && dev=virtio-blk-device
	if [ "$r" = disk ]; then
		cp --sparse=always "$B/rootfs.ext2" "$OUT/disk.img" || return 1
		qargs=(-drive file="$OUT/disk.img",if=none,id=d0,format=raw -device "$dev",drive=d0)
	fi
	case $k-$r in
	skiff-initramfs) env+=(KERNEL="$B/skiff.elf" INITRD="$B/initramfs.cpio")
		append="console=ttyS0 rdinit=/init" ;;
	skiff-disk) env+=(KERNEL="$B/skiff.elf" INITRD=)
		append="console=ttyS0 root=/dev/vda rw init=/init" ;;
	linux-initramfs) env+=(KERNEL="$vmlinuz" INITRD="$B/initramfs.cpio")
		append="console=ttyS0 rdinit=/init quiet panic=-1" ;;
	linux-disk) env+=(KERNEL="$vmlinuz" INITRD="$stage1")
		append="console=ttyS0 rdinit=/init quiet panic=-1" ;;
	esac
	env "${env[@]}" APPEND="$append skiff.test=boottime" scripts/run-qemu.sh -- "${qargs[@]}" \
		>/dev/null 2>"$log.err" </dev/null || return 1
	local h g pat
	h=$(sed -n 's/^run-qemu: host time to mark: \([0-9]*\) ms$/\1/p' "$log.err")
	case $k-$r in
	skiff-*) pat='init: running /init as pid' ;;
	linux-initramfs) pat='Run /init as init process' ;;
	linux-disk) pat='skiff-diskroot: switch_root' ;;
	esac
	g=$(grep -a "$pat" "$log" | head -n 1 | sed -n 's/^\[ *\([0-9]*\.[0-9]*\)\].*/\1/p')
	[ -n "$h" ] && [ -n "$g" ] || return 1
	echo "$h $(awk -v s="$g" 'BEGIN { printf "%.1f", s * 1000 }')"
}

failed=0
declare -A H G
for m in $MACHINES; do
	for r in $ROOTS; do
		for k in $KERNELS; do
			hs=() gs=()
			for i in $(seq 1 "$N"); do
				if res=$(one_boot "$k" "$m" "$r" "$i"); then
					read -r h g <<<"$res"
					hs+=("$h")
					gs+=("$g")
					printf 'boottime-root: %-5s %-7s %-9s run %2d: host %5s ms, guest %8s ms\n' "$k" "$m" "$r" "$i" "$h" "$g"
				else
					echo "boottime-root: $k $m $r run $i failed (log: $OUT/$k-$m-$r-$i.log{,.err})" >&2
					failed=$((failed + 1))
				fi
			done
			H[$k-$m-$r]=$(printf '%s\n' "${hs[@]}" | sed '/^$/d' | stats)
			G[$k-$m-$r]=$(printf '%s\n' "${gs[@]}" | sed '/^$/d' | stats)
			H[$k-$m-$r-n]=${#hs[@]}
		done
	done
done
rm -f "$OUT/disk.img"

# ratio A B: A/B to two decimals, "-" if either is missing.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }

echo
echo "boot to init, ACCEL=${ACCEL:-auto}, SMP=$SMP, MEM=$MEM, N=$N: host = QEMU start to 'Skiff userland up' (ms), guest = kernel clock at init's exec (ms)"
printf '%-7s %-9s %-5s %5s  %7s %7s %7s   %8s %8s %8s\n' machine root kernel boots "host min" median max "guest min" median max
for m in $MACHINES; do
	for r in $ROOTS; do
		for k in $KERNELS; do
			read -r hmin hmed hmax <<<"${H[$k-$m-$r]}"
			read -r gmin gmed gmax <<<"${G[$k-$m-$r]}"
			printf '%-7s %-9s %-5s %2d/%-2d  %7s %7s %7s   %8s %8s %8s\n' "$m" "$r" "$k" "${H[$k-$m-$r-n]}" "$N" \
				"$hmin" "$hmed" "$hmax" "$gmin" "$gmed" "$gmax"
		done
		if [[ " $KERNELS " == *" skiff "* && " $KERNELS " == *" linux "* ]]; then
			read -r _ sh _ <<<"${H[skiff-$m-$r]}"
			read -r _ lh _ <<<"${H[linux-$m-$r]}"
			read -r _ sg _ <<<"${G[skiff-$m-$r]}"
			read -r _ lg _ <<<"${G[linux-$m-$r]}"
			printf '%-7s %-9s %-11s  %23s   %26s\n' "$m" "$r" "skiff/linux" "median $(ratio "$sh" "$lh")" \
				"median $(ratio "$sg" "$lg")"
		fi
	done
done

# The chart: one panel per figure, a group per machine and root.
python3 - "$OUT/chart.json" "$MACHINES" "$ROOTS" "$KERNELS" "$N" "$SMP" <<PY
import json, sys
out, machines, roots, kernels, n, smp = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), sys.argv[4].split(), sys.argv[5], sys.argv[6]
H = {$(for key in "${!H[@]}"; do [[ $key == *-n ]] || printf '"%s": "%s", ' "$key" "${H[$key]}"; done)}
G = {$(for key in "${!G[@]}"; do printf '"%s": "%s", ' "$key" "${G[$key]}"; done)}
colors = {"skiff": [40, 100, 200], "linux": [230, 120, 30]}
groups = [(m, r) for m in machines for r in roots]
def vals(table, k):
    out = []
    for m, r in groups:
        v = table.get("%s-%s-%s" % (k, m, r), "- - -").split()
        out.append(None if "-" in v else [float(x) for x in v])
    return out
panel = lambda title, table: {"title": title, "unit": "ms", "groups": ["%s %s" % g for g in groups],
    "series": [{"name": k, "color": colors.get(k, [100, 100, 100]), "values": vals(table, k)} for k in kernels]}
json.dump({"title": "boot to init under TCG, SMP %s, %s boots each" % (smp, n),
           "panels": [panel("host: QEMU start to 'Skiff userland up' (ms)", H),
                      panel("guest: kernel clock at the exec of the root's /init (ms)", G)]}, open(out, "w"))
PY
if python3 scripts/barchart.py "$OUT/chart.json" "$B/boottime-root.png"; then
	echo "chart: build/boottime-root.png"
fi
if [ "$failed" -gt 0 ]; then
	echo "boottime-root: $failed boot(s) failed" >&2
	exit 1
fi
