// SPDX-License-Identifier: GPL-2.0-only
/*
 * vpm-bench - the measurements of 'make bench', run inside the bench VM
 * (bench/guest.sh) against devices bound to vfio-pci-mmap and to stock
 * vfio-pci.
 *
 *   vpm-bench faultin [--warm] [--classes pud,pmd,mis,nothp] DEVS (BAR2, 1 GiB)
 *   vpm-bench faultmax DEVS        (BAR2, misaligned: the longest touch)
 *   vpm-bench fault4k [--iters K] DEVS                         (BAR0, 4 KiB)
 *   vpm-bench fork [--vmas N] DEVS     (fork of a process with N BAR0 vmas)
 *   vpm-bench zap [--configs NxP,...] [--modes plain,vpm,graph] DEVS (BAR0)
 *   vpm-bench slab [--vmas N] DEVS                             (BAR0)
 *   vpm-bench ring [--rounds K] DEVS                 (the fault ring region)
 *
 * Common options: --reps N (repetitions; default 7), --raw FILE (append the
 * figures there), and one --dev LABEL=BDF[:ev] per device variant.  LABEL
 * names the variant in the figures ("ours", "stock", ...); ":ev" enables the
 * vfio_pci_mmap trace system (tracefs) around each of that variant's
 * measurements, so one device can be measured with its events disabled and
 * enabled in the same run.  Variants are measured interleaved, their order
 * alternating from one repetition to the next, so a change of the host's
 * load hits all of them alike.
 *
 * Every figure is one line "R METRIC LABEL VALUE" in the raw file (one line
 * per repetition); bench/report.py turns them into medians and ratios.  The
 * program exits nonzero if a measurement could not be made or a sanity
 * check failed (wrong fault count, records lost, ...).
 */
#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <linux/pci_regs.h>
#include "vfio_test.h"
#include "../include/uapi/linux/vfio_pci_mmap.h"

#define TRACEFS		"/sys/kernel/tracing"
#define MAX_DEVS	8
#define MAX_REPS	1000
/*
 * Fault-in mappings are placed at fixed addresses in an otherwise empty
 * 512 GiB part of the address space, so every repetition starts with no
 * page table at any level there and VmPTE counts every table it needs.
 */
#define FAULTIN_BASE	0x200000000000UL

struct variant {
	char label[32];
	char bdf[64];
	bool ev;		/* vfio_pci_mmap events enabled around it */
	bool ours;		/* bound to vfio-pci-mmap */
	struct vt_dev *dev;	/* shared by the variants of one BDF */
};

static struct variant vars[MAX_DEVS];
static int nvars;
static struct vt_dev devs[MAX_DEVS];
static int ndevs;
static int reps = 7;
static FILE *raw;
static int failed;

/* ------------------------------------------------------------------ */
/* Output                                                              */

static void emit(const char *metric, const char *label, double v)
{
	printf("R %s %s %.9g\n", metric, label, v);
	if (raw) {
		fprintf(raw, "R %s %s %.9g\n", metric, label, v);
		fflush(raw);
	}
}

