// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fault ring's producers: vfio_pci_mmap_report_fault() for other
 * kernel code, the driver's own reports (a refused BAR access, a reset),
 * and the debugfs inject file.  Each takes ring->lock, the leaf producer
 * lock, and signals the eventfd after dropping it.  Atomic producers hold
 * no reference: they use the ring under rcu_read_lock(), found through
 * vpm->ring when they have the device and through the hash by pci_dev
 * otherwise, and vpm_ring_unpublish() clears both, marks the ring dead and
 * waits for a grace period before anything they touch is released
 * (ring.h, lifetime.c).
 */
#include <linux/eventfd.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/timekeeping.h>
#include "vpm.h"
#include "fault_ring.h"
#include "ring.h"
#include "record.h"
#include "vfio_pci_mmap_trace.h"
#include "exports.h"

/* At most this many records are written per hold of ring->lock. */
#define VPM_RING_CHUNK		64U

/**
 * vpm_ring_check_cons() - judge a consumer index read once by the caller
 * @ring: the ring
 * @prod: the producer index
 * @cons: the consumer index
 *
 * Valid means within [@prod - nr_entries, @prod].  An invalid value is
 * counted and traced and sets the header flag; a valid one clears it.
 *
 * Context: ring->lock held.
 * Return: whether @cons is valid.
 */
bool vpm_ring_check_cons(struct vpm_ring *ring, u32 prod, u32 cons)
{
	lockdep_assert_held(&ring->lock);
	if (!vpm_ring_cons_valid(prod, cons, ring->nr_entries)) {
		ring->invalid++;
		WRITE_ONCE(ring->hdr->invalid_cons, ring->invalid);
		if (!(ring->hdr_flags & VFIO_PCI_MMAP_RING_F_CONS_INVALID)) {
			ring->hdr_flags |= VFIO_PCI_MMAP_RING_F_CONS_INVALID;
			WRITE_ONCE(ring->hdr->flags, ring->hdr_flags);
		}
		trace_vpm_ring_invalid_cons(ring->vpm, cons, prod,
					    ring->invalid);
		return false;
	}
	if (ring->hdr_flags & VFIO_PCI_MMAP_RING_F_CONS_INVALID) {
		ring->hdr_flags &= ~VFIO_PCI_MMAP_RING_F_CONS_INVALID;
		WRITE_ONCE(ring->hdr->flags, ring->hdr_flags);
	}
	return true;
}

/*
 * The room the user's consumer index leaves before @prod: 0 when it is
 * invalid.  Stores the index read in *@cons.  Called with ring->lock held.
 */
static u32 vpm_ring_room(struct vpm_ring *ring, u32 prod, u32 *cons)
{
	/* The one read of the user's index; pairs with its store-release. */
	u32 c = smp_load_acquire(&ring->cpage->cons);

	*cons = c;
	if (!vpm_ring_check_cons(ring, prod, c))
		return 0;
	if (c != ring->last_cons) {
		trace_vpm_ring_consume(ring->vpm, c, c - ring->last_cons, false);
		ring->last_cons = c;
	}
	return vpm_ring_space(prod, c, ring->nr_entries);
}

/*
 * @n records did not fit: counted as lost, and they use up their sequence
 * numbers, a visible gap.  Called with ring->lock held.
 */
static void vpm_ring_lose(struct vpm_ring *ring, u32 n)
{
	ring->seq += n;
	ring->lost += n;
	WRITE_ONCE(ring->hdr->lost, ring->lost);
	trace_vpm_ring_overflow(ring->vpm, ring->lost);
}

/*
 * Produce @n records from @r (addr advancing by @addr_step per record)
 * under one hold of the lock.  Returns how many were published; sets
 * *@dead if the ring is closed.
 */
