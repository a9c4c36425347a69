// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vpm_vma: the tracking list of the vma layer (vma.c), driven through
 * the module's vm_ops on hand-made vmas.
 *
 * fork() and mremap() cannot be started from a kernel thread (there is no
 * kernel API for either), and vm_area_dup() is not exported.  The mm calls
 * ->open on a copy of the vma made by vm_area_dup() (a memberwise copy,
 * vm_private_data included) with the copy's vm_mm, vm_start, vm_end and
 * vm_pgoff already set, while the original still has its old range; these
 * tests make the same copies by hand and call the same vm_ops, which read
 * nothing else of a vma.  The real split (munmap of a middle part) is in
 * the vpm_bar_mmap suite; real fork and mremap are covered by the VM tests
 * (tests/user/mmap_fork.c, mmap_tracking.c).
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "vpm.h"
#include "vpm_kunit.h"

static bool vpm_is_tracked(struct vpm_device *vpm, struct vpm_mapping *want)
{
	struct vpm_mapping *m;
	bool found = false;

	mutex_lock(&vpm->tracker.lock);
	list_for_each_entry(m, &vpm->tracker.list, link)
		if (m == want)
			found = true;
	mutex_unlock(&vpm->tracker.lock);
	return found;
}

static void vpm_mapping_alloc_returns_a_zeroed_entry(struct kunit *test)
{
	struct vpm_mapping *m = vpm_mapping_alloc(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_NULL(test, m->vpm);
	KUNIT_EXPECT_NULL(test, m->vma);
	KUNIT_EXPECT_FALSE(test, m->populated);
	KUNIT_EXPECT_EQ(test, READ_ONCE(m->faults), 0UL);
	kfree(m);
}

static void vpm_track_links_the_vma_and_records_its_region(struct kunit *test)
{
	struct vpm_track_ctx ctx;
	struct vm_area_struct *vma;
	struct vpm_mapping *m;

	vpm_track_setup(test, &ctx);
	vma = vpm_tracked_vma(test, &ctx, VPM_A, 4, 2, 3);
	m = vpm_entry(vma);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_PTR_EQ(test, m->vpm, ctx.vpm);
	KUNIT_EXPECT_PTR_EQ(test, m->vma, vma);
	KUNIT_EXPECT_PTR_EQ(test, m->mm, current->mm);
	KUNIT_EXPECT_EQ(test, m->region, 2U);
	KUNIT_EXPECT_EQ(test, vpm_vma_region(vma), 2U);
	KUNIT_EXPECT_EQ(test, vpm_vma_region_pgoff(vma), 3ULL);
	KUNIT_EXPECT_FALSE(test, m->populated);
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(&ctx.vpm->tracker), 1U);
	KUNIT_EXPECT_TRUE(test, vpm_is_tracked(ctx.vpm, m));
	KUNIT_EXPECT_EQ(test, ctx.ev->nr_track, 1U);
	KUNIT_EXPECT_EQ(test, ctx.ev->track[0], VPM_TRACK_MMAP);

	vpm_vma_close(vma);
	KUNIT_EXPECT_NULL(test, vma->vm_private_data);
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(&ctx.vpm->tracker), 0U);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx.vpm->tracker.list));
	KUNIT_EXPECT_EQ(test, ctx.ev->nr_untrack, 1U);
}

struct vpm_open_case {
	const char *desc;
	bool other_mm;
	/* The copy's range, in pages from VPM_A (or VPM_B if elsewhere). */
	bool elsewhere;
	unsigned long first;
	unsigned long pages;
	enum vpm_track_why want;
};

/* The original: 4 pages at VPM_A, region 2, page 8 of the region. */
static const struct vpm_open_case vpm_open_cases[] = {
	{ "the upper part of a split is a split", false, false, 2, 2,
	  VPM_TRACK_SPLIT },
	{ "the lower part of a split is a split", false, false, 0, 1,
	  VPM_TRACK_SPLIT },
	{ "a copy of the whole range in the same mm is a split", false,
	  false, 0, 4, VPM_TRACK_SPLIT },
	{ "a copy placed elsewhere is an mremap", false, true, 0, 4,
	  VPM_TRACK_MREMAP },
	{ "a copy overlapping the original in part is an mremap", false,
	  false, 2, 4, VPM_TRACK_MREMAP },
	{ "a copy in another mm is a fork", true, false, 0, 4,
	  VPM_TRACK_FORK },
	{ "a copy in another mm elsewhere is a fork", true, true, 0, 4,
	  VPM_TRACK_FORK },
};

KUNIT_ARRAY_PARAM_DESC(vpm_open, vpm_open_cases, desc);

