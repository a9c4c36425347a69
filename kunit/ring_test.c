// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vpm_ring: the fault ring's index arithmetic (ring_index.c),
 * its records and the debugfs inject line (ring_record.c), and a real ring
 * (fault_ring.c) opened on a test device, produced into by
 * vfio_pci_mmap_report_fault() and consumed, or sabotaged, through its
 * consumer page and its read()/write() ops as a user would.
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/ktime.h>
#include <linux/limits.h>
#include <linux/log2.h>
#include <linux/mman.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include "vpm.h"
#include "fault_ring.h"
#include "ring/index.h"
#include "ring/record.h"
#include "vpm_kunit.h"

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

/* ---- records: validation, encoding, reasons ----------------------------------- */

struct vpm_valid_case {
	const char *desc;
	struct vfio_pci_mmap_fault_record rec;
	bool valid;
};

#define T_DMA	VFIO_PCI_MMAP_FAULT_TYPE_DMA

static const struct vpm_valid_case vpm_valid_cases[] = {
	{ "a DMA fault with every optional field",
	  { .type = T_DMA, .flags = VPM_RECORD_FLAGS, .perm = VPM_RECORD_PERMS },
	  true },
	{ "a DMA fault with nothing optional", { .type = T_DMA }, true },
	{ "the last type", { .type = VFIO_PCI_MMAP_FAULT_TYPE_MAX }, true },
	{ "type 0 is never produced", { .type = 0 }, false },
	{ "a type past the last", { .type = VFIO_PCI_MMAP_FAULT_TYPE_MAX + 1 },
	  false },
	{ "type 0xffff", { .type = 0xffff }, false },
	{ "the INJECTED flag belongs to debugfs",
	  { .type = T_DMA, .flags = VFIO_PCI_MMAP_FAULT_F_INJECTED }, false },
	{ "an unknown flag", { .type = T_DMA, .flags = 1U << 4 }, false },
	{ "the top flag bit", { .type = T_DMA, .flags = 1U << 31 }, false },
	{ "an unknown perm bit", { .type = T_DMA, .perm = 1U << 4 }, false },
	{ "every perm bit", { .type = T_DMA, .perm = U32_MAX }, false },
	{ "garbage where the ring stamps is ignored",
	  { .version = 0xffff, .size = 3, .type = T_DMA, .seq = U64_MAX,
	    .timestamp_ns = 1, .reserved = U64_MAX }, true },
	{ "any reason, pasid, address and region are fine",
	  { .type = T_DMA, .reason = 0xffff, .pasid = U32_MAX, .addr = U64_MAX,
	    .region_index = U32_MAX, .region_offset = U64_MAX }, true },
};

KUNIT_ARRAY_PARAM_DESC(vpm_valid, vpm_valid_cases, desc);

static void vpm_ring_record_valid_matches_the_table(struct kunit *test)
{
	const struct vpm_valid_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, vpm_ring_record_valid(&c->rec), c->valid);
}

static void vpm_ring_record_valid_refuses_no_record(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, vpm_ring_record_valid(NULL));
}

/* A record with every field set, the ring's own ones to garbage. */
static const struct vfio_pci_mmap_fault_record vpm_full_record = {
	.version = 0x7777,
	.size = 1,
	.type = VFIO_PCI_MMAP_FAULT_TYPE_DMA,
	.reason = VFIO_PCI_MMAP_FAULT_REASON_PERMISSION,
	.flags = VPM_RECORD_FLAGS,
	.pasid = 0x12345,
	.seq = 0xdeadbeefdeadbeefULL,
	.timestamp_ns = 0x1111111111111111ULL,
	.addr = 0xfedcba9876543210ULL,
	.perm = VFIO_PCI_MMAP_FAULT_PERM_READ | VFIO_PCI_MMAP_FAULT_PERM_EXEC,
	.region_index = 9,
	.region_offset = 0x123456789aULL,
	.reserved = U64_MAX,
};

static void vpm_expect_encoded(struct kunit *test,
			       const struct vfio_pci_mmap_fault_record *got,
			       const struct vfio_pci_mmap_fault_record *src,
			       u64 seq, u64 ts)
{
	KUNIT_EXPECT_EQ(test, got->version, VFIO_PCI_MMAP_FAULT_RECORD_VERSION);
	KUNIT_EXPECT_EQ(test, got->size, 64);
	KUNIT_EXPECT_EQ(test, got->seq, seq);
	KUNIT_EXPECT_EQ(test, got->timestamp_ns, ts);
	KUNIT_EXPECT_EQ(test, got->reserved, 0ULL);
	KUNIT_EXPECT_EQ(test, got->type, src->type);
	KUNIT_EXPECT_EQ(test, got->reason, src->reason);
	KUNIT_EXPECT_EQ(test, got->flags, src->flags);
	KUNIT_EXPECT_EQ(test, got->pasid, src->pasid);
	KUNIT_EXPECT_EQ(test, got->addr, src->addr);
	KUNIT_EXPECT_EQ(test, got->perm, src->perm);
	KUNIT_EXPECT_EQ(test, got->region_index, src->region_index);
	KUNIT_EXPECT_EQ(test, got->region_offset, src->region_offset);
}

