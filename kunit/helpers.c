// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fixtures shared by the vfio-pci-mmap KUnit suites: a test device over a
 * fake PCI function, mappings of it in the test thread's address space, an
 * mmu notifier standing in for a secondary MMU, and probes on the module's
 * tracepoints.  See vpm_kunit.h.
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/tracepoint.h>
#include "vpm.h"
#include "vfio_pci_mmap_trace.h"
#include "vpm_kunit.h"

MODULE_DESCRIPTION("KUnit tests for vfio-pci-mmap");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* ---- the test device ------------------------------------------------------ */

/*
 * vfio_pci_core_setup_barmap() claims and iomaps a BAR once, then only
 * checks that barmap[] is set: a non-NULL cookie stands for "claimed".
 * Nothing dereferences it.
 */
static char vpm_test_iomem_cookie;

static void vpm_test_dev_free(struct kref *ref)
{
	struct vpm_test_dev *td = container_of(ref, struct vpm_test_dev, ref);
	struct vpm_device *vpm = td->vpm;
	struct vpm_mapping *m, *n;

	if (vpm) {
		/*
		 * Real vmas are all closed by now (the file is released after
		 * the last of them); what is left was tracked for hand-made
		 * vmas by a test that failed before closing them.
		 */
		list_for_each_entry_safe(m, n, &vpm->tracker.list, link) {
			list_del(&m->link);
			kfree(m);
		}
		vpm_tracker_release(&vpm->tracker);
		if (vpm->ones.page)
			vpm_ones_release(vpm);
	}
	if (td->bar)
		__free_pages(td->bar, VPM_TEST_BAR_ORDER);
	kfree(td->vconfig);
	kfree(td->pdev);
	kfree(vpm);
	kfree(td);
}

static void vpm_test_dev_put(void *data)
{
	struct vpm_test_dev *td = data;

	kref_put(&td->ref, vpm_test_dev_free);
}

static void vpm_test_dev_fput(void *data)
{
	struct vpm_test_dev *td = data;

	fput(td->file);
}

/*
 * The extra region: not a BAR, mapped by the test's own vm_ops with the
 * module's tracking (->open, ->close, ->mremap) and a fault handler that
 * consults vpm_access_decide() as the BAR fault path does.  It stands for
 * the regions a zap of the BARs only must leave alone (the fault ring).
 */
static vm_fault_t vpm_test_extra_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vpm_test_dev *td = vma->vm_file->private_data;
	struct vpm_mapping *m = vma->vm_private_data;
	struct vpm_device *vpm = m->vpm;
	u64 pgoff = vpm_vma_region_pgoff(vma) +
		    ((vmf->address - vma->vm_start) >> PAGE_SHIFT);
	enum vpm_access access;
	vm_fault_t ret;

	if (pgoff >= VPM_TEST_BAR_PAGES)
		return VM_FAULT_SIGBUS;

	down_read(&vpm->core.memory_lock);
	down_read(&vpm->state_lock);
	access = vpm_access_decide(READ_ONCE(vpm->state),
				   vpm_state_of_core(vpm),
				   vpm_policies_of(vpm), false);
	switch (access) {
	case VPM_ACCESS_MAP:
		ret = vmf_insert_pfn(vma, vmf->address,
				     vpm_test_bar_pfn(td, pgoff));
		break;
	case VPM_ACCESS_ONES:
		ret = vmf_insert_pfn(vma, vmf->address,
				     page_to_pfn(vpm->ones.page));
		break;
	default:
		ret = VM_FAULT_SIGBUS;
		break;
	}
	up_read(&vpm->state_lock);
	up_read(&vpm->core.memory_lock);

	if (ret == VM_FAULT_NOPAGE) {
		m->faults++;
		WRITE_ONCE(m->populated, true);
	}
	return ret;
}

