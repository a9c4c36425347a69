// SPDX-License-Identifier: GPL-2.0-only
/*
 * BAR mmap: nothing is mapped at mmap time; one fault function serves the
 * PTE, PMD and PUD orders, computing the pfn from vm_pgoff at fault time
 * (split and mremap change vm_pgoff).
 *
 * A PMD block that is not PMD-mapped (address and pfn not congruent, the
 * block crosses the vma edge, THP disabled for the process or the vma, or a
 * page table already under its PMD) is populated by its first PTE fault:
 * the faulting address is inserted and its result returned, then the rest
 * of that one block is filled with PTEs under the same locks, stopping
 * quietly at the first error.  No fault populates more than one PMD block,
 * and a misaligned 1 GiB mapping takes 512 faults instead of 262144.
 */
#include <linux/mm.h>
#include <linux/huge_mm.h>
#include <linux/pfn_t.h>
#include "vpm.h"
#include "fault_ring.h"
#include "sparse.h"
#include "vfio_pci_mmap_trace.h"
#include <kunit/visibility.h>

/*
 * The rest of a PMD block is filled through apply_to_page_range(), one
 * page-table lock per block, with the protection vmf_insert_pfn() chose
 * for the faulting page (the cache mode the PAT lookup gave it).  A
 * vmf_insert_pfn() per page costs a memtype lookup and a lock round trip
 * each, about 4x the whole fill under TCG.
 */
struct vpm_fill {
	struct vm_area_struct *vma;
	unsigned long start;
	unsigned long start_pfn;
	pgprot_t prot;
	bool have_prot;
};

