// SPDX-License-Identifier: GPL-2.0-only
/*
 * ring_bench - records per second through the mapping and through read().
 *
 * Each round fills the ring with one debugfs injection (timed: the
 * producer's rate, syscall included), then drains it either through the
 * mapping (copying every record out) or through read() with a 64 KiB
 * buffer.  Prints the rates; checks only that every record was consumed
 * and none lost.  Run with a large ring (module parameter ring_entries)
 * for meaningful figures.
 *
 *   ring_bench [--bdf BDF] [RECORDS]     (default $EDU_BDF, 2000000)
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ring_lib.h"

static struct vfio_pci_mmap_fault_record buf[1024];

int main(int argc, char **argv)
{
	unsigned long total = 2000000, done[2] = { 0, 0 }, n;
	double t_drain[2] = { 0, 0 }, t_fill = 0, t;
	const char *bdf = NULL;
	uint64_t sum = 0, filled = 0;
	struct vt_dev d;
	struct ring r;
	int fd, argi, mode;
	ssize_t got;
	char line[64];

	argi = vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	if (argi > 1)
		total = strtoul(argv[1], NULL, 0);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	vt_open_or_skip(&d, bdf);
	ring_find_or_bail(&d, &r);
	if (ring_map(&r))
		vt_bail("cannot map the ring");
	fd = ring_inject_open(bdf);
	if (fd < 0)
		vt_bail("cannot open the inject file");
	snprintf(line, sizeof(line), "%u 1 0 0x1000", r.cap.nr_entries);
	vt_note("%u entries, %lu records per path", r.cap.nr_entries, total);

	for (mode = 0; mode < 2; mode++) {
		while (done[mode] < total) {
			t = vt_now();
			if (ring_inject_fd(fd, line))
				vt_bail("inject failed");
			t_fill += vt_now() - t;
			filled += r.cap.nr_entries;

			t = vt_now();
			for (;;) {
				if (mode == 0) {
					n = ring_pop(&r, buf, 1024);
				} else {
					got = ring_pread(&r, r.cap.entries_offset,
							 buf, sizeof(buf));
					n = got > 0 ? got / sizeof(buf[0]) : 0;
				}
				if (!n)
					break;
				sum += buf[n - 1].seq;
				done[mode] += n;
			}
			t_drain[mode] += vt_now() - t;
		}
	}
	vt_note("producer (debugfs inject, %u per write): %.0f records/s",
		r.cap.nr_entries, filled / t_fill);
	vt_note("consumer via mmap:   %.0f records/s (%lu records)",
		done[0] / t_drain[0], done[0]);
	vt_note("consumer via read(): %.0f records/s (%lu records, 1024 per call)",
		done[1] / t_drain[1], done[1]);
	printf("BENCH mmap=%.0f read=%.0f produce=%.0f entries=%u\n",
	       done[0] / t_drain[0], done[1] / t_drain[1], filled / t_fill,
	       r.cap.nr_entries);
	CHECK_EQ(done[0] + done[1], filled, "every record consumed");
	CHECK_EQ(r.hdr->lost, 0, "none lost");
	CHECK(sum != 0, "records seen");

	close(fd);
	ring_unmap(&r);
	vt_close(&d);
	return vt_exit();
}