__attribute__((format(printf, 1, 2)))
static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	failed = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* A "Key:  N kB" line of /proc/self/status or /proc/meminfo, or -1. */
static long proc_kb(const char *file, const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ------------------------------------------------------------------ */
/* tracefs                                                             */

static int tfs_write(const char *file, const char *s, bool append)
{
	char path[256];

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	return vt_write_file_flags(path, s, append ? O_APPEND : O_TRUNC);
}

static void tfs_clear(void)
{
	tfs_write("trace", "", false);
}

static char *tfs_drain(void);

/*
 * Consume what the trace buffer holds, through trace_pipe, and return it as
 * text (free() it).  Never truncates the "trace" file: an O_TRUNC open goes
 * through truncate_pagecache(), i.e. unmap_mapping_range(), which the graph
 * mode would then count as a zap of this process.
 */
static char *tfs_drain(void)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	int fd = open(TRACEFS "/trace_pipe", O_RDONLY | O_NONBLOCK);

	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		if (cap - len < 8192) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

static void events_set(bool on)
{
	if (tfs_write("events/vfio_pci_mmap/enable", on ? "1" : "0", false))
		fail("cannot %s the vfio_pci_mmap events (tracefs mounted?)",
		     on ? "enable" : "disable");
}

/* ------------------------------------------------------------------ */
/* Devices                                                             */

static bool bound_to_ours(const char *bdf)
{
	char path[256], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return !strcmp(basename(link), "vfio-pci-mmap");
}

static void add_variant(const char *spec)
{
	struct variant *v = &vars[nvars];
	const char *eq = strchr(spec, '=');
	char *colon;
	int i;

	if (!eq || nvars == MAX_DEVS)
		vt_bail("bad --dev %s (LABEL=BDF[:ev])", spec);
	snprintf(v->label, sizeof(v->label), "%.*s", (int)(eq - spec), spec);
	snprintf(v->bdf, sizeof(v->bdf), "%s", eq + 1);
	colon = strstr(v->bdf, ":ev");
	if (colon && colon[3] == '\0') {
		*colon = '\0';
		v->ev = true;
	}
	v->ours = bound_to_ours(v->bdf);
	for (i = 0; i < ndevs; i++)
		if (!strcmp(devs[i].bdf, v->bdf))
			v->dev = &devs[i];
	if (!v->dev) {
		const char *why = "?";
		int r = vt_open(&devs[ndevs], v->bdf, &why);

		if (r)
			vt_bail("cannot open %s: %s: %s", v->bdf, why,
				strerror(-r));
		v->dev = &devs[ndevs++];
	}
	printf("# variant %s: %s (%s)%s\n", v->label, v->bdf,
	       v->ours ? "vfio-pci-mmap" : "stock", v->ev ? " events on" : "");
	nvars++;
}

/* The i-th variant to measure in repetition rep: the order alternates. */
static struct variant *nth(int rep, int i)
{
	return &vars[rep % 2 ? nvars - 1 - i : i];
}

static void variant_begin(struct variant *v)
{
	if (v->ev)
		events_set(true);
}

static void variant_end(struct variant *v)
{
	if (v->ev) {
		events_set(false);
		tfs_clear();
	}
}

static uint64_t region_size(struct vt_dev *d, int index)
{
	return d->region_size[index];
}

/* ------------------------------------------------------------------ */
/* faultin: first touch of the whole 1 GiB BAR, page by page           */

static const struct {
	const char *name;
	unsigned long misalign;
	bool nothp;			/* PR_SET_THP_DISABLE around the touch */
} classes[] = {
	{ "pud", 0, false },		/* 1 GiB-aligned */
	{ "pmd", SZ_2M, false },	/* 2 MiB- but not 1 GiB-aligned */
	{ "mis", SZ_4K, false },	/* not huge-aligned at all */
	{ "nothp", SZ_2M, true },	/* 2 MiB-aligned, THP disabled */
};
#define NCLASSES (sizeof(classes) / sizeof(classes[0]))

static uint64_t touch(volatile char *p, size_t len)
{
	uint64_t sum = 0;
	size_t off;

	for (off = 0; off < len; off += SZ_4K)
		sum += *(volatile uint32_t *)(p + off);
	return sum;
}

static void *map_fixed(struct vt_dev *d, int index, size_t len,
		       unsigned long addr)
{
	void *p = mmap((void *)addr, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED_NOREPLACE, d->fd,
		       d->region_off[index]);

	if (p != MAP_FAILED && p != (void *)addr) {
		munmap(p, len);
		errno = EEXIST;
		return MAP_FAILED;
	}
	return p;
}

static int faultin_one(struct variant *v, int c, bool record)
{
	struct vt_dev *d = v->dev;
	size_t len = region_size(d, 2);
	long pte0, pte1, f0, f1;
	volatile char *p;
	double t0, t1;
	char m[64];

	if (classes[c].nothp && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)) {
		fail("PR_SET_THP_DISABLE: %s", strerror(errno));
		return -1;
	}
	pte0 = proc_kb("/proc/self/status", "VmPTE");
	p = map_fixed(d, 2, len, FAULTIN_BASE + classes[c].misalign);
	if (p == MAP_FAILED) {
		fail("%s: mmap of BAR2 at %s alignment: %s", v->label,
		     classes[c].name, strerror(errno));
		return -1;
	}
	f0 = minflt();
	t0 = now();
	touch(p, len);
	t1 = now();
	f1 = minflt();
	pte1 = proc_kb("/proc/self/status", "VmPTE");
	munmap((void *)p, len);
	if (classes[c].nothp)
		prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);
	if (!record) {
		printf("# warm %s: %.3f s, %ld faults\n", v->label, t1 - t0,
		       f1 - f0);
		emit("warm_s", v->label, t1 - t0);
		return 0;
	}
	snprintf(m, sizeof(m), "faultin_%s_s", classes[c].name);
	emit(m, v->label, t1 - t0);
	snprintf(m, sizeof(m), "faultin_%s_faults", classes[c].name);
	emit(m, v->label, f1 - f0);
	snprintf(m, sizeof(m), "vmpte_%s_kb", classes[c].name);
	emit(m, v->label, pte1 - pte0);
	return 0;
}

