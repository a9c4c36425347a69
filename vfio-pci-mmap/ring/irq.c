// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fault ring's IRQ index (VPM_RING_IRQ_INDEX, right after vfio-pci's
 * own): one eventfd, signalled by the producers after each batch.  Changes
 * are serialised by ring->igate, a mutex taken from the ioctl path with no
 * other lock of this driver held; producers read the eventfd under RCU,
 * and a replaced one is put after a grace period.  vpm_ring_unpublish()
 * drops it when the device is closed.
 */
#include <linux/eventfd.h>
#include <linux/rcupdate.h>
#include <linux/uaccess.h>
#include <linux/vfio_pci_core.h>
#include "vpm.h"
#include "fault_ring.h"
#include "ring.h"

/* Install @ctx (may be NULL) as the trigger; igate held. */
static void vpm_ring_set_trigger(struct vpm_ring *ring, struct eventfd_ctx *ctx)
{
	struct eventfd_ctx *old;

	lockdep_assert_held(&ring->igate);
	old = rcu_replace_pointer(ring->trigger, ctx,
				  lockdep_is_held(&ring->igate));
	if (old) {
		synchronize_rcu();
		eventfd_ctx_put(old);
	}
}

static int vpm_ring_set_irqs(struct vpm_ring *ring, u32 flags, u32 count,
			     s32 fd, u8 trigger)
{
	struct eventfd_ctx *ctx;

	lockdep_assert_held(&ring->igate);

	switch (flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		if (!count) {
			vpm_ring_set_trigger(ring, NULL);
			return 0;
		}
		ctx = rcu_dereference_protected(ring->trigger,
						lockdep_is_held(&ring->igate));
		if (!ctx)
			return -EINVAL;
		eventfd_signal(ctx);
		return 0;
	case VFIO_IRQ_SET_DATA_BOOL:
		if (!count)
			return -EINVAL;
		ctx = rcu_dereference_protected(ring->trigger,
						lockdep_is_held(&ring->igate));
		if (ctx && trigger)
			eventfd_signal(ctx);
		return 0;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		if (!count || fd == -1) {
			vpm_ring_set_trigger(ring, NULL);
			return 0;
		}
		if (fd < 0)
			return -EINVAL;
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
		vpm_ring_set_trigger(ring, ctx);
		return 0;
	default:
		return -EINVAL;
	}
}

static long vpm_ring_ioctl_set_irqs(struct vpm_ring *ring,
				    struct vfio_irq_set __user *uarg,
				    struct vfio_irq_set *hdr)
{
	size_t data_size = 0;
	s32 fd = -1;
	u8 trigger = 0;
	int ret;

	ret = vfio_set_irqs_validate_and_prepare(hdr, 1,
						 VPM_RING_IRQ_INDEX + 1,
						 &data_size);
	if (ret)
		return ret;
	if ((hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) !=
	    VFIO_IRQ_SET_ACTION_TRIGGER)
		return -EINVAL;

	/* count is 0 or 1: at most one datum. */
	if (data_size == sizeof(fd)) {
		if (copy_from_user(&fd, uarg->data, sizeof(fd)))
			return -EFAULT;
	} else if (data_size == sizeof(trigger)) {
		if (copy_from_user(&trigger, uarg->data, sizeof(trigger)))
			return -EFAULT;
	}

	mutex_lock(&ring->igate);
	ret = vpm_ring_set_irqs(ring, hdr->flags, hdr->count, fd, trigger);
	mutex_unlock(&ring->igate);
	return ret;
}

/* VFIO_DEVICE_GET_INFO: the core's answer with num_irqs raised by one. */
static long vpm_ring_ioctl_get_info(struct vpm_device *vpm, unsigned int cmd,
				    unsigned long arg)
{
	struct vfio_device_info __user *uinfo = (void __user *)arg;
	long ret;

	ret = vfio_pci_core_ioctl(&vpm->core.vdev, cmd, arg);
	if (ret)
		return ret;
	/* The core checked argsz covers num_irqs. */
	return put_user(VPM_RING_IRQ_INDEX + 1, &uinfo->num_irqs);
}

/* VFIO_DEVICE_GET_IRQ_INFO of the ring's index; the core's otherwise. */
static long vpm_ring_ioctl_irq_info(void __user *uarg, bool *handled)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, uarg, minsz))
		return 0;	/* let the core fail it */
	if (info.index != VPM_RING_IRQ_INDEX)
		return 0;
	*handled = true;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
	info.count = 1;
	return copy_to_user(uarg, &info, minsz) ? -EFAULT : 0;
}

/**
 * vpm_ring_ioctl() - the ring's part of the device ioctls
 * @vpm: the device
 * @cmd: the ioctl
 * @arg: its argument
 * @handled: set when the ring answered; the caller delegates otherwise
 *
 * VFIO_DEVICE_GET_INFO is answered through vfio-pci-core with num_irqs
 * raised by one; VFIO_DEVICE_GET_IRQ_INFO and VFIO_DEVICE_SET_IRQS are
 * answered for the ring's IRQ index (VFIO_PCI_NUM_IRQS): one eventfd,
 * ACTION_TRIGGER only; DATA_EVENTFD sets it (fd -1 or count 0 clears it),
 * DATA_NONE with count 0 clears it, DATA_NONE/DATA_BOOL with count 1
 * signal it (loopback, as vfio-pci's own indexes).
 *
 * Return: the ioctl's result when *@handled is set.
 */
long vpm_ring_ioctl(struct vpm_device *vpm, unsigned int cmd,
		    unsigned long arg, bool *handled)
{
	struct vpm_ring *ring = vpm_ring_of(vpm);
	void __user *uarg = (void __user *)arg;

	*handled = false;
	if (!ring)
		return 0;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		*handled = true;
		return vpm_ring_ioctl_get_info(vpm, cmd, arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return vpm_ring_ioctl_irq_info(uarg, handled);
	case VFIO_DEVICE_SET_IRQS: {
		unsigned long minsz = offsetofend(struct vfio_irq_set, count);
		struct vfio_irq_set hdr;

		if (copy_from_user(&hdr, uarg, minsz))
			return 0;
		if (hdr.index != VPM_RING_IRQ_INDEX)
			return 0;
		*handled = true;
		return vpm_ring_ioctl_set_irqs(ring, uarg, &hdr);
	}
	}
	return 0;
}
