/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ring_lib.h - helpers for the fault ring tests and the sample consumer.
 *
 * Only the VFIO uapi, the project's uapi header and debugfs.  Device opening
 * and the check/probe helpers come from vfio_test.h.  Built into the test
 * library (tests/lib/lib.mk) with vfio_test.c.
 */
#ifndef RING_LIB_H
#define RING_LIB_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/vfio.h>
#include "../../include/uapi/linux/vfio_pci_mmap.h"
#include "vfio_test.h"

#define RING_MAX_AREAS 8

struct ring {
	struct vt_dev *d;
	uint32_t index;		/* region index */
	uint64_t base;		/* region offset on the device fd */
	uint64_t size;
	uint32_t flags;		/* VFIO_REGION_INFO_FLAG_* */
	bool have_type, have_cap, have_sparse;
	uint32_t type, subtype;
	struct vfio_pci_mmap_region_info_cap_fault_ring cap;
	uint32_t nr_areas;
	struct vfio_region_sparse_mmap_area areas[RING_MAX_AREAS];
	uint32_t ncaps;

	/* Set by ring_map(). */
	volatile struct vfio_pci_mmap_ring_header *hdr;
	volatile struct vfio_pci_mmap_ring_consumer *cons;
	const volatile struct vfio_pci_mmap_fault_record *ent;
};

/* Find the ring region of an open device; 0 or -errno (-ENOENT: none). */
int ring_find(struct vt_dev *d, struct ring *r);
const char *ring_test_open(int argc, char **argv, struct vt_dev *d,
			   struct ring *r);
/* ring_find() or vt_bail(). */
void ring_find_or_bail(struct vt_dev *d, struct ring *r);
/* Map the three parts (header RO, cons RW, entries RO); 0 or -errno. */
int ring_map(struct ring *r);
void ring_unmap(struct ring *r);

/* The header's producer index, load-acquire. */
static inline uint32_t ring_prod(const struct ring *r)
{
	return __atomic_load_n(&r->hdr->prod, __ATOMIC_ACQUIRE);
}

static inline uint32_t ring_cons(const struct ring *r)
{
	return __atomic_load_n(&r->cons->cons, __ATOMIC_RELAXED);
}

/* Store the consumer index, release. */
static inline void ring_set_cons(struct ring *r, uint32_t v)
{
	__atomic_store_n(&r->cons->cons, v, __ATOMIC_RELEASE);
}

static inline const volatile struct vfio_pci_mmap_fault_record *
ring_entry(const struct ring *r, uint32_t idx)
{
	return &r->ent[idx & (r->cap.nr_entries - 1)];
}

/* Copy record idx out of the mapping. */
void ring_copy(const struct ring *r, uint32_t idx,
	       struct vfio_pci_mmap_fault_record *out);

/*
 * Consume up to max records through the mapping into out[]; returns how
 * many.  Follows the documented protocol: acquire prod, copy, release cons.
 */
uint32_t ring_pop(struct ring *r, struct vfio_pci_mmap_fault_record *out,
		  uint32_t max);

/* Mark the ring empty (cons = prod). */
void ring_skip_all(struct ring *r);

/* pread()/pwrite() within the ring region; bytes or -errno. */
ssize_t ring_pread(struct ring *r, uint64_t off, void *buf, size_t len);
ssize_t ring_pwrite(struct ring *r, uint64_t off, const void *buf, size_t len);

/* debugfs <bdf>/inject: write one line; 0 or -errno. */
int ring_inject(const char *bdf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Keep the inject file open for repeated injections. */
int ring_inject_open(const char *bdf);
int ring_inject_fd(int fd, const char *line);

/* debugfs <bdf>/ring: value of key=, or -1 (closed, missing). */
long long ring_status(const char *bdf, const char *key);

/* The ring's eventfd: fd >= 0 sets it, fd == -1 clears it; 0 or -errno. */
int ring_set_eventfd(struct ring *r, int fd);
/* VFIO_DEVICE_SET_IRQS on the ring's index with raw flags/count/data. */
int ring_set_irqs(struct ring *r, uint32_t flags, uint32_t start,
		  uint32_t count, const void *data, size_t data_len);
/* Wait up to ms for the eventfd; returns its counter (0: timeout). */
uint64_t ring_wait_eventfd(int efd, int ms);

/* Create (or truncate) path and write s to it; 0 or -errno. */
int ring_create_file(const char *path, const char *s);

const char *ring_type_name(uint16_t type);
void ring_print_record(const char *what,
		       const struct vfio_pci_mmap_fault_record *rec);

#endif /* RING_LIB_H */
