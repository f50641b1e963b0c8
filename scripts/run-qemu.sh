#!/usr/bin/env bash
# shellcheck disable=SC2054 # commas inside QEMU option values are intended
# Boot a Skiff kernel in QEMU and turn the guest's exit code into ours.
#
# Usage: scripts/run-qemu.sh [-- extra QEMU arguments...]
#
# Environment (all optional):
#   ACCEL        kvm | tcg | any -accel value. Default: kvm when /proc/cpuinfo has
#                vmx/svm and /dev/kvm is usable, else tcg (= tcg,thread=multi).
#   MACHINE      q35 | pc | microvm (default q35). microvm boots through qboot
#                (-bios /usr/share/qemu/qboot.rom, else bios-microvm.bin).
#   MACHINE_OPTS appended to -M, e.g. MACHINE_OPTS=acpi=off for microvm.
#   BIOS         firmware file for -bios (overrides the microvm choice above).
#   CPU          -cpu model. Default: QEMU's own for tcg; qemu64,+tsc-deadline,kvm-poll-control=on,kvm-pv-unhalt=on
#                for kvm (-cpu host/max abort on this host's KVM, and plain
#                qemu64 hides the TSC-deadline timer).
#   SMP (2), MEM (256M), KERNEL (build/skiff.elf), INITRD (none),
#   APPEND ("console=ttyS0"), LOG (build/serial.log: the serial console, LF line ends)
#   TIMEOUT      seconds before QEMU is killed (default 60; 0 = none).
#   INTERACTIVE=1  serial console on this terminal in raw mode (Ctrl-A x quits);
#                otherwise the console is printed live to stdout.
#   BOOTTIME_MARK=REGEX  print "run-qemu: host time to mark: N ms", the wall time
#                from just before QEMU starts to the first serial line matching it.
#   POWEROFF_OK=1  a guest power-off (no exit code) counts as success.
#
# The guest ends a run by writing v to port 0xf4 (isa-debug-exit): QEMU exits
# with (v << 1) | 1 and this script with v (capped at 125; 0 only for v == 0).
# QEMU's exit status has 8 bits, so v must be 0..127: v = 128 would read as 0.
# Other ends: 124 timeout, 3 guest powered off / reset without an exit code,
# 2 QEMU error. Each end prints one "run-qemu: ..." line on stderr; the QEMU
# command line is printed on stderr first.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)

usage() { sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
if [ $# -gt 0 ]; then
	case $1 in
	--) shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "run-qemu: unexpected argument '$1' (QEMU arguments go after --)" >&2; exit 2 ;;
	esac
fi

if [ -z "${ACCEL:-}" ]; then
	ACCEL=tcg
	if grep -qwE 'vmx|svm' /proc/cpuinfo 2>/dev/null && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		ACCEL=kvm
	fi
fi
MACHINE=${MACHINE:-q35}
SMP=${SMP:-2}
MEM=${MEM:-256M}
TIMEOUT=${TIMEOUT:-60}
KERNEL=${KERNEL:-$ROOT/build/skiff.elf}
APPEND=${APPEND-console=ttyS0}
LOG=${LOG:-$ROOT/build/serial.log}
QEMU=${QEMU:-qemu-system-x86_64}

die() { echo "run-qemu: $*" >&2; exit 2; }
[ -f "$KERNEL" ] || die "kernel $KERNEL not found (build it with make)"
[ -z "${INITRD:-}" ] || [ -f "$INITRD" ] || die "initrd $INITRD not found"
command -v "$QEMU" >/dev/null || die "$QEMU not found (scripts/deps.sh installs it)"
case $TIMEOUT in '' | *[!0-9]*) die "TIMEOUT must be a whole number of seconds" ;; esac
mkdir -p "$(dirname "$LOG")"

args=()
case $ACCEL in
tcg) args+=(-accel tcg,thread=multi) ;;
*) args+=(-accel "$ACCEL") ;;
esac
if [ -z "${CPU:-}" ] && [ "${ACCEL%%,*}" = kvm ]; then
	CPU=qemu64,+tsc-deadline,kvm-poll-control=on,kvm-pv-unhalt=on
fi
[ -z "${CPU:-}" ] || args+=(-cpu "$CPU")

case $MACHINE in
q35 | pc) ;;
microvm)
	if [ -z "${BIOS:-}" ]; then
		for f in /usr/share/qemu/qboot.rom /usr/share/qemu/bios-microvm.bin; do
			if [ -f "$f" ]; then BIOS=$f; break; fi
		done
	fi
	;;
*) die "unknown MACHINE '$MACHINE' (q35, pc or microvm)" ;;
esac
args+=(-M "$MACHINE${MACHINE_OPTS:+,$MACHINE_OPTS}")
[ -z "${BIOS:-}" ] || args+=(-bios "$BIOS")

args+=(-smp "$SMP" -m "$MEM" -kernel "$KERNEL" -append "$APPEND")
[ -z "${INITRD:-}" ] || args+=(-initrd "$INITRD")
args+=(-nodefaults -display none -no-reboot
	-device isa-debug-exit,iobase=0xf4,iosize=0x04)

sup=(--log "$LOG" --timeout "$TIMEOUT")
if [ "${INTERACTIVE:-0}" = 1 ]; then
	# mux=on puts the QEMU monitor behind Ctrl-A c; signal=off hands Ctrl-C to the guest.
	args+=(-chardev stdio,id=ser0,mux=on,signal=off -serial chardev:ser0 -mon chardev=ser0,mode=readline)
	sup+=(--interactive)
else
	args+=(-chardev stdio,id=ser0,signal=off -serial chardev:ser0)
fi
[ -z "${BOOTTIME_MARK:-}" ] || sup+=(--mark "$BOOTTIME_MARK")
[ "${POWEROFF_OK:-0}" != 1 ] || sup+=(--poweroff-ok)

exec python3 "$ROOT/scripts/qemu-supervise.py" "${sup[@]}" -- "$QEMU" "${args[@]}" "$@"
