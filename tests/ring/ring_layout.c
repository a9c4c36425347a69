// SPDX-License-Identifier: GPL-2.0-only
/*
 * ring_layout - the fault ring region as the uapi describes it: region
 * type and capabilities, the three parts page aligned and each its own
 * sparse area, the header contents, the extra IRQ index, and the mmap
 * rules (read-only parts stay read-only, ranges must lie in one part).
 *
 *   ring_layout [--bdf BDF]        (default $EDU_BDF)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ring_lib.h"

static void check_region_info_small_argsz(struct ring *r)
{
	struct vfio_region_info info = {
		.argsz = sizeof(info),
		.index = r->index,
	};

	CHECK(!ioctl(r->d->fd, VFIO_DEVICE_GET_REGION_INFO, &info),
	      "GET_REGION_INFO with argsz = sizeof(info) succeeds");
	CHECK(info.flags & VFIO_REGION_INFO_FLAG_CAPS,
	      "it reports VFIO_REGION_INFO_FLAG_CAPS");
	CHECK(info.argsz > sizeof(info) && info.cap_offset == 0,
	      "it asks for a bigger argsz (%u) with cap_offset 0", info.argsz);
}

static void check_irqs(struct ring *r)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_irq_info ii = { .argsz = sizeof(ii) };

	CHECK(!ioctl(r->d->fd, VFIO_DEVICE_GET_INFO, &di), "GET_INFO");
	CHECK_EQ(di.num_irqs, VFIO_PCI_NUM_IRQS + 1,
		 "num_irqs is vfio-pci's plus the ring's");
	CHECK_EQ(r->cap.irq_index, VFIO_PCI_NUM_IRQS,
		 "the ring's IRQ index is the first device-specific one");
	CHECK_EQ(di.num_regions, r->index + 1,
		 "num_regions covers the ring region");

	ii.index = r->cap.irq_index;
	CHECK(!ioctl(r->d->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii),
	      "GET_IRQ_INFO of the ring's index");
	CHECK_EQ(ii.count, 1, "one eventfd");
	CHECK(ii.flags & VFIO_IRQ_INFO_EVENTFD, "flags has EVENTFD");
	CHECK(!(ii.flags & (VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED)),
	      "not maskable");

	memset(&ii, 0, sizeof(ii));
	ii.argsz = sizeof(ii);
	ii.index = r->cap.irq_index + 1;
	CHECK_ERRNO(ioctl(r->d->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL,
		    "GET_IRQ_INFO past the ring's index");
	ii.index = VFIO_PCI_REQ_IRQ_INDEX;
	CHECK(!ioctl(r->d->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) && ii.count == 1,
	      "vfio-pci's own indexes still answer (REQ)");
}

static void check_layout(struct ring *r, long page)
{
	const struct vfio_pci_mmap_region_info_cap_fault_ring *c = &r->cap;
	uint32_t i;

	CHECK(r->flags & VFIO_REGION_INFO_FLAG_READ, "region readable");
	CHECK(r->flags & VFIO_REGION_INFO_FLAG_WRITE, "region writable");
	CHECK(r->flags & VFIO_REGION_INFO_FLAG_MMAP, "region mmappable");
	CHECK_EQ(c->header.version, 1, "capability version");
	CHECK_EQ(c->page_size, page, "page_size is the kernel's");
	CHECK_EQ(c->record_size, sizeof(struct vfio_pci_mmap_fault_record),
		 "record_size");
	CHECK_EQ(c->record_version, VFIO_PCI_MMAP_FAULT_RECORD_VERSION,
		 "record_version");
	CHECK(c->nr_entries && !(c->nr_entries & (c->nr_entries - 1)),
	      "nr_entries %u is a power of two", c->nr_entries);
	CHECK_EQ(c->entries_size, (uint64_t)c->nr_entries * c->record_size,
		 "entries_size = nr_entries * record_size");
	CHECK(!(c->header_offset % page) && !(c->header_size % page) &&
	      c->header_size, "header is whole pages");
	CHECK(!(c->cons_offset % page) && c->cons_size == (uint64_t)page,
	      "cons is one page");
	CHECK(!(c->entries_offset % page) && !(c->entries_size % page) &&
	      c->entries_size, "entries are whole pages");
	CHECK(c->header_offset + c->header_size <= c->cons_offset &&
	      c->cons_offset + c->cons_size <= c->entries_offset &&
	      c->entries_offset + c->entries_size <= r->size,
	      "parts are disjoint and inside the region (size 0x%llx)",
	      (unsigned long long)r->size);

	CHECK(r->have_sparse && r->nr_areas == 3,
	      "sparse mmap capability with 3 areas (%u)", r->nr_areas);
	if (r->nr_areas == 3) {
		CHECK(r->areas[0].offset == c->header_offset &&
		      r->areas[0].size == c->header_size,
		      "area 0 is the header");
		CHECK(r->areas[1].offset == c->cons_offset &&
		      r->areas[1].size == c->cons_size, "area 1 is cons");
		CHECK(r->areas[2].offset == c->entries_offset &&
		      r->areas[2].size == c->entries_size,
		      "area 2 is the entries");
	}
	for (i = 0; i < r->nr_areas && i < RING_MAX_AREAS; i++)
		vt_note("area %u: 0x%llx+0x%llx", i,
			(unsigned long long)r->areas[i].offset,
			(unsigned long long)r->areas[i].size);
}

static void check_header_and_zeroes(struct ring *r)
{
	const struct vfio_pci_mmap_region_info_cap_fault_ring *c = &r->cap;
	const volatile unsigned char *p;
	uint64_t i, nonzero = 0;

	CHECK_EQ(r->hdr->magic, VFIO_PCI_MMAP_RING_MAGIC, "header magic");
	CHECK_EQ(r->hdr->version, VFIO_PCI_MMAP_RING_VERSION, "header version");
	CHECK_EQ(r->hdr->record_size, c->record_size, "header record_size");
	CHECK_EQ(r->hdr->nr_entries, c->nr_entries, "header nr_entries");
	CHECK_EQ(r->hdr->prod, 0, "fresh ring: prod 0");
	CHECK_EQ(r->hdr->lost, 0, "fresh ring: lost 0");
	CHECK_EQ(r->hdr->invalid_cons, 0, "fresh ring: invalid_cons 0");
	CHECK_EQ(r->cons->cons, 0, "fresh ring: cons 0");

	p = (const volatile unsigned char *)r->hdr;
	for (i = sizeof(struct vfio_pci_mmap_ring_header); i < c->header_size; i++)
		nonzero += p[i] != 0;
	p = (const volatile unsigned char *)r->cons;
	for (i = 0; i < c->cons_size; i++)
		nonzero += p[i] != 0;
	p = (const volatile unsigned char *)r->ent;
	for (i = 0; i < c->entries_size; i++)
		nonzero += p[i] != 0;
	CHECK_EQ(nonzero, 0, "the rest of the pages is zeroed");
}

static void *map_part(struct ring *r, uint64_t off, uint64_t len, int prot,
		      int flags)
{
	return mmap(NULL, len, prot, flags, r->d->fd, (off_t)(r->base + off));
}

static void check_mmap_rules(struct ring *r, long page)
{
	const struct vfio_pci_mmap_region_info_cap_fault_ring *c = &r->cap;
	void *p;
	uint32_t v;

	p = map_part(r, c->header_offset, c->header_size,
		     PROT_READ | PROT_WRITE, MAP_SHARED);
	CHECK(p == MAP_FAILED && errno == EACCES,
	      "writable mmap of the header fails with EACCES (%s)",
	      p == MAP_FAILED ? strerror(errno) : "mapped");
	if (p != MAP_FAILED)
		munmap(p, c->header_size);

	p = map_part(r, c->entries_offset, c->entries_size,
		     PROT_READ | PROT_WRITE, MAP_SHARED);
	CHECK(p == MAP_FAILED && errno == EACCES,
	      "writable mmap of the entries fails with EACCES");
	if (p != MAP_FAILED)
		munmap(p, c->entries_size);

	p = map_part(r, c->header_offset, c->header_size, PROT_READ,
		     MAP_SHARED);
	if (CHECK(p != MAP_FAILED, "read-only mmap of the header")) {
		CHECK_ERRNO(mprotect(p, c->header_size, PROT_READ | PROT_WRITE),
			    EACCES, "mprotect(PROT_WRITE) of the header");
		CHECK_EQ(vt_probe_write32(p, 1), VT_ACCESS_SIGSEGV,
			 "a store into the header faults");
		munmap(p, c->header_size);
	}
	p = map_part(r, c->entries_offset, c->entries_size, PROT_READ,
		     MAP_SHARED);
	if (CHECK(p != MAP_FAILED, "read-only mmap of the entries")) {
		CHECK_ERRNO(mprotect(p, c->entries_size, PROT_READ | PROT_WRITE),
			    EACCES, "mprotect(PROT_WRITE) of the entries");
		munmap(p, c->entries_size);
	}

	p = map_part(r, c->cons_offset, c->cons_size, PROT_READ, MAP_SHARED);
	if (CHECK(p != MAP_FAILED, "read-only mmap of cons")) {
		CHECK(!mprotect(p, c->cons_size, PROT_READ | PROT_WRITE),
		      "cons may be made writable");
		CHECK_EQ(vt_probe_write32(p, 0), VT_ACCESS_OK,
			 "a store into cons works");
		munmap(p, c->cons_size);
	}

	p = map_part(r, c->header_offset, c->header_size + c->cons_size,
		     PROT_READ, MAP_SHARED);
	CHECK(p == MAP_FAILED && errno == EINVAL,
	      "a mapping across header and cons fails with EINVAL");
	if (p != MAP_FAILED)
		munmap(p, c->header_size + c->cons_size);
	p = map_part(r, c->cons_offset, c->cons_size + page, PROT_READ,
		     MAP_SHARED);
	CHECK(p == MAP_FAILED && errno == EINVAL,
	      "a mapping across cons and entries fails with EINVAL");
	if (p != MAP_FAILED)
		munmap(p, c->cons_size + page);
	p = map_part(r, c->entries_offset, c->entries_size + page, PROT_READ,
		     MAP_SHARED);
	CHECK(p == MAP_FAILED && errno == EINVAL,
	      "a mapping past the entries fails with EINVAL");
	if (p != MAP_FAILED)
		munmap(p, c->entries_size + page);
	p = map_part(r, r->size, page, PROT_READ, MAP_SHARED);
	CHECK(p == MAP_FAILED && errno == EINVAL,
	      "a mapping past the region fails with EINVAL");
	if (p != MAP_FAILED)
		munmap(p, page);
	p = map_part(r, c->cons_offset, c->cons_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE);
	CHECK(p == MAP_FAILED && errno == EINVAL,
	      "MAP_PRIVATE fails with EINVAL");
	if (p != MAP_FAILED)
		munmap(p, c->cons_size);

	if (c->entries_size > (uint64_t)page) {
		p = map_part(r, c->entries_offset + page, page, PROT_READ,
			     MAP_SHARED);
		if (CHECK(p != MAP_FAILED,
			  "one page inside the entries maps")) {
			CHECK_EQ(vt_probe_read32(p, &v), VT_ACCESS_OK,
				 "and reads");
			munmap(p, page);
		}
	}

	/* mremap cannot grow a mapping out of its part. */
	p = map_part(r, c->header_offset, c->header_size, PROT_READ,
		     MAP_SHARED);
	if (p != MAP_FAILED) {
		void *q = mremap(p, c->header_size, c->header_size + page,
				 MREMAP_MAYMOVE);

		CHECK(q == MAP_FAILED, "mremap cannot grow the header mapping");
		munmap(q == MAP_FAILED ? p : q,
		       q == MAP_FAILED ? c->header_size : c->header_size + page);
	}
}

