// SPDX-License-Identifier: GPL-2.0-only
/*
 * vpm_scenario: drive one device through a fixed sequence of transitions
 * while trace-cmd records, writing a marker into the trace before every
 * step ("vpm-scenario: STEP" through tracefs trace_marker), so that
 * tracing/check.py can assert which events each step produced.
 *
 *   vpm_scenario SCENARIO --bdf BDF [--out DIR]
 *
 * SCENARIO is one of:
 *   lifecycle  map, fault, VFIO_DEVICE_RESET, re-fault, memory disable,
 *              SIGBUS, memory enable, re-fault, hot-unplug (asks the host
 *              through DIR/unplug-request, see tests/guest/lib.sh), SIGBUS
 *              on the revoked mapping, unmap, close
 *   fork       a populated mapping inherited by a child, zapped by a reset
 *              in the parent, re-faulted by both
 *   split      munmap of the middle of a mapping, mprotect of part of one
 *   mremap     a private mapping refused, a populated mapping moved
 *              elsewhere
 *   lowpower   LOW_POWER_ENTRY_WITH_WAKEUP, runtime suspend, an ioctl that
 *              resumes the device (vfio-pci-core exits low power inside its
 *              runtime resume and signals the eventfd; this driver is not
 *              told), then a touch: the driver observes the exit at the fault
 *   ring       the fault ring: a refused access produces a record, consumed
 *              through the mapping and through read(), an overflow, an
 *              invalid consumer index
 *
 * The program checks what user space sees (SIGBUS or not, eventfd
 * counts) and exits nonzero if any check failed; the trace is judged
 * separately.  Only the VFIO uapi, sysfs, debugfs and tracefs.
 */
#include "vfio_test.h"
#include "ring_lib.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TRACE_MARKER "/sys/kernel/tracing/trace_marker"
#define PAGE 4096UL

static int marker_fd = -1;
static const char *bdf;
static const char *out_dir;

/* Write "vpm-scenario: <text>" into the trace (and to stdout). */
__attribute__((format(printf, 1, 2)))
static void mark(const char *fmt, ...)
{
	char text[200], line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = snprintf(line, sizeof(line), "vpm-scenario: %s", text);
	printf("# step: %s\n", text);
	fflush(stdout);
	if (marker_fd < 0)
		marker_fd = open(TRACE_MARKER, O_WRONLY | O_CLOEXEC);
	if (marker_fd < 0 || write(marker_fd, line, n) != n)
		vt_bail("cannot write %s: %s", TRACE_MARKER, strerror(errno));
}

/* Read word 0 of @p and check that the access is @want. */
static void touch(const char *what, volatile char *p, int want)
{
	uint32_t v = 0;
	int res = vt_probe_read32(p, &v);

	CHECK(res == want, "%s: %s (want %s, read 0x%x)", what,
	      vt_probe_name(res), vt_probe_name(want), v);
}

static volatile char *map_bar0(struct vt_dev *d, size_t len)
{
	void *p = vt_map(d, VFIO_PCI_BAR0_REGION_INDEX, 0, len, 0, 0,
			 PROT_READ | PROT_WRITE, MAP_SHARED);

	if (p == MAP_FAILED)
		vt_bail("mmap BAR0 of %s (%zu bytes): %s", bdf, len,
			strerror(errno));
	return p;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Poll @path until it reads @want (first word), for up to @ms. */
static bool wait_file(const char *path, const char *want, long ms)
{
	char buf[64];
	long t;

	for (t = 0; t <= ms; t += 20) {
		if (vt_read_file(path, buf, sizeof(buf)) >= 0) {
			buf[strcspn(buf, " \n")] = '\0';
			if (!strcmp(buf, want))
				return true;
		}
		sleep_ms(20);
	}
	return false;
}

/* ---- lifecycle ---------------------------------------------------------------- */

/* Ask the host for device_del of edu2 (tests/guest/lib.sh's protocol). */
static void request_unplug(void)
{
	char tmp[PATH_MAX], req[PATH_MAX];
	int fd;

	if (!out_dir)
		vt_bail("lifecycle needs --out DIR (the harness's $OUT)");
	snprintf(tmp, sizeof(tmp), "%s/.unplug-request.tmp", out_dir);
	snprintf(req, sizeof(req), "%s/unplug-request", out_dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "edu2\n", 5) != 5 || close(fd) ||
	    rename(tmp, req))
		vt_bail("cannot ask the host to unplug: %s", strerror(errno));
}

