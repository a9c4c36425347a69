// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vpm_state: the device state machine (state.c) and the reset
 * and revoke transitions (zap.c) on test devices without mappings.
 */
#include <kunit/test.h>
#include <linux/pci.h>
#include "vpm.h"
#include "vpm_kunit.h"

#define E	VPM_STATE_ENABLED
#define MD	VPM_STATE_MEM_DISABLED
#define LP	VPM_STATE_LOW_POWER
#define RS	VPM_STATE_RESETTING
#define RV	VPM_STATE_REVOKED
#define ANY	VPM_STATE_ANY

/* ---- vpm_access_decide() ---------------------------------------------------- */

struct vpm_decide_case {
	const char *desc;
	enum vpm_state recorded;
	enum vpm_state observed;
	enum vpm_revoke_mode mode;
	enum vpm_access want;
};

static const struct vpm_decide_case vpm_decide_cases[] = {
	{ "enabled and the core agrees: map", E, E, VPM_REVOKE_SIGBUS,
	  VPM_ACCESS_MAP },
	{ "enabled but the core cleared memory decoding: sigbus", E, MD,
	  VPM_REVOKE_SIGBUS, VPM_ACCESS_SIGBUS },
	{ "enabled but the core entered low power: sigbus", E, LP,
	  VPM_REVOKE_SIGBUS, VPM_ACCESS_SIGBUS },
	{ "mem_disabled and the core agrees: sigbus", MD, MD,
	  VPM_REVOKE_SIGBUS, VPM_ACCESS_SIGBUS },
	{ "mem_disabled but the core re-enabled memory: map", MD, E,
	  VPM_REVOKE_SIGBUS, VPM_ACCESS_MAP },
	{ "mem_disabled and the core says low power: sigbus", MD, LP,
	  VPM_REVOKE_SIGBUS, VPM_ACCESS_SIGBUS },
	{ "low_power and the core agrees: sigbus", LP, LP, VPM_REVOKE_SIGBUS,
	  VPM_ACCESS_SIGBUS },
	{ "low_power left inside the core's runtime resume: map", LP, E,
	  VPM_REVOKE_SIGBUS, VPM_ACCESS_MAP },
	{ "low_power and the core says memory disabled: sigbus", LP, MD,
	  VPM_REVOKE_SIGBUS, VPM_ACCESS_SIGBUS },
	{ "resetting although the core says enabled: sigbus", RS, E,
	  VPM_REVOKE_SIGBUS, VPM_ACCESS_SIGBUS },
	{ "resetting and memory disabled: sigbus", RS, MD, VPM_REVOKE_SIGBUS,
	  VPM_ACCESS_SIGBUS },
	{ "resetting in low power: sigbus", RS, LP, VPM_REVOKE_SIGBUS,
	  VPM_ACCESS_SIGBUS },
	{ "resetting ignores the ones mode: sigbus", RS, E, VPM_REVOKE_ONES,
	  VPM_ACCESS_SIGBUS },
	{ "revoked in sigbus mode although the core says enabled: sigbus", RV,
	  E, VPM_REVOKE_SIGBUS, VPM_ACCESS_SIGBUS },
	{ "revoked in ones mode: ones", RV, E, VPM_REVOKE_ONES,
	  VPM_ACCESS_ONES },
	{ "revoked in ones mode with memory disabled: ones", RV, MD,
	  VPM_REVOKE_ONES, VPM_ACCESS_ONES },
	{ "revoked in ones mode in low power: ones", RV, LP, VPM_REVOKE_ONES,
	  VPM_ACCESS_ONES },
	{ "revoked with no mode chosen: sigbus", RV, E, VPM_REVOKE_AUTO,
	  VPM_ACCESS_SIGBUS },
	{ "ones mode before revocation changes nothing: map", E, E,
	  VPM_REVOKE_ONES, VPM_ACCESS_MAP },
	{ "an observed state the core cannot report never maps: sigbus", E,
	  RS, VPM_REVOKE_SIGBUS, VPM_ACCESS_SIGBUS },
};

