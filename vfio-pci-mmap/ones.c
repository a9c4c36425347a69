// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a mapping serves under the ones policy (revoked, memory decoding
 * off, low power): the answer of a device that does not decode, all-ones
 * reads and writes that go nowhere.
 *
 * Every page is mapped with the protection of the RAM it is
 * (vm_get_page_prot(): cached, and encrypted under memory encryption),
 * never with the BAR's uncached one.  A vma without VM_WRITE maps one
 * shared page of all-ones, read-only.  A writable vma maps a private page
 * of all-ones for each address it faults, read or write: so a write is
 * visible through no other page, vma, BAR or process, and every offset no
 * write touched reads all-ones.  The shared page is never mapped where a
 * write could reach it: a read-only entry of a shared writable vma is made
 * writable by the mm on a write (wp_pfn_shared()) unless vm_ops has
 * pfn_mkwrite, and pfn_mkwrite would make every BAR mapping write-protected
 * (vma_wants_writenotify()), a second fault on every first write.  So
 * ->mprotect unmaps a vma that becomes writable, and it faults afresh.
 * fork() copies a VM_PFNMAP vma's page-table entries (copy_page_range()),
 * private pages included, so ->open unmaps them from the parent's vma
 * before the copy: both processes then fault all-ones afresh.
 *
 * The private pages are the device's, freed when it is closed (no vma can
 * map it any more), charged to the faulting task's memory cgroup and
 * limited to VPM_ONES_MAX_PRIVATE per device; a fault past the limit gets
 * SIGBUS.  A vma finds the page it mapped at an offset again (its
 * tracking entry keeps them by offset), so refaults after the zaps of
 * fork and mprotect, and faults racing on one address, take no new page;
 * a vma made by a split, an mremap or a fork starts with none.  A page per
 * address rather than one per vma: a page per vma would show a write at
 * one offset through every other page of the vma.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include "vpm.h"
#include "exports.h"

/* 256 MiB of private all-ones pages per device at most. */
#define VPM_ONES_MAX_PRIVATE	65536

static struct page *vpm_ones_alloc(gfp_t gfp)
{
	struct page *page = alloc_page(gfp);

	if (page)
		memset(page_address(page), 0xff, PAGE_SIZE);
	return page;
}

/**
 * vpm_ones_init() - allocate the shared all-ones page of an opened device
 * @vpm: the device
 *
 * Return: 0 or -ENOMEM.
 */
int vpm_ones_init(struct vpm_device *vpm)
{
	spin_lock_init(&vpm->ones.lock);
	vpm->ones.served = false;
	INIT_LIST_HEAD(&vpm->ones.private);
	vpm->ones.nr_private = 0;
	vpm->ones.page = vpm_ones_alloc(GFP_KERNEL);
	return vpm->ones.page ? 0 : -ENOMEM;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ones_init);

/**
 * vpm_ones_release() - free every all-ones page of a closed device
 * @vpm: the device; no vma maps it any more
 */
void vpm_ones_release(struct vpm_device *vpm)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &vpm->ones.private, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	vpm->ones.nr_private = 0;
	if (vpm->ones.page)
		__free_page(vpm->ones.page);
	vpm->ones.page = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ones_release);

/*
 * The private page of all-ones for page @idx of the vma @m tracks: the one
 * it mapped before (after a zap by fork or mprotect, or when two threads
 * fault it at once), else a new one, owned by the device.  NULL past the
 * limit or when out of memory.
 */
static struct page *vpm_ones_private_page(struct vpm_device *vpm,
					  struct vpm_mapping *m,
					  unsigned long idx)
{
	struct page *page, *old;
	bool full;

	page = xa_load(&m->ones, idx);
	if (page)
		return page;

	spin_lock(&vpm->ones.lock);
	full = vpm->ones.nr_private >= VPM_ONES_MAX_PRIVATE;
	if (!full)
		vpm->ones.nr_private++;
	spin_unlock(&vpm->ones.lock);
	if (full)
		return NULL;

	page = vpm_ones_alloc(GFP_KERNEL_ACCOUNT);
	old = page ? xa_cmpxchg(&m->ones, idx, NULL, page, GFP_KERNEL) : NULL;
	if (page && !old) {
		spin_lock(&vpm->ones.lock);
		list_add(&page->lru, &vpm->ones.private);
		spin_unlock(&vpm->ones.lock);
		return page;
	}
	/* No page, no room in the xarray, or another fault stored one. */
	if (page)
		__free_page(page);
	spin_lock(&vpm->ones.lock);
	vpm->ones.nr_private--;
	spin_unlock(&vpm->ones.lock);
	return xa_is_err(old) ? NULL : old;
}

