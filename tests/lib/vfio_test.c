// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_test.c - the shared harness of the mmap behaviour tests, the ring
 * tests and the benchmark (tests/include/vfio_test.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "../include/vfio_test.h"

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>

int vt_failures;
int vt_checks;
enum vt_driver vt_driver = VT_DRV_OURS;
const char *vt_driver_name = "vfio-pci-mmap";

/* ------------------------------------------------------------------ */
/* Checks and results                                                  */

bool vt_check(bool cond, const char *fmt, ...)
{
	va_list ap;

	vt_checks++;
	if (!cond)
		vt_failures++;
	printf("%s - ", cond ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

void vt_note(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void vt_skip_check(const char *reason, const char *fmt, ...)
{
	va_list ap;

	printf("ok - ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", reason);
	fflush(stdout);
}

void vt_skip(const char *fmt, ...)
{
	va_list ap;

	fputs("# SKIP: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(VT_SKIP);
}

void vt_bail(const char *fmt, ...)
{
	va_list ap;

	fputs("Bail out! ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(1);
}

bool vt_check_ok(int r, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return vt_check(r == 0, "%s (%s)", what, r ? strerror(-r) : "0");
}

int vt_exit(void)
{
	printf("# %d checks, %d failed (driver %s)\n", vt_checks, vt_failures,
	       vt_driver_name);
	fflush(stdout);
	return vt_failures ? 1 : 0;
}

static void vt_set_driver(const char *name)
{
	vt_driver_name = name;
	if (!strcmp(name, "vfio-pci-mmap") || !strcmp(name, "vfio_pci_mmap"))
		vt_driver = VT_DRV_OURS;
	else
		vt_driver = VT_DRV_STOCK;
}

int vt_parse_common_args(int argc, char **argv, const char *env_bdf,
			 const char **bdf)
{
	const char *env = getenv("DRIVER");
	int i, out = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (env && *env)
		vt_set_driver(env);
	*bdf = env_bdf ? getenv(env_bdf) : NULL;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--driver") && i + 1 < argc) {
			vt_set_driver(argv[++i]);
		} else if (!strncmp(argv[i], "--driver=", 9)) {
			vt_set_driver(argv[i] + 9);
		} else if (!strcmp(argv[i], "--bdf") && i + 1 < argc) {
			*bdf = argv[++i];
		} else if (!strncmp(argv[i], "--bdf=", 6)) {
			*bdf = argv[i] + 6;
		} else {
			argv[out++] = argv[i];
		}
	}
	argv[out] = NULL;
	vt_note("driver %s (%s assertions)", vt_driver_name,
		vt_ours() ? "all" : "stock-compatible");
	return out;
}

const char *vt_require_bdf(const char *bdf, const char *env_name)
{
	char path[PATH_MAX];

	if (!bdf || !*bdf)
		vt_skip("no device: pass --bdf or set %s", env_name);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	if (!vt_path_exists(path))
		vt_skip("device %s absent", bdf);
	return bdf;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

int vt_write_file(const char *path, const char *s)
{
	return vt_write_file_flags(path, s, 0);
}

int vt_write_file_flags(const char *path, const char *s, int flags)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

int vt_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (got + 1 < len) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		got += n;
	}
	buf[got] = '\0';
	close(fd);
	return (int)got;
}

bool vt_path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* ------------------------------------------------------------------ */
/* Device access                                                       */

int vt_open(struct vt_dev *d, const char *bdf, const char **why)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vt_region r;
	ssize_t n;
	int e;
	uint32_t i;

	memset(d, 0, sizeof(*d));
	d->container = d->group = d->fd = -1;
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		*why = "no iommu_group link in sysfs";
		return -errno;
	}
	link[n] = '\0';
	d->group_id = atoi(basename(link));

	d->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (d->container < 0) {
		*why = "open /dev/vfio/vfio";
		return -errno;
	}
	if (ioctl(d->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		*why = "VFIO_GET_API_VERSION mismatch";
		e = -EINVAL;
		goto fail;
	}
	if (ioctl(d->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0) {
		*why = "no VFIO_TYPE1v2_IOMMU";
		e = -ENOTSUP;
		goto fail;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", d->group_id);
	d->group = open(path, O_RDWR | O_CLOEXEC);
	if (d->group < 0) {
		e = -errno;
		*why = "open /dev/vfio/<group>";
		goto fail;
	}
	if (ioctl(d->group, VFIO_GROUP_GET_STATUS, &gs)) {
		e = -errno;
		*why = "VFIO_GROUP_GET_STATUS";
		goto fail;
	}
	if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		e = -EBUSY;
		*why = "group not viable (bind every device of the group)";
		goto fail;
	}
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container)) {
		e = -errno;
		*why = "VFIO_GROUP_SET_CONTAINER";
		goto fail;
	}
	if (ioctl(d->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		e = -errno;
		*why = "VFIO_SET_IOMMU";
		goto fail;
	}
	d->fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (d->fd < 0) {
		e = -errno;
		*why = "VFIO_GROUP_GET_DEVICE_FD";
		goto fail;
	}
	if (ioctl(d->fd, VFIO_DEVICE_GET_INFO, &di)) {
		e = -errno;
		*why = "VFIO_DEVICE_GET_INFO";
		goto fail;
	}
	d->num_regions = di.num_regions;
	d->num_irqs = di.num_irqs;
	for (i = 0; i < VT_NUM_STD_REGIONS && i < d->num_regions; i++) {
		if (vt_region_info(d, i, &r) == 0) {
			d->region_off[i] = r.offset;
			d->region_size[i] = r.size;
			d->region_flags[i] = r.flags;
		} else {
			d->region_off[i] = VT_REGION_OFFSET(i);
		}
	}
	return 0;
fail:
	vt_close(d);
	return e;
}

void vt_open_or_skip(struct vt_dev *d, const char *bdf)
{
	const char *why = "?";
	int r = vt_open(d, bdf, &why);

	if (r == -ENOENT || r == -ENODEV)
		vt_skip("cannot open %s: %s: %s", bdf, why, strerror(-r));
	if (r)
		vt_bail("cannot open %s: %s: %s", bdf, why, strerror(-r));
}

void vt_close(struct vt_dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	if (d->group >= 0)
		close(d->group);
	if (d->container >= 0)
		close(d->container);
	d->fd = d->group = d->container = -1;
}

int vt_region_info(struct vt_dev *d, uint32_t index, struct vt_region *r)
{
	struct vfio_region_info *info;
	size_t sz = sizeof(*info);
	uint32_t off;
	int guard = 0;

	memset(r, 0, sizeof(*r));
	info = calloc(1, sz);
	if (!info)
		return -ENOMEM;
	for (;;) {
		info->argsz = sz;
		info->index = index;
		if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, info)) {
			int e = -errno;

			free(info);
			return e;
		}
		if (info->argsz <= sz)
			break;
		/* The capability chain did not fit: grow and ask again. */
		sz = info->argsz;
		free(info);
		info = calloc(1, sz);
		if (!info || ++guard > 4) {
			free(info);
			return -ENOMEM;
		}
	}
	r->index = info->index;
	r->flags = info->flags;
	r->size = info->size;
	r->offset = info->offset;

	off = (info->flags & VFIO_REGION_INFO_FLAG_CAPS) ? info->cap_offset : 0;
	while (off && off + sizeof(struct vfio_info_cap_header) <= sz &&
	       r->ncaps < 64) {
		struct vfio_info_cap_header *h = (void *)((char *)info + off);

		r->ncaps++;
		if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
			struct vfio_region_info_cap_sparse_mmap *s = (void *)h;
			uint32_t i;

			r->sparse = true;
			r->nr_areas = s->nr_areas;
			for (i = 0; i < s->nr_areas && i < VT_MAX_AREAS; i++) {
				r->areas[i].offset = s->areas[i].offset;
				r->areas[i].size = s->areas[i].size;
			}
		} else if (h->id == VFIO_REGION_INFO_CAP_MSIX_MAPPABLE) {
			r->msix_mappable = true;
		}
		if (h->next <= off)	/* chain must move forward */
			break;
		off = h->next;
	}
	free(info);
	return 0;
}

