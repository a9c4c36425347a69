// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_fault_inject: allocation failures, injected one at a time through
 * /proc/thread-self/fail-nth (failslab and fail_page_alloc armed by the
 * guest script with probability 0), in every step of a mapping's life.
 * Each sweep fails the N-th injectable allocation call of one operation,
 * for N = 1, 2, ... until the operation makes fewer than N calls, and
 * asserts for every N:
 *
 *   open        VFIO_GROUP_GET_DEVICE_FD (open_device: vfio-pci-core's
 *               enable, the ones page, the fault ring) succeeds or fails
 *               with ENOMEM; an opened device works (BAR0 and the ring's
 *               header read right through mappings), and after the sweep
 *               the device still opens and works;
 *   mmap        mmap of BAR0 (a page, 1 MiB) and of each part of the fault
 *               ring succeeds or fails with ENOMEM; a mapping made reads
 *               right;
 *   mmap-first  the same for the first mmap of BAR0 of a freshly opened
 *               device, where vfio-pci-core claims and iomaps the BAR:
 *               pci_request_selected_regions() reports its failed
 *               allocation as EBUSY, accepted in this sweep only; after
 *               each failure the next mmap works;
 *   fault       the first access to a mapping (edu BAR0 page, 1 MiB of
 *               BAR0, the ring's header) reads the right bytes: a fault
 *               whose allocation failed returns VM_FAULT_OOM and the access
 *               is retried; SIGBUS or SIGSEGV is a failure;
 *   fault-huge  the same on ivshmem's RAM BAR: a 2 MiB PMD-aligned mapping
 *               (PMD fault) and a misaligned one (PTE fault filling the
 *               rest of the PMD block);
 *   fork        fork with BAR0 and the ring mapped (BAR0 populated, so its
 *               PTEs are copied) succeeds or fails with ENOMEM; the child
 *               reads through the inherited mappings;
 *   split       mprotect and munmap of the middle page of a populated
 *               3-page mapping succeed or fail with ENOMEM; every page
 *               still mapped reads right, an unmapped one faults SIGSEGV;
 *
 * and after every attempt that tracking is exact: the device's lines in
 * debugfs (vfio-pci-mmap/<bdf>/mappings) are exactly (pid, start, end) the
 * device's vmas in /proc/PID/maps of this process, its live children and
 * any process debugfs names, as many as the test expects, and none is
 * left after munmap, close or the child's exit.  Faults and splits run at
 * a fixed address far from every other mapping, so that they allocate
 * their page tables at every level each time.
 *
 * ->open (fork, split) cannot fail, so its allocation must not either: it
 * is __GFP_NOFAIL, which failslab and fail_page_alloc never fail.  Every
 * fork or split that succeeded although a failure was injected into it
 * had each new vma tracked, every one that failed left none behind.
 *
 *   pressure    a hog brings MemAvailable down to about 32 MiB (the bulk
 *               as hugetlb pool pages, which are not cleared, the rest in
 *               8 MiB anonymous chunks it adds and drops to stay within
 *               16-48 MiB as the kernel's own use moves), then fork and
 *               split churn for --seconds; tracking exact at every
 *               checkpoint, every child reads right, no OOM kill.
 *
 *   mmap_fault_inject [--driver D] [--bdf BDF] [--max-n N] [--seconds S]
 *                     [--verbose] TEST
 * TEST: open, mmap, mmap-first, fault, fault-huge, fork, split, pressure.
 * --max-n caps each sweep (3000); --verbose prints the outcome of each N.
 * Device: edu (EDU_BDF); fault-huge: ivshmem (IVSHMEM_BDF), BAR2.  No other
 * process may map a VFIO device while it runs (a vma in /proc/PID/maps
 * does not say which device it maps).
 */
#include "vfio_test.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/*
 * A place no other mapping of the process comes near (x86-64, 4-level
 * paging: a 512 GiB-aligned address in the middle of user space): a fault
 * there allocates every level of page table, and munmap frees them again.
 */
#define FI_ADDR		((uintptr_t)0x600000000000ULL)

#define EDU_ONES	0xffffffffU	/* edu reads of unimplemented offsets */

static struct vt_dev d;
static const char *bdf;
static bool dbg;
static unsigned int max_n = 3000;
static double pressure_seconds = 10;
static bool verbose;

/* ------------------------------------------------------------------ */
/* fail-nth                                                            */

static int fi_fd = -1;

static void fi_init(void)
{
	fi_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fi_fd < 0)
		vt_skip("no /proc/thread-self/fail-nth (%s): kernel without fault injection",
			strerror(errno));
}

/* Fail this thread's n-th injectable allocation call from now on. */
static void fi_arm(unsigned int n)
{
	char b[16];
	int l = snprintf(b, sizeof(b), "%u", n);

	if (pwrite(fi_fd, b, l, 0) != l)
		vt_bail("arming fail-nth: %s", strerror(errno));
}

/*
 * Disarm; return whether the failure was injected (fail-nth reads 0) or
 * the operation made fewer calls than armed for (it reads the rest).
 */
static bool fi_disarm(void)
{
	char b[16] = "";
	ssize_t r = pread(fi_fd, b, sizeof(b) - 1, 0);
	int e = errno;

	if (pwrite(fi_fd, "0", 1, 0) != 1)
		vt_bail("disarming fail-nth: %s", strerror(errno));
	if (r <= 0)
		vt_bail("reading fail-nth: %s", r ? strerror(e) : "empty");
	return strtoul(b, NULL, 10) == 0;
}

/* ------------------------------------------------------------------ */
/* Sweep bookkeeping                                                   */

struct sweep {
	char name[64];
	unsigned int attempts;	/* N tried */
	unsigned int injected;	/* attempts in which the failure was injected */
	unsigned int failed;	/* ... and the operation failed */
	unsigned int absorbed;	/* ... and the operation succeeded anyway */
	unsigned int bad;	/* assertions that did not hold */
	unsigned int calls;	/* injectable calls of a whole operation */
	bool done;		/* reached an N past the operation's calls */
	int errnos[8];		/* distinct errnos seen */
	unsigned int nerrnos;
	const char *absorbed_is;	/* what a success despite injection shows */
	int extra_errno;	/* one more errno this operation may return */
	unsigned int extra;	/* attempts that returned it */
	double t0, tn;
};

static void sw_start(struct sweep *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sw_start(struct sweep *s, const char *fmt, ...)
{
	va_list ap;

	memset(s, 0, sizeof(*s));
	va_start(ap, fmt);
	vsnprintf(s->name, sizeof(s->name), fmt, ap);
	va_end(ap);
	s->absorbed_is = "it succeeded";
	s->t0 = s->tn = vt_now();
}

/* One assertion of attempt n; only failures are printed (first 10). */
static bool sw_expect(struct sweep *s, unsigned int n, bool cond,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static bool sw_expect(struct sweep *s, unsigned int n, bool cond,
		      const char *fmt, ...)
{
	char what[512];
	va_list ap;

	if (cond)
		return true;
	s->bad++;
	if (s->bad <= 10) {
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		vt_check(false, "%s N=%u: %s", s->name, n, what);
	}
	return false;
}

static void sw_errno(struct sweep *s, int e)
{
	unsigned int i;

	for (i = 0; i < s->nerrnos; i++)
		if (s->errnos[i] == e)
			return;
	if (s->nerrnos < sizeof(s->errnos) / sizeof(s->errnos[0]))
		s->errnos[s->nerrnos++] = e;
}

/*
 * Record the outcome of attempt n: ok is whether the operation succeeded,
 * e its errno otherwise.  An operation that was not injected must succeed;
 * one that was must succeed or fail with ENOMEM.
 */
static void sw_outcome(struct sweep *s, unsigned int n, bool inj, bool ok,
		       int e)
{
	s->attempts = n;
	if (!ok)
		sw_errno(s, e);
	if (verbose) {
		double t = vt_now();

		vt_note("%s N=%u: %s, %s%s (%.2f s)", s->name, n,
			inj ? "injected" : "not injected",
			ok ? "succeeded" : "failed with ",
			ok ? "" : strerrorname_np(e), t - s->tn);
		s->tn = t;
	}
	if (inj) {
		s->injected++;
		if (ok)
			s->absorbed++;
		else
			s->failed++;
		if (!ok && s->extra_errno && e == s->extra_errno)
			s->extra++;
		else
			sw_expect(s, n, ok || e == ENOMEM,
				  "failed with errno %d (%s), want ENOMEM or success",
				  e, strerror(e));
	} else {
		s->done = true;
		s->calls = n - 1;
		sw_expect(s, n, ok,
			  "failed with errno %d (%s) although nothing was injected",
			  e, strerror(e));
	}
}

static void sw_end(struct sweep *s)
{
	char errs[128] = "";
	size_t l = 0;
	unsigned int i;

	for (i = 0; i < s->nerrnos; i++)
		l += snprintf(errs + l, sizeof(errs) - l, "%s%s",
			      i ? "," : " errno ", strerrorname_np(s->errnos[i]));
	CHECK(s->done,
	      "%s: the sweep ends: the operation makes %u injectable allocation calls (cap %u)",
	      s->name, s->calls, max_n);
	CHECK(s->bad == 0,
	      "%s: N=1..%u, %u failures injected: %u made it fail%s, %u absorbed (%s); %u assertions broken",
	      s->name, s->attempts, s->injected, s->failed, errs, s->absorbed,
	      s->absorbed_is, s->bad);
	vt_note("sweep %s: calls=%u attempts=%u injected=%u failed=%u%s absorbed=%u bad=%u in %.1f s",
		s->name, s->calls, s->attempts, s->injected, s->failed,
		errs, s->absorbed, s->bad, vt_now() - s->t0);
}

/* ------------------------------------------------------------------ */
/* Tracking: debugfs against /proc/PID/maps                           */

struct vrange {
	int pid;
	unsigned long start, end;
};

#define MAX_VMAS VT_MAX_MAPPINGS

static int vr_cmp(const void *a, const void *b)
{
	const struct vrange *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

/*
 * The processes that can map the device: this one and its live children
 * (nothing else in the system opens it while the test runs).
 */
#define MAX_PIDS 64
static pid_t pids[MAX_PIDS];
static int npids;

static void pid_add(pid_t pid)
{
	if (npids < MAX_PIDS)
		pids[npids++] = pid;
}

static void pid_del(pid_t pid)
{
	int i;

	for (i = 0; i < npids; i++)
		if (pids[i] == pid) {
			pids[i] = pids[--npids];
			return;
		}
}

/* Append the device vmas in /proc/pid/maps to v[*n] (up to max). */
static void maps_of(pid_t pid, struct vrange *v, int *n, int max)
{
	static char line[4096];
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;		/* gone */
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (!strstr(line, "[vfio-device]"))
			continue;
		if (sscanf(line, "%lx-%lx", &s, &e) != 2 || *n >= max)
			continue;
		v[*n].pid = pid;
		v[*n].start = s;
		v[*n].end = e;
		(*n)++;
	}
	fclose(f);
}

/*
 * Every vma of a VFIO device file in this process, its live children and
 * the processes in also[nalso] (those debugfs names), sorted.
 */
static int maps_device_vmas(struct vrange *v, int max,
			    const struct vrange *also, int nalso)
{
	pid_t seen[MAX_PIDS + VT_MAX_MAPPINGS];
	int n = 0, ns = 0, i, j;

	for (i = 0; i < npids + nalso; i++) {
		pid_t pid = i < npids ? pids[i] : also[i - npids].pid;

		for (j = 0; j < ns && seen[j] != pid; j++)
			;
		if (j < ns || pid <= 0)
			continue;
		seen[ns++] = pid;
		maps_of(pid, v, &n, max);
	}
	qsort(v, n, sizeof(*v), vr_cmp);
	return n;
}

static int debugfs_vmas(struct vrange *v, int max)
{
	static struct vt_mapping m[VT_MAX_MAPPINGS];
	int n, i;

	n = vt_read_mappings(bdf, m, VT_MAX_MAPPINGS);
	if (n < 0)
		return n;
	for (i = 0; i < n && i < max; i++) {
		v[i].pid = m[i].pid;
		v[i].start = m[i].start;
		v[i].end = m[i].end;
	}
	qsort(v, i, sizeof(*v), vr_cmp);
	return i;
}

static void print_vmas(const char *what, const struct vrange *v, int n)
{
	int i;

	vt_note("%s: %d", what, n);
	for (i = 0; i < n && i < 16; i++)
		vt_note("  pid %d %lx-%lx", v[i].pid, v[i].start, v[i].end);
}

/*
 * Is tracking exact?  debugfs lists exactly the device vmas of every
 * process that can map the device (pids[], and any process debugfs
 * names), and (want >= 0) there are want of them.  Prints both lists when
 * not.  Without debugfs (stock driver) only the count is checked.
 */
static bool tracking_exact(int want, char *why, size_t whylen)
{
	static struct vrange dv[MAX_VMAS], mv[MAX_VMAS];
	int nd = 0, nm, i;
	bool ok;

	if (dbg) {
		nd = debugfs_vmas(dv, MAX_VMAS);
		if (nd < 0) {
			snprintf(why, whylen, "cannot read debugfs mappings: %s",
				 strerror(-nd));
			return false;
		}
	}
	nm = maps_device_vmas(mv, MAX_VMAS, dv, nd);
	ok = want < 0 || nm == want;
	if (!ok)
		snprintf(why, whylen, "%d device vmas in /proc/PID/maps, want %d",
			 nm, want);
	if (ok && dbg) {
		ok = nd == nm;
		for (i = 0; ok && i < nm; i++)
			ok = !vr_cmp(&dv[i], &mv[i]);
		if (!ok)
			snprintf(why, whylen,
				 "debugfs lists %d vmas, /proc/PID/maps has %d%s",
				 nd, nm, nd == nm ? " (different ones)" : "");
	}
	if (!ok) {
		print_vmas("device vmas in /proc/PID/maps", mv, nm);
		if (dbg)
			print_vmas("debugfs mappings", dv, nd);
	}
	return ok;
}

/* tracking_exact() as one assertion of attempt n of sweep s. */
static bool sw_tracking(struct sweep *s, unsigned int n, int want,
			const char *when)
{
	char why[160] = "";

	return sw_expect(s, n, tracking_exact(want, why, sizeof(why)),
			 "tracking %s: %s", when, why);
}

/* Number of device vmas of this process in [lo, hi). */
static int own_vmas_in(uintptr_t lo, uintptr_t hi)
{
	static struct vrange v[MAX_VMAS];
	int n = 0, i, c = 0;

	maps_of(getpid(), v, &n, MAX_VMAS);
	for (i = 0; i < n; i++)
		if (v[i].pid == getpid() && v[i].start < hi && v[i].end > lo)
			c++;
	return c;
}

/* ------------------------------------------------------------------ */
/* The fault ring region                                               */

struct ring_info {
	uint64_t base;		/* region offset on the device fd */
	uint64_t hdr_off, hdr_size, cons_off, cons_size, ent_off, ent_size;
};

static int ring_lookup(int fd, uint32_t num_regions, struct ring_info *ri)
{
	uint32_t i;

	memset(ri, 0, sizeof(*ri));
	for (i = VT_NUM_STD_REGIONS; i < num_regions; i++) {
		char buf[4096] __attribute__((aligned(8))) = "";
		struct vfio_region_info *info = (void *)buf;
		uint32_t off;
		bool type = false, cap = false;

		info->argsz = sizeof(buf);
		info->index = i;
		if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, info))
			return -errno;
		if (info->argsz > sizeof(buf) ||
		    !(info->flags & VFIO_REGION_INFO_FLAG_CAPS))
			continue;
		for (off = info->cap_offset;
		     off && off + sizeof(struct vfio_info_cap_header) <= sizeof(buf);) {
			struct vfio_info_cap_header *h = (void *)(buf + off);

			if (h->id == VFIO_REGION_INFO_CAP_TYPE) {
				struct vfio_region_info_cap_type *t = (void *)h;

				type = t->type == VFIO_PCI_MMAP_REGION_TYPE &&
				       t->subtype == VFIO_PCI_MMAP_REGION_SUBTYPE_FAULT_RING;
			} else if (h->id == VFIO_PCI_MMAP_REGION_INFO_CAP_FAULT_RING) {
				struct vfio_pci_mmap_region_info_cap_fault_ring *c =
					(void *)h;

				ri->hdr_off = c->header_offset;
				ri->hdr_size = c->header_size;
				ri->cons_off = c->cons_offset;
				ri->cons_size = c->cons_size;
				ri->ent_off = c->entries_offset;
				ri->ent_size = c->entries_size;
				cap = true;
			}
			if (h->next <= off)
				break;
			off = h->next;
		}
		if (type && cap) {
			ri->base = info->offset;
			return 0;
		}
	}
	return -ENOENT;
}

static struct ring_info ring;

static void ring_or_bail(void)
{
	int e = ring_lookup(d.fd, d.num_regions, &ring);

	if (e)
		vt_bail("no fault ring region on %s (%s)", bdf, strerror(-e));
}

/* ------------------------------------------------------------------ */
/* Reading through mappings                                            */

/* Read a word; true if it read want (want ignored when any). */
static bool read_ok(const volatile void *p, uint32_t want, bool any,
		    char *why, size_t whylen)
{
	uint32_t v = 0;
	int r = vt_probe_read32(p, &v);

	if (r != VT_ACCESS_OK) {
		snprintf(why, whylen, "read at %p: %s", (const void *)p,
			 vt_probe_name(r));
		return false;
	}
	if (!any && v != want) {
		snprintf(why, whylen, "read at %p: 0x%x, want 0x%x",
			 (const void *)p, v, want);
		return false;
	}
	return true;
}

static int probe_sig(const volatile void *p)
{
	uint32_t v;

	return vt_probe_read32(p, &v);
}

/* The value edu's BAR0 reads at byte offset off (a page start). */
static uint32_t edu_word(uint64_t off)
{
	return off ? EDU_ONES : EDU_ID_VALUE;
}

/*
 * Does a freshly opened device work?  BAR0 and the ring's header mapped,
 * read right, unmapped.
 */
static bool device_works(int fd, char *why, size_t whylen)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct ring_info ri;
	void *bar, *hdr;
	bool ok;
	int e;

	if (ioctl(fd, VFIO_DEVICE_GET_INFO, &di)) {
		snprintf(why, whylen, "VFIO_DEVICE_GET_INFO: %s", strerror(errno));
		return false;
	}
	e = ring_lookup(fd, di.num_regions, &ri);
	if (e) {
		snprintf(why, whylen, "no fault ring region: %s", strerror(-e));
		return false;
	}
	bar = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   (off_t)d.region_off[VFIO_PCI_BAR0_REGION_INDEX]);
	if (bar == MAP_FAILED) {
		snprintf(why, whylen, "mmap BAR0: %s", strerror(errno));
		return false;
	}
	hdr = mmap(NULL, ri.hdr_size, PROT_READ, MAP_SHARED, fd,
		   (off_t)(ri.base + ri.hdr_off));
	if (hdr == MAP_FAILED) {
		snprintf(why, whylen, "mmap ring header: %s", strerror(errno));
		munmap(bar, SZ_4K);
		return false;
	}
	ok = read_ok(bar, EDU_ID_VALUE, false, why, whylen) &&
	     read_ok(hdr, VFIO_PCI_MMAP_RING_MAGIC, false, why, whylen);
	munmap(hdr, ri.hdr_size);
	munmap(bar, SZ_4K);
	return ok;
}

