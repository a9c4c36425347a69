# SPDX-License-Identifier: GPL-2.0-only
"""Read the text of `trace-cmd report` into events (shared by check.py,
timeline.py and plot.py).

Input is either report text or a trace.dat file (then `trace-cmd report`
is run on it).  Each line of the report becomes an Event:

    comm-pid [cpu] timestamp: event: info

vfio_pci_mmap events have their info split into fields (key=value, plus
old/new for vpm_state_change); trace_marker lines ("print" events) keep
their text in Event.text.
"""

import re
import subprocess
import sys

# Every event of vfio-pci-mmap/vfio_pci_mmap_trace.h.
VPM_EVENTS = (
    "vpm_state_change", "vpm_mmap", "vpm_fault", "vpm_vma_track",
    "vpm_vma_untrack", "vpm_vma_moved", "vpm_zap_begin", "vpm_zap_end",
    "vpm_revoke", "vpm_ring_produce", "vpm_ring_consume",
    "vpm_ring_overflow", "vpm_ring_invalid_cons",
)

# Names each enum field may print (the header's tables).
STATES = ("enabled", "mem_disabled", "low_power", "resetting", "revoked")
REASONS = ("open", "close", "reset_ioctl", "hot_reset", "reset_prepare",
           "reset_done", "config_write", "low_power_entry", "low_power_exit",
           "ioctl", "observed_at_fault", "request")
TRACK_WHY = ("mmap", "fork", "split", "mremap")
ACCESS = ("map", "sigbus", "ones")
REVOKE_MODES = ("auto", "sigbus", "ones")
FAULT_RESULT_BITS = ("OOM", "SIGBUS", "NOPAGE", "LOCKED", "FALLBACK")
RING_TYPES = ("dma", "mmap_refused", "reset")
RING_REASONS = ("unknown", "pasid_fetch", "bad_pasidte", "pasid_invalid",
                "walk_eabt", "pte_fetch", "permission", "access",
                "oor_address", "mem_disabled", "low_power", "resetting",
                "revoked", "none")

# Which fields of which event must print a name, and the names allowed.
ENUM_FIELDS = {
    "vpm_state_change": {"old": STATES, "new": STATES, "reason": REASONS},
    "vpm_fault": {"access": ACCESS},
    "vpm_vma_track": {"why": TRACK_WHY},
    "vpm_vma_moved": {"why": TRACK_WHY},
    "vpm_zap_begin": {"reason": REASONS, "regions": ("all", "bars")},
    "vpm_zap_end": {"reason": REASONS, "regions": ("all", "bars")},
    "vpm_revoke": {"reason": REASONS, "mode": REVOKE_MODES},
    "vpm_ring_produce": {"type": RING_TYPES, "reason": RING_REASONS},
    "vpm_ring_consume": {"via": ("read", "mmap")},
}

MARKER_PREFIX = "vpm-scenario: "

_LINE = re.compile(
    r"^\s*(?P<comm>.*?)-(?P<pid>\d+)\s+"
    r"(?:\((?P<tgid>[\s\d-]+)\)\s+)?"
    r"\[(?P<cpu>\d+)\]\s+"
    r"(?:(?P<lat>[\w.]{4,6})\s+)?"
    r"(?P<ts>\d+\.\d+):\s+"
    r"(?:\(\+\d+\)\s+)?"          # trace-cmd report --ts-diff
    r"(?P<event>\w+):\s*(?P<info>.*)$")
_KV = re.compile(r"(\w+)=(\S*)")
_STATE = re.compile(r"\bdev=(?P<dev>\S+)\s+(?P<old>\S+)\s+->\s+(?P<new>\S+)"
                    r"\s+reason=(?P<reason>\S+)")
_BDF = re.compile(r"\b[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]\b")


class Event:
    """One line of the report."""

    __slots__ = ("ts", "comm", "pid", "cpu", "name", "info", "fields",
                 "dev", "text", "lineno")

    def __init__(self, ts, comm, pid, cpu, name, info, lineno):
        self.ts = ts
        self.comm = comm
        self.pid = pid
        self.cpu = cpu
        self.name = name
        self.info = info
        self.lineno = lineno
        self.fields = {}
        self.dev = None
        self.text = None

    def is_vpm(self):
        return self.name.startswith("vpm_")

    def is_marker(self):
        return self.text is not None

    def get(self, key, default=None):
        return self.fields.get(key, default)

    def num(self, key, default=0):
        """A field as an integer (decimal or 0x hex)."""
        v = self.fields.get(key)
        if v is None:
            return default
        try:
            return int(v, 0)
        except ValueError:
            return default

    def __repr__(self):
        return "%.6f %s-%d %s: %s" % (self.ts, self.comm, self.pid,
                                       self.name, self.info)


def _parse_info(ev):
    info = ev.info
    if ev.name == "print":
        # "tracing_mark_write: text" (trace-cmd 3.x) or just "text"
        text = re.sub(r"^(?:tracing_mark_write|0x[0-9a-f]+|[0-9a-f]{16}):\s*",
                      "", info)
        ev.text = text.rstrip()
        return
    if ev.name.startswith("vpm_"):
        ev.fields = dict(_KV.findall(info))
        if ev.name == "vpm_state_change":
            m = _STATE.search(info)
            if m:
                ev.fields.update(m.groupdict())
        if ev.name == "vpm_mmap":
            ev.fields["result"] = ("refused" if " refused " in info + " "
                                   else "accepted")
        ev.dev = ev.fields.get("dev")
        return
    # Kernel events: the device is the first PCI name in the text.
    m = _BDF.search(info)
    if m:
        ev.dev = m.group(0)
    ev.fields = dict(_KV.findall(info))


def open_report(path):
    """Report text of PATH: a trace.dat (run trace-cmd report), report
    text, or '-' for standard input."""
    if path == "-":
        return sys.stdin.read()
    with open(path, "rb") as f:
        head = f.read(10)
    if head[:3] == b"\x17\x08\x44" or path.endswith(".dat"):
        out = subprocess.run(["trace-cmd", "report", "-i", path],
                             stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, check=False)
        if out.returncode != 0:
            raise SystemExit("trace-cmd report %s failed: %s" %
                             (path, out.stderr.decode(errors="replace")))
        return out.stdout.decode(errors="replace")
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def parse(text):
    """Events of report TEXT, sorted by time (stable: report order breaks
    ties), and the lines that are neither events nor headers."""
    events = []
    junk = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith(("cpus=", "version")):
            continue
        m = _LINE.match(line)
        if not m:
            junk.append((n, line))
            continue
        ev = Event(float(m.group("ts")), m.group("comm").strip(),
                   int(m.group("pid")), int(m.group("cpu")),
                   m.group("event"), m.group("info"), n)
        _parse_info(ev)
        events.append(ev)
    events.sort(key=lambda e: e.ts)
    return events, junk


def load(path):
    """parse(open_report(PATH))."""
    return parse(open_report(path))


def marker_owners(events):
    """For each marker (by id()), the devices it is about: those whose
    vfio_pci_mmap events the marker's process also produced (a scenario
    program writes the markers of its own steps).  A marker of a process
    that produced no such event is about every device."""
    devs_of_pid = {}
    for e in events:
        if e.is_vpm() and e.dev:
            devs_of_pid.setdefault(e.pid, set()).add(e.dev)
    return {id(e): devs_of_pid.get(e.pid) for e in events if e.is_marker()}


def bdf_sort_key(dev):
    return tuple(int(x, 16) for x in re.split(r"[:.]", dev)) \
        if _BDF.fullmatch(dev or "") else (1 << 30, dev or "")
