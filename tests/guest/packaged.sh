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
#
# With the argument DROPIN=1, the same for the drop-in build as its package
# vfio-pci-mmap-dropin-dkms installed it: driverctl set-override EDU_BDF
# vfio-pci must load it (module vfio_pci, from updates/dkms, with this
# driver's parameters), not the kernel's vfio-pci.

. "$REPO/tests/guest/lib.sh"
vpm_args packaged.sh DROPIN -- "$@"

if [ "${DROPIN:-0}" = 1 ]; then
	ko=$(modinfo -n vfio-pci 2>&1)
	case "$ko" in
	*/updates/dkms/vfio-pci.ko*) vpm_result PASS packaged/dropin-installed-by-dkms "$ko" ;;
	*) vpm_result FAIL packaged/dropin-installed-by-dkms "modinfo -n vfio-pci: $ko"; exit 1 ;;
	esac
	# run.sh loaded no module, guest-main.sh only vfio-pci-core: nothing
	# named vfio_pci yet.
	if [ -d /sys/module/vfio_pci ]; then
		vpm_result FAIL packaged/dropin-not-loaded-yet "vfio_pci loaded before driverctl ran"
		exit 1
	fi
	vpm_run packaged/dropin-driverctl-set-override driverctl -v set-override "$EDU_BDF" vfio-pci || exit 1
	drv=$(vpm_driver "$EDU_BDF")
	loaded_from=$(modprobe --show-depends vfio-pci 2>&1 | sed -n 's/^insmod \([^ ]*\/vfio-pci\.ko[^ ]*\).*/\1/p')
	if [ "$drv" = vfio-pci ] && [ "$loaded_from" = "$ko" ] &&
	   [ -e /sys/module/vfio_pci/parameters/policy_resetting ]; then
		vpm_result PASS packaged/dropin-bound-by-driverctl "$EDU_BDF -> $drv, module vfio_pci from $loaded_from (has policy_resetting)"
	else
		vpm_result FAIL packaged/dropin-bound-by-driverctl "$EDU_BDF -> '${drv:-nothing}', modprobe resolves '$loaded_from', policy_resetting: $(ls /sys/module/vfio_pci/parameters 2>&1 | tr '\n' ' ')"
		exit 1
	fi
	vpm_run packaged/dropin-vpm-demo "$REPO/build/vpm-demo" "$EDU_BDF"
	vpm_run packaged/dropin-driverctl-unset-override driverctl -v --noprobe unset-override "$EDU_BDF"
	vpm_run packaged/dropin-unload modprobe -r vfio-pci
	exit 0
fi

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
# The module driverctl's modprobe loaded is the one dkms installed: the one
# modprobe resolves (modules.dep), and no other is there to resolve.
loaded_from=$(modprobe --show-depends vfio-pci-mmap 2>&1 | sed -n 's/^insmod \([^ ]*vfio-pci-mmap\.ko[^ ]*\).*/\1/p')
others=$(find "/lib/modules/$(uname -r)" -name 'vfio-pci-mmap.ko*' ! -path '*/updates/dkms/*')
if [ -d /sys/module/vfio_pci_mmap ] && [ "$loaded_from" = "$ko" ] && [ -z "$others" ]; then
	vpm_result PASS packaged/loaded-from-dkms "$loaded_from"
else
	vpm_result FAIL packaged/loaded-from-dkms "loaded: $([ -d /sys/module/vfio_pci_mmap ] && echo yes || echo no), modprobe resolves '$loaded_from', others: '$others'"
fi
vpm_say "driverctl list-overrides: $(driverctl list-overrides 2>&1 | tr '\n' ' ')"

vpm_run packaged/vpm-demo "$REPO/build/vpm-demo" "$EDU_BDF"

# edu has no driver of its own: without --noprobe, driverctl reprobes and
# reports "failed to bind device ... to driver" (nothing matches it).
vpm_run packaged/driverctl-unset-override driverctl -v --noprobe unset-override "$EDU_BDF"
drv=$(vpm_driver "$EDU_BDF")
if [ "$drv" != vfio-pci-mmap ]; then
	vpm_result PASS packaged/unbound "$EDU_BDF bound to '${drv:-nothing}'"
else
	vpm_result FAIL packaged/unbound "$EDU_BDF still bound to vfio-pci-mmap"
fi
vpm_run packaged/unload modprobe -r vfio-pci-mmap
exit 0
