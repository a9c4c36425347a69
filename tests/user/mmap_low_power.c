// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_low_power: the mapping is zapped and accesses take SIGBUS while the
 * device is in a low power state, and work again (re-faulted) after.
 *   1. VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY / _EXIT on edu (EDU_BDF)
 *   2. D3hot / D0 through PM_CTRL config writes on nvme (NVME_BDF)
 *   3. FLR through PCI_EXP_DEVCTL_BCR_FLR in nvme's PCIe capability
 *
 *   mmap_low_power [--driver D] [--edu BDF] [--nvme BDF]
 */
#include "vfio_test.h"

#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#define NVME_REG_VS 0x08	/* version: a constant non-zero register */

static int feature_probe(struct vt_dev *d, uint32_t feature)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
			 feature,
	};

	return ioctl(d->fd, VFIO_DEVICE_FEATURE, &f) ? -errno : 0;
}

/* Read word off of the mapping, expecting success, count the faults. */
static void expect_refault(const char *what, volatile char *map, uint32_t off,
			   uint32_t want)
{
	uint32_t v = 0;
	long f0, f1;
	int res;

	f0 = vt_minflt_thread();
	res = vt_probe_read32(map + off, &v);
	f1 = vt_minflt_thread();
	CHECK(res == VT_ACCESS_OK, "%s: access works (%s)", what,
	      vt_probe_name(res));
	CHECK(v == want, "%s: reads 0x%x (want 0x%x)", what, v, want);
	CHECK(f1 - f0 == 1, "%s: re-faulted once (%ld faults)", what, f1 - f0);
}

static void expect_populated(const char *what, volatile char *map,
			     uint32_t off, uint32_t want)
{
	uint32_t v = 0;
	long f0, f1;
	int res;

	f0 = vt_minflt_thread();
	res = vt_probe_read32(map + off, &v);
	f1 = vt_minflt_thread();
	CHECK(res == VT_ACCESS_OK && v == want && f1 == f0,
	      "%s: populated and reads 0x%x (%s, 0x%x, %ld faults)", what,
	      want, vt_probe_name(res), v, f1 - f0);
}

static void expect_sigbus(const char *what, volatile char *map, uint32_t off)
{
	uint32_t v = 0;
	int res = vt_probe_read32(map + off, &v);

	CHECK(res == VT_ACCESS_SIGBUS, "%s: access takes SIGBUS (%s, 0x%x)",
	      what, vt_probe_name(res), v);
}

static void test_feature(const char *bdf)
{
	struct vt_dev d;
	volatile char *map;
	int ret;

	vt_note("== LOW_POWER_ENTRY/EXIT on %s", bdf);
	vt_open_or_skip(&d, bdf);
	map = vt_map(&d, VFIO_PCI_BAR0_REGION_INDEX, 0, SZ_4K, 0, 0,
		     PROT_READ | PROT_WRITE, MAP_SHARED);
	if (!CHECK(map != MAP_FAILED, "mmap edu BAR0"))
		goto out;
	expect_refault("edu before low power", map, EDU_REG_ID, EDU_ID_VALUE);

	ret = feature_probe(&d, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY);
	if (ret) {
		/* Stock and ours both implement it: not having it is a failure. */
		CHECK(0, "LOW_POWER_ENTRY is supported (probe: %s)",
		      strerror(-ret));
		goto unmap;
	}
	ret = vt_feature_set(&d, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY);
	if (!CHECK(ret == 0, "LOW_POWER_ENTRY (%s)", ret ? strerror(-ret) : "0"))
		goto unmap;
	vt_expect_state(bdf, "low_power");
	expect_sigbus("edu in low power", map, EDU_REG_ID);
	expect_sigbus("edu in low power, again", map, EDU_REG_ID);

	ret = vt_feature_set(&d, VFIO_DEVICE_FEATURE_LOW_POWER_EXIT);
	CHECK(ret == 0, "LOW_POWER_EXIT (%s)", ret ? strerror(-ret) : "0");
	vt_expect_state(bdf, "enabled");
	expect_refault("edu after LOW_POWER_EXIT", map, EDU_REG_ID,
		       EDU_ID_VALUE);
unmap:
	munmap((void *)map, SZ_4K);
out:
	vt_close(&d);
}

