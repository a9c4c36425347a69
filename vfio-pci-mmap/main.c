// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-mmap: a vfio-pci variant driver whose region mmaps are faulted
 * lazily, tracked per vma, zapped and re-faulted on every transition of the
 * device's memory access state, and revoked on hot-unplug.
 *
 * This file is the variant-driver glue: module parameters, the
 * vfio_device_ops table (every op this driver does not change points
 * straight at vfio-pci-core), the wrappers through which the driver sees
 * transitions, the PCI reset hooks, and probe/remove.
 *
 * The lock order is written at the top of vpm.h.
 */

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vfio_pci_core.h>
#include "../include/uapi/linux/vfio_pci_mmap.h"
#include "vpm.h"
#include "dropin.h"
#include "fault_ring.h"
#include "sparse.h"
#include "exports.h"

bool vpm_param_msix_mappable = true;

module_param_named(msix_mappable, vpm_param_msix_mappable, bool, 0644);
MODULE_PARM_DESC(msix_mappable,
		 "Map MSI-X BARs whole, like vfio-pci (default); 0 leaves the MSI-X table pages out through sparse areas (read at each open)");

static int vpm_init_dev(struct vfio_device *core_vdev)
{
	struct vpm_device *vpm = vpm_from_vfio(core_vdev);

	vpm_state_init(vpm);
	vpm_tracker_init(&vpm->tracker);
	return vfio_pci_core_init_dev(core_vdev);
}

static int vpm_open_device(struct vfio_device *core_vdev)
{
	struct vpm_device *vpm = vpm_from_vfio(core_vdev);
	int ret;

	ret = vfio_pci_core_enable(&vpm->core);
	if (ret)
		return ret;
	vpm_state_attach_core(vpm);
	/* The BARs' memtypes are reserved anew by this open's first mmaps. */
	vpm_bar_prot_forget(vpm);

	ret = vpm_ones_init(vpm);
	if (ret)
		goto err_disable;

	vpm_sparse_setup(vpm);
	vpm_policy_open(vpm);
	ret = vpm_ring_open(vpm);
	if (ret)
		goto err_free_page;

	vfio_pci_core_finish_enable(&vpm->core);
	vpm_state_sync(vpm, VPM_REASON_OPEN);
	return 0;

err_free_page:
	vpm_ones_release(vpm);
err_disable:
	vpm_state_detach_core(vpm);
	vfio_pci_core_disable(&vpm->core);
	return ret;
}

static void vpm_close_device(struct vfio_device *core_vdev)
{
	struct vpm_device *vpm = vpm_from_vfio(core_vdev);

	/* The device file is released: no vma maps the device any more. */
	vpm_ring_close(vpm);
	vpm_state_detach_core(vpm);
	vpm_bar_prot_forget(vpm);
	vfio_pci_core_close_device(core_vdev);
	vpm_ones_release(vpm);
	vpm_tracker_release(&vpm->tracker);
}

/*
 * Whether a config write is about to clear memory decoding or put the
 * device into D3hot: vfio-pci-core then zaps the mappings under
 * memory_lock, and this driver traces that zap.  Reads the user's buffer
 * with no lock held: it may be a mapping of this device.
 */
static bool vpm_config_write_disables(struct vpm_device *vpm,
				      const char __user *buf, size_t count,
				      loff_t pos)
{
	struct vfio_pci_core_device *vdev = &vpm->core;
	struct pci_dev *pdev = vdev->pdev;
	u8 byte;

	if (pos <= PCI_COMMAND && pos + count > PCI_COMMAND &&
	    (vdev->vconfig[PCI_COMMAND] & PCI_COMMAND_MEMORY) &&
	    !get_user(byte, buf + PCI_COMMAND - pos) &&
	    !(byte & PCI_COMMAND_MEMORY))
		return true;

	if (pdev->pm_cap) {
		loff_t ctrl = pdev->pm_cap + PCI_PM_CTRL;

		if (pos <= ctrl && pos + count > ctrl &&
		    !get_user(byte, buf + ctrl - pos) &&
		    (byte & PCI_PM_CTRL_STATE_MASK) == 3)
			return true;
	}
	return false;
}

/*
 * read() and write() of the regions this driver serves itself go to their
 * region kind (vma.c's table): the BARs, through the gate a fault goes
 * through (bar_rw.c), and the fault ring, which is RAM and must not wake
 * the device.  Every other region is the core's.
 */
