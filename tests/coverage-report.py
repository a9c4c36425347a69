#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Per-file line and branch coverage of an lcov tracefile (tests/coverage.sh).

    coverage-report.py [--strip PREFIX] [--summary FILE] [--uncovered FILE] INFO

Prints, per source file (its path with PREFIX removed), lines hit/total and
branches taken/total with percentages, then the totals.  --summary writes
the same table to FILE; --uncovered writes, per file, every line never
executed with its source text, then every line with a branch never taken
(which of its branches, as lcov numbers them).
"""

import argparse
import os
import sys


def parse(path):
    files = {}
    cur = None
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("SF:"):
                cur = files.setdefault(line[3:], {"lines": {}, "branches": {}})
            elif line.startswith("DA:") and cur is not None:
                no, count = line[3:].split(",")[:2]
                no = int(no)
                cur["lines"][no] = cur["lines"].get(no, 0) + int(count)
            elif line.startswith("BRDA:") and cur is not None:
                no, block, branch, taken = line[5:].split(",")
                key = (int(no), block, branch)
                t = 0 if taken == "-" else int(taken)
                cur["branches"][key] = cur["branches"].get(key, 0) + t
            elif line == "end_of_record":
                cur = None
    return files


def pct(hit, total):
    return "-" if total == 0 else "%.1f%%" % (100.0 * hit / total)


def ranges(nums):
    out = []
    for n in sorted(nums):
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return ", ".join(str(a) if a == b else "%d-%d" % (a, b) for a, b in out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strip", default="")
    ap.add_argument("--summary")
    ap.add_argument("--uncovered")
    ap.add_argument("info")
    args = ap.parse_args()

    files = parse(args.info)
    if not files:
        print("no source file in %s" % args.info, file=sys.stderr)
        return 1

    def name(p):
        return p[len(args.strip):] if args.strip and p.startswith(args.strip) else p

    rows = []
    tl = th = tb = tt = 0
    for path in sorted(files, key=name):
        d = files[path]
        lf = len(d["lines"])
        lh = sum(1 for c in d["lines"].values() if c > 0)
        bf = len(d["branches"])
        bh = sum(1 for c in d["branches"].values() if c > 0)
        tl, th, tb, tt = tl + lf, th + lh, tb + bf, tt + bh
        rows.append((name(path), lh, lf, bh, bf))

    w = max(len(r[0]) for r in rows + [("total",)])
    out = ["%-*s  %15s %7s  %15s %7s" % (w, "file", "lines hit/all", "lines",
                                          "branches", "branch")]
    for n, lh, lf, bh, bf in rows:
        out.append("%-*s  %7d/%-7d %7s  %7d/%-7d %7s" % (w, n, lh, lf, pct(lh, lf),
                                                         bh, bf, pct(bh, bf)))
    out.append("%-*s  %7d/%-7d %7s  %7d/%-7d %7s" % (w, "total", th, tl, pct(th, tl),
                                                     tt, tb, pct(tt, tb)))
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if args.summary:
        with open(args.summary, "w") as f:
            f.write(text)

    if args.uncovered:
        with open(args.uncovered, "w") as f:
            f.write("# Lines of vfio-pci-mmap/ no run executed, then lines with a\n"
                    "# branch no run took (tests/coverage.sh; lcov's branch numbers).\n")
            for path in sorted(files, key=name):
                d = files[path]
                try:
                    with open(path) as s:
                        src = s.read().split("\n")
                except OSError:
                    src = []
                miss = sorted(n for n, c in d["lines"].items() if c == 0)
                brs = {}
                for (no, block, branch), c in d["branches"].items():
                    if c == 0:
                        brs.setdefault(no, []).append("%s.%s" % (block, branch))
                if not miss and not brs:
                    continue
                f.write("\n== %s: %d line(s) not executed: %s\n" %
                        (name(path), len(miss), ranges(miss) or "none"))
                for n in miss:
                    text = src[n - 1] if 0 < n <= len(src) else ""
                    f.write("%6d: %s\n" % (n, text))
                if brs:
                    f.write("-- %s: %d line(s) with a branch not taken\n" %
                            (name(path), len(brs)))
                    for n in sorted(brs):
                        text = src[n - 1].strip() if 0 < n <= len(src) else ""
                        f.write("%6d [%s]: %s\n" % (n, " ".join(sorted(brs[n])), text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