static void vpm_ring_record_encode_stamps_what_the_ring_owns(struct kunit *test)
{
	struct vfio_pci_mmap_fault_record src = vpm_full_record, dst;

	memset(&dst, 0xa5, sizeof(dst));
	vpm_ring_record_encode(&dst, &src, 42, 1000);
	vpm_expect_encoded(test, &dst, &vpm_full_record, 42, 1000);
	/* The producer's record is left as it was. */
	KUNIT_EXPECT_EQ(test, memcmp(&src, &vpm_full_record, sizeof(src)), 0);

	/* The extremes of seq and time go through unchanged. */
	vpm_ring_record_encode(&dst, &src, U64_MAX, 0);
	vpm_expect_encoded(test, &dst, &vpm_full_record, U64_MAX, 0);
}

static void vpm_ring_record_encode_works_in_place(struct kunit *test)
{
	struct vfio_pci_mmap_fault_record r = vpm_full_record;

	vpm_ring_record_encode(&r, &r, 7, 8);
	vpm_expect_encoded(test, &r, &vpm_full_record, 7, 8);
}

struct vpm_reason_case {
	const char *desc;
	enum vpm_state state;
	u16 want;
};

static const struct vpm_reason_case vpm_reason_cases[] = {
	{ "memory disabled", VPM_STATE_MEM_DISABLED,
	  VFIO_PCI_MMAP_REFUSED_MEM_DISABLED },
	{ "low power", VPM_STATE_LOW_POWER, VFIO_PCI_MMAP_REFUSED_LOW_POWER },
	{ "resetting", VPM_STATE_RESETTING, VFIO_PCI_MMAP_REFUSED_RESETTING },
	{ "revoked", VPM_STATE_REVOKED, VFIO_PCI_MMAP_REFUSED_REVOKED },
	{ "enabled refuses nothing: unknown", VPM_STATE_ENABLED,
	  VFIO_PCI_MMAP_REFUSED_UNKNOWN },
	{ "past the last state: unknown", VPM_STATE_NR,
	  VFIO_PCI_MMAP_REFUSED_UNKNOWN },
	{ "far out of range: unknown", (enum vpm_state)0x7fffffff,
	  VFIO_PCI_MMAP_REFUSED_UNKNOWN },
};

KUNIT_ARRAY_PARAM_DESC(vpm_reason, vpm_reason_cases, desc);

static void vpm_ring_refused_reason_matches_the_table(struct kunit *test)
{
	const struct vpm_reason_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, vpm_ring_refused_reason(c->state), c->want);
}

/* ---- the debugfs inject line ----------------------------------------------------- */

#define F_INJ		(VFIO_PCI_MMAP_FAULT_F_INJECTED |		\
			 VFIO_PCI_MMAP_FAULT_F_ADDR_VALID)
#define F_PASID		VFIO_PCI_MMAP_FAULT_F_PASID_VALID
#define F_REGION	VFIO_PCI_MMAP_FAULT_F_REGION_VALID

struct vpm_inject_case {
	const char *desc;
	const char *line;
	int ret;
	u32 count;
	struct vfio_pci_mmap_fault_record rec;
};

static const struct vpm_inject_case vpm_inject_cases[] = {
	{ "the four required numbers", "1 1 0 0x1000", 0, 1,
	  { .type = 1, .addr = 0x1000, .flags = F_INJ } },
	{ "a trailing newline, as echo writes", "3 2 4 4096\n", 0, 3,
	  { .type = 2, .reason = 4, .addr = 4096, .flags = F_INJ } },
	{ "tabs and runs of blanks", "\t 2 \t3  0\t\t077\n", 0, 2,
	  { .type = 3, .addr = 077, .flags = F_INJ } },
	{ "hex and octal counts", "0x10 1 010 0", 0, 16,
	  { .type = 1, .reason = 8, .flags = F_INJ } },
	{ "a leading plus, as kstrtou64 takes it", "+1 1 0 0", 0, 1,
	  { .type = 1, .flags = F_INJ } },
	{ "the largest count", "1048576 1 0 0", 0, 1048576,
	  { .type = 1, .flags = F_INJ } },
	{ "the largest reason", "1 1 65535 0", 0, 1,
	  { .type = 1, .reason = 65535, .flags = F_INJ } },
	{ "the largest address", "1 1 0 0xffffffffffffffff", 0, 1,
	  { .type = 1, .addr = U64_MAX, .flags = F_INJ } },
	{ "a pasid sets PASID_VALID", "1 1 0 0 4294967295", 0, 1,
	  { .type = 1, .pasid = U32_MAX, .flags = F_INJ | F_PASID } },
	{ "every perm bit", "1 1 0 0 0 15", 0, 1,
	  { .type = 1, .perm = 15, .flags = F_INJ | F_PASID } },
	{ "a region and its offset set REGION_VALID",
	  "1 2 1 0 7 3 0xffffffff 0xffffffffffffffff", 0, 1,
	  { .type = 2, .reason = 1, .pasid = 7, .perm = 3,
	    .region_index = U32_MAX, .region_offset = U64_MAX,
	    .flags = F_INJ | F_PASID | F_REGION } },
	{ "empty", "", -EINVAL },
	{ "only blanks", " \t\n ", -EINVAL },
	{ "three numbers", "1 1 0", -EINVAL },
	{ "a zero count", "0 1 0 0", -EINVAL },
	{ "a count past the largest", "1048577 1 0 0", -EINVAL },
	{ "a count past 32 bits", "4294967297 1 0 0", -EINVAL },
	{ "the largest u64 count", "18446744073709551615 1 0 0", -EINVAL },
	{ "a count overflowing 64 bits", "18446744073709551616 1 0 0",
	  -EINVAL },
	{ "a hundred-digit count",
	  "1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000 1 0 0",
	  -EINVAL },
	{ "a negative count", "-1 1 0 0", -EINVAL },
	{ "a negative type", "1 -1 0 0", -EINVAL },
	{ "a negative address", "1 1 0 -4096", -EINVAL },
	{ "type 0", "1 0 0 0", -EINVAL },
	{ "a type past the last", "1 4 0 0", -EINVAL },
	{ "a reason past 16 bits", "1 1 65536 0", -EINVAL },
	{ "a pasid past 32 bits", "1 1 0 0 4294967296", -EINVAL },
	{ "an unknown perm bit", "1 1 0 0 0 16", -EINVAL },
	{ "a region without its offset", "1 1 0 0 0 0 7", -EINVAL },
	{ "a region past 32 bits", "1 1 0 0 0 0 0x100000000 0", -EINVAL },
	{ "nine numbers", "1 1 0 0 0 0 0 0 0", -EINVAL },
	{ "trailing garbage in a number", "1 1 0 0x1000zz", -EINVAL },
	{ "a trailing word", "1 1 0 0x1000 junk", -EINVAL },
	{ "a bare 0x", "1 1 0 0x", -EINVAL },
	{ "commas", "1,1,0,0", -EINVAL },
	{ "a digit that is not octal", "1 1 0 08", -EINVAL },
};

