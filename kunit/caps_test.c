// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suites vpm_caps and vpm_region_info: the capability chain builder
 * of VFIO info ioctls and VFIO_DEVICE_GET_REGION_INFO for sparse BARs
 * (region_info.c).
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
#include "region_info.h"
#include "vpm_kunit.h"

KUNIT_DEFINE_ACTION_WRAPPER(vpm_caps_free_action, vpm_caps_free,
			    struct vpm_caps *);

static struct vpm_caps *vpm_test_caps(struct kunit *test)
{
	struct vpm_caps *caps = kunit_kzalloc(test, sizeof(*caps), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, caps);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, vpm_caps_free_action, caps),
			0);
	return caps;
}

static struct vfio_info_cap_header *vpm_cap_at(struct vpm_caps *caps,
					       size_t off)
{
	return caps->buf + off;
}

/*
 * The chain most tests use: capabilities of 12, 24 and 8 bytes, at
 * offsets 0, 16 and 40 (each aligned to 8 bytes); 48 bytes in all.
 */
#define VPM_CHAIN_LEN	48

static void vpm_test_build_chain(struct kunit *test, struct vpm_caps *caps)
{
	struct vfio_info_cap_header *hdr;

	hdr = vpm_caps_add(caps, 1, 1, 12);
	KUNIT_ASSERT_FALSE(test, IS_ERR(hdr));
	memset(hdr + 1, 0x11, 12 - sizeof(*hdr));
	hdr = vpm_caps_add(caps, 2, 3, 24);
	KUNIT_ASSERT_FALSE(test, IS_ERR(hdr));
	memset(hdr + 1, 0x22, 24 - sizeof(*hdr));
	hdr = vpm_caps_add(caps, 3, 1, sizeof(*hdr));
	KUNIT_ASSERT_FALSE(test, IS_ERR(hdr));
	KUNIT_ASSERT_EQ(test, caps->len, (size_t)VPM_CHAIN_LEN);
}

/* ---- vpm_caps_add() ----------------------------------------------------------- */

static void vpm_caps_add_links_aligned_zeroed_capabilities(struct kunit *test)
{
	struct vpm_caps *caps = vpm_test_caps(test);
	struct vfio_info_cap_header *hdr;
	u8 *bytes;
	size_t i;

	hdr = vpm_caps_add(caps, 7, 2, 12);
	KUNIT_ASSERT_FALSE(test, IS_ERR(hdr));
	KUNIT_EXPECT_PTR_EQ(test, (void *)hdr, caps->buf);
	KUNIT_EXPECT_EQ(test, hdr->id, 7);
	KUNIT_EXPECT_EQ(test, hdr->version, 2);
	KUNIT_EXPECT_EQ(test, hdr->next, 0U);
	KUNIT_EXPECT_EQ(test, caps->len, (size_t)12);
	bytes = (u8 *)(hdr + 1);
	for (i = 0; i < 12 - sizeof(*hdr); i++)
		KUNIT_EXPECT_EQ_MSG(test, bytes[i], 0, "byte %zu", i);
	memset(hdr + 1, 0x11, 12 - sizeof(*hdr));

	hdr = vpm_caps_add(caps, 8, 1, 24);
	KUNIT_ASSERT_FALSE(test, IS_ERR(hdr));
	/* krealloc() may have moved the chain: look the first one up again. */
	KUNIT_EXPECT_EQ(test, vpm_cap_at(caps, 0)->next, 16U);
	KUNIT_EXPECT_PTR_EQ(test, (void *)hdr, caps->buf + 16);
	KUNIT_EXPECT_EQ(test, hdr->next, 0U);
	KUNIT_EXPECT_EQ(test, caps->last, (size_t)16);
	KUNIT_EXPECT_EQ(test, caps->len, (size_t)40);
	bytes = caps->buf;
	for (i = sizeof(*hdr); i < 12; i++)
		KUNIT_EXPECT_EQ_MSG(test, bytes[i], 0x11, "kept byte %zu", i);
	for (i = 12; i < 16; i++)
		KUNIT_EXPECT_EQ_MSG(test, bytes[i], 0, "padding byte %zu", i);
	for (i = 16 + sizeof(*hdr); i < 40; i++)
		KUNIT_EXPECT_EQ_MSG(test, bytes[i], 0, "new byte %zu", i);

	hdr = vpm_caps_add(caps, 9, 1, sizeof(*hdr));
	KUNIT_ASSERT_FALSE(test, IS_ERR(hdr));
	KUNIT_EXPECT_EQ(test, vpm_cap_at(caps, 16)->next, 40U);
	KUNIT_EXPECT_EQ(test, vpm_cap_at(caps, 0)->next, 16U);
	KUNIT_EXPECT_EQ(test, caps->len, (size_t)48);
}

