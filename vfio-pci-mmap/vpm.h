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
 *   A fault that finds the core in a state it has not recorded drops
 *   state_lock for read and takes it for write (memory_lock still held for
 *   read), records the transition and downgrades: vpm_access_at_fault().
 *   A fault that must wait for a reset window (the block policy) drops
 *   memory_lock and state_lock first, and the mm's lock too when the fault
 *   may retry (release_fault_lock()); without FAULT_FLAG_ALLOW_RETRY it
 *   waits holding only the mm's lock, which no step that closes a window
 *   takes.  The reset causes (vpm_device.reset_causes) are under
 *   state_lock.
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
#include <linux/wait.h>
#include <linux/vfio_pci_core.h>
#include <linux/xarray.h>
#include "names.h"
#include "sparse.h"
#include "vma.h"

/**
 * struct vpm_policies - what accesses get while the device cannot answer
 * @of: the policy of each state, by state (enabled's is unused)
 * @block_timeout_ms: how long a reset window may block an access
 */
struct vpm_policies {
	enum vpm_policy of[VPM_STATE_NR];
	unsigned int block_timeout_ms;
};

struct seq_file;
struct vpm_device;
struct vpm_ring;

/**
 * struct vpm_ones - the pages a revoked mapping serves in ones mode
 * @lock: leaf spinlock protecting @private and @nr_private.
 * @private: the private all-ones pages mapped in writable vmas, linked
 *	through page->lru.
 * @nr_private: pages on @private.
 * @page: the shared all-ones page, mapped read-only.
 * @served: all-ones pages may be mapped: set by a fault that maps one,
 *	cleared when the state that served them is left (vpm_ones_leave()).
 */
struct vpm_ones {
	spinlock_t lock; /* leaf: see the lock order above */
	struct list_head private;
	unsigned int nr_private;
	struct page *page;
	bool served;
};

/**
 * struct vpm_device - a device bound to vfio-pci-mmap
 * @core: vfio-pci-core's device, embedded.
 * @state_lock: see the lock order at the top of this file.
 * @state: current &enum vpm_state, changed only by vpm_state_transition().
 * @core_attached: vfio-pci-core's config state (vconfig) exists: set after
 *	the core enabled the device, cleared before it disables it, both
 *	under state_lock for write.
 * @policy: what an access gets in each state that cannot reach the device,
 *	when @policy_set: chosen by the user through VFIO_DEVICE_FEATURE, or
 *	frozen at revocation with the revoked state's resolved (policy.c);
 *	written under state_lock for write.
 * @policy_set: @policy applies; else the module parameters do.
 * @window_start: jiffies when the current reset window opened.
 * @window_wq: accesses blocked until the reset window closes.
 * @reset_causes: the resets tasks asked vfio-pci-core for, with their
 *	reasons (struct vpm_reset_cause), under state_lock.
 * @tracker: every vma mapping this device.
 * @ones: what mappings serve under the ones policy (ones.c);
 *	allocated at open, freed at close, when no vma can map it any more.
 * @ring: the fault ring, while the device is open: published by
 *	vpm_ring_open(), cleared by vpm_ring_close() (ring/lifetime.c).
 * @sparse: the mappable areas of each BAR, computed at open.
 * @bar_cache_mode: the cache mode the PAT gives each BAR's PTEs, learnt by
 *	its first fault and kept for the faults after it, from open to close
 *	(bar_mmap.c), with VPM_CACHE_MODE_KNOWN set; 0 until then.
 * @debugfs: this device's debugfs directory.
 * @refused: BAR accesses refused with SIGBUS.
 * @blocked: BAR faults that waited for a reset window to close.
 */
/* In vpm_device.bar_cache_mode: the mode is known (no cache-mode bit). */
#define VPM_CACHE_MODE_KNOWN	BIT(BITS_PER_LONG - 1)

