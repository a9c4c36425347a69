// SPDX-License-Identifier: GPL-2.0-only
/*
 * ring_kmod_check - the consumer side of the in-kernel caller test: the
 * records tests/ring/kmod/vpm_ring_caller.ko reports through
 * vfio_pci_mmap_report_fault() from hard interrupt, softirq and irqs-off
 * process context arrive complete and in order.
 *
 *   ring_kmod_check [--bdf BDF] READY_FILE COUNT   (default $EDU_BDF)
 *
 * Opens the device, maps the ring, creates READY_FILE and waits (30 s at
 * most) for 3 * COUNT DMA records; the caller loads the module once
 * READY_FILE exists (tests/guest/ring-suite.sh).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "ring_lib.h"

int main(int argc, char **argv)
{
	static const uint64_t base[3] = {
		0x10000000ULL, 0x20000000ULL, 0x30000000ULL
	};
	struct vfio_pci_mmap_fault_record *rec;
	const char *bdf = NULL;
	uint32_t count, want, got = 0, i, b, bad = 0;
	uint32_t next[3] = { 0, 0, 0 };
	struct vt_dev d;
	struct ring r;
	double t0;
	int argi, efd;

	argi = vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	if (argi < 3)
		vt_bail("usage: ring_kmod_check [--bdf BDF] READY_FILE COUNT");
	count = strtoul(argv[2], NULL, 0);
	want = 3 * count;
	rec = calloc(want + 64, sizeof(*rec));
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	vt_open_or_skip(&d, bdf);
	ring_find_or_bail(&d, &r);
	if (ring_map(&r))
		vt_bail("cannot map the ring");
	if (want > r.cap.nr_entries)
		vt_bail("COUNT too big for a ring of %u", r.cap.nr_entries);
	efd = eventfd(0, EFD_CLOEXEC);
	ring_set_eventfd(&r, efd);
	ring_skip_all(&r);
	if (ring_create_file(argv[1], "ready\n"))
		vt_bail("cannot create %s", argv[1]);

	t0 = vt_now();
	while (got < want && vt_now() - t0 < 30) {
		uint32_t n = ring_pop(&r, rec + got, want + 64 - got);

		if (!n)
			ring_wait_eventfd(efd, 500);
		got += n;
	}
	CHECK_EQ(got, want, "3 x COUNT records arrived");

	for (i = 0; i < got; i++) {
		const struct vfio_pci_mmap_fault_record *x = &rec[i];

		b = (x->addr >> 28) - 1;
		if (b > 2 || x->addr != base[b] + next[b] ||
		    x->type != VFIO_PCI_MMAP_FAULT_TYPE_DMA ||
		    x->reason != VFIO_PCI_MMAP_FAULT_REASON_PTE_FETCH ||
		    x->flags != (VFIO_PCI_MMAP_FAULT_F_PASID_VALID |
				 VFIO_PCI_MMAP_FAULT_F_ADDR_VALID) ||
		    x->pasid != 0x77 ||
		    x->perm != (VFIO_PCI_MMAP_FAULT_PERM_READ |
				VFIO_PCI_MMAP_FAULT_PERM_PRIV) ||
		    (i && x->seq != rec[i - 1].seq + 1)) {
			if (bad++ < 5)
				ring_print_record("# unexpected", x);
			continue;
		}
		next[b]++;
	}
	CHECK_EQ(bad, 0, "each record as reported, seq consecutive");
	CHECK(next[0] == count && next[1] == count && next[2] == count,
	      "COUNT from each context, each batch in order (%u %u %u)",
	      next[0], next[1], next[2]);
	CHECK_EQ(r.hdr->lost, 0, "none lost");

	ring_set_eventfd(&r, -1);
	close(efd);
	ring_unmap(&r);
	vt_close(&d);
	free(rec);
	return vt_exit();
}
