// SPDX-License-Identifier: GPL-2.0-only
/*
 * uapi_header - include/uapi/linux/vfio_pci_mmap.h compiles in user space
 * with nothing but <linux/types.h> and <linux/vfio.h> before it, and its
 * layout is what docs/fault-ring.rst says.  Built with -std=c11 -pedantic;
 * the checks are at compile time, running it only prints a line.
 */
#include <linux/types.h>
#include <linux/vfio.h>
#include "../../include/uapi/linux/vfio_pci_mmap.h"

#define OFF(t, f) __builtin_offsetof(struct t, f)

_Static_assert(sizeof(struct vfio_pci_mmap_fault_record) == 64, "record");
_Static_assert(OFF(vfio_pci_mmap_fault_record, seq) == 16, "seq");
_Static_assert(OFF(vfio_pci_mmap_fault_record, timestamp_ns) == 24, "ts");
_Static_assert(OFF(vfio_pci_mmap_fault_record, addr) == 32, "addr");
_Static_assert(OFF(vfio_pci_mmap_fault_record, region_offset) == 48, "off");
_Static_assert(sizeof(struct vfio_pci_mmap_ring_header) == 64, "header");
_Static_assert(OFF(vfio_pci_mmap_ring_header, prod) == 16, "prod");
_Static_assert(OFF(vfio_pci_mmap_ring_header, lost) == 24, "lost");
_Static_assert(sizeof(struct vfio_pci_mmap_ring_consumer) == 8, "cons");
_Static_assert(sizeof(struct vfio_pci_mmap_region_info_cap_fault_ring) == 80,
	       "cap");
_Static_assert((VFIO_PCI_MMAP_REGION_TYPE & VFIO_REGION_TYPE_PCI_VENDOR_MASK) ==
	       VFIO_PCI_MMAP_VENDOR_ID && (VFIO_PCI_MMAP_REGION_TYPE >> 31) == 1,
	       "vendor type");
_Static_assert(VFIO_PCI_MMAP_REGION_INFO_CAP_FAULT_RING >
	       VFIO_REGION_INFO_CAP_NVLINK2_LNKSPD, "cap id");

int printf(const char *fmt, ...);

int main(void)
{
	if (VFIO_PCI_MMAP_REGION_TYPE !=
	    ((__u32)VFIO_REGION_TYPE_PCI_VENDOR_TYPE | VFIO_PCI_MMAP_VENDOR_ID)) {
		printf("not ok - region type is not a PCI vendor type\n");
		return 1;
	}
	printf("ok - the uapi header compiles alone and its layout holds\n");
	return 0;
}
