// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vpm_access: what an access may do (access.c): the decision
 * table, the core's view of the device, and the read()/write() gate.
 */
#include <kunit/test.h>
#include <linux/pci.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include "vpm.h"
#include "vpm_kunit.h"

/* ---- vpm_access_decide() ---------------------------------------------------- */

struct vpm_decide_case {
	const char *desc;
	enum vpm_state recorded;
	enum vpm_state observed;
	enum vpm_policy reset;	/* resetting's policy */
	enum vpm_policy off;	/* mem_disabled's and low_power's */
	enum vpm_policy mode;	/* revoked's, resolved */
	bool expired;
	enum vpm_access want;
};

#define SIG	VPM_POLICY_SIGBUS
#define ONE	VPM_POLICY_ONES
#define AUT	VPM_POLICY_AUTO
#define BLK	VPM_POLICY_BLOCK

/* Every state, by what it is, under each policy it takes. */
static const struct vpm_decide_case vpm_decide_cases[] = {
	{ "enabled and the core agrees: map",
	  E, E, SIG, SIG, SIG, false, VPM_ACCESS_MAP },
	{ "enabled but the core cleared memory decoding: sigbus",
	  E, MD, SIG, SIG, SIG, false, VPM_ACCESS_SIGBUS },
	{ "enabled but the core entered low power: sigbus",
	  E, LP, SIG, SIG, SIG, false, VPM_ACCESS_SIGBUS },
	{ "mem_disabled and the core agrees: sigbus",
	  MD, MD, SIG, SIG, SIG, false, VPM_ACCESS_SIGBUS },
	{ "mem_disabled but the core re-enabled memory: map",
	  MD, E, SIG, SIG, SIG, false, VPM_ACCESS_MAP },
	{ "mem_disabled and the core says low power: sigbus",
	  MD, LP, SIG, SIG, SIG, false, VPM_ACCESS_SIGBUS },
	{ "low_power and the core agrees: sigbus",
	  LP, LP, SIG, SIG, SIG, false, VPM_ACCESS_SIGBUS },
	{ "low_power left inside the core's runtime resume: map",
	  LP, E, SIG, SIG, SIG, false, VPM_ACCESS_MAP },
	{ "low_power and the core says memory disabled: sigbus",
	  LP, MD, SIG, SIG, SIG, false, VPM_ACCESS_SIGBUS },
	{ "resetting although the core says enabled: sigbus",
	  RS, E, SIG, SIG, SIG, false, VPM_ACCESS_SIGBUS },
	{ "resetting and memory disabled: sigbus",
	  RS, MD, SIG, SIG, SIG, false, VPM_ACCESS_SIGBUS },
	{ "resetting in low power: sigbus",
	  RS, LP, SIG, SIG, SIG, false, VPM_ACCESS_SIGBUS },
	{ "resetting ignores the ones mode: sigbus",
	  RS, E, SIG, ONE, ONE, false, VPM_ACCESS_SIGBUS },
	{ "revoked in sigbus mode although the core says enabled: sigbus",
	  RV, E, SIG, SIG, SIG, false, VPM_ACCESS_SIGBUS },
	{ "revoked in ones mode: ones",
	  RV, E, SIG, SIG, ONE, false, VPM_ACCESS_ONES },
	{ "revoked in ones mode with memory disabled: ones",
	  RV, MD, SIG, SIG, ONE, false, VPM_ACCESS_ONES },
	{ "revoked in ones mode in low power: ones",
	  RV, LP, SIG, SIG, ONE, false, VPM_ACCESS_ONES },
	{ "revoked with no mode chosen: sigbus",
	  RV, E, SIG, SIG, AUT, false, VPM_ACCESS_SIGBUS },
	{ "ones mode before revocation changes nothing: map",
	  E, E, SIG, ONE, ONE, false, VPM_ACCESS_MAP },
	{ "an observed state the core cannot report never maps: sigbus",
	  E, RS, SIG, SIG, SIG, false, VPM_ACCESS_SIGBUS },
	{ "resetting under block: block",
	  RS, E, BLK, SIG, SIG, false, VPM_ACCESS_BLOCK },
	{ "resetting under block past the bound: sigbus",
	  RS, E, BLK, SIG, SIG, true, VPM_ACCESS_SIGBUS },
	{ "resetting under block with memory disabled: block",
	  RS, MD, BLK, ONE, SIG, false, VPM_ACCESS_BLOCK },
	{ "mem_disabled under ones: ones",
	  MD, MD, BLK, ONE, SIG, false, VPM_ACCESS_ONES },
	{ "low_power under ones: ones",
	  LP, LP, BLK, ONE, SIG, false, VPM_ACCESS_ONES },
	{ "mem_disabled under ones, re-enabled: map",
	  MD, E, BLK, ONE, SIG, false, VPM_ACCESS_MAP },
	{ "enabled, the core cleared decoding, ones: ones",
	  E, MD, BLK, ONE, SIG, false, VPM_ACCESS_ONES },
	{ "mem_disabled under sigbus with block for resets: sigbus",
	  MD, MD, BLK, SIG, SIG, false, VPM_ACCESS_SIGBUS },
	{ "revoked under block for resets: the revoked mode",
	  RV, E, BLK, ONE, SIG, false, VPM_ACCESS_SIGBUS },
	{ "revoked in ones mode ignores the bound: ones",
	  RV, E, BLK, SIG, ONE, true, VPM_ACCESS_ONES },
	{ "enabled under every policy: map",
	  E, E, BLK, ONE, ONE, true, VPM_ACCESS_MAP },
};

