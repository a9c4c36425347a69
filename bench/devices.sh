# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# The benchmark VM's devices (tests/vm/run.sh --devices bench/devices.sh):
# the test VM's, with no hotplug on edu2's port, and a second ivshmem, so
# that there are two identical pairs: edu and ivshmem for vfio-pci-mmap,
# edu2 and ivshmem2 for stock vfio-pci.  Both ivshmem devices are a 1 GiB
# memory-backend-ram with share=on.  The benchmark does not use nvme.

# shellcheck disable=SC2034 # read by tests/vm/devices.sh
edu2_hotplug=off
# shellcheck source=tests/vm/devices.sh
. "$VPM_REPO/tests/vm/devices.sh"
vm_device IVSHMEM2_BDF 14 1af4:1110 hotplug=off,pref64-reserve=2G \
	ivshmem-plain,id=ivshmem2,memdev=shm2 \
	-object memory-backend-ram,id=shm2,size=1G,share=on
