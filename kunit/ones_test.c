// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vpm_ones: what a mapping serves under the ones policy
 * (ones.c), the cases the BAR suite leaves out: a read-only vma maps the
 * one shared page, a writable vma past the limit of private pages gets
 * SIGBUS, and leaving a state that served all-ones unmaps the pages and
 * fills the private ones with all-ones again before the BAR comes back.
 */
#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "vpm.h"
#include "vpm_kunit.h"

/* ones.c's VPM_ONES_MAX_PRIVATE: 256 MiB of private pages per device. */
#define VPM_TEST_ONES_MAX_PRIVATE	65536U

static int vpm_ones_read(unsigned long addr, u64 *val)
{
	return get_user(*val, (u64 __user *)addr);
}

static unsigned long vpm_ones_map(struct kunit *test, struct vpm_test_dev *td,
				  unsigned long prot, unsigned long pages)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, td->file, 0, pages << PAGE_SHIFT, prot,
			     MAP_SHARED, VFIO_PCI_INDEX_TO_OFFSET(0));
	KUNIT_ASSERT_FALSE_MSG(test, vpm_test_mmap_failed(addr),
			       "mmap of BAR0: %ld", (long)addr);
	return addr;
}

static void vpm_ones_read_only_vma_maps_the_shared_page(struct kunit *test)
{
	struct vpm_test_dev *td = vpm_test_dev_new(test);
	struct vpm_device *vpm = td->vpm;
	unsigned long addr;
	u64 val = 0;

	vpm_test_set_revoke_param(test, VPM_POLICY_ONES);
	addr = vpm_ones_map(test, td, PROT_READ, 2);
	vpm_revoke(vpm);

	KUNIT_ASSERT_EQ(test, vpm_ones_read(addr, &val), 0);
	KUNIT_EXPECT_EQ(test, val, ~0ULL);
	KUNIT_ASSERT_EQ(test, vpm_ones_read(addr + PAGE_SIZE, &val), 0);
	KUNIT_EXPECT_EQ(test, val, ~0ULL);
	/* Both pages are the one shared page, and no private page exists. */
	KUNIT_EXPECT_EQ(test, vpm_test_pfn_at(addr),
			page_to_pfn(vpm->ones.page));
	KUNIT_EXPECT_EQ(test, vpm_test_pfn_at(addr + PAGE_SIZE),
			page_to_pfn(vpm->ones.page));
	KUNIT_EXPECT_EQ(test, vpm->ones.nr_private, 0U);
	KUNIT_EXPECT_TRUE(test, vpm->ones.served);
	KUNIT_EXPECT_EQ(test, vm_munmap(addr, 2 * PAGE_SIZE), 0);
}

static void vpm_ones_private_pages_past_the_limit_get_sigbus(struct kunit *test)
{
	struct vpm_test_dev *td = vpm_test_dev_new(test);
	struct vpm_device *vpm = td->vpm;
	unsigned long addr;
	u64 val = 0;

	vpm_test_set_revoke_param(test, VPM_POLICY_ONES);
	addr = vpm_ones_map(test, td, PROT_READ | PROT_WRITE, 2);
	vpm_revoke(vpm);

	/* The first page takes a private page... */
	KUNIT_ASSERT_EQ(test, vpm_ones_read(addr, &val), 0);
	KUNIT_EXPECT_EQ(test, val, ~0ULL);
	KUNIT_EXPECT_EQ(test, vpm->ones.nr_private, 1U);

	/* ...the device is then at its limit: the second one is refused. */
	WRITE_ONCE(vpm->ones.nr_private, VPM_TEST_ONES_MAX_PRIVATE);
	KUNIT_EXPECT_EQ(test, vpm_ones_read(addr + PAGE_SIZE, &val), -EFAULT);
	KUNIT_EXPECT_EQ(test, vpm_test_pfn_at(addr + PAGE_SIZE), 0UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&vpm->refused), 1L);
	/* After a zap, the page the vma has already is found at the limit. */
	KUNIT_EXPECT_EQ(test, put_user(0x42ULL, (u64 __user *)addr), 0);
	down_write(&vpm->state_lock);
	vpm_zap(vpm, VPM_REASON_REQUEST, VPM_ZAP_ALL);
	up_write(&vpm->state_lock);
	KUNIT_EXPECT_EQ(test, vpm_test_pfn_at(addr), 0UL);
	KUNIT_EXPECT_EQ(test, vpm_ones_read(addr, &val), 0);
	KUNIT_EXPECT_EQ(test, val, 0x42ULL);
	WRITE_ONCE(vpm->ones.nr_private, 1U);
	KUNIT_EXPECT_EQ(test, vm_munmap(addr, 2 * PAGE_SIZE), 0);
}

static void vpm_ones_leaving_the_state_refills_and_maps_the_bar_again(struct kunit *test)
{
	struct vpm_test_dev *td = vpm_test_dev_new(test);
	struct vpm_device *vpm = td->vpm;
	struct page *page;
	unsigned long addr;
	u64 val = 0;

	vpm_test_set_policy_param(test, VPM_STATE_MEM_DISABLED, VPM_POLICY_ONES);
	addr = vpm_ones_map(test, td, PROT_READ | PROT_WRITE, 2);

	/* Memory decoding off: the fault records it and serves all-ones. */
	vpm_test_set_core_view(td, VPM_STATE_MEM_DISABLED);
	KUNIT_ASSERT_EQ(test, vpm_ones_read(addr, &val), 0);
	KUNIT_EXPECT_EQ(test, val, ~0ULL);
	KUNIT_EXPECT_EQ(test, vpm->state, VPM_STATE_MEM_DISABLED);
	KUNIT_EXPECT_TRUE(test, vpm->ones.served);
	KUNIT_ASSERT_EQ(test, put_user(0x42ULL, (u64 __user *)addr), 0);
	KUNIT_ASSERT_EQ(test, vpm->ones.nr_private, 1U);

	/* Decoding back on: the transition unmaps and refills the pages. */
	vpm_test_set_core_view(td, VPM_STATE_ENABLED);
	vpm_state_sync(vpm, VPM_REASON_CONFIG_WRITE);
	KUNIT_EXPECT_EQ(test, vpm->state, VPM_STATE_ENABLED);
	KUNIT_EXPECT_FALSE(test, vpm->ones.served);
	KUNIT_EXPECT_EQ(test, vpm_test_pfn_at(addr), 0UL);
	page = list_first_entry(&vpm->ones.private, struct page, lru);
	KUNIT_EXPECT_NULL(test, memchr_inv(page_address(page), 0xff, PAGE_SIZE));

	KUNIT_ASSERT_EQ(test, vpm_ones_read(addr, &val), 0);
	KUNIT_EXPECT_EQ(test, val, vpm_test_pattern(0));
	KUNIT_EXPECT_EQ(test, vpm_test_pfn_at(addr), vpm_test_bar_pfn(td, 0));
	KUNIT_EXPECT_EQ(test, vm_munmap(addr, 2 * PAGE_SIZE), 0);
}

static struct kunit_case vpm_ones_cases[] = {
	KUNIT_CASE(vpm_ones_read_only_vma_maps_the_shared_page),
	KUNIT_CASE(vpm_ones_private_pages_past_the_limit_get_sigbus),
	KUNIT_CASE(vpm_ones_leaving_the_state_refills_and_maps_the_bar_again),
	{}
};

static struct kunit_suite vpm_ones_suite = {
	.name = "vpm_ones",
	.test_cases = vpm_ones_cases,
};

kunit_test_suite(vpm_ones_suite);
