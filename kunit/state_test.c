// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vpm_state: the device state machine (state.c): transitions,
 * names, reset windows and their reasons, revocation, on test devices
 * without mappings.
 */
#include <kunit/test.h>
#include <linux/pci.h>
#include <linux/workqueue.h>
#include "vpm.h"
#include "vpm_kunit.h"

/* ---- vpm_state_transition() --------------------------------------------------- */

struct vpm_transition_case {
	const char *desc;
	enum vpm_state initial;
	enum vpm_state from;
	enum vpm_state to;
	bool changed;
};

static const struct vpm_transition_case vpm_transition_cases[] = {
	{ "enabled to mem_disabled from any state", E, ANY, MD, true },
	{ "enabled to resetting from enabled", E, E, RS, true },
	{ "a from-state that does not match is refused", E, MD, LP, false },
	{ "a transition to the current state is refused", E, ANY, E, false },
	{ "mem_disabled back to enabled", MD, ANY, E, true },
	{ "low_power to enabled from low_power", LP, LP, E, true },
	{ "resetting to enabled from resetting", RS, RS, E, true },
	{ "resetting cannot be left as if enabled", RS, E, LP, false },
	{ "low_power to revoked", LP, ANY, RV, true },
	{ "resetting to revoked", RS, ANY, RV, true },
	{ "revoked to enabled is refused", RV, ANY, E, false },
	{ "revoked is terminal even when the from-state matches", RV, RV, E,
	  false },
	{ "revoked to revoked is refused", RV, ANY, RV, false },
	{ "revoked to resetting is refused", RV, RV, RS, false },
};

KUNIT_ARRAY_PARAM_DESC(vpm_transition, vpm_transition_cases, desc);

static struct vpm_device *vpm_test_bare_device(struct kunit *test)
{
	struct vpm_device *vpm = kunit_kzalloc(test, sizeof(*vpm), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, vpm);
	vpm_state_init(vpm);
	vpm_tracker_init(&vpm->tracker);
	init_rwsem(&vpm->core.memory_lock);
	return vpm;
}

static void vpm_state_transition_follows_the_rules(struct kunit *test)
{
	const struct vpm_transition_case *c = test->param_value;
	struct vpm_device *vpm = vpm_test_bare_device(test);
	struct vpm_test_events *ev = vpm_test_events_attach(test, vpm);

	vpm->state = c->initial;
	KUNIT_EXPECT_EQ(test, vpm_test_transition(vpm, c->from, c->to,
						  VPM_REASON_IOCTL),
			c->changed);
	KUNIT_EXPECT_EQ(test, vpm->state, c->changed ? c->to : c->initial);
	/* Every change is traced once; a refused one is not traced. */
	KUNIT_EXPECT_EQ(test, ev->nr_state, c->changed ? 1U : 0U);
	if (c->changed && ev->nr_state == 1) {
		KUNIT_EXPECT_EQ(test, ev->state[0].old, c->initial);
		KUNIT_EXPECT_EQ(test, ev->state[0].new, c->to);
		KUNIT_EXPECT_EQ(test, ev->state[0].why, VPM_REASON_IOCTL);
	}
}

