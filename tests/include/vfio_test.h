/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio_test.h - a small harness for the mmap behaviour tests, the ring tests
 * and the benchmark (built into the test library, tests/lib/lib.mk).
 *
 * Everything here goes through the VFIO uapi only (legacy container/group
 * API), plus sysfs, debugfs and procfs where a test needs to look at the
 * state the driver publishes.
 *
 * Output is TAP-ish: every check prints "ok - what" or
 * "not ok - what (detail)".  vt_exit() returns 1 if any check failed,
 * VT_SKIP (77) through vt_skip() when a test cannot run here.
 */
#ifndef VFIO_TEST_H
#define VFIO_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <linux/vfio.h>

#if defined(__has_include)
#if __has_include("../../include/uapi/linux/vfio_pci_mmap.h")
#include "../../include/uapi/linux/vfio_pci_mmap.h"
#define VT_HAVE_PROJECT_UAPI 1
#endif
#endif

#define VT_SKIP 77

#define SZ_4K  0x1000UL
#define SZ_2M  0x200000UL
#define SZ_1G  0x40000000UL

/* Region index <-> offset on the device fd (vfio-pci's fixed layout). */
#define VT_REGION_SHIFT 40
#define VT_REGION_OFFSET(idx) ((uint64_t)(idx) << VT_REGION_SHIFT)

/* The known value of edu register 0 (identification). */
#define EDU_ID_VALUE 0x010000edU
#define EDU_REG_ID       0x00
#define EDU_REG_LIVENESS 0x04	/* reads back ~value written */

/* ------------------------------------------------------------------ */
/* Checks and results                                                  */

extern int vt_failures;
extern int vt_checks;

/* Which driver the test is told is bound (see vt_parse_common_args). */
enum vt_driver { VT_DRV_OURS, VT_DRV_STOCK };
extern enum vt_driver vt_driver;
extern const char *vt_driver_name;
static inline bool vt_ours(void) { return vt_driver == VT_DRV_OURS; }

__attribute__((format(printf, 2, 3)))
bool vt_check(bool cond, const char *fmt, ...);
__attribute__((format(printf, 1, 2)))
void vt_note(const char *fmt, ...);
__attribute__((format(printf, 1, 2), noreturn))
void vt_skip(const char *fmt, ...);
__attribute__((format(printf, 1, 2), noreturn))
void vt_bail(const char *fmt, ...);
/* Print "ok - what # SKIP reason" for an assertion not made here. */
__attribute__((format(printf, 2, 3)))
void vt_skip_check(const char *reason, const char *fmt, ...);
int vt_exit(void);
/* Check that r (0 or -errno) is 0, printed as "<fmt...> (0|strerror)". */
__attribute__((format(printf, 2, 3)))
bool vt_check_ok(int r, const char *fmt, ...);

/* Tiny assertion macros: each prints one line and evaluates to the result. */
#define CHECK(cond, ...) vt_check(!!(cond), __VA_ARGS__)

#define CHECK_EQ(a, b, what)						\
	({								\
		unsigned long long __a = (unsigned long long)(a);	\
		unsigned long long __b = (unsigned long long)(b);	\
		vt_check(__a == __b, "%s (got 0x%llx, want 0x%llx)",	\
			 what, __a, __b);				\
	})

#define CHECK_LE(a, b, what)						\
	({								\
		long long __a = (long long)(a);				\
		long long __b = (long long)(b);				\
		vt_check(__a <= __b, "%s (got %lld, want <= %lld)",	\
			 what, __a, __b);				\
	})

/* A syscall-ish call expected to fail with errno e. */
#define CHECK_ERRNO(ret, e, what)					\
	({								\
		long __r = (long)(ret);					\
		int __e = errno;					\
		vt_check(__r == -1 && __e == (e),			\
			 "%s (ret %ld errno %d %s, want %s)", what, __r,\
			 __r == -1 ? __e : 0,				\
			 __r == -1 ? strerror(__e) : "-",		\
			 strerror(e));					\
	})

/*
 * Parse the options every program takes:
 *   --driver vfio-pci|vfio-pci-mmap   (default: $DRIVER, else vfio-pci-mmap)
 *   --bdf BDF                          (default: the env var named env_bdf)
 * Returns the index of the first unparsed argument.  Unknown options are
 * left for the caller (argv order is kept).
 */
int vt_parse_common_args(int argc, char **argv, const char *env_bdf,
			 const char **bdf);
/* The BDF to use, or vt_skip() with a reason. */
const char *vt_require_bdf(const char *bdf, const char *env_name);

/* ------------------------------------------------------------------ */
/* Device access                                                       */

#define VT_NUM_STD_REGIONS 9	/* BAR0-5, ROM, config, VGA */