static const struct vm_operations_struct vpm_test_extra_vm_ops = {
	.open	= vpm_vma_open,
	.close	= vpm_vma_close,
	.mremap	= vpm_vma_mremap,
	.fault	= vpm_test_extra_fault,
};

static int vpm_test_extra_mmap(struct vpm_test_dev *td,
			       struct vm_area_struct *vma)
{
	struct vpm_mapping *m;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	m = vpm_mapping_alloc(GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &vpm_test_extra_vm_ops;
	vpm_track(td->vpm, m, vma, VPM_TRACK_MMAP);
	return 0;
}

static int vpm_test_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vpm_test_dev *td = file->private_data;
	int ret;

	if (vpm_vma_region(vma) == VPM_TEST_EXTRA_REGION)
		return vpm_test_extra_mmap(td, vma);

	ret = vpm_mmap(td->vpm, vma);
	if (ret)
		return ret;
	td->mmap_prot = vma->vm_page_prot;
	/*
	 * The fake BARs are RAM, which the direct map maps write-back: keep
	 * the default protection instead of the uncached one the module chose
	 * for a real BAR, not to alias cache attributes of the same page.
	 * Tests check the module's choice through td->mmap_prot.
	 */
	vma->vm_page_prot = vm_get_page_prot(vma->vm_flags);
	return 0;
}

static int vpm_test_file_release(struct inode *inode, struct file *file)
{
	vpm_test_dev_put(file->private_data);
	return 0;
}

static const struct file_operations vpm_test_fops = {
	.owner		= THIS_MODULE,
	.mmap		= vpm_test_file_mmap,
	.release	= vpm_test_file_release,
};

static void vpm_test_set_bar(struct pci_dev *pdev, int bar, phys_addr_t start,
			     resource_size_t len)
{
	struct resource *res = &pdev->resource[bar];

	res->start = start;
	res->end = start + len - 1;
	res->flags = IORESOURCE_MEM;
}

/**
 * vpm_test_dev_new() - a test device, released when the test ends
 * @test: the test
 *
 * The device is enabled, has no core view (vconfig NULL: the core's view
 * is "enabled", as before open) and no fault ring.  BAR0 and BAR2 are
 * mmap-capable, BAR1 is not; VPM_TEST_EXTRA_REGION is a region that is not
 * a BAR, mapped by the test's own vm_ops.
 *
 * Return: the device; the test is aborted if it cannot be built.
 */
struct vpm_test_dev *vpm_test_dev_new(struct kunit *test)
{
	struct vpm_test_dev *td;
	struct vpm_device *vpm;
	phys_addr_t base;
	struct file *file;
	unsigned int i, j;
	int ret;

	td = kzalloc(sizeof(*td), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, td);
	kref_init(&td->ref);
	ret = kunit_add_action_or_reset(test, vpm_test_dev_put, td);
	KUNIT_ASSERT_EQ(test, ret, 0);

	vpm = kzalloc(sizeof(*vpm), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vpm);
	td->vpm = vpm;
	vpm_tracker_init(&vpm->tracker);
	vpm_state_init(vpm);
	init_rwsem(&vpm->core.memory_lock);
	/* Faults in a reset window fail at once unless a test asks to block. */
	vpm_test_set_policy_param(test, VPM_STATE_RESETTING, VPM_POLICY_SIGBUS);

	KUNIT_ASSERT_EQ(test, vpm_ones_init(vpm), 0);

	td->bar = alloc_pages(GFP_KERNEL, VPM_TEST_BAR_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, td->bar);
	for (i = 0; i < VPM_TEST_BAR_PAGES; i++) {
		u64 *p = page_address(td->bar + i);

		for (j = 0; j < PAGE_SIZE / sizeof(u64); j++)
			p[j] = vpm_test_pattern(i);
	}

	td->vconfig = kzalloc(PCI_CFG_SPACE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, td->vconfig);

