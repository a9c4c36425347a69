// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_block_fill: a 2 MiB-aligned block that will not be PMD-mapped is
 * filled by its first PTE fault, like a misaligned one.
 *
 * With THP disabled for the process (PR_SET_THP_DISABLE) no PMD fault
 * comes, and once a PTE table sits under the PMD (after any PTE fault and
 * after a zap) none ever comes for that block again.  Touching every page
 * of a 2 MiB-aligned 4 MiB mapping must then take at most 2 faults per
 * block, first with THP disabled, then again after a zap (memory decoding
 * toggled) with THP enabled.  The bytes must be the device's.
 *
 *   mmap_block_fill [--driver D] [--bdf BDF]
 * Device: ivshmem-plain (IVSHMEM_BDF), BAR2.
 */
#include "vfio_test.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#define BAR 2
#define LEN (2 * SZ_2M)
#define OFF (4 * SZ_2M)

static struct vt_dev d;

/* Touch every page; return the faults this thread took. */
static long touch_all(volatile char *map, const char *what)
{
	size_t done = 0;
	uint64_t sum = 0;
	long f0, f1;
	int res;

	f0 = vt_minflt_thread();
	res = vt_probe_touch(map, LEN, SZ_4K, &done, &sum);
	f1 = vt_minflt_thread();
	CHECK(res == VT_ACCESS_OK && done == LEN, "%s: every page reads (%s, %zu bytes)",
	      what, vt_probe_name(res), done);
	return f1 - f0;
}

static void check_bytes(volatile char *map, const char *what)
{
	uint32_t got = 0, i, bad = 0;

	for (i = 0; i < LEN / SZ_4K; i += 37) {
		uint32_t want = 0x5eed0000u ^ i;

		*(volatile uint32_t *)(map + (uint64_t)i * SZ_4K + 8) = want;
		if (vt_region_pread(&d, BAR, OFF + (uint64_t)i * SZ_4K + 8, &got, 4) != 4 ||
		    got != want)
			bad++;
	}
	CHECK(bad == 0, "%s: writes through the mapping reach the BAR (%u bad)",
	      what, bad);
}

int main(int argc, char **argv)
{
	const long max = 2 * (LEN / SZ_2M);
	volatile char *map;
	struct vt_region r;
	const char *bdf;
	long f;

	vt_parse_common_args(argc, argv, "IVSHMEM_BDF", &bdf);
	bdf = vt_require_bdf(bdf, "IVSHMEM_BDF");
	vt_open_or_skip(&d, bdf);
	if (vt_region_info(&d, BAR, &r) || r.size < OFF + LEN)
		vt_skip("BAR2 too small");
	vt_probe_warm();

	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		vt_skip("PR_SET_THP_DISABLE: %s", strerror(errno));
	map = vt_map(&d, BAR, OFF, LEN, SZ_2M, 0, PROT_READ | PROT_WRITE,
		     MAP_SHARED);
	if (!CHECK(map != MAP_FAILED, "mmap 4 MiB of BAR2, 2 MiB-aligned"))
		return vt_exit();

	f = touch_all(map, "THP disabled");
	vt_note("FIGURE block-fill driver=%s thp=off faults=%ld", vt_driver_name, f);
	if (vt_ours())
		CHECK_LE(f, max, "THP disabled: at most 2 faults per 2 MiB block");
	else
		vt_skip_check("stock vfio-pci faults page by page",
			      "THP disabled: at most 2 faults per block (%ld)", f);
	check_bytes(map, "THP disabled");

	/* A zap leaves the PTE tables: no PMD fault can come any more. */
	prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);
	vt_set_memory_enable(&d, false);
	vt_set_memory_enable(&d, true);
	f = touch_all(map, "after a zap");
	vt_note("FIGURE block-fill driver=%s after-zap faults=%ld", vt_driver_name, f);
	if (vt_ours())
		CHECK_LE(f, max, "after a zap: at most 2 faults per 2 MiB block");
	else
		vt_skip_check("stock vfio-pci faults page by page",
			      "after a zap: at most 2 faults per block (%ld)", f);
	check_bytes(map, "after a zap");

	munmap((void *)map, LEN);
	vt_close(&d);
	return vt_exit();
}
