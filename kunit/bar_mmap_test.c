// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vpm_bar_mmap: real mappings of a test device, faulted through
 * the module's own mmap and fault path (vpm_mmap(), the vma layer's vm_ops, the BAR region kind) in
 * the address space kunit_vm_mmap() gives the test thread, zapped by
 * vpm_zap(), vpm_reset_prepare() and vpm_revoke(), watched by an mmu
 * notifier standing in for a secondary MMU (KVM in production).
 *
 * Faults are taken from kernel mode (get_user(), copy_from_user()): a
 * refused fault (VM_FAULT_SIGBUS) shows as -EFAULT or as bytes not
 * copied, and no signal is sent.
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/workqueue.h>
#include <linux/mman.h>
#include <linux/mmu_context.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include "vpm.h"
#include "vpm_kunit.h"

struct vpm_map_ctx {
	struct vpm_test_dev *td;
	struct vpm_device *vpm;
	struct vpm_test_mmu *mmu;
	struct vpm_test_events *ev;
};

static void vpm_map_setup(struct kunit *test, struct vpm_map_ctx *ctx)
{
	ctx->td = vpm_test_dev_new(test);
	ctx->vpm = ctx->td->vpm;
	ctx->mmu = vpm_test_mmu_register(test);
	ctx->ev = vpm_test_events_attach(test, ctx->vpm);
}

static unsigned long vpm_map(struct kunit *test, struct vpm_test_dev *td,
			     u32 region, unsigned long page,
			     unsigned long pages)
{
	unsigned long addr;

	addr = vpm_test_mmap(test, td, region, page, pages, MAP_SHARED);
	KUNIT_ASSERT_FALSE_MSG(test, vpm_test_mmap_failed(addr),
			       "mmap of region %u page %lu: %ld", region, page,
			       (long)addr);
	return addr;
}

static void vpm_unmap(struct kunit *test, unsigned long addr,
		      unsigned long pages)
{
	KUNIT_EXPECT_EQ(test, vm_munmap(addr, pages << PAGE_SHIFT), 0);
}

static int vpm_read(unsigned long addr, u64 *val)
{
	return get_user(*val, (u64 __user *)addr);
}

/* The tracked entry whose vma covers @addr. */
static struct vpm_mapping *vpm_entry_at(struct vpm_device *vpm,
					unsigned long addr)
{
	struct vpm_mapping *m, *found = NULL;

	mutex_lock(&vpm->tracker.lock);
	list_for_each_entry(m, &vpm->tracker.list, link)
		if (m->vma->vm_start <= addr && addr < m->vma->vm_end)
			found = m;
	mutex_unlock(&vpm->tracker.lock);
	return found;
}

/* vpm_zap() as its callers use it: under state_lock held for write. */
static void vpm_test_zap(struct vpm_device *vpm, enum vpm_reason why,
			 enum vpm_zap_scope scope)
{
	down_write(&vpm->state_lock);
	vpm_zap(vpm, why, scope);
	up_write(&vpm->state_lock);
}

static void vpm_expect_mapped(struct kunit *test, struct vpm_test_dev *td,
			      unsigned long addr, unsigned int first,
			      unsigned int pages)
{
	unsigned int i;

	for (i = 0; i < pages; i++)
		KUNIT_EXPECT_EQ_MSG(test,
				    vpm_test_pfn_at(addr + i * PAGE_SIZE),
				    vpm_test_bar_pfn(td, first + i),
				    "page %u of the mapping at %#lx", i, addr);
}

static void vpm_expect_unmapped(struct kunit *test, unsigned long addr,
				unsigned int pages)
{
	unsigned int i;

	for (i = 0; i < pages; i++)
		KUNIT_EXPECT_EQ_MSG(test,
				    vpm_test_pfn_at(addr + i * PAGE_SIZE), 0UL,
				    "page %u of the mapping at %#lx", i, addr);
}

/* ---- mmap and first faults ---------------------------------------------------- */

static void vpm_mmap_tracks_one_vma_and_maps_nothing_until_touched(struct kunit *test)
{
	struct vpm_map_ctx ctx;
	struct vpm_mapping *m;
	unsigned long addr;

	vpm_map_setup(test, &ctx);
	addr = vpm_map(test, ctx.td, 0, 0, 4);
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(&ctx.vpm->tracker), 1U);
	m = vpm_entry_at(ctx.vpm, addr);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, m->vma->vm_start, addr);
	KUNIT_EXPECT_EQ(test, m->vma->vm_end, addr + 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, m->region, 0U);
	KUNIT_EXPECT_PTR_EQ(test, m->mm, current->mm);
	KUNIT_EXPECT_FALSE(test, m->populated);
	KUNIT_EXPECT_EQ(test, READ_ONCE(m->faults), 0UL);
	KUNIT_EXPECT_TRUE(test, (m->vma->vm_flags &
				 (VM_IO | VM_PFNMAP | VM_DONTEXPAND |
				  VM_DONTDUMP)) ==
				(VM_IO | VM_PFNMAP | VM_DONTEXPAND |
				 VM_DONTDUMP));
	/* The module asked for an uncached mapping, as for any BAR. */
	KUNIT_EXPECT_EQ(test, pgprot_val(ctx.td->mmap_prot),
			pgprot_val(pgprot_noncached(ctx.td->mmap_prot)));
	KUNIT_EXPECT_EQ(test, ctx.ev->nr_track, 1U);
	KUNIT_EXPECT_EQ(test, ctx.ev->track[0], VPM_TRACK_MMAP);
	KUNIT_EXPECT_EQ(test, ctx.ev->nr_fault, 0U);
	vpm_expect_unmapped(test, addr, 4);

	vpm_unmap(test, addr, 4);
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(&ctx.vpm->tracker), 0U);
	KUNIT_EXPECT_EQ(test, ctx.ev->nr_untrack, 1U);
}

/* A test device and six pages of its BAR0, mapped and tracked, untouched. */
static unsigned long vpm_map_six(struct kunit *test, struct vpm_map_ctx *ctx,
				 struct vpm_mapping **m)
{
	unsigned long addr;

	vpm_map_setup(test, ctx);
	addr = vpm_map(test, ctx->td, 0, 0, 6);
	*m = vpm_entry_at(ctx->vpm, addr);
	KUNIT_ASSERT_NOT_NULL(test, *m);
	return addr;
}

static void vpm_first_touch_maps_the_bar_pages_in_one_fault(struct kunit *test)
{
	struct vpm_map_ctx ctx;
	struct vpm_mapping *m;
	unsigned long addr;
	unsigned int i;
	u64 val;

	addr = vpm_map_six(test, &ctx, &m);

	KUNIT_ASSERT_EQ(test, vpm_read(addr + 8, &val), 0);
	KUNIT_EXPECT_EQ(test, val, vpm_test_pattern(0));
	KUNIT_EXPECT_TRUE(test, m->populated);
	KUNIT_EXPECT_EQ(test, READ_ONCE(m->faults), 1UL);
	KUNIT_ASSERT_EQ(test, ctx.ev->nr_fault, 1U);
	KUNIT_EXPECT_EQ(test, ctx.ev->fault[0].access, VPM_ACCESS_MAP);
	KUNIT_EXPECT_EQ(test, ctx.ev->fault[0].result,
			(__force unsigned int)VM_FAULT_NOPAGE);

	/*
	 * The vma cannot be PMD-mapped: the first fault filled the rest of
	 * its PMD block, so the other pages are mapped without faulting.
	 */
	vpm_expect_mapped(test, ctx.td, addr, 0, 6);
	for (i = 1; i < 6; i++) {
		KUNIT_ASSERT_EQ(test, vpm_read(addr + i * PAGE_SIZE, &val), 0);
		KUNIT_EXPECT_EQ(test, val, vpm_test_pattern(i));
	}
	KUNIT_EXPECT_EQ(test, READ_ONCE(m->faults), 1UL);
	KUNIT_EXPECT_EQ(test, ctx.ev->nr_fault, 1U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx.vpm->refused), 0L);
	vpm_unmap(test, addr, 6);
}

