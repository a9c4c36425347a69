// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_DEVICE_GET_REGION_INFO for BARs with sparse mmap areas.
 *
 * The capability chain is vfio's own (vfio_info_add_capability(),
 * vfio_info_cap_shift()) and follows the uapi contract: when the user's
 * argsz is too small for the info and its capabilities, the CAPS flag is
 * set, argsz is raised to the size needed, cap_offset is 0, and the call
 * succeeds.
 */
#include <linux/nospec.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include "vpm.h"
#include "exports.h"

/* The sparse mmap capability of BAR @index, appended to @caps. */
static int vpm_add_sparse_cap(struct vpm_device *vpm, u32 index,
			      struct vfio_info_cap *caps)
{
	const struct vpm_sparse *sp = &vpm->sparse[index];
	struct vfio_region_info_cap_sparse_mmap *sparse;
	size_t size = struct_size(sparse, areas, sp->nr_areas);
	int ret;

	sparse = kzalloc(size, GFP_KERNEL);
	if (!sparse)
		return -ENOMEM;
	sparse->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	sparse->header.version = 1;
	sparse->nr_areas = sp->nr_areas;
	memcpy(sparse->areas, sp->areas, sp->nr_areas * sizeof(sp->areas[0]));
	ret = vfio_info_add_capability(caps, &sparse->header, size);
	kfree(sparse);
	return ret;
}

/**
 * vpm_ioctl_get_region_info() - GET_REGION_INFO for sparse BARs
 * @vpm: the device
 * @arg: the user's struct vfio_region_info
 *
 * Return: 0, a negative errno, or -ENOIOCTLCMD when the region is not one
 * this driver describes (the caller delegates to vfio-pci-core).
 */
long vpm_ioctl_get_region_info(struct vpm_device *vpm, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_pci_core_device *vdev = &vpm->core;
	struct vfio_info_cap caps = {};
	struct vfio_region_info info;
	u32 index;
	long ret = 0;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	if (info.index >= PCI_STD_NUM_BARS)
		return -ENOIOCTLCMD;
	index = array_index_nospec(info.index, PCI_STD_NUM_BARS);
	if (!vpm->sparse[index].sparse)
		return -ENOIOCTLCMD;

	info.offset = VFIO_PCI_INDEX_TO_OFFSET(index);
	info.size = pci_resource_len(vdev->pdev, index);
	info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	info.cap_offset = 0;
	if (vdev->bar_mmap_supported[index]) {
		info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
		ret = vpm_add_sparse_cap(vpm, index, &caps);
		if (ret)
			return ret;
	}

	if (caps.size) {
		info.flags |= VFIO_REGION_INFO_FLAG_CAPS;
		if (info.argsz < sizeof(info) + caps.size) {
			info.argsz = sizeof(info) + caps.size;
		} else {
			vfio_info_cap_shift(&caps, sizeof(info));
			if (copy_to_user(arg + sizeof(info), caps.buf,
					 caps.size))
				ret = -EFAULT;
			info.cap_offset = sizeof(info);
		}
		kfree(caps.buf);
	}

	if (!ret && copy_to_user(arg, &info, minsz))
		ret = -EFAULT;
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ioctl_get_region_info);
