// SPDX-License-Identifier: GPL-2.0-only
/*
 * ring_hostile - a user scribbling on its consumer page cannot hurt the
 * kernel.
 *
 * One thread writes hostile values into the consumer index 10^6 times
 * (random, huge, just outside the window on either side, byte by byte so
 * the kernel may see torn values); one injects records in a loop; one
 * consumes through read() and writes random values through write().  The
 * kernel must neither crash nor stall (the harness checks the log for
 * splats), must count the invalid values it saw, and once the user writes
 * a valid index again must produce normally.
 *
 *   ring_hostile [--bdf BDF] [ITERATIONS]   (default $EDU_BDF, 1000000)
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ring_lib.h"

static struct ring r;
static const char *bdf;
static unsigned long iterations = 1000000;
static volatile int stop;
static unsigned long injections, inject_errors, reads, read_records,
		     read_einval, writes_ok, writes_einval, other_errors;

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void *hostile(void *arg)
{
	volatile uint32_t *c = &r.cons->cons;
	volatile uint8_t *b = (volatile uint8_t *)c;
	uint32_t s = 0x12345678, v, prod, nr = r.cap.nr_entries;
	unsigned long i;

	(void)arg;
	for (i = 0; i < iterations; i++) {
		prod = ring_prod(&r);
		v = xorshift(&s);
		switch (v % 8) {
		case 0:			/* anything */
			*c = v;
			break;
		case 1:			/* ahead of prod */
			*c = prod + 1;
			break;
		case 2:			/* too far behind */
			*c = prod - nr - 1;
			break;
		case 3:
			*c = 0x80000000u + prod;
			break;
		case 4:
			*c = 0xffffffffu;
			break;
		case 5:			/* torn: one byte */
			b[v % 4] = (uint8_t)(v >> 8);
			break;
		case 6:			/* valid */
			*c = prod - (v % (nr + 1));
			break;
		case 7:
			__atomic_store_n(c, prod, __ATOMIC_RELEASE);
			break;
		}
	}
	stop = 1;
	return NULL;
}

static void *injector(void *arg)
{
	int fd = ring_inject_open(bdf);

	(void)arg;
	if (fd < 0) {
		inject_errors++;
		return NULL;
	}
	while (!stop) {
		if (ring_inject_fd(fd, "16 1 6 0x1000 0x42 0x3"))
			inject_errors++;
		else
			injections++;
	}
	close(fd);
	return NULL;
}

static void *reader(void *arg)
{
	struct vfio_pci_mmap_fault_record buf[32];
	uint32_t s = 0xcafef00d, v;
	ssize_t n;

	(void)arg;
	while (!stop) {
		n = ring_pread(&r, r.cap.entries_offset, buf, sizeof(buf));
		reads++;
		if (n > 0)
			read_records += n / sizeof(buf[0]);
		else if (n == -EINVAL)
			read_einval++;
		else if (n < 0)
			other_errors++;
		v = xorshift(&s);
		n = ring_pwrite(&r, r.cap.cons_offset, &v, sizeof(v));
		if (n == sizeof(v))
			writes_ok++;
		else if (n == -EINVAL)
			writes_einval++;
		else
			other_errors++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct vfio_pci_mmap_fault_record x;
	pthread_t th[3];
	struct vt_dev d;
	uint32_t p0, i, bad = 0;
	double t0, dt;
	int argi;

	argi = vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	if (argi > 1)
		iterations = strtoul(argv[1], NULL, 0);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	vt_open_or_skip(&d, bdf);
	ring_find_or_bail(&d, &r);
	if (ring_map(&r))
		vt_bail("cannot map the ring");

	t0 = vt_now();
	pthread_create(&th[0], NULL, hostile, NULL);
	pthread_create(&th[1], NULL, injector, NULL);
	pthread_create(&th[2], NULL, reader, NULL);
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	dt = vt_now() - t0;

	vt_note("%lu hostile writes in %.2f s; %lu injections (%lu errors); %lu reads (%lu records, %lu EINVAL); writes %lu ok %lu EINVAL; %lu other errors",
		iterations, dt, injections, inject_errors, reads,
		read_records, read_einval, writes_ok, writes_einval,
		other_errors);
	vt_note("header: prod %u produced %llu lost %llu invalid_cons %llu flags 0x%x",
		ring_prod(&r), (unsigned long long)r.hdr->produced,
		(unsigned long long)r.hdr->lost,
		(unsigned long long)r.hdr->invalid_cons, r.hdr->flags);

	CHECK(injections > 0 && !inject_errors,
	      "the producer kept accepting injections (%lu)", injections);
	CHECK_EQ(other_errors, 0, "read()/write() only ever failed with EINVAL");
	CHECK(r.hdr->invalid_cons > 0, "invalid consumer indices were counted");
	CHECK(r.hdr->produced + r.hdr->lost == injections * 16,
	      "every injected record was either produced or counted lost");
	CHECK(writes_einval > 0, "write() refused invalid indices");

	/* A valid index again: the kernel produces normally. */
	ring_skip_all(&r);
	p0 = ring_prod(&r);
	CHECK(!ring_inject(bdf, "10 1 6 0x9000"), "inject 10 after the storm");
	CHECK_EQ(ring_prod(&r) - p0, 10, "all 10 published");
	CHECK(!(r.hdr->flags & VFIO_PCI_MMAP_RING_F_CONS_INVALID),
	      "CONS_INVALID cleared once the index is valid");
	for (i = 0; i < 10; i++) {
		ring_copy(&r, p0 + i, &x);
		if (x.addr != 0x9000 + i || x.type != 1 || x.reason != 6)
			bad++;
	}
	CHECK_EQ(bad, 0, "and they are intact");
	{
		struct vfio_pci_mmap_fault_record buf[16];

		CHECK_EQ(ring_pread(&r, r.cap.entries_offset, buf, sizeof(buf)),
			 10 * sizeof(buf[0]), "read() returns the 10");
	}

	ring_unmap(&r);
	vt_close(&d);
	return vt_exit();
}