static int vpm_fill_read_prot(pte_t *pte, unsigned long addr, void *data)
{
	struct vpm_fill *f = data;
	pte_t entry = ptep_get(pte);

	/* Only a PTE that is there tells the protection. */
	if (pte_present(entry)) {
		f->prot = pte_pgprot(entry);
		f->have_prot = true;
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

/*
 * Fill the rest of the PMD block around @hit, whose PTE was just inserted
 * for @hit_pfn.  A PTE fault means a page table sits under this block's
 * PMD (the block is misaligned, THP is disabled for the process or the
 * vma, or an earlier fault or zap left the table), and no PMD fault maps
 * the block while it is there: fill every block, aligned or not.  Errors
 * end it quietly: every page left out faults on its own later.
 */
static void vpm_fill_pmd_block(struct vm_area_struct *vma, unsigned long hit,
			       unsigned long hit_pfn)
{
	unsigned long block = ALIGN_DOWN(hit, PMD_SIZE);
	struct vpm_fill f = { .vma = vma };
	unsigned long end;

	f.start = max(block, vma->vm_start);
	end = min(block + PMD_SIZE, vma->vm_end);
	if (end - f.start == PAGE_SIZE)
		return;		/* the faulting page is all there is */

	if (apply_to_existing_page_range(vma->vm_mm, hit, PAGE_SIZE,
					 vpm_fill_read_prot, &f) ||
	    !f.have_prot)
		return;

	f.start_pfn = hit_pfn - ((hit - f.start) >> PAGE_SHIFT);
	apply_to_page_range(vma->vm_mm, f.start, end - f.start, vpm_fill_pte,
			    &f);
}

static vm_fault_t vpm_insert(struct vm_fault *vmf, unsigned int order,
			     unsigned long addr, unsigned long pfn)
{
	struct vm_area_struct *vma = vmf->vma;
	vm_fault_t ret;

	switch (order) {
	case 0:
		/*
		 * A PMD fault of another thread may have mapped the block
		 * while this one waited (THP disabled for the process in
		 * between): the access retries through it.  vmf_insert_pfn()
		 * must not walk to a huge PMD (walk_to_pmd() in mm/memory.c:
		 * VM_BUG_ON with CONFIG_DEBUG_VM, VM_FAULT_OOM without).  No
		 * huge insert can come between this check and the insert:
		 * huge faults take state_lock for write, this one holds it
		 * for read.
		 */
		if (pmd_leaf(pmdp_get_lockless(vmf->pmd)))
			return VM_FAULT_NOPAGE;
		ret = vmf_insert_pfn(vma, vmf->address, pfn);
		if (ret == VM_FAULT_NOPAGE)
			vpm_fill_pmd_block(vma, vmf->address, pfn);
		return ret;
	/*
	 * Ask for a write upgrade only of an entry that is already this
	 * huge mapping: a write to it faults here when it is read-only
	 * (soft-dirty tracking, clear_refs, write-protects it), and without
	 * the upgrade the write would fault again forever.  Never for an
	 * empty entry: the mm chose ->huge_fault after an unlocked
	 * pmd_none()/pud_none() check, and a page table may have appeared
	 * since (THP disabled for the process meanwhile); insert_pfn_pmd()
	 * and insert_pfn_pud() warn when asked to upgrade a table, and
	 * without the upgrade leave it alone and the access retries below.
	 * A leaf cannot change under this fault: zaps and munmap are
	 * excluded by the locks it holds, PTE faults by state_lock.
	 */
#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
	case PMD_ORDER:
		return vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV),
					  (vmf->flags & FAULT_FLAG_WRITE) &&
					  pmd_leaf(pmdp_get_lockless(vmf->pmd)));
#endif
#ifdef CONFIG_ARCH_SUPPORTS_PUD_PFNMAP
	case PUD_ORDER:
		return vmf_insert_pfn_pud(vmf, __pfn_to_pfn_t(pfn, PFN_DEV),
					  (vmf->flags & FAULT_FLAG_WRITE) &&
					  pud_leaf(READ_ONCE(*vmf->pud)));
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

static vm_fault_t vpm_bar_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vpm_mapping *m = vma->vm_private_data;
	struct vpm_device *vpm = m->vpm;
	struct vfio_pci_core_device *vdev = &vpm->core;
	unsigned long addr = ALIGN_DOWN(vmf->address, PAGE_SIZE << order);
	u64 pgoff = vpm_vma_region_pgoff(vma) +
		    ((addr - vma->vm_start) >> PAGE_SHIFT);
	unsigned long pfn = (pci_resource_start(vdev->pdev, m->region) >>
			     PAGE_SHIFT) + pgoff;
	enum vpm_state recorded, observed;
	enum vpm_access access;
	vm_fault_t ret;

	if (order && (addr < vma->vm_start ||
		      addr + (PAGE_SIZE << order) > vma->vm_end ||
		      pfn & ((1UL << order) - 1)))
		return VM_FAULT_FALLBACK;

	down_read(&vdev->memory_lock);
	vpm_fault_lock(vpm, order);

	recorded = READ_ONCE(vpm->state);
	observed = vpm_state_of_core(vpm);
	if (recorded != observed && recorded != VPM_STATE_RESETTING &&
	    recorded != VPM_STATE_REVOKED)
		vpm_state_transition(vpm, recorded, observed,
				     VPM_REASON_OBSERVED_AT_FAULT);

	access = vpm_access_decide(recorded, observed, vpm->revoke_mode);
	switch (access) {
	case VPM_ACCESS_MAP:
		ret = vpm_insert(vmf, order, addr, pfn);
		break;
	case VPM_ACCESS_ONES:
		if (order) {
			ret = VM_FAULT_FALLBACK;
			break;
		}
		pfn = page_to_pfn(vpm->ones.page);
		ret = vpm_ones_fault(vpm, vmf);
		break;
	default:
		ret = VM_FAULT_SIGBUS;
		break;
	}

	vpm_fault_unlock(vpm, order);
	up_read(&vdev->memory_lock);

	if (ret == VM_FAULT_NOPAGE) {
		atomic_long_inc(&m->faults);
		if (!READ_ONCE(m->populated))
			WRITE_ONCE(m->populated, true);
	} else if (ret & VM_FAULT_SIGBUS) {
		/* The state that refused it: ours in a window, else the core's. */
		if (recorded != VPM_STATE_RESETTING &&
		    recorded != VPM_STATE_REVOKED)
			recorded = observed;
		atomic_long_inc(&vpm->refused);
		vpm_ring_report_refused(vpm, recorded, m->region,
					(pgoff << PAGE_SHIFT) +
					(vmf->real_address - addr),
					vmf->flags & FAULT_FLAG_WRITE);
	}
	trace_vpm_fault(vpm, m->region, vmf->address,
			pgoff << PAGE_SHIFT, order, pfn, access, ret);
	return ret;
}

static vm_fault_t vpm_bar_fault(struct vm_fault *vmf)
{
	return vpm_bar_huge_fault(vmf, 0);
}

static int vpm_bar_mprotect(struct vm_area_struct *vma, unsigned long start,
			    unsigned long end, unsigned long newflags)
{
	struct vpm_mapping *m = vma->vm_private_data;

	vpm_ones_mprotect(m->vpm, vma, start, end, newflags);
	return 0;
}

static const struct vm_operations_struct vpm_bar_vm_ops = {
	.open		= vpm_vma_open,
	.close		= vpm_vma_close,
	.mremap		= vpm_vma_mremap,
	.fault		= vpm_bar_fault,
	.mprotect	= vpm_bar_mprotect,
#ifdef CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP
	.huge_fault	= vpm_bar_huge_fault,
#endif
};

/**
 * vpm_bar_mmap() - mmap a BAR without populating it
 * @vpm: the device
 * @vma: the new vma; vm_pgoff encodes region index and offset
 *
 * Refuses with -EINVAL what vfio-pci-core refuses (private mappings, I/O
 * and non-mappable BARs, ranges past the BAR) and ranges not inside one
 * sparse area.  Nothing can fail after the vma is tracked.
 *
 * Return: 0 or a negative errno.
 */
int vpm_bar_mmap(struct vpm_device *vpm, struct vm_area_struct *vma)
{
	struct vfio_pci_core_device *vdev = &vpm->core;
	u32 index = vpm_vma_region(vma);
	u64 req_start = vpm_vma_region_pgoff(vma) << PAGE_SHIFT;
	u64 req_len = vma->vm_end - vma->vm_start;
	struct vpm_mapping *m;
	int ret;

	if (index >= VFIO_PCI_ROM_REGION_INDEX ||
	    !vdev->bar_mmap_supported[index] ||
	    !(vma->vm_flags & VM_SHARED))
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

	m = vpm_mapping_alloc(GFP_KERNEL);
	if (!m)
		return -ENOMEM;

	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_page_prot = pgprot_decrypted(vma->vm_page_prot);
	/* The flags and protection io_remap_pfn_range() would set. */
	vm_flags_set(vma, VM_ALLOW_ANY_UNCACHED | VM_IO | VM_PFNMAP |
			  VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &vpm_bar_vm_ops;
	vpm_track(vpm, m, vma, VPM_TRACK_MMAP);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_bar_mmap);
