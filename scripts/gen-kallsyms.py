#!/usr/bin/env python3
"""Turn `nm -n` output into the kernel's symbol table (assembly on stdout).

Only text symbols are kept: the table exists to symbolize stack traces.
Layout (lib/kallsyms.c reads it):
  kallsyms_num    u64 count
  kallsyms_addrs  u64[count], ascending
  kallsyms_names  u32[count] offsets into the NUL-separated string blob that
                  follows the offsets
"""
import sys

syms = []
for line in sys.stdin:
    parts = line.split()
    if len(parts) != 3 or parts[1] not in ("T", "t"):
        continue
    syms.append((int(parts[0], 16), parts[2]))
syms.sort()

out = ['\t.section .kallsyms, "a"', "\t.balign 8", "\t.globl kallsyms_num, kallsyms_addrs, kallsyms_names",
       f"kallsyms_num: .quad {len(syms)}", "kallsyms_addrs:"]
out += [f"\t.quad 0x{a:x}" for a, _ in syms]
out.append("kallsyms_names:")
off = 4 * len(syms)
blob = []
for _, name in syms:
    out.append(f"\t.long {off}")
    blob.append(name)
    off += len(name) + 1
out += [f'\t.asciz "{n}"' for n in blob]
print("\n".join(out))
