/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The drop-in build: the same sources built as a module named vfio-pci
 * (Kbuild, VPM_DROPIN), whose PCI driver is named "vfio-pci" and which
 * takes every module parameter of the kernel's vfio-pci, so that tools
 * that look for that name (DPDK, SPDK, dpdk-devbind.py, libvirt,
 * driverctl) and existing vfio-pci.ids= or modprobe.d configuration use
 * this driver unchanged.  dropin.c holds what only that build has; the
 * vfio-pci-mmap build gets the stubs below.
 */
#ifndef VFIO_PCI_MMAP_DROPIN_H
#define VFIO_PCI_MMAP_DROPIN_H

#include <linux/pci.h>

#ifdef VPM_DROPIN
#define VPM_DRIVER_NAME	"vfio-pci"

void vpm_dropin_init(void);
void vpm_dropin_add_ids(struct pci_driver *drv);
bool vpm_dropin_denied(struct pci_dev *pdev);
int vpm_dropin_sriov_configure(struct pci_dev *pdev, int nr_virtfn);
#else
#define VPM_DRIVER_NAME	"vfio-pci-mmap"

static inline void vpm_dropin_init(void) {}
static inline void vpm_dropin_add_ids(struct pci_driver *drv) {}
static inline bool vpm_dropin_denied(struct pci_dev *pdev) { return false; }
#define vpm_dropin_sriov_configure	NULL
#endif

#endif /* VFIO_PCI_MMAP_DROPIN_H */
