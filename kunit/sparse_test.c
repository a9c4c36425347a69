// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vpm_sparse: the mappable areas of a BAR around its MSI-X
 * table and PBA (sparse.c).
 */
#include <kunit/test.h>
#include <linux/align.h>
#include <linux/limits.h>
#include <linux/prandom.h>
#include <linux/sizes.h>
#include "vpm.h"
#include "sparse.h"

/* ---- vpm_sparse_compute() ----------------------------------------------------- */

struct vpm_sparse_case {
	const char *desc;
	u64 size;
	unsigned long page;
	unsigned int nr_holes;
	struct vpm_range holes[VPM_SPARSE_MAX_HOLES + 1];
	/* Room given for the areas: VPM_SPARSE_MAX_AREAS unless set. */
	unsigned int room;
	bool no_room;
	int want;
	struct vpm_range areas[VPM_SPARSE_MAX_AREAS];
};

#define H(s, e)	{ .start = (s), .end = (e) }

static const struct vpm_sparse_case vpm_sparse_cases[] = {
	{ "no holes leave the whole BAR", SZ_16K, SZ_4K, 0, {}, 0, false, 1,
	  { H(0, SZ_16K) } },
	{ "MSI-X table at the start", SZ_16K, SZ_4K, 1, { H(0, 0x100) }, 0,
	  false, 1, { H(SZ_4K, SZ_16K) } },
	{ "MSI-X table in the middle", SZ_32K, SZ_4K, 1,
	  { H(SZ_8K + 0x40, SZ_8K + 0x80) }, 0, false, 2,
	  { H(0, SZ_8K), H(SZ_8K + SZ_4K, SZ_32K) } },
	{ "MSI-X table at the end", SZ_32K, SZ_4K, 1,
	  { H(SZ_32K - 0x100, SZ_32K) }, 0, false, 1,
	  { H(0, SZ_32K - SZ_4K) } },
	{ "table and PBA in the same page", SZ_16K, SZ_4K, 2,
	  { H(SZ_4K, SZ_4K + 0x100), H(SZ_4K + 0x800, SZ_4K + 0x808) }, 0,
	  false, 2, { H(0, SZ_4K), H(SZ_8K, SZ_16K) } },
	{ "table at the start and PBA at the end", SZ_64K, SZ_4K, 2,
	  { H(0, 0x200), H(SZ_64K - SZ_4K, SZ_64K - SZ_4K + 8) }, 0, false,
	  1, { H(SZ_4K, SZ_64K - SZ_4K) } },
	{ "MSI-X covering the whole BAR leaves nothing", SZ_8K, SZ_4K, 1,
	  { H(0, SZ_8K) }, 0, false, 0, {} },
	{ "two holes covering the whole BAR leave nothing", SZ_8K, SZ_4K, 2,
	  { H(0, SZ_4K), H(SZ_4K, SZ_8K) }, 0, false, 0, {} },
	{ "a BAR smaller than a page is mappable as one page", 0x100, SZ_4K,
	  0, {}, 0, false, 1, { H(0, SZ_4K) } },
	{ "a BAR smaller than a page holding the table leaves nothing", 0x100,
	  SZ_4K, 1, { H(0, 0x80) }, 0, false, 0, {} },
	{ "a table in the second half of a one-page BAR leaves nothing",
	  SZ_4K, SZ_4K, 1, { H(0x800, 0x900) }, 0, false, 0, {} },
	{ "64 KiB pages widen a hole to its whole page", SZ_256K, SZ_64K, 1,
	  { H(SZ_8K, SZ_8K + 0x100) }, 0, false, 1, { H(SZ_64K, SZ_256K) } },
	{ "64 KiB pages and a BAR smaller than a page leave nothing", SZ_16K,
	  SZ_64K, 1, { H(SZ_8K, SZ_8K + 0x100) }, 0, false, 0, {} },
	{ "64 KiB pages and a table in the last page", SZ_256K, SZ_64K, 1,
	  { H(SZ_256K - SZ_4K, SZ_256K - SZ_4K + 0x100) }, 0, false, 1,
	  { H(0, SZ_256K - SZ_64K) } },
	{ "overlapping holes merge", SZ_32K, SZ_4K, 2,
	  { H(SZ_4K, 3 * SZ_4K), H(SZ_8K, SZ_16K) }, 0, false, 2,
	  { H(0, SZ_4K), H(SZ_16K, SZ_32K) } },
	{ "a hole nested inside another", SZ_32K, SZ_4K, 2,
	  { H(SZ_4K, 5 * SZ_4K), H(SZ_8K, 3 * SZ_4K) }, 0, false, 2,
	  { H(0, SZ_4K), H(5 * SZ_4K, SZ_32K) } },
	{ "holes given in descending order", SZ_32K, SZ_4K, 2,
	  { H(5 * SZ_4K, 6 * SZ_4K), H(SZ_4K, SZ_8K) }, 0, false, 3,
	  { H(0, SZ_4K), H(SZ_8K, 5 * SZ_4K), H(6 * SZ_4K, SZ_32K) } },
	{ "adjacent holes leave no empty area between them", SZ_32K, SZ_4K,
	  2, { H(SZ_4K, SZ_8K), H(SZ_8K, 3 * SZ_4K) }, 0, false, 2,
	  { H(0, SZ_4K), H(3 * SZ_4K, SZ_32K) } },
	{ "a hole running past the end of the BAR is clipped", SZ_16K, SZ_4K,
	  1, { H(3 * SZ_4K, 10 * SZ_4K) }, 0, false, 1,
	  { H(0, 3 * SZ_4K) } },
	{ "a hole entirely past the end of the BAR leaves the BAR whole",
	  SZ_16K, SZ_4K, 1, { H(SZ_32K, SZ_32K + 0x100) }, 0, false, 1,
	  { H(0, SZ_16K) } },
	{ "a hole running to the top of the address space", SZ_16K, SZ_4K, 1,
	  { H(SZ_4K, U64_MAX) }, 0, false, 1, { H(0, SZ_4K) } },
	{ "a region size that is not a page multiple is rounded up",
	  0x2800, SZ_4K, 1, { H(0, 0x100) }, 0, false, 1,
	  { H(SZ_4K, 3 * SZ_4K) } },
	{ "more areas than room is -E2BIG", SZ_32K, SZ_4K, 2,
	  { H(SZ_4K, SZ_8K), H(SZ_16K, 5 * SZ_4K) }, 2, false, -E2BIG, {} },
	{ "no room at all for a whole BAR is -E2BIG", SZ_16K, SZ_4K, 0, {},
	  0, true, -E2BIG, {} },
	{ "no room is fine when nothing is mappable", SZ_8K, SZ_4K, 1,
	  { H(0, SZ_8K) }, 0, true, 0, {} },
	{ "a page size of zero is -EINVAL", SZ_16K, 0, 0, {}, 0, false,
	  -EINVAL, {} },
	{ "a page size that is not a power of two is -EINVAL", SZ_16K, 3000,
	  0, {}, 0, false, -EINVAL, {} },
	{ "more holes than supported is -EINVAL", SZ_32K, SZ_4K, 3,
	  { H(0, 1), H(SZ_8K, SZ_8K + 1), H(SZ_16K, SZ_16K + 1) }, 0, false,
	  -EINVAL, {} },
	{ "an empty region is -EINVAL", 0, SZ_4K, 0, {}, 0, false, -EINVAL,
	  {} },
	{ "an empty hole is -EINVAL", SZ_16K, SZ_4K, 1, { H(SZ_4K, SZ_4K) },
	  0, false, -EINVAL, {} },
	{ "a reversed hole is -EINVAL", SZ_16K, SZ_4K, 1, { H(SZ_8K, SZ_4K) },
	  0, false, -EINVAL, {} },
	{ "a region size that overflows when rounded up is -EINVAL",
	  U64_MAX - 10, SZ_4K, 0, {}, 0, false, -EINVAL, {} },
};

