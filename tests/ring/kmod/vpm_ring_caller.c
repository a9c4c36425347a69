// SPDX-License-Identifier: GPL-2.0-only
/*
 * vpm_ring_caller - test module for vfio_pci_mmap_report_fault(), the way
 * other kernel code reports a device's DMA faults into its fault ring.
 *
 *   insmod vpm_ring_caller.ko bdf=0000:01:00.0 count=N
 *
 * At load it reports: malformed records (expects -EINVAL), a record for a
 * device that is not bound to vfio-pci-mmap (the device's upstream bridge;
 * expects -ENODEV), then N records for @bdf from a hard-interrupt hrtimer,
 * N from a softirq timer and N from process context with interrupts off.
 * Record i of each batch has addr = base + i (base 0x10000000 for hardirq,
 * 0x20000000 softirq, 0x30000000 irqs-off), type DMA, reason PTE_FETCH,
 * PASID 0x77, perm READ|PRIV.  The outcome is left in the read-only
 * parameters ok, nospc, enodev, einval, other, hardirq; the module stays
 * loaded until removed.
 */
#include <linux/completion.h>
#include <linux/hardirq.h>
#include <linux/hrtimer.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/timer.h>
#include "include/uapi/linux/vfio_pci_mmap.h"	/* -I<repository> */
#include "vfio-pci-mmap/fault_ring.h"

static char *bdf;
module_param(bdf, charp, 0444);
static unsigned int count = 16;
module_param(count, uint, 0444);

static unsigned int ok, nospc, enodev, einval, other, hardirq;
module_param(ok, uint, 0444);
module_param(nospc, uint, 0444);
module_param(enodev, uint, 0444);
module_param(einval, uint, 0444);
module_param(other, uint, 0444);
module_param(hardirq, uint, 0444);

static struct pci_dev *pdev;
static struct hrtimer hrt;
static struct timer_list tl;
static unsigned int fired_hard, fired_soft;
static DECLARE_COMPLETION(hard_done);
static DECLARE_COMPLETION(soft_done);

static void tally(int ret)
{
	switch (ret) {
	case 0:
		ok++;
		break;
	case -ENOSPC:
		nospc++;
		break;
	case -ENODEV:
		enodev++;
		break;
	case -EINVAL:
		einval++;
		break;
	default:
		other++;
		break;
	}
}

static void report(u64 addr)
{
	struct vfio_pci_mmap_fault_record r = {
		.type = VFIO_PCI_MMAP_FAULT_TYPE_DMA,
		.reason = VFIO_PCI_MMAP_FAULT_REASON_PTE_FETCH,
		.flags = VFIO_PCI_MMAP_FAULT_F_PASID_VALID |
			 VFIO_PCI_MMAP_FAULT_F_ADDR_VALID,
		.pasid = 0x77,
		.addr = addr,
		.perm = VFIO_PCI_MMAP_FAULT_PERM_READ |
			VFIO_PCI_MMAP_FAULT_PERM_PRIV,
	};

	tally(vfio_pci_mmap_report_fault(pdev, &r));
}

static enum hrtimer_restart hrt_fn(struct hrtimer *t)
{
	if (in_hardirq())
		hardirq++;
	report(0x10000000ULL + fired_hard);
	if (++fired_hard < count) {
		hrtimer_forward_now(t, ns_to_ktime(100 * NSEC_PER_USEC));
		return HRTIMER_RESTART;
	}
	complete(&hard_done);
	return HRTIMER_NORESTART;
}

static void tl_fn(struct timer_list *t)
{
	report(0x20000000ULL + fired_soft);
	if (++fired_soft < count)
		mod_timer(&tl, jiffies + 1);
	else
		complete(&soft_done);
}

static int __init caller_init(void)
{
	struct vfio_pci_mmap_fault_record bad = {
		.type = VFIO_PCI_MMAP_FAULT_TYPE_DMA,
	};
	unsigned int dom, bus, dev, fn, i;
	unsigned long flags;

	if (!bdf || sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return -EINVAL;
	pdev = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(dev, fn));
	if (!pdev)
		return -ENODEV;

	/* Malformed: no type, bad type, unknown flag, unknown perm. */
	bad.type = 0;
	tally(vfio_pci_mmap_report_fault(pdev, &bad));
	bad.type = VFIO_PCI_MMAP_FAULT_TYPE_MAX + 1;
	tally(vfio_pci_mmap_report_fault(pdev, &bad));
	bad.type = VFIO_PCI_MMAP_FAULT_TYPE_DMA;
	bad.flags = 1U << 31;
	tally(vfio_pci_mmap_report_fault(pdev, &bad));
	bad.flags = 0;
	bad.perm = 1U << 31;
	tally(vfio_pci_mmap_report_fault(pdev, &bad));
	tally(vfio_pci_mmap_report_fault(NULL, &bad));
	/* Not ours: the upstream bridge. */
	if (pdev->bus->self) {
		bad.perm = 0;
		tally(vfio_pci_mmap_report_fault(pdev->bus->self, &bad));
	}

	hrtimer_init(&hrt, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	hrt.function = hrt_fn;
	hrtimer_start(&hrt, ns_to_ktime(100 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_HARD);
	wait_for_completion(&hard_done);

	timer_setup(&tl, tl_fn, 0);
	mod_timer(&tl, jiffies + 1);
	wait_for_completion(&soft_done);

	for (i = 0; i < count; i++) {
		local_irq_save(flags);
		report(0x30000000ULL + i);
		local_irq_restore(flags);
	}

	pr_info("vpm_ring_caller: %s: ok %u nospc %u enodev %u einval %u other %u hardirq %u\n",
		bdf, ok, nospc, enodev, einval, other, hardirq);
	return 0;
}

static void __exit caller_exit(void)
{
	hrtimer_cancel(&hrt);
	timer_shutdown_sync(&tl);
	pci_dev_put(pdev);
}

module_init(caller_init);
module_exit(caller_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test caller of vfio_pci_mmap_report_fault()");
