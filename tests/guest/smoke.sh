#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Smoke test: vfio-pci-mmap binds to and unbinds from a device, exposes a
# VFIO group for it, and binding a device that is already bound fails with
# a clear errno instead of taking it over.

. "$REPO/tests/guest/lib.sh"

bound_to() {
	local d
	d=$(vpm_driver "$1")
	echo "$1: driver '$d'"
	[ "$d" = "$2" ]
}

group_node_exists() {
	local g
	g=$(vpm_group "$1") || return 1
	echo "/dev/vfio/$g"
	[ -c "/dev/vfio/$g" ]
}

# write VALUE to FILE must fail with ERRNO_TEXT.
write_fails_with() {
	local file=$1 value=$2 want=$3 err
	if err=$(vpm_write "$file" "$value"); then
		echo "writing $value to $file succeeded; expected: $want"
		return 1
	fi
	echo "writing $value to $file: $err"
	[ "$err" = "$want" ]
}

vpm_run bind-edu vpm_bind "$EDU_BDF" vfio-pci-mmap
vpm_run edu-driver-link bound_to "$EDU_BDF" vfio-pci-mmap
vpm_run edu-group-node group_node_exists "$EDU_BDF"
vpm_run rebind-bound-edu-is-ebusy \
	write_fails_with /sys/bus/pci/drivers/vfio-pci-mmap/bind "$EDU_BDF" \
	"Device or resource busy"

# nvme, bound to the nvme driver, is a device in use (no udev in the VM:
# load the driver by hand; the debug kernel may not have it).
if modprobe nvme 2>/dev/null || [ -d /sys/bus/pci/drivers/nvme ]; then
	vpm_run nvme-bound-to-nvme bound_to "$NVME_BDF" nvme
	# vfio-pci-mmap has no device ids: without driver_override it matches
	# nothing.
	vpm_run bind-without-override-is-enodev \
		write_fails_with /sys/bus/pci/drivers/vfio-pci-mmap/bind "$NVME_BDF" \
		"No such device"
	# With the override, the device is still taken by nvme.
	vpm_write "/sys/bus/pci/devices/$NVME_BDF/driver_override" vfio-pci-mmap
	vpm_run bind-in-use-nvme-is-ebusy \
		write_fails_with /sys/bus/pci/drivers/vfio-pci-mmap/bind "$NVME_BDF" \
		"Device or resource busy"
	vpm_write "/sys/bus/pci/devices/$NVME_BDF/driver_override" ""
	vpm_run nvme-still-bound-to-nvme bound_to "$NVME_BDF" nvme
else
	vpm_skip nvme-in-use "no nvme driver in this kernel"
fi

vpm_run unbind-edu vpm_unbind "$EDU_BDF"
vpm_run edu-unbound bound_to "$EDU_BDF" ""

# The stock driver binds the same way (the comparison tests rely on it).
vpm_run bind-edu-vfio-pci vpm_bind "$EDU_BDF" vfio-pci
vpm_run unbind-edu-vfio-pci vpm_unbind "$EDU_BDF"

# Hot-unplug of a bound device nobody uses: the driver lets go at once and
# the device leaves the bus (with pciehp: after its 5 s button delay).
vpm_run bind-edu2 vpm_bind "$EDU2_BDF" vfio-pci-mmap
vpm_run unplug-bound-edu2 vpm_unplug edu2 30