static int cmd_faultin(bool warm, const char *which)
{
	bool want[NCLASSES] = { false };
	int rep, i, c, j;

	for (c = 0; c < (int)NCLASSES; c++)
		want[c] = !which || strstr(which, classes[c].name);
	for (i = 0; i < nvars; i++) {
		if (region_size(vars[i].dev, 2) < SZ_2M * 2 ||
		    !(vars[i].dev->region_flags[2] & VFIO_REGION_INFO_FLAG_MMAP))
			vt_bail("%s: BAR2 is not a mappable BAR of at least 4 MiB",
				vars[i].label);
	}
	if (warm) {
		/*
		 * The host allocates the backend's memory on its first touch
		 * (1-2 s for 1 GiB): once per device, untimed.
		 */
		for (i = 0; i < ndevs; i++)
			for (j = 0; j < nvars; j++)
				if (vars[j].dev == &devs[i]) {
					faultin_one(&vars[j], 0, false);
					break;
				}
	}
	for (rep = 0; rep < reps; rep++)
		for (c = 0; c < (int)NCLASSES; c++) {
			if (!want[c])
				continue;
			for (i = 0; i < nvars; i++) {
				struct variant *v = nth(rep + c, i);

				variant_begin(v);
				faultin_one(v, c, true);
				variant_end(v);
			}
		}
	return 0;
}

/* ------------------------------------------------------------------ */
/* faultmax: the longest single touch of a misaligned 1 GiB fault-in   */

/*
 * Each page of a misaligned mapping of the whole BAR2 is touched and
 * timed on its own: the longest touch is the longest single fault (the
 * rest are hits, far below it).  Stock 6.1 populates the whole vma in its
 * first fault; ours one PMD block per fault.  Reported: the longest touch,
 * the number of touches that faulted, and the most pages one fault mapped
 * (pages / faults is the mean; the block bound says at most 512).
 */
static int faultmax_one(struct variant *v)
{
	struct vt_dev *d = v->dev;
	size_t len = region_size(d, 2), off, run = 0, longest_run = 0;
	volatile char *p;
	double worst = 0;
	long faults = 0;

	p = map_fixed(d, 2, len, FAULTIN_BASE + SZ_4K);
	if (p == MAP_FAILED) {
		fail("%s: mmap of BAR2, misaligned: %s", v->label,
		     strerror(errno));
		return -1;
	}
	for (off = 0; off < len; off += SZ_4K) {
		long f0 = minflt();
		double t0 = now(), t;

		(void)p[off];
		t = now() - t0;
		if (minflt() != f0) {
			faults++;
			if (run > longest_run)
				longest_run = run;
			run = 1;
		} else {
			run++;
		}
		if (t > worst)
			worst = t;
	}
	if (run > longest_run)
		longest_run = run;
	munmap((void *)p, len);
	emit("faultmax_us", v->label, worst * 1e6);
	emit("faultmax_faults", v->label, faults);
	emit("faultmax_pages_per_fault_max", v->label, longest_run);
	return 0;
}

static int cmd_faultmax(void)
{
	int rep, i;

	for (rep = 0; rep < reps; rep++)
		for (i = 0; i < nvars; i++) {
			struct variant *v = nth(rep, i);

			variant_begin(v);
			faultmax_one(v);
			variant_end(v);
		}
	return 0;
}

/* ------------------------------------------------------------------ */
/* fork: a process holding N mapped BAR0 vmas forks, the child exits   */

/*
 * N one-page vmas of BAR0, each touched (populated), at addresses apart
 * so that none could merge; fork() copies them (->open for each, and
 * their PTEs), the child exits at once (->close for each), the parent
 * waits.  Timed: fork() to the end of waitpid().
 */
static int cmd_fork(int nvmas)
{
	volatile char **maps = calloc(nvmas, sizeof(*maps));
	char m[64];
	int rep, i, k;

	if (!maps)
		return 1;
	snprintf(m, sizeof(m), "fork_%dvmas_us", nvmas);
	/*
	 * Each repetition maps and touches one variant's vmas, forks, and
	 * unmaps them again, variants alternating in order.  One untimed
	 * round first (the program's own copy-on-write faults).
	 */
	for (rep = -1; rep < reps; rep++) {
		for (i = 0; i < nvars; i++) {
			struct variant *v = nth(rep + 1, i);
			double t0;
			pid_t pid;

			for (k = 0; k < nvmas; k++) {
				maps[k] = mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED,
					       v->dev->fd, v->dev->region_off[0]);
				if (maps[k] == MAP_FAILED) {
					fail("%s: mmap BAR0 #%d: %s", v->label,
					     k, strerror(errno));
					return 1;
				}
				(void)*maps[k];
			}
			t0 = now();
			pid = fork();
			if (pid == 0)
				_exit(0);
			if (pid < 0 || waitpid(pid, NULL, 0) != pid) {
				fail("%s: fork: %s", v->label, strerror(errno));
				return 1;
			}
			if (rep >= 0)
				emit(m, v->label, (now() - t0) * 1e6);
			for (k = 0; k < nvmas; k++)
				munmap((void *)maps[k], SZ_4K);
		}
	}
	free(maps);
	return 0;
}

/* ------------------------------------------------------------------ */
/* fault4k: one 4 KiB fault on a fresh 4 KiB mapping of BAR0           */

