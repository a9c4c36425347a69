// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_threads: four threads read edu register 0 through one mapping while
 * the main thread resets the device 20 times.  Every read must return the
 * edu id (a SIGBUS is tolerated and counted); a wrong value is a failure.
 *
 *   mmap_threads [--driver D] [--bdf BDF] [--resets N]
 * Device: edu (EDU_BDF), BAR0.
 */
#include "vfio_test.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define NTHREADS 4

static volatile char *map;
static volatile int stop;

struct reader {
	pthread_t tid;
	long ok, sigbus, other, wrong;
	uint32_t first_wrong;
	long faults;
};

static void *reader(void *arg)
{
	struct reader *r = arg;
	uint32_t v;
	long f0;
	int res;

	vt_probe_warm();
	f0 = vt_minflt_thread();
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		v = 0;
		res = vt_probe_read32(map + EDU_REG_ID, &v);
		if (res == VT_ACCESS_SIGBUS) {
			r->sigbus++;
		} else if (res != VT_ACCESS_OK) {
			r->other++;
		} else if (v != EDU_ID_VALUE) {
			if (!r->wrong)
				r->first_wrong = v;
			r->wrong++;
		} else {
			r->ok++;
		}
	}
	r->faults = vt_minflt_thread() - f0;
	return NULL;
}

int main(int argc, char **argv)
{
	struct reader rd[NTHREADS];
	const char *bdf;
	struct vt_dev d;
	int i, n, resets = 20, failed_resets = 0, ret;
	long wrong = 0, other = 0;
	double t0, tmax = 0, ttot = 0;

	n = vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	for (i = 1; i < n; i++)
		if (!strcmp(argv[i], "--resets") && i + 1 < n)
			resets = atoi(argv[++i]);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	vt_open_or_skip(&d, bdf);
	vt_probe_init();

	map = vt_map(&d, VFIO_PCI_BAR0_REGION_INDEX, 0, SZ_4K, 0, 0,
		     PROT_READ | PROT_WRITE, MAP_SHARED);
	if (!CHECK(map != MAP_FAILED, "mmap BAR0 page 0"))
		return vt_exit();

	memset(rd, 0, sizeof(rd));
	for (i = 0; i < NTHREADS; i++)
		if (pthread_create(&rd[i].tid, NULL, reader, &rd[i]))
			vt_bail("pthread_create");

	usleep(20000);
	for (i = 0; i < resets; i++) {
		t0 = vt_now();
		ret = vt_reset(&d);
		t0 = vt_now() - t0;
		ttot += t0;
		if (t0 > tmax)
			tmax = t0;
		if (ret) {
			failed_resets++;
			vt_note("reset %d: %s", i, strerror(-ret));
		}
		usleep(10000 + (i % 4) * 5000);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(rd[i].tid, NULL);

	CHECK_EQ(failed_resets, 0, "every VFIO_DEVICE_RESET succeeded");
	vt_note("FIGURE threads driver=%s resets=%d reset-ms-avg=%.2f reset-ms-max=%.2f",
		vt_driver_name, resets, ttot * 1e3 / (resets ? resets : 1),
		tmax * 1e3);
	for (i = 0; i < NTHREADS; i++) {
		vt_note("reader %d: %ld ok, %ld SIGBUS, %ld wrong (first 0x%x), %ld other, %ld faults",
			i, rd[i].ok, rd[i].sigbus, rd[i].wrong, rd[i].first_wrong,
			rd[i].other, rd[i].faults);
		CHECK(rd[i].ok > 0, "reader %d made progress (%ld reads)", i,
		      rd[i].ok);
		wrong += rd[i].wrong;
		other += rd[i].other;
	}
	CHECK_EQ(wrong, 0, "no read returned a wrong value");
	CHECK_EQ(other, 0, "no read took a signal other than SIGBUS");

	munmap((void *)map, SZ_4K);
	vt_close(&d);
	return vt_exit();
}
