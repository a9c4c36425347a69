// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_revoke_ones: after revocation with revoke=ones, a write through one
 * mapping is never visible through another page, another vma or another
 * process, and every offset no write touched reads all-ones.
 *
 * Revocation comes from unbinding the device while it is open: the unbind
 * waits in vfio for the user to let go and calls ->request meanwhile.  A
 * thread writes the unbind file; the program watches its mapping turn to
 * all-ones, writes 0 through one page of one vma, and reads the other
 * page, the other vma and, in a forked child, all of them.  Then it lets
 * go, the unbind completes, and it binds the device back.  Two read-only
 * vmas read the page all-ones mappings share; one of them is then made
 * writable with mprotect() and written: the other must still read
 * all-ones.
 *
 *   mmap_revoke_ones [--driver D] [--bdf BDF]      (as root)
 * Device: edu (EDU_BDF), BAR0.
 */
#include "vfio_test.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define ONES 0xffffffffu

static char unbind_path[256];
static const char *bdf;
static int unbind_ret = 1;

static void *do_unbind(void *arg)
{
	(void)arg;
	unbind_ret = vt_write_file(unbind_path, bdf);
	return NULL;
}

static uint32_t rd(volatile char *p)
{
	uint32_t v = 0;

	if (vt_probe_read32(p, &v) != VT_ACCESS_OK)
		return 0xdeadbeefu;
	return v;
}

/* In a child: every word but the ones it writes itself reads all-ones. */
static int child(volatile char *a, volatile char *b)
{
	int bad = 0;

	if (rd(a) != ONES)		/* the parent wrote 0 there */
		bad |= 1;
	if (rd(a + SZ_4K) != ONES)
		bad |= 2;
	if (rd(b) != ONES)
		bad |= 4;
	if (vt_probe_write32(b, 0x12345678u) != VT_ACCESS_OK)
		bad |= 8;
	return bad;
}

int main(int argc, char **argv)
{
	char mode[32] = "", path[256];
	volatile char *a, *b, *c, *e;
	pthread_t unbinder;
	struct vt_dev d;
	double end;
	int status, w;
	pid_t pid;

	vt_parse_common_args(argc, argv, "EDU_BDF", &bdf);
	bdf = vt_require_bdf(bdf, "EDU_BDF");
	if (!vt_ours())
		vt_skip("revocation is vfio-pci-mmap's");
	if (geteuid() != 0)
		vt_skip("needs root to unbind");
	if (vt_read_param("revoke", mode, sizeof(mode)))
		vt_skip("no revoke parameter");
	if (vt_write_file("/sys/module/vfio_pci_mmap/parameters/revoke", "ones"))
		vt_bail("cannot set revoke=ones");
	snprintf(unbind_path, sizeof(unbind_path),
		 "/sys/bus/pci/devices/%s/driver/unbind", bdf);

	vt_open_or_skip(&d, bdf);
	vt_probe_warm();
	a = vt_map(&d, VFIO_PCI_BAR0_REGION_INDEX, 0, 2 * SZ_4K, 0, 0,
		   PROT_READ | PROT_WRITE, MAP_SHARED);
	b = vt_map(&d, VFIO_PCI_BAR0_REGION_INDEX, 0, SZ_4K, 0, 0,
		   PROT_READ | PROT_WRITE, MAP_SHARED);
	c = vt_map(&d, VFIO_PCI_BAR0_REGION_INDEX, SZ_4K, SZ_4K, 0, 0,
		   PROT_READ, MAP_SHARED);
	e = vt_map(&d, VFIO_PCI_BAR0_REGION_INDEX, 2 * SZ_4K, SZ_4K, 0, 0,
		   PROT_READ, MAP_SHARED);
	if (!CHECK(a != MAP_FAILED && b != MAP_FAILED && c != MAP_FAILED &&
		   e != MAP_FAILED, "two writable and two read-only mappings of BAR0"))
		return vt_exit();
	CHECK_EQ(rd(a), EDU_ID_VALUE, "vma A reads the edu id before revocation");
	CHECK_EQ(rd(b), EDU_ID_VALUE, "vma B reads the edu id before revocation");

	pthread_create(&unbinder, NULL, do_unbind, NULL);
	end = vt_now() + 30;
	while (rd(a) != ONES && vt_now() < end)
		usleep(1000);
	if (!CHECK_EQ(rd(a), ONES, "vma A reads all-ones once revoked"))
		goto out;

	CHECK(vt_probe_write32(a, 0) == VT_ACCESS_OK,
	      "a write of 0 through vma A page 0 does not fault");
	CHECK_EQ(rd(a + 4), ONES, "vma A page 0: an offset no write touched reads all-ones");
	CHECK_EQ(rd(a + SZ_4K), ONES, "vma A page 1 reads all-ones");
	CHECK_EQ(rd(b), ONES, "vma B, same BAR offset as the write, reads all-ones");

	pid = fork();
	if (pid == 0)
		_exit(child(a, b));
	w = waitpid(pid, &status, 0);
	CHECK(w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "a forked child reads all-ones everywhere (mask 0x%x)",
	      WIFEXITED(status) ? WEXITSTATUS(status) : 0xff);
	CHECK_EQ(rd(b), ONES, "the child's write through vma B is not visible in the parent");
	CHECK_EQ(rd(a + SZ_4K), ONES, "vma A page 1 still reads all-ones");

	CHECK_EQ(rd(c), ONES, "read-only vma C reads all-ones");
	CHECK_EQ(rd(e), ONES, "read-only vma E reads all-ones");
	CHECK(mprotect((void *)c, SZ_4K, PROT_READ | PROT_WRITE) == 0,
	      "mprotect vma C writable");
	CHECK(vt_probe_write32(c, 0) == VT_ACCESS_OK, "a write of 0 through vma C");
	CHECK_EQ(rd(e), ONES, "vma E still reads all-ones after C was written");
	CHECK_EQ(rd(a + SZ_4K), ONES, "vma A page 1 still reads all-ones after C was written");
out:
	munmap((void *)c, SZ_4K);
	munmap((void *)e, SZ_4K);
	munmap((void *)a, 2 * SZ_4K);
	munmap((void *)b, SZ_4K);
	vt_close(&d);
	pthread_join(unbinder, NULL);
	CHECK(unbind_ret == 0, "the unbind completed after the last close (%d)",
	      unbind_ret);

	/* Bind back for the programs that follow. */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	vt_write_file(path, vt_driver_name);
	vt_write_file("/sys/bus/pci/drivers_probe", bdf);
	vt_write_file("/sys/module/vfio_pci_mmap/parameters/revoke", mode);
	return vt_exit();
}
