// SPDX-License-Identifier: GPL-2.0-only
/*
 * vpm_fuzz - a model-based random tester of vfio-pci-mmap.
 *
 *   vpm_fuzz [--seed N] [--ops N] [--seconds S] [--procs N] [--verbose]
 *            [--log N]
 *
 * Devices from the environment: EDU_BDF (BAR0, identification register
 * 0x010000ed at offset 0), IVSHMEM_BDF (BAR2, 1 GiB of RAM the tester
 * writes and reads back), NVME_BDF (BAR0, optional: the device with a PM
 * capability, for D3hot).  Each must be bound to vfio-pci-mmap.
 *
 * From the seed (printed; default: from the clock) it runs random
 * operations over several processes and threads: mmap of BARs (whole,
 * partial, misaligned, 2 MiB and 1 GiB aligned, across sparse areas) and
 * of the fault ring's parts, munmap of pieces, mremap, mprotect, fork and
 * exit of processes holding mappings, touches, read()/write() through the
 * device fd, PCI_COMMAND memory toggles, D3hot through PM control, runtime
 * low power, VFIO_DEVICE_RESET, sysfs reset, access policies, reset
 * windows held open through debugfs (and accesses blocked in them), fault
 * ring consumption through the mapping and read(), hostile consumer
 * indices, injected records.  A model of each device's state and policies,
 * of every mapping of every process and of the fault ring predicts each
 * outcome; after every operation the tester checks that debugfs mappings
 * lists exactly the device vmas of every live process's /proc/PID/maps,
 * the state file, the refused counter and the fault ring against the
 * model.
 *
 * On the first discrepancy it prints the seed, the operation index and the
 * operation log, and exits 1; replaying the same seed with --ops set to
 * that index + 1 repeats the same operations.  It ends with the number of
 * operations per second and the (state, operation) pairs exercised.
 */
#include "fuzz.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#define ONES 0xffffffffU
#define EDU_LIVE 0x04
#define NVME_VS 0x08

static struct fz_dev devs[FZ_NDEV] = {
	[FZ_EDU] = { .name = "edu", .env = "EDU_BDF", .bar = 0 },
	[FZ_IVSHMEM] = { .name = "ivshmem", .env = "IVSHMEM_BDF", .bar = 2 },
	[FZ_NVME] = { .name = "nvme", .env = "NVME_BDF", .bar = 0 },
	[FZ_EDU2] = { .name = "edu2", .env = "EDU2_BDF", .bar = 0 },
};
static const char *unplug_file;	/* --unplug: the host's request file */
static long unplug_at = -1;		/* operation index of the unplug */
static struct fz_proc procs[FZ_MAX_PROCS];
static int max_procs = FZ_MAX_PROCS;
static bool verbose;
static unsigned long long seed;
static long op_index;
static double t_start;

/* ------------------------------------------------------------------ */
/* Random numbers: splitmix64, one stream from the seed.               */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(int percent)
{
	return (int)rn(100) < percent;
}

/* ------------------------------------------------------------------ */
/* The operation log: every line, kept for the failure report.          */

#define LOG_KEEP 4096
static char *oplog[LOG_KEEP];
static int log_show = 60;

__attribute__((format(printf, 1, 2)))
static void logf_(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "#%ld ", op_index);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	free(oplog[op_index % LOG_KEEP]);
	oplog[op_index % LOG_KEEP] = strdup(buf);
	if (verbose)
		printf("%s\n", buf);
}

static void kill_workers(void);
static void release_revoked(void);
static void restore_params(void);

__attribute__((format(printf, 1, 2), noreturn))
static void fail(const char *fmt, ...)
{
	va_list ap;
	long i, from = op_index - log_show + 1;

	printf("FUZZ FAILURE at operation %ld (seed %llu, %.1f s in): ", op_index,
	       seed, vt_now() - t_start);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n# the last operations:\n");
	if (from < 0)
		from = 0;
	if (from < op_index - LOG_KEEP + 1)
		from = op_index - LOG_KEEP + 1;
	for (i = from; i <= op_index; i++)
		if (oplog[i % LOG_KEEP])
			printf("#   %s\n", oplog[i % LOG_KEEP]);
	if (unplug_at >= 0)
		printf("# (after the unplug of edu2 at operation %ld)\n# replay: make fuzz SEED=%llu OPS=%ld\n",
		       unplug_at, seed, unplug_at);
	else
		printf("# replay: make fuzz SEED=%llu OPS=%ld\n", seed, op_index + 1);
	fflush(stdout);
	kill_workers();
	release_revoked();
	restore_params();
	exit(1);
}

/* ------------------------------------------------------------------ */
/* The model's view of a device                                        */

static const char *const st_names[ST_NR] = {
	"enabled", "mem_disabled", "low_power", "resetting", "revoked",
};

/* The state a fault sees (and the one the driver records). */
static enum fz_state fault_state(const struct fz_dev *v)
{
	if (v->revoked)
		return ST_REVOKED;
	if (v->window)
		return ST_RESETTING;
	if (v->d3hot || v->rt_lp)
		return ST_LOW_POWER;
	if (!v->mem_on)
		return ST_MEM_DISABLED;
	return ST_ENABLED;
}

/* The state read()/write() see: runtime low power is resumed for them. */
static enum fz_state rw_state(const struct fz_dev *v)
{
	if (v->revoked)
		return ST_REVOKED;
	if (v->window)
		return ST_RESETTING;
	if (v->d3hot)
		return ST_LOW_POWER;
	if (!v->mem_on)
		return ST_MEM_DISABLED;
	return ST_ENABLED;
}

static uint32_t policy_of(const struct fz_dev *v, enum fz_state s)
{
	switch (s) {
	case ST_RESETTING: return v->pol.resetting;
	case ST_MEM_DISABLED: return v->pol.mem_disabled;
	case ST_LOW_POWER: return v->pol.low_power;
	case ST_REVOKED: return v->pol.revoked;
	default: return 0;
	}
}

/* ivshmem's memory: the words the tester wrote (open addressing). */
static struct { uint64_t off; uint32_t val; bool used; } mem[FZ_MEM_SLOTS];
static unsigned int mem_used;

static int mem_slot(uint64_t off, bool add)
{
	uint32_t h = (uint32_t)((off >> 2) * 2654435761U) & (FZ_MEM_SLOTS - 1);
	unsigned int i;

	for (i = 0; i < FZ_MEM_SLOTS; i++, h = (h + 1) & (FZ_MEM_SLOTS - 1)) {
		if (mem[h].used && mem[h].off == off)
			return (int)h;
		if (!mem[h].used) {
			if (!add || mem_used >= FZ_MEM_SLOTS / 2)
				return -1;
			mem[h].used = true;
			mem[h].off = off;
			mem_used++;
			return (int)h;
		}
	}
	return -1;
}

/*
 * What a read of the device at region offset off returns when it reaches
 * the device: *known false when the model does not know.
 */
static uint32_t dev_value(struct fz_dev *v, uint64_t off, bool *known)
{
	int s;

	*known = true;
	switch (v - devs) {
	case FZ_EDU:
	case FZ_EDU2:
		if (off == 0)
			return EDU_ID_VALUE;
		if (off == EDU_LIVE && v->live_known)
			return v->live;
		if (off >= SZ_4K)
			return ONES;	/* edu decodes nothing there */
		break;
	case FZ_IVSHMEM:
		s = mem_slot(off, false);
		if (s >= 0)
			return mem[s].val;
		break;
	case FZ_NVME:
		if (off == NVME_VS)
			return v->known_val;
		break;
	}
	*known = false;
	return 0;
}

/* A write that reached the device. */
static void dev_write(struct fz_dev *v, uint64_t off, uint32_t val)
{
	int s;

	switch (v - devs) {
	case FZ_EDU:
	case FZ_EDU2:
		if (off == EDU_LIVE) {
			v->live = ~val;
			v->live_known = true;
		}
		break;
	case FZ_IVSHMEM:
		s = mem_slot(off, true);
		if (s >= 0)
			mem[s].val = val;
		break;
	}
}

/* Where a device may be written: edu's liveness and its empty pages. */
static bool dev_writable_at(const struct fz_dev *v, uint64_t off)
{
	switch (v - devs) {
	case FZ_EDU:
	case FZ_EDU2:
		return off == EDU_LIVE || off >= SZ_4K;
	case FZ_IVSHMEM:
		return true;
	default:
		return false;
	}
}

/* Leaving a state removes every all-ones page (the driver refills them). */
static void ones_forget(void)
{
	int p;

	for (p = 0; p < FZ_MAX_PROCS; p++) {
		procs[p].now = 0;
		procs[p].ow_full = false;
	}
}

/* A state change of v: the model's per-state leftovers go. */
static void state_changed(struct fz_dev *v, enum fz_state before)
{
	if (fault_state(v) != before)
		ones_forget();
}

/* ------------------------------------------------------------------ */
/* The model of the fault ring                                         */

static void ring_produce(struct fz_dev *v, const struct fz_rec *r)
{
	struct fz_rec *e;

	if (!v->ring_ok || v->revoked)
		return;
	v->seq++;
	if (v->cons_bad) {
		v->lost++;
		return;
	}
	if (v->prod - v->cons >= v->nr) {
		v->lost++;
		return;
	}
	e = &v->ent[v->prod & (v->nr - 1)];
	*e = *r;
	e->seq = v->seq;
	v->prod++;
	v->produced++;
}

static void ring_refused(struct fz_dev *v, enum fz_state s, uint64_t roff,
			 bool write)
{
	static const uint16_t reason[ST_NR] = {
		[ST_MEM_DISABLED] = VFIO_PCI_MMAP_REFUSED_MEM_DISABLED,
		[ST_LOW_POWER] = VFIO_PCI_MMAP_REFUSED_LOW_POWER,
		[ST_RESETTING] = VFIO_PCI_MMAP_REFUSED_RESETTING,
		[ST_REVOKED] = VFIO_PCI_MMAP_REFUSED_REVOKED,
	};
	struct fz_rec r = {
		.type = VFIO_PCI_MMAP_FAULT_TYPE_MMAP_REFUSED,
		.reason = reason[s],
		.flags = VFIO_PCI_MMAP_FAULT_F_REGION_VALID,
		.perm = write ? VFIO_PCI_MMAP_FAULT_PERM_WRITE :
				VFIO_PCI_MMAP_FAULT_PERM_READ,
		.region = v->bar,
		.roff = roff,
	};

	v->refused++;
	if (v->ring_ok && v->cons_bad)
		v->invalid++;
	ring_produce(v, &r);
}

static void ring_reset_rec(struct fz_dev *v)
{
	struct fz_rec r = { .type = VFIO_PCI_MMAP_FAULT_TYPE_RESET };

	if (v->ring_ok && v->cons_bad)
		v->invalid++;
	ring_produce(v, &r);
}

/* ------------------------------------------------------------------ */
/* Executing one command in this process                               */

struct fz_thread_arg {
	struct fz_cmd c;
	struct fz_res r;
	volatile int done;
	volatile pid_t tid;
};

