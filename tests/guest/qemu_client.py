#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A real VMM as the device's client: QEMU with a vfio-pci device, driven
through the qtest protocol instead of a nested guest.

    qemu_client.py --bdf BDF [--seconds N] [--ready-file F] [--stop-file F]
                   [--addr ADDR] [--slot N] [--qemu PATH] [--emulated]

Starts

    qemu-system-x86_64 -machine q35 -accel qtest -qtest stdio -qtest-log
        /dev/null -display none -nodefaults -m 128
        -device vfio-pci,host=BDF,addr=SLOT

(a QEMU built without the qtest accelerator, as Debian's is, gets
"-accel tcg,tb-size=16 -S" instead: the qtest server works with any
accelerator, and with the vCPUs stopped no guest code ever runs)

then, over qtest on QEMU's stdin/stdout, programs the vfio-pci device's PCI
config through ports 0xcf8/0xcfc (BAR0 at ADDR, memory decoding on) and
reads edu's identification register (BAR0 offset 0, 0x010000ed) with
"readl ADDR" in a loop, for SECONDS or until STOP-FILE exists or QEMU dies.
Each read reaches the device as a nested guest's MMIO would: QEMU backs
BAR0 with its mmap of the vfio region (a RAM-device memory region) and
loads from it.  An access the driver refuses with SIGBUS kills QEMU.

--ready-file is created once the BAR is programmed and the first read
returned the identification, so a caller can start resetting then.
--emulated uses QEMU's own edu device instead of vfio-pci (no BDF needed):
a check of the client itself, on any machine with QEMU.

Prints the QEMU pid, the number of reads, how many returned 0x010000ed,
the other values seen, and, if QEMU died, its exit status or signal.

Exit status:
  0   QEMU survived and every read returned 0x010000ed
  1   QEMU survived but some read returned something else
  2   QEMU died (exit status or signal printed: "qemu-died: signal 7 SIGBUS")
  3   setup failed (QEMU did not start, or the BAR could not be programmed)
  4   a read got no reply within --reply-timeout (QEMU stuck)
  77  cannot run here (no QEMU binary)
