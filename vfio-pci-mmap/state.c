// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device state machine: one enum (enum vpm_state), one transition
 * function (vpm_state_transition()), which emits the tracepoint, so that no
 * transition can happen untraced.
 *
 *   state         | fault  | entered by
 *   --------------+--------+------------------------------------------------
 *   enabled       | map    | open, reset done, PCI_COMMAND memory on, D0,
 *                 |        | low-power exit (possibly observed at a fault)
 *   mem_disabled  | SIGBUS | PCI_COMMAND memory cleared
 *   low_power     | SIGBUS | D3hot through PM_CTRL, low-power feature entry
 *   resetting     | SIGBUS | reset_prepare (every PCI reset of the device)
 *   revoked       | SIGBUS | ->request (unbind, hot-unplug); terminal
 *                 | or ones|
 */
#include <linux/pci.h>
#include "vpm.h"
#include "vfio_pci_mmap_trace.h"
#include <kunit/visibility.h>

static const char * const vpm_state_names[VPM_STATE_NR] = {
	VPM_STATE_LIST(VPM_NAMES_STRING, VPM_NAMES_STRING)
};

static const char * const vpm_reason_names[VPM_REASON_NR] = {
	VPM_REASON_LIST(VPM_NAMES_STRING, VPM_NAMES_STRING)
};

/**
 * vpm_state_name() - printable name of a state
 * @state: the state
 *
 * Return: a static string.
 */
const char *vpm_state_name(enum vpm_state state)
{
	return state < VPM_STATE_NR ? vpm_state_names[state] : "invalid";
}
EXPORT_SYMBOL_IF_KUNIT(vpm_state_name);

/**
 * vpm_reason_name() - printable name of a reason
 * @reason: the reason
 *
 * Return: a static string.
 */
const char *vpm_reason_name(enum vpm_reason reason)
{
	return reason < VPM_REASON_NR ? vpm_reason_names[reason] : "invalid";
}
EXPORT_SYMBOL_IF_KUNIT(vpm_reason_name);

/**
 * vpm_state_attach_core() - vfio-pci-core's config state exists from now on
 * @vpm: the device, just enabled by vfio_pci_core_enable()
 *
 * Until this is called (and again after vpm_state_detach_core())
 * vpm_state_of_core() does not look at vdev->vconfig: the open path resets
 * the device before the core allocates it, and the close path frees it
 * under the dev_set lock only (vfio_pci_core_disable()), which a reset
 * through sysfs or a sibling's bus reset does not take.
 */