/* ------------------------------------------------------------------ */
/* open                                                                */

static void test_open(void)
{
	char why[160] = "";
	struct sweep s;
	unsigned int n;
	int fd;

	CHECK(device_works(d.fd, why, sizeof(why)),
	      "the device works before the sweep %s", why);
	close(d.fd);	/* the last user: close_device */
	d.fd = -1;

	sw_start(&s, "open");
	for (n = 1; n <= max_n && !s.done; n++) {
		bool inj;
		int e;

		fi_arm(n);
		fd = ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, bdf);
		e = errno;
		inj = fi_disarm();
		sw_outcome(&s, n, inj, fd >= 0, e);
		if (fd >= 0) {
			why[0] = '\0';
			sw_expect(&s, n, device_works(fd, why, sizeof(why)),
				  "the opened device does not work: %s", why);
			close(fd);
		}
		sw_tracking(&s, n, 0, "after close");
	}
	sw_end(&s);

	fd = ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (CHECK(fd >= 0, "the device opens after the sweep (%s)",
		  fd < 0 ? strerror(errno) : "ok")) {
		why[0] = '\0';
		CHECK(device_works(fd, why, sizeof(why)),
		      "the device works after the sweep %s", why);
		d.fd = fd;
	}
}

/* ------------------------------------------------------------------ */
/* mmap                                                                */

