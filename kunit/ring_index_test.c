// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vpm_ring_index: the fault ring's index arithmetic
 * (vfio-pci-mmap/ring/index.c) against tables: the consumer window, free
 * space, where an index lands, the ring size from the module parameter and
 * the per-page runs of read().
 */
#include <kunit/test.h>
#include <linux/limits.h>
#include <linux/log2.h>
#include "ring/index.h"

#define PER_PAGE	VPM_RING_PER_PAGE

/* ---- the consumer window ---------------------------------------------------- */

struct vpm_window_case {
	const char *desc;
	u32 prod;
	u32 cons;
	u32 nr;
	bool valid;
	u32 space;
};

static const struct vpm_window_case vpm_window_cases[] = {
	{ "empty at zero", 0, 0, 256, true, 256 },
	{ "empty at the top of the u32 range", U32_MAX, U32_MAX, 256, true,
	  256 },
	{ "one record: prod just past the wrap, cons just before it", 0,
	  U32_MAX, 256, true, 255 },
	{ "five records across the wrap", 3, 0xfffffffe, 256, true, 251 },
	{ "full across the wrap", 0x80, 0xffffff80, 256, true, 0 },
	{ "one past full across the wrap", 0x81, 0xffffff80, 256, false, 0 },
	{ "full: cons exactly nr_entries behind prod", 0x1000, 0x1000 - 256,
	  256, true, 0 },
	{ "full from zero: prod nr_entries, cons 0", 256, 0, 256, true, 0 },
	{ "one past full: prod - cons == nr_entries + 1", 0x1000,
	  0x1000 - 257, 256, false, 0 },
	{ "cons ahead of prod by 1", 0x1000, 0x1001, 256, false, 0 },
	{ "cons ahead of prod by 1 across the wrap", U32_MAX, 0, 256, false,
	  0 },
	{ "cons ahead of prod by 0x80000000", 0x1000, 0x80001000, 256, false,
	  0 },
	{ "cons ahead of prod by 0x7fffffff", 0x1000, 0x80000fff, 256, false,
	  0 },
	{ "cons 0x7fffffff behind prod", 0x80000fff, 0x1000, 256, false, 0 },
	{ "cons still 0 long after prod moved on", 0x10000, 0, 256, false,
	  0 },
	{ "smallest ring full", 64, 0, 64, true, 0 },
	{ "smallest ring one past full", 65, 0, 64, false, 0 },
	{ "largest ring full across the wrap", 0x8000, 0xffff8000, 65536, true,
	  0 },
	{ "largest ring one past full across the wrap", 0x8001, 0xffff8000,
	  65536, false, 0 },
	{ "largest ring with cons ahead of prod by 1", 0, 1, 65536, false, 0 },
};

KUNIT_ARRAY_PARAM_DESC(vpm_window, vpm_window_cases, desc);

static void vpm_ring_window_matches_the_table(struct kunit *test)
{
	const struct vpm_window_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, vpm_ring_cons_valid(c->prod, c->cons, c->nr),
			c->valid);
	KUNIT_EXPECT_EQ(test, vpm_ring_space(c->prod, c->cons, c->nr),
			c->space);
}

/*
 * For every ring size, at prods spread over the u32 range (the wrap
 * included), a cons at each interesting distance behind prod: valid
 * exactly up to nr_entries, and the space then adds up to the ring.
 */
