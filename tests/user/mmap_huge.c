// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_huge: a 1 GiB BAR mapped 1 GiB-aligned, 2 MiB-aligned and
 * misaligned; count the minor faults taken to touch every 4 KiB page,
 * and prove the mapping reaches the right memory.
 *
 *   mmap_huge [--driver D] [--bdf BDF]
 * Device: ivshmem-plain (IVSHMEM_BDF), BAR2, RAM-backed.
 *
 * Expected: 1 fault (PUD) 1 GiB-aligned, 512 (PMD) 2 MiB-aligned; with a
 * 4 KiB misalignment stock 6.12 falls back to one fault per 4 KiB page,
 * our driver must stay within 1024 faults.
 */
#include "vfio_test.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define BAR 2

static struct vt_dev d;
static uint64_t bar_size;

struct phase {
	const char *name;
	size_t align, misalign;
	long max_faults;	/* asserted bound; 0: report only */
	bool ours_only;		/* bound asserted for our driver only */
};

static uint32_t pattern(uint64_t off, uint32_t salt)
{
	return (uint32_t)(off * 2654435761u) ^ salt ^ 0xa5c3e1f0u;
}

/* Write through the mapping, read through the fd, and the other way. */
static void check_data(volatile char *map, const char *name, uint32_t salt)
{
	const uint64_t offs[] = {
		0, SZ_4K + 8, SZ_2M - 4, SZ_2M, 3 * SZ_2M + 0x124,
		bar_size / 2 + 12, bar_size - SZ_2M + 4, bar_size - 4,
	};
	unsigned int i, bad = 0, bad2 = 0;

	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		uint64_t o = offs[i] & ~3ULL;
		uint32_t want = pattern(o, salt), got = 0;
		int r;

		if (o + 4 > bar_size)
			continue;
		r = vt_probe_write32(map + o, want);
		if (r != VT_ACCESS_OK ||
		    vt_region_pread(&d, BAR, o, &got, 4) != 4 || got != want) {
			vt_note("%s: offset 0x%llx: mmap write %s, pread 0x%x want 0x%x",
				name, (unsigned long long)o, vt_probe_name(r),
				got, want);
			bad++;
		}
		/* And the other way, at the neighbouring word. */
		o += 4;
		if (o + 4 > bar_size)
			continue;
		want = ~pattern(o, salt);
		got = 0;
		if (vt_region_pwrite(&d, BAR, o, &want, 4) != 4 ||
		    vt_probe_read32(map + o, &got) != VT_ACCESS_OK ||
		    got != want) {
			vt_note("%s: offset 0x%llx: pwrite then mmap read 0x%x want 0x%x",
				name, (unsigned long long)o, got, want);
			bad2++;
		}
	}
	CHECK(bad == 0, "%s: stores through the mapping land at the right offsets (%u bad)",
	      name, bad);
	CHECK(bad2 == 0, "%s: loads through the mapping see pwrite data (%u bad)",
	      name, bad2);
}

