// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_msix_sparse: with msix_mappable=0 only the MSI-X table pages are
 * left out of the BAR's sparse mmap areas; the PBA stays mappable, so a
 * client that maps around the table alone (DPDK before 23.07) can map the
 * rest of the BAR in one piece.
 *
 *   mmap_msix_sparse [--driver D] [--bdf BDF]      (as root)
 * Device: nvme (NVME_BDF), whose MSI-X table and PBA share BAR0 on
 * separate pages.
 */
#include "vfio_test.h"

#include <linux/pci_regs.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PARAM "/sys/module/vfio_pci_mmap/parameters/msix_mappable"

static bool in_area(const struct vt_region *r, uint64_t off, uint64_t len)
{
	uint32_t i;

	for (i = 0; i < r->nr_areas; i++)
		if (off >= r->areas[i].offset &&
		    off + len <= r->areas[i].offset + r->areas[i].size)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	uint32_t table, pba, tbir, toff, pbir, poff, nvec, cap;
	uint64_t tstart, tend, pstart;
	char old[16] = "";
	struct vt_region r;
	const char *bdf;
	struct vt_dev d;
	void *m;

	vt_parse_common_args(argc, argv, "NVME_BDF", &bdf);
	bdf = vt_require_bdf(bdf, "NVME_BDF");
	if (!vt_ours())
		vt_skip("msix_mappable is vfio-pci-mmap's");
	if (vt_read_param("msix_mappable", old, sizeof(old)))
		vt_skip("no msix_mappable parameter");
	if (vt_write_file(PARAM, "0"))
		vt_skip("msix_mappable cannot be changed at run time");

	vt_open_or_skip(&d, bdf);
	cap = vt_find_cap(&d, PCI_CAP_ID_MSIX);
	if (!cap)
		vt_skip("no MSI-X capability");
	nvec = (vt_cfg_read16(&d, cap + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_QSIZE) + 1;
	table = vt_cfg_read32(&d, cap + PCI_MSIX_TABLE);
	pba = vt_cfg_read32(&d, cap + PCI_MSIX_PBA);
	tbir = table & PCI_MSIX_TABLE_BIR;
	toff = table & PCI_MSIX_TABLE_OFFSET;
	pbir = pba & PCI_MSIX_PBA_BIR;
	poff = pba & PCI_MSIX_PBA_OFFSET;
	tstart = toff & ~(SZ_4K - 1);
	tend = (toff + nvec * 16 + SZ_4K - 1) & ~(SZ_4K - 1);
	pstart = poff & ~(SZ_4K - 1);
	vt_note("MSI-X: %u vectors, table BAR%u+0x%x, PBA BAR%u+0x%x", nvec,
		tbir, toff, pbir, poff);
	if (pbir != tbir || (pstart >= tstart && pstart < tend))
		vt_skip("the PBA does not have a page of its own in the table's BAR");

	if (!CHECK(vt_region_info(&d, tbir, &r) == 0 && r.sparse,
		   "BAR%u reports sparse mmap areas", tbir))
		goto out;
	CHECK(!in_area(&r, tstart, SZ_4K), "the table page is left out");
	CHECK(in_area(&r, pstart, SZ_4K), "the PBA page is mappable");

	m = vt_map(&d, tbir, tend, r.size - tend, 0, 0, PROT_READ | PROT_WRITE,
		   MAP_SHARED);
	CHECK(m != MAP_FAILED, "everything after the table maps in one piece (%s)",
	      m == MAP_FAILED ? strerror(errno) : "ok");
	if (m != MAP_FAILED) {
		uint32_t v = 0xdeadbeef;
		int res;

		res = vt_probe_read32((char *)m + (pstart - tend) +
				      (poff & (SZ_4K - 1)), &v);
		CHECK(res == VT_ACCESS_OK, "the PBA reads through the mapping (%s, 0x%x)",
		      vt_probe_name(res), v);
		munmap(m, r.size - tend);
	}
	/*
	 * read() and write() of the table, as vfio-pci: reads see all-ones
	 * and writes are dropped; an access that runs into the table stops
	 * at its start and goes on in the next call.
	 */
	if (toff >= 8) {
		uint8_t buf[16];
		ssize_t n;

		memset(buf, 0, sizeof(buf));
		n = vt_region_pread(&d, tbir, toff, buf, 8);
		CHECK(n == 8 && buf[0] == 0xff && buf[7] == 0xff,
		      "read() of the table's first entry sees all-ones (%zd, 0x%02x)",
		      n, buf[0]);
		CHECK_EQ(vt_region_pwrite(&d, tbir, toff + 8, buf, 4), 4,
			 "write() of the table is dropped, and counted as done");
		CHECK_EQ(vt_region_pread(&d, tbir, toff - 8, buf, 16), 16,
			 "read() across the table's start: the bytes before it, then all-ones");
		CHECK(buf[8] == 0xff && buf[15] == 0xff,
		      "the part in the table reads all-ones (0x%02x 0x%02x)",
		      buf[8], buf[15]);
	}
	m = vt_map(&d, tbir, tstart, SZ_4K, 0, 0, PROT_READ, MAP_SHARED);
	CHECK(m == MAP_FAILED && errno == EINVAL, "the table page does not map (%s)",
	      m == MAP_FAILED ? strerror(errno) : "it mapped");
	if (m != MAP_FAILED)
		munmap(m, SZ_4K);
out:
	vt_close(&d);
	vt_write_file(PARAM, old[0] == 'N' || old[0] == '0' ? "0" : "1");
	return vt_exit();
}
