// SPDX-License-Identifier: GPL-2.0-only
/*
 * ring_rw - the read()/write() path and the mmap path agree.
 *
 * Records read() returns are byte for byte those the mapping shows; read()
 * advances the same consumer index the mapping shows; the header and cons
 * parts read() the same bytes as mapped; write() sets the consumer index
 * only with a valid value, whole; everything else is refused.  A read or
 * write of 0 bytes returns 0.
 *
 *   ring_rw [--bdf BDF]        (default $EDU_BDF)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ring_lib.h"

#define N 100

int main(int argc, char **argv)
{
	struct vfio_pci_mmap_fault_record snap[N], got[N], one;
	struct vfio_pci_mmap_ring_header h;
	const char *bdf = NULL;
	uint32_t p0, c, v, i, total = 0;
	uint64_t inv0;
	struct vt_dev d;
	struct ring r;
	ssize_t n;
	char small[16];

	bdf = ring_test_open(argc, argv, &d, &r);

	ring_skip_all(&r);
	p0 = ring_prod(&r);
	CHECK(!ring_inject(&d.bdf[0], "%u 1 3 0x40000 7 1 2 0x100", N),
	      "inject %u records", N);
	for (i = 0; i < N; i++)
		ring_copy(&r, p0 + i, &snap[i]);

	/* read() in odd-sized chunks: 7 records and a bit. */
	while (total < N) {
		n = ring_pread(&r, r.cap.entries_offset + 64 * (total % 3),
			       &got[total],
			       7 * sizeof(got[0]) + 5 > (N - total) * sizeof(got[0]) ?
			       (N - total) * sizeof(got[0]) :
			       7 * sizeof(got[0]) + 5);
		if (n <= 0 || n % sizeof(got[0]))
			break;
		total += n / sizeof(got[0]);
	}
	CHECK_EQ(total, N, "read() returned all records, whole");
	CHECK(!memcmp(snap, got, sizeof(snap)),
	      "byte for byte what the mapping shows");
	CHECK_EQ(ring_cons(&r), p0 + N,
		 "read() advanced the consumer index in the shared page");
	CHECK_EQ(ring_pread(&r, r.cap.entries_offset, &one, sizeof(one)), 0,
		 "read() of an empty ring returns 0");
	CHECK_EQ(ring_pread(&r, r.cap.entries_offset, small, sizeof(small)),
		 -EINVAL, "read() smaller than a record is EINVAL");
	CHECK(got[0].pasid == 7 &&
	      (got[0].flags & VFIO_PCI_MMAP_FAULT_F_PASID_VALID) &&
	      got[0].perm == 1 && got[0].region_index == 2 &&
	      got[0].region_offset == 0x100 &&
	      (got[0].flags & VFIO_PCI_MMAP_FAULT_F_REGION_VALID),
	      "injected pasid, perm, region and offset arrive");

	/* Header and cons through read(). */
	n = ring_pread(&r, r.cap.header_offset, &h, sizeof(h));
	CHECK(n == sizeof(h) && h.magic == VFIO_PCI_MMAP_RING_MAGIC &&
	      h.prod == ring_prod(&r) && h.nr_entries == r.cap.nr_entries,
	      "read() of the header matches the mapping");
	n = ring_pread(&r, r.cap.cons_offset, &c, sizeof(c));
	CHECK(n == sizeof(c) && c == ring_cons(&r),
	      "read() of cons matches the mapping");
	n = ring_pread(&r, r.cap.header_offset + r.cap.page_size - 4, small,
		       sizeof(small));
	CHECK_EQ(n, 4, "read() of a part stops at its end");

	/* Mixed: consume some by mmap, the rest by read(). */
	CHECK(!ring_inject(bdf, "10 1 3 0x50000"), "inject 10");
	CHECK_EQ(ring_pop(&r, got, 4), 4, "pop 4 through the mapping");
	n = ring_pread(&r, r.cap.entries_offset, got, sizeof(got));
	CHECK_EQ(n, 6 * sizeof(got[0]), "read() returns the other 6");
	CHECK_EQ(got[0].addr, 0x50004, "starting where the mapping stopped");

	/* write(): the consumer index only. */
	CHECK(!ring_inject(bdf, "5 1 3 0x60000"), "inject 5");
	v = ring_prod(&r) - 5;
	CHECK_EQ(ring_pwrite(&r, r.cap.cons_offset, &v, 4), 4,
		 "write() of a valid cons");
	v = ring_prod(&r) - 2;
	CHECK_EQ(ring_pwrite(&r, r.cap.cons_offset, &v, 4), 4,
		 "write() skipping three");
	CHECK_EQ(ring_cons(&r), v, "the mapping sees it");
	n = ring_pread(&r, r.cap.entries_offset, got, sizeof(got));
	CHECK(n == 2 * (ssize_t)sizeof(got[0]) && got[0].addr == 0x60003,
	      "read() continues from there");
	v = ring_prod(&r) + 1;
	CHECK_EQ(ring_pwrite(&r, r.cap.cons_offset, &v, 4), -EINVAL,
		 "write() of cons ahead of prod is EINVAL");
	v = ring_prod(&r) - r.cap.nr_entries - 1;
	CHECK_EQ(ring_pwrite(&r, r.cap.cons_offset, &v, 4), -EINVAL,
		 "write() of cons too far behind is EINVAL");
	v = ring_prod(&r) - r.cap.nr_entries;
	CHECK_EQ(ring_pwrite(&r, r.cap.cons_offset, &v, 4), 4,
		 "write() of cons exactly nr_entries behind is valid");
	v = ring_prod(&r);
	CHECK_EQ(ring_pwrite(&r, r.cap.cons_offset, &v, 2), -EINVAL,
		 "a partial write of cons is EINVAL");
	CHECK_EQ(ring_pwrite(&r, r.cap.cons_offset + 4, &v, 4), -EINVAL,
		 "a write next to cons is EINVAL");
	CHECK_EQ(ring_pwrite(&r, r.cap.header_offset, &v, 4), -EINVAL,
		 "a write to the header is EINVAL");
	CHECK_EQ(ring_pwrite(&r, r.cap.entries_offset, &v, 4), -EINVAL,
		 "a write to the entries is EINVAL");
	CHECK_EQ(ring_pwrite(&r, r.size, &v, 4), -EINVAL,
		 "a write past the region is EINVAL");
	CHECK_EQ(ring_pread(&r, r.size, &v, 4), -EINVAL,
		 "a read past the region is EINVAL");
	CHECK_EQ(ring_pwrite(&r, r.cap.cons_offset, &v, 4), 4,
		 "write() cons = prod");

	/* A scribbled index: read() refuses it and counts it. */
	inv0 = r.hdr->invalid_cons;
	ring_set_cons(&r, ring_prod(&r) + 1000);
	CHECK_EQ(ring_pread(&r, r.cap.entries_offset, got, sizeof(got)),
		 -EINVAL, "read() with an invalid cons is EINVAL");
	CHECK_EQ(r.hdr->invalid_cons, inv0 + 1, "and it was counted");
	CHECK(r.hdr->flags & VFIO_PCI_MMAP_RING_F_CONS_INVALID,
	      "CONS_INVALID is set");
	v = ring_prod(&r);
	CHECK_EQ(ring_pwrite(&r, r.cap.cons_offset, &v, 4), 4,
		 "write() repairs it");
	CHECK_EQ(ring_pread(&r, r.cap.entries_offset, got, sizeof(got)), 0,
		 "read() works again");
	CHECK(!(r.hdr->flags & VFIO_PCI_MMAP_RING_F_CONS_INVALID),
	      "CONS_INVALID is clear");

	/* 0 bytes: 0, as vfio-pci-core answers for every region. */
	CHECK_EQ(ring_pread(&r, r.cap.entries_offset, got, 0), 0,
		 "read() of 0 bytes of the entries returns 0");
	CHECK_EQ(ring_pwrite(&r, r.cap.cons_offset, &v, 0), 0,
		 "write() of 0 bytes of the consumer index returns 0");
	CHECK_EQ(vt_region_pread(&d, VFIO_PCI_BAR0_REGION_INDEX, 0, &v, 0), 0,
		 "read() of 0 bytes of BAR0 returns 0");

	ring_unmap(&r);
	vt_close(&d);
	return vt_exit();
}
