// SPDX-License-Identifier: GPL-2.0-only
/*
 * ring_lib.c - helpers for the fault ring tests and the sample consumer.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "../include/ring_lib.h"

/* Walk the capability chain of one region; fills r. */
static void ring_parse_caps(struct ring *r, const struct vfio_region_info *info)
{
	const char *base = (const char *)info;
	uint32_t off = info->cap_offset;
	unsigned int guard = 0;

	while (off && off + sizeof(struct vfio_info_cap_header) <= info->argsz &&
	       guard++ < 64) {
		const struct vfio_info_cap_header *h = (const void *)(base + off);

		r->ncaps++;
		switch (h->id) {
		case VFIO_REGION_INFO_CAP_TYPE: {
			const struct vfio_region_info_cap_type *t = (const void *)h;

			r->have_type = true;
			r->type = t->type;
			r->subtype = t->subtype;
			break;
		}
		case VFIO_REGION_INFO_CAP_SPARSE_MMAP: {
			const struct vfio_region_info_cap_sparse_mmap *s =
				(const void *)h;
			uint32_t i;

			r->have_sparse = true;
			r->nr_areas = s->nr_areas;
			for (i = 0; i < s->nr_areas && i < RING_MAX_AREAS; i++)
				r->areas[i] = s->areas[i];
			break;
		}
		case VFIO_PCI_MMAP_REGION_INFO_CAP_FAULT_RING:
			if (off + sizeof(r->cap) <= info->argsz) {
				memcpy(&r->cap, h, sizeof(r->cap));
				r->have_cap = true;
			}
			break;
		}
		off = h->next;
	}
}

static int ring_region_info(struct vt_dev *d, uint32_t index, struct ring *r)
{
	struct vfio_region_info *info;
	uint32_t argsz = sizeof(*info);

	for (;;) {
		info = calloc(1, argsz);
		if (!info)
			return -ENOMEM;
		info->argsz = argsz;
		info->index = index;
		if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, info)) {
			int e = -errno;

			free(info);
			return e;
		}
		if (info->argsz <= argsz)
			break;
		argsz = info->argsz;
		free(info);
	}
	memset(r, 0, sizeof(*r));
	r->d = d;
	r->index = index;
	r->base = info->offset;
	r->size = info->size;
	r->flags = info->flags;
	if (info->flags & VFIO_REGION_INFO_FLAG_CAPS)
		ring_parse_caps(r, info);
	free(info);
	return 0;
}

int ring_find(struct vt_dev *d, struct ring *r)
{
	uint32_t i;

	for (i = VT_NUM_STD_REGIONS; i < d->num_regions; i++) {
		if (ring_region_info(d, i, r))
			continue;
		if (r->have_type && r->type == (uint32_t)VFIO_PCI_MMAP_REGION_TYPE &&
		    r->subtype == VFIO_PCI_MMAP_REGION_SUBTYPE_FAULT_RING)
			return 0;
	}
	memset(r, 0, sizeof(*r));
	return -ENOENT;
}

void ring_find_or_bail(struct vt_dev *d, struct ring *r)
{
	int e = ring_find(d, r);

	if (e)
		vt_bail("no fault ring region on %s (%s)", d->bdf, strerror(-e));
	if (!r->have_cap)
		vt_bail("the fault ring region has no ring capability");
}

int ring_map(struct ring *r)
{
	const struct vfio_pci_mmap_region_info_cap_fault_ring *c = &r->cap;
	void *p;

	p = mmap(NULL, c->header_size, PROT_READ, MAP_SHARED, r->d->fd,
		 (off_t)(r->base + c->header_offset));
	if (p == MAP_FAILED)
		return -errno;
	r->hdr = p;
	p = mmap(NULL, c->cons_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 r->d->fd, (off_t)(r->base + c->cons_offset));
	if (p == MAP_FAILED)
		goto fail;
	r->cons = p;
	p = mmap(NULL, c->entries_size, PROT_READ, MAP_SHARED, r->d->fd,
		 (off_t)(r->base + c->entries_offset));
	if (p == MAP_FAILED)
		goto fail;
	r->ent = p;
	return 0;
fail:
	{
		int e = -errno;

		ring_unmap(r);
		return e;
	}
}

void ring_unmap(struct ring *r)
{
	if (r->hdr)
		munmap((void *)r->hdr, r->cap.header_size);
	if (r->cons)
		munmap((void *)r->cons, r->cap.cons_size);
	if (r->ent)
		munmap((void *)r->ent, r->cap.entries_size);
	r->hdr = NULL;
	r->cons = NULL;
	r->ent = NULL;
}

void ring_copy(const struct ring *r, uint32_t idx,
	       struct vfio_pci_mmap_fault_record *out)
{
	memcpy(out, (const void *)ring_entry(r, idx), sizeof(*out));
}

