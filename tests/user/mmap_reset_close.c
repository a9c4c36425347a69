// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_reset_close: resets through sysfs race the open and the last close
 * of the device fd.  The close frees vfio-pci-core's config state under
 * the dev_set lock only, which a sysfs reset does not take, while the
 * driver's reset_done reads it.  On the KASAN kernel any use after free is
 * a splat the harness fails the run on; here every open must work and
 * read the device.  Reset windows refuse at once (policy_resetting=sigbus,
 * restored to block at the end): the opens and closes race the resets as
 * closely as they can, which is what this test is for; the block policy
 * is tested by mmap_policy_* and mmap_rw_gate.
 *
 *   mmap_reset_close [--driver D] [--bdf BDF] [--seconds N]     (as root)
 * Device: edu (EDU_BDF).
 */
#include "vfio_test.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int seconds = 8, i, n, opens = 0, refused = 0, bad = 0, status;
	char path[256];
	const char *bdf;
	double end;
	pid_t child;

	n = vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	for (i = 1; i < n; i++)
		if (!strcmp(argv[i], "--seconds") && i + 1 < n)
			seconds = atoi(argv[++i]);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	if (geteuid() != 0)
		vt_skip("needs root to write the sysfs reset file");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", bdf);
	if (!vt_path_exists(path))
		vt_skip("%s absent: no reset method", path);
	if (vt_ours() &&
	    vt_write_file("/sys/module/vfio_pci_mmap/parameters/policy_resetting", "sigbus"))
		vt_skip("cannot set policy_resetting");

	child = fork();
	if (child == 0) {
		/*
		 * Gaps of 0 to 7 ms let opens through between resets, and a
		 * 100 ms one every 8th reset lets a slow (debug) kernel's open
		 * through too.
		 */
		for (i = 0;; i++) {
			vt_write_file(path, "1");
			usleep(i % 8 == 7 ? 100000 : (i * 2654435761u >> 20) % 8000);
		}
	}
	end = vt_now() + seconds;
	while (vt_now() < end) {
		struct vt_dev d;
		const char *why;
		uint32_t v = 0;
		ssize_t r;

		r = vt_open(&d, bdf, &why);
		if (r) {
			/* An open's own reset can find the device busy resetting. */
			if (refused++ == 0)
				vt_note("an open failed: %s: %s", why, strerror((int)-r));
			continue;
		}
		opens++;
		/*
		 * A read may meet a reset window (EAGAIN), or find memory
		 * decoding off (EIO): vfio-pci-core's open snapshots the
		 * command register, which a sysfs reset that began after the
		 * open's own reset may have cleared.  Nothing else.
		 */
		r = vt_region_pread(&d, VFIO_PCI_BAR0_REGION_INDEX, EDU_REG_ID, &v, 4);
		if (!(r == 4 && v == EDU_ID_VALUE) && r != -EAGAIN && r != -EIO &&
		    bad++ == 0)
			vt_note("a read after open: %zd (%s), 0x%x", r,
				r < 0 ? strerror((int)-r) : "", v);
		vt_close(&d);
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	vt_note("FIGURE reset-close driver=%s opens=%d failed-opens=%d seconds=%d",
		vt_driver_name, opens, refused, seconds);
	CHECK(opens > 0, "the device was opened and closed %d times", opens);
	CHECK_EQ(bad, 0, "every read after an open read the device, met a window or found decoding off");
	if (vt_ours())
		vt_write_file("/sys/module/vfio_pci_mmap/parameters/policy_resetting", "block");
	return vt_exit();
}