static int cmd_fault4k(int iters)
{
	double *lat = calloc(iters, sizeof(double));
	int rep, i, k;

	if (!lat)
		return 1;
	memset(lat, 0, iters * sizeof(double));	/* no fault of its own later */
	/* One untimed round first: the program's own first-use faults. */
	for (rep = -1; rep < reps; rep++) {
		for (i = 0; i < nvars; i++) {
			struct variant *v = nth(rep, i);
			struct vt_dev *d = v->dev;
			long faults = 0, f0;
			double t0;

			variant_begin(v);
			for (k = 0; k < iters; k++) {
				volatile uint32_t *p;

				p = mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED,
					 d->fd, d->region_off[0]);
				if (p == MAP_FAILED) {
					fail("%s: mmap BAR0: %s", v->label,
					     strerror(errno));
					return 1;
				}
				f0 = minflt();
				t0 = now();
				(void)*p;
				lat[k] = now() - t0;
				faults += minflt() - f0;
				munmap((void *)p, SZ_4K);
			}
			variant_end(v);
			if (rep < 0)
				continue;
			if (faults != iters)
				fail("%s: %ld faults for %d touches", v->label,
				     faults, iters);
			emit("fault4k_us", v->label, median(lat, iters) * 1e6);
		}
	}
	free(lat);
	return 0;
}

/* ------------------------------------------------------------------ */
/* zap: memory disable with N vmas spread over P processes             */

/*
 * Children map their share of 4 KiB vmas of BAR0 of every device, then
 * wait for commands on their pipe: 't' touches every vma (one read each,
 * so exactly the vmas that were zapped fault again) and answers with the
 * number of faults it took; 'q' exits.
 */
struct child {
	pid_t pid;
	int cmd;	/* parent -> child */
	int ack;	/* child -> parent */
};

static void child_main(int n, int cmd, int ack)
{
	volatile uint32_t **p = calloc((size_t)n * ndevs, sizeof(*p));
	int i, k;
	char c;
	long f0, got;

	if (!p)
		_exit(1);
	for (i = 0; i < ndevs; i++)
		for (k = 0; k < n; k++) {
			p[i * n + k] = mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED,
					    devs[i].fd, devs[i].region_off[0]);
			if (p[i * n + k] == MAP_FAILED) {
				perror("child mmap");
				_exit(1);
			}
		}
	while (read(cmd, &c, 1) == 1 && c == 't') {
		f0 = minflt();
		for (i = 0; i < n * ndevs; i++)
			(void)*p[i];
		got = minflt() - f0;
		if (write(ack, &got, sizeof(got)) != sizeof(got))
			_exit(1);
	}
	_exit(0);
}

/* Every child touches its vmas; returns the faults they took, or -1. */
static long children_touch(struct child *ch, int nproc)
{
	long total = 0, got;
	int i;

	for (i = 0; i < nproc; i++)
		if (write(ch[i].cmd, "t", 1) != 1)
			return -1;
	for (i = 0; i < nproc; i++) {
		if (read(ch[i].ack, &got, sizeof(got)) != sizeof(got))
			return -1;
		total += got;
	}
	return total;
}

/*
 * Kernel zap time from the trace buffer: vpm_zap_end duration_ns (mode
 * vpm) or function_graph durations of unmap_mapping_range (mode graph).
 * Returns the number of zaps found; *first is the first one's time, *sum
 * all of them, in microseconds; *vmas what vpm_zap_end counted.
 */
static int parse_zaps(const char *mode, double *first, double *sum,
		      long *vmas)
{
	char *buf = tfs_drain(), *line, *save = NULL, *s;
	int n = 0;
	double us;

	*first = *sum = 0;
	*vmas = -1;
	if (!buf)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		if (!strcmp(mode, "vpm")) {
			if (!strstr(line, "vpm_zap_end:"))
				continue;
			s = strstr(line, "duration_ns=");
			if (!s)
				continue;
			us = strtod(s + 12, NULL) / 1e3;
			s = strstr(line, "vmas=");
			if (s)
				*vmas = strtol(s + 5, NULL, 10);
		} else {
			char *bar, *u;

			if (!strstr(line, "unmap_mapping_range"))
				continue;
			/* " 1)  + 12.345 us   |  unmap_mapping_range();" */
			bar = strchr(line, '|');
			if (!bar)
				continue;
			*bar = '\0';
			u = strstr(line, " us");
			if (!u)
				continue;
			while (u > line && u[-1] == ' ')
				u--;
			while (u > line && (isdigit((unsigned char)u[-1]) ||
					    u[-1] == '.'))
				u--;
			us = strtod(u, NULL);
		}
		if (n == 0)
			*first = us;
		*sum += us;
		n++;
	}
	free(buf);
	return n;
}