	td->pdev = kzalloc(sizeof(*td->pdev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, td->pdev);
	td->pdev->dev.init_name = "vpm-kunit";
	td->pdev->current_state = PCI_D0;
	base = page_to_phys(td->bar);
	vpm_test_set_bar(td->pdev, 0, base,
			 (resource_size_t)VPM_TEST_BAR_PAGES << PAGE_SHIFT);
	vpm_test_set_bar(td->pdev, 1, base, PAGE_SIZE);
	vpm_test_set_bar(td->pdev, 2,
			 base + ((phys_addr_t)VPM_TEST_BAR2_FIRST << PAGE_SHIFT),
			 (resource_size_t)(VPM_TEST_BAR_PAGES -
					   VPM_TEST_BAR2_FIRST) << PAGE_SHIFT);

	vpm->core.pdev = td->pdev;
	for (i = 0; i <= 2; i += 2) {
		vpm->core.bar_mmap_supported[i] = true;
		vpm->core.barmap[i] =
			(__force void __iomem *)&vpm_test_iomem_cookie;
	}

	/* The file's reference, dropped by ->release. */
	kref_get(&td->ref);
	file = anon_inode_create_getfile("[vpm-kunit]", &vpm_test_fops, td,
					 O_RDWR, NULL);
	if (IS_ERR(file)) {
		vpm_test_dev_put(td);
		KUNIT_FAIL_AND_ABORT(test, "anon_inode_create_getfile: %ld",
				     PTR_ERR(file));
	}
	td->file = file;
	vpm->core.vdev.inode = file_inode(file);
	ret = kunit_add_action_or_reset(test, vpm_test_dev_fput, td);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return td;
}

/**
 * vpm_test_bar_pfn() - pfn of a page behind the BARs
 * @td: the test device
 * @page: index into the pages, BAR0's page number
 *
 * Return: the pfn.
 */
unsigned long vpm_test_bar_pfn(struct vpm_test_dev *td, unsigned int page)
{
	return page_to_pfn(td->bar) + page;
}

/**
 * vpm_test_transition() - vpm_state_transition() as its callers use it
 * @vpm: the device
 * @from: the state to leave, or VPM_STATE_ANY
 * @to: the new state
 * @why: the reason
 *
 * Under state_lock held for write, as every transition outside the fault
 * path is.
 *
 * Return: what vpm_state_transition() returned.
 */
bool vpm_test_transition(struct vpm_device *vpm, enum vpm_state from,
			 enum vpm_state to, enum vpm_reason why)
{
	bool changed;

	down_write(&vpm->state_lock);
	changed = vpm_state_transition(vpm, from, to, why);
	up_write(&vpm->state_lock);
	return changed;
}

/**
 * vpm_test_set_core_view() - make vfio-pci-core's fields describe a state
 * @td: the test device
 * @view: VPM_STATE_ENABLED, VPM_STATE_MEM_DISABLED or VPM_STATE_LOW_POWER
 *
 * Attaches the fake vconfig, so that vpm_state_of_core() reads the
 * command register and the power state instead of answering "enabled"
 * for a device that is not open.
 */
void vpm_test_set_core_view(struct vpm_test_dev *td, enum vpm_state view)
{
	u16 cmd = view == VPM_STATE_MEM_DISABLED ? 0 : PCI_COMMAND_MEMORY;

	*(__le16 *)&td->vconfig[PCI_COMMAND] = cpu_to_le16(cmd);
	WRITE_ONCE(td->pdev->current_state,
		   view == VPM_STATE_LOW_POWER ? PCI_D3hot : PCI_D0);
	WRITE_ONCE(td->vpm->core.pm_runtime_engaged, false);
	WRITE_ONCE(td->vpm->core.vconfig, td->vconfig);
	vpm_state_attach_core(td->vpm);
}

/* ---- address spaces and mappings ------------------------------------------ */

/**
 * vpm_test_mmap_failed() - whether kunit_vm_mmap() failed
 * @addr: its result
 *
 * In 6.12 kunit_vm_mmap() only treats 0 as failure; vm_mmap() returns
 * -errno, which kunit_vm_mmap() passes through as an address.
 *
 * Return: true on failure.
 */
bool vpm_test_mmap_failed(unsigned long addr)
{
	return !addr || IS_ERR_VALUE(addr);
}

/**
 * vpm_test_attach_mm() - give the test thread an address space
 * @test: the test
 *
 * kunit_vm_mmap() attaches a fresh mm to the test thread at its first
 * call; a private anonymous page, unrelated to any device, does it here.
 */
void vpm_test_attach_mm(struct kunit *test)
{
	unsigned long addr;

	if (current->mm)
		return;
	addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, 0);
	KUNIT_ASSERT_FALSE_MSG(test, vpm_test_mmap_failed(addr),
			       "anonymous mmap: %ld", (long)addr);
	KUNIT_ASSERT_NOT_NULL(test, current->mm);
}

