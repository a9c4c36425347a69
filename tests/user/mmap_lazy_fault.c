// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_lazy_fault: mmap() of a BAR populates nothing; the first access to
 * a page takes exactly one fault and reads the device.
 *
 *   mmap_lazy_fault [--driver vfio-pci|vfio-pci-mmap] [--bdf BDF]
 * Device: edu (EDU_BDF), BAR0, register 0 reads 0x010000ed.
 */
#include "vfio_test.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *bdf;
	struct vt_dev d;
	struct vt_region r;
	volatile char *map;
	uint32_t v = 0;
	long f0, f1, lf;
	size_t len, i;
	int res, pid = getpid();
	bool dbg;

	vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	vt_open_or_skip(&d, bdf);

	CHECK(vt_region_info(&d, VFIO_PCI_BAR0_REGION_INDEX, &r) == 0,
	      "BAR0 region info");
	vt_print_region(&r);
	CHECK(r.flags & VFIO_REGION_INFO_FLAG_MMAP, "BAR0 is mmap-able");
	CHECK_EQ(r.size, 0x100000, "edu BAR0 is 1 MiB");
	len = r.size ? r.size : 0x100000;

	dbg = vt_dbg_ready(bdf);
	if (dbg)
		CHECK_EQ(vt_count_lines(bdf, pid), 0, "no line before mmap");

	map = vt_map(&d, VFIO_PCI_BAR0_REGION_INDEX, 0, len, 0, 0,
		     PROT_READ | PROT_WRITE, MAP_SHARED);
	if (!CHECK(map != MAP_FAILED, "mmap BAR0 (%zu bytes)", len))
		return vt_exit();

	if (dbg) {
		struct vt_mapping m[VT_MAX_MAPPINGS];
		int n = vt_read_mappings_pid(bdf, pid, m, VT_MAX_MAPPINGS);

		vt_print_mappings("after mmap", m, n);
		CHECK_EQ(n, 1, "one tracked line after mmap");
		if (n == 1) {
			CHECK(vt_mapping_matches(&m[0], 0, (uintptr_t)map,
						 (uintptr_t)map + len, 0),
			      "line describes the mapping");
			CHECK_EQ(m[0].faults, 0,
				 "mapping populated nothing (faults=0)");
		}
	}

	vt_probe_warm();
	f0 = vt_minflt_thread();
	res = vt_probe_read32(map + EDU_REG_ID, &v);
	f1 = vt_minflt_thread();
	CHECK(res == VT_ACCESS_OK, "first read succeeds (%s)",
	      vt_probe_name(res));
	CHECK_EQ(v, EDU_ID_VALUE, "register 0 reads the edu id");
	CHECK_EQ(f1 - f0, 1, "first read took exactly one minor fault");

	f0 = vt_minflt_thread();
	res = vt_probe_read32(map + EDU_REG_ID, &v);
	f1 = vt_minflt_thread();
	CHECK(res == VT_ACCESS_OK && v == EDU_ID_VALUE, "second read ok");
	CHECK_EQ(f1 - f0, 0, "second read of the same page takes no fault");

	if (dbg) {
		lf = vt_mapping_faults(bdf, pid, (uintptr_t)map);
		CHECK_EQ(lf, 1, "debugfs counts one fault");
	}

	/*
	 * A second page: at most one fault (stock 6.12 maps one page per
	 * fault; a driver may map more than the faulting page at once).
	 */
	f0 = vt_minflt_thread();
	res = vt_probe_read32(map + SZ_4K, &v);
	f1 = vt_minflt_thread();
	CHECK(res == VT_ACCESS_OK, "read of page 1 succeeds (%s)",
	      vt_probe_name(res));
	vt_note("FIGURE lazy driver=%s page1-faults=%ld", vt_driver_name,
		f1 - f0);
	CHECK_LE(f1 - f0, 1, "page 1 takes at most one fault");

	/* Every page of the BAR: report the figure, bound it. */
	f0 = vt_minflt_thread();
	for (i = 0; i < len; i += SZ_4K) {
		res = vt_probe_read32(map + i, &v);
		if (res != VT_ACCESS_OK)
			break;
	}
	f1 = vt_minflt_thread();
	CHECK(i == len, "every page of BAR0 readable (stopped at 0x%zx)", i);
	vt_note("touching the remaining %zu pages took %ld minor faults",
		len / SZ_4K - 2, f1 - f0);
	CHECK_LE(f1 - f0, (long)(len / SZ_4K - 2),
		 "no more than one fault per page");

	munmap((void *)map, len);
	if (dbg)
		CHECK_EQ(vt_count_lines(bdf, pid), 0, "munmap drops the line");
	vt_close(&d);
	return vt_exit();
}