struct vt_dev {
	char bdf[64];
	int group_id;
	int container;
	int group;
	int fd;
	uint32_t num_regions;
	uint32_t num_irqs;
	uint64_t region_off[VT_NUM_STD_REGIONS];
	uint64_t region_size[VT_NUM_STD_REGIONS];
	uint32_t region_flags[VT_NUM_STD_REGIONS];
};

/*
 * Open BDF through the legacy container/group API.  Returns 0, or a
 * negative errno with *why set to a static description of the step that
 * failed.
 */
int vt_open(struct vt_dev *d, const char *bdf, const char **why);
/* vt_open, or vt_skip()/vt_bail() with the reason. */
void vt_open_or_skip(struct vt_dev *d, const char *bdf);
void vt_close(struct vt_dev *d);

#define VT_MAX_AREAS 8
struct vt_region {
	uint32_t index;
	uint32_t flags;
	uint64_t size;
	uint64_t offset;
	bool sparse;
	uint32_t nr_areas;
	struct { uint64_t offset, size; } areas[VT_MAX_AREAS];
	bool msix_mappable;
	uint32_t ncaps;		/* capabilities seen in the chain */
};

/* VFIO_DEVICE_GET_REGION_INFO with the capability chain walked. */
int vt_region_info(struct vt_dev *d, uint32_t index, struct vt_region *r);
void vt_print_region(const struct vt_region *r);

int vt_cfg_read(struct vt_dev *d, uint32_t off, void *buf, size_t len);
int vt_cfg_write(struct vt_dev *d, uint32_t off, const void *buf, size_t len);
uint8_t vt_cfg_read8(struct vt_dev *d, uint32_t off);
uint16_t vt_cfg_read16(struct vt_dev *d, uint32_t off);
uint32_t vt_cfg_read32(struct vt_dev *d, uint32_t off);
int vt_cfg_write16(struct vt_dev *d, uint32_t off, uint16_t v);
/* Offset of standard capability id in (virtualized) config space, or 0. */
uint32_t vt_find_cap(struct vt_dev *d, uint8_t cap_id);

/* PCI_COMMAND memory enable through the config region. */
int vt_set_memory_enable(struct vt_dev *d, bool on);

int vt_reset(struct vt_dev *d);	/* VFIO_DEVICE_RESET */
/* VFIO_DEVICE_FEATURE set of a data-less feature; returns 0 or -errno. */
int vt_feature_set(struct vt_dev *d, uint32_t feature);
/* Register (fd >= 0) or unregister (fd < 0) the device request eventfd. */
int vt_set_req_eventfd(struct vt_dev *d, int efd);

/* pread/pwrite of a region at offset within it; return bytes or -errno. */
ssize_t vt_region_pread(struct vt_dev *d, uint32_t index, uint64_t off,
			void *buf, size_t len);
ssize_t vt_region_pwrite(struct vt_dev *d, uint32_t index, uint64_t off,
			 const void *buf, size_t len);

/*
 * Map len bytes of region index starting at offset off within it, at an
 * address that is a multiple of align plus misalign (align 0: anywhere).
 * The address range is reserved with a PROT_NONE anonymous mapping of
 * len + align, the device mapping is placed with MAP_FIXED inside it and
 * the unused slack is unmapped again.  Returns MAP_FAILED with errno set.
 */
void *vt_map(struct vt_dev *d, uint32_t index, uint64_t off, size_t len,
	     size_t align, size_t misalign, int prot, int flags);

/* ------------------------------------------------------------------ */
/* Probing accesses                                                    */

enum vt_probe { VT_ACCESS_OK = 0, VT_ACCESS_SIGBUS = 1, VT_ACCESS_SIGSEGV = 2 };

/* Install the SIGBUS/SIGSEGV handler used by the probes (idempotent). */
void vt_probe_init(void);
/* Volatile 32-bit load/store; return which of enum vt_probe happened. */
int vt_probe_read32(const volatile void *p, uint32_t *val);
int vt_probe_write32(volatile void *p, uint32_t val);
/*
 * Read one 32-bit word every stride bytes of [base, base + len) inside a
 * single probe; *done is how far it got, *sum the sum of what it read.
 */
int vt_probe_touch(const volatile void *base, size_t len, size_t stride,
		   size_t *done, uint64_t *sum);
/* Warm up the probe path so that it takes no faults of its own. */
void vt_probe_warm(void);
const char *vt_probe_name(int r);

/* Minor faults so far of this thread / of this process. */
long vt_minflt_thread(void);
long vt_minflt_self(void);

double vt_now(void);	/* CLOCK_MONOTONIC seconds */

