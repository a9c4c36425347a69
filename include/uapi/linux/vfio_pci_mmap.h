/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * vfio-pci-mmap: user interface of the fault ring region.
 *
 * Needs only <linux/types.h> and <linux/vfio.h>.  The full description,
 * with the layout drawn, is docs/fault-ring.rst.
 *
 * A device bound to vfio-pci-mmap has, while it is open, one
 * device-specific region of type VFIO_PCI_MMAP_REGION_TYPE and subtype
 * VFIO_PCI_MMAP_REGION_SUBTYPE_FAULT_RING.  The kernel produces fixed-size
 * fault records into it; the user consumes them, by mmap or by read().
 *
 * The region is made of three parts, each one whole number of pages (of the
 * kernel's page size, reported in the capability) and each one sparse mmap
 * area (VFIO_REGION_INFO_CAP_SPARSE_MMAP) of its own:
 *
 *   header   struct vfio_pci_mmap_ring_header      mapped read-only
 *   cons     struct vfio_pci_mmap_ring_consumer    the only writable page
 *   entries  nr_entries struct vfio_pci_mmap_fault_record, read-only
 *
 * Where the parts are, how big they are, and which VFIO IRQ index signals
 * new records come from the region-info capability
 * VFIO_PCI_MMAP_REGION_INFO_CAP_FAULT_RING, never from memory the user can
 * write.  The header repeats nr_entries and record_size for convenience.
 *
 * Indices are free-running __u32 counters; record i lives in entry
 * (i & (nr_entries - 1)).  nr_entries is a power of two.  The ring holds the
 * records [cons, prod): it is empty when prod == cons, full when
 * prod - cons == nr_entries.
 *
 * Producer (kernel), for each record: write the entry, then
 * store-release header.prod.  It reads cons once per operation (one
 * reported record, or a batch of at most 64 when many are produced at
 * once) with load-acquire and checks it lies in the window
 * [prod - nr_entries, prod] (u32 arithmetic).  A cons outside that window is invalid: the operation
 * treats the ring as full, counts one invalid_cons and sets
 * VFIO_PCI_MMAP_RING_F_CONS_INVALID until a valid cons is seen again.
 * Records that do not fit are dropped and counted in header.lost; a record
 * is never dropped without being counted.
 *
 * Consumer (user): load-acquire header.prod, read the entries [cons, prod),
 * then store-release the new cons.  Sequence numbers (seq) are consecutive
 * over every record the kernel tried to produce, so a gap in seq is exactly
 * the number of records lost at that point.
 *
 * read() and write() (pread/pwrite on the device fd at the region's offset
 * plus an offset within it), for users that do not mmap:
 *   - read inside the header or cons part: the bytes of that part.
 *   - read at any offset inside the entries part: consumes whole records
 *     from cons, at most count / record_size of them, advancing the same
 *     cons index as the mmap consumer (there is one cons index: the one in
 *     the cons page).  Returns the bytes copied, 0 when the ring is empty,
 *     -EINVAL if count is smaller than one record or cons is invalid.  The
 *     file position is not advanced: the entries part is a stream.
 *   - write of exactly 4 bytes at cons_offset: sets cons, which must lie in
 *     the window; -EINVAL otherwise.  Every other write is -EINVAL.
 * A user that mixes the two must not run them concurrently on one device:
 * the kernel stays safe, but records may be consumed twice or skipped.
 */
#ifndef _UAPI_LINUX_VFIO_PCI_MMAP_H
#define _UAPI_LINUX_VFIO_PCI_MMAP_H

#include <linux/types.h>
#include <linux/vfio.h>

/*
 * Region type: a PCI vendor type (bit 31, see VFIO_REGION_TYPE_PCI_VENDOR_TYPE
 * in <linux/vfio.h>) with vendor id 0xffff.  No PCI device has vendor id
 * 0xffff (it is what an absent function reads as), so no upstream vendor
 * region (IGD uses 0x8086, NVIDIA 0x10de, IBM 0x1014) can ever use this
 * type.  Another out-of-tree driver could pick the same value; users must
 * check that the device is bound to vfio-pci-mmap (VFIO_DEVICE_GET_INFO
 * does not say, sysfs does) or accept only the subtype and the capability
 * below together.
 */
#define VFIO_PCI_MMAP_VENDOR_ID			0xffff
/*
 * VFIO_REGION_TYPE_PCI_VENDOR_TYPE | VFIO_PCI_MMAP_VENDOR_ID, written
 * unsigned so that it is an integer constant expression in strict C
 * ((1 << 31) overflows int).
 */
#define VFIO_PCI_MMAP_REGION_TYPE		(0x80000000U | VFIO_PCI_MMAP_VENDOR_ID)
#define VFIO_PCI_MMAP_REGION_SUBTYPE_FAULT_RING	(1)

/*
 * Region-info capability id.  Upstream region-info capability ids are small
 * integers allocated in sequence (1 to 5 in Linux 6.12); 0xf0a1 is far
 * from them.  Interpret it only on a region whose VFIO_REGION_INFO_CAP_TYPE
 * is the type/subtype above.
 */
#define VFIO_PCI_MMAP_REGION_INFO_CAP_FAULT_RING	0xf0a1

/**
 * struct vfio_pci_mmap_region_info_cap_fault_ring - where the parts are
 * @header: capability header; id VFIO_PCI_MMAP_REGION_INFO_CAP_FAULT_RING,
 *	version 1.
 * @flags: none defined yet; 0.
 * @irq_index: VFIO IRQ index (VFIO_DEVICE_GET_IRQ_INFO, VFIO_DEVICE_SET_IRQS)
 *	of the eventfd signalled once per batch of new records.
 * @page_size: the kernel's page size; every offset and size below is a
 *	multiple of it.
 * @record_version: VFIO_PCI_MMAP_FAULT_RECORD_VERSION of the records.
 * @record_size: size of one record in bytes (64).
 * @nr_entries: number of entries, a power of two.
 * @header_offset: offset of the header part within the region.
 * @header_size: its size.
 * @cons_offset: offset of the consumer page within the region.
 * @cons_size: its size.
 * @entries_offset: offset of the entries within the region.
 * @entries_size: their size, nr_entries * record_size.
 */
struct vfio_pci_mmap_region_info_cap_fault_ring {
	struct vfio_info_cap_header header;
	__u32 flags;
	__u32 irq_index;
	__u32 page_size;
	__u32 record_version;
	__u32 record_size;
	__u32 nr_entries;
	__aligned_u64 header_offset;
	__aligned_u64 header_size;
	__aligned_u64 cons_offset;
	__aligned_u64 cons_size;
	__aligned_u64 entries_offset;
	__aligned_u64 entries_size;
};

#define VFIO_PCI_MMAP_RING_MAGIC	0x474e5246	/* "FRNG" */
#define VFIO_PCI_MMAP_RING_VERSION	1

/* header.flags */
/* The last operation found the consumer index outside the window. */
#define VFIO_PCI_MMAP_RING_F_CONS_INVALID	(1U << 0)

/**
 * struct vfio_pci_mmap_ring_header - the read-only header page
 * @magic: VFIO_PCI_MMAP_RING_MAGIC.
 * @version: VFIO_PCI_MMAP_RING_VERSION.
 * @record_size: size of one record (as in the capability).
 * @nr_entries: number of entries (as in the capability).
 * @flags: VFIO_PCI_MMAP_RING_F_*.
 * @prod: producer index, free running; written with release semantics
 *	after the record it publishes.
 * @reserved0: 0.
 * @lost: records dropped because the ring was full (or cons invalid).
 * @invalid_cons: operations that found the consumer index invalid.
 * @produced: records published since the device was opened.
 * @reserved: 0.
 *
 * The 64-bit counters are informative: they are not ordered against @prod
 * and may be read torn on 32-bit user space.
 */
struct vfio_pci_mmap_ring_header {
	__u32 magic;
	__u16 version;
	__u16 record_size;
	__u32 nr_entries;
	__u32 flags;
	__u32 prod;
	__u32 reserved0;
	__aligned_u64 lost;
	__aligned_u64 invalid_cons;
	__aligned_u64 produced;
	__aligned_u64 reserved[2];
};

/**
 * struct vfio_pci_mmap_ring_consumer - the writable page
 * @cons: consumer index, free running; store it with release semantics
 *	after reading the records it frees.
 * @reserved: ignored by the kernel.
 */
struct vfio_pci_mmap_ring_consumer {
	__u32 cons;
	__u32 reserved;
};

#define VFIO_PCI_MMAP_FAULT_RECORD_VERSION	1

/* record.type: 0 is never produced. */
/* A DMA fault reported by kernel code (vfio_pci_mmap_report_fault()). */
#define VFIO_PCI_MMAP_FAULT_TYPE_DMA		1
/* A user access to a mapping of a BAR was refused with SIGBUS. */
#define VFIO_PCI_MMAP_FAULT_TYPE_MMAP_REFUSED	2
/* The device was reset; marks the point in the stream. */
#define VFIO_PCI_MMAP_FAULT_TYPE_RESET		3
#define VFIO_PCI_MMAP_FAULT_TYPE_MAX		3

/* record.reason for VFIO_PCI_MMAP_FAULT_TYPE_DMA */
#define VFIO_PCI_MMAP_FAULT_REASON_UNKNOWN	0
#define VFIO_PCI_MMAP_FAULT_REASON_PASID_FETCH	1 /* cannot fetch PASID table entry */
#define VFIO_PCI_MMAP_FAULT_REASON_BAD_PASIDTE	2 /* PASID table entry invalid */
#define VFIO_PCI_MMAP_FAULT_REASON_PASID_INVALID 3 /* PASID out of range */
#define VFIO_PCI_MMAP_FAULT_REASON_WALK_EABT	4 /* external abort in a walk */
#define VFIO_PCI_MMAP_FAULT_REASON_PTE_FETCH	5 /* cannot fetch a page table entry */
#define VFIO_PCI_MMAP_FAULT_REASON_PERMISSION	6 /* access flags forbid it */
#define VFIO_PCI_MMAP_FAULT_REASON_ACCESS	7 /* access flag fault */
#define VFIO_PCI_MMAP_FAULT_REASON_OOR_ADDRESS	8 /* address out of range */

/* record.reason for VFIO_PCI_MMAP_FAULT_TYPE_MMAP_REFUSED: device state */
#define VFIO_PCI_MMAP_REFUSED_UNKNOWN		0
#define VFIO_PCI_MMAP_REFUSED_MEM_DISABLED	1 /* PCI_COMMAND_MEMORY clear */
#define VFIO_PCI_MMAP_REFUSED_LOW_POWER		2 /* D3hot or runtime suspended */
#define VFIO_PCI_MMAP_REFUSED_RESETTING		3 /* inside a reset */
#define VFIO_PCI_MMAP_REFUSED_REVOKED		4 /* the device is going away */

/* record.flags */
#define VFIO_PCI_MMAP_FAULT_F_PASID_VALID	(1U << 0) /* pasid is valid */
#define VFIO_PCI_MMAP_FAULT_F_ADDR_VALID	(1U << 1) /* addr is valid */
#define VFIO_PCI_MMAP_FAULT_F_REGION_VALID	(1U << 2) /* region_* valid */
#define VFIO_PCI_MMAP_FAULT_F_INJECTED		(1U << 3) /* debugfs inject */

/* record.perm: the access that faulted */
#define VFIO_PCI_MMAP_FAULT_PERM_READ		(1U << 0)
#define VFIO_PCI_MMAP_FAULT_PERM_WRITE		(1U << 1)
#define VFIO_PCI_MMAP_FAULT_PERM_EXEC		(1U << 2)
#define VFIO_PCI_MMAP_FAULT_PERM_PRIV		(1U << 3)

/**
 * struct vfio_pci_mmap_fault_record - one entry of the ring
 * @version: VFIO_PCI_MMAP_FAULT_RECORD_VERSION.  A later version only
 *	adds meaning to reserved fields and flags; the size stays 64.
 * @size: sizeof(struct vfio_pci_mmap_fault_record), 64.
 * @type: VFIO_PCI_MMAP_FAULT_TYPE_*.
 * @reason: by @type: VFIO_PCI_MMAP_FAULT_REASON_* or VFIO_PCI_MMAP_REFUSED_*.
 * @flags: VFIO_PCI_MMAP_FAULT_F_*: which optional fields are valid.
 * @pasid: PASID of the faulting request, if VFIO_PCI_MMAP_FAULT_F_PASID_VALID.
 * @seq: sequence number, from 1, consecutive over every record the kernel
 *	tried to produce since the device was opened (lost ones included).
 * @timestamp_ns: CLOCK_MONOTONIC time the record was produced, in ns.
 * @addr: faulting address (IOVA for DMA), if VFIO_PCI_MMAP_FAULT_F_ADDR_VALID.
 * @perm: VFIO_PCI_MMAP_FAULT_PERM_* of the access.
 * @region_index: VFIO region index, if VFIO_PCI_MMAP_FAULT_F_REGION_VALID.
 * @region_offset: offset within that region, likewise.
 * @reserved: 0.
 */
struct vfio_pci_mmap_fault_record {
	__u16 version;
	__u16 size;
	__u16 type;
	__u16 reason;
	__u32 flags;
	__u32 pasid;
	__aligned_u64 seq;
	__aligned_u64 timestamp_ns;
	__aligned_u64 addr;
	__u32 perm;
	__u32 region_index;
	__aligned_u64 region_offset;
	__aligned_u64 reserved;
};

/*
 * VFIO_DEVICE_FEATURE_PCI_MMAP_ACCESS_POLICY: what an access to a BAR gets
 * while the device cannot answer it, one policy per state.
 *
 * Feature index.  Upstream feature indexes are small integers allocated in
 * sequence (0 to 10 in Linux 6.12, VFIO_DEVICE_FEATURE_BUS_MASTER the
 * last); 0xf0a1 is far from them, as the capability id above.  Another
 * out-of-tree driver could pick the same value: as for the region type,
 * use it only on a device bound to vfio-pci-mmap.  PROBE with GET or SET
 * tells whether the driver answers it.
 *
 * GET fills the structure with the device's policies; SET replaces them.
 * Each field takes one of the VFIO_PCI_MMAP_POLICY_* values its state
 * allows:
 *
 *   resetting      BLOCK (default): a fault or a read()/write() waits,
 *                  killably, until the reset window closes, then reaches
 *                  the device; after block_timeout_ms it gets SIGBUS
 *                  (read()/write(): -EAGAIN).  SIGBUS: at once.
 *   mem_disabled,  SIGBUS (default): SIGBUS (read()/write(): -EIO).
 *   low_power      ONES: reads return all-ones, as a device that does not
 *                  decode answers; writes reach neither the device nor any
 *                  other page, mapping or process.
 *   revoked        AUTO (ONES when the user registered a request eventfd,
 *                  else SIGBUS), SIGBUS or ONES; read()/write(): -ENODEV.
 *
 * block_timeout_ms bounds a reset window's wait (1 to 600000).  SET fails
 * with -EINVAL for a value a field does not allow or a nonzero reserved
 * field, and with -EBUSY unless the device is enabled (no reset window,
 * memory decoding on, full power, not revoked); either way nothing
 * changes.  The module parameters policy_resetting, policy_mem_disabled,
 * policy_low_power, revoke and block_timeout_ms give the values a device
 * starts with at each open.
 */
#define VFIO_DEVICE_FEATURE_PCI_MMAP_ACCESS_POLICY	0xf0a1

#define VFIO_PCI_MMAP_POLICY_AUTO	0
#define VFIO_PCI_MMAP_POLICY_SIGBUS	1
#define VFIO_PCI_MMAP_POLICY_ONES	2
#define VFIO_PCI_MMAP_POLICY_BLOCK	3

struct vfio_pci_mmap_access_policy {
	__u32 resetting;
	__u32 mem_disabled;
	__u32 low_power;
	__u32 revoked;
	__u32 block_timeout_ms;
	__u32 reserved;
};

#endif /* _UAPI_LINUX_VFIO_PCI_MMAP_H */