/* The protection of the PTE mapping @addr, 0 if none does. */
static pgprotval_t vpm_prot_at(unsigned long addr)
{
	struct follow_pfnmap_args args = { .address = addr };
	struct mm_struct *mm = current->mm;
	pgprotval_t prot = 0;

	mmap_read_lock(mm);
	args.vma = vma_lookup(mm, addr);
	if (args.vma && !follow_pfnmap_start(&args)) {
		prot = pgprot_val(args.pgprot);
		follow_pfnmap_end(&args);
	}
	mmap_read_unlock(mm);
	return prot;
}

static void vpm_refault_fills_the_block_with_the_kept_protection(struct kunit *test)
{
	pgprotval_t first[6];
	struct vpm_map_ctx ctx;
	struct vpm_mapping *m;
	unsigned long addr, addr2, mode;
	unsigned int i;
	pte_t want;
	u64 val;

	addr = vpm_map_six(test, &ctx, &m);
	KUNIT_EXPECT_EQ(test, ctx.vpm->bar_cache_mode[0], 0UL);

	/* The first fault learns the BAR's cache mode and keeps it. */
	KUNIT_ASSERT_EQ(test, vpm_read(addr, &val), 0);
	mode = ctx.vpm->bar_cache_mode[0];
	KUNIT_EXPECT_TRUE(test, mode & VPM_CACHE_MODE_KNOWN);
	/* The PTE is the vma's protection with that cache mode, special. */
	want = pfn_pte(0, __pgprot(vpm_prot_at(addr)));
	want = pte_mkspecial(pfn_pte(0, vpm_fill_prot_of(m->vma->vm_page_prot,
							 want)));
	KUNIT_EXPECT_EQ(test, vpm_prot_at(addr), pgprot_val(pte_pgprot(want)));
	for (i = 0; i < 6; i++) {
		first[i] = vpm_prot_at(addr + i * PAGE_SIZE);
		KUNIT_EXPECT_NE_MSG(test, first[i], 0UL, "page %u", i);
		KUNIT_EXPECT_EQ_MSG(test, first[i], first[0], "page %u", i);
	}

	/* After a zap, a fault in the middle maps all six in one pass. */
	vpm_test_zap(ctx.vpm, VPM_REASON_DEBUGFS, VPM_ZAP_BARS);
	vpm_expect_unmapped(test, addr, 6);
	KUNIT_ASSERT_EQ(test, vpm_read(addr + 4 * PAGE_SIZE, &val), 0);
	KUNIT_EXPECT_EQ(test, val, vpm_test_pattern(4));
	vpm_expect_mapped(test, ctx.td, addr, 0, 6);
	for (i = 0; i < 6; i++)
		KUNIT_EXPECT_EQ_MSG(test, vpm_prot_at(addr + i * PAGE_SIZE),
				    first[i], "page %u after the zap", i);
	KUNIT_EXPECT_EQ(test, READ_ONCE(m->faults), 2UL);
	KUNIT_EXPECT_EQ(test, ctx.ev->nr_fault, 2U);

	/* Another vma of the BAR: the same kept mode, not learnt again. */
	addr2 = vpm_map(test, ctx.td, 0, 6, 2);
	KUNIT_ASSERT_EQ(test, vpm_read(addr2 + PAGE_SIZE, &val), 0);
	KUNIT_EXPECT_EQ(test, val, vpm_test_pattern(7));
	vpm_expect_mapped(test, ctx.td, addr2, 6, 2);
	KUNIT_EXPECT_EQ(test, vpm_prot_at(addr2), first[0]);
	KUNIT_EXPECT_EQ(test, ctx.vpm->bar_cache_mode[0], mode);

	/* Closing the device forgets it (the barmap goes with the close). */
	vpm_bar_prot_forget(ctx.vpm);
	KUNIT_EXPECT_EQ(test, ctx.vpm->bar_cache_mode[0], 0UL);
	vpm_unmap(test, addr2, 2);
	vpm_unmap(test, addr, 6);
}

/*
 * The PTE read back after vmf_insert_pfn() may be one another thread made
 * or changed meanwhile (the page-table lock is dropped in between): after
 * clear_refs' soft-dirty reset a write through a write-notify vma makes it
 * writable, dirty and soft-dirty (wp_pfn_shared()).  Only its cache mode
 * may be kept: a read-only vma's fill must stay read-only and clean.
 */
static void vpm_fill_prot_takes_only_the_cache_mode_of_the_read_back_pte(struct kunit *test)
{
	pgprot_t ro = vm_get_page_prot(VM_READ | VM_SHARED);
	pgprot_t rw = vm_get_page_prot(VM_READ | VM_WRITE | VM_SHARED);
	pte_t inserted, got;

	/* What vmf_insert_pfn() makes for a read-write vma: uncached. */
	inserted = pte_mkspecial(pfn_pte(0x1234, pgprot_noncached(rw)));
	/* ... then written through: dirty (and soft-dirty) and writable. */
	inserted = pte_mkyoung(pte_mkdirty(pte_mkwrite_novma(inserted)));

	got = pfn_pte(0x1234, vpm_fill_prot_of(pgprot_noncached(ro), inserted));
	KUNIT_EXPECT_FALSE(test, pte_write(got));
	KUNIT_EXPECT_FALSE(test, pte_dirty(got));
	KUNIT_EXPECT_FALSE(test, pte_soft_dirty(got));
#ifdef __HAVE_PFNMAP_TRACKING
	/* The cache mode is the inserted PTE's. */
	KUNIT_EXPECT_EQ(test, pte_flags(got) & _PAGE_CACHE_MASK,
			pte_flags(inserted) & _PAGE_CACHE_MASK);
#endif

	/* A read-write vma's fill is writable but not pre-dirtied. */
	got = pfn_pte(0x1234, vpm_fill_prot_of(pgprot_noncached(rw), inserted));
	KUNIT_EXPECT_TRUE(test, pte_write(got));
	KUNIT_EXPECT_FALSE(test, pte_soft_dirty(got));
}

struct vpm_offset_case {
	const char *desc;
	u32 region;
	unsigned long page;
	unsigned long pages;
	unsigned int first;	/* index into the pages behind the BARs */
};

static const struct vpm_offset_case vpm_offset_cases[] = {
	{ "BAR0 from its fifth page", 0, 5, 3, 5 },
	{ "BAR0 its last page alone", 0, VPM_TEST_BAR_PAGES - 1, 1,
	  VPM_TEST_BAR_PAGES - 1 },
	{ "BAR2 from its start", 2, 0, 2, VPM_TEST_BAR2_FIRST },
	{ "BAR2 from its second page", 2, 1, 3, VPM_TEST_BAR2_FIRST + 1 },
};

KUNIT_ARRAY_PARAM_DESC(vpm_offset, vpm_offset_cases, desc);

static void vpm_mmap_at_an_offset_maps_the_pages_at_that_offset(struct kunit *test)
{
	const struct vpm_offset_case *c = test->param_value;
	struct vpm_map_ctx ctx;
	unsigned long addr, i;
	struct vpm_mapping *m;
	u64 val;

	vpm_map_setup(test, &ctx);
	addr = vpm_map(test, ctx.td, c->region, c->page, c->pages);
	m = vpm_entry_at(ctx.vpm, addr);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, m->region, c->region);
	for (i = 0; i < c->pages; i++) {
		KUNIT_ASSERT_EQ(test, vpm_read(addr + i * PAGE_SIZE, &val), 0);
		KUNIT_EXPECT_EQ(test, val, vpm_test_pattern(c->first + i));
	}
	vpm_expect_mapped(test, ctx.td, addr, c->first, c->pages);
	vpm_unmap(test, addr, c->pages);
}

