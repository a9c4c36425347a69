// SPDX-License-Identifier: GPL-2.0-only
/*
 * Access policies: what an access to a BAR gets in each state in which the
 * device cannot answer it (the decision itself is access.c's).
 *
 *   state          allowed            default
 *   resetting      block, sigbus      block
 *   mem_disabled   sigbus, ones       sigbus
 *   low_power      sigbus, ones       sigbus
 *   revoked        auto, sigbus, ones auto
 *
 * The module parameters policy_resetting, policy_mem_disabled,
 * policy_low_power, revoke and block_timeout_ms are the policies of every
 * device whose user has not chosen its own: they are read at each access,
 * so an administrator's change applies at once.  The user of a device fd
 * chooses through VFIO_DEVICE_FEATURE_PCI_MMAP_ACCESS_POLICY (the uapi
 * header), for that device until it is closed; only while the device is
 * enabled, so that no window is open whose pages a change would strand.
 * Revocation freezes the policies and resolves auto (state.c).
 */
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include "../include/uapi/linux/vfio_pci_mmap.h"
#include "vpm.h"
#include "exports.h"

static_assert(VPM_POLICY_AUTO == VFIO_PCI_MMAP_POLICY_AUTO);
static_assert(VPM_POLICY_SIGBUS == VFIO_PCI_MMAP_POLICY_SIGBUS);
static_assert(VPM_POLICY_ONES == VFIO_PCI_MMAP_POLICY_ONES);
static_assert(VPM_POLICY_BLOCK == VFIO_PCI_MMAP_POLICY_BLOCK);

#define VPM_BLOCK_TIMEOUT_MAX_MS	600000U

static const char * const vpm_policy_names[VPM_POLICY_NR] = {
	VPM_POLICY_LIST(VPM_NAMES_STRING, VPM_NAMES_STRING)
};

/* The module parameters: every device's policies until its user sets them. */
struct vpm_policies vpm_param_policies = {
	.of = {
		[VPM_STATE_RESETTING]		= VPM_POLICY_BLOCK,
		[VPM_STATE_MEM_DISABLED]	= VPM_POLICY_SIGBUS,
		[VPM_STATE_LOW_POWER]		= VPM_POLICY_SIGBUS,
		[VPM_STATE_REVOKED]		= VPM_POLICY_AUTO,
	},
	.block_timeout_ms = 10000,
};
EXPORT_SYMBOL_IF_KUNIT(vpm_param_policies);

/**
 * vpm_policy_allowed() - whether a state can take a policy
 * @state: the state
 * @policy: the policy
 *
 * Return: true for the pairs in the table at the top of this file.
 */