KUNIT_ARRAY_PARAM_DESC(vpm_inject, vpm_inject_cases, desc);

static void vpm_ring_parse_inject_matches_the_table(struct kunit *test)
{
	const struct vpm_inject_case *c = test->param_value;
	struct vfio_pci_mmap_fault_record r, before;
	char *line = kunit_kstrdup(test, c->line, GFP_KERNEL);
	u32 count = 0xdeadbeef;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, line);
	/* As debugfs does, from a zeroed record. */
	memset(&r, 0, sizeof(r));
	if (c->ret)
		memset(&r, 0x5a, sizeof(r));
	before = r;
	ret = vpm_ring_parse_inject(line, &count, &r);
	KUNIT_ASSERT_EQ(test, ret, c->ret);
	if (ret) {
		KUNIT_EXPECT_EQ(test, count, 0xdeadbeef);
		KUNIT_EXPECT_EQ(test, memcmp(&r, &before, sizeof(r)), 0);
		return;
	}
	KUNIT_EXPECT_EQ(test, count, c->count);
	KUNIT_EXPECT_EQ(test, r.type, c->rec.type);
	KUNIT_EXPECT_EQ(test, r.reason, c->rec.reason);
	KUNIT_EXPECT_EQ(test, r.addr, c->rec.addr);
	KUNIT_EXPECT_EQ(test, r.flags, c->rec.flags);
	KUNIT_EXPECT_EQ(test, r.pasid, c->rec.pasid);
	KUNIT_EXPECT_EQ(test, r.perm, c->rec.perm);
	KUNIT_EXPECT_EQ(test, r.region_index, c->rec.region_index);
	KUNIT_EXPECT_EQ(test, r.region_offset, c->rec.region_offset);
	/* Nothing the ring stamps is touched. */
	KUNIT_EXPECT_EQ(test, r.version, 0);
	KUNIT_EXPECT_EQ(test, r.seq, 0ULL);
	KUNIT_EXPECT_EQ(test, r.reserved, 0ULL);
}

/*
 * Random lines of 0 to 9 words, each an edge of some field's range, a
 * malformed number or random digits, between random blanks: whatever the
 * parser accepts is a record vfio_pci_mmap_report_fault() would accept
 * too, once the INJECTED flag is taken off, with a count the inject path
 * allows.
 */
static void vpm_ring_parse_inject_survives_random_lines(struct kunit *test)
{
	static const char * const words[] = {
		"0", "1", "2", "3", "4", "7", "15", "16", "65535", "65536",
		"0x10", "010", "08", "+1", "-1", "1048576", "1048577",
		"4294967295", "4294967296", "18446744073709551615",
		"18446744073709551616", "0x", "x1", "1a", "zz", "0xffffffffff",
	};
	static const char * const blanks[] = { " ", "\t", "  ", "\n", "\t\n " };
	unsigned int iter, nwords, w, len, accepted = 0;
	struct rnd_state rnd;
	char *line;

	line = kunit_kmalloc(test, 160, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, line);
	prandom_seed_state(&rnd, 0x696e6a);
	for (iter = 0; iter < 20000; iter++) {
		struct vfio_pci_mmap_fault_record r = {};
		u32 count = 0;

		nwords = prandom_u32_state(&rnd) % 10;
		len = 0;
		for (w = 0; w < nwords; w++) {
			u32 x = prandom_u32_state(&rnd);
			char digits[24];
			const char *word = words[x % ARRAY_SIZE(words)];

			if (x % 7 == 0) {
				snprintf(digits, sizeof(digits), "%u",
					 prandom_u32_state(&rnd) >> (x % 32));
				word = digits;
			}
			len += scnprintf(line + len, 160 - len, "%s%s",
					 blanks[(x >> 8) % ARRAY_SIZE(blanks)],
					 word);
		}
		line[len] = '\0';
		if (vpm_ring_parse_inject(line, &count, &r))
			continue;
		accepted++;
		KUNIT_EXPECT_GE(test, count, 1U);
		KUNIT_EXPECT_LE(test, count, VPM_RING_INJECT_MAX);
		KUNIT_EXPECT_TRUE(test, r.flags & VFIO_PCI_MMAP_FAULT_F_INJECTED);
		r.flags &= ~VFIO_PCI_MMAP_FAULT_F_INJECTED;
		KUNIT_EXPECT_TRUE_MSG(test, vpm_ring_record_valid(&r),
				      "iteration %u", iter);
	}
	kunit_info(test, "%u of 20000 random lines accepted", accepted);
	KUNIT_EXPECT_GT(test, accepted, 0U);
}

