// SPDX-License-Identifier: GPL-2.0-only
/*
 * The BAR region kind (struct vpm_region_ops, see vma.h): nothing is
 * mapped at mmap time; one fault function serves the PTE, PMD and PUD
 * orders, computing the pfn from vm_pgoff at fault time (split and mremap
 * change vm_pgoff).  Whether the device may be mapped is decided by
 * vpm_access_at_fault() (access.c) under memory_lock and state_lock.
 *
 * A PMD block that is not PMD-mapped (address and pfn not congruent, the
 * block crosses the vma edge, THP disabled for the process or the vma, or a
 * page table already under its PMD) is populated by its first PTE fault,
 * in one pass over that block's page table under the fault's locks (see
 * vpm_fill_pmd_block()).  No fault populates more than one PMD block, and
 * a misaligned 1 GiB mapping takes 512 faults instead of 262144.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/huge_mm.h>
#include <linux/pfn_t.h>
#include "vpm.h"
#include "sparse.h"
#include "exports.h"

/*
 * A PTE fault fills its whole PMD block (the part inside the vma) in one
 * pass of apply_to_page_range(): one page-table walk and one page-table
 * lock for up to 512 pages, the faulting page among them.  The protection
 * of those PTEs is the vma's with the cache mode the PAT gives the BAR
 * (track_pfn_insert(), which is not exported).  That mode depends on the
 * physical range only, not on the vma: vmf_insert_pfn() computes it at the
 * first fault of a BAR, the device keeps it per BAR in one word
 * (vpm_device.bar_cache_mode, read and written with READ_ONCE() and
 * WRITE_ONCE(): concurrent first faults store the same value), and every
 * later fault of any vma of that BAR combines it with its vma's
 * vm_page_prot.  The BAR's memtype is the one vfio-pci-core's barmap
 * reserved for it at its first mmap, kept until the device is closed; the
 * kept modes are forgotten when the device is opened and closed
 * (vpm_bar_prot_forget()).
 */
struct vpm_fill {
	struct vm_area_struct *vma;
	unsigned long start;
	unsigned long start_pfn;
	pgprot_t prot;
	unsigned long mode;
	bool have_mode;
};

/* The cache mode of a PTE: the part track_pfn_insert() sets. */
static unsigned long vpm_cache_mode_of(pte_t pte)
{
#ifdef __HAVE_PFNMAP_TRACKING
	return pte_flags(pte) & _PAGE_CACHE_MASK;
#else
	return 0;	/* no PFN tracking: vm_page_prot is used as is */
#endif
}

static pgprot_t vpm_prot_with_cache_mode(pgprot_t prot, unsigned long mode)
{
#ifdef __HAVE_PFNMAP_TRACKING
	return __pgprot((pgprot_val(prot) & ~_PAGE_CACHE_MASK) | mode);
#else
	return prot;
#endif
}

/**
 * vpm_fill_prot_of() - the protection to fill a vma's PTEs with
 * @vma_prot: the vma's vm_page_prot
 * @inserted: a present PTE vmf_insert_pfn() made for the vma
 *
 * Only the cache mode comes from @inserted: that PTE is read back after
 * the page-table lock was dropped, and may be one another thread made or
 * wrote through meanwhile (after a soft-dirty reset, wp_pfn_shared() makes
 * it writable, dirty and soft-dirty), whose other bits are not the vma's.
 *
 * Return: @vma_prot with the cache mode of @inserted.
 */
pgprot_t vpm_fill_prot_of(pgprot_t vma_prot, pte_t inserted)
{
	return vpm_prot_with_cache_mode(vma_prot, vpm_cache_mode_of(inserted));
}
EXPORT_SYMBOL_IF_KUNIT(vpm_fill_prot_of);

static int vpm_fill_read_mode(pte_t *pte, unsigned long addr, void *data)
{
	struct vpm_fill *f = data;
	pte_t entry = ptep_get(pte);

	/* Only a PTE that is there tells the cache mode. */
	if (pte_present(entry)) {
		f->prot = vpm_fill_prot_of(f->vma->vm_page_prot, entry);
		f->mode = vpm_cache_mode_of(entry);
		f->have_mode = true;
	}
	return 0;
}