void vpm_state_attach_core(struct vpm_device *vpm)
{
	down_write(&vpm->state_lock);
	vpm->core_attached = true;
	up_write(&vpm->state_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_state_attach_core);

/**
 * vpm_state_detach_core() - vfio-pci-core's config state is about to go
 * @vpm: the device, before vfio_pci_core_close_device()
 *
 * Waits for any reader of the core's state (a fault, a reset window
 * closing) to finish; none starts after it.
 */
void vpm_state_detach_core(struct vpm_device *vpm)
{
	down_write(&vpm->state_lock);
	vpm->core_attached = false;
	up_write(&vpm->state_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_state_detach_core);

/*
 * What vfio-pci-core's read()/write() tests (__vfio_pci_memory_enabled()):
 * not in D3hot or deeper, and memory decoding on unless the device has no
 * command-register memory enable (SR-IOV VFs).  Runtime low power does not
 * refuse read()/write(): the core resumes the device for them.  The caller
 * holds state_lock and the core is attached.
 */
static bool vpm_core_decodes(struct vpm_device *vpm)
{
	struct pci_dev *pdev = vpm->core.pdev;
	u16 cmd;

	if (!vpm->core_attached)
		return true;
	cmd = le16_to_cpu(READ_ONCE(*(__le16 *)&vpm->core.vconfig[PCI_COMMAND]));
	return (__force int)READ_ONCE(pdev->current_state) <
	       (__force int)PCI_D3hot &&
	       (pdev->no_command_memory || (cmd & PCI_COMMAND_MEMORY));
}

/**
 * vpm_state_of_core() - the access state vfio-pci-core's fields describe
 * @vpm: the device; the caller holds state_lock (read or write), which
 *	keeps the core's config state allocated, and memory_lock for an
 *	exact answer: without it the answer is a hint that the next fault
 *	corrects under memory_lock
 *
 * Mirrors the test vfio_pci_mmap_huge_fault() makes with
 * __vfio_pci_memory_enabled() (drivers/vfio/pci/vfio_pci_config.c), which
 * is not exported: D3hot or deeper, or runtime low power engaged, is low
 * power; otherwise memory decoding follows the virtual PCI_COMMAND unless
 * the device has no command-register memory enable (SR-IOV VFs).
 *
 * Return: VPM_STATE_ENABLED, VPM_STATE_MEM_DISABLED or VPM_STATE_LOW_POWER.
 */
enum vpm_state vpm_state_of_core(struct vpm_device *vpm)
{
	struct vfio_pci_core_device *vdev = &vpm->core;

	lockdep_assert_held(&vpm->state_lock);
	/* Not open: nothing can be mapped, and there is no config state. */
	if (!vpm->core_attached)
		return VPM_STATE_ENABLED;
	if (READ_ONCE(vdev->pm_runtime_engaged) ||
	    (__force int)READ_ONCE(vdev->pdev->current_state) >=
	    (__force int)PCI_D3hot)
		return VPM_STATE_LOW_POWER;
	if (!vpm_core_decodes(vpm))
		return VPM_STATE_MEM_DISABLED;
	return VPM_STATE_ENABLED;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_state_of_core);

/**
 * vpm_access_decide() - what a fault may do
 * @recorded: the state this driver recorded
 * @observed: the state vfio-pci-core's fields describe now
 * @mode: the revoke mode chosen at revocation
 *
 * Recorded resetting and revoked win (the core does not know them); in any
 * other state the core's view decides, so a transition the driver has not
 * seen yet cannot grant access.
 *
 * Return: the decision.
 */
enum vpm_access vpm_access_decide(enum vpm_state recorded,
				  enum vpm_state observed,
				  enum vpm_revoke_mode mode)
{
	if (recorded == VPM_STATE_REVOKED)
		return mode == VPM_REVOKE_ONES ? VPM_ACCESS_ONES :
						 VPM_ACCESS_SIGBUS;
	if (recorded == VPM_STATE_RESETTING)
		return VPM_ACCESS_SIGBUS;
	return observed == VPM_STATE_ENABLED ? VPM_ACCESS_MAP :
					       VPM_ACCESS_SIGBUS;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_access_decide);

/**
 * vpm_gate_enter() - admit an access through read()/write(), as a fault
 * @vpm: the device
 * @mem: the access is to memory space: memory decoding and power matter
 *
 * Takes memory_lock and state_lock for read, the locks a fault holds, so
 * no transition (state_lock for write) happens while the access is at the
 * device, and refuses in the states that refuse a fault.
 *
 * Return: 0 with both locks held, dropped by vpm_gate_exit(); or, with no
 * lock held, -EAGAIN inside a reset window, -ENODEV once revoked, -EIO
 * with memory decoding off or in D3hot (vfio-pci-core's test and errno:
 * runtime low power is resumed by the caller, as the core does).
 */
int vpm_gate_enter(struct vpm_device *vpm, bool mem)
{
	enum vpm_state state;
	int ret = 0;

	down_read(&vpm->core.memory_lock);
	down_read(&vpm->state_lock);
	state = READ_ONCE(vpm->state);
	if (state == VPM_STATE_REVOKED)
		ret = -ENODEV;
	else if (state == VPM_STATE_RESETTING)
		ret = -EAGAIN;
	else if (mem && !vpm_core_decodes(vpm))
		ret = -EIO;
	if (ret)
		vpm_gate_exit(vpm);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_gate_enter);

/**
 * vpm_gate_exit() - end an access admitted by vpm_gate_enter()
 * @vpm: the device
 */
void vpm_gate_exit(struct vpm_device *vpm)
{
	up_read(&vpm->state_lock);
	up_read(&vpm->core.memory_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_gate_exit);

/**
 * vpm_state_transition() - the one place the state changes
 * @vpm: the device
 * @from: the state to leave, or VPM_STATE_ANY
 * @to: the new state
 * @why: the reason, traced
 *
 * Callers hold state_lock for write, except the fault path, which records a
 * transition it observed while holding state_lock for read; the cmpxchg
 * makes exactly one of racing observers win and trace it.  Revoked is
 * terminal.
 *
 * Return: true if the state changed.
 */
bool vpm_state_transition(struct vpm_device *vpm, enum vpm_state from,
			  enum vpm_state to, enum vpm_reason why)
{
	enum vpm_state old = READ_ONCE(vpm->state);

	lockdep_assert_held(&vpm->state_lock);
	do {
		if (old == to || old == VPM_STATE_REVOKED)
			return false;
		if (from != VPM_STATE_ANY && old != from)
			return false;
	} while (!try_cmpxchg(&vpm->state, &old, to));

	trace_vpm_state_change(vpm, old, to, why);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_state_transition);

/**
 * vpm_state_sync() - re-read the core's view after an op that may change it
 * @vpm: the device
 * @why: the reason to trace if the state changed
 *
 * A reset in progress is left to vpm_reset_done().
 */
void vpm_state_sync(struct vpm_device *vpm, enum vpm_reason why)
{
	struct vfio_pci_core_device *vdev = &vpm->core;
	enum vpm_state observed;

	down_read(&vdev->memory_lock);
	down_write(&vpm->state_lock);
	observed = vpm_state_of_core(vpm);
	if (READ_ONCE(vpm->state) != VPM_STATE_RESETTING)
		vpm_state_transition(vpm, VPM_STATE_ANY, observed, why);
	up_write(&vpm->state_lock);
	up_read(&vdev->memory_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_state_sync);

/**
 * vpm_state_init() - initialise the state of a newly probed device
 * @vpm: the device
 */
void vpm_state_init(struct vpm_device *vpm)
{
	init_rwsem(&vpm->state_lock);
	vpm->state = VPM_STATE_ENABLED;
	vpm->revoke_mode = VPM_REVOKE_SIGBUS;
	vpm->reset_why = VPM_REASON_RESET_PREPARE;
	atomic_long_set(&vpm->refused, 0);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_state_init);