static void do_cmd(const struct fz_cmd *c, struct fz_res *r);

static void *cmd_thread(void *p)
{
	struct fz_thread_arg *a = p;

	a->tid = gettid();
	do_cmd(&a->c, &a->r);
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int policy_feature(struct vt_dev *d, uint32_t flags,
			  struct vfio_pci_mmap_access_policy *p)
{
	uint64_t buf[(sizeof(struct vfio_device_feature) + sizeof(*p) + 7) / 8];
	struct vfio_device_feature *f = (void *)buf;

	memset(buf, 0, sizeof(buf));
	f->argsz = sizeof(buf);
	f->flags = flags | VFIO_DEVICE_FEATURE_PCI_MMAP_ACCESS_POLICY;
	if (flags & VFIO_DEVICE_FEATURE_SET)
		memcpy(f->data, p, sizeof(*p));
	if (ioctl(d->fd, VFIO_DEVICE_FEATURE, f))
		return -errno;
	if (flags & VFIO_DEVICE_FEATURE_GET)
		memcpy(p, f->data, sizeof(*p));
	return 0;
}

static long dbg_write(const char *bdf, const char *file, const char *s)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), VT_DEBUGFS_ROOT "/%s/%s", bdf, file);
	return vt_write_file(path, s);
}

static void do_cmd(const struct fz_cmd *c, struct fz_res *r)
{
	struct fz_dev *v = &devs[c->dev];
	double t0 = vt_now();
	char path[PATH_MAX];
	uint16_t w16;
	void *p, *dst;

	memset(r, 0, sizeof(*r));
	if (c->thread) {
		struct fz_thread_arg a = { .c = *c };
		pthread_t t;

		a.c.thread = 0;
		if (pthread_create(&t, NULL, cmd_thread, &a)) {
			r->ret = -EAGAIN;
			return;
		}
		pthread_join(t, NULL);
		*r = a.r;
		return;
	}
	switch (c->kind) {
	case C_MMAP:
		p = vt_map(&v->d, c->region, c->off, c->len, c->align,
			   c->misalign, c->prot, MAP_SHARED);
		r->ret = p == MAP_FAILED ? -errno : 0;
		r->addr = (uintptr_t)p;
		break;
	case C_MUNMAP:
		r->ret = munmap((void *)(uintptr_t)c->addr, c->len) ? -errno : 0;
		break;
	case C_MPROTECT:
		r->ret = mprotect((void *)(uintptr_t)c->addr, c->len, c->prot) ?
			 -errno : 0;
		break;
	case C_MREMAP:
		if (!c->move) {
			p = mremap((void *)(uintptr_t)c->addr, c->len, c->len2, 0);
		} else {
			dst = mmap(NULL, c->len2, PROT_NONE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				   -1, 0);
			if (dst == MAP_FAILED) {
				r->ret = -errno;
				break;
			}
			p = mremap((void *)(uintptr_t)c->addr, c->len, c->len2,
				   MREMAP_MAYMOVE | MREMAP_FIXED, dst);
			if (p == MAP_FAILED) {
				int e = errno;

				munmap(dst, c->len2);
				errno = e;
			}
		}
		r->ret = p == MAP_FAILED ? -errno : 0;
		r->addr = (uintptr_t)p;
		break;
	case C_READ:
		r->probe = vt_probe_read32((void *)(uintptr_t)c->addr, &r->val);
		break;
	case C_WRITE:
		r->probe = vt_probe_write32((void *)(uintptr_t)c->addr, c->val);
		break;
	case C_PREAD:
		r->ret = vt_region_pread(&v->d, c->region, c->off, &r->val, 4);
		break;
	case C_PWRITE:
		r->ret = vt_region_pwrite(&v->d, c->region, c->off, &c->val, 4);
		break;
	case C_MEM:
		r->ret = vt_set_memory_enable(&v->d, c->val);
		break;
	case C_PM:
		w16 = vt_cfg_read16(&v->d, v->pm_cap + PCI_PM_CTRL);
		w16 = (w16 & ~PCI_PM_CTRL_STATE_MASK) | (c->val ? 3 : 0);
		r->ret = vt_cfg_write16(&v->d, v->pm_cap + PCI_PM_CTRL, w16);
		break;
	case C_LP:
		r->ret = vt_feature_set(&v->d, c->val ?
					VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY :
					VFIO_DEVICE_FEATURE_LOW_POWER_EXIT);
		break;
	case C_RESET:
		r->ret = vt_reset(&v->d);
		break;
	case C_SYSFS_RESET:
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset",
			 v->bdf);
		r->ret = vt_write_file(path, "1");
		break;
	case C_POLICY_SET: {
		struct vfio_pci_mmap_access_policy pol = c->pol;

		r->ret = policy_feature(&v->d, VFIO_DEVICE_FEATURE_SET, &pol);
		break;
	}
	case C_POLICY_GET:
		r->ret = policy_feature(&v->d, VFIO_DEVICE_FEATURE_GET, &r->pol);
		break;
	case C_HOLD:
		r->ret = dbg_write(v->bdf, "hold_window", c->val ? "1" : "0");
		break;
	}
	r->secs = vt_now() - t0;
}

/* ------------------------------------------------------------------ */
/* Processes: the main one (index 0) and forked workers                */

static void worker_loop(int rfd, int wfd)
{
	struct fz_cmd c;
	struct fz_res r;

	for (;;) {
		if (read(rfd, &c, sizeof(c)) != (ssize_t)sizeof(c))
			_exit(2);
		if (c.kind == C_EXIT)
			_exit(0);
		do_cmd(&c, &r);
		if (write(wfd, &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(2);
	}
}

static void send_cmd(int p, const struct fz_cmd *c)
{
	if (write(procs[p].tofd, c, sizeof(*c)) != (ssize_t)sizeof(*c))
		fail("cannot send a command to worker %d (pid %d): %s", p,
		     procs[p].pid, strerror(errno));
}

/* Wait up to ms for worker p's answer; false on timeout. */
static bool recv_res(int p, struct fz_res *r, int ms)
{
	struct pollfd pfd = { .fd = procs[p].fromfd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, ms) <= 0)
		return false;
	n = read(procs[p].fromfd, r, sizeof(*r));
	if (n != (ssize_t)sizeof(*r))
		fail("worker %d (pid %d) died: read %zd", p, procs[p].pid, n);
	return true;
}

static void run_in(int p, const struct fz_cmd *c, struct fz_res *r)
{
	if (p == 0) {
		do_cmd(c, r);
		return;
	}
	send_cmd(p, c);
	if (!recv_res(p, r, 120000))
		fail("worker %d (pid %d) does not answer", p, procs[p].pid);
}

static void kill_workers(void)
{
	int p, i;

	for (i = 0; i < FZ_NDEV; i++)
		if (devs[i].present && devs[i].window)
			dbg_write(devs[i].bdf, "hold_window", "0");
	for (p = 1; p < FZ_MAX_PROCS; p++) {
		if (!procs[p].live)
			continue;
		kill(procs[p].pid, SIGKILL);
		waitpid(procs[p].pid, NULL, 0);
		procs[p].live = false;
	}
}

/* ------------------------------------------------------------------ */
/* The model of the mappings                                           */

static int nr_maps(int p)
{
	int i, n = 0;

	for (i = 0; i < FZ_MAX_MAPS; i++)
		n += procs[p].m[i].used;
	return n;
}

static struct fz_map *map_add(int p, const struct fz_map *m)
{
	int i;

	for (i = 0; i < FZ_MAX_MAPS; i++) {
		if (!procs[p].m[i].used) {
			procs[p].m[i] = *m;
			procs[p].m[i].used = true;
			return &procs[p].m[i];
		}
	}
	fail("model: more than %d mappings in process %d", FZ_MAX_MAPS, p);
}

static struct fz_map *map_at(int p, uint64_t addr)
{
	int i;

	for (i = 0; i < FZ_MAX_MAPS; i++) {
		struct fz_map *m = &procs[p].m[i];

		if (m->used && m->start <= addr && addr < m->end)
			return m;
	}
	return NULL;
}

/* A random mapping of process p (not pinned if unpinned), or NULL. */
static struct fz_map *map_pick(int p, bool unpinned, bool bar_only)
{
	struct fz_map *c[FZ_MAX_MAPS];
	int i, n = 0;

	for (i = 0; i < FZ_MAX_MAPS; i++) {
		struct fz_map *m = &procs[p].m[i];

		if (!m->used || (unpinned && m->pinned))
			continue;
		if (bar_only && m->region != devs[m->dev].bar)
			continue;
		c[n++] = m;
	}
	return n ? c[rn(n)] : NULL;
}

/*
 * Remove [start, end) from process p's mappings (the range lies inside
 * one mapping): the pieces left and right stay.  *out gets the removed
 * piece.
 */
static void map_cut(int p, uint64_t start, uint64_t end, struct fz_map *out)
{
	struct fz_map *m = map_at(p, start), left, right;
	int i;

	if (!m || end > m->end)
		fail("model: cut [0x%llx, 0x%llx) is not inside one mapping",
		     (unsigned long long)start, (unsigned long long)end);
	left = right = *out = *m;
	m->used = false;
	out->start = start;
	out->end = end;
	out->roff = m->roff + (start - m->start);
	left.end = start;
	right.start = end;
	right.roff = m->roff + (end - m->start);
	if (left.end > left.start)
		map_add(p, &left);
	if (right.end > right.start)
		map_add(p, &right);
	/* The all-ones page writes of the range go with it. */
	for (i = 0; i < procs[p].now; i++) {
		if (procs[p].ow[i].addr >= start && procs[p].ow[i].addr < end) {
			procs[p].ow[i] = procs[p].ow[--procs[p].now];
			i--;
		}
	}
}

static uint64_t region_base(const struct fz_dev *v, uint32_t region)
{
	return region < VT_NUM_STD_REGIONS ? v->d.region_off[region] :
					     VT_REGION_OFFSET(region);
}

static const char *prot_name(int prot)
{
	return prot == (PROT_READ | PROT_WRITE) ? "rw" :
	       prot == PROT_READ ? "r" : prot == PROT_NONE ? "none" : "?";
}

/* ------------------------------------------------------------------ */
/* Checks after every operation                                        */

struct pm_line {
	uint64_t start, end, off;
	char perms[8];
};

static int read_pid_maps(pid_t pid, struct pm_line *l, int max)
{
	char path[64], line[512];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e, o;
		char perms[8];

		if (!strstr(line, "vfio"))
			continue;
		if (sscanf(line, "%llx-%llx %7s %llx", &s, &e, perms, &o) != 4)
			continue;
		if (n < max) {
			l[n].start = s;
			l[n].end = e;
			l[n].off = o;
			snprintf(l[n].perms, sizeof(l[n].perms), "%s", perms);
		}
		n++;
	}
	fclose(f);
	return n;
}

