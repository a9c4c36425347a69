// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_tracking: the driver's per-device list follows every vma through
 * partial munmap, mprotect splits, mremap moves, munmap and exit.  Each
 * step compares the debugfs lines of this process, one by one, with the
 * expected (start, end, pgoff) set.  For stock vfio-pci the same steps run
 * and only the accesses are checked.
 *
 *   mmap_tracking [--driver D] [--bdf BDF]
 * Device: edu (EDU_BDF), BAR0.
 */
#include "vfio_test.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define P SZ_4K

static const char *bdf;
static bool dbg;

struct want {
	uintptr_t start, end;
	uint64_t pgoff;	/* pages within BAR0 */
};

static int cmp_map(const void *a, const void *b)
{
	const struct vt_mapping *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void expect_lines(const char *step, const struct want *w, int nw)
{
	struct vt_mapping m[VT_MAX_MAPPINGS];
	int n, i, bad = 0;

	if (!dbg)
		return;
	n = vt_read_mappings_pid(bdf, getpid(), m, VT_MAX_MAPPINGS);
	if (n < 0) {
		CHECK(0, "%s: read mappings (%s)", step, strerror(-n));
		return;
	}
	qsort(m, n, sizeof(m[0]), cmp_map);
	vt_print_mappings(step, m, n);
	if (!CHECK(n == nw, "%s: %d line(s) (got %d)", step, nw, n))
		return;
	for (i = 0; i < n; i++) {
		if (!vt_mapping_matches(&m[i], 0, w[i].start, w[i].end,
					w[i].pgoff)) {
			vt_note("%s: line %d: want start=0x%lx end=0x%lx pgoff=0x%llx",
				step, i, (unsigned long)w[i].start,
				(unsigned long)w[i].end,
				(unsigned long long)w[i].pgoff);
			bad++;
		}
	}
	CHECK(bad == 0, "%s: every line matches (start, end, pgoff)", step);
}

static void expect_read(const char *what, volatile char *p, bool check_value)
{
	uint32_t v = 0;
	int res = vt_probe_read32(p, &v);

	CHECK(res == VT_ACCESS_OK && (!check_value || v == EDU_ID_VALUE),
	      "%s (%s 0x%x)", what, vt_probe_name(res), v);
}

/* A free address range of len bytes (reserved then released). */
static char *free_range(size_t len)
{
	char *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		vt_bail("mmap anon: %s", strerror(errno));
	munmap(p, len);
	return p;
}

int main(int argc, char **argv)
{
	struct vt_dev d;
	volatile char *a, *b, *c;
	void *r;
	int res, status;
	pid_t pid;

	vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	vt_open_or_skip(&d, bdf);
	dbg = vt_dbg_ready(bdf);
	if (!vt_ours())
		vt_note("stock driver: no debugfs, only the accesses are checked");
	vt_probe_init();

	/* 1. Three pages, then unmap the middle one: two lines. */
	a = vt_map(&d, VFIO_PCI_BAR0_REGION_INDEX, 0, 3 * P, 0, 0,
		   PROT_READ | PROT_WRITE, MAP_SHARED);
	if (!CHECK(a != MAP_FAILED, "mmap 3 pages of BAR0"))
		return vt_exit();
	{
		struct want w[] = { { (uintptr_t)a, (uintptr_t)a + 3 * P, 0 } };

		expect_lines("3-page mmap", w, 1);
	}
	expect_read("read page 0", a, true);
	CHECK(munmap((void *)(a + P), P) == 0, "munmap the middle page");
	{
		struct want w[] = {
			{ (uintptr_t)a, (uintptr_t)a + P, 0 },
			{ (uintptr_t)a + 2 * P, (uintptr_t)a + 3 * P, 2 },
		};

		expect_lines("after partial munmap", w, 2);
	}
	expect_read("page 0 still reads the edu id", a, true);
	expect_read("page 2 still readable", a + 2 * P, false);

	/* 2. mprotect of the middle page of another 3-page mapping. */
	b = vt_map(&d, VFIO_PCI_BAR0_REGION_INDEX, 0, 3 * P, 0, 0,
		   PROT_READ | PROT_WRITE, MAP_SHARED);
	if (!CHECK(b != MAP_FAILED, "mmap another 3 pages"))
		return vt_exit();
	expect_read("read new mapping page 1", b + P, false);
	CHECK(mprotect((void *)(b + P), P, PROT_READ) == 0,
	      "mprotect the middle page read-only");
	{
		struct want w[] = {
			{ (uintptr_t)a, (uintptr_t)a + P, 0 },
			{ (uintptr_t)a + 2 * P, (uintptr_t)a + 3 * P, 2 },
			{ (uintptr_t)b, (uintptr_t)b + P, 0 },
			{ (uintptr_t)b + P, (uintptr_t)b + 2 * P, 1 },
			{ (uintptr_t)b + 2 * P, (uintptr_t)b + 3 * P, 2 },
		};

		/* Sorted by start: a and b may be in either order. */
		if (b < a) {
			struct want t[5] = { w[2], w[3], w[4], w[0], w[1] };

			expect_lines("after mprotect split", t, 5);
		} else {
			expect_lines("after mprotect split", w, 5);
		}
	}
	expect_read("read-only page still readable", b + P, false);
	res = vt_probe_write32(b + P, 0);
	CHECK(res == VT_ACCESS_SIGSEGV, "store to the read-only page takes SIGSEGV (%s)",
	      vt_probe_name(res));
	CHECK(munmap((void *)b, 3 * P) == 0, "munmap the split mapping");
	CHECK(munmap((void *)(a + 2 * P), P) == 0, "munmap page 2 of the first");

	/* 3. mremap move: the line follows the vma. */
	c = (volatile char *)free_range(16 * P) + 8 * P;
	r = mremap((void *)a, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)c);
	if (CHECK(r == (void *)c, "mremap move page 0 to %p (%s)", (void *)c,
		  r == MAP_FAILED ? strerror(errno) : "ok")) {
		struct want w[] = { { (uintptr_t)c, (uintptr_t)c + P, 0 } };

		expect_lines("after mremap move", w, 1);
		expect_read("moved mapping reads the edu id", c, true);
		res = vt_probe_read32(a, &(uint32_t){0});
		CHECK(res == VT_ACCESS_SIGSEGV, "old address is unmapped (%s)",
		      vt_probe_name(res));
		CHECK(munmap((void *)c, P) == 0, "munmap the moved mapping");
	} else {
		munmap((void *)a, P);
	}

	/* 4. Nothing left. */
	expect_lines("after munmap of everything", NULL, 0);

	/* 5. Exit without munmap drops the lines of the exiting process. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		volatile char *x = vt_map(&d, VFIO_PCI_BAR0_REGION_INDEX, 0,
					  2 * P, 0, 0, PROT_READ, MAP_SHARED);
		uint32_t v;

		if (x == MAP_FAILED)
			_exit(2);
		if (vt_probe_read32(x, &v) != VT_ACCESS_OK)
			_exit(3);
		if (dbg && vt_count_lines(bdf, getpid()) != 1)
			_exit(4);
		_exit(0);	/* no munmap */
	}
	if (pid < 0)
		vt_bail("fork: %s", strerror(errno));
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child mapped, read%s and exited (status 0x%x)",
	      dbg ? ", was listed" : "", status);
	if (dbg)
		CHECK_EQ(vt_count_lines(bdf, pid), 0,
			 "exited child has no line left");
	expect_lines("parent at the end", NULL, 0);

	vt_close(&d);
	return vt_exit();
}
