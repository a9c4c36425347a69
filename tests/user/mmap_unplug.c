// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_unplug: hot-unplug of a device whose BAR is mapped and being read.
 *
 * The program maps BAR0 of the second edu, reads it in a loop and asks the
 * host to unplug it (the VM harness protocol: write the device id to
 * $OUT/unplug-request; the host sends QMP device_del and the guest's
 * pciehp removes the device).
 *
 * Our driver revokes the mapping when the device goes away:
 *   revoke=sigbus                    accesses take SIGBUS
 *   revoke=ones, or revoke=auto with a request eventfd registered
 *                                    loads return 0xffffffff
 * and read()/write() on the device fd fail with ENODEV.  No access may
 * reach the device (read the edu id) once revocation was observed.
 * Stock vfio-pci keeps the mapping live until the user lets go; for it
 * the program waits for the device request, then lets go.
 * Either way, once everything is closed, the device must disappear.
 *
 *   mmap_unplug [--driver D] [--bdf BDF] [--id edu2]
 *               [--expect sigbus|ones] [--no-req] [--timeout SEC]
 * Device: EDU2_BDF.  Needs OUT (the harness's output directory).
 */
#include "vfio_test.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

static int request_unplug(const char *id)
{
	const char *out = getenv("OUT");
	char tmp[512], req[512], line[64];
	int r;

	if (!out || !*out)
		return -ENOENT;
	snprintf(tmp, sizeof(tmp), "%s/.unplug-request.tmp", out);
	snprintf(req, sizeof(req), "%s/unplug-request", out);
	snprintf(line, sizeof(line), "%s\n", id);
	unlink(tmp);
	r = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (r < 0)
		return -errno;
	if (write(r, line, strlen(line)) != (ssize_t)strlen(line)) {
		close(r);
		return -EIO;
	}
	close(r);
	return rename(tmp, req) ? -errno : 0;
}

static bool req_signalled(int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t c;

	if (efd < 0 || poll(&p, 1, 0) != 1)
		return false;
	return read(efd, &c, sizeof(c)) == sizeof(c);
}

int main(int argc, char **argv)
{
	const char *bdf, *id = "edu2", *expect = NULL;
	char mode[64] = "", devpath[256], st[64];
	bool use_req = true, revoked = false, req_seen = false, gone = false;
	long pre_ok = 0, post_real = 0, post_ones = 0, post_sigbus = 0;
	long post_other = 0, after_req_ok = 0, total = 0;
	double t0, t_req = 0, t_rev = 0, deadline;
	int i, n, timeout = 90, efd = -1, res, ret;
	struct vt_dev d;
	volatile char *map;
	uint32_t v;
	ssize_t rn;

	n = vt_parse_common_args(argc, argv, "EDU2_BDF", &bdf);
	for (i = 1; i < n; i++) {
		if (!strcmp(argv[i], "--id") && i + 1 < n)
			id = argv[++i];
		else if (!strcmp(argv[i], "--expect") && i + 1 < n)
			expect = argv[++i];
		else if (!strcmp(argv[i], "--no-req"))
			use_req = false;
		else if (!strcmp(argv[i], "--timeout") && i + 1 < n)
			timeout = atoi(argv[++i]);
	}
	bdf = vt_require_bdf(bdf, "EDU2_BDF");
	if (!getenv("OUT"))
		vt_skip("OUT is not set: no way to ask the host for an unplug");
	snprintf(devpath, sizeof(devpath), "/sys/bus/pci/devices/%s", bdf);

	if (vt_ours()) {
		if (expect) {
			snprintf(mode, sizeof(mode), "%s", expect);
		} else if (vt_read_param("revoke", mode, sizeof(mode)) == 0) {
			if (!strcmp(mode, "auto"))
				snprintf(mode, sizeof(mode), "%s",
					 use_req ? "ones" : "sigbus");
		} else {
			vt_note("no revoke module parameter: either revocation mode accepted");
			snprintf(mode, sizeof(mode), "any");
		}
		vt_note("revocation expected as: %s (request eventfd %s)", mode,
			use_req ? "registered" : "not registered");
	}

	vt_open_or_skip(&d, bdf);
	vt_dbg_ready(bdf);
	vt_probe_init();
	map = vt_map(&d, VFIO_PCI_BAR0_REGION_INDEX, 0, SZ_4K, 0, 0,
		     PROT_READ | PROT_WRITE, MAP_SHARED);
	if (!CHECK(map != MAP_FAILED, "mmap edu2 BAR0"))
		return vt_exit();
	res = vt_probe_read32(map + EDU_REG_ID, &v);
	CHECK(res == VT_ACCESS_OK && v == EDU_ID_VALUE,
	      "edu2 reads its id before the unplug (%s 0x%x)",
	      vt_probe_name(res), v);

	if (use_req) {
		efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ret = efd < 0 ? -errno : vt_set_req_eventfd(&d, efd);
		CHECK(ret == 0, "register the device request eventfd (%s)",
		      ret ? strerror(-ret) : "0");
	}

	ret = request_unplug(id);
	if (!CHECK(ret == 0, "ask the host to unplug %s (%s)", id,
		   ret ? strerror(-ret) : "0"))
		return vt_exit();
	t0 = vt_now();
	deadline = t0 + timeout;

	while (vt_now() < deadline) {
		v = 0;
		res = vt_probe_read32(map + EDU_REG_ID, &v);
		total++;
		if (!req_seen && req_signalled(efd)) {
			req_seen = true;
			t_req = vt_now() - t0;
			vt_note("device request signalled after %.2f s", t_req);
		}
		if (!revoked) {
			if (res == VT_ACCESS_OK && v == EDU_ID_VALUE) {
				pre_ok++;
				if (req_seen)
					after_req_ok++;
			} else {
				revoked = true;
				t_rev = vt_now() - t0;
				vt_note("first revoked access after %.2f s: %s 0x%x",
					t_rev, vt_probe_name(res), v);
			}
		}
		if (revoked) {
			if (res == VT_ACCESS_SIGBUS)
				post_sigbus++;
			else if (res != VT_ACCESS_OK)
				post_other++;
			else if (v == 0xffffffffU)
				post_ones++;
			else
				post_real++;
		}
		/* Ours: keep reading a while after revocation.  Stock: stop
		 * at the request, the mapping would stay live forever. */
		if (vt_ours() && revoked && post_sigbus + post_ones +
		    post_real + post_other >= 2000)
			break;
		if (!vt_ours() && req_seen)
			break;
		if (!use_req && !vt_ours())
			break;
		usleep(200);
	}
	vt_note("FIGURE unplug driver=%s accesses=%ld before-revoke=%ld after-request-ok=%ld request=%.2fs revoke=%.2fs",
		vt_driver_name, total, pre_ok, after_req_ok, t_req, t_rev);

	if (vt_ours()) {
		vt_note("after revocation: %ld SIGBUS, %ld read ~0, %ld read the device, %ld other",
			post_sigbus, post_ones, post_real, post_other);
		CHECK(revoked, "the mapping was revoked within %d s", timeout);
		CHECK_EQ(post_real, 0, "no access reached the device after revocation");
		CHECK_EQ(post_other, 0, "no other signal after revocation");
		if (!strcmp(mode, "sigbus"))
			CHECK(revoked && post_ones == 0 && post_sigbus > 0,
			      "revoke=sigbus: every access takes SIGBUS");
		else if (!strcmp(mode, "ones"))
			CHECK(revoked && post_sigbus == 0 && post_ones > 0,
			      "revoke=ones: every load reads 0xffffffff");
		else
			CHECK(revoked && (post_sigbus == 0 || post_ones == 0),
			      "revocation behaves one way only (%ld SIGBUS, %ld ~0)",
			      post_sigbus, post_ones);
		if (vt_read_state(bdf, st, sizeof(st)) == 0)
			CHECK(!strcmp(st, "revoked"), "debugfs state is revoked (%s)", st);
		else
			vt_note("debugfs state not readable any more");

		rn = vt_region_pread(&d, VFIO_PCI_BAR0_REGION_INDEX, 0, &v, 4);
		CHECK(rn == -ENODEV, "read() on the fd fails with ENODEV (%s)",
		      rn < 0 ? strerror((int)-rn) : "it succeeded");
		v = 0;
		rn = vt_region_pwrite(&d, VFIO_PCI_BAR0_REGION_INDEX,
				      EDU_REG_LIVENESS, &v, 4);
		CHECK(rn == -ENODEV, "write() on the fd fails with ENODEV (%s)",
		      rn < 0 ? strerror((int)-rn) : "it succeeded");
		rn = vt_cfg_read(&d, 0, &v, 4);
		vt_note("config read after revocation: %zd", rn);
	} else {
		CHECK(req_seen, "stock: the device request was signalled within %d s",
		      timeout);
		vt_skip_check("revocation is vfio-pci-mmap's",
			      "accesses stop reaching the device (%ld worked after the request)",
			      after_req_ok);
	}

	/* Let go of everything: the removal must then complete. */
	munmap((void *)map, SZ_4K);
	if (efd >= 0)
		close(efd);
	vt_close(&d);
	t0 = vt_now();
	for (i = 0; i < 300; i++) {
		if (!vt_path_exists(devpath)) {
			gone = true;
			break;
		}
		usleep(100000);
	}
	CHECK(gone, "%s disappeared after the last close (%.1f s)", bdf,
	      vt_now() - t0);
	return vt_exit();
}
