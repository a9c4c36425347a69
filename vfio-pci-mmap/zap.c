// SPDX-License-Identifier: GPL-2.0-only
/*
 * Zap: removing user mappings of the device.
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
#include <linux/timekeeping.h>
#include "vpm.h"
#include "vfio_pci_mmap_trace.h"
#include "exports.h"

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
