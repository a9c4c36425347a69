// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vpm_region_info: VFIO_DEVICE_GET_REGION_INFO for sparse BARs
 * (region_info.c), its capability chain built with vfio's own
 * vfio_info_cap_add()/vfio_info_cap_shift().
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/mman.h>
#include <linux/overflow.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include "vpm.h"
#include "vpm_kunit.h"

/* ---- VFIO_DEVICE_GET_REGION_INFO -------------------------------------------- */

/*
 * The user's buffer: the first of two pages of the test thread's address
 * space, the second unmapped, so that what is written past the buffer can
 * be seen and what would be written past the page faults.
 */
struct vpm_info_ctx {
	struct vpm_test_dev *td;
	void __user *page;
};

static void vpm_info_setup(struct kunit *test, struct vpm_info_ctx *ctx)
{
	unsigned long addr;
	struct vpm_sparse *sp;

	ctx->td = vpm_test_dev_new(test);
	vpm_test_attach_mm(test);
	addr = kunit_vm_mmap(test, NULL, 0, 2 * PAGE_SIZE,
			     PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, 0);
	KUNIT_ASSERT_FALSE(test, vpm_test_mmap_failed(addr));
	KUNIT_ASSERT_EQ(test, vm_munmap(addr + PAGE_SIZE, PAGE_SIZE), 0);
	ctx->page = (void __user *)addr;
	KUNIT_ASSERT_EQ(test, clear_user(ctx->page, PAGE_SIZE), 0UL);

	/* BAR0 (64 KiB): areas [0, 4K) and [8K, 64K). */
	sp = &ctx->td->vpm->sparse[0];
	sp->sparse = true;
	sp->nr_areas = 2;
	sp->areas[0].offset = 0;
	sp->areas[0].size = SZ_4K;
	sp->areas[1].offset = SZ_8K;
	sp->areas[1].size = (VPM_TEST_BAR_PAGES << PAGE_SHIFT) - SZ_8K;
}

/* Write an info request at @uinfo, run the ioctl, read the info back. */
static long vpm_info_call(struct kunit *test, struct vpm_info_ctx *ctx,
			  void __user *uinfo, u32 index, u32 argsz,
			  struct vfio_region_info *out)
{
	struct vfio_region_info in = { .argsz = argsz, .index = index };
	long ret;

	KUNIT_ASSERT_EQ(test, copy_to_user(uinfo, &in, sizeof(in)), 0UL);
	ret = vpm_ioctl_get_region_info(ctx->td->vpm, uinfo);
	KUNIT_ASSERT_EQ(test, copy_from_user(out, uinfo, sizeof(*out)), 0UL);
	return ret;
}

#define VPM_SPARSE_CAP_LEN(n) \
	struct_size_t(struct vfio_region_info_cap_sparse_mmap, areas, n)

static void vpm_region_info_with_room_returns_the_sparse_capability(struct kunit *test)
{
	struct vfio_region_info_cap_sparse_mmap *cap;
	struct vpm_info_ctx ctx;
	struct vfio_region_info info;
	size_t len = VPM_SPARSE_CAP_LEN(2);
	unsigned int i;

	vpm_info_setup(test, &ctx);
	KUNIT_ASSERT_EQ(test, vpm_info_call(test, &ctx, ctx.page, 0, SZ_1K,
					    &info), 0L);
	KUNIT_EXPECT_EQ(test, info.argsz, (u32)SZ_1K);
	KUNIT_EXPECT_EQ(test, info.flags,
			(u32)(VFIO_REGION_INFO_FLAG_READ |
			      VFIO_REGION_INFO_FLAG_WRITE |
			      VFIO_REGION_INFO_FLAG_MMAP |
			      VFIO_REGION_INFO_FLAG_CAPS));
	KUNIT_EXPECT_EQ(test, info.index, 0U);
	KUNIT_EXPECT_EQ(test, info.cap_offset, (u32)sizeof(info));
	KUNIT_EXPECT_EQ(test, info.size,
			(u64)VPM_TEST_BAR_PAGES << PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, info.offset, VFIO_PCI_INDEX_TO_OFFSET(0));

	cap = kunit_kzalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cap);
	KUNIT_ASSERT_EQ(test, copy_from_user(cap, ctx.page + info.cap_offset,
					     len), 0UL);
	KUNIT_EXPECT_EQ(test, cap->header.id,
			(u16)VFIO_REGION_INFO_CAP_SPARSE_MMAP);
	KUNIT_EXPECT_EQ(test, cap->header.version, 1);
	KUNIT_EXPECT_EQ(test, cap->header.next, 0U);
	KUNIT_ASSERT_EQ(test, cap->nr_areas, 2U);
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_EQ(test, cap->areas[i].offset,
				ctx.td->vpm->sparse[0].areas[i].offset);
		KUNIT_EXPECT_EQ(test, cap->areas[i].size,
				ctx.td->vpm->sparse[0].areas[i].size);
	}
}

