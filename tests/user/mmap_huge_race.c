// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_huge_race: a PMD fault and a PTE fault in the same 2 MiB block, both
 * waiting for the device while a reset holds it, must not warn.
 *
 * The mm decides to call ->huge_fault after an unlocked pmd_none() check.
 * Thread A write-faults a fresh 2 MiB-aligned block and waits for the
 * device (a VFIO_DEVICE_RESET holds memory_lock for its ~100 ms); then THP
 * is disabled for the process (PR_SET_THP_DISABLE) and thread B write-
 * faults another page of the block: the mm installs a PTE table under the
 * PMD and B waits too.  When the reset ends, A's PMD insert finds the
 * table.  A driver that asks for a writable PMD insert there hits the
 * WARN_ON_ONCE in insert_pfn_pmd() (mm/huge_memory.c); the kernel taint
 * flag W is how this program sees it, the harness's console scan too.
 * Memory decoding is toggled in between rounds, so the block is also
 * raced after zaps.
 *
 *   mmap_huge_race [--driver D] [--bdf BDF] [--rounds N]
 * Device: ivshmem-plain (IVSHMEM_BDF), BAR2.
 */
#include "vfio_test.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#define BAR 2
#define TAINT_WARN (1UL << 9)

struct toucher {
	pthread_t tid;
	volatile char *p;
	uint32_t val;
	int res;
	double took;
};

static struct vt_dev d;

static unsigned long taint(void)
{
	char buf[32];

	if (vt_read_file("/proc/sys/kernel/tainted", buf, sizeof(buf)) < 0)
		return 0;
	return strtoul(buf, NULL, 10);
}

static void *touch(void *arg)
{
	struct toucher *t = arg;
	double t0 = vt_now();

	t->res = vt_probe_write32(t->p, t->val);
	t->took = vt_now() - t0;
	return NULL;
}

static double reset_took;

static void *do_reset(void *arg)
{
	double t0 = vt_now();

	*(int *)arg = vt_reset(&d);
	reset_took = vt_now() - t0;
	return NULL;
}

/* The reset's length, measured once: A and B are placed inside it. */
static double reset_len = 0.02;

static void sleep_frac(double f)
{
	usleep((useconds_t)(reset_len * f * 1e6));
}

/* One round: returns true when both threads waited on the reset. */
static bool round_once(unsigned int i, uint64_t bar_size, int *errors)
{
	uint64_t off = ((uint64_t)i * SZ_2M * 3) % (bar_size - SZ_2M);
	struct toucher a = { .val = 0xa0000000u | i };
	struct toucher b = { .val = 0xb0000000u | i };
	volatile char *map;
	pthread_t reset;
	uint32_t got = 0;
	int rret = 0;
	bool raced;

	off &= ~(SZ_2M - 1);
	map = vt_map(&d, BAR, off, SZ_2M, SZ_2M, 0, PROT_READ | PROT_WRITE,
		     MAP_SHARED);
	if (map == MAP_FAILED) {
		(*errors)++;
		return false;
	}
	a.p = map;
	b.p = map + 5 * SZ_4K;
	prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);

	pthread_create(&reset, NULL, do_reset, &rret);
	sleep_frac(0.2);
	pthread_create(&a.tid, NULL, touch, &a);
	sleep_frac(0.2);
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	pthread_create(&b.tid, NULL, touch, &b);
	sleep_frac(0.2);
	prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);
	pthread_join(a.tid, NULL);
	pthread_join(b.tid, NULL);
	pthread_join(reset, NULL);

	raced = a.took > reset_len * 0.3 && b.took > reset_len * 0.1;
	if (i < 2)
		vt_note("round %u: A waited %.1f ms, B %.1f ms", i, a.took * 1e3,
			b.took * 1e3);
	if (a.res != VT_ACCESS_OK || b.res != VT_ACCESS_OK || rret) {
		vt_note("round %u: A %s, B %s, reset %d", i, vt_probe_name(a.res),
			vt_probe_name(b.res), rret);
		(*errors)++;
	} else if (vt_region_pread(&d, BAR, off, &got, 4) != 4 ||
		   got != a.val) {
		vt_note("round %u: A's write reads back 0x%x, want 0x%x", i,
			got, a.val);
		(*errors)++;
	}

	/* A zap between rounds: the next block is raced after one too. */
	vt_set_memory_enable(&d, false);
	vt_set_memory_enable(&d, true);
	munmap((void *)map, SZ_2M);
	return raced;
}

int main(int argc, char **argv)
{
	unsigned int rounds = 40, i, raced = 0;
	const char *bdf;
	struct vt_region r;
	unsigned long t0;
	int errors = 0;
	char thp[128];
	int ai;

	ai = vt_parse_common_args(argc, argv, "IVSHMEM_BDF", &bdf);
	for (i = 1; (int)i < ai; i++) {
		if (!strcmp(argv[i], "--rounds") && (int)i + 1 < ai)
			rounds = strtoul(argv[++i], NULL, 0);
	}
	bdf = vt_require_bdf(bdf, "IVSHMEM_BDF");
	if (vt_read_file("/sys/kernel/mm/transparent_hugepage/enabled", thp,
			 sizeof(thp)) < 0)
		vt_skip("no transparent hugepages in this kernel");
	if (!strstr(thp, "[always]") &&
	    vt_write_file("/sys/kernel/mm/transparent_hugepage/enabled",
			  "always"))
		vt_skip("cannot set THP to always (%s)", thp);
	t0 = taint();
	if (t0 & TAINT_WARN)
		vt_skip("the kernel already warned (taint 0x%lx): cannot tell", t0);

	vt_open_or_skip(&d, bdf);
	if (vt_region_info(&d, BAR, &r) || r.size < 8 * SZ_2M)
		vt_skip("BAR2 too small");
	vt_probe_warm();
	do_reset(&i);
	reset_len = reset_took;
	do_reset(&i);
	if (reset_took < reset_len)
		reset_len = reset_took;
	vt_note("VFIO_DEVICE_RESET takes %.1f ms", reset_len * 1e3);

	for (i = 0; i < rounds; i++)
		raced += round_once(i, r.size, &errors);

	vt_note("FIGURE huge-race driver=%s rounds=%u raced=%u last-reset=%.1fms",
		vt_driver_name, rounds, raced, reset_took * 1e3);
	CHECK(errors == 0, "every round's accesses reach the device (%d errors)",
	      errors);
	CHECK(raced > 0, "at least one round raced a PMD and a PTE fault (%u/%u)",
	      raced, rounds);
	CHECK(!(taint() & TAINT_WARN),
	      "no WARN: the kernel is not tainted W (taint 0x%lx)", taint());
	vt_close(&d);
	return vt_exit();
}