static void test_d3hot_flr(const char *bdf)
{
	struct vt_dev d;
	struct vt_region r;
	volatile char *map;
	uint32_t pm, exp, devcap, vs = 0;
	uint16_t pmcsr, devctl;
	size_t len;
	int ret, state;

	vt_note("== D3hot and FLR through config on %s", bdf);
	vt_open_or_skip(&d, bdf);
	if (!CHECK(vt_region_info(&d, VFIO_PCI_BAR0_REGION_INDEX, &r) == 0,
		   "nvme BAR0 region info"))
		goto out;
	vt_print_region(&r);
	len = r.size < SZ_4K ? SZ_4K : r.size;
	map = vt_map(&d, VFIO_PCI_BAR0_REGION_INDEX, 0, len, 0, 0,
		     PROT_READ | PROT_WRITE, MAP_SHARED);
	if (!CHECK(map != MAP_FAILED, "mmap nvme BAR0 (%zu bytes)", len))
		goto out;
	ret = (int)vt_region_pread(&d, VFIO_PCI_BAR0_REGION_INDEX, NVME_REG_VS,
				   &vs, 4);
	CHECK(ret == 4 && vs != 0 && vs != ~0u,
	      "nvme VS register through pread (%d, 0x%x)", ret, vs);
	expect_refault("nvme first access", map, NVME_REG_VS, vs);

	/* D3hot through the PM capability. */
	pm = vt_find_cap(&d, PCI_CAP_ID_PM);
	if (!CHECK(pm != 0, "nvme has a PM capability (at 0x%x)", pm))
		goto flr;
	pmcsr = vt_cfg_read16(&d, pm + PCI_PM_CTRL);
	vt_note("PM_CTRL 0x%04x", pmcsr);
	ret = vt_cfg_write16(&d, pm + PCI_PM_CTRL,
			     (pmcsr & ~PCI_PM_CTRL_STATE_MASK) | 3);
	CHECK(ret == 0, "write PM_CTRL D3hot (%d)", ret);
	state = vt_cfg_read16(&d, pm + PCI_PM_CTRL) & PCI_PM_CTRL_STATE_MASK;
	CHECK(state == 3, "PM_CTRL reads D3hot (D%d)", state);
	vt_expect_state(bdf, "low_power");
	expect_sigbus("nvme in D3hot", map, NVME_REG_VS);

	ret = vt_cfg_write16(&d, pm + PCI_PM_CTRL,
			     pmcsr & ~PCI_PM_CTRL_STATE_MASK);
	CHECK(ret == 0, "write PM_CTRL D0 (%d)", ret);
	state = vt_cfg_read16(&d, pm + PCI_PM_CTRL) & PCI_PM_CTRL_STATE_MASK;
	CHECK(state == 0, "PM_CTRL reads D0 (D%d)", state);
	vt_expect_state(bdf, "enabled");
	expect_refault("nvme back in D0", map, NVME_REG_VS, vs);

flr:
	exp = vt_find_cap(&d, PCI_CAP_ID_EXP);
	if (!exp) {
		vt_skip_check("no PCIe capability", "FLR through config");
		goto unmap;
	}
	devcap = vt_cfg_read32(&d, exp + PCI_EXP_DEVCAP);
	if (!(devcap & PCI_EXP_DEVCAP_FLR)) {
		vt_skip_check("DEVCAP has no FLR", "FLR through config");
		goto unmap;
	}
	expect_populated("nvme before FLR", map, NVME_REG_VS, vs);
	devctl = vt_cfg_read16(&d, exp + PCI_EXP_DEVCTL);
	ret = vt_cfg_write16(&d, exp + PCI_EXP_DEVCTL,
			     devctl | PCI_EXP_DEVCTL_BCR_FLR);
	CHECK(ret == 0, "write DEVCTL with BCR_FLR (%d)", ret);
	devctl = vt_cfg_read16(&d, exp + PCI_EXP_DEVCTL);
	CHECK(!(devctl & PCI_EXP_DEVCTL_BCR_FLR),
	      "BCR_FLR reads back as zero (0x%04x)", devctl);
	vt_expect_state(bdf, "enabled");
	expect_refault("nvme after FLR", map, NVME_REG_VS, vs);
unmap:
	munmap((void *)map, len);
out:
	vt_close(&d);
}

int main(int argc, char **argv)
{
	const char *edu = getenv("EDU_BDF"), *nvme = getenv("NVME_BDF");
	const char *unused;
	int i, n;

	n = vt_parse_common_args(argc, argv, NULL, &unused);
	for (i = 1; i < n; i++) {
		if (!strcmp(argv[i], "--edu") && i + 1 < n)
			edu = argv[++i];
		else if (!strcmp(argv[i], "--nvme") && i + 1 < n)
			nvme = argv[++i];
	}
	if ((!edu || !*edu) && (!nvme || !*nvme))
		vt_skip("no device: set EDU_BDF and/or NVME_BDF");
	vt_probe_warm();

	if (edu && *edu) {
		char p[256];

		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s", edu);
		if (vt_path_exists(p))
			test_feature(edu);
		else
			vt_skip_check("edu absent", "LOW_POWER_ENTRY/EXIT");
	}
	if (nvme && *nvme) {
		char p[256];

		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s", nvme);
		if (vt_path_exists(p))
			test_d3hot_flr(nvme);
		else
			vt_skip_check("nvme absent", "D3hot and FLR");
	}
	return vt_exit();
}