static int zap_mode_setup(const char *mode)
{
	char pid[32];
	int e;

	tfs_write("tracing_on", "1", false);
	if (!strcmp(mode, "vpm")) {
		e = tfs_write("events/vfio_pci_mmap/vpm_zap_begin/enable", "1",
			      false);
		e = e ?: tfs_write("events/vfio_pci_mmap/vpm_zap_end/enable",
				   "1", false);
		return e;
	}
	if (!strcmp(mode, "graph")) {
		snprintf(pid, sizeof(pid), "%d", getpid());
		e = tfs_write("set_ftrace_filter", "unmap_mapping_range", false);
		e = e ?: tfs_write("set_ftrace_pid", pid, false);
		e = e ?: tfs_write("current_tracer", "function_graph", false);
		return e;
	}
	return 0;
}

static void zap_mode_teardown(const char *mode)
{
	if (!strcmp(mode, "vpm")) {
		tfs_write("events/vfio_pci_mmap/vpm_zap_begin/enable", "0", false);
		tfs_write("events/vfio_pci_mmap/vpm_zap_end/enable", "0", false);
	} else if (!strcmp(mode, "graph")) {
		tfs_write("current_tracer", "nop", false);
		tfs_write("set_ftrace_pid", "", false);
		tfs_write("set_ftrace_filter", "", false);
	}
	tfs_clear();
}

static int zap_config(int nvmas, int nproc, const char *modes)
{
	struct child ch[64];
	int i, rep, cmdp[2], ackp[2];
	char mode[16], metric[96];
	const char *mp;
	long faults;

	if (nproc > 64 || nvmas % nproc)
		vt_bail("bad zap configuration %dx%d", nvmas, nproc);
	for (i = 0; i < nproc; i++) {
		if (pipe(cmdp) || pipe(ackp))
			vt_bail("pipe: %s", strerror(errno));
		ch[i].pid = fork();
		if (ch[i].pid < 0)
			vt_bail("fork: %s", strerror(errno));
		if (ch[i].pid == 0) {
			close(cmdp[1]);
			close(ackp[0]);
			child_main(nvmas / nproc, cmdp[0], ackp[1]);
		}
		close(cmdp[0]);
		close(ackp[1]);
		ch[i].cmd = cmdp[1];
		ch[i].ack = ackp[0];
	}
	faults = children_touch(ch, nproc);
	if (faults != (long)nvmas * ndevs)
		fail("zap %dx%d: first touch took %ld faults, want %d",
		     nvmas, nproc, faults, nvmas * ndevs);

	for (mp = modes; *mp; mp += strcspn(mp, ","), mp += *mp == ',') {
		snprintf(mode, sizeof(mode), "%.*s", (int)strcspn(mp, ","), mp);
		if (zap_mode_setup(mode)) {
			fail("zap: cannot set tracing up for mode %s", mode);
			zap_mode_teardown(mode);
			continue;
		}
		for (rep = 0; rep < reps; rep++) {
			for (i = 0; i < nvars; i++) {
				struct variant *v = nth(rep, i);
				struct vt_dev *d = v->dev;
				uint16_t cmd = vt_cfg_read16(d, PCI_COMMAND);
				double t0, t1, first, sum;
				long vmas;
				int n;

				if (!strcmp(mode, "vpm") && !v->ours)
					continue;
				free(tfs_drain());
				t0 = now();
				if (vt_cfg_write16(d, PCI_COMMAND,
						   cmd & ~PCI_COMMAND_MEMORY))
					fail("%s: memory disable failed", v->label);
				t1 = now();
				if (strcmp(mode, "plain")) {
					n = parse_zaps(mode, &first, &sum, &vmas);
					if (n <= 0) {
						fail("%s %dx%d %s: no zap traced",
						     v->label, nvmas, nproc, mode);
					} else if (!strcmp(mode, "vpm")) {
						snprintf(metric, sizeof(metric),
							 "zap_kvpm_us.%d.%d", nvmas, nproc);
						emit(metric, v->label, first);
						if (vmas != nvmas)
							fail("%s: vpm_zap_end counted %ld vmas, want %d",
							     v->label, vmas, nvmas);
					} else {
						snprintf(metric, sizeof(metric),
							 "zap_kgraph_us.%d.%d", nvmas, nproc);
						emit(metric, v->label, first);
						snprintf(metric, sizeof(metric),
							 "zap_kgraph_sum_us.%d.%d", nvmas, nproc);
						emit(metric, v->label, sum);
						snprintf(metric, sizeof(metric),
							 "zap_kgraph_calls.%d.%d", nvmas, nproc);
						emit(metric, v->label, n);
					}
				} else {
					snprintf(metric, sizeof(metric),
						 "zap_user_us.%d.%d", nvmas, nproc);
					emit(metric, v->label, (t1 - t0) * 1e6);
				}
				if (vt_cfg_write16(d, PCI_COMMAND,
						   cmd | PCI_COMMAND_MEMORY))
					fail("%s: memory enable failed", v->label);
				faults = children_touch(ch, nproc);
				if (faults != nvmas)
					fail("%s %dx%d: refault took %ld faults, want %d (not every vma was zapped?)",
					     v->label, nvmas, nproc, faults, nvmas);
			}
		}
		zap_mode_teardown(mode);
	}
	for (i = 0; i < nproc; i++) {
		if (write(ch[i].cmd, "q", 1) != 1)
			kill(ch[i].pid, SIGKILL);
		close(ch[i].cmd);
		close(ch[i].ack);
	}
	for (i = 0; i < nproc; i++)
		waitpid(ch[i].pid, NULL, 0);
	printf("# zap %d vmas over %d processes done\n", nvmas, nproc);
	return 0;
}

