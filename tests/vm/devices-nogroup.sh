# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# The default devices (tests/vm/devices.sh) and NOGROUP_BDF, a pci-testdev
# (1b36:0005, which no driver of the guest claims) that the guest gives no
# IOMMU group: it sits behind a PCIe expander bridge that bypasses the
# intel-iommu (run.sh's vm_device_no_iommu), at 0000:81:00.0.  For
# tests/guest/dropin-errors-suite.sh.

# shellcheck source=tests/vm/devices.sh
. "$(dirname "${BASH_SOURCE[0]}")/devices.sh"
vm_device_no_iommu NOGROUP_BDF 128 1b36:0005 pci-testdev,id=nogroup