static void vpm_state_transition_traces_each_change_with_its_reason(struct kunit *test)
{
	static const struct vpm_test_state_event want[] = {
		{ E, RS, VPM_REASON_RESET_PREPARE },
		{ RS, E, VPM_REASON_RESET_DONE },
		{ E, LP, VPM_REASON_LOW_POWER_ENTRY },
		{ LP, E, VPM_REASON_OBSERVED_AT_FAULT },
		{ E, RV, VPM_REASON_REQUEST },
	};
	struct vpm_device *vpm = vpm_test_bare_device(test);
	struct vpm_test_events *ev = vpm_test_events_attach(test, vpm);
	unsigned int i;

	KUNIT_EXPECT_TRUE(test,
			  vpm_test_transition(vpm, E, RS, VPM_REASON_RESET_PREPARE));
	KUNIT_EXPECT_FALSE(test,
			   vpm_test_transition(vpm, ANY, RS, VPM_REASON_RESET_PREPARE));
	KUNIT_EXPECT_TRUE(test,
			  vpm_test_transition(vpm, RS, E, VPM_REASON_RESET_DONE));
	KUNIT_EXPECT_FALSE(test,
			   vpm_test_transition(vpm, RS, E, VPM_REASON_RESET_DONE));
	KUNIT_EXPECT_TRUE(test,
			  vpm_test_transition(vpm, ANY, LP, VPM_REASON_LOW_POWER_ENTRY));
	KUNIT_EXPECT_FALSE(test,
			   vpm_test_transition(vpm, MD, E, VPM_REASON_CONFIG_WRITE));
	KUNIT_EXPECT_TRUE(test,
			  vpm_test_transition(vpm, LP, E, VPM_REASON_OBSERVED_AT_FAULT));
	KUNIT_EXPECT_TRUE(test,
			  vpm_test_transition(vpm, ANY, RV, VPM_REASON_REQUEST));
	KUNIT_EXPECT_FALSE(test,
			   vpm_test_transition(vpm, ANY, E, VPM_REASON_OPEN));

	KUNIT_ASSERT_EQ(test, ev->nr_state, (unsigned int)ARRAY_SIZE(want));
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		KUNIT_EXPECT_EQ_MSG(test, ev->state[i].old, want[i].old,
				    "event %u", i);
		KUNIT_EXPECT_EQ_MSG(test, ev->state[i].new, want[i].new,
				    "event %u", i);
		KUNIT_EXPECT_EQ_MSG(test, ev->state[i].why, want[i].why,
				    "event %u", i);
	}
}

static void vpm_revoked_device_refuses_every_transition(struct kunit *test)
{
	struct vpm_device *vpm = vpm_test_bare_device(test);
	struct vpm_test_events *ev = vpm_test_events_attach(test, vpm);
	enum vpm_state from, to;
	enum vpm_reason why;

	vpm->state = RV;
	for (from = 0; from <= VPM_STATE_ANY; from++)
		for (to = 0; to < VPM_STATE_NR; to++)
			for (why = 0; why < VPM_REASON_NR; why++)
				KUNIT_EXPECT_FALSE_MSG(test,
						       vpm_test_transition(vpm, from, to, why),
						       "from %d to %d why %d",
						       from, to, why);
	KUNIT_EXPECT_EQ(test, vpm->state, RV);
	KUNIT_EXPECT_EQ(test, ev->nr_state, 0U);
}

/* ---- names and initial state -------------------------------------------------- */

static void vpm_names_are_distinct_and_out_of_range_values_are_invalid(struct kunit *test)
{
	unsigned int i, j;

	for (i = 0; i < VPM_STATE_NR; i++) {
		KUNIT_ASSERT_NOT_NULL(test, vpm_state_name(i));
		KUNIT_EXPECT_STRNEQ(test, vpm_state_name(i), "invalid");
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_STRNEQ(test, vpm_state_name(i),
					    vpm_state_name(j));
	}
	for (i = 0; i < VPM_REASON_NR; i++) {
		KUNIT_ASSERT_NOT_NULL(test, vpm_reason_name(i));
		KUNIT_EXPECT_STRNEQ(test, vpm_reason_name(i), "invalid");
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_STRNEQ(test, vpm_reason_name(i),
					    vpm_reason_name(j));
	}
	KUNIT_EXPECT_STREQ(test, vpm_state_name(VPM_STATE_NR), "invalid");
	KUNIT_EXPECT_STREQ(test, vpm_state_name((enum vpm_state)-1),
			   "invalid");
	KUNIT_EXPECT_STREQ(test, vpm_reason_name(VPM_REASON_NR), "invalid");
	KUNIT_EXPECT_STREQ(test, vpm_reason_name((enum vpm_reason)-1),
			   "invalid");
}

