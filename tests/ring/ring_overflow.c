// SPDX-License-Identifier: GPL-2.0-only
/*
 * ring_overflow - a full ring drops records and counts every one of them.
 *
 * Into an empty ring of E entries, inject E + K records in one line, then
 * K2 more in single injections: prod advances by exactly E, lost by exactly
 * K + K2, the E records kept are the first E, in order; after the ring is
 * drained the next record's seq shows the gap (K + K2), and a partially
 * drained ring accepts exactly as many as it has room for.
 *
 *   ring_overflow [--bdf BDF]        (default $EDU_BDF)
 */
#include <string.h>
#include <unistd.h>
#include "ring_lib.h"

int main(int argc, char **argv)
{
	const uint32_t K = 123, K2 = 7;
	struct vfio_pci_mmap_fault_record x;
	const char *bdf = NULL;
	uint32_t E, i, bad = 0, prod0;
	uint64_t lost0, seq0;
	struct vt_dev d;
	struct ring r;

	bdf = ring_test_open(argc, argv, &d, &r);
	E = r.cap.nr_entries;

	/* Start from an empty ring wherever the indices are. */
	CHECK(!ring_inject(bdf, "1 1 0 0"), "inject one record");
	ring_skip_all(&r);
	prod0 = ring_prod(&r);
	lost0 = r.hdr->lost;
	ring_copy(&r, prod0 - 1, &x);
	seq0 = x.seq;

	CHECK(!ring_inject(bdf, "%u %u 2 0x5000", E + K,
			   VFIO_PCI_MMAP_FAULT_TYPE_DMA),
	      "inject E + K = %u records into an empty ring of %u", E + K, E);
	for (i = 0; i < K2; i++)
		ring_inject(bdf, "1 %u 2 0xdead", VFIO_PCI_MMAP_FAULT_TYPE_DMA);

	CHECK_EQ(ring_prod(&r) - prod0, E, "prod advanced by exactly E");
	CHECK_EQ(r.hdr->lost - lost0, K + K2, "lost counts exactly K + K2");
	CHECK_EQ(ring_status(bdf, "lost"), (long long)(lost0 + K + K2),
		 "debugfs lost agrees");
	CHECK_EQ(r.hdr->invalid_cons, 0, "no invalid consumer index involved");
	CHECK(!(r.hdr->flags & VFIO_PCI_MMAP_RING_F_CONS_INVALID),
	      "CONS_INVALID flag clear");

	for (i = 0; i < E; i++) {
		ring_copy(&r, prod0 + i, &x);
		if ((x.seq != seq0 + 1 + i || x.addr != 0x5000 + i ||
		     x.reason != 2) && bad++ < 3)
			ring_print_record("# unexpected", &x);
	}
	CHECK_EQ(bad, 0, "the ring holds the first E records, in order");

	/* Drain; the next record shows the gap in seq. */
	ring_skip_all(&r);
	CHECK(!ring_inject(bdf, "1 %u 0 0x7000", VFIO_PCI_MMAP_FAULT_TYPE_DMA),
	      "inject after draining");
	CHECK_EQ(ring_prod(&r) - prod0, E + 1, "it was published");
	ring_copy(&r, prod0 + E, &x);
	CHECK_EQ(x.seq, seq0 + E + K + K2 + 1,
		 "its seq is past the lost ones: the gap is the loss");
	CHECK_EQ(r.hdr->lost - lost0, K + K2, "lost unchanged");

	/* Half-drained: exactly the free room is accepted. */
	ring_skip_all(&r);
	prod0 = ring_prod(&r);
	lost0 = r.hdr->lost;
	CHECK(!ring_inject(bdf, "%u 1 0 0", E), "fill the ring");
	ring_set_cons(&r, prod0 + E / 4);	/* consume a quarter */
	CHECK(!ring_inject(bdf, "%u 1 0 0", E), "inject E more");
	CHECK_EQ(ring_prod(&r) - prod0, E + E / 4,
		 "a quarter of the ring was free and got filled");
	CHECK_EQ(r.hdr->lost - lost0, E - E / 4, "the rest was lost, counted");

	ring_unmap(&r);
	vt_close(&d);
	return vt_exit();
}
