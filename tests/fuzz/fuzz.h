/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz.h - the model-based random tester's shared definitions (vpm_fuzz.c
 * is the whole program; this header keeps its data model readable).
 *
 * Every operation is a struct fz_cmd executed by one process of the tester
 * (the main process or a forked worker, optionally in a new thread of it)
 * and answered with a struct fz_res.  The main process generates each
 * operation from the seed and the model, predicts its outcome from the
 * model, has it executed, compares, updates the model and checks the
 * driver's published state (debugfs, /proc/PID/maps, the fault ring)
 * against the model.  Operations run one at a time, so the model is exact;
 * only the blocked-access operation overlaps two of them, on purpose.
 */
#ifndef VPM_FUZZ_H
#define VPM_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "vfio_test.h"
#include "ring_lib.h"

#define FZ_MAX_PROCS	4	/* main + 3 workers */
#define FZ_MAX_MAPS	60	/* vmas of the devices per process */
#define FZ_MAX_ONESW	64	/* writes through all-ones pages per process */
#define FZ_MEM_SLOTS	(1U << 15)	/* ivshmem words the model remembers */

enum fz_devid { FZ_EDU, FZ_IVSHMEM, FZ_NVME, FZ_EDU2, FZ_NDEV };

/* The model's states (the driver's enum vpm_state, in its order). */
enum fz_state { ST_ENABLED, ST_MEM_DISABLED, ST_LOW_POWER, ST_RESETTING,
		ST_REVOKED, ST_NR };

/* Commands a process executes. */
enum fz_kind {
	C_MMAP, C_MUNMAP, C_MPROTECT, C_MREMAP, C_READ, C_WRITE, C_PREAD,
	C_PWRITE, C_MEM, C_PM, C_LP, C_RESET, C_SYSFS_RESET, C_POLICY_SET,
	C_POLICY_GET, C_HOLD, C_EXIT, C_NR
};

struct fz_cmd {
	int kind;
	int dev;
	int thread;		/* run it in a new thread of the process */
	uint32_t region;
	uint64_t off;		/* region offset (mmap, pread, pwrite) */
	uint64_t len;
	uint64_t align, misalign;
	uint64_t addr;		/* vaddr (munmap, mprotect, mremap, touch) */
	uint64_t len2;		/* mremap's new length */
	int move;		/* mremap: move to a new place */
	int prot;
	uint32_t val;		/* value written; on/off; policy index */
	struct vfio_pci_mmap_access_policy pol;
};

struct fz_res {
	long ret;		/* 0 or a count, -errno on failure */
	uint64_t addr;		/* mmap, mremap */
	uint32_t val;		/* read value */
	int probe;		/* enum vt_probe of a touch */
	double secs;		/* how long it took */
	struct vfio_pci_mmap_access_policy pol;	/* policy GET */
};

/* One vma of the device in one process, as the model sees it. */
struct fz_map {
	bool used;
	bool pinned;		/* the main process's ring view: kept */
	int dev;
	uint32_t region;
	uint64_t start, end;
	uint64_t roff;		/* offset within the region of start */
	int prot;
};

struct fz_onesw {
	uint64_t addr;
	uint32_t val;
};

struct fz_proc {
	bool live;
	pid_t pid;
	int tofd, fromfd;	/* pipes to and from a worker */
	struct fz_map m[FZ_MAX_MAPS];
	struct fz_onesw ow[FZ_MAX_ONESW];
	int now;
	bool ow_full;		/* records dropped: accept any all-ones page value */
};

struct fz_rec {			/* what the model expects in one ring entry */
	uint16_t type, reason;
	uint32_t flags, perm, region;
	uint64_t seq, addr, roff;
};

struct fz_dev {
	const char *name;
	const char *env;
	bool present;
	char bdf[64];
	struct vt_dev d;
	struct ring ring;
	bool ring_ok;
	uint32_t bar;		/* the BAR the tester maps */
	uint64_t bar_size;
	struct vt_region reg;
	uint32_t pm_cap;
	uint64_t msix_start, msix_end;	/* MSI-X table in the BAR */
	bool lp_ok;		/* LOW_POWER_ENTRY answers */
	/* model: the core's view and this driver's */
	bool mem_on, d3hot, rt_lp, window;
	bool revoked;		/* hot-unplugged: terminal */
	struct vfio_pci_mmap_access_policy pol;
	bool live_known;	/* edu liveness register */
	uint32_t live;
	uint32_t known_val;	/* nvme VS */
	long refused;		/* debugfs refused, expected */
	long blocked;		/* debugfs blocked, last read */
	/* the fault ring */
	uint32_t nr, prod, cons;
	uint64_t seq, lost, invalid, produced;
	bool cons_bad;
	struct fz_rec *ent;
};

#endif /* VPM_FUZZ_H */