static void vpm_ring_window_holds_for_every_ring_size(struct kunit *test)
{
	static const u32 prods[] = {
		0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, U32_MAX,
	};
	u32 nr, p, d;

	/* Every ring size the module can choose. */
	for (nr = VPM_RING_MIN_ENTRIES; nr <= VPM_RING_MAX_ENTRIES; nr <<= 1) {
		const u32 dists[] = {
			0, 1, nr - 1, nr, nr + 1, 2 * nr, 0x7fffffff,
			0x80000000, 0x80000001, 0xfffffffe, U32_MAX,
		};
		const u32 more_prods[] = { nr, 0u - nr, 0u - nr + 1 };

		for (p = 0; p < ARRAY_SIZE(prods) + ARRAY_SIZE(more_prods);
		     p++) {
			u32 prod = p < ARRAY_SIZE(prods) ? prods[p] :
				   more_prods[p - ARRAY_SIZE(prods)];

			for (d = 0; d < ARRAY_SIZE(dists); d++) {
				u32 cons = prod - dists[d];
				bool want = dists[d] <= nr;

				KUNIT_EXPECT_EQ_MSG(test,
						    vpm_ring_cons_valid(prod, cons, nr),
						    want,
						    "nr %u prod %#x cons %#x",
						    nr, prod, cons);
				KUNIT_EXPECT_EQ_MSG(test,
						    vpm_ring_space(prod, cons, nr),
						    want ? nr - dists[d] : 0,
						    "nr %u prod %#x cons %#x",
						    nr, prod, cons);
			}
		}
	}
}

/* ---- where an index lands ------------------------------------------------------ */

/*
 * Any u32 index, for every ring size: the entry is inside the entries
 * area, record aligned, entry (index mod nr_entries), and consecutive
 * indices are consecutive entries, across the end of the ring and across
 * the wrap of the index itself.
 */
static void vpm_ring_entry_offset_never_leaves_the_entries(struct kunit *test)
{
	static const u32 fixed[] = {
		0, 1, 63, 64, 65, 255, 256, 257, 0x7fffffff, 0x80000000,
		0x80000001, 0xfffffffe, U32_MAX,
	};
	struct rnd_state rnd;
	u32 nr, i;

	prandom_seed_state(&rnd, 0x72696e67);
	/* Every ring size the module can choose. */
	for (nr = VPM_RING_MIN_ENTRIES; nr <= VPM_RING_MAX_ENTRIES; nr <<= 1) {
		size_t area = (size_t)nr * VPM_RING_RECORD_SIZE;
		const u32 edges[] = {
			nr - 1, nr, nr + 1, 2 * nr - 1, 0u - nr, 0u - nr - 1,
		};

		for (i = 0; i < ARRAY_SIZE(fixed) + ARRAY_SIZE(edges) + 256;
		     i++) {
			u32 idx = i < ARRAY_SIZE(fixed) ? fixed[i] :
				  i < ARRAY_SIZE(fixed) + ARRAY_SIZE(edges) ?
				  edges[i - ARRAY_SIZE(fixed)] :
				  prandom_u32_state(&rnd);
			size_t off = vpm_ring_entry_offset(idx, nr);
			size_t next = vpm_ring_entry_offset(idx + 1, nr);

			KUNIT_EXPECT_LE_MSG(test, off + VPM_RING_RECORD_SIZE,
					    area, "nr %u idx %#x", nr, idx);
			KUNIT_EXPECT_EQ_MSG(test, off,
					    (size_t)(idx % nr) *
					    VPM_RING_RECORD_SIZE,
					    "nr %u idx %#x", nr, idx);
			KUNIT_EXPECT_EQ_MSG(test, next,
					    (off + VPM_RING_RECORD_SIZE) % area,
					    "nr %u idx %#x", nr, idx);
			KUNIT_EXPECT_EQ_MSG(test,
					    vpm_ring_entry_offset(idx + nr, nr),
					    off, "nr %u idx %#x", nr, idx);
		}
	}
}

/* ---- the ring size from the module parameter ---------------------------------- */

struct vpm_param_case {
	const char *desc;
	unsigned int param;
	u32 want;
};