static ssize_t vpm_rw(struct vpm_device *vpm, char __user *buf, size_t count,
		      loff_t *ppos, bool iswrite)
{
	const struct vpm_region_ops *ops =
		vpm_region_of(vpm, VFIO_PCI_OFFSET_TO_INDEX(*ppos));

	if (!count)	/* as vfio-pci-core: nothing claimed, nothing resumed */
		return 0;
	if (ops)
		return ops->rw(vpm, buf, count, ppos, iswrite);
	if (vpm_revoked(vpm))
		return -ENODEV;
	if (iswrite)
		return vfio_pci_core_write(&vpm->core.vdev, buf, count, ppos);
	return vfio_pci_core_read(&vpm->core.vdev, buf, count, ppos);
}

static ssize_t vpm_read(struct vfio_device *core_vdev, char __user *buf,
			size_t count, loff_t *ppos)
{
	return vpm_rw(vpm_from_vfio(core_vdev), buf, count, ppos, false);
}

static ssize_t vpm_write(struct vfio_device *core_vdev, const char __user *buf,
			 size_t count, loff_t *ppos)
{
	struct vpm_device *vpm = vpm_from_vfio(core_vdev);
	unsigned int index = VFIO_PCI_OFFSET_TO_INDEX(*ppos);
	loff_t pos = *ppos & VFIO_PCI_OFFSET_MASK;
	struct vpm_reset_cause cause;
	struct vpm_zap_span span;
	bool zaps;
	ssize_t ret;

	if (index != VFIO_PCI_CONFIG_REGION_INDEX)
		return vpm_rw(vpm, (char __user *)buf, count, ppos, true);
	if (vpm_revoked(vpm))
		return -ENODEV;

	zaps = vpm_config_write_disables(vpm, buf, count, pos);
	if (zaps)
		vpm_core_zap_begin(vpm, VPM_REASON_CONFIG_WRITE, &span);

	/* A config write resets the device only through an FLR bit. */
	vpm_reset_begin(vpm, &cause, VPM_REASON_CONFIG_WRITE);
	ret = vfio_pci_core_write(core_vdev, buf, count, ppos);
	vpm_reset_end(vpm, &cause);

	if (zaps)
		vpm_core_zap_end(vpm, &span);
	vpm_state_sync(vpm, VPM_REASON_CONFIG_WRITE);
	return ret;
}

static int vpm_mmap_device(struct vfio_device *core_vdev,
			   struct vm_area_struct *vma)
{
	return vpm_mmap(vpm_from_vfio(core_vdev), vma);
}

/*
 * An ioeventfd writes a BAR behind the mappings' back: refuse to set one
 * up in a reset window or once revoked, decided under the gate; tearing
 * one down (fd -1) is always allowed.  One set up before a window can
 * still fire in it: vfio-pci-core's handler checks memory decoding only
 * (vfio_pci_ioeventfd_handler()) and offers no hook.  Malformed requests
 * are the core's to refuse.
 */
static int vpm_ioeventfd_gate(struct vpm_device *vpm, void __user *arg)
{
	struct vfio_device_ioeventfd ioeventfd;
	int ret;

	if (copy_from_user(&ioeventfd, arg,
			   offsetofend(struct vfio_device_ioeventfd, fd)))
		return -EFAULT;
	if (ioeventfd.fd < 0)
		return 0;
	ret = vpm_gate_enter(vpm, false);
	if (!ret)
		vpm_gate_exit(vpm);
	return ret;
}

/* A reset the user asks for: its window carries the ioctl as its reason. */
static long vpm_ioctl_reset(struct vpm_device *vpm, unsigned int cmd,
			    unsigned long arg, enum vpm_reason why)
{
	struct vpm_reset_cause cause;
	long ret;

	vpm_reset_begin(vpm, &cause, why);
	ret = vfio_pci_core_ioctl(&vpm->core.vdev, cmd, arg);
	vpm_reset_end(vpm, &cause);
	vpm_state_sync(vpm, VPM_REASON_IOCTL);
	return ret;
}

static long vpm_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
		      unsigned long arg)
{
	struct vpm_device *vpm = vpm_from_vfio(core_vdev);
	bool handled;
	long ret;

	switch (cmd) {
	case VFIO_DEVICE_GET_REGION_INFO:
		ret = vpm_ioctl_get_region_info(vpm, (void __user *)arg);
		if (ret != -ENOIOCTLCMD)
			return ret;
		break;
	case VFIO_DEVICE_IOEVENTFD:
		ret = vpm_ioeventfd_gate(vpm, (void __user *)arg);
		if (ret)
			return ret;
		break;
	}

	ret = vpm_ring_ioctl(vpm, cmd, arg, &handled);
	if (handled)
		return ret;

	if (cmd == VFIO_DEVICE_RESET)
		return vpm_ioctl_reset(vpm, cmd, arg, VPM_REASON_RESET_IOCTL);
	if (cmd == VFIO_DEVICE_PCI_HOT_RESET)
		return vpm_ioctl_reset(vpm, cmd, arg, VPM_REASON_HOT_RESET);
	return vfio_pci_core_ioctl(core_vdev, cmd, arg);
}

