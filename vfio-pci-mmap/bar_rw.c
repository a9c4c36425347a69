// SPDX-License-Identifier: GPL-2.0-only
/*
 * read() and write() of the BARs, admitted by the same gate as a fault.
 *
 * vfio-pci-core's BAR read/write checks only memory decoding, under
 * memory_lock; it knows nothing of the reset windows this driver opens for
 * resets the core does not lock (sysfs, a sibling's bus reset) or of
 * revocation.  So this driver serves BAR read()/write() itself: each
 * access of 1, 2, 4 or 8 bytes goes to the device between vpm_gate_enter()
 * and vpm_gate_exit(), the locks a fault holds, through the core's exported
 * accessors.  The user's buffer is copied with no lock held: it may be a
 * mapping of this very device, whose fault takes the same locks.
 *
 * As in vfio-pci-core, the MSI-X table reads as all-ones and drops writes,
 * the access is cut at the end of the BAR, and the device is resumed from
 * runtime suspend for the duration of the call.
 */
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/uaccess.h>
#include "vpm.h"
#include "exports.h"

union vpm_io_val {
	u8 b;
	u16 w;
	u32 l;
	u64 q;
};

/* The widest naturally aligned access that fits in @len bytes at @pos. */
static size_t vpm_io_width(loff_t pos, size_t len)
{
#if defined(ioread64) && defined(iowrite64)
	if (len >= 8 && !(pos % 8))
		return 8;
#endif
	if (len >= 4 && !(pos % 4))
		return 4;
	if (len >= 2 && !(pos % 2))
		return 2;
	return 1;
}

static void vpm_io_do(struct vfio_pci_core_device *vdev, void __iomem *io,
		      size_t width, union vpm_io_val *v, bool iswrite)
{
	/* test_mem false: the gate has checked memory decoding already. */
	switch (width) {
#if defined(ioread64) && defined(iowrite64)
	case 8:
		if (iswrite)
			vfio_pci_core_iowrite64(vdev, false, v->q, io);
		else
			vfio_pci_core_ioread64(vdev, false, &v->q, io);
		break;
#endif
	case 4:
		if (iswrite)
			vfio_pci_core_iowrite32(vdev, false, v->l, io);
		else
			vfio_pci_core_ioread32(vdev, false, &v->l, io);
		break;
	case 2:
		if (iswrite)
			vfio_pci_core_iowrite16(vdev, false, v->w, io);
		else
			vfio_pci_core_ioread16(vdev, false, &v->w, io);
		break;
	default:
		if (iswrite)
			vfio_pci_core_iowrite8(vdev, false, v->b, io);
		else
			vfio_pci_core_ioread8(vdev, false, &v->b, io);
		break;
	}
}

/* The bytes of [pos, pos + len) that fall in the MSI-X table, from pos. */
static size_t vpm_msix_overlap(struct vfio_pci_core_device *vdev, int bar,
			       loff_t pos, size_t len, size_t *before)
{
	loff_t start = vdev->msix_offset, end = start + vdev->msix_size;

	*before = len;
	if (bar != vdev->msix_bar || !vdev->msix_size || pos >= end)
		return 0;
	if (pos < start) {
		*before = min_t(size_t, len, start - pos);
		return 0;
	}
	return min_t(size_t, len, end - pos);
}

/* A read that sees all-ones, a write that is dropped: up to 8 bytes. */
static ssize_t vpm_bar_rw_ones(char __user *buf, size_t len, bool iswrite)
{
	u8 ones[8];

	len = min(len, sizeof(ones));
	if (iswrite)
		return len;
	memset(ones, 0xff, sizeof(ones));
	return copy_to_user(buf, ones, len) ? -EFAULT : len;
}

/* One access at @pos: returns the bytes done or a negative errno. */
static ssize_t vpm_bar_rw_one(struct vpm_device *vpm, int bar, bool mem,
			      char __user *buf, loff_t pos, size_t len,
			      bool iswrite)
{
	struct vfio_pci_core_device *vdev = &vpm->core;
	union vpm_io_val v = {};
	size_t width, skip, before;
	int ret;

	/* The MSI-X table: reads see all-ones, writes are dropped. */
	skip = vpm_msix_overlap(vdev, bar, pos, len, &before);
	if (skip)
		return vpm_bar_rw_ones(buf, skip, iswrite);

	width = vpm_io_width(pos, before);
	if (iswrite && copy_from_user(&v, buf, width))
		return -EFAULT;
	ret = vpm_gate_enter(vpm, mem);
	if (ret == VPM_GATE_ONES)
		return vpm_bar_rw_ones(buf, width, iswrite);
	if (ret)
		return ret;
	vpm_io_do(vdev, vdev->barmap[bar] + pos, width, &v, iswrite);
	vpm_gate_exit(vpm);
	if (!iswrite && copy_to_user(buf, &v, width))
		return -EFAULT;
	return width;
}

/**
 * vpm_bar_rw() - read() or write() of a BAR region
 * @vpm: the device
 * @buf: the user's buffer
 * @count: bytes requested
 * @ppos: the file position (region index and offset); advanced
 * @iswrite: write rather than read
 *
 * Return: the bytes done (all-ones read, writes dropped where the ones
 * policy applies); -EINVAL for an offset outside the BAR or a BAR that
 * does not exist; the gate's errno (-EAGAIN in a reset window, -ENODEV
 * once revoked, -EIO with memory decoding off or in low power, -EINTR
 * when killed while blocked) or -EFAULT, as vfio-pci-core, even when part
 * of the buffer was done.
 */
ssize_t vpm_bar_rw(struct vpm_device *vpm, char __user *buf, size_t count,
		   loff_t *ppos, bool iswrite)
{
	struct vfio_pci_core_device *vdev = &vpm->core;
	struct pci_dev *pdev = vdev->pdev;
	int bar = VFIO_PCI_OFFSET_TO_INDEX(*ppos);
	loff_t pos = *ppos & VFIO_PCI_OFFSET_MASK;
	bool mem = pci_resource_flags(pdev, bar) & IORESOURCE_MEM;
	ssize_t done = 0, ret = 0;

	if (!pci_resource_start(pdev, bar) ||
	    pos >= pci_resource_len(pdev, bar))
		return -EINVAL;
	/* Neither claim nor resume a device that is going away. */
	if (vpm_revoked(vpm))
		return -ENODEV;
	count = min_t(u64, count, pci_resource_len(pdev, bar) - pos);

	ret = vfio_pci_core_setup_barmap(vdev, bar);
	if (ret)
		return ret;
	if (pm_runtime_resume_and_get(&pdev->dev)) {
		pci_info_ratelimited(pdev, "vfio-pci-mmap: runtime resume failed\n");
		return -EIO;
	}
	while (done < count) {
		ret = vpm_bar_rw_one(vpm, bar, mem, buf + done, pos + done,
				     count - done, iswrite);
		if (ret < 0)
			break;
		done += ret;
	}
	pm_runtime_put(&pdev->dev);
	if (ret < 0)
		return ret;
	*ppos += done;
	return done;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_bar_rw);