static const struct vpm_param_case vpm_param_cases[] = {
	{ "0 is raised to one page of entries", 0, VPM_RING_MIN_ENTRIES },
	{ "1 is raised to one page of entries", 1, VPM_RING_MIN_ENTRIES },
	{ "63 is rounded up", 63, MAX(64, VPM_RING_MIN_ENTRIES) },
	{ "64 is kept", 64, MAX(64, VPM_RING_MIN_ENTRIES) },
	{ "65 is rounded up to 128", 65, MAX(128, VPM_RING_MIN_ENTRIES) },
	{ "256, the default, is kept", 256, MAX(256, VPM_RING_MIN_ENTRIES) },
	{ "257 is rounded up to 512", 257, MAX(512, VPM_RING_MIN_ENTRIES) },
	{ "65535 is rounded up to the maximum", 65535, 65536 },
	{ "65536, the maximum, is kept", 65536, 65536 },
	{ "65537 is clamped to the maximum", 65537, 65536 },
	{ "0x80000001 is clamped, not rounded past 32 bits", 0x80000001,
	  65536 },
	{ "UINT_MAX is clamped to the maximum", UINT_MAX, 65536 },
};

KUNIT_ARRAY_PARAM_DESC(vpm_param, vpm_param_cases, desc);

static void vpm_ring_entries_from_param_matches_the_table(struct kunit *test)
{
	const struct vpm_param_case *c = test->param_value;
	u32 nr = vpm_ring_entries_from_param(c->param);

	KUNIT_EXPECT_EQ(test, nr, c->want);
	/* The region: header, consumer page, and exactly the entries. */
	KUNIT_EXPECT_EQ(test,
			(size_t)(vpm_ring_nr_pages(nr) - VPM_RING_ENTRIES_PAGE) *
			PAGE_SIZE, (size_t)nr * VPM_RING_RECORD_SIZE);
}

static void vpm_ring_entries_from_param_is_a_power_of_two_in_bounds(struct kunit *test)
{
	static const unsigned int more[] = {
		2, 3, 100, 1000, 4096, 4097, 32767, 32768, 32769, 1U << 20,
		1U << 31,
	};
	unsigned int i;
	u32 nr;

	for (i = 0; i < ARRAY_SIZE(more); i++) {
		nr = vpm_ring_entries_from_param(more[i]);
		KUNIT_EXPECT_TRUE_MSG(test, is_power_of_2(nr), "param %u",
				      more[i]);
		KUNIT_EXPECT_GE_MSG(test, nr, VPM_RING_MIN_ENTRIES, "param %u",
				    more[i]);
		KUNIT_EXPECT_LE_MSG(test, nr, VPM_RING_MAX_ENTRIES, "param %u",
				    more[i]);
		KUNIT_EXPECT_GE_MSG(test, nr,
				    min_t(u32, more[i], VPM_RING_MAX_ENTRIES),
				    "param %u", more[i]);
	}
	/* Every size is reachable, and stays what it is. */
	/* Every ring size the module can choose. */
	for (nr = VPM_RING_MIN_ENTRIES; nr <= VPM_RING_MAX_ENTRIES; nr <<= 1)
		KUNIT_EXPECT_EQ(test, vpm_ring_entries_from_param(nr), nr);
}

/* ---- read() runs: one copy per page ---------------------------------------------- */

struct vpm_run_case {
	const char *desc;
	u32 idx;
	u32 left;
	u32 nr;
	u32 want;
};

static const struct vpm_run_case vpm_run_cases[] = {
	{ "a whole page from the first entry", 0, 1000, 256, PER_PAGE },
	{ "no more than asked", 0, 5, 256, 5 },
	{ "nothing asked, nothing copied", 17, 0, 256, 0 },
	{ "the last entry of a page is a run of one", PER_PAGE - 1, 1000, 256,
	  1 },
	{ "from the middle of a page to its end", PER_PAGE / 2, 1000, 256,
	  PER_PAGE / 2 },
	{ "the last entry of the ring is a run of one", 255, 1000, 256, 1 },
	{ "the ring wraps to its first page", 256, 1000, 256, PER_PAGE },
	{ "the index wraps: U32_MAX is the last entry", U32_MAX, 1000, 256, 1 },
	{ "a page ending exactly at the top of the u32 range",
	  0u - PER_PAGE, 1000, 256, PER_PAGE },
	{ "a one-page ring from its tenth entry", 10, 1000, PER_PAGE,
	  PER_PAGE - 10 },
	{ "a one-page ring wraps to its start", PER_PAGE, 3, PER_PAGE, 3 },
	{ "the largest ring, the last entry", 65535, 1000, 65536, 1 },
};