static u32 vpm_ring_push_chunk(struct vpm_ring *ring,
			       struct vfio_pci_mmap_fault_record *r, u32 n,
			       u64 addr_step, bool *dead)
{
	unsigned long flags;
	u32 prod, cons, put, i;
	u64 seq;

	spin_lock_irqsave(&ring->lock, flags);
	if (!ring->live) {
		spin_unlock_irqrestore(&ring->lock, flags);
		*dead = true;
		return 0;
	}

	prod = ring->prod;
	put = min(n, vpm_ring_room(ring, prod, &cons));
	for (i = 0; i < put; i++) {
		seq = ++ring->seq;
		vpm_ring_record_encode(vpm_ring_slot(ring, prod + i), r, seq,
				       ktime_get_ns());
		trace_vpm_ring_produce(ring->vpm, seq, r->type, r->reason,
				       prod + i + 1, cons);
		r->addr += addr_step;
	}
	if (put) {
		ring->prod = prod + put;
		ring->produced += put;
		/* The records first, then the index that publishes them. */
		smp_store_release(&ring->hdr->prod, ring->prod);
		WRITE_ONCE(ring->hdr->produced, ring->produced);
	}
	if (put < n) {
		r->addr += (u64)(n - put) * addr_step;
		vpm_ring_lose(ring, n - put);
	}
	spin_unlock_irqrestore(&ring->lock, flags);
	return put;
}

/*
 * Produce @count records like @rec, each stamped by
 * vpm_ring_record_encode(); the caller keeps @ring alive (RCU or a
 * reference).  The lock is dropped every VPM_RING_CHUNK records; with
 * @may_sleep the caller may also be rescheduled there.  Returns how many
 * were published; sets *@dead if the ring is closed.
 */
static u32 vpm_ring_push(struct vpm_ring *ring,
			 const struct vfio_pci_mmap_fault_record *rec,
			 u32 count, u64 addr_step, bool may_sleep, bool *dead)
{
	struct vfio_pci_mmap_fault_record r = *rec;
	u32 done = 0, published = 0, n;

	*dead = false;
	while (done < count && !*dead) {
		n = min(count - done, VPM_RING_CHUNK);
		published += vpm_ring_push_chunk(ring, &r, n, addr_step, dead);
		done += n;
		if (may_sleep)
			cond_resched();
	}
	return published;
}

/* One signal per batch; any context. */
static void vpm_ring_signal(struct vpm_ring *ring)
{
	struct eventfd_ctx *ctx;

	rcu_read_lock();
	ctx = rcu_dereference(ring->trigger);
	if (ctx)
		eventfd_signal(ctx);
	rcu_read_unlock();
}

/* Produce one record into @ring (may be NULL), found under RCU. */
static int vpm_ring_report_rcu(struct vpm_ring *ring,
			       const struct vfio_pci_mmap_fault_record *rec)
{
	bool dead = false;

	if (!ring || vpm_revoked(ring->vpm))
		return -ENODEV;
	if (vpm_ring_push(ring, rec, 1, 0, false, &dead)) {
		vpm_ring_signal(ring);
		return 0;
	}
	return dead ? -ENODEV : -ENOSPC;
}

/* Produce one record for the device's own ring, if open; any context. */
static void vpm_ring_report(struct vpm_device *vpm,
			    const struct vfio_pci_mmap_fault_record *rec)
{
	rcu_read_lock();
	vpm_ring_report_rcu(rcu_dereference(vpm->ring), rec);
	rcu_read_unlock();
}

/**
 * vfio_pci_mmap_report_fault() - report a fault of a device to its user
 * @pdev: the device; it must be bound to vfio-pci-mmap and open
 * @rec: the record.  The caller fills @type (VFIO_PCI_MMAP_FAULT_TYPE_*),
 *	@reason, @flags (PASID_VALID, ADDR_VALID, REGION_VALID), @pasid,
 *	@addr, @perm, @region_index and @region_offset; the ring sets version,
 *	size, seq and the timestamp and ignores what the caller put there.
 *
 * This is the way in for DMA faults: in Linux 6.12 a variant driver has no
 * hook through which the IOMMU layer would hand it the unrecoverable faults
 * of a type1-managed domain (see docs/fault-ring.rst).  Callable from any
 * context, hard interrupts included; never sleeps.  The user's eventfd, if
 * any, is signalled.
 *
 * Return: 0 when the record was published; -ENOSPC when the ring was full
 * (the record is counted as lost); -ENODEV when @pdev is not bound to this
 * driver, not open, or revoked; -EINVAL for a malformed record.
 */