static void vpm_vma_open_classifies_how_the_copy_came_to_be(struct kunit *test)
{
	const struct vpm_open_case *c = test->param_value;
	struct vm_area_struct *orig, *copy;
	struct vpm_mapping *om, *cm;
	struct vpm_track_ctx ctx;

	vpm_track_setup(test, &ctx);
	orig = vpm_tracked_vma(test, &ctx, VPM_A, 4, 2, 8);
	om = vpm_entry(orig);
	WRITE_ONCE(om->populated, true);
	om->faults = 3;

	copy = vpm_copy_vma(test, orig);
	if (c->other_mm)
		copy->vm_mm = ctx.other_mm;
	copy->vm_start = (c->elsewhere ? VPM_B : VPM_A) + c->first * PAGE_SIZE;
	copy->vm_end = copy->vm_start + c->pages * PAGE_SIZE;
	if (!c->elsewhere)
		copy->vm_pgoff += c->first;
	vpm_vma_open(copy);

	cm = vpm_entry(copy);
	KUNIT_ASSERT_NOT_NULL(test, cm);
	KUNIT_EXPECT_PTR_NE(test, cm, om);
	KUNIT_EXPECT_PTR_EQ(test, vpm_entry(orig), om);
	KUNIT_EXPECT_PTR_EQ(test, cm->vma, copy);
	KUNIT_EXPECT_PTR_EQ(test, cm->vpm, ctx.vpm);
	KUNIT_EXPECT_PTR_EQ(test, cm->mm, copy->vm_mm);
	KUNIT_EXPECT_EQ(test, cm->region, 2U);
	/* A fork child inherits the parent's PTEs: it is live already. */
	KUNIT_EXPECT_TRUE(test, cm->populated);
	KUNIT_EXPECT_EQ(test, READ_ONCE(cm->faults), 0UL);
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(&ctx.vpm->tracker), 2U);
	KUNIT_EXPECT_TRUE(test, vpm_is_tracked(ctx.vpm, cm));
	KUNIT_ASSERT_EQ(test, ctx.ev->nr_track, 2U);
	KUNIT_EXPECT_EQ_MSG(test, ctx.ev->track[1], c->want,
			    "classified as %d", ctx.ev->track[1]);

	vpm_vma_close(copy);
	KUNIT_EXPECT_TRUE(test, vpm_is_tracked(ctx.vpm, om));
	vpm_vma_close(orig);
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(&ctx.vpm->tracker), 0U);
}

static void vpm_fork_and_child_exit_reuse_entries_and_keep_no_more_than_tracked(struct kunit *test)
{
	struct vm_area_struct *orig, *child, *child2;
	struct vpm_tracker *t;
	struct vpm_track_ctx ctx;
	struct vpm_mapping *cm;

	vpm_track_setup(test, &ctx);
	t = &ctx.vpm->tracker;
	orig = vpm_tracked_vma(test, &ctx, VPM_A, 4, 2, 8);
	WRITE_ONCE(vpm_entry(orig)->populated, true);
	vpm_entry(orig)->faults = 3;

	/* A fork child's exit keeps its entry: one vma is still tracked. */
	child = vpm_copy_vma(test, orig);
	child->vm_mm = ctx.other_mm;
	vpm_vma_open(child);
	cm = vpm_entry(child);
	cm->faults = 7;
	vpm_vma_close(child);
	KUNIT_EXPECT_EQ(test, t->nr_spare, 1U);
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(t), 1U);
	KUNIT_EXPECT_NULL(test, child->vm_private_data);

	/* The next fork takes it, as fresh as an allocated one. */
	child2 = vpm_copy_vma(test, orig);
	child2->vm_mm = ctx.other_mm;
	vpm_vma_open(child2);
	KUNIT_EXPECT_PTR_EQ(test, vpm_entry(child2), cm);
	KUNIT_EXPECT_EQ(test, t->nr_spare, 0U);
	KUNIT_EXPECT_EQ(test, READ_ONCE(cm->faults), 0UL);
	KUNIT_EXPECT_TRUE(test, cm->populated);
	KUNIT_EXPECT_PTR_EQ(test, cm->vma, child2);
	KUNIT_EXPECT_TRUE(test, xa_empty(&cm->ones));
	KUNIT_EXPECT_TRUE(test, vpm_is_tracked(ctx.vpm, cm));

	/* Never more spare entries than vmas still tracked. */
	vpm_vma_close(child2);
	KUNIT_EXPECT_EQ(test, t->nr_spare, 1U);
	vpm_vma_close(orig);
	KUNIT_EXPECT_EQ(test, t->nr_spare, 1U);
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(t), 0U);

	/* Closing the device frees them. */
	vpm_tracker_release(t);
	KUNIT_EXPECT_EQ(test, t->nr_spare, 0U);
	KUNIT_EXPECT_TRUE(test, list_empty(&t->spare));
}

