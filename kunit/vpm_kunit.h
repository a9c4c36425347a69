/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared fixtures of the vfio-pci-mmap KUnit suites (kunit/helpers.c).
 *
 * A test device is a struct vpm_device built by hand around a fake PCI
 * function: no hardware, no vfio-pci-core open path.  Its "BAR"s are
 * ordinary pages owned by the test, so the module's own fault path
 * (vpm_bar_mmap() and its vm_ops) maps them for real, in the address space
 * kunit_vm_mmap() gives the test thread, through a device file with a
 * private inode whose address space vpm_zap() unmaps.
 */
#ifndef VPM_KUNIT_H
#define VPM_KUNIT_H

#include <kunit/test.h>
#include <linux/bits.h>
#include <linux/mm_types.h>
#include <linux/mmu_notifier.h>
#include <linux/spinlock.h>
#include "vpm.h"

/*
 * The pages behind the fake BARs: BAR0 is all of them, BAR2 the second
 * half, BAR1 exists but is not mmap-capable.  Page i holds
 * vpm_test_pattern(i) in every 64-bit word.
 */
#define VPM_TEST_BAR_ORDER	4
#define VPM_TEST_BAR_PAGES	BIT(VPM_TEST_BAR_ORDER)
#define VPM_TEST_BAR2_FIRST	(VPM_TEST_BAR_PAGES / 2)
/*
 * A region that is not a BAR (the first device-specific index, where the
 * fault ring lives): the same pages, mapped by the test's own vm_ops.
 */
#define VPM_TEST_EXTRA_REGION	VFIO_PCI_NUM_REGIONS

static inline u64 vpm_test_pattern(unsigned int page)
{
	return 0x56504d0000000000ULL | ((u64)page << 16) | 0xa5a5;
}

/**
 * struct vpm_test_dev - a vpm_device with a fake PCI function and a file
 * @ref: the test holds one reference, the device file another; the file is
 *	released after the last vma mapping it, so vm_ops->close always
 *	finds the device alive, even when a failed test leaves mappings for
 *	the exiting test thread to tear down.
 * @vpm: the device under test
 * @pdev: the fake PCI function (resources, power state)
 * @vconfig: the fake virtual config space; attached to @vpm->core only
 *	by vpm_test_set_core_view()
 * @bar: the pages behind the BARs
 * @file: the device file; its inode is @vpm->core.vdev.inode
 * @mmap_prot: vm_page_prot as vpm_bar_mmap() left it, for the last mmap
 */
struct vpm_test_dev {
	struct kref ref;
	struct vpm_device *vpm;
	struct pci_dev *pdev;
	u8 *vconfig;
	struct page *bar;
	struct file *file;
	pgprot_t mmap_prot;
};

struct vpm_test_dev *vpm_test_dev_new(struct kunit *test);
unsigned long vpm_test_bar_pfn(struct vpm_test_dev *td, unsigned int page);
void vpm_test_set_core_view(struct vpm_test_dev *td, enum vpm_state view);
bool vpm_test_transition(struct vpm_device *vpm, enum vpm_state from,
			 enum vpm_state to, enum vpm_reason why);

/* Address spaces and mappings. */
void vpm_test_attach_mm(struct kunit *test);
unsigned long vpm_test_mmap(struct kunit *test, struct vpm_test_dev *td,
			    u32 region, unsigned long page, unsigned long pages,
			    unsigned long flags);
bool vpm_test_mmap_failed(unsigned long addr);
unsigned long vpm_test_pfn_at(unsigned long addr);

/* A stand-in secondary MMU: records invalidated ranges of the test's mm. */
#define VPM_TEST_MAX_RANGES	32

struct vpm_test_range {
	unsigned long start;
	unsigned long end;
};

struct vpm_test_mmu {
	struct mmu_notifier mn;
	struct mm_struct *mm;
	spinlock_t lock;	/* protects the fields below */
	bool recording;
	unsigned int nr;
	unsigned int lost;
	unsigned int not_clear;
	struct vpm_test_range ranges[VPM_TEST_MAX_RANGES];
};