static void vpm_writes_through_the_mapping_reach_the_bar(struct kunit *test)
{
	struct vpm_map_ctx ctx;
	unsigned long addr;
	u64 *bar;

	vpm_map_setup(test, &ctx);
	addr = vpm_map(test, ctx.td, 2, 1, 2);
	KUNIT_ASSERT_EQ(test, put_user(0x1122334455667788ULL,
				       (u64 __user *)(addr + PAGE_SIZE + 16)),
			0);
	bar = page_address(ctx.td->bar + VPM_TEST_BAR2_FIRST + 2);
	KUNIT_EXPECT_EQ(test, bar[2], 0x1122334455667788ULL);
	KUNIT_EXPECT_EQ(test, bar[1], vpm_test_pattern(VPM_TEST_BAR2_FIRST + 2));
	vpm_unmap(test, addr, 2);
}

struct vpm_refuse_case {
	const char *desc;
	u32 region;
	unsigned long page;
	unsigned long pages;
	bool private;
	bool sparse;		/* BAR0 areas [0, 4) and [8, 16) pages */
	bool accepted;
};

static const struct vpm_refuse_case vpm_refuse_cases[] = {
	{ "a private mapping is refused", 0, 0, 1, true, false, false },
	{ "a BAR that is not mmap-capable is refused", 1, 0, 1, false, false,
	  false },
	{ "a BAR with no resource is refused", 3, 0, 1, false, false, false },
	{ "the ROM region is refused", VFIO_PCI_ROM_REGION_INDEX, 0, 1,
	  false, false, false },
	{ "the config region is refused", VFIO_PCI_CONFIG_REGION_INDEX, 0, 1,
	  false, false, false },
	{ "a range past the end of BAR2 is refused", 2, 7, 2, false, false,
	  false },
	{ "a range starting past the end of BAR0 is refused", 0,
	  VPM_TEST_BAR_PAGES, 1, false, false, false },
	{ "a mapping one page longer than BAR0 is refused", 0, 0,
	  VPM_TEST_BAR_PAGES + 1, false, false, false },
	{ "the whole of BAR0 is accepted", 0, 0, VPM_TEST_BAR_PAGES, false,
	  false, true },
	{ "a range inside a sparse area is accepted", 0, 9, 3, false, true,
	  true },
	{ "a whole sparse area is accepted", 0, 0, 4, false, true, true },
	{ "a range inside a sparse hole is refused", 0, 4, 2, false, true,
	  false },
	{ "a range straddling a sparse hole is refused", 0, 3, 2, false, true,
	  false },
	{ "a range covering two sparse areas is refused", 0, 0,
	  VPM_TEST_BAR_PAGES, false, true, false },
};

KUNIT_ARRAY_PARAM_DESC(vpm_refuse, vpm_refuse_cases, desc);

static void vpm_mmap_is_refused_where_the_bar_may_not_be_mapped(struct kunit *test)
{
	const struct vpm_refuse_case *c = test->param_value;
	struct vpm_map_ctx ctx;
	unsigned long addr;

	vpm_map_setup(test, &ctx);
	if (c->sparse) {
		struct vpm_sparse *sp = &ctx.vpm->sparse[0];

		sp->sparse = true;
		sp->nr_areas = 2;
		sp->areas[0].offset = 0;
		sp->areas[0].size = 4 * PAGE_SIZE;
		sp->areas[1].offset = 8 * PAGE_SIZE;
		sp->areas[1].size = (VPM_TEST_BAR_PAGES - 8) * PAGE_SIZE;
	}
	addr = vpm_test_mmap(test, ctx.td, c->region, c->page, c->pages,
			     c->private ? MAP_PRIVATE : MAP_SHARED);
	if (!c->accepted) {
		KUNIT_EXPECT_EQ(test, (long)addr, (long)-EINVAL);
		KUNIT_EXPECT_EQ(test, vpm_tracker_count(&ctx.vpm->tracker), 0U);
		KUNIT_EXPECT_EQ(test, ctx.ev->nr_track, 0U);
		if (!vpm_test_mmap_failed(addr))
			vpm_unmap(test, addr, c->pages);
		return;
	}
	KUNIT_ASSERT_FALSE(test, vpm_test_mmap_failed(addr));
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(&ctx.vpm->tracker), 1U);
	vpm_unmap(test, addr, c->pages);
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(&ctx.vpm->tracker), 0U);
}

/* ---- the access decision, taken by real faults ------------------------------ */

enum vpm_touch_setup {
	VPM_TOUCH_NOT_OPEN,
	VPM_TOUCH_CORE_ENABLED,
	VPM_TOUCH_CORE_MEM_DISABLED,
	VPM_TOUCH_CORE_LOW_POWER,
	VPM_TOUCH_CORE_RUNTIME_PM,
	VPM_TOUCH_RESETTING,
	VPM_TOUCH_STALE_MEM_DISABLED,
	VPM_TOUCH_STALE_LOW_POWER,
	VPM_TOUCH_REVOKED_SIGBUS,
	VPM_TOUCH_REVOKED_ONES,
};

struct vpm_touch_case {
	const char *desc;
	enum vpm_touch_setup setup;
	enum vpm_access want;
	enum vpm_state want_state;
};

static const struct vpm_touch_case vpm_touch_cases[] = {
	{ "a device with no core view yet is mapped", VPM_TOUCH_NOT_OPEN,
	  VPM_ACCESS_MAP, VPM_STATE_ENABLED },
	{ "an enabled device is mapped", VPM_TOUCH_CORE_ENABLED,
	  VPM_ACCESS_MAP, VPM_STATE_ENABLED },
	{ "memory disabled behind the driver's back is refused and recorded",
	  VPM_TOUCH_CORE_MEM_DISABLED, VPM_ACCESS_SIGBUS,
	  VPM_STATE_MEM_DISABLED },
	{ "D3hot behind the driver's back is refused and recorded",
	  VPM_TOUCH_CORE_LOW_POWER, VPM_ACCESS_SIGBUS, VPM_STATE_LOW_POWER },
	{ "runtime low power is refused and recorded",
	  VPM_TOUCH_CORE_RUNTIME_PM, VPM_ACCESS_SIGBUS, VPM_STATE_LOW_POWER },
	{ "a reset window is refused", VPM_TOUCH_RESETTING,
	  VPM_ACCESS_SIGBUS, VPM_STATE_RESETTING },
	{ "memory re-enabled in the core is mapped and recorded",
	  VPM_TOUCH_STALE_MEM_DISABLED, VPM_ACCESS_MAP, VPM_STATE_ENABLED },
	{ "low power left in the core's runtime resume is mapped and recorded",
	  VPM_TOUCH_STALE_LOW_POWER, VPM_ACCESS_MAP, VPM_STATE_ENABLED },
	{ "a revoked device in sigbus mode is refused",
	  VPM_TOUCH_REVOKED_SIGBUS, VPM_ACCESS_SIGBUS, VPM_STATE_REVOKED },
	{ "a revoked device in ones mode serves all-ones",
	  VPM_TOUCH_REVOKED_ONES, VPM_ACCESS_ONES, VPM_STATE_REVOKED },
};

KUNIT_ARRAY_PARAM_DESC(vpm_touch, vpm_touch_cases, desc);

static void vpm_touch_setup(struct kunit *test, struct vpm_map_ctx *ctx,
			    enum vpm_touch_setup setup)
{
	struct vpm_device *vpm = ctx->vpm;