void vt_print_region(const struct vt_region *r)
{
	uint32_t i;

	vt_note("region %u: size 0x%llx offset 0x%llx flags%s%s%s%s caps %u%s%s",
		r->index, (unsigned long long)r->size,
		(unsigned long long)r->offset,
		r->flags & VFIO_REGION_INFO_FLAG_READ ? " read" : "",
		r->flags & VFIO_REGION_INFO_FLAG_WRITE ? " write" : "",
		r->flags & VFIO_REGION_INFO_FLAG_MMAP ? " mmap" : "",
		r->flags & VFIO_REGION_INFO_FLAG_CAPS ? " caps" : "",
		r->ncaps, r->sparse ? " sparse-mmap" : "",
		r->msix_mappable ? " msix-mappable" : "");
	for (i = 0; r->sparse && i < r->nr_areas && i < VT_MAX_AREAS; i++)
		vt_note("  sparse area %u: offset 0x%llx size 0x%llx", i,
			(unsigned long long)r->areas[i].offset,
			(unsigned long long)r->areas[i].size);
}

static uint64_t vt_region_base(struct vt_dev *d, uint32_t index)
{
	if (index < VT_NUM_STD_REGIONS)
		return d->region_off[index];
	return VT_REGION_OFFSET(index);
}

ssize_t vt_region_pread(struct vt_dev *d, uint32_t index, uint64_t off,
			void *buf, size_t len)
{
	ssize_t n = pread(d->fd, buf, len, vt_region_base(d, index) + off);

	return n < 0 ? -errno : n;
}

