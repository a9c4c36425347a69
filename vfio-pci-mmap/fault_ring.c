// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fault ring region (placeholder until the ring lands): no region, no
 * records.
 */
#include <linux/errno.h>
#include "vpm.h"
#include "fault_ring.h"

int vpm_ring_open(struct vpm_device *vpm)
{
	vpm->ring_index = -1;
	return 0;
}

void vpm_ring_close(struct vpm_device *vpm)
{
}

int vpm_ring_mmap(struct vpm_device *vpm, struct vm_area_struct *vma)
{
	return -EINVAL;
}

long vpm_ring_ioctl(struct vpm_device *vpm, unsigned int cmd,
		    unsigned long arg, bool *handled)
{
	*handled = false;
	return 0;
}

void vpm_ring_report_refused(struct vpm_device *vpm, u32 region, u64 offset,
			     bool write)
{
}

void vpm_ring_report_reset(struct vpm_device *vpm)
{
}
