// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vpm_policy: the access policies (policy.c): which state takes
 * which policy, whose policies apply to a device, and what revocation
 * freezes.
 */
#include <kunit/test.h>
#include "vpm.h"
#include "vpm_kunit.h"

/* The table at the top of policy.c, by state and policy. */
static const bool vpm_policy_table[VPM_STATE_NR][VPM_POLICY_NR] = {
	[VPM_STATE_RESETTING] = {
		[VPM_POLICY_BLOCK] = true, [VPM_POLICY_SIGBUS] = true,
	},
	[VPM_STATE_MEM_DISABLED] = {
		[VPM_POLICY_SIGBUS] = true, [VPM_POLICY_ONES] = true,
	},
	[VPM_STATE_LOW_POWER] = {
		[VPM_POLICY_SIGBUS] = true, [VPM_POLICY_ONES] = true,
	},
	[VPM_STATE_REVOKED] = {
		[VPM_POLICY_AUTO] = true, [VPM_POLICY_SIGBUS] = true,
		[VPM_POLICY_ONES] = true,
	},
};

static void vpm_policy_allowed_follows_the_table(struct kunit *test)
{
	unsigned int state, policy;

	for (state = 0; state < VPM_STATE_NR; state++)
		for (policy = 0; policy < VPM_POLICY_NR; policy++)
			KUNIT_EXPECT_EQ_MSG(test,
					    vpm_policy_allowed(state, policy),
					    vpm_policy_table[state][policy],
					    "state %u policy %u", state, policy);
	KUNIT_EXPECT_FALSE(test, vpm_policy_allowed(VPM_STATE_NR,
						    VPM_POLICY_SIGBUS));
	KUNIT_EXPECT_FALSE(test, vpm_policy_allowed(VPM_STATE_RESETTING,
						    VPM_POLICY_NR));
}

static void vpm_policy_defaults_are_block_sigbus_sigbus_auto(struct kunit *test)
{
	struct vpm_test_dev *td = vpm_test_dev_new(test);
	const struct vpm_policies *p;

	/* vpm_test_dev_new() sets resetting to sigbus: put the default back. */
	vpm_test_set_policy_param(test, RS, VPM_POLICY_BLOCK);
	p = vpm_policies_of(td->vpm);
	KUNIT_EXPECT_PTR_EQ(test, p, (const struct vpm_policies *)&vpm_param_policies);
	KUNIT_EXPECT_EQ(test, p->of[RS], VPM_POLICY_BLOCK);
	KUNIT_EXPECT_EQ(test, p->of[MD], VPM_POLICY_SIGBUS);
	KUNIT_EXPECT_EQ(test, p->of[LP], VPM_POLICY_SIGBUS);
	KUNIT_EXPECT_EQ(test, p->of[RV], VPM_POLICY_AUTO);
	KUNIT_EXPECT_GT(test, p->block_timeout_ms, 0U);
}

/* A device follows the parameters live until revocation freezes them. */
static void vpm_policy_freeze_copies_the_parameters_and_resolves_revoked(struct kunit *test)
{
	struct vpm_test_dev *td = vpm_test_dev_new(test);
	struct vpm_device *vpm = td->vpm;

	vpm_test_set_policy_param(test, MD, VPM_POLICY_ONES);
	KUNIT_EXPECT_EQ(test, vpm_policies_of(vpm)->of[MD], VPM_POLICY_ONES);

	down_write(&vpm->state_lock);
	vpm_policy_freeze(vpm, VPM_POLICY_ONES);
	up_write(&vpm->state_lock);
	KUNIT_EXPECT_PTR_EQ(test, vpm_policies_of(vpm),
			    (const struct vpm_policies *)&vpm->policy);
	KUNIT_EXPECT_EQ(test, vpm->policy.of[RV], VPM_POLICY_ONES);
	KUNIT_EXPECT_EQ(test, vpm->policy.of[MD], VPM_POLICY_ONES);

	/* A later parameter change no longer applies to the device. */
	WRITE_ONCE(vpm_param_policies.of[MD], VPM_POLICY_SIGBUS);
	KUNIT_EXPECT_EQ(test, vpm_policies_of(vpm)->of[MD], VPM_POLICY_ONES);

	/* Reopened, it follows the parameters again. */
	vpm_policy_open(vpm);
	KUNIT_EXPECT_EQ(test, vpm_policies_of(vpm)->of[MD], VPM_POLICY_SIGBUS);
}

static struct kunit_case vpm_policy_cases[] = {
	KUNIT_CASE(vpm_policy_allowed_follows_the_table),
	KUNIT_CASE(vpm_policy_defaults_are_block_sigbus_sigbus_auto),
	KUNIT_CASE(vpm_policy_freeze_copies_the_parameters_and_resolves_revoked),
	{}
};

static struct kunit_suite vpm_policy_suite = {
	.name = "vpm_policy",
	.test_cases = vpm_policy_cases,
};

kunit_test_suite(vpm_policy_suite);