static void vpm_state_init_starts_enabled_in_sigbus_revoke_mode(struct kunit *test)
{
	struct vpm_device *vpm = kunit_kzalloc(test, sizeof(*vpm), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, vpm);
	vpm->state = RV;
	vpm->policy_set = true;
	atomic_long_set(&vpm->refused, 7);
	vpm_state_init(vpm);
	KUNIT_EXPECT_EQ(test, vpm->state, E);
	/* The module parameters apply until the user sets its own. */
	KUNIT_EXPECT_PTR_EQ(test, vpm_policies_of(vpm),
			    &vpm_param_policies);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&vpm->refused), 0L);
	KUNIT_EXPECT_FALSE(test, vpm_revoked(vpm));
}

/* ---- reset windows, sync and revocation, without mappings ------------------ */

static void vpm_reset_window_zaps_once_and_closes_on_reset_done(struct kunit *test)
{
	struct vpm_test_dev *td = vpm_test_dev_new(test);
	struct vpm_device *vpm = td->vpm;
	struct vpm_test_events *ev = vpm_test_events_attach(test, vpm);

	vpm_reset_prepare(vpm);
	KUNIT_EXPECT_EQ(test, vpm->state, RS);
	KUNIT_EXPECT_EQ(test, ev->nr_zap, 1U);
	KUNIT_EXPECT_EQ(test, ev->zap[0], VPM_REASON_RESET_PREPARE);

	/* A second reset inside the window neither zaps nor traces. */
	vpm_reset_prepare(vpm);
	KUNIT_EXPECT_EQ(test, vpm->state, RS);
	KUNIT_EXPECT_EQ(test, ev->nr_zap, 1U);
	KUNIT_EXPECT_EQ(test, ev->nr_state, 1U);

	vpm_reset_done(vpm);
	KUNIT_EXPECT_EQ(test, vpm->state, E);
	KUNIT_EXPECT_EQ(test, ev->nr_state, 2U);
	KUNIT_EXPECT_EQ(test, ev->state[1].why, VPM_REASON_RESET_DONE);

	/* reset_done without a window changes nothing. */
	vpm_reset_done(vpm);
	KUNIT_EXPECT_EQ(test, vpm->state, E);
	KUNIT_EXPECT_EQ(test, ev->nr_state, 2U);
	KUNIT_EXPECT_EQ(test, ev->nr_zap, 1U);
}

struct vpm_test_other_reset {
	struct work_struct work;
	struct vpm_device *vpm;
};

static void vpm_test_other_reset_fn(struct work_struct *work)
{
	struct vpm_test_other_reset *o =
		container_of(work, struct vpm_test_other_reset, work);

	vpm_reset_prepare(o->vpm);
	vpm_reset_done(o->vpm);
}

/*
 * A reset window carries the reason of the task that asked for the reset;
 * a reset another task performs meanwhile (sysfs, a sibling's bus reset)
 * carries its own, not the asker's.
 */
static void vpm_reset_window_carries_the_reason_of_its_task(struct kunit *test)
{
	struct vpm_test_dev *td = vpm_test_dev_new(test);
	struct vpm_device *vpm = td->vpm;
	struct vpm_test_events *ev = vpm_test_events_attach(test, vpm);
	struct vpm_test_other_reset other = { .vpm = vpm };
	struct vpm_reset_cause cause;

	vpm_reset_begin(vpm, &cause, VPM_REASON_RESET_IOCTL);
	INIT_WORK_ONSTACK(&other.work, vpm_test_other_reset_fn);
	schedule_work(&other.work);
	flush_work(&other.work);
	destroy_work_on_stack(&other.work);
	vpm_reset_prepare(vpm);
	vpm_reset_done(vpm);
	vpm_reset_end(vpm, &cause);

	KUNIT_ASSERT_EQ(test, ev->nr_zap, 2U);
	KUNIT_EXPECT_EQ(test, ev->zap[0], VPM_REASON_RESET_PREPARE);
	KUNIT_EXPECT_EQ(test, ev->zap[1], VPM_REASON_RESET_IOCTL);
	KUNIT_EXPECT_TRUE(test, list_empty(&vpm->reset_causes));

	/* After the ioctl, the task's own resets carry no stale reason. */
	vpm_reset_prepare(vpm);
	KUNIT_ASSERT_EQ(test, ev->nr_zap, 3U);
	KUNIT_EXPECT_EQ(test, ev->zap[2], VPM_REASON_RESET_PREPARE);
	vpm_reset_done(vpm);
}