KUNIT_ARRAY_PARAM_DESC(vpm_sparse, vpm_sparse_cases, desc);

static void vpm_sparse_compute_matches_the_table(struct kunit *test)
{
	const struct vpm_sparse_case *c = test->param_value;
	struct vfio_region_sparse_mmap_area areas[VPM_SPARSE_MAX_AREAS + 1];
	unsigned int room = c->no_room ? 0 :
			    c->room ? c->room : VPM_SPARSE_MAX_AREAS;
	unsigned int j;
	int ret, i;

	memset(areas, 0xa5, sizeof(areas));
	ret = vpm_sparse_compute(c->size, c->holes, c->nr_holes, c->page,
				 areas, room);
	KUNIT_ASSERT_EQ(test, ret, c->want);
	for (i = 0; i < ret; i++) {
		kunit_info(test, "area %d: [%#llx, %#llx)", i, areas[i].offset,
			   areas[i].offset + areas[i].size);
		KUNIT_EXPECT_EQ_MSG(test, areas[i].offset, c->areas[i].start,
				    "area %d offset", i);
		KUNIT_EXPECT_EQ_MSG(test, areas[i].size,
				    c->areas[i].end - c->areas[i].start,
				    "area %d size", i);
	}
	/* Nothing is written past the room given. */
	for (j = room; j < ARRAY_SIZE(areas); j++)
		KUNIT_EXPECT_EQ_MSG(test, areas[j].offset, 0xa5a5a5a5a5a5a5a5ULL,
				    "area %u was written", j);
}

