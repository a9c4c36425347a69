/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fault ring region: interface between the ring and the rest of the
 * driver.  See fault_ring.c and docs/fault-ring.rst.
 */
#ifndef VFIO_PCI_MMAP_FAULT_RING_H
#define VFIO_PCI_MMAP_FAULT_RING_H

#include <linux/types.h>

struct vpm_device;
struct vm_area_struct;

int vpm_ring_open(struct vpm_device *vpm);
void vpm_ring_close(struct vpm_device *vpm);
int vpm_ring_mmap(struct vpm_device *vpm, struct vm_area_struct *vma);
long vpm_ring_ioctl(struct vpm_device *vpm, unsigned int cmd,
		    unsigned long arg, bool *handled);
void vpm_ring_report_refused(struct vpm_device *vpm, u32 region, u64 offset,
			     bool write);
void vpm_ring_report_reset(struct vpm_device *vpm);

#endif /* VFIO_PCI_MMAP_FAULT_RING_H */
