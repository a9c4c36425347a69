/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one list of the driver's enums and their names.
 *
 * Each list takes two macros: EM(constant, "name") for every entry but the
 * last, EM_END(constant, "name") for the last.  vpm.h expands them into the
 * enums, state.c and the module parameters into name tables, and the trace
 * header into TRACE_DEFINE_ENUM() and __print_symbolic() tables, so a name
 * is written once and the trace output, debugfs and the parameters agree.
 *
 * States (enum vpm_state): whether user mappings of the device may reach it.
 *   enabled       memory decoding on, device in D0: faults map the BAR
 *   mem_disabled  PCI_COMMAND_MEMORY clear: faults get SIGBUS
 *   low_power     D3hot or runtime low power engaged: SIGBUS
 *   resetting     inside a reset window: SIGBUS
 *   revoked       the device is being removed; terminal: SIGBUS or all-ones
 *
 * Reasons (enum vpm_reason): why a transition or a zap happened.
 *   open, close          the device was opened / closed
 *   reset_ioctl          VFIO_DEVICE_RESET
 *   hot_reset            VFIO_DEVICE_PCI_HOT_RESET
 *   reset_prepare        a reset this driver did not ask for (sysfs, a
 *                        sibling's bus reset, FLR by another path)
 *   reset_done           the PCI core finished a reset
 *   config_write         a config-space write (PCI_COMMAND, PM_CTRL, FLR)
 *   low_power_entry/exit VFIO_DEVICE_FEATURE_LOW_POWER_*
 *   ioctl                state re-read after an ioctl
 *   observed_at_fault    a change the driver could not see when it happened
 *                        (low-power exit inside the core's runtime resume)
 *   request              vfio asked for the device back (unbind, unplug)
 *
 * Revoke modes (enum vpm_revoke_mode): what a revoked mapping serves.
 *   auto    module parameter only: ones when the user registered a request
 *           eventfd (a cooperative user such as QEMU), sigbus otherwise
 *   sigbus  every access gets SIGBUS
 *   ones    reads return all-ones, like a surprise-removed device; writes
 *           go to a private page of their own address (ones.c)
 *
 * Access decisions (enum vpm_access): map, sigbus, ones (the revoked
 * device's all-ones page).
 *
 * Why a vma entered the tracking list (enum vpm_track_why): mmap, fork,
 * split (munmap/mprotect/mlock of part of it), mremap.
 *
 * Zap scopes (enum vpm_zap_scope): all (BARs and fault ring), bars (what
 * vfio-pci-core zaps by itself on memory disable, D3hot, low-power entry).
 */
#ifndef VFIO_PCI_MMAP_NAMES_H
#define VFIO_PCI_MMAP_NAMES_H

#define VPM_STATE_LIST(EM, EM_END)					\
	EM(VPM_STATE_ENABLED,		"enabled")		\
	EM(VPM_STATE_MEM_DISABLED,	"mem_disabled")		\
	EM(VPM_STATE_LOW_POWER,		"low_power")		\
	EM(VPM_STATE_RESETTING,		"resetting")		\
	EM_END(VPM_STATE_REVOKED,		"revoked")

#define VPM_REASON_LIST(EM, EM_END)				\
	EM(VPM_REASON_OPEN,		"open")			\
	EM(VPM_REASON_CLOSE,		"close")		\
	EM(VPM_REASON_RESET_IOCTL,	"reset_ioctl")		\
	EM(VPM_REASON_HOT_RESET,	"hot_reset")		\
	EM(VPM_REASON_RESET_PREPARE,	"reset_prepare")	\
	EM(VPM_REASON_RESET_DONE,	"reset_done")		\
	EM(VPM_REASON_CONFIG_WRITE,	"config_write")		\
	EM(VPM_REASON_LOW_POWER_ENTRY,	"low_power_entry")	\
	EM(VPM_REASON_LOW_POWER_EXIT,	"low_power_exit")	\
	EM(VPM_REASON_IOCTL,		"ioctl")		\
	EM(VPM_REASON_OBSERVED_AT_FAULT, "observed_at_fault")	\
	EM_END(VPM_REASON_REQUEST,		"request")

#define VPM_REVOKE_LIST(EM, EM_END)				\
	EM(VPM_REVOKE_AUTO,		"auto")			\
	EM(VPM_REVOKE_SIGBUS,		"sigbus")		\
	EM_END(VPM_REVOKE_ONES,		"ones")

#define VPM_ACCESS_LIST(EM, EM_END)				\
	EM(VPM_ACCESS_MAP,		"map")			\
	EM(VPM_ACCESS_SIGBUS,		"sigbus")		\
	EM_END(VPM_ACCESS_ONES,		"ones")

#define VPM_TRACK_LIST(EM, EM_END)					\
	EM(VPM_TRACK_MMAP,		"mmap")			\
	EM(VPM_TRACK_FORK,		"fork")			\
	EM(VPM_TRACK_SPLIT,		"split")		\
	EM_END(VPM_TRACK_MREMAP,		"mremap")

#define VPM_ZAP_SCOPE_LIST(EM, EM_END)				\
	EM(VPM_ZAP_ALL,			"all")			\
	EM_END(VPM_ZAP_BARS,		"bars")

/* Expanders for the users of the lists above. */
#define VPM_NAMES_ENUM(a, b)	a,
#define VPM_NAMES_STRING(a, b)	[(a)] = (b),

/* The enums, from the lists. */
enum vpm_state {
	VPM_STATE_LIST(VPM_NAMES_ENUM, VPM_NAMES_ENUM)
	VPM_STATE_NR,
};

enum vpm_reason {
	VPM_REASON_LIST(VPM_NAMES_ENUM, VPM_NAMES_ENUM)
	VPM_REASON_NR,
};

enum vpm_revoke_mode {
	VPM_REVOKE_LIST(VPM_NAMES_ENUM, VPM_NAMES_ENUM)
	VPM_REVOKE_NR,
};

enum vpm_access {
	VPM_ACCESS_LIST(VPM_NAMES_ENUM, VPM_NAMES_ENUM)
};

enum vpm_track_why {
	VPM_TRACK_LIST(VPM_NAMES_ENUM, VPM_NAMES_ENUM)
};

enum vpm_zap_scope {
	VPM_ZAP_SCOPE_LIST(VPM_NAMES_ENUM, VPM_NAMES_ENUM)
};

#endif /* VFIO_PCI_MMAP_NAMES_H */
