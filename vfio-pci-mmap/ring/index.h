/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fault ring index arithmetic: the layout of the ring region, the window
 * a consumer index must lie in, and where a free-running index lands.
 * Pure functions of their arguments; see index.c.
 */
#ifndef VFIO_PCI_MMAP_RING_INDEX_H
#define VFIO_PCI_MMAP_RING_INDEX_H

#include <linux/mm.h>
#include <linux/types.h>
#include "../../include/uapi/linux/vfio_pci_mmap.h"

#define VPM_RING_RECORD_SIZE	sizeof(struct vfio_pci_mmap_fault_record)
/* The pages of the region: header, consumer index, then the entries. */
#define VPM_RING_HDR_PAGE	0
#define VPM_RING_CONS_PAGE	1
#define VPM_RING_ENTRIES_PAGE	2
/* Records per page of entries; also the smallest ring (one page). */
#define VPM_RING_PER_PAGE	((u32)(PAGE_SIZE / VPM_RING_RECORD_SIZE))
#define VPM_RING_MIN_ENTRIES	VPM_RING_PER_PAGE
#define VPM_RING_MAX_ENTRIES	65536U

bool vpm_ring_cons_valid(u32 prod, u32 cons, u32 nr_entries);
u32 vpm_ring_space(u32 prod, u32 cons, u32 nr_entries);
size_t vpm_ring_entry_offset(u32 idx, u32 nr_entries);
u32 vpm_ring_entries_from_param(unsigned int param);
unsigned int vpm_ring_nr_pages(u32 nr_entries);
u32 vpm_ring_page_run(u32 idx, u32 left, u32 nr_entries);

#endif /* VFIO_PCI_MMAP_RING_INDEX_H */
