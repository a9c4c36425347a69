/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Capability chains of VFIO info ioctls.
 */
#ifndef VFIO_PCI_MMAP_REGION_INFO_H
#define VFIO_PCI_MMAP_REGION_INFO_H

#include <linux/types.h>
#include <linux/vfio.h>

/* Upper bound of one chain; far above any chain this driver builds. */
#define VPM_CAPS_MAX	4096

/**
 * struct vpm_caps - a capability chain being built
 * @buf: the chain
 * @len: bytes used
 * @last: offset of the last capability's header
 */
struct vpm_caps {
	void *buf;
	size_t len;
	size_t last;
};

struct vfio_info_cap_header *vpm_caps_add(struct vpm_caps *caps, u16 id,
					  u16 version, size_t size);
void vpm_caps_free(struct vpm_caps *caps);
bool vpm_caps_finish(struct vpm_caps *caps, size_t info_size, u32 *argsz,
		     u32 *flags, u32 caps_flag, u32 *cap_offset);

#endif /* VFIO_PCI_MMAP_REGION_INFO_H */