/**
 * vpm_test_mmap() - mmap part of a region of the test device
 * @test: the test
 * @td: the test device
 * @region: VFIO region index
 * @page: first page within the region
 * @pages: number of pages
 * @flags: MAP_SHARED or MAP_PRIVATE
 *
 * The mapping is left for the test to unmap with vm_munmap(): the test
 * thread's mm is torn down only after the test's resources are released.
 *
 * Return: the address, or a value vpm_test_mmap_failed() recognises.
 */
unsigned long vpm_test_mmap(struct kunit *test, struct vpm_test_dev *td,
			    u32 region, unsigned long page, unsigned long pages,
			    unsigned long flags)
{
	return kunit_vm_mmap(test, td->file, 0, pages << PAGE_SHIFT,
			     PROT_READ | PROT_WRITE, flags,
			     VFIO_PCI_INDEX_TO_OFFSET(region) +
			     (page << PAGE_SHIFT));
}

/**
 * vpm_test_pfn_at() - what the page tables map at an address
 * @addr: a user address of the test thread
 *
 * Return: the pfn mapped there, or 0 if nothing is.
 */
unsigned long vpm_test_pfn_at(unsigned long addr)
{
	struct follow_pfnmap_args args = { .address = addr };
	struct mm_struct *mm = current->mm;
	unsigned long pfn = 0;

	mmap_read_lock(mm);
	args.vma = vma_lookup(mm, addr);
	if (args.vma && !follow_pfnmap_start(&args)) {
		pfn = args.pfn;
		follow_pfnmap_end(&args);
	}
	mmap_read_unlock(mm);
	return pfn;
}

/* ---- a stand-in secondary MMU ----------------------------------------------- */

static int vpm_test_mmu_invalidate_start(struct mmu_notifier *mn,
					 const struct mmu_notifier_range *range)
{
	struct vpm_test_mmu *w = container_of(mn, struct vpm_test_mmu, mn);
	unsigned long flags;

	spin_lock_irqsave(&w->lock, flags);
	if (w->recording) {
		if (range->event != MMU_NOTIFY_CLEAR)
			w->not_clear++;
		if (w->nr < ARRAY_SIZE(w->ranges)) {
			w->ranges[w->nr].start = range->start;
			w->ranges[w->nr].end = range->end;
			w->nr++;
		} else {
			w->lost++;
		}
	}
	spin_unlock_irqrestore(&w->lock, flags);
	return 0;
}

static const struct mmu_notifier_ops vpm_test_mmu_ops = {
	.invalidate_range_start = vpm_test_mmu_invalidate_start,
};

static void vpm_test_mmu_unregister(void *data)
{
	struct vpm_test_mmu *w = data;

	/* Safe from the cleanup thread, and after the mm was torn down. */
	mmu_notifier_unregister(&w->mn, w->mm);
}

/**
 * vpm_test_mmu_register() - watch invalidations of the test thread's mm
 * @test: the test
 *
 * What KVM is in production: a secondary MMU that must hear of every
 * range the module zaps.
 *
 * Return: the watcher, registered until the test ends.
 */