	switch (setup) {
	case VPM_TOUCH_NOT_OPEN:
		break;
	case VPM_TOUCH_CORE_ENABLED:
		vpm_test_set_core_view(ctx->td, VPM_STATE_ENABLED);
		break;
	case VPM_TOUCH_CORE_MEM_DISABLED:
		vpm_test_set_core_view(ctx->td, VPM_STATE_MEM_DISABLED);
		break;
	case VPM_TOUCH_CORE_LOW_POWER:
		vpm_test_set_core_view(ctx->td, VPM_STATE_LOW_POWER);
		break;
	case VPM_TOUCH_CORE_RUNTIME_PM:
		vpm_test_set_core_view(ctx->td, VPM_STATE_ENABLED);
		WRITE_ONCE(vpm->core.pm_runtime_engaged, true);
		break;
	case VPM_TOUCH_RESETTING:
		vpm_reset_prepare(vpm);
		break;
	case VPM_TOUCH_STALE_MEM_DISABLED:
		vpm_test_set_core_view(ctx->td, VPM_STATE_ENABLED);
		vpm_test_transition(vpm, VPM_STATE_ANY,
				    VPM_STATE_MEM_DISABLED,
				    VPM_REASON_CONFIG_WRITE);
		break;
	case VPM_TOUCH_STALE_LOW_POWER:
		vpm_test_set_core_view(ctx->td, VPM_STATE_ENABLED);
		vpm_test_transition(vpm, VPM_STATE_ANY, VPM_STATE_LOW_POWER,
				    VPM_REASON_LOW_POWER_ENTRY);
		break;
	case VPM_TOUCH_REVOKED_SIGBUS:
		vpm_test_set_revoke_param(test, VPM_POLICY_SIGBUS);
		vpm_revoke(vpm);
		break;
	case VPM_TOUCH_REVOKED_ONES:
		vpm_test_set_revoke_param(test, VPM_POLICY_ONES);
		vpm_revoke(vpm);
		break;
	}
}

static void vpm_touch_follows_the_access_decision_in_each_state(struct kunit *test)
{
	const struct vpm_touch_case *c = test->param_value;
	struct vpm_map_ctx ctx;
	struct vpm_mapping *m;
	unsigned long addr;
	int ret;
	u64 val = 0;

	vpm_map_setup(test, &ctx);
	addr = vpm_map(test, ctx.td, 0, 2, 2);
	m = vpm_entry_at(ctx.vpm, addr);
	KUNIT_ASSERT_NOT_NULL(test, m);
	vpm_touch_setup(test, &ctx, c->setup);
	vpm_test_events_reset(ctx.ev);

	ret = vpm_read(addr, &val);
	KUNIT_EXPECT_EQ(test, ctx.vpm->state, c->want_state);
	KUNIT_ASSERT_GE(test, ctx.ev->nr_fault, 1U);
	KUNIT_EXPECT_EQ(test, ctx.ev->fault[0].access, c->want);

	switch (c->want) {
	case VPM_ACCESS_MAP:
		KUNIT_EXPECT_EQ(test, ret, 0);
		KUNIT_EXPECT_EQ(test, val, vpm_test_pattern(2));
		KUNIT_EXPECT_EQ(test, READ_ONCE(m->faults), 1UL);
		KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx.vpm->refused), 0L);
		vpm_expect_mapped(test, ctx.td, addr, 2, 2);
		break;
	case VPM_ACCESS_SIGBUS:
		KUNIT_EXPECT_EQ(test, ret, -EFAULT);
		KUNIT_EXPECT_EQ(test, READ_ONCE(m->faults), 0UL);
		KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx.vpm->refused), 1L);
		KUNIT_EXPECT_FALSE(test, m->populated);
		vpm_expect_unmapped(test, addr, 2);
		break;
	case VPM_ACCESS_ONES:
		KUNIT_EXPECT_EQ(test, ret, 0);
		KUNIT_EXPECT_EQ(test, val, ~0ULL);
		/* A writable vma never maps the shared page (ones.c). */
		KUNIT_EXPECT_NE(test, vpm_test_pfn_at(addr),
				page_to_pfn(ctx.vpm->ones.page));
		KUNIT_EXPECT_EQ(test, ctx.vpm->ones.nr_private, 1U);
		break;
	default:
		KUNIT_FAIL(test, "access %d", c->want);
		break;
	}

	/* What the fault observed in the core was recorded, once. */
	if (c->setup == VPM_TOUCH_CORE_MEM_DISABLED ||
	    c->setup == VPM_TOUCH_CORE_LOW_POWER ||
	    c->setup == VPM_TOUCH_CORE_RUNTIME_PM ||
	    c->setup == VPM_TOUCH_STALE_MEM_DISABLED ||
	    c->setup == VPM_TOUCH_STALE_LOW_POWER) {
		KUNIT_ASSERT_EQ(test, ctx.ev->nr_state, 1U);
		KUNIT_EXPECT_EQ(test, ctx.ev->state[0].new, c->want_state);
		KUNIT_EXPECT_EQ(test, ctx.ev->state[0].why,
				VPM_REASON_OBSERVED_AT_FAULT);
	} else {
		KUNIT_EXPECT_EQ(test, ctx.ev->nr_state, 0U);
	}
	vpm_unmap(test, addr, 2);
}

static void vpm_refused_copy_from_user_copies_nothing_and_sends_no_signal(struct kunit *test)
{
	struct vpm_map_ctx ctx;
	unsigned long addr;
	u8 *buf;

	vpm_map_setup(test, &ctx);
	buf = kunit_kzalloc(test, 2 * PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	addr = vpm_map(test, ctx.td, 0, 0, 2);
	vpm_reset_prepare(ctx.vpm);

	KUNIT_EXPECT_EQ(test, copy_from_user(buf, (void __user *)addr,
					     2 * PAGE_SIZE),
			2 * PAGE_SIZE);
	KUNIT_EXPECT_NE(test, copy_to_user((void __user *)addr, buf, 8), 0UL);
	KUNIT_EXPECT_FALSE(test, signal_pending(current));
	/* At least one refused fault each (a copy may retry byte-wise). */
	KUNIT_EXPECT_GE(test, atomic_long_read(&ctx.vpm->refused), 2L);

	/* After the reset the same copy succeeds. */
	vpm_reset_done(ctx.vpm);
	KUNIT_EXPECT_EQ(test, copy_from_user(buf, (void __user *)addr,
					     2 * PAGE_SIZE), 0UL);
	KUNIT_EXPECT_EQ(test, *(u64 *)(buf + PAGE_SIZE), vpm_test_pattern(1));
	vpm_unmap(test, addr, 2);
}

/* ---- zaps, watched by the secondary MMU ------------------------------------- */

static const enum vpm_reason vpm_all_reasons[] = {
	VPM_REASON_OPEN, VPM_REASON_CLOSE, VPM_REASON_RESET_IOCTL,
	VPM_REASON_HOT_RESET, VPM_REASON_RESET_PREPARE,
	VPM_REASON_RESET_DONE, VPM_REASON_CONFIG_WRITE,
	VPM_REASON_LOW_POWER_ENTRY, VPM_REASON_LOW_POWER_EXIT,
	VPM_REASON_IOCTL, VPM_REASON_OBSERVED_AT_FAULT, VPM_REASON_REQUEST,
	VPM_REASON_DEBUGFS,
};

static_assert(ARRAY_SIZE(vpm_all_reasons) == VPM_REASON_NR);

static void vpm_reason_desc(const enum vpm_reason *why, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "reason %s",
		 vpm_reason_name(*why));
}

KUNIT_ARRAY_PARAM(vpm_reason, vpm_all_reasons, vpm_reason_desc);

static void vpm_zap_with_any_reason_invalidates_exactly_the_mapping(struct kunit *test)
{
	const enum vpm_reason *why = test->param_value;
	struct vpm_test_range want[1];
	struct vpm_map_ctx ctx;
	struct vpm_mapping *m;
	unsigned long addr;
	unsigned int nr;
	u64 val;

	vpm_map_setup(test, &ctx);
	addr = vpm_map(test, ctx.td, 0, 0, 4);
	KUNIT_ASSERT_EQ(test, vpm_read(addr, &val), 0);
	m = vpm_entry_at(ctx.vpm, addr);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_TRUE(test, m->populated);

	vpm_test_mmu_record(ctx.mmu);
	vpm_test_zap(ctx.vpm, *why, VPM_ZAP_ALL);
	nr = vpm_test_mmu_stop(ctx.mmu);

	want[0].start = addr;
	want[0].end = addr + 4 * PAGE_SIZE;
	vpm_test_expect_ranges(test, "invalidated", ctx.mmu->ranges, nr, want,
			       1);
	KUNIT_EXPECT_EQ(test, ctx.mmu->not_clear, 0U);
	KUNIT_ASSERT_EQ(test, ctx.ev->nr_zap, 1U);
	KUNIT_EXPECT_EQ(test, ctx.ev->zap[0], *why);
	KUNIT_EXPECT_EQ(test, ctx.ev->zap_scope[0], VPM_ZAP_ALL);
	KUNIT_EXPECT_EQ(test, ctx.ev->zap_vmas[0], 1U);
	KUNIT_EXPECT_FALSE(test, m->populated);
	vpm_expect_unmapped(test, addr, 4);

	/* The state did not change: the next touch faults the page back. */
	KUNIT_ASSERT_EQ(test, vpm_read(addr + 3 * PAGE_SIZE, &val), 0);
	KUNIT_EXPECT_EQ(test, val, vpm_test_pattern(3));
	KUNIT_EXPECT_EQ(test, READ_ONCE(m->faults), 2L);
	KUNIT_EXPECT_TRUE(test, m->populated);
	vpm_unmap(test, addr, 4);
}

