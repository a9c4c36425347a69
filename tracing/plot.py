#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""SVG picture of a vfio-pci-mmap trace: for each device, its state over
time (a coloured band), the number of vmas mapping it (a step line),
faults (ticks: mapped, refused) and zaps (triangles).

  plot.py [-o devices.svg] [--png devices.png] [--max-gap SEC]
          [--no-marks] [--title TEXT] REPORT

REPORT is `trace-cmd report` text, a trace.dat (trace-cmd report is run on
it) or - for standard input.  Pure Python, no plotting library.

--max-gap SEC   a stretch of more than SEC seconds without any event is
                drawn narrow and marked with its real length, so that a wait
                (a hot-unplug takes about 5 s) does not squeeze the rest
                (default 0.25; 0 draws time linearly)
--png FILE      also convert the SVG to PNG (ImageMagick's convert, or
                rsvg-convert)
--no-marks      leave out the scenario steps (trace_marker lines)
"""

import argparse
import html
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True    # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vpmtrace  # noqa: E402

COLOURS = {
    "enabled": "#43a047",
    "mem_disabled": "#fb8c00",
    "low_power": "#1e88e5",
    "resetting": "#e53935",
    "revoked": "#616161",
    None: "#e0e0e0",
}
WIDTH = 1100
LEFT = 150
RIGHT = 30
BAND_H = 22
VMA_H = 46
LANE_GAP = 34
FONT = "font-family='DejaVu Sans, Verdana, sans-serif'"


class TimeAxis:
    """Seconds -> x.  A stretch longer than max_gap seconds without any
    event is drawn GAP_PX wide (marked with its length on the axis)."""

    GAP_PX = 40

    def __init__(self, times, t0, t1, max_gap):
        self.t0 = t0
        self.t1 = t1
        self.breaks = []        # (start, end) of shortened stretches
        if max_gap > 0:
            ts = sorted(set(times))
            for a, b in zip(ts, ts[1:]):
                if b - a > max_gap:
                    self.breaks.append((a, b))
        width = WIDTH - LEFT - RIGHT
        while self.breaks and len(self.breaks) * self.GAP_PX > width / 3:
            # Too many: keep the longest ones.
            self.breaks.remove(min(self.breaks, key=lambda ab: ab[1] - ab[0]))
        live = (t1 - t0) - sum(b - a for a, b in self.breaks)
        self.scale = (width - len(self.breaks) * self.GAP_PX) / \
            (live if live > 0 else 1e-9)

    def x(self, t):
        px = 0.0
        pos = self.t0
        for a, b in self.breaks:
            if t <= a:
                break
            px += (a - pos) * self.scale
            if t < b:
                return LEFT + px + (t - a) / (b - a) * self.GAP_PX
            px += self.GAP_PX
            pos = b
        return LEFT + px + (t - pos) * self.scale


def nice_step(span, n=8):
    raw = span / n if span > 0 else 1
    mag = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1
    while mag > raw:
        mag /= 10
    for m in (1, 2, 5, 10):
        if mag * m >= raw:
            return mag * m
    return mag * 10


def device_series(events, dev, t0):
    """States [(start, end, state)], vma counts [(t, n)], faults, zaps."""
    states = []
    state, since = None, t0
    counts = []
    faults = []
    zaps = []
    revokes = []
    for ev in events:
        if ev.dev != dev or not ev.is_vpm():
            continue
        f = ev.fields
        if ev.name == "vpm_state_change":
            if state is None:
                # Before its first transition the device was in "old".
                state, since = f.get("old"), t0
            states.append((since, ev.ts, state))
            state, since = f.get("new"), ev.ts
        elif ev.name in ("vpm_vma_track", "vpm_vma_untrack", "vpm_vma_moved"):
            n = ev.num("tracked")
            if not counts:
                before = n - 1 if ev.name == "vpm_vma_track" else \
                    n + 1 if ev.name == "vpm_vma_untrack" else n
                counts.append((t0, max(before, 0)))
            counts.append((ev.ts, n))
        elif ev.name == "vpm_fault":
            refused = "SIGBUS" in f.get("result", "")
            faults.append((ev.ts, "refused" if refused else
                           "ones" if f.get("access") == "ones" else "mapped"))
        elif ev.name == "vpm_zap_end":
            zaps.append((ev.ts, f.get("reason"), ev.num("duration_ns")))
        elif ev.name == "vpm_revoke":
            revokes.append((ev.ts, f.get("mode")))
    return states, state, since, counts, faults, zaps, revokes


def svg(events, args):
    devs = sorted({e.dev for e in events if e.is_vpm() and e.dev},
                  key=vpmtrace.bdf_sort_key)
    t0, t1 = events[0].ts, events[-1].ts
    if t1 <= t0:
        t1 = t0 + 1e-3
    axis = TimeAxis([e.ts for e in events], t0, t1, args.max_gap)
    owners = vpmtrace.marker_owners(events)
    marks = [] if args.no_marks else [
        (e.ts, e.text[len(vpmtrace.MARKER_PREFIX):], owners.get(id(e)))
        for e in events
        if e.is_marker() and e.text.startswith(vpmtrace.MARKER_PREFIX)]
    top = 80 + (40 if marks else 0)
    lane_h = BAND_H + 10 + VMA_H + 18
    key = []
    if marks:
        # The key under the axis: "1 open  2 mmap  ...", wrapped.
        line = ""
        for i, (_, text, _) in enumerate(marks, 1):
            item = "%d %s" % (i, text)
            if len(line) + len(item) + 3 > (WIDTH - LEFT) / 6.2:
                key.append(line)
                line = ""
            line += ("   " if line else "") + item
        key.append(line)
    height = top + len(devs) * (lane_h + LANE_GAP) + 60 + 15 * len(key) + \
        (15 if key else 0)
    o = []
    w = o.append
    w("<?xml version='1.0' encoding='UTF-8'?>")
    w("<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
      "viewBox='0 0 %d %d' %s font-size='11'>" % (WIDTH, height, WIDTH,
                                                   height, FONT))
    w("<rect width='100%' height='100%' fill='white'/>")
    title = args.title or "vfio-pci-mmap: %s" % os.path.basename(args.report)
    w("<text x='%d' y='22' font-size='15' font-weight='bold'>%s</text>" %
      (LEFT, html.escape(title)))
    w("<text x='%d' y='40' fill='#555'>%.6f .. %.6f s (trace clock), %d "
      "device%s, %d events</text>" % (LEFT, t0, t1, len(devs),
                                      "" if len(devs) == 1 else "s",
                                      len(events)))
    # Legend.
    lx = LEFT
    for name in ("enabled", "mem_disabled", "low_power", "resetting",
                 "revoked"):
        w("<rect x='%d' y='50' width='12' height='10' fill='%s'/>" %
          (lx, COLOURS[name]))
        w("<text x='%d' y='59'>%s</text>" % (lx + 16, name))
        lx += 30 + 7 * len(name)
    w("<line x1='%d' y1='55' x2='%d' y2='55' stroke='#000' "
      "stroke-width='1.5'/><text x='%d' y='59'>vmas mapped</text>" %
      (lx, lx + 18, lx + 22))
    lx += 110
    w("<line x1='%d' y1='50' x2='%d' y2='60' stroke='#2e7d32'/>"
      "<line x1='%d' y1='50' x2='%d' y2='60' stroke='#c62828' "
      "stroke-width='2'/><text x='%d' y='59'>fault mapped / refused</text>"
      % (lx, lx, lx + 5, lx + 5, lx + 10))
    lx += 150
    w("<path d='M%d,50 l5,9 l-10,0 z' fill='#000'/><text x='%d' y='59'>"
      "zap</text>" % (lx + 5, lx + 13))

    bottom = top + len(devs) * (lane_h + LANE_GAP) - LANE_GAP / 2
    # Scenario steps: numbered faint lines across every lane; the numbers
    # in three staggered rows above the lanes, the key under the axis.
    rows = [-1e9, -1e9, -1e9]
    for i, (ts, text, about) in enumerate(marks, 1):
        x = axis.x(ts)
        # A step's line crosses the lanes of the devices its process acted
        # on.  (No <title> inside <line> or <text>: ImageMagick's SVG
        # renderer then draws nothing.)
        for n, dev in enumerate(devs):
            if about is not None and dev not in about:
                continue
            y0 = top + n * (lane_h + LANE_GAP)
            w("<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#90a4ae' "
              "stroke-width='0.6' stroke-dasharray='2,3'/>" % (
                  x, top - 12 if n == 0 else y0 - LANE_GAP / 2, x,
                  y0 + lane_h))
        width = 6 * len(str(i)) + 3
        for r in range(len(rows)):
            if x - width / 2 > rows[r]:
                w("<text x='%.1f' y='%d' text-anchor='middle' fill='#455a64' "
                  "font-size='9'>%d</text>" % (x, top - 38 + 11 * r, i))
                rows[r] = x + width / 2
                break
    for n, line in enumerate(key):
        w("<text x='%d' y='%.0f' fill='#455a64' font-size='10'>%s%s</text>" % (
            LEFT, bottom + 64 + 15 * n, "steps: " if n == 0 else "",
            html.escape(line)))
    # Shortened stretches.
    for a, b in axis.breaks:
        xa, xb = axis.x(a), axis.x(b)
        w("<rect x='%.1f' y='%d' width='%.1f' height='%d' fill='#fafafa' "
          "stroke='none'/>" % (xa, top - 4, xb - xa, bottom - top + 4))
        xm = (xa + xb) / 2
        w("<path d='M%.1f,%d l4,-5 l-8,-5 l4,-5' fill='none' "
          "stroke='#999'/>" % (xm, bottom + 2))
        w("<text x='%.1f' y='%d' text-anchor='middle' fill='#777' "
          "font-size='9'>+%.2f s</text>" % (xm, bottom + 24, b - a))

    y = top
    for dev in devs:
        states, state, since, counts, faults, zaps, revokes = \
            device_series(events, dev, t0)
        if state is not None:
            states.append((since, t1, state))
        elif not states:
            states.append((t0, t1, None))
        w("<text x='10' y='%d' font-weight='bold' font-size='12'>%s</text>"
          % (y + 15, dev))
        w("<text x='10' y='%d' fill='#555'>state</text>" % (y + 30))
        for a, b, s in states:
            xa, xb = axis.x(a), axis.x(b)
            w("<rect x='%.2f' y='%d' width='%.2f' height='%d' fill='%s'>"
              "<title>%s %.6f .. %.6f s</title></rect>" % (
                  xa, y, max(xb - xa, 0.8), BAND_H, COLOURS.get(s, "#bbb"),
                  s or "unknown", a, b))
            if xb - xa > 7 * len(s or "") + 6:
                w("<text x='%.1f' y='%d' fill='white' font-size='10'>%s"
                  "</text>" % (xa + 3, y + 15, s))
        for ts, reason, ns in zaps:
            x = axis.x(ts)
            w("<path d='M%.1f,%d l4,-7 l-8,0 z' fill='#000'><title>zap %s "
              "%.1f us</title></path>" % (x, y, reason, ns / 1e3))
        for ts, mode in revokes:
            x = axis.x(ts)
            w("<text x='%.1f' y='%d' font-size='10'>revoke (%s)</text>" %
              (x + 4, y - 3, mode))
        fy = y + BAND_H + 2
        for ts, kind in faults:
            x = axis.x(ts)
            colour = {"mapped": "#2e7d32", "refused": "#c62828",
                      "ones": "#6a1b9a"}[kind]
            w("<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='%s' "
              "stroke-width='%s'/>" % (x, fy, x, fy + 8, colour,
                                       "2" if kind == "refused" else "1"))
        vy = y + BAND_H + 10
        top_n = max([n for _, n in counts] + [1])
        w("<rect x='%d' y='%d' width='%d' height='%d' fill='#f5f5f5'/>" %
          (LEFT, vy, WIDTH - LEFT - RIGHT, VMA_H))
        w("<text x='10' y='%d' fill='#555'>vmas (max %d)</text>" %
          (vy + VMA_H / 2 + 4, top_n))
        if counts:
            pts = []
            prev_n = counts[0][1]
            for ts, n in counts:
                x = axis.x(ts)
                pts.append((x, vy + VMA_H - prev_n * (VMA_H - 4) / top_n))
                pts.append((x, vy + VMA_H - n * (VMA_H - 4) / top_n))
                prev_n = n
            pts.append((axis.x(t1), vy + VMA_H - prev_n * (VMA_H - 4) / top_n))
            w("<polyline fill='none' stroke='#000' stroke-width='1.5' "
              "points='%s'/>" % " ".join("%.1f,%.1f" % p for p in pts))
        y += lane_h + LANE_GAP

    # Time axis.
    w("<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#000'/>" % (
        LEFT, bottom, WIDTH - RIGHT, bottom))
    span = t1 - t0
    if axis.breaks:
        # Ticks at the edges of the drawn stretches, in seconds from t0.
        ticks = [t0] + [t for ab in axis.breaks for t in ab] + [t1]
    else:
        step = nice_step(span)
        ticks = [t0 + i * step for i in range(int(span / step) + 1)]
    last = -1e9
    for t in ticks:
        x = axis.x(t)
        w("<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#000'/>" % (
            x, bottom, x, bottom + 4))
        if x - last > 45:
            w("<text x='%.1f' y='%d' text-anchor='middle' font-size='10'>"
              "%.3f</text>" % (x, bottom + 15, t - t0))
            last = x
    w("<text x='%d' y='%.0f' fill='#555'>seconds from %.6f%s</text>" % (
        LEFT, bottom + 44, t0, "; a zigzag is a stretch without events, "
        "drawn short" if axis.breaks else ""))
    w("</svg>")
    return "\n".join(o) + "\n"


def to_png(svg_path, png_path):
    if shutil.which("rsvg-convert"):
        cmd = ["rsvg-convert", "-o", png_path, svg_path]
    elif shutil.which("convert"):
        cmd = ["convert", "-density", "110", svg_path, png_path]
    else:
        raise SystemExit("no rsvg-convert or convert for --png")
    subprocess.run(cmd, check=True)


def main():
    p = argparse.ArgumentParser(
        description="SVG of each device's state and mapped vmas over time",
        epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--output", default="devices.svg")
    p.add_argument("--png")
    p.add_argument("--max-gap", type=float, default=0.25)
    p.add_argument("--no-marks", action="store_true")
    p.add_argument("--title")
    p.add_argument("report")
    args = p.parse_args()
    events, _ = vpmtrace.load(args.report)
    if not any(e.is_vpm() for e in events):
        raise SystemExit("%s: no vfio_pci_mmap events" % args.report)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(svg(events, args))
    if args.png:
        to_png(args.output, args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