struct target {
	const char *name;
	uint64_t foff;		/* offset on the device fd */
	size_t len;
	int prot;
	uint32_t want;		/* first word */
	bool any;		/* ... or whatever it reads */
};

static void sweep_mmap(const struct target *t)
{
	char why[160];
	struct sweep s;
	unsigned int n;
	int base;

	base = own_vmas_in(0, UINTPTR_MAX);
	sw_start(&s, "mmap %s", t->name);
	for (n = 1; n <= max_n && !s.done; n++) {
		bool inj;
		void *p;
		int e;

		fi_arm(n);
		p = mmap(NULL, t->len, t->prot, MAP_SHARED, d.fd, (off_t)t->foff);
		e = errno;
		inj = fi_disarm();
		sw_outcome(&s, n, inj, p != MAP_FAILED, e);
		sw_tracking(&s, n, base + (p != MAP_FAILED), "after mmap");
		if (p != MAP_FAILED) {
			why[0] = '\0';
			sw_expect(&s, n, read_ok(p, t->want, t->any, why,
						 sizeof(why)), "%s", why);
			munmap(p, t->len);
			sw_tracking(&s, n, base, "after munmap");
		}
	}
	sw_end(&s);
}

static void test_mmap(void)
{
	const struct target t[] = {
		{ "BAR0 page", d.region_off[VFIO_PCI_BAR0_REGION_INDEX],
		  SZ_4K, PROT_READ | PROT_WRITE, EDU_ID_VALUE, false },
		{ "BAR0 1 MiB", d.region_off[VFIO_PCI_BAR0_REGION_INDEX],
		  0x100000, PROT_READ | PROT_WRITE, EDU_ID_VALUE, false },
		{ "ring header", ring.base + ring.hdr_off, ring.hdr_size,
		  PROT_READ, VFIO_PCI_MMAP_RING_MAGIC, false },
		{ "ring cons", ring.base + ring.cons_off, ring.cons_size,
		  PROT_READ | PROT_WRITE, 0, false },
		{ "ring entries", ring.base + ring.ent_off, ring.ent_size,
		  PROT_READ, 0, true },
	};
	unsigned int i;
	void *p;

	/* vfio-pci-core claims BAR0 at its first mmap: see mmap-first. */
	p = mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED, d.fd, (off_t)t[0].foff);
	if (!CHECK(p != MAP_FAILED, "warm-up mmap of BAR0"))
		return;
	munmap(p, SZ_4K);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		sweep_mmap(&t[i]);
}

