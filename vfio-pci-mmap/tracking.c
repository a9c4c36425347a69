// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tracking list: one entry for every vma that maps a region of the
 * device, keyed by the vma's mm.
 *
 * The vma's lifetime owns its entry.  The entry is created by ->mmap after
 * the last point that can fail, by ->open when the mm duplicates the vma
 * (fork, split, mremap copy), and freed by ->close.  ->open cannot fail, so
 * its allocation uses __GFP_NOFAIL (which failslab exempts) and is done
 * before the tracking mutex is taken: the mutex is a leaf, never held across
 * an allocation that can reclaim, a zap or a call into vfio-pci-core.
 *
 * Zapping does not walk this list: unmap_mapping_range() on the device
 * file's address space reaches every vma, in every process, without taking
 * any process's mmap_lock.  The list is what the driver shows (debugfs,
 * tracepoints) and what it counts; zap marks its entries unpopulated.
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include "vpm.h"
#include "vfio_pci_mmap_trace.h"
#include <kunit/visibility.h>

/**
 * vpm_tracker_init() - initialise an empty tracking list
 * @t: the tracker
 */
void vpm_tracker_init(struct vpm_tracker *t)
{
	mutex_init(&t->lock);
	INIT_LIST_HEAD(&t->list);
	t->count = 0;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_tracker_init);

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

	m = vpm_mapping_alloc(GFP_KERNEL | __GFP_NOFAIL);
	m->vpm = vpm;
	m->vma = vma;
	m->mm = vma->vm_mm;
	m->region = orig->region;
	m->populated = READ_ONCE(orig->populated);
	vma->vm_private_data = m;

	if (vma->vm_mm != current->mm)
		vpm_ones_fork(vpm, orig->vma);

	mutex_lock(&t->lock);
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

	mutex_lock(&t->lock);
	list_del(&m->link);
	count = --t->count;
	mutex_unlock(&t->lock);

	trace_vpm_vma_untrack(vpm, m, VPM_TRACK_MMAP, count);
	vma->vm_private_data = NULL;
	xa_destroy(&m->ones);
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

/* The process owning @mm, by scan: mm->owner exists only with MEMCG. */
static void vpm_mm_owner(struct mm_struct *mm, pid_t *pid, char *comm)
{
	struct task_struct *p;

	*pid = 0;
	strscpy(comm, "?", TASK_COMM_LEN);
	rcu_read_lock();
	for_each_process(p) {
		if (READ_ONCE(p->mm) == mm) {
			*pid = task_tgid_nr(p);
			strscpy(comm, p->comm, TASK_COMM_LEN);
			break;
		}
	}
	rcu_read_unlock();
}

/**
 * vpm_tracker_show() - print one line per tracked vma
 * @t: the tracker
 * @s: the seq_file of debugfs "mappings"
 *
 * The vma fields are read without the owning mm's mmap_lock: a line is a
 * snapshot, exact whenever no mmap/munmap/mremap runs concurrently.
 */
void vpm_tracker_show(struct vpm_tracker *t, struct seq_file *s)
{
	struct vpm_device *vpm = container_of(t, struct vpm_device, tracker);
	char comm[TASK_COMM_LEN];
	struct vpm_mapping *m;
	pid_t pid;

	mutex_lock(&t->lock);
	list_for_each_entry(m, &t->list, link) {
		vpm_mm_owner(m->mm, &pid, comm);
		seq_printf(s,
			   "pid=%d comm=%s region=%u start=0x%lx end=0x%lx pgoff=0x%llx state=%s faults=%ld\n",
			   pid, comm, m->region, READ_ONCE(m->vma->vm_start),
			   READ_ONCE(m->vma->vm_end),
			   vpm_vma_region_pgoff(m->vma),
			   vpm_revoked(vpm) ? "revoked" :
			   READ_ONCE(m->populated) ? "populated" : "empty",
			   atomic_long_read(&m->faults));
	}
	mutex_unlock(&t->lock);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_tracker_show);
