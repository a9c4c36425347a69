// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_sysfs_reset: a reset through /sys/bus/pci/devices/BDF/reset while
 * the BAR is mapped.  Our driver zaps the mapping around it (the next
 * access re-faults); stock vfio-pci does not, so that assertion is skipped
 * for it.  Both must read the device correctly afterwards.
 *
 *   mmap_sysfs_reset [--driver D] [--bdf BDF]      (as root)
 * Device: edu (EDU_BDF), BAR0.
 */
#include "vfio_test.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *bdf;
	struct vt_dev d;
	volatile char *map;
	char path[256];
	uint32_t v = 0;
	long f0, f1;
	double t0;
	int res, ret, i;

	vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	if (geteuid() != 0)
		vt_skip("needs root to write the sysfs reset file");
	vt_reset_path_or_skip(bdf, path, sizeof(path));
	vt_open_or_skip(&d, bdf);
	vt_dbg_ready(bdf);

	map = vt_map_edu(&d, PROT_READ | PROT_WRITE, &res, &v);
	if (!map)
		return vt_exit();
	CHECK(res == VT_ACCESS_OK && v == EDU_ID_VALUE,
	      "read before reset (%s 0x%x)", vt_probe_name(res), v);

	for (i = 1; i <= 2; i++) {
		t0 = vt_now();
		ret = vt_write_file(path, "1");
		CHECK(ret == 0, "reset %d: write 1 to %s (%s, %.1f ms)", i, path,
		      ret ? strerror(-ret) : "0", (vt_now() - t0) * 1e3);
		vt_expect_state(bdf, "enabled");

		f0 = vt_minflt_thread();
		res = vt_probe_read32(map + EDU_REG_ID, &v);
		f1 = vt_minflt_thread();
		CHECK(res == VT_ACCESS_OK, "reset %d: access after sysfs reset works (%s)",
		      i, vt_probe_name(res));
		CHECK_EQ(v, EDU_ID_VALUE, "access after sysfs reset reads the edu id");
		vt_note("FIGURE sysfs-reset driver=%s faults-after=%ld", vt_driver_name,
			f1 - f0);
		if (vt_ours())
			CHECK_EQ(f1 - f0, 1, "the sysfs reset zapped the mapping (re-fault)");
		else
			vt_skip_check("stock vfio-pci does not zap on a sysfs reset",
				      "the sysfs reset zapped the mapping (%ld faults)",
				      f1 - f0);
	}

	munmap((void *)map, SZ_4K);
	vt_close(&d);
	return vt_exit();
}