static const enum vpm_state vpm_core_views[] = { E, MD, LP };

static void vpm_view_desc(const enum vpm_state *v, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "the core says %s",
		 vpm_state_name(*v));
}

KUNIT_ARRAY_PARAM(vpm_view, vpm_core_views, vpm_view_desc);

static void vpm_reset_done_adopts_the_core_view(struct kunit *test)
{
	const enum vpm_state *view = test->param_value;
	struct vpm_test_dev *td = vpm_test_dev_new(test);
	struct vpm_device *vpm = td->vpm;

	vpm_test_set_core_view(td, *view);
	vpm_reset_prepare(vpm);
	KUNIT_EXPECT_EQ(test, vpm->state, RS);
	vpm_reset_done(vpm);
	KUNIT_EXPECT_EQ(test, vpm->state, *view);
}

static void vpm_state_sync_adopts_the_core_view_outside_a_reset(struct kunit *test)
{
	const enum vpm_state *view = test->param_value;
	struct vpm_test_dev *td = vpm_test_dev_new(test);
	struct vpm_device *vpm = td->vpm;
	struct vpm_test_events *ev = vpm_test_events_attach(test, vpm);

	vpm_test_set_core_view(td, *view);
	vpm_state_sync(vpm, VPM_REASON_IOCTL);
	KUNIT_EXPECT_EQ(test, vpm->state, *view);
	KUNIT_EXPECT_EQ(test, ev->nr_state, *view == E ? 0U : 1U);

	/* Inside a reset window the state is reset_done's to change. */
	vpm_reset_prepare(vpm);
	vpm_test_set_core_view(td, *view == E ? MD : E);
	vpm_state_sync(vpm, VPM_REASON_IOCTL);
	KUNIT_EXPECT_EQ(test, vpm->state, RS);

	/* And a revoked device stays revoked. */
	vpm_test_set_revoke_param(test, VPM_POLICY_SIGBUS);
	vpm_revoke(vpm);
	vpm_state_sync(vpm, VPM_REASON_IOCTL);
	KUNIT_EXPECT_EQ(test, vpm->state, RV);
}

/*
 * A reset through sysfs can end while the last close of the device fd
 * frees vfio-pci-core's config state (vfio_pci_core_disable(), under the
 * dev_set lock only).  The close detaches the core first; reset_done must
 * then not read the freed state (KASAN fails this test if it does).
 */
static void vpm_reset_done_after_close_reads_no_freed_core_state(struct kunit *test)
{
	struct vpm_test_dev *td = vpm_test_dev_new(test);
	struct vpm_device *vpm = td->vpm;
	u8 *vconfig;

	vconfig = kzalloc(PCI_CFG_SPACE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vconfig);
	vpm_test_set_core_view(td, MD);
	memcpy(vconfig, td->vconfig, PCI_CFG_SPACE_SIZE);
	vpm->core.vconfig = vconfig;

	vpm_reset_prepare(vpm);
	vpm_state_detach_core(vpm);		/* the close begins */
	kfree(vconfig);				/* vfio_pci_core_disable() */
	vpm_reset_done(vpm);
	vpm->core.vconfig = NULL;

	KUNIT_EXPECT_EQ(test, vpm->state, E);
}

static void vpm_revoke_is_terminal_and_acts_only_once(struct kunit *test)
{
	struct vpm_test_dev *td = vpm_test_dev_new(test);
	struct vpm_device *vpm = td->vpm;
	struct vpm_test_events *ev;

	vpm_test_set_revoke_param(test, VPM_POLICY_SIGBUS);
	vpm_reset_prepare(vpm);
	ev = vpm_test_events_attach(test, vpm);

	/* Revocation ends a reset window too. */
	vpm_revoke(vpm);
	KUNIT_EXPECT_TRUE(test, vpm_revoked(vpm));
	KUNIT_EXPECT_EQ(test, ev->nr_zap, 1U);
	KUNIT_EXPECT_EQ(test, ev->zap[0], VPM_REASON_REQUEST);
	KUNIT_EXPECT_EQ(test, ev->nr_state, 1U);
	KUNIT_EXPECT_EQ(test, ev->state[0].old, RS);
	KUNIT_EXPECT_EQ(test, ev->state[0].why, VPM_REASON_REQUEST);

	vpm_revoke(vpm);
	vpm_reset_prepare(vpm);
	vpm_reset_done(vpm);
	vpm_state_sync(vpm, VPM_REASON_OPEN);
	KUNIT_EXPECT_EQ(test, vpm->state, RV);
	KUNIT_EXPECT_EQ(test, ev->nr_zap, 1U);
	KUNIT_EXPECT_EQ(test, ev->nr_state, 1U);
}

