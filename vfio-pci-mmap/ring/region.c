// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fault ring's VFIO region: read() of the header, the consumer page
 * and the records, write() of the consumer index, the region info
 * capabilities, the release op that drops the open device's reference,
 * and the ring's region kind for the vma layer (vma.h): its mmap check and
 * its fault.  The layout is in index.h, the user's side in
 * docs/fault-ring.rst.
 *
 * read() and write() run on the device file, ->fault on a vma of it: the
 * device is open and its ring is the one published at open.  read() copies
 * to user space under ring->read_lock; see the lock order in ring.h.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/uaccess.h>
#include <linux/vfio_pci_core.h>
#include "vpm.h"
#include "fault_ring.h"
#include "ring.h"
#include "vfio_pci_mmap_trace.h"

/* Copy @n records from index @cons to @buf, one run per page. */
static u32 vpm_ring_copy_out(struct vpm_ring *ring, char __user *buf,
			     u32 cons, u32 n)
{
	u32 done = 0, run;

	while (done < n) {
		run = vpm_ring_page_run(cons + done, n - done, ring->nr_entries);
		if (copy_to_user(buf + (size_t)done * VPM_RING_RECORD_SIZE,
				 vpm_ring_slot(ring, cons + done),
				 (size_t)run * VPM_RING_RECORD_SIZE))
			break;
		done += run;
	}
	return done;
}

/* read() of the entries part: consume whole records from cons. */
static ssize_t vpm_ring_read_records(struct vpm_ring *ring, char __user *buf,
				     size_t count)
{
	unsigned long flags;
	u32 prod, cons, n, done;
	ssize_t ret;
	bool valid;

	if (count < VPM_RING_RECORD_SIZE)
		return -EINVAL;

	mutex_lock(&ring->read_lock);
	spin_lock_irqsave(&ring->lock, flags);
	prod = ring->prod;
	/* Once; acquire orders our reads of the entries after it. */
	cons = smp_load_acquire(&ring->cpage->cons);
	valid = vpm_ring_check_cons(ring, prod, cons);
	spin_unlock_irqrestore(&ring->lock, flags);
	if (!valid) {
		ret = -EINVAL;
		goto out;
	}

	/* [cons, prod) is the producer's to leave alone until cons moves. */
	n = min_t(size_t, prod - cons, count / VPM_RING_RECORD_SIZE);
	done = vpm_ring_copy_out(ring, buf, cons, n);
	if (done) {
		spin_lock_irqsave(&ring->lock, flags);
		/* The copies are done before the producer may reuse them. */
		smp_store_release(&ring->cpage->cons, cons + done);
		ring->last_cons = cons + done;
		spin_unlock_irqrestore(&ring->lock, flags);
		trace_vpm_ring_consume(ring->vpm, cons + done, done, true);
	}
	ret = done ? (ssize_t)done * VPM_RING_RECORD_SIZE : (n ? -EFAULT : 0);
out:
	mutex_unlock(&ring->read_lock);
	return ret;
}

/* write(): only the consumer index, whole, and only a valid value. */
static ssize_t vpm_ring_write_cons(struct vpm_ring *ring,
				   const char __user *buf, size_t count,
				   u64 pos)
{
	const u64 cons_pos = (u64)VPM_RING_CONS_PAGE << PAGE_SHIFT;
	unsigned long flags;
	bool valid;
	u32 v;

	if (pos != cons_pos +
		   offsetof(struct vfio_pci_mmap_ring_consumer, cons) ||
	    count != sizeof(v))
		return -EINVAL;
	if (copy_from_user(&v, buf, sizeof(v)))
		return -EFAULT;

	mutex_lock(&ring->read_lock);
	spin_lock_irqsave(&ring->lock, flags);
	valid = vpm_ring_cons_valid(ring->prod, v, ring->nr_entries);
	if (valid) /* release, as a mmap consumer stores it */
		smp_store_release(&ring->cpage->cons, v);
	spin_unlock_irqrestore(&ring->lock, flags);
	mutex_unlock(&ring->read_lock);
	return valid ? sizeof(v) : -EINVAL;
}