static void vpm_region_info_with_a_small_argsz_sets_caps_and_asks_for_more(struct kunit *test)
{
	struct vpm_info_ctx ctx;
	struct vfio_region_info info;
	u8 after[64];
	unsigned int i;

	vpm_info_setup(test, &ctx);
	KUNIT_ASSERT_EQ(test, vpm_info_call(test, &ctx, ctx.page, 0,
					    sizeof(info), &info), 0L);
	KUNIT_EXPECT_EQ(test, info.argsz,
			(u32)(sizeof(info) + VPM_SPARSE_CAP_LEN(2)));
	KUNIT_EXPECT_TRUE(test, info.flags & VFIO_REGION_INFO_FLAG_CAPS);
	KUNIT_EXPECT_TRUE(test, info.flags & VFIO_REGION_INFO_FLAG_MMAP);
	KUNIT_EXPECT_EQ(test, info.cap_offset, 0U);
	/* Nothing was written past the info the user sized. */
	KUNIT_ASSERT_EQ(test, copy_from_user(after, ctx.page + sizeof(info),
					     sizeof(after)), 0UL);
	for (i = 0; i < sizeof(after); i++)
		KUNIT_EXPECT_EQ_MSG(test, after[i], 0, "byte %u after the info",
				    i);
}

static void vpm_region_info_below_the_minimum_argsz_is_einval(struct kunit *test)
{
	struct vpm_info_ctx ctx;
	struct vfio_region_info info;

	vpm_info_setup(test, &ctx);
	KUNIT_EXPECT_EQ(test, vpm_info_call(test, &ctx, ctx.page, 0, 16,
					    &info), (long)-EINVAL);
}

static void vpm_region_info_of_a_region_that_is_not_sparse_is_left_to_the_core(struct kunit *test)
{
	static const u32 indexes[] = { 2, 3, VFIO_PCI_ROM_REGION_INDEX,
				       VFIO_PCI_CONFIG_REGION_INDEX, 64,
				       U32_MAX };
	struct vpm_info_ctx ctx;
	struct vfio_region_info info;
	unsigned int i;

	vpm_info_setup(test, &ctx);
	for (i = 0; i < ARRAY_SIZE(indexes); i++)
		KUNIT_EXPECT_EQ_MSG(test, vpm_info_call(test, &ctx, ctx.page,
							indexes[i], SZ_1K,
							&info),
				    (long)-ENOIOCTLCMD, "index %u", indexes[i]);
}

static void vpm_region_info_of_a_sparse_bar_without_mmap_has_no_capability(struct kunit *test)
{
	struct vpm_info_ctx ctx;
	struct vfio_region_info info;

	vpm_info_setup(test, &ctx);
	ctx.td->vpm->sparse[1].sparse = true;
	KUNIT_ASSERT_EQ(test, vpm_info_call(test, &ctx, ctx.page, 1, SZ_1K,
					    &info), 0L);
	KUNIT_EXPECT_EQ(test, info.flags,
			(u32)(VFIO_REGION_INFO_FLAG_READ |
			      VFIO_REGION_INFO_FLAG_WRITE));
	KUNIT_EXPECT_EQ(test, info.cap_offset, 0U);
	KUNIT_EXPECT_EQ(test, info.argsz, (u32)SZ_1K);
	KUNIT_EXPECT_EQ(test, info.size, (u64)PAGE_SIZE);
}

static void vpm_region_info_without_a_mappable_area_reports_zero_areas(struct kunit *test)
{
	struct vfio_region_info_cap_sparse_mmap cap;
	struct vpm_info_ctx ctx;
	struct vfio_region_info info;

	vpm_info_setup(test, &ctx);
	ctx.td->vpm->sparse[0].nr_areas = 0;
	KUNIT_ASSERT_EQ(test, vpm_info_call(test, &ctx, ctx.page, 0, SZ_1K,
					    &info), 0L);
	KUNIT_EXPECT_TRUE(test, info.flags & VFIO_REGION_INFO_FLAG_CAPS);
	KUNIT_ASSERT_EQ(test, info.cap_offset, (u32)sizeof(info));
	KUNIT_ASSERT_EQ(test, copy_from_user(&cap, ctx.page + info.cap_offset,
					     sizeof(cap)), 0UL);
	KUNIT_EXPECT_EQ(test, cap.header.id,
			(u16)VFIO_REGION_INFO_CAP_SPARSE_MMAP);
	KUNIT_EXPECT_EQ(test, cap.nr_areas, 0U);
}

static void vpm_region_info_from_unmapped_user_memory_is_efault(struct kunit *test)
{
	struct vpm_info_ctx ctx;
	struct vfio_region_info info;
	void __user *last;
	long ret;

	vpm_info_setup(test, &ctx);
	/* The request itself cannot be read. */
	ret = vpm_ioctl_get_region_info(ctx.td->vpm,
					ctx.page + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, ret, (long)-EFAULT);

	/* The info fits the page, its capability does not. */
	last = ctx.page + PAGE_SIZE - sizeof(info);
	KUNIT_EXPECT_EQ(test, vpm_info_call(test, &ctx, last, 0, SZ_1K, &info),
			(long)-EFAULT);
}

static struct kunit_case vpm_region_info_test_cases[] = {
	KUNIT_CASE(vpm_region_info_with_room_returns_the_sparse_capability),
	KUNIT_CASE(vpm_region_info_with_a_small_argsz_sets_caps_and_asks_for_more),
	KUNIT_CASE(vpm_region_info_below_the_minimum_argsz_is_einval),
	KUNIT_CASE(vpm_region_info_of_a_region_that_is_not_sparse_is_left_to_the_core),
	KUNIT_CASE(vpm_region_info_of_a_sparse_bar_without_mmap_has_no_capability),
	KUNIT_CASE(vpm_region_info_without_a_mappable_area_reports_zero_areas),
	KUNIT_CASE(vpm_region_info_from_unmapped_user_memory_is_efault),
	{}
};

static struct kunit_suite vpm_region_info_suite = {
	.name = "vpm_region_info",
	.test_cases = vpm_region_info_test_cases,
};

kunit_test_suite(vpm_region_info_suite);
