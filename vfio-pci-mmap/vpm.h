/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio-pci-mmap internal interfaces.
 *
 * Lock order (outermost first), kept true by every file of this module:
 *
 *   mmap_lock -> memory_lock -> state_lock -> i_mmap_rwsem -> page-table lock
 *
 * and the locks other paths hold when they reach this driver:
 *
 *   device_lock -> memory_lock -> state_lock    ->request (vpm_revoke()):
 *	vfio_unregister_group_dev() calls it from the PCI remove path,
 *	under the device lock.
 *   device_lock -> state_lock                   a reset through sysfs or a
 *	sibling's bus reset: reset_prepare/reset_done under pci_dev_lock();
 *	reset_done only tries memory_lock (vpm_reset_done()).
 *   dev_set->lock -> memory_lock -> state_lock  VFIO_DEVICE_PCI_HOT_RESET
 *	(the core takes every device's memory_lock, then resets the bus);
 *	dev_set->lock -> state_lock on close and open, whose resets run
 *	without memory_lock (vfio_pci_core_disable()/_enable()).
 *   mmap_lock -> ring page lock                  a fault of the fault ring
 *	holds its page locked until the PTE is in place; vpm_ring_revoke()
 *	takes the page locks with no other lock held.
 *
 *   - mmap_lock: the faulting process's, taken by the mm before ->fault.
 *     This module takes no process's mmap_lock itself; ->open and
 *     ->mprotect run with it held for write.
 *   - memory_lock: vfio_pci_core_device.memory_lock (vfio-pci-core's).  Taken
 *     for read by the fault path and by read()/write() of a BAR (the gate,
 *     vpm_gate_enter()), for write by vfio-pci-core around resets,
 *     PCI_COMMAND and power-state changes, and by this module on revoke.
 *   - state_lock: vpm_device.state_lock.  Taken for read by PTE faults
 *     and the gate (nested inside memory_lock), for write by huge faults
 *     (so that no huge insert splits a PTE fault's check of the PMD from
 *     its insert) and by every state transition.  It exists because reset_prepare() runs both with
 *     memory_lock held (the core's own resets) and without it (sysfs reset,
 *     a sibling's bus reset), so memory_lock alone cannot exclude faults
 *     from a reset window.  It also keeps vfio-pci-core's config state
 *     allocated while it is read (vpm_state_attach_core()).
 *   - i_mmap_rwsem and the page-table lock are the mm's, taken inside
 *     unmap_mapping_range(), zap_vma_ptes() and vmf_insert_pfn*().
 *
 *   The tracking mutex (vpm_tracker.lock), the ring's producer spinlock and
 *   the all-ones page list's spinlock (vpm_ones.lock) are leaves: nothing
 *   is acquired, zapped, allocated with reclaim or called in vfio-pci-core
 *   while one is held.
 */
#ifndef VFIO_PCI_MMAP_VPM_H
#define VFIO_PCI_MMAP_VPM_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/vfio_pci_core.h>
#include <linux/xarray.h>
#include "sparse.h"

/**
 * enum vpm_state - whether user mappings of the device may reach it
 * @VPM_STATE_ENABLED: memory decoding on, device in D0: faults map the BAR.
 * @VPM_STATE_MEM_DISABLED: PCI_COMMAND_MEMORY clear: faults get SIGBUS.
 * @VPM_STATE_LOW_POWER: D3hot or runtime low power engaged: SIGBUS.
 * @VPM_STATE_RESETTING: inside a reset window: SIGBUS.
 * @VPM_STATE_REVOKED: the device is being removed; terminal.  Faults get
 *	SIGBUS or a page of all-ones, by revoke mode.
 * @VPM_STATE_NR: number of states.
 */
enum vpm_state {
	VPM_STATE_ENABLED,
	VPM_STATE_MEM_DISABLED,
	VPM_STATE_LOW_POWER,
	VPM_STATE_RESETTING,
	VPM_STATE_REVOKED,
	VPM_STATE_NR,
};

/**
 * enum vpm_reason - why a transition or a zap happened
 * @VPM_REASON_OPEN: the device was opened.
 * @VPM_REASON_CLOSE: the device was closed.
 * @VPM_REASON_RESET_IOCTL: VFIO_DEVICE_RESET.
 * @VPM_REASON_HOT_RESET: VFIO_DEVICE_PCI_HOT_RESET.
 * @VPM_REASON_RESET_PREPARE: the PCI core is about to reset the device
 *	(any reset: ioctl, FLR through config space, sysfs, a sibling's bus
 *	reset).
 * @VPM_REASON_RESET_DONE: the PCI core finished a reset.
 * @VPM_REASON_CONFIG_WRITE: a config-space write (PCI_COMMAND, PM_CTRL, FLR).
 * @VPM_REASON_LOW_POWER_ENTRY: VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY*.
 * @VPM_REASON_LOW_POWER_EXIT: VFIO_DEVICE_FEATURE_LOW_POWER_EXIT.
 * @VPM_REASON_IOCTL: state re-read after an ioctl.
 * @VPM_REASON_OBSERVED_AT_FAULT: a change the driver could not see when it
 *	happened (low-power exit inside the core's runtime resume), recorded
 *	at the next fault.
 * @VPM_REASON_REQUEST: vfio asked for the device back (unbind, hot-unplug).
 * @VPM_REASON_NR: number of reasons.
 */
enum vpm_reason {
	VPM_REASON_OPEN,
	VPM_REASON_CLOSE,
	VPM_REASON_RESET_IOCTL,
	VPM_REASON_HOT_RESET,
	VPM_REASON_RESET_PREPARE,
	VPM_REASON_RESET_DONE,
	VPM_REASON_CONFIG_WRITE,
	VPM_REASON_LOW_POWER_ENTRY,
	VPM_REASON_LOW_POWER_EXIT,
	VPM_REASON_IOCTL,
	VPM_REASON_OBSERVED_AT_FAULT,
	VPM_REASON_REQUEST,
	VPM_REASON_NR,
};

/**
 * enum vpm_revoke_mode - what a revoked mapping serves
 * @VPM_REVOKE_AUTO: module parameter only: ONES when the user registered a
 *	request eventfd (a cooperative user such as QEMU), SIGBUS otherwise.
 * @VPM_REVOKE_SIGBUS: every access gets SIGBUS.
 * @VPM_REVOKE_ONES: reads return all-ones, like a surprise-removed device;
 *	writes go to a private page of their own address (ones.c).
 */
enum vpm_revoke_mode {
	VPM_REVOKE_AUTO,
	VPM_REVOKE_SIGBUS,
	VPM_REVOKE_ONES,
};

/**
 * enum vpm_access - the fault path's decision
 * @VPM_ACCESS_MAP: map the device.
 * @VPM_ACCESS_SIGBUS: refuse with SIGBUS.
 * @VPM_ACCESS_ONES: serve the revoked device's all-ones page.
 */
enum vpm_access {
	VPM_ACCESS_MAP,
	VPM_ACCESS_SIGBUS,
	VPM_ACCESS_ONES,
};

/**
 * enum vpm_track_why - why a vma entered the tracking list
 * @VPM_TRACK_MMAP: mmap() of the device fd.
 * @VPM_TRACK_FORK: duplicated into a child by fork().
 * @VPM_TRACK_SPLIT: split by munmap/mprotect/mlock of part of the vma.
 * @VPM_TRACK_MREMAP: copied by mremap() (the old vma is closed next).
 */
enum vpm_track_why {
	VPM_TRACK_MMAP,
	VPM_TRACK_FORK,
	VPM_TRACK_SPLIT,
	VPM_TRACK_MREMAP,
};

/**
 * enum vpm_zap_scope - which regions a zap covers
 * @VPM_ZAP_ALL: the whole device address space (BARs and fault ring).
 * @VPM_ZAP_BARS: the BARs only: what vfio-pci-core zaps by itself on a
 *	PCI_COMMAND memory disable, D3hot and low-power entry.
 */
enum vpm_zap_scope {
	VPM_ZAP_ALL,
	VPM_ZAP_BARS,
};

struct vpm_device;
struct vpm_ring;

/**
 * struct vpm_ones - the pages a revoked mapping serves in ones mode
 * @lock: leaf spinlock protecting @private and @nr_private.
 * @private: the private all-ones pages mapped in writable vmas, linked
 *	through page->lru.
 * @nr_private: pages on @private.
 * @page: the shared all-ones page, mapped read-only.
 */
struct vpm_ones {
	spinlock_t lock; /* leaf: see the lock order above */
	struct list_head private;
	unsigned int nr_private;
	struct page *page;
};

/**
 * struct vpm_mapping - one tracked vma
 * @link: entry in vpm_tracker.list.
 * @vpm: the device this vma maps.
 * @vma: the vma (identity only; valid until ->close removes the entry).
 * @mm: the address space owning @vma, the key of the list.
 * @faults: faults served for this vma.
 * @region: region index the vma maps.
 * @populated: set by a successful fault, cleared by a zap.
 * @ones: the private all-ones pages this vma mapped once revoked, by page
 *	offset in the region (ones.c); the device owns the pages.
 *
 * The vma's lifetime owns the entry: created at mmap or ->open, freed at
 * ->close.  vma->vm_private_data points here.
 */
struct vpm_mapping {
	struct list_head link;
	struct vpm_device *vpm;
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	atomic_long_t faults;
	u32 region;
	bool populated;
	struct xarray ones;
};

/**
 * struct vpm_tracker - the list of every vma mapping a device
 * @lock: leaf mutex protecting @list and @count.
 * @list: struct vpm_mapping entries.
 * @count: number of entries.
 */
struct vpm_tracker {
	struct mutex lock; /* leaf: see the lock order above */
	struct list_head list;
	unsigned int count;
};

/**
 * struct vpm_device - a device bound to vfio-pci-mmap
 * @core: vfio-pci-core's device, embedded.
 * @state_lock: see the lock order at the top of this file.
 * @state: current &enum vpm_state, changed only by vpm_state_transition().
 * @core_attached: vfio-pci-core's config state (vconfig) exists: set after
 *	the core enabled the device, cleared before it disables it, both
 *	under state_lock for write.
 * @revoke_mode: the mode chosen at revocation.
 * @reset_why: the reason the next reset_prepare traces: set by the ioctl
 *	wrapper around the resets it delegates, consumed by reset_prepare;
 *	VPM_REASON_RESET_PREPARE for resets this driver did not ask for.
 * @tracker: every vma mapping this device.
 * @ones: what revoked mappings serve in VPM_REVOKE_ONES mode (ones.c);
 *	allocated at open, freed at close, when no vma can map it any more.
 * @ring: the fault ring, while the device is open: published by
 *	vpm_ring_open(), cleared by vpm_ring_close() (ring/lifetime.c).
 * @sparse: the mappable areas of each BAR, computed at open.
 * @debugfs: this device's debugfs directory.
 * @refused: BAR accesses refused with SIGBUS.
 */
struct vpm_device {
	struct vfio_pci_core_device core;
	struct rw_semaphore state_lock;
	enum vpm_state state;
	bool core_attached;
	enum vpm_revoke_mode revoke_mode;
	enum vpm_reason reset_why;
	struct vpm_tracker tracker;
	struct vpm_ones ones;
	struct vpm_ring __rcu *ring;
	struct vpm_sparse sparse[PCI_STD_NUM_BARS];
	struct dentry *debugfs;
	atomic_long_t refused;
};

static inline struct vpm_device *vpm_from_core(struct vfio_pci_core_device *vdev)
{
	return container_of(vdev, struct vpm_device, core);
}

static inline struct vpm_device *vpm_from_vfio(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct vpm_device, core.vdev);
}

static inline const char *vpm_name(struct vpm_device *vpm)
{
	/* Unit tests build devices without a PCI function. */
	return vpm->core.pdev ? pci_name(vpm->core.pdev) : "none";
}

/*
 * A vma of the device file encodes the region index in the top bits of
 * vm_pgoff (VFIO_PCI_OFFSET_SHIFT) and the page offset within the region
 * below them; split and mremap keep the encoding.
 */
#define VPM_PGOFF_INDEX_SHIFT	(VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT)
#define VPM_PGOFF_MASK		((1ULL << VPM_PGOFF_INDEX_SHIFT) - 1)

/* The region index a vma of the device file maps. */
static inline u32 vpm_vma_region(struct vm_area_struct *vma)
{
	return vma->vm_pgoff >> VPM_PGOFF_INDEX_SHIFT;
}

/* The page offset of a vma's start within its region. */
static inline u64 vpm_vma_region_pgoff(struct vm_area_struct *vma)
{
	return vma->vm_pgoff & VPM_PGOFF_MASK;
}

/* Module parameters (main.c). */
extern int vpm_param_revoke;
extern bool vpm_param_msix_mappable;

/* state.c */
const char *vpm_state_name(enum vpm_state state);
const char *vpm_reason_name(enum vpm_reason reason);
void vpm_state_attach_core(struct vpm_device *vpm);
void vpm_state_detach_core(struct vpm_device *vpm);
enum vpm_state vpm_state_of_core(struct vpm_device *vpm);
enum vpm_access vpm_access_decide(enum vpm_state recorded,
				  enum vpm_state observed,
				  enum vpm_revoke_mode mode);
bool vpm_state_transition(struct vpm_device *vpm, enum vpm_state from,
			  enum vpm_state to, enum vpm_reason why);
void vpm_state_sync(struct vpm_device *vpm, enum vpm_reason why);
int vpm_gate_enter(struct vpm_device *vpm, bool mem);
void vpm_gate_exit(struct vpm_device *vpm);
void vpm_state_init(struct vpm_device *vpm);

/* Pass as @from to vpm_state_transition() to leave from any state. */
#define VPM_STATE_ANY VPM_STATE_NR

/* zap.c */

/**
 * struct vpm_zap_span - a zap performed by vfio-pci-core, being traced
 * @start: ktime in ns when tracing is on, else 0
 * @nr_vmas: tracked vmas at the start
 * @why: the reason
 */
struct vpm_zap_span {
	u64 start;
	unsigned int nr_vmas;
	enum vpm_reason why;
};

void vpm_zap(struct vpm_device *vpm, enum vpm_reason why,
	     enum vpm_zap_scope scope);
void vpm_core_zap_begin(struct vpm_device *vpm, enum vpm_reason why,
			struct vpm_zap_span *span);
void vpm_core_zap_end(struct vpm_device *vpm, struct vpm_zap_span *span);
void vpm_reset_prepare(struct vpm_device *vpm, enum vpm_reason why);
void vpm_reset_done(struct vpm_device *vpm, enum vpm_reason why);
void vpm_revoke(struct vpm_device *vpm);

static inline bool vpm_revoked(struct vpm_device *vpm)
{
	return READ_ONCE(vpm->state) == VPM_STATE_REVOKED;
}

/* tracking.c */
void vpm_tracker_init(struct vpm_tracker *t);
struct vpm_mapping *vpm_mapping_alloc(gfp_t gfp);
void vpm_track(struct vpm_device *vpm, struct vpm_mapping *m,
	       struct vm_area_struct *vma, enum vpm_track_why why);
void vpm_vma_open(struct vm_area_struct *vma);
void vpm_vma_close(struct vm_area_struct *vma);
int vpm_vma_mremap(struct vm_area_struct *vma);
unsigned int vpm_tracker_mark_zapped(struct vpm_tracker *t,
				     enum vpm_zap_scope scope);
void vpm_tracker_show(struct vpm_tracker *t, struct seq_file *s);
unsigned int vpm_tracker_count(struct vpm_tracker *t);

/* ones.c */
int vpm_ones_init(struct vpm_device *vpm);
void vpm_ones_release(struct vpm_device *vpm);
vm_fault_t vpm_ones_fault(struct vpm_device *vpm, struct vm_fault *vmf);
void vpm_ones_mprotect(struct vpm_device *vpm, struct vm_area_struct *vma,
		       unsigned long start, unsigned long end,
		       unsigned long newflags);
void vpm_ones_fork(struct vpm_device *vpm, struct vm_area_struct *parent);

/* bar_rw.c */
ssize_t vpm_bar_rw(struct vpm_device *vpm, char __user *buf, size_t count,
		   loff_t *ppos, bool iswrite);

/* bar_mmap.c */
int vpm_bar_mmap(struct vpm_device *vpm, struct vm_area_struct *vma);

/* region_info.c */
long vpm_ioctl_get_region_info(struct vpm_device *vpm, void __user *arg);

/* debugfs.c */
void vpm_debugfs_init(void);
void vpm_debugfs_exit(void);
void vpm_debugfs_add(struct vpm_device *vpm);
void vpm_debugfs_remove(struct vpm_device *vpm);

#endif /* VFIO_PCI_MMAP_VPM_H */