static void check_maps(void)
{
	static struct vt_mapping dm[FZ_NDEV][VT_MAX_MAPPINGS];
	int ndm[FZ_NDEV] = { 0 };
	struct pm_line pl[FZ_MAX_MAPS + 8];
	int p, i, j, k, n, want;

	for (k = 0; k < FZ_NDEV; k++) {
		if (!devs[k].present)
			continue;
		ndm[k] = vt_read_mappings(devs[k].bdf, dm[k], VT_MAX_MAPPINGS);
		if (ndm[k] < 0)
			fail("cannot read debugfs mappings of %s: %s",
			     devs[k].name, strerror(-ndm[k]));
	}
	for (p = 0; p < FZ_MAX_PROCS; p++) {
		if (!procs[p].live)
			continue;
		n = read_pid_maps(procs[p].pid, pl, FZ_MAX_MAPS + 8);
		want = nr_maps(p);
		if (n != want)
			fail("process %d (pid %d): %d device vmas in /proc/PID/maps, the model has %d",
			     p, procs[p].pid, n, want);
		for (i = 0; i < n; i++) {
			struct fz_map *m = map_at(p, pl[i].start);
			char perms[8];

			if (!m || m->start != pl[i].start || m->end != pl[i].end)
				fail("process %d: vma 0x%llx-0x%llx in maps is not in the model",
				     p, (unsigned long long)pl[i].start,
				     (unsigned long long)pl[i].end);
			if (pl[i].off != region_base(&devs[m->dev], m->region) + m->roff)
				fail("process %d: vma 0x%llx: file offset 0x%llx, model 0x%llx",
				     p, (unsigned long long)pl[i].start,
				     (unsigned long long)pl[i].off,
				     (unsigned long long)(region_base(&devs[m->dev], m->region) + m->roff));
			snprintf(perms, sizeof(perms), "%c%c",
				 m->prot & PROT_READ ? 'r' : '-',
				 m->prot & PROT_WRITE ? 'w' : '-');
			if (strncmp(pl[i].perms, perms, 2))
				fail("process %d: vma 0x%llx: perms %s, model %s",
				     p, (unsigned long long)pl[i].start,
				     pl[i].perms, perms);
		}
		/* debugfs: exactly these vmas, each under its own device. */
		for (k = 0; k < FZ_NDEV; k++) {
			int have = 0;

			want = 0;
			for (i = 0; i < FZ_MAX_MAPS; i++)
				want += procs[p].m[i].used && procs[p].m[i].dev == k;
			for (j = 0; j < ndm[k]; j++) {
				struct vt_mapping *d = &dm[k][j];
				struct fz_map *m;

				if (d->pid != procs[p].pid)
					continue;
				have++;
				m = map_at(p, d->start);
				if (!m || m->dev != k || m->start != d->start ||
				    m->end != d->end ||
				    (uint32_t)d->region != m->region ||
				    d->pgoff != m->roff / SZ_4K)
					fail("debugfs %s: pid=%d region=%d 0x%llx-0x%llx pgoff=0x%llx does not match the model",
					     devs[k].name, d->pid, d->region,
					     (unsigned long long)d->start,
					     (unsigned long long)d->end,
					     (unsigned long long)d->pgoff);
			}
			if (have != want)
				fail("debugfs %s lists %d vmas of process %d (pid %d), the model has %d",
				     devs[k].name, have, p, procs[p].pid, want);
		}
	}
	/* And nothing of a process that is not live. */
	for (k = 0; k < FZ_NDEV; k++) {
		for (j = 0; j < ndm[k]; j++) {
			bool known = false;

			for (p = 0; p < FZ_MAX_PROCS; p++)
				known |= procs[p].live && procs[p].pid == dm[k][j].pid;
			if (!known)
				fail("debugfs %s lists a vma of pid %d (%s), no live process of the tester",
				     devs[k].name, dm[k][j].pid, dm[k][j].comm);
		}
	}
}

static void check_states(void)
{
	char st[64];
	long refused;
	int k, r;

	for (k = 0; k < FZ_NDEV; k++) {
		struct fz_dev *v = &devs[k];

		if (!v->present)
			continue;
		r = vt_read_state(v->bdf, st, sizeof(st));
		if (r < 0)
			fail("cannot read the state of %s: %s", v->name, strerror(-r));
		if (strcmp(st, st_names[fault_state(v)]))
			fail("%s: debugfs state is %s, the model says %s", v->name,
			     st, st_names[fault_state(v)]);
		refused = vt_read_refused(v->bdf);
		if (refused != v->refused && !v->revoked)
			fail("%s: debugfs refused is %ld, the model says %ld",
			     v->name, refused, v->refused);
	}
}

static void check_ring_header(struct fz_dev *v)
{
	const volatile struct vfio_pci_mmap_ring_header *h = v->ring.hdr;
	uint32_t prod = ring_prod(&v->ring);

	if (prod != v->prod || h->lost != v->lost || h->produced != v->produced)
		fail("%s ring: prod %u lost %llu produced %llu, the model says %u %llu %llu",
		     v->name, prod, (unsigned long long)h->lost,
		     (unsigned long long)h->produced, v->prod,
		     (unsigned long long)v->lost,
		     (unsigned long long)v->produced);
	if (h->invalid_cons != v->invalid)
		fail("%s ring: invalid_cons %llu, the model says %llu", v->name,
		     (unsigned long long)h->invalid_cons,
		     (unsigned long long)v->invalid);
	if (h->magic != VFIO_PCI_MMAP_RING_MAGIC)
		fail("%s ring: magic 0x%x", v->name, h->magic);
}

static void check_all(void)
{
	int k;

	check_maps();
	check_states();
	for (k = 0; k < FZ_NDEV; k++)
		if (devs[k].present && devs[k].ring_ok && !devs[k].revoked)
			check_ring_header(&devs[k]);
}

/* Compare one record read from the ring with the model's entry. */
static void check_record(struct fz_dev *v, uint32_t idx,
			 const struct vfio_pci_mmap_fault_record *got)
{
	const struct fz_rec *e = &v->ent[idx & (v->nr - 1)];
	bool ok = got->seq == e->seq && got->type == e->type;

	if (e->seq == 0) {	/* never written: zeroed memory */
		ok = got->seq == 0 && got->type == 0;
	} else {
		ok = ok && got->version == VFIO_PCI_MMAP_FAULT_RECORD_VERSION &&
		     got->size == sizeof(*got) && got->reason == e->reason;
		if (e->type == VFIO_PCI_MMAP_FAULT_TYPE_MMAP_REFUSED)
			ok = ok && got->perm == e->perm &&
			     got->region_index == e->region &&
			     got->region_offset == e->roff &&
			     (got->flags & VFIO_PCI_MMAP_FAULT_F_REGION_VALID);
		if (e->type == VFIO_PCI_MMAP_FAULT_TYPE_DMA)
			ok = ok && got->addr == e->addr &&
			     (got->flags & VFIO_PCI_MMAP_FAULT_F_INJECTED);
	}
	if (!ok)
		fail("%s ring entry %u: seq %llu type %u reason %u perm %u region %u offset 0x%llx addr 0x%llx; the model: seq %llu type %u reason %u perm %u region %u offset 0x%llx addr 0x%llx",
		     v->name, idx, (unsigned long long)got->seq, got->type,
		     got->reason, got->perm, got->region_index,
		     (unsigned long long)got->region_offset,
		     (unsigned long long)got->addr, (unsigned long long)e->seq,
		     e->type, e->reason, e->perm, e->region,
		     (unsigned long long)e->roff, (unsigned long long)e->addr);
}

/* ------------------------------------------------------------------ */
/* Operations                                                          */

enum fz_op {
	O_MMAP, O_MMAP_RING, O_MUNMAP, O_MPROTECT, O_MREMAP, O_FORK, O_EXIT,
	O_READ, O_WRITE, O_PREAD, O_PWRITE, O_MEM, O_PM, O_LP, O_RESET,
	O_SYSFS_RESET, O_POLICY, O_HOLD, O_BLOCKED, O_RING_READ,
	O_RING_HOSTILE, O_INJECT, O_NR
};

static const char *const op_names[O_NR] = {
	"mmap", "mmap-ring", "munmap", "mprotect", "mremap", "fork", "exit",
	"read", "write", "pread", "pwrite", "mem", "d3hot", "low-power",
	"reset", "sysfs-reset", "policy", "hold-window", "blocked-access",
	"ring-read", "ring-hostile", "inject",
};

static const int op_weight[O_NR] = {
	[O_MMAP] = 8, [O_MMAP_RING] = 2, [O_MUNMAP] = 5, [O_MPROTECT] = 4,
	[O_MREMAP] = 4, [O_FORK] = 2, [O_EXIT] = 1, [O_READ] = 22,
	[O_WRITE] = 12, [O_PREAD] = 5, [O_PWRITE] = 4, [O_MEM] = 5,
	[O_PM] = 2, [O_LP] = 3, [O_RESET] = 1, [O_SYSFS_RESET] = 1,
	[O_POLICY] = 4, [O_HOLD] = 4, [O_BLOCKED] = 4, [O_RING_READ] = 4,
	[O_RING_HOSTILE] = 2, [O_INJECT] = 2,
};

static long cov[ST_NR][O_NR];
static long op_count[O_NR];

static int pick_proc(void)
{
	int c[FZ_MAX_PROCS], n = 0, p;

	for (p = 0; p < FZ_MAX_PROCS; p++)
		if (procs[p].live)
			c[n++] = p;
	return c[rn(n)];
}

static int pick_dev(void)
{
	int c[FZ_NDEV], n = 0, k;

	for (k = 0; k < FZ_NDEV; k++)
		if (devs[k].present)
			c[n++] = k;
	return c[rn(n)];
}

/* fork and exit take every device's mappings along: every state counts. */
static void cov_all(int op)
{
	int k;

	for (k = 0; k < FZ_NDEV; k++)
		if (devs[k].present)
			cov[fault_state(&devs[k])][op]++;
}

static bool thread_maybe(void)
{
	return chance(20);
}

/* A plain touch or read()/write() in a blocking window would wait long. */
static bool would_block_long(const struct fz_dev *v, enum fz_state s)
{
	return s == ST_RESETTING && v->pol.resetting == VFIO_PCI_MMAP_POLICY_BLOCK &&
	       v->pol.block_timeout_ms > 300;
}

static bool ones_lookup(int p, uint64_t addr, uint32_t *val)
{
	int i;

	for (i = 0; i < procs[p].now; i++) {
		if (procs[p].ow[i].addr == addr) {
			*val = procs[p].ow[i].val;
			return true;
		}
	}
	return false;
}

static void ones_record(int p, uint64_t addr, uint32_t val)
{
	int i;

	for (i = 0; i < procs[p].now; i++) {
		if (procs[p].ow[i].addr == addr) {
			procs[p].ow[i].val = val;
			return;
		}
	}
	if (procs[p].now == FZ_MAX_ONESW) {
		procs[p].ow_full = true;
		return;
	}
	procs[p].ow[procs[p].now].addr = addr;
	procs[p].ow[procs[p].now++].val = val;
}

