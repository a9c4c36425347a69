// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_reset: VFIO_DEVICE_RESET zaps the mapping; the next access
 * re-faults and reads the device again.
 *
 *   mmap_reset [--driver D] [--bdf BDF]
 * Device: edu (EDU_BDF), BAR0.
 */
#include "vfio_test.h"

#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *bdf;
	struct vt_dev d;
	volatile char *map;
	uint32_t v = 0;
	long f0, f1, lf;
	int res, i, ret;
	bool dbg;

	vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	vt_open_or_skip(&d, bdf);
	dbg = vt_dbg_ready(bdf);

	map = vt_map_edu(&d, PROT_READ | PROT_WRITE, &res, &v);
	if (!map)
		return vt_exit();
	CHECK(res == VT_ACCESS_OK && v == EDU_ID_VALUE,
	      "read before reset: %s 0x%x", vt_probe_name(res), v);
	vt_expect_state(bdf, "enabled");

	for (i = 1; i <= 3; i++) {
		double t0 = vt_now();

		/* Populated: a read takes no fault. */
		f0 = vt_minflt_thread();
		res = vt_probe_read32(map + EDU_REG_ID, &v);
		f1 = vt_minflt_thread();
		CHECK(res == VT_ACCESS_OK && f1 == f0,
		      "reset %d: page populated before reset (%ld faults)",
		      i, f1 - f0);

		ret = vt_reset(&d);
		if (!CHECK(ret == 0, "reset %d: VFIO_DEVICE_RESET (%s, %.1f ms)",
			   i, ret ? strerror(-ret) : "0",
			   (vt_now() - t0) * 1e3))
			break;
		vt_expect_state(bdf, "enabled");

		f0 = vt_minflt_thread();
		res = vt_probe_read32(map + EDU_REG_ID, &v);
		f1 = vt_minflt_thread();
		CHECK(res == VT_ACCESS_OK,
		      "reset %d: access after reset succeeds (%s)", i,
		      vt_probe_name(res));
		CHECK_EQ(v, EDU_ID_VALUE, "access after reset reads the edu id");
		CHECK_EQ(f1 - f0, 1, "access after reset re-faults once");
		if (dbg) {
			lf = vt_mapping_faults(bdf, getpid(), (uintptr_t)map);
			CHECK_EQ(lf, i + 1, "debugfs faults count the re-fault");
		}
	}

	munmap((void *)map, SZ_4K);
	vt_close(&d);
	return vt_exit();
}
