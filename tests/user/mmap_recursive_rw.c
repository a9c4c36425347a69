// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_recursive_rw: read()/write() on the device fd whose user buffer is
 * itself an unpopulated mmap of the same BAR, so the copy to/from user
 * faults into the driver's own fault handler while the rw path runs.
 * Must complete (no hang: an alarm fails the test) with the right data.
 *
 *   mmap_recursive_rw [--driver D] [--edu BDF] [--ivshmem BDF]
 * Devices: edu (EDU_BDF) BAR0, and ivshmem (IVSHMEM_BDF) BAR2 for the
 * data checks.  edu answers only 4-byte accesses to its registers (others
 * read ~0 and are dropped), and the kernel's copy_{to,from}_user picks
 * its own access sizes, so through edu the test checks only that the
 * calls complete; the RAM-backed ivshmem BAR checks the data.
 */
#include "vfio_test.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static void on_alarm(int sig)
{
	static const char msg[] = "not ok - the rw call hung (alarm)\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static volatile char *fresh_map(struct vt_dev *d, uint32_t bar, size_t len)
{
	volatile char *m = vt_map(d, bar, 0, len, 0, 0,
				  PROT_READ | PROT_WRITE, MAP_SHARED);

	if (m == MAP_FAILED)
		vt_bail("mmap BAR%u: %s", bar, strerror(errno));
	return m;
}

/* pread/pwrite with an alarm around it; returns what the call returned. */
static ssize_t rw_guarded(struct vt_dev *d, bool write, uint32_t bar,
			  uint64_t off, volatile char *buf, size_t len)
{
	ssize_t n;

	alarm(30);
	if (write)
		n = vt_region_pwrite(d, bar, off, (const void *)buf, len);
	else
		n = vt_region_pread(d, bar, off, (void *)buf, len);
	alarm(0);
	return n;
}

static void test_edu(const char *bdf)
{
	struct vt_dev d;
	volatile char *map;
	uint32_t v = 0;
	ssize_t n;
	long f0, f1;
	int res;

	vt_note("== edu BAR0: the calls complete");
	vt_open_or_skip(&d, bdf);

	map = fresh_map(&d, VFIO_PCI_BAR0_REGION_INDEX, SZ_4K);
	f0 = vt_minflt_thread();
	n = rw_guarded(&d, false, VFIO_PCI_BAR0_REGION_INDEX, EDU_REG_ID,
		       map + EDU_REG_LIVENESS, 4);
	f1 = vt_minflt_thread();
	CHECK(n == 4, "edu: pread of BAR0 into its own unpopulated mapping completes (%zd)",
	      n);
	vt_note("edu: pread into the mapping took %ld minor faults", f1 - f0);
	res = vt_probe_read32(map + EDU_REG_ID, &v);
	CHECK(res == VT_ACCESS_OK && v == EDU_ID_VALUE,
	      "edu: the mapping still reads the id (%s 0x%x)", vt_probe_name(res), v);
	munmap((void *)map, SZ_4K);

	map = fresh_map(&d, VFIO_PCI_BAR0_REGION_INDEX, SZ_4K);
	n = rw_guarded(&d, true, VFIO_PCI_BAR0_REGION_INDEX, EDU_REG_LIVENESS,
		       map + EDU_REG_ID, 4);
	CHECK(n == 4, "edu: pwrite to BAR0 from its own unpopulated mapping completes (%zd)",
	      n);

	CHECK(vt_reset(&d) == 0, "edu: VFIO_DEVICE_RESET zaps the mapping");
	n = rw_guarded(&d, false, VFIO_PCI_BAR0_REGION_INDEX, EDU_REG_ID,
		       map + EDU_REG_LIVENESS, 4);
	CHECK(n == 4, "edu: pread into the zapped mapping completes (%zd)", n);
	munmap((void *)map, SZ_4K);
	vt_close(&d);
}

static uint8_t pat(size_t i, uint8_t salt)
{
	return (uint8_t)(i * 7 + (i >> 8) * 13 + salt);
}

static void test_ivshmem(const char *bdf)
{
	const uint32_t bar = 2;
	const size_t len = 6 * SZ_4K, chunk = 2 * SZ_4K + 100;
	static uint8_t src[6 * SZ_4K], got[6 * SZ_4K];
	struct vt_dev d;
	volatile char *map;
	size_t i, bad;
	ssize_t n;
	long f0, f1;

	vt_note("== ivshmem BAR2: the data");
	vt_open_or_skip(&d, bdf);

	/*
	 * 1. pread of [0, chunk) into the unpopulated mapping at 12K + 12
	 * (source and destination do not overlap: vfio copies in pieces).
	 */
	for (i = 0; i < len; i++)
		src[i] = pat(i, 1);
	CHECK(vt_region_pwrite(&d, bar, 0, src, len) == (ssize_t)len,
	      "ivshmem: pwrite a pattern over the first 24 KiB");
	map = fresh_map(&d, bar, len);
	f0 = vt_minflt_thread();
	n = rw_guarded(&d, false, bar, 0, map + 3 * SZ_4K + 12, chunk);
	f1 = vt_minflt_thread();
	CHECK(n == (ssize_t)chunk,
	      "ivshmem: pread of BAR2 into its own unpopulated mapping completes (%zd)",
	      n);
	vt_note("ivshmem: pread into the mapping took %ld minor faults", f1 - f0);
	memset(got, 0, sizeof(got));
	vt_region_pread(&d, bar, 0, got, len);
	for (i = 0, bad = 0; i < len; i++) {
		uint8_t want = (i >= 3 * SZ_4K + 12 &&
				i < 3 * SZ_4K + 12 + chunk) ?
			       pat(i - 3 * SZ_4K - 12, 1) : pat(i, 1);

		bad += got[i] != want;
	}
	CHECK(bad == 0, "ivshmem: BAR2 holds the copied bytes (%zu wrong)", bad);
	munmap((void *)map, len);

	/* 2. pwrite from the unpopulated mapping at 100 to 8K + 4. */
	for (i = 0; i < len; i++)
		src[i] = pat(i, 2);
	vt_region_pwrite(&d, bar, 0, src, len);
	map = fresh_map(&d, bar, len);
	n = rw_guarded(&d, true, bar, 2 * SZ_4K + 4, map + 100, SZ_4K + 8);
	CHECK(n == (ssize_t)(SZ_4K + 8),
	      "ivshmem: pwrite to BAR2 from its own unpopulated mapping completes (%zd)",
	      n);
	vt_region_pread(&d, bar, 0, got, len);
	for (i = 0, bad = 0; i < len; i++) {
		uint8_t want = (i >= 2 * SZ_4K + 4 && i < 3 * SZ_4K + 12) ?
			       pat(i - 2 * SZ_4K - 4 + 100, 2) : pat(i, 2);

		bad += got[i] != want;
	}
	CHECK(bad == 0, "ivshmem: BAR2 holds the written bytes (%zu wrong)", bad);

	/* 3. Zapped by a reset: page 0 copied into page 1 of the mapping. */
	CHECK(vt_reset(&d) == 0, "ivshmem: VFIO_DEVICE_RESET zaps the mapping");
	for (i = 0; i < len; i++)
		src[i] = pat(i, 3);
	vt_region_pwrite(&d, bar, 0, src, len);
	n = rw_guarded(&d, false, bar, 0, map + SZ_4K, SZ_4K);
	CHECK(n == (ssize_t)SZ_4K, "ivshmem: pread into the zapped mapping completes (%zd)",
	      n);
	for (i = 0, bad = 0; i < SZ_4K; i++)
		bad += ((volatile uint8_t *)map)[SZ_4K + i] != pat(i, 3);
	CHECK(bad == 0, "ivshmem: the mapping shows the copied page (%zu wrong)", bad);
	munmap((void *)map, len);
	vt_close(&d);
}

int main(int argc, char **argv)
{
	const char *edu = getenv("EDU_BDF"), *ivshmem = getenv("IVSHMEM_BDF");
	const char *unused;
	char p[256];
	int i, n;

	n = vt_parse_common_args(argc, argv, NULL, &unused);
	for (i = 1; i < n; i++) {
		if (!strcmp(argv[i], "--edu") && i + 1 < n)
			edu = argv[++i];
		else if (!strcmp(argv[i], "--ivshmem") && i + 1 < n)
			ivshmem = argv[++i];
	}
	if ((!edu || !*edu) && (!ivshmem || !*ivshmem))
		vt_skip("no device: set EDU_BDF and/or IVSHMEM_BDF");
	vt_probe_warm();
	signal(SIGALRM, on_alarm);

	if (edu && *edu) {
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s", edu);
		if (vt_path_exists(p))
			test_edu(edu);
		else
			vt_skip_check("edu absent", "edu part");
	}
	if (ivshmem && *ivshmem) {
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s", ivshmem);
		if (vt_path_exists(p))
			test_ivshmem(ivshmem);
		else
			vt_skip_check("ivshmem absent", "ivshmem part");
	}
	return vt_exit();
}

