// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_policy_feature: VFIO_DEVICE_FEATURE_PCI_MMAP_ACCESS_POLICY, and
 * what it does to read() and write() of a BAR.
 *
 *   1. PROBE; GET returns the module parameters' defaults, with reserved 0,
 *      and debugfs "policy" prints the same; SET then GET round trips.
 *   2. Bad input: a value no field knows, a value a field does not allow,
 *      a nonzero reserved field, block_timeout_ms out of 1..600000 and a
 *      short argsz fail with EINVAL; SET inside a reset window (debugfs
 *      hold_window) or with memory decoding off fails with EBUSY; after
 *      each failure GET returns what it returned before.
 *   3. A reopened device starts again from the module parameters.
 *   4. resetting=block: a pread/pwrite of BAR0 inside a held window waits
 *      for the window to close (another thread closes it after 300 ms) and
 *      then reaches the device; with block_timeout_ms=400 a pread fails
 *      with EAGAIN once the window has been open that long.
 *      resetting=sigbus: EAGAIN at once.
 *   5. Memory decoding off: mem_disabled=ones: pread returns all-ones,
 *      pwrite returns its count and reaches nothing; mem_disabled=sigbus:
 *      both fail with EIO.
 *
 *   mmap_policy_feature [--driver D] [--bdf BDF]      (as root)
 * Device: edu (EDU_BDF), BAR0.  Register 4 (liveness) reads back the
 * complement of the last value written, which shows whether a write
 * reached the device.
 */
#include "mmap_policy.h"

#include <pthread.h>
#include <sys/mman.h>
#include <linux/pci_regs.h>

#define BAR0 VFIO_PCI_BAR0_REGION_INDEX

static struct vt_dev d;
static const char *bdf;

/* GET into *p, as a check. */
static bool get_ok(vp_policy *p, const char *what)
{
	return vt_check_ok(vp_get(&d, p), "%s: GET", what);
}

/* GET returns exactly *want. */
static void expect_unchanged(const vp_policy *want, const char *what)
{
	char a[160], b[160];
	vp_policy now;

	if (!get_ok(&now, what))
		return;
	vp_format(&now, a, sizeof(a));
	vp_format(want, b, sizeof(b));
	CHECK(vp_equal(&now, want), "%s: GET unchanged (got '%s' reserved %u, want '%s')",
	      what, a, now.reserved, b);
}

/* debugfs policy prints *p. */
static void expect_policy_file(const vp_policy *p, const char *what)
{
	char want[160], got[256] = "";
	int r;

	vp_format(p, want, sizeof(want));
	r = vp_read_policy_file(bdf, got, sizeof(got));
	CHECK(r == 0 && !strcmp(got, want), "%s: debugfs policy reads '%s' (got '%s'%s%s)",
	      what, want, got, r ? ", " : "", r ? strerror(-r) : "");
}

/* SET of *p with argsz expected to fail with errno e; nothing changes. */
static void expect_set_fails(const vp_policy *p, uint32_t argsz, int e,
			     const char *what)
{
	vp_policy before, c = *p;
	int r;

	if (!get_ok(&before, what))
		return;
	r = vp_feature(&d, VFIO_DEVICE_FEATURE_SET, &c, argsz);
	CHECK(r == -e, "%s: SET fails with %s (got %s)", what, strerror(e),
	      r ? strerror(-r) : "success");
	expect_unchanged(&before, what);
}

static bool set_ok(const vp_policy *p, const char *what)
{
	return vt_check_ok(vp_set(&d, p), "%s: SET", what);
}