KUNIT_ARRAY_PARAM_DESC(vpm_decide, vpm_decide_cases, desc);

static void vpm_access_decide_follows_the_table(struct kunit *test)
{
	const struct vpm_decide_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, vpm_access_decide(c->recorded, c->observed,
						c->mode), c->want);
}

static void vpm_access_decide_never_maps_what_either_side_refuses(struct kunit *test)
{
	enum vpm_state rec, obs;
	enum vpm_revoke_mode mode;
	enum vpm_access a;

	for (rec = 0; rec < VPM_STATE_NR; rec++) {
		for (obs = 0; obs < VPM_STATE_NR; obs++) {
			for (mode = VPM_REVOKE_AUTO; mode <= VPM_REVOKE_ONES;
			     mode++) {
				a = vpm_access_decide(rec, obs, mode);
				KUNIT_EXPECT_TRUE_MSG(test,
						      a == VPM_ACCESS_MAP ||
						      a == VPM_ACCESS_SIGBUS ||
						      a == VPM_ACCESS_ONES,
						      "rec %d obs %d mode %d: %d",
						      rec, obs, mode, a);
				if (a == VPM_ACCESS_MAP)
					KUNIT_EXPECT_TRUE_MSG(test,
							      obs == E && rec != RS &&
							      rec != RV,
							      "rec %d obs %d mode %d maps",
							      rec, obs, mode);
				if (a == VPM_ACCESS_ONES)
					KUNIT_EXPECT_TRUE_MSG(test,
							      rec == RV &&
							      mode == VPM_REVOKE_ONES,
							      "rec %d obs %d mode %d: ones",
							      rec, obs, mode);
			}
		}
	}
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
	vpm->revoke_mode = VPM_REVOKE_ONES;
	atomic_long_set(&vpm->refused, 7);
	vpm_state_init(vpm);
	KUNIT_EXPECT_EQ(test, vpm->state, E);
	KUNIT_EXPECT_EQ(test, vpm->revoke_mode, VPM_REVOKE_SIGBUS);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&vpm->refused), 0L);
	KUNIT_EXPECT_FALSE(test, vpm_revoked(vpm));
}

/* ---- reset windows, sync and revocation, without mappings ------------------ */