/*
 * Judge a touch of process p at addr in mapping m (a BAR) against the
 * model in state s, and update the model.
 */
static void judge_touch(int p, struct fz_map *m, uint64_t addr, bool write,
			uint32_t wval, const struct fz_res *r, enum fz_state s)
{
	struct fz_dev *v = &devs[m->dev];
	uint64_t roff = m->roff + (addr - m->start);
	uint32_t pol = policy_of(v, s), want, rec;
	bool known;
	const char *what = write ? "write" : "read";

	if (!(m->prot & PROT_READ) || (write && !(m->prot & PROT_WRITE))) {
		if (r->probe != VT_ACCESS_SIGSEGV)
			fail("%s of a %s mapping at 0x%llx: %s, want SIGSEGV",
			     what, prot_name(m->prot), (unsigned long long)addr,
			     vt_probe_name(r->probe));
		return;
	}
	if (m->region != v->bar && v->revoked) {	/* a revoked ring */
		if (r->probe != VT_ACCESS_SIGBUS)
			fail("%s of %s's revoked fault ring at 0x%llx: %s, want SIGBUS",
			     what, v->name, (unsigned long long)addr,
			     vt_probe_name(r->probe));
		return;
	}
	if (m->region != v->bar) {	/* the fault ring: RAM */
		if (r->probe != VT_ACCESS_OK)
			fail("%s of the fault ring at 0x%llx: %s", what,
			     (unsigned long long)addr, vt_probe_name(r->probe));
		return;
	}
	if (s == ST_ENABLED) {
		if (r->probe != VT_ACCESS_OK)
			fail("%s of %s at region offset 0x%llx in state enabled: %s",
			     what, v->name, (unsigned long long)roff,
			     vt_probe_name(r->probe));
		if (write) {
			dev_write(v, roff, wval);
			return;
		}
		want = dev_value(v, roff, &known);
		if (known && r->val != want)
			fail("read of %s at region offset 0x%llx (vaddr 0x%llx, process %d): 0x%x, want 0x%x",
			     v->name, (unsigned long long)roff,
			     (unsigned long long)addr, p, r->val, want);
		return;
	}
	if (pol == VFIO_PCI_MMAP_POLICY_ONES && s != ST_RESETTING) {
		if (r->probe != VT_ACCESS_OK)
			fail("%s of %s at 0x%llx in state %s (policy ones): %s, want all-ones",
			     what, v->name, (unsigned long long)roff,
			     st_names[s], vt_probe_name(r->probe));
		if (write) {
			ones_record(p, addr, wval);
			return;
		}
		if (r->val == ONES)
			return;
		if (procs[p].ow_full ||
		    (ones_lookup(p, addr, &rec) && rec == r->val))
			return;
		fail("read of %s at region offset 0x%llx in state %s (policy ones): 0x%x, want all-ones%s",
		     v->name, (unsigned long long)roff, st_names[s], r->val,
		     ones_lookup(p, addr, &rec) ? " or what this mapping wrote there" : "");
	}
	if (r->probe != VT_ACCESS_SIGBUS)
		fail("%s of %s at region offset 0x%llx in state %s (policy %u): %s (0x%x), want SIGBUS",
		     what, v->name, (unsigned long long)roff, st_names[s], pol,
		     vt_probe_name(r->probe), r->val);
	ring_refused(v, s, roff, write);
}

/* A word-aligned address in m to touch: known registers first. */
static uint64_t touch_addr(struct fz_map *m, bool write)
{
	struct fz_dev *v = &devs[m->dev];
	uint64_t len = m->end - m->start, off, roff;
	int tries;

	if (m->region != v->bar) {
		/* The ring: its header's magic, or the cons page's index. */
		return m->start + (rn(len / 4) * 4 & ~(uint64_t)(SZ_4K - 1));
	}
	for (tries = 0; tries < 8; tries++) {
		if (m->roff == 0 && m->dev != FZ_IVSHMEM && chance(50)) {
			if (m->dev == FZ_EDU || m->dev == FZ_EDU2)
				off = chance(50) ? 0 : EDU_LIVE;
			else
				off = NVME_VS;
		} else if (m->dev == FZ_IVSHMEM && mem_used && chance(50)) {
			/* A word written earlier, if this mapping has it. */
			unsigned int i = rn(FZ_MEM_SLOTS);

			while (!mem[i].used)
				i = (i + 1) & (FZ_MEM_SLOTS - 1);
			off = mem[i].off - m->roff;	/* may wrap: checked */
		} else if (m->dev == FZ_IVSHMEM) {
			/* The first words of the first pages: hot spots. */
			off = rn(len < SZ_2M ? len / SZ_4K : 512) * SZ_4K +
			      (rnd() & 0x3c);
		} else {
			off = rn(len / 4) * 4;
		}
		if (off >= len)
			continue;
		roff = m->roff + off;
		if (!write || dev_writable_at(v, roff))
			return m->start + off;
	}
	return 0;
}

static bool op_touch(int op)
{
	bool write = op == O_WRITE;
	int p = pick_proc();
	struct fz_map *m = map_pick(p, false, chance(85));
	struct fz_cmd c = { .kind = C_READ };
	struct fz_res r;
	struct fz_dev *v;
	enum fz_state s;

	if (!m)
		return false;
	v = &devs[m->dev];
	s = fault_state(v);
	if (m->region == v->bar && would_block_long(v, s))
		return false;
	c.kind = write ? C_WRITE : C_READ;
	c.addr = touch_addr(m, write);
	if (!c.addr)
		return false;
	if (write && m->region != v->bar) {
		/* The ring: store cons itself where it is writable. */
		c.val = v->cons;
	} else {
		c.val = (uint32_t)rnd();
	}
	c.thread = thread_maybe();
	c.dev = m->dev;
	cov[s][op]++;
	run_in(p, &c, &r);
	logf_("%s p%d%s %s 0x%llx (region %u offset 0x%llx, %s) val 0x%x -> %s 0x%x",
	      write ? "write" : "read", p, c.thread ? "/thread" : "", v->name,
	      (unsigned long long)c.addr, m->region,
	      (unsigned long long)(m->roff + c.addr - m->start),
	      st_names[s], c.val, vt_probe_name(r.probe), r.val);
	if (m->region != v->bar && write && (m->prot & PROT_WRITE) &&
	    r.probe == VT_ACCESS_OK && !v->revoked)
		return true;
	judge_touch(p, m, c.addr, write, c.val, &r, s);
	return true;
}

static bool op_rw(int op)
{
	bool write = op == O_PWRITE;
	int p = pick_proc(), k = pick_dev();
	struct fz_dev *v = &devs[k];
	enum fz_state s = rw_state(v);
	uint32_t pol = policy_of(v, s), want;
	struct fz_cmd c = { .dev = k, .region = v->bar };
	struct fz_res r;
	bool known, msix;
	long expect;

	if (would_block_long(v, s))
		return false;
	c.kind = write ? C_PWRITE : C_PREAD;
	switch (k) {
	case FZ_EDU:
	case FZ_EDU2:
		c.off = chance(30) ? 0 : chance(50) ? EDU_LIVE :
			SZ_4K + rn((v->bar_size - SZ_4K) / 4) * 4;
		if (write && c.off == 0)
			c.off = EDU_LIVE;
		break;
	case FZ_NVME:
		if (write)
			return false;
		c.off = chance(50) ? NVME_VS : rn(v->bar_size / 4) * 4;
		break;
	default:
		c.off = rn(v->bar_size / 4) * 4;
		if (mem_used && chance(50)) {
			unsigned int i = rn(FZ_MEM_SLOTS);

			while (!mem[i].used)
				i = (i + 1) & (FZ_MEM_SLOTS - 1);
			c.off = mem[i].off;
		}
	}
	c.val = (uint32_t)rnd();
	c.thread = thread_maybe();
	cov[fault_state(v)][op]++;
	run_in(p, &c, &r);
	logf_("%s p%d%s %s offset 0x%llx (%s) val 0x%x -> %ld 0x%x",
	      write ? "pwrite" : "pread", p, c.thread ? "/thread" : "", v->name,
	      (unsigned long long)c.off, st_names[s], c.val, r.ret, r.val);
	msix = c.off >= v->msix_start && c.off < v->msix_end;
	if (s == ST_REVOKED) {
		if (r.ret != -ENODEV)
			fail("%s of revoked %s: %ld, want -ENODEV", write ?
			     "pwrite" : "pread", v->name, r.ret);
		return true;
	}
	if (s == ST_ENABLED || msix || (pol == VFIO_PCI_MMAP_POLICY_ONES &&
					s != ST_RESETTING))
		expect = 4;
	else
		expect = s == ST_RESETTING ? -EAGAIN : -EIO;
	if (r.ret != expect)
		fail("%s of %s at 0x%llx in state %s: %ld, want %ld", write ?
		     "pwrite" : "pread", v->name, (unsigned long long)c.off,
		     st_names[s], r.ret, expect);
	if (expect != 4)
		return true;
	if (msix) {		/* the MSI-X table: all-ones, never gated */
		want = ONES;
		known = !write;
	} else if (s == ST_ENABLED) {
		if (write) {
			dev_write(v, c.off, c.val);
			return true;
		}
		want = dev_value(v, c.off, &known);
	} else {
		want = ONES;
		known = true;
	}
	if (!write && known && r.val != want)
		fail("pread of %s at 0x%llx in state %s: 0x%x, want 0x%x",
		     v->name, (unsigned long long)c.off, st_names[s], r.val, want);
	return true;
}

static int rand_prot(void)
{
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE,
				     PROT_READ | PROT_WRITE, PROT_NONE };

	return prots[rn(4)];
}

/* Is [off, off + len) of v's BAR mappable (sparse areas)? */
static bool bar_mappable(const struct fz_dev *v, uint64_t off, uint64_t len)
{
	uint32_t i;

	if (off + len > v->bar_size || !len)
		return false;
	if (!v->reg.sparse)
		return true;
	for (i = 0; i < v->reg.nr_areas; i++)
		if (off >= v->reg.areas[i].offset &&
		    off + len <= v->reg.areas[i].offset + v->reg.areas[i].size)
			return true;
	return false;
}

