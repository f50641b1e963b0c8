#!/usr/bin/env bash
# Boot once under -accel kvm and check that Skiff took its KVM paravirtual paths.
#
# Usage: tests/kvm-paths.sh        (make test-kvm)
#
# On this project's hosts /dev/kvm emulates the guest instruction by instruction
# (see shared docs/platform.md): slow, but the KVM paravirtual CPUID leaves and
# kvmclock MSRs are real, which TCG does not offer. So: microvm (shortest
# firmware path), one vCPU, exit right after boot, generous timeout. The CPU
# model is run-qemu.sh's kvm default (qemu64,+tsc-deadline) unless CPU is set.
# Log: build/test-logs/kvm-paths.log.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOGDIR=$ROOT/build/test-logs
LOG=$LOGDIR/kvm-paths.log
mkdir -p "$LOGDIR"

if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	echo "kvm-paths: /dev/kvm is missing or not usable by $(id -un); cannot run" >&2
	exit 1
fi

want=(
	'clocksource: kvmclock'
	'clockevent: tsc-deadline'
	'haltpoll: host poll control disabled'
)

t0=$EPOCHREALTIME
ACCEL=kvm MACHINE=microvm SMP=1 TIMEOUT=${TIMEOUT:-600} LOG=$LOG \
	APPEND="console=ttyS0 skiff.exit_after_boot=1" "$ROOT/scripts/run-qemu.sh"
status=$?
elapsed=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')

passed=0
failed=0
if [ "$status" = 0 ]; then
	echo "PASS  boot under kvm (run-qemu.sh exit 0)"
	passed=$((passed + 1))
else
	echo "FAIL  boot under kvm: run-qemu.sh exited $status"
	failed=$((failed + 1))
fi
for w in "${want[@]}"; do
	if tr -d '\r' <"$LOG" | grep -qF -- "$w"; then
		echo "PASS  $w"
		passed=$((passed + 1))
	else
		echo "FAIL  no line matching '$w' in $LOG"
		failed=$((failed + 1))
	fi
done
echo "kvm-paths: elapsed ${elapsed} s wall"
echo "kvm-paths: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