static void vpm_reset_window_zaps_once_and_closes_on_reset_done(struct kunit *test)
{
	struct vpm_test_dev *td = vpm_test_dev_new(test);
	struct vpm_device *vpm = td->vpm;
	struct vpm_test_events *ev = vpm_test_events_attach(test, vpm);

	vpm_reset_prepare(vpm, VPM_REASON_RESET_PREPARE);
	KUNIT_EXPECT_EQ(test, vpm->state, RS);
	KUNIT_EXPECT_EQ(test, ev->nr_zap, 1U);
	KUNIT_EXPECT_EQ(test, ev->zap[0], VPM_REASON_RESET_PREPARE);

	/* A second reset inside the window neither zaps nor traces. */
	vpm_reset_prepare(vpm, VPM_REASON_HOT_RESET);
	KUNIT_EXPECT_EQ(test, vpm->state, RS);
	KUNIT_EXPECT_EQ(test, ev->nr_zap, 1U);
	KUNIT_EXPECT_EQ(test, ev->nr_state, 1U);

	vpm_reset_done(vpm, VPM_REASON_RESET_DONE);
	KUNIT_EXPECT_EQ(test, vpm->state, E);
	KUNIT_EXPECT_EQ(test, ev->nr_state, 2U);
	KUNIT_EXPECT_EQ(test, ev->state[1].why, VPM_REASON_RESET_DONE);

	/* reset_done without a window changes nothing. */
	vpm_reset_done(vpm, VPM_REASON_RESET_DONE);
	KUNIT_EXPECT_EQ(test, vpm->state, E);
	KUNIT_EXPECT_EQ(test, ev->nr_state, 2U);
	KUNIT_EXPECT_EQ(test, ev->nr_zap, 1U);
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
	vpm_reset_prepare(vpm, VPM_REASON_RESET_IOCTL);
	KUNIT_EXPECT_EQ(test, vpm->state, RS);
	vpm_reset_done(vpm, VPM_REASON_RESET_DONE);
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
	vpm_reset_prepare(vpm, VPM_REASON_RESET_PREPARE);
	vpm_test_set_core_view(td, *view == E ? MD : E);
	vpm_state_sync(vpm, VPM_REASON_IOCTL);
	KUNIT_EXPECT_EQ(test, vpm->state, RS);

	/* And a revoked device stays revoked. */
	vpm_test_set_revoke_param(test, VPM_REVOKE_SIGBUS);
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

	vpm_reset_prepare(vpm, VPM_REASON_RESET_PREPARE);
	vpm_state_detach_core(vpm);		/* the close begins */
	kfree(vconfig);				/* vfio_pci_core_disable() */
	vpm_reset_done(vpm, VPM_REASON_RESET_DONE);
	vpm->core.vconfig = NULL;

	KUNIT_EXPECT_EQ(test, vpm->state, E);
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

static void vpm_revoke_is_terminal_and_acts_only_once(struct kunit *test)
{
	struct vpm_test_dev *td = vpm_test_dev_new(test);
	struct vpm_device *vpm = td->vpm;
	struct vpm_test_events *ev;

	vpm_test_set_revoke_param(test, VPM_REVOKE_SIGBUS);
	vpm_reset_prepare(vpm, VPM_REASON_RESET_PREPARE);
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
	vpm_reset_prepare(vpm, VPM_REASON_RESET_PREPARE);
	vpm_reset_done(vpm, VPM_REASON_RESET_DONE);
	vpm_state_sync(vpm, VPM_REASON_OPEN);
	KUNIT_EXPECT_EQ(test, vpm->state, RV);
	KUNIT_EXPECT_EQ(test, ev->nr_zap, 1U);
	KUNIT_EXPECT_EQ(test, ev->nr_state, 1U);
}

struct vpm_revoke_mode_case {
	const char *desc;
	enum vpm_revoke_mode param;
	bool request_eventfd;
	enum vpm_revoke_mode want;
};

static const struct vpm_revoke_mode_case vpm_revoke_mode_cases[] = {
	{ "auto without a request eventfd revokes with sigbus",
	  VPM_REVOKE_AUTO, false, VPM_REVOKE_SIGBUS },
	{ "auto with a request eventfd revokes with ones", VPM_REVOKE_AUTO,
	  true, VPM_REVOKE_ONES },
	{ "sigbus is sigbus even for a cooperative user", VPM_REVOKE_SIGBUS,
	  true, VPM_REVOKE_SIGBUS },
	{ "ones is ones even without a request eventfd", VPM_REVOKE_ONES,
	  false, VPM_REVOKE_ONES },
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
	KUNIT_EXPECT_EQ(test, vpm->revoke_mode, c->want);
	KUNIT_EXPECT_EQ(test, vpm_access_decide(vpm->state, E,
						vpm->revoke_mode),
			c->want == VPM_REVOKE_ONES ? VPM_ACCESS_ONES :
						     VPM_ACCESS_SIGBUS);
}

static struct kunit_case vpm_state_cases[] = {
	KUNIT_CASE_PARAM(vpm_access_decide_follows_the_table,
			 vpm_decide_gen_params),
	KUNIT_CASE(vpm_access_decide_never_maps_what_either_side_refuses),
	KUNIT_CASE_PARAM(vpm_state_of_core_reads_the_core_fields,
			 vpm_core_gen_params),
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
	KUNIT_CASE_PARAM(vpm_gate_refuses_where_a_fault_is_refused,
			 vpm_gate_gen_params),
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