static int vpm_fill_pte(pte_t *pte, unsigned long addr, void *data)
{
	struct vpm_fill *f = data;
	unsigned long pfn = f->start_pfn + ((addr - f->start) >> PAGE_SHIFT);

	/* Another thread's fault may have got here first. */
	if (pte_none(ptep_get(pte))) {
		set_pte_at(f->vma->vm_mm, addr, pte,
			   pte_mkspecial(pfn_pte(pfn, f->prot)));
		update_mmu_cache(f->vma, addr, pte);
	}
	return 0;
}

/**
 * vpm_bar_prot_forget() - forget the cache mode kept for every BAR
 * @vpm: the device, being opened or closed (vfio-pci-core's barmap, whose
 *	memtype the kept modes are, is made and released in between)
 */
void vpm_bar_prot_forget(struct vpm_device *vpm)
{
	unsigned int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		WRITE_ONCE(vpm->bar_cache_mode[i], 0);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_bar_prot_forget);

/*
 * A PTE fault at @hit for @hit_pfn: map its PMD block.  A PTE fault means
 * a page table sits under this block's PMD, or will (the block is
 * misaligned or crosses the vma's edge, THP is disabled for the process or
 * the vma, or an earlier fault or zap left the table), and no PMD fault
 * maps the block while it is there: fill every block, aligned or not.
 *
 * With the BAR's cache mode known, one pass maps the whole block.  Without
 * it, vmf_insert_pfn() maps the faulting page and computes it, and the rest of
 * the block is filled after; errors there end the fill quietly, every page
 * left out faults on its own later.
 */
static vm_fault_t vpm_fill_pmd_block(struct vpm_mapping *m,
				     struct vm_fault *vmf, unsigned long hit_pfn)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long hit = vmf->address & PAGE_MASK;
	unsigned long block = ALIGN_DOWN(hit, PMD_SIZE);
	struct vpm_fill f = { .vma = vma };
	unsigned long end, mode;
	vm_fault_t ret;

	f.start = max(block, vma->vm_start);
	end = min(block + PMD_SIZE, vma->vm_end);
	f.start_pfn = hit_pfn - ((hit - f.start) >> PAGE_SHIFT);

	mode = READ_ONCE(m->vpm->bar_cache_mode[m->region]);
	if (mode & VPM_CACHE_MODE_KNOWN) {
		f.prot = vpm_prot_with_cache_mode(vma->vm_page_prot,
						  mode & ~VPM_CACHE_MODE_KNOWN);
		if (apply_to_page_range(vma->vm_mm, f.start, end - f.start,
					vpm_fill_pte, &f))
			return VM_FAULT_OOM;
		return VM_FAULT_NOPAGE;
	}

	ret = vmf_insert_pfn(vma, hit, hit_pfn);
	if (ret != VM_FAULT_NOPAGE)
		return ret;
	if (apply_to_existing_page_range(vma->vm_mm, hit, PAGE_SIZE,
					 vpm_fill_read_mode, &f) ||
	    !f.have_mode)
		return ret;
	WRITE_ONCE(m->vpm->bar_cache_mode[m->region],
		   f.mode | VPM_CACHE_MODE_KNOWN);
	if (end - f.start > PAGE_SIZE)
		apply_to_page_range(vma->vm_mm, f.start, end - f.start,
				    vpm_fill_pte, &f);
	return ret;
}

/*
 * A PTE fault: a PMD fault of another thread may have mapped the block
 * while this one waited (THP disabled for the process in between): the
 * access retries through it.  vmf_insert_pfn() must not walk to a huge
 * PMD (walk_to_pmd() in mm/memory.c: VM_BUG_ON with CONFIG_DEBUG_VM,
 * VM_FAULT_OOM without).  No huge insert can come between this check and
 * the insert: huge faults take state_lock for write, this one holds it for
 * read.
 *
 * A huge fault asks for a write upgrade only of an entry that is already
 * this huge mapping: a write to it faults here when it is read-only
 * (soft-dirty tracking, clear_refs, write-protects it), and without the
 * upgrade the write would fault again forever.  Never for an empty entry:
 * the mm chose ->huge_fault after an unlocked pmd_none()/pud_none() check,
 * and a page table may have appeared since (THP disabled for the process
 * meanwhile); insert_pfn_pmd() and insert_pfn_pud() warn when asked to
 * upgrade a table, and without the upgrade leave it alone and the access
 * retries below.  A leaf cannot change under this fault: zaps and munmap
 * are excluded by the locks it holds, PTE faults by state_lock.
 */