static int scenario_lifecycle(void)
{
	char path[PATH_MAX];
	volatile char *map;
	struct vt_dev d;

	mark("open");
	vt_open_or_skip(&d, bdf);
	mark("mmap");
	map = map_bar0(&d, PAGE);
	mark("touch");
	touch("first access", map, VT_ACCESS_OK);
	mark("reset");
	CHECK(vt_reset(&d) == 0, "VFIO_DEVICE_RESET");
	mark("touch");
	touch("after reset", map, VT_ACCESS_OK);
	mark("memory-disable");
	CHECK(vt_set_memory_enable(&d, false) == 0, "clear PCI_COMMAND_MEMORY");
	mark("touch");
	touch("memory disabled", map, VT_ACCESS_SIGBUS);
	mark("memory-enable");
	CHECK(vt_set_memory_enable(&d, true) == 0, "set PCI_COMMAND_MEMORY");
	mark("touch");
	touch("memory enabled", map, VT_ACCESS_OK);
	mark("unplug");
	request_unplug();
	snprintf(path, sizeof(path), VT_DEBUGFS_ROOT "/%s/state", bdf);
	CHECK(wait_file(path, "revoked", 30000),
	      "the driver revoked the device within 30 s");
	mark("touch");
	touch("revoked", map, VT_ACCESS_SIGBUS);
	mark("munmap");
	munmap((void *)map, PAGE);
	mark("close");
	vt_close(&d);
	return vt_exit();
}

/* ---- fork ---------------------------------------------------------------------- */

static void pipe_send(int fd)
{
	if (write(fd, "x", 1) != 1)
		vt_bail("pipe write: %s", strerror(errno));
}

static void pipe_wait(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		vt_bail("pipe read: %s", strerror(errno));
}

static int scenario_fork(void)
{
	int to_child[2], to_parent[2], status;
	volatile char *map;
	struct vt_dev d;
	pid_t pid;

	mark("open");
	vt_open_or_skip(&d, bdf);
	mark("mmap");
	map = map_bar0(&d, PAGE);
	mark("touch");
	touch("parent, first access", map, VT_ACCESS_OK);
	if (pipe(to_child) || pipe(to_parent))
		vt_bail("pipe: %s", strerror(errno));
	fflush(stdout);
	mark("fork");
	pid = fork();
	if (pid < 0)
		vt_bail("fork: %s", strerror(errno));
	if (pid == 0) {
		pipe_wait(to_child[0]);
		mark("child-touch");
		touch("child, inherited mapping", map, VT_ACCESS_OK);
		pipe_send(to_parent[1]);
		pipe_wait(to_child[0]);
		mark("child-touch");
		touch("child, after the reset", map, VT_ACCESS_OK);
		pipe_send(to_parent[1]);
		pipe_wait(to_child[0]);
		mark("child-exit");
		fflush(stdout);
		_exit(vt_failures ? 1 : 0);
	}
	pipe_send(to_child[1]);
	pipe_wait(to_parent[0]);
	mark("reset");
	CHECK(vt_reset(&d) == 0, "VFIO_DEVICE_RESET");
	pipe_send(to_child[1]);
	pipe_wait(to_parent[0]);
	mark("parent-touch");
	touch("parent, after the reset", map, VT_ACCESS_OK);
	pipe_send(to_child[1]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "child exited cleanly (0x%x)", status);
	mark("munmap");
	munmap((void *)map, PAGE);
	mark("close");
	vt_close(&d);
	return vt_exit();
}

/* ---- split ---------------------------------------------------------------------- */

static int scenario_split(void)
{
	volatile char *map;
	struct vt_dev d;

	mark("open");
	vt_open_or_skip(&d, bdf);
	mark("mmap");
	map = map_bar0(&d, 4 * PAGE);
	mark("touch");
	touch("page 1", map + PAGE, VT_ACCESS_OK);
	mark("munmap-middle");
	CHECK(munmap((void *)(map + PAGE), PAGE) == 0, "munmap page 1");
	mark("touch");
	touch("page 0", map, VT_ACCESS_OK);
	mark("mprotect");
	CHECK(mprotect((void *)(map + 3 * PAGE), PAGE, PROT_READ) == 0,
	      "mprotect page 3 read-only");
	mark("touch");
	touch("page 3", map + 3 * PAGE, VT_ACCESS_OK);
	mark("munmap");
	munmap((void *)map, 4 * PAGE);
	mark("close");
	vt_close(&d);
	return vt_exit();
}

