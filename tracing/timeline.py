#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Per-device text timeline of a vfio-pci-mmap trace.

  timeline.py [--all] [--no-marks] [--dev BDF] [-o FILE] REPORT

REPORT is `trace-cmd report` text, a trace.dat (trace-cmd report is run on
it) or - for standard input.  For every device that has vfio_pci_mmap
events: its state transitions (old -> new, reason, the task that made it),
zaps (reason, vmas, duration), revocation, mmaps refused and accesses
refused with SIGBUS, with the scenario steps (trace_marker "vpm-scenario:"
lines of the processes that acted on the device) in between.  "state lasted" is how long the device was in the
state a transition leaves.  Then a summary: time spent in each state, zaps, faults,
the most vmas mapped at once.  --all adds every fault that mapped, every
vma tracked/untracked/moved and the fault-ring events.  Times are the
trace's (seconds, clock of the recording: tracing/record.sh uses mono).
"""

import argparse
import os
import sys

sys.dont_write_bytecode = True    # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vpmtrace  # noqa: E402


def fmt_dur(sec):
    if sec >= 1:
        return "%.3f s" % sec
    if sec >= 1e-3:
        return "%.3f ms" % (sec * 1e3)
    return "%.1f us" % (sec * 1e6)


def describe(ev, verbose):
    """(kind, text) for a device event, or None to leave it out."""
    f = ev.fields
    n = ev.name
    if n == "vpm_state_change":
        return ("state", "%-12s -> %-12s %s" % (f.get("old"), f.get("new"),
                                               f.get("reason")))
    if n == "vpm_zap_begin":
        return None
    if n == "vpm_zap_end":
        return ("zap", "zap %s: %s vma%s in %s" % (
            f.get("reason"), f.get("vmas"),
            "" if f.get("vmas") == "1" else "s",
            fmt_dur(ev.num("duration_ns") / 1e9)))
    if n == "vpm_revoke":
        return ("revoke", "revoke mode=%s, %s vma%s" % (
            f.get("mode"), f.get("vmas"), "" if f.get("vmas") == "1" else "s"))
    if n == "vpm_mmap":
        if f.get("result") == "refused":
            return ("mmap", "mmap refused: region %s offset %s len %s, err %s"
                    % (f.get("region"), f.get("offset"), f.get("len"),
                       f.get("err")))
        if verbose:
            return ("mmap", "mmap region %s offset %s len %s" % (
                f.get("region"), f.get("offset"), f.get("len")))
        return None
    if n == "vpm_fault":
        if f.get("access") != "map" or "SIGBUS" in f.get("result", ""):
            return ("fault", "access refused: %s at region %s offset %s"
                    " (%s)" % (f.get("result"), f.get("region"),
                               f.get("offset"), f.get("access")))
        if verbose:
            return ("fault", "fault region %s offset %s order %s -> %s" % (
                f.get("region"), f.get("offset"), f.get("order"),
                f.get("result")))
        return None
    if not verbose:
        return None
    if n in ("vpm_vma_track", "vpm_vma_untrack", "vpm_vma_moved"):
        what = {"vpm_vma_track": "vma tracked (%s)" % f.get("why"),
                "vpm_vma_untrack": "vma untracked",
                "vpm_vma_moved": "vma moved"}[n]
        return ("vma", "%s region %s %s-%s, %s tracked" % (
            what, f.get("region"), f.get("start"), f.get("end"),
            f.get("tracked")))
    if n.startswith("vpm_ring_"):
        return ("ring", "%s %s" % (n[4:], " ".join(
            "%s=%s" % (k, v) for k, v in f.items() if k != "dev")))
    return None


class DevStats:
    def __init__(self):
        self.state = None
        self.since = None
        self.first_ts = None
        self.in_state = {}
        self.transitions = 0
        self.zaps = []
        self.faults_ok = 0
        self.faults_refused = 0
        self.max_vmas = 0
        self.revoked = None
        self.refused_mmaps = 0

    def account(self, upto):
        if self.state is not None and self.since is not None:
            self.in_state[self.state] = self.in_state.get(self.state, 0.0) + \
                (upto - self.since)


def timeline(events, args, out):
    devs = sorted({e.dev for e in events if e.is_vpm() and e.dev},
                  key=vpmtrace.bdf_sort_key)
    if args.dev:
        devs = [d for d in devs if d in args.dev]
    if not events:
        out.write("no events\n")
        return 1
    t0, t1 = events[0].ts, events[-1].ts
    out.write("vfio-pci-mmap timeline of %s: %.6f .. %.6f s (%s), %d device%s\n"
              % (args.report, t0, t1, fmt_dur(t1 - t0), len(devs),
                 "" if len(devs) == 1 else "s"))
    if not devs:
        out.write("no vfio_pci_mmap events\n")
        return 1
    owners = vpmtrace.marker_owners(events)
    for dev in devs:
        st = DevStats()
        out.write("\n%s\n" % dev)
        out.write("  %-12s %-12s %-56s %s\n" % ("time (s)", "state lasted",
                                                "what", "task"))
        prev = None
        for ev in events:
            if ev.is_marker():
                about = owners.get(id(ev))
                if not args.no_marks and (about is None or dev in about) \
                        and ev.text.startswith(vpmtrace.MARKER_PREFIX):
                    out.write("  %-12.6f %-12s -- %s\n" % (
                        ev.ts, "", ev.text[len(vpmtrace.MARKER_PREFIX):]))
                continue
            if ev.dev != dev or not ev.is_vpm():
                continue
            if st.first_ts is None:
                st.first_ts = ev.ts
            f = ev.fields
            if ev.name == "vpm_state_change":
                if st.state is None:
                    st.state, st.since = f.get("old"), st.first_ts
                st.account(ev.ts)
                st.state, st.since = f.get("new"), ev.ts
                st.transitions += 1
            elif ev.name == "vpm_zap_end":
                st.zaps.append(ev.num("duration_ns") / 1e9)
            elif ev.name == "vpm_revoke":
                st.revoked = f.get("mode")
            elif ev.name == "vpm_fault":
                if "SIGBUS" in f.get("result", ""):
                    st.faults_refused += 1
                else:
                    st.faults_ok += 1
            elif ev.name == "vpm_mmap" and f.get("result") == "refused":
                st.refused_mmaps += 1
            if ev.name in ("vpm_vma_track", "vpm_vma_untrack",
                           "vpm_vma_moved"):
                st.max_vmas = max(st.max_vmas, ev.num("tracked"))
            d = describe(ev, args.all)
            if d is None:
                continue
            kind, text = d
            indent = "" if kind == "state" else "  "
            delta = ""
            if kind == "state":
                if prev is not None:
                    delta = "%.6f" % (ev.ts - prev)
                prev = ev.ts
            out.write("  %-12.6f %-12s %-56s %s-%d\n" % (
                ev.ts, delta, indent + text, ev.comm, ev.pid))
        st.account(t1)
        out.write("  summary:\n")
        if st.in_state:
            out.write("    time in state: %s (until the end of the trace)\n" %
                      ", ".join("%s %s" % (k, fmt_dur(v)) for k, v in
                                sorted(st.in_state.items(),
                                       key=lambda kv: -kv[1])))
        out.write("    %d transition%s, final state %s%s\n" % (
            st.transitions, "" if st.transitions == 1 else "s",
            st.state or "unknown",
            " (revoked, mode %s)" % st.revoked if st.revoked else ""))
        if st.zaps:
            out.write("    %d zap%s: total %s, max %s, mean %s\n" % (
                len(st.zaps), "" if len(st.zaps) == 1 else "s",
                fmt_dur(sum(st.zaps)), fmt_dur(max(st.zaps)),
                fmt_dur(sum(st.zaps) / len(st.zaps))))
        out.write("    faults: %d mapped, %d refused (SIGBUS); "
                  "mmaps refused: %d; at most %d vma%s tracked at once\n" % (
                      st.faults_ok, st.faults_refused, st.refused_mmaps,
                      st.max_vmas, "" if st.max_vmas == 1 else "s"))
    return 0


def main():
    p = argparse.ArgumentParser(
        description="per-device text timeline of a vfio-pci-mmap trace",
        epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--all", action="store_true",
                   help="every event of the devices, not only transitions")
    p.add_argument("--no-marks", action="store_true",
                   help="leave out the scenario steps")
    p.add_argument("--dev", action="append", help="only this device (BDF)")
    p.add_argument("-o", "--output", help="write here, not to stdout")
    p.add_argument("report", help="report text, trace.dat, or -")
    args = p.parse_args()
    events, _ = vpmtrace.load(args.report)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            return timeline(events, args, out)
    return timeline(events, args, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
