// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_DEVICE_GET_REGION_INFO for BARs with sparse mmap areas, and the
 * capability chain builder it uses.
 *
 * The chain follows the uapi contract: when the user's argsz is too small
 * for the info and its capabilities, the CAPS flag is set, argsz is raised
 * to the size needed, cap_offset is 0, and the call succeeds.
 */
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include "vpm.h"
#include "region_info.h"
#include <kunit/visibility.h>

/**
 * vpm_caps_add() - append a capability to a chain being built
 * @caps: the chain; @caps->buf grows
 * @id: capability id
 * @version: capability version
 * @size: size of the whole capability, header included
 *
 * Offsets in the chain are relative to the chain's start until
 * vpm_caps_copy_out() shifts them.
 *
 * Return: the zeroed capability, or an ERR_PTR.
 */
struct vfio_info_cap_header *vpm_caps_add(struct vpm_caps *caps, u16 id,
					  u16 version, size_t size)
{
	struct vfio_info_cap_header *hdr, *prev;
	size_t off = ALIGN(caps->len, sizeof(u64));
	void *buf;

	if (size < sizeof(*hdr) || size > VPM_CAPS_MAX ||
	    off + size > VPM_CAPS_MAX)
		return ERR_PTR(-EINVAL);

	buf = krealloc(caps->buf, off + size, GFP_KERNEL | __GFP_ZERO);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	caps->buf = buf;
	memset(buf + caps->len, 0, off + size - caps->len);

	if (caps->len) {
		prev = buf + caps->last;
		prev->next = off;
	}
	hdr = buf + off;
	hdr->id = id;
	hdr->version = version;
	hdr->next = 0;
	caps->last = off;
	caps->len = off + size;
	return hdr;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_caps_add);

/**
 * vpm_caps_free() - free a chain
 * @caps: the chain
 */
void vpm_caps_free(struct vpm_caps *caps)
{
	kfree(caps->buf);
	caps->buf = NULL;
	caps->len = 0;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_caps_free);

/**
 * vpm_caps_finish() - shift a chain behind its info struct, fix the header
 * @caps: the chain
 * @info_size: size of the info struct the chain follows
 * @argsz: in: the user's buffer size; out: the size needed when too small
 * @flags: gets @caps_flag when the chain is not empty
 * @caps_flag: the info's CAPS flag
 * @cap_offset: set to @info_size when the chain fits, 0 otherwise
 *
 * Return: true if the chain fits and must be copied out behind the info.
 */
bool vpm_caps_finish(struct vpm_caps *caps, size_t info_size, u32 *argsz,
		     u32 *flags, u32 caps_flag, u32 *cap_offset)
{
	struct vfio_info_cap_header *hdr;
	size_t off;

	*cap_offset = 0;
	if (!caps->len)
		return false;

	*flags |= caps_flag;
	if (*argsz < info_size + caps->len) {
		*argsz = info_size + caps->len;
		return false;
	}

	for (off = 0;;) {
		hdr = caps->buf + off;
		off = hdr->next;
		if (!off)
			break;
		hdr->next = off + info_size;
	}
	*cap_offset = info_size;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_caps_finish);

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
	struct vfio_region_info_cap_sparse_mmap *sparse;
	struct vfio_region_info info;
	struct vpm_caps caps = {};
	const struct vpm_sparse *sp;
	size_t size;
	long ret = 0;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	if (info.index >= PCI_STD_NUM_BARS || !vpm->sparse[info.index].sparse)
		return -ENOIOCTLCMD;

	sp = &vpm->sparse[info.index];
	info.offset = VFIO_PCI_INDEX_TO_OFFSET(info.index);
	info.size = pci_resource_len(vdev->pdev, info.index);
	info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	if (vdev->bar_mmap_supported[info.index]) {
		info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
		size = struct_size(sparse, areas, sp->nr_areas);
		sparse = (void *)vpm_caps_add(&caps,
					      VFIO_REGION_INFO_CAP_SPARSE_MMAP,
					      1, size);
		if (IS_ERR(sparse))
			return PTR_ERR(sparse);
		sparse->nr_areas = sp->nr_areas;
		memcpy(sparse->areas, sp->areas,
		       sp->nr_areas * sizeof(sp->areas[0]));
	}

	if (vpm_caps_finish(&caps, sizeof(info), &info.argsz, &info.flags,
			    VFIO_REGION_INFO_FLAG_CAPS, &info.cap_offset) &&
	    copy_to_user(arg + sizeof(info), caps.buf, caps.len))
		ret = -EFAULT;
	vpm_caps_free(&caps);

	if (!ret && copy_to_user(arg, &info, minsz))
		ret = -EFAULT;
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ioctl_get_region_info);
