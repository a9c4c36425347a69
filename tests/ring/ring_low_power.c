// SPDX-License-Identifier: GPL-2.0-only
/*
 * ring_low_power - consuming the fault ring does not wake the device.
 *
 * The ring is RAM.  With the device in low power through
 * VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP, reading records, the
 * header and the consumer page with read() and setting the consumer index
 * with write() must leave power/runtime_status "suspended" and must not
 * signal the wakeup eventfd (vfio-pci-core resumes the device before any
 * region access it dispatches, which ends the low-power feature).
 *
 *   ring_low_power [--bdf BDF]        (default $EDU_BDF)
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "ring_lib.h"

#define N 10

static int runtime_status(const char *bdf, char *buf, size_t len)
{
	char path[256];
	int r;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/power/runtime_status",
		 bdf);
	r = vt_read_file(path, buf, len);
	if (r >= 0)
		buf[strcspn(buf, "\n")] = 0;
	return r;
}

static bool wait_status(const char *bdf, const char *want, char *buf,
			size_t len)
{
	double end = vt_now() + 5;

	do {
		if (runtime_status(bdf, buf, len) >= 0 && !strcmp(buf, want))
			return true;
		usleep(10000);
	} while (vt_now() < end);
	return false;
}

static bool signalled(int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static int enter_with_wakeup(struct vt_dev *d, int efd)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_low_power_entry_with_wakeup w;
	} arg = {
		.f.argsz = sizeof(arg),
		.f.flags = VFIO_DEVICE_FEATURE_SET |
			   VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
		.w.wakeup_eventfd = efd,
	};

	return ioctl(d->fd, VFIO_DEVICE_FEATURE, &arg) ? -errno : 0;
}

int main(int argc, char **argv)
{
	struct vfio_pci_mmap_fault_record rec[N];
	struct vfio_pci_mmap_ring_header h;
	const char *bdf = NULL;
	char st[64] = "";
	struct vt_dev d;
	struct ring r;
	uint32_t c;
	ssize_t n;
	int efd, ret;

	bdf = ring_test_open(argc, argv, &d, &r);
	ring_skip_all(&r);
	CHECK(!ring_inject(d.bdf, "%u 1 3 0x40000 7 1 2 0x100", N),
	      "inject %u records", N);

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ret = enter_with_wakeup(&d, efd);
	if (ret == -ENOTTY || ret == -EINVAL)
		vt_skip("no LOW_POWER_ENTRY_WITH_WAKEUP here (%s)", strerror(-ret));
	if (!CHECK(ret == 0, "enter low power with wakeup (%s)",
		   ret ? strerror(-ret) : "0"))
		return vt_exit();
	if (!wait_status(bdf, "suspended", st, sizeof(st)))
		vt_skip("the device does not runtime-suspend here (%s)", st);

	n = ring_pread(&r, r.cap.entries_offset, rec, sizeof(rec));
	CHECK_EQ(n, sizeof(rec), "read() of the records while in low power");
	n = ring_pread(&r, 0, &h, sizeof(h));
	CHECK_EQ(n, sizeof(h), "read() of the header while in low power");
	c = ring_prod(&r);
	n = ring_pwrite(&r, r.cap.cons_offset, &c, sizeof(c));
	CHECK_EQ(n, sizeof(c), "write() of the consumer index while in low power");

	usleep(100000);
	runtime_status(bdf, st, sizeof(st));
	CHECK(!strcmp(st, "suspended"),
	      "the device stayed runtime-suspended (runtime_status %s)", st);
	CHECK(!signalled(efd), "the wakeup eventfd was not signalled");

	ret = vt_feature_set(&d, VFIO_DEVICE_FEATURE_LOW_POWER_EXIT);
	CHECK(ret == 0, "low-power exit (%s)", ret ? strerror(-ret) : "0");
	ring_unmap(&r);
	close(efd);
	vt_close(&d);
	return vt_exit();
}