static void vpm_vma_mremap_allows_the_move_and_the_old_vma_is_closed_next(struct kunit *test)
{
	struct vm_area_struct *orig, *moved;
	struct vpm_track_ctx ctx;
	struct vpm_mapping *m;

	vpm_track_setup(test, &ctx);
	orig = vpm_tracked_vma(test, &ctx, VPM_A, 4, 0, 0);
	moved = vpm_copy_vma(test, orig);
	moved->vm_start = VPM_B;
	moved->vm_end = VPM_B + 4 * PAGE_SIZE;
	vpm_vma_open(moved);
	KUNIT_EXPECT_EQ(test, vpm_vma_mremap(moved), 0);
	KUNIT_EXPECT_EQ(test, ctx.ev->nr_moved, 1U);
	vpm_vma_close(orig);

	m = vpm_entry(moved);
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(&ctx.vpm->tracker), 1U);
	KUNIT_EXPECT_TRUE(test, vpm_is_tracked(ctx.vpm, m));
	KUNIT_EXPECT_EQ(test, m->vma->vm_start, VPM_B);
	KUNIT_EXPECT_EQ(test, ctx.ev->nr_track, 2U);
	KUNIT_EXPECT_EQ(test, ctx.ev->track[1], VPM_TRACK_MREMAP);
	vpm_vma_close(moved);
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(&ctx.vpm->tracker), 0U);
}

static void vpm_vma_close_removes_only_its_own_entry(struct kunit *test)
{
	struct vm_area_struct *vma[3];
	struct vpm_mapping *m0, *m2;
	struct vpm_track_ctx ctx;
	unsigned int i;

	vpm_track_setup(test, &ctx);
	for (i = 0; i < 3; i++)
		vma[i] = vpm_tracked_vma(test, &ctx, VPM_A + i * SZ_1M, 2, i,
					 0);
	m0 = vpm_entry(vma[0]);
	m2 = vpm_entry(vma[2]);
	vpm_vma_close(vma[1]);
	KUNIT_EXPECT_NULL(test, vma[1]->vm_private_data);
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(&ctx.vpm->tracker), 2U);
	KUNIT_EXPECT_TRUE(test, vpm_is_tracked(ctx.vpm, m0));
	KUNIT_EXPECT_TRUE(test, vpm_is_tracked(ctx.vpm, m2));
	KUNIT_EXPECT_EQ(test, ctx.ev->nr_untrack, 1U);
	vpm_vma_close(vma[0]);
	vpm_vma_close(vma[2]);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx.vpm->tracker.list));
}

static void vpm_tracker_mark_zapped_clears_every_populated_flag(struct kunit *test)
{
	struct vm_area_struct *vma[3];
	struct vpm_track_ctx ctx;
	unsigned int i;

	vpm_track_setup(test, &ctx);
	for (i = 0; i < 3; i++) {
		vma[i] = vpm_tracked_vma(test, &ctx, VPM_A + i * SZ_1M, 1, 0,
					 i);
		WRITE_ONCE(vpm_entry(vma[i])->populated, true);
	}
	KUNIT_EXPECT_EQ(test, vpm_tracker_mark_zapped(&ctx.vpm->tracker,
						      VPM_ZAP_ALL), 3U);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_FALSE(test, vpm_entry(vma[i])->populated);
		vpm_vma_close(vma[i]);
	}
	KUNIT_EXPECT_EQ(test, vpm_tracker_mark_zapped(&ctx.vpm->tracker,
						      VPM_ZAP_ALL), 0U);
}

static void vpm_tracker_mark_zapped_of_the_bars_leaves_other_regions_populated(struct kunit *test)
{
	static const u32 regions[] = { 0, 2, VFIO_PCI_ROM_REGION_INDEX - 1,
				       VPM_TEST_EXTRA_REGION };
	struct vm_area_struct *vma[ARRAY_SIZE(regions)];
	struct vpm_track_ctx ctx;
	unsigned int i;

	vpm_track_setup(test, &ctx);
	for (i = 0; i < ARRAY_SIZE(regions); i++) {
		vma[i] = vpm_tracked_vma(test, &ctx, VPM_A + i * SZ_1M, 1,
					 regions[i], 0);
		WRITE_ONCE(vpm_entry(vma[i])->populated, true);
	}
	KUNIT_EXPECT_EQ(test, vpm_tracker_mark_zapped(&ctx.vpm->tracker,
						      VPM_ZAP_BARS), 3U);
	for (i = 0; i < ARRAY_SIZE(regions); i++)
		KUNIT_EXPECT_EQ_MSG(test, vpm_entry(vma[i])->populated,
				    regions[i] >= VFIO_PCI_ROM_REGION_INDEX,
				    "region %u", regions[i]);
	KUNIT_EXPECT_EQ(test, vpm_tracker_mark_zapped(&ctx.vpm->tracker,
						      VPM_ZAP_ALL), 4U);
	for (i = 0; i < ARRAY_SIZE(regions); i++) {
		KUNIT_EXPECT_FALSE(test, vpm_entry(vma[i])->populated);
		vpm_vma_close(vma[i]);
	}
}

