// SPDX-License-Identifier: GPL-2.0-only
/*
 * Zap, reset windows and revocation.
 *
 * A zap is one unmap_mapping_range() over the device file's whole address
 * space: every BAR and fault-ring vma of every process, and through the mmu
 * notifiers every secondary MMU mirroring them (KVM), without taking any
 * process's mmap_lock.  Its cost is linear in the number of mapped vmas and
 * it cannot deadlock against a faulting process: a fault holds mmap_lock,
 * memory_lock and state_lock for read, a zap holds state_lock (and on
 * revoke memory_lock) for write and then i_mmap_rwsem, in the order written
 * in vpm.h.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/timekeeping.h>
#include "vpm.h"
#include "fault_ring.h"
#include "vfio_pci_mmap_trace.h"
#include <kunit/visibility.h>

/**
 * vpm_zap() - remove user mappings of the device
 * @vpm: the device; the caller holds state_lock for write, so no fault can
 *	repopulate a mapping until the caller's transition is complete
 * @why: the reason, traced
 * @scope: the regions to zap
 */
void vpm_zap(struct vpm_device *vpm, enum vpm_reason why,
	     enum vpm_zap_scope scope)
{
	struct address_space *mapping = vpm->core.vdev.inode->i_mapping;
	loff_t bars_end = VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_ROM_REGION_INDEX);
	unsigned int nr_vmas;
	u64 start = 0;

	lockdep_assert_held_write(&vpm->state_lock);
	nr_vmas = vpm_tracker_mark_zapped(&vpm->tracker, scope);
	trace_vpm_zap_begin(vpm, why, scope, nr_vmas);
	if (trace_vpm_zap_end_enabled())
		start = ktime_get_ns();

	if (scope == VPM_ZAP_BARS)
		unmap_mapping_range(mapping, 0, bars_end, true);
	else
		unmap_mapping_range(mapping, 0, 0, true);

	if (trace_vpm_zap_end_enabled())
		trace_vpm_zap_end(vpm, why, scope, nr_vmas,
				  start ? ktime_get_ns() - start : 0);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_zap);

/**
 * vpm_core_zap_begin() - trace a zap vfio-pci-core is about to perform
 * @vpm: the device
 * @why: the reason, traced
 * @span: filled for vpm_core_zap_end()
 *
 * vfio-pci-core zaps the BARs itself, under memory_lock, when a config
 * write clears memory decoding or enters D3hot and when low power is
 * entered; zapping here too would walk every vma twice.  The span traced
 * is the core's call, which contains its zap.
 */
void vpm_core_zap_begin(struct vpm_device *vpm, enum vpm_reason why,
			struct vpm_zap_span *span)
{
	span->why = why;
	span->nr_vmas = vpm_tracker_mark_zapped(&vpm->tracker, VPM_ZAP_BARS);
	trace_vpm_zap_begin(vpm, why, VPM_ZAP_BARS, span->nr_vmas);
	span->start = trace_vpm_zap_end_enabled() ? ktime_get_ns() : 0;
}

/**
 * vpm_core_zap_end() - trace the end of a zap vfio-pci-core performed
 * @vpm: the device
 * @span: from vpm_core_zap_begin()
 */
void vpm_core_zap_end(struct vpm_device *vpm, struct vpm_zap_span *span)
{
	if (trace_vpm_zap_end_enabled())
		trace_vpm_zap_end(vpm, span->why, VPM_ZAP_BARS, span->nr_vmas,
				  span->start ? ktime_get_ns() - span->start : 0);
}

/**
 * vpm_reset_prepare() - open a reset window
 * @vpm: the device
 * @why: the reason, traced
 *
 * Called from pci_error_handlers.reset_prepare for every reset the PCI core
 * performs on the device: the core's own (memory_lock already held for
 * write by vfio-pci-core), an administrator's through sysfs, a sibling's
 * bus reset (memory_lock not held).  state_lock closes the window against
 * faults in both cases.
 */
void vpm_reset_prepare(struct vpm_device *vpm, enum vpm_reason why)
{
	/*
	 * The resets vfio-pci-core performs itself have zapped the BARs
	 * already; the walk over them again finds nothing to unmap and costs
	 * nothing next to the reset's 100 ms.  One zap of the whole address
	 * space keeps every reset alike, fault ring included.
	 */
	down_write(&vpm->state_lock);
	if (vpm_state_transition(vpm, VPM_STATE_ANY, VPM_STATE_RESETTING, why))
		vpm_zap(vpm, why, VPM_ZAP_ALL);
	up_write(&vpm->state_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_reset_prepare);

/**
 * vpm_reset_done() - close a reset window
 * @vpm: the device
 * @why: the reason, traced
 *
 * The state after the reset is the core's view of the device, read under
 * state_lock, which keeps the core's config state allocated (see
 * vpm_state_attach_core()).  memory_lock makes the view exact; this path
 * cannot tell whether vfio-pci-core holds it already for its own reset,
 * so it only tries it: without it (another holder) the view is a hint,
 * and any difference is corrected at the next fault, under memory_lock.
 */
void vpm_reset_done(struct vpm_device *vpm, enum vpm_reason why)
{
	struct rw_semaphore *memory_lock = &vpm->core.memory_lock;
	bool locked, done;

	locked = down_read_trylock(memory_lock);
	down_write(&vpm->state_lock);
	done = vpm_state_transition(vpm, VPM_STATE_RESETTING,
				    vpm_state_of_core(vpm), why);
	up_write(&vpm->state_lock);
	if (locked)
		up_read(memory_lock);
	if (done)
		vpm_ring_report_reset(vpm);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_reset_done);

static enum vpm_revoke_mode vpm_revoke_mode_now(struct vpm_device *vpm)
{
	enum vpm_revoke_mode mode = READ_ONCE(vpm_param_revoke);

	if (mode != VPM_REVOKE_AUTO)
		return mode;
	/*
	 * A user that registered a request eventfd is cooperative (QEMU): it
	 * will release the device once asked, and SIGBUS in its vCPU thread
	 * would abort the whole VM through KVM_RUN.  Serve it all-ones.
	 */
	return rcu_access_pointer(vpm->core.req_trigger) ? VPM_REVOKE_ONES :
							   VPM_REVOKE_SIGBUS;
}

/**
 * vpm_revoke() - revoke every mapping before the device goes away
 * @vpm: the device
 *
 * Called from ->request, before vfio-pci-core relays the request to the
 * user.  Takes memory_lock so no access through read()/write() or a fault
 * is in flight, marks the device revoked (terminal), zaps the whole
 * address space (fault ring included).  Never takes a process's mmap_lock
 * or the dev_set lock.  ->request is called repeatedly until the user
 * releases the device; only the first call does anything.
 */
void vpm_revoke(struct vpm_device *vpm)
{
	struct vfio_pci_core_device *vdev = &vpm->core;

	if (vpm_revoked(vpm))
		return;

	down_write(&vdev->memory_lock);
	down_write(&vpm->state_lock);
	WRITE_ONCE(vpm->revoke_mode, vpm_revoke_mode_now(vpm));
	if (vpm_state_transition(vpm, VPM_STATE_ANY, VPM_STATE_REVOKED,
				 VPM_REASON_REQUEST)) {
		trace_vpm_revoke(vpm, vpm->revoke_mode,
				 vpm_tracker_count(&vpm->tracker));
		vpm_zap(vpm, VPM_REASON_REQUEST, VPM_ZAP_ALL);
	}
	up_write(&vpm->state_lock);
	up_write(&vdev->memory_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_revoke);
