// SPDX-License-Identifier: GPL-2.0-only
/*
 * ring_consume - a consumer reads N injected records in order, none lost.
 *
 * A producer thread injects batches through debugfs, never more than the
 * ring has room for (it watches prod and cons in the mapping); the main
 * thread sleeps on the ring's eventfd and drains through the mapping.  Every
 * record must arrive once, in order: seq consecutive from 1, addr equal to
 * its number, the injected type/reason/flags, timestamps non-decreasing.
 * At the end lost must be 0 and produced N.
 *
 *   ring_consume [--bdf BDF] [N]        (default $EDU_BDF, N 20000)
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "ring_lib.h"

#define ADDR_BASE 0x100000000ULL

static struct ring r;
static const char *bdf;
static uint32_t total = 20000;
static volatile int producer_error, consumer_gone;

static void *producer(void *arg)
{
	uint32_t sent = 0, batch, nr = r.cap.nr_entries;
	char line[128];
	int fd = ring_inject_open(bdf);

	(void)arg;
	if (fd < 0) {
		producer_error = fd;
		return NULL;
	}
	while (sent < total) {
		batch = 1 + (sent * 7 + 3) % 37;	/* 1..37, varied */
		if (batch > total - sent)
			batch = total - sent;
		if (batch > nr / 2)
			batch = nr / 2;
		/* Room for the whole batch, or the test would lose records. */
		while (ring_prod(&r) - ring_cons(&r) > nr - batch &&
		       !consumer_gone)
			usleep(100);
		if (consumer_gone)
			break;
		snprintf(line, sizeof(line), "%u %u %u 0x%llx 0 0x%x",
			 batch, VFIO_PCI_MMAP_FAULT_TYPE_DMA,
			 VFIO_PCI_MMAP_FAULT_REASON_PERMISSION,
			 ADDR_BASE + sent, VFIO_PCI_MMAP_FAULT_PERM_WRITE);
		producer_error = ring_inject_fd(fd, line);
		if (producer_error)
			break;
		sent += batch;
	}
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct vfio_pci_mmap_fault_record rec[64];
	uint32_t got = 0, bad = 0, i, n, wakeups = 0, timeouts = 0;
	uint64_t last_ts = 0, expect_seq = 1;
	const uint32_t want_flags = VFIO_PCI_MMAP_FAULT_F_INJECTED |
				    VFIO_PCI_MMAP_FAULT_F_ADDR_VALID |
				    VFIO_PCI_MMAP_FAULT_F_PASID_VALID;
	struct vt_dev d;
	pthread_t th;
	double t0;
	int efd, argi;

	argi = vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	if (argi > 1)
		total = strtoul(argv[1], NULL, 0);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	vt_open_or_skip(&d, bdf);
	ring_find_or_bail(&d, &r);
	if (ring_map(&r))
		vt_bail("cannot map the ring");

	efd = eventfd(0, EFD_CLOEXEC);
	CHECK(!ring_set_eventfd(&r, efd), "set the ring's eventfd");

	t0 = vt_now();
	pthread_create(&th, NULL, producer, NULL);
	while (got < total && !producer_error) {
		n = ring_pop(&r, rec, 64);
		if (!n) {
			if (ring_wait_eventfd(efd, 2000))
				wakeups++;
			else if (++timeouts > 5)
				break;
			continue;
		}
		for (i = 0; i < n; i++, got++) {
			const struct vfio_pci_mmap_fault_record *x = &rec[i];
			bool ok = x->seq == expect_seq &&
				  x->addr == ADDR_BASE + got &&
				  x->type == VFIO_PCI_MMAP_FAULT_TYPE_DMA &&
				  x->reason == VFIO_PCI_MMAP_FAULT_REASON_PERMISSION &&
				  x->flags == want_flags &&
				  x->perm == VFIO_PCI_MMAP_FAULT_PERM_WRITE &&
				  x->version == VFIO_PCI_MMAP_FAULT_RECORD_VERSION &&
				  x->size == sizeof(*x) && !x->reserved &&
				  x->timestamp_ns >= last_ts;

			if (!ok && bad++ < 5) {
				vt_note("record %u is wrong (expected seq %llu addr 0x%llx)",
					got, (unsigned long long)expect_seq,
					ADDR_BASE + got);
				ring_print_record("#   got", x);
			}
			expect_seq = x->seq + 1;
			last_ts = x->timestamp_ns;
		}
	}
	consumer_gone = 1;
	pthread_join(th, NULL);
	vt_note("%u records in %.2f s, %u eventfd wakeups", got,
		vt_now() - t0, wakeups);

	CHECK_EQ(producer_error, 0, "the producer's injections succeeded");
	CHECK_EQ(got, total, "every record arrived");
	CHECK_EQ(bad, 0, "every record in order with the right contents");
	CHECK_EQ(r.hdr->lost, 0, "header: nothing lost");
	CHECK_EQ(r.hdr->produced, total, "header: produced");
	CHECK_EQ(r.hdr->invalid_cons, 0, "header: no invalid consumer index");
	CHECK_EQ(ring_prod(&r), total, "prod counted every record");
	CHECK(wakeups > 0, "the consumer was woken by the eventfd (%u)",
	      wakeups);
	CHECK(ring_status(bdf, "lost") == 0 &&
	      ring_status(bdf, "produced") == (long long)total,
	      "debugfs agrees");

	ring_set_eventfd(&r, -1);
	close(efd);
	ring_unmap(&r);
	vt_close(&d);
	return vt_exit();
}
