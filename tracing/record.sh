#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Record a vfio-pci-mmap debugging session with trace-cmd (run as root on
# the machine whose device you debug; in this project's VM that is the
# guest).
#
#   tracing/record.sh [-o FILE] [-b KB] [--functions] [--dma] [--print]
#                     [--] [COMMAND [ARGS...]]
#
# With COMMAND: records while COMMAND runs, system-wide (every process and
# kernel thread, so the hot-unplug path in pciehp's thread is in too), and
# exits with COMMAND's exit status.  Without: records until Ctrl-C.  Writes
# FILE (default trace.dat).
#
#   -o FILE       output file
#   -b KB         per-CPU buffer size (default 8192)
#   --functions   add the function tracer on the reset, hot-unplug and
#                 vfio-pci-core request paths (a few hundred calls per event;
#                 leave it off for long sessions)
#   --dma         add iommu:map/unmap (every DMA mapping a VFIO user makes:
#                 a guest's boot makes thousands)
#   --print       print the trace-cmd command line and exit
#
# What is recorded, and why:
#   vfio_pci_mmap            every event of this driver
#   rpm                      runtime PM: suspend/resume of the device, e.g.
#                            the runtime resume in which vfio-pci-core leaves
#                            low power without telling this driver
#   power:device_pm_callback_start/end   system sleep callbacks
#   signal:signal_generate (SIGBUS only) which task got the SIGBUS of a
#                            refused access
#   sched:sched_process_fork/exit        who forked a mapping, who exited
#   iommu:add_device_to_group, remove_device_from_group,
#   attach_device_to_domain  binding, hot-plug and hot-unplug of devices
# An event (or function) the running kernel does not have is left out.
# trace_marker lines (the scenario steps, "vpm-scenario: ...") are recorded
# whatever the events: trace-cmd report shows them as "print" events.
# Debian's 6.12 kernel has no PCI or hotplug tracepoints; --functions
# covers that path.  The rpm and power events are not filtered by device:
# a glob filter on their string field ("name ~ \"0000:*\"") records nothing
# with trace-cmd 3.1.6 on 6.12; filter when reading instead (trace-cmd
# report -F 'rpm: name == "0000:01:00.0"', or tracing/timeline.py).
#
# Clock: -C mono (CLOCK_MONOTONIC, the same clock user space reads with
# clock_gettime), which orders events across CPUs.  trace-cmd report prints
# it in seconds since boot.

set -euo pipefail

out=trace.dat
buf=8192
functions=0
dma=0
print=0
while [ $# -gt 0 ]; do
	case "$1" in
	-o) out=${2:?-o takes a file}; shift 2 ;;
	-b) buf=${2:?-b takes KB}; shift 2 ;;
	--functions) functions=1; shift ;;
	--dma) dma=1; shift ;;
	--print) print=1; shift ;;
	-h|--help) sed -n '3,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	--) shift; break ;;
	-*) echo "record.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done

T=/sys/kernel/tracing
# An optional event (SYS or SYS:EVENT) is left out when the running kernel
# does not have it (a trace-cmd record naming a missing event records
# nothing).  With --print, or without tracefs, everything is listed.
have() {
	[ "$print" = 1 ] || [ ! -d "$T/events" ] || [ -d "$T/events/${1/://}" ]
}
events=()
add() {
	have "$1" && events+=(-e "$1" "${@:2}")
	return 0
}
add rpm
add power:device_pm_callback_start
add power:device_pm_callback_end
add signal:signal_generate -f 'sig == 7'
add sched:sched_process_fork
add sched:sched_process_exit
add iommu:add_device_to_group
add iommu:remove_device_from_group
add iommu:attach_device_to_domain
if [ "$dma" = 1 ]; then
	add iommu:map
	add iommu:unmap
fi
cmd=(trace-cmd record -C mono -b "$buf" -o "$out" -e vfio_pci_mmap "${events[@]}")
if [ "$functions" = 1 ]; then
	# Static ones may be inlined: only those the kernel can trace.
	funcs=()
	names=$(mktemp /tmp/record-funcs.XXXXXX)
	[ ! -r "$T/available_filter_functions" ] ||
		cut -d' ' -f1 "$T/available_filter_functions" >"$names"
	for f in vfio_pci_core_request 'vfio_pci_core_runtime_*' \
		 'vfio_pci_core_pm_*' vfio_pci_core_disable \
		 vfio_pci_core_close_device vfio_unregister_group_dev \
		 'pci_reset_function*' __pci_reset_function_locked \
		 pci_reset_bus pci_bridge_secondary_bus_reset pcie_flr \
		 pci_dev_save_and_disable pci_dev_restore pciehp_ist \
		 pciehp_unconfigure_device pci_stop_and_remove_bus_device \
		 pci_device_remove unmap_mapping_range; do
		if [ "$print" = 1 ] || [ ! -s "$names" ] ||
		   grep -qx -- "$(printf '%s' "$f" | sed 's/\*/.*/g')" "$names"; then
			funcs+=(-l "$f")
		fi
	done
	rm -f "$names"
	# Never the function tracer without a filter: that is every function.
	[ ${#funcs[@]} -eq 0 ] || cmd+=(-p function "${funcs[@]}")
fi

if [ "$print" = 1 ]; then
	printf '%q ' "${cmd[@]}"
	[ $# -eq 0 ] || printf -- '-- '
	[ $# -eq 0 ] || printf '%q ' "$@"
	echo
	exit 0
fi

[ "$(id -u)" = 0 ] || { echo "record.sh: must run as root" >&2; exit 1; }
if [ ! -e /sys/kernel/tracing/trace ]; then
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null ||
		{ echo "record.sh: no tracefs at /sys/kernel/tracing" >&2; exit 1; }
fi
[ -d /sys/kernel/tracing/events/vfio_pci_mmap ] ||
	echo "record.sh: warning: vfio_pci_mmap events absent (module not loaded?)" >&2

if [ $# -eq 0 ]; then
	exec "${cmd[@]}"
fi
# trace-cmd record exits 0 whatever the command did: keep its status.
status=$(mktemp /tmp/record-status.XXXXXX)
trap 'rm -f "$status"' EXIT
echo 127 >"$status"
"${cmd[@]}" -- /bin/sh -c '"$@"; echo $? >"$0"' "$status" "$@" || exit
exit "$(cat "$status")"