/* ---- a real ring on a test device ------------------------------------------------- */

struct vpm_ring_fixture {
	struct vpm_test_dev *td;
	struct vfio_pci_mmap_ring_header *hdr;
	struct vfio_pci_mmap_ring_consumer *cpage;
	u32 nr;
};

/*
 * As close_device does: vpm_ring_close(), then vfio_pci_core_disable()'s
 * release of every device region, which drops the ring's pages.
 */
static void vpm_ring_test_close(void *data)
{
	struct vpm_device *vpm = data;
	struct vfio_pci_core_device *vdev = &vpm->core;
	unsigned int i;

	vpm_ring_close(vpm);
	for (i = 0; i < vdev->num_regions; i++)
		vdev->region[i].ops->release(vdev, &vdev->region[i]);
	kfree(vdev->region);
	vdev->region = NULL;
	vdev->num_regions = 0;
}

static void vpm_ring_test_open(struct kunit *test, struct vpm_ring_fixture *fx)
{
	struct vpm_device *vpm;
	int ret;

	fx->td = vpm_test_dev_new(test);
	vpm = fx->td->vpm;
	ret = vpm_ring_open(vpm);
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = kunit_add_action_or_reset(test, vpm_ring_test_close, vpm);
	KUNIT_ASSERT_EQ(test, ret, 0);

	fx->hdr = vpm_ring_page_kaddr(vpm, VPM_RING_HDR_PAGE);
	fx->cpage = vpm_ring_page_kaddr(vpm, VPM_RING_CONS_PAGE);
	KUNIT_ASSERT_NOT_NULL(test, fx->hdr);
	KUNIT_ASSERT_NOT_NULL(test, fx->cpage);
	fx->nr = fx->hdr->nr_entries;
	KUNIT_ASSERT_TRUE(test, is_power_of_2(fx->nr));
	KUNIT_ASSERT_GE(test, fx->nr, VPM_RING_MIN_ENTRIES);
	KUNIT_ASSERT_LE(test, fx->nr, VPM_RING_MAX_ENTRIES);
}

/* Page @page of the entries. */
static void *vpm_ring_test_entries(struct vpm_ring_fixture *fx,
				   unsigned int page)
{
	return vpm_ring_page_kaddr(fx->td->vpm, VPM_RING_ENTRIES_PAGE + page);
}

/* The entry of index @idx, located without the code under test. */
static struct vfio_pci_mmap_fault_record *
vpm_ring_test_entry(struct kunit *test, struct vpm_ring_fixture *fx, u32 idx)
{
	size_t off = (size_t)(idx % fx->nr) * VPM_RING_RECORD_SIZE;
	void *page = vpm_ring_test_entries(fx, off / PAGE_SIZE);

	KUNIT_ASSERT_NOT_NULL(test, page);
	return page + off % PAGE_SIZE;
}

static void vpm_ring_test_set_cons(struct vpm_ring_fixture *fx, u32 cons)
{
	/* As a user frees records: release, after reading them. */
	smp_store_release(&fx->cpage->cons, cons);
}

/* The header's counters, as a user reads them. */
struct vpm_ring_counts {
	u32 prod;
	u32 flags;
	u64 produced;
	u64 lost;
	u64 invalid;
};

static struct vpm_ring_counts vpm_ring_test_counts(struct vpm_ring_fixture *fx)
{
	struct vpm_ring_counts c = {
		/* As a user: acquire, before reading the records. */
		.prod = smp_load_acquire(&fx->hdr->prod),
		.flags = READ_ONCE(fx->hdr->flags),
		.produced = READ_ONCE(fx->hdr->produced),
		.lost = READ_ONCE(fx->hdr->lost),
		.invalid = READ_ONCE(fx->hdr->invalid_cons),
	};

	return c;
}

static struct vfio_pci_mmap_fault_record vpm_ring_test_record(u64 addr)
{
	struct vfio_pci_mmap_fault_record r = vpm_full_record;

	r.addr = addr;
	return r;
}

static void vpm_ring_opens_with_a_valid_header_and_region(struct kunit *test)
{
	struct vpm_ring_fixture fx;
	struct vfio_pci_core_device *vdev;
	struct vpm_device *vpm;
	unsigned int pages;

	vpm_ring_test_open(test, &fx);
	vpm = fx.td->vpm;
	vdev = &vpm->core;

	KUNIT_EXPECT_EQ(test, fx.hdr->magic, VFIO_PCI_MMAP_RING_MAGIC);
	KUNIT_EXPECT_EQ(test, fx.hdr->version, VFIO_PCI_MMAP_RING_VERSION);
	KUNIT_EXPECT_EQ(test, fx.hdr->record_size, VPM_RING_RECORD_SIZE);
	KUNIT_EXPECT_EQ(test, fx.hdr->prod, 0U);
	KUNIT_EXPECT_EQ(test, fx.hdr->flags, 0U);
	KUNIT_EXPECT_EQ(test, fx.cpage->cons, 0U);

	KUNIT_ASSERT_EQ(test, vdev->num_regions, 1);
	KUNIT_EXPECT_EQ(test, vpm_ring_region_index(vpm), VFIO_PCI_NUM_REGIONS);
	KUNIT_EXPECT_EQ(test, vdev->region[0].type, VFIO_PCI_MMAP_REGION_TYPE);
	KUNIT_EXPECT_EQ(test, vdev->region[0].subtype,
			VFIO_PCI_MMAP_REGION_SUBTYPE_FAULT_RING);
	pages = vpm_ring_nr_pages(fx.nr);
	KUNIT_EXPECT_EQ(test, vdev->region[0].size, (size_t)pages * PAGE_SIZE);
	KUNIT_EXPECT_NOT_NULL(test, vpm_ring_page_kaddr(vpm, pages - 1));
	KUNIT_EXPECT_NULL(test, vpm_ring_page_kaddr(vpm, pages));
}