enum vpm_zap_path {
	VPM_ZAP_PATH_ZAP,
	VPM_ZAP_PATH_ZAP_BARS,
	VPM_ZAP_PATH_RESET,
	VPM_ZAP_PATH_REVOKE,
};

struct vpm_zap_path_case {
	const char *desc;
	enum vpm_zap_path path;
};

static const struct vpm_zap_path_case vpm_zap_path_cases[] = {
	{ "vpm_zap of everything", VPM_ZAP_PATH_ZAP },
	{ "vpm_zap of the BARs only", VPM_ZAP_PATH_ZAP_BARS },
	{ "vpm_reset_prepare", VPM_ZAP_PATH_RESET },
	{ "vpm_revoke", VPM_ZAP_PATH_REVOKE },
};

KUNIT_ARRAY_PARAM_DESC(vpm_zap_path, vpm_zap_path_cases, desc);

static void vpm_every_zap_path_invalidates_the_tracked_ranges_and_nothing_else(struct kunit *test)
{
	const struct vpm_zap_path_case *c = test->param_value;
	bool bars_only = c->path == VPM_ZAP_PATH_ZAP_BARS;
	struct vpm_test_range tracked[8], known[5];
	unsigned long a1, a2, a3, e1, b1, anon;
	struct vpm_mapping *extra;
	struct vpm_test_dev *other;
	struct vpm_map_ctx ctx;
	unsigned int nr, nr_tracked;
	u64 val;

	vpm_map_setup(test, &ctx);
	other = vpm_test_dev_new(test);
	vpm_test_set_revoke_param(test, VPM_POLICY_SIGBUS);

	/* The device under test: BAR0, BAR2, and a BAR0 vma split in two. */
	a1 = vpm_map(test, ctx.td, 0, 0, 4);
	a2 = vpm_map(test, ctx.td, 2, 0, 2);
	a3 = vpm_map(test, ctx.td, 0, 4, 6);
	KUNIT_ASSERT_EQ(test, vm_munmap(a3 + 2 * PAGE_SIZE, 2 * PAGE_SIZE), 0);
	/* A region that is not a BAR, where the fault ring would be. */
	e1 = vpm_map(test, ctx.td, VPM_TEST_EXTRA_REGION, 3, 2);
	/* Another device, and anonymous memory, in the same mm. */
	b1 = vpm_map(test, other, 0, 0, 2);
	anon = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, 0);
	KUNIT_ASSERT_FALSE(test, vpm_test_mmap_failed(anon));
	KUNIT_ASSERT_EQ(test, put_user(1ULL, (u64 __user *)anon), 0);

	KUNIT_ASSERT_EQ(test, vpm_read(a1, &val), 0);
	KUNIT_ASSERT_EQ(test, vpm_read(a2, &val), 0);
	KUNIT_ASSERT_EQ(test, vpm_read(a3, &val), 0);
	KUNIT_ASSERT_EQ(test, vpm_read(a3 + 4 * PAGE_SIZE, &val), 0);
	KUNIT_ASSERT_EQ(test, vpm_read(e1, &val), 0);
	KUNIT_EXPECT_EQ(test, val, vpm_test_pattern(3));
	KUNIT_ASSERT_EQ(test, vpm_read(e1 + PAGE_SIZE, &val), 0);
	KUNIT_EXPECT_EQ(test, val, vpm_test_pattern(4));
	KUNIT_ASSERT_EQ(test, vpm_read(b1, &val), 0);
	extra = vpm_entry_at(ctx.vpm, e1);
	KUNIT_ASSERT_NOT_NULL(test, extra);

	known[0] = (struct vpm_test_range){ a1, a1 + 4 * PAGE_SIZE };
	known[1] = (struct vpm_test_range){ a2, a2 + 2 * PAGE_SIZE };
	known[2] = (struct vpm_test_range){ a3, a3 + 2 * PAGE_SIZE };
	known[3] = (struct vpm_test_range){ a3 + 4 * PAGE_SIZE,
					    a3 + 6 * PAGE_SIZE };
	known[4] = (struct vpm_test_range){ e1, e1 + 2 * PAGE_SIZE };
	nr_tracked = vpm_test_tracked_ranges(ctx.vpm, tracked,
					     ARRAY_SIZE(tracked));
	vpm_test_expect_ranges(test, "tracked", tracked, nr_tracked, known,
			       ARRAY_SIZE(known));
	/* A zap of the BARs must leave the other region alone. */
	if (bars_only) {
		KUNIT_ASSERT_EQ(test, nr_tracked, 5U);
		for (nr = 0; nr < nr_tracked; nr++)
			if (tracked[nr].start == e1)
				tracked[nr] = tracked[--nr_tracked];
	}

	vpm_test_mmu_record(ctx.mmu);
	switch (c->path) {
	case VPM_ZAP_PATH_ZAP:
		vpm_test_zap(ctx.vpm, VPM_REASON_CONFIG_WRITE, VPM_ZAP_ALL);
		break;
	case VPM_ZAP_PATH_ZAP_BARS:
		vpm_test_zap(ctx.vpm, VPM_REASON_CONFIG_WRITE, VPM_ZAP_BARS);
		break;
	case VPM_ZAP_PATH_RESET:
		vpm_reset_prepare(ctx.vpm);
		break;
	case VPM_ZAP_PATH_REVOKE:
		vpm_revoke(ctx.vpm);
		break;
	}
	nr = vpm_test_mmu_stop(ctx.mmu);
	vpm_test_expect_ranges(test, "invalidated", ctx.mmu->ranges, nr,
			       tracked, min(nr_tracked,
					    (unsigned int)ARRAY_SIZE(tracked)));
	KUNIT_EXPECT_EQ(test, ctx.mmu->not_clear, 0U);
	KUNIT_ASSERT_EQ(test, ctx.ev->nr_zap, 1U);
	KUNIT_EXPECT_EQ(test, ctx.ev->zap_scope[0],
			bars_only ? VPM_ZAP_BARS : VPM_ZAP_ALL);
	KUNIT_EXPECT_EQ(test, ctx.ev->zap_vmas[0], nr_tracked);
	KUNIT_EXPECT_EQ(test, extra->populated, bars_only);
	if (bars_only)
		vpm_expect_mapped(test, ctx.td, e1, 3, 2);
	else
		vpm_expect_unmapped(test, e1, 2);

	vpm_expect_unmapped(test, a1, 4);
	vpm_expect_unmapped(test, a2, 2);
	vpm_expect_unmapped(test, a3, 2);
	vpm_expect_unmapped(test, a3 + 4 * PAGE_SIZE, 2);
	/* The other device and the anonymous page were left alone. */
	vpm_expect_mapped(test, other, b1, 0, 2);
	KUNIT_EXPECT_EQ(test, get_user(val, (u64 __user *)anon), 0);
	KUNIT_EXPECT_EQ(test, val, 1ULL);

	switch (c->path) {
	case VPM_ZAP_PATH_ZAP:
	case VPM_ZAP_PATH_ZAP_BARS:
		KUNIT_EXPECT_EQ(test, vpm_read(a3 + 5 * PAGE_SIZE, &val), 0);
		KUNIT_EXPECT_EQ(test, val, vpm_test_pattern(9));
		break;
	case VPM_ZAP_PATH_RESET:
		KUNIT_EXPECT_EQ(test, vpm_read(a1, &val), -EFAULT);
		vpm_reset_done(ctx.vpm);
		KUNIT_EXPECT_EQ(test, vpm_read(a2 + PAGE_SIZE, &val), 0);
		KUNIT_EXPECT_EQ(test, val,
				vpm_test_pattern(VPM_TEST_BAR2_FIRST + 1));
		break;
	case VPM_ZAP_PATH_REVOKE:
		KUNIT_EXPECT_EQ(test, vpm_read(a1, &val), -EFAULT);
		KUNIT_EXPECT_EQ(test, vpm_read(a3 + 4 * PAGE_SIZE, &val),
				-EFAULT);
		break;
	}

	vpm_unmap(test, a1, 4);
	vpm_unmap(test, a2, 2);
	vpm_unmap(test, a3, 6);
	vpm_unmap(test, e1, 2);
	vpm_unmap(test, b1, 2);
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(&ctx.vpm->tracker), 0U);
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(&other->vpm->tracker), 0U);
}

