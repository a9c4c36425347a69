// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fault ring region: a device-specific VFIO region through which the
 * kernel hands fault records to the user.  docs/fault-ring.rst describes
 * the user's side; include/uapi/linux/vfio_pci_mmap.h is the ABI.  The
 * index arithmetic is in ring_index.c, the records' validation, stamping
 * and the debugfs inject line in ring_record.c.
 *
 * Memory.  The ring is ordinary kernel memory: zeroed order-0 pages,
 * allocated when the device is opened (vpm_ring_open(), from open_device
 * after vfio_pci_core_enable()).  Page 0 holds the header, page 1 the
 * consumer index, pages 2.. the entries.  Mappings are populated lazily:
 * ->fault hands back the page with a reference (vmf->page), so a page
 * outlives the ring for as long as anything (a PTE, a GUP pin) holds it.
 * The ring's own references are dropped by the region's release op, which
 * vfio_pci_core_disable() calls from close_device, when no vma can map the
 * device any more.
 *
 * Producers.  Every producer takes ring->lock, a spinlock that is a leaf:
 * inside it nothing is allocated, no other lock is taken, nothing sleeps;
 * the eventfd is signalled after it is dropped.  Producers may run in any
 * context, including hard interrupts (vfio_pci_mmap_report_fault()), and
 * may race with the device being closed.  They find the ring through
 * vpm_ring_table, a hash of open rings keyed by pci_dev, under RCU:
 * vpm_ring_close() unhashes the ring, marks it dead and waits for a grace
 * period before anything the producers touch is released.  Paths that sleep
 * while using a ring (debugfs inject, revocation) take a reference instead.
 *
 * The user's consumer index.  It lives in memory the user writes at any
 * time.  Each operation reads it exactly once, with acquire semantics, into
 * a local, and checks it against the window [prod - nr_entries, prod] in
 * free-running u32 arithmetic.  It is never used to index anything: entries
 * are addressed by the kernel's private producer index, masked.  An
 * invalid value makes the operation treat the ring as full (producers) or
 * fail with -EINVAL (read()); either way it is counted in the header's
 * invalid_cons and traced (vpm_ring_invalid_cons).  Records that do not fit
 * are counted in the header's lost count and traced (vpm_ring_overflow).
 *
 * Lock order, in addition to vpm.h: ring->read_lock and ring->igate are
 * mutexes taken from the device fd's read/write and ioctl paths with no
 * other lock of this driver held; read() copies to user space under
 * read_lock (a fault there may take mmap_lock, memory_lock, state_lock and
 * ring->lock, never read_lock).  vpm_ring_table_lock only orders hash
 * updates.  ring->lock is innermost.
 */
#include <linux/debugfs.h>
#include <linux/eventfd.h>
#include <linux/hashtable.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include "../include/uapi/linux/vfio_pci_mmap.h"
#include "vpm.h"
#include "fault_ring.h"
#include "ring/index.h"
#include "ring/record.h"
#include "vfio_pci_mmap_trace.h"
#include <kunit/visibility.h>

/* The first device-specific IRQ index: right after vfio-pci's own. */
#define VPM_RING_IRQ_INDEX	VFIO_PCI_NUM_IRQS
/* At most this many records are written per hold of ring->lock. */
#define VPM_RING_CHUNK		64U

#define VPM_RING_REGION_FLAGS	(VFIO_REGION_INFO_FLAG_READ |		\
				 VFIO_REGION_INFO_FLAG_WRITE |		\
				 VFIO_REGION_INFO_FLAG_MMAP)

static_assert(VFIO_PCI_MMAP_REGION_TYPE ==
	      ((u32)VFIO_REGION_TYPE_PCI_VENDOR_TYPE | VFIO_PCI_MMAP_VENDOR_ID));
static_assert(sizeof(struct vfio_pci_mmap_ring_header) <= PAGE_SIZE);

static unsigned int vpm_ring_entries = 256;
module_param_named(ring_entries, vpm_ring_entries, uint, 0644);
MODULE_PARM_DESC(ring_entries,
		 "Fault ring entries per device, taken at open: rounded up to a power of two that fills whole pages, at most 65536");

