#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turn one 'make bench' run into the table, the CSV files and the plot.

    bench/report.py --run out/bench/runs/<time> --out out/bench

Reads RUN/vm-6.12/raw.txt and RUN/vm-6.1/raw.txt ("R METRIC LABEL VALUE",
one line per repetition, written by bench/vpm_bench.c), RUN/host.txt and
the guests' info.txt; writes OUT/latest.csv (metric,ours,baseline,ratio:
medians, ratio = ours / baseline), OUT/latest-detail.csv (median, min, max
and count of both sides), OUT/latest.svg, OUT/latest.txt, and copies of
them into RUN.  Standard library only.
"""

import argparse
import csv
import math
import os
import shutil
import statistics
import sys
from collections import defaultdict

ZAP_CONFIGS = [(1, 1), (16, 1), (16, 8), (256, 1), (256, 8), (256, 64),
               (1024, 1), (1024, 8), (1024, 64)]
CLASSES = [("pud", "pud", "1 GiB-aligned"), ("pmd", "pmd", "2 MiB-aligned"),
           ("mis", "misaligned", "not huge-aligned")]
FORK_VMAS = (64, 1024)
README_BEGIN = "<!-- bench-targets: written by make bench (bench/report.py) -->"
README_END = "<!-- end of bench-targets -->"
TCG_NOTE = ("All timings come from QEMU TCG (software CPU emulation) on a "
            "shared 2-core host: only ratios measured in the same run are "
            "meaningful, never the absolute figures.")


def load_raw(path):
    data = defaultdict(list)
    if not os.path.exists(path):
        return data
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) == 4 and p[0] == "R":
                try:
                    data[(p[1], p[2])].append(float(p[3]))
                except ValueError:
                    pass
    return data


class Stat:
    def __init__(self, values):
        self.values = list(values)
        self.n = len(self.values)
        self.med = statistics.median(self.values) if self.values else None
        self.min = min(self.values) if self.values else None
        self.max = max(self.values) if self.values else None


def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1e6:
        return "%.3g" % v
    if a >= 100:
        return "%.0f" % v
    if a >= 10:
        return "%.1f" % v
    if a >= 1:
        return "%.2f" % v
    return "%.3g" % v


class Report:
    def __init__(self, run):
        self.run = run
        self.d = load_raw(os.path.join(run, "vm-6.12", "raw.txt"))
        for k, v in load_raw(os.path.join(run, "vm-6.1", "raw.txt")).items():
            self.d[k].extend(v)
        self.rows = []      # (section, metric, ours Stat, base Stat, ratio, note)
        self.targets = []   # (name, verdict, text)

    def s(self, metric, label):
        return Stat(self.d.get((metric, label), []))

    def row(self, section, metric, ours, base=None, note="", ratio=None):
        if ratio is None and base is not None and ours.med is not None \
                and base.med not in (None, 0):
            ratio = ours.med / base.med
        self.rows.append((section, metric, ours, base, ratio, note))
        return ratio

    def paired_diff(self, metric, a, b):
        x, y = self.d.get((metric, a), []), self.d.get((metric, b), [])
        return Stat([p - q for p, q in zip(x, y)])

    # --- the figures ---------------------------------------------------------
    def build(self):
        have61 = any(k[1] == "stock61" for k in self.d)
        sec = "a. first-touch fault-in of the 1 GiB BAR, page by page (s)"
        for key, name, _ in CLASSES:
            self.row(sec, "fault_in_%s_s_vs_6.12" % name,
                     self.s("faultin_%s_s" % key, "ours"),
                     self.s("faultin_%s_s" % key, "stock"))
        for key, name, _ in CLASSES:
            self.row(sec, "fault_in_%s_s_vs_6.1" % name,
                     self.s("faultin_%s_s" % key, "ours"),
                     self.s("faultin_%s_s" % key, "stock61"),
                     note="cross-kernel ratio (ours on 6.12, stock on 6.1)")
        sec = "a. faults taken for the whole BAR"
        for key, name, _ in CLASSES:
            self.row(sec, "faults_%s_vs_6.12" % name,
                     self.s("faultin_%s_faults" % key, "ours"),
                     self.s("faultin_%s_faults" % key, "stock"))
        for key, name, _ in CLASSES:
            self.row(sec, "faults_%s_vs_6.1" % name,
                     self.s("faultin_%s_faults" % key, "ours"),
                     self.s("faultin_%s_faults" % key, "stock61"),
                     note="cross-kernel")

        sec = "a. fill: THP disabled, longest single fault, pages per fault"
        self.row(sec, "fault_in_2M_aligned_thp_off_s_vs_misaligned",
                 self.s("faultin_nothp_s", "ours"), self.s("faultin_mis_s", "ours"),
                 note="ours against ours: a 2 MiB-aligned mapping with "
                      "PR_SET_THP_DISABLE is filled like a misaligned one")
        self.row(sec, "longest_fault_us_misaligned_vs_6.1",
                 self.s("faultmax_us", "ours"), self.s("faultmax_us", "stock61"),
                 note="cross-kernel: the longest touch of a misaligned 1 GiB "
                      "fault-in; 6.1 fills the whole vma in one fault")
        self.row(sec, "pages_per_fault_max_vs_6.1",
                 self.s("faultmax_pages_per_fault_max", "ours"),
                 self.s("faultmax_pages_per_fault_max", "stock61"),
                 note="the most pages one fault mapped (longest run of "
                      "touches without a fault)")

        sec = "b. one 4 KiB fault on a fresh 4 KiB mapping of edu BAR0 (us)"
        self.row(sec, "fault_4k_latency_us_vs_6.12",
                 self.s("fault4k_us", "ours"), self.s("fault4k_us", "stock"),
                 note="each repetition: median of 500 faults")

        sec = "b. fork() of a process holding N populated BAR0 vmas, to waitpid (us)"
        for n in FORK_VMAS:
            self.row(sec, "fork_%dvmas_us_vs_6.12" % n,
                     self.s("fork_%dvmas_us" % n, "ours"),
                     self.s("fork_%dvmas_us" % n, "stock"))

        sec = ("c. zap on PCI_COMMAND memory disable, N vmas (4 KiB, touched) "
               "over P processes (us)")
        for n, p in ZAP_CONFIGS:
            c = "%d.%d" % (n, p)
            self.row(sec, "zap_kernel_us_%dvmas_%dprocs_vs_6.12" % (n, p),
                     self.s("zap_kvpm_us." + c, "ours"),
                     self.s("zap_kgraph_us." + c, "stock"),
                     note="ours: vpm_zap_end duration_ns; stock: function_graph "
                          "on unmap_mapping_range")
        for n, p in ZAP_CONFIGS:
            c = "%d.%d" % (n, p)
            self.row(sec, "zap_kernel_graph_us_%dvmas_%dprocs_vs_6.12" % (n, p),
                     self.s("zap_kgraph_us." + c, "ours"),
                     self.s("zap_kgraph_us." + c, "stock"),
                     note="both: function_graph, the unmap_mapping_range call "
                          "that zaps")
        for n, p in ZAP_CONFIGS:
            c = "%d.%d" % (n, p)
            calls = self.s("zap_kgraph_calls." + c, "ours").med
            self.row(sec, "zap_kernel_all_calls_us_%dvmas_%dprocs_vs_6.12" % (n, p),
                     self.s("zap_kgraph_sum_us." + c, "ours"),
                     self.s("zap_kgraph_sum_us." + c, "stock"),
                     note="every unmap_mapping_range of the config write "
                          "(ours: %s calls)" % fmt(calls))
        for n, p in ZAP_CONFIGS:
            c = "%d.%d" % (n, p)
            self.row(sec, "zap_user_us_%dvmas_%dprocs_vs_6.12" % (n, p),
                     self.s("zap_user_us." + c, "ours"),
                     self.s("zap_user_us." + c, "stock"),
                     note="the memory-disable config write, timed in user space")
        self.linearity()

        sec = "d. fault ring (edu, 65536 entries)"
        if self.d.get(("ring_missing", "ours")) or \
                not self.d.get(("ring_mmap_rps", "ours")):
            self.rows.append((sec, "ring", Stat([]), None, None,
                              "not measured: the fault ring is not there"))
        else:
            self.row(sec, "ring_produce_records_per_s",
                     self.s("ring_produce_rps", "ours"),
                     note="debugfs inject, 65536 records per write")
            self.row(sec, "ring_producer_ns_per_record",
                     self.s("ring_produce_ns", "ours"))
            self.row(sec, "ring_consume_mmap_records_per_s",
                     self.s("ring_mmap_rps", "ours"))
            self.row(sec, "ring_consume_read_records_per_s",
                     self.s("ring_read_rps", "ours"))
            self.row(sec, "ring_consume_mmap_vs_read_records_per_s",
                     self.s("ring_mmap_rps", "ours"),
                     self.s("ring_read_rps", "ours"),
                     note="baseline: read(), 1024 records per call")

        sec = "e. this project's events: misaligned 1 GiB fault-in (s), 4 KiB fault (us)"
        self.row(sec, "fault_in_misaligned_s_events_disabled_vs_notrace",
                 self.s("faultin_mis_s", "ours_evoff"),
                 self.s("faultin_mis_s", "ours_notrace"),
                 note="baseline: the same sources built with -DNOTRACE; "
                      "alternating blocks, no tracing toggled in either")
        self.row(sec, "fault_in_misaligned_s_events_enabled_vs_disabled",
                 self.s("faultin_mis_s", "ours_evon"),
                 self.s("faultin_mis_s", "ours_evoff_i"),
                 note="interleaved in one program")
        self.row(sec, "fault_4k_latency_us_events_disabled_vs_notrace",
                 self.s("fault4k_us", "ours_evoff"),
                 self.s("fault4k_us", "ours_notrace"),
                 note="baseline: -DNOTRACE build")
        self.row(sec, "fault_4k_latency_us_events_enabled_vs_disabled",
                 self.s("fault4k_us", "ours_evon"),
                 self.s("fault4k_us", "ours_evoff_i"),
                 note="interleaved in one program")

        sec = "f. memory: VmPTE growth after touching the whole 1 GiB BAR (kB)"
        for key, name, _ in CLASSES:
            self.row(sec, "vmpte_kb_%s_vs_6.12" % name,
                     self.s("vmpte_%s_kb" % key, "ours"),
                     self.s("vmpte_%s_kb" % key, "stock"))
        for key, name, _ in CLASSES:
            self.row(sec, "vmpte_kb_%s_vs_6.1" % name,
                     self.s("vmpte_%s_kb" % key, "ours"),
                     self.s("vmpte_%s_kb" % key, "stock61"),
                     note="cross-kernel")
        sec = "f. memory: slab per mapped vma, 1024 vmas minus none (bytes)"
        self.row(sec, "slab_bytes_per_vma_vs_6.12",
                 self.s("slab_per_vma_b", "ours"),
                 self.s("slab_per_vma_b", "stock"),
                 note="/proc/slabinfo active_objs x objsize")
        self.row(sec, "meminfo_slab_bytes_per_vma_vs_6.12",
                 self.s("meminfo_slab_per_vma_b", "ours"),
                 self.s("meminfo_slab_per_vma_b", "stock"),
                 note="/proc/meminfo Slab:")
        self.row(sec, "tracking_bytes_per_vma",
                 self.paired_diff("slab_per_vma_b", "ours", "stock"),
                 note="ours minus stock, paired repetitions (slabinfo)")
        if not have61:
            self.rows.append(("notes", "6.1", Stat([]), None, None,
                              "the 6.1 boot produced no figures"))

    def linearity(self):
        """Affine fit of the kernel zap time against the number of vmas."""
        self.lin = {}
        for who, metric in (("ours", "zap_kvpm_us"), ("stock", "zap_kgraph_us"),
                            ("ours_graph", "zap_kgraph_us")):
            label = "ours" if who.startswith("ours") else "stock"
            for p in (1, 8, 64):
                pts = [(n, self.s("%s.%d.%d" % (metric, n, q), label).med)
                       for n, q in ZAP_CONFIGS if q == p]
                pts = [(x, y) for x, y in pts if y is not None]
                if len(pts) >= 2:
                    self.lin[(who, p)] = fit(pts)
        sec = "c. zap growth: affine fit t = a + b * vmas (us)"
        for p in (1, 8, 64):
            o, s = self.lin.get(("ours", p)), self.lin.get(("stock", p))
            if not o or not s:
                continue
            self.row(sec, "zap_kernel_us_per_vma_%dprocs_vs_6.12" % p,
                     Stat([o["b"]]), Stat([s["b"]]),
                     note="slope; ours r2=%.4f, stock r2=%.4f%s" % (
                         o["r2"], s["r2"], marginal_note(o, s)))

    # --- targets -------------------------------------------------------------
    def ratio_of(self, metric):
        for r in self.rows:
            if r[1] == metric:
                return r[4], r[2], r[3]
        return None, None, None

    def target(self, name, ok, text):
        verdict = {None: "not measured", True: "met", False: "MISSED",
                   "?": "inconclusive"}[ok]
        self.targets.append((name, verdict, text))

    @staticmethod
    def judge(o, b, limit, higher_better=False):
        """Timing targets: the ratio of the medians and the ratio of the
        minimums (each side's least disturbed repetition) must agree.
        True: both meet the limit; False: both miss it; "?": they disagree
        (the host's load decides); None: no data."""
        if o is None or b is None or o.med is None or not b.med:
            return None
        best = best_ratio(o, b, higher_better)
        if best is None:
            return None
        def ok(r):
            return r >= limit if higher_better else r <= limit
        a, m = ok(o.med / b.med), ok(best)
        return a if a == m else "?"

    @staticmethod
    def combine(verdicts):
        v = [x for x in verdicts if x is not None]
        if not v:
            return None
        if False in v:
            return False
        if "?" in v:
            return "?"
        return True

    def evaluate(self):
        for name in ("pud", "pmd"):
            r, o, b = self.ratio_of("fault_in_%s_s_vs_6.12" % name)
            self.target("a. %s fault-in <= 1.02x stock 6.12" % name,
                        self.judge(o, b, 1.02),
                        "ratio %s (ours %s s, stock %s s)%s" % (
                            fmt(r), fmt(o.med), fmt(b.med), overlap(o, b)))
        r, o, b = self.ratio_of("fault_in_misaligned_s_vs_6.1")
        self.target("a. misaligned fault-in <= 1.05x stock 6.1 (cross-kernel)",
                    self.judge(o, b, 1.05),
                    "ratio %s (ours on 6.12 %s s, stock on 6.1 %s s)%s" % (
                        fmt(r), fmt(o.med), fmt(b.med), overlap(o, b)))
        r, o, b = self.ratio_of("fault_in_misaligned_s_vs_6.12")
        self.target("a. misaligned fault-in <= 0.05x stock 6.12",
                    self.judge(o, b, 0.05),
                    "ratio %s: %s faults vs %s%s" % (
                        fmt(r),
                        fmt(self.s("faultin_mis_faults", "ours").med),
                        fmt(self.s("faultin_mis_faults", "stock").med),
                        overlap(o, b)))
        r, o, b = self.ratio_of("fault_in_2M_aligned_thp_off_s_vs_misaligned")
        self.target("a. 2 MiB-aligned, THP off, costs the misaligned (<= 1.05x)",
                    self.judge(o, b, 1.05),
                    "ratio %s (THP off %s s, misaligned %s s, %s faults)%s" % (
                        fmt(r), fmt(o.med) if o else "-", fmt(b.med) if b else "-",
                        fmt(self.s("faultin_nothp_faults", "ours").med),
                        overlap(o, b)))
        r, o, b = self.ratio_of("pages_per_fault_max_vs_6.1")
        self.target("a. no fault maps more than one PMD block (512 pages)",
                    None if o is None or o.max is None else o.max <= 512,
                    "most pages one fault mapped: ours %s, stock 6.1 %s" % (
                        fmt(o.max) if o else "-", fmt(b.max) if b else "-"))
        r, o, b = self.ratio_of("longest_fault_us_misaligned_vs_6.1")
        self.targets.append(("   (longest single fault, misaligned 1 GiB)", "info",
                             "ours %s us (max %s), stock 6.1's one fault %s us" % (
                                 fmt(o.med) if o else "-", fmt(o.max) if o else "-",
                                 fmt(b.med) if b else "-")))
        r, o, b = self.ratio_of("fault_4k_latency_us_vs_6.12")
        self.target("b. one 4 KiB fault <= 1.03x stock 6.12",
                    self.judge(o, b, 1.03),
                    "ratio %s (ours %s us, stock %s us)%s" % (
                        fmt(r), fmt(o.med) if o else "-",
                        fmt(b.med) if b else "-", overlap(o, b)))
        for n in FORK_VMAS:
            r, o, b = self.ratio_of("fork_%dvmas_us_vs_6.12" % n)
            self.target("b. fork with %d vmas <= 1.05x stock 6.12" % n,
                        self.judge(o, b, 1.05),
                        "ratio %s (ours %s us, stock %s us)%s" % (
                            fmt(r), fmt(o.med) if o else "-",
                            fmt(b.med) if b else "-", overlap(o, b)))

        lin_ok = None
        texts = []
        for p in (1, 8, 64):
            o = self.lin.get(("ours", p))
            if not o:
                continue
            if o["marg"] is None:
                texts.append("P=%d: 2 points only, no curvature test" % p)
                continue
            ok = o["r2"] >= 0.98 and 0.5 <= o["marg"] <= 2.0
            lin_ok = ok if lin_ok is None else (lin_ok and ok)
            texts.append("P=%d: r2 %.4f, per-vma cost last/first segment %s"
                         % (p, o["r2"], fmt(o["marg"])))
        self.target("c. zap linear in vmas (ours, vpm_zap_end medians)", lin_ok,
                    "; ".join(texts) or "no data")
        for metric, what in (("zap_kernel_us_1024vmas_%dprocs_vs_6.12",
                              "vpm_zap_end vs function_graph"),
                             ("zap_kernel_graph_us_1024vmas_%dprocs_vs_6.12",
                              "both function_graph"),
                             ("zap_kernel_all_calls_us_1024vmas_%dprocs_vs_6.12",
                              "every unmap_mapping_range, informative"),
                             ("zap_user_us_1024vmas_%dprocs_vs_6.12",
                              "user-space config write, informative")):
            found = [self.ratio_of(metric % p) for p in (1, 8, 64)]
            found = [f for f in found if f[0] is not None]
            text = "ratios P=1,8,64: %s (of minimums: %s)" % (
                ", ".join(fmt(f[0]) for f in found),
                ", ".join(fmt(f[1].min / f[2].min) if f[2].min else "-"
                          for f in found))
            if "informative" in what:
                self.targets.append(("   (1024 vmas, %s)" % what, "info", text))
            else:
                self.target("c. zap at 1024 vmas <= 1.05x stock (%s)" % what,
                            self.combine(self.judge(f[1], f[2], 1.05) for f in found),
                            text)

        r, o, b = self.ratio_of("ring_consume_mmap_vs_read_records_per_s")
        self.target("d. ring: mmap consumption >= 5x read()",
                    self.judge(o, b, 5.0, higher_better=True),
                    "mmap %s rec/s, read() %s rec/s: %sx%s" % (
                        fmt(o.med) if o else "-", fmt(b.med) if b else "-",
                        fmt(r), overlap(o, b, higher_better=True)))

        for metric, what in (("fault_in_misaligned_s_events_disabled_vs_notrace",
                              "misaligned fault-in"),
                             ("fault_4k_latency_us_events_disabled_vs_notrace",
                              "4 KiB fault")):
            r, o, b = self.ratio_of(metric)
            self.target("e. disabled events <= 2%% overhead (%s)" % what,
                        self.judge(o, b, 1.02),
                        "ratio %s%s" % (fmt(r), overlap(o, b)))

        for name in ("pud", "pmd"):
            r, o, b = self.ratio_of("vmpte_kb_%s_vs_6.12" % name)
            self.target("f. VmPTE equal to stock 6.12 (%s)" % name,
                        None if r is None else o.med == b.med,
                        "ours %s kB, stock %s kB" % (fmt(o.med), fmt(b.med)))
        r, o, b = self.ratio_of("vmpte_kb_misaligned_vs_6.1")
        self.target("f. misaligned VmPTE <= 6.1's (cross-kernel)",
                    None if r is None else o.med <= b.med,
                    "ours %s kB, stock 6.1 %s kB" % (fmt(o.med), fmt(b.med)))
        r, o, b = self.ratio_of("tracking_bytes_per_vma")
        self.target("f. tracking <= 256 bytes per vma",
                    None if o is None or o.med is None else o.med <= 256,
                    "ours minus stock %s B [%s..%s] (ours %s B, stock %s B per vma)" % (
                        fmt(o.med), fmt(o.min), fmt(o.max),
                        fmt(self.s("slab_per_vma_b", "ours").med),
                        fmt(self.s("slab_per_vma_b", "stock").med)))

    # --- output --------------------------------------------------------------
    def info_lines(self):
        lines = []
        for f in ("host.txt", os.path.join("vm-6.12", "info.txt"),
                  os.path.join("vm-6.1", "info.txt")):
            p = os.path.join(self.run, f)
            if os.path.exists(p):
                with open(p) as fh:
                    for line in fh:
                        line = line.strip()
                        if line:
                            lines.append("%s: %s" % (os.path.dirname(f) or "host",
                                                     line))
        return lines

    def table(self):
        out = []
        out.append("vfio-pci-mmap benchmark (make bench)")
        out.append(TCG_NOTE)
        out.append("Figures: median [min..max] over the repetitions; ratio = ours / baseline "
                   "(medians); best = the same ratio")
        out.append("of each side's least disturbed repetition (minimums; maximums for "
                   "rates), a check on the host's load.")
        out.append("")
        w = [58, 30, 30, 7, 7]
        hdr = "%-*s %-*s %-*s %*s %*s" % (w[0], "metric", w[1], "ours",
                                          w[2], "baseline", w[3], "ratio",
                                          w[4], "best")
        section = None
        for sec, metric, o, b, r, note in self.rows:
            if sec != section:
                out.append("")
                out.append("== " + sec)
                out.append(hdr)
                section = sec
            def cell(s):
                if s is None or s.med is None:
                    return "-"
                if s.n == 1 or s.min == s.max:
                    return fmt(s.med)
                return "%s [%s..%s]" % (fmt(s.med), fmt(s.min), fmt(s.max))
            best = best_ratio(o, b, metric.endswith("per_s")) if b else None
            out.append("%-*s %-*s %-*s %*s %*s" % (
                w[0], metric, w[1], cell(o), w[2], cell(b), w[3],
                fmt(r) if r is not None else "-", w[4],
                fmt(best) if best is not None else "-"))
            if note:
                out.append("    " + note)
        out.append("")
        out.append("== targets (timings: met / MISSED when the ratio of the medians and the best-case")
        out.append("   ratio agree, inconclusive when the host's load made them disagree)")
        for name, verdict, text in self.targets:
            out.append("%-62s %-12s %s" % (name, verdict, text))
        out.append("")
        out.append("== run")
        out.extend(self.info_lines())
        out.append("")
        out.append(TCG_NOTE)
        return "\n".join(out) + "\n"

    def write_readme(self, path, when):
        """The README's table of targets: one row per target, its verdict
        and its figures, between the README's bench-targets markers."""
        out = [README_BEGIN,
               "Targets of the latest run (%s; ratios of medians, \"best\" = of "
               "minimums; verdicts as `bench/report.py` prints them):" % when,
               "",
               "| target | verdict | figures |",
               "| --- | --- | --- |"]
        for name, verdict, text in self.targets:
            out.append("| %s | %s | %s |" % (name.strip().replace("|", "/"),
                                             verdict, text.replace("|", "/")))
        out.append(README_END)
        with open(path, "w") as f:
            f.write("\n".join(out) + "\n")

    def write_csv(self, path):
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["metric", "ours", "baseline", "ratio"])
            for sec, metric, o, b, r, note in self.rows:
                if o is None or o.med is None:
                    continue
                w.writerow([metric, "%.6g" % o.med,
                            "%.6g" % b.med if b is not None and b.med is not None else "",
                            "%.4f" % r if r is not None else ""])

    def write_detail(self, path):
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["metric", "ours_median", "ours_min", "ours_max", "ours_n",
                        "baseline_median", "baseline_min", "baseline_max",
                        "baseline_n", "ratio", "best_case_ratio", "note"])
            for sec, metric, o, b, r, note in self.rows:
                def cols(s):
                    if s is None or s.med is None:
                        return ["", "", "", ""]
                    return ["%.6g" % s.med, "%.6g" % s.min, "%.6g" % s.max, s.n]
                best = best_ratio(o, b, metric.endswith("per_s")) if b else None
                rmin = "%.4f" % best if best is not None else ""
                w.writerow([metric] + cols(o) + cols(b) +
                           ["%.4f" % r if r is not None else "", rmin, note])