int vfio_pci_mmap_report_fault(struct pci_dev *pdev,
			       const struct vfio_pci_mmap_fault_record *rec)
{
	int ret;

	if (!pdev || !vpm_ring_record_valid(rec))
		return -EINVAL;
	/* Its seq and timestamp are the ring's: see vpm_ring_record_encode(). */
	rcu_read_lock();
	ret = vpm_ring_report_rcu(vpm_ring_lookup_rcu(pdev), rec);
	rcu_read_unlock();
	return ret;
}
VPM_EXPORT_SYMBOL_GPL(vfio_pci_mmap_report_fault);

/**
 * vpm_ring_report_refused() - record a BAR access refused with SIGBUS
 * @vpm: the device
 * @state: the state that refused the access, as the fault path decided it
 * @region: the BAR's region index
 * @offset: offset of the access within the region
 * @write: whether the access was a write
 *
 * Called by the BAR fault path, after it dropped memory_lock and
 * state_lock; the reason is the state the decision was made on, not a
 * re-read that could already see the next transition.
 */
void vpm_ring_report_refused(struct vpm_device *vpm, enum vpm_state state,
			     u32 region, u64 offset, bool write)
{
	struct vfio_pci_mmap_fault_record r = {
		.type = VFIO_PCI_MMAP_FAULT_TYPE_MMAP_REFUSED,
		.reason = vpm_ring_refused_reason(state),
		.flags = VFIO_PCI_MMAP_FAULT_F_REGION_VALID,
		.perm = write ? VFIO_PCI_MMAP_FAULT_PERM_WRITE :
				VFIO_PCI_MMAP_FAULT_PERM_READ,
		.region_index = region,
		.region_offset = offset,
	};

	vpm_ring_report(vpm, &r);
}

/**
 * vpm_ring_report_reset() - record that the device was reset
 * @vpm: the device
 *
 * Called at the end of every reset window (vpm_reset_done()), whatever
 * started the reset.  Does nothing while the device is closed; the resets
 * vfio-pci-core does inside open and close fall there.
 */
void vpm_ring_report_reset(struct vpm_device *vpm)
{
	struct vfio_pci_mmap_fault_record r = {
		.type = VFIO_PCI_MMAP_FAULT_TYPE_RESET,
	};

	vpm_ring_report(vpm, &r);
}

/**
 * vpm_ring_inject() - produce records on demand (debugfs "inject")
 * @vpm: the device
 * @rec: the first record; each next one's addr is one more
 * @count: how many
 *
 * Holds a reference to the ring and may sleep between chunks.  Records
 * that do not fit are counted as lost, as any producer's.
 *
 * Return: 0, or -ENODEV when the device is not open or was closed before
 * any record was published.
 */
int vpm_ring_inject(struct vpm_device *vpm,
		    const struct vfio_pci_mmap_fault_record *rec, u32 count)
{
	struct vpm_ring *ring;
	bool dead;
	u32 n;

	ring = vpm_ring_get(vpm);
	if (!ring)
		return -ENODEV;
	n = vpm_ring_push(ring, rec, count, 1, true, &dead);
	if (n)
		vpm_ring_signal(ring);
	vpm_ring_put(ring);
	return dead && !n ? -ENODEV : 0;
}

/**
 * vpm_ring_stats() - a snapshot of the ring's indices and counters
 * @vpm: the device
 * @st: filled in when the device is open
 *
 * Return: false when the device is not open.
 */
bool vpm_ring_stats(struct vpm_device *vpm, struct vpm_ring_stats *st)
{
	struct vpm_ring *ring;
	unsigned long flags;

	ring = vpm_ring_get(vpm);
	if (!ring)
		return false;
	spin_lock_irqsave(&ring->lock, flags);
	st->prod = ring->prod;
	st->cons = READ_ONCE(ring->cpage->cons);
	st->produced = ring->produced;
	st->lost = ring->lost;
	st->invalid = ring->invalid;
	st->seq = ring->seq;
	st->flags = ring->hdr_flags;
	spin_unlock_irqrestore(&ring->lock, flags);
	st->eventfd = rcu_access_pointer(ring->trigger);
	st->index = ring->index;
	st->nr_entries = ring->nr_entries;
	vpm_ring_put(ring);
	return true;
}
