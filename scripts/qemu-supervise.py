#!/usr/bin/env python3
"""Run one QEMU process for scripts/run-qemu.sh and turn its end into an exit code.

Usage: qemu-supervise.py --log FILE [--timeout S] [--mark REGEX] [--interactive]
                         [--poweroff-ok] -- qemu-system-x86_64 ARGS...

The QEMU command line must route the guest's serial console to QEMU's stdout
(-chardev stdio,...). This helper then:
  - reads QEMU's stdout, writes it to --log (CR LF turned into LF) and, live, to
    our stdout; QEMU's stderr is passed through to our stderr;
  - with --mark, prints "run-qemu: host time to mark: N ms": wall time from just
    before QEMU is started until the first serial line matching the regex;
  - adds "-qmp unix:SOCKET" (QEMU connects to a socket we listen on) only to learn
    why QEMU stopped when it exits with status 0: the SHUTDOWN event's reason
    tells a guest power-off from a reset (a triple fault under -no-reboot);
  - enforces --timeout (0 = none) by killing QEMU.

Exit status (each case also prints one "run-qemu: ..." line on stderr):
  QEMU status (v << 1) | 1 (isa-debug-exit) -> v == 0: 0; v > 0: min(v, 125)
  QEMU status 1 with an error line (not a warning) on its stderr -> 2
  guest powered off (status 0, reason guest-shutdown) -> 0 with --poweroff-ok, else 3
  guest reset / panic / stopped for an unknown reason -> 3
  quit from the QEMU monitor (Ctrl-A x) -> 0
  timeout -> 124; interrupted by SIGINT/SIGTERM -> 130/143
  any other QEMU status, or QEMU killed by a signal -> 2
"""

import argparse
import json
import os
import re
import selectors
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time


def say(msg):
    try:
        sys.stderr.write("run-qemu: %s\n" % msg)
        sys.stderr.flush()
    except OSError:
        pass


class Serial:
    """Splits QEMU's stdout into lines for the log, the terminal and the mark."""

    def __init__(self, log_path, mark, t0, echo_raw):
        self.log = open(log_path, "wb", buffering=0)
        self.mark = re.compile(mark.encode()) if mark else None
        self.mark_ms = None
        self.t0 = t0
        self.echo_raw = echo_raw  # interactive: the terminal gets bytes untouched
        self.partial = b""
        self.out = sys.stdout.buffer

    def echo(self, data):
        """Write to our stdout; a reader that went away only stops the echo."""
        if self.out is None:
            return
        try:
            self.out.write(data)
            self.out.flush()
        except (BrokenPipeError, OSError):
            self.out = None

    def feed(self, data, now):
        if self.echo_raw:
            self.echo(data)
        text = self.partial + data
        lines = text.split(b"\n")
        self.partial = lines.pop()
        if lines:
            chunk = b"".join(l[:-1] + b"\n" if l.endswith(b"\r") else l + b"\n" for l in lines)
            self.log.write(chunk)
            if not self.echo_raw:
                self.echo(chunk)
            for l in lines:
                self._check(l, now)

    def _check(self, line, now):
        if self.mark and self.mark_ms is None and self.mark.search(line.rstrip(b"\r")):
            self.mark_ms = (now - self.t0) * 1000.0

    def close(self, now):
        if self.partial:
            self.log.write(self.partial)
            if not self.echo_raw:
                self.echo(self.partial + b"\n")
            self._check(self.partial, now)
            self.partial = b""
        self.log.close()


