/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fault ring's private header: struct vpm_ring and what the files of
 * ring/ share.  The rest of the driver uses fault_ring.h only.
 *
 *   lifetime.c  allocation, references, lookup, open, close, revocation
 *   produce.c   producers: the exported vfio_pci_mmap_report_fault() and
 *		the driver's own reports
 *   region.c    the VFIO region: read/write, capability, release, mmap
 *   irq.c       the ring's IRQ index (its eventfd)
 *   index.c     index arithmetic (pure)
 *   record.c    record validation, stamping, the inject line (pure)
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
 * may race with the device being closed.  They find the ring under RCU:
 * the driver's own producers, which have the device, through vpm->ring;
 * vfio_pci_mmap_report_fault(), whose callers only have a pci_dev, through
 * vpm_ring_table, a hash of open rings keyed by pci_dev.  Both are set by
 * vpm_ring_open() and cleared, under vpm_ring_table_lock, by
 * vpm_ring_unpublish() (from vpm_ring_close() or the region's release
 * op), which then marks the ring dead and waits for a grace period before
 * anything the producers touch is released.  Paths that sleep while using
 * a ring (debugfs inject and status, revocation) take a reference instead,
 * found the same way (vpm_ring_get()).
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
 * ring->lock, never read_lock).  vpm_ring_table_lock only orders updates
 * of the hash and of vpm->ring.  ring->lock is innermost.
 */
#ifndef VFIO_PCI_MMAP_RING_RING_H
#define VFIO_PCI_MMAP_RING_RING_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/vfio.h>
#include "../../include/uapi/linux/vfio_pci_mmap.h"
#include "vpm.h"
#include "index.h"

struct eventfd_ctx;
struct pci_dev;
struct vfio_pci_regops;

/* The first device-specific IRQ index: right after vfio-pci's own. */
#define VPM_RING_IRQ_INDEX	VFIO_PCI_NUM_IRQS

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

/*
 * The ring of a device whose file is in use: read(), write(), mmap(), an
 * ioctl, or a fault of a vma (which holds the file).  vpm_ring_open()
 * publishes it before the file can be used and vpm_ring_close() clears it
 * only once the file is released, so it cannot change under these paths;
 * producers, which may run at any time, use RCU instead.
 */
static inline struct vpm_ring *vpm_ring_of(struct vpm_device *vpm)
{
	return rcu_dereference_protected(vpm->ring, true);
}

static inline u64 vpm_ring_size(const struct vpm_ring *ring)
{
	return (u64)ring->nr_pages << PAGE_SHIFT;
}

/* The entry of free-running index @idx: masked, never out of the ring. */
static inline struct vfio_pci_mmap_fault_record *
vpm_ring_slot(struct vpm_ring *ring, u32 idx)
{
	size_t off = vpm_ring_entry_offset(idx, ring->nr_entries);

	return page_address(ring->pages[VPM_RING_ENTRIES_PAGE +
					(off >> PAGE_SHIFT)]) +
	       offset_in_page(off);
}

/* lifetime.c */
struct vpm_ring *vpm_ring_lookup_rcu(struct pci_dev *pdev);
struct vpm_ring *vpm_ring_get(struct vpm_device *vpm);
void vpm_ring_put(struct vpm_ring *ring);
void vpm_ring_unpublish(struct vpm_ring *ring);

/* produce.c */
bool vpm_ring_check_cons(struct vpm_ring *ring, u32 prod, u32 cons);

/* region.c */
extern const struct vfio_pci_regops vpm_ring_regops;

#endif /* VFIO_PCI_MMAP_RING_RING_H */