/* A forked child shares the ring: it sees the parent's records and its
 * consumer index stores land in the same page. */
static void check_fork(struct ring *r)
{
	uint32_t prod = r->hdr->prod;
	int status = 0;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		uint32_t v;

		if (vt_probe_read32(&r->hdr->prod, &v) != VT_ACCESS_OK ||
		    v != prod)
			_exit(1);
		ring_set_cons(r, prod);
		_exit(vt_probe_read32(r->ent, &v) == VT_ACCESS_OK ? 0 : 2);
	}
	if (!CHECK(pid > 0, "fork"))
		return;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "a forked child reads the ring (status 0x%x)", status);
	CHECK_EQ(ring_cons(r), prod, "its consumer store is the parent's");
}

int main(int argc, char **argv)
{
	const char *bdf = NULL;
	long page = sysconf(_SC_PAGESIZE);
	struct vt_dev d;
	struct ring r;

	vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	vt_open_or_skip(&d, bdf);
	vt_probe_init();

	ring_find_or_bail(&d, &r);
	vt_note("ring region index %u offset 0x%llx size 0x%llx, %u entries, irq %u",
		r.index, (unsigned long long)r.base,
		(unsigned long long)r.size, r.cap.nr_entries,
		r.cap.irq_index);
	CHECK_EQ(r.index, VT_NUM_STD_REGIONS + 0,
		 "the ring is the first device-specific region of edu");
	CHECK(r.have_type && r.type == (uint32_t)VFIO_PCI_MMAP_REGION_TYPE &&
	      r.subtype == VFIO_PCI_MMAP_REGION_SUBTYPE_FAULT_RING,
	      "type/subtype capability");
	check_region_info_small_argsz(&r);
	check_layout(&r, page);
	check_irqs(&r);

	if (!CHECK(!ring_map(&r), "map the three parts"))
		return vt_exit();
	check_header_and_zeroes(&r);
	check_mmap_rules(&r, page);
	check_fork(&r);
	ring_unmap(&r);
	vt_close(&d);
	return vt_exit();
}