static vm_fault_t vpm_insert(struct vpm_mapping *m, struct vm_fault *vmf,
			     unsigned int order, unsigned long pfn)
{
	bool write = vmf->flags & FAULT_FLAG_WRITE;

	switch (order) {
	case 0:
		if (pmd_leaf(pmdp_get_lockless(vmf->pmd)))
			return VM_FAULT_NOPAGE;
		return vpm_fill_pmd_block(m, vmf, pfn);
#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
	case PMD_ORDER:
		return vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV),
					  write &&
					  pmd_leaf(pmdp_get_lockless(vmf->pmd)));
#endif
#ifdef CONFIG_ARCH_SUPPORTS_PUD_PFNMAP
	case PUD_ORDER:
		return vmf_insert_pfn_pud(vmf, __pfn_to_pfn_t(pfn, PFN_DEV),
					  write && pud_leaf(READ_ONCE(*vmf->pud)));
#endif
	default:
		return VM_FAULT_FALLBACK;
	}
}

/*
 * A PTE fault holds state_lock for read, a huge fault for write: a PTE
 * fault's check of the PMD and its insert are never split by a huge
 * insert in the same block (see vpm_insert()).  Huge faults are one per
 * 2 MiB or 1 GiB; serialising them costs nothing the PTE faults pay.
 */
static void vpm_fault_lock(struct vpm_device *vpm, unsigned int order)
{
	if (order)
		down_write(&vpm->state_lock);
	else
		down_read(&vpm->state_lock);
}

static void vpm_fault_unlock(struct vpm_device *vpm, unsigned int order)
{
	if (order)
		up_write(&vpm->state_lock);
	else
		up_read(&vpm->state_lock);
}

/*
 * Serve an access the state allows, or refuse it, under the fault's locks;
 * VM_FAULT_RETRY when the access must wait for a reset window to close.
 */
static vm_fault_t vpm_bar_serve(struct vpm_mapping *m, struct vm_fault *vmf,
				unsigned int order, struct vpm_fault_info *info)
{
	struct vpm_device *vpm = m->vpm;

	info->access = vpm_access_at_fault(vpm, order, &info->refused);
	switch (info->access) {
	case VPM_ACCESS_MAP:
		return vpm_insert(m, vmf, order, info->pfn);
	case VPM_ACCESS_ONES:
		if (order)
			return VM_FAULT_FALLBACK;
		info->pfn = page_to_pfn(vpm->ones.page);
		return vpm_ones_fault(vpm, vmf);
	case VPM_ACCESS_BLOCK:
		return VM_FAULT_RETRY;
	default:
		return VM_FAULT_SIGBUS;
	}
}

/*
 * A fault inside a reset window under the block policy waits for the
 * window without the mm's locks: it drops the mmap or vma lock, as
 * FAULT_FLAG_ALLOW_RETRY lets it, waits killably, and has the mm retry the
 * access, which then maps the device, or blocks again in a new window, or
 * gets SIGBUS once the window has outlived its bound.  The file reference
 * keeps the device (and its wait queue) alive without the vma, which may
 * be unmapped meanwhile.  FAULT_FLAG_RETRY_NOWAIT (KVM's asynchronous
 * page faults) asks for the retry without the wait and with the lock kept.
 */
static vm_fault_t vpm_bar_block(struct vpm_device *vpm, struct vm_fault *vmf)
{
	struct file *file;

	if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT)
		return VM_FAULT_RETRY;
	file = get_file(vmf->vma->vm_file);
	release_fault_lock(vmf);
	vpm_window_wait(vpm);
	fput(file);
	return VM_FAULT_RETRY;
}