struct vpm_caps_bad_case {
	const char *desc;
	bool after_one;		/* add a 16-byte capability first */
	size_t size;
};

static const struct vpm_caps_bad_case vpm_caps_bad_cases[] = {
	{ "a zero size is -EINVAL", false, 0 },
	{ "a size smaller than the header is -EINVAL", false, 7 },
	{ "a size above the chain limit is -EINVAL", false, VPM_CAPS_MAX + 1 },
	{ "a huge size is -EINVAL", false, SIZE_MAX },
	{ "a capability crossing the chain limit is -EINVAL", true,
	  VPM_CAPS_MAX - 8 },
	{ "a size that overflows the chain length is -EINVAL", true,
	  SIZE_MAX - 8 },
};

KUNIT_ARRAY_PARAM_DESC(vpm_caps_bad, vpm_caps_bad_cases, desc);

static void vpm_caps_add_refuses_bad_sizes_and_keeps_the_chain(struct kunit *test)
{
	const struct vpm_caps_bad_case *c = test->param_value;
	struct vpm_caps *caps = vpm_test_caps(test);
	struct vfio_info_cap_header *hdr;
	size_t len, last;
	void *buf;

	if (c->after_one) {
		hdr = vpm_caps_add(caps, 1, 1, 16);
		KUNIT_ASSERT_FALSE(test, IS_ERR(hdr));
	}
	buf = caps->buf;
	len = caps->len;
	last = caps->last;
	hdr = vpm_caps_add(caps, 2, 1, c->size);
	KUNIT_ASSERT_TRUE(test, IS_ERR(hdr));
	KUNIT_EXPECT_EQ(test, PTR_ERR(hdr), -EINVAL);
	KUNIT_EXPECT_PTR_EQ(test, caps->buf, buf);
	KUNIT_EXPECT_EQ(test, caps->len, len);
	KUNIT_EXPECT_EQ(test, caps->last, last);
	if (c->after_one)
		KUNIT_EXPECT_EQ(test, vpm_cap_at(caps, 0)->next, 0U);
}

static void vpm_caps_add_accepts_a_capability_of_exactly_the_limit(struct kunit *test)
{
	struct vpm_caps *caps = vpm_test_caps(test);
	struct vfio_info_cap_header *hdr;

	hdr = vpm_caps_add(caps, 1, 1, VPM_CAPS_MAX);
	KUNIT_ASSERT_FALSE(test, IS_ERR(hdr));
	KUNIT_EXPECT_EQ(test, caps->len, (size_t)VPM_CAPS_MAX);
	hdr = vpm_caps_add(caps, 2, 1, sizeof(*hdr));
	KUNIT_EXPECT_TRUE(test, IS_ERR(hdr));
}

static void vpm_caps_free_leaves_an_empty_reusable_chain(struct kunit *test)
{
	struct vpm_caps *caps = vpm_test_caps(test);
	struct vfio_info_cap_header *hdr;

	vpm_test_build_chain(test, caps);
	vpm_caps_free(caps);
	KUNIT_EXPECT_NULL(test, caps->buf);
	KUNIT_EXPECT_EQ(test, caps->len, (size_t)0);
	hdr = vpm_caps_add(caps, 5, 1, 16);
	KUNIT_ASSERT_FALSE(test, IS_ERR(hdr));
	KUNIT_EXPECT_EQ(test, hdr->next, 0U);
	KUNIT_EXPECT_EQ(test, caps->len, (size_t)16);
}

/* ---- vpm_caps_finish() -------------------------------------------------------- */