KUNIT_ARRAY_PARAM_DESC(vpm_run, vpm_run_cases, desc);

static void vpm_ring_page_run_matches_the_table(struct kunit *test)
{
	const struct vpm_run_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, vpm_ring_page_run(c->idx, c->left, c->nr),
			c->want);
}

/*
 * The loop of read(): n records from cons, one run at a time.  Each run
 * is at least one record, stays in one page, is contiguous there, and
 * stops short of what is left only at the end of a page; the runs add up
 * to n in at most one run per page touched.
 */
static void vpm_ring_page_runs_cover_a_read_exactly(struct kunit *test)
{
	static const u32 conses[] = {
		0, 1, 63, 64, 100, 0x7fffffc0, 0xffffffc0, 0xfffffffd,
	};
	u32 nr, c, k;

	/* Every ring size the module can choose. */
	for (nr = VPM_RING_MIN_ENTRIES; nr <= VPM_RING_MAX_ENTRIES; nr <<= 1) {
		const u32 ns[] = { 1, PER_PAGE - 1, PER_PAGE, PER_PAGE + 1,
				   nr - 1, nr };

		for (c = 0; c < ARRAY_SIZE(conses); c++) {
			for (k = 0; k < ARRAY_SIZE(ns); k++) {
				u32 cons = conses[c], n = ns[k];
				u32 done = 0, runs = 0;

				if (n > nr)
					continue;
				while (done < n) {
					u32 run = vpm_ring_page_run(cons + done,
								    n - done,
								    nr);
					size_t first, last;

					KUNIT_ASSERT_GE_MSG(test, run, 1U,
							    "nr %u cons %#x n %u",
							    nr, cons, n);
					KUNIT_ASSERT_LE(test, run, n - done);
					first = vpm_ring_entry_offset(cons + done,
								      nr);
					last = vpm_ring_entry_offset(cons + done +
								     run - 1, nr);
					KUNIT_EXPECT_EQ_MSG(test, last - first,
							    (size_t)(run - 1) *
							    VPM_RING_RECORD_SIZE,
							    "nr %u cons %#x n %u",
							    nr, cons, n);
					KUNIT_EXPECT_EQ(test, first >> PAGE_SHIFT,
							last >> PAGE_SHIFT);
					done += run;
					/* A short run ends at a page's end. */
					first = vpm_ring_entry_offset(cons + done,
								      nr);
					if (done < n)
						KUNIT_EXPECT_EQ(test,
								offset_in_page(first),
								0UL);
					runs++;
				}
				KUNIT_EXPECT_EQ(test, done, n);
				KUNIT_EXPECT_LE(test, runs, n / PER_PAGE + 2);
			}
		}
	}
}

static struct kunit_case vpm_ring_index_test_cases[] = {
	KUNIT_CASE_PARAM(vpm_ring_window_matches_the_table,
			 vpm_window_gen_params),
	KUNIT_CASE(vpm_ring_window_holds_for_every_ring_size),
	KUNIT_CASE(vpm_ring_entry_offset_never_leaves_the_entries),
	KUNIT_CASE_PARAM(vpm_ring_entries_from_param_matches_the_table,
			 vpm_param_gen_params),
	KUNIT_CASE(vpm_ring_entries_from_param_is_a_power_of_two_in_bounds),
	KUNIT_CASE_PARAM(vpm_ring_page_run_matches_the_table,
			 vpm_run_gen_params),
	KUNIT_CASE(vpm_ring_page_runs_cover_a_read_exactly),
	{}
};

static struct kunit_suite vpm_ring_index_suite = {
	.name = "vpm_ring_index",
	.test_cases = vpm_ring_index_test_cases,
};

kunit_test_suite(vpm_ring_index_suite);