struct vpm_test_mmu *vpm_test_mmu_register(struct kunit *test);
void vpm_test_mmu_record(struct vpm_test_mmu *w);
unsigned int vpm_test_mmu_stop(struct vpm_test_mmu *w);
void vpm_test_expect_ranges(struct kunit *test, const char *what,
			    struct vpm_test_range *got, unsigned int nr_got,
			    struct vpm_test_range *want, unsigned int nr_want);
unsigned int vpm_test_tracked_ranges(struct vpm_device *vpm,
				     struct vpm_test_range *r,
				     unsigned int max);

/* Tracepoint probes: what the device under test traced. */
#define VPM_TEST_MAX_EVENTS	32

struct vpm_test_state_event {
	enum vpm_state old;
	enum vpm_state new;
	enum vpm_reason why;
};

struct vpm_test_fault_event {
	unsigned long address;
	enum vpm_access access;
	unsigned int result;
};

struct vpm_test_events {
	spinlock_t lock;	/* protects everything below */
	struct vpm_device *vpm;
	unsigned int nr_state;
	struct vpm_test_state_event state[VPM_TEST_MAX_EVENTS];
	unsigned int nr_track;
	enum vpm_track_why track[VPM_TEST_MAX_EVENTS];
	unsigned int nr_untrack;
	unsigned int nr_moved;
	unsigned int nr_zap;
	enum vpm_reason zap[VPM_TEST_MAX_EVENTS];
	enum vpm_zap_scope zap_scope[VPM_TEST_MAX_EVENTS];
	unsigned int zap_vmas[VPM_TEST_MAX_EVENTS];
	unsigned int nr_fault;
	struct vpm_test_fault_event fault[VPM_TEST_MAX_EVENTS];
};

struct vpm_test_events *vpm_test_events_attach(struct kunit *test,
					       struct vpm_device *vpm);
void vpm_test_events_reset(struct vpm_test_events *ev);

/* The module parameter "revoke", set for one test and restored after. */
void vpm_test_set_revoke_param(struct kunit *test, enum vpm_revoke_mode mode);

/* Fake vmas for the tracking code (vma_test.c, debugfs_test.c). */
#define VPM_A	0x10000000UL	/* where the original vmas are */
#define VPM_B	0x20000000UL	/* somewhere else */

/**
 * struct vpm_track_ctx - a test device and two mms for fake vmas
 * @td: the test device
 * @vpm: its vfio-pci-mmap device
 * @ev: the events it traces
 * @other_mm: stands for a fork child's mm, only ever compared
 */
struct vpm_track_ctx {
	struct vpm_test_dev *td;
	struct vpm_device *vpm;
	struct vpm_test_events *ev;
	struct mm_struct *other_mm;	/* stands for a fork child's mm */
};

void vpm_track_setup(struct kunit *test, struct vpm_track_ctx *ctx);
struct vm_area_struct *vpm_fake_vma(struct kunit *test, struct mm_struct *mm,
				    unsigned long start, unsigned long pages,
				    u32 region, unsigned long pgoff);
struct vm_area_struct *vpm_tracked_vma(struct kunit *test,
				       struct vpm_track_ctx *ctx,
				       unsigned long start,
				       unsigned long pages, u32 region,
				       unsigned long pgoff);
struct vm_area_struct *vpm_copy_vma(struct kunit *test,
				    struct vm_area_struct *orig);

static inline struct vpm_mapping *vpm_entry(struct vm_area_struct *vma)
{
	return vma->vm_private_data;
}

/* Short names of the states, for the tables of the suites. */
#define E	VPM_STATE_ENABLED
#define MD	VPM_STATE_MEM_DISABLED
#define LP	VPM_STATE_LOW_POWER
#define RS	VPM_STATE_RESETTING
#define RV	VPM_STATE_REVOKED
#define ANY	VPM_STATE_ANY

#endif /* VPM_KUNIT_H */