/**
 * struct vpm_ring - the fault ring of one open device
 * @kref: the open device holds one reference (dropped by the region's
 *	release op); sleeping users hold one each.  Atomic producers hold
 *	none: RCU and vpm_ring_close() protect them.
 * @node: entry in vpm_ring_table while the device is open.
 * @vpm: the device.
 * @pdev: the key of @node.
 * @lock: the producer lock, a leaf.  Protects every field below it up to
 *	@index, and the kernel-written fields of the header page.
 * @live: false once vpm_ring_close() has run: nothing is produced.
 * @prod: the producer index, private: never read back from the header.
 * @last_cons: the last valid consumer index seen, to trace consumption.
 * @seq: sequence number of the last record produced or lost.
 * @lost: records dropped.
 * @invalid: operations that found the consumer index invalid.
 * @produced: records published.
 * @hdr_flags: VFIO_PCI_MMAP_RING_F_* as published.
 * @nr_entries: entries in the ring, a power of two.
 * @index: the region index.
 * @hdr: the header page (kernel mapping).
 * @cpage: the consumer page (kernel mapping); the user writes it.
 * @igate: serialises changes of @trigger.
 * @trigger: the eventfd signalled after each batch, or NULL.
 * @read_lock: serialises read() and write() consumers.
 * @nr_pages: pages in @pages: header, consumer, entries.
 * @pages: the ring's pages.
 */
struct vpm_ring {
	struct kref kref;
	struct hlist_node node;
	struct vpm_device *vpm;
	struct pci_dev *pdev;

	spinlock_t lock; /* producer lock: leaf, see above */
	bool live;
	u32 prod;
	u32 last_cons;
	u64 seq;
	u64 lost;
	u64 invalid;
	u64 produced;
	u32 hdr_flags;

	u32 nr_entries;
	u32 index;
	struct vfio_pci_mmap_ring_header *hdr;
	struct vfio_pci_mmap_ring_consumer *cpage;

	struct mutex igate; /* protects trigger updates */
	struct eventfd_ctx __rcu *trigger;
	struct mutex read_lock; /* serialises read()/write() consumers */

	unsigned int nr_pages;
	struct page *pages[] __counted_by(nr_pages);
};

/* Open rings by pci_dev: lookups under RCU, updates under the mutex. */
static DEFINE_HASHTABLE(vpm_ring_table, 5);
static DEFINE_MUTEX(vpm_ring_table_lock);

static struct vpm_ring *vpm_ring_lookup_rcu(struct pci_dev *pdev)
{
	struct vpm_ring *ring;

	hash_for_each_possible_rcu(vpm_ring_table, ring, node,
				   (unsigned long)pdev)
		if (ring->pdev == pdev)
			return ring;
	return NULL;
}

static void vpm_ring_free(struct vpm_ring *ring)
{
	unsigned int i;

	for (i = 0; i < ring->nr_pages; i++)
		if (ring->pages[i])
			put_page(ring->pages[i]);
	mutex_destroy(&ring->read_lock);
	mutex_destroy(&ring->igate);
	kfree(ring);
}

static void vpm_ring_release_kref(struct kref *kref)
{
	vpm_ring_free(container_of(kref, struct vpm_ring, kref));
}

static void vpm_ring_put(struct vpm_ring *ring)
{
	kref_put(&ring->kref, vpm_ring_release_kref);
}

/* A reference to @pdev's ring, or NULL if the device is not open. */
static struct vpm_ring *vpm_ring_get(struct pci_dev *pdev)
{
	struct vpm_ring *ring;

	rcu_read_lock();
	ring = vpm_ring_lookup_rcu(pdev);
	if (ring && !kref_get_unless_zero(&ring->kref))
		ring = NULL;
	rcu_read_unlock();
	return ring;
}

static u64 vpm_ring_size(const struct vpm_ring *ring)
{
	return (u64)ring->nr_pages << PAGE_SHIFT;
}

/* The entry of free-running index @idx: masked, never out of the ring. */
static struct vfio_pci_mmap_fault_record *vpm_ring_slot(struct vpm_ring *ring,
							u32 idx)
{
	size_t off = vpm_ring_entry_offset(idx, ring->nr_entries);

	return page_address(ring->pages[VPM_RING_ENTRIES_PAGE +
					(off >> PAGE_SHIFT)]) +
	       offset_in_page(off);
}

/*
 * Judge the consumer index @cons, read once by the caller, against @prod.
 * Valid means within [prod - nr_entries, prod].  An invalid value is
 * counted and traced and sets the header flag; a valid one clears it.
 * Called with ring->lock held.
 */
static bool vpm_ring_check_cons(struct vpm_ring *ring, u32 prod, u32 cons)
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
 * Produce @n records from @r (addr advancing by @addr_step per record)
 * under one hold of the lock.  Returns how many were published; sets
 * *@dead if the ring is closed.
 */
