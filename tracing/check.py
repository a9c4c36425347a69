#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Assert what a recorded trace of vfio-pci-mmap says.

  check.py sequence --expect FILE [--dev ALIAS=BDF ...] REPORT
      The exact sequence: every vfio_pci_mmap event of every device and
      every scenario marker (trace_marker "vpm-scenario: STEP"), each
      normalized to one line (addresses, pids, timestamps, durations and
      sequence numbers left out), must equal FILE's lines, in order.  On a
      mismatch the difference is printed and the exit status is 1.

  check.py dump [--expect FILE] [--dev ALIAS=BDF ...] REPORT
      Print the normalized lines (what "sequence" compares), applying
      FILE's directives if given.

  check.py formats [--require-all] [--events-list FILE] REPORT...
      Every vfio_pci_mmap event line parsed (no "[FAILED TO PARSE]", every
      field the format prints is there) and readable: every enum field
      prints a name (no raw numbers), every device is a PCI name (BDF), no
      field looks like a kernel pointer.  --require-all: every event of the
      header (or of the tracefs listing in FILE) occurs at least once.

REPORT is `trace-cmd report` text, a trace.dat (trace-cmd report is run on
it), or - for standard input.

Expectation files (tracing/tests/expect/*.expect):

  # comment
  mark STEP                      a scenario marker
  edu state enabled -> resetting (reset_prepare)
  edu fault region=0 offset=0x0 order=0 access=map result=NOPAGE  *3
                                 a line repeated 3 times
  @ignore REGEX                  leave out normalized lines matching REGEX
  @kernel EVENT [FROM TO]        also compare kernel event EVENT (e.g.
                                 rpm_status) of the aliased devices, only
                                 between marker FROM and the next marker
                                 TO if given (runtime PM work queued at
                                 close can land anywhere after it)
Devices print by alias (--dev edu=0000:01:00.0); a device without one
prints as its BDF, so events of an unexpected device show as a mismatch.
"""

import argparse
import difflib
import os
import re
import sys

sys.dont_write_bytecode = True    # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vpmtrace  # noqa: E402


def _pages(ev):
    return (ev.num("end") - ev.num("start")) // 4096


def normalize(ev, alias):
    """One line for EV, or None for events that are not compared."""
    d = alias.get(ev.dev, ev.dev)
    f = ev.fields
    n = ev.name
    if ev.is_marker():
        if not ev.text.startswith(vpmtrace.MARKER_PREFIX):
            return None
        return "mark " + ev.text[len(vpmtrace.MARKER_PREFIX):]
    if n == "vpm_state_change":
        return "%s state %s -> %s (%s)" % (d, f.get("old"), f.get("new"),
                                           f.get("reason"))
    if n == "vpm_mmap":
        s = "%s mmap region=%s offset=%s len=%s %s" % (
            d, f.get("region"), f.get("offset"), f.get("len"),
            f.get("result"))
        if f.get("result") == "refused":
            s += " err=%s" % f.get("err")
        return s
    if n == "vpm_fault":
        return "%s fault region=%s offset=%s order=%s access=%s result=%s" % (
            d, f.get("region"), f.get("offset"), f.get("order"),
            f.get("access"), f.get("result"))
    if n in ("vpm_vma_track", "vpm_vma_untrack", "vpm_vma_moved"):
        what = {"vpm_vma_track": "track " + str(f.get("why")),
                "vpm_vma_untrack": "untrack",
                "vpm_vma_moved": "moved"}[n]
        return "%s %s region=%s pgoff=%s pages=%d tracked=%s" % (
            d, what, f.get("region"), f.get("pgoff"), _pages(ev),
            f.get("tracked"))
    if n in ("vpm_zap_begin", "vpm_zap_end"):
        return "%s %s %s regions=%s vmas=%s" % (d, n[4:], f.get("reason"),
                                                f.get("regions"), f.get("vmas"))
    if n == "vpm_revoke":
        return "%s revoke mode=%s vmas=%s" % (d, f.get("mode"), f.get("vmas"))
    if n == "vpm_ring_produce":
        return "%s ring_produce type=%s reason=%s" % (d, f.get("type"),
                                                       f.get("reason"))
    if n == "vpm_ring_consume":
        return "%s ring_consume cons=%s records=%s via=%s" % (
            d, f.get("cons"), f.get("records"), f.get("via"))
    if n == "vpm_ring_overflow":
        return "%s ring_overflow lost=%s" % (d, f.get("lost"))
    if n == "vpm_ring_invalid_cons":
        return "%s ring_invalid_cons cons=%s prod=%s invalid_total=%s" % (
            d, f.get("cons"), f.get("prod"), f.get("invalid_total"))
    if n.startswith("vpm_"):
        return "%s %s %s" % (d, n, ev.info)
    return None


def normalize_kernel(ev, alias):
    """Kernel events named by @kernel: the alias and the text after the
    device name (rpm_status: "edu rpm_status status=RPM_SUSPENDED")."""
    if ev.dev not in alias:
        return None
    rest = ev.info.split(ev.dev, 1)[1].strip()
    return "%s %s %s" % (alias[ev.dev], ev.name, rest)


class Expect:
    def __init__(self, path=None):
        self.lines = []
        self.ignore = []
        self.kernel = {}        # event -> (from, to) or None
        if path:
            self._read(path)

    def _read(self, path):
        with open(path, encoding="utf-8") as f:
            for n, raw in enumerate(f, 1):
                line = raw.split("#", 1)[0].strip() if not \
                    raw.lstrip().startswith("mark ") else raw.strip()
                if not line:
                    continue
                if line.startswith("@ignore "):
                    self.ignore.append(re.compile(line[8:].strip()))
                    continue
                if line.startswith("@kernel "):
                    w = line.split()
                    if len(w) not in (2, 4):
                        raise SystemExit("%s:%d: @kernel EVENT [FROM TO]" %
                                         (path, n))
                    self.kernel[w[1]] = tuple(w[2:4]) if len(w) == 4 \
                        else None
                    continue
                if line.startswith("@"):
                    raise SystemExit("%s:%d: unknown directive %s" %
                                     (path, n, line.split()[0]))
                m = re.match(r"^(.*?)\s+\*(\d+)$", line)
                if m:
                    self.lines += [re.sub(r"\s+", " ", m.group(1))] * \
                        int(m.group(2))
                else:
                    self.lines.append(re.sub(r"\s+", " ", line))


def actual_lines(events, alias, exp):
    out = []
    window = {}     # kernel event -> inside its marker window
    last_mark = None
    for ev in events:
        if ev.is_marker() and ev.text.startswith(vpmtrace.MARKER_PREFIX):
            last_mark = ev.text[len(vpmtrace.MARKER_PREFIX):]
            for k, w in exp.kernel.items():
                if w and last_mark == w[0]:
                    window[k] = True
                elif w and last_mark == w[1]:
                    window[k] = False
        if ev.name in exp.kernel:
            w = exp.kernel[ev.name]
            if w and not window.get(ev.name):
                continue
            line = normalize_kernel(ev, alias)
        else:
            line = normalize(ev, alias)
        if line is None:
            continue
        line = re.sub(r"\s+", " ", line)
        if any(r.search(line) for r in exp.ignore):
            continue
        out.append(line)
    return out


def zap_pairs(events):
    """Problems with zap_begin/zap_end pairing and durations."""
    errs = []
    open_zaps = {}
    for ev in events:
        if ev.name == "vpm_zap_begin":
            if ev.dev in open_zaps:
                errs.append("line %d: zap_begin inside another zap of %s" %
                            (ev.lineno, ev.dev))
            open_zaps[ev.dev] = ev
        elif ev.name == "vpm_zap_end":
            b = open_zaps.pop(ev.dev, None)
            if b is None:
                errs.append("line %d: zap_end without zap_begin" % ev.lineno)
                continue
            if (b.get("reason"), b.get("vmas")) != (ev.get("reason"),
                                                    ev.get("vmas")):
                errs.append("line %d: zap_end does not match its begin" %
                            ev.lineno)
            dur = ev.num("duration_ns", -1)
            span = (ev.ts - b.ts) * 1e9
            if dur <= 0 or dur > span + 2000:
                errs.append("line %d: duration_ns=%s not within the %d ns "
                            "between begin and end" %
                            (ev.lineno, ev.get("duration_ns"), span))
    for dev, b in open_zaps.items():
        errs.append("line %d: zap_begin of %s never ended" % (b.lineno, dev))
    return errs


def parse_aliases(items):
    alias = {}
    for a in items or []:
        name, _, bdf = a.partition("=")
        if not bdf:
            raise SystemExit("--dev takes ALIAS=BDF, not %r" % a)
        alias[bdf] = name
    return alias


def cmd_sequence(args):
    exp = Expect(args.expect)
    events, _ = vpmtrace.load(args.report)
    got = actual_lines(events, parse_aliases(args.dev), exp)
    errs = zap_pairs(events)
    ok = got == exp.lines and not errs
    if got != exp.lines:
        print("%s: the trace differs from %s:" % (args.report, args.expect))
        for line in difflib.unified_diff(exp.lines, got, "expected", "traced",
                                         lineterm="", n=3):
            print("  " + line)
    for e in errs:
        print("%s: %s" % (args.report, e))
    if ok:
        print("%s: %d events and markers as expected" % (args.report,
                                                        len(got)))
    return 0 if ok else 1


def cmd_dump(args):
    exp = Expect(args.expect)
    events, _ = vpmtrace.load(args.report)
    for line in actual_lines(events, parse_aliases(args.dev), exp):
        print(line)
    return 0


# Fields each event's format prints (so a missing one means a parse failure).
# vpm_state_change's policy is checked by name when present: traces
# recorded before it existed do not print it.
PRINTED = {
    "vpm_state_change": ("dev", "old", "new", "reason"),
    "vpm_mmap": ("dev", "region", "offset", "len", "err"),
    "vpm_fault": ("dev", "region", "addr", "offset", "order", "pfn",
                  "access", "result"),
    "vpm_vma_track": ("dev", "region", "start", "end", "pgoff", "why",
                      "tracked", "pid"),
    "vpm_vma_untrack": ("dev", "region", "start", "end", "pgoff", "tracked",
                        "pid"),
    "vpm_vma_moved": ("dev", "region", "start", "end", "pgoff", "why",
                      "tracked", "pid"),
    "vpm_zap_begin": ("dev", "reason", "regions", "vmas"),
    "vpm_zap_end": ("dev", "reason", "regions", "vmas", "duration_ns"),
    "vpm_revoke": ("dev", "reason", "mode", "vmas"),
    "vpm_ring_produce": ("dev", "seq", "type", "reason", "prod", "cons"),
    "vpm_ring_consume": ("dev", "cons", "records", "via"),
    "vpm_ring_overflow": ("dev", "lost"),
    "vpm_ring_invalid_cons": ("dev", "cons", "prod", "invalid_total"),
}
_KPTR = re.compile(r"(?:0x)?ffff[0-9a-f]{12}\b")
_BDF = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")


def check_event_format(ev):
    errs = []
    if "FAILED TO PARSE" in ev.info:
        return ["[FAILED TO PARSE]"]
    for k in PRINTED.get(ev.name, ()):
        if k not in ev.fields:
            errs.append("no %s" % k)
    if ev.dev is not None and not _BDF.match(ev.dev):
        errs.append("dev=%s is not a PCI name" % ev.dev)
    for k, names in vpmtrace.ENUM_FIELDS.get(ev.name, {}).items():
        v = ev.fields.get(k)
        if v is not None and v not in names:
            errs.append("%s=%s is not a name" % (k, v))
    if ev.name == "vpm_fault":
        bits = ev.fields.get("result", "").split("|")
        if not all(b in vpmtrace.FAULT_RESULT_BITS for b in bits):
            errs.append("result=%s is not decoded" % ev.fields.get("result"))
    if ev.name == "vpm_mmap" and not re.search(r" (accepted|refused) ",
                                               ev.info):
        errs.append("neither accepted nor refused")
    if _KPTR.search(ev.info):
        errs.append("a kernel address: %s" % _KPTR.search(ev.info).group(0))
    return errs


def cmd_formats(args):
    seen = {}
    bad = 0
    for path in args.reports:
        events, _ = vpmtrace.load(path)
        for ev in events:
            if not ev.is_vpm():
                continue
            seen[ev.name] = seen.get(ev.name, 0) + 1
            for e in check_event_format(ev):
                bad += 1
                if bad <= 20:
                    print("%s:%d: %s: %s\n    %s" % (path, ev.lineno,
                                                    ev.name, e, ev.info))
    wanted = list(vpmtrace.VPM_EVENTS)
    if args.events_list:
        with open(args.events_list, encoding="utf-8") as f:
            listed = [w for w in f.read().split()
                      if w not in ("enable", "filter")]
        wanted = sorted(set(wanted) | set(listed))
    missing = [e for e in wanted if e not in seen]
    for e in sorted(seen):
        print("  %-24s %6d" % (e, seen[e]))
    if args.require_all and missing:
        print("never traced: %s" % " ".join(missing))
    ok = bad == 0 and not (args.require_all and missing)
    print("%d vfio_pci_mmap events, %d problems%s" %
          (sum(seen.values()), bad,
           ", %d event(s) never traced" % len(missing)
           if args.require_all and missing else ""))
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser(
        description="assert what a vfio-pci-mmap trace says",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sequence")
    s.add_argument("--expect", required=True)
    s.add_argument("--dev", action="append")
    s.add_argument("report")
    d = sub.add_parser("dump")
    d.add_argument("--expect")
    d.add_argument("--dev", action="append")
    d.add_argument("report")
    f = sub.add_parser("formats")
    f.add_argument("--require-all", action="store_true")
    f.add_argument("--events-list")
    f.add_argument("reports", nargs="+")
    args = p.parse_args()
    return {"sequence": cmd_sequence, "dump": cmd_dump,
            "formats": cmd_formats}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