#define VPM_INFO_SIZE	sizeof(struct vfio_region_info)
#define VPM_NEEDED	(VPM_INFO_SIZE + VPM_CHAIN_LEN)
#define VPM_OTHER_FLAGS	(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_MMAP)

struct vpm_argsz_case {
	const char *desc;
	u32 argsz;
};

static const struct vpm_argsz_case vpm_small_argsz_cases[] = {
	{ "argsz 0", 0 },
	{ "argsz below the info struct", 16 },
	{ "argsz of exactly the info struct", VPM_INFO_SIZE },
	{ "argsz one byte short of the chain", VPM_NEEDED - 1 },
};

KUNIT_ARRAY_PARAM_DESC(vpm_small_argsz, vpm_small_argsz_cases, desc);

static void vpm_caps_finish_with_a_small_argsz_asks_for_more(struct kunit *test)
{
	const struct vpm_argsz_case *c = test->param_value;
	struct vpm_caps *caps = vpm_test_caps(test);
	u32 argsz = c->argsz, flags = VPM_OTHER_FLAGS, cap_offset = 0xdead;

	vpm_test_build_chain(test, caps);
	KUNIT_EXPECT_FALSE(test, vpm_caps_finish(caps, VPM_INFO_SIZE, &argsz,
						 &flags,
						 VFIO_REGION_INFO_FLAG_CAPS,
						 &cap_offset));
	KUNIT_EXPECT_EQ(test, flags,
			VPM_OTHER_FLAGS | VFIO_REGION_INFO_FLAG_CAPS);
	KUNIT_EXPECT_EQ(test, argsz, (u32)VPM_NEEDED);
	KUNIT_EXPECT_EQ(test, cap_offset, 0U);
	/* The chain keeps its own offsets: nothing is copied out. */
	KUNIT_EXPECT_EQ(test, vpm_cap_at(caps, 0)->next, 16U);
	KUNIT_EXPECT_EQ(test, vpm_cap_at(caps, 16)->next, 40U);
}

static const struct vpm_argsz_case vpm_big_argsz_cases[] = {
	{ "argsz of exactly the info and the chain", VPM_NEEDED },
	{ "argsz one byte more than needed", VPM_NEEDED + 1 },
	{ "argsz of a page", SZ_4K },
};

KUNIT_ARRAY_PARAM_DESC(vpm_big_argsz, vpm_big_argsz_cases, desc);

static void vpm_caps_finish_with_a_big_enough_argsz_shifts_the_chain(struct kunit *test)
{
	const struct vpm_argsz_case *c = test->param_value;
	struct vpm_caps *caps = vpm_test_caps(test);
	u32 argsz = c->argsz, flags = VPM_OTHER_FLAGS, cap_offset = 0xdead;

	vpm_test_build_chain(test, caps);
	KUNIT_EXPECT_TRUE(test, vpm_caps_finish(caps, VPM_INFO_SIZE, &argsz,
						&flags,
						VFIO_REGION_INFO_FLAG_CAPS,
						&cap_offset));
	KUNIT_EXPECT_EQ(test, flags,
			VPM_OTHER_FLAGS | VFIO_REGION_INFO_FLAG_CAPS);
	KUNIT_EXPECT_EQ(test, argsz, c->argsz);
	KUNIT_EXPECT_EQ(test, cap_offset, (u32)VPM_INFO_SIZE);
	KUNIT_EXPECT_EQ(test, vpm_cap_at(caps, 0)->next,
			(u32)(16 + VPM_INFO_SIZE));
	KUNIT_EXPECT_EQ(test, vpm_cap_at(caps, 16)->next,
			(u32)(40 + VPM_INFO_SIZE));
	KUNIT_EXPECT_EQ(test, vpm_cap_at(caps, 40)->next, 0U);
}

static void vpm_caps_finish_of_an_empty_chain_changes_nothing(struct kunit *test)
{
	struct vpm_caps *caps = vpm_test_caps(test);
	u32 argsz = 8, flags = VPM_OTHER_FLAGS, cap_offset = 0xdead;

	KUNIT_EXPECT_FALSE(test, vpm_caps_finish(caps, VPM_INFO_SIZE, &argsz,
						 &flags,
						 VFIO_REGION_INFO_FLAG_CAPS,
						 &cap_offset));
	KUNIT_EXPECT_EQ(test, argsz, 8U);
	KUNIT_EXPECT_EQ(test, flags, (u32)VPM_OTHER_FLAGS);
	KUNIT_EXPECT_EQ(test, cap_offset, 0U);
}

