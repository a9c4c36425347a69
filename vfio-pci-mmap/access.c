// SPDX-License-Identifier: GPL-2.0-only
/*
 * What an access to the device may do: the state vfio-pci-core's fields
 * describe (the core does not tell a variant driver of every change it
 * makes), the decision a fault takes from the recorded and the observed
 * state (state.c records the state), and the gate read() and write() of a
 * BAR go through.
 *
 *   state         | policy          | fault           | read()/write()
 *   --------------+-----------------+-----------------+-----------------
 *   enabled       |                 | map             | the device
 *   resetting     | block (default) | wait, then map; | wait, then the
 *                 |                 | SIGBUS past the | device; -EAGAIN
 *                 |                 | bound           | past the bound
 *                 | sigbus          | SIGBUS          | -EAGAIN
 *   mem_disabled, | sigbus (default)| SIGBUS          | -EIO
 *   low_power     | ones            | all-ones pages  | all-ones, writes
 *                 |                 |                 | dropped
 *   revoked       | auto, sigbus    | SIGBUS          | -ENODEV
 *                 | ones            | all-ones pages  | -ENODEV
 */
#include <linux/jiffies.h>
#include <linux/pci.h>
#include <linux/wait.h>
#include "vpm.h"
#include "exports.h"

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
 * vpm_access_decide() - what an access may do
 * @recorded: the state this driver recorded
 * @observed: the state vfio-pci-core's fields describe now
 * @p: the device's policies; the revoked state's is resolved (not auto)
 * @expired: the reset window has lasted longer than it may block
 *
 * Recorded resetting and revoked win (the core does not know them); in any
 * other state the core's view decides, so a transition the driver has not
 * seen yet cannot grant access.  The refusing state's policy then says
 * what the access gets; a blocking window past its bound ends in SIGBUS.
 *
 * Return: the decision.
 */
enum vpm_access vpm_access_decide(enum vpm_state recorded,
				  enum vpm_state observed,
				  const struct vpm_policies *p, bool expired)
{
	enum vpm_state refusing = observed;
	enum vpm_policy policy;

	if (recorded == VPM_STATE_REVOKED || recorded == VPM_STATE_RESETTING)
		refusing = recorded;
	if (refusing == VPM_STATE_ENABLED)
		return VPM_ACCESS_MAP;
	policy = refusing < VPM_STATE_NR ? p->of[refusing] : VPM_POLICY_SIGBUS;
	if (policy == VPM_POLICY_BLOCK && refusing == VPM_STATE_RESETTING &&
	    !expired)
		return VPM_ACCESS_BLOCK;
	if (policy == VPM_POLICY_ONES && refusing != VPM_STATE_RESETTING)
		return VPM_ACCESS_ONES;
	return VPM_ACCESS_SIGBUS;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_access_decide);

/**
 * vpm_window_expired() - whether the reset window may block no longer
 * @vpm: the device, in a reset window
 *
 * Return: true once the window has been open block_timeout_ms.
 */
bool vpm_window_expired(struct vpm_device *vpm)
{
	unsigned long bound =
		msecs_to_jiffies(READ_ONCE(vpm_policies_of(vpm)->block_timeout_ms));

	return time_after_eq(jiffies, READ_ONCE(vpm->window_start) + bound);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_window_expired);

/**
 * vpm_window_wait() - wait until the reset window closes or may block no more
 * @vpm: the device; the caller holds none of this driver's locks, nor
 *	memory_lock (the window's close takes them)
 *
 * Return: 0, or -EINTR when a fatal signal is pending.
 */
int vpm_window_wait(struct vpm_device *vpm)
{
	unsigned long deadline = READ_ONCE(vpm->window_start) +
		msecs_to_jiffies(READ_ONCE(vpm_policies_of(vpm)->block_timeout_ms));
	long left = (long)(deadline - jiffies);

	if (left <= 0)
		return 0;
	if (wait_event_killable_timeout(vpm->window_wq,
					READ_ONCE(vpm->state) !=
					VPM_STATE_RESETTING, left) < 0)
		return -EINTR;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_window_wait);

/*
 * The gate's decision, under memory_lock and state_lock: what
 * vfio-pci-core tests for read()/write() (runtime low power does not
 * refuse: the caller resumes the device) and the device's policies.
 */
static enum vpm_access vpm_gate_decide(struct vpm_device *vpm, bool mem,
				       enum vpm_state *refusing)
{
	enum vpm_state recorded = READ_ONCE(vpm->state);
	enum vpm_state observed = VPM_STATE_ENABLED;

	if (mem && !vpm_core_decodes(vpm))
		observed = (__force int)READ_ONCE(vpm->core.pdev->current_state) >=
			   (__force int)PCI_D3hot ? VPM_STATE_LOW_POWER :
						    VPM_STATE_MEM_DISABLED;
	*refusing = recorded == VPM_STATE_RESETTING ||
		    recorded == VPM_STATE_REVOKED ? recorded : observed;
	return vpm_access_decide(recorded, observed, vpm_policies_of(vpm),
				 recorded == VPM_STATE_RESETTING &&
				 vpm_window_expired(vpm));
}

/* A refused read()/write(): vfio-pci-core's errno, or ours for our states. */
static int vpm_gate_errno(enum vpm_state refusing)
{
	switch (refusing) {
	case VPM_STATE_RESETTING:
		return -EAGAIN;
	case VPM_STATE_REVOKED:
		return -ENODEV;
	default:
		return -EIO;
	}
}

/**
 * vpm_gate_enter() - admit an access through read()/write(), as a fault
 * @vpm: the device
 * @mem: the access is to memory space: memory decoding and power matter
 *
 * Takes memory_lock and state_lock for read, the locks a fault holds, so
 * no transition (state_lock for write) happens while the access is at the
 * device, and decides as a fault does: a reset window under the block
 * policy is waited out with no lock held; the ones policy serves the
 * access as a device that does not decode (except once revoked: the
 * device is gone, and read()/write() say so).
 *
 * Return: 0 with both locks held, dropped by vpm_gate_exit(); or, with no
 * lock held, VPM_GATE_ONES (reads see all-ones, writes are dropped),
 * -EAGAIN inside a reset window, -ENODEV once revoked, -EIO with memory
 * decoding off or in D3hot (vfio-pci-core's test and errno), -EINTR when
 * killed while blocked.
 */
int vpm_gate_enter(struct vpm_device *vpm, bool mem)
{
	enum vpm_state refusing;
	enum vpm_access access;
	int ret;

	for (;;) {
		down_read(&vpm->core.memory_lock);
		down_read(&vpm->state_lock);
		access = vpm_gate_decide(vpm, mem, &refusing);
		if (access == VPM_ACCESS_MAP)
			return 0;
		vpm_gate_exit(vpm);
		if (access != VPM_ACCESS_BLOCK)
			break;
		ret = vpm_window_wait(vpm);
		if (ret)
			return ret;
	}
	if (access == VPM_ACCESS_ONES && refusing != VPM_STATE_REVOKED)
		return VPM_GATE_ONES;
	return vpm_gate_errno(refusing);
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

