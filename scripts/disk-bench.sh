#!/usr/bin/env bash
# shellcheck disable=SC2086,SC2054 # lists split on spaces; commas in QEMU options
# File I/O on a virtio-blk ext2 root disk, Skiff and Debian's Linux in the
# same QEMU: sequential write (1 MiB write()s + fsync), sequential read
# (1 MiB read()s) and 4 KiB random reads (distinct aligned offsets, after
# POSIX_FADV_RANDOM), by tests/guest/disk_bench. Prints what it measured and
# the Skiff/Linux ratio of each median (above 1: Skiff is faster).
#
# Per kernel and machine, REPS times: a fresh copy of build/rootfs.ext2,
# grown by resize2fs to hold the files, is the root disk (Skiff: root=/dev/vda;
# Linux: the stage-1 initramfs of scripts/linux-diskroot-initrd.sh, as its
# virtio_blk and ext4 are modules). Boot 1 (skiff.test=disk-bench-write)
# writes /bench/seq.bin and /bench/rand.bin (MIB MiB each) and powers off;
# boot 2 (skiff.test=disk-bench-read, root read-only) reads them: a fresh
# boot is a cold cache on both kernels, with no drop_caches or O_DIRECT
# (Skiff has neither) needed.
#
# Usage: scripts/disk-bench.sh
# Environment: MACHINES ("q35"; microvm keeps ACPI, which Linux needs for
# virtio-mmio), KERNELS ("skiff linux"), REPS (3), MIB (64), READS (2000),
# SMP (2), MEM (512M), TIMEOUT (300), ACCEL. Logs: build/disk-bench/.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build
OUT=$B/disk-bench
MACHINES=${MACHINES:-q35}
KERNELS=${KERNELS:-skiff linux}
REPS=${REPS:-3}
MIB=${MIB:-64}
READS=${READS:-2000}
export SMP=${SMP:-2} MEM=${MEM:-512M} TIMEOUT=${TIMEOUT:-300} POWEROFF_OK=1
mkdir -p "$OUT"
cd "$ROOT" || exit 2

[ -f "$B/rootfs.ext2" ] || { echo "disk-bench: no build/rootfs.ext2 (make rootfs)" >&2; exit 2; }
if [[ " $KERNELS " == *" linux "* ]]; then
	vmlinuz=$(scripts/get-linux-guest.sh) && stage1=$(scripts/linux-diskroot-initrd.sh) ||
		{ echo "disk-bench: no Linux guest kernel" >&2; exit 2; }
fi

stats() {
	sort -g | awk '{ v[NR] = $1 }
		END {
			if (NR == 0) { print "- - -"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.4g %.4g %.4g\n", v[1], m, v[NR]
		}'
}

# boot KERNEL MACHINE STEP APPEND: one boot of the disk image; log in $log.
boot() {
	local env=(MACHINE="$2") dev=virtio-blk-pci append
	[ "$2" = microvm ] && dev=virtio-blk-device
	log=$OUT/$1-$2-$3.log
	if [ "$1" = skiff ]; then
		env+=(KERNEL="$B/skiff.elf" INITRD=)
		append="console=ttyS0 root=/dev/vda init=/init"
	else
		env+=(KERNEL="$vmlinuz" INITRD="$stage1")
		append="console=ttyS0 rdinit=/init quiet panic=-1"
	fi
	env "${env[@]}" LOG="$log" APPEND="$append $4" scripts/run-qemu.sh -- \
		-drive file="$OUT/disk.img",if=none,id=d0,format=raw -device "$dev",drive=d0 \
		>/dev/null 2>"$log.err" </dev/null
}

# field LOG TEST: "MB/s" for the sequential tests, "IOPS" for random reads.
field() {
	awk -v t="$2" '$1 == "disk_bench:" && $2 == t {
		if (t ~ /^rand/) printf "%.1f\n", $5 / ($7 / 1e6); else printf "%.2f\n", $3 / $7 }' "$1"
}

failed=0
declare -A R
TESTS="seq-write seq-read rand-read-4k"
for m in $MACHINES; do
	for k in $KERNELS; do
		declare -A vals=()
		for rep in $(seq 1 "$REPS"); do
			cp --sparse=always "$B/rootfs.ext2" "$OUT/disk.img" &&
				resize2fs -f "$OUT/disk.img" $((($(stat -c %s "$B/rootfs.ext2") >> 20) + 2 * MIB + 64))M \
					>/dev/null 2>&1 || { echo "disk-bench: cannot make the disk" >&2; exit 2; }
			ok=1
			boot "$k" "$m" "write-$rep" "rw skiff.test=disk-bench-write skiff.disk_arg=$MIB" &&
				grep -aq '^disk_bench: seq-write ' "$log" || ok=0
			[ $ok = 0 ] || { boot "$k" "$m" "read-$rep" "ro skiff.test=disk-bench-read skiff.disk_arg=$READS" &&
				grep -aq '^disk_bench: rand-read-4k ' "$log"; } || ok=0
			if [ $ok = 0 ] || grep -aq '^disk_bench: FAIL' "$OUT/$k-$m-write-$rep.log" "$log"; then
				echo "disk-bench: $k $m run $rep failed (logs: $OUT/$k-$m-{write,read}-$rep.log{,.err})" >&2
				failed=$((failed + 1))
				continue
			fi
			line="disk-bench: $k $m run $rep:"
			for t in $TESTS; do
				f=$OUT/$k-$m-read-$rep.log
				[ "$t" = seq-write ] && f=$OUT/$k-$m-write-$rep.log
				v=$(field "$f" "$t")
				vals[$t]+="$v "
				line+=" $t $v"
			done
			echo "$line"
		done
		for t in $TESTS; do
			R[$k-$m-$t]=$(printf '%s\n' ${vals[$t]:-} | sed '/^$/d' | stats)
		done
		unset vals
	done
done
rm -f "$OUT/disk.img"

echo
echo "disk I/O on an ext2 root (virtio-blk), ACCEL=${ACCEL:-auto}, SMP=$SMP, MEM=$MEM, $REPS runs; files of $MIB MiB; $READS random reads"
printf '%-7s %-22s %-6s %9s %9s %9s\n' machine test kernel min median max
for m in $MACHINES; do
	for t in $TESTS; do
		unit="MB/s"
		[ "$t" = rand-read-4k ] && unit="IOPS"
		for k in $KERNELS; do
			read -r a b c <<<"${R[$k-$m-$t]}"
			printf '%-7s %-22s %-6s %9s %9s %9s\n' "$m" "$t ($unit)" "$k" "$a" "$b" "$c"
		done
		if [[ " $KERNELS " == *" skiff "* && " $KERNELS " == *" linux "* ]]; then
			read -r _ s _ <<<"${R[skiff-$m-$t]}"
			read -r _ l _ <<<"${R[linux-$m-$t]}"
			printf '%-7s %-22s %-6s %19s\n' "$m" "$t ($unit)" ratio \
				"$(awk -v a="$s" -v b="$l" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "skiff/linux %.2f", a / b }')"
		fi
	done
done
if [ "$failed" -gt 0 ]; then
	echo "disk-bench: $failed run(s) failed" >&2
	exit 1
fi