/* ---- mremap --------------------------------------------------------------------- */

static int scenario_mremap(void)
{
	volatile char *map, *moved;
	struct vt_dev d;
	void *dst;

	mark("open");
	vt_open_or_skip(&d, bdf);
	mark("mmap-private");
	/* Refused: BAR mappings must be shared. */
	dst = vt_map(&d, VFIO_PCI_BAR0_REGION_INDEX, 0, PAGE, 0, 0, PROT_READ,
		     MAP_PRIVATE);
	CHECK(dst == MAP_FAILED && errno == EINVAL,
	      "a private mapping is refused with EINVAL (%s)",
	      dst == MAP_FAILED ? strerror(errno) : "mapped");
	mark("mmap");
	map = map_bar0(&d, PAGE);
	mark("touch");
	touch("before the move", map, VT_ACCESS_OK);
	/* A free place to move to: reserve it, then move over it. */
	dst = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dst == MAP_FAILED)
		vt_bail("reserve: %s", strerror(errno));
	mark("mremap");
	moved = mremap((void *)map, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
		       dst);
	if (!CHECK(moved != MAP_FAILED, "mremap to %p (%s)", dst,
		   moved == MAP_FAILED ? strerror(errno) : "ok"))
		return vt_exit();
	mark("touch");
	touch("after the move", moved, VT_ACCESS_OK);
	mark("munmap");
	munmap((void *)moved, PAGE);
	mark("close");
	vt_close(&d);
	return vt_exit();
}

/* ---- lowpower ------------------------------------------------------------------- */

static int low_power_entry_with_wakeup(struct vt_dev *d, int efd)
{
	union {
		struct vfio_device_feature f;
		char buf[sizeof(struct vfio_device_feature) +
			 sizeof(struct vfio_device_low_power_entry_with_wakeup)];
	} u;
	struct vfio_device_low_power_entry_with_wakeup w = {
		.wakeup_eventfd = efd,
	};

	memset(&u, 0, sizeof(u));
	u.f.argsz = sizeof(u.buf);
	u.f.flags = VFIO_DEVICE_FEATURE_SET |
		    VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP;
	memcpy(u.f.data, &w, sizeof(w));
	return ioctl(d->fd, VFIO_DEVICE_FEATURE, &u) ? -errno : 0;
}

static int scenario_lowpower(void)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	char status[PATH_MAX];
	volatile char *map;
	struct vt_dev d;
	uint64_t count = 0;
	int efd, ret;

	snprintf(status, sizeof(status),
		 "/sys/bus/pci/devices/%s/power/runtime_status", bdf);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		vt_bail("eventfd: %s", strerror(errno));

	mark("open");
	vt_open_or_skip(&d, bdf);
	mark("mmap");
	map = map_bar0(&d, PAGE);
	mark("touch");
	touch("before low power", map, VT_ACCESS_OK);
	mark("low-power-entry-with-wakeup");
	ret = low_power_entry_with_wakeup(&d, efd);
	if (!CHECK(ret == 0, "LOW_POWER_ENTRY_WITH_WAKEUP (%s)",
		   ret ? strerror(-ret) : "0"))
		return vt_exit();
	CHECK(wait_file(status, "suspended", 10000),
	      "the device runtime-suspended within 10 s");
	mark("get-info");
	/* Any device ioctl resumes it: vfio takes a runtime PM reference. */
	CHECK(ioctl(d.fd, VFIO_DEVICE_GET_INFO, &info) == 0,
	      "VFIO_DEVICE_GET_INFO");
	CHECK(read(efd, &count, sizeof(count)) == sizeof(count) && count == 1,
	      "the wakeup eventfd was signalled once (%llu)",
	      (unsigned long long)count);
	CHECK(wait_file(status, "active", 1000), "the device is active");
	mark("touch");
	touch("after the wakeup", map, VT_ACCESS_OK);
	mark("munmap");
	munmap((void *)map, PAGE);
	mark("close");
	vt_close(&d);
	close(efd);
	return vt_exit();
}

