// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_policy_ones: mem_disabled=ones.  While memory decoding is off every
 * read of a BAR mapping returns all-ones, in every mapping and process; a
 * write reaches nothing another mapping, process or the device sees; once
 * decoding is back the mappings read the device again, and a second
 * disabled window reads all-ones everywhere again, where the first window
 * was written included.  Then mem_disabled=sigbus: SIGBUS.
 *
 * BAR2 of ivshmem is RAM, so what it holds shows whether a write reached
 * it.  Mapping A is 2 MiB at a 2 MiB-aligned address (the driver may map
 * it huge while enabled), mapping B the first NPAGES pages at any address;
 * both cover the same BAR offsets.  Children forked inside the windows read
 * through the mappings they inherit.
 *
 *   mmap_policy_ones [--driver D] [--bdf BDF]      (as root)
 * Device: ivshmem-plain (IVSHMEM_BDF), BAR2.
 */
#include "mmap_policy.h"

#include <sys/mman.h>
#include <sys/wait.h>

#define BAR	2
#define NPAGES	16
#define RANGE	(NPAGES * SZ_4K)
#define STRIDE	64		/* words checked: one per 64 bytes ... */
#define ONES	0xffffffffu

/* ... and these, which the windows write. */
#define W_PAGE	3
#define W_OFF	(W_PAGE * SZ_4K + 0x140)	/* written through A */
#define C_OFF	(5 * SZ_4K + 0x80)		/* written by a child through B */
#define P_OFF	(6 * SZ_4K)			/* pwrite()n */

static struct vt_dev d;
static const char *bdf;
static volatile char *a, *b;

static uint32_t pat(uint64_t off)
{
	uint32_t v = 0x5eed0000u ^ (uint32_t)(off * 2654435761u);

	return v == ONES ? 0x5eed5eedu : v;
}

static bool checked(uint64_t off)
{
	return off % STRIDE == 0 || off == W_OFF + 4 || off == C_OFF ||
	       off == C_OFF + 4;
}

/*
 * Read the checked words of [0, RANGE) through m (base offset 0 of the
 * BAR); count those that differ from ones (want_ones) or the pattern.
 * *sigbus counts reads that took SIGBUS instead; *first the first offset
 * that differed.
 */
static long scan(volatile char *m, bool want_ones, long *sigbus, long *first,
		 uint32_t *first_val)
{
	uint64_t off;
	uint32_t v, want;
	long bad = 0;
	int res;

	*sigbus = 0;
	*first = -1;
	for (off = 0; off < RANGE; off += 4) {
		if (!checked(off))
			continue;
		v = 0;
		res = vt_probe_read32(m + off, &v);
		if (res != VT_ACCESS_OK) {
			(*sigbus)++;
			continue;
		}
		want = want_ones ? ONES : pat(off);
		if (v != want) {
			if (!bad++) {
				*first = (long)off;
				*first_val = v;
			}
		}
	}
	return bad;
}

static void expect_all(volatile char *m, bool want_ones, const char *what)
{
	long sigbus, first;
	uint32_t fv = 0;
	long bad = scan(m, want_ones, &sigbus, &first, &fv);

	if (bad)
		vt_note("%s: the first word that differs is at 0x%lx: 0x%x (want 0x%x)",
			what, first, fv, want_ones ? ONES : pat(first));
	CHECK(bad == 0 && sigbus == 0,
	      "%s: %d pages read %s (%ld words differ, %ld took SIGBUS)",
	      what, NPAGES, want_ones ? "all-ones" : "the pattern", bad, sigbus);
}

/*
 * In a forked child: A and B read all-ones (or the pattern); with
 * do_write the child then writes through B at C_OFF and A must still read
 * all-ones there.  Exit status: 0, or bit 0 (A), 1 (B), 2 (write faulted),
 * 3 (A after the child's write), 4 (SIGBUS somewhere).
 */
static int child_check(bool want_ones, bool do_write)
{
	long sigbus = 0, s2 = 0, first;
	uint32_t fv, v = 0;
	int bad = 0;

	if (scan(a, want_ones, &sigbus, &first, &fv))
		bad |= 1;
	if (scan(b, want_ones, &s2, &first, &fv))
		bad |= 2;
	if (do_write) {
		if (vt_probe_write32(b + C_OFF, 0) != VT_ACCESS_OK)
			bad |= 4;
		if (vt_probe_read32(a + C_OFF, &v) != VT_ACCESS_OK || v != ONES)
			bad |= 8;
	}
	if (sigbus || s2)
		bad |= 16;
	return bad;
}