def fit(pts):
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    n = len(pts)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in pts)
    b = sxy / sxx if sxx else 0
    a = my - b * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - (a + b * x)) ** 2 for x, y in pts)
    r2 = 1 - ss_res / ss_tot if ss_tot else 1.0
    marg = None
    if n >= 3:
        s = sorted(pts)
        first = (s[1][1] - s[0][1]) / (s[1][0] - s[0][0])
        last = (s[-1][1] - s[-2][1]) / (s[-1][0] - s[-2][0])
        marg = last / first if first > 0 else None
    return {"a": a, "b": b, "r2": r2, "marg": marg, "pts": s if n >= 3 else sorted(pts)}


def marginal_note(o, s):
    if o.get("marg") is None:
        return ""
    return "; per-vma cost of the last segment / the first: ours %s, stock %s" % (
        fmt(o["marg"]), fmt(s["marg"]) if s.get("marg") is not None else "-")


def best_ratio(o, b, higher_better=False):
    """Ratio of each side's least disturbed repetition: the minimums of
    times and sizes, the maximums of rates."""
    if o is None or b is None or o.med is None or b.med is None:
        return None
    if higher_better:
        return o.max / b.max if b.max else None
    return o.min / b.min if b.min else None


def overlap(o, b, higher_better=False):
    """The best-case ratio, and whether the two ranges overlap."""
    if o is None or b is None or o.med is None or b.med is None:
        return ""
    t = ""
    r = best_ratio(o, b, higher_better)
    if r is not None:
        t = "; ratio of %s %s" % ("maximums" if higher_better else "minimums", fmt(r))
    if o.min <= b.max and b.min <= o.max:
        t += "; min..max ranges overlap"
    return t


