// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vma layer: mmap of the device file, the one vm_operations_struct of
 * every vma it makes, and the tracking list.
 *
 * mmap finds the region kind of the index the vma maps once (the table
 * below), lets it check the vma, and tracks the vma.  A fault goes to the
 * region kind's ->fault; this layer counts it, records a refusal in the
 * fault ring and traces it.
 *
 * The tracking list has one entry for every vma that maps a region of the
 * device, keyed by the vma's mm.
 *
 * The vma's lifetime owns its entry.  The entry is created by ->mmap after
 * the last point that can fail, by ->open when the mm duplicates the vma
 * (fork, split, mremap copy), and released by ->close.  ->close keeps it on
 * the tracker's spare list while no more spares than tracked vmas exist,
 * and ->open takes a spare first, so a fork and its child's exit neither
 * allocate nor free; spares are freed when the device is closed.  ->open
 * cannot fail, so when no spare is left it allocates with __GFP_NOFAIL
 * (which failslab exempts) with the tracking mutex dropped: the mutex is a
 * leaf, never held across an allocation that can reclaim, a zap or a call
 * into vfio-pci-core.
 *
 * Zapping does not walk this list: unmap_mapping_range() on the device
 * file's address space reaches every vma, in every process, without taking
 * any process's mmap_lock.  The list is what the driver shows (debugfs,
 * tracepoints) and what it counts; zap marks its entries unpopulated.
 */
#include <linux/sched.h>
#include <linux/slab.h>
#include "vpm.h"
#include "fault_ring.h"
#include "vfio_pci_mmap_trace.h"
#include "exports.h"

/* Every kind of region the device file maps: one entry per kind. */
static const struct vpm_region_ops *const vpm_region_kinds[] = {
	&vpm_bar_region_ops,
	&vpm_ring_region_ops,
};

/**
 * vpm_region_of() - the kind of a region of the device
 * @vpm: the device
 * @index: the region index
 *
 * Return: the region's ops, or NULL for a region this driver leaves to
 * vfio-pci-core.
 */
const struct vpm_region_ops *vpm_region_of(struct vpm_device *vpm, u32 index)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vpm_region_kinds); i++)
		if (vpm_region_kinds[i]->owns(vpm, index))
			return vpm_region_kinds[i];
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_region_of);

/**
 * vpm_regions_revoke() - let every region kind finish a revocation
 * @vpm: the device, revoked and zapped by vpm_revoke()
 */
void vpm_regions_revoke(struct vpm_device *vpm)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vpm_region_kinds); i++)
		if (vpm_region_kinds[i]->revoke)
			vpm_region_kinds[i]->revoke(vpm);
}

/*
 * After VM_FAULT_RETRY the region has dropped the mm's lock: the vma and
 * its entry may be gone, so nothing is read from them after the call.
 */
static vm_fault_t vpm_vma_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct vpm_mapping *m = vmf->vma->vm_private_data;
	struct vpm_device *vpm = m->vpm;
	u32 region = m->region;
	struct vpm_fault_info info = {
		.access = VPM_ACCESS_SIGBUS,
		.refused = VPM_STATE_NR,
		.traced = true,
	};
	unsigned long base;
	vm_fault_t ret;

	ret = m->ops->fault(m, vmf, order, &info);
	if (ret & (VM_FAULT_NOPAGE | VM_FAULT_LOCKED)) {
		WRITE_ONCE(m->faults, READ_ONCE(m->faults) + 1);
		if (!READ_ONCE(m->populated))
			WRITE_ONCE(m->populated, true);
	} else if ((ret & VM_FAULT_SIGBUS) && info.refused != VPM_STATE_NR) {
		base = ALIGN_DOWN(vmf->address, PAGE_SIZE << order);
		atomic_long_inc(&vpm->refused);
		vpm_ring_report_refused(vpm, info.refused, region,
					info.offset + (vmf->real_address - base),
					vmf->flags & FAULT_FLAG_WRITE);
	} else if (info.access == VPM_ACCESS_BLOCK) {
		atomic_long_inc(&vpm->blocked);
	}
	if (info.traced)
		trace_vpm_fault(vpm, region, vmf->address, info.offset,
				order, info.pfn, info.access, ret);
	return ret;
}

static vm_fault_t vpm_vma_fault(struct vm_fault *vmf)
{
	return vpm_vma_huge_fault(vmf, 0);
}

static int vpm_vma_mprotect(struct vm_area_struct *vma, unsigned long start,
			    unsigned long end, unsigned long newflags)
{
	struct vpm_mapping *m = vma->vm_private_data;

	if (m->ops->mprotect)
		m->ops->mprotect(m, start, end, newflags);
	return 0;
}

static const struct vm_operations_struct vpm_vm_ops = {
	.open		= vpm_vma_open,
	.close		= vpm_vma_close,
	.mremap		= vpm_vma_mremap,
	.fault		= vpm_vma_fault,
	.mprotect	= vpm_vma_mprotect,
#ifdef CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP
	.huge_fault	= vpm_vma_huge_fault,
#endif
};

