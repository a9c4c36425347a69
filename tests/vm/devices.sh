# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# The test VM's devices (tests/vm/run.sh --devices, the default list).
# Sourced by run.sh: each vm_device line puts one device alone behind its
# own PCIe root port at 00:SLOT.0 (see vm_device in run.sh).  Only edu2's
# port has hotplug: it is the hot-unplug victim (--hotplug).  A list that
# sources this one may set edu2_hotplug=off first.

vm_device EDU_BDF 10 1234:11e8 hotplug=off edu,id=edu
vm_device IVSHMEM_BDF 11 1af4:1110 hotplug=off,pref64-reserve=2G \
	ivshmem-plain,id=ivshmem,memdev=shm \
	-object memory-backend-ram,id=shm,size=1G,share=on
vm_device NVME_BDF 12 1b36:0010 hotplug=off \
	nvme,id=nvme,serial=vpm-nvme,drive=nvm \
	-drive if=none,id=nvm,file=null-co://,format=raw
vm_device EDU2_BDF 13 1234:11e8 "hotplug=${edu2_hotplug:-on}" edu,id=edu2