/* The first mmap of BAR0 of a freshly opened device, one open per N. */
static void test_mmap_first(void)
{
	char why[160];
	struct sweep s;
	unsigned int n;

	close(d.fd);
	d.fd = -1;
	sw_start(&s, "first mmap of BAR0");
	/*
	 * vfio-pci-core claims the BAR at its first mmap, and
	 * pci_request_selected_regions() reports any failure, its own
	 * failed allocation included, as EBUSY ("BAR 0: can't reserve").
	 * How many of the sweep's N land there varies from run to run (one
	 * or two seen): EBUSY is accepted in this sweep only, and each time
	 * the next mmap of the same open device must work.
	 */
	s.extra_errno = EBUSY;
	for (n = 1; n <= max_n && !s.done; n++) {
		bool inj;
		void *p;
		int e, fd;

		fd = ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, bdf);
		if (!sw_expect(&s, n, fd >= 0, "open: %s", strerror(errno)))
			break;
		fi_arm(n);
		p = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 (off_t)d.region_off[VFIO_PCI_BAR0_REGION_INDEX]);
		e = errno;
		inj = fi_disarm();
		sw_outcome(&s, n, inj, p != MAP_FAILED, e);
		sw_tracking(&s, n, p != MAP_FAILED, "after mmap");
		if (p != MAP_FAILED) {
			why[0] = '\0';
			sw_expect(&s, n, read_ok(p, EDU_ID_VALUE, false, why,
						 sizeof(why)), "%s", why);
			munmap(p, SZ_4K);
		} else {
			/* The next mmap of this open device must work. */
			p = mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED, fd,
				 (off_t)d.region_off[VFIO_PCI_BAR0_REGION_INDEX]);
			why[0] = '\0';
			sw_expect(&s, n, p != MAP_FAILED &&
				  read_ok(p, EDU_ID_VALUE, false, why, sizeof(why)),
				  "mmap after the failed one: %s%s",
				  p == MAP_FAILED ? strerror(errno) : "", why);
			if (p != MAP_FAILED)
				munmap(p, SZ_4K);
		}
		close(fd);
		sw_tracking(&s, n, 0, "after close");
	}
	sw_end(&s);
	vt_note("%s: EBUSY (vfio-pci-core's claim of the BAR) at %u N",
		s.name, s.extra);
	d.fd = ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (d.fd < 0)
		vt_bail("reopening the device: %s", strerror(errno));
}

