#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The demo: bind edu to vfio-pci-mmap, run build/vpm-demo on it (container,
# group, type1 IOMMU, device fd, BAR0 mmap, identification register read
# before and after VFIO_DEVICE_RESET), unbind.

. "$REPO/tests/guest/lib.sh"

demo=$REPO/build/vpm-demo
[ -x "$demo" ] || { vpm_result FAIL vpm-demo "$demo not built (make build)"; exit 1; }

vpm_say "demo: binding edu ($EDU_BDF) to vfio-pci-mmap"
vpm_run bind-edu vpm_bind "$EDU_BDF" vfio-pci-mmap || exit 1
vpm_say "demo: running vpm-demo $EDU_BDF"
vpm_run vpm-demo "$demo" "$EDU_BDF"
vpm_say "demo: unbinding edu"
vpm_run unbind-edu vpm_unbind "$EDU_BDF"
