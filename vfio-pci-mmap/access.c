// SPDX-License-Identifier: GPL-2.0-only
/*
 * What an access to the device may do: the state vfio-pci-core's fields
 * describe (the core does not tell a variant driver of every change it
 * makes), the decision a fault takes from the recorded and the observed
 * state (state.c records the state), and the gate read() and write() of a
 * BAR go through.
 *
 *   state         | fault  | read()/write()
 *   --------------+--------+---------------
 *   enabled       | map    | the device
 *   mem_disabled  | SIGBUS | -EIO
 *   low_power     | SIGBUS | -EIO (D3hot; runtime low power is resumed)
 *   resetting     | SIGBUS | -EAGAIN
 *   revoked       | SIGBUS | -ENODEV
 *                 | or ones|
 */
#include <linux/pci.h>
#include "vpm.h"
#include <kunit/visibility.h>

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

