#!/usr/bin/env bash
# What `make run` gives a person: boot the default root file system the way
# `make run` does (scripts/run-qemu.sh with INTERACTIVE=1, the initramfs,
# "console=ttyS0 rdinit=/init"), then type at the busybox login shell on the
# serial console through QEMU's stdin and check what comes back:
#
#   the prompt "root@skiff:~# "; `echo hi` prints hi; `tty` is /dev/console
#   or /dev/ttyS0; /proc/$$/stat and `ps -o pid,tty,comm` show the shell's
#   controlling terminal (ttyS0, 4:64) and foreground group; `sleep 100`, then ^Z: the shell reports the job Stopped;
#   `jobs` lists it Stopped; `fg` resumes it (it prints the command); ^C
#   ends it and `echo $?` says 130; a pipeline `seq 3 | wc -l`; then
#   `poweroff`: busybox init (PID 1, rootfs/files/etc/inittab) brings the
#   system down and QEMU must exit.
#
# Usage: tests/interactive.sh           (LINUX=1: Debian's kernel instead)
# Environment: KERNEL, SMP (2), MEM (256M), TIMEOUT (90 s for the whole boot),
#   NO_BUILD=1 (use the existing build/initramfs.cpio),
#   LOG (build/test-logs/interactive[-linux].log).
# Prints "interactive: N passed, M failed"; exit status 0 only if all passed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

if [ "${LINUX:-0}" = 1 ]; then
	KERNEL=${KERNEL:-$(scripts/get-linux-guest.sh)}
	LOG=${LOG:-$ROOT/build/test-logs/interactive-linux.log}
	APPEND="console=ttyS0 rdinit=/init quiet"
else
	KERNEL=${KERNEL:-$ROOT/build/skiff.elf}
	LOG=${LOG:-$ROOT/build/test-logs/interactive.log}
	APPEND="console=ttyS0 rdinit=/init"
	[ -f "$KERNEL" ] || make -s kernel
fi
[ "${NO_BUILD:-0}" = 1 ] || scripts/mkrootfs.sh
mkdir -p "$(dirname "$LOG")"

export KERNEL LOG APPEND INITRD=$ROOT/build/initramfs.cpio SMP=${SMP:-2} MEM=${MEM:-256M}
export TIMEOUT=${TIMEOUT:-90} INTERACTIVE=1 POWEROFF_OK=1

exec python3 - "$ROOT/scripts/run-qemu.sh" <<'PY'
import os, re, select, subprocess, sys, time