KUNIT_ARRAY_PARAM_DESC(vpm_decide, vpm_decide_cases, desc);

static void vpm_access_decide_follows_the_table(struct kunit *test)
{
	const struct vpm_decide_case *c = test->param_value;
	struct vpm_policies p = {
		.of = {
			[RS] = c->reset,
			[MD] = c->off,
			[LP] = c->off,
			[RV] = c->mode,
		},
	};

	KUNIT_EXPECT_EQ(test, vpm_access_decide(c->recorded, c->observed, &p,
						c->expired), c->want);
}

/* The state that refuses: ours in a window or once revoked, else the core's. */
static enum vpm_state vpm_refusing(enum vpm_state rec, enum vpm_state obs)
{
	return rec == RS || rec == RV ? rec : obs;
}

/*
 * Every recorded x observed state, every policy of the refusing state,
 * bound passed or not: the device is mapped only when both sides allow
 * it, all-ones only where the refusing state's policy is ones (never in a
 * reset window), blocking only in a reset window under block and within
 * its bound.
 */
static void vpm_decide_one(struct kunit *test, enum vpm_state rec,
			   enum vpm_state obs, enum vpm_policy pol,
			   bool expired)
{
	enum vpm_state refusing = vpm_refusing(rec, obs);
	struct vpm_policies p = {};
	enum vpm_access a;

	p.of[refusing] = pol;
	a = vpm_access_decide(rec, obs, &p, expired);
	KUNIT_EXPECT_LT(test, a, VPM_ACCESS_NR);
	KUNIT_EXPECT_TRUE_MSG(test, a != VPM_ACCESS_MAP ||
			      (obs == E && rec != RS && rec != RV),
			      "rec %d obs %d policy %d maps", rec, obs, pol);
	KUNIT_EXPECT_TRUE_MSG(test, a != VPM_ACCESS_ONES ||
			      (pol == ONE && refusing != RS),
			      "rec %d obs %d policy %d: ones", rec, obs, pol);
	KUNIT_EXPECT_TRUE_MSG(test, a != VPM_ACCESS_BLOCK ||
			      (refusing == RS && pol == BLK && !expired),
			      "rec %d obs %d policy %d: block", rec, obs, pol);
}

/*
 * Every recorded x observed state, every policy of the refusing state,
 * bound passed or not: the device is mapped only when both sides allow
 * it, all-ones only where the refusing state's policy is ones (never in a
 * reset window), blocking only in a reset window under block and within
 * its bound.
 */
