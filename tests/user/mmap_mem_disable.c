// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_mem_disable: clearing PCI_COMMAND_MEMORY through the config region
 * zaps the mapping; accesses then take SIGBUS and never reach the device;
 * setting it again makes the next access re-fault and work.
 *
 *   mmap_mem_disable [--driver D] [--bdf BDF]
 * Device: edu (EDU_BDF), BAR0.  Register 4 (liveness) reads back the
 * complement of the last value written, which shows whether a store
 * reached the device.
 */
#include "vfio_test.h"

#include <sys/mman.h>
#include <unistd.h>
#include <linux/pci_regs.h>

int main(int argc, char **argv)
{
	const char *bdf;
	struct vt_dev d;
	volatile char *map;
	uint32_t v = 0, before = 0x12345678, during = 0x0badf00d;
	long f0, f1;
	int res, ret, round;
	uint16_t cmd;
	ssize_t n;

	vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	vt_open_or_skip(&d, bdf);
	vt_dbg_ready(bdf);

	map = vt_map(&d, VFIO_PCI_BAR0_REGION_INDEX, 0, SZ_4K, 0, 0,
		     PROT_READ | PROT_WRITE, MAP_SHARED);
	if (!CHECK(map != MAP_FAILED, "mmap BAR0 page 0"))
		return vt_exit();
	vt_probe_warm();

	for (round = 1; round <= 2; round++) {
		before += round;
		res = vt_probe_write32(map + EDU_REG_LIVENESS, before);
		CHECK(res == VT_ACCESS_OK, "round %d: store with memory enabled", round);
		res = vt_probe_read32(map + EDU_REG_LIVENESS, &v);
		CHECK(res == VT_ACCESS_OK && v == ~before,
		      "round %d: liveness reads back ~value (0x%x)", round, v);

		ret = vt_set_memory_enable(&d, false);
		CHECK(ret == 0, "round %d: clear PCI_COMMAND_MEMORY (%d)", round, ret);
		cmd = vt_cfg_read16(&d, PCI_COMMAND);
		CHECK(!(cmd & PCI_COMMAND_MEMORY),
		      "command register reads memory disabled (0x%x)", cmd);
		vt_expect_state(bdf, "mem_disabled");

		v = 0;
		res = vt_probe_read32(map + EDU_REG_ID, &v);
		CHECK(res == VT_ACCESS_SIGBUS,
		      "round %d: load with memory disabled takes SIGBUS (%s, 0x%x)",
		      round, vt_probe_name(res), v);
		res = vt_probe_write32(map + EDU_REG_LIVENESS, during);
		CHECK(res == VT_ACCESS_SIGBUS,
		      "round %d: store with memory disabled takes SIGBUS (%s)",
		      round, vt_probe_name(res));
		/* And again: the failed fault must not have populated it. */
		res = vt_probe_read32(map + EDU_REG_ID, &v);
		CHECK(res == VT_ACCESS_SIGBUS, "round %d: still SIGBUS (%s)",
		      round, vt_probe_name(res));
		n = vt_region_pread(&d, VFIO_PCI_BAR0_REGION_INDEX, 0, &v, 4);
		vt_note("pread of BAR0 with memory disabled: %zd (%s)", n,
			n < 0 ? strerror((int)-n) : "ok");
		CHECK(n == -EIO, "round %d: pread of BAR0 with memory disabled fails with EIO",
		      round);

		ret = vt_set_memory_enable(&d, true);
		CHECK(ret == 0, "round %d: set PCI_COMMAND_MEMORY (%d)", round, ret);
		vt_expect_state(bdf, "enabled");

		f0 = vt_minflt_thread();
		res = vt_probe_read32(map + EDU_REG_LIVENESS, &v);
		f1 = vt_minflt_thread();
		CHECK(res == VT_ACCESS_OK, "round %d: access after enable works (%s)",
		      round, vt_probe_name(res));
		CHECK_EQ(f1 - f0, 1, "access after enable re-faults once");
		CHECK(v == ~before,
		      "round %d: the SIGBUS store never reached the device (liveness 0x%x, want 0x%x)",
		      round, v, ~before);
		res = vt_probe_read32(map + EDU_REG_ID, &v);
		CHECK(res == VT_ACCESS_OK && v == EDU_ID_VALUE,
		      "round %d: register 0 reads the edu id (0x%x)", round, v);
	}

	munmap((void *)map, SZ_4K);
	vt_close(&d);
	return vt_exit();
}
