#!/usr/bin/env bash
# shellcheck disable=SC2086 # machine lists split on spaces on purpose
# Boot-time table: N boots per machine, host and guest view of the same boot.
#
# Usage: scripts/boottime.sh [machine...]     (default: $MACHINES or "microvm q35")
# Environment: N (boots per machine, default 10); anything scripts/run-qemu.sh
# reads (ACCEL, SMP, MEM, KERNEL, APPEND, TIMEOUT, ...).
#
# Each boot runs with skiff.exit_after_boot=1: the kernel prints
#     skiff: scheduler up, guest boot time <N> us
# (N = microseconds from the TSC at PVH entry to the scheduler being up) and
# then writes 0 to the exit port.
#   host ms  = wall time from just before QEMU starts to that line on the serial
#              console (run-qemu's BOOTTIME_MARK), so it includes QEMU start-up
#              and firmware;
#   guest us = the N the kernel printed.
# Logs: build/boottime/<machine>-<i>.log. Exit status 1 if any boot failed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-10}
[ $# -gt 0 ] || set -- ${MACHINES:-microvm q35}
OUT=$ROOT/build/boottime
mkdir -p "$OUT"

MARK='skiff: scheduler up, guest boot time [0-9]+ us'
export APPEND="${APPEND:-console=ttyS0} skiff.exit_after_boot=1"
export BOOTTIME_MARK=$MARK
export TIMEOUT=${TIMEOUT:-60}

# stats: read numbers, one a line; print "min median max".
stats() {
	sort -n | awk '{ v[NR] = $1 }
		END {
			if (NR == 0) { print "- - -"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%g %g %g\n", v[1], m, v[NR]
		}'
}

failed=0
table=()
for machine in "$@"; do
	host=()
	guest=()
	for i in $(seq 1 "$N"); do
		log=$OUT/$machine-$i.log
		err=$OUT/$machine-$i.err
		if MACHINE=$machine LOG=$log "$ROOT/scripts/run-qemu.sh" >/dev/null 2>"$err"; then
			h=$(sed -n 's/^run-qemu: host time to mark: \([0-9]*\) ms$/\1/p' "$err")
			g=$(sed -nE 's/.*skiff: scheduler up, guest boot time ([0-9]+) us\r?$/\1/p' "$log" | head -n1)
			if [ -n "$h" ] && [ -n "$g" ]; then
				host+=("$h")
				guest+=("$g")
				printf 'boottime: %-8s run %2d: host %5s ms, guest %8s us\n' "$machine" "$i" "$h" "$g"
				continue
			fi
			echo "boottime: $machine run $i: no boot-time line in $log" >&2
		else
			echo "boottime: $machine run $i failed: $(tail -n1 "$err")  (log: $log)" >&2
		fi
		failed=$((failed + 1))
	done
	read -r hmin hmed hmax < <(printf '%s\n' "${host[@]}" | sed '/^$/d' | stats)
	read -r gmin gmed gmax < <(printf '%s\n' "${guest[@]}" | sed '/^$/d' | stats)
	table+=("$(printf '%-8s %4d/%-4d %8s %8s %8s   %9s %9s %9s' "$machine" "${#host[@]}" "$N" \
		"$hmin" "$hmed" "$hmax" "$gmin" "$gmed" "$gmax")")
done

echo
echo "boot time, ACCEL=${ACCEL:-auto}, SMP=${SMP:-2}, MEM=${MEM:-256M}: host = QEMU start to the line (ms), guest = PVH entry to scheduler up (us)"
printf '%-8s %9s %8s %8s %8s   %9s %9s %9s\n' machine boots "host min" median max "guest min" median max
printf '%s\n' "${table[@]}"
if [ "$failed" -gt 0 ]; then
	echo "boottime: $failed boot(s) failed" >&2
	exit 1
fi
