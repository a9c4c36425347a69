// SPDX-License-Identifier: GPL-2.0-only
/*
 * ring_refused - BAR accesses refused with SIGBUS appear as records.
 *
 * Map BAR0, clear PCI_COMMAND memory through a config write, then read at
 * one offset and write at another: both get SIGBUS, and each leaves an
 * MMAP_REFUSED record with reason MEM_DISABLED, region 0, the offset and
 * the access.  With memory decoding back on, the BAR works and no record
 * is added.
 *
 *   ring_refused [--bdf BDF]        (default $EDU_BDF)
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ring_lib.h"

/*
 * The offset is the faulting byte's, or its page's when the fault path only
 * knows the page (vmf->address is page aligned; vmf->real_address is not).
 */
static void expect(const struct ring *r, uint32_t idx, uint64_t offset,
		   uint32_t perm, const char *what)
{
	uint64_t page = sysconf(_SC_PAGESIZE);
	struct vfio_pci_mmap_fault_record x;

	ring_copy(r, idx, &x);
	ring_print_record("#", &x);
	CHECK(x.type == VFIO_PCI_MMAP_FAULT_TYPE_MMAP_REFUSED &&
	      x.reason == VFIO_PCI_MMAP_REFUSED_MEM_DISABLED &&
	      x.flags == VFIO_PCI_MMAP_FAULT_F_REGION_VALID &&
	      x.region_index == VFIO_PCI_BAR0_REGION_INDEX && x.perm == perm,
	      "%s: refused record, mem_disabled, BAR0, %s", what,
	      perm == VFIO_PCI_MMAP_FAULT_PERM_READ ? "read" : "write");
	CHECK(x.region_offset == offset ||
	      x.region_offset == (offset & ~(page - 1)),
	      "%s: offset 0x%llx is the access's (0x%llx) or its page's", what,
	      (unsigned long long)x.region_offset,
	      (unsigned long long)offset);
	if (x.region_offset != offset)
		vt_note("the record has page granularity only");
}

int main(int argc, char **argv)
{
	const uint64_t roff = 0x2004, woff = 0x3008;
	const char *bdf = NULL;
	volatile char *bar;
	struct vt_dev d;
	struct ring r;
	uint32_t p0, v;

	vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	vt_open_or_skip(&d, bdf);
	vt_probe_init();
	ring_find_or_bail(&d, &r);
	if (ring_map(&r))
		vt_bail("cannot map the ring");

	bar = vt_map(&d, VFIO_PCI_BAR0_REGION_INDEX, 0, 0x10000, 0, 0,
		     PROT_READ | PROT_WRITE, MAP_SHARED);
	if (bar == MAP_FAILED)
		vt_bail("cannot map BAR0");
	CHECK_EQ(vt_probe_read32(bar, &v), VT_ACCESS_OK, "BAR0 reads");
	CHECK_EQ(v, EDU_ID_VALUE, "edu id");

	ring_skip_all(&r);
	p0 = ring_prod(&r);
	CHECK(!vt_set_memory_enable(&d, false), "clear PCI_COMMAND memory");
	CHECK_EQ(vt_probe_read32(bar + roff, &v), VT_ACCESS_SIGBUS,
		 "read of the BAR gets SIGBUS");
	CHECK_EQ(vt_probe_write32(bar + woff, 1), VT_ACCESS_SIGBUS,
		 "write of the BAR gets SIGBUS");
	CHECK_EQ(ring_prod(&r) - p0, 2, "two records");
	if (ring_prod(&r) - p0 >= 2) {
		expect(&r, p0, roff, VFIO_PCI_MMAP_FAULT_PERM_READ, "the read");
		expect(&r, p0 + 1, woff, VFIO_PCI_MMAP_FAULT_PERM_WRITE,
		       "the write");
	}

	CHECK(!vt_set_memory_enable(&d, true), "set PCI_COMMAND memory");
	CHECK_EQ(vt_probe_read32(bar, &v), VT_ACCESS_OK, "BAR0 reads again");
	CHECK_EQ(ring_prod(&r) - p0, 2, "no record for an access that worked");

	/* Through read() as well. */
	{
		struct vfio_pci_mmap_fault_record x[2];
		uint64_t page = sysconf(_SC_PAGESIZE);
		ssize_t n;

		ring_set_cons(&r, p0);
		n = ring_pread(&r, r.cap.entries_offset, x, sizeof(x));
		CHECK_EQ(n, sizeof(x), "read() returns both records");
		CHECK(n == sizeof(x) && x[0].region_offset <= roff &&
		      roff - x[0].region_offset < page &&
		      x[1].region_offset <= woff &&
		      woff - x[1].region_offset < page &&
		      x[0].perm == VFIO_PCI_MMAP_FAULT_PERM_READ &&
		      x[1].perm == VFIO_PCI_MMAP_FAULT_PERM_WRITE,
		      "the same records");
	}

	munmap((void *)bar, 0x10000);
	ring_unmap(&r);
	vt_close(&d);
	return vt_exit();
}
