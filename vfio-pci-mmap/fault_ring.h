/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fault ring region: interface between the ring and the rest of the
 * driver, and the entry point for other kernel code.  The ring itself is
 * in ring/ (ring/ring.h describes it); the user's side in
 * docs/fault-ring.rst.
 */
#ifndef VFIO_PCI_MMAP_FAULT_RING_H
#define VFIO_PCI_MMAP_FAULT_RING_H

#include <linux/types.h>

struct pci_dev;
struct vpm_device;
enum vpm_state;
struct vm_area_struct;
struct vfio_pci_mmap_fault_record;

/* open_device, after vfio_pci_core_enable(); close_device, before the core. */
int vpm_ring_open(struct vpm_device *vpm);
void vpm_ring_close(struct vpm_device *vpm);
/* The ring's region index, -1 without a ring. */
int vpm_ring_region_index(struct vpm_device *vpm);
/* ->ioctl, before delegating to vfio-pci-core. */
long vpm_ring_ioctl(struct vpm_device *vpm, unsigned int cmd,
		    unsigned long arg, bool *handled);
/* ->request, after vpm_revoke(). */
void vpm_ring_revoke(struct vpm_device *vpm);

/**
 * struct vpm_ring_stats - a snapshot of an open ring, for debugfs
 * @index: the region index.
 * @nr_entries: entries in the ring.
 * @prod: the producer index.
 * @cons: the consumer index, as the user left it.
 * @flags: VFIO_PCI_MMAP_RING_F_* as published.
 * @produced: records published.
 * @lost: records dropped.
 * @invalid: operations that found the consumer index invalid.
 * @seq: sequence number of the last record produced or lost.
 * @eventfd: whether an eventfd is set.
 */
struct vpm_ring_stats {
	u32 index;
	u32 nr_entries;
	u32 prod;
	u32 cons;
	u32 flags;
	u64 produced;
	u64 lost;
	u64 invalid;
	u64 seq;
	bool eventfd;
};

/* debugfs: "inject" and "ring". */
int vpm_ring_inject(struct vpm_device *vpm,
		    const struct vfio_pci_mmap_fault_record *rec, u32 count);
bool vpm_ring_stats(struct vpm_device *vpm, struct vpm_ring_stats *st);

/* Producers inside the driver. */
void vpm_ring_report_refused(struct vpm_device *vpm, enum vpm_state state,
			     u32 region, u64 offset, bool write);
void vpm_ring_report_reset(struct vpm_device *vpm);

/* For other kernel code (EXPORT_SYMBOL_GPL); any context. */
int vfio_pci_mmap_report_fault(struct pci_dev *pdev,
			       const struct vfio_pci_mmap_fault_record *rec);

#if IS_ENABLED(CONFIG_KUNIT)
/* For unit tests: the kernel address of one page of the open ring. */
void *vpm_ring_page_kaddr(struct vpm_device *vpm, unsigned int page);
#endif

#endif /* VFIO_PCI_MMAP_FAULT_RING_H */