/*
 * An independent oracle: the pages of the region, each either inside a
 * hole widened to whole pages or mappable; the areas must be exactly the
 * runs of mappable pages.
 */
#define VPM_ORACLE_MAX_PAGES	48

static void vpm_sparse_compute_agrees_with_a_page_by_page_oracle(struct kunit *test)
{
	struct vfio_region_sparse_mmap_area areas[VPM_SPARSE_MAX_AREAS];
	struct vpm_range holes[VPM_SPARSE_MAX_HOLES];
	bool mappable[VPM_ORACLE_MAX_PAGES];
	struct rnd_state rnd;
	unsigned int iter;

	prandom_seed_state(&rnd, 0x76706d);
	for (iter = 0; iter < 2000; iter++) {
		unsigned long page = (prandom_u32_state(&rnd) & 1) ? SZ_64K :
								     SZ_4K;
		unsigned int pages = 1 + prandom_u32_state(&rnd) %
					 VPM_ORACLE_MAX_PAGES;
		u64 size = (u64)pages * page -
			   prandom_u32_state(&rnd) % page;
		unsigned int nr = prandom_u32_state(&rnd) %
				  (VPM_SPARSE_MAX_HOLES + 1);
		unsigned int i, p, n = 0;
		int ret;

		for (i = 0; i < nr; i++) {
			/* A hole starts inside the region, may run past it. */
			holes[i].start = prandom_u32_state(&rnd) % size;
			holes[i].end = holes[i].start + 1 +
				       prandom_u32_state(&rnd) % (3 * page);
		}
		for (p = 0; p < pages; p++) {
			mappable[p] = true;
			for (i = 0; i < nr; i++)
				if (ALIGN_DOWN(holes[i].start, page) <
				    (u64)(p + 1) * page &&
				    ALIGN(holes[i].end, page) > (u64)p * page)
					mappable[p] = false;
		}

		ret = vpm_sparse_compute(size, holes, nr, page, areas,
					 ARRAY_SIZE(areas));
		for (p = 0; p < pages; p++) {
			u64 start = (u64)p * page;

			if (!mappable[p] || (p && mappable[p - 1]))
				continue;
			while (p + 1 < pages && mappable[p + 1])
				p++;
			if ((int)n < ret) {
				KUNIT_EXPECT_EQ_MSG(test, areas[n].offset, start,
						    "iteration %u area %u", iter,
						    n);
				KUNIT_EXPECT_EQ_MSG(test,
						    areas[n].offset + areas[n].size,
						    (u64)(p + 1) * page,
						    "iteration %u area %u", iter,
						    n);
			}
			n++;
		}
		KUNIT_EXPECT_EQ_MSG(test, ret, (int)n,
				    "iteration %u: size %#llx page %#lx, %u holes",
				    iter, size, page, nr);
		if (ret != (int)n)
			return;
	}
}

/* ---- vpm_sparse_contains() ---------------------------------------------------- */

struct vpm_contains_case {
	const char *desc;
	u64 start;
	u64 len;
	bool want;
};

