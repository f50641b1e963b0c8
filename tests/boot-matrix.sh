#!/usr/bin/env bash
# shellcheck disable=SC2086 # job descriptions "machine smp" split on purpose
# Boot matrix: the in-kernel self-tests on every machine type and CPU count.
#
# Usage: tests/boot-matrix.sh
# Environment:
#   MACHINES ("q35 pc microvm"), SMPS ("1 2 4")   the combinations to run
#   SELFTEST (all)        passed as skiff.selftest=$SELFTEST
#   TIMEOUT (120)         seconds per boot
#   JOBS (2)              boots running at once, at most
#   VCPU_BUDGET (nproc)   vCPUs running at once, at most (a boot larger than the
#                         budget runs alone)
#   and what scripts/run-qemu.sh reads (ACCEL, MEM, KERNEL, ...).
#
# Each boot passes when run-qemu.sh exits 0 (the guest wrote 0 to port 0xf4),
# the last "cpus online: N" line (at the end of a line; any printk prefix
# before it) has N == SMP, and a line ends in "selftest: all passed".
# Logs: build/test-logs/<machine>-smp<N>.log (+ .out: run-qemu's own messages).
#
# Parallelism: TCG with thread=multi runs one host thread per vCPU. On the
# 2-core host two 1-vCPU guests share it well, but two 2-vCPU guests (or one
# 4-vCPU guest next to anything) put more busy vCPUs than cores on the host, and
# a guest whose vCPUs spin-wait for each other (IPIs, TLB shootdowns, the
# self-tests' own timing checks) then slows or times out for reasons that are
# not its own. So boots run side by side only while their vCPUs fit in the
# host's cores: SMP=1 boots in pairs, SMP=2 and SMP=4 boots one at a time.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MACHINES=${MACHINES:-q35 pc microvm}
SMPS=${SMPS:-1 2 4}
SELFTEST=${SELFTEST:-all}
JOBS=${JOBS:-2}
VCPU_BUDGET=${VCPU_BUDGET:-$(nproc)}
export TIMEOUT=${TIMEOUT:-120}
LOGDIR=$ROOT/build/test-logs
mkdir -p "$LOGDIR"

# check MACHINE SMP STATUS SECONDS: print the result line; succeed on PASS.
check() {
	local machine=$1 smp=$2 status=$3 secs=$4
	local name="$machine smp=$smp" log=$LOGDIR/$machine-smp$smp.log
	local why="" cpus
	if [ "$status" != 0 ]; then
		why=$(grep '^run-qemu: ' "$log.out" | grep -v '^run-qemu: qemu-system' | tail -n1)
		why=${why:-run-qemu.sh exited $status}
		why="${why#run-qemu: } (status $status)"
	else
		cpus=$(tr -d '\r' <"$log" | sed -nE 's/.*cpus online: ([0-9]+)$/\1/p' | tail -n1)
		if [ -z "$cpus" ]; then
			why="no 'cpus online: N' line"
		elif [ "$cpus" != "$smp" ]; then
			why="cpus online: $cpus, expected $smp"
		elif ! tr -d '\r' <"$log" | grep -q 'selftest: all passed$'; then
			why="no 'selftest: all passed' line"
		fi
	fi
	if [ -z "$why" ]; then
		printf 'PASS  %-16s %6ss\n' "$name" "$secs"
		return 0
	fi
	printf 'FAIL  %-16s %6ss  %s\n' "$name" "$secs" "$why"
	echo "----- last lines of $log"
	tail -n 15 "$log" 2>/dev/null | sed 's/^/  | /'
	echo "-----"
	return 1
}

# The queue, smallest guests first so that the 1-vCPU boots pair up.
queue=()
for smp in $(printf '%s\n' $SMPS | sort -n); do
	for machine in $MACHINES; do queue+=("$machine $smp"); done
done

declare -A pid_job=() pid_start=()
running_vcpus=0
passed=0
failed=0
echo "boot-matrix: ${#queue[@]} boots, APPEND=\"console=ttyS0 skiff.selftest=$SELFTEST\", TIMEOUT=${TIMEOUT}s, logs in $LOGDIR"

start() {
	local machine=$1 smp=$2 log=$LOGDIR/$1-smp$2.log
	MACHINE=$machine SMP=$smp LOG=$log APPEND="console=ttyS0 skiff.selftest=$SELFTEST" \
		"$ROOT/scripts/run-qemu.sh" >/dev/null 2>"$log.out" </dev/null &
	pid_job[$!]="$machine $smp"
	pid_start[$!]=$EPOCHREALTIME
	running_vcpus=$((running_vcpus + smp))
}

reap() {
	local pid status
	wait -n -p pid "${!pid_job[@]}"
	status=$?
	set -- ${pid_job[$pid]}
	running_vcpus=$((running_vcpus - $2))
	if check "$1" "$2" "$status" "$(awk -v a="${pid_start[$pid]}" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
	unset "pid_job[$pid]" "pid_start[$pid]"
}

for job in "${queue[@]}"; do
	set -- $job
	while [ ${#pid_job[@]} -gt 0 ] &&
		{ [ ${#pid_job[@]} -ge "$JOBS" ] || [ $((running_vcpus + $2)) -gt "$VCPU_BUDGET" ]; }; do
		reap
	done
	start "$1" "$2"
done
while [ ${#pid_job[@]} -gt 0 ]; do reap; done

echo "boot-matrix: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
