// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_fork: a child inherits the parent's populated mapping (its first
 * access takes no fault), the driver tracks the child's vma from fork on,
 * a reset by the parent zaps the child's copy too, and the child's exit
 * drops its line.
 *
 *   mmap_fork [--driver D] [--bdf BDF]
 * Device: edu (EDU_BDF), BAR0.
 */
#include "vfio_test.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static struct vt_dev d;
static volatile char *map;
static const char *bdf;
static bool dbg;

static void xread(int fd, char *c)
{
	if (read(fd, c, 1) != 1)
		_exit(3);
}

static void xwrite(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		_exit(3);
}

static int child(int rd, int wr)
{
	struct vt_mapping m[VT_MAX_MAPPINGS];
	uint32_t v = 0;
	long f0, f1;
	int n, res;
	char c;

	/* Before anything touches the BAR: the driver already has our line. */
	if (dbg) {
		n = vt_read_mappings_pid(bdf, getpid(), m, VT_MAX_MAPPINGS);
		vt_print_mappings("child right after fork", m, n);
		CHECK(n == 1 && vt_mapping_matches(&m[0], 0, (uintptr_t)map,
						   (uintptr_t)map + SZ_4K, 0),
		      "child: debugfs lists the child's vma before any fault (%d lines)",
		      n);
	}

	/* Take the copy-on-write faults of our own data before measuring. */
	vt_probe_warm();
	f0 = vt_minflt_self();
	res = vt_probe_read32(map + EDU_REG_ID, &v);
	f1 = vt_minflt_self();
	CHECK(res == VT_ACCESS_OK && v == EDU_ID_VALUE,
	      "child: inherited mapping reads the edu id (%s 0x%x)",
	      vt_probe_name(res), v);
	CHECK_EQ(f1 - f0, 0, "child: first access takes no fault (PTE inherited)");

	xwrite(wr, 'r');	/* parent: reset now */
	xread(rd, &c);		/* parent: reset done */

	f0 = vt_minflt_self();
	res = vt_probe_read32(map + EDU_REG_ID, &v);
	f1 = vt_minflt_self();
	CHECK(res == VT_ACCESS_OK && v == EDU_ID_VALUE,
	      "child: access after the parent's reset works (%s 0x%x)",
	      vt_probe_name(res), v);
	CHECK_EQ(f1 - f0, 1, "child: the parent's reset zapped the child's PTE (re-fault)");
	fflush(stdout);
	return vt_failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	int p2c[2], c2p[2], status, res, ret;
	struct vt_mapping m[VT_MAX_MAPPINGS];
	uint32_t v = 0;
	long f0, f1;
	pid_t pid;
	char c;
	int n;

	vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	vt_open_or_skip(&d, bdf);
	dbg = vt_dbg_ready(bdf);

	map = vt_map_edu(&d, PROT_READ | PROT_WRITE, &res, &v);
	if (!map)
		return vt_exit();
	CHECK(res == VT_ACCESS_OK && v == EDU_ID_VALUE, "parent: touch before fork");

	if (pipe(p2c) || pipe(c2p))
		vt_bail("pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		vt_bail("fork: %s", strerror(errno));
	if (pid == 0) {
		close(p2c[1]);
		close(c2p[0]);
		_exit(child(p2c[0], c2p[1]));
	}
	close(p2c[0]);
	close(c2p[1]);

	if (read(c2p[0], &c, 1) != 1) {
		CHECK(0, "child reached the reset point");
		goto reap;
	}
	ret = vt_reset(&d);
	CHECK(ret == 0, "parent: VFIO_DEVICE_RESET (%s)", ret ? strerror(-ret) : "0");
	if (dbg) {
		n = vt_read_mappings_pid(bdf, pid, m, VT_MAX_MAPPINGS);
		CHECK_EQ(n, 1, "child's line still listed while it lives");
	}
	if (write(p2c[1], "g", 1) != 1)
		vt_bail("pipe write");

reap:
	if (waitpid(pid, &status, 0) != pid)
		vt_bail("waitpid: %s", strerror(errno));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child's checks passed (status 0x%x)", status);
	if (dbg) {
		n = vt_read_mappings_pid(bdf, pid, m, VT_MAX_MAPPINGS);
		vt_print_mappings("after the child exited", m, n);
		CHECK_EQ(n, 0, "child's exit removed its line");
		n = vt_read_mappings_pid(bdf, getpid(), m, VT_MAX_MAPPINGS);
		CHECK_EQ(n, 1, "parent's line is still there");
	}

	f0 = vt_minflt_thread();
	res = vt_probe_read32(map + EDU_REG_ID, &v);
	f1 = vt_minflt_thread();
	CHECK(res == VT_ACCESS_OK && v == EDU_ID_VALUE,
	      "parent: access after reset works (%s 0x%x)", vt_probe_name(res), v);
	CHECK_EQ(f1 - f0, 1, "parent: access after reset re-faults");

	munmap((void *)map, SZ_4K);
	vt_close(&d);
	return vt_exit();
}