static void expect_child(bool want_ones, bool do_write, const char *what)
{
	int st = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(child_check(want_ones, do_write));
	if (!CHECK(pid > 0 && waitpid(pid, &st, 0) == pid, "%s: fork and wait", what))
		return;
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "%s: a forked child reads %s through A and B%s (mask 0x%x, status 0x%x)",
	      what, want_ones ? "all-ones" : "the pattern",
	      do_write ? " and its write through B shows nowhere" : "",
	      WIFEXITED(st) ? WEXITSTATUS(st) : 0xff, st);
}

/* A read at p takes no fault and returns all-ones, as the check what. */
static void expect_ones(volatile char *p, const char *what)
{
	uint32_t v = 0;
	int res = vt_probe_read32(p, &v);

	CHECK(res == VT_ACCESS_OK && v == ONES, "%s (%s 0x%x)", what,
	      vt_probe_name(res), v);
}

static bool memory(bool on)
{
	int r = vt_set_memory_enable(&d, on);

	CHECK(r == 0, "%s PCI_COMMAND_MEMORY (%d)", on ? "set" : "clear", r);
	vt_expect_state(bdf, on ? "enabled" : "mem_disabled");
	return r == 0;
}

static void pread_expect(uint64_t off, uint32_t want, const char *what)
{
	uint32_t v = 0;
	ssize_t r = vt_region_pread(&d, BAR, off, &v, 4);

	CHECK(r == 4 && v == want, "%s: pread at 0x%llx reads 0x%x (%zd, 0x%x)",
	      what, (unsigned long long)off, want, r, v);
}