static void bad_input(const vp_policy *base)
{
	static const struct {
		const char *what;
		int field;	/* 0..5: the struct's fields in order */
		uint32_t v;
	} bad[] = {
		{ "resetting=ones (not allowed for it)", 0, VFIO_PCI_MMAP_POLICY_ONES },
		{ "resetting=auto (not allowed for it)", 0, VFIO_PCI_MMAP_POLICY_AUTO },
		{ "resetting=4 (no policy)", 0, 4 },
		{ "mem_disabled=block (not allowed for it)", 1, VFIO_PCI_MMAP_POLICY_BLOCK },
		{ "mem_disabled=auto (not allowed for it)", 1, VFIO_PCI_MMAP_POLICY_AUTO },
		{ "mem_disabled=7 (no policy)", 1, 7 },
		{ "low_power=block (not allowed for it)", 2, VFIO_PCI_MMAP_POLICY_BLOCK },
		{ "low_power=auto (not allowed for it)", 2, VFIO_PCI_MMAP_POLICY_AUTO },
		{ "revoked=block (not allowed for it)", 3, VFIO_PCI_MMAP_POLICY_BLOCK },
		{ "revoked=0xffffffff (no policy)", 3, 0xffffffffu },
		{ "block_timeout_ms=0", 4, 0 },
		{ "block_timeout_ms=600001", 4, 600001 },
		{ "reserved=1", 5, 1 },
		{ "reserved=0x80000000", 5, 0x80000000u },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vp_policy p = *base;
		uint32_t *f = (uint32_t *)&p;

		f[bad[i].field] = bad[i].v;
		expect_set_fails(&p, VP_FULL_SZ, EINVAL, bad[i].what);
	}
	/* A valid change with the data cut short. */
	{
		vp_policy p = *base;

		p.block_timeout_ms = base->block_timeout_ms == 777 ? 778 : 777;
		expect_set_fails(&p, VP_FULL_SZ - 1, EINVAL, "argsz one byte short");
		expect_set_fails(&p, VP_FULL_SZ - 4, EINVAL, "argsz without reserved");
		expect_set_fails(&p, VP_HDR_SZ, EINVAL, "argsz of the header only");
	}
	{
		vp_policy p;
		int r = vp_feature(&d, VFIO_DEVICE_FEATURE_GET, &p, VP_FULL_SZ - 1);

		CHECK(r == -EINVAL, "GET with argsz one byte short fails with EINVAL (%s)",
		      r ? strerror(-r) : "success");
	}
}

struct closer {
	int ms;
	int ret;
};

static void *close_later(void *arg)
{
	struct closer *c = arg;

	usleep(c->ms * 1000);
	c->ret = vp_hold(false);
	return NULL;
}

/*
 * Hold a window and access BAR0 by pread (write == false) or pwrite of
 * *v at off; another thread closes the window after close_ms (0: never,
 * the caller closes it).  Returns the access's result, *ms its duration.
 */
static ssize_t access_in_window(bool write, uint64_t off, uint32_t *v,
				int close_ms, double *ms, double *from_open_ms)
{
	struct closer c = { .ms = close_ms, .ret = 0 };
	pthread_t th;
	double t_open, t0, t1;
	ssize_t r;

	t_open = vt_now();
	if (!vp_hold_check(true))
		return -EPERM;
	vt_expect_state(bdf, "resetting");
	if (close_ms)
		pthread_create(&th, NULL, close_later, &c);
	t0 = vt_now();
	if (write)
		r = vt_region_pwrite(&d, BAR0, off, v, 4);
	else
		r = vt_region_pread(&d, BAR0, off, v, 4);
	t1 = vt_now();
	*ms = (t1 - t0) * 1e3;
	*from_open_ms = (t1 - t_open) * 1e3;
	if (close_ms) {
		pthread_join(th, NULL);
		CHECK(c.ret == 0, "hold_window=0 from another thread (%s)",
		      c.ret ? strerror(-c.ret) : "0");
	} else {
		vp_hold_check(false);
	}
	vt_expect_state(bdf, "enabled");
	return r;
}

static const char *res_str(ssize_t r)
{
	return r < 0 ? strerror((int)-r) : "count";
}