/* ------------------------------------------------------------------ */
/* The driver's debugfs and sysfs                                      */

#define VT_DEBUGFS_ROOT "/sys/kernel/debug/vfio-pci-mmap"

struct vt_mapping {
	int pid;
	char comm[32];
	int region;
	uint64_t start, end, pgoff;
	char state[32];
	long faults;
	bool has_pid, has_region, has_start, has_end, has_pgoff, has_faults;
};

#define VT_MAX_MAPPINGS 256
/*
 * Read <debugfs>/<bdf>/mappings into m[max]; returns the number of lines
 * parsed, or -errno if the file cannot be read.  Keys are parsed as
 * key=value tolerantly: unknown keys are ignored, missing keys leave
 * has_* false.
 */
int vt_read_mappings(const char *bdf, struct vt_mapping *m, int max);
/* Only the lines of pid (pid 0: all lines). */
int vt_read_mappings_pid(const char *bdf, int pid, struct vt_mapping *m,
			 int max);
void vt_print_mappings(const char *what, const struct vt_mapping *m, int n);
/* Faults recorded on the line covering addr for pid, or -1 if none. */
long vt_mapping_faults(const char *bdf, int pid, uint64_t addr);
/*
 * Does line m describe [start, end) at page offset pgoff (pages, within
 * the region) of region index?  pgoff is accepted either as the offset
 * within the region or as the raw vm_pgoff (region index in the top bits).
 */
bool vt_mapping_matches(const struct vt_mapping *m, uint32_t region,
			uint64_t start, uint64_t end, uint64_t pgoff_pages);

/* <debugfs>/<bdf>/<name> without trailing newlines and blanks; 0 or -errno. */
int vt_read_debugfs(const char *bdf, const char *name, char *buf, size_t len);
/* Contents of <debugfs>/<bdf>/state (one word), or -errno. */
int vt_read_state(const char *bdf, char *buf, size_t len);
/* <debugfs>/<bdf>/refused: BAR accesses refused with SIGBUS, or -errno. */
long vt_read_refused(const char *bdf);
bool vt_debugfs_present(const char *bdf);

/*
 * For our driver: check (once per bdf per process) that the debugfs files
 * exist and return whether they do.  For stock vfio-pci: false, silently.
 */
bool vt_dbg_ready(const char *bdf);
/* For our driver with debugfs: check that the state file reads want. */
void vt_expect_state(const char *bdf, const char *want);
/* Number of mappings lines of pid, or -errno. */
int vt_count_lines(const char *bdf, int pid);

/* Module parameter of ours, or -errno.  Bracketed choices are unwrapped. */
int vt_read_param(const char *name, char *buf, size_t len);

/* Write a string to a file; returns 0 or -errno. */
int vt_write_file(const char *path, const char *s);
/* The same, opened with O_WRONLY | O_CLOEXEC | flags (O_CREAT: mode 0644). */
int vt_write_file_flags(const char *path, const char *s, int flags);
int vt_read_file(const char *path, char *buf, size_t len);
bool vt_path_exists(const char *path);

/* /sys/bus/pci/devices/<bdf>/reset into path, or vt_skip() if absent. */
void vt_reset_path_or_skip(const char *bdf, char *path, size_t len);

/*
 * Map page 0 of edu's BAR0 with prot (MAP_SHARED) and warm up the probes;
 * NULL after the failed check "mmap BAR0 page 0".  Then one probe read of
 * the identification register: *res is its enum vt_probe, *v the value.
 */
volatile char *vt_map_edu(struct vt_dev *d, int prot, int *res, uint32_t *v);

/* ------------------------------------------------------------------ */
/* tracefs                                                             */

#define VT_TRACEFS "/sys/kernel/tracing"

/* Write s to <tracefs>/<file>; 0 or -errno. */
int vt_trace_write(const char *file, const char *s);
/*
 * Mount tracefs if needed, set the global trace clock and enable the
 * driver's events (NULL-terminated names under events/vfio_pci_mmap/),
 * then clear the buffer (4 MiB) and turn tracing on.  -ENOENT, with the
 * events left disabled, if tracefs or an event is missing.
 */
int vt_trace_start(const char *const *events);
/* Turn tracing off and disable the events again. */
void vt_trace_stop(const char *const *events);
/*
 * Is line of the trace a vpm_state_change of dev ("dev=<bdf> ")?  If so,
 * *in_window follows it into (-> resetting, counted in *windows) and out
 * of (resetting ->) a reset window.
 */
bool vt_trace_window(const char *line, const char *dev, bool *in_window,
		     long *windows);
/* <tracefs>/trace opened for reading, checked as "read the trace"; or NULL. */
FILE *vt_trace_open(void);

#endif /* VFIO_TEST_H */