bool vpm_policy_allowed(enum vpm_state state, enum vpm_policy policy)
{
	switch (state) {
	case VPM_STATE_RESETTING:
		return policy == VPM_POLICY_BLOCK || policy == VPM_POLICY_SIGBUS;
	case VPM_STATE_MEM_DISABLED:
	case VPM_STATE_LOW_POWER:
		return policy == VPM_POLICY_SIGBUS || policy == VPM_POLICY_ONES;
	case VPM_STATE_REVOKED:
		return policy == VPM_POLICY_AUTO || policy == VPM_POLICY_SIGBUS ||
		       policy == VPM_POLICY_ONES;
	default:
		return false;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vpm_policy_allowed);

/* The parameter of one state's policy: its name, checked against the table. */
static int vpm_policy_param_set(const char *val, const struct kernel_param *kp)
{
	enum vpm_state state = (uintptr_t)kp->arg;
	int i = sysfs_match_string(vpm_policy_names, val);

	if (i < 0 || !vpm_policy_allowed(state, i))
		return -EINVAL;
	WRITE_ONCE(vpm_param_policies.of[state], i);
	return 0;
}

static int vpm_policy_param_get(char *buf, const struct kernel_param *kp)
{
	enum vpm_state state = (uintptr_t)kp->arg;

	return sysfs_emit(buf, "%s\n",
			  vpm_policy_names[READ_ONCE(vpm_param_policies.of[state])]);
}

static const struct kernel_param_ops vpm_policy_param_ops = {
	.set = vpm_policy_param_set,
	.get = vpm_policy_param_get,
};

#define VPM_POLICY_PARAM(name, state, desc)				\
	module_param_cb(name, &vpm_policy_param_ops,			\
			(void *)(uintptr_t)(state), 0644);		\
	MODULE_PARM_DESC(name, desc)

VPM_POLICY_PARAM(policy_resetting, VPM_STATE_RESETTING,
		 "What a BAR access gets inside a reset window: block (default: wait until it closes, at most block_timeout_ms, then SIGBUS), sigbus");
VPM_POLICY_PARAM(policy_mem_disabled, VPM_STATE_MEM_DISABLED,
		 "What a BAR access gets with memory decoding off: sigbus (default), ones (reads all-ones, writes dropped)");
VPM_POLICY_PARAM(policy_low_power, VPM_STATE_LOW_POWER,
		 "What a BAR access gets in D3hot or runtime low power: sigbus (default), ones");
VPM_POLICY_PARAM(revoke, VPM_STATE_REVOKED,
		 "What mappings of a removed device serve: auto (ones when the user registered a request eventfd, else sigbus), sigbus, ones");

static int vpm_timeout_param_set(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;

	if (kstrtouint(val, 0, &ms) || !ms || ms > VPM_BLOCK_TIMEOUT_MAX_MS)
		return -EINVAL;
	WRITE_ONCE(vpm_param_policies.block_timeout_ms, ms);
	return 0;
}

static int vpm_timeout_param_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(vpm_param_policies.block_timeout_ms));
}

static const struct kernel_param_ops vpm_timeout_param_ops = {
	.set = vpm_timeout_param_set,
	.get = vpm_timeout_param_get,
};
module_param_cb(block_timeout_ms, &vpm_timeout_param_ops, NULL, 0644);
MODULE_PARM_DESC(block_timeout_ms,
		 "How long a reset window may block an access under the block policy, in ms (1 to 600000, default 10000)");

/**
 * vpm_policy_open() - a newly opened device follows the module parameters
 * @vpm: the device
 */