int main(int argc, char **argv)
{
	struct vt_region reg;
	uint32_t v, w;
	long ref0, ref1;
	uint64_t off;
	vp_policy p;
	int r, res;

	bdf = vp_open(argc, argv, "IVSHMEM_BDF", &d);
	if (vt_region_info(&d, BAR, &reg) || reg.size < SZ_2M ||
	    !(reg.flags & VFIO_REGION_INFO_FLAG_MMAP))
		vt_skip("BAR2 is not a mappable region of 2 MiB or more");
	if (!vp_require_feature(&d))
		return vt_exit();

	a = vt_map(&d, BAR, 0, SZ_2M, SZ_2M, 0, PROT_READ | PROT_WRITE, MAP_SHARED);
	b = vt_map(&d, BAR, 0, RANGE, 0, 0, PROT_READ | PROT_WRITE, MAP_SHARED);
	if (!CHECK(a != MAP_FAILED && b != MAP_FAILED,
		   "two mappings of BAR2: A (2 MiB, aligned) and B (%d pages)", NPAGES))
		return vt_exit();
	vt_probe_warm();

	/* The pattern, written while enabled. */
	for (off = 0; off < RANGE; off += 4)
		*(volatile uint32_t *)(a + off) = pat(off);
	expect_all(a, false, "enabled: A");
	expect_all(b, false, "enabled: B");
	pread_expect(W_OFF, pat(W_OFF), "enabled");

	if (!vt_check_ok(vp_get(&d, &p), "GET"))
		return vt_exit();
	p.mem_disabled = VFIO_PCI_MMAP_POLICY_ONES;
	if (!vt_check_ok(vp_set(&d, &p), "SET mem_disabled=ones"))
		return vt_exit();
	ref0 = vt_read_refused(bdf);

	/* First window. */
	if (!memory(false))
		return vt_exit();
	expect_all(a, true, "window 1: A");
	expect_all(b, true, "window 1: B");
	expect_ones(a + SZ_2M - 4,
		    "window 1: the last word of A reads all-ones");
	expect_child(true, false, "window 1");
	pread_expect(W_OFF, ONES, "window 1");

	res = vt_probe_write32(a + W_OFF, 0x12345678u);
	CHECK(res == VT_ACCESS_OK, "window 1: a write through A does not fault (%s)",
	      vt_probe_name(res));
	v = 0;
	res = vt_probe_read32(a + W_OFF, &v);
	vt_note("window 1: A reads 0x%x where it wrote (%s)", v, vt_probe_name(res));
	expect_ones(a + W_OFF + 4,
		    "window 1: A, next word of the written page, reads all-ones");
	expect_ones(b + W_OFF,
		    "window 1: B at the offset A wrote reads all-ones");
	expect_all(b, true, "window 1, after A's write: B");
	expect_child(true, true, "window 1, after A's write");
	expect_ones(b + C_OFF,
		    "window 1: the child's write through B does not show in the parent's B");
	pread_expect(W_OFF, ONES, "window 1, after A's write");
	w = 0xabcdef01u;
	r = (int)vt_region_pwrite(&d, BAR, P_OFF, &w, 4);
	CHECK(r == 4, "window 1: pwrite returns its count (%d)", r);
	pread_expect(P_OFF, ONES, "window 1, after the pwrite");
	ref1 = vt_read_refused(bdf);
	CHECK(ref0 >= 0 && ref1 == ref0,
	      "window 1: debugfs refused counts no SIGBUS (%ld -> %ld)", ref0, ref1);

	/* Memory on: the device again, untouched by the window's writes. */
	if (!memory(true))
		return vt_exit();
	expect_all(a, false, "enabled again: A (the window's writes reached nothing)");
	expect_all(b, false, "enabled again: B");
	v = 0;
	res = vt_probe_read32(a + W_OFF, &v);
	CHECK(res == VT_ACCESS_OK && v == pat(W_OFF),
	      "enabled again: A reads the pattern where it wrote in the window (%s 0x%x, want 0x%x)",
	      vt_probe_name(res), v, pat(W_OFF));
	pread_expect(W_OFF, pat(W_OFF), "enabled again");
	pread_expect(C_OFF, pat(C_OFF), "enabled again");
	pread_expect(P_OFF, pat(P_OFF), "enabled again");
	expect_child(false, false, "enabled again");

	/* Second window: all-ones everywhere, where window 1 wrote too. */
	if (!memory(false))
		return vt_exit();
	expect_ones(a + W_OFF,
		    "window 2: A reads all-ones where window 1 wrote");
	expect_all(a, true, "window 2: A");
	expect_all(b, true, "window 2: B");
	expect_child(true, false, "window 2");
	expect_ones(b + C_OFF,
		    "window 2: B reads all-ones where the child wrote in window 1");

	if (!memory(true))
		return vt_exit();
	expect_all(a, false, "enabled after window 2: A");
	expect_all(b, false, "enabled after window 2: B");

	/* mem_disabled=sigbus. */
	p.mem_disabled = VFIO_PCI_MMAP_POLICY_SIGBUS;
	if (vt_check_ok(vp_set(&d, &p), "SET mem_disabled=sigbus") && memory(false)) {
		ref0 = vt_read_refused(bdf);
		res = vt_probe_read32(a + W_OFF, &v);
		CHECK(res == VT_ACCESS_SIGBUS, "sigbus: a read through A takes SIGBUS (%s)",
		      vt_probe_name(res));
		res = vt_probe_read32(b, &v);
		CHECK(res == VT_ACCESS_SIGBUS, "sigbus: a read through B takes SIGBUS (%s)",
		      vt_probe_name(res));
		res = vt_probe_write32(b + 8, 0);
		CHECK(res == VT_ACCESS_SIGBUS, "sigbus: a write through B takes SIGBUS (%s)",
		      vt_probe_name(res));
		r = (int)vt_region_pread(&d, BAR, 0, &v, 4);
		CHECK(r == -EIO, "sigbus: pread fails with EIO (%d)", r);
		ref1 = vt_read_refused(bdf);
		CHECK(ref0 >= 0 && ref1 >= ref0 + 3,
		      "sigbus: debugfs refused counts the SIGBUS faults (%ld -> %ld)", ref0, ref1);
		if (memory(true)) {
			expect_all(a, false, "enabled after the sigbus window: A");
			expect_all(b, false, "enabled after the sigbus window: B");
		}
	}

	munmap((void *)a, SZ_2M);
	munmap((void *)b, RANGE);
	vt_close(&d);
	return vt_exit();
}