ssize_t vt_region_pwrite(struct vt_dev *d, uint32_t index, uint64_t off,
			 const void *buf, size_t len)
{
	ssize_t n = pwrite(d->fd, buf, len, vt_region_base(d, index) + off);

	return n < 0 ? -errno : n;
}

int vt_cfg_read(struct vt_dev *d, uint32_t off, void *buf, size_t len)
{
	ssize_t n = vt_region_pread(d, VFIO_PCI_CONFIG_REGION_INDEX, off, buf,
				    len);

	if (n < 0)
		return (int)n;
	return n == (ssize_t)len ? 0 : -EIO;
}

int vt_cfg_write(struct vt_dev *d, uint32_t off, const void *buf, size_t len)
{
	ssize_t n = vt_region_pwrite(d, VFIO_PCI_CONFIG_REGION_INDEX, off, buf,
				     len);

	if (n < 0)
		return (int)n;
	return n == (ssize_t)len ? 0 : -EIO;
}

uint8_t vt_cfg_read8(struct vt_dev *d, uint32_t off)
{
	uint8_t v = 0xff;

	vt_cfg_read(d, off, &v, 1);
	return v;
}

uint16_t vt_cfg_read16(struct vt_dev *d, uint32_t off)
{
	uint16_t v = 0xffff;

	vt_cfg_read(d, off, &v, 2);
	return v;
}

uint32_t vt_cfg_read32(struct vt_dev *d, uint32_t off)
{
	uint32_t v = 0xffffffff;

	vt_cfg_read(d, off, &v, 4);
	return v;
}

int vt_cfg_write16(struct vt_dev *d, uint32_t off, uint16_t v)
{
	return vt_cfg_write(d, off, &v, 2);
}

uint32_t vt_find_cap(struct vt_dev *d, uint8_t cap_id)
{
	uint8_t pos;
	int ttl = 48;

	if (!(vt_cfg_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = vt_cfg_read8(d, PCI_CAPABILITY_LIST) & ~3;
	while (pos >= 0x40 && ttl--) {
		uint8_t id = vt_cfg_read8(d, pos + PCI_CAP_LIST_ID);

		if (id == 0xff)
			break;
		if (id == cap_id)
			return pos;
		pos = vt_cfg_read8(d, pos + PCI_CAP_LIST_NEXT) & ~3;
	}
	return 0;
}

int vt_set_memory_enable(struct vt_dev *d, bool on)
{
	uint16_t cmd = vt_cfg_read16(d, PCI_COMMAND);

	if (on)
		cmd |= PCI_COMMAND_MEMORY;
	else
		cmd &= ~PCI_COMMAND_MEMORY;
	return vt_cfg_write16(d, PCI_COMMAND, cmd);
}

int vt_reset(struct vt_dev *d)
{
	return ioctl(d->fd, VFIO_DEVICE_RESET) ? -errno : 0;
}

int vt_feature_set(struct vt_dev *d, uint32_t feature)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_SET | feature,
	};

	return ioctl(d->fd, VFIO_DEVICE_FEATURE, &f) ? -errno : 0;
}

int vt_set_req_eventfd(struct vt_dev *d, int efd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *s = (void *)buf;
	int32_t fd = efd;

	memset(buf, 0, sizeof(buf));
	s->argsz = sizeof(buf);
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = VFIO_PCI_REQ_IRQ_INDEX;
	s->start = 0;
	s->count = 1;
	memcpy(s->data, &fd, sizeof(fd));
	return ioctl(d->fd, VFIO_DEVICE_SET_IRQS, s) ? -errno : 0;
}