struct vpm_window_closer {
	struct delayed_work work;
	struct vpm_device *vpm;
};

static void vpm_window_closer_fn(struct work_struct *work)
{
	struct vpm_window_closer *c =
		container_of(to_delayed_work(work), struct vpm_window_closer,
			     work);

	vpm_reset_done(c->vpm);
}

/*
 * Under the block policy a fault inside a reset window waits, without the
 * mm's lock, until the window closes, then maps the device: traced once
 * as blocked (RETRY), once as mapped.
 */
static void vpm_block_policy_waits_out_a_reset_window(struct kunit *test)
{
	struct vpm_window_closer closer;
	struct vpm_map_ctx ctx;
	unsigned long addr;
	s64 waited;
	ktime_t t0;
	u64 val;
	int ret;

	vpm_map_setup(test, &ctx);
	vpm_test_set_policy_param(test, RS, VPM_POLICY_BLOCK);
	addr = vpm_map(test, ctx.td, 0, 0, 2);
	vpm_reset_prepare(ctx.vpm);
	vpm_test_events_reset(ctx.ev);

	closer.vpm = ctx.vpm;
	INIT_DELAYED_WORK_ONSTACK(&closer.work, vpm_window_closer_fn);
	schedule_delayed_work(&closer.work, msecs_to_jiffies(100));
	t0 = ktime_get();
	ret = vpm_read(addr + PAGE_SIZE, &val);
	waited = ktime_ms_delta(ktime_get(), t0);
	flush_delayed_work(&closer.work);
	destroy_delayed_work_on_stack(&closer.work);

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, val, vpm_test_pattern(1));
	KUNIT_EXPECT_GE(test, waited, 90);
	KUNIT_ASSERT_GE(test, ctx.ev->nr_fault, 2U);
	KUNIT_EXPECT_EQ(test, ctx.ev->fault[0].access, VPM_ACCESS_BLOCK);
	KUNIT_EXPECT_EQ(test, ctx.ev->fault[ctx.ev->nr_fault - 1].access,
			VPM_ACCESS_MAP);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx.vpm->refused), 0L);
	vpm_unmap(test, addr, 2);
}

/* A window that outlives the bound ends in SIGBUS, recorded as refused. */
static void vpm_block_policy_ends_in_sigbus_past_its_bound(struct kunit *test)
{
	struct vpm_map_ctx ctx;
	unsigned long addr;
	s64 waited;
	ktime_t t0;
	u64 val;
	int ret;

	vpm_map_setup(test, &ctx);
	vpm_test_set_policy_param(test, RS, VPM_POLICY_BLOCK);
	WRITE_ONCE(vpm_param_policies.block_timeout_ms, 200);
	addr = vpm_map(test, ctx.td, 0, 0, 1);
	vpm_reset_prepare(ctx.vpm);

	t0 = ktime_get();
	ret = vpm_read(addr, &val);
	waited = ktime_ms_delta(ktime_get(), t0);
	KUNIT_EXPECT_EQ(test, ret, -EFAULT);
	KUNIT_EXPECT_GE(test, waited, 190);
	KUNIT_EXPECT_LT(test, waited, 5000);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx.vpm->refused), 1L);

	/* Past the bound every access of the window fails at once. */
	t0 = ktime_get();
	KUNIT_EXPECT_EQ(test, vpm_read(addr, &val), -EFAULT);
	KUNIT_EXPECT_LT(test, ktime_ms_delta(ktime_get(), t0), 100);

	vpm_reset_done(ctx.vpm);
	KUNIT_EXPECT_EQ(test, vpm_read(addr, &val), 0);
	vpm_unmap(test, addr, 1);
}

static void vpm_reset_window_zaps_once_and_refuses_until_reset_done(struct kunit *test)
{
	struct vpm_map_ctx ctx;
	unsigned long addr;
	unsigned int nr;
	u64 val;

	vpm_map_setup(test, &ctx);
	addr = vpm_map(test, ctx.td, 0, 0, 2);
	KUNIT_ASSERT_EQ(test, vpm_read(addr, &val), 0);

	vpm_test_mmu_record(ctx.mmu);
	vpm_reset_prepare(ctx.vpm);
	KUNIT_EXPECT_EQ(test, vpm_test_mmu_stop(ctx.mmu), 1U);
	KUNIT_EXPECT_EQ(test, vpm_read(addr, &val), -EFAULT);

	/* A nested reset finds nothing mapped and zaps nothing. */
	vpm_test_mmu_record(ctx.mmu);
	vpm_reset_prepare(ctx.vpm);
	nr = vpm_test_mmu_stop(ctx.mmu);
	KUNIT_EXPECT_EQ(test, nr, 0U);
	KUNIT_EXPECT_EQ(test, ctx.ev->nr_zap, 1U);
	KUNIT_EXPECT_EQ(test, vpm_read(addr + PAGE_SIZE, &val), -EFAULT);

	vpm_reset_done(ctx.vpm);
	KUNIT_EXPECT_EQ(test, vpm_read(addr + PAGE_SIZE, &val), 0);
	KUNIT_EXPECT_EQ(test, val, vpm_test_pattern(1));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx.vpm->refused), 2L);
	vpm_unmap(test, addr, 2);
}

static void vpm_revoke_zaps_once_and_then_refuses_every_transition(struct kunit *test)
{
	struct vpm_map_ctx ctx;
	enum vpm_state from, to;
	unsigned long addr;
	u64 val;

	vpm_map_setup(test, &ctx);
	vpm_test_set_revoke_param(test, VPM_POLICY_SIGBUS);
	addr = vpm_map(test, ctx.td, 2, 0, 3);
	KUNIT_ASSERT_EQ(test, vpm_read(addr, &val), 0);

	vpm_test_mmu_record(ctx.mmu);
	vpm_revoke(ctx.vpm);
	KUNIT_EXPECT_EQ(test, vpm_test_mmu_stop(ctx.mmu), 1U);
	KUNIT_EXPECT_EQ(test, ctx.mmu->ranges[0].start, addr);
	KUNIT_EXPECT_EQ(test, ctx.mmu->ranges[0].end, addr + 3 * PAGE_SIZE);
	KUNIT_EXPECT_TRUE(test, vpm_revoked(ctx.vpm));
	KUNIT_EXPECT_EQ(test, ctx.vpm->policy.of[RV], VPM_POLICY_SIGBUS);

	vpm_test_mmu_record(ctx.mmu);
	vpm_revoke(ctx.vpm);
	vpm_reset_prepare(ctx.vpm);
	vpm_reset_done(ctx.vpm);
	vpm_state_sync(ctx.vpm, VPM_REASON_IOCTL);
	for (from = 0; from <= VPM_STATE_ANY; from++)
		for (to = 0; to < VPM_STATE_NR; to++)
			KUNIT_EXPECT_FALSE(test,
					   vpm_test_transition(ctx.vpm, from, to,
							       VPM_REASON_IOCTL));
	KUNIT_EXPECT_EQ(test, vpm_test_mmu_stop(ctx.mmu), 0U);
	KUNIT_EXPECT_EQ(test, ctx.vpm->state, VPM_STATE_REVOKED);
	KUNIT_EXPECT_EQ(test, ctx.ev->nr_zap, 1U);

	KUNIT_EXPECT_EQ(test, vpm_read(addr + 2 * PAGE_SIZE, &val), -EFAULT);
	vpm_expect_unmapped(test, addr, 3);
	vpm_unmap(test, addr, 3);
}

