#!/usr/bin/env python3
"""Grouped bar chart (median bars, min-max whiskers) as a PNG, with no
library beyond Python's own zlib: a small raster, a 5x7 bitmap font drawn
here, and the PNG chunks written by hand (PNG spec: IHDR, IDAT of filtered
scanlines, IEND, each with a CRC-32).

Usage: barchart.py SPEC.json OUT.png

SPEC: {"title": str,
       "panels": [{"title": str, "unit": str, "groups": [str, ...],
                   "series": [{"name": str, "color": [r, g, b],
                               "values": [[min, median, max] or null, ...]}]}]}
Text is drawn in capitals.
"""

import json
import math
import struct
import sys
import zlib

GLYPHS = {
    "A": ".###.#...##...#######...##...##...#", "B": "####.#...##...#####.#...##...#####.",
    "C": ".###.#...##....#....#....#...#.###.", "D": "####.#...##...##...##...##...#####.",
    "E": "######....#....####.#....#....#####", "F": "######....#....####.#....#....#....",
    "G": ".###.#...##....#.####...##...#.###.", "H": "#...##...##...#######...##...##...#",
    "I": ".###...#....#....#....#....#...###.", "J": "..###...#....#....#....#.#..#..##..",
    "K": "#...##..#.#.#..##...#.#..#..#.#...#", "L": "#....#....#....#....#....#....#####",
    "M": "#...###.###.#.##.#.##...##...##...#", "N": "#...##...###..##.#.##..###...##...#",
    "O": ".###.#...##...##...##...##...#.###.", "P": "####.#...##...#####.#....#....#....",
    "Q": ".###.#...##...##...##.#.##..#..##.#", "R": "####.#...##...#####.#.#..#..#.#...#",
    "S": ".#####....#.....###.....#....#####.", "T": "#####..#....#....#....#....#....#..",
    "U": "#...##...##...##...##...##...#.###.", "V": "#...##...##...##...##...#.#.#...#..",
    "W": "#...##...##...##.#.##.#.##.#.#.#.#.", "X": "#...##...#.#.#...#...#.#.#...##...#",
    "Y": "#...##...#.#.#...#....#....#....#..", "Z": "#####....#...#...#...#...#....#####",
    "0": ".###.#...##..###.#.###..##...#.###.", "1": "..#...##....#....#....#....#...###.",
    "2": ".###.#...#....#...#...#...#...#####", "3": "####.....#....#.###.....#....#####.",
    "4": "...#...##..#.#.#..#.#####...#....#.", "5": "######....####.....#....##...#.###.",
    "6": "..##..#...#....####.#...##...#.###.", "7": "#####....#...#...#...#....#....#...",
    "8": ".###.#...##...#.###.#...##...#.###.", "9": ".###.#...##...#.####....#...#..##..",
    ".": "..........................##...##..", ",": ".....................##....#...#...",
    ":": "......##...##........##...##.......", "-": "...............#####...............",
    "/": "....#....#...#...#...#...#....#....", "(": "...#...#...#....#....#.....#.....#.",
    ")": ".#.....#.....#....#....#...#...#...", "%": "##..###..#...#...#...#...#..###..##",
    "=": "..........#####.....#####..........", "_": "..............................#####",
    "'": "..#....#...........................",
    "+": "......#....#..#####..#....#........", " ": "." * 35,
}
for k, v in GLYPHS.items():
    GLYPHS[k] = v.ljust(35, ".")


class Canvas:
    def __init__(self, w, h):
        self.w, self.h = w, h
        self.px = bytearray(b"\xff" * (w * h * 3))

    def rect(self, x0, y0, x1, y1, c):
        x0, x1 = max(0, min(x0, x1)), min(self.w, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.h, max(y0, y1))
        row = bytes(c) * (x1 - x0)
        for y in range(y0, y1):
            i = (y * self.w + x0) * 3
            self.px[i:i + len(row)] = row

    def text(self, x, y, s, c=(0, 0, 0), scale=2, center=False):
        s = s.upper()
        if center:
            x -= self.text_width(s, scale) // 2
        for ch in s:
            g = GLYPHS.get(ch, GLYPHS[" "])
            for r in range(7):
                for col in range(5):
                    if g[r * 5 + col] == "#":
                        self.rect(x + col * scale, y + r * scale, x + (col + 1) * scale,
                                  y + (r + 1) * scale, c)
            x += 6 * scale

    @staticmethod
    def text_width(s, scale=2):
        return len(s) * 6 * scale - scale

    def png(self, path):
        raw = b"".join(b"\x00" + bytes(self.px[y * self.w * 3:(y + 1) * self.w * 3])
                       for y in range(self.h))

        def chunk(kind, data):
            return (struct.pack(">I", len(data)) + kind + data +
                    struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")
            f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)))
            f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
            f.write(chunk(b"IEND", b""))