passed = failed = 0
buf = b""          # console output not yet consumed by an expect
proc = subprocess.Popen([sys.argv[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL)
out_fd = proc.stdout.fileno()


def read_some(deadline):
    """Append what the console printed until deadline (or EOF) to buf."""
    global buf
    left = deadline - time.monotonic()
    if left <= 0:
        return False
    r, _, _ = select.select([out_fd], [], [], left)
    if not r:
        return False
    data = os.read(out_fd, 4096)
    if not data:
        return False
    buf += data
    return True


def expect(name, pattern, timeout=20):
    """Wait for pattern (a bytes regex) in the console output; consume up
    to the end of the match. Returns the match text or None."""
    global buf, passed, failed
    rx = re.compile(pattern)
    deadline = time.monotonic() + timeout
    while True:
        m = rx.search(buf)
        if m:
            buf = buf[m.end():]
            passed += 1
            print("PASS", name)
            return m.group(0)
        if not read_some(deadline):
            failed += 1
            tail = buf[-300:].decode("utf-8", "replace")
            print("FAIL %s: no %r in %.0f s; console tail: %r" % (name, pattern, timeout, tail))
            return None


def send(s):
    proc.stdin.write(s.encode() if isinstance(s, str) else s)
    proc.stdin.flush()


PROMPT = rb"root@skiff:~# $"
PROMPT_ANY = rb"root@skiff:~# "

ok = expect("userland_up", rb"Skiff userland up", timeout=60)
if ok is not None:
    # The line discipline echoes what we type, so each check looks for the
    # command's output on the lines after the echoed command.
    expect("prompt", PROMPT_ANY, timeout=30)
    send("echo hi\r")
    expect("echo_hi", rb"echo hi\r?\n(?:\r)?hi\r?\n")
    expect("prompt_again", PROMPT_ANY)
    send("tty\r")
    expect("tty", rb"tty\r?\n(?:\r)?/dev/(?:console|ttyS0)\r?\n")
    expect("prompt_tty", PROMPT_ANY)
    # /proc/$$/stat fields 7 and 8 (read by builtins, so the shell's own
    # group is in the foreground): the serial line 4:64 as tty_nr 1088, and
    # the shell's group as the terminal's foreground group; busybox ps
    # shows the same terminal as "4,64".
    send('read -r l </proc/$$/stat; set -- $l; echo "tty_nr=$7 fg_is_sh=$(($8 == $$))"\r')
    expect("proc_stat_tty", rb"\r?\n(?:\r)?tty_nr=1088 fg_is_sh=1\r?\n")
    expect("prompt_stat_tty", PROMPT_ANY)
    send("ps -o pid,tty,comm | grep \"^ *$$ \"\r")
    expect("ps_tty", rb"\r?\n(?:\r)?\s*\d+\s+4,64\s+sh\r?\n")
    expect("prompt_ps_tty", PROMPT_ANY)
    # The shell gives the terminal to the job between "ready" and the
    # exec of sleep: give it time before ^Z (the signal goes to whatever
    # process group is in the foreground then).
    send("echo ready; sleep 100\r")
    expect("sleep_started", rb"ready\r?\n")
    time.sleep(3.0)
    send(b"\x1a")  # ^Z
    expect("ctrl_z_stopped", rb"\[1\]\+\s+Stopped\s+sleep 100")
    expect("prompt_after_z", PROMPT_ANY)
    send("jobs\r")
    expect("jobs_stopped", rb"jobs\r?\n(?:\r)?\[1\]\+\s+Stopped\s+sleep 100")
    expect("prompt_after_jobs", PROMPT_ANY)
    send("fg\r")
    expect("fg_resumes", rb"fg\r?\n(?:\r)?sleep 100\r?\n")
    time.sleep(1.0)
    # Still running in the foreground: no prompt has come back.
    read_some(time.monotonic() + 0.5)
    if re.search(PROMPT_ANY, buf):
        failed += 1
        print("FAIL fg_foreground: the prompt came back while sleep should run")
    else:
        passed += 1
        print("PASS fg_foreground")
    send(b"\x03")  # ^C
    expect("ctrl_c_prompt", PROMPT_ANY)
    send("echo status=$?\r")
    expect("ctrl_c_status", rb"status=130\r?\n")
    expect("prompt_after_status", PROMPT_ANY)
    send("jobs; echo jobs-done\r")
    expect("jobs_empty", rb"jobs; echo jobs-done\r?\n(?:\r)?jobs-done\r?\n")
    expect("prompt_after_jobs_empty", PROMPT_ANY)
    send("seq 3 | wc -l\r")
    expect("pipeline", rb"seq 3 \| wc -l\r?\n(?:\r)?\s*3\r?\n")
    expect("prompt_after_pipeline", PROMPT_ANY)
    # busybox poweroff signals PID 1, busybox init, which kills every
    # process, runs the shutdown actions and powers off.
    send("poweroff\r")
    expect("poweroff_going_down", rb"The system is going down NOW!", timeout=30)

# QEMU must end on its own: the guest powered off.
try:
    rc = proc.wait(timeout=30)
except subprocess.TimeoutExpired:
    proc.kill()
    rc = proc.wait()
    failed += 1
    print("FAIL poweroff: QEMU still running 30 s after poweroff")
else:
    if rc == 0:
        passed += 1
        print("PASS poweroff")
    else:
        failed += 1
        print("FAIL poweroff: run-qemu.sh exited with %d" % rc)
print("interactive: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
