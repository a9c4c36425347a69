// SPDX-License-Identifier: GPL-2.0-only
/*
 * vpm-demo: drive a QEMU "edu" device through VFIO as a userspace driver
 * would, step by step, using nothing but the VFIO uapi.
 *
 *   vpm-demo BDF        (the device must be bound to vfio-pci-mmap or vfio-pci)
 *
 * Opens the container and the device's group, selects the type1 IOMMU,
 * gets the device fd, maps BAR0, reads the identification register, resets
 * the device and reads the register again through the same mapping.
 * Exits nonzero as soon as a step fails or a value is wrong.
 */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/types.h>
#include <linux/vfio.h>

#define EDU_ID_REG	0x00
#define EDU_ID_VALUE	0x010000edu	/* version 1.0, "ed" */
#define EDU_LIVENESS	0x04		/* reads back the inverse of a write */

static int step;

static void say(const char *fmt, ...)
{
	va_list ap;

	printf("step %2d: ", ++step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void die(const char *what)
{
	fprintf(stderr, "vpm-demo: %s: %s\n", what, errno ? strerror(errno) : "failed");
	exit(1);
}

static int group_of(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		die(path);
	link[n] = '\0';
	return atoi(basename(link));
}

/*
 * One 32-bit access to the mapped BAR that the compiler may neither drop,
 * merge nor split.
 */
static __u32 rd32(void *bar, unsigned int off)
{
	return __atomic_load_n((__u32 *)((char *)bar + off), __ATOMIC_RELAXED);
}

static void wr32(void *bar, unsigned int off, __u32 val)
{
	__atomic_store_n((__u32 *)((char *)bar + off), val, __ATOMIC_RELAXED);
}

int main(int argc, char **argv)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	int container, group, device, nr, bad = 0;
	char path[64];
	void *bar;
	__u32 v;

	if (argc != 2) {
		fprintf(stderr, "usage: vpm-demo BDF\n");
		return 2;
	}

	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		die("open /dev/vfio/vfio");
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		die("VFIO_GET_API_VERSION");
	if (!ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU))
		die("VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU)");
	say("opened the VFIO container (API version %d, type1v2 IOMMU available)",
	    VFIO_API_VERSION);

	nr = group_of(argv[1]);
	snprintf(path, sizeof(path), "/dev/vfio/%d", nr);
	group = open(path, O_RDWR);
	if (group < 0)
		die(path);
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status))
		die("VFIO_GROUP_GET_STATUS");
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = 0;
		die("group is not viable (are all its devices bound to a vfio driver?)");
	}
	say("opened IOMMU group %d of %s (viable)", nr, argv[1]);

	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		die("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("VFIO_SET_IOMMU");
	say("added the group to the container, IOMMU model type1v2");

	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, argv[1]);
	if (device < 0)
		die("VFIO_GROUP_GET_DEVICE_FD");
	if (ioctl(device, VFIO_DEVICE_GET_INFO, &info))
		die("VFIO_DEVICE_GET_INFO");
	say("got the device fd: %u regions, %u irqs, reset %s",
	    info.num_regions, info.num_irqs,
	    info.flags & VFIO_DEVICE_FLAGS_RESET ? "supported" : "not supported");

	reg.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &reg))
		die("VFIO_DEVICE_GET_REGION_INFO(BAR0)");
	say("BAR0: size 0x%llx, offset 0x%llx, flags%s%s%s",
	    (unsigned long long)reg.size, (unsigned long long)reg.offset,
	    reg.flags & VFIO_REGION_INFO_FLAG_READ ? " read" : "",
	    reg.flags & VFIO_REGION_INFO_FLAG_WRITE ? " write" : "",
	    reg.flags & VFIO_REGION_INFO_FLAG_MMAP ? " mmap" : "");
	if (!(reg.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		errno = 0;
		die("BAR0 cannot be mmapped");
	}

	bar = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED, device,
		   reg.offset);
	if (bar == MAP_FAILED)
		die("mmap BAR0");
	say("mapped BAR0 at %p", bar);

	v = rd32(bar, EDU_ID_REG);
	say("identification register before reset: 0x%08x (expected 0x%08x) %s",
	    v, EDU_ID_VALUE, v == EDU_ID_VALUE ? "ok" : "WRONG");
	bad |= v != EDU_ID_VALUE;

	wr32(bar, EDU_LIVENESS, 0x12345678);
	v = rd32(bar, EDU_LIVENESS);
	say("liveness register: wrote 0x12345678, read 0x%08x (expected 0x%08x) %s",
	    v, ~0x12345678u, v == ~0x12345678u ? "ok" : "WRONG");
	bad |= v != ~0x12345678u;

	if (!(info.flags & VFIO_DEVICE_FLAGS_RESET)) {
		errno = 0;
		die("the device cannot be reset");
	}
	if (ioctl(device, VFIO_DEVICE_RESET))
		die("VFIO_DEVICE_RESET");
	say("reset the device (VFIO_DEVICE_RESET)");

	v = rd32(bar, EDU_ID_REG);
	say("identification register after reset:  0x%08x (expected 0x%08x) %s",
	    v, EDU_ID_VALUE, v == EDU_ID_VALUE ? "ok" : "WRONG");
	bad |= v != EDU_ID_VALUE;

	munmap(bar, reg.size);
	close(device);
	close(group);
	close(container);
	say("closed everything: %s", bad ? "FAILED" : "all values as expected");
	return bad;
}