static void run_phase(const struct phase *p, uint32_t salt)
{
	volatile char *map;
	size_t done;
	uint64_t sum;
	long f0, f1;
	double t0, t1;
	int r, pid = getpid();

	map = vt_map(&d, BAR, 0, bar_size, p->align, p->misalign,
		     PROT_READ | PROT_WRITE, MAP_SHARED);
	if (!CHECK(map != MAP_FAILED, "%s: mmap at %p (align 0x%zx + 0x%zx)",
		   p->name, (void *)map, p->align, p->misalign))
		return;
	vt_note("%s: mapped at %p", p->name, (void *)map);

	vt_probe_warm();
	t0 = vt_now();
	f0 = vt_minflt_thread();
	r = vt_probe_touch(map, bar_size, SZ_4K, &done, &sum);
	f1 = vt_minflt_thread();
	t1 = vt_now();
	CHECK(r == VT_ACCESS_OK, "%s: read every 4 KiB page (%s at 0x%zx)",
	      p->name, vt_probe_name(r), done);
	vt_note("FIGURE %s driver=%s faults=%ld seconds=%.3f pages=%llu",
		p->name, vt_driver_name, f1 - f0, t1 - t0,
		(unsigned long long)(bar_size / SZ_4K));
	if (p->max_faults) {
		if (p->ours_only && !vt_ours())
			vt_skip_check("bound is for vfio-pci-mmap",
				      "%s: at most %ld faults (took %ld)",
				      p->name, p->max_faults, f1 - f0);
		else
			CHECK_LE(f1 - f0, p->max_faults, p->name);
	}
	if (vt_dbg_ready(d.bdf)) {
		struct vt_mapping m[VT_MAX_MAPPINGS];
		int n = vt_read_mappings_pid(d.bdf, pid, m, VT_MAX_MAPPINGS);

		vt_print_mappings(p->name, m, n);
		vt_note("%s: debugfs faults=%ld, measured %ld", p->name,
			n == 1 ? m[0].faults : -1, f1 - f0);
		CHECK(n == 1 && m[0].faults >= 1,
		      "%s: one line, with the faults counted", p->name);
	}

	/* A second pass over populated pages takes no fault at all. */
	f0 = vt_minflt_thread();
	r = vt_probe_touch(map, bar_size, SZ_4K, &done, &sum);
	f1 = vt_minflt_thread();
	CHECK(r == VT_ACCESS_OK && f1 - f0 == 0,
	      "%s: second pass takes no fault (%ld)", p->name, f1 - f0);

	check_data(map, p->name, salt);
	munmap((void *)map, bar_size);
}

int main(int argc, char **argv)
{
	struct vt_region r;
	const char *bdf;
	int i;
	/* Slack: a few extra faults are tolerated, the figure is printed. */
	struct phase phases[] = {
		{ "1G-aligned", SZ_1G, 0, 1 + 3, false },
		/* 2 MiB-aligned but never 1 GiB-aligned: PMDs only. */
		{ "2M-aligned", SZ_1G, SZ_2M, 512 + 16, false },
		{ "misaligned-4K", SZ_2M, SZ_4K, 1024, true },
	};

	vt_parse_common_args(argc, argv, "IVSHMEM_BDF", &bdf);
	bdf = vt_require_bdf(bdf, "IVSHMEM_BDF");
	vt_open_or_skip(&d, bdf);

	if (!CHECK(vt_region_info(&d, BAR, &r) == 0, "BAR2 region info"))
		return vt_exit();
	vt_print_region(&r);
	bar_size = r.size;
	if (bar_size < SZ_1G)
		vt_skip("BAR2 is 0x%llx bytes, this test wants 1 GiB",
			(unsigned long long)bar_size);
	if (bar_size > SZ_1G) {
		vt_note("BAR2 larger than 1 GiB: using its first 1 GiB");
		bar_size = SZ_1G;
	}
	CHECK(r.flags & VFIO_REGION_INFO_FLAG_MMAP, "BAR2 is mmap-able");

	/*
	 * Touch the whole BAR once, unmeasured: the first touch of the
	 * RAM behind it costs the VM host its own page faults, which would
	 * otherwise land in the first phase's timing.
	 */
	{
		volatile char *w = vt_map(&d, BAR, 0, bar_size, SZ_2M, 0,
					  PROT_READ, MAP_SHARED);
		size_t done;
		uint64_t sum;
		double t0 = vt_now();

		if (w != MAP_FAILED) {
			vt_probe_touch(w, bar_size, SZ_4K, &done, &sum);
			munmap((void *)w, bar_size);
			vt_note("warm-up pass: %.3f s", vt_now() - t0);
		}
	}

	for (i = 0; i < (int)(sizeof(phases) / sizeof(phases[0])); i++)
		run_phase(&phases[i], 0x1000u * (i + 1));

	vt_close(&d);
	return vt_exit();
}