struct vpm_revoke_mode_case {
	const char *desc;
	enum vpm_policy param;
	bool request_eventfd;
	enum vpm_policy want;
};

static const struct vpm_revoke_mode_case vpm_revoke_mode_cases[] = {
	{ "auto without a request eventfd revokes with sigbus",
	  VPM_POLICY_AUTO, false, VPM_POLICY_SIGBUS },
	{ "auto with a request eventfd revokes with ones", VPM_POLICY_AUTO,
	  true, VPM_POLICY_ONES },
	{ "sigbus is sigbus even for a cooperative user", VPM_POLICY_SIGBUS,
	  true, VPM_POLICY_SIGBUS },
	{ "ones is ones even without a request eventfd", VPM_POLICY_ONES,
	  false, VPM_POLICY_ONES },
};

KUNIT_ARRAY_PARAM_DESC(vpm_revoke_mode, vpm_revoke_mode_cases, desc);

static void vpm_revoke_chooses_its_mode_from_the_parameter(struct kunit *test)
{
	const struct vpm_revoke_mode_case *c = test->param_value;
	struct vpm_test_dev *td = vpm_test_dev_new(test);
	struct vpm_device *vpm = td->vpm;
	/* Only compared with NULL, never dereferenced. */
	static char cookie;

	vpm_test_set_revoke_param(test, c->param);
	if (c->request_eventfd)
		RCU_INIT_POINTER(vpm->core.req_trigger, (void *)&cookie);
	vpm_revoke(vpm);
	RCU_INIT_POINTER(vpm->core.req_trigger, NULL);
	KUNIT_EXPECT_EQ(test, vpm->policy.of[RV], c->want);
	KUNIT_EXPECT_EQ(test, vpm_access_decide(vpm->state, E,
						vpm_policies_of(vpm), false),
			c->want == VPM_POLICY_ONES ? VPM_ACCESS_ONES :
						     VPM_ACCESS_SIGBUS);
}

static struct kunit_case vpm_state_cases[] = {
	KUNIT_CASE_PARAM(vpm_state_transition_follows_the_rules,
			 vpm_transition_gen_params),
	KUNIT_CASE(vpm_state_transition_traces_each_change_with_its_reason),
	KUNIT_CASE(vpm_revoked_device_refuses_every_transition),
	KUNIT_CASE(vpm_names_are_distinct_and_out_of_range_values_are_invalid),
	KUNIT_CASE(vpm_state_init_starts_enabled_in_sigbus_revoke_mode),
	KUNIT_CASE(vpm_reset_window_zaps_once_and_closes_on_reset_done),
	KUNIT_CASE_PARAM(vpm_reset_done_adopts_the_core_view,
			 vpm_view_gen_params),
	KUNIT_CASE_PARAM(vpm_state_sync_adopts_the_core_view_outside_a_reset,
			 vpm_view_gen_params),
	KUNIT_CASE(vpm_reset_done_after_close_reads_no_freed_core_state),
	KUNIT_CASE(vpm_reset_window_carries_the_reason_of_its_task),
	KUNIT_CASE(vpm_revoke_is_terminal_and_acts_only_once),
	KUNIT_CASE_PARAM(vpm_revoke_chooses_its_mode_from_the_parameter,
			 vpm_revoke_mode_gen_params),
	{}
};

static struct kunit_suite vpm_state_suite = {
	.name = "vpm_state",
	.test_cases = vpm_state_cases,
};

kunit_test_suite(vpm_state_suite);