/*
 * Fill the ring, overflow it by one, consume half, produce again: the
 * header counts every record, the entries hold what was reported with the
 * ring's own stamps, and the lost record leaves a gap of one in seq.
 */
static void vpm_ring_report_fault_fills_the_ring_and_counts_what_is_lost(struct kunit *test)
{
	struct vfio_pci_mmap_fault_record r, *e, *prev;
	struct vpm_ring_fixture fx;
	struct vpm_ring_counts c;
	u64 last_ts = 0, now;
	struct pci_dev *pdev;
	u32 i;

	vpm_ring_test_open(test, &fx);
	pdev = fx.td->pdev;

	for (i = 0; i < fx.nr; i++) {
		r = vpm_ring_test_record(0x1000 + i);
		KUNIT_ASSERT_EQ_MSG(test, vfio_pci_mmap_report_fault(pdev, &r),
				    0, "record %u", i);
	}
	now = ktime_get_ns();
	c = vpm_ring_test_counts(&fx);
	KUNIT_EXPECT_EQ(test, c.prod, fx.nr);
	KUNIT_EXPECT_EQ(test, c.produced, (u64)fx.nr);
	KUNIT_EXPECT_EQ(test, c.lost, 0ULL);
	KUNIT_EXPECT_EQ(test, c.invalid, 0ULL);
	KUNIT_EXPECT_EQ(test, c.flags, 0U);

	for (i = 0; i < fx.nr; i++) {
		e = vpm_ring_test_entry(test, &fx, i);
		r = vpm_ring_test_record(0x1000 + i);
		vpm_expect_encoded(test, e, &r, i + 1, e->timestamp_ns);
		KUNIT_EXPECT_GE_MSG(test, e->timestamp_ns, last_ts,
				    "record %u", i);
		KUNIT_EXPECT_LE(test, e->timestamp_ns, now);
		last_ts = e->timestamp_ns;
	}
	KUNIT_EXPECT_GT(test, last_ts, 0ULL);

	/* Full (cons 0, prod nr): the next one is lost, counted, not written. */
	r = vpm_ring_test_record(0x2000);
	KUNIT_EXPECT_EQ(test, vfio_pci_mmap_report_fault(pdev, &r), -ENOSPC);
	c = vpm_ring_test_counts(&fx);
	KUNIT_EXPECT_EQ(test, c.prod, fx.nr);
	KUNIT_EXPECT_EQ(test, c.produced, (u64)fx.nr);
	KUNIT_EXPECT_EQ(test, c.lost, 1ULL);
	KUNIT_EXPECT_EQ(test, c.invalid, 0ULL);
	KUNIT_EXPECT_EQ(test, c.flags, 0U);
	KUNIT_EXPECT_EQ(test, vpm_ring_test_entry(test, &fx, 0)->seq, 1ULL);

	/* Consume half: the next record takes the first entry again. */
	vpm_ring_test_set_cons(&fx, fx.nr / 2);
	r = vpm_ring_test_record(0x3000);
	KUNIT_EXPECT_EQ(test, vfio_pci_mmap_report_fault(pdev, &r), 0);
	c = vpm_ring_test_counts(&fx);
	KUNIT_EXPECT_EQ(test, c.prod, fx.nr + 1);
	KUNIT_EXPECT_EQ(test, c.produced, (u64)fx.nr + 1);
	KUNIT_EXPECT_EQ(test, c.lost, 1ULL);
	e = vpm_ring_test_entry(test, &fx, fx.nr);
	prev = vpm_ring_test_entry(test, &fx, fx.nr - 1);
	/* The seq gap between the last two published records is what was lost. */
	KUNIT_EXPECT_EQ(test, e->seq - prev->seq - 1, c.lost);
	vpm_expect_encoded(test, e, &r, (u64)fx.nr + 2, e->timestamp_ns);
	KUNIT_EXPECT_GE(test, e->timestamp_ns, last_ts);
	/* The entry after it still holds the second record. */
	KUNIT_EXPECT_EQ(test, vpm_ring_test_entry(test, &fx, fx.nr + 1)->seq,
			2ULL);
	/* The producer never writes the user's page. */
	KUNIT_EXPECT_EQ(test, READ_ONCE(fx.cpage->cons), fx.nr / 2);
}

KUNIT_DEFINE_ACTION_WRAPPER(vpm_kvfree_action, kvfree, const void *);

static void *vpm_test_kvmalloc(struct kunit *test, size_t size)
{
	void *p = kvmalloc(size, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vpm_kvfree_action,
							p), 0);
	return p;
}

/* cons = prod + delta + nr_times * nr_entries */
struct vpm_hostile_cons {
	const char *what;
	u32 delta;
	int nr_times;
};

static const struct vpm_hostile_cons vpm_hostile_conses[] = {
	{ "ahead of prod by 1", 1, 0 },
	{ "ahead of prod by 0x80000000", 0x80000000, 0 },
	{ "ahead of prod by 0x7fffffff", 0x7fffffff, 0 },
	{ "nr_entries + 1 behind prod", U32_MAX, -1 },
	{ "0x7fffffff behind prod", 0x80000001, 0 },
	{ "ahead of prod by 2 nr_entries", 0, 2 },
};