# --- the plot ----------------------------------------------------------------------
class Svg:
    def __init__(self, w, h):
        self.w, self.h, self.items = w, h, []

    def add(self, s):
        self.items.append(s)

    def text(self, x, y, s, size=12, anchor="start", weight="normal", rot=None,
             fill="#222"):
        s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        tr = ' transform="rotate(%d %.1f %.1f)"' % (rot, x, y) if rot else ""
        self.add('<text x="%.1f" y="%.1f" font-size="%d" text-anchor="%s" '
                 'font-weight="%s" fill="%s"%s>%s</text>' % (
                     x, y, size, anchor, weight, fill, tr, s))

    def line(self, x1, y1, x2, y2, color="#888", width=1, dash=None):
        d = ' stroke-dasharray="%s"' % dash if dash else ""
        self.add('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" '
                 'stroke-width="%s"%s/>' % (x1, y1, x2, y2, color, width, d))

    def rect(self, x, y, w, h, fill):
        self.add('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>'
                 % (x, y, max(w, 0), max(h, 0), fill))

    def poly(self, pts, color, dash=None, width=2):
        d = ' stroke-dasharray="%s"' % dash if dash else ""
        self.add('<polyline fill="none" stroke="%s" stroke-width="%s"%s points="%s"/>'
                 % (color, width, d, " ".join("%.1f,%.1f" % p for p in pts)))

    def circle(self, x, y, r, color):
        self.add('<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s"/>' % (x, y, r, color))

    def save(self, path):
        with open(path, "w") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n')
            f.write('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
                    'viewBox="0 0 %d %d" font-family="DejaVu Sans, Arial, sans-serif">\n'
                    % (self.w, self.h, self.w, self.h))
            f.write('<rect width="100%" height="100%" fill="white"/>\n')
            for it in self.items:
                f.write(it + "\n")
            f.write("</svg>\n")


