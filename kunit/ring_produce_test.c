// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vpm_ring_produce: the producers (vfio-pci-mmap/ring/
 * produce.c) of a real ring on a test device: vfio_pci_mmap_report_fault()
 * fills it, counts what is lost, refuses bad records and closed rings, and
 * survives hostile consumer indices written into the consumer page as a
 * user would.
 */
#include <kunit/test.h>
#include <linux/ktime.h>
#include <linux/limits.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "vpm.h"
#include "fault_ring.h"
#include "ring/index.h"
#include "ring_helpers.h"
#include "vpm_kunit.h"

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
	char desc[KUNIT_PARAM_DESC_SIZE];
	const struct vpm_valid_case *vc;
	struct vpm_device *vpm;

	vpm_ring_test_open(test, &fx);
	vpm = fx.td->vpm;
	other = kunit_kzalloc(test, sizeof(*other), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, other);

	for (vc = vpm_ring_valid_case_params(NULL, desc); vc;
	     vc = vpm_ring_valid_case_params(vc, desc)) {
		if (vc->valid)
			continue;
		KUNIT_EXPECT_EQ_MSG(test,
				    vfio_pci_mmap_report_fault(fx.td->pdev,
							       &vc->rec),
				    -EINVAL, "%s", vc->desc);
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

static struct kunit_case vpm_ring_produce_test_cases[] = {
	KUNIT_CASE(vpm_ring_report_fault_fills_the_ring_and_counts_what_is_lost),
	KUNIT_CASE(vpm_ring_hostile_consumer_indices_are_counted_and_never_used),
	KUNIT_CASE(vpm_ring_report_fault_refuses_bad_records_and_closed_rings),
	{}
};

static struct kunit_suite vpm_ring_produce_suite = {
	.name = "vpm_ring_produce",
	.test_cases = vpm_ring_produce_test_cases,
};

kunit_test_suite(vpm_ring_produce_suite);