/*
 * Each hostile consumer index makes a report fail with -ENOSPC: one more
 * invalid_cons, one more lost, the CONS_INVALID flag, and not a byte of
 * the entries or of the producer index changed.  A cons exactly
 * nr_entries behind is valid (a full ring): it clears the flag and loses
 * the record as full, and an empty ring then takes the next one, whose
 * seq shows every record lost on the way.
 */
static void vpm_ring_hostile_consumer_indices_are_counted_and_never_used(struct kunit *test)
{
	struct vfio_pci_mmap_fault_record r;
	struct vpm_ring_fixture fx;
	const struct vpm_hostile_cons *hostile = vpm_hostile_conses;
	const u32 nr_hostile = ARRAY_SIZE(vpm_hostile_conses);
	struct vpm_ring_counts c, before;
	struct pci_dev *pdev;
	u32 i, prod, page;
	size_t area;
	void *snap;

	vpm_ring_test_open(test, &fx);
	pdev = fx.td->pdev;

	for (i = 0; i < 3; i++) {
		r = vpm_ring_test_record(i);
		KUNIT_ASSERT_EQ(test, vfio_pci_mmap_report_fault(pdev, &r), 0);
	}
	prod = 3;

	area = (size_t)fx.nr * VPM_RING_RECORD_SIZE;
	snap = vpm_test_kvmalloc(test, area);
	for (page = 0; page < area / PAGE_SIZE; page++)
		memcpy(snap + page * PAGE_SIZE,
		       vpm_ring_test_entries(&fx, page), PAGE_SIZE);

	for (i = 0; i < nr_hostile; i++) {
		u32 cons = prod + hostile[i].delta + hostile[i].nr_times * fx.nr;

		before = vpm_ring_test_counts(&fx);
		vpm_ring_test_set_cons(&fx, cons);
		r = vpm_ring_test_record(0x100 + i);
		KUNIT_EXPECT_EQ_MSG(test, vfio_pci_mmap_report_fault(pdev, &r),
				    -ENOSPC, "cons %s", hostile[i].what);
		c = vpm_ring_test_counts(&fx);
		KUNIT_EXPECT_EQ_MSG(test, c.invalid, before.invalid + 1,
				    "cons %s", hostile[i].what);
		KUNIT_EXPECT_EQ_MSG(test, c.lost, before.lost + 1, "cons %s",
				    hostile[i].what);
		KUNIT_EXPECT_TRUE_MSG(test,
				      c.flags & VFIO_PCI_MMAP_RING_F_CONS_INVALID,
				      "cons %s", hostile[i].what);
		KUNIT_EXPECT_EQ(test, c.prod, prod);
		KUNIT_EXPECT_EQ(test, c.produced, before.produced);
		KUNIT_EXPECT_EQ(test, READ_ONCE(fx.cpage->cons), cons);
		for (page = 0; page < area / PAGE_SIZE; page++)
			KUNIT_EXPECT_EQ_MSG(test,
					    memcmp(snap + page * PAGE_SIZE,
						   vpm_ring_test_entries(&fx, page),
						   PAGE_SIZE), 0,
					    "entries page %u, cons %s", page,
					    hostile[i].what);
	}
	KUNIT_EXPECT_EQ(test, vpm_ring_test_counts(&fx).invalid,
			(u64)nr_hostile);

	/* Exactly nr_entries behind: valid and full. */
	before = vpm_ring_test_counts(&fx);
	vpm_ring_test_set_cons(&fx, prod - fx.nr);
	r = vpm_ring_test_record(0x200);
	KUNIT_EXPECT_EQ(test, vfio_pci_mmap_report_fault(pdev, &r), -ENOSPC);
	c = vpm_ring_test_counts(&fx);
	KUNIT_EXPECT_EQ(test, c.flags, 0U);
	KUNIT_EXPECT_EQ(test, c.invalid, before.invalid);
	KUNIT_EXPECT_EQ(test, c.lost, before.lost + 1);
	KUNIT_EXPECT_EQ(test, c.prod, prod);

	/* Empty: published, and its seq skips exactly the lost ones. */
	vpm_ring_test_set_cons(&fx, prod);
	r = vpm_ring_test_record(0x300);
	KUNIT_EXPECT_EQ(test, vfio_pci_mmap_report_fault(pdev, &r), 0);
	c = vpm_ring_test_counts(&fx);
	KUNIT_EXPECT_EQ(test, c.prod, prod + 1);
	KUNIT_EXPECT_EQ(test, c.flags, 0U);
	KUNIT_EXPECT_EQ(test, c.lost, (u64)nr_hostile + 1);
	KUNIT_EXPECT_EQ(test, vpm_ring_test_entry(test, &fx, prod)->seq -
			vpm_ring_test_entry(test, &fx, prod - 1)->seq - 1,
			c.lost);
	vpm_expect_encoded(test, vpm_ring_test_entry(test, &fx, prod), &r,
			   prod + c.lost + 1,
			   vpm_ring_test_entry(test, &fx, prod)->timestamp_ns);
}

/*
 * Malformed records and devices without an open ring are refused before
 * the ring is touched: no counter moves and no seq is used up.
 */