static void rw_gate(const vp_policy *base)
{
	vp_policy p = *base;
	uint32_t v, live = 0x13572468;
	double ms, from_open;
	ssize_t r;

	vt_note("== read()/write() in a reset window");
	p.resetting = VFIO_PCI_MMAP_POLICY_BLOCK;
	p.block_timeout_ms = 10000;
	if (!set_ok(&p, "resetting=block block_timeout_ms=10000"))
		return;

	v = 0;
	r = access_in_window(false, EDU_REG_ID, &v, 300, &ms, &from_open);
	CHECK(r == 4 && v == EDU_ID_VALUE,
	      "block: pread of BAR0 in a window closed after 300 ms reads the edu id (%zd %s, 0x%x)",
	      r, res_str(r), v);
	CHECK(ms >= 250, "block: the pread waited for the window (%.0f ms, want >= 250)", ms);
	CHECK(ms < 5000, "block: the pread returned soon after the window closed (%.0f ms)", ms);

	v = live;
	r = access_in_window(true, EDU_REG_LIVENESS, &v, 300, &ms, &from_open);
	CHECK(r == 4, "block: pwrite of BAR0 in a window closed after 300 ms returns 4 (%zd %s)",
	      r, res_str(r));
	CHECK(ms >= 250, "block: the pwrite waited for the window (%.0f ms, want >= 250)", ms);
	v = 0;
	r = vt_region_pread(&d, BAR0, EDU_REG_LIVENESS, &v, 4);
	CHECK(r == 4 && v == ~live,
	      "block: the waiting pwrite reached the device after the window (liveness 0x%x, want 0x%x)",
	      v, ~live);

	p.block_timeout_ms = 400;
	if (set_ok(&p, "block_timeout_ms=400")) {
		v = 0;
		r = access_in_window(false, EDU_REG_ID, &v, 0, &ms, &from_open);
		CHECK(r == -EAGAIN,
		      "block, timeout 400 ms: pread in a window that stays open fails with EAGAIN (%zd %s)",
		      r, res_str(r));
		CHECK(from_open >= 350 && from_open < 3000,
		      "block, timeout 400 ms: it failed 350 ms to 3 s after the window opened (%.0f ms; the pread took %.0f ms)",
		      from_open, ms);
		r = vt_region_pread(&d, BAR0, EDU_REG_ID, &v, 4);
		CHECK(r == 4 && v == EDU_ID_VALUE, "after the window: pread reads the edu id (0x%x)", v);
	}

	p.resetting = VFIO_PCI_MMAP_POLICY_SIGBUS;
	p.block_timeout_ms = 10000;
	if (!set_ok(&p, "resetting=sigbus"))
		return;
	v = 0;
	r = access_in_window(false, EDU_REG_ID, &v, 0, &ms, &from_open);
	CHECK(r == -EAGAIN, "sigbus: pread of BAR0 in a window fails with EAGAIN (%zd %s)",
	      r, res_str(r));
	CHECK(ms < 200, "sigbus: at once (%.0f ms, want < 200)", ms);
	v = live + 1;
	r = access_in_window(true, EDU_REG_LIVENESS, &v, 0, &ms, &from_open);
	CHECK(r == -EAGAIN, "sigbus: pwrite of BAR0 in a window fails with EAGAIN (%zd %s)",
	      r, res_str(r));
	CHECK(ms < 200, "sigbus: at once (%.0f ms, want < 200)", ms);
	v = 0;
	r = vt_region_pread(&d, BAR0, EDU_REG_LIVENESS, &v, 4);
	CHECK(r == 4 && v == ~live,
	      "sigbus: the refused pwrite never reached the device (liveness 0x%x, want 0x%x)",
	      v, ~live);
}

