#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Write a KernelShark 2.x session for a vfio-pci-mmap trace.

  kshark-session.py [-o FILE] [--dev BDF] [--all-events] [--size WxH]
                    [--plugin SO | --no-plugin] TRACE.DAT

Open it with:  kernelshark -s FILE

The session shows only the events that tell a device's story (every
vfio_pci_mmap event, the scenario steps written to trace_marker, runtime PM
status changes, SIGBUS deliveries, forks and exits); --all-events keeps
every recorded event.  With --dev, an advanced filter keeps only that
device's vfio_pci_mmap events (KernelShark 2.2 loads one advanced filter per
session), and the markers span that device.  The graph has one plot per
CPU and one per task that acted on the device(s) (the user process, the
pciehp thread that revoked it on hot-unplug, ...), zoomed to the span of
the driver's events; marker A is on the first vfio_pci_mmap event, marker B
on the last, so the A,B delta reads how long the device's story took.

The session loads this project's KernelShark plugin (tracing/kshark/: each
device's state as coloured bands, zaps and refused faults marked, readable
list text): --plugin SO, by default the one built in build/trace/kshark/ or
else the installed one (the vfio-pci-mmap-trace-plugins package), if any.

KernelShark checks the trace file's modification time against the session
(and a plugin's against its entry):
write the session after the trace is final, next to it, and do not copy the
trace afterwards (regenerate the session instead).
"""

import argparse
import json
import os
import sys

sys.dont_write_bytecode = True    # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vpmtrace  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGIN_NAME = "vfio_pci_mmap"
PLUGIN_FILE = "plugin-%s.so" % PLUGIN_NAME
PLUGIN_PLACES = [
    os.path.join(HERE, "..", "build", "trace", "kshark", PLUGIN_FILE),
    os.path.join("/usr/lib/x86_64-linux-gnu/kernelshark/plugins", PLUGIN_FILE),
]

SHOWN = ["vfio_pci_mmap/" + e for e in vpmtrace.VPM_EVENTS] + [
    "ftrace/print",
    "rpm/rpm_status",
    "signal/signal_generate",
    "sched/sched_process_fork",
    "sched/sched_process_exit",
]


def session(path, events, args):
    data = os.path.abspath(path)
    vpm = [e for e in events if e.is_vpm() and
           (not args.dev or e.dev == args.dev)]
    if not vpm:
        raise SystemExit("%s: no vfio_pci_mmap events%s" %
                         (path, " of " + args.dev if args.dev else ""))
    cpus = sorted({e.cpu for e in events})
    pids = []
    for e in vpm:
        if e.pid not in pids:
            pids.append(e.pid)
    t0 = int(round(vpm[0].ts * 1e9))
    t1 = int(round(vpm[-1].ts * 1e9))
    margin = max((t1 - t0) // 20, 1000)
    # Rows are the entries of the file in time order (trace-cmd report's).
    rows = {id(e): i for i, e in enumerate(events)}
    width, height = (int(x) for x in args.size.split("x"))
    registered = [["missed_events", True]]
    user_plugins = []
    if args.plugin:
        so = os.path.realpath(args.plugin)
        registered.append([PLUGIN_NAME, True])
        user_plugins.append({"name": PLUGIN_NAME, "file": so,
                             "time": int(os.stat(so).st_mtime)})
    filters = {"type": "kshark.config.filter", "filter mask": 7}
    if not args.all_events:
        filters["show event filter"] = SHOWN
    if args.dev:
        filters["adv event filter"] = [{
            "name": "vfio_pci_mmap",
            "condition": 'dev == "%s"' % args.dev,
        }]
    return {
        "type": "kshark.config.session",
        "MainWindow": [width, height],
        "Splitter": [int(height * 0.45), int(height * 0.45)],
        "Model": {
            "type": "kshark.config.model",
            "range": [t0 - margin, t1 + margin],
            "bins": max(width - 120, 200),
        },
        "data streams": [{
            "type": "kshark.config.stream",
            "stream id": 0,
            "data": {
                "type": "kshark.config.data",
                "file": data,
                "name": "top buffer",
                "time": int(os.stat(data).st_mtime),
            },
            "filters": filters,
            "plugins": {
                "type": "kshark.config.plugins",
                # sched_events needs sched_switch, which is not recorded.
                "registered": registered,
            },
            "CPUPlots": cpus,
            "TaskPlots": pids,
        }],
        "ComboPlots": [],
        "Markers": {
            "type": "kshark.config.markers",
            "markA": {"isSet": True, "row": rows[id(vpm[0])]},
            "markB": {"isSet": True, "row": rows[id(vpm[-1])]},
            "Active": "B",
        },
        "ViewTop": rows[id(vpm[0])],
        "ColorScheme": 0.75,
        "User Plugins": {"type": "kshark.config.plugins",
                         "obj. files": user_plugins},
    }


def main():
    p = argparse.ArgumentParser(
        description="KernelShark session for a vfio-pci-mmap trace",
        epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--output", help="default: TRACE.DAT's name + "
                   "-session.json (or -BDF-session.json with --dev)")
    p.add_argument("--dev", help="one device (BDF)")
    p.add_argument("--all-events", action="store_true")
    p.add_argument("--size", default="1500x950", help="window, WxH")
    p.add_argument("--plugin", help="the KernelShark plugin to load "
                   "(default: the built or installed " + PLUGIN_FILE + ")")
    p.add_argument("--no-plugin", action="store_true",
                   help="load no plugin of this project")
    p.add_argument("trace", help="trace.dat")
    args = p.parse_args()
    if args.no_plugin:
        args.plugin = None
    elif not args.plugin:
        args.plugin = next((f for f in PLUGIN_PLACES if os.path.isfile(f)),
                           None)
    elif not os.path.isfile(args.plugin):
        p.error("no plugin " + args.plugin)
    events, _ = vpmtrace.load(args.trace)
    doc = session(args.trace, events, args)
    out = args.output or "%s%s-session.json" % (
        os.path.splitext(args.trace)[0],
        "-" + args.dev.replace(":", "_") if args.dev else "")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
