/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The vma layer: every vma that maps a region of the device, whatever the
 * region, goes through one vm_operations_struct (vma.c), which tracks the
 * vma, counts and traces its faults, and hands each fault to the region
 * kind the vma maps: a struct vpm_region_ops, chosen once at mmap.
 *
 * A region kind is one file and one entry in vma.c's table: BARs
 * (bar_mmap.c) and the fault ring (ring/region.c) today.  Zapping is not a
 * region op: a zap is one unmap_mapping_range() over the device file's
 * address space (zap.c).
 */
#ifndef VFIO_PCI_MMAP_VMA_H
#define VFIO_PCI_MMAP_VMA_H

#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/vfio_pci_core.h>
#include <linux/xarray.h>
#include "names.h"

struct vpm_device;
struct vpm_mapping;

/**
 * struct vpm_fault_info - what a region's fault tells the vma layer
 * @offset: byte offset in the region of the (aligned) faulting page
 * @pfn: the pfn mapped, 0 if none
 * @access: the decision the region took
 * @refused: the state a refusal is recorded with in the fault ring, or
 *	VPM_STATE_NR for a region whose refusals are not recorded
 * @traced: false for a huge fault that falls back before any decision
 *	(the mm retries at the next order): not traced
 */
struct vpm_fault_info {
	u64 offset;
	unsigned long pfn;
	enum vpm_access access;
	enum vpm_state refused;
	bool traced;
};

/**
 * struct vpm_region_ops - one kind of region the device file maps
 * @owns: whether region @index of the device is of this kind
 * @mmap: check a new vma and set its flags and protection; nothing is
 *	mapped, nothing may fail after it returns 0 (the vma layer tracks
 *	the vma next)
 * @fault: serve a fault of @order (0, PMD_ORDER, PUD_ORDER); return
 *	VM_FAULT_FALLBACK for an order the region does not map
 * @mprotect: optional, ->mprotect of a vma of this kind
 * @rw: read() or write() of the region through the device fd
 * @revoke: optional, called by ->request after the device is revoked and
 *	its address space zapped, with no lock held
 */
struct vpm_region_ops {
	bool (*owns)(struct vpm_device *vpm, u32 index);
	int (*mmap)(struct vpm_device *vpm, struct vm_area_struct *vma);
	vm_fault_t (*fault)(struct vpm_mapping *m, struct vm_fault *vmf,
			    unsigned int order, struct vpm_fault_info *info);
	void (*mprotect)(struct vpm_mapping *m, unsigned long start,
			 unsigned long end, unsigned long newflags);
	ssize_t (*rw)(struct vpm_device *vpm, char __user *buf, size_t count,
		      loff_t *ppos, bool iswrite);
	void (*revoke)(struct vpm_device *vpm);
};

extern const struct vpm_region_ops vpm_bar_region_ops;
extern const struct vpm_region_ops vpm_ring_region_ops;

/**
 * struct vpm_mapping - one tracked vma
 * @link: entry in vpm_tracker.list.
 * @vpm: the device this vma maps.
 * @ops: the region kind it maps, chosen once by vpm_mmap().
 * @vma: the vma (identity only; valid until ->close removes the entry).
 * @mm: the address space owning @vma, the key of the list.
 * @faults: faults served for this vma: a statistic, counted without an
 *	atomic (threads faulting the vma at the same instant may count once).
 * @region: region index the vma maps.
 * @populated: set by a successful fault, cleared by a zap.
 * @ones: the private all-ones pages this vma mapped once revoked, by page
 *	offset in the region (ones.c); the device owns the pages.
 *
 * The vma's lifetime owns the entry: created at mmap or ->open, freed at
 * ->close.  vma->vm_private_data points here.
 */
struct vpm_mapping {
	struct list_head link;
	struct vpm_device *vpm;
	const struct vpm_region_ops *ops;
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	unsigned long faults;
	u32 region;
	bool populated;
	struct xarray ones;
};

/**
 * struct vpm_tracker - the list of every vma mapping a device
 * @lock: leaf mutex protecting @list, @count, @spare and @nr_spare.
 * @list: struct vpm_mapping entries.
 * @count: number of entries.
 * @spare: entries of closed vmas kept for the next ->open (fork, split),
 *	never more than the vmas still tracked when one is added, freed when
 *	the device is closed: a fork and its child's exit neither allocate
 *	nor free.
 * @nr_spare: number of entries on @spare.
 */
struct vpm_tracker {
	struct mutex lock; /* leaf: see the lock order above */
	struct list_head list;
	unsigned int count;
	struct list_head spare;
	unsigned int nr_spare;
};

/*
 * A vma of the device file encodes the region index in the top bits of
 * vm_pgoff (VFIO_PCI_OFFSET_SHIFT) and the page offset within the region
 * below them; split and mremap keep the encoding.
 */
#define VPM_PGOFF_INDEX_SHIFT	(VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT)
#define VPM_PGOFF_MASK		((1ULL << VPM_PGOFF_INDEX_SHIFT) - 1)

/* The region index a vma of the device file maps. */
static inline u32 vpm_vma_region(struct vm_area_struct *vma)
{
	return vma->vm_pgoff >> VPM_PGOFF_INDEX_SHIFT;
}

/* The page offset of a vma's start within its region. */
static inline u64 vpm_vma_region_pgoff(struct vm_area_struct *vma)
{
	return vma->vm_pgoff & VPM_PGOFF_MASK;
}

/* vma.c */
const struct vpm_region_ops *vpm_region_of(struct vpm_device *vpm, u32 index);
int vpm_mmap(struct vpm_device *vpm, struct vm_area_struct *vma);
void vpm_regions_revoke(struct vpm_device *vpm);
void vpm_tracker_init(struct vpm_tracker *t);
void vpm_tracker_release(struct vpm_tracker *t);
struct vpm_mapping *vpm_mapping_alloc(gfp_t gfp);
void vpm_track(struct vpm_device *vpm, struct vpm_mapping *m,
	       struct vm_area_struct *vma, enum vpm_track_why why);
void vpm_vma_open(struct vm_area_struct *vma);
void vpm_vma_close(struct vm_area_struct *vma);
int vpm_vma_mremap(struct vm_area_struct *vma);
unsigned int vpm_tracker_mark_zapped(struct vpm_tracker *t,
				     enum vpm_zap_scope scope);
unsigned int vpm_tracker_count(struct vpm_tracker *t);

#endif /* VFIO_PCI_MMAP_VMA_H */