static void vpm_revoke_in_ones_mode_never_lets_an_access_reach_the_bar(struct kunit *test)
{
	struct vpm_map_ctx ctx;
	unsigned long addr, pfn;
	u64 val, *bar;

	vpm_map_setup(test, &ctx);
	vpm_test_set_revoke_param(test, VPM_POLICY_ONES);
	addr = vpm_map(test, ctx.td, 0, 0, 2);
	KUNIT_ASSERT_EQ(test, vpm_read(addr, &val), 0);
	KUNIT_EXPECT_EQ(test, val, vpm_test_pattern(0));

	vpm_revoke(ctx.vpm);
	KUNIT_EXPECT_EQ(test, ctx.vpm->policy.of[RV], VPM_POLICY_ONES);
	KUNIT_ASSERT_EQ(test, vpm_read(addr + PAGE_SIZE, &val), 0);
	KUNIT_EXPECT_EQ(test, val, ~0ULL);
	/*
	 * A write lands in a private page of its own address, not in the
	 * device and not in the shared page every other address reads.
	 */
	KUNIT_ASSERT_EQ(test, put_user(0x42ULL, (u64 __user *)addr), 0);
	bar = page_address(ctx.td->bar);
	KUNIT_EXPECT_EQ(test, bar[0], vpm_test_pattern(0));
	KUNIT_EXPECT_NE(test, vpm_test_pfn_at(addr),
			page_to_pfn(ctx.vpm->ones.page));
	KUNIT_EXPECT_NE(test, vpm_test_pfn_at(addr),
			vpm_test_pfn_at(addr + PAGE_SIZE));
	KUNIT_ASSERT_EQ(test, vpm_read(addr + PAGE_SIZE, &val), 0);
	KUNIT_EXPECT_EQ(test, val, ~0ULL);
	KUNIT_ASSERT_EQ(test, vpm_read(addr + 8, &val), 0);
	KUNIT_EXPECT_EQ(test, val, ~0ULL);
	KUNIT_EXPECT_EQ(test, ctx.vpm->ones.nr_private, 2U);

	/* After a zap (fork, mprotect) the vma finds its pages again. */
	pfn = vpm_test_pfn_at(addr);
	vpm_test_zap(ctx.vpm, VPM_REASON_REQUEST, VPM_ZAP_ALL);
	KUNIT_ASSERT_EQ(test, vpm_read(addr, &val), 0);
	KUNIT_EXPECT_EQ(test, val, 0x42ULL);
	KUNIT_EXPECT_EQ(test, vpm_test_pfn_at(addr), pfn);
	KUNIT_EXPECT_EQ(test, ctx.vpm->ones.nr_private, 2U);
	/* The shared page itself was never written. */
	KUNIT_EXPECT_NULL(test, memchr_inv(page_address(ctx.vpm->ones.page),
					   0xff, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx.vpm->refused), 0L);
	vpm_unmap(test, addr, 2);
}

/* ---- split and unmap ------------------------------------------------------------ */

static void vpm_partial_munmap_splits_the_tracked_vma(struct kunit *test)
{
	struct vpm_test_range got[4], want[2];
	struct vpm_mapping *lo, *hi;
	struct vpm_map_ctx ctx;
	unsigned long addr;
	unsigned int nr;
	u64 val;

	vpm_map_setup(test, &ctx);
	addr = vpm_map(test, ctx.td, 0, 1, 6);
	KUNIT_ASSERT_EQ(test, vpm_read(addr, &val), 0);
	vpm_test_events_reset(ctx.ev);

	KUNIT_ASSERT_EQ(test, vm_munmap(addr + 2 * PAGE_SIZE, 2 * PAGE_SIZE),
			0);
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(&ctx.vpm->tracker), 2U);
	KUNIT_EXPECT_EQ(test, ctx.ev->nr_track, 2U);
	KUNIT_EXPECT_EQ(test, ctx.ev->track[0], VPM_TRACK_SPLIT);
	KUNIT_EXPECT_EQ(test, ctx.ev->track[1], VPM_TRACK_SPLIT);
	KUNIT_EXPECT_EQ(test, ctx.ev->nr_untrack, 1U);

	want[0] = (struct vpm_test_range){ addr, addr + 2 * PAGE_SIZE };
	want[1] = (struct vpm_test_range){ addr + 4 * PAGE_SIZE,
					   addr + 6 * PAGE_SIZE };
	nr = vpm_test_tracked_ranges(ctx.vpm, got, ARRAY_SIZE(got));
	vpm_test_expect_ranges(test, "tracked", got, nr, want, 2);

	lo = vpm_entry_at(ctx.vpm, addr);
	hi = vpm_entry_at(ctx.vpm, addr + 4 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, lo);
	KUNIT_ASSERT_NOT_NULL(test, hi);
	KUNIT_EXPECT_PTR_NE(test, lo, hi);
	/* Both halves keep the PTEs of the original: they are populated. */
	KUNIT_EXPECT_TRUE(test, lo->populated);
	KUNIT_EXPECT_TRUE(test, hi->populated);
	KUNIT_EXPECT_EQ(test, vpm_vma_region_pgoff(hi->vma), 5ULL);
	vpm_expect_mapped(test, ctx.td, addr, 1, 2);
	vpm_expect_mapped(test, ctx.td, addr + 4 * PAGE_SIZE, 5, 2);

	/* Zapped and faulted again, each half finds its pages by pgoff. */
	vpm_test_mmu_record(ctx.mmu);
	vpm_test_zap(ctx.vpm, VPM_REASON_IOCTL, VPM_ZAP_BARS);
	nr = vpm_test_mmu_stop(ctx.mmu);
	want[0] = (struct vpm_test_range){ addr, addr + 2 * PAGE_SIZE };
	want[1] = (struct vpm_test_range){ addr + 4 * PAGE_SIZE,
					   addr + 6 * PAGE_SIZE };
	vpm_test_expect_ranges(test, "invalidated", ctx.mmu->ranges, nr, want,
			       2);
	KUNIT_ASSERT_EQ(test, vpm_read(addr + 5 * PAGE_SIZE, &val), 0);
	KUNIT_EXPECT_EQ(test, val, vpm_test_pattern(6));
	KUNIT_ASSERT_EQ(test, vpm_read(addr + PAGE_SIZE, &val), 0);
	KUNIT_EXPECT_EQ(test, val, vpm_test_pattern(2));
	KUNIT_EXPECT_EQ(test, READ_ONCE(hi->faults), 1UL);
	KUNIT_EXPECT_EQ(test, READ_ONCE(lo->faults), 1UL);

	vpm_unmap(test, addr, 2);
	vpm_unmap(test, addr + 4 * PAGE_SIZE, 2);
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(&ctx.vpm->tracker), 0U);
}

static void vpm_munmap_of_every_mapping_leaves_nothing_tracked(struct kunit *test)
{
	unsigned long addr[8];
	struct vpm_map_ctx ctx;
	unsigned int i;
	u64 val;

	vpm_map_setup(test, &ctx);
	for (i = 0; i < ARRAY_SIZE(addr); i++) {
		addr[i] = vpm_map(test, ctx.td, i & 1 ? 2 : 0, i % 4, 2);
		if (i % 3 == 0)
			KUNIT_EXPECT_EQ(test, vpm_read(addr[i], &val), 0);
	}
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(&ctx.vpm->tracker),
			(unsigned int)ARRAY_SIZE(addr));
	for (i = 0; i < ARRAY_SIZE(addr); i++)
		vpm_unmap(test, addr[i], 2);
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(&ctx.vpm->tracker), 0U);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx.vpm->tracker.list));
	KUNIT_EXPECT_EQ(test, ctx.ev->nr_untrack,
			(unsigned int)ARRAY_SIZE(addr));
}