static void vpm_access_decide_never_maps_what_either_side_refuses(struct kunit *test)
{
	unsigned int i, n = VPM_STATE_NR * VPM_STATE_NR * VPM_POLICY_NR * 2;

	for (i = 0; i < n; i++)
		vpm_decide_one(test, i % VPM_STATE_NR,
			       i / VPM_STATE_NR % VPM_STATE_NR,
			       i / (VPM_STATE_NR * VPM_STATE_NR) % VPM_POLICY_NR,
			       i / (VPM_STATE_NR * VPM_STATE_NR * VPM_POLICY_NR));
}

/* ---- vpm_state_of_core() ------------------------------------------------------ */

struct vpm_core_case {
	const char *desc;
	bool open;		/* vconfig allocated */
	bool memory;		/* PCI_COMMAND_MEMORY */
	bool no_command_memory;
	pci_power_t power;
	bool runtime_pm;
	enum vpm_state want;
};

static const struct vpm_core_case vpm_core_cases[] = {
	{ "a device that is not open yet reads as enabled", false, false,
	  false, PCI_D0, false, E },
	{ "memory decoding on in D0 is enabled", true, true, false, PCI_D0,
	  false, E },
	{ "memory decoding off in D0 is mem_disabled", true, false, false,
	  PCI_D0, false, MD },
	{ "a VF without a memory enable bit is enabled", true, false, true,
	  PCI_D0, false, E },
	{ "D1 with memory decoding on is enabled", true, true, false, PCI_D1,
	  false, E },
	{ "D3hot is low_power", true, true, false, PCI_D3hot, false, LP },
	{ "D3cold is low_power", true, true, false, PCI_D3cold, false, LP },
	{ "D3hot with memory decoding off is low_power", true, false, false,
	  PCI_D3hot, false, LP },
	{ "runtime low power engaged is low_power", true, true, false, PCI_D0,
	  true, LP },
};

KUNIT_ARRAY_PARAM_DESC(vpm_core, vpm_core_cases, desc);

static void vpm_state_of_core_reads_the_core_fields(struct kunit *test)
{
	const struct vpm_core_case *c = test->param_value;
	struct vfio_pci_core_device *vdev;
	struct vpm_device *vpm;
	struct pci_dev *pdev;
	enum vpm_state got;
	u8 *vconfig;

	vpm = kunit_kzalloc(test, sizeof(*vpm), GFP_KERNEL);
	pdev = kunit_kzalloc(test, sizeof(*pdev), GFP_KERNEL);
	vconfig = kunit_kzalloc(test, PCI_CFG_SPACE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vpm);
	KUNIT_ASSERT_NOT_NULL(test, pdev);
	KUNIT_ASSERT_NOT_NULL(test, vconfig);
	vpm_state_init(vpm);
	vdev = &vpm->core;

	*(__le16 *)&vconfig[PCI_COMMAND] =
		cpu_to_le16(c->memory ? PCI_COMMAND_MEMORY : 0);
	pdev->no_command_memory = c->no_command_memory;
	pdev->current_state = c->power;
	vdev->pdev = pdev;
	vdev->pm_runtime_engaged = c->runtime_pm;
	vdev->vconfig = c->open ? vconfig : NULL;
	if (c->open)
		vpm_state_attach_core(vpm);

	down_read(&vpm->state_lock);
	got = vpm_state_of_core(vpm);
	up_read(&vpm->state_lock);
	KUNIT_EXPECT_EQ(test, got, c->want);
}

struct vpm_gate_case {
	const char *desc;
	enum vpm_state state;	/* recorded */
	enum vpm_state view;	/* the core's */
	bool mem;
	int want;
};