void *vt_map(struct vt_dev *d, uint32_t index, uint64_t off, size_t len,
	     size_t align, size_t misalign, int prot, int flags)
{
	uint64_t foff = vt_region_base(d, index) + off;
	size_t total;
	char *res, *addr;
	void *p;

	if (!align)
		return mmap(NULL, len, prot, flags, d->fd, (off_t)foff);

	total = len + align + misalign;
	res = mmap(NULL, total, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return MAP_FAILED;
	addr = (char *)(((uintptr_t)res + align - 1) & ~(uintptr_t)(align - 1));
	addr += misalign;
	p = mmap(addr, len, prot, flags | MAP_FIXED, d->fd, (off_t)foff);
	if (p == MAP_FAILED) {
		int e = errno;

		munmap(res, total);
		errno = e;
		return MAP_FAILED;
	}
	/* Drop the slack around the device mapping. */
	if (addr > res)
		munmap(res, addr - res);
	if (res + total > addr + len)
		munmap(addr + len, res + total - (addr + len));
	return p;
}

/* ------------------------------------------------------------------ */
/* Probing accesses                                                    */

static __thread sigjmp_buf vt_jb;
static __thread volatile sig_atomic_t vt_armed;

static void vt_fault_handler(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (vt_armed) {
		vt_armed = 0;
		siglongjmp(vt_jb, sig);
	}
	/* A fault outside a probe: die of it with the default action. */
	signal(sig, SIG_DFL);
}

void vt_probe_init(void)
{
	static bool done;
	struct sigaction sa;

	if (done)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = vt_fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	done = true;
}

static int vt_sig_to_probe(int sig)
{
	return sig == SIGBUS ? VT_ACCESS_SIGBUS : VT_ACCESS_SIGSEGV;
}

int vt_probe_read32(const volatile void *p, uint32_t *val)
{
	int sig;
	uint32_t v;

	vt_probe_init();
	sig = sigsetjmp(vt_jb, 1);
	if (sig)
		return vt_sig_to_probe(sig);
	vt_armed = 1;
	v = *(const volatile uint32_t *)p;
	vt_armed = 0;
	*val = v;
	return VT_ACCESS_OK;
}

int vt_probe_write32(volatile void *p, uint32_t val)
{
	int sig;

	vt_probe_init();
	sig = sigsetjmp(vt_jb, 1);
	if (sig)
		return vt_sig_to_probe(sig);
	vt_armed = 1;
	*(volatile uint32_t *)p = val;
	vt_armed = 0;
	return VT_ACCESS_OK;
}

int vt_probe_touch(const volatile void *base, size_t len, size_t stride,
		   size_t *done, uint64_t *sum)
{
	static __thread volatile size_t i;
	static __thread volatile uint64_t acc;
	int sig;

	vt_probe_init();
	i = 0;
	acc = 0;
	sig = sigsetjmp(vt_jb, 1);
	if (sig) {
		*done = i;
		*sum = acc;
		return vt_sig_to_probe(sig);
	}
	vt_armed = 1;
	for (; i < len; i += stride)
		acc += *(const volatile uint32_t *)((const volatile char *)base + i);
	vt_armed = 0;
	*done = len;
	*sum = acc;
	return VT_ACCESS_OK;
}

void vt_probe_warm(void)
{
	uint32_t local = 0x5a5a5a5a, v;
	uint64_t sum;
	size_t done;

	vt_probe_read32(&local, &v);
	vt_probe_write32(&local, v);
	vt_probe_touch(&local, sizeof(local), sizeof(local), &done, &sum);
	(void)vt_minflt_thread();
	(void)vt_minflt_self();
	(void)vt_now();
}

const char *vt_probe_name(int r)
{
	switch (r) {
	case VT_ACCESS_OK: return "ok";
	case VT_ACCESS_SIGBUS: return "SIGBUS";
	case VT_ACCESS_SIGSEGV: return "SIGSEGV";
	}
	return "?";
}

long vt_minflt_thread(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return -1;
	return ru.ru_minflt;
}

long vt_minflt_self(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return ru.ru_minflt;
}

double vt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* The driver's debugfs and sysfs                                      */

static void vt_parse_mapping(char *line, struct vt_mapping *m)
{
	char *save = NULL, *tok;

	memset(m, 0, sizeof(*m));
	m->faults = -1;
	for (tok = strtok_r(line, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');
		const char *k = tok, *v;

		if (!eq)
			continue;
		*eq = '\0';
		v = eq + 1;
		if (!strcmp(k, "pid")) {
			m->pid = (int)strtol(v, NULL, 10);
			m->has_pid = true;
		} else if (!strcmp(k, "comm")) {
			snprintf(m->comm, sizeof(m->comm), "%s", v);
		} else if (!strcmp(k, "region") || !strcmp(k, "index")) {
			m->region = (int)strtol(v, NULL, 0);
			m->has_region = true;
		} else if (!strcmp(k, "start")) {
			m->start = strtoull(v, NULL, 16);
			m->has_start = true;
		} else if (!strcmp(k, "end")) {
			m->end = strtoull(v, NULL, 16);
			m->has_end = true;
		} else if (!strcmp(k, "pgoff")) {
			m->pgoff = strtoull(v, NULL, 16);
			m->has_pgoff = true;
		} else if (!strcmp(k, "state")) {
			snprintf(m->state, sizeof(m->state), "%s", v);
		} else if (!strcmp(k, "faults")) {
			m->faults = strtol(v, NULL, 0);
			m->has_faults = true;
		}
	}
}

int vt_read_mappings_pid(const char *bdf, int pid, struct vt_mapping *m,
			 int max)
{
	char path[PATH_MAX];
	static char buf[1 << 18];
	char *save = NULL, *line;
	int n = 0, r;

	snprintf(path, sizeof(path), VT_DEBUGFS_ROOT "/%s/mappings", bdf);
	r = vt_read_file(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	for (line = strtok_r(buf, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		struct vt_mapping tmp;

		if (!strchr(line, '='))
			continue;	/* a header or blank line */
		vt_parse_mapping(line, &tmp);
		if (pid && (!tmp.has_pid || tmp.pid != pid))
			continue;
		m[n++] = tmp;
	}
	return n;
}

int vt_read_mappings(const char *bdf, struct vt_mapping *m, int max)
{
	return vt_read_mappings_pid(bdf, 0, m, max);
}

void vt_print_mappings(const char *what, const struct vt_mapping *m, int n)
{
	int i;

	vt_note("%s: %d line(s)", what, n);
	for (i = 0; i < n; i++)
		vt_note("  pid=%d comm=%s region=%d start=0x%llx end=0x%llx pgoff=0x%llx state=%s faults=%ld",
			m[i].pid, m[i].comm, m[i].region,
			(unsigned long long)m[i].start,
			(unsigned long long)m[i].end,
			(unsigned long long)m[i].pgoff, m[i].state,
			m[i].faults);
}

long vt_mapping_faults(const char *bdf, int pid, uint64_t addr)
{
	struct vt_mapping m[VT_MAX_MAPPINGS];
	int n = vt_read_mappings_pid(bdf, pid, m, VT_MAX_MAPPINGS), i;

	for (i = 0; i < n; i++)
		if (m[i].start <= addr && addr < m[i].end)
			return m[i].faults;
	return -1;
}

bool vt_mapping_matches(const struct vt_mapping *m, uint32_t region,
			uint64_t start, uint64_t end, uint64_t pgoff_pages)
{
	const uint64_t mask = (1ULL << (VT_REGION_SHIFT - 12)) - 1;

	if (m->has_region && (uint32_t)m->region != region)
		return false;
	if (m->start != start || m->end != end)
		return false;
	if (!m->has_pgoff)
		return true;
	return (m->pgoff & mask) == pgoff_pages;
}

/* Drop trailing newlines and blanks from buf. */
static void vt_trim(char *buf)
{
	size_t l = strlen(buf);

	while (l && (buf[l - 1] == '\n' || buf[l - 1] == ' '))
		buf[--l] = '\0';
}

int vt_read_debugfs(const char *bdf, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), VT_DEBUGFS_ROOT "/%s/%s", bdf, name);
	r = vt_read_file(path, buf, len);
	if (r < 0)
		return r;
	vt_trim(buf);
	return 0;
}

int vt_read_state(const char *bdf, char *buf, size_t len)
{
	return vt_read_debugfs(bdf, "state", buf, len);
}

long vt_read_refused(const char *bdf)
{
	char path[PATH_MAX], buf[32], *end;
	long v;
	int r;

	snprintf(path, sizeof(path), VT_DEBUGFS_ROOT "/%s/refused", bdf);
	r = vt_read_file(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || v < 0)
		return -EINVAL;
	return v;
}

bool vt_debugfs_present(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), VT_DEBUGFS_ROOT "/%s/mappings", bdf);
	return vt_path_exists(path);
}