static u32 vpm_ring_push_chunk(struct vpm_ring *ring,
			       struct vfio_pci_mmap_fault_record *r, u32 n,
			       u64 addr_step, bool *dead)
{
	unsigned long flags;
	u32 prod, cons, space = 0, put, i;
	u64 seq;

	spin_lock_irqsave(&ring->lock, flags);
	if (!ring->live) {
		spin_unlock_irqrestore(&ring->lock, flags);
		*dead = true;
		return 0;
	}

	prod = ring->prod;
	/* The one read of the user's index; pairs with its store-release. */
	cons = smp_load_acquire(&ring->cpage->cons);
	if (vpm_ring_check_cons(ring, prod, cons)) {
		space = vpm_ring_space(prod, cons, ring->nr_entries);
		if (cons != ring->last_cons) {
			trace_vpm_ring_consume(ring->vpm, cons,
					       cons - ring->last_cons, false);
			ring->last_cons = cons;
		}
	}

	put = min(n, space);
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
		/* Lost records use up their sequence numbers: a visible gap. */
		ring->seq += n - put;
		r->addr += (u64)(n - put) * addr_step;
		ring->lost += n - put;
		WRITE_ONCE(ring->hdr->lost, ring->lost);
		trace_vpm_ring_overflow(ring->vpm, ring->lost);
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

/* Produce one record for @pdev's ring; any context. */
static int vpm_ring_report(struct pci_dev *pdev,
			   const struct vfio_pci_mmap_fault_record *rec)
{
	struct vpm_ring *ring;
	bool dead = false;
	int ret = -ENODEV;

	rcu_read_lock();
	ring = vpm_ring_lookup_rcu(pdev);
	if (ring && !vpm_revoked(ring->vpm)) {
		if (vpm_ring_push(ring, rec, 1, 0, false, &dead)) {
			vpm_ring_signal(ring);
			ret = 0;
		} else {
			ret = dead ? -ENODEV : -ENOSPC;
		}
	}
	rcu_read_unlock();
	return ret;
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
	if (!pdev || !vpm_ring_record_valid(rec))
		return -EINVAL;
	/* Its seq and timestamp are the ring's: see vpm_ring_record_encode(). */
	return vpm_ring_report(pdev, rec);
}
EXPORT_SYMBOL_GPL(vfio_pci_mmap_report_fault);

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

	vpm_ring_report(vpm->core.pdev, &r);
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

	vpm_ring_report(vpm->core.pdev, &r);
}

/* ---- the region: read/write, capabilities, release ---------------------- */

/* read() of the entries part: consume whole records from cons. */
static ssize_t vpm_ring_read_records(struct vpm_ring *ring, char __user *buf,
				     size_t count)
{
	unsigned long flags;
	u32 prod, cons, n, done = 0, run;
	ssize_t ret;
	bool valid;

	if (count < VPM_RING_RECORD_SIZE)
		return -EINVAL;

	mutex_lock(&ring->read_lock);
	spin_lock_irqsave(&ring->lock, flags);
	prod = ring->prod;
	/* Once; acquire orders our reads of the entries after it. */
	cons = smp_load_acquire(&ring->cpage->cons);
	valid = vpm_ring_check_cons(ring, prod, cons);
	spin_unlock_irqrestore(&ring->lock, flags);
	if (!valid) {
		ret = -EINVAL;
		goto out;
	}

	/*
	 * [cons, prod) is the producer's to leave alone until cons moves:
	 * copy straight from the entries, one run per page.
	 */
	n = min_t(size_t, prod - cons, count / VPM_RING_RECORD_SIZE);
	while (done < n) {
		run = vpm_ring_page_run(cons + done, n - done, ring->nr_entries);
		if (copy_to_user(buf + (size_t)done * VPM_RING_RECORD_SIZE,
				 vpm_ring_slot(ring, cons + done),
				 (size_t)run * VPM_RING_RECORD_SIZE))
			break;
		done += run;
	}

	if (done) {
		spin_lock_irqsave(&ring->lock, flags);
		/* The copies are done before the producer may reuse them. */
		smp_store_release(&ring->cpage->cons, cons + done);
		ring->last_cons = cons + done;
		spin_unlock_irqrestore(&ring->lock, flags);
		trace_vpm_ring_consume(ring->vpm, cons + done, done, true);
	}
	ret = done ? (ssize_t)done * VPM_RING_RECORD_SIZE : (n ? -EFAULT : 0);
out:
	mutex_unlock(&ring->read_lock);
	return ret;
}

/* write(): only the consumer index, whole, and only a valid value. */
static ssize_t vpm_ring_write_cons(struct vpm_ring *ring,
				   const char __user *buf, size_t count,
				   u64 pos)
{
	const u64 cons_pos = (u64)VPM_RING_CONS_PAGE << PAGE_SHIFT;
	unsigned long flags;
	bool valid;
	u32 v;

	if (pos != cons_pos +
		   offsetof(struct vfio_pci_mmap_ring_consumer, cons) ||
	    count != sizeof(v))
		return -EINVAL;
	if (copy_from_user(&v, buf, sizeof(v)))
		return -EFAULT;

	mutex_lock(&ring->read_lock);
	spin_lock_irqsave(&ring->lock, flags);
	valid = vpm_ring_cons_valid(ring->prod, v, ring->nr_entries);
	if (valid) /* release, as a mmap consumer stores it */
		smp_store_release(&ring->cpage->cons, v);
	spin_unlock_irqrestore(&ring->lock, flags);
	mutex_unlock(&ring->read_lock);
	return valid ? sizeof(v) : -EINVAL;
}

