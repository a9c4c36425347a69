// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device state machine: one enum (enum vpm_state), one transition
 * function (vpm_state_transition()), which emits the tracepoint, so that no
 * transition can happen untraced.
 *
 *   state         | fault  | entered by
 *   --------------+--------+------------------------------------------------
 *   enabled       | map    | open, reset done, PCI_COMMAND memory on, D0,
 *                 |        | low-power exit (possibly observed at a fault)
 *   mem_disabled  | SIGBUS | PCI_COMMAND memory cleared
 *   low_power     | SIGBUS | D3hot through PM_CTRL, low-power feature entry
 *   resetting     | SIGBUS | reset_prepare (every PCI reset of the device)
 *   revoked       | SIGBUS | ->request (unbind, hot-unplug); terminal
 *                 | or ones|
 */
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include "vpm.h"
#include "fault_ring.h"
#include "vfio_pci_mmap_trace.h"
#include "exports.h"

static const char * const vpm_state_names[VPM_STATE_NR] = {
	VPM_STATE_LIST(VPM_NAMES_STRING, VPM_NAMES_STRING)
};

static const char * const vpm_reason_names[VPM_REASON_NR] = {
	VPM_REASON_LIST(VPM_NAMES_STRING, VPM_NAMES_STRING)
};

/**
 * vpm_state_name() - printable name of a state
 * @state: the state
 *
 * Return: a static string.
 */
const char *vpm_state_name(enum vpm_state state)
{
	return state < VPM_STATE_NR ? vpm_state_names[state] : "invalid";
}
EXPORT_SYMBOL_IF_KUNIT(vpm_state_name);

/**
 * vpm_reason_name() - printable name of a reason
 * @reason: the reason
 *
 * Return: a static string.
 */
const char *vpm_reason_name(enum vpm_reason reason)
{
	return reason < VPM_REASON_NR ? vpm_reason_names[reason] : "invalid";
}
EXPORT_SYMBOL_IF_KUNIT(vpm_reason_name);

/**
 * vpm_state_transition() - the one place the state changes
 * @vpm: the device
 * @from: the state to leave, or VPM_STATE_ANY
 * @to: the new state
 * @why: the reason, traced
 *
 * The caller holds state_lock for write.  Revoked is terminal.  Entering a
 * reset window starts its clock; leaving it wakes the accesses it blocked;
 * leaving a state whose policy served all-ones pages removes them before
 * the device can be mapped again.
 *
 * Return: true if the state changed.
 */
bool vpm_state_transition(struct vpm_device *vpm, enum vpm_state from,
			  enum vpm_state to, enum vpm_reason why)
{
	enum vpm_state old = READ_ONCE(vpm->state);

	lockdep_assert_held_write(&vpm->state_lock);
	if (old == to || old == VPM_STATE_REVOKED ||
	    (from != VPM_STATE_ANY && old != from))
		return false;
	if (to == VPM_STATE_RESETTING)
		WRITE_ONCE(vpm->window_start, jiffies);
	WRITE_ONCE(vpm->state, to);
	trace_vpm_state_change(vpm, old, to, why,
			       vpm_policies_of(vpm)->of[to]);

	if (old == VPM_STATE_RESETTING)
		wake_up_all(&vpm->window_wq);
	if (READ_ONCE(vpm->ones.served) && to != VPM_STATE_REVOKED) {
		vpm_zap(vpm, why, VPM_ZAP_BARS);
		vpm_ones_leave(vpm);
	}
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_state_transition);

/**
 * vpm_state_sync() - re-read the core's view after an op that may change it
 * @vpm: the device
 * @why: the reason to trace if the state changed
 *
 * A reset in progress is left to vpm_reset_done().
 */