int vt_read_param(const char *name, char *buf, size_t len)
{
	char path[PATH_MAX], raw[256];
	char *lb, *rb;
	int r;

	snprintf(path, sizeof(path), "/sys/module/vfio_pci_mmap/parameters/%s",
		 name);
	r = vt_read_file(path, raw, sizeof(raw));
	if (r < 0)
		return r;
	lb = strchr(raw, '[');
	rb = lb ? strchr(lb, ']') : NULL;
	if (lb && rb) {
		*rb = '\0';
		snprintf(buf, len, "%s", lb + 1);
	} else {
		snprintf(buf, len, "%s", raw);
	}
	vt_trim(buf);
	return 0;
}

bool vt_dbg_ready(const char *bdf)
{
	static char checked[4][64];
	static bool result[4];
	int i;

	if (!vt_ours())
		return false;
	for (i = 0; i < 4 && checked[i][0]; i++)
		if (!strcmp(checked[i], bdf))
			return result[i];
	if (i == 4)
		i = 3;
	snprintf(checked[i], sizeof(checked[i]), "%s", bdf);
	result[i] = CHECK(vt_debugfs_present(bdf),
			  "debugfs " VT_DEBUGFS_ROOT "/%s/mappings present", bdf);
	return result[i];
}

void vt_expect_state(const char *bdf, const char *want)
{
	char st[64] = "";
	int r;

	if (!vt_dbg_ready(bdf))
		return;
	r = vt_read_state(bdf, st, sizeof(st));
	if (r < 0) {
		CHECK(0, "state is %s (cannot read state: %s)", want,
		      strerror(-r));
		return;
	}
	CHECK(!strcmp(st, want), "debugfs state is %s (got '%s')", want, st);
}