class LogAxis:
    def __init__(self, lo, hi, p0, p1):
        self.lo = 10 ** math.floor(math.log10(lo))
        self.hi = 10 ** math.ceil(math.log10(hi))
        if self.hi <= self.lo:
            self.hi = self.lo * 10
        self.p0, self.p1 = p0, p1

    def __call__(self, v):
        v = max(v, self.lo)
        f = (math.log10(v) - math.log10(self.lo)) / (math.log10(self.hi) - math.log10(self.lo))
        return self.p0 + f * (self.p1 - self.p0)

    def decades(self):
        v = self.lo
        while v <= self.hi * 1.0001:
            yield v
            v *= 10


COL = {"ours": "#1f5fbf", "stock": "#e07b00", "stock61": "#6b6b6b"}


def plot(rep, path, title_note):
    svg = Svg(1200, 900)
    svg.text(600, 28, "vfio-pci-mmap vs stock vfio-pci (make bench)", 18, "middle", "bold")
    svg.text(600, 48, "QEMU TCG: absolute times are not meaningful, only ratios within this run. "
             + title_note, 11, "middle")

    # Panel 1: fault-in per class.
    x0, y0, w, h = 80, 90, 480, 330
    svg.text(x0 + w / 2, y0 - 12, "a. fault-in of the 1 GiB BAR (s, log), median and min-max",
             13, "middle", "bold")
    series = [("ours", "ours (6.12)"), ("stock", "stock 6.12"), ("stock61", "stock 6.1")]
    vals = [rep.s("faultin_%s_s" % k, who) for k, _, _ in CLASSES for who, _ in series]
    pos = [v for s in vals for v in s.values if v > 0]
    if pos:
        ax = LogAxis(min(pos), max(pos), y0 + h, y0)
        for dv in ax.decades():
            y = ax(dv)
            svg.line(x0, y, x0 + w, y, "#ddd")
            svg.text(x0 - 6, y + 4, "%g" % dv, 11, "end")
        gw = w / len(CLASSES)
        bw = gw / (len(series) + 1)
        for i, (k, name, desc) in enumerate(CLASSES):
            for j, (who, lab) in enumerate(series):
                s = rep.s("faultin_%s_s" % k, who)
                if s.med is None:
                    continue
                bx = x0 + i * gw + bw * (j + 0.5)
                svg.rect(bx, ax(s.med), bw * 0.9, y0 + h - ax(s.med), COL[who])
                cx = bx + bw * 0.45
                svg.line(cx, ax(s.min), cx, ax(s.max), "#000", 1)
                svg.text(cx, ax(s.med) - 4, fmt(s.med), 9, "middle")
            svg.text(x0 + (i + 0.5) * gw, y0 + h + 16, desc, 11, "middle")
        for j, (who, lab) in enumerate(series):
            svg.rect(x0 + 10 + j * 150, y0 + h + 30, 12, 12, COL[who])
            svg.text(x0 + 26 + j * 150, y0 + h + 40, lab, 11)
    svg.line(x0, y0, x0, y0 + h, "#444")
    svg.line(x0, y0 + h, x0 + w, y0 + h, "#444")

    # Panel 2: zap growth.
    x0, y0, w, h = 680, 90, 460, 330
    svg.text(x0 + w / 2, y0 - 12, "c. kernel zap time vs vmas (us, log-log)", 13, "middle", "bold")
    lines = []
    for who, metric, label, col in (("ours", "zap_kvpm_us", "ours (vpm_zap_end)", COL["ours"]),
                                    ("stock", "zap_kgraph_us", "stock 6.12 (function_graph)",
                                     COL["stock"])):
        for p, dash in ((1, None), (8, "6,3"), (64, "2,3")):
            pts = [(n, rep.s("%s.%d.%d" % (metric, n, q), who).med)
                   for n, q in ZAP_CONFIGS if q == p]
            pts = [(x, y) for x, y in pts if y]
            if pts:
                lines.append((pts, col, dash, "%s, %d proc%s" % (label, p, "s" if p > 1 else "")))
    ys = [y for l in lines for _, y in l[0]]
    if ys:
        ax = LogAxis(1, 1024, x0, x0 + w)
        ay = LogAxis(min(ys), max(ys), y0 + h, y0)
        for dv in ay.decades():
            svg.line(x0, ay(dv), x0 + w, ay(dv), "#ddd")
            svg.text(x0 - 6, ay(dv) + 4, "%g" % dv, 11, "end")
        for n in (1, 16, 256, 1024):
            svg.line(ax(n), y0 + h, ax(n), y0 + h + 4, "#444")
            svg.text(ax(n), y0 + h + 16, str(n), 11, "middle")
        svg.text(x0 + w / 2, y0 + h + 32, "mapped vmas (4 KiB each, all touched)", 11, "middle")
        for k, (pts, col, dash, lab) in enumerate(lines):
            svg.poly([(ax(x), ay(y)) for x, y in pts], col, dash)
            for x, y in pts:
                svg.circle(ax(x), ay(y), 3, col)
            lx = x0 + 10 + (k // 3) * 230
            ly = y0 + h + 50 + (k % 3) * 16
            svg.poly([(lx, ly - 4), (lx + 24, ly - 4)], col, dash)
            svg.text(lx + 30, ly, lab, 10)
    svg.line(x0, y0, x0, y0 + h, "#444")
    svg.line(x0, y0 + h, x0 + w, y0 + h, "#444")

    # Panel 3: ratios against the targets.
    x0, y0, w, h = 80, 560, 1060, 250
    svg.text(x0 + w / 2, y0 - 12, "ratios ours / baseline (medians) and their targets "
             "(dashed: target; for d. mmap/read, higher is better)", 13, "middle", "bold")
    items = [("PUD vs 6.12", "fault_in_pud_s_vs_6.12", 1.05),
             ("PMD vs 6.12", "fault_in_pmd_s_vs_6.12", 1.05),
             ("misal. vs 6.1*", "fault_in_misaligned_s_vs_6.1", 1.2),
             ("misal. vs 6.12", "fault_in_misaligned_s_vs_6.12", None),
             ("4K fault", "fault_4k_latency_us_vs_6.12", None),
             ("zap 1024/1 k", "zap_kernel_us_1024vmas_1procs_vs_6.12", 1.2),
             ("zap 1024/64 k", "zap_kernel_us_1024vmas_64procs_vs_6.12", 1.2),
             ("zap 1024/1 user", "zap_user_us_1024vmas_1procs_vs_6.12", None),
             ("ring mmap/read", "ring_consume_mmap_vs_read_records_per_s", 5.0),
             ("ev off/notrace", "fault_in_misaligned_s_events_disabled_vs_notrace", 1.02),
             ("ev on/off", "fault_in_misaligned_s_events_enabled_vs_disabled", None),
             ("VmPTE mis. 6.1*", "vmpte_kb_misaligned_vs_6.1", 1.0)]
    rs = []
    for lab, m, t in items:
        r, o, b = rep.ratio_of(m)
        v = rep.judge(o, b, t, higher_better=t > 1.5) if t else None
        rs.append((lab, r, t, v))
    vals = [x[1] for x in rs if x[1]] + [x[2] for x in rs if x[2]]
    if vals:
        ay = LogAxis(min(vals + [0.5]), max(vals + [2]), y0 + h, y0)
        for dv in ay.decades():
            svg.line(x0, ay(dv), x0 + w, ay(dv), "#ddd")
            svg.text(x0 - 6, ay(dv) + 4, "%g" % dv, 11, "end")
        svg.line(x0, ay(1), x0 + w, ay(1), "#444", 1)
        bw = w / len(rs)
        for i, (lab, r, t, v) in enumerate(rs):
            bx = x0 + i * bw + bw * 0.2
            if r:
                top, bot = (ay(r), ay(1)) if r >= 1 else (ay(1), ay(r))
                colour = {True: "#4a9a4a", False: "#c84040",
                          "?": "#e0b020"}.get(v, "#9aa6b0")
                svg.rect(bx, top, bw * 0.6, max(bot - top, 1.5), colour)
                svg.text(bx + bw * 0.3, (ay(r) - 4) if r >= 1 else (ay(r) + 12), fmt(r), 10,
                         "middle")
            if t:
                svg.line(bx - 4, ay(t), bx + bw * 0.6 + 4, ay(t), "#000", 1.5, "4,2")
            svg.text(bx + bw * 0.3, y0 + h + 16, lab, 10, "middle")
    svg.text(x0, y0 + h + 40, "* cross-kernel ratio: ours on 6.12 against stock vfio-pci on 6.1. "
             "Green: target met; red: missed; amber: inconclusive (medians and minimums disagree); "
             "grey: no target.", 11)
    svg.line(x0, y0, x0, y0 + h, "#444")
    svg.save(path)


def readme_splice(readme, table):
    """Replace the block between the markers in README with TABLE."""
    text = open(readme).read()
    a, b = text.find(README_BEGIN), text.find(README_END)
    if a < 0 or b < a:
        print("report: %s has no bench-targets markers: not updated" % readme,
              file=sys.stderr)
        return
    new = text[:a] + open(table).read().rstrip("\n") + text[b + len(README_END):]
    with open(readme, "w") as f:
        f.write(new)
    print("report: the targets table of %s updated" % readme)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--readme", help="README.md whose bench-targets block to replace")
    a = ap.parse_args()
    run = a.run.rstrip("/")
    rep = Report(run)
    if not rep.d:
        print("report: no figures in %s" % run, file=sys.stderr)
        return 1
    rep.build()
    rep.evaluate()
    os.makedirs(a.out, exist_ok=True)
    text = rep.table()
    sys.stdout.write(text)
    load = ""
    for line in rep.info_lines():
        if "before the 6.12 boot" in line:
            load = line.split(": ", 2)[-1]
    when = os.path.basename(run)
    for name, fn in (("latest.txt", lambda p: open(p, "w").write(text)),
                     ("latest-readme.md", lambda p: rep.write_readme(p, when)),
                     ("latest.csv", rep.write_csv),
                     ("latest-detail.csv", rep.write_detail),
                     ("latest.svg", lambda p: plot(rep, p, load))):
        fn(os.path.join(a.out, name))
        if os.path.abspath(a.out) != os.path.abspath(run):
            shutil.copy(os.path.join(a.out, name), os.path.join(run, name))
    if a.readme:
        readme_splice(a.readme, os.path.join(a.out, "latest-readme.md"))
    print("report: %s/latest.{csv,svg,txt}, latest-detail.csv and "
          "latest-readme.md" % a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
