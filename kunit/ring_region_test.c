// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vpm_ring_region: read() and write() of a real ring's region
 * (vfio-pci-mmap/ring/region.c) on a test device, through its regops as
 * vfio-pci-core calls them.
 */
#include <kunit/test.h>
#include <linux/mman.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include "vpm.h"
#include "fault_ring.h"
#include "ring/index.h"
#include "ring_helpers.h"
#include "vpm_kunit.h"

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

static struct kunit_case vpm_ring_region_test_cases[] = {
	KUNIT_CASE(vpm_ring_read_consumes_across_pages_and_refuses_hostile_cons),
	{}
};

static struct kunit_suite vpm_ring_region_suite = {
	.name = "vpm_ring_region",
	.test_cases = vpm_ring_region_test_cases,
};

kunit_test_suite(vpm_ring_region_suite);