/* ------------------------------------------------------------------ */
/* fault                                                               */

struct probe {
	uint64_t off;		/* byte offset within the mapping */
	uint32_t want;
};

struct fault_target {
	const char *name;
	uint64_t foff;		/* offset on the device fd */
	size_t len;
	uintptr_t addr;		/* where to map it */
	int prot;
	struct probe probes[4];	/* probes[0] is the access swept */
	unsigned int nprobes;
};

static void sweep_fault(const struct fault_target *t)
{
	char why[160];
	struct sweep s;
	unsigned int n, i;

	sw_start(&s, "fault %s", t->name);
	s.absorbed_is = "the access was retried and read right";
	for (n = 1; n <= max_n && !s.done; n++) {
		volatile char *p;
		uint32_t v = 0;
		bool inj;
		int r;

		p = mmap((void *)t->addr, t->len, t->prot,
			 MAP_SHARED | MAP_FIXED_NOREPLACE, d.fd, (off_t)t->foff);
		if (p == MAP_FAILED || (uintptr_t)p != t->addr) {
			sw_expect(&s, n, false, "mmap at 0x%lx: %s",
				  (unsigned long)t->addr,
				  p == MAP_FAILED ? strerror(errno) : "elsewhere");
			if (p != MAP_FAILED)
				munmap((void *)p, t->len);
			break;
		}
		fi_arm(n);
		r = vt_probe_read32(p + t->probes[0].off, &v);
		inj = fi_disarm();
		/* The access itself cannot fail: it is retried. */
		sw_outcome(&s, n, inj, true, 0);
		sw_expect(&s, n, r == VT_ACCESS_OK && v == t->probes[0].want,
			  "first access at +0x%llx: %s 0x%x, want 0x%x",
			  (unsigned long long)t->probes[0].off,
			  vt_probe_name(r), v, t->probes[0].want);
		for (i = 1; i < t->nprobes; i++) {
			why[0] = '\0';
			sw_expect(&s, n, read_ok(p + t->probes[i].off,
						 t->probes[i].want, false, why,
						 sizeof(why)), "%s", why);
		}
		sw_tracking(&s, n, 1, "after the fault");
		munmap((void *)p, t->len);
		sw_tracking(&s, n, 0, "after munmap");
	}
	sw_end(&s);
}

