/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sparse mmap areas of BARs: which parts of a region may be mapped.
 */
#ifndef VFIO_PCI_MMAP_SPARSE_H
#define VFIO_PCI_MMAP_SPARSE_H

#include <linux/types.h>
#include <linux/vfio.h>

#define VPM_SPARSE_MAX_HOLES	2
#define VPM_SPARSE_MAX_AREAS	(VPM_SPARSE_MAX_HOLES + 1)

struct vpm_device;

/**
 * struct vpm_range - a byte range [@start, @end)
 * @start: first byte
 * @end: one past the last byte
 */
struct vpm_range {
	u64 start;
	u64 end;
};

/**
 * struct vpm_sparse - the mappable areas of one BAR
 * @sparse: true when only @areas may be mapped; false: the whole BAR
 * @nr_areas: number of valid @areas (0: nothing may be mapped)
 * @areas: the areas, ascending, page aligned
 */
struct vpm_sparse {
	bool sparse;
	u32 nr_areas;
	struct vfio_region_sparse_mmap_area areas[VPM_SPARSE_MAX_AREAS];
};

int vpm_sparse_compute(u64 region_size, const struct vpm_range *holes,
		       unsigned int nr_holes, unsigned long page_size,
		       struct vfio_region_sparse_mmap_area *areas,
		       unsigned int max_areas);
bool vpm_sparse_contains(const struct vpm_sparse *sp, u64 start, u64 len);
void vpm_sparse_setup(struct vpm_device *vpm);
bool vpm_sparse_mappable(struct vpm_device *vpm, u32 index, u64 start,
			 u64 len);

#endif /* VFIO_PCI_MMAP_SPARSE_H */
