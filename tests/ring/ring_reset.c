// SPDX-License-Identifier: GPL-2.0-only
/*
 * ring_reset - a device reset zaps the ring mappings with the BARs; the
 * ring keeps its records and indices, a RESET record marks the point, and
 * the next access re-faults the same pages.
 *
 *   ring_reset [--bdf BDF]        (default $EDU_BDF)
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ring_lib.h"

static long faults_of(const char *bdf, const volatile void *p)
{
	return vt_mapping_faults(bdf, getpid(), (uint64_t)(uintptr_t)p);
}

int main(int argc, char **argv)
{
	struct vfio_pci_mmap_fault_record before[3], x;
	const char *bdf = NULL;
	long f_hdr, f_ent, m0, m1;
	struct vt_mapping maps[VT_MAX_MAPPINGS];
	struct vt_dev d;
	struct ring r;
	uint32_t p0, v, i;
	int n, ring_lines = 0, empty = 0;

	vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	vt_open_or_skip(&d, bdf);
	vt_probe_init();
	vt_probe_warm();
	ring_find_or_bail(&d, &r);
	if (ring_map(&r))
		vt_bail("cannot map the ring");

	CHECK(!ring_inject(bdf, "3 1 1 0xabc000"), "inject 3 records");
	p0 = ring_prod(&r);
	for (i = 0; i < 3; i++)
		ring_copy(&r, p0 - 3 + i, &before[i]);
	CHECK_EQ(vt_probe_read32(r.ent, &v), VT_ACCESS_OK, "entries readable");

	f_hdr = faults_of(bdf, r.hdr);
	f_ent = faults_of(bdf, r.ent);
	CHECK(f_hdr > 0 && f_ent > 0,
	      "debugfs counts the ring faults (header %ld, entries %ld)",
	      f_hdr, f_ent);

	if (vt_reset(&d))
		vt_skip("VFIO_DEVICE_RESET is not supported here");
	vt_note("VFIO_DEVICE_RESET done");

	n = vt_read_mappings_pid(bdf, getpid(), maps, VT_MAX_MAPPINGS);
	for (int k = 0; k < n; k++) {
		if (maps[k].region != (int)r.index)
			continue;
		ring_lines++;
		empty += !strcmp(maps[k].state, "empty");
	}
	CHECK(ring_lines == 3 && empty == 3,
	      "all 3 ring mappings were zapped (%d of %d empty)", empty,
	      ring_lines);

	m0 = vt_minflt_thread();
	CHECK_EQ(ring_prod(&r), p0 + 1, "prod kept, plus one record");
	m1 = vt_minflt_thread();
	CHECK(m1 > m0, "reading the header took a fault (%ld minor faults)",
	      m1 - m0);
	CHECK(faults_of(bdf, r.hdr) > f_hdr,
	      "debugfs: the header mapping re-faulted");

	ring_copy(&r, p0, &x);
	ring_print_record("# after reset:", &x);
	CHECK(x.type == VFIO_PCI_MMAP_FAULT_TYPE_RESET &&
	      x.seq == before[2].seq + 1, "the new record is a RESET, next seq");
	CHECK(faults_of(bdf, r.ent) > f_ent,
	      "debugfs: the entries mapping re-faulted");
	for (i = 0; i < 3; i++) {
		ring_copy(&r, p0 - 3 + i, &x);
		if (memcmp(&x, &before[i], sizeof(x)))
			break;
	}
	CHECK_EQ(i, 3, "the records before the reset are intact");
	CHECK_EQ(r.hdr->magic, VFIO_PCI_MMAP_RING_MAGIC, "header intact");

	/* The consumer page re-faults too, and still works. */
	ring_set_cons(&r, ring_prod(&r));
	CHECK_EQ(ring_status(bdf, "cons"), ring_prod(&r),
		 "the kernel sees the consumer index written after the reset");

	ring_unmap(&r);
	vt_close(&d);
	return vt_exit();
}
