/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fault ring records: which records a producer may hand in, how the ring
 * stamps them, and the debugfs inject line that describes them.  Pure
 * functions of their arguments; see record.c.
 */
#ifndef VFIO_PCI_MMAP_RING_RECORD_H
#define VFIO_PCI_MMAP_RING_RECORD_H

#include <linux/bits.h>
#include <linux/types.h>
#include "../../include/uapi/linux/vfio_pci_mmap.h"

enum vpm_state;

/* The flags and perm bits a caller of vfio_pci_mmap_report_fault() may set. */
#define VPM_RECORD_FLAGS	(VFIO_PCI_MMAP_FAULT_F_PASID_VALID |	\
				 VFIO_PCI_MMAP_FAULT_F_ADDR_VALID |	\
				 VFIO_PCI_MMAP_FAULT_F_REGION_VALID)
#define VPM_RECORD_PERMS	(VFIO_PCI_MMAP_FAULT_PERM_READ |	\
				 VFIO_PCI_MMAP_FAULT_PERM_WRITE |	\
				 VFIO_PCI_MMAP_FAULT_PERM_EXEC |	\
				 VFIO_PCI_MMAP_FAULT_PERM_PRIV)
/* Records one debugfs inject line may ask for. */
#define VPM_RING_INJECT_MAX	BIT(20)

bool vpm_ring_record_valid(const struct vfio_pci_mmap_fault_record *rec);
void vpm_ring_record_encode(struct vfio_pci_mmap_fault_record *dst,
			    const struct vfio_pci_mmap_fault_record *src,
			    u64 seq, u64 timestamp_ns);
u16 vpm_ring_refused_reason(enum vpm_state state);
int vpm_ring_parse_inject(char *line, u32 *count,
			  struct vfio_pci_mmap_fault_record *r);

#endif /* VFIO_PCI_MMAP_RING_RECORD_H */