void vpm_policy_open(struct vpm_device *vpm)
{
	down_write(&vpm->state_lock);
	WRITE_ONCE(vpm->policy_set, false);
	up_write(&vpm->state_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_policy_open);

/**
 * vpm_policy_freeze() - fix the policies of a device being revoked
 * @vpm: the device; the caller holds state_lock for write
 * @revoked: the revoked state's policy, resolved (not auto)
 */
void vpm_policy_freeze(struct vpm_device *vpm, enum vpm_policy revoked)
{
	lockdep_assert_held_write(&vpm->state_lock);
	if (!vpm->policy_set)
		vpm->policy = vpm_param_policies;
	vpm->policy.of[VPM_STATE_REVOKED] = revoked;
	WRITE_ONCE(vpm->policy_set, true);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_policy_freeze);

static int vpm_policy_from_user(struct vfio_pci_mmap_access_policy *u,
				struct vpm_policies *p)
{
	static const enum vpm_state states[] = {
		VPM_STATE_RESETTING, VPM_STATE_MEM_DISABLED,
		VPM_STATE_LOW_POWER, VPM_STATE_REVOKED,
	};
	const u32 vals[] = {
		u->resetting, u->mem_disabled, u->low_power, u->revoked,
	};
	unsigned int i;

	if (u->reserved || !u->block_timeout_ms ||
	    u->block_timeout_ms > VPM_BLOCK_TIMEOUT_MAX_MS)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	for (i = 0; i < ARRAY_SIZE(states); i++) {
		if (vals[i] >= VPM_POLICY_NR ||
		    !vpm_policy_allowed(states[i], vals[i]))
			return -EINVAL;
		p->of[states[i]] = vals[i];
	}
	p->block_timeout_ms = u->block_timeout_ms;
	return 0;
}

static void vpm_policy_to_user(const struct vpm_policies *p,
			       struct vfio_pci_mmap_access_policy *u)
{
	memset(u, 0, sizeof(*u));
	u->resetting = READ_ONCE(p->of[VPM_STATE_RESETTING]);
	u->mem_disabled = READ_ONCE(p->of[VPM_STATE_MEM_DISABLED]);
	u->low_power = READ_ONCE(p->of[VPM_STATE_LOW_POWER]);
	u->revoked = READ_ONCE(p->of[VPM_STATE_REVOKED]);
	u->block_timeout_ms = READ_ONCE(p->block_timeout_ms);
}

static int vpm_policy_set(struct vpm_device *vpm,
			  struct vfio_pci_mmap_access_policy *u)
{
	struct vpm_policies p;
	int ret = vpm_policy_from_user(u, &p);

	if (ret)
		return ret;
	/*
	 * Enabled as recorded: no all-ones page is mapped (a fault records
	 * the state the core is in before it serves one), so the new
	 * policies strand nothing; a state the driver has not recorded yet
	 * is entered under them.
	 */
	down_write(&vpm->state_lock);
	if (READ_ONCE(vpm->state) != VPM_STATE_ENABLED) {
		ret = -EBUSY;
	} else {
		vpm->policy = p;
		WRITE_ONCE(vpm->policy_set, true);
	}
	up_write(&vpm->state_lock);
	return ret;
}

/**
 * vpm_policy_feature() - VFIO_DEVICE_FEATURE_PCI_MMAP_ACCESS_POLICY
 * @vpm: the device
 * @flags: the feature call's flags
 * @arg: the user's struct vfio_pci_mmap_access_policy
 * @argsz: its size
 *
 * Return: 0 (PROBE, GET, SET done), -EINVAL for a short @argsz, a value a
 * state does not take or a nonzero reserved field, -EBUSY for a SET while
 * the device is not enabled, -EFAULT.
 */
int vpm_policy_feature(struct vpm_device *vpm, u32 flags, void __user *arg,
		       size_t argsz)
{
	struct vfio_pci_mmap_access_policy u;
	int ret;

	ret = vfio_check_feature(flags, argsz,
				 VFIO_DEVICE_FEATURE_GET |
				 VFIO_DEVICE_FEATURE_SET, sizeof(u));
	if (ret != 1)
		return ret;
	if (flags & VFIO_DEVICE_FEATURE_GET) {
		vpm_policy_to_user(vpm_policies_of(vpm), &u);
		return copy_to_user(arg, &u, sizeof(u)) ? -EFAULT : 0;
	}
	if (copy_from_user(&u, arg, sizeof(u)))
		return -EFAULT;
	return vpm_policy_set(vpm, &u);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_policy_feature);

/**
 * vpm_policy_show() - the device's policies, for debugfs
 * @vpm: the device
 * @s: the seq_file of debugfs "policy"
 */
void vpm_policy_show(struct vpm_device *vpm, struct seq_file *s)
{
	const struct vpm_policies *p = vpm_policies_of(vpm);

	seq_printf(s, "resetting=%s mem_disabled=%s low_power=%s revoked=%s block_timeout_ms=%u\n",
		   vpm_policy_names[READ_ONCE(p->of[VPM_STATE_RESETTING])],
		   vpm_policy_names[READ_ONCE(p->of[VPM_STATE_MEM_DISABLED])],
		   vpm_policy_names[READ_ONCE(p->of[VPM_STATE_LOW_POWER])],
		   vpm_policy_names[READ_ONCE(p->of[VPM_STATE_REVOKED])],
		   READ_ONCE(p->block_timeout_ms));
}
