// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_policy_block: faults against real reset windows.  A thread reads
 * BAR0's identification register through a mapping in a tight loop while
 * the main thread resets the device through /sys/bus/pci/devices/BDF/reset
 * (100 times, a few ms apart).
 *
 *   --policy block (default): no read takes SIGBUS and every read returns
 *      edu's identification.  With the driver's trace events: no fault is
 *      mapped (vpm_fault access=map) inside a window (between a
 *      vpm_state_change to resetting and the next one out of it), and at
 *      least one fault waited (access=block), or the race was not run.
 *   --policy sigbus: at least one read takes SIGBUS, and no fault is
 *      mapped inside a window either.
 *
 *   mmap_policy_block [--driver D] [--bdf BDF] [--policy block|sigbus]
 *                     [--resets N]                        (as root)
 * Device: edu (EDU_BDF), BAR0.  Needs tracefs; enabling tracepoints wants
 * one vCPU under TCG (tests/guest/gate-suite.sh).
 */
#include "mmap_policy.h"

#include <pthread.h>
#include <sys/mman.h>

static volatile char *map;
static volatile int stop;
static long reads, sigbus, badval;
static uint32_t first_bad;

static const char *const events[] = { "vpm_state_change", "vpm_fault", NULL };

static void *reader(void *arg)
{
	uint32_t v;
	int res;

	(void)arg;
	vt_probe_warm();
	while (!stop) {
		v = 0;
		res = vt_probe_read32(map + EDU_REG_ID, &v);
		reads++;
		if (res == VT_ACCESS_SIGBUS) {
			sigbus++;
		} else if (res != VT_ACCESS_OK || v != EDU_ID_VALUE) {
			if (!badval++)
				first_bad = v;
		}
	}
	return NULL;
}

struct tally {
	long windows, faults, map_inside, block, block_inside, sigbus_faults;
	long map_outside;
};

static void scan(FILE *f, const char *bdf, struct tally *t)
{
	char line[1024], dev[80];
	bool in_window = false;

	snprintf(dev, sizeof(dev), "dev=%s ", bdf);
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, dev) ||
		    vt_trace_window(line, dev, &in_window, &t->windows))
			continue;
		if (!strstr(line, "vpm_fault:"))
			continue;
		t->faults++;
		if (strstr(line, "access=map")) {
			if (in_window) {
				if (!t->map_inside++)
					vt_note("mapped inside a window: %s", line);
			} else {
				t->map_outside++;
			}
		} else if (strstr(line, "access=block")) {
			t->block++;
			if (in_window)
				t->block_inside++;
		} else if (strstr(line, "access=sigbus")) {
			t->sigbus_faults++;
		}
	}
}

int main(int argc, char **argv)
{
	const char *bdf, *policy = "block";
	int resets = 100, i, n, r, res;
	struct tally t = { 0 };
	char rpath[256];
	pthread_t th;
	struct vt_dev d;
	vp_policy p;
	bool block;
	uint32_t v;
	double t0;
	FILE *f;

	n = vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	for (i = 1; i < n; i++) {
		if (!strcmp(argv[i], "--policy") && i + 1 < n)
			policy = argv[++i];
		else if (!strcmp(argv[i], "--resets") && i + 1 < n)
			resets = atoi(argv[++i]);
	}
	if (strcmp(policy, "block") && strcmp(policy, "sigbus"))
		vt_bail("--policy block|sigbus, not '%s'", policy);
	block = !strcmp(policy, "block");
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	if (!vt_ours())
		vt_skip("the access policy is vfio-pci-mmap's");
	if (geteuid() != 0)
		vt_skip("needs root for the sysfs reset file and tracefs");
	vt_reset_path_or_skip(bdf, rpath, sizeof(rpath));

	vt_open_or_skip(&d, bdf);
	if (!vp_require_feature(&d) || !vt_check_ok(vp_get(&d, &p), "GET"))
		return vt_exit();
	p.resetting = block ? VFIO_PCI_MMAP_POLICY_BLOCK : VFIO_PCI_MMAP_POLICY_SIGBUS;
	p.block_timeout_ms = 10000;
	if (!vt_check_ok(vp_set(&d, &p), "SET resetting=%s", policy))
		return vt_exit();

	map = vt_map_edu(&d, PROT_READ, &res, &v);
	if (!map)
		return vt_exit();
	CHECK(res == VT_ACCESS_OK && v == EDU_ID_VALUE, "BAR0 reads the edu id (%s 0x%x)",
	      vt_probe_name(res), v);

	if (vt_trace_start(events))
		vt_skip("no tracefs or no vpm_state_change/vpm_fault events");

	pthread_create(&th, NULL, reader, NULL);
	t0 = vt_now();
	for (i = 0; i < resets; i++) {
		r = vt_write_file(rpath, "1");
		if (r) {
			CHECK(0, "reset %d through sysfs (%s)", i + 1, strerror(-r));
			break;
		}
		/* Time outside the windows too, as mmap_rw_gate leaves. */
		usleep(5000);
	}
	stop = 1;
	pthread_join(th, NULL);
	vt_trace_stop(events);
	CHECK(i == resets, "%d sysfs resets done (%.1f s)", i, vt_now() - t0);

	f = vt_trace_open();
	if (!f)
		return vt_exit();
	scan(f, bdf, &t);
	fclose(f);
	vt_note("FIGURE policy-block policy=%s resets=%d reads=%ld sigbus=%ld bad=%ld windows=%ld faults=%ld map-outside=%ld map-inside=%ld block=%ld (inside %ld) sigbus-faults=%ld",
		policy, resets, reads, sigbus, badval, t.windows, t.faults,
		t.map_outside, t.map_inside, t.block, t.block_inside,
		t.sigbus_faults);

	CHECK(reads > 0, "the reader read %ld times", reads);
	CHECK(t.windows >= i, "a reset window traced for each of the %d sysfs resets (%ld)",
	      i, t.windows);
	CHECK_EQ(t.map_inside, 0, "no fault mapped the BAR inside a reset window");
	CHECK(t.map_outside > 0, "faults outside the windows mapped the BAR (%ld)",
	      t.map_outside);
	if (block) {
		CHECK_EQ(sigbus, 0, "block: no read took SIGBUS");
		CHECK(badval == 0, "block: every read returned the edu id (%ld did not, first 0x%x)",
		      badval, first_bad);
		CHECK_EQ(t.sigbus_faults, 0, "block: no fault traced access=sigbus");
		CHECK(t.block > 0,
		      "block: faults waited for a window (access=block traced %ld times in %d resets)",
		      t.block, i);
	} else {
		CHECK(sigbus > 0, "sigbus: reads in a window took SIGBUS (%ld of %ld)",
		      sigbus, reads);
		CHECK(badval == 0, "sigbus: every read served returned the edu id (%ld did not, first 0x%x)",
		      badval, first_bad);
		CHECK_EQ(t.block, 0, "sigbus: no fault traced access=block");
	}

	v = 0;
	res = vt_probe_read32(map + EDU_REG_ID, &v);
	CHECK(res == VT_ACCESS_OK && v == EDU_ID_VALUE,
	      "after the resets BAR0 reads the edu id (%s 0x%x)", vt_probe_name(res), v);
	vt_expect_state(bdf, "enabled");

	munmap((void *)map, SZ_4K);
	vt_close(&d);
	return vt_exit();
}
