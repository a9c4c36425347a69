#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The module as the Debian package installed it (make fresh-check): run
# with tests/vm/run.sh --no-module after 'apt-get install
# ./build/deb/vfio-pci-mmap-dkms_*.deb' and 'apt-get install driverctl'.
# Binds edu with driverctl, as users do (driverctl loads the module, which
# must be dkms's), runs the demo program on it, removes the override and
# unloads the module.  Not in 'make check' (VM_SUITES leaves it out): the
# machine it runs on must have the package installed.

. "$REPO/tests/guest/lib.sh"

ko=$(modinfo -n vfio-pci-mmap 2>&1)
case "$ko" in
*/updates/dkms/vfio-pci-mmap.ko*) vpm_result PASS packaged/installed-by-dkms "$ko" ;;
*) vpm_result FAIL packaged/installed-by-dkms "modinfo -n vfio-pci-mmap: $ko"; exit 1 ;;
esac
if [ -d /sys/module/vfio_pci_mmap ]; then
	vpm_result FAIL packaged/not-loaded-yet "loaded before driverctl ran"
	exit 1
fi
command -v driverctl >/dev/null ||
	{ vpm_result FAIL packaged/driverctl "driverctl is not installed"; exit 1; }

vpm_say "driverctl set-override $EDU_BDF vfio-pci-mmap"
vpm_run packaged/driverctl-set-override driverctl -v set-override "$EDU_BDF" vfio-pci-mmap || exit 1
drv=$(vpm_driver "$EDU_BDF")
if [ "$drv" = vfio-pci-mmap ]; then
	vpm_result PASS packaged/bound-by-driverctl "$EDU_BDF -> $drv"
else
	vpm_result FAIL packaged/bound-by-driverctl "$EDU_BDF is bound to '$drv'"
	exit 1
fi
# The module driverctl's modprobe loaded is the one dkms installed.
want=$(modinfo -F srcversion "$ko")
have=$(cat /sys/module/vfio_pci_mmap/srcversion 2>/dev/null)
if [ -n "$want" ] && [ "$want" = "$have" ]; then
	vpm_result PASS packaged/loaded-from-dkms "srcversion $have"
else
	vpm_result FAIL packaged/loaded-from-dkms "loaded srcversion '$have', $ko has '$want'"
fi
vpm_say "driverctl list-overrides: $(driverctl list-overrides 2>&1 | tr '\n' ' ')"

vpm_run packaged/vpm-demo "$REPO/build/vpm-demo" "$EDU_BDF"

vpm_run packaged/driverctl-unset-override driverctl -v unset-override "$EDU_BDF"
drv=$(vpm_driver "$EDU_BDF")
if [ "$drv" != vfio-pci-mmap ]; then
	vpm_result PASS packaged/unbound "$EDU_BDF bound to '${drv:-nothing}'"
else
	vpm_result FAIL packaged/unbound "$EDU_BDF still bound to vfio-pci-mmap"
fi
vpm_run packaged/unload modprobe -r vfio-pci-mmap
exit 0
