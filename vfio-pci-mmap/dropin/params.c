// SPDX-License-Identifier: GPL-2.0-only
/*
 * What only the drop-in build (module vfio-pci, see dropin.h) has: the
 * module parameters of the kernel's vfio-pci, with the same meaning.
 *
 *   ids=vendor:device[:subvendor[:subdevice[:class[:class_mask]]]],...
 *		PCI ids the driver binds at load (dynamic ids); a malformed
 *		entry is skipped with a warning and the module loads
 *   nointxmask, disable_vga, disable_idle_d3
 *		handed to vfio-pci-core (vfio_pci_core_set_params()), which
 *		keeps them for every vfio-pci-core driver
 *   enable_sriov
 *		let the PF's sriov_numvfs create VFs
 *   disable_denylist
 *		allow the devices with known errata vfio-pci refuses
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio_pci_core.h>
#include "../dropin.h"

static char vpm_ids[1024] __initdata;
module_param_string(ids, vpm_ids, sizeof(vpm_ids), 0);
MODULE_PARM_DESC(ids,
		 "Initial PCI IDs to add to the driver, \"vendor:device[:subvendor[:subdevice[:class[:class_mask]]]]\", comma separated");

static bool vpm_nointxmask;
module_param_named(nointxmask, vpm_nointxmask, bool, 0644);
MODULE_PARM_DESC(nointxmask, "Disable support for PCI 2.3 style INTx masking");

static bool vpm_disable_vga;
module_param_named(disable_vga, vpm_disable_vga, bool, 0444);
MODULE_PARM_DESC(disable_vga, "Disable VGA resource access (without CONFIG_VFIO_PCI_VGA it always is)");

static bool vpm_disable_idle_d3;
module_param_named(disable_idle_d3, vpm_disable_idle_d3, bool, 0644);
MODULE_PARM_DESC(disable_idle_d3,
		 "Disable using the PCI D3 low power state for idle, unused devices");

static bool vpm_enable_sriov;
module_param_named(enable_sriov, vpm_enable_sriov, bool, 0644);
MODULE_PARM_DESC(enable_sriov, "Enable support for SR-IOV configuration");

static bool vpm_disable_denylist;
module_param_named(disable_denylist, vpm_disable_denylist, bool, 0444);
MODULE_PARM_DESC(disable_denylist,
		 "Disable use of the device denylist (devices with known errata)");

/* The devices vfio-pci 6.12 refuses unless disable_denylist is set. */
static const struct pci_device_id vpm_denylist[] = {
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C3XXX) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C3XXX_VF) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C62X) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C62X_VF) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_DH895XCC) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_DH895XCC_VF) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_DSA_SPR0) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_IAX_SPR0) },
	{}
};

/**
 * vpm_dropin_denied() - whether probe must refuse a denylisted device
 * @pdev: the device
 *
 * Return: true for a device on the denylist, unless disable_denylist.
 */
bool vpm_dropin_denied(struct pci_dev *pdev)
{
	if (!pci_match_id(vpm_denylist, pdev))
		return false;
	if (vpm_disable_denylist) {
		pci_warn(pdev, "device denylist disabled - allowing device %04x:%04x.\n",
			 pdev->vendor, pdev->device);
		return false;
	}
	pci_warn(pdev, "%04x:%04x exists in vfio-pci device denylist, driver probing disallowed.\n",
		 pdev->vendor, pdev->device);
	return true;
}

/**
 * vpm_dropin_sriov_configure() - pci_driver.sriov_configure
 * @pdev: the PF
 * @nr_virtfn: VFs wanted
 *
 * Return: as vfio_pci_core_sriov_configure(); -ENOENT without enable_sriov.
 */
int vpm_dropin_sriov_configure(struct pci_dev *pdev, int nr_virtfn)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	if (!vpm_enable_sriov)
		return -ENOENT;
	return vfio_pci_core_sriov_configure(vdev, nr_virtfn);
}

/* One ids= entry: at least vendor:device, else skipped with a warning. */
static void __init vpm_dropin_add_id(struct pci_driver *drv, const char *id)
{
	unsigned int vendor, device, subvendor = PCI_ANY_ID,
		     subdevice = PCI_ANY_ID, class = 0, class_mask = 0;
	int rc;

	if (sscanf(id, "%x:%x:%x:%x:%x:%x", &vendor, &device, &subvendor,
		   &subdevice, &class, &class_mask) < 2) {
		pr_warn("invalid id string \"%s\"\n", id);
		return;
	}
	rc = pci_add_dynid(drv, vendor, device, subvendor, subdevice, class,
			   class_mask, 0);
	if (rc)
		pr_warn("failed to add dynamic id [%04x:%04x[%04x:%04x]] class %#08x/%08x (%d)\n",
			vendor, device, subvendor, subdevice, class,
			class_mask, rc);
	else
		pr_info("add [%04x:%04x[%04x:%04x]] class %#08x/%08x\n",
			vendor, device, subvendor, subdevice, class,
			class_mask);
}

/**
 * vpm_dropin_init() - hand vfio-pci-core the parameters it keeps
 *
 * Called at module load before pci_register_driver(), as vfio-pci does.
 */
void __init vpm_dropin_init(void)
{
	vfio_pci_core_set_params(vpm_nointxmask,
				 !IS_ENABLED(CONFIG_VFIO_PCI_VGA) ||
				 vpm_disable_vga, vpm_disable_idle_d3);
	if (vpm_disable_denylist)
		pr_warn("device denylist disabled.\n");
}

/**
 * vpm_dropin_add_ids() - add the ids= entries as dynamic ids
 * @drv: the PCI driver, registered
 */
void __init vpm_dropin_add_ids(struct pci_driver *drv)
{
	char *p = vpm_ids, *id;

	while ((id = strsep(&p, ",")))
		if (*id)
			vpm_dropin_add_id(drv, id);
}