struct vpm_test_mmu *vpm_test_mmu_register(struct kunit *test)
{
	struct vpm_test_mmu *w;
	int ret;

	vpm_test_attach_mm(test);
	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	spin_lock_init(&w->lock);
	w->mn.ops = &vpm_test_mmu_ops;
	w->mm = current->mm;
	ret = mmu_notifier_register(&w->mn, w->mm);
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = kunit_add_action_or_reset(test, vpm_test_mmu_unregister, w);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return w;
}

/**
 * vpm_test_mmu_record() - start recording, forgetting earlier ranges
 * @w: the watcher
 */
void vpm_test_mmu_record(struct vpm_test_mmu *w)
{
	spin_lock_irq(&w->lock);
	w->nr = 0;
	w->lost = 0;
	w->not_clear = 0;
	w->recording = true;
	spin_unlock_irq(&w->lock);
}

/**
 * vpm_test_mmu_stop() - stop recording
 * @w: the watcher
 *
 * Return: the number of ranges recorded (w->ranges), lost ones included.
 */
unsigned int vpm_test_mmu_stop(struct vpm_test_mmu *w)
{
	unsigned int nr;

	spin_lock_irq(&w->lock);
	w->recording = false;
	nr = w->nr + w->lost;
	spin_unlock_irq(&w->lock);
	return nr;
}