/**
 * vpm_mmap() - mmap a region of the device without populating it
 * @vpm: the device
 * @vma: the new vma; vm_pgoff encodes region index and offset
 *
 * The region's kind checks the range and sets the vma's flags; the vma is
 * then tracked, after the last point that can fail.
 *
 * Return: 0; -ENODEV once the device is revoked; -EINVAL for a region
 * that cannot be mapped; the region kind's errno.
 */
int vpm_mmap(struct vpm_device *vpm, struct vm_area_struct *vma)
{
	u32 index = vpm_vma_region(vma);
	const struct vpm_region_ops *ops = vpm_region_of(vpm, index);
	struct vpm_mapping *m = NULL;
	int ret;

	if (vpm_revoked(vpm))
		ret = -ENODEV;
	else if (!ops)
		ret = -EINVAL;
	else
		ret = ops->mmap(vpm, vma);
	if (!ret) {
		m = vpm_mapping_alloc(GFP_KERNEL);
		ret = m ? 0 : -ENOMEM;
	}
	if (!ret) {
		m->ops = ops;
		vma->vm_ops = &vpm_vm_ops;
		vpm_track(vpm, m, vma, VPM_TRACK_MMAP);
	}
	trace_vpm_mmap(vpm, index, vpm_vma_region_pgoff(vma) << PAGE_SHIFT,
		       vma->vm_end - vma->vm_start, ret);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_mmap);

/**
 * vpm_tracker_init() - initialise an empty tracking list
 * @t: the tracker
 */
void vpm_tracker_init(struct vpm_tracker *t)
{
	mutex_init(&t->lock);
	INIT_LIST_HEAD(&t->list);
	t->count = 0;
	INIT_LIST_HEAD(&t->spare);
	t->nr_spare = 0;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_tracker_init);

/**
 * vpm_tracker_release() - free the spare entries
 * @t: the tracker of a device that no vma maps any more (device closed)
 */
void vpm_tracker_release(struct vpm_tracker *t)
{
	struct vpm_mapping *m, *n;
	LIST_HEAD(spare);

	mutex_lock(&t->lock);
	list_splice_init(&t->spare, &spare);
	t->nr_spare = 0;
	mutex_unlock(&t->lock);
	list_for_each_entry_safe(m, n, &spare, link)
		kfree(m);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_tracker_release);

/* A spare entry, zeroed as vpm_mapping_alloc() returns one, or NULL. */
static struct vpm_mapping *vpm_tracker_take_spare(struct vpm_tracker *t)
{
	struct vpm_mapping *m;

	lockdep_assert_held(&t->lock);
	m = list_first_entry_or_null(&t->spare, struct vpm_mapping, link);
	if (m) {
		list_del(&m->link);
		t->nr_spare--;
		memset(m, 0, sizeof(*m));
		xa_init(&m->ones);
	}
	return m;
}

/**
 * vpm_mapping_alloc() - allocate a tracking entry
 * @gfp: allocation flags; ->open passes __GFP_NOFAIL
 *
 * Return: the zeroed entry, or NULL.
 */
struct vpm_mapping *vpm_mapping_alloc(gfp_t gfp)
{
	struct vpm_mapping *m = kzalloc(sizeof(*m), gfp);

	if (m)
		xa_init(&m->ones);
	return m;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_mapping_alloc);

/**
 * vpm_track() - link a vma's entry into its device's list
 * @vpm: the device
 * @m: an entry from vpm_mapping_alloc(); ownership passes to the vma
 * @vma: the vma, whose vm_private_data is set to @m
 * @why: how the vma came to be
 *
 * Cannot fail; call it after the last point at which ->mmap can fail.
 */
void vpm_track(struct vpm_device *vpm, struct vpm_mapping *m,
	       struct vm_area_struct *vma, enum vpm_track_why why)
{
	struct vpm_tracker *t = &vpm->tracker;
	unsigned int count;

	m->vpm = vpm;
	m->vma = vma;
	m->mm = vma->vm_mm;
	m->region = vpm_vma_region(vma);
	vma->vm_private_data = m;

	mutex_lock(&t->lock);
	list_add_tail(&m->link, &t->list);
	count = ++t->count;
	mutex_unlock(&t->lock);

	trace_vpm_vma_track(vpm, m, why, count);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_track);

/*
 * In the same mm, a split leaves the original vma covering the new one's
 * range until __split_vma() shrinks it; an mremap copy lands elsewhere.
 * Called with the tracker lock held, only when the event is traced.
 */
static enum vpm_track_why vpm_classify_open(struct vpm_tracker *t,
					    struct vm_area_struct *vma)
{
	struct vpm_mapping *m;

