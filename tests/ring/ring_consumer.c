// SPDX-License-Identifier: GPL-2.0-only
/*
 * ring_consumer - sample consumer of the vfio-pci-mmap fault ring.
 *
 *   ring_consumer [--bdf BDF] [--count N] [--timeout S] [--read] [--quiet]
 *
 * Opens the device (legacy container/group API), finds the region whose
 * type capability is VFIO_PCI_MMAP_REGION_TYPE /
 * VFIO_PCI_MMAP_REGION_SUBTYPE_FAULT_RING, takes the layout and the IRQ
 * index from the ring capability (never from the mapped header, which the
 * user could have written), maps the three parts, registers an eventfd and
 * prints every record it consumes.  It stops after N records (default:
 * never) or S seconds without a record (default 10).
 *
 * The protocol, as in docs/fault-ring.rst:
 *   prod = load-acquire(header.prod)
 *   for each i in [cons, prod): copy entries[i & (nr_entries - 1)]
 *   store-release(cons.cons, prod)
 * A gap in seq is the number of records the kernel lost there (the header's
 * lost counter has the total).  With --read the records come from read()
 * on the entries part instead, which advances the same index.
 *
 * Exit status 0 when N records were seen (or, without --count, on timeout).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "ring_lib.h"

static unsigned long long drain(struct ring *r, bool by_read, bool quiet,
				uint64_t *next_seq, unsigned long long *gaps)
{
	struct vfio_pci_mmap_fault_record rec[64];
	unsigned long long seen = 0;
	ssize_t n;
	uint32_t i, got;

	for (;;) {
		if (by_read) {
			n = ring_pread(r, r->cap.entries_offset, rec, sizeof(rec));
			if (n < 0) {
				fprintf(stderr, "read: %s\n", strerror((int)-n));
				return seen;
			}
			got = n / sizeof(rec[0]);
		} else {
			got = ring_pop(r, rec, 64);
		}
		if (!got)
			return seen;
		for (i = 0; i < got; i++) {
			if (*next_seq && rec[i].seq != *next_seq) {
				*gaps += rec[i].seq - *next_seq;
				printf("# %llu records lost before seq %llu\n",
				       (unsigned long long)(rec[i].seq - *next_seq),
				       (unsigned long long)rec[i].seq);
			}
			*next_seq = rec[i].seq + 1;
			if (!quiet)
				ring_print_record("record", &rec[i]);
		}
		seen += got;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "read", no_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long want = 0, seen = 0, gaps = 0;
	const char *bdf = NULL;
	bool by_read = false, quiet = false;
	double timeout = 10, last;
	uint64_t next_seq = 0;
	struct vt_dev d;
	struct ring r;
	int efd, c, argi;

	argi = vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	optind = 1;
	while ((c = getopt_long(argi, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			want = strtoull(optarg, NULL, 0);
			break;
		case 't':
			timeout = atof(optarg);
			break;
		case 'r':
			by_read = true;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			return 2;
		}
	}
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	vt_open_or_skip(&d, bdf);
	ring_find_or_bail(&d, &r);
	if (r.cap.record_size != sizeof(struct vfio_pci_mmap_fault_record) ||
	    r.cap.record_version != VFIO_PCI_MMAP_FAULT_RECORD_VERSION)
		vt_bail("unknown record format v%u size %u",
			r.cap.record_version, r.cap.record_size);
	if (!by_read && ring_map(&r))
		vt_bail("cannot map the ring: %s", strerror(errno));
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0 || ring_set_eventfd(&r, efd))
		vt_bail("cannot set the ring's eventfd");
	printf("# %s: ring region %u, %u entries of %u bytes, irq index %u, via %s\n",
	       bdf, r.index, r.cap.nr_entries, r.cap.record_size,
	       r.cap.irq_index, by_read ? "read()" : "mmap");
	if (!quiet && !by_read)
		printf("ready\n");
	fflush(stdout);

	last = vt_now();
	while (!want || seen < want) {
		unsigned long long n = drain(&r, by_read, quiet, &next_seq,
					     &gaps);

		if (n) {
			seen += n;
			last = vt_now();
			fflush(stdout);
			continue;
		}
		if (vt_now() - last > timeout)
			break;
		ring_wait_eventfd(efd, 200);
	}
	printf("# %llu records, %llu lost in gaps\n", seen, gaps);
	ring_set_eventfd(&r, -1);
	close(efd);
	ring_unmap(&r);
	vt_close(&d);
	return want && seen < want ? 1 : 0;
}