static bool op_mmap(int op)
{
	int p = pick_proc(), k = pick_dev(), variant = rn(6);
	struct fz_dev *v = &devs[k];
	struct fz_cmd c = { .kind = C_MMAP, .dev = k, .region = v->bar };
	uint64_t pages = v->bar_size / SZ_4K, n;
	struct fz_res r;
	struct fz_map m;
	long expect;

	if (nr_maps(p) > FZ_MAX_MAPS - 6)
		return false;
	c.prot = rand_prot();
	switch (variant) {
	case 0:		/* whole */
		c.len = v->bar_size;
		break;
	case 1:		/* partial */
	case 2:
		n = 1 + rn(pages < 64 ? pages : 64);
		c.off = rn(pages - n + 1) * SZ_4K;
		c.len = n * SZ_4K;
		break;
	case 3:		/* misaligned to 2 MiB */
		n = 1 + rn(pages < 1024 ? pages : 1024);
		c.off = rn(pages - n + 1) * SZ_4K;
		c.len = n * SZ_4K;
		c.align = SZ_2M;
		c.misalign = (1 + rn(511)) * SZ_4K;
		break;
	case 4:		/* huge-aligned */
		if (v->bar_size >= SZ_1G && chance(30)) {
			c.len = SZ_1G;
			c.align = SZ_1G;
		} else if (v->bar_size >= SZ_2M) {
			n = 1 + rn(v->bar_size / SZ_2M < 4 ? v->bar_size / SZ_2M : 4);
			c.off = rn(v->bar_size / SZ_2M - n + 1) * SZ_2M;
			c.len = n * SZ_2M;
			c.align = SZ_2M;
		} else {
			c.len = v->bar_size;
			c.align = SZ_2M;
		}
		break;
	default:	/* beyond the end or straddling a sparse hole */
		if (v->reg.sparse && v->reg.nr_areas && chance(70)) {
			c.off = v->reg.areas[0].offset + v->reg.areas[0].size - SZ_4K;
			c.len = 2 * SZ_4K;
		} else {
			c.off = v->bar_size - SZ_4K;
			c.len = 2 * SZ_4K;
		}
		break;
	}
	expect = bar_mappable(v, c.off, c.len) ? 0 : -EINVAL;
	if (v->revoked)
		expect = -ENODEV;
	cov[fault_state(v)][op]++;
	c.thread = thread_maybe();
	run_in(p, &c, &r);
	logf_("mmap p%d%s %s region %u offset 0x%llx len 0x%llx align 0x%llx+0x%llx %s -> %ld 0x%llx",
	      p, c.thread ? "/thread" : "", v->name, c.region,
	      (unsigned long long)c.off, (unsigned long long)c.len,
	      (unsigned long long)c.align, (unsigned long long)c.misalign,
	      prot_name(c.prot), r.ret, (unsigned long long)r.addr);
	if (r.ret != expect)
		fail("mmap of %s offset 0x%llx len 0x%llx: %ld, want %ld",
		     v->name, (unsigned long long)c.off,
		     (unsigned long long)c.len, r.ret, expect);
	if (expect)
		return true;
	memset(&m, 0, sizeof(m));
	m.dev = k;
	m.region = c.region;
	m.start = r.addr;
	m.end = r.addr + c.len;
	m.roff = c.off;
	m.prot = c.prot;
	map_add(p, &m);
	return true;
}

static bool op_mmap_ring(int op)
{
	int p = pick_proc(), k = pick_dev(), part = rn(3);
	struct fz_dev *v = &devs[k];
	struct vfio_pci_mmap_region_info_cap_fault_ring *cap = &v->ring.cap;
	struct fz_cmd c = { .kind = C_MMAP, .dev = k };
	uint64_t poff, psize;
	struct fz_res r;
	struct fz_map m;
	long expect = 0;

	if (!v->ring_ok || nr_maps(p) > FZ_MAX_MAPS - 6)
		return false;
	c.region = v->ring.index;
	poff = part == 0 ? cap->header_offset : part == 1 ? cap->cons_offset :
	       cap->entries_offset;
	psize = part == 0 ? cap->header_size : part == 1 ? cap->cons_size :
		cap->entries_size;
	c.off = poff;
	c.len = psize;
	c.prot = PROT_READ;
	if (part == 1 && chance(70))
		c.prot |= PROT_WRITE;
	if (psize > SZ_4K && chance(40)) {
		c.off = poff + rn(psize / SZ_4K) * SZ_4K;
		c.len = SZ_4K;
	}
	if (chance(15)) {		/* across two parts */
		c.off = part == 2 ? poff - SZ_4K : poff + psize - SZ_4K;
		c.len = 2 * SZ_4K;
		c.prot = PROT_READ;
		expect = -EINVAL;
	} else if (part != 1 && chance(15)) {
		c.prot = PROT_READ | PROT_WRITE;
		expect = -EACCES;
	}
	if (v->revoked)
		expect = -ENODEV;
	cov[fault_state(v)][op]++;
	run_in(p, &c, &r);
	logf_("mmap-ring p%d %s part %d offset 0x%llx len 0x%llx %s -> %ld 0x%llx",
	      p, v->name, part, (unsigned long long)c.off,
	      (unsigned long long)c.len, prot_name(c.prot), r.ret,
	      (unsigned long long)r.addr);
	if (r.ret != expect)
		fail("mmap of %s's fault ring offset 0x%llx len 0x%llx %s: %ld, want %ld",
		     v->name, (unsigned long long)c.off,
		     (unsigned long long)c.len, prot_name(c.prot), r.ret, expect);
	if (expect)
		return true;
	memset(&m, 0, sizeof(m));
	m.dev = k;
	m.region = c.region;
	m.start = r.addr;
	m.end = r.addr + c.len;
	m.roff = c.off;
	m.prot = c.prot;
	map_add(p, &m);
	return true;
}

/* A page-granular piece [*a, *b) of m: whole, head, tail or middle. */
static void pick_piece(const struct fz_map *m, uint64_t *a, uint64_t *b)
{
	uint64_t pages = (m->end - m->start) / SZ_4K, s, e;

	if (pages > 1 && chance(60)) {
		s = rn(pages);
		e = s + 1 + rn(pages - s);
		if (chance(50))
			s = 0;
		else if (chance(50))
			e = pages;
	} else {
		s = 0;
		e = pages;
	}
	*a = m->start + s * SZ_4K;
	*b = m->start + e * SZ_4K;
}

static bool op_munmap(int op)
{
	int p = pick_proc();
	struct fz_map *m = map_pick(p, true, false), cut;
	struct fz_cmd c = { .kind = C_MUNMAP };
	struct fz_res r;
	uint64_t a, b;

	if (!m)
		return false;
	pick_piece(m, &a, &b);
	if (nr_maps(p) >= FZ_MAX_MAPS - 1) {	/* no room for a split */
		a = m->start;
		b = m->end;
	}
	c.addr = a;
	c.len = b - a;
	c.dev = m->dev;
	cov[fault_state(&devs[m->dev])][op]++;
	run_in(p, &c, &r);
	logf_("munmap p%d %s [0x%llx, 0x%llx) of [0x%llx, 0x%llx) -> %ld", p,
	      devs[m->dev].name, (unsigned long long)a, (unsigned long long)b,
	      (unsigned long long)m->start, (unsigned long long)m->end, r.ret);
	if (r.ret)
		fail("munmap: %ld", r.ret);
	map_cut(p, a, b, &cut);
	return true;
}

static bool op_mprotect(int op)
{
	int p = pick_proc();
	struct fz_map *m = map_pick(p, true, false), cut;
	struct fz_cmd c = { .kind = C_MPROTECT };
	struct fz_onesw keep[FZ_MAX_ONESW];
	struct fz_res r;
	struct fz_dev *v;
	uint64_t a, b;
	long expect = 0;
	int nk, j;

	if (!m || nr_maps(p) > FZ_MAX_MAPS - 3)
		return false;
	v = &devs[m->dev];
	pick_piece(m, &a, &b);
	c.addr = a;
	c.len = b - a;
	c.dev = m->dev;
	c.prot = rand_prot();
	if (m->region != v->bar && (c.prot & PROT_WRITE) &&
	    (m->roff < v->ring.cap.cons_offset ||
	     m->roff >= v->ring.cap.cons_offset + v->ring.cap.cons_size))
		expect = -EACCES;
	cov[fault_state(v)][op]++;
	run_in(p, &c, &r);
	logf_("mprotect p%d %s [0x%llx, 0x%llx) %s -> %s: %ld", p, v->name,
	      (unsigned long long)a, (unsigned long long)b,
	      prot_name(m->prot), prot_name(c.prot), r.ret);
	if (r.ret != expect)
		fail("mprotect %s of %s region %u: %ld, want %ld",
		     prot_name(c.prot), v->name, m->region, r.ret, expect);
	if (expect || c.prot == m->prot)
		return true;	/* an unchanged protection splits nothing */
	/* The all-ones pages written stay where they are (or go). */
	nk = 0;
	for (j = 0; j < procs[p].now; j++)
		if (procs[p].ow[j].addr >= a && procs[p].ow[j].addr < b)
			keep[nk++] = procs[p].ow[j];
	map_cut(p, a, b, &cut);
	for (j = 0; j < nk; j++)
		ones_record(p, keep[j].addr, keep[j].val);
	cut.prot = c.prot;
	map_add(p, &cut);
	return true;
}

static bool op_mremap(int op)
{
	int p = pick_proc();
	struct fz_map *m = map_pick(p, true, true), cut;
	struct fz_cmd c = { .kind = C_MREMAP };
	struct fz_res r;
	uint64_t a, b;
	long expect = 0;
	int variant = rn(10);

	if (!m || nr_maps(p) > FZ_MAX_MAPS - 3)
		return false;
	pick_piece(m, &a, &b);
	c.addr = a;
	c.len = b - a;
	c.dev = m->dev;
	if (variant < 6) {		/* move, same size or smaller */
		c.move = 1;
		c.len2 = c.len;
		if (variant == 5 && c.len > SZ_4K)
			c.len2 = SZ_4K * (1 + rn(c.len / SZ_4K - 1));
	} else if (variant < 9 && c.len > SZ_4K) {	/* shrink in place */
		c.len2 = SZ_4K * (1 + rn(c.len / SZ_4K - 1));
	} else {			/* grow: refused for VM_DONTEXPAND */
		c.len2 = c.len + SZ_4K;
		c.move = chance(50);
		expect = -EFAULT;
	}
	cov[fault_state(&devs[m->dev])][op]++;
	run_in(p, &c, &r);
	logf_("mremap p%d %s [0x%llx, 0x%llx) -> len 0x%llx%s: %ld 0x%llx", p,
	      devs[m->dev].name, (unsigned long long)a, (unsigned long long)b,
	      (unsigned long long)c.len2, c.move ? " moved" : "", r.ret,
	      (unsigned long long)r.addr);
	if (r.ret != expect)
		fail("mremap of %s: %ld, want %ld", devs[m->dev].name, r.ret,
		     expect);
	if (expect)
		return true;
	if (c.move) {
		/* Writes through all-ones pages move with the range. */
		struct fz_onesw keep[FZ_MAX_ONESW];
		int nk = 0, j;

		for (j = 0; j < procs[p].now; j++)
			if (procs[p].ow[j].addr >= a &&
			    procs[p].ow[j].addr < a + c.len2) {
				keep[nk] = procs[p].ow[j];
				keep[nk++].addr += r.addr - a;
			}
		map_cut(p, a, b, &cut);
		for (j = 0; j < nk; j++)
			ones_record(p, keep[j].addr, keep[j].val);
		cut.start = r.addr;
		cut.end = r.addr + c.len2;
		map_add(p, &cut);
	} else {
		map_cut(p, a + c.len2, b, &cut);
	}
	return true;
}