def nice_step(top):
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving at
    most 7 ticks up to top."""
    mag = 10.0 ** math.floor(math.log10(top / 7))
    for m in (1, 2, 2.5, 5, 10):
        if top / (m * mag) <= 7:
            return m * mag
    return 10 * mag


def fmt(v):
    if v == 0:
        return "0"
    return "%d" % round(v) if v >= 100 else ("%.1f" % v if v >= 10 else "%.2f" % v)


def draw_panel(cv, x0, y0, w, h, panel):
    groups, series = panel["groups"], panel["series"]
    top = max([v[2] for s in series for v in s["values"] if v] + [1e-9]) * 1.12
    step = nice_step(top)
    left, bottom, ptop = x0 + 90, y0 + h - 50, y0 + 40
    cv.text(x0 + w // 2, y0 + 8, panel["title"], scale=2, center=True)
    scale_y = (bottom - ptop) / top
    t = 0.0
    while t <= top:
        y = int(bottom - t * scale_y)
        cv.rect(left, y, x0 + w - 10, y + 1, (220, 220, 220))
        cv.text(left - 8 - Canvas.text_width(fmt(t), 2), y - 7, fmt(t), (90, 90, 90))
        t += step
    cv.rect(left, ptop, left + 2, bottom + 1, (0, 0, 0))
    cv.rect(left, bottom, x0 + w - 10, bottom + 2, (0, 0, 0))
    cv.text(x0 + 4, ptop - 28, panel.get("unit", ""), (90, 90, 90))
    gw = (x0 + w - 10 - left) / max(1, len(groups))
    bw = min(60, int(gw * 0.7 / max(1, len(series))))
    for gi, g in enumerate(groups):
        gx = left + gw * gi + gw / 2
        cv.text(int(gx), bottom + 12, g, scale=2, center=True)
        for si, s in enumerate(series):
            v = s["values"][gi]
            bx = int(gx - len(series) * bw / 2 + si * bw)
            if not v:
                cv.text(bx + bw // 2, bottom - 20, "-", center=True)
                continue
            mn, med, mx = v
            cv.rect(bx + 2, int(bottom - med * scale_y), bx + bw - 2, bottom, s["color"])
            cx = bx + bw // 2
            ylo, yhi = int(bottom - mn * scale_y), int(bottom - mx * scale_y)
            cv.rect(cx - 1, yhi, cx + 1, ylo + 1, (0, 0, 0))
            cv.rect(cx - 6, yhi, cx + 7, yhi + 2, (0, 0, 0))
            cv.rect(cx - 6, ylo - 1, cx + 7, ylo + 1, (0, 0, 0))
            cv.text(cx, yhi - 18, fmt(med), scale=1 if bw < 48 else 2, center=True)


def main():
    spec = json.load(open(sys.argv[1]))
    panels = spec["panels"]
    w, ph = 1100, 380
    cv = Canvas(w, 60 + ph * len(panels))
    cv.text(w // 2, 10, spec.get("title", ""), scale=2, center=True)
    x = 20
    for s in panels[0]["series"] if panels else []:
        cv.rect(x, 36, x + 16, 50, s["color"])
        cv.text(x + 22, 37, s["name"])
        x += 40 + Canvas.text_width(s["name"])
    cv.text(x + 20, 37, "bar: median  whisker: min-max", (90, 90, 90))
    for i, p in enumerate(panels):
        draw_panel(cv, 0, 60 + i * ph, w, ph, p)
    cv.png(sys.argv[2])


if __name__ == "__main__":
    main()
