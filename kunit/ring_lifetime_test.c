// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vpm_ring_lifetime: a real ring (vfio-pci-mmap/ring/
 * lifetime.c) opened on a test device by vpm_ring_open(): its header and
 * its region.
 */
#include <kunit/test.h>
#include <linux/vfio.h>
#include "vpm.h"
#include "fault_ring.h"
#include "ring/index.h"
#include "ring_helpers.h"
#include "vpm_kunit.h"

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

static struct kunit_case vpm_ring_lifetime_test_cases[] = {
	KUNIT_CASE(vpm_ring_opens_with_a_valid_header_and_region),
	{}
};

static struct kunit_suite vpm_ring_lifetime_suite = {
	.name = "vpm_ring_lifetime",
	.test_cases = vpm_ring_lifetime_test_cases,
};

kunit_test_suite(vpm_ring_lifetime_suite);