static ssize_t vpm_ring_rw(struct vfio_pci_core_device *vdev, char __user *buf,
			   size_t count, loff_t *ppos, bool iswrite)
{
	unsigned int i = VFIO_PCI_OFFSET_TO_INDEX(*ppos) - VFIO_PCI_NUM_REGIONS;
	struct vpm_ring *ring = vdev->region[i].data;
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	struct page *page;

	if (pos >= vpm_ring_size(ring))
		return -EINVAL;
	if (iswrite)
		return vpm_ring_write_cons(ring, buf, count, pos);
	if (pos >= (u64)VPM_RING_ENTRIES_PAGE << PAGE_SHIFT)
		return vpm_ring_read_records(ring, buf, count);

	/* The header or the consumer page: its bytes, up to its end. */
	page = ring->pages[pos >> PAGE_SHIFT];
	count = min_t(size_t, count, PAGE_SIZE - offset_in_page(pos));
	if (copy_to_user(buf, page_address(page) + offset_in_page(pos), count))
		return -EFAULT;
	*ppos += count;
	return count;
}

/*
 * vpm_ring_region_rw() - read() and write() of the fault ring region
 * @vpm: the device
 * @buf: the user's buffer
 * @count: bytes requested
 * @ppos: the file position, inside the ring's region
 * @iswrite: write rather than read
 *
 * The ring is RAM: ->read and ->write serve it here, without resuming the
 * device, which vfio_pci_rw() would do first (its
 * pm_runtime_resume_and_get()), ending a low-power entry with wakeup.
 *
 * Return: bytes done, -ENODEV once revoked, or a negative errno.
 */
static ssize_t vpm_ring_region_rw(struct vpm_device *vpm, char __user *buf,
				  size_t count, loff_t *ppos, bool iswrite)
{
	if (vpm_revoked(vpm))
		return -ENODEV;
	return vpm_ring_rw(&vpm->core, buf, count, ppos, iswrite);
}

static int vpm_ring_add_capability(struct vfio_pci_core_device *vdev,
				   struct vfio_pci_region *region,
				   struct vfio_info_cap *caps)
{
	struct vpm_ring *ring = region->data;
	struct vfio_pci_mmap_region_info_cap_fault_ring cap = {
		.header.id = VFIO_PCI_MMAP_REGION_INFO_CAP_FAULT_RING,
		.header.version = 1,
		.irq_index = VPM_RING_IRQ_INDEX,
		.page_size = PAGE_SIZE,
		.record_version = VFIO_PCI_MMAP_FAULT_RECORD_VERSION,
		.record_size = VPM_RING_RECORD_SIZE,
		.nr_entries = ring->nr_entries,
		.header_offset = (u64)VPM_RING_HDR_PAGE << PAGE_SHIFT,
		.header_size = PAGE_SIZE,
		.cons_offset = (u64)VPM_RING_CONS_PAGE << PAGE_SHIFT,
		.cons_size = PAGE_SIZE,
		.entries_offset = (u64)VPM_RING_ENTRIES_PAGE << PAGE_SHIFT,
		.entries_size = (u64)ring->nr_entries * VPM_RING_RECORD_SIZE,
	};
	struct vfio_region_info_cap_sparse_mmap *sparse;
	struct vfio_info_cap_header *hdr;

	hdr = vfio_info_cap_add(caps, struct_size(sparse, areas, 3),
				VFIO_REGION_INFO_CAP_SPARSE_MMAP, 1);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);
	sparse = container_of(hdr, struct vfio_region_info_cap_sparse_mmap,
			      header);
	sparse->nr_areas = 3;
	sparse->areas[0].offset = cap.header_offset;
	sparse->areas[0].size = cap.header_size;
	sparse->areas[1].offset = cap.cons_offset;
	sparse->areas[1].size = cap.cons_size;
	sparse->areas[2].offset = cap.entries_offset;
	sparse->areas[2].size = cap.entries_size;

	return vfio_info_add_capability(caps, &cap.header, sizeof(cap));
}

/*
 * The region's release op, from vfio_pci_core_disable(): no vma maps the
 * device any more.  Normally vpm_ring_close() has already unpublished the
 * ring; an error path of open_device may get here without it.  The open
 * device's reference is dropped after the grace period of the unpublish.
 */
static void vpm_ring_region_release(struct vfio_pci_core_device *vdev,
				    struct vfio_pci_region *region)
{
	struct vpm_ring *ring = region->data;

	vpm_ring_unpublish(ring);
	region->data = NULL;
	vpm_ring_put(ring);
}