static ssize_t vpm_ring_rw(struct vfio_pci_core_device *vdev, char __user *buf,
			   size_t count, loff_t *ppos, bool iswrite)
{
	unsigned int i = VFIO_PCI_OFFSET_TO_INDEX(*ppos) - VFIO_PCI_NUM_REGIONS;
	struct vpm_ring *ring = vdev->region[i].data;
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	struct page *page;

	if (pos >= vpm_ring_size(ring))
		return -EINVAL;
	if (iswrite)
		return vpm_ring_write_cons(ring, buf, count, pos);
	if (pos >= (u64)VPM_RING_ENTRIES_PAGE << PAGE_SHIFT)
		return vpm_ring_read_records(ring, buf, count);

	/* The header or the consumer page: its bytes, up to its end. */
	page = ring->pages[pos >> PAGE_SHIFT];
	count = min_t(size_t, count, PAGE_SIZE - offset_in_page(pos));
	if (copy_to_user(buf, page_address(page) + offset_in_page(pos), count))
		return -EFAULT;
	*ppos += count;
	return count;
}

/**
 * vpm_ring_region_rw() - read() and write() of the fault ring region
 * @vpm: the device
 * @buf: the user's buffer
 * @count: bytes requested
 * @ppos: the file position, inside the ring's region
 * @iswrite: write rather than read
 *
 * The ring is RAM: ->read and ->write serve it here, without resuming the
 * device, which vfio_pci_rw() would do first (its
 * pm_runtime_resume_and_get()), ending a low-power entry with wakeup.
 *
 * Return: bytes done or a negative errno.
 */
ssize_t vpm_ring_region_rw(struct vpm_device *vpm, char __user *buf,
			   size_t count, loff_t *ppos, bool iswrite)
{
	return vpm_ring_rw(&vpm->core, buf, count, ppos, iswrite);
}

static int vpm_ring_add_capability(struct vfio_pci_core_device *vdev,
				   struct vfio_pci_region *region,
				   struct vfio_info_cap *caps)
{
	struct vpm_ring *ring = region->data;
	struct vfio_pci_mmap_region_info_cap_fault_ring cap = {
		.header.id = VFIO_PCI_MMAP_REGION_INFO_CAP_FAULT_RING,
		.header.version = 1,
		.irq_index = VPM_RING_IRQ_INDEX,
		.page_size = PAGE_SIZE,
		.record_version = VFIO_PCI_MMAP_FAULT_RECORD_VERSION,
		.record_size = VPM_RING_RECORD_SIZE,
		.nr_entries = ring->nr_entries,
		.header_offset = (u64)VPM_RING_HDR_PAGE << PAGE_SHIFT,
		.header_size = PAGE_SIZE,
		.cons_offset = (u64)VPM_RING_CONS_PAGE << PAGE_SHIFT,
		.cons_size = PAGE_SIZE,
		.entries_offset = (u64)VPM_RING_ENTRIES_PAGE << PAGE_SHIFT,
		.entries_size = (u64)ring->nr_entries * VPM_RING_RECORD_SIZE,
	};
	struct vfio_region_info_cap_sparse_mmap *sparse;
	struct vfio_info_cap_header *hdr;

	hdr = vfio_info_cap_add(caps, struct_size(sparse, areas, 3),
				VFIO_REGION_INFO_CAP_SPARSE_MMAP, 1);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);
	sparse = container_of(hdr, struct vfio_region_info_cap_sparse_mmap,
			      header);
	sparse->nr_areas = 3;
	sparse->areas[0].offset = cap.header_offset;
	sparse->areas[0].size = cap.header_size;
	sparse->areas[1].offset = cap.cons_offset;
	sparse->areas[1].size = cap.cons_size;
	sparse->areas[2].offset = cap.entries_offset;
	sparse->areas[2].size = cap.entries_size;

	return vfio_info_add_capability(caps, &cap.header, sizeof(cap));
}

/*
 * Take the ring out of reach of producers: unhash it, mark it dead, drop
 * the eventfd, and wait until no RCU producer can still be inside it.
 * Idempotent; may sleep.
 */
static void vpm_ring_unpublish(struct vpm_ring *ring)
{
	struct eventfd_ctx *old;
	unsigned long flags;
	bool was_live;

	mutex_lock(&vpm_ring_table_lock);
	if (!hlist_unhashed(&ring->node))
		hash_del_rcu(&ring->node);
	mutex_unlock(&vpm_ring_table_lock);

	spin_lock_irqsave(&ring->lock, flags);
	was_live = ring->live;
	ring->live = false;
	spin_unlock_irqrestore(&ring->lock, flags);
	if (!was_live)
		return;

	mutex_lock(&ring->igate);
	old = rcu_replace_pointer(ring->trigger, NULL,
				  lockdep_is_held(&ring->igate));
	mutex_unlock(&ring->igate);

	synchronize_rcu();
	if (old)
		eventfd_ctx_put(old);
}

