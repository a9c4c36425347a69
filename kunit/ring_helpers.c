// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shared fixtures of the fault ring's KUnit suites (ring_*_test.c): the
 * record validation table, a record with every field set and the check of
 * its encoding, and a real ring opened on a test device, looked at as its
 * user would.
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/limits.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include "vpm.h"
#include "fault_ring.h"
#include "ring/index.h"
#include "ring/record.h"
#include "ring_helpers.h"
#include "vpm_kunit.h"

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

/**
 * vpm_ring_valid_case_params() - the record validation table, case by case
 * @prev: the previous case, NULL for the first
 * @desc: filled with the case's description
 *
 * A KUnit parameter generator; suites may also walk the table with it.
 *
 * Return: the next &struct vpm_valid_case, NULL after the last.
 */
const void *vpm_ring_valid_case_params(const void *prev, char *desc)
{
	return vpm_valid_gen_params(prev, desc);
}

/* A record with every field set, the ring's own ones to garbage. */
const struct vfio_pci_mmap_fault_record vpm_full_record = {
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

/**
 * vpm_expect_encoded() - expect a record as the ring publishes it
 * @test: the test
 * @got: the record published
 * @src: what the producer handed in
 * @seq: the sequence number expected
 * @ts: the timestamp expected
 */
void vpm_expect_encoded(struct kunit *test,
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

/**
 * vpm_ring_test_open() - open a ring on a new test device
 * @test: the test; the ring is closed and released when it ends
 * @fx: filled with the device and the ring's header and consumer pages
 */
void vpm_ring_test_open(struct kunit *test, struct vpm_ring_fixture *fx)
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

/**
 * vpm_ring_test_entries() - one page of the entries
 * @fx: the ring
 * @page: the page, counted from the first page of the entries
 *
 * Return: its kernel address, NULL past the last.
 */
void *vpm_ring_test_entries(struct vpm_ring_fixture *fx, unsigned int page)
{
	return vpm_ring_page_kaddr(fx->td->vpm, VPM_RING_ENTRIES_PAGE + page);
}

/**
 * vpm_ring_test_entry() - an entry, located without the code under test
 * @test: the test
 * @fx: the ring
 * @idx: its free-running index
 *
 * Return: the entry's kernel address.
 */
struct vfio_pci_mmap_fault_record *
vpm_ring_test_entry(struct kunit *test, struct vpm_ring_fixture *fx, u32 idx)
{
	size_t off = (size_t)(idx % fx->nr) * VPM_RING_RECORD_SIZE;
	void *page = vpm_ring_test_entries(fx, off / PAGE_SIZE);

	KUNIT_ASSERT_NOT_NULL(test, page);
	return page + off % PAGE_SIZE;
}

/**
 * vpm_ring_test_set_cons() - store the consumer index as a user does
 * @fx: the ring
 * @cons: the value
 */
void vpm_ring_test_set_cons(struct vpm_ring_fixture *fx, u32 cons)
{
	/* As a user frees records: release, after reading them. */
	smp_store_release(&fx->cpage->cons, cons);
}

/**
 * vpm_ring_test_counts() - the header's counters, as a user reads them
 * @fx: the ring
 *
 * Return: the counters.
 */
struct vpm_ring_counts vpm_ring_test_counts(struct vpm_ring_fixture *fx)
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

/**
 * vpm_ring_test_record() - a record with every field set
 * @addr: its address
 *
 * Return: vpm_full_record at @addr.
 */
struct vfio_pci_mmap_fault_record vpm_ring_test_record(u64 addr)
{
	struct vfio_pci_mmap_fault_record r = vpm_full_record;

	r.addr = addr;
	return r;
}

KUNIT_DEFINE_ACTION_WRAPPER(vpm_kvfree_action, kvfree, const void *);

/**
 * vpm_test_kvmalloc() - kvmalloc() freed when the test ends
 * @test: the test
 * @size: bytes
 *
 * Return: the memory; the test fails if there is none.
 */
void *vpm_test_kvmalloc(struct kunit *test, size_t size)
{
	void *p = kvmalloc(size, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vpm_kvfree_action,
							p), 0);
	return p;
}