static bool op_fork(int op)
{
	int p, to[2], from[2], i;
	pid_t pid;

	for (p = 1; p < max_procs; p++)
		if (!procs[p].live)
			break;
	if (p >= max_procs)
		return false;
	cov_all(op);
	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
		fail("pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid == 0) {
		close(to[1]);
		close(from[0]);
		worker_loop(to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	procs[p].live = true;
	procs[p].pid = pid;
	procs[p].tofd = to[1];
	procs[p].fromfd = from[0];
	memcpy(procs[p].m, procs[0].m, sizeof(procs[p].m));
	for (i = 0; i < FZ_MAX_MAPS; i++)
		procs[p].m[i].pinned = false;
	procs[p].now = 0;
	procs[p].ow_full = false;
	logf_("fork p%d (pid %d) with %d mappings", p, pid, nr_maps(p));
	return true;
}

static bool op_exit(int op)
{
	int p = pick_proc(), st;
	struct fz_cmd c = { .kind = C_EXIT };
	bool kill9 = chance(40);

	if (p == 0)
		return false;
	cov_all(op);
	logf_("exit p%d (pid %d, %d mappings)%s", p, procs[p].pid, nr_maps(p),
	      kill9 ? " by SIGKILL" : "");
	if (kill9)
		kill(procs[p].pid, SIGKILL);
	else
		send_cmd(p, &c);
	if (waitpid(procs[p].pid, &st, 0) != procs[p].pid)
		fail("waitpid %d: %s", procs[p].pid, strerror(errno));
	if (!kill9 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		fail("worker %d ended with status 0x%x", p, st);
	close(procs[p].tofd);
	close(procs[p].fromfd);
	memset(&procs[p], 0, sizeof(procs[p]));
	return true;
}

/* Run a device command in a random process and check its return. */
static struct fz_res dev_cmd(int op, struct fz_cmd *c, long expect,
			     const char *what)
{
	struct fz_dev *v = &devs[c->dev];
	int p = pick_proc();
	struct fz_res r;

	cov[fault_state(v)][op]++;
	run_in(p, c, &r);
	logf_("%s p%d %s (%s) -> %ld in %.3f s", what, p, v->name,
	      st_names[fault_state(v)], r.ret, r.secs);
	if (r.ret != expect)
		fail("%s on %s in state %s: %ld, want %ld", what, v->name,
		     st_names[fault_state(v)], r.ret, expect);
	return r;
}

static bool op_mem(int op)
{
	int k = pick_dev();
	struct fz_dev *v = &devs[k];

	if (v->revoked)
		return false;
	struct fz_cmd c = { .kind = C_MEM, .dev = k };
	enum fz_state before = fault_state(v);
	char what[64];

	c.val = !v->mem_on;
	if (v->mem_on && chance(20))
		c.val = 1;		/* a write that changes nothing */
	snprintf(what, sizeof(what), "memory decode %s", c.val ? "on" : "off");
	dev_cmd(op, &c, 0, what);
	v->mem_on = c.val;
	state_changed(v, before);
	return true;
}

static bool op_pm(int op)
{
	int k = FZ_NVME;	/* the one with a PM capability */
	struct fz_dev *v = &devs[k];
	struct fz_cmd c = { .kind = C_PM, .dev = k };
	enum fz_state before = fault_state(v);

	if (!v->present || !v->pm_cap || v->rt_lp)
		return false;
	c.val = !v->d3hot;
	dev_cmd(op, &c, 0, c.val ? "PM_CTRL D3hot" : "PM_CTRL D0");
	v->d3hot = c.val;
	state_changed(v, before);
	return true;
}

static bool op_lp(int op)
{
	int k = pick_dev();
	struct fz_dev *v = &devs[k];

	if (v->revoked)
		return false;
	struct fz_cmd c = { .kind = C_LP, .dev = k };
	enum fz_state before = fault_state(v);

	if (!v->lp_ok || v->d3hot)
		return false;
	c.val = !v->rt_lp;
	if (!v->rt_lp && chance(10))
		c.val = 0;		/* an exit outside low power */
	dev_cmd(op, &c, 0, c.val ? "LOW_POWER_ENTRY" : "LOW_POWER_EXIT");
	v->rt_lp = c.val;
	state_changed(v, before);
	return true;
}

/*
 * The end of a reset window: a RESET record; a real reset also brings the
 * device to D0 and may clear edu's registers.  All-ones pages go either
 * way (the window's transitions refill them).
 */
static void model_reset(struct fz_dev *v, bool real)
{
	v->window = false;
	if (real) {
		v->d3hot = false;
		v->live_known = false;
	}
	ring_reset_rec(v);
	ones_forget();
}

static bool op_reset(int op)
{
	int k = pick_dev();
	struct fz_dev *v = &devs[k];

	if (v->revoked)
		return false;
	struct fz_cmd c = { .kind = op == O_RESET ? C_RESET : C_SYSFS_RESET,
			    .dev = k };
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", v->bdf);
	if (c.kind == C_SYSFS_RESET && !vt_path_exists(path))
		return false;
	dev_cmd(op, &c, 0, c.kind == C_RESET ? "VFIO_DEVICE_RESET" :
					       "sysfs reset");
	model_reset(v, true);
	return true;
}

static uint32_t rand_timeout(void)
{
	static const uint32_t t[] = { 50, 200, 3000, 10000 };

	return t[rn(4)];
}

static bool op_policy(int op)
{
	int k = pick_dev();
	struct fz_dev *v = &devs[k];

	if (v->revoked)
		return false;
	struct fz_cmd c = { .kind = C_POLICY_SET, .dev = k };
	struct vfio_pci_mmap_access_policy *np = &c.pol;
	long expect = 0;
	struct fz_res r;
	char what[160];

	np->resetting = chance(50) ? VFIO_PCI_MMAP_POLICY_BLOCK :
				     VFIO_PCI_MMAP_POLICY_SIGBUS;
	np->mem_disabled = chance(50) ? VFIO_PCI_MMAP_POLICY_ONES :
					VFIO_PCI_MMAP_POLICY_SIGBUS;
	np->low_power = chance(50) ? VFIO_PCI_MMAP_POLICY_ONES :
				     VFIO_PCI_MMAP_POLICY_SIGBUS;
	np->revoked = rn(3);
	np->block_timeout_ms = rand_timeout();
	if (chance(15)) {
		switch (rn(5)) {
		case 0: np->resetting = VFIO_PCI_MMAP_POLICY_ONES; break;
		case 1: np->mem_disabled = VFIO_PCI_MMAP_POLICY_BLOCK; break;
		case 2: np->low_power = 7; break;
		case 3: np->block_timeout_ms = chance(50) ? 0 : 600001; break;
		default: np->reserved = 1; break;
		}
		expect = -EINVAL;
	} else if (fault_state(v) != ST_ENABLED) {
		expect = -EBUSY;
	}
	snprintf(what, sizeof(what),
		 "policy set resetting=%u mem_disabled=%u low_power=%u revoked=%u timeout=%u reserved=%u",
		 np->resetting, np->mem_disabled, np->low_power, np->revoked,
		 np->block_timeout_ms, np->reserved);
	dev_cmd(op, &c, expect, what);
	if (!expect)
		v->pol = *np;
	c.kind = C_POLICY_GET;
	run_in(0, &c, &r);
	if (r.ret || memcmp(&r.pol, &v->pol, sizeof(r.pol)))
		fail("policy GET of %s: %ld, resetting=%u mem_disabled=%u low_power=%u revoked=%u timeout=%u; the model: %u %u %u %u %u",
		     v->name, r.ret, r.pol.resetting, r.pol.mem_disabled,
		     r.pol.low_power, r.pol.revoked, r.pol.block_timeout_ms,
		     v->pol.resetting, v->pol.mem_disabled, v->pol.low_power,
		     v->pol.revoked, v->pol.block_timeout_ms);
	return true;
}

static bool op_hold(int op)
{
	int k = pick_dev();
	struct fz_dev *v = &devs[k];

	if (v->revoked)
		return false;
	struct fz_cmd c = { .kind = C_HOLD, .dev = k };
	enum fz_state before = fault_state(v);

	c.val = !v->window;
	dev_cmd(op, &c, 0, c.val ? "hold a reset window" : "close the window");
	if (c.val) {
		v->window = true;
		state_changed(v, before);
	} else {
		model_reset(v, false);
	}
	return true;
}

static long read_blocked(struct fz_dev *v)
{
	char buf[32];

	if (vt_read_debugfs(v->bdf, "blocked", buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

/* Whether task tid sleeps in this driver (its wchan names it). */
static bool sleeping_in_driver(pid_t tid, char *wchan, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/wchan", tid);
	if (vt_read_file(path, wchan, len) < 0)
		return false;
	return strstr(wchan, "vpm") || strstr(wchan, "window");
}

/*
 * A touch inside a held window under the block policy waits; closing the
 * window lets it through, to the device.
 */
static bool op_blocked(int op)
{
	int p = pick_proc(), i;
	struct fz_map *m = NULL;
	struct fz_cmd c = { .kind = C_READ }, h = { .kind = C_HOLD };
	struct fz_thread_arg *ta = NULL;
	struct fz_res r, hr;
	struct fz_dev *v;
	pthread_t t;
	long b0, b1 = 0;
	char wchan[64] = "?";
	bool done, seen;
	pid_t tid;
	double t0;

	/* A readable BAR mapping of a device whose window blocks long. */
	for (i = 0; i < FZ_MAX_MAPS && !m; i++) {
		struct fz_map *x = &procs[p].m[(i + op_index) % FZ_MAX_MAPS];

		v = &devs[x->dev];
		if (x->used && (x->prot & PROT_READ) && x->region == v->bar &&
		    !v->revoked &&
		    v->window && v->mem_on && !v->d3hot && !v->rt_lp &&
		    v->pol.resetting == VFIO_PCI_MMAP_POLICY_BLOCK &&
		    v->pol.block_timeout_ms >= 3000)
			m = x;
	}
	if (!m)
		return false;
	v = &devs[m->dev];
	c.dev = h.dev = m->dev;
	c.addr = touch_addr(m, false);
	if (!c.addr)
		return false;
	cov[ST_RESETTING][op]++;
	b0 = read_blocked(v);
	if (p == 0) {
		ta = calloc(1, sizeof(*ta));
		ta->c = c;
		if (pthread_create(&t, NULL, cmd_thread, ta))
			fail("pthread_create: %s", strerror(errno));
	} else {
		send_cmd(p, &c);
	}
	/* Wait until the task is seen sleeping in the driver's window wait. */
	t0 = vt_now();
	do {
		usleep(5000);
		tid = p == 0 ? ta->tid : procs[p].pid;
		seen = tid > 0 && sleeping_in_driver(tid, wchan, sizeof(wchan));
		if (p == 0) {
			done = __atomic_load_n(&ta->done, __ATOMIC_ACQUIRE);
		} else {
			struct pollfd pfd = { .fd = procs[p].fromfd,
					      .events = POLLIN };

			done = poll(&pfd, 1, 0) > 0;
		}
	} while (!seen && !done && vt_now() - t0 < 5.0);
	logf_("blocked read p%d %s 0x%llx in a held window: %s (wchan %s), closing it",
	      p, v->name, (unsigned long long)c.addr,
	      done ? "already done!" : seen ? "waiting" : "not seen waiting",
	      wchan);
	if (done)
		fail("a read of %s inside a reset window under the block policy went through before the window closed",
		     v->name);
	if (!seen)
		fail("a read of %s inside a reset window is not seen waiting in the driver in 5 s (wchan %s)",
		     v->name, wchan);
	h.val = 0;
	run_in(0, &h, &hr);
	if (hr.ret)
		fail("closing the window of %s: %ld", v->name, hr.ret);
	model_reset(v, false);
	if (p == 0) {
		pthread_join(t, NULL);
		r = ta->r;
		free(ta);
	} else if (!recv_res(p, &r, 30000)) {
		fail("the blocked read of %s did not end after the window closed",
		     v->name);
	}
	logf_("blocked read p%d -> %s 0x%x", p, vt_probe_name(r.probe), r.val);
	judge_touch(p, m, c.addr, false, 0, &r, fault_state(v));
	b1 = read_blocked(v);
	if (b1 <= b0)
		fail("%s: debugfs blocked %ld -> %ld after an access waited",
		     v->name, b0, b1);
	return true;
}

static bool op_ring_read(int op)
{
	int k = pick_dev();
	struct fz_dev *v = &devs[k];

	if (v->revoked)
		return false;
	struct vfio_pci_mmap_fault_record rec[64];
	uint32_t prod, i, n, want;
	ssize_t got;
	bool by_read = chance(50);

	if (!v->ring_ok)
		return false;
	cov[fault_state(v)][op]++;
	if (!by_read) {
		if (v->cons_bad)
			return true;	/* nothing to read through a bad index */
		prod = ring_prod(&v->ring);
		if (prod != v->prod)
			fail("%s ring prod %u, the model %u", v->name, prod, v->prod);
		for (i = v->cons; i != prod; i++) {
			ring_copy(&v->ring, i, &rec[0]);
			check_record(v, i, &rec[0]);
		}
		logf_("ring-read mmap %s: %u records [%u, %u)", v->name,
		      prod - v->cons, v->cons, prod);
		ring_set_cons(&v->ring, prod);
		v->cons = prod;
		return true;
	}
	n = 1 + rn(64);
	got = ring_pread(&v->ring, v->ring.cap.entries_offset +
			 rn(v->ring.cap.entries_size / 64) * 64, rec,
			 n * sizeof(rec[0]));
	want = v->prod - v->cons < n ? v->prod - v->cons : n;
	logf_("ring-read read() %s: %u records asked -> %zd (cons %u prod %u%s)",
	      v->name, n, got, v->cons, v->prod, v->cons_bad ? ", bad cons" : "");
	if (v->cons_bad) {
		if (got != -EINVAL)
			fail("read() of %s's ring with an invalid cons: %zd, want -EINVAL",
			     v->name, got);
		v->invalid++;
		return true;
	}
	if (got != (ssize_t)(want * sizeof(rec[0])))
		fail("read() of %s's ring: %zd bytes, want %zu", v->name, got,
		     want * sizeof(rec[0]));
	for (i = 0; i < want; i++)
		check_record(v, v->cons + i, &rec[i]);
	v->cons += want;
	if (ring_cons(&v->ring) != v->cons)
		fail("%s ring: cons %u after read(), want %u", v->name,
		     ring_cons(&v->ring), v->cons);
	return true;
}

static bool op_ring_hostile(int op)
{
	int k = pick_dev();
	struct fz_dev *v = &devs[k];

	if (v->revoked)
		return false;
	uint32_t val;
	int kind = rn(4);
	ssize_t w;

	if (!v->ring_ok)
		return false;
	cov[fault_state(v)][op]++;
	if (v->cons_bad || kind == 0) {	/* back to a valid index: empty */
		val = v->prod;
		if (chance(50)) {
			w = ring_pwrite(&v->ring, v->ring.cap.cons_offset, &val, 4);
			if (w != 4)
				fail("write() of a valid cons %u to %s's ring: %zd",
				     val, v->name, w);
		} else {
			ring_set_cons(&v->ring, val);
		}
		v->cons = val;
		v->cons_bad = false;
		logf_("ring-hostile %s: cons = prod = %u", v->name, val);
		return true;
	}
	if (kind == 1) {		/* rewind inside the window */
		val = v->prod - (uint32_t)rn((uint64_t)v->nr + 1);
		ring_set_cons(&v->ring, val);
		v->cons = val;
		logf_("ring-hostile %s: cons rewound to %u (prod %u)", v->name,
		      val, v->prod);
		return true;
	}
	/* Out of the window: through write() refused, through the page kept. */
	val = v->prod + 1 + (uint32_t)rn(1U << 30);
	if (kind == 3)
		val = v->prod - v->nr - 1 - (uint32_t)rn(1U << 30);
	w = ring_pwrite(&v->ring, v->ring.cap.cons_offset, &val, 4);
	if (w != -EINVAL)
		fail("write() of an invalid cons %u (prod %u) to %s's ring: %zd, want -EINVAL",
		     val, v->prod, v->name, w);
	ring_set_cons(&v->ring, val);
	v->cons = val;
	v->cons_bad = true;
	logf_("ring-hostile %s: cons = %u, out of the window (prod %u)",
	      v->name, val, v->prod);
	return true;
}

static bool op_inject(int op)
{
	int k = pick_dev();
	struct fz_dev *v = &devs[k];

	if (v->revoked)
		return false;
	uint32_t n = 1 + rn(chance(20) ? 400 : 16), i;
	uint64_t addr = rnd() & 0xffffffffff00ULL;
	int ret;

	if (!v->ring_ok)
		return false;
	cov[fault_state(v)][op]++;
	ret = ring_inject(v->bdf, "%u 1 6 0x%llx", n, (unsigned long long)addr);
	logf_("inject %s: %u DMA records at 0x%llx -> %d", v->name, n,
	      (unsigned long long)addr, ret);
	if (ret)
		fail("inject into %s's ring: %d", v->name, ret);
	if (v->cons_bad)
		v->invalid += (n + 63) / 64;
	for (i = 0; i < n; i++) {
		struct fz_rec r = {
			.type = VFIO_PCI_MMAP_FAULT_TYPE_DMA,
			.reason = 6,
			.addr = addr + i,
		};

		ring_produce(v, &r);
	}
	return true;
}

static bool (*const op_fn[O_NR])(int) = {
	[O_MMAP] = op_mmap, [O_MMAP_RING] = op_mmap_ring,
	[O_MUNMAP] = op_munmap, [O_MPROTECT] = op_mprotect,
	[O_MREMAP] = op_mremap, [O_FORK] = op_fork, [O_EXIT] = op_exit,
	[O_READ] = op_touch, [O_WRITE] = op_touch, [O_PREAD] = op_rw,
	[O_PWRITE] = op_rw, [O_MEM] = op_mem, [O_PM] = op_pm,
	[O_LP] = op_lp, [O_RESET] = op_reset, [O_SYSFS_RESET] = op_reset,
	[O_POLICY] = op_policy, [O_HOLD] = op_hold, [O_BLOCKED] = op_blocked,
	[O_RING_READ] = op_ring_read, [O_RING_HOSTILE] = op_ring_hostile,
	[O_INJECT] = op_inject,
};

/* ------------------------------------------------------------------ */
/* Setup, the loop, the report                                         */

/* Operations after the unplug: a fixed number, so that a replay repeats them. */
#define UNPLUG_OPS 300

static char msix_old[16];

/* One random operation, its checks included. */
static void run_one(void)
{
	static long total_w;
	int o;

	if (!total_w)
		for (o = 0; o < O_NR; o++)
			total_w += op_weight[o];
	for (;;) {
		long w = (long)rn(total_w);

		for (o = 0; o < O_NR && w >= op_weight[o]; o++)
			w -= op_weight[o];
		if (op_fn[o](o))
			break;
	}
	op_count[o]++;
	check_all();
}

static void restore_params(void)
{
	if (msix_old[0])
		vt_write_file("/sys/module/vfio_pci_mmap/parameters/msix_mappable",
			      msix_old);
}

static void pin_ring_maps(int k)
{
	struct fz_dev *v = &devs[k];
	const struct vfio_pci_mmap_region_info_cap_fault_ring *cap = &v->ring.cap;
	struct fz_map m = { .dev = k, .pinned = true, .region = v->ring.index };

	m.start = (uintptr_t)v->ring.hdr;
	m.end = m.start + cap->header_size;
	m.roff = cap->header_offset;
	m.prot = PROT_READ;
	map_add(0, &m);
	m.start = (uintptr_t)v->ring.cons;
	m.end = m.start + cap->cons_size;
	m.roff = cap->cons_offset;
	m.prot = PROT_READ | PROT_WRITE;
	map_add(0, &m);
	m.start = (uintptr_t)v->ring.ent;
	m.end = m.start + cap->entries_size;
	m.roff = cap->entries_offset;
	m.prot = PROT_READ;
	map_add(0, &m);
}

static void setup_dev(int k)
{
	struct fz_dev *v = &devs[k];
	const char *bdf = getenv(v->env), *why = "?";
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
			 VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
	};
	char path[PATH_MAX];
	uint32_t i, cap;
	int r;

	if (!bdf || !*bdf)
		return;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	if (!vt_path_exists(path))
		return;
	snprintf(v->bdf, sizeof(v->bdf), "%s", bdf);
	r = vt_open(&v->d, bdf, &why);
	if (r)
		vt_bail("cannot open %s (%s): %s: %s", v->name, bdf, why,
			strerror(-r));
	if (vt_region_info(&v->d, v->bar, &v->reg) ||
	    !(v->reg.flags & VFIO_REGION_INFO_FLAG_MMAP))
		vt_bail("%s: BAR%u cannot be mapped", v->name, v->bar);
	v->bar_size = v->reg.size;
	v->pm_cap = vt_find_cap(&v->d, PCI_CAP_ID_PM);
	v->lp_ok = ioctl(v->d.fd, VFIO_DEVICE_FEATURE, &f) == 0;
	if (policy_feature(&v->d, VFIO_DEVICE_FEATURE_GET, &v->pol))
		vt_bail("%s: no VFIO_DEVICE_FEATURE_PCI_MMAP_ACCESS_POLICY", v->name);
	cap = vt_find_cap(&v->d, PCI_CAP_ID_MSIX);
	if (cap) {
		uint16_t flags = vt_cfg_read16(&v->d, cap + PCI_MSIX_FLAGS);
		uint32_t table = vt_cfg_read32(&v->d, cap + PCI_MSIX_TABLE);

		if ((table & PCI_MSIX_TABLE_BIR) == v->bar) {
			v->msix_start = table & PCI_MSIX_TABLE_OFFSET;
			v->msix_end = v->msix_start +
				      ((flags & PCI_MSIX_FLAGS_QSIZE) + 1) * 16;
		}
	}
	v->present = true;
	v->mem_on = vt_cfg_read16(&v->d, PCI_COMMAND) & PCI_COMMAND_MEMORY;
	v->refused = vt_read_refused(bdf);
	if (v->refused < 0)
		vt_bail("%s: no debugfs refused: %s", v->name,
			strerror((int)-v->refused));
	if (ring_find(&v->d, &v->ring) == 0 && ring_map(&v->ring) == 0) {
		v->ring_ok = true;
		v->nr = v->ring.cap.nr_entries;
		v->ent = calloc(v->nr, sizeof(*v->ent));
		v->prod = ring_prod(&v->ring);
		v->lost = v->ring.hdr->lost;
		v->produced = v->ring.hdr->produced;
		v->invalid = v->ring.hdr->invalid_cons;
		v->seq = v->produced + v->lost;
		for (i = 0; i < v->nr; i++) {
			struct vfio_pci_mmap_fault_record rec;

			ring_copy(&v->ring, i, &rec);
			v->ent[i].seq = rec.seq;
			v->ent[i].type = rec.type;
			v->ent[i].reason = rec.reason;
			v->ent[i].perm = rec.perm;
			v->ent[i].region = rec.region_index;
			v->ent[i].roff = rec.region_offset;
			v->ent[i].addr = rec.addr;
		}
		v->cons = v->prod;
		ring_set_cons(&v->ring, v->cons);
		pin_ring_maps(k);
	}
	if (v->msix_end)
		printf("# %s: MSI-X table at 0x%llx-0x%llx of BAR%u\n", v->name,
		       (unsigned long long)v->msix_start,
		       (unsigned long long)v->msix_end, v->bar);
	printf("# %s %s: BAR%u 0x%llx bytes%s%s%s%s, ring %s (%u entries), policy %u/%u/%u/%u %u ms\n",
	       v->name, bdf, v->bar, (unsigned long long)v->bar_size,
	       v->reg.sparse ? ", sparse" : "", v->pm_cap ? ", PM" : "",
	       v->lp_ok ? ", runtime low power" : "",
	       v->mem_on ? "" : ", memory off", v->ring_ok ? "mapped" : "absent",
	       v->nr, v->pol.resetting, v->pol.mem_disabled, v->pol.low_power,
	       v->pol.revoked, v->pol.block_timeout_ms);
	for (i = 0; v->reg.sparse && i < v->reg.nr_areas; i++)
		printf("#   sparse area %u: 0x%llx + 0x%llx\n", i,
		       (unsigned long long)v->reg.areas[i].offset,
		       (unsigned long long)v->reg.areas[i].size);
}

/*
 * Ask the host to unplug edu2 (tests/guest/lib.sh's protocol: the request
 * file) and wait until the driver has revoked it; the model follows.
 */
static void unplug_edu2(void)
{
	struct fz_dev *v = &devs[FZ_EDU2];
	char tmp[PATH_MAX], st[64] = "?";
	double t0 = vt_now();

	snprintf(tmp, sizeof(tmp), "%s.tmp", unplug_file);
	if (vt_write_file_flags(tmp, "edu2\n", O_CREAT | O_TRUNC) ||
	    rename(tmp, unplug_file))
		fail("cannot ask for the unplug through %s: %s", unplug_file,
		     strerror(errno));
	logf_("unplug edu2 (%s, %s): asked", v->bdf, st_names[fault_state(v)]);
	while (vt_now() - t0 < 60) {
		if (!vt_read_state(v->bdf, st, sizeof(st)) &&
		    !strcmp(st, "revoked"))
			break;
		usleep(20000);
	}
	if (strcmp(st, "revoked"))
		fail("edu2 is not revoked 60 s after the unplug request (state %s)",
		     st);
	v->revoked = true;
	v->window = false;
	if (v->pol.revoked == VFIO_PCI_MMAP_POLICY_AUTO)
		v->pol.revoked = VFIO_PCI_MMAP_POLICY_SIGBUS; /* no request eventfd */
	ones_forget();
	logf_("unplug edu2: revoked after %.1f s, policy %u", vt_now() - t0,
	      v->pol.revoked);
	printf("# edu2 unplugged at operation %ld, revoked after %.1f s\n",
	       op_index, vt_now() - t0);
}

/* Let a revoked device go: no process may keep it mapped or open. */
static void release_revoked(void)
{
	int k, i;

	for (k = 0; k < FZ_NDEV; k++) {
		if (!devs[k].present || !devs[k].revoked)
			continue;
		for (i = 0; i < FZ_MAX_MAPS; i++) {
			struct fz_map *m = &procs[0].m[i];

			if (m->used && m->dev == k) {
				munmap((void *)(uintptr_t)m->start,
				       m->end - m->start);
				m->used = false;
			}
		}
		vt_close(&devs[k].d);
	}
}

static void cleanup(void)
{
	int k;

	kill_workers();
	release_revoked();
	for (k = 0; k < FZ_NDEV; k++) {
		struct fz_dev *v = &devs[k];

		if (!v->present || v->revoked)
			continue;
		if (v->rt_lp)
			vt_feature_set(&v->d, VFIO_DEVICE_FEATURE_LOW_POWER_EXIT);
		if (v->d3hot) {
			uint16_t w = vt_cfg_read16(&v->d, v->pm_cap + PCI_PM_CTRL);

			vt_cfg_write16(&v->d, v->pm_cap + PCI_PM_CTRL,
				       w & ~PCI_PM_CTRL_STATE_MASK);
		}
	}
	restore_params();
}

/*
 * The (state, operation) pairs the generator can reach: a blocked access
 * needs a reset window; a revoked device (only with --unplug) takes no
 * device operation.
 */
static bool pair_possible(int s, int o)
{
	if (o == O_BLOCKED)
		return s == ST_RESETTING;
	if (s != ST_REVOKED)
		return true;
	if (!unplug_file || !devs[FZ_EDU2].present)
		return false;
	return o == O_MMAP || o == O_MMAP_RING || o == O_MUNMAP ||
	       o == O_MPROTECT || o == O_MREMAP || o == O_FORK ||
	       o == O_EXIT || o == O_READ || o == O_WRITE || o == O_PREAD ||
	       o == O_PWRITE;
}

static void usage(void)
{
	fprintf(stderr, "usage: vpm_fuzz [--seed N] [--ops N] [--seconds S] [--procs N] [--verbose] [--log N] [--unplug REQUEST_FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long ops = -1, pairs = 0, possible = 0, i;
	double seconds = 0, t0, el;
	bool seeded = false;
	struct timespec ts;
	int k, s, o;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			seed = strtoull(argv[++i], NULL, 0);
			seeded = true;
		} else if (!strcmp(argv[i], "--ops") && i + 1 < argc) {
			ops = strtol(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			seconds = strtod(argv[++i], NULL);
		} else if (!strcmp(argv[i], "--procs") && i + 1 < argc) {
			max_procs = atoi(argv[++i]);
			if (max_procs < 1 || max_procs > FZ_MAX_PROCS)
				usage();
		} else if (!strcmp(argv[i], "--log") && i + 1 < argc) {
			log_show = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--unplug") && i + 1 < argc) {
			unplug_file = argv[++i];
		} else if (!strcmp(argv[i], "--verbose")) {
			verbose = true;
		} else {
			usage();
		}
	}
	if (ops < 0 && seconds <= 0)
		ops = 1000;
	if (!seeded) {
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = ((unsigned long long)ts.tv_sec * 1000000007ULL) ^
		       (unsigned long long)ts.tv_nsec ^ ((unsigned long long)getpid() << 32);
		seed %= 10000000000000ULL;
	}
	printf("vpm_fuzz: seed %llu (replay: make fuzz SEED=%llu OPS=N)\n",
	       seed, seed);
	rng_state = seed;
	signal(SIGPIPE, SIG_IGN);
	vt_probe_warm();

	/* msix_mappable is read at open: the seed chooses it. */
	if (vt_read_file("/sys/module/vfio_pci_mmap/parameters/msix_mappable",
			 msix_old, sizeof(msix_old)) > 0) {
		const char *nv = chance(50) ? "0" : "1";

		if (vt_write_file("/sys/module/vfio_pci_mmap/parameters/msix_mappable", nv))
			msix_old[0] = '\0';
		else
			printf("# msix_mappable=%s\n", nv);
	}
	procs[0].live = true;
	procs[0].pid = getpid();
	for (k = 0; k < FZ_NDEV; k++)
		setup_dev(k);
	for (k = 0; k < FZ_NDEV && !devs[k].present; k++)
		;
	if (k == FZ_NDEV) {
		restore_params();
		vt_skip("no device: set EDU_BDF, IVSHMEM_BDF or NVME_BDF");
	}
	/* Start with memory decoding on; then every state is the model's. */
	for (k = 0; k < FZ_NDEV; k++) {
		struct fz_dev *v = &devs[k];
		int r;

		if (!v->present)
			continue;
		if (!v->mem_on && vt_set_memory_enable(&v->d, true))
			vt_bail("%s: cannot enable memory decoding", v->name);
		v->mem_on = true;
		if (k == FZ_NVME) {
			r = (int)vt_region_pread(&v->d, v->bar, NVME_VS,
						 &v->known_val, 4);
			if (r != 4 || v->known_val == ONES)
				vt_bail("nvme: VS reads 0x%x (%d)", v->known_val, r);
		}
	}
	op_index = -1;
	check_all();

	t0 = t_start = vt_now();
	for (op_index = 0; ops < 0 || op_index < ops; op_index++) {
		if (seconds > 0 && vt_now() - t0 >= seconds)
			break;
		run_one();
	}
	/* Then edu2 is hot-unplugged under it, and operations go on. */
	if (unplug_file && devs[FZ_EDU2].present) {
		unplug_at = op_index;
		unplug_edu2();
		check_all();
		for (i = 0; i < UNPLUG_OPS; i++, op_index++)
			run_one();
	}
	el = vt_now() - t0;
	cleanup();

	for (s = 0; s < ST_NR; s++) {
		for (o = 0; o < O_NR; o++) {
			if (!pair_possible(s, o))
				continue;
			possible++;
			pairs += cov[s][o] > 0;
		}
	}
	printf("# operations:");
	for (o = 0; o < O_NR; o++)
		printf(" %s=%ld", op_names[o], op_count[o]);
	printf("\n# (state, operation) pairs not exercised:");
	for (s = 0; s < ST_NR; s++)
		for (o = 0; o < O_NR; o++)
			if (!cov[s][o] && pair_possible(s, o))
				printf(" (%s,%s)", st_names[s], op_names[o]);
	printf("\nvpm_fuzz: PASS seed %llu: %ld operations in %.1f s, %.1f operations/s, %ld of %ld (state, operation) pairs exercised\n",
	       seed, op_index, el, el > 0 ? op_index / el : 0.0, pairs, possible);
	return 0;
}