static int cmd_zap(const char *configs, const char *modes)
{
	const char *p = configs;
	int n, pr, used;

	while (sscanf(p, "%dx%d%n", &n, &pr, &used) == 2) {
		zap_config(n, pr, modes);
		p += used;
		if (*p != ',')
			break;
		p++;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* slab: kernel memory per mapped vma                                  */

#define MAX_CACHES 512
struct slab_snap {
	int n;
	char name[MAX_CACHES][48];
	double bytes[MAX_CACHES];	/* active_objs * objsize */
};

/*
 * Flush every cache's per-cpu slabs back to the node lists and free the
 * empty slabs (/sys/kernel/slab/<cache>/shrink): /proc/slabinfo counts the
 * free objects of the node partial lists only, so objects freed into a
 * per-cpu slab (the maple tree's unused preallocations, say) would
 * otherwise count as used.
 */
static void slab_shrink_all(void)
{
	DIR *dir;
	struct dirent *e;
	char path[512];

	/*
	 * Maple tree nodes replaced while vmas come and go are freed after an
	 * RCU grace period: wait for one (MEMBARRIER_CMD_GLOBAL is a
	 * synchronize_rcu()), twice, and give the callbacks time to run.
	 */
	syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
	syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
	usleep(200000);
	dir = opendir("/sys/kernel/slab");
	if (!dir)
		return;
	while ((e = readdir(dir)) != NULL) {
		int fd;

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;	/* aliases are symlinks */
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
			 e->d_name);
		fd = open(path, O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "1", 1) < 0)
				(void)0;
			close(fd);
		}
	}
	closedir(dir);
}

/* /proc/slabinfo; returns the bytes of slab objects in use, in total. */
static double slab_snap(struct slab_snap *s)
{
	char line[512], name[128];
	unsigned long active, total, size;
	double sum = 0;
	FILE *f = fopen("/proc/slabinfo", "r");

	s->n = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lu %lu %lu", name, &active, &total,
			   &size) != 4 || name[0] == '#')
			continue;
		sum += (double)active * size;
		if (s->n < MAX_CACHES) {
			snprintf(s->name[s->n], sizeof(s->name[0]), "%.47s", name);
			s->bytes[s->n++] = (double)active * size;
		}
	}
	fclose(f);
	return sum;
}

/* Print the caches that grew by at least 4 KiB between a and b. */
static void slab_show_growth(const char *label, struct slab_snap *a,
			     struct slab_snap *b, int nvmas)
{
	int i, j;

	for (i = 0; i < b->n; i++) {
		double before = 0, d;

		for (j = 0; j < a->n; j++)
			if (!strcmp(a->name[j], b->name[i]))
				before = a->bytes[j];
		d = b->bytes[i] - before;
		if (d >= 4096 || d <= -4096)
			printf("# slab %s: %s %+.0f bytes (%.1f per vma)\n", label,
			       b->name[i], d, d / nvmas);
	}
}

static int cmd_slab(int nvmas)
{
	static struct slab_snap a, b;
	void **p = calloc(nvmas, sizeof(*p));
	int rep, i, k;

	if (!p)
		return 1;
	for (rep = 0; rep < reps; rep++)
		for (i = 0; i < nvars; i++) {
			struct variant *v = nth(rep, i);
			double s0, s1;
			long m0, m1;

			sync();
			slab_shrink_all();
			m0 = proc_kb("/proc/meminfo", "Slab");
			s0 = slab_snap(&a);
			for (k = 0; k < nvmas; k++) {
				p[k] = mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED,
					    v->dev->fd, v->dev->region_off[0]);
				if (p[k] == MAP_FAILED) {
					fail("%s: mmap %d: %s", v->label, k,
					     strerror(errno));
					return 1;
				}
			}
			slab_shrink_all();
			s1 = slab_snap(&b);
			m1 = proc_kb("/proc/meminfo", "Slab");
			for (k = 0; k < nvmas; k++)
				munmap(p[k], SZ_4K);
			if (rep < 2)
				slab_show_growth(v->label, &a, &b, nvmas);
			emit("slab_per_vma_b", v->label, (s1 - s0) / nvmas);
			emit("meminfo_slab_per_vma_b", v->label,
			     (m1 - m0) * 1024.0 / nvmas);
		}
	free(p);
	return 0;
}

/* ------------------------------------------------------------------ */
/* ring: records per second through the mapping and through read()    */

