# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Two NICs for tests/guest/dpdk-suite.sh (tests/vm/run.sh --devices
# tests/vm/devices-nic.sh), each alone behind its own PCIe root port, on one
# QEMU hub (hubid 0) so that what one sends the other receives:
#
#   E1000E_BDF      e1000e (8086:10d3), MSI-X in BAR3; DPDK's net_e1000_em
#   VIRTIO_NET_BDF  virtio-net-pci, modern only (1af4:1041), with
#                   iommu_platform=on: its DMA goes through the vIOMMU, as
#                   DPDK's net_virtio over VFIO needs
#
# No hotplug on either port.

vm_device E1000E_BDF 10 8086:10d3 hotplug=off \
	e1000e,id=e1000e,netdev=hub0e,mac=52:54:00:00:10:01 \
	-netdev hubport,hubid=0,id=hub0e
vm_device VIRTIO_NET_BDF 11 1af4:1041 hotplug=off \
	virtio-net-pci,id=virtio-net,netdev=hub0v,mac=52:54:00:00:11:01,disable-legacy=on,iommu_platform=on \
	-netdev hubport,hubid=0,id=hub0v
