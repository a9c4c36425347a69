// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-mmap: a vfio-pci variant driver whose region mmaps are faulted
 * lazily, tracked per vma, zapped and re-faulted on every transition of the
 * device's memory access state, and revoked on hot-unplug.
 *
 * This file is the variant-driver glue: the vfio_device_ops table (every op
 * this driver does not change points straight at vfio-pci-core) and
 * probe/remove.
 */

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio_pci_core.h>

static int vpm_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;

	vfio_pci_core_finish_enable(vdev);
	return 0;
}

static const struct vfio_device_ops vpm_ops = {
	.name		= "vfio-pci-mmap",
	.init		= vfio_pci_core_init_dev,
	.release	= vfio_pci_core_release_dev,
	.open_device	= vpm_open_device,
	.close_device	= vfio_pci_core_close_device,
	.ioctl		= vfio_pci_core_ioctl,
	.device_feature	= vfio_pci_core_ioctl_feature,
	.read		= vfio_pci_core_read,
	.write		= vfio_pci_core_write,
	.mmap		= vfio_pci_core_mmap,
	.request	= vfio_pci_core_request,
	.match		= vfio_pci_core_match,
	.bind_iommufd	= vfio_iommufd_physical_bind,
	.unbind_iommufd	= vfio_iommufd_physical_unbind,
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
};

static int vpm_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfio_pci_core_device *vdev;
	int ret;

	vdev = vfio_alloc_device(vfio_pci_core_device, vdev, &pdev->dev,
				 &vpm_ops);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);

	dev_set_drvdata(&pdev->dev, vdev);
	ret = vfio_pci_core_register_device(vdev);
	if (ret) {
		pci_err(pdev, "vfio-pci-mmap: cannot register device: %d\n",
			ret);
		vfio_put_device(&vdev->vdev);
		return ret;
	}
	return 0;
}

static void vpm_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vfio_put_device(&vdev->vdev);
}

static const struct pci_device_id vpm_table[] = {
	/* No static ids: bind through driver_override, like vfio-pci. */
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, vpm_table);

static struct pci_driver vpm_driver = {
	.name			= "vfio-pci-mmap",
	.id_table		= vpm_table,
	.probe			= vpm_probe,
	.remove			= vpm_remove,
	.err_handler		= &vfio_pci_core_err_handlers,
	.driver_managed_dma	= true,
};

module_pci_driver(vpm_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-pci variant driver with tracked, lazily faulted, revocable mmaps");