struct ring {
	struct vt_dev *d;
	uint64_t off;	/* region offset on the device fd */
	struct vfio_pci_mmap_region_info_cap_fault_ring cap;
	volatile struct vfio_pci_mmap_ring_header *hdr;
	struct vfio_pci_mmap_ring_consumer *cons;
	const struct vfio_pci_mmap_fault_record *ent;
	uint32_t next;	/* our consumer index */
};

static int ring_find(struct vt_dev *d, struct ring *r)
{
	struct vfio_region_info *ri;
	size_t sz = 4096;
	uint32_t idx, off;
	bool type;

	memset(r, 0, sizeof(*r));
	r->d = d;
	ri = calloc(1, sz);
	if (!ri)
		return -1;
	for (idx = VFIO_PCI_NUM_REGIONS; idx < d->num_regions; idx++) {
		memset(ri, 0, sz);
		ri->argsz = sz;
		ri->index = idx;
		if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, ri) ||
		    ri->argsz > sz || !(ri->flags & VFIO_REGION_INFO_FLAG_CAPS))
			continue;
		type = false;
		r->cap.header.id = 0;
		for (off = ri->cap_offset; off && off < sz - 8;) {
			struct vfio_info_cap_header *h = (void *)((char *)ri + off);

			if (h->id == VFIO_REGION_INFO_CAP_TYPE) {
				struct vfio_region_info_cap_type *t = (void *)h;

				type = t->type == VFIO_PCI_MMAP_REGION_TYPE &&
				       t->subtype == VFIO_PCI_MMAP_REGION_SUBTYPE_FAULT_RING;
			} else if (h->id == VFIO_PCI_MMAP_REGION_INFO_CAP_FAULT_RING) {
				memcpy(&r->cap, h, sizeof(r->cap));
			}
			if (h->next <= off)
				break;
			off = h->next;
		}
		if (type && r->cap.header.id) {
			r->off = ri->offset;
			free(ri);
			return 0;
		}
	}
	free(ri);
	return -1;
}

static int ring_map(struct ring *r)
{
	void *h, *c, *e;

	h = mmap(NULL, r->cap.header_size, PROT_READ, MAP_SHARED, r->d->fd,
		 r->off + r->cap.header_offset);
	c = mmap(NULL, r->cap.cons_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 r->d->fd, r->off + r->cap.cons_offset);
	e = mmap(NULL, r->cap.entries_size, PROT_READ, MAP_SHARED, r->d->fd,
		 r->off + r->cap.entries_offset);
	if (h == MAP_FAILED || c == MAP_FAILED || e == MAP_FAILED)
		return -1;
	r->hdr = h;
	r->cons = c;
	r->ent = e;
	r->next = __atomic_load_n(&r->cons->cons, __ATOMIC_ACQUIRE);
	return 0;
}

/*
 * Both consumers do the same work per record: read its seq and type (the
 * mmap consumer in place, the read() consumer in its buffer).
 */
static inline uint64_t record_use(const struct vfio_pci_mmap_fault_record *e)
{
	return e->seq + e->type;
}

/* Drain through the mapping, 1024 records per cons update; returns records. */
static unsigned long ring_drain_mmap(struct ring *r, uint64_t *sum)
{
	uint32_t mask = r->cap.nr_entries - 1, prod, n, i;
	unsigned long total = 0;
	uint64_t acc = 0;

	for (;;) {
		prod = __atomic_load_n(&r->hdr->prod, __ATOMIC_ACQUIRE);
		n = prod - r->next;
		if (!n)
			break;
		if (n > 1024)
			n = 1024;
		for (i = 0; i < n; i++)
			acc += record_use(&r->ent[(r->next + i) & mask]);
		r->next += n;
		__atomic_store_n(&r->cons->cons, r->next, __ATOMIC_RELEASE);
		total += n;
	}
	*sum += acc;
	return total;
}

/* Drain through read(), 1024 records per call; returns records. */
static unsigned long ring_drain_read(struct ring *r, uint64_t *sum)
{
	static struct vfio_pci_mmap_fault_record buf[1024];
	unsigned long total = 0;
	uint64_t acc = 0;
	ssize_t got, i;

	while ((got = pread(r->d->fd, buf, sizeof(buf),
			    r->off + r->cap.entries_offset)) > 0) {
		got /= sizeof(buf[0]);
		for (i = 0; i < got; i++)
			acc += record_use(&buf[i]);
		total += got;
	}
	*sum += acc;
	/* Keep the mmap consumer's index in step with the kernel's. */
	r->next = __atomic_load_n(&r->cons->cons, __ATOMIC_ACQUIRE);
	return total;
}

