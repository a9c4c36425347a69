// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_rw_ioctls: the device file's paths no other program takes, each
 * with its result pinned:
 *
 * - read()/write() of BAR0 one and two bytes wide (the gate's narrow
 *   accesses; edu ignores writes of those widths);
 * - write() of a region the driver leaves to vfio-pci-core (the ROM: edu
 *   has none, EINVAL);
 * - VFIO_DEVICE_IOEVENTFD set up outside a reset window, then torn down;
 * - VFIO_DEVICE_PCI_HOT_RESET with a malformed argument (EINVAL from the
 *   core, through the driver's reset bracket), after which BAR0 still
 *   reads its identification register.
 *
 *   mmap_rw_ioctls [--driver D] [--bdf BDF]
 * Device: edu (EDU_BDF).
 */
#include "vfio_test.h"

#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define EDU_ID		0x00
#define EDU_LIVENESS	0x04

static struct vt_dev d;

int main(int argc, char **argv)
{
	struct vfio_device_ioeventfd ioe = { .argsz = sizeof(ioe) };
	struct vfio_pci_hot_reset reset = { .argsz = 4 };
	const uint32_t bar0 = VFIO_PCI_BAR0_REGION_INDEX;
	const char *bdf;
	uint32_t id = 0;
	uint16_t w = 0;
	uint8_t b = 0;
	int efd;

	vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	vt_open_or_skip(&d, bdf);

	CHECK_EQ(vt_region_pread(&d, bar0, EDU_ID, &id, 4), 4, "read 4 bytes of BAR0");
	CHECK_EQ(id, 0x010000ed, "the identification register");
	CHECK_EQ(vt_region_pread(&d, bar0, EDU_ID + 1, &b, 1), 1, "read 1 byte of BAR0");
	CHECK_EQ(vt_region_pread(&d, bar0, EDU_ID + 2, &w, 2), 2, "read 2 bytes of BAR0");
	CHECK_EQ(vt_region_pwrite(&d, bar0, EDU_LIVENESS + 1, &b, 1), 1,
		 "write 1 byte of BAR0");
	CHECK_EQ(vt_region_pwrite(&d, bar0, EDU_LIVENESS + 2, &w, 2), 2,
		 "write 2 bytes of BAR0");
	/* Three bytes at an odd offset: one byte, then two. */
	CHECK_EQ(vt_region_pread(&d, bar0, EDU_ID + 1, &id, 3), 3,
		 "read 3 bytes of BAR0 at an odd offset");

	CHECK_EQ(vt_region_pwrite(&d, VFIO_PCI_ROM_REGION_INDEX, 0, &id, 4),
		 -EINVAL, "write of the ROM region, which edu lacks, is the core's EINVAL");

	efd = eventfd(0, EFD_CLOEXEC);
	if (CHECK(efd >= 0, "eventfd")) {
		ioe.flags = VFIO_DEVICE_IOEVENTFD_32;
		ioe.offset = d.region_off[bar0] + EDU_LIVENESS;
		ioe.data = 0;
		ioe.fd = efd;
		CHECK(ioctl(d.fd, VFIO_DEVICE_IOEVENTFD, &ioe) == 0,
		      "VFIO_DEVICE_IOEVENTFD set up on BAR0 (errno %d)", errno);
		ioe.fd = -1;
		CHECK(ioctl(d.fd, VFIO_DEVICE_IOEVENTFD, &ioe) == 0,
		      "VFIO_DEVICE_IOEVENTFD torn down (errno %d)", errno);
		close(efd);
	}
	ioe.fd = -1;
	ioe.offset = d.region_off[bar0] + EDU_ID;
	CHECK_ERRNO(ioctl(d.fd, VFIO_DEVICE_IOEVENTFD, &ioe), ENODEV,
		    "tearing down an ioeventfd that is not there");

	CHECK_ERRNO(ioctl(d.fd, VFIO_DEVICE_PCI_HOT_RESET, &reset), EINVAL,
		    "VFIO_DEVICE_PCI_HOT_RESET with a short argsz");
	id = 0;
	CHECK_EQ(vt_region_pread(&d, bar0, EDU_ID, &id, 4), 4, "read BAR0 after it");
	CHECK_EQ(id, 0x010000ed, "the identification register after it");

	vt_close(&d);
	return vt_exit();
}