/*
 * The region's release op, from vfio_pci_core_disable(): no vma maps the
 * device any more.  Normally vpm_ring_close() has already unpublished the
 * ring; an error path of open_device may get here without it.
 */
static void vpm_ring_region_release(struct vfio_pci_core_device *vdev,
				    struct vfio_pci_region *region)
{
	struct vpm_device *vpm = vpm_from_core(vdev);
	struct vpm_ring *ring = region->data;

	vpm_ring_unpublish(ring);
	if (vpm->ring == ring) {
		vpm->ring = NULL;
		vpm->ring_index = -1;
	}
	region->data = NULL;
	vpm_ring_put(ring);
}

static const struct vfio_pci_regops vpm_ring_regops = {
	.rw		= vpm_ring_rw,
	.release	= vpm_ring_region_release,
	.add_capability	= vpm_ring_add_capability,
};

/* ---- open and close ---------------------------------------------------------- */

/**
 * vpm_ring_open() - allocate the ring and register its region
 * @vpm: the device, enabled by vfio_pci_core_enable() and not yet visible
 *	to the user
 *
 * Allocates zeroed pages, registers the region (its index is
 * VFIO_PCI_NUM_REGIONS plus the number of device regions before it) and
 * publishes the ring to producers.  Nothing can fail after the region is
 * registered; a failure before it frees everything allocated here.
 *
 * Return: 0 or a negative errno; vpm->ring_index is -1 on failure.
 */
int vpm_ring_open(struct vpm_device *vpm)
{
	struct vfio_pci_core_device *vdev = &vpm->core;
	unsigned int nr_pages, i;
	u32 entries;
	struct vpm_ring *ring;
	int ret;

	vpm->ring = NULL;
	vpm->ring_index = -1;

	entries = vpm_ring_entries_from_param(READ_ONCE(vpm_ring_entries));
	nr_pages = vpm_ring_nr_pages(entries);

	ring = kzalloc(struct_size(ring, pages, nr_pages), GFP_KERNEL);
	if (!ring)
		return -ENOMEM;
	ring->nr_pages = nr_pages;
	kref_init(&ring->kref);
	INIT_HLIST_NODE(&ring->node);
	spin_lock_init(&ring->lock);
	mutex_init(&ring->igate);
	mutex_init(&ring->read_lock);
	ring->vpm = vpm;
	ring->pdev = vdev->pdev;
	ring->nr_entries = entries;
	ring->live = true;

	for (i = 0; i < nr_pages; i++) {
		ring->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!ring->pages[i]) {
			ret = -ENOMEM;
			goto err_free;
		}
	}
	ring->hdr = page_address(ring->pages[VPM_RING_HDR_PAGE]);
	ring->cpage = page_address(ring->pages[VPM_RING_CONS_PAGE]);
	ring->hdr->magic = VFIO_PCI_MMAP_RING_MAGIC;
	ring->hdr->version = VFIO_PCI_MMAP_RING_VERSION;
	ring->hdr->record_size = VPM_RING_RECORD_SIZE;
	ring->hdr->nr_entries = entries;

	ring->index = VFIO_PCI_NUM_REGIONS + vdev->num_regions;
	ret = vfio_pci_core_register_dev_region(vdev, VFIO_PCI_MMAP_REGION_TYPE,
						VFIO_PCI_MMAP_REGION_SUBTYPE_FAULT_RING,
						&vpm_ring_regops,
						vpm_ring_size(ring),
						VPM_RING_REGION_FLAGS, ring);
	if (ret)
		goto err_free;

	mutex_lock(&vpm_ring_table_lock);
	hash_add_rcu(vpm_ring_table, &ring->node, (unsigned long)ring->pdev);
	mutex_unlock(&vpm_ring_table_lock);
	vpm->ring = ring;
	vpm->ring_index = ring->index;
	return 0;

err_free:
	vpm_ring_free(ring);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ring_open);

/**
 * vpm_ring_close() - stop producing before the device is closed
 * @vpm: the device; its file is released, no vma maps it
 *
 * Called by close_device before vfio_pci_core_close_device().  Producers
 * racing with it (a reset, vfio_pci_mmap_report_fault() from another CPU)
 * either finish before it returns or find the device closed.  The eventfd
 * is released.  The pages are freed by the region's release op, called
 * by vfio_pci_core_disable() inside vfio_pci_core_close_device(), or later
 * by the last debugfs user still holding the ring.
 */