static int cmd_ring(int rounds)
{
	struct variant *v = &vars[0];
	struct ring r;
	char path[256], line[64];
	double tp[2] = { 0, 0 }, tc[2] = { 0, 0 }, t0, t1, t2;
	unsigned long produced[2], consumed[2];
	uint64_t sum = 0, lost0;
	int fd, rep, k, path_i, i;

	if (!v->ours || ring_find(v->dev, &r) || ring_map(&r)) {
		printf("# no fault ring on %s: not measured\n", v->bdf);
		emit("ring_missing", v->label, 1);
		return 0;
	}
	snprintf(path, sizeof(path), VT_DEBUGFS_ROOT "/%s/inject", v->bdf);
	fd = open(path, O_WRONLY);
	if (fd < 0) {
		printf("# no %s: not measured\n", path);
		emit("ring_missing", v->label, 1);
		return 0;
	}
	printf("# ring: %u entries of %u bytes\n", r.cap.nr_entries,
	       r.cap.record_size);
	emit("ring_entries", v->label, r.cap.nr_entries);
	snprintf(line, sizeof(line), "%u 1 0 0x1000\n", r.cap.nr_entries);
	ring_drain_read(&r, &sum);
	lost0 = r.hdr->lost;

	for (rep = 0; rep < reps; rep++) {
		for (i = 0; i < 2; i++) {
			path_i = rep % 2 ? 1 - i : i;	/* 0 mmap, 1 read */
			tp[path_i] = tc[path_i] = 0;
			produced[path_i] = consumed[path_i] = 0;
			for (k = 0; k < rounds; k++) {
				t0 = now();
				if (write(fd, line, strlen(line)) < 0) {
					fail("inject: %s", strerror(errno));
					return 1;
				}
				t1 = now();
				consumed[path_i] += path_i ?
					ring_drain_read(&r, &sum) :
					ring_drain_mmap(&r, &sum);
				t2 = now();
				produced[path_i] += r.cap.nr_entries;
				tp[path_i] += t1 - t0;
				tc[path_i] += t2 - t1;
			}
			if (consumed[path_i] != produced[path_i])
				fail("ring: consumed %lu of %lu records",
				     consumed[path_i], produced[path_i]);
		}
		emit("ring_mmap_rps", v->label, consumed[0] / tc[0]);
		emit("ring_read_rps", v->label, consumed[1] / tc[1]);
		emit("ring_produce_rps", v->label,
		     (produced[0] + produced[1]) / (tp[0] + tp[1]));
		emit("ring_produce_ns", v->label,
		     (tp[0] + tp[1]) * 1e9 / (produced[0] + produced[1]));
	}
	if (r.hdr->lost != lost0)
		fail("ring: %llu records lost",
		     (unsigned long long)(r.hdr->lost - lost0));
	close(fd);
	printf("# ring checksum %llu\n", (unsigned long long)sum);
	return 0;
}

/* ------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
		"usage: vpm-bench faultin|faultmax|fault4k|fork|zap|slab|ring [--reps N]\n"
		"       [--raw FILE] [--warm] [--classes pud,pmd,mis,nothp] [--iters K]\n"
		"       [--configs NxP,...]\n"
		"       [--modes plain,vpm,graph] [--vmas N] [--rounds K]\n"
		"       --dev LABEL=BDF[:ev] ...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *cmd, *classes_opt = NULL;
	const char *configs = "1x1,16x1,16x8,256x1,256x8,256x64,1024x1,1024x8,1024x64";
	const char *modes = "plain,vpm,graph";
	int i, iters = 500, nvmas = 1024, rounds = 4;
	bool warm = false;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	cmd = argv[1];
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--warm")) {
			warm = true;
			continue;
		}
		if (!val)
			usage();
		i++;
		if (!strcmp(a, "--dev"))
			add_variant(val);
		else if (!strcmp(a, "--reps"))
			reps = atoi(val);
		else if (!strcmp(a, "--raw"))
			raw = fopen(val, "a");
		else if (!strcmp(a, "--classes"))
			classes_opt = val;
		else if (!strcmp(a, "--iters"))
			iters = atoi(val);
		else if (!strcmp(a, "--configs"))
			configs = val;
		else if (!strcmp(a, "--modes"))
			modes = val;
		else if (!strcmp(a, "--vmas"))
			nvmas = atoi(val);
		else if (!strcmp(a, "--rounds"))
			rounds = atoi(val);
		else
			usage();
	}
	if (!nvars || reps < 1 || reps > MAX_REPS || iters < 1 || nvmas < 1 ||
	    rounds < 1)
		usage();

	if (!strcmp(cmd, "faultin"))
		cmd_faultin(warm, classes_opt);
	else if (!strcmp(cmd, "faultmax"))
		cmd_faultmax();
	else if (!strcmp(cmd, "fault4k"))
		cmd_fault4k(iters);
	else if (!strcmp(cmd, "fork"))
		cmd_fork(nvmas);
	else if (!strcmp(cmd, "zap"))
		cmd_zap(configs, modes);
	else if (!strcmp(cmd, "slab"))
		cmd_slab(nvmas);
	else if (!strcmp(cmd, "ring"))
		cmd_ring(rounds);
	else
		usage();

	for (i = 0; i < ndevs; i++)
		vt_close(&devs[i]);
	if (raw)
		fclose(raw);
	return failed;
}