void vpm_state_sync(struct vpm_device *vpm, enum vpm_reason why)
{
	struct vfio_pci_core_device *vdev = &vpm->core;
	enum vpm_state observed;

	down_read(&vdev->memory_lock);
	down_write(&vpm->state_lock);
	observed = vpm_state_of_core(vpm);
	if (READ_ONCE(vpm->state) != VPM_STATE_RESETTING)
		vpm_state_transition(vpm, VPM_STATE_ANY, observed, why);
	up_write(&vpm->state_lock);
	up_read(&vdev->memory_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_state_sync);

/*
 * Record at a fault a change the driver could not see when it happened (a
 * low-power exit inside the core's runtime resume), before the fault
 * decides, so that leaving a state removes what its policy mapped first.
 * The caller holds state_lock for write if @write, else for read, which is
 * dropped and retaken for write, then downgraded.
 */
static void vpm_state_observe(struct vpm_device *vpm, bool write)
{
	enum vpm_state recorded;

	if (!write) {
		up_read(&vpm->state_lock);
		down_write(&vpm->state_lock);
	}
	recorded = READ_ONCE(vpm->state);
	if (recorded != VPM_STATE_RESETTING)
		vpm_state_transition(vpm, recorded, vpm_state_of_core(vpm),
				     VPM_REASON_OBSERVED_AT_FAULT);
	if (!write)
		downgrade_write(&vpm->state_lock);
}

/**
 * vpm_access_at_fault() - decide a fault
 * @vpm: the device; the caller holds memory_lock, and state_lock for read
 *	or, if @write, for write
 * @write: how the caller holds state_lock
 * @refused: set to the state a refusal is recorded with: this driver's in
 *	a reset window or once revoked, else the core's
 *
 * A state of the core the driver has not recorded is recorded first
 * (observed at a fault), with state_lock taken for write for it.
 *
 * Return: the decision.
 */
enum vpm_access vpm_access_at_fault(struct vpm_device *vpm, bool write,
				    enum vpm_state *refused)
{
	enum vpm_state recorded = READ_ONCE(vpm->state);
	enum vpm_state observed = vpm_state_of_core(vpm);
	bool window = recorded == VPM_STATE_RESETTING ||
		      recorded == VPM_STATE_REVOKED;

	lockdep_assert_held(&vpm->core.memory_lock);
	/* The common case, decided without the policy table. */
	if (likely(recorded == VPM_STATE_ENABLED &&
		   observed == VPM_STATE_ENABLED)) {
		*refused = observed;
		return VPM_ACCESS_MAP;
	}
	if (unlikely(recorded != observed && !window)) {
		vpm_state_observe(vpm, write);
		recorded = READ_ONCE(vpm->state);
		observed = vpm_state_of_core(vpm);
		window = recorded == VPM_STATE_RESETTING ||
			 recorded == VPM_STATE_REVOKED;
	}
	*refused = window ? recorded : observed;
	return vpm_access_decide(recorded, observed, vpm_policies_of(vpm),
				 recorded == VPM_STATE_RESETTING &&
				 vpm_window_expired(vpm));
}
EXPORT_SYMBOL_IF_KUNIT(vpm_access_at_fault);

/**
 * vpm_reset_begin() - say why the reset this task is about to ask for runs
 * @vpm: the device
 * @cause: on the caller's stack until vpm_reset_end()
 * @why: the reason the reset window will carry
 *
 * vfio-pci-core resets the device for VFIO_DEVICE_RESET, a hot reset and
 * an FLR written to config space; the PCI core then calls reset_prepare in
 * the same task.  The window finds its reason by task, so a reset through
 * sysfs, a sibling's bus reset or another task's ioctl at the same time
 * carries its own.
 */
void vpm_reset_begin(struct vpm_device *vpm, struct vpm_reset_cause *cause,
		     enum vpm_reason why)
{
	cause->task = current;
	cause->why = why;
	down_write(&vpm->state_lock);
	list_add(&cause->link, &vpm->reset_causes);
	up_write(&vpm->state_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_reset_begin);

/**
 * vpm_reset_end() - the reset asked for by vpm_reset_begin() is over
 * @vpm: the device
 * @cause: as passed to vpm_reset_begin()
 */
void vpm_reset_end(struct vpm_device *vpm, struct vpm_reset_cause *cause)
{
	down_write(&vpm->state_lock);
	list_del(&cause->link);
	up_write(&vpm->state_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_reset_end);

/* Why the current task resets the device; the caller holds state_lock. */
static enum vpm_reason vpm_reset_reason(struct vpm_device *vpm)
{
	struct vpm_reset_cause *cause;

	lockdep_assert_held(&vpm->state_lock);
	list_for_each_entry(cause, &vpm->reset_causes, link)
		if (cause->task == current)
			return cause->why;
	return VPM_REASON_RESET_PREPARE;
}

/**
 * vpm_reset_prepare() - open a reset window
 * @vpm: the device
 *
 * Called from pci_error_handlers.reset_prepare for every reset the PCI core
 * performs on the device: the core's own (memory_lock already held for
 * write by vfio-pci-core), an administrator's through sysfs, a sibling's
 * bus reset (memory_lock not held).  state_lock closes the window against
 * faults in both cases.
 */
void vpm_reset_prepare(struct vpm_device *vpm)
{
	enum vpm_reason why;

	/*
	 * The resets vfio-pci-core performs itself have zapped the BARs
	 * already; the walk over them again finds nothing to unmap and costs
	 * nothing next to the reset's 100 ms.  One zap of the whole address
	 * space keeps every reset alike, fault ring included.
	 */
	down_write(&vpm->state_lock);
	why = vpm_reset_reason(vpm);
	if (vpm_state_transition(vpm, VPM_STATE_ANY, VPM_STATE_RESETTING, why))
		vpm_zap(vpm, why, VPM_ZAP_ALL);
	up_write(&vpm->state_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_reset_prepare);

/**
 * vpm_reset_done() - close a reset window
 * @vpm: the device
 *
 * The state after the reset is the core's view of the device, read under
 * state_lock, which keeps the core's config state allocated (see
 * vpm_state_attach_core()).  memory_lock makes the view exact; this path
 * cannot tell whether vfio-pci-core holds it already for its own reset,
 * so it only tries it: without it (another holder) the view is a hint,
 * and any difference is corrected at the next fault, under memory_lock.
 */
void vpm_reset_done(struct vpm_device *vpm)
{
	struct rw_semaphore *memory_lock = &vpm->core.memory_lock;
	bool locked, done;

	locked = down_read_trylock(memory_lock);
	down_write(&vpm->state_lock);
	done = vpm_state_transition(vpm, VPM_STATE_RESETTING,
				    vpm_state_of_core(vpm),
				    VPM_REASON_RESET_DONE);
	up_write(&vpm->state_lock);
	if (locked)
		up_read(memory_lock);
	if (done)
		vpm_ring_report_reset(vpm);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_reset_done);

static enum vpm_policy vpm_revoke_policy_now(struct vpm_device *vpm)
{
	enum vpm_policy mode = vpm_policies_of(vpm)->of[VPM_STATE_REVOKED];

	if (mode != VPM_POLICY_AUTO)
		return mode;
	/*
	 * A user that registered a request eventfd is cooperative (QEMU): it
	 * will release the device once asked, and SIGBUS in its vCPU thread
	 * would abort the whole VM through KVM_RUN.  Serve it all-ones.
	 */
	return rcu_access_pointer(vpm->core.req_trigger) ? VPM_POLICY_ONES :
							   VPM_POLICY_SIGBUS;
}

/**
 * vpm_revoke() - revoke every mapping before the device goes away
 * @vpm: the device
 *
 * Called from ->request, before vfio-pci-core relays the request to the
 * user.  Takes memory_lock so no access through read()/write() or a fault
 * is in flight, marks the device revoked (terminal), zaps the whole
 * address space (fault ring included).  Never takes a process's mmap_lock
 * or the dev_set lock.  ->request is called repeatedly until the user
 * releases the device; only the first call does anything.
 */
void vpm_revoke(struct vpm_device *vpm)
{
	struct vfio_pci_core_device *vdev = &vpm->core;

	if (vpm_revoked(vpm))
		return;

	down_write(&vdev->memory_lock);
	down_write(&vpm->state_lock);
	vpm_policy_freeze(vpm, vpm_revoke_policy_now(vpm));
	if (vpm_state_transition(vpm, VPM_STATE_ANY, VPM_STATE_REVOKED,
				 VPM_REASON_REQUEST)) {
		trace_vpm_revoke(vpm, vpm->policy.of[VPM_STATE_REVOKED],
				 vpm_tracker_count(&vpm->tracker));
		vpm_zap(vpm, VPM_REASON_REQUEST, VPM_ZAP_ALL);
	}
	up_write(&vpm->state_lock);
	up_write(&vdev->memory_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_revoke);

/**
 * vpm_window_hold() - open or close a reset window that no reset closes
 * @vpm: the device
 * @hold: open the window (true) or close it (false)
 *
 * A test hook (debugfs "hold_window"): the window is a reset window in all
 * but the reset, so the policies' waits and bounds can be tested.  A real
 * reset meanwhile closes it at its end.
 */
void vpm_window_hold(struct vpm_device *vpm, bool hold)
{
	struct vpm_reset_cause cause;

	if (!hold) {
		vpm_reset_done(vpm);
		return;
	}
	vpm_reset_begin(vpm, &cause, VPM_REASON_DEBUGFS);
	vpm_reset_prepare(vpm);
	vpm_reset_end(vpm, &cause);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_window_hold);

static void vpm_pci_reset_prepare(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	if (vdev)
		vpm_reset_prepare(vpm_from_core(vdev));
}

static void vpm_pci_reset_done(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	if (vdev)
		vpm_reset_done(vpm_from_core(vdev));
}

/* The PCI core opens and closes every reset window of the device here. */
const struct pci_error_handlers vpm_err_handlers = {
	.error_detected	= vfio_pci_core_aer_err_detected,
	.reset_prepare	= vpm_pci_reset_prepare,
	.reset_done	= vpm_pci_reset_done,
};

/**
 * vpm_state_init() - initialise the state of a newly probed device
 * @vpm: the device
 */
void vpm_state_init(struct vpm_device *vpm)
{
	init_rwsem(&vpm->state_lock);
	vpm->state = VPM_STATE_ENABLED;
	vpm->policy_set = false;
	init_waitqueue_head(&vpm->window_wq);
	INIT_LIST_HEAD(&vpm->reset_causes);
	atomic_long_set(&vpm->refused, 0);
	atomic_long_set(&vpm->blocked, 0);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_state_init);
