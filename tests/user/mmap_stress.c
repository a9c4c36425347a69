// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_stress: four threads touch a BAR continuously while a toggler
 * thread clears and sets PCI_COMMAND memory enable and resets the device.
 *
 * The toggler bumps a shared sequence counter to odd once memory decoding
 * is off (after the config write returned) and back to even before it
 * turns decoding on again.  A toucher reads the counter before and after
 * each access; an access that *succeeded* with the same odd value on both
 * sides happened entirely inside a disabled window: a failure.  Any value
 * other than the device's is a failure too.
 *
 * With vfio-pci-mmap, the driver's count of refused accesses (debugfs
 * refused) must grow by exactly the number of SIGBUS the touchers took:
 * every refused fault is one SIGBUS, and no SIGBUS comes from elsewhere.
 *
 *   mmap_stress [--driver D] [--bdf BDF] [--seconds N]
 * Device: edu (EDU_BDF) BAR0 register 0.
 */
#include "vfio_test.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define NTOUCH 4

static struct vt_dev d;
static volatile char *map;
static volatile int stop;
static unsigned long seq;	/* odd: memory decoding is off */

struct toucher {
	pthread_t tid;
	long ok, sigbus, other, wrong, in_window;
	uint32_t first_wrong;
};

static void *touch(void *arg)
{
	struct toucher *t = arg;
	unsigned long s1, s2;
	uint32_t v;
	int res;

	vt_probe_warm();
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		s1 = __atomic_load_n(&seq, __ATOMIC_SEQ_CST);
		v = 0;
		res = vt_probe_read32(map + EDU_REG_ID, &v);
		s2 = __atomic_load_n(&seq, __ATOMIC_SEQ_CST);
		if (res == VT_ACCESS_SIGBUS) {
			t->sigbus++;
			continue;
		}
		if (res != VT_ACCESS_OK) {
			t->other++;
			continue;
		}
		if (s1 == s2 && (s1 & 1))
			t->in_window++;
		if (v != EDU_ID_VALUE) {
			if (!t->wrong)
				t->first_wrong = v;
			t->wrong++;
		} else {
			t->ok++;
		}
	}
	return NULL;
}

struct toggler {
	pthread_t tid;
	long windows, resets, errors;
};

static void *toggle(void *arg)
{
	struct toggler *g = arg;
	unsigned int i = 0;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		i++;
		if (vt_set_memory_enable(&d, false)) {
			g->errors++;
			continue;
		}
		__atomic_add_fetch(&seq, 1, __ATOMIC_SEQ_CST);	/* odd */
		usleep(200 + (i % 7) * 150);
		__atomic_add_fetch(&seq, 1, __ATOMIC_SEQ_CST);	/* even */
		if (vt_set_memory_enable(&d, true))
			g->errors++;
		g->windows++;
		usleep(100 + (i % 5) * 200);
		if (i % 8 == 0) {
			if (vt_reset(&d))
				g->errors++;
			g->resets++;
		}
	}
	vt_set_memory_enable(&d, true);
	return NULL;
}

int main(int argc, char **argv)
{
	struct toucher t[NTOUCH];
	struct toggler g;
	const char *bdf;
	int i, n, seconds = 10;
	long wrong = 0, in_window = 0, other = 0, ok = 0, sigbus = 0;
	long refused0 = -1, refused1 = -1;
	uint32_t v = 0;

	n = vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	for (i = 1; i < n; i++)
		if (!strcmp(argv[i], "--seconds") && i + 1 < n)
			seconds = atoi(argv[++i]);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	vt_open_or_skip(&d, bdf);
	vt_probe_init();

	map = vt_map(&d, VFIO_PCI_BAR0_REGION_INDEX, 0, SZ_4K, 0, 0,
		     PROT_READ | PROT_WRITE, MAP_SHARED);
	if (!CHECK(map != MAP_FAILED, "mmap BAR0 page 0"))
		return vt_exit();

	if (vt_dbg_ready(bdf)) {
		refused0 = vt_read_refused(bdf);
		CHECK(refused0 >= 0, "debugfs refused is readable (%s)",
		      refused0 < 0 ? strerror((int)-refused0) : "yes");
	}
	memset(t, 0, sizeof(t));
	memset(&g, 0, sizeof(g));
	for (i = 0; i < NTOUCH; i++)
		if (pthread_create(&t[i].tid, NULL, touch, &t[i]))
			vt_bail("pthread_create");
	if (pthread_create(&g.tid, NULL, toggle, &g))
		vt_bail("pthread_create");
	sleep(seconds);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(g.tid, NULL);
	for (i = 0; i < NTOUCH; i++)
		pthread_join(t[i].tid, NULL);
	if (refused0 >= 0)
		refused1 = vt_read_refused(bdf);

	for (i = 0; i < NTOUCH; i++) {
		vt_note("toucher %d: %ld ok, %ld SIGBUS, %ld wrong (first 0x%x), %ld inside a disabled window, %ld other",
			i, t[i].ok, t[i].sigbus, t[i].wrong, t[i].first_wrong,
			t[i].in_window, t[i].other);
		ok += t[i].ok;
		sigbus += t[i].sigbus;
		wrong += t[i].wrong;
		in_window += t[i].in_window;
		other += t[i].other;
	}
	vt_note("FIGURE stress driver=%s seconds=%d windows=%ld resets=%ld ok=%ld sigbus=%ld",
		vt_driver_name, seconds, g.windows, g.resets, ok, sigbus);
	CHECK_EQ(g.errors, 0, "every toggle and reset succeeded");
	CHECK(g.windows > 0, "disabled windows happened (%ld)", g.windows);
	CHECK(ok > 0, "accesses succeeded outside the windows (%ld)", ok);
	CHECK(sigbus > 0, "accesses inside the windows took SIGBUS (%ld)", sigbus);
	CHECK_EQ(in_window, 0, "no access succeeded inside a disabled window");
	CHECK_EQ(wrong, 0, "no access returned a wrong value");
	CHECK_EQ(other, 0, "no access took another signal");
	if (refused0 >= 0)
		CHECK(refused1 - refused0 == sigbus,
		      "the driver refused exactly the accesses that took SIGBUS (debugfs refused %ld -> %ld, %ld SIGBUS)",
		      refused0, refused1, sigbus);

	/* Quiet again: the mapping works. */
	i = vt_probe_read32(map + EDU_REG_ID, &v);
	CHECK(i == VT_ACCESS_OK && v == EDU_ID_VALUE,
	      "mapping reads the edu id afterwards (%s 0x%x)", vt_probe_name(i), v);
	munmap((void *)map, SZ_4K);
	vt_close(&d);
	return vt_exit();
}