/**
 * vpm_ones_fault() - serve a fault under the ones policy
 * @vpm: the device; the caller holds state_lock for read
 * @vmf: the fault, PTE order
 *
 * Return: VM_FAULT_NOPAGE, VM_FAULT_SIGBUS past the limit of private
 * pages, VM_FAULT_OOM.
 */
vm_fault_t vpm_ones_fault(struct vpm_device *vpm, struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long addr = vmf->address & PAGE_MASK;
	pgprot_t prot = vm_get_page_prot(vma->vm_flags);
	struct page *page;

	lockdep_assert_held_read(&vpm->state_lock);
	if (!READ_ONCE(vpm->ones.served))
		WRITE_ONCE(vpm->ones.served, true);
	if (!(vma->vm_flags & VM_WRITE))
		return vmf_insert_pfn_prot(vma, addr,
					   page_to_pfn(vpm->ones.page), prot);
	page = vpm_ones_private_page(vpm, vma->vm_private_data,
				     vpm_vma_region_pgoff(vma) +
				     ((addr - vma->vm_start) >> PAGE_SHIFT));
	if (!page)
		return READ_ONCE(vpm->ones.nr_private) >= VPM_ONES_MAX_PRIVATE ?
		       VM_FAULT_SIGBUS : VM_FAULT_OOM;
	return vmf_insert_pfn_prot(vma, addr, page_to_pfn(page), prot);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ones_fault);

static bool vpm_ones_mode(struct vpm_device *vpm)
{
	return READ_ONCE(vpm->ones.served);
}

/**
 * vpm_ones_mprotect() - a device vma's protection is about to change
 * @vpm: the device
 * @vma: the vma (its mm's mmap_lock is held for write)
 * @start: start of the range changing
 * @end: its end
 * @newflags: the vma flags it gets
 *
 * A range that becomes writable loses the shared page's read-only entries
 * (see the top of this file).  A revocation after this check zaps the
 * range anyway.
 */
void vpm_ones_mprotect(struct vpm_device *vpm, struct vm_area_struct *vma,
		       unsigned long start, unsigned long end,
		       unsigned long newflags)
{
	if ((newflags & VM_WRITE) && !(vma->vm_flags & VM_WRITE) &&
	    vpm_ones_mode(vpm)) {
		mmap_assert_write_locked(vma->vm_mm);
		zap_vma_ptes(vma, start, end - start);
	}
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ones_mprotect);

/**
 * vpm_ones_fork() - keep private pages out of a fork child
 * @vpm: the device
 * @parent: the parent's vma being duplicated (its mm's mmap_lock is held
 *	for write by dup_mmap(), which copies the entries after ->open)
 */
void vpm_ones_fork(struct vpm_device *vpm, struct vm_area_struct *parent)
{
	if (vpm_ones_mode(vpm) && READ_ONCE(vpm->ones.nr_private)) {
		mmap_assert_write_locked(parent->vm_mm);
		zap_vma_ptes(parent, parent->vm_start,
			     parent->vm_end - parent->vm_start);
	}
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ones_fork);

/**
 * vpm_ones_leave() - the state that served all-ones is over
 * @vpm: the device; the caller holds state_lock for write and has zapped
 *	the BARs, so no all-ones page is mapped and none can be until the
 *	lock is dropped
 *
 * The private pages are kept for the next window (a vma finds its own
 * again) but filled with all-ones afresh: a write in one window is not
 * read back in the next.
 */
void vpm_ones_leave(struct vpm_device *vpm)
{
	struct page *page;

	lockdep_assert_held_write(&vpm->state_lock);
	spin_lock(&vpm->ones.lock);
	list_for_each_entry(page, &vpm->ones.private, lru)
		memset(page_address(page), 0xff, PAGE_SIZE);
	spin_unlock(&vpm->ones.lock);
	WRITE_ONCE(vpm->ones.served, false);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ones_leave);