static void mem_disabled(const vp_policy *base)
{
	vp_policy p = *base;
	uint32_t v, live = 0x24681357;
	uint8_t eight[8];
	ssize_t r;
	int ret, i;
	bool all;

	vt_note("== read()/write() with memory decoding off");
	r = vt_region_pwrite(&d, BAR0, EDU_REG_LIVENESS, &live, 4);
	CHECK(r == 4, "write liveness 0x%x with memory enabled", live);

	p.mem_disabled = VFIO_PCI_MMAP_POLICY_ONES;
	if (set_ok(&p, "mem_disabled=ones")) {
		ret = vt_set_memory_enable(&d, false);
		CHECK(ret == 0, "clear PCI_COMMAND_MEMORY (%d)", ret);
		vt_expect_state(bdf, "mem_disabled");
		v = 0;
		r = vt_region_pread(&d, BAR0, EDU_REG_ID, &v, 4);
		CHECK(r == 4 && v == 0xffffffffu,
		      "ones: pread of BAR0 returns all-ones (%zd %s, 0x%x)", r, res_str(r), v);
		memset(eight, 0, sizeof(eight));
		r = vt_region_pread(&d, BAR0, 8, eight, 8);
		for (all = true, i = 0; i < 8; i++)
			all &= eight[i] == 0xff;
		CHECK(r == 8 && all, "ones: an 8-byte pread returns 8 all-ones bytes (%zd %s)",
		      r, res_str(r));
		v = live + 1;
		r = vt_region_pwrite(&d, BAR0, EDU_REG_LIVENESS, &v, 4);
		CHECK(r == 4, "ones: pwrite of BAR0 returns its count (%zd %s)", r, res_str(r));
		v = 0;
		r = vt_region_pread(&d, BAR0, EDU_REG_LIVENESS, &v, 4);
		CHECK(r == 4 && v == 0xffffffffu,
		      "ones: a pread after it still returns all-ones (0x%x)", v);
		ret = vt_set_memory_enable(&d, true);
		CHECK(ret == 0, "set PCI_COMMAND_MEMORY (%d)", ret);
		vt_expect_state(bdf, "enabled");
		v = 0;
		r = vt_region_pread(&d, BAR0, EDU_REG_LIVENESS, &v, 4);
		CHECK(r == 4 && v == ~live,
		      "ones: the dropped pwrite never reached the device (liveness 0x%x, want 0x%x)",
		      v, ~live);
		r = vt_region_pread(&d, BAR0, EDU_REG_ID, &v, 4);
		CHECK(r == 4 && v == EDU_ID_VALUE, "memory on again: pread reads the edu id (0x%x)", v);
	}

	p.mem_disabled = VFIO_PCI_MMAP_POLICY_SIGBUS;
	if (set_ok(&p, "mem_disabled=sigbus")) {
		ret = vt_set_memory_enable(&d, false);
		CHECK(ret == 0, "clear PCI_COMMAND_MEMORY (%d)", ret);
		r = vt_region_pread(&d, BAR0, EDU_REG_ID, &v, 4);
		CHECK(r == -EIO, "sigbus: pread of BAR0 fails with EIO (%zd %s)", r, res_str(r));
		v = live + 2;
		r = vt_region_pwrite(&d, BAR0, EDU_REG_LIVENESS, &v, 4);
		CHECK(r == -EIO, "sigbus: pwrite of BAR0 fails with EIO (%zd %s)", r, res_str(r));
		ret = vt_set_memory_enable(&d, true);
		CHECK(ret == 0, "set PCI_COMMAND_MEMORY (%d)", ret);
		v = 0;
		r = vt_region_pread(&d, BAR0, EDU_REG_LIVENESS, &v, 4);
		CHECK(r == 4 && v == ~live,
		      "sigbus: the refused pwrite never reached the device (liveness 0x%x, want 0x%x)",
		      v, ~live);
	}
}