static void vpm_ring_report_fault_refuses_bad_records_and_closed_rings(struct kunit *test)
{
	struct vfio_pci_mmap_fault_record r;
	struct vpm_ring_fixture fx;
	struct vpm_ring_counts c;
	struct pci_dev *other;
	struct vpm_device *vpm;
	unsigned int i;

	vpm_ring_test_open(test, &fx);
	vpm = fx.td->vpm;
	other = kunit_kzalloc(test, sizeof(*other), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, other);

	for (i = 0; i < ARRAY_SIZE(vpm_valid_cases); i++) {
		if (vpm_valid_cases[i].valid)
			continue;
		KUNIT_EXPECT_EQ_MSG(test,
				    vfio_pci_mmap_report_fault(fx.td->pdev,
							       &vpm_valid_cases[i].rec),
				    -EINVAL, "%s", vpm_valid_cases[i].desc);
	}
	r = vpm_ring_test_record(0);
	KUNIT_EXPECT_EQ(test, vfio_pci_mmap_report_fault(NULL, &r), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_pci_mmap_report_fault(fx.td->pdev, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_pci_mmap_report_fault(other, &r), -ENODEV);

	c = vpm_ring_test_counts(&fx);
	KUNIT_EXPECT_EQ(test, c.prod, 0U);
	KUNIT_EXPECT_EQ(test, c.produced, 0ULL);
	KUNIT_EXPECT_EQ(test, c.lost, 0ULL);
	KUNIT_EXPECT_EQ(test, c.invalid, 0ULL);

	/* The first record produced is still seq 1. */
	KUNIT_EXPECT_EQ(test, vfio_pci_mmap_report_fault(fx.td->pdev, &r), 0);
	KUNIT_EXPECT_EQ(test, vpm_ring_test_entry(test, &fx, 0)->seq, 1ULL);

	/* Revoked: the device is going away, nothing more is produced. */
	KUNIT_ASSERT_TRUE(test, vpm_test_transition(vpm, VPM_STATE_ANY,
						    VPM_STATE_REVOKED,
						    VPM_REASON_REQUEST));
	KUNIT_EXPECT_EQ(test, vfio_pci_mmap_report_fault(fx.td->pdev, &r),
			-ENODEV);
	c = vpm_ring_test_counts(&fx);
	KUNIT_EXPECT_EQ(test, c.prod, 1U);
	KUNIT_EXPECT_EQ(test, c.lost, 0ULL);

	/* Closed: the ring is out of reach before its pages are released. */
	vpm_ring_close(vpm);
	KUNIT_EXPECT_NULL(test, rcu_access_pointer(vpm->ring));
	KUNIT_EXPECT_EQ(test, vpm_ring_region_index(vpm), -1);
	KUNIT_EXPECT_EQ(test, vfio_pci_mmap_report_fault(fx.td->pdev, &r),
			-ENODEV);
	KUNIT_EXPECT_EQ(test, READ_ONCE(fx.hdr->prod), 1U);
	KUNIT_EXPECT_EQ(test, READ_ONCE(fx.hdr->lost), 0ULL);
}

static ssize_t vpm_ring_test_rw(struct vpm_ring_fixture *fx, void __user *buf,
				size_t count, u64 off, bool write)
{
	struct vfio_pci_core_device *vdev = &fx->td->vpm->core;
	loff_t pos = VFIO_PCI_INDEX_TO_OFFSET(vpm_ring_region_index(fx->td->vpm)) +
		     off;

	return vdev->region[0].ops->rw(vdev, buf, count, &pos, write);
}

#define ENTRIES_OFF	((u64)VPM_RING_ENTRIES_PAGE << PAGE_SHIFT)
#define CONS_OFF	((u64)VPM_RING_CONS_PAGE << PAGE_SHIFT)

static void vpm_ring_test_expect_seqs(struct kunit *test,
				      struct vfio_pci_mmap_fault_record *got,
				      u32 n, u64 first_seq)
{
	u32 i;

	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ_MSG(test, got[i].seq, first_seq + i,
				    "record %u of %u", i, n);
}

/*
 * read() of the entries consumes whole records in order, page after page
 * and around the end of the ring; write() of the consumer index takes only
 * a valid value; a hostile cons in the page fails read() with -EINVAL and
 * is counted like a producer's.
 */
static void vpm_ring_read_consumes_across_pages_and_refuses_hostile_cons(struct kunit *test)
{
	struct vfio_pci_mmap_fault_record r, *got;
	struct vpm_ring_fixture fx;
	struct vpm_ring_counts c;
	size_t size;
	unsigned long addr;
	void __user *ubuf;
	u32 i, first, v;

	vpm_ring_test_open(test, &fx);
	vpm_test_attach_mm(test);
	size = PAGE_ALIGN((size_t)fx.nr * VPM_RING_RECORD_SIZE + PAGE_SIZE);
	addr = kunit_vm_mmap(test, NULL, 0, size, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, 0);
	KUNIT_ASSERT_FALSE(test, vpm_test_mmap_failed(addr));
	ubuf = (void __user *)addr;
	got = vpm_test_kvmalloc(test, size);

	/* Empty, and too small a buffer. */
	KUNIT_EXPECT_EQ(test, vpm_ring_test_rw(&fx, ubuf, 4096, ENTRIES_OFF,
					       false), 0);
	KUNIT_EXPECT_EQ(test, vpm_ring_test_rw(&fx, ubuf,
					       VPM_RING_RECORD_SIZE - 1,
					       ENTRIES_OFF, false), -EINVAL);

	/* All but three entries, read in one call across every page. */
	first = fx.nr - 3;
	for (i = 0; i < first; i++) {
		r = vpm_ring_test_record(i);
		KUNIT_ASSERT_EQ(test, vfio_pci_mmap_report_fault(fx.td->pdev,
								 &r), 0);
	}
	KUNIT_EXPECT_EQ(test, vpm_ring_test_rw(&fx, ubuf, size, ENTRIES_OFF,
					       false),
			(ssize_t)first * VPM_RING_RECORD_SIZE);
	KUNIT_ASSERT_EQ(test, copy_from_user(got, ubuf,
					     (size_t)first * VPM_RING_RECORD_SIZE),
			0UL);
	vpm_ring_test_expect_seqs(test, got, first, 1);
	KUNIT_EXPECT_EQ(test, READ_ONCE(fx.cpage->cons), first);

	/* Ten more, around the end of the ring; a count with a partial record. */
	for (i = 0; i < 10; i++) {
		r = vpm_ring_test_record(i);
		KUNIT_ASSERT_EQ(test, vfio_pci_mmap_report_fault(fx.td->pdev,
								 &r), 0);
	}
	KUNIT_EXPECT_EQ(test, vpm_ring_test_rw(&fx, ubuf,
					       10 * VPM_RING_RECORD_SIZE + 63,
					       ENTRIES_OFF + 100, false),
			(ssize_t)10 * VPM_RING_RECORD_SIZE);
	KUNIT_ASSERT_EQ(test, copy_from_user(got, ubuf,
					     10 * VPM_RING_RECORD_SIZE), 0UL);
	vpm_ring_test_expect_seqs(test, got, 10, first + 1);
	KUNIT_EXPECT_EQ(test, READ_ONCE(fx.cpage->cons), first + 10);

	/* write(): a cons ahead of prod is refused and changes nothing. */
	v = first + 11;
	KUNIT_ASSERT_EQ(test, copy_to_user(ubuf, &v, sizeof(v)), 0UL);
	KUNIT_EXPECT_EQ(test, vpm_ring_test_rw(&fx, ubuf, sizeof(v), CONS_OFF,
					       true), -EINVAL);
	KUNIT_EXPECT_EQ(test, READ_ONCE(fx.cpage->cons), first + 10);
	/* Not at the cons field, or not 4 bytes: refused. */
	KUNIT_EXPECT_EQ(test, vpm_ring_test_rw(&fx, ubuf, sizeof(v),
					       CONS_OFF + 4, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, vpm_ring_test_rw(&fx, ubuf, 2, CONS_OFF, true),
			-EINVAL);
	/* A valid one: step back one record and read it again. */
	v = first + 9;
	KUNIT_ASSERT_EQ(test, copy_to_user(ubuf, &v, sizeof(v)), 0UL);
	KUNIT_EXPECT_EQ(test, vpm_ring_test_rw(&fx, ubuf, sizeof(v), CONS_OFF,
					       true), (ssize_t)sizeof(v));
	KUNIT_EXPECT_EQ(test, vpm_ring_test_rw(&fx, ubuf, size, ENTRIES_OFF,
					       false),
			(ssize_t)VPM_RING_RECORD_SIZE);
	KUNIT_ASSERT_EQ(test, copy_from_user(got, ubuf, VPM_RING_RECORD_SIZE),
			0UL);
	vpm_ring_test_expect_seqs(test, got, 1, first + 10);

	/* A hostile cons in the page: read() fails and counts it. */
	vpm_ring_test_set_cons(&fx, first + 10 + 0x80000000);
	KUNIT_EXPECT_EQ(test, vpm_ring_test_rw(&fx, ubuf, size, ENTRIES_OFF,
					       false), -EINVAL);
	c = vpm_ring_test_counts(&fx);
	KUNIT_EXPECT_EQ(test, c.invalid, 1ULL);
	KUNIT_EXPECT_TRUE(test, c.flags & VFIO_PCI_MMAP_RING_F_CONS_INVALID);
	KUNIT_EXPECT_EQ(test, c.lost, 0ULL);
	/* Back in the window: empty, and the flag is cleared. */
	vpm_ring_test_set_cons(&fx, first + 10);
	KUNIT_EXPECT_EQ(test, vpm_ring_test_rw(&fx, ubuf, size, ENTRIES_OFF,
					       false), 0);
	KUNIT_EXPECT_EQ(test, vpm_ring_test_counts(&fx).flags, 0U);
}

static struct kunit_case vpm_ring_test_cases[] = {
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
	KUNIT_CASE_PARAM(vpm_ring_record_valid_matches_the_table,
			 vpm_valid_gen_params),
	KUNIT_CASE(vpm_ring_record_valid_refuses_no_record),
	KUNIT_CASE(vpm_ring_record_encode_stamps_what_the_ring_owns),
	KUNIT_CASE(vpm_ring_record_encode_works_in_place),
	KUNIT_CASE_PARAM(vpm_ring_refused_reason_matches_the_table,
			 vpm_reason_gen_params),
	KUNIT_CASE_PARAM(vpm_ring_parse_inject_matches_the_table,
			 vpm_inject_gen_params),
	KUNIT_CASE(vpm_ring_parse_inject_survives_random_lines),
	KUNIT_CASE(vpm_ring_opens_with_a_valid_header_and_region),
	KUNIT_CASE(vpm_ring_report_fault_fills_the_ring_and_counts_what_is_lost),
	KUNIT_CASE(vpm_ring_hostile_consumer_indices_are_counted_and_never_used),
	KUNIT_CASE(vpm_ring_report_fault_refuses_bad_records_and_closed_rings),
	KUNIT_CASE(vpm_ring_read_consumes_across_pages_and_refuses_hostile_cons),
	{}
};

static struct kunit_suite vpm_ring_suite = {
	.name = "vpm_ring",
	.test_cases = vpm_ring_test_cases,
};

kunit_test_suite(vpm_ring_suite);