class Qmp:
    """Listens for QEMU's QMP connection and remembers the SHUTDOWN reason."""

    def __init__(self, path):
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(1)
        self.listener.setblocking(False)
        self.conn = None
        self.buf = b""
        self.reason = None

    def accept(self):
        self.conn, _ = self.listener.accept()
        self.conn.setblocking(False)
        return self.conn

    def feed(self, data):
        self.buf += data
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if "QMP" in msg:  # greeting: leave capabilities negotiation mode
                try:
                    self.conn.sendall(b'{"execute": "qmp_capabilities"}\n')
                except OSError:
                    pass
            elif msg.get("event") == "SHUTDOWN":
                self.reason = msg.get("data", {}).get("reason")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--timeout", type=float, default=0)
    ap.add_argument("--mark", default="")
    ap.add_argument("--interactive", action="store_true")
    ap.add_argument("--poweroff-ok", action="store_true")
    ap.add_argument("qemu", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.qemu[1:] if a.qemu[:1] == ["--"] else a.qemu
    if not cmd:
        ap.error("no QEMU command given")

    tmpdir = tempfile.mkdtemp(prefix="run-qemu.")
    qmp_path = os.path.join(tmpdir, "qmp.sock")
    qmp = Qmp(qmp_path)
    cmd = cmd + ["-qmp", "unix:" + qmp_path]
    say(shlex.join(cmd))

    tty_state = None
    if a.interactive and os.isatty(0):
        import termios
        tty_state = termios.tcgetattr(0)
        say("serial console on this terminal; Ctrl-A x quits, Ctrl-A c toggles the QEMU monitor")

    stop_signal = []

    def on_signal(signum, _frame):
        stop_signal.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=None if a.interactive else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    serial = Serial(a.log, a.mark, t0, a.interactive)
    qemu_errors = []
    err_partial = b""

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, "out")
    sel.register(proc.stderr, selectors.EVENT_READ, "err")
    sel.register(qmp.listener, selectors.EVENT_READ, "listen")
    open_pipes = 2
    deadline = t0 + a.timeout if a.timeout > 0 else None
    timed_out = False
    kill_at = None

    def stop_qemu(now):
        nonlocal kill_at
        if kill_at is None and proc.poll() is None:
            proc.terminate()
            kill_at = now + 3.0

    try:
        while open_pipes:
            now = time.monotonic()
            if stop_signal:
                stop_qemu(now)
            if deadline is not None and now >= deadline and not timed_out:
                timed_out = True
                stop_qemu(now)
            if kill_at is not None and now >= kill_at and proc.poll() is None:
                proc.kill()
            wait = 0.5
            if deadline is not None and not timed_out:
                wait = min(wait, max(deadline - now, 0))
            for key, _ in sel.select(wait):
                what = key.data
                if what == "listen":
                    try:
                        sel.register(qmp.accept(), selectors.EVENT_READ, "qmp")
                    except OSError:
                        pass
                    sel.unregister(qmp.listener)
                    continue
                try:
                    data = os.read(key.fd, 65536) if what != "qmp" else key.fileobj.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                now = time.monotonic()
                if what == "qmp":
                    if data:
                        qmp.feed(data)
                    else:
                        sel.unregister(key.fileobj)
                    continue
                if not data:
                    sel.unregister(key.fileobj)
                    open_pipes -= 1
                    continue
                if what == "out":
                    serial.feed(data, now)
                else:
                    try:
                        sys.stderr.buffer.write(data)
                        sys.stderr.flush()
                    except OSError:
                        pass
                    err_partial += data
                    *lines, err_partial = err_partial.split(b"\n")
                    qemu_errors += [l for l in lines if l.strip() and b"warning" not in l.lower()]
        # Both pipes closed: QEMU is gone; drain any late QMP event.
        status = proc.wait()
        for key, _ in sel.select(0):
            if key.data == "qmp":
                try:
                    qmp.feed(key.fileobj.recv(65536))
                except OSError:
                    pass
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if tty_state is not None:
            import termios
            termios.tcsetattr(0, termios.TCSADRAIN, tty_state)
        serial.close(time.monotonic())
        if qmp.conn:
            qmp.conn.close()
        qmp.listener.close()
        try:
            os.unlink(qmp_path)
            os.rmdir(tmpdir)
        except OSError:
            pass
    if err_partial.strip() and b"warning" not in err_partial.lower():
        qemu_errors.append(err_partial)

    if a.mark:
        if serial.mark_ms is not None:
            say("host time to mark: %d ms" % round(serial.mark_ms))
        else:
            say("mark not seen: %s" % a.mark)

    if timed_out:
        say("timeout after %g s" % a.timeout)
        return 124
    if stop_signal:
        say("interrupted by signal %d" % stop_signal[0])
        return 128 + stop_signal[0]
    if status < 0:
        say("qemu killed by signal %d" % -status)
        return 2
    if status == 1 and qemu_errors:
        say("qemu error (status 1): %s" % qemu_errors[0].decode(errors="replace").strip())
        return 2
    if status & 1:
        code = status >> 1
        say("guest exit code %d" % code)
        return min(code, 125) if code else 0
    if status == 0:
        reason = qmp.reason
        if reason == "guest-shutdown":
            say("guest powered off")
            return 0 if a.poweroff_ok else 3
        if reason in ("host-qmp-quit", "host-ui"):
            say("quit from the QEMU monitor")
            return 0
        if reason == "guest-reset":
            say("guest reset (a triple fault or reset request; -no-reboot ends the run)")
        elif reason == "guest-panic":
            say("guest panic reported to QEMU")
        else:
            say("guest stopped without writing the exit port (reason %s)" % (reason or "unknown"))
        return 3
    say("qemu exited with status %d" % status)
    return 2


if __name__ == "__main__":
    sys.exit(main())