int vt_count_lines(const char *bdf, int pid)
{
	struct vt_mapping m[VT_MAX_MAPPINGS];

	return vt_read_mappings_pid(bdf, pid, m, VT_MAX_MAPPINGS);
}

void vt_reset_path_or_skip(const char *bdf, char *path, size_t len)
{
	snprintf(path, len, "/sys/bus/pci/devices/%s/reset", bdf);
	if (!vt_path_exists(path))
		vt_skip("%s absent: no reset method", path);
}

volatile char *vt_map_edu(struct vt_dev *d, int prot, int *res, uint32_t *v)
{
	volatile char *map = vt_map(d, VFIO_PCI_BAR0_REGION_INDEX, 0, SZ_4K,
				    0, 0, prot, MAP_SHARED);

	if (!CHECK(map != MAP_FAILED, "mmap BAR0 page 0"))
		return NULL;
	vt_probe_warm();
	*res = vt_probe_read32(map + EDU_REG_ID, v);
	return map;
}

/* ------------------------------------------------------------------ */
/* tracefs                                                             */

int vt_trace_write(const char *file, const char *s)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), VT_TRACEFS "/%s", file);
	return vt_write_file(path, s);
}

/* Write on ("1"/"0") to the enable file of each of the driver's events. */
static int vt_trace_events(const char *const *events, const char *on)
{
	char file[256];
	int r = 0;

	for (; *events; events++) {
		snprintf(file, sizeof(file), "events/vfio_pci_mmap/%s/enable",
			 *events);
		if (vt_trace_write(file, on))
			r = -EIO;
	}
	return r;
}

int vt_trace_start(const char *const *events)
{
	if (!vt_path_exists(VT_TRACEFS "/trace"))
		mount("tracefs", VT_TRACEFS, "tracefs", 0, NULL);
	if (vt_trace_write("trace_clock", "global") ||
	    vt_trace_events(events, "1")) {
		vt_trace_events(events, "0");
		return -ENOENT;
	}
	vt_trace_write("buffer_size_kb", "4096");
	vt_trace_write("trace", "");
	vt_trace_write("tracing_on", "1");
	return 0;
}

void vt_trace_stop(const char *const *events)
{
	vt_trace_write("tracing_on", "0");
	vt_trace_events(events, "0");
}

FILE *vt_trace_open(void)
{
	FILE *f = fopen(VT_TRACEFS "/trace", "r");

	CHECK(f != NULL, "read the trace");
	return f;
}

bool vt_trace_window(const char *line, const char *dev, bool *in_window,
		     long *windows)
{
	if (!strstr(line, "vpm_state_change") || !strstr(line, dev))
		return false;
	if (strstr(line, "-> resetting")) {
		*in_window = true;
		(*windows)++;
	} else if (strstr(line, "resetting ->")) {
		*in_window = false;
	}
	return true;
}