static void test_fault(void)
{
	uint64_t bar0 = d.region_off[VFIO_PCI_BAR0_REGION_INDEX];
	const struct fault_target t[] = {
		{ "BAR0 page", bar0, SZ_4K, FI_ADDR, PROT_READ | PROT_WRITE,
		  { { 0, EDU_ID_VALUE } }, 1 },
		{ "BAR0 1 MiB", bar0, 0x100000, FI_ADDR, PROT_READ | PROT_WRITE,
		  { { 0, EDU_ID_VALUE }, { 0x1000, EDU_ONES },
		    { 0xff000, EDU_ONES } }, 3 },
		{ "ring header", ring.base + ring.hdr_off, ring.hdr_size,
		  FI_ADDR, PROT_READ,
		  { { 0, VFIO_PCI_MMAP_RING_MAGIC } }, 1 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		sweep_fault(&t[i]);
}

/* ivshmem's BAR2: a known word at each probed offset, through pwrite. */
static uint32_t shm_word(uint64_t off)
{
	return 0x5a000000U ^ (uint32_t)(off >> 2);
}

static void test_fault_huge(void)
{
	const uint32_t bar = VFIO_PCI_BAR2_REGION_INDEX;
	uint64_t foff = d.region_off[bar];
	const uint64_t offs[] = { 0, 0x1000, 0x100000, SZ_2M - 4, SZ_2M,
				  SZ_2M + 0x1000 };
	struct fault_target t[2];
	unsigned int i;

	if (d.region_size[bar] < 2 * SZ_2M ||
	    !(d.region_flags[bar] & VFIO_REGION_INFO_FLAG_MMAP))
		vt_skip("%s has no mappable BAR2 of 4 MiB or more (ivshmem)", bdf);
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		uint32_t w = shm_word(offs[i]);

		if (vt_region_pwrite(&d, bar, offs[i], &w, 4) != 4)
			vt_bail("pwrite BAR2 +0x%llx", (unsigned long long)offs[i]);
	}

	/* PMD-aligned address and pfn: the first fault maps 2 MiB at once. */
	t[0] = (struct fault_target){
		"ivshmem 2 MiB PMD-aligned", foff, SZ_2M, FI_ADDR,
		PROT_READ | PROT_WRITE,
		{ { 0, shm_word(0) }, { 0x100000, shm_word(0x100000) },
		  { SZ_2M - 4, shm_word(SZ_2M - 4) } }, 3 };
	/*
	 * One page off: the PMD block [FI_ADDR, +2 MiB) holds the first 511
	 * pages, filled by the first PTE fault (+0x1000 and +1 MiB read
	 * without a fault of their own); the last page is in the next block
	 * and faults on its own.
	 */
	t[1] = (struct fault_target){
		"ivshmem 2 MiB misaligned", foff, SZ_2M, FI_ADDR + SZ_4K,
		PROT_READ | PROT_WRITE,
		{ { 0, shm_word(0) }, { 0x1000, shm_word(0x1000) },
		  { 0x100000, shm_word(0x100000) },
		  { SZ_2M - 4, shm_word(SZ_2M - 4) } }, 4 };
	for (i = 0; i < 2; i++)
		sweep_fault(&t[i]);
}

/* ------------------------------------------------------------------ */
/* fork                                                                */

static void xwrite1(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		_exit(3);
}

static char xread1(int fd)
{
	char c = 0;

	if (read(fd, &c, 1) != 1)
		return 0;
	return c;
}

/*
 * Child of a fork with the mappings: read through them, report 'y' or
 * 'n', wait to be released.
 */
static void fork_child(int wr, int rd, volatile char *bar, volatile char *hdr)
{
	uint32_t a = 0, b = 0;
	int ra, rb;

	ra = vt_probe_read32(bar, &a);
	rb = vt_probe_read32(hdr, &b);
	xwrite1(wr, ra == VT_ACCESS_OK && a == EDU_ID_VALUE &&
		    rb == VT_ACCESS_OK && b == VFIO_PCI_MMAP_RING_MAGIC ? 'y' : 'n');
	xread1(rd);
	_exit(0);
}

static void test_fork(void)
{
	volatile char *bar, *hdr, *cons;
	char why[160];
	struct sweep s;
	unsigned int n;
	uint32_t v;
	int base;

	bar = mmap(NULL, 3 * SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED, d.fd,
		   (off_t)d.region_off[VFIO_PCI_BAR0_REGION_INDEX]);
	hdr = mmap(NULL, ring.hdr_size, PROT_READ, MAP_SHARED, d.fd,
		   (off_t)(ring.base + ring.hdr_off));
	cons = mmap(NULL, ring.cons_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    d.fd, (off_t)(ring.base + ring.cons_off));
	if (!CHECK(bar != MAP_FAILED && hdr != MAP_FAILED && cons != MAP_FAILED,
		   "map BAR0, the ring's header and consumer page"))
		return;
	/* Populated: fork copies BAR0's PTEs (VM_PFNMAP) into the child. */
	vt_probe_read32(bar, &v);
	vt_probe_read32(bar + SZ_4K, &v);
	vt_probe_read32(hdr, &v);
	vt_probe_read32(cons, &v);
	base = own_vmas_in(0, UINTPTR_MAX);
	CHECK_EQ(base, 3, "three device vmas before the sweep");

	sw_start(&s, "fork");
	s.absorbed_is = "it succeeded, the child's vmas all tracked";
	for (n = 1; n <= max_n && !s.done; n++) {
		int p2c[2], c2p[2], st;
		bool inj;
		pid_t pid;
		char c;
		int e;

		if (pipe2(p2c, O_CLOEXEC) || pipe2(c2p, O_CLOEXEC))
			vt_bail("pipe: %s", strerror(errno));
		fflush(stdout);
		fi_arm(n);
		pid = fork();
		e = errno;
		if (pid == 0) {
			close(p2c[1]);
			close(c2p[0]);
			fork_child(c2p[1], p2c[0], bar, hdr);
		}
		inj = fi_disarm();
		close(p2c[0]);
		close(c2p[1]);
		sw_outcome(&s, n, inj, pid > 0, e);
		if (pid > 0) {
			pid_add(pid);
			c = xread1(c2p[0]);
			sw_expect(&s, n, c == 'y',
				  "child: reads through the inherited mappings (%c)",
				  c ? c : '-');
			sw_tracking(&s, n, 2 * base, "with the child alive");
			xwrite1(p2c[1], 'x');
			if (waitpid(pid, &st, 0) != pid)
				vt_bail("waitpid: %s", strerror(errno));
			pid_del(pid);
		}
		close(p2c[1]);
		close(c2p[0]);
		sw_tracking(&s, n, base, "after the child (if any) exited");
		why[0] = '\0';
		sw_expect(&s, n, read_ok(bar, EDU_ID_VALUE, false, why, sizeof(why)),
			  "parent: %s", why);
	}
	sw_end(&s);
	munmap((void *)bar, 3 * SZ_4K);
	munmap((void *)hdr, ring.hdr_size);
	munmap((void *)cons, ring.cons_size);
}

/* ------------------------------------------------------------------ */
/* split                                                               */

enum split_op { SPLIT_MPROTECT, SPLIT_MUNMAP };

static void sweep_split(enum split_op op)
{
	const size_t len = 3 * SZ_4K;
	char why[160];
	struct sweep s;
	unsigned int n;

	sw_start(&s, "split: %s of the middle page",
		 op == SPLIT_MPROTECT ? "mprotect" : "munmap");
	s.absorbed_is = "it succeeded, every piece tracked";
	for (n = 1; n <= max_n && !s.done; n++) {
		volatile char *p;
		bool inj, ok;
		int r, e, pieces, i;

		p = mmap((void *)FI_ADDR, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED_NOREPLACE, d.fd,
			 (off_t)d.region_off[VFIO_PCI_BAR0_REGION_INDEX]);
		if (!sw_expect(&s, n, p != MAP_FAILED, "mmap: %s", strerror(errno)))
			break;
		for (i = 0; i < 3; i++)	/* populated: the split zaps nothing */
			read_ok(p + i * SZ_4K, 0, true, why, sizeof(why));

		fi_arm(n);
		if (op == SPLIT_MPROTECT)
			r = mprotect((void *)(p + SZ_4K), SZ_4K, PROT_READ);
		else
			r = munmap((void *)(p + SZ_4K), SZ_4K);
		e = errno;
		inj = fi_disarm();
		ok = r == 0;
		sw_outcome(&s, n, inj, ok, e);

		pieces = own_vmas_in((uintptr_t)p, (uintptr_t)p + len);
		if (ok)
			sw_expect(&s, n, pieces == (op == SPLIT_MPROTECT ? 3 : 2),
				  "%d vmas after the split", pieces);
		else
			sw_expect(&s, n, pieces >= 1 && pieces <= 3,
				  "%d vmas after the failed split", pieces);
		sw_tracking(&s, n, pieces, "after the split");
		for (i = 0; i < 3; i++) {
			if (i == 1 && ok && op == SPLIT_MUNMAP) {
				r = probe_sig(p + SZ_4K);
				sw_expect(&s, n, r == VT_ACCESS_SIGSEGV,
					  "the unmapped middle page: %s, want SIGSEGV",
					  vt_probe_name(r));
				continue;
			}
			why[0] = '\0';
			sw_expect(&s, n, read_ok(p + i * SZ_4K, edu_word(i * SZ_4K),
						 false, why, sizeof(why)),
				  "page %d: %s", i, why);
		}
		munmap((void *)p, len);
		sw_tracking(&s, n, 0, "after munmap");
	}
	sw_end(&s);
}

static void test_split(void)
{
	sweep_split(SPLIT_MPROTECT);
	sweep_split(SPLIT_MUNMAP);
}

/* ------------------------------------------------------------------ */
/* pressure                                                            */

static long meminfo_kb(const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Sum of the /proc/vmstat counters whose name starts with prefix. */
static long vmstat_sum(const char *prefix)
{
	size_t pl = strlen(prefix);
	char name[128];
	long long v;
	long r = 0;
	FILE *f = fopen("/proc/vmstat", "re");

	if (!f)
		return -1;
	while (fscanf(f, "%127s %lld", name, &v) == 2)
		if (!strncmp(name, prefix, pl))
			r += v;
	fclose(f);
	return r;
}

#define HOG_CHUNK	(8UL << 20)
#define HOG_MAX_CHUNKS	1024
#define HOG_TARGET_KB	(32L << 10)	/* MemAvailable the hog aims at */
#define HOG_LOW_KB	(16L << 10)	/* below: give a chunk back */
#define HOG_HIGH_KB	(48L << 10)	/* above: take one more */
#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"

static void *hog_take(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static long hugepages(void)
{
	char b[32] = "";

	return vt_read_file(NR_HUGEPAGES, b, sizeof(b)) < 0 ? -1 : atol(b);
}

static long set_hugepages(long n)
{
	char b[32];

	snprintf(b, sizeof(b), "%ld", n < 0 ? 0 : n);
	vt_write_file(NR_HUGEPAGES, b);
	return hugepages();
}

/*
 * The hog: take memory until MemAvailable is HOG_TARGET_KB, then keep it
 * between HOG_LOW_KB and HOG_HIGH_KB: the kernel's own use moves while the
 * test runs (KASAN's quarantine alone may grow by MemTotal/32).  The bulk
 * is taken as 2 MiB pages of the hugetlb pool, which leave the page
 * allocator without being cleared (clearing 3 GiB of anonymous memory takes
 * a minute under TCG), the rest as HOG_CHUNK anonymous chunks.  Reports on
 * wr once filled; ends when rd closes, giving the pool back; prints what
 * it saw.
 */
static void hog(int wr, int rd)
{
	static void *chunk[HOG_MAX_CHUNKS];
	long avail, lo = -1, hi = -1, hp, hp0 = hugepages();
	int n = 0, given = 0, taken = 0;
	double t0 = vt_now(), t_fill = 0;
	bool reported = false;

	fcntl(rd, F_SETFL, O_NONBLOCK);
	/* If anything must die, it is the hog. */
	vt_write_file("/proc/self/oom_score_adj", "1000");
	hp = (meminfo_kb("MemAvailable") - HOG_TARGET_KB - (128L << 10)) >> 11;
	hp = set_hugepages(hp0 + (hp > 0 ? hp : 0)) - hp0;
	for (;;) {
		char c;

		if (read(rd, &c, 1) == 0)
			break;
		avail = meminfo_kb("MemAvailable");
		if (reported) {
			lo = lo < 0 || avail < lo ? avail : lo;
			hi = avail > hi ? avail : hi;
		}
		if (avail < HOG_LOW_KB && (n > 0 || hp > 0)) {
			if (n > 0)
				munmap(chunk[--n], HOG_CHUNK);
			else
				hp = set_hugepages(hp0 + hp - 4) - hp0;
			given++;
			continue;
		}
		if ((!reported && avail > HOG_TARGET_KB + (long)(HOG_CHUNK >> 10)) ||
		    (reported && avail > HOG_HIGH_KB)) {
			if (n < HOG_MAX_CHUNKS && (chunk[n] = hog_take(HOG_CHUNK))) {
				n++;
				taken++;
			}
			if (!reported)
				continue;
		}
		if (!reported) {
			char msg[64];
			int l = snprintf(msg, sizeof(msg), "%ld %ld\n", hp * 2,
					 (long)(n * (HOG_CHUNK >> 20)));

			t_fill = vt_now() - t0;
			if (write(wr, msg, l) != l)
				_exit(3);
			reported = true;
		}
		usleep(20000);
	}
	set_hugepages(hp0);
	printf("# hog: filled in %.1f s; held %ld MiB of hugetlb pool and %lu MiB anonymous at the end; MemAvailable between %ld and %ld KiB while the test ran; %d chunks of %lu MiB taken, %d given back\n",
	       t_fill, hp * 2, n * (HOG_CHUNK >> 20), lo, hi, taken,
	       HOG_CHUNK >> 20, given);
	fflush(stdout);
	_exit(0);
}

static void test_pressure(void)
{
	long stall0, scan0, compact0, avail0, hp0;
	int h2p[2], p2h[2], st, rounds = 0, checkpoints = 0, bad = 0;
	int child_bad = 0;
	const size_t len = 3 * SZ_4K;
	char why[160], buf[32] = "";
	pid_t hog_pid;
	double end;
	ssize_t l;

	/* The hog must not inherit the device: started before any mapping. */
	if (pipe2(h2p, O_CLOEXEC) || pipe2(p2h, O_CLOEXEC))
		vt_bail("pipe: %s", strerror(errno));
	hp0 = hugepages();
	avail0 = meminfo_kb("MemAvailable");
	stall0 = vmstat_sum("allocstall_");
	scan0 = vmstat_sum("pgscan_");
	compact0 = vmstat_sum("compact_stall");
	fflush(stdout);
	hog_pid = fork();
	if (hog_pid < 0)
		vt_bail("fork: %s", strerror(errno));
	if (hog_pid == 0) {
		close(d.fd);
		close(h2p[0]);
		close(p2h[1]);
		hog(h2p[1], p2h[0]);
	}
	close(h2p[1]);
	close(p2h[0]);
	l = read(h2p[0], buf, sizeof(buf) - 1);
	if (!CHECK(l > 0, "the hog filled memory"))
		goto out;
	{
		long pool = 0, anon = 0;

		sscanf(buf, "%ld %ld", &pool, &anon);
		vt_note("MemAvailable %ld KiB before; the hog holds %ld MiB of hugetlb pool and %ld MiB anonymous; MemAvailable now %ld KiB",
			avail0, pool, anon, meminfo_kb("MemAvailable"));
	}

	end = vt_now() + pressure_seconds;
	while (vt_now() < end) {
		int p2c[2], c2p[2];
		volatile char *p;
		pid_t pid;
		char c;

		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, d.fd,
			 (off_t)d.region_off[VFIO_PCI_BAR0_REGION_INDEX]);
		if (p == MAP_FAILED) {
			bad += !CHECK(errno == ENOMEM, "mmap under pressure: %s",
				      strerror(errno));
			continue;
		}
		read_ok(p, 0, true, why, sizeof(why));
		if (pipe2(p2c, O_CLOEXEC) || pipe2(c2p, O_CLOEXEC))
			vt_bail("pipe: %s", strerror(errno));
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			bool ok;

			/* The child splits its copy its own way. */
			close(p2c[1]);
			close(c2p[0]);
			close(h2p[0]);
			close(p2h[1]);
			ok = mprotect((void *)(p + SZ_4K), SZ_4K, PROT_READ) == 0 &&
			     read_ok(p, EDU_ID_VALUE, false, why, sizeof(why)) &&
			     read_ok(p + SZ_4K, EDU_ONES, false, why, sizeof(why)) &&
			     munmap((void *)(p + 2 * SZ_4K), SZ_4K) == 0;
			xwrite1(c2p[1], ok ? 'y' : 'n');
			xread1(p2c[0]);
			_exit(0);
		}
		close(p2c[0]);
		close(c2p[1]);
		if (pid > 0)
			pid_add(pid);
		if (pid < 0) {
			bad += !CHECK(errno == ENOMEM, "fork under pressure: %s",
				      strerror(errno));
			close(p2c[1]);
			close(c2p[0]);
			munmap((void *)p, len);
			continue;
		}
		/* Meanwhile the parent unmaps its middle page. */
		if (munmap((void *)(p + SZ_4K), SZ_4K))
			bad += !CHECK(errno == ENOMEM, "munmap under pressure: %s",
				      strerror(errno));
		c = xread1(c2p[0]);
		if (c != 'y')
			child_bad++;
		/* Checkpoint: parent 2 vmas, child 2 (split in 3, one gone). */
		why[0] = '\0';
		if (!tracking_exact(4, why, sizeof(why)))
			bad += !CHECK(false, "checkpoint %d (with a child): %s",
				      checkpoints, why);
		checkpoints++;
		xwrite1(p2c[1], 'x');
		close(p2c[1]);
		close(c2p[0]);
		if (waitpid(pid, &st, 0) != pid)
			vt_bail("waitpid: %s", strerror(errno));
		pid_del(pid);
		munmap((void *)p, len);
		why[0] = '\0';
		if (!tracking_exact(0, why, sizeof(why)))
			bad += !CHECK(false, "checkpoint %d (all unmapped): %s",
				      checkpoints, why);
		checkpoints++;
		rounds++;
	}
	CHECK(child_bad == 0, "every child split its copy and read right (%d did not)",
	      child_bad);
	CHECK(bad == 0 && rounds > 0,
	      "pressure: %d rounds of fork and split in %.0f s, tracking exact at all %d checkpoints",
	      rounds, pressure_seconds, checkpoints);
	vt_note("pressure: allocstall +%ld, pgscan +%ld, compact_stall +%ld",
		vmstat_sum("allocstall_") - stall0, vmstat_sum("pgscan_") - scan0,
		vmstat_sum("compact_stall") - compact0);
out:
	close(p2h[1]);	/* the hog's signal to go */
	close(h2p[0]);
	if (waitpid(hog_pid, &st, 0) != hog_pid)
		vt_bail("waitpid hog: %s", strerror(errno));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the hog survived (status 0x%x: not OOM-killed)", st);
	CHECK_EQ(hugepages() == hp0 ? hp0 : set_hugepages(hp0), hp0,
		 "the hugetlb pool is back to its size");
}

/* ------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr, "usage: mmap_fault_inject [--driver D] [--bdf BDF] [--max-n N] [--seconds S] [--verbose]\n"
		"       open|mmap|mmap-first|fault|fault-huge|fork|split|pressure\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *test = NULL, *env = "EDU_BDF";
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "fault-huge"))
			env = "IVSHMEM_BDF";
	/* Leaves the arguments it does not know in argv[1..argc-1]. */
	argc = vt_parse_common_args(argc, argv, env, &bdf);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--max-n") && i + 1 < argc)
			max_n = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--verbose"))
			verbose = true;
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			pressure_seconds = strtod(argv[++i], NULL);
		else if (argv[i][0] != '-' && !test)
			test = argv[i];
		else
			usage();
	}
	if (!test)
		usage();
	bdf = vt_require_bdf(bdf, env);
	vt_open_or_skip(&d, bdf);
	dbg = vt_dbg_ready(bdf);
	pid_add(getpid());
	vt_probe_warm();
	if (strcmp(test, "fault-huge"))
		ring_or_bail();
	if (strcmp(test, "pressure"))
		fi_init();
	{
		char why[160] = "";

		CHECK(tracking_exact(0, why, sizeof(why)),
		      "no device vma, no debugfs line before the test %s", why);
	}

	if (!strcmp(test, "open"))
		test_open();
	else if (!strcmp(test, "mmap"))
		test_mmap();
	else if (!strcmp(test, "mmap-first"))
		test_mmap_first();
	else if (!strcmp(test, "fault"))
		test_fault();
	else if (!strcmp(test, "fault-huge"))
		test_fault_huge();
	else if (!strcmp(test, "fork"))
		test_fork();
	else if (!strcmp(test, "split"))
		test_split();
	else if (!strcmp(test, "pressure"))
		test_pressure();
	else
		usage();

	{
		char why[160] = "";

		CHECK(tracking_exact(0, why, sizeof(why)),
		      "no device vma, no debugfs line after the test %s", why);
	}
	vt_close(&d);
	return vt_exit();
}