/* Registered by vpm_ring_open() with the ring as the region's data. */
const struct vfio_pci_regops vpm_ring_regops = {
	.rw		= vpm_ring_rw,
	.release	= vpm_ring_region_release,
	.add_capability	= vpm_ring_add_capability,
};

/*
 * A page of the ring, handed to the mm with a reference.  The ring maps no
 * huge page: a huge fault falls back, untraced.  Refusals are not recorded
 * in the ring itself.
 */
static vm_fault_t vpm_ring_fault(struct vpm_mapping *m, struct vm_fault *vmf,
				 unsigned int order,
				 struct vpm_fault_info *info)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vpm_device *vpm = m->vpm;
	struct vpm_ring *ring = vpm_ring_of(vpm);
	u64 pg = vpm_vma_region_pgoff(vma) +
		 ((vmf->address - vma->vm_start) >> PAGE_SHIFT);
	struct page *page;

	if (order) {
		info->traced = false;
		return VM_FAULT_FALLBACK;
	}
	info->offset = pg << PAGE_SHIFT;
	/* The vma's range was checked at mmap and cannot grow; be certain. */
	if (!ring || pg >= ring->nr_pages ||
	    ((vma->vm_flags & VM_MAYWRITE) && pg != VPM_RING_CONS_PAGE))
		return VM_FAULT_SIGBUS;

	page = ring->pages[pg];
	/* Held until the PTE is installed: see vpm_ring_revoke(). */
	lock_page(page);
	if (vpm_revoked(vpm)) {
		unlock_page(page);
		return VM_FAULT_SIGBUS;
	}
	get_page(page);
	vmf->page = page;
	info->access = VPM_ACCESS_MAP;
	return VM_FAULT_LOCKED;
}

/*
 * vpm_ring_mmap() - mmap part of the fault ring region
 * @vpm: the device
 * @vma: the new vma; vm_pgoff encodes the ring's region index and offset
 *
 * The range must be shared and lie inside one part: the header, the
 * consumer page or the entries.  Header and entries are read-only: a
 * writable mapping is refused and VM_MAYWRITE cleared, so mprotect() cannot
 * make them writable later.  Nothing is mapped here; pages are faulted in.
 *
 * Return: 0; -EINVAL for a private mapping or a range not inside one part;
 * -EACCES for a writable mapping of a read-only part; -ENOMEM.
 */
static int vpm_ring_mmap(struct vpm_device *vpm, struct vm_area_struct *vma)
{
	struct vpm_ring *ring = vpm_ring_of(vpm);
	u64 first = vpm_vma_region_pgoff(vma);
	u64 npages = vma_pages(vma);
	u64 area_first, area_pages;
	bool writable;

	if (!ring || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;

	if (first < VPM_RING_CONS_PAGE) {
		area_first = VPM_RING_HDR_PAGE;
		area_pages = VPM_RING_CONS_PAGE - VPM_RING_HDR_PAGE;
		writable = false;
	} else if (first < VPM_RING_ENTRIES_PAGE) {
		area_first = VPM_RING_CONS_PAGE;
		area_pages = VPM_RING_ENTRIES_PAGE - VPM_RING_CONS_PAGE;
		writable = true;
	} else {
		area_first = VPM_RING_ENTRIES_PAGE;
		area_pages = ring->nr_pages - VPM_RING_ENTRIES_PAGE;
		writable = false;
	}
	if (npages > area_pages || first - area_first > area_pages - npages)
		return -EINVAL;
	if (!writable && (vma->vm_flags & VM_WRITE))
		return -EACCES;

	if (!writable)
		vm_flags_clear(vma, VM_MAYWRITE);
	vm_flags_set(vma, VM_DONTEXPAND);
	return 0;
}

static bool vpm_ring_owns(struct vpm_device *vpm, u32 index)
{
	int ring = vpm_ring_region_index(vpm);

	return ring >= 0 && index == ring;
}

/* The fault ring: RAM pages, mapped by fault, read and written as RAM. */
const struct vpm_region_ops vpm_ring_region_ops = {
	.owns	= vpm_ring_owns,
	.mmap	= vpm_ring_mmap,
	.fault	= vpm_ring_fault,
	.rw	= vpm_ring_region_rw,
	.revoke	= vpm_ring_revoke,
};