static vm_fault_t vpm_bar_fault(struct vpm_mapping *m, struct vm_fault *vmf,
				unsigned int order, struct vpm_fault_info *info)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vpm_device *vpm = m->vpm;
	unsigned long addr = ALIGN_DOWN(vmf->address, PAGE_SIZE << order);
	u64 pgoff = vpm_vma_region_pgoff(vma) +
		    ((addr - vma->vm_start) >> PAGE_SHIFT);
	unsigned long pfn = (pci_resource_start(vpm->core.pdev, m->region) >>
			     PAGE_SHIFT) + pgoff;
	vm_fault_t ret;

	/* Not this order: the mm retries at the next one, untraced. */
	if (order && (addr < vma->vm_start ||
		      addr + (PAGE_SIZE << order) > vma->vm_end ||
		      pfn & ((1UL << order) - 1))) {
		info->traced = false;
		return VM_FAULT_FALLBACK;
	}
	info->offset = pgoff << PAGE_SHIFT;
	info->pfn = pfn;

	for (;;) {
		down_read(&vpm->core.memory_lock);
		vpm_fault_lock(vpm, order);
		ret = vpm_bar_serve(m, vmf, order, info);
		vpm_fault_unlock(vpm, order);
		up_read(&vpm->core.memory_lock);
		if (info->access != VPM_ACCESS_BLOCK)
			return ret;
		if (vmf->flags & FAULT_FLAG_ALLOW_RETRY)
			return vpm_bar_block(vpm, vmf);
		/*
		 * No retry allowed (get_user_pages() without the unlock, as
		 * ptrace's access_remote_vm() does): wait with the mm's lock
		 * held, bounded as any wait, then decide again.
		 */
		if (vpm_window_wait(vpm))
			return VM_FAULT_SIGBUS;
	}
}

static void vpm_bar_mprotect(struct vpm_mapping *m, unsigned long start,
			     unsigned long end, unsigned long newflags)
{
	vpm_ones_mprotect(m->vpm, m->vma, start, end, newflags);
}

/*
 * mmap of a BAR: refuses with -EINVAL what vfio-pci-core refuses (private
 * mappings, I/O and non-mappable BARs, ranges past the BAR) and ranges not
 * inside one sparse area.  Nothing is mapped.
 */
static int vpm_bar_mmap(struct vpm_device *vpm, struct vm_area_struct *vma)
{
	struct vfio_pci_core_device *vdev = &vpm->core;
	u32 index = vpm_vma_region(vma);
	u64 req_start = vpm_vma_region_pgoff(vma) << PAGE_SHIFT;
	u64 req_len = vma->vm_end - vma->vm_start;
	int ret;

	if (!vdev->bar_mmap_supported[index] || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (req_start + req_len < req_start ||
	    req_start + req_len > PAGE_ALIGN(pci_resource_len(vdev->pdev, index)))
		return -EINVAL;
	if (!vpm_sparse_mappable(vpm, index, req_start, req_len))
		return -EINVAL;

	/* Claims the BAR (request_region + iomap) as the core's mmap does. */
	ret = vfio_pci_core_setup_barmap(vdev, index);
	if (ret)
		return ret;

	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_page_prot = pgprot_decrypted(vma->vm_page_prot);
	/* The flags and protection io_remap_pfn_range() would set. */
	vm_flags_set(vma, VM_ALLOW_ANY_UNCACHED | VM_IO | VM_PFNMAP |
			  VM_DONTEXPAND | VM_DONTDUMP);
	return 0;
}

static bool vpm_bar_owns(struct vpm_device *vpm, u32 index)
{
	return index < VFIO_PCI_ROM_REGION_INDEX;
}

/* The BARs: mapped by fault, read and written through the gate (bar_rw.c). */
const struct vpm_region_ops vpm_bar_region_ops = {
	.owns		= vpm_bar_owns,
	.mmap		= vpm_bar_mmap,
	.fault		= vpm_bar_fault,
	.mprotect	= vpm_bar_mprotect,
	.rw		= vpm_bar_rw,
};
EXPORT_SYMBOL_IF_KUNIT(vpm_bar_region_ops);