void vpm_ring_close(struct vpm_device *vpm)
{
	struct vpm_ring *ring = vpm->ring;

	if (!ring)
		return;
	vpm_ring_unpublish(ring);
	vpm->ring = NULL;
	vpm->ring_index = -1;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ring_close);

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * vpm_ring_page_kaddr() - kernel address of one page of the open ring
 * @vpm: the device
 * @page: VPM_RING_HDR_PAGE, VPM_RING_CONS_PAGE, or VPM_RING_ENTRIES_PAGE
 *	plus the page of the entries wanted
 *
 * For unit tests, which look at the ring as its user would.
 *
 * Return: the page's address, or NULL when the device has no ring or the
 * ring has no such page.
 */
void *vpm_ring_page_kaddr(struct vpm_device *vpm, unsigned int page)
{
	struct vpm_ring *ring = vpm->ring;

	if (!ring || page >= ring->nr_pages)
		return NULL;
	return page_address(ring->pages[page]);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ring_page_kaddr);
#endif

/**
 * vpm_ring_revoke() - make sure no ring mapping survives revocation
 * @vpm: the device, already revoked by vpm_revoke()
 *
 * vpm_revoke() zaps the whole address space, but a ring fault that checked
 * the state just before revocation installs its PTE after ->fault returns.
 * Such a fault holds its page locked until the PTE is in place, so taking
 * and dropping each page lock waits for it; the ring's range is then zapped
 * once more.  Faults after that see the revoked state and get SIGBUS.
 * Called from ->request (every call; cheap), never with a lock held.
 */
void vpm_ring_revoke(struct vpm_device *vpm)
{
	struct vpm_ring *ring;
	unsigned int i;

	if (!vpm_revoked(vpm))
		return;
	ring = vpm_ring_get(vpm->core.pdev);
	if (!ring)
		return;
	for (i = 0; i < ring->nr_pages; i++) {
		lock_page(ring->pages[i]);
		unlock_page(ring->pages[i]);
	}
	unmap_mapping_range(vpm->core.vdev.inode->i_mapping,
			    VFIO_PCI_INDEX_TO_OFFSET(ring->index),
			    vpm_ring_size(ring), true);
	vpm_ring_put(ring);
}

/* ---- mmap ---------------------------------------------------------------------- */

static vm_fault_t vpm_ring_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vpm_mapping *m = vma->vm_private_data;
	struct vpm_device *vpm = m->vpm;
	struct vpm_ring *ring = READ_ONCE(vpm->ring);
	u64 pg = vpm_vma_region_pgoff(vma) +
		 ((vmf->address - vma->vm_start) >> PAGE_SHIFT);
	struct page *page;
	vm_fault_t ret;

	/* The vma's range was checked at mmap and cannot grow; be certain. */
	if (!ring || pg >= ring->nr_pages ||
	    ((vma->vm_flags & VM_MAYWRITE) && pg != VPM_RING_CONS_PAGE)) {
		ret = VM_FAULT_SIGBUS;
		goto out;
	}

	page = ring->pages[pg];
	/* Held until the PTE is installed: see vpm_ring_revoke(). */
	lock_page(page);
	if (vpm_revoked(vpm)) {
		unlock_page(page);
		ret = VM_FAULT_SIGBUS;
		goto out;
	}
	get_page(page);
	vmf->page = page;
	ret = VM_FAULT_LOCKED;

	atomic_long_inc(&m->faults);
	if (!READ_ONCE(m->populated))
		WRITE_ONCE(m->populated, true);
out:
	trace_vpm_fault(vpm, m->region, vmf->address, pg << PAGE_SHIFT, 0, 0,
			ret & VM_FAULT_SIGBUS ? VPM_ACCESS_SIGBUS :
						VPM_ACCESS_MAP, ret);
	return ret;
}

static const struct vm_operations_struct vpm_ring_vm_ops = {
	.open	= vpm_vma_open,
	.close	= vpm_vma_close,
	.mremap	= vpm_vma_mremap,
	.fault	= vpm_ring_fault,
};

/**
 * vpm_ring_mmap() - mmap part of the fault ring region
 * @vpm: the device
 * @vma: the new vma; vm_pgoff encodes the ring's region index and offset
 *
 * The range must be shared and lie inside one part: the header, the
 * consumer page or the entries.  Header and entries are read-only: a
 * writable mapping is refused and VM_MAYWRITE cleared, so mprotect() cannot
 * make them writable later.  Nothing is mapped here; pages are faulted in.
 *
 * Return: 0; -EINVAL for a private mapping or a range not inside one part;
 * -EACCES for a writable mapping of a read-only part; -ENOMEM.
 */
