#!/usr/bin/env python3
"""Pack one static benchmark program as /init of a tiny newc initramfs:
/dev (with /dev/console, c 5 1, so both kernels give init stdio), /proc,
/tmp and /init. No root or cpio(1) needed.

Usage: bench/init-cpio.py PROGRAM OUT.cpio"""
import sys

data = open(sys.argv[1], 'rb').read()
out, ino = bytearray(), [1]


def ent(name, mode, body=b'', rdev=(0, 0)):
    nm = name.encode() + b'\0'
    hdr = '070701' + ''.join('%08x' % v for v in (
        ino[0], mode, 0, 0, 1, 0, len(body), 0, 0, rdev[0], rdev[1], len(nm), 0))
    ino[0] += 1
    out.extend(hdr.encode() + nm)
    out.extend(b'\0' * (-len(out) % 4))
    out.extend(body)
    out.extend(b'\0' * (-len(out) % 4))


ent('dev', 0o040755)
ent('dev/console', 0o020600, rdev=(5, 1))
ent('proc', 0o040755)
ent('tmp', 0o041777)
ent('init', 0o100755, data)
ent('TRAILER!!!', 0)
open(sys.argv[2], 'wb').write(out)