	lockdep_assert_held(&t->lock);
	list_for_each_entry(m, &t->list, link) {
		if (m->mm == vma->vm_mm && m->vma != vma &&
		    m->vma->vm_start <= vma->vm_start &&
		    m->vma->vm_end >= vma->vm_end)
			return VPM_TRACK_SPLIT;
	}
	return VPM_TRACK_MREMAP;
}

/**
 * vpm_vma_open() - vm_ops->open: the mm duplicated a tracked vma
 * @vma: the new vma; its vm_private_data still points at the original's
 *	entry, copied by vm_area_dup()
 *
 * A fork child inherits the parent's populated page-table entries (6.12
 * copies PFNMAP PTEs after ->open), so it is live without ever faulting:
 * it is tracked here, not at its first fault.
 */
void vpm_vma_open(struct vm_area_struct *vma)
{
	struct vpm_mapping *orig = vma->vm_private_data;
	struct vpm_device *vpm = orig->vpm;
	struct vpm_tracker *t = &vpm->tracker;
	struct vpm_mapping *m;
	enum vpm_track_why why;
	unsigned int count;

	/* A fork child gets no private page (ones.c has none, mostly). */
	if (vma->vm_mm != current->mm && READ_ONCE(vpm->ones.nr_private))
		vpm_ones_fork(vpm, orig->vma);

	mutex_lock(&t->lock);
	m = vpm_tracker_take_spare(t);
	if (!m) {
		/* Nothing is allocated under the leaf mutex. */
		mutex_unlock(&t->lock);
		m = vpm_mapping_alloc(GFP_KERNEL | __GFP_NOFAIL);
		mutex_lock(&t->lock);
	}
	m->vpm = vpm;
	m->ops = orig->ops;
	m->vma = vma;
	m->mm = vma->vm_mm;
	m->region = orig->region;
	m->populated = READ_ONCE(orig->populated);
	vma->vm_private_data = m;

	/* Split and mremap differ only to the reader of the trace. */
	if (vma->vm_mm != current->mm)
		why = VPM_TRACK_FORK;
	else if (trace_vpm_vma_track_enabled())
		why = vpm_classify_open(t, vma);
	else
		why = VPM_TRACK_SPLIT;
	list_add_tail(&m->link, &t->list);
	count = ++t->count;
	mutex_unlock(&t->lock);

	trace_vpm_vma_track(vpm, m, why, count);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_vma_open);

/**
 * vpm_vma_close() - vm_ops->close: a vma mapping the device goes away
 * @vma: the vma (munmap, exit, the old half of an mremap, a failed mmap)
 */
void vpm_vma_close(struct vm_area_struct *vma)
{
	struct vpm_mapping *m = vma->vm_private_data;
	struct vpm_device *vpm = m->vpm;
	struct vpm_tracker *t = &vpm->tracker;
	unsigned int count;

	vma->vm_private_data = NULL;
	if (!xa_empty(&m->ones))
		xa_destroy(&m->ones);

	mutex_lock(&t->lock);
	list_del(&m->link);
	count = --t->count;
	/* Traced before the entry can be reused. */
	trace_vpm_vma_untrack(vpm, m, VPM_TRACK_MMAP, count);
	if (t->nr_spare < count) {
		list_add(&m->link, &t->spare);
		t->nr_spare++;
		m = NULL;
	}
	mutex_unlock(&t->lock);
	kfree(m);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_vma_close);

/**
 * vpm_vma_mremap() - vm_ops->mremap: a tracked vma was moved
 * @vma: the vma at its new place, already tracked by vpm_vma_open()
 *
 * Return: 0, the move is allowed.
 */
int vpm_vma_mremap(struct vm_area_struct *vma)
{
	struct vpm_mapping *m = vma->vm_private_data;

	trace_vpm_vma_moved(m->vpm, m, VPM_TRACK_MREMAP,
			    vpm_tracker_count(&m->vpm->tracker));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_vma_mremap);

/**
 * vpm_tracker_mark_zapped() - note that tracked vmas were just zapped
 * @t: the tracker
 * @scope: which regions the zap covered
 *
 * Return: the number of tracked vmas the zap covered.
 */
unsigned int vpm_tracker_mark_zapped(struct vpm_tracker *t,
				     enum vpm_zap_scope scope)
{
	struct vpm_mapping *m;
	unsigned int count = 0;

	mutex_lock(&t->lock);
	list_for_each_entry(m, &t->list, link) {
		if (scope == VPM_ZAP_ALL ||
		    m->region < VFIO_PCI_ROM_REGION_INDEX) {
			WRITE_ONCE(m->populated, false);
			count++;
		}
	}
	mutex_unlock(&t->lock);
	return count;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_tracker_mark_zapped);

/**
 * vpm_tracker_count() - number of tracked vmas
 * @t: the tracker
 *
 * Return: the count at the time of the call.
 */
unsigned int vpm_tracker_count(struct vpm_tracker *t)
{
	return READ_ONCE(t->count);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_tracker_count);