int vpm_ring_mmap(struct vpm_device *vpm, struct vm_area_struct *vma)
{
	struct vpm_ring *ring = vpm->ring;
	u64 first = vpm_vma_region_pgoff(vma);
	u64 npages = vma_pages(vma);
	u64 area_first, area_pages;
	struct vpm_mapping *m;
	bool writable;

	if (!ring || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;

	if (first < VPM_RING_CONS_PAGE) {
		area_first = VPM_RING_HDR_PAGE;
		area_pages = VPM_RING_CONS_PAGE - VPM_RING_HDR_PAGE;
		writable = false;
	} else if (first < VPM_RING_ENTRIES_PAGE) {
		area_first = VPM_RING_CONS_PAGE;
		area_pages = VPM_RING_ENTRIES_PAGE - VPM_RING_CONS_PAGE;
		writable = true;
	} else {
		area_first = VPM_RING_ENTRIES_PAGE;
		area_pages = ring->nr_pages - VPM_RING_ENTRIES_PAGE;
		writable = false;
	}
	if (npages > area_pages || first - area_first > area_pages - npages)
		return -EINVAL;
	if (!writable && (vma->vm_flags & VM_WRITE))
		return -EACCES;

	m = vpm_mapping_alloc(GFP_KERNEL);
	if (!m)
		return -ENOMEM;

	if (!writable)
		vm_flags_clear(vma, VM_MAYWRITE);
	vm_flags_set(vma, VM_DONTEXPAND);
	vma->vm_ops = &vpm_ring_vm_ops;
	vpm_track(vpm, m, vma, VPM_TRACK_MMAP);
	return 0;
}

/* ---- the notification IRQ ------------------------------------------------------ */

/* Install @ctx (may be NULL) as the trigger; igate held. */
static void vpm_ring_set_trigger(struct vpm_ring *ring, struct eventfd_ctx *ctx)
{
	struct eventfd_ctx *old;

	lockdep_assert_held(&ring->igate);
	old = rcu_replace_pointer(ring->trigger, ctx,
				  lockdep_is_held(&ring->igate));
	if (old) {
		synchronize_rcu();
		eventfd_ctx_put(old);
	}
}

static int vpm_ring_set_irqs(struct vpm_ring *ring, u32 flags, u32 count,
			     s32 fd, u8 trigger)
{
	struct eventfd_ctx *ctx;

	lockdep_assert_held(&ring->igate);

	switch (flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		if (!count) {
			vpm_ring_set_trigger(ring, NULL);
			return 0;
		}
		ctx = rcu_dereference_protected(ring->trigger,
						lockdep_is_held(&ring->igate));
		if (!ctx)
			return -EINVAL;
		eventfd_signal(ctx);
		return 0;
	case VFIO_IRQ_SET_DATA_BOOL:
		if (!count)
			return -EINVAL;
		ctx = rcu_dereference_protected(ring->trigger,
						lockdep_is_held(&ring->igate));
		if (ctx && trigger)
			eventfd_signal(ctx);
		return 0;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		if (!count || fd == -1) {
			vpm_ring_set_trigger(ring, NULL);
			return 0;
		}
		if (fd < 0)
			return -EINVAL;
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
		vpm_ring_set_trigger(ring, ctx);
		return 0;
	default:
		return -EINVAL;
	}
}

static long vpm_ring_ioctl_set_irqs(struct vpm_ring *ring,
				    struct vfio_irq_set __user *uarg,
				    struct vfio_irq_set *hdr)
{
	size_t data_size = 0;
	s32 fd = -1;
	u8 trigger = 0;
	int ret;

	ret = vfio_set_irqs_validate_and_prepare(hdr, 1,
						 VPM_RING_IRQ_INDEX + 1,
						 &data_size);
	if (ret)
		return ret;
	if ((hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) !=
	    VFIO_IRQ_SET_ACTION_TRIGGER)
		return -EINVAL;

	/* count is 0 or 1: at most one datum. */
	if (data_size == sizeof(fd)) {
		if (copy_from_user(&fd, uarg->data, sizeof(fd)))
			return -EFAULT;
	} else if (data_size == sizeof(trigger)) {
		if (copy_from_user(&trigger, uarg->data, sizeof(trigger)))
			return -EFAULT;
	}

	mutex_lock(&ring->igate);
	ret = vpm_ring_set_irqs(ring, hdr->flags, hdr->count, fd, trigger);
	mutex_unlock(&ring->igate);
	return ret;
}

/**
 * vpm_ring_ioctl() - the ring's part of the device ioctls
 * @vpm: the device
 * @cmd: the ioctl
 * @arg: its argument
 * @handled: set when the ring answered; the caller delegates otherwise
 *
 * VFIO_DEVICE_GET_INFO is answered through vfio-pci-core with num_irqs
 * raised by one; VFIO_DEVICE_GET_IRQ_INFO and VFIO_DEVICE_SET_IRQS are
 * answered for the ring's IRQ index (VFIO_PCI_NUM_IRQS): one eventfd,
 * ACTION_TRIGGER only; DATA_EVENTFD sets it (fd -1 or count 0 clears it),
 * DATA_NONE with count 0 clears it, DATA_NONE/DATA_BOOL with count 1
 * signal it (loopback, as vfio-pci's own indexes).
 *
 * Return: the ioctl's result when *@handled is set.
 */
long vpm_ring_ioctl(struct vpm_device *vpm, unsigned int cmd,
		    unsigned long arg, bool *handled)
{
	struct vpm_ring *ring = vpm->ring;
	void __user *uarg = (void __user *)arg;
	long ret;

	*handled = false;
	if (!ring)
		return 0;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info __user *uinfo = uarg;

		*handled = true;
		ret = vfio_pci_core_ioctl(&vpm->core.vdev, cmd, arg);
		if (ret)
			return ret;
		/* The core checked argsz covers num_irqs. */
		return put_user(VPM_RING_IRQ_INDEX + 1, &uinfo->num_irqs);
	}
	case VFIO_DEVICE_GET_IRQ_INFO: {
		unsigned long minsz = offsetofend(struct vfio_irq_info, count);
		struct vfio_irq_info info;

		if (copy_from_user(&info, uarg, minsz))
			return 0;	/* let the core fail it */
		if (info.index != VPM_RING_IRQ_INDEX)
			return 0;
		*handled = true;
		if (info.argsz < minsz)
			return -EINVAL;
		info.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
		info.count = 1;
		return copy_to_user(uarg, &info, minsz) ? -EFAULT : 0;
	}
	case VFIO_DEVICE_SET_IRQS: {
		unsigned long minsz = offsetofend(struct vfio_irq_set, count);
		struct vfio_irq_set hdr;

		if (copy_from_user(&hdr, uarg, minsz))
			return 0;
		if (hdr.index != VPM_RING_IRQ_INDEX)
			return 0;
		*handled = true;
		return vpm_ring_ioctl_set_irqs(ring, uarg, &hdr);
	}
	}
	return 0;
}