/* BAR of 16 KiB, areas [0, 4K) and [8K, 16K). */
static const struct vpm_sparse vpm_contains_bar = {
	.sparse = true,
	.nr_areas = 2,
	.areas = {
		{ .offset = 0, .size = SZ_4K },
		{ .offset = SZ_8K, .size = SZ_8K },
	},
};

static const struct vpm_contains_case vpm_contains_cases[] = {
	{ "the whole first area", 0, SZ_4K, true },
	{ "the whole second area", SZ_8K, SZ_8K, true },
	{ "a page inside the second area", 3 * SZ_4K, SZ_4K, true },
	{ "a range straddling the hole", 0, SZ_8K, false },
	{ "the hole itself", SZ_4K, SZ_4K, false },
	{ "both areas and the hole between them", 0, SZ_16K, false },
	{ "a range running past the last area", 3 * SZ_4K, SZ_8K, false },
	{ "a range past the end of the BAR", SZ_16K, SZ_4K, false },
	{ "a length that wraps around to the first area", 3 * SZ_4K,
	  U64_MAX - 3 * SZ_4K + 1 + SZ_4K, false },
	{ "a start at the top of the address space", U64_MAX - SZ_4K + 1,
	  SZ_8K, false },
};

KUNIT_ARRAY_PARAM_DESC(vpm_contains, vpm_contains_cases, desc);

static void vpm_sparse_contains_matches_the_table(struct kunit *test)
{
	const struct vpm_contains_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, vpm_sparse_contains(&vpm_contains_bar, c->start,
						  c->len), c->want);
}

static void vpm_sparse_contains_accepts_anything_in_a_bar_that_is_not_sparse(struct kunit *test)
{
	const struct vpm_sparse whole = { .sparse = false };

	KUNIT_EXPECT_TRUE(test, vpm_sparse_contains(&whole, 0, SZ_4K));
	KUNIT_EXPECT_TRUE(test, vpm_sparse_contains(&whole, SZ_1G, SZ_1G));
}

static void vpm_sparse_contains_refuses_everything_without_areas(struct kunit *test)
{
	const struct vpm_sparse none = { .sparse = true, .nr_areas = 0 };

	KUNIT_EXPECT_FALSE(test, vpm_sparse_contains(&none, 0, SZ_4K));
	KUNIT_EXPECT_FALSE(test, vpm_sparse_contains(&none, 0, 1));
}

static void vpm_sparse_contains_accepts_exactly_what_compute_produced(struct kunit *test)
{
	static const struct vpm_range holes[] = {
		H(SZ_8K + 0x10, SZ_8K + 0x20), H(5 * SZ_4K, 5 * SZ_4K + 8),
	};
	struct vpm_sparse sp = { .sparse = true };
	u64 off;
	int ret;

	ret = vpm_sparse_compute(SZ_32K, holes, ARRAY_SIZE(holes), SZ_4K,
				 sp.areas, ARRAY_SIZE(sp.areas));
	KUNIT_ASSERT_EQ(test, ret, 3);
	sp.nr_areas = ret;
	for (off = 0; off < SZ_32K; off += SZ_4K)
		KUNIT_EXPECT_EQ_MSG(test, vpm_sparse_contains(&sp, off, SZ_4K),
				    off != SZ_8K && off != 5 * SZ_4K,
				    "page at %#llx", off);
}

static struct kunit_case vpm_sparse_test_cases[] = {
	KUNIT_CASE_PARAM(vpm_sparse_compute_matches_the_table,
			 vpm_sparse_gen_params),
	KUNIT_CASE(vpm_sparse_compute_agrees_with_a_page_by_page_oracle),
	KUNIT_CASE_PARAM(vpm_sparse_contains_matches_the_table,
			 vpm_contains_gen_params),
	KUNIT_CASE(vpm_sparse_contains_accepts_anything_in_a_bar_that_is_not_sparse),
	KUNIT_CASE(vpm_sparse_contains_refuses_everything_without_areas),
	KUNIT_CASE(vpm_sparse_contains_accepts_exactly_what_compute_produced),
	{}
};

static struct kunit_suite vpm_sparse_suite = {
	.name = "vpm_sparse",
	.test_cases = vpm_sparse_test_cases,
};

kunit_test_suite(vpm_sparse_suite);