struct vpm_device {
	struct vfio_pci_core_device core;
	struct rw_semaphore state_lock;
	enum vpm_state state;
	bool core_attached;
	struct vpm_policies policy;
	bool policy_set;
	unsigned long window_start;
	wait_queue_head_t window_wq;
	struct list_head reset_causes;
	struct vpm_tracker tracker;
	struct vpm_ones ones;
	struct vpm_ring __rcu *ring;
	struct vpm_sparse sparse[PCI_STD_NUM_BARS];
	unsigned long bar_cache_mode[PCI_STD_NUM_BARS];
	struct dentry *debugfs;
	atomic_long_t refused;
	atomic_long_t blocked;
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

/* Module parameters (main.c). */
extern bool vpm_param_msix_mappable;

/**
 * struct vpm_reset_cause - a reset a task asked vfio-pci-core for
 * @link: entry in vpm_device.reset_causes
 * @task: the task, in which the PCI core calls reset_prepare
 * @why: the reason its reset window carries
 */
struct vpm_reset_cause {
	struct list_head link;
	struct task_struct *task;
	enum vpm_reason why;
};

/* bar_mmap.c */
void vpm_bar_prot_forget(struct vpm_device *vpm);
pgprot_t vpm_fill_prot_of(pgprot_t vma_prot, pte_t inserted);

/* state.c */
const char *vpm_state_name(enum vpm_state state);
const char *vpm_reason_name(enum vpm_reason reason);
bool vpm_state_transition(struct vpm_device *vpm, enum vpm_state from,
			  enum vpm_state to, enum vpm_reason why);
void vpm_state_sync(struct vpm_device *vpm, enum vpm_reason why);
enum vpm_access vpm_access_at_fault(struct vpm_device *vpm, bool write,
				    enum vpm_state *refused);
void vpm_reset_begin(struct vpm_device *vpm, struct vpm_reset_cause *cause,
		     enum vpm_reason why);
void vpm_reset_end(struct vpm_device *vpm, struct vpm_reset_cause *cause);
void vpm_reset_prepare(struct vpm_device *vpm);
void vpm_reset_done(struct vpm_device *vpm);
void vpm_window_hold(struct vpm_device *vpm, bool hold);
void vpm_revoke(struct vpm_device *vpm);
void vpm_state_init(struct vpm_device *vpm);
extern const struct pci_error_handlers vpm_err_handlers;

/* Pass as @from to vpm_state_transition() to leave from any state. */
#define VPM_STATE_ANY VPM_STATE_NR

static inline bool vpm_revoked(struct vpm_device *vpm)
{
	return READ_ONCE(vpm->state) == VPM_STATE_REVOKED;
}

/* access.c */
void vpm_state_attach_core(struct vpm_device *vpm);
void vpm_state_detach_core(struct vpm_device *vpm);

/* vpm_gate_enter(): serve the access as a device that does not decode. */
#define VPM_GATE_ONES	1

enum vpm_state vpm_state_of_core(struct vpm_device *vpm);
enum vpm_access vpm_access_decide(enum vpm_state recorded,
				  enum vpm_state observed,
				  const struct vpm_policies *p, bool expired);
bool vpm_window_expired(struct vpm_device *vpm);
int vpm_window_wait(struct vpm_device *vpm);
int vpm_gate_enter(struct vpm_device *vpm, bool mem);
void vpm_gate_exit(struct vpm_device *vpm);

/* policy.c */
bool vpm_policy_allowed(enum vpm_state state, enum vpm_policy policy);
extern struct vpm_policies vpm_param_policies;

/* The policies that apply: the user's (or frozen ones), else the parameters'. */
static inline const struct vpm_policies *
vpm_policies_of(struct vpm_device *vpm)
{
	return READ_ONCE(vpm->policy_set) ? &vpm->policy : &vpm_param_policies;
}

void vpm_policy_open(struct vpm_device *vpm);
void vpm_policy_freeze(struct vpm_device *vpm, enum vpm_policy revoked);
int vpm_policy_feature(struct vpm_device *vpm, u32 flags, void __user *arg,
		       size_t argsz);
void vpm_policy_show(struct vpm_device *vpm, struct seq_file *s);

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

/* ones.c */
int vpm_ones_init(struct vpm_device *vpm);
void vpm_ones_release(struct vpm_device *vpm);
vm_fault_t vpm_ones_fault(struct vpm_device *vpm, struct vm_fault *vmf);
void vpm_ones_mprotect(struct vpm_device *vpm, struct vm_area_struct *vma,
		       unsigned long start, unsigned long end,
		       unsigned long newflags);
void vpm_ones_fork(struct vpm_device *vpm, struct vm_area_struct *parent);
void vpm_ones_leave(struct vpm_device *vpm);

/* bar_rw.c */
ssize_t vpm_bar_rw(struct vpm_device *vpm, char __user *buf, size_t count,
		   loff_t *ppos, bool iswrite);

/* region_info.c */
long vpm_ioctl_get_region_info(struct vpm_device *vpm, void __user *arg);

/* debugfs.c */
void vpm_debugfs_init(void);
void vpm_debugfs_exit(void);
void vpm_debugfs_add(struct vpm_device *vpm);
void vpm_debugfs_remove(struct vpm_device *vpm);
void vpm_tracker_show(struct vpm_tracker *t, struct seq_file *s);

#endif /* VFIO_PCI_MMAP_VPM_H */