static const struct vpm_gate_case vpm_gate_cases[] = {
	{ "enabled memory BAR is admitted", E, E, true, 0 },
	{ "memory decoding off refuses a memory BAR with EIO", MD, MD, true, -EIO },
	{ "a change the driver has not seen yet refuses", E, MD, true, -EIO },
	{ "memory decoding off admits an I/O BAR", MD, MD, false, 0 },
	{ "low power refuses a memory BAR with EIO", LP, LP, true, -EIO },
	{ "a reset window refuses with EAGAIN", RS, E, true, -EAGAIN },
	{ "a reset window refuses an I/O BAR too", RS, E, false, -EAGAIN },
	{ "revoked refuses with ENODEV", RV, E, true, -ENODEV },
	{ "revoked refuses an I/O BAR too", RV, E, false, -ENODEV },
};

KUNIT_ARRAY_PARAM_DESC(vpm_gate, vpm_gate_cases, desc);

static void vpm_gate_refuses_where_a_fault_is_refused(struct kunit *test)
{
	const struct vpm_gate_case *c = test->param_value;
	struct vpm_test_dev *td = vpm_test_dev_new(test);
	struct vpm_device *vpm = td->vpm;
	int ret;

	vpm_test_set_core_view(td, c->view);
	vpm->state = c->state;
	ret = vpm_gate_enter(vpm, c->mem);
	KUNIT_EXPECT_EQ(test, ret, c->want);
	if (!ret) {
		/* Admitted: a transition waits until the access is done. */
		KUNIT_EXPECT_FALSE(test, down_write_trylock(&vpm->state_lock));
		vpm_gate_exit(vpm);
	}
	/* Either way no lock is left held. */
	KUNIT_EXPECT_TRUE(test, down_write_trylock(&vpm->core.memory_lock));
	up_write(&vpm->core.memory_lock);
	KUNIT_EXPECT_TRUE(test, down_write_trylock(&vpm->state_lock));
	up_write(&vpm->state_lock);
}

/*
 * A read()/write() blocked by a reset window under the block policy gives
 * up when its task is killed.  The test's kthread takes SIGKILL as a
 * signal it handles (allow_signal()), so the signal is only pending:
 * fatal_signal_pending() sees it, and nothing exits.
 */
static void vpm_gate_blocked_in_a_window_gives_up_when_killed(struct kunit *test)
{
	struct vpm_test_dev *td = vpm_test_dev_new(test);
	struct vpm_device *vpm = td->vpm;
	int ret;

	vpm_test_set_core_view(td, E);
	vpm_test_set_policy_param(test, VPM_STATE_RESETTING, VPM_POLICY_BLOCK);
	vpm_reset_prepare(vpm);
	KUNIT_ASSERT_EQ(test, vpm->state, RS);

	allow_signal(SIGKILL);
	send_sig(SIGKILL, current, 1);
	KUNIT_EXPECT_TRUE(test, fatal_signal_pending(current));
	ret = vpm_gate_enter(vpm, true);
	flush_signals(current);
	disallow_signal(SIGKILL);

	KUNIT_EXPECT_EQ(test, ret, -EINTR);
	/* No lock is left held, and the window is still open. */
	KUNIT_EXPECT_TRUE(test, down_write_trylock(&vpm->state_lock));
	up_write(&vpm->state_lock);
	KUNIT_EXPECT_EQ(test, vpm->state, RS);
	vpm_reset_done(vpm);
	KUNIT_EXPECT_EQ(test, vpm->state, E);
}

static struct kunit_case vpm_access_cases[] = {
	KUNIT_CASE_PARAM(vpm_access_decide_follows_the_table,
			 vpm_decide_gen_params),
	KUNIT_CASE(vpm_access_decide_never_maps_what_either_side_refuses),
	KUNIT_CASE_PARAM(vpm_state_of_core_reads_the_core_fields,
			 vpm_core_gen_params),
	KUNIT_CASE_PARAM(vpm_gate_refuses_where_a_fault_is_refused,
			 vpm_gate_gen_params),
	KUNIT_CASE(vpm_gate_blocked_in_a_window_gives_up_when_killed),
	{}
};

static struct kunit_suite vpm_access_suite = {
	.name = "vpm_access",
	.test_cases = vpm_access_cases,
};

kunit_test_suite(vpm_access_suite);