/* ---- ring ----------------------------------------------------------------------- */

static int scenario_ring(void)
{
	struct vfio_pci_mmap_fault_record rec[4];
	volatile char *map;
	struct vt_dev d;
	struct ring r;
	uint32_t n, prod;
	ssize_t got;

	/* The smallest ring, so that an overflow is short. */
	if (vt_write_file("/sys/module/vfio_pci_mmap/parameters/ring_entries",
			  "64"))
		vt_bail("cannot set ring_entries=64");

	mark("open");
	vt_open_or_skip(&d, bdf);
	memset(&r, 0, sizeof(r));
	ring_find_or_bail(&d, &r);
	CHECK(r.cap.nr_entries == 64, "64 entries (%u)", r.cap.nr_entries);
	mark("ring-mmap");
	if (!CHECK(ring_map(&r) == 0, "map the ring"))
		return vt_exit();
	CHECK(ring_prod(&r) == 0 && ring_cons(&r) == 0, "the ring is empty");
	mark("mmap");
	map = map_bar0(&d, PAGE);
	mark("memory-disable");
	CHECK(vt_set_memory_enable(&d, false) == 0, "clear PCI_COMMAND_MEMORY");
	mark("touch");
	touch("memory disabled", map, VT_ACCESS_SIGBUS);
	mark("consume-mmap");
	n = ring_pop(&r, rec, 4);
	CHECK(n == 1 && rec[0].type == VFIO_PCI_MMAP_FAULT_TYPE_MMAP_REFUSED,
	      "one refused record through the mapping (%u)", n);
	mark("touch");
	touch("memory disabled, again", map, VT_ACCESS_SIGBUS);
	mark("consume-read");
	got = ring_pread(&r, r.cap.entries_offset, rec, sizeof(rec));
	CHECK(got == (ssize_t)sizeof(rec[0]),
	      "one record through read() (%zd bytes)", got);
	mark("overflow");
	CHECK(ring_inject(bdf, "70 1 6 0x10000") == 0, "inject 70 records");
	CHECK(ring_status(bdf, "lost") == 6, "6 records lost");
	mark("consume-mmap-all");
	ring_skip_all(&r);
	mark("invalid-cons");
	prod = ring_prod(&r);
	ring_set_cons(&r, prod + 1000);
	CHECK(ring_inject(bdf, "1 1 6 0x20000") == 0, "inject 1 record");
	CHECK(ring_prod(&r) == prod, "nothing produced past an invalid index");
	mark("valid-cons");
	ring_set_cons(&r, prod);
	CHECK(ring_inject(bdf, "1 1 6 0x30000") == 0, "inject 1 record");
	CHECK(ring_prod(&r) == prod + 1, "produced once the index is valid");
	mark("memory-enable");
	CHECK(vt_set_memory_enable(&d, true) == 0, "set PCI_COMMAND_MEMORY");
	mark("munmap");
	munmap((void *)map, PAGE);
	ring_unmap(&r);
	mark("close");
	vt_close(&d);
	return vt_exit();
}

static const struct {
	const char *name;
	int (*run)(void);
} scenarios[] = {
	{ "lifecycle", scenario_lifecycle },
	{ "fork", scenario_fork },
	{ "split", scenario_split },
	{ "mremap", scenario_mremap },
	{ "lowpower", scenario_lowpower },
	{ "ring", scenario_ring },
};

int main(int argc, char **argv)
{
	const char *name = NULL;
	size_t i;
	int a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--bdf") && a + 1 < argc)
			bdf = argv[++a];
		else if (!strcmp(argv[a], "--out") && a + 1 < argc)
			out_dir = argv[++a];
		else if (argv[a][0] != '-' && !name)
			name = argv[a];
		else
			vt_bail("usage: vpm_scenario SCENARIO --bdf BDF [--out DIR]");
	}
	if (!name || !bdf)
		vt_bail("usage: vpm_scenario SCENARIO --bdf BDF [--out DIR]");
	setvbuf(stdout, NULL, _IOLBF, 0);
	vt_probe_warm();
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (!strcmp(scenarios[i].name, name)) {
			mark("begin %s", name);
			a = scenarios[i].run();
			mark("end %s", name);
			return a;
		}
	vt_bail("unknown scenario %s", name);
}