/* ---- debugfs: inject and status ------------------------------------------------ */

static ssize_t vpm_ring_inject_write(struct file *file,
				     const char __user *ubuf, size_t len,
				     loff_t *ppos)
{
	struct vpm_device *vpm = file->private_data;
	struct vfio_pci_mmap_fault_record r = {};
	struct vpm_ring *ring;
	char buf[160];
	bool dead;
	u32 count, n;
	int ret;

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	ret = vpm_ring_parse_inject(buf, &count, &r);
	if (ret)
		return ret;

	ring = vpm_ring_get(vpm->core.pdev);
	if (!ring)
		return -ENODEV;
	n = vpm_ring_push(ring, &r, count, 1, true, &dead);
	if (n)
		vpm_ring_signal(ring);
	vpm_ring_put(ring);
	return dead && !n ? -ENODEV : len;
}

static const struct file_operations vpm_ring_inject_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= vpm_ring_inject_write,
};

static int vpm_ring_status_show(struct seq_file *s, void *unused)
{
	struct vpm_device *vpm = s->private;
	struct vpm_ring *ring;
	unsigned long flags;
	u32 prod, cons, hdr_flags;
	u64 produced, lost, invalid, seq;
	bool trigger;

	ring = vpm_ring_get(vpm->core.pdev);
	if (!ring) {
		seq_puts(s, "closed\n");
		return 0;
	}
	spin_lock_irqsave(&ring->lock, flags);
	prod = ring->prod;
	cons = READ_ONCE(ring->cpage->cons);
	produced = ring->produced;
	lost = ring->lost;
	invalid = ring->invalid;
	seq = ring->seq;
	hdr_flags = ring->hdr_flags;
	spin_unlock_irqrestore(&ring->lock, flags);
	trigger = rcu_access_pointer(ring->trigger);

	seq_printf(s,
		   "index=%u entries=%u prod=%u cons=%u produced=%llu lost=%llu invalid_cons=%llu seq=%llu flags=0x%x eventfd=%d\n",
		   ring->index, ring->nr_entries, prod, cons, produced, lost,
		   invalid, seq, hdr_flags, trigger);
	vpm_ring_put(ring);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vpm_ring_status);

/**
 * vpm_ring_debugfs_add() - add the ring's debugfs files
 * @vpm: the device; vpm->debugfs is its directory
 *
 * "inject" (0200) produces records on demand for tests, "ring" (0400)
 * shows the ring's indices and counters.  Both work only while the device
 * is open (-ENODEV, "closed" otherwise): they look the ring up at every
 * access, so they never outlive it.  Called at probe, after the directory
 * is created; the directory's removal removes them.
 */
void vpm_ring_debugfs_add(struct vpm_device *vpm)
{
	debugfs_create_file("inject", 0200, vpm->debugfs, vpm,
			    &vpm_ring_inject_fops);
	debugfs_create_file("ring", 0400, vpm->debugfs, vpm,
			    &vpm_ring_status_fops);
}