"""

import argparse
import collections
import os
import select
import shutil
import signal
import subprocess
import sys
import time

EDU_ID = 0x010000ED
EDU_VENDOR_DEVICE = 0x11E81234
EXIT_OK, EXIT_WRONG, EXIT_DIED, EXIT_SETUP, EXIT_HUNG, EXIT_SKIP = 0, 1, 2, 3, 4, 77


def say(msg):
    print(msg, flush=True)


class QemuDied(Exception):
    pass


class Qtest:
    """One QEMU under -accel qtest, commands on its stdin, replies on stdout."""

    def __init__(self, argv, reply_timeout):
        self.reply_timeout = reply_timeout
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, bufsize=0)
        self.buf = b""

    def _line(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply from QEMU in %.0f s" % timeout)
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if not r:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                raise QemuDied()
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace").strip()

    def cmd(self, text, timeout=None):
        try:
            self.proc.stdin.write(text.encode() + b"\n")
        except (BrokenPipeError, ConnectionResetError):
            raise QemuDied() from None
        while True:
            line = self._line(timeout or self.reply_timeout)
            # Asynchronous notifications (IRQ raise/lower with irq_intercept)
            # are not replies.
            if line.startswith("IRQ"):
                continue
            if not line.startswith("OK"):
                raise RuntimeError("qtest '%s' answered '%s'" % (text, line))
            return line[2:].strip()

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            if self.wait(10) is None:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def cfg_addr(slot, reg):
    return 0x80000000 | (slot << 11) | (reg & 0xFC)


def describe_exit(rc):
    if rc is None:
        return "still running"
    if rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = "?"
        return "signal %d %s" % (-rc, name)
    return "exit status %d" % rc


def program_bar(q, slot, addr):
    """BAR0 at addr, memory decoding on; returns the vendor:device dword."""
    q.cmd("outl 0xcf8 0x%08x" % cfg_addr(slot, 0x00))
    id_ = int(q.cmd("inl 0xcfc"), 16)
    q.cmd("outl 0xcf8 0x%08x" % cfg_addr(slot, 0x10))
    q.cmd("outl 0xcfc 0xffffffff")
    size_mask = int(q.cmd("inl 0xcfc"), 16)
    q.cmd("outl 0xcfc 0x%08x" % addr)
    bar = int(q.cmd("inl 0xcfc"), 16)
    q.cmd("outl 0xcf8 0x%08x" % cfg_addr(slot, 0x04))
    cmd = int(q.cmd("inl 0xcfc"), 16) & 0xFFFF
    q.cmd("outl 0xcfc 0x%08x" % (cmd | 0x2))  # PCI_COMMAND_MEMORY
    cmd = int(q.cmd("inl 0xcfc"), 16) & 0xFFFF
    say("pci: id 0x%08x, BAR0 size mask 0x%08x, BAR0 0x%08x, command 0x%04x"
        % (id_, size_mask, bar, cmd))
    if (bar & ~0xF) != addr or not cmd & 0x2:
        raise RuntimeError("BAR0 did not take 0x%08x (reads 0x%08x, command 0x%04x)"
                           % (addr, bar, cmd))
    return id_


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bdf", default=os.environ.get("EDU_BDF"))
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--ready-file")
    ap.add_argument("--stop-file")
    ap.add_argument("--addr", type=lambda s: int(s, 0), default=0xFE000000)
    ap.add_argument("--slot", type=int, default=3)
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--emulated", action="store_true")
    ap.add_argument("--reply-timeout", type=float, default=60,
                    help="seconds to wait for one qtest reply (a read that"
                    " blocks in a reset window waits that long at most)")
    args = ap.parse_args()

    qemu = shutil.which(args.qemu)
    if not qemu:
        say("no %s: cannot run here" % args.qemu)
        return EXIT_SKIP
    if args.emulated:
        dev = "edu,addr=0x%x" % args.slot
    elif not args.bdf:
        say("no device: --bdf BDF or EDU_BDF")
        return EXIT_SETUP
    else:
        dev = "vfio-pci,host=%s,addr=0x%x" % (args.bdf, args.slot)
    accels = subprocess.run([qemu, "-accel", "help"], capture_output=True,
                            text=True).stdout.split()
    accel = ["-accel", "qtest"] if "qtest" in accels else \
        ["-accel", "tcg,tb-size=16", "-S"]
    argv = [qemu, "-machine", "q35"] + accel + [
        "-qtest", "stdio", "-qtest-log", "/dev/null", "-display", "none",
        "-nodefaults", "-m", "128", "-device", dev]
    say("starting: %s" % " ".join(argv))

    t0 = time.monotonic()
    q = Qtest(argv, args.reply_timeout)
    say("qemu-pid: %d" % q.proc.pid)
    try:
        # The first reply comes once the machine is up (QEMU answers only
        # after it read the command, once its main loop runs).
        id_ = program_bar(q, args.slot, args.addr)
        if id_ != EDU_VENDOR_DEVICE:
            raise RuntimeError("slot %d holds 0x%08x, not edu" % (args.slot, id_))
        first = int(q.cmd("readl 0x%x" % args.addr), 16)
        if first != EDU_ID:
            raise RuntimeError("first read of BAR0 returned 0x%08x" % first)
    except QemuDied:
        rc = q.wait(10)
        say("setup: QEMU died before the read loop (%s)" % describe_exit(rc))
        return EXIT_SETUP
    except (RuntimeError, TimeoutError, ValueError) as e:
        say("setup: %s" % e)
        say("qemu: %s" % describe_exit(q.stop()))
        return EXIT_SETUP
    say("ready after %.1f s: BAR0 at 0x%08x reads 0x%08x" %
        (time.monotonic() - t0, args.addr, first))
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write("%d\n" % q.proc.pid)

    reads, good = 1, 1
    other = collections.Counter()
    died = hung = False
    slowest = 0.0
    t1 = time.monotonic()
    deadline = t1 + args.seconds
    cmd = "readl 0x%x" % args.addr
    try:
        while time.monotonic() < deadline:
            if args.stop_file and reads % 64 == 0 and os.path.exists(args.stop_file):
                break
            r0 = time.monotonic()
            v = int(q.cmd(cmd), 16)
            slowest = max(slowest, time.monotonic() - r0)
            reads += 1
            if v == EDU_ID:
                good += 1
            else:
                other[v] += 1
    except QemuDied:
        died = True
    except TimeoutError as e:
        say("read %d: %s" % (reads + 1, e))
        hung = True
    elapsed = time.monotonic() - t1

    rc = q.wait(10) if died else q.stop()
    say("reads: %d in %.1f s, slowest %.1f ms" % (reads, elapsed, slowest * 1e3))
    say("reads-correct: %d" % good)
    say("reads-other: %d%s" % (sum(other.values()), "".join(
        " 0x%08x*%d" % kv for kv in sorted(other.items()))))
    if died:
        say("qemu-died: %s" % describe_exit(rc))
        return EXIT_DIED
    say("qemu-survived: stopped by the client (%s)" % describe_exit(rc))
    if hung:
        return EXIT_HUNG
    return EXIT_WRONG if other else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