int main(int argc, char **argv)
{
	vp_policy def, g, p1, p2, p3;
	char a[160], b[160];
	const char *why = "?";
	bool have_params;
	int r;

	bdf = vp_open(argc, argv, "EDU_BDF", &d);
	if (!vp_require_feature(&d) || !vp_require_hold(bdf))
		return vt_exit();

	/* 1. Defaults, GET and SET. */
	have_params = vp_params(&def);
	if (!CHECK(have_params, "module parameters policy_resetting, policy_mem_disabled, policy_low_power, revoke, block_timeout_ms readable"))
		return vt_exit();
	vp_format(&def, a, sizeof(a));
	vt_note("module parameters: %s", a);
	if (strcmp(a, "resetting=block mem_disabled=sigbus low_power=sigbus revoked=auto block_timeout_ms=10000"))
		vt_note("the module parameters are not the documented defaults");
	if (!get_ok(&g, "at open"))
		return vt_exit();
	vp_format(&g, b, sizeof(b));
	CHECK(vp_equal(&g, &def), "GET at open returns the module parameters ('%s' reserved %u, want '%s')",
	      b, g.reserved, a);
	CHECK_EQ(g.reserved, 0, "GET: reserved is 0");
	expect_policy_file(&g, "at open");

	p1 = (vp_policy){ VFIO_PCI_MMAP_POLICY_SIGBUS, VFIO_PCI_MMAP_POLICY_ONES,
			  VFIO_PCI_MMAP_POLICY_ONES, VFIO_PCI_MMAP_POLICY_SIGBUS,
			  1234, 0 };
	p2 = (vp_policy){ VFIO_PCI_MMAP_POLICY_BLOCK, VFIO_PCI_MMAP_POLICY_SIGBUS,
			  VFIO_PCI_MMAP_POLICY_ONES, VFIO_PCI_MMAP_POLICY_ONES,
			  600000, 0 };
	p3 = (vp_policy){ VFIO_PCI_MMAP_POLICY_BLOCK, VFIO_PCI_MMAP_POLICY_ONES,
			  VFIO_PCI_MMAP_POLICY_SIGBUS, VFIO_PCI_MMAP_POLICY_AUTO,
			  1, 0 };
	if (set_ok(&p1, "SET sigbus/ones/ones/sigbus/1234")) {
		expect_unchanged(&p1, "after SET p1");
		expect_policy_file(&p1, "after SET p1");
	}
	if (set_ok(&p2, "SET block/sigbus/ones/ones/600000")) {
		expect_unchanged(&p2, "after SET p2");
		expect_policy_file(&p2, "after SET p2");
	}
	if (set_ok(&p3, "SET block/ones/sigbus/auto/1")) {
		expect_unchanged(&p3, "after SET p3");
		expect_policy_file(&p3, "after SET p3");
	}

	/* 2. Bad input, then EBUSY. */
	bad_input(&p3);

	if (vp_hold_check(true)) {
		vt_expect_state(bdf, "resetting");
		r = vp_set(&d, &p1);
		CHECK(r == -EBUSY, "SET inside a reset window fails with EBUSY (%s)",
		      r ? strerror(-r) : "success");
		r = vp_get(&d, &g);
		vt_note("GET inside the window: %s", r ? strerror(-r) : "0");
		vp_hold_check(false);
		vt_expect_state(bdf, "enabled");
		expect_unchanged(&p3, "after EBUSY in a window");
	}
	r = vt_set_memory_enable(&d, false);
	if (CHECK(r == 0, "clear PCI_COMMAND_MEMORY (%d)", r)) {
		vt_expect_state(bdf, "mem_disabled");
		r = vp_set(&d, &p1);
		CHECK(r == -EBUSY, "SET with memory decoding off fails with EBUSY (%s)",
		      r ? strerror(-r) : "success");
		r = vt_set_memory_enable(&d, true);
		CHECK(r == 0, "set PCI_COMMAND_MEMORY (%d)", r);
		vt_expect_state(bdf, "enabled");
		expect_unchanged(&p3, "after EBUSY with memory off");
	}
	expect_policy_file(&p3, "after the failed SETs");

	/* 3. A new open starts from the module parameters again. */
	if (set_ok(&p1, "SET p1 before a reopen")) {
		vt_close(&d);
		r = vt_open(&d, bdf, &why);
		if (!CHECK(r == 0, "reopen %s (%s: %s)", bdf, r ? why : "", r ? strerror(-r) : "0"))
			return vt_exit();
		if (get_ok(&g, "after reopen")) {
			vp_format(&g, b, sizeof(b));
			CHECK(vp_equal(&g, &def), "GET after reopen returns the module parameters again ('%s', want '%s')",
			      b, a);
		}
		expect_policy_file(&def, "after reopen");
	}

	/* 4 and 5. */
	rw_gate(&def);
	mem_disabled(&def);

	vt_close(&d);
	return vt_exit();
}
