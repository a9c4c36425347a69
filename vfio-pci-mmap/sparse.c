// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sparse mmap areas.  By default the MSI-X BAR is mappable whole, as with
 * stock vfio-pci (which reports VFIO_REGION_INFO_CAP_MSIX_MAPPABLE), so
 * userspace written for vfio-pci keeps working.  With msix_mappable=0 the
 * pages holding the MSI-X table are left out (the PBA stays mappable): the
 * BAR reports VFIO_REGION_INFO_CAP_SPARSE_MMAP and an mmap not inside one
 * area fails.  The parameter is read at each open of a device.
 */
#include <linux/align.h>
#include <linux/minmax.h>
#include <linux/pci.h>
#include <linux/sort.h>
#include "vpm.h"
#include "sparse.h"
#include "exports.h"

static int vpm_range_cmp(const void *a, const void *b)
{
	const struct vpm_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/**
 * vpm_sparse_compute() - the mappable areas of a region around its holes
 * @region_size: the region's size in bytes (rounded up to @page_size)
 * @holes: byte ranges that must not be mapped, in any order, may overlap
 * @nr_holes: number of @holes, at most VPM_SPARSE_MAX_HOLES
 * @page_size: the kernel's page size; holes are widened to whole pages
 * @areas: output
 * @max_areas: room in @areas
 *
 * Return: the number of areas written (0 when the holes cover the whole
 * region), or -EINVAL for bad arguments, -E2BIG if @areas is too small.
 */
int vpm_sparse_compute(u64 region_size, const struct vpm_range *holes,
		       unsigned int nr_holes, unsigned long page_size,
		       struct vfio_region_sparse_mmap_area *areas,
		       unsigned int max_areas)
{
	struct vpm_range h[VPM_SPARSE_MAX_HOLES];
	u64 size, pos = 0;
	unsigned int i, n = 0;

	if (!page_size || !is_power_of_2(page_size) ||
	    nr_holes > VPM_SPARSE_MAX_HOLES || !region_size)
		return -EINVAL;
	size = ALIGN(region_size, (u64)page_size);
	if (size < region_size)
		return -EINVAL;

	for (i = 0; i < nr_holes; i++) {
		if (holes[i].start >= holes[i].end)
			return -EINVAL;
		/* Clamp before rounding up: a hole near U64_MAX must not wrap. */
		h[i].start = min(ALIGN_DOWN(holes[i].start, (u64)page_size),
				 size);
		h[i].end = holes[i].end >= size ? size :
			   ALIGN(holes[i].end, (u64)page_size);
	}
	sort(h, nr_holes, sizeof(h[0]), vpm_range_cmp, NULL);

	for (i = 0; i <= nr_holes; i++) {
		u64 end = i < nr_holes ? h[i].start : size;

		if (end > pos) {
			if (n == max_areas)
				return -E2BIG;
			areas[n].offset = pos;
			areas[n].size = end - pos;
			n++;
		}
		if (i < nr_holes)
			pos = max(pos, h[i].end);
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_sparse_compute);

/**
 * vpm_sparse_contains() - whether [@start, @start + @len) lies in one area
 * @sp: the BAR's areas
 * @start: byte offset in the BAR
 * @len: length in bytes
 *
 * Return: true if the range may be mapped.
 */
bool vpm_sparse_contains(const struct vpm_sparse *sp, u64 start, u64 len)
{
	unsigned int i;

	if (!sp->sparse)
		return true;
	if (start + len < start)
		return false;
	for (i = 0; i < sp->nr_areas; i++) {
		const struct vfio_region_sparse_mmap_area *a = &sp->areas[i];

		if (start >= a->offset && start + len <= a->offset + a->size)
			return true;
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_sparse_contains);

/**
 * vpm_sparse_setup() - compute the areas of every BAR at open_device
 * @vpm: the device, enabled by vfio_pci_core_enable()
 */
void vpm_sparse_setup(struct vpm_device *vpm)
{
	struct vfio_pci_core_device *vdev = &vpm->core;
	struct pci_dev *pdev = vdev->pdev;
	struct vpm_range holes[VPM_SPARSE_MAX_HOLES];
	struct vpm_sparse *sp;
	unsigned int nr = 0;
	int ret;

	memset(vpm->sparse, 0, sizeof(vpm->sparse));
	if (READ_ONCE(vpm_param_msix_mappable) || !pdev->msix_cap ||
	    vdev->msix_bar >= PCI_STD_NUM_BARS)
		return;

	/*
	 * The table only, as vfio-pci did before it made MSI-X BARs
	 * mappable whole (Linux 4.16): the PBA page stays mappable, and
	 * clients that map around the table alone (DPDK before 23.07) can
	 * map the rest of the BAR in one piece.
	 */
	holes[nr].start = vdev->msix_offset;
	holes[nr++].end = (u64)vdev->msix_offset + vdev->msix_size;

	sp = &vpm->sparse[vdev->msix_bar];
	ret = vpm_sparse_compute(pci_resource_len(pdev, vdev->msix_bar),
				 holes, nr, PAGE_SIZE, sp->areas,
				 ARRAY_SIZE(sp->areas));
	sp->sparse = true;
	sp->nr_areas = ret > 0 ? ret : 0;
}

/**
 * vpm_sparse_mappable() - whether an mmap request fits the BAR's areas
 * @vpm: the device
 * @index: BAR index
 * @start: byte offset in the BAR
 * @len: length in bytes
 *
 * Return: true if it may be mapped.
 */
bool vpm_sparse_mappable(struct vpm_device *vpm, u32 index, u64 start,
			 u64 len)
{
	if (index >= PCI_STD_NUM_BARS)
		return false;
	return vpm_sparse_contains(&vpm->sparse[index], start, len);
}