static void vpm_caps_finished_chain_is_walkable_from_the_info_struct(struct kunit *test)
{
	static const u16 want_ids[] = { 1, 2, 3 };
	struct vpm_caps *caps = vpm_test_caps(test);
	struct vfio_region_info *info;
	struct vfio_info_cap_header *hdr;
	u32 off, argsz = VPM_NEEDED;
	unsigned int n = 0;
	u8 *buf;

	vpm_test_build_chain(test, caps);
	buf = kunit_kzalloc(test, VPM_NEEDED, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	info = (struct vfio_region_info *)buf;
	info->argsz = argsz;
	KUNIT_ASSERT_TRUE(test, vpm_caps_finish(caps, VPM_INFO_SIZE,
						&info->argsz, &info->flags,
						VFIO_REGION_INFO_FLAG_CAPS,
						&info->cap_offset));
	/* What the ioctl copies out: the info, then the chain. */
	memcpy(buf + VPM_INFO_SIZE, caps->buf, caps->len);

	for (off = info->cap_offset; off; off = hdr->next) {
		KUNIT_ASSERT_LT_MSG(test, n, (unsigned int)ARRAY_SIZE(want_ids),
				    "the chain does not end");
		KUNIT_ASSERT_GE(test, off, (u32)VPM_INFO_SIZE);
		KUNIT_ASSERT_LE(test, off + sizeof(*hdr), (size_t)VPM_NEEDED);
		KUNIT_EXPECT_EQ(test, off % 8, 0U);
		hdr = (struct vfio_info_cap_header *)(buf + off);
		KUNIT_EXPECT_EQ(test, hdr->id, want_ids[n]);
		if (hdr->next)
			KUNIT_ASSERT_GT(test, hdr->next, off);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, (unsigned int)ARRAY_SIZE(want_ids));
}

static void vpm_caps_finish_of_one_capability_leaves_next_zero(struct kunit *test)
{
	struct vpm_caps *caps = vpm_test_caps(test);
	u32 argsz = SZ_4K, flags = 0, cap_offset = 0;

	KUNIT_ASSERT_FALSE(test, IS_ERR(vpm_caps_add(caps, 1, 1, 16)));
	KUNIT_EXPECT_TRUE(test, vpm_caps_finish(caps, VPM_INFO_SIZE, &argsz,
						&flags,
						VFIO_REGION_INFO_FLAG_CAPS,
						&cap_offset));
	KUNIT_EXPECT_EQ(test, vpm_cap_at(caps, 0)->next, 0U);
	KUNIT_EXPECT_EQ(test, cap_offset, (u32)VPM_INFO_SIZE);
}

static struct kunit_case vpm_caps_test_cases[] = {
	KUNIT_CASE(vpm_caps_add_links_aligned_zeroed_capabilities),
	KUNIT_CASE_PARAM(vpm_caps_add_refuses_bad_sizes_and_keeps_the_chain,
			 vpm_caps_bad_gen_params),
	KUNIT_CASE(vpm_caps_add_accepts_a_capability_of_exactly_the_limit),
	KUNIT_CASE(vpm_caps_free_leaves_an_empty_reusable_chain),
	KUNIT_CASE_PARAM(vpm_caps_finish_with_a_small_argsz_asks_for_more,
			 vpm_small_argsz_gen_params),
	KUNIT_CASE_PARAM(vpm_caps_finish_with_a_big_enough_argsz_shifts_the_chain,
			 vpm_big_argsz_gen_params),
	KUNIT_CASE(vpm_caps_finish_of_an_empty_chain_changes_nothing),
	KUNIT_CASE(vpm_caps_finished_chain_is_walkable_from_the_info_struct),
	KUNIT_CASE(vpm_caps_finish_of_one_capability_leaves_next_zero),
	{}
};

static struct kunit_suite vpm_caps_suite = {
	.name = "vpm_caps",
	.test_cases = vpm_caps_test_cases,
};

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

kunit_test_suites(&vpm_caps_suite, &vpm_region_info_suite);
