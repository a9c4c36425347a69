// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_fill_prot: the pages a fault fills around the faulting one carry
 * the vma's protection as it is now, not as it was at an earlier fault.
 *
 * The driver keeps, per vma, the protection its first fault computed and
 * fills later faults' blocks with it in one pass.  After mprotect() the
 * kept one is stale: a block filled again after a zap must follow the new
 * protection.  A 16-page read-write mapping of BAR2 is faulted (filled
 * read-write), made read-only, zapped (memory decoding toggled) and read
 * again; a write must then end in SIGSEGV and leave the BAR alone.  Made
 * writable again and zapped, a write must reach the BAR.  A second,
 * read-only vma of the same pages must refuse writes while the first
 * still takes them.
 *
 *   mmap_fill_prot [--driver D] [--bdf BDF]
 * Device: ivshmem-plain (IVSHMEM_BDF), BAR2.
 */
#include "vfio_test.h"

#include <sys/mman.h>
#include <unistd.h>

#define BAR 2
#define PAGES 16
#define LEN (PAGES * SZ_4K)
#define OFF SZ_2M

static struct vt_dev d;

static uint32_t bar_word(unsigned int page)
{
	uint32_t v = 0;

	vt_region_pread(&d, BAR, OFF + (uint64_t)page * SZ_4K, &v, 4);
	return v;
}

static void zap(const char *what)
{
	CHECK(vt_set_memory_enable(&d, false) == 0 &&
	      vt_set_memory_enable(&d, true) == 0,
	      "%s: memory decoding toggled (zap)", what);
}

static void read_page(volatile char *map, unsigned int page, const char *what)
{
	uint32_t v;
	int r = vt_probe_read32(map + (size_t)page * SZ_4K, &v);

	CHECK(r == VT_ACCESS_OK, "%s: page %u reads (%s)", what, page,
	      vt_probe_name(r));
}

int main(int argc, char **argv)
{
	const uint32_t before = 0x0bad0000, denied = 0xdead0001,
		       allowed = 0x600d0002;
	volatile char *map, *ro;
	struct vt_region r;
	const char *bdf;
	int res;

	vt_parse_common_args(argc, argv, "IVSHMEM_BDF", &bdf);
	bdf = vt_require_bdf(bdf, "IVSHMEM_BDF");
	vt_open_or_skip(&d, bdf);
	if (vt_region_info(&d, BAR, &r) || r.size < OFF + LEN)
		vt_skip("BAR2 too small");
	vt_probe_init();

	map = vt_map(&d, BAR, OFF, LEN, 0, 0, PROT_READ | PROT_WRITE,
		     MAP_SHARED);
	if (!CHECK(map != MAP_FAILED, "mmap 16 pages of BAR2 read-write"))
		return vt_exit();
	vt_region_pwrite(&d, BAR, OFF + 6 * SZ_4K, &before, 4);

	/* The first fault fills every page read-write. */
	read_page(map, 0, "read-write");

	CHECK(mprotect((void *)map, LEN, PROT_READ) == 0,
	      "mprotect to read-only");
	zap("read-only");
	/* Refilled under the read-only protection. */
	read_page(map, 5, "read-only, after the zap");
	res = vt_probe_write32(map + 6 * SZ_4K, denied);
	CHECK(res == VT_ACCESS_SIGSEGV,
	      "read-only: a write to a page filled after the zap is refused with SIGSEGV (%s)",
	      vt_probe_name(res));
	CHECK(bar_word(6) == before,
	      "read-only: the BAR keeps its word (0x%08x, wrote 0x%08x earlier)",
	      bar_word(6), before);

	CHECK(mprotect((void *)map, LEN, PROT_READ | PROT_WRITE) == 0,
	      "mprotect back to read-write");
	zap("read-write again");
	read_page(map, 1, "read-write again, after the zap");
	res = vt_probe_write32(map + 7 * SZ_4K, allowed);
	CHECK(res == VT_ACCESS_OK, "read-write again: a write goes through (%s)",
	      vt_probe_name(res));
	CHECK(bar_word(7) == allowed,
	      "read-write again: the write reached the BAR (0x%08x)", bar_word(7));

	/*
	 * A second, read-only vma of the same pages while the read-write one
	 * is mapped: both protections are kept for the BAR, each vma's faults
	 * get their own.
	 */
	ro = vt_map(&d, BAR, OFF, LEN, 0, 0, PROT_READ, MAP_SHARED);
	if (CHECK(ro != MAP_FAILED, "a second, read-only mmap of the pages")) {
		read_page(ro, 3, "second vma, read-only");
		res = vt_probe_write32(ro + 8 * SZ_4K, denied);
		CHECK(res == VT_ACCESS_SIGSEGV,
		      "second vma, read-only: a write is refused with SIGSEGV (%s)",
		      vt_probe_name(res));
		res = vt_probe_write32(map + 9 * SZ_4K, allowed);
		CHECK(res == VT_ACCESS_OK && bar_word(9) == allowed,
		      "first vma, read-write: a write still goes through (%s, 0x%08x)",
		      vt_probe_name(res), bar_word(9));
		munmap((void *)ro, LEN);
	}

	munmap((void *)map, LEN);
	vt_close(&d);
	return vt_exit();
}