/* ---- allocation failures --------------------------------------------------------- */

/*
 * Fail the 1st, 2nd, ... slab allocation of an mmap in turn (the task's
 * fail_nth, as /proc/self/fail-nth sets it): whether the mmap fails in
 * vpm_bar_mmap() or later in the mm, which then calls ->close on the new
 * vma, nothing may stay tracked.  tests/guest/kunit.sh makes failslab
 * inject GFP_KERNEL allocations too and keeps it quiet; without that only
 * the few non-sleeping allocations can fail, or none, and the test skips.
 */
static void vpm_mmap_failing_at_any_allocation_leaves_nothing_tracked(struct kunit *test)
{
#ifdef CONFIG_FAULT_INJECTION
	unsigned int nth, left, failures = 0;
	struct vpm_map_ctx ctx;
	unsigned long addr;

	vpm_map_setup(test, &ctx);
	for (nth = 1; nth <= 1000; nth++) {
		WRITE_ONCE(current->fail_nth, nth);
		addr = vm_mmap(ctx.td->file, 0, 2 * PAGE_SIZE,
			       PROT_READ | PROT_WRITE, MAP_SHARED, 0);
		left = READ_ONCE(current->fail_nth);
		WRITE_ONCE(current->fail_nth, 0);
		if (IS_ERR_VALUE(addr)) {
			failures++;
			KUNIT_EXPECT_EQ_MSG(test, (long)addr, (long)-ENOMEM,
					    "failing allocation %u", nth);
			KUNIT_EXPECT_EQ_MSG(test,
					    vpm_tracker_count(&ctx.vpm->tracker),
					    0U, "failing allocation %u", nth);
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(test, vpm_tracker_count(&ctx.vpm->tracker),
				    1U, "failing allocation %u", nth);
		KUNIT_EXPECT_EQ(test, vm_munmap(addr, 2 * PAGE_SIZE), 0);
		KUNIT_EXPECT_EQ(test, vpm_tracker_count(&ctx.vpm->tracker), 0U);
		/* Fewer than nth allocations: every one has failed once. */
		if (left)
			break;
	}
	kunit_info(test, "%u of %u allocations failed the mmap", failures,
		   nth - 1);
	KUNIT_EXPECT_EQ(test, ctx.ev->nr_track, ctx.ev->nr_untrack);
	if (!failures)
		kunit_skip(test, "no mmap allocation could be failed (failslab ignore-gfp-wait?)");
#else
	kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
#endif
}

/* ---- faults racing with reset windows ------------------------------------------ */

struct vpm_racer {
	struct mm_struct *mm;
	unsigned long addr;
	unsigned long pages;
	unsigned long faults;
	unsigned long refused;
	unsigned long wrong;
	struct task_struct *task;
};

static int vpm_racer_thread(void *data)
{
	struct vpm_racer *r = data;
	unsigned long i = 0, page;
	u64 val;

	kthread_use_mm(r->mm);
	while (!kthread_should_stop()) {
		page = i++ % r->pages;
		if (get_user(val, (u64 __user *)(r->addr + page * PAGE_SIZE)))
			r->refused++;
		else if (val != vpm_test_pattern(page))
			r->wrong++;
		else
			r->faults++;
		cond_resched();
	}
	kthread_unuse_mm(r->mm);
	return 0;
}

static void vpm_racer_halt(struct vpm_racer *r)
{
	if (!r->task)
		return;
	kthread_stop(r->task);
	put_task_struct(r->task);
	r->task = NULL;
}

/* Also run by the cleanup thread if the test was aborted. */
static void vpm_racer_release(void *data)
{
	struct vpm_racer *r = data;

	vpm_racer_halt(r);
	mmput(r->mm);
}

static void vpm_faults_racing_with_reset_windows_never_map_inside_a_window(struct kunit *test)
{
	struct vpm_map_ctx ctx;
	struct vpm_racer *r;
	unsigned int round, i, leaks = 0;

	vpm_map_setup(test, &ctx);
	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->pages = 4;
	r->addr = vpm_map(test, ctx.td, 0, 0, r->pages);
	r->mm = current->mm;
	mmget(r->mm);
	r->task = kthread_create(vpm_racer_thread, r, "vpm-racer");
	if (IS_ERR(r->task)) {
		mmput(r->mm);
		KUNIT_FAIL_AND_ABORT(test, "kthread_create: %ld",
				     PTR_ERR(r->task));
	}
	get_task_struct(r->task);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, vpm_racer_release, r), 0);
	wake_up_process(r->task);

	for (round = 0; round < 200; round++) {
		vpm_reset_prepare(ctx.vpm);
		for (i = 0; i < r->pages; i++)
			if (vpm_test_pfn_at(r->addr + i * PAGE_SIZE))
				leaks++;
		vpm_reset_done(ctx.vpm);
		cond_resched();
	}
	vpm_racer_halt(r);
	kunit_info(test, "%lu reads served, %lu refused", r->faults,
		   r->refused);
	KUNIT_EXPECT_EQ(test, leaks, 0U);
	KUNIT_EXPECT_EQ(test, r->wrong, 0UL);
	vpm_unmap(test, r->addr, r->pages);
}

static struct kunit_case vpm_mmap_test_cases[] = {
	KUNIT_CASE(vpm_block_policy_waits_out_a_reset_window),
	KUNIT_CASE(vpm_block_policy_ends_in_sigbus_past_its_bound),
	KUNIT_CASE(vpm_mmap_tracks_one_vma_and_maps_nothing_until_touched),
	KUNIT_CASE(vpm_first_touch_maps_the_bar_pages_in_one_fault),
	KUNIT_CASE(vpm_refault_fills_the_block_with_the_kept_protection),
	KUNIT_CASE(vpm_fill_prot_takes_only_the_cache_mode_of_the_read_back_pte),
	KUNIT_CASE_PARAM(vpm_mmap_at_an_offset_maps_the_pages_at_that_offset,
			 vpm_offset_gen_params),
	KUNIT_CASE(vpm_writes_through_the_mapping_reach_the_bar),
	KUNIT_CASE_PARAM(vpm_mmap_is_refused_where_the_bar_may_not_be_mapped,
			 vpm_refuse_gen_params),
	KUNIT_CASE_PARAM(vpm_touch_follows_the_access_decision_in_each_state,
			 vpm_touch_gen_params),
	KUNIT_CASE(vpm_refused_copy_from_user_copies_nothing_and_sends_no_signal),
	KUNIT_CASE_PARAM(vpm_zap_with_any_reason_invalidates_exactly_the_mapping,
			 vpm_reason_gen_params),
	KUNIT_CASE_PARAM(vpm_every_zap_path_invalidates_the_tracked_ranges_and_nothing_else,
			 vpm_zap_path_gen_params),
	KUNIT_CASE(vpm_reset_window_zaps_once_and_refuses_until_reset_done),
	KUNIT_CASE(vpm_revoke_zaps_once_and_then_refuses_every_transition),
	KUNIT_CASE(vpm_revoke_in_ones_mode_never_lets_an_access_reach_the_bar),
	KUNIT_CASE(vpm_partial_munmap_splits_the_tracked_vma),
	KUNIT_CASE(vpm_munmap_of_every_mapping_leaves_nothing_tracked),
	KUNIT_CASE(vpm_mmap_failing_at_any_allocation_leaves_nothing_tracked),
	KUNIT_CASE_SLOW(vpm_faults_racing_with_reset_windows_never_map_inside_a_window),
	{}
};

static struct kunit_suite vpm_bar_mmap_suite = {
	.name = "vpm_bar_mmap",
	.test_cases = vpm_mmap_test_cases,
};

kunit_test_suite(vpm_bar_mmap_suite);