uint32_t ring_pop(struct ring *r, struct vfio_pci_mmap_fault_record *out,
		  uint32_t max)
{
	uint32_t prod = ring_prod(r), cons = ring_cons(r), n = 0;

	while (cons + n != prod && n < max) {
		ring_copy(r, cons + n, &out[n]);
		n++;
	}
	if (n)
		ring_set_cons(r, cons + n);
	return n;
}

void ring_skip_all(struct ring *r)
{
	ring_set_cons(r, ring_prod(r));
}

ssize_t ring_pread(struct ring *r, uint64_t off, void *buf, size_t len)
{
	ssize_t n = pread(r->d->fd, buf, len, (off_t)(r->base + off));

	return n < 0 ? -errno : n;
}

ssize_t ring_pwrite(struct ring *r, uint64_t off, const void *buf, size_t len)
{
	ssize_t n = pwrite(r->d->fd, buf, len, (off_t)(r->base + off));

	return n < 0 ? -errno : n;
}

int ring_inject_open(const char *bdf)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/inject", VT_DEBUGFS_ROOT, bdf);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int ring_inject_fd(int fd, const char *line)
{
	size_t len = strlen(line);
	ssize_t n = write(fd, line, len);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int ring_inject(const char *bdf, const char *fmt, ...)
{
	char line[160];
	va_list ap;
	int fd, e;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fd = ring_inject_open(bdf);
	if (fd < 0)
		return fd;
	e = ring_inject_fd(fd, line);
	close(fd);
	return e;
}

long long ring_status(const char *bdf, const char *key)
{
	char path[256], buf[512], pat[64], *p;
	long long v;

	snprintf(path, sizeof(path), "%s/%s/ring", VT_DEBUGFS_ROOT, bdf);
	if (vt_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	snprintf(pat, sizeof(pat), "%s=", key);
	for (p = buf; (p = strstr(p, pat)); p++) {
		if (p == buf || p[-1] == ' ') {
			v = strtoll(p + strlen(pat), NULL, 0);
			return v;
		}
	}
	return -1;
}

int ring_set_irqs(struct ring *r, uint32_t flags, uint32_t start,
		  uint32_t count, const void *data, size_t data_len)
{
	char buf[sizeof(struct vfio_irq_set) + 16];
	struct vfio_irq_set *s = (void *)buf;

	if (data_len > 16)
		return -EINVAL;
	memset(buf, 0, sizeof(buf));
	s->argsz = sizeof(*s) + data_len;
	s->flags = flags;
	s->index = r->cap.irq_index;
	s->start = start;
	s->count = count;
	if (data_len)
		memcpy(s->data, data, data_len);
	return ioctl(r->d->fd, VFIO_DEVICE_SET_IRQS, s) ? -errno : 0;
}

int ring_set_eventfd(struct ring *r, int fd)
{
	int32_t v = fd;

	return ring_set_irqs(r, VFIO_IRQ_SET_DATA_EVENTFD |
			     VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &v, sizeof(v));
}

uint64_t ring_wait_eventfd(int efd, int ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t v = 0;

	if (poll(&pfd, 1, ms) != 1)
		return 0;
	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

int ring_create_file(const char *path, const char *s)
{
	return vt_write_file_flags(path, s, O_CREAT | O_TRUNC);
}

const char *ring_type_name(uint16_t type)
{
	switch (type) {
	case VFIO_PCI_MMAP_FAULT_TYPE_DMA: return "dma";
	case VFIO_PCI_MMAP_FAULT_TYPE_MMAP_REFUSED: return "mmap-refused";
	case VFIO_PCI_MMAP_FAULT_TYPE_RESET: return "reset";
	}
	return "?";
}

void ring_print_record(const char *what,
		       const struct vfio_pci_mmap_fault_record *rec)
{
	printf("%s seq=%llu type=%s(%u) reason=%u flags=0x%x pasid=%u addr=0x%llx perm=0x%x region=%u offset=0x%llx ts=%llu v%u size=%u\n",
	       what, (unsigned long long)rec->seq, ring_type_name(rec->type),
	       rec->type, rec->reason, rec->flags, rec->pasid,
	       (unsigned long long)rec->addr, rec->perm, rec->region_index,
	       (unsigned long long)rec->region_offset,
	       (unsigned long long)rec->timestamp_ns, rec->version, rec->size);
}

/*
 * What most ring tests start with: parse --bdf (default $EDU_BDF), open
 * the device (or skip), find the ring and map it (or bail).  Returns the
 * BDF.
 */
const char *ring_test_open(int argc, char **argv, struct vt_dev *d,
			   struct ring *r)
{
	const char *bdf = NULL;

	vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	vt_open_or_skip(d, bdf);
	ring_find_or_bail(d, r);
	if (ring_map(r))
		vt_bail("cannot map the ring");
	return bdf;
}
