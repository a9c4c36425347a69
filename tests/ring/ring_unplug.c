// SPDX-License-Identifier: GPL-2.0-only
/*
 * ring_unplug - hot-unplug revokes the ring mappings: after the driver is
 * asked for the device back, every ring access gets SIGBUS, new mmaps and
 * read() fail, and the device goes away once the user closes it.
 *
 *   ring_unplug [--bdf BDF] READY_FILE [TIMEOUT_S]    (default $EDU2_BDF)
 *
 * Maps the ring, faults it in, creates READY_FILE, then waits (up to
 * TIMEOUT_S, default 60) for the mapping to be revoked; the caller unplugs
 * the device once READY_FILE exists (tests/guest/ring-suite.sh).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ring_lib.h"

int main(int argc, char **argv)
{
	const char *bdf = NULL, *ready;
	double timeout = 60, t0;
	struct vt_dev d;
	struct ring r;
	uint32_t v;
	void *p;
	char buf[64];
	int argi, rc = VT_ACCESS_OK;

	argi = vt_parse_common_args(argc, argv, "EDU2_BDF", &bdf);
	if (argi < 2)
		vt_bail("usage: ring_unplug [--bdf BDF] READY_FILE [TIMEOUT_S]");
	ready = argv[1];
	if (argi > 2)
		timeout = atof(argv[2]);
	bdf = vt_require_bdf(bdf, "EDU2_BDF");
	vt_open_or_skip(&d, bdf);
	vt_probe_init();
	vt_probe_warm();
	ring_find_or_bail(&d, &r);
	if (ring_map(&r))
		vt_bail("cannot map the ring");

	CHECK(!ring_inject(bdf, "2 1 0 0x1"), "inject 2 records");
	CHECK_EQ(vt_probe_read32(r.hdr, &v), VT_ACCESS_OK, "header readable");
	CHECK_EQ(vt_probe_read32(r.ent, &v), VT_ACCESS_OK, "entries readable");
	CHECK_EQ(vt_probe_write32(&r.cons->cons, ring_prod(&r)), VT_ACCESS_OK,
		 "cons writable");

	if (ring_create_file(ready, "ready\n"))
		vt_bail("cannot create %s", ready);
	vt_note("ready; waiting up to %.0f s for the unplug", timeout);

	t0 = vt_now();
	while (vt_now() - t0 < timeout) {
		rc = vt_probe_read32(r.hdr, &v);
		if (rc != VT_ACCESS_OK)
			break;
		usleep(50000);
	}
	vt_note("after %.1f s: %s", vt_now() - t0, vt_probe_name(rc));
	CHECK_EQ(rc, VT_ACCESS_SIGBUS, "the header mapping now gets SIGBUS");
	CHECK_EQ(vt_probe_read32(r.ent, &v), VT_ACCESS_SIGBUS,
		 "the entries mapping gets SIGBUS");
	CHECK_EQ(vt_probe_write32(&r.cons->cons, 0), VT_ACCESS_SIGBUS,
		 "the consumer page gets SIGBUS");
	if (vt_read_state(bdf, buf, sizeof(buf)) >= 0)
		CHECK(!strncmp(buf, "revoked", 7), "debugfs state: %s", buf);

	p = mmap(NULL, r.cap.header_size, PROT_READ, MAP_SHARED, d.fd,
		 (off_t)(r.base + r.cap.header_offset));
	CHECK(p == MAP_FAILED && errno == ENODEV,
	      "a new mmap of the ring fails with ENODEV");
	if (p != MAP_FAILED)
		munmap(p, r.cap.header_size);
	CHECK_EQ(ring_pread(&r, r.cap.header_offset, &v, 4), -ENODEV,
		 "read() of the ring fails with ENODEV");

	ring_unmap(&r);
	vt_close(&d);
	vt_note("device closed");
	return vt_exit();
}
