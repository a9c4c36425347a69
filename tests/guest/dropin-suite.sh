#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The drop-in build (module vfio-pci from the same sources, dropin.h): its
# name, vfio-pci's module parameters, QEMU assigning a device through it,
# and the refusal to load next to the kernel's own vfio-pci.
#
#   tests/vm/run.sh tests/guest/dropin-suite.sh [ONLY=a,b]

. "$REPO/tests/guest/lib.sh"

DROPIN=${VPM_MODULE%/*}/vfio-pci.ko
SYS=/sys/bus/pci/devices
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

if [ ! -f "$DROPIN" ]; then
	vpm_skip dropin/all "no $DROPIN (built with VPM_DROPIN=1)"
	exit 0
fi

# Free edu from vfio-pci-mmap, and vfio-pci-mmap from the kernel: the two
# builds export the same tracepoints and debugfs directory.
vpm_unbind "$EDU_BDF"
rmmod vfio_pci_mmap 2>/dev/null

# ids=: edu bound by id at load; malformed entries skipped with vfio-pci's
# warning, and the module loads.
load_with_ids() {
	local drv
	dmesg -C
	insmod "$DROPIN" ids=1234:11e8,zz:yy,1234 || return 1
	drv=$(basename "$(readlink "$SYS/$EDU_BDF/driver")")
	echo "edu's driver: $drv"
	[ "$drv" = vfio-pci ] || return 1
	dmesg | grep -q 'vfio_pci: invalid id string "zz:yy"' || return 1
	dmesg | grep -q 'vfio_pci: invalid id string "1234"' || return 1
	dmesg | grep -q 'vfio_pci: add \[1234:11e8' || return 1
}
vpm_run dropin/ids load_with_ids

# vfio-pci's parameters, with the same permissions; ours beside them.
params() {
	local p
	for p in nointxmask disable_idle_d3 enable_sriov disable_denylist \
		 disable_vga policy_resetting revoke msix_mappable; do
		[ -e "/sys/module/vfio_pci/parameters/$p" ] ||
			{ echo "no parameter $p"; return 1; }
	done
	[ "$(cat /sys/module/vfio_pci/parameters/disable_denylist)" = N ]
}
vpm_run dropin/params params

# The device is this driver's: its debugfs lists a user's mapping.
maps() {
	"$REPO/build/user/mmap_lazy_fault" --driver vfio-pci --bdf "$EDU_BDF" >/dev/null 2>&1
	[ -e "/sys/kernel/debug/vfio-pci-mmap/$EDU_BDF/mappings" ] &&
		[ -e "/sys/kernel/debug/vfio-pci-mmap/$EDU_BDF/policy" ]
}
vpm_build dropin/build tests/user "$REPO/build/user" || exit 1
vpm_run dropin/debugfs maps

# QEMU assigns the device as it does with the kernel's vfio-pci: it reads
# edu's identification register through its mapping of BAR0.
vpm_run_for dropin/qemu 120 python3 "$REPO/tests/guest/qemu_client.py" \
	--bdf "$EDU_BDF" --seconds 3

# Next to the kernel's vfio-pci: the module name is taken, nothing loads.
beside_in_tree() {
	local err
	vpm_unbind "$EDU_BDF"
	rmmod vfio_pci || return 1
	modprobe vfio-pci || return 1
	if err=$(insmod "$DROPIN" 2>&1); then
		echo "insmod succeeded next to the kernel's vfio-pci"
		return 1
	fi
	echo "insmod: $err"
	echo "$err" | grep -q 'File exists' || return 1
	[ ! -e /sys/kernel/debug/vfio-pci-mmap ] || return 1
	rmmod vfio_pci
}
vpm_run dropin/beside-in-tree beside_in_tree

vpm_unbind "$EDU_BDF"
rmmod vfio_pci 2>/dev/null
insmod "$VPM_MODULE" 2>/dev/null
exit 0
