// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_bad_input: mmap/mremap requests the driver (or the kernel's own
 * checks in front of it) must refuse, with the errno pinned, and none of
 * which may leave a trace in the driver's tracking.
 *
 *   mmap_bad_input [--driver D] [--bdf BDF]
 * Device: edu (EDU_BDF): BAR0 is 1 MiB, BAR1 does not exist, no ROM, not
 * a VGA device.
 */
#include "vfio_test.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static struct vt_dev d;

/* mmap at region offset; returns MAP_FAILED with errno, unmaps a success. */
static void expect_mmap_fails(const char *what, uint64_t foff, size_t len,
			      int prot, int flags, int want)
{
	void *p = mmap(NULL, len, prot, flags, d.fd, (off_t)foff);
	int e = errno;

	if (p != MAP_FAILED) {
		munmap(p, len);
		CHECK(0, "%s: refused with %s (it was mapped)", what,
		      strerror(want));
		return;
	}
	CHECK(e == want, "%s: refused with %s (got %s)", what, strerror(want),
	      strerror(e));
}

int main(int argc, char **argv)
{
	struct vt_mapping before[VT_MAX_MAPPINGS], after[VT_MAX_MAPPINGS];
	const int rw = PROT_READ | PROT_WRITE;
	const char *bdf;
	uint64_t bar0, bar0_size;
	int nb = 0, na, i, same;
	char *p, *q;
	bool dbg;

	vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	vt_open_or_skip(&d, bdf);
	dbg = vt_dbg_ready(bdf);
	bar0 = d.region_off[VFIO_PCI_BAR0_REGION_INDEX];
	bar0_size = d.region_size[VFIO_PCI_BAR0_REGION_INDEX];
	CHECK_EQ(bar0_size, 0x100000, "edu BAR0 is 1 MiB");

	/* One good mapping stays in place: its line must not change. */
	p = vt_map(&d, VFIO_PCI_BAR0_REGION_INDEX, 0, 2 * SZ_4K, 0, 0, rw,
		   MAP_SHARED);
	if (!CHECK(p != MAP_FAILED, "mmap 2 pages of BAR0 (the control)"))
		return vt_exit();
	if (dbg) {
		nb = vt_read_mappings_pid(bdf, getpid(), before, VT_MAX_MAPPINGS);
		vt_print_mappings("before", before, nb);
	}

	/* Driver checks. */
	expect_mmap_fails("MAP_PRIVATE", bar0, SZ_4K, rw, MAP_PRIVATE, EINVAL);
	expect_mmap_fails("MAP_PRIVATE read-only", bar0, SZ_4K, PROT_READ,
			  MAP_PRIVATE, EINVAL);
	expect_mmap_fails("offset at the end of BAR0", bar0 + bar0_size, SZ_4K,
			  rw, MAP_SHARED, EINVAL);
	expect_mmap_fails("offset far beyond BAR0", bar0 + 0x10000000ULL, SZ_4K,
			  rw, MAP_SHARED, EINVAL);
	expect_mmap_fails("length past the end of BAR0", bar0, bar0_size + SZ_4K,
			  rw, MAP_SHARED, EINVAL);
	expect_mmap_fails("offset+length past the end of BAR0", bar0 + SZ_4K,
			  bar0_size, rw, MAP_SHARED, EINVAL);
	expect_mmap_fails("BAR1 (absent)",
			  d.region_off[VFIO_PCI_BAR1_REGION_INDEX], SZ_4K, rw,
			  MAP_SHARED, EINVAL);
	expect_mmap_fails("ROM region",
			  VT_REGION_OFFSET(VFIO_PCI_ROM_REGION_INDEX), SZ_4K,
			  PROT_READ, MAP_SHARED, EINVAL);
	expect_mmap_fails("config region",
			  VT_REGION_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX), SZ_4K,
			  rw, MAP_SHARED, EINVAL);
	expect_mmap_fails("VGA region",
			  VT_REGION_OFFSET(VFIO_PCI_VGA_REGION_INDEX), SZ_4K,
			  rw, MAP_SHARED, EINVAL);
	expect_mmap_fails("region index beyond the device's regions",
			  VT_REGION_OFFSET(40), SZ_4K, rw, MAP_SHARED, EINVAL);

	/* The kernel's own checks in front of the driver (pinned). */
	expect_mmap_fails("unaligned offset (kernel)", bar0 + 8, SZ_4K, rw,
			  MAP_SHARED, EINVAL);
	expect_mmap_fails("zero length (kernel)", bar0, 0, rw, MAP_SHARED,
			  EINVAL);
	expect_mmap_fails("length larger than the address space (kernel)", bar0,
			  (size_t)1 << 62, rw, MAP_SHARED, ENOMEM);
	expect_mmap_fails("length wraps around (kernel)", bar0, (size_t)-SZ_4K,
			  rw, MAP_SHARED, ENOMEM);
	expect_mmap_fails("offset+length overflow the page offset (kernel)",
			  (uint64_t)-SZ_4K, 2 * SZ_4K, rw, MAP_SHARED,
			  EOVERFLOW);

	/* mremap on a live mapping. */
	q = vt_map(&d, VFIO_PCI_BAR0_REGION_INDEX, 0, 2 * SZ_4K, 0, 0, rw,
		   MAP_SHARED);
	if (CHECK(q != MAP_FAILED, "mmap 2 pages for mremap")) {
		void *r;
		int nq = 0;
		struct vt_mapping m[VT_MAX_MAPPINGS];

		if (dbg)
			nq = vt_read_mappings_pid(bdf, getpid(), m,
						  VT_MAX_MAPPINGS);
		r = mremap(q, 2 * SZ_4K, 3 * SZ_4K, 0);
		CHECK_ERRNO(r == MAP_FAILED ? -1 : 0, EFAULT,
			    "mremap growing in place");
		r = mremap(q, 2 * SZ_4K, 3 * SZ_4K, MREMAP_MAYMOVE);
		CHECK_ERRNO(r == MAP_FAILED ? -1 : 0, EFAULT,
			    "mremap growing, may move");
		r = mremap(q, 2 * SZ_4K, 2 * SZ_4K,
			   MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
		CHECK_ERRNO(r == MAP_FAILED ? -1 : 0, EINVAL,
			    "mremap MREMAP_DONTUNMAP");
		if (dbg)
			CHECK_EQ(vt_read_mappings_pid(bdf, getpid(), m,
						      VT_MAX_MAPPINGS), nq,
				 "failed mremaps left the lines as they were");
		munmap(q, 2 * SZ_4K);
	}

	/* The control mapping still works and tracking did not change. */
	{
		uint32_t v = 0;
		int res = vt_probe_read32(p, &v);

		CHECK(res == VT_ACCESS_OK && v == EDU_ID_VALUE,
		      "control mapping still reads the edu id (%s 0x%x)",
		      vt_probe_name(res), v);
	}
	if (dbg) {
		na = vt_read_mappings_pid(bdf, getpid(), after, VT_MAX_MAPPINGS);
		vt_print_mappings("after", after, na);
		same = na == nb;
		for (i = 0; same && i < na; i++)
			same = after[i].start == before[i].start &&
			       after[i].end == before[i].end &&
			       after[i].pgoff == before[i].pgoff &&
			       after[i].region == before[i].region;
		CHECK(same, "no refused request changed the tracked lines (%d -> %d)",
		      nb, na);
	}
	munmap(p, 2 * SZ_4K);
	if (dbg)
		CHECK_EQ(vt_count_lines(bdf, getpid()), 0, "no line at the end");
	vt_close(&d);
	return vt_exit();
}