/* Concurrent ->open and ->close, as vmas of several processes come and go. */
#define VPM_CHURN_THREADS	4
#define VPM_CHURN_ROUNDS	200

struct vpm_churn {
	struct vm_area_struct *orig;
	struct vm_area_struct copies[VPM_CHURN_THREADS];
	struct completion done[VPM_CHURN_THREADS];
	atomic_t bad;
};

struct vpm_churn_arg {
	struct vpm_churn *churn;
	unsigned int i;
};

static int vpm_churn_thread(void *data)
{
	struct vpm_churn_arg *a = data;
	struct vpm_churn *churn = a->churn;
	struct vm_area_struct *copy = &churn->copies[a->i];
	unsigned int r;

	for (r = 0; r < VPM_CHURN_ROUNDS; r++) {
		memcpy(copy, churn->orig, sizeof(*copy));
		vpm_vma_open(copy);
		if (vpm_entry(copy) == vpm_entry(churn->orig) ||
		    vpm_entry(copy)->vma != copy)
			atomic_inc(&churn->bad);
		vpm_vma_close(copy);
		cond_resched();
	}
	complete(&churn->done[a->i]);
	return 0;
}

static void vpm_concurrent_open_and_close_keep_the_count_exact(struct kunit *test)
{
	struct vpm_churn_arg args[VPM_CHURN_THREADS];
	struct task_struct *t;
	struct vpm_track_ctx ctx;
	struct vpm_churn *churn;
	unsigned int i, started = 0;

	vpm_track_setup(test, &ctx);
	churn = kunit_kzalloc(test, sizeof(*churn), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, churn);
	churn->orig = vpm_tracked_vma(test, &ctx, VPM_A, 4, 0, 0);
	for (i = 0; i < VPM_CHURN_THREADS; i++) {
		init_completion(&churn->done[i]);
		args[i].churn = churn;
		args[i].i = i;
		t = kthread_run(vpm_churn_thread, &args[i], "vpm-churn/%u", i);
		if (IS_ERR(t)) {
			KUNIT_FAIL(test, "kthread_run: %ld", PTR_ERR(t));
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++)
		wait_for_completion(&churn->done[i]);

	KUNIT_EXPECT_EQ(test, atomic_read(&churn->bad), 0);
	KUNIT_EXPECT_EQ(test, vpm_tracker_count(&ctx.vpm->tracker), 1U);
	KUNIT_EXPECT_EQ(test, ctx.ev->nr_track,
			1U + started * VPM_CHURN_ROUNDS);
	KUNIT_EXPECT_EQ(test, ctx.ev->nr_untrack, started * VPM_CHURN_ROUNDS);
	vpm_vma_close(churn->orig);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx.vpm->tracker.list));
}

static struct kunit_case vpm_vma_test_cases[] = {
	KUNIT_CASE(vpm_mapping_alloc_returns_a_zeroed_entry),
	KUNIT_CASE(vpm_fork_and_child_exit_reuse_entries_and_keep_no_more_than_tracked),
	KUNIT_CASE(vpm_track_links_the_vma_and_records_its_region),
	KUNIT_CASE_PARAM(vpm_vma_open_classifies_how_the_copy_came_to_be,
			 vpm_open_gen_params),
	KUNIT_CASE(vpm_vma_mremap_allows_the_move_and_the_old_vma_is_closed_next),
	KUNIT_CASE(vpm_vma_close_removes_only_its_own_entry),
	KUNIT_CASE(vpm_tracker_mark_zapped_clears_every_populated_flag),
	KUNIT_CASE(vpm_tracker_mark_zapped_of_the_bars_leaves_other_regions_populated),
	KUNIT_CASE(vpm_concurrent_open_and_close_keep_the_count_exact),
	{}
};

static struct kunit_suite vpm_vma_suite = {
	.name = "vpm_vma",
	.test_cases = vpm_vma_test_cases,
};

kunit_test_suite(vpm_vma_suite);
