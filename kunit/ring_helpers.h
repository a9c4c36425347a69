/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared fixtures of the fault ring's KUnit suites (kunit/ring_helpers.c).
 */
#ifndef VPM_KUNIT_RING_HELPERS_H
#define VPM_KUNIT_RING_HELPERS_H

#include <kunit/test.h>
#include <linux/types.h>
#include "../include/uapi/linux/vfio_pci_mmap.h"

struct vpm_test_dev;

/**
 * struct vpm_valid_case - a record and whether a producer may hand it in
 * @desc: what the case is
 * @rec: the record
 * @valid: what vpm_ring_record_valid() must answer
 */
struct vpm_valid_case {
	const char *desc;
	struct vfio_pci_mmap_fault_record rec;
	bool valid;
};

const void *vpm_ring_valid_case_params(const void *prev, char *desc);

extern const struct vfio_pci_mmap_fault_record vpm_full_record;
void vpm_expect_encoded(struct kunit *test,
			const struct vfio_pci_mmap_fault_record *got,
			const struct vfio_pci_mmap_fault_record *src,
			u64 seq, u64 ts);

/**
 * struct vpm_ring_fixture - a real ring opened on a test device
 * @td: the test device
 * @hdr: the ring's header page
 * @cpage: the ring's consumer page
 * @nr: entries in the ring
 */
struct vpm_ring_fixture {
	struct vpm_test_dev *td;
	struct vfio_pci_mmap_ring_header *hdr;
	struct vfio_pci_mmap_ring_consumer *cpage;
	u32 nr;
};

/**
 * struct vpm_ring_counts - the header's counters, as a user reads them
 * @prod: the producer index
 * @flags: VFIO_PCI_MMAP_RING_F_*
 * @produced: records published
 * @lost: records dropped
 * @invalid: invalid consumer indices seen
 */
struct vpm_ring_counts {
	u32 prod;
	u32 flags;
	u64 produced;
	u64 lost;
	u64 invalid;
};

void vpm_ring_test_open(struct kunit *test, struct vpm_ring_fixture *fx);
void *vpm_ring_test_entries(struct vpm_ring_fixture *fx, unsigned int page);
struct vfio_pci_mmap_fault_record *
vpm_ring_test_entry(struct kunit *test, struct vpm_ring_fixture *fx, u32 idx);
void vpm_ring_test_set_cons(struct vpm_ring_fixture *fx, u32 cons);
struct vpm_ring_counts vpm_ring_test_counts(struct vpm_ring_fixture *fx);
struct vfio_pci_mmap_fault_record vpm_ring_test_record(u64 addr);
void *vpm_test_kvmalloc(struct kunit *test, size_t size);

#endif /* VPM_KUNIT_RING_HELPERS_H */
