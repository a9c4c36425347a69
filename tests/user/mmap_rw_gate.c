// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_rw_gate: read() of a BAR obeys the same gate as a fault: no read
 * is served by the device inside a reset window the driver opened for a
 * reset through sysfs.
 *
 * A child resets the device through /sys/bus/pci/devices/BDF/reset in a
 * loop while the parent preads BAR0's identification register in a loop,
 * bracketing each pread with trace_marker lines "rwgate begin N" and
 * "rwgate end N ok|errno".  The driver's vpm_state_change events place
 * the windows (-> resetting ... resetting ->).  A pread that succeeded
 * with both its markers inside one window was served inside it: that
 * must never happen.  Under the sigbus policy for reset windows, reads
 * refused inside windows must fail with EAGAIN; under block (the default)
 * none fails, and the reads begun inside a window are served after it.
 *
 *   mmap_rw_gate [--driver D] [--bdf BDF] [--resets N] [--policy P]
 *							     (as root)
 * Device: edu (EDU_BDF), BAR0.  Needs tracefs.
 */
#include "vfio_test.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const events[] = { "vpm_state_change", NULL };

struct tally {
	long windows, inside_ok, inside_refused, outside_ok, refused_other;
	long bad_value, waited_out;
};

#define POLICY_PARAM "/sys/module/vfio_pci_mmap/parameters/policy_resetting"

/* Walk the trace: state per device line, pread brackets per marker. */
static void scan(FILE *f, const char *bdf, struct tally *t)
{
	char line[1024], dev[80];
	bool in_window = false, begun_inside = false;
	long n;

	snprintf(dev, sizeof(dev), "dev=%s ", bdf);
	while (fgets(line, sizeof(line), f)) {
		char *m;

		if (vt_trace_window(line, dev, &in_window, &t->windows))
			continue;
		m = strstr(line, "rwgate ");
		if (!m)
			continue;
		if (sscanf(m, "rwgate begin %ld", &n) == 1) {
			begun_inside = in_window;
		} else if (strstr(m, "rwgate end")) {
			bool ok = strstr(m, " ok") != NULL;

			if (strstr(m, " badvalue"))
				t->bad_value++;
			if (begun_inside && in_window) {
				if (ok)
					t->inside_ok++;
				else if (strstr(m, " EAGAIN"))
					t->inside_refused++;
				else
					t->refused_other++;
			} else if (ok) {
				t->outside_ok++;
				if (begun_inside)
					t->waited_out++;
			} else if (begun_inside && strstr(m, " EAGAIN")) {
				t->inside_refused++;
			}
		}
	}
}

int main(int argc, char **argv)
{
	char rpath[256], buf[256];
	struct tally t = { 0 };
	int resets = 30, i, ai, mk, status;
	const char *bdf, *policy = "block";
	bool block;
	struct vt_dev d;
	uint32_t v;
	pid_t child;
	ssize_t r;
	long n = 0;
	FILE *f;

	ai = vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	for (i = 1; i < ai; i++)
		if (!strcmp(argv[i], "--resets") && i + 1 < ai)
			resets = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--policy") && i + 1 < ai)
			policy = argv[++i];
	block = !strcmp(policy, "block");
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	if (!vt_ours())
		vt_skip("the reset window is vfio-pci-mmap's");
	if (geteuid() != 0)
		vt_skip("needs root for the sysfs reset file and tracefs");
	vt_reset_path_or_skip(bdf, rpath, sizeof(rpath));
	if (vt_trace_start(events))
		vt_skip("no tracefs or no vpm_state_change event");
	mk = open(VT_TRACEFS "/trace_marker", O_WRONLY);
	if (mk < 0)
		vt_skip("trace_marker: %s", strerror(errno));

	if (vt_write_file(POLICY_PARAM, policy))
		vt_skip("cannot set %s to %s", POLICY_PARAM, policy);
	vt_open_or_skip(&d, bdf);
	child = fork();
	if (child == 0) {
		/*
		 * A gap after each reset: with one vCPU, back-to-back resets
		 * can leave the reader no time outside a window at all.
		 */
		for (i = 0; i < resets; i++) {
			if (vt_write_file(rpath, "1"))
				_exit(1);
			usleep(5000);
		}
		_exit(0);
	}
	while (waitpid(child, &status, WNOHANG) == 0) {
		n++;
		dprintf(mk, "rwgate begin %ld\n", n);
		v = 0;
		r = vt_region_pread(&d, VFIO_PCI_BAR0_REGION_INDEX, EDU_REG_ID, &v, 4);
		if (r == 4)
			dprintf(mk, "rwgate end %ld ok%s\n", n,
				v == EDU_ID_VALUE ? "" : " badvalue");
		else
			dprintf(mk, "rwgate end %ld %s\n", n,
				r == -EAGAIN ? "EAGAIN" : strerror((int)-r));
	}
	vt_trace_stop(events);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "%d sysfs resets done", resets);

	f = vt_trace_open();
	if (!f)
		return vt_exit();
	scan(f, bdf, &t);
	fclose(f);
	snprintf(buf, sizeof(buf), "%s: %ld preads, %ld windows, inside: %ld served %ld EAGAIN %ld other; outside served %ld (%ld waited out a window)",
		 policy, n, t.windows, t.inside_ok, t.inside_refused,
		 t.refused_other, t.outside_ok, t.waited_out);
	vt_note("FIGURE rw-gate %s", buf);
	CHECK(t.windows >= resets, "a reset window traced for each of the %d sysfs resets (%ld)",
	      resets, t.windows);
	CHECK_EQ(t.inside_ok, 0, "no pread served inside a reset window");
	if (block) {
		CHECK_EQ(t.inside_refused, 0, "no pread fails with EAGAIN under block");
		CHECK(t.waited_out > 0, "preads begun inside a window are served after it (%ld)",
		      t.waited_out);
	} else {
		CHECK(t.inside_refused > 0, "preads inside a window fail with EAGAIN (%ld)",
		      t.inside_refused);
	}
	CHECK_EQ(t.refused_other, 0, "no pread inside a window failed otherwise");
	CHECK(t.outside_ok > 0, "preads outside the windows read the device (%ld)",
	      t.outside_ok);
	CHECK_EQ(t.bad_value, 0, "every served pread read the edu id");
	close(mk);
	vt_close(&d);
	vt_write_file(POLICY_PARAM, "block");
	return vt_exit();
}
