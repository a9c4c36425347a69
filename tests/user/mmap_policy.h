/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mmap_policy.h - the access-policy feature for the mmap_policy_* tests:
 * VFIO_DEVICE_FEATURE_PCI_MMAP_ACCESS_POLICY GET/SET/PROBE, the module
 * parameters that give its defaults, and the debugfs files policy and
 * hold_window (a test hook that holds a reset window open).
 *
 * A program that opens a window with vp_hold() closes it again on exit,
 * on a failed check that returns early and on SIGTERM/SIGINT/SIGHUP (the
 * suite's timeout), so that the device is never left inside a window.
 * Forked children must leave with _exit() (an exit() would run the
 * parent's cleanup).
 */
#ifndef MMAP_POLICY_H
#define MMAP_POLICY_H

#include "vfio_test.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifndef VT_HAVE_PROJECT_UAPI
#error "needs include/uapi/linux/vfio_pci_mmap.h"
#endif

#define VP_FEATURE VFIO_DEVICE_FEATURE_PCI_MMAP_ACCESS_POLICY
#define VP_HDR_SZ ((uint32_t)sizeof(struct vfio_device_feature))
#define VP_POL_SZ ((uint32_t)sizeof(struct vfio_pci_mmap_access_policy))
#define VP_FULL_SZ (VP_HDR_SZ + VP_POL_SZ)

typedef struct vfio_pci_mmap_access_policy vp_policy;

/*
 * One VFIO_DEVICE_FEATURE call of the policy feature with argsz @argsz.
 * SET sends *p; GET fills *p (the buffer is poisoned first so that a
 * field the kernel does not write shows).  Returns 0 or -errno.
 */
static inline int vp_feature(struct vt_dev *d, uint32_t flags, vp_policy *p,
			     uint32_t argsz)
{
	uint64_t buf[(VP_FULL_SZ + 7) / 8 + 1];
	struct vfio_device_feature *f = (void *)buf;

	memset(buf, 0xa5, sizeof(buf));
	f->argsz = argsz;
	f->flags = flags | VP_FEATURE;
	if (p && (flags & VFIO_DEVICE_FEATURE_SET))
		memcpy(f->data, p, VP_POL_SZ);
	if (ioctl(d->fd, VFIO_DEVICE_FEATURE, f))
		return -errno;
	if (p && (flags & VFIO_DEVICE_FEATURE_GET))
		memcpy(p, f->data, VP_POL_SZ);
	return 0;
}

static inline int vp_probe(struct vt_dev *d)
{
	return vp_feature(d, VFIO_DEVICE_FEATURE_PROBE |
			  VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET,
			  NULL, VP_HDR_SZ);
}

static inline int vp_get(struct vt_dev *d, vp_policy *p)
{
	return vp_feature(d, VFIO_DEVICE_FEATURE_GET, p, VP_FULL_SZ);
}

static inline int vp_set(struct vt_dev *d, const vp_policy *p)
{
	vp_policy c = *p;

	return vp_feature(d, VFIO_DEVICE_FEATURE_SET, &c, VP_FULL_SZ);
}

/* PROBE, or a failed check: the feature is what these programs test. */
static inline bool vp_require_feature(struct vt_dev *d)
{
	int r = vp_probe(d);

	return CHECK(r == 0, "PROBE of VFIO_DEVICE_FEATURE_PCI_MMAP_ACCESS_POLICY (GET|SET) succeeds (%s)",
		     r ? strerror(-r) : "0");
}

static inline const char *vp_name(uint32_t v)
{
	switch (v) {
	case VFIO_PCI_MMAP_POLICY_AUTO: return "auto";
	case VFIO_PCI_MMAP_POLICY_SIGBUS: return "sigbus";
	case VFIO_PCI_MMAP_POLICY_ONES: return "ones";
	case VFIO_PCI_MMAP_POLICY_BLOCK: return "block";
	}
	return "?";
}

/* The debugfs policy line for *p. */
static inline void vp_format(const vp_policy *p, char *buf, size_t len)
{
	snprintf(buf, len, "resetting=%s mem_disabled=%s low_power=%s revoked=%s block_timeout_ms=%u",
		 vp_name(p->resetting), vp_name(p->mem_disabled),
		 vp_name(p->low_power), vp_name(p->revoked),
		 p->block_timeout_ms);
}

static inline bool vp_equal(const vp_policy *a, const vp_policy *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/*
 * A module parameter of a policy as a VFIO_PCI_MMAP_POLICY_* value
 * (block_timeout_ms: the number); -errno if unreadable, -EINVAL if the
 * value is no policy name.
 */
static inline long vp_param(const char *name)
{
	char buf[64], *end;
	long v;
	int r = vt_read_param(name, buf, sizeof(buf));

	if (r < 0)
		return r;
	if (!strcmp(name, "block_timeout_ms")) {
		v = strtol(buf, &end, 10);
		return end == buf ? -EINVAL : v;
	}
	if (!strcmp(buf, "auto"))
		return VFIO_PCI_MMAP_POLICY_AUTO;
	if (!strcmp(buf, "sigbus"))
		return VFIO_PCI_MMAP_POLICY_SIGBUS;
	if (!strcmp(buf, "ones"))
		return VFIO_PCI_MMAP_POLICY_ONES;
	if (!strcmp(buf, "block"))
		return VFIO_PCI_MMAP_POLICY_BLOCK;
	return -EINVAL;
}

/* The policy the module parameters give a device at open; false if unreadable. */
static inline bool vp_params(vp_policy *p)
{
	long r = vp_param("policy_resetting"), m = vp_param("policy_mem_disabled");
	long l = vp_param("policy_low_power"), v = vp_param("revoke");
	long t = vp_param("block_timeout_ms");

	memset(p, 0, sizeof(*p));
	if (r < 0 || m < 0 || l < 0 || v < 0 || t < 0)
		return false;
	p->resetting = r;
	p->mem_disabled = m;
	p->low_power = l;
	p->revoked = v;
	p->block_timeout_ms = t;
	return true;
}

/* <debugfs>/<bdf>/policy without the trailing newline, or -errno. */
static inline int vp_read_policy_file(const char *bdf, char *buf, size_t len)
{
	return vt_read_debugfs(bdf, "policy", buf, len);
}

/*
 * The start of every policy test on one device: parse the common options
 * (BDF from env_bdf), skip unless the driver is ours and we are root, open
 * the device and check its debugfs files.  Returns the BDF.
 */
static inline const char *vp_open(int argc, char **argv, const char *env_bdf,
				  struct vt_dev *d)
{
	const char *bdf;

	vt_parse_common_args(argc, argv, env_bdf, &bdf);
	bdf = vt_require_bdf(bdf, env_bdf);
	if (!vt_ours())
		vt_skip("the access policy is vfio-pci-mmap's");
	if (geteuid() != 0)
		vt_skip("needs root for debugfs");
	vt_open_or_skip(d, bdf);
	vt_dbg_ready(bdf);
	return bdf;
}

/* The hold_window hook and the cleanup that closes a window left open. */
static char vp_hold_path[PATH_MAX] __attribute__((unused));
static volatile sig_atomic_t vp_hold_armed __attribute__((unused));

static inline void vp_hold_close_now(void)
{
	ssize_t n;
	int fd;

	if (!vp_hold_armed)
		return;
	fd = open(vp_hold_path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = write(fd, "0", 1);	/* nothing better to do on failure */
		(void)n;
		close(fd);
	}
}

static inline void vp_hold_atexit(void)
{
	vp_hold_close_now();
}

static inline void vp_hold_on_signal(int sig)
{
	vp_hold_close_now();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Arm the cleanup for bdf's hold_window; false if the hook is absent. */
static inline bool vp_hold_init(const char *bdf)
{
	struct sigaction sa;

	snprintf(vp_hold_path, sizeof(vp_hold_path),
		 VT_DEBUGFS_ROOT "/%s/hold_window", bdf);
	if (!vt_path_exists(vp_hold_path))
		return false;
	if (!vp_hold_armed) {
		vp_hold_armed = 1;
		atexit(vp_hold_atexit);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = vp_hold_on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	return true;
}

/* vp_hold_init() as the check "debugfs hold_window present". */
static inline bool vp_require_hold(const char *bdf)
{
	return CHECK(vp_hold_init(bdf), "debugfs hold_window present");
}

/* Open (on) or close the held reset window; 0 or -errno. */
static inline int vp_hold(bool on)
{
	return vt_write_file(vp_hold_path, on ? "1" : "0");
}


/* vp_hold(on), checked as "hold_window=0|1 (errno)"; true if it worked. */
static inline bool vp_hold_check(bool on)
{
	return vt_check_ok(vp_hold(on), "hold_window=%d", on);
}

#endif /* MMAP_POLICY_H */