static int vpm_test_range_cmp(const void *a, const void *b)
{
	const struct vpm_test_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

/**
 * vpm_test_expect_ranges() - expect two lists of ranges to be equal as sets
 * @test: the test
 * @what: what @got is, for the failure message
 * @got: the ranges seen (sorted in place)
 * @nr_got: their number
 * @want: the ranges expected (sorted in place)
 * @nr_want: their number
 */
void vpm_test_expect_ranges(struct kunit *test, const char *what,
			    struct vpm_test_range *got, unsigned int nr_got,
			    struct vpm_test_range *want, unsigned int nr_want)
{
	unsigned int i;

	sort(got, nr_got, sizeof(*got), vpm_test_range_cmp, NULL);
	sort(want, nr_want, sizeof(*want), vpm_test_range_cmp, NULL);
	KUNIT_EXPECT_EQ_MSG(test, nr_got, nr_want, "%s: number of ranges",
			    what);
	for (i = 0; i < min(nr_got, nr_want); i++) {
		KUNIT_EXPECT_EQ_MSG(test, got[i].start, want[i].start,
				    "%s: range %u start", what, i);
		KUNIT_EXPECT_EQ_MSG(test, got[i].end, want[i].end,
				    "%s: range %u end", what, i);
	}
	for (i = 0; i < nr_got; i++)
		kunit_info(test, "%s: got [%#lx, %#lx)", what, got[i].start,
			   got[i].end);
}

/**
 * vpm_test_tracked_ranges() - the ranges of the vmas a device tracks
 * @vpm: the device
 * @r: output
 * @max: room in @r
 *
 * Return: the number of tracked vmas (more than @max if @r is too small).
 */
unsigned int vpm_test_tracked_ranges(struct vpm_device *vpm,
				     struct vpm_test_range *r,
				     unsigned int max)
{
	struct vpm_mapping *m;
	unsigned int n = 0;

	mutex_lock(&vpm->tracker.lock);
	list_for_each_entry(m, &vpm->tracker.list, link) {
		if (n < max) {
			r[n].start = m->vma->vm_start;
			r[n].end = m->vma->vm_end;
		}
		n++;
	}
	mutex_unlock(&vpm->tracker.lock);
	return n;
}

/* ---- tracepoint probes ---------------------------------------------------- */

enum {
	VPM_TEST_TP_STATE,
	VPM_TEST_TP_TRACK,
	VPM_TEST_TP_UNTRACK,
	VPM_TEST_TP_MOVED,
	VPM_TEST_TP_ZAP,
	VPM_TEST_TP_FAULT,
};

struct vpm_test_probes {
	struct vpm_test_events *ev;
	unsigned long registered;
};

static void vpm_test_on_state(void *data, struct vpm_device *vpm,
			      enum vpm_state old, enum vpm_state new,
			      enum vpm_reason why, enum vpm_policy policy)
{
	struct vpm_test_events *ev = data;
	unsigned long flags;

	if (vpm != ev->vpm)
		return;
	spin_lock_irqsave(&ev->lock, flags);
	if (ev->nr_state < VPM_TEST_MAX_EVENTS) {
		ev->state[ev->nr_state].old = old;
		ev->state[ev->nr_state].new = new;
		ev->state[ev->nr_state].why = why;
	}
	ev->nr_state++;
	spin_unlock_irqrestore(&ev->lock, flags);
}

static void vpm_test_on_track(void *data, struct vpm_device *vpm,
			      struct vpm_mapping *m, enum vpm_track_why why,
			      unsigned int count)
{
	struct vpm_test_events *ev = data;
	unsigned long flags;

	if (vpm != ev->vpm)
		return;
	spin_lock_irqsave(&ev->lock, flags);
	if (ev->nr_track < VPM_TEST_MAX_EVENTS)
		ev->track[ev->nr_track] = why;
	ev->nr_track++;
	spin_unlock_irqrestore(&ev->lock, flags);
}

/* Count one event of @vpm in *@nr, under the recorder's lock. */
static void vpm_test_count(struct vpm_test_events *ev, struct vpm_device *vpm,
			   unsigned int *nr)
{
	unsigned long flags;

	if (vpm != ev->vpm)
		return;
	spin_lock_irqsave(&ev->lock, flags);
	(*nr)++;
	spin_unlock_irqrestore(&ev->lock, flags);
}

static void vpm_test_on_untrack(void *data, struct vpm_device *vpm,
				struct vpm_mapping *m, enum vpm_track_why why,
				unsigned int count)
{
	struct vpm_test_events *ev = data;

	vpm_test_count(ev, vpm, &ev->nr_untrack);
}

static void vpm_test_on_moved(void *data, struct vpm_device *vpm,
			      struct vpm_mapping *m, enum vpm_track_why why,
			      unsigned int count)
{
	struct vpm_test_events *ev = data;

	vpm_test_count(ev, vpm, &ev->nr_moved);
}

static void vpm_test_on_zap(void *data, struct vpm_device *vpm,
			    enum vpm_reason why, enum vpm_zap_scope scope,
			    unsigned int nr_vmas)
{
	struct vpm_test_events *ev = data;
	unsigned long flags;

	if (vpm != ev->vpm)
		return;
	spin_lock_irqsave(&ev->lock, flags);
	if (ev->nr_zap < VPM_TEST_MAX_EVENTS) {
		ev->zap[ev->nr_zap] = why;
		ev->zap_scope[ev->nr_zap] = scope;
		ev->zap_vmas[ev->nr_zap] = nr_vmas;
	}
	ev->nr_zap++;
	spin_unlock_irqrestore(&ev->lock, flags);
}

static void vpm_test_on_fault(void *data, struct vpm_device *vpm, u32 region,
			      unsigned long address, u64 offset,
			      unsigned int order, unsigned long pfn,
			      enum vpm_access access, vm_fault_t result)
{
	struct vpm_test_events *ev = data;
	unsigned long flags;

	if (vpm != ev->vpm)
		return;
	spin_lock_irqsave(&ev->lock, flags);
	if (ev->nr_fault < VPM_TEST_MAX_EVENTS) {
		ev->fault[ev->nr_fault].address = address;
		ev->fault[ev->nr_fault].access = access;
		ev->fault[ev->nr_fault].result = (__force unsigned int)result;
	}
	ev->nr_fault++;
	spin_unlock_irqrestore(&ev->lock, flags);
}

static void vpm_test_probes_detach(void *data)
{
	struct vpm_test_probes *p = data;
	struct vpm_test_events *ev = p->ev;

	if (test_bit(VPM_TEST_TP_STATE, &p->registered))
		unregister_trace_vpm_state_change(vpm_test_on_state, ev);
	if (test_bit(VPM_TEST_TP_TRACK, &p->registered))
		unregister_trace_vpm_vma_track(vpm_test_on_track, ev);
	if (test_bit(VPM_TEST_TP_UNTRACK, &p->registered))
		unregister_trace_vpm_vma_untrack(vpm_test_on_untrack, ev);
	if (test_bit(VPM_TEST_TP_MOVED, &p->registered))
		unregister_trace_vpm_vma_moved(vpm_test_on_moved, ev);
	if (test_bit(VPM_TEST_TP_ZAP, &p->registered))
		unregister_trace_vpm_zap_begin(vpm_test_on_zap, ev);
	if (test_bit(VPM_TEST_TP_FAULT, &p->registered))
		unregister_trace_vpm_fault(vpm_test_on_fault, ev);
	/* No probe may still run when the events are freed. */
	tracepoint_synchronize_unregister();
}

/**
 * vpm_test_events_attach() - record what a device traces from now on
 * @test: the test; the probes are detached when it ends
 * @vpm: the device whose events are recorded; others are ignored
 *
 * Return: the (empty) record.
 */
struct vpm_test_events *vpm_test_events_attach(struct kunit *test,
					       struct vpm_device *vpm)
{
	struct vpm_test_events *ev;
	struct vpm_test_probes *p;
	int ret;

	ev = kunit_kzalloc(test, sizeof(*ev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ev);
	p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	spin_lock_init(&ev->lock);
	ev->vpm = vpm;
	p->ev = ev;
	ret = kunit_add_action_or_reset(test, vpm_test_probes_detach, p);
	KUNIT_ASSERT_EQ(test, ret, 0);

#define VPM_TEST_ATTACH(bit, reg, fn)					\
	do {								\
		ret = reg(fn, ev);					\
		KUNIT_ASSERT_EQ_MSG(test, ret, 0, "%s", #reg);		\
		set_bit(bit, &p->registered);				\
	} while (0)
	VPM_TEST_ATTACH(VPM_TEST_TP_STATE, register_trace_vpm_state_change,
			vpm_test_on_state);
	VPM_TEST_ATTACH(VPM_TEST_TP_TRACK, register_trace_vpm_vma_track,
			vpm_test_on_track);
	VPM_TEST_ATTACH(VPM_TEST_TP_UNTRACK, register_trace_vpm_vma_untrack,
			vpm_test_on_untrack);
	VPM_TEST_ATTACH(VPM_TEST_TP_MOVED, register_trace_vpm_vma_moved,
			vpm_test_on_moved);
	VPM_TEST_ATTACH(VPM_TEST_TP_ZAP, register_trace_vpm_zap_begin,
			vpm_test_on_zap);
	VPM_TEST_ATTACH(VPM_TEST_TP_FAULT, register_trace_vpm_fault,
			vpm_test_on_fault);
#undef VPM_TEST_ATTACH
	return ev;
}

/**
 * vpm_test_events_reset() - forget the events recorded so far
 * @ev: the record
 */
void vpm_test_events_reset(struct vpm_test_events *ev)
{
	unsigned long flags;

	spin_lock_irqsave(&ev->lock, flags);
	ev->nr_state = 0;
	ev->nr_track = 0;
	ev->nr_untrack = 0;
	ev->nr_moved = 0;
	ev->nr_zap = 0;
	ev->nr_fault = 0;
	spin_unlock_irqrestore(&ev->lock, flags);
}

/* ---- module parameters ------------------------------------------------------ */

static void vpm_test_restore_params(void *old)
{
	vpm_param_policies = *(struct vpm_policies *)old;
}

/**
 * vpm_test_set_policy_param() - set the module parameter of a state's policy
 * @test: the test; every policy parameter is restored when it ends
 * @state: the state
 * @policy: its policy
 */
void vpm_test_set_policy_param(struct kunit *test, enum vpm_state state,
			       enum vpm_policy policy)
{
	struct vpm_policies *old = kunit_kmalloc(test, sizeof(*old), GFP_KERNEL);
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, old);
	*old = vpm_param_policies;
	ret = kunit_add_action_or_reset(test, vpm_test_restore_params, old);
	KUNIT_ASSERT_EQ(test, ret, 0);
	WRITE_ONCE(vpm_param_policies.of[state], policy);
}

/**
 * vpm_test_set_revoke_param() - set the module parameter "revoke"
 * @test: the test; the old value is restored when it ends
 * @mode: the value
 */
void vpm_test_set_revoke_param(struct kunit *test, enum vpm_policy mode)
{
	vpm_test_set_policy_param(test, VPM_STATE_REVOKED, mode);
}

/**
 * vpm_track_setup() - a test device, the test's mm and a stand-in child mm
 * @test: the test
 * @ctx: filled in
 */
void vpm_track_setup(struct kunit *test, struct vpm_track_ctx *ctx)
{
	ctx->td = vpm_test_dev_new(test);
	ctx->vpm = ctx->td->vpm;
	vpm_test_attach_mm(test);
	/* Only ever compared with other mm pointers. */
	ctx->other_mm = kunit_kzalloc(test, sizeof(*ctx->other_mm),
				      GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->other_mm);
	ctx->ev = vpm_test_events_attach(test, ctx->vpm);
}

/**
 * vpm_fake_vma() - a vma that exists only for the tracking code
 * @test: the test
 * @mm: its mm
 * @start: its start
 * @pages: its size in pages
 * @region: the region it maps
 * @pgoff: its page offset in the region
 *
 * Return: the vma, freed with the test.
 */
struct vm_area_struct *vpm_fake_vma(struct kunit *test, struct mm_struct *mm,
				    unsigned long start, unsigned long pages,
				    u32 region, unsigned long pgoff)
{
	struct vm_area_struct *vma;

	vma = kunit_kzalloc(test, sizeof(*vma), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vma);
	vma->vm_mm = mm;
	vma->vm_start = start;
	vma->vm_end = start + pages * PAGE_SIZE;
	vma->vm_pgoff = (VFIO_PCI_INDEX_TO_OFFSET(region) >> PAGE_SHIFT) +
			pgoff;
	return vma;
}

/**
 * vpm_tracked_vma() - a fake vma of the test's mm, tracked as mmap leaves it
 * @test: the test
 * @ctx: from vpm_track_setup()
 * @start: its start
 * @pages: its size in pages
 * @region: the region it maps
 * @pgoff: its page offset in the region
 *
 * Return: the vma.
 */
struct vm_area_struct *vpm_tracked_vma(struct kunit *test,
				       struct vpm_track_ctx *ctx,
				       unsigned long start,
				       unsigned long pages, u32 region,
				       unsigned long pgoff)
{
	struct vm_area_struct *vma;
	struct vpm_mapping *m;

	vma = vpm_fake_vma(test, current->mm, start, pages, region, pgoff);
	m = vpm_mapping_alloc(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	vpm_track(ctx->vpm, m, vma, VPM_TRACK_MMAP);
	return vma;
}

/**
 * vpm_copy_vma() - what vm_area_dup() makes of @orig before the mm adjusts it
 * @test: the test
 * @orig: the vma copied
 *
 * Return: the copy.
 */
struct vm_area_struct *vpm_copy_vma(struct kunit *test,
				    struct vm_area_struct *orig)
{
	struct vm_area_struct *copy;

	copy = kunit_kmalloc(test, sizeof(*copy), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, copy);
	memcpy(copy, orig, sizeof(*copy));
	return copy;
}
