// SPDX-License-Identifier: GPL-2.0-only
/*
 * ring_eventfd - the ring's notification IRQ: the eventfd fires once per
 * batch of new records, stays quiet when nothing new was published, can be
 * cleared (DATA_NONE count 0, DATA_EVENTFD fd -1) and set again, supports
 * loopback (DATA_NONE/DATA_BOOL count 1), and SET_IRQS refuses what it
 * does not support.
 *
 *   ring_eventfd [--bdf BDF]        (default $EDU_BDF)
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "ring_lib.h"

#define TRIG (VFIO_IRQ_SET_ACTION_TRIGGER)

static int inject(const char *bdf, unsigned int count)
{
	return ring_inject(bdf, "%u %u 0 0x1000", count,
			   VFIO_PCI_MMAP_FAULT_TYPE_DMA);
}

int main(int argc, char **argv)
{
	const char *bdf = NULL;
	struct vt_dev d;
	struct ring r;
	uint64_t v;
	uint8_t b;
	int efd, efd2;
	int32_t fd;

	bdf = ring_test_open(argc, argv, &d, &r);

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	efd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	CHECK_EQ(ring_set_irqs(&r, VFIO_IRQ_SET_DATA_NONE | TRIG, 0, 1, NULL, 0),
		 -EINVAL, "loopback without an eventfd is EINVAL");
	CHECK(!ring_set_eventfd(&r, efd), "set the eventfd");
	CHECK_EQ(ring_status(bdf, "eventfd"), 1, "debugfs shows it");

	CHECK(!inject(bdf, 1), "inject one record");
	v = ring_wait_eventfd(efd, 2000);
	CHECK_EQ(v, 1, "the eventfd fired once");

	CHECK(!inject(bdf, 5), "inject a batch of five");
	v = ring_wait_eventfd(efd, 2000);
	CHECK_EQ(v, 1, "one signal for the batch");
	CHECK_EQ(ring_wait_eventfd(efd, 200), 0, "and no more");

	CHECK(!inject(bdf, 300), "inject a batch of 300 (several lock holds)");
	v = ring_wait_eventfd(efd, 2000);
	CHECK_EQ(v, 1, "still one signal for the batch");

	/* The ring is full now if it has <= 306 entries: nothing published,
	 * nothing signalled.  Fill it for sure first. */
	CHECK(!inject(bdf, r.cap.nr_entries), "fill the ring");
	ring_wait_eventfd(efd, 200);
	CHECK_EQ(ring_prod(&r) - ring_cons(&r), r.cap.nr_entries,
		 "the ring is full");
	CHECK(!inject(bdf, 3), "inject into the full ring");
	CHECK_EQ(ring_wait_eventfd(efd, 300), 0,
		 "no signal when nothing was published");
	ring_skip_all(&r);

	CHECK(!ring_set_irqs(&r, VFIO_IRQ_SET_DATA_NONE | TRIG, 0, 0, NULL, 0),
	      "DATA_NONE count 0 clears the eventfd");
	CHECK_EQ(ring_status(bdf, "eventfd"), 0, "debugfs shows it cleared");
	CHECK(!inject(bdf, 1), "inject");
	CHECK_EQ(ring_wait_eventfd(efd, 300), 0, "no signal once cleared");
	CHECK(!ring_set_irqs(&r, VFIO_IRQ_SET_DATA_NONE | TRIG, 0, 0, NULL, 0),
	      "clearing twice is fine");

	CHECK(!ring_set_eventfd(&r, efd2), "set another eventfd");
	CHECK(!inject(bdf, 2), "inject");
	CHECK_EQ(ring_wait_eventfd(efd2, 2000), 1, "the new one fires");
	CHECK_EQ(ring_wait_eventfd(efd, 100), 0, "the old one does not");

	CHECK(!ring_set_irqs(&r, VFIO_IRQ_SET_DATA_NONE | TRIG, 0, 1, NULL, 0),
	      "DATA_NONE count 1: loopback");
	CHECK_EQ(ring_wait_eventfd(efd2, 2000), 1, "loopback signals");
	b = 1;
	CHECK(!ring_set_irqs(&r, VFIO_IRQ_SET_DATA_BOOL | TRIG, 0, 1, &b, 1),
	      "DATA_BOOL true: loopback");
	CHECK_EQ(ring_wait_eventfd(efd2, 2000), 1, "it signals");
	b = 0;
	CHECK(!ring_set_irqs(&r, VFIO_IRQ_SET_DATA_BOOL | TRIG, 0, 1, &b, 1),
	      "DATA_BOOL false");
	CHECK_EQ(ring_wait_eventfd(efd2, 100), 0, "does not signal");

	fd = -1;
	CHECK(!ring_set_irqs(&r, VFIO_IRQ_SET_DATA_EVENTFD | TRIG, 0, 1, &fd,
			     sizeof(fd)), "DATA_EVENTFD fd -1 clears");
	CHECK(!inject(bdf, 1), "inject");
	CHECK_EQ(ring_wait_eventfd(efd2, 300), 0, "no signal");

	fd = efd;
	CHECK_EQ(ring_set_irqs(&r, VFIO_IRQ_SET_DATA_EVENTFD |
			       VFIO_IRQ_SET_ACTION_MASK, 0, 1, &fd, sizeof(fd)),
		 -EINVAL, "ACTION_MASK is EINVAL");
	CHECK_EQ(ring_set_irqs(&r, VFIO_IRQ_SET_DATA_EVENTFD | TRIG, 1, 1, &fd,
			       sizeof(fd)), -EINVAL, "start 1 is EINVAL");
	CHECK_EQ(ring_set_irqs(&r, VFIO_IRQ_SET_DATA_EVENTFD | TRIG, 0, 2, &fd,
			       sizeof(fd)), -EINVAL, "count 2 is EINVAL");
	fd = 1000000;
	CHECK(ring_set_irqs(&r, VFIO_IRQ_SET_DATA_EVENTFD | TRIG, 0, 1, &fd,
			    sizeof(fd)) < 0, "a bad fd is refused");
	fd = 0;	/* stdin: not an eventfd */
	CHECK(ring_set_irqs(&r, VFIO_IRQ_SET_DATA_EVENTFD | TRIG, 0, 1, &fd,
			    sizeof(fd)) < 0, "a non-eventfd fd is refused");

	/* Leave one set: closing the device must tear it down. */
	CHECK(!ring_set_eventfd(&r, efd), "set it again before closing");
	ring_unmap(&r);
	vt_close(&d);
	close(efd);
	close(efd2);
	CHECK(ring_status(bdf, "eventfd") < 0, "debugfs: ring closed");
	return vt_exit();
}
