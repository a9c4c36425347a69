// SPDX-License-Identifier: GPL-2.0-only
/*
 * ring_lifetime - producers racing with the device being opened and closed.
 *
 * The main thread opens the device, maps and touches the ring, sets an
 * eventfd and closes everything, over and over; two threads meanwhile
 * inject records and read debugfs status as fast as they can.  Injections
 * must either succeed (device open) or fail with ENODEV (closed), never
 * anything else, and the kernel must not splat (use-after-free, lockdep,
 * refcount warnings: the harness scans the log).
 *
 *   ring_lifetime [--bdf BDF] [CYCLES]     (default $EDU_BDF, 200)
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "ring_lib.h"

static const char *bdf;
static volatile int stop;
static unsigned long ok, enodev, other, status_reads;

static void *injector(void *arg)
{
	int fd = ring_inject_open(bdf), e;

	(void)arg;
	if (fd < 0) {
		other++;
		return NULL;
	}
	while (!stop) {
		e = ring_inject_fd(fd, "8 1 0 0x1");
		if (!e)
			ok++;
		else if (e == -ENODEV)
			enodev++;
		else
			other++;
	}
	close(fd);
	return NULL;
}

static void *status(void *arg)
{
	(void)arg;
	while (!stop) {
		ring_status(bdf, "prod");
		status_reads++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long cycles = 200, i, opened = 0;
	pthread_t th[2];
	struct vt_dev d;
	struct ring r;
	uint32_t v;
	int argi, efd;

	argi = vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	if (argi > 1)
		cycles = strtoul(argv[1], NULL, 0);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	vt_probe_init();

	pthread_create(&th[0], NULL, injector, NULL);
	pthread_create(&th[1], NULL, status, NULL);
	for (i = 0; i < cycles; i++) {
		const char *why;

		if (vt_open(&d, bdf, &why))
			continue;
		opened++;
		if (!ring_find(&d, &r) && !ring_map(&r)) {
			vt_probe_read32(r.hdr, &v);
			vt_probe_read32(r.ent, &v);
			ring_set_cons(&r, ring_prod(&r));
			efd = eventfd(0, EFD_CLOEXEC);
			ring_set_eventfd(&r, efd);
			if (i & 1)
				ring_unmap(&r);	/* else closing unmaps */
			close(efd);	/* the ring keeps its reference */
		}
		vt_close(&d);
		if (!(i & 1))
			ring_unmap(&r);
		if (!((i + 1) % 25))
			vt_note("%lu cycles, %lu injections ok, %lu ENODEV",
				i + 1, ok, enodev);
	}
	stop = 1;
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);

	vt_note("%lu cycles (%lu opened); injections: %lu ok, %lu ENODEV, %lu other; %lu status reads",
		cycles, opened, ok, enodev, other, status_reads);
	CHECK_EQ(opened, cycles, "every open worked");
	CHECK_EQ(other, 0, "injections only ever failed with ENODEV");
	CHECK(ok > 0 && enodev > 0,
	      "injections hit both open and closed device");
	CHECK(ring_status(bdf, "prod") < 0, "closed at the end");
	return vt_exit();
}