static int vpm_device_feature(struct vfio_device *core_vdev, u32 flags,
			      void __user *arg, size_t argsz)
{
	struct vpm_device *vpm = vpm_from_vfio(core_vdev);
	u32 feature = flags & VFIO_DEVICE_FEATURE_MASK;
	bool set = (flags & VFIO_DEVICE_FEATURE_SET) &&
		   !(flags & VFIO_DEVICE_FEATURE_PROBE);
	bool entry = set &&
		     (feature == VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY ||
		      feature == VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP);
	struct vpm_zap_span span;
	int ret;

	if (feature == VFIO_DEVICE_FEATURE_PCI_MMAP_ACCESS_POLICY)
		return vpm_policy_feature(vpm, flags, arg, argsz);
	if (entry)
		vpm_core_zap_begin(vpm, VPM_REASON_LOW_POWER_ENTRY, &span);

	ret = vfio_pci_core_ioctl_feature(core_vdev, flags, arg, argsz);

	if (entry) {
		vpm_core_zap_end(vpm, &span);
		vpm_state_sync(vpm, VPM_REASON_LOW_POWER_ENTRY);
	} else if (set && feature == VFIO_DEVICE_FEATURE_LOW_POWER_EXIT) {
		vpm_state_sync(vpm, VPM_REASON_LOW_POWER_EXIT);
	}
	return ret;
}

static void vpm_request(struct vfio_device *core_vdev, unsigned int count)
{
	struct vpm_device *vpm = vpm_from_vfio(core_vdev);

	vpm_revoke(vpm);
	vpm_regions_revoke(vpm);
	vfio_pci_core_request(core_vdev, count);
}

static const struct vfio_device_ops vpm_ops = {
	.name		= VPM_DRIVER_NAME,
	.init		= vpm_init_dev,
	.release	= vfio_pci_core_release_dev,
	.open_device	= vpm_open_device,
	.close_device	= vpm_close_device,
	.ioctl		= vpm_ioctl,
	.device_feature	= vpm_device_feature,
	.read		= vpm_read,
	.write		= vpm_write,
	.mmap		= vpm_mmap_device,
	.request	= vpm_request,
	.match		= vfio_pci_core_match,
	.bind_iommufd	= vfio_iommufd_physical_bind,
	.unbind_iommufd	= vfio_iommufd_physical_unbind,
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
};

static int vpm_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vpm_device *vpm;
	int ret;

	if (vpm_dropin_denied(pdev))
		return -EINVAL;
	vpm = vfio_alloc_device(vpm_device, core.vdev, &pdev->dev, &vpm_ops);
	if (IS_ERR(vpm))
		return PTR_ERR(vpm);

	dev_set_drvdata(&pdev->dev, &vpm->core);
	ret = vfio_pci_core_register_device(&vpm->core);
	if (ret) {
		pci_err(pdev, VPM_DRIVER_NAME ": cannot register device: %d\n",
			ret);
		vfio_put_device(&vpm->core.vdev);
		return ret;
	}
	vpm_debugfs_add(vpm);
	return 0;
}

static void vpm_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);
	struct vpm_device *vpm = vpm_from_core(vdev);

	/* Waits for the user, revoking its mappings through ->request. */
	vfio_pci_core_unregister_device(vdev);
	vpm_debugfs_remove(vpm);
	vfio_put_device(&vdev->vdev);
}

static const struct pci_device_id vpm_table[] = {
	/* No static ids: bind through driver_override, like vfio-pci. */
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, vpm_table);

static struct pci_driver vpm_driver = {
	.name			= VPM_DRIVER_NAME,
	.id_table		= vpm_table,
	.probe			= vpm_probe,
	.remove			= vpm_remove,
	.sriov_configure	= vpm_dropin_sriov_configure,
	.err_handler		= &vpm_err_handlers,
	.driver_managed_dma	= true,
};

static int __init vpm_init(void)
{
	int ret;

	vpm_dropin_init();
	vpm_debugfs_init();
	ret = pci_register_driver(&vpm_driver);
	if (ret) {
		vpm_debugfs_exit();
		return ret;
	}
	vpm_dropin_add_ids(&vpm_driver);
	return 0;
}

static void __exit vpm_exit(void)
{
	pci_unregister_driver(&vpm_driver);
	vpm_debugfs_exit();
}

module_init(vpm_init);
module_exit(vpm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-pci variant driver with tracked, lazily faulted, revocable mmaps");
