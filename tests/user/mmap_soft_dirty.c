// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_soft_dirty: a write to a huge-mapped BAR that soft-dirty tracking
 * write-protected completes.
 *
 * Writing 4 to /proc/self/clear_refs write-protects every mapping of the
 * process, PMD and PUD entries of a VM_PFNMAP vma included, and makes
 * later inserts read-only too (vma_set_page_prot()).  A write then faults
 * through wp_huge_pmd()/wp_huge_pud() into ->huge_fault, which must
 * upgrade the entry; a fault that leaves it alone makes the write fault
 * again forever.  An alarm ends such a loop and fails the check.
 *
 *   mmap_soft_dirty [--driver D] [--bdf BDF]
 * Device: ivshmem-plain (IVSHMEM_BDF), BAR2 (1 GiB).
 */
#include "vfio_test.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#define BAR 2

static sigjmp_buf stuck;
static struct vt_dev d;

static void on_alarm(int sig)
{
	(void)sig;
	siglongjmp(stuck, 1);
}

/* Write @v at @p within 5 s; true if the write completed and reached the BAR. */
static bool write_completes(volatile char *p, uint64_t bar_off, uint32_t v,
			    const char *what)
{
	uint32_t got = 0;

	if (sigsetjmp(stuck, 1)) {
		vt_note("%s: the write was still faulting after 5 s", what);
		return false;
	}
	alarm(5);
	*(volatile uint32_t *)p = v;
	alarm(0);
	return vt_region_pread(&d, BAR, bar_off, &got, 4) == 4 && got == v;
}

static void phase(size_t len, size_t align, const char *what)
{
	volatile char *map;
	uint32_t v = 0;
	int res;

	map = vt_map(&d, BAR, 0, len, align, 0, PROT_READ | PROT_WRITE, MAP_SHARED);
	if (!CHECK(map != MAP_FAILED, "%s: mmap", what))
		return;
	res = vt_probe_read32(map + 64, &v);
	CHECK(res == VT_ACCESS_OK, "%s: read maps it (%s)", what, vt_probe_name(res));
	if (vt_write_file("/proc/self/clear_refs", "4"))
		vt_skip("clear_refs: no soft-dirty tracking here");
	CHECK(write_completes(map + 64, 64, 0x50f7d127u, what),
	      "%s: a write after clear_refs completes and reaches the BAR", what);
	/* A fresh insert under the read-only protection, then a write. */
	vt_set_memory_enable(&d, false);
	vt_set_memory_enable(&d, true);
	vt_write_file("/proc/self/clear_refs", "4");
	CHECK(write_completes(map + 128, 128, 0x50f7d128u, what),
	      "%s: a first write after a zap and clear_refs completes", what);
	munmap((void *)map, len);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct vt_region r;
	const char *bdf;

	vt_parse_common_args(argc, argv, "IVSHMEM_BDF", &bdf);
	bdf = vt_require_bdf(bdf, "IVSHMEM_BDF");
	vt_open_or_skip(&d, bdf);
	if (vt_region_info(&d, BAR, &r) || r.size < SZ_1G)
		vt_skip("BAR2 smaller than 1 GiB");
	sigaction(SIGALRM, &sa, NULL);
	vt_probe_warm();

	phase(SZ_2M, SZ_2M, "PMD");
	phase(SZ_1G, SZ_1G, "PUD");
	vt_close(&d);
	return vt_exit();
}
