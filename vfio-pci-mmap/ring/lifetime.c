// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fault ring's lifetime: allocation at open, publication (vpm->ring
 * for the driver's own producers, the hash of open rings for
 * vfio_pci_mmap_report_fault(), which has only a pci_dev), references for
 * sleeping users, close, and revocation.  Memory, producers and the lock
 * order are described in ring.h.
 *
 * A ring is reachable by producers from vpm_ring_open() until
 * vpm_ring_unpublish(), which vpm_ring_close() and the region's release op
 * both call: it clears vpm->ring and unhashes the ring, marks it dead under
 * ring->lock and waits for a grace period, so that no RCU reader is still
 * inside the ring when the release op drops the open device's reference.
 * The pages are freed with the last reference; vpm_ring_get() takes one
 * only while the count is not zero.
 */
#include <linux/eventfd.h>
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/vfio_pci_core.h>
#include "vpm.h"
#include "fault_ring.h"
#include "ring.h"
#include "exports.h"

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

/* Open rings by pci_dev: lookups under RCU, updates under the mutex. */
static DEFINE_HASHTABLE(vpm_ring_table, 5);
static DEFINE_MUTEX(vpm_ring_table_lock);

/**
 * vpm_ring_lookup_rcu() - the open ring of a PCI function
 * @pdev: the function
 *
 * Context: rcu_read_lock() held; the ring may be closing (see ring->live).
 * Return: the ring, or NULL when @pdev has no open ring.
 */
struct vpm_ring *vpm_ring_lookup_rcu(struct pci_dev *pdev)
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

/**
 * vpm_ring_put() - drop a reference to a ring
 * @ring: the ring; freed with its pages at the last reference
 */
void vpm_ring_put(struct vpm_ring *ring)
{
	kref_put(&ring->kref, vpm_ring_release_kref);
}

/**
 * vpm_ring_get() - a reference to a device's open ring
 * @vpm: the device
 *
 * For paths that sleep while they use the ring; drop it with
 * vpm_ring_put().
 *
 * Return: the ring, or NULL when the device is not open.
 */
struct vpm_ring *vpm_ring_get(struct vpm_device *vpm)
{
	struct vpm_ring *ring;

	rcu_read_lock();
	ring = rcu_dereference(vpm->ring);
	if (ring && !kref_get_unless_zero(&ring->kref))
		ring = NULL;
	rcu_read_unlock();
	return ring;
}

/**
 * vpm_ring_unpublish() - take a ring out of reach of producers
 * @ring: the ring
 *
 * Clears vpm->ring and unhashes it, marks it dead, drops the eventfd, and
 * waits until no RCU producer can still be inside it: the grace period
 * covers both ways producers find it.  Idempotent; may sleep.
 */
void vpm_ring_unpublish(struct vpm_ring *ring)
{
	struct vpm_device *vpm = ring->vpm;
	struct eventfd_ctx *old;
	struct vpm_ring *cur;
	unsigned long flags;
	bool was_live;

	mutex_lock(&vpm_ring_table_lock);
	if (!hlist_unhashed(&ring->node))
		hash_del_rcu(&ring->node);
	cur = rcu_dereference_protected(vpm->ring,
					lockdep_is_held(&vpm_ring_table_lock));
	if (cur == ring)
		RCU_INIT_POINTER(vpm->ring, NULL);
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

/* A live ring of @entries zeroed entries with its header written. */
static struct vpm_ring *vpm_ring_alloc(struct vpm_device *vpm, u32 entries)
{
	unsigned int nr_pages = vpm_ring_nr_pages(entries), i;
	struct vpm_ring *ring;

	ring = kzalloc(struct_size(ring, pages, nr_pages), GFP_KERNEL);
	if (!ring)
		return NULL;
	ring->nr_pages = nr_pages;
	kref_init(&ring->kref);
	INIT_HLIST_NODE(&ring->node);
	spin_lock_init(&ring->lock);
	mutex_init(&ring->igate);
	mutex_init(&ring->read_lock);
	ring->vpm = vpm;
	ring->pdev = vpm->core.pdev;
	ring->nr_entries = entries;
	ring->live = true;

	for (i = 0; i < nr_pages; i++) {
		ring->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!ring->pages[i]) {
			vpm_ring_free(ring);
			return NULL;
		}
	}
	ring->hdr = page_address(ring->pages[VPM_RING_HDR_PAGE]);
	ring->cpage = page_address(ring->pages[VPM_RING_CONS_PAGE]);
	ring->hdr->magic = VFIO_PCI_MMAP_RING_MAGIC;
	ring->hdr->version = VFIO_PCI_MMAP_RING_VERSION;
	ring->hdr->record_size = VPM_RING_RECORD_SIZE;
	ring->hdr->nr_entries = entries;
	return ring;
}

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
 * Return: 0 or a negative errno; the device has no ring on failure.
 */
int vpm_ring_open(struct vpm_device *vpm)
{
	struct vfio_pci_core_device *vdev = &vpm->core;
	struct vpm_ring *ring;
	u32 entries;
	int ret;

	entries = vpm_ring_entries_from_param(READ_ONCE(vpm_ring_entries));
	ring = vpm_ring_alloc(vpm, entries);
	if (!ring)
		return -ENOMEM;

	ring->index = VFIO_PCI_NUM_REGIONS + vdev->num_regions;
	ret = vfio_pci_core_register_dev_region(vdev, VFIO_PCI_MMAP_REGION_TYPE,
						VFIO_PCI_MMAP_REGION_SUBTYPE_FAULT_RING,
						&vpm_ring_regops,
						vpm_ring_size(ring),
						VPM_RING_REGION_FLAGS, ring);
	if (ret) {
		vpm_ring_free(ring);
		return ret;
	}

	/* Initialised before it is reachable: the publishes order it. */
	mutex_lock(&vpm_ring_table_lock);
	hash_add_rcu(vpm_ring_table, &ring->node, (unsigned long)ring->pdev);
	rcu_assign_pointer(vpm->ring, ring);
	mutex_unlock(&vpm_ring_table_lock);
	return 0;
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
	struct vpm_ring *ring = vpm_ring_of(vpm);

	if (ring)
		vpm_ring_unpublish(ring);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ring_close);

/**
 * vpm_ring_region_index() - the region index of the device's fault ring
 * @vpm: the device, whose file is in use (see vpm_ring_of())
 *
 * Return: the index, or -1 when the device has no ring.
 */
int vpm_ring_region_index(struct vpm_device *vpm)
{
	struct vpm_ring *ring = vpm_ring_of(vpm);

	return ring ? ring->index : -1;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ring_region_index);

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
	struct vpm_ring *ring = vpm_ring_of(vpm);

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
	ring = vpm_ring_get(vpm);
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
