#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Open a PCI device through VFIO (type1 container, group, device fd) as a
user driver does, read the 32-bit word at BAR0 offset 0 through the device
fd, and keep everything open until killed or until stdin is closed.

    vfio_hold.py BDF [--expect HEX] [--once]

Prints "held group N, BAR0[0]=0x..." (flushed) once the device is open:
the caller waits for that line.  --expect: exit 1 if the word read is not
HEX (edu: 0x010000ed).  --once: close everything and exit after the read.
Any failing step exits 1, naming the step and the errno (e.g.
"open /dev/vfio/3: EBUSY").
"""

import ctypes
import errno
import os
import struct
import sys

VFIO_TYPE = ord(';')
VFIO_BASE = 100


def _io(nr):
    return (VFIO_TYPE << 8) | (VFIO_BASE + nr)


VFIO_GET_API_VERSION = _io(0)
VFIO_SET_IOMMU = _io(2)
VFIO_GROUP_GET_STATUS = _io(3)
VFIO_GROUP_SET_CONTAINER = _io(4)
VFIO_GROUP_GET_DEVICE_FD = _io(6)
VFIO_DEVICE_GET_REGION_INFO = _io(8)
VFIO_TYPE1v2_IOMMU = 3
VFIO_GROUP_FLAGS_VIABLE = 1

libc = ctypes.CDLL(None, use_errno=True)
libc.ioctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p)


def fail(step, err):
    print(f"{step}: {errno.errorcode.get(err, str(err))} ({os.strerror(err)})",
          flush=True)
    sys.exit(1)


def ioctl(fd, req, arg, step):
    ret = libc.ioctl(fd, req, arg)
    if ret < 0:
        fail(step, ctypes.get_errno())
    return ret


def open_or_fail(path, flags):
    try:
        return os.open(path, flags)
    except OSError as e:
        fail(f"open {path}", e.errno)


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    bdf = args[0]
    expect = None
    once = "--once" in args
    if "--expect" in args:
        expect = int(args[args.index("--expect") + 1], 16)

    link = f"/sys/bus/pci/devices/{bdf}/iommu_group"
    try:
        group = os.path.basename(os.readlink(link))
    except OSError as e:
        fail(f"readlink {link}", e.errno)

    container = open_or_fail("/dev/vfio/vfio", os.O_RDWR)
    ioctl(container, VFIO_GET_API_VERSION, None, "VFIO_GET_API_VERSION")
    gfd = open_or_fail(f"/dev/vfio/{group}", os.O_RDWR)
    status = ctypes.create_string_buffer(struct.pack("II", 8, 0))
    ioctl(gfd, VFIO_GROUP_GET_STATUS, status, "VFIO_GROUP_GET_STATUS")
    if not struct.unpack_from("II", status.raw)[1] & VFIO_GROUP_FLAGS_VIABLE:
        print(f"group {group} is not viable", flush=True)
        sys.exit(1)
    cfd = ctypes.c_int(container)
    ioctl(gfd, VFIO_GROUP_SET_CONTAINER, ctypes.byref(cfd),
          "VFIO_GROUP_SET_CONTAINER")
    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU, "VFIO_SET_IOMMU")
    name = ctypes.create_string_buffer(bdf.encode())
    dfd = ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, name, "VFIO_GROUP_GET_DEVICE_FD")

    # struct vfio_region_info: argsz flags index cap_offset size offset
    info = ctypes.create_string_buffer(struct.pack("IIIIQQ", 32, 0, 0, 0, 0, 0))
    ioctl(dfd, VFIO_DEVICE_GET_REGION_INFO, info, "VFIO_DEVICE_GET_REGION_INFO")
    offset = struct.unpack_from("IIIIQQ", info.raw)[5]
    try:
        word = struct.unpack("<I", os.pread(dfd, 4, offset))[0]
    except OSError as e:
        fail("pread BAR0", e.errno)
    print(f"held group {group}, BAR0[0]=0x{word:08x}", flush=True)
    if expect is not None and word != expect:
        print(f"expected BAR0[0]=0x{expect:08x}", flush=True)
        sys.exit(1)
    if once:
        return
    # Hold until stdin closes (or a signal ends the process).
    while sys.stdin.read(1):
        pass
    # Read again before closing.  Informative only: an unbind waiting for
    # this user may have revoked the device's regions meanwhile.
    try:
        word = struct.unpack("<I", os.pread(dfd, 4, offset))[0]
        print(f"released, BAR0[0]=0x{word:08x}", flush=True)
    except OSError as e:
        print(f"released, BAR0 read: {errno.errorcode.get(e.errno, e.errno)}",
              flush=True)


if __name__ == "__main__":
    main()
