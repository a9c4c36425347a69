// SPDX-License-Identifier: GPL-2.0-only
/*
 * libtraceevent plugin for the vfio_pci_mmap events.
 *
 * Every event of the driver already prints readably from its own format
 * (vfio-pci-mmap/vfio_pci_mmap_trace.h: enums by name, devices by PCI name, fault
 * results decoded), so this plugin replaces nothing: each handler prints the
 * event exactly as its format does, then appends what one event alone
 * cannot say, in brackets, with no "key=value" so that scripts reading the
 * report (tracing/check.py, timeline.py, plot.py) see the same fields:
 *
 *   vpm_state_change  how long the device was in the state it leaves
 *                     [enabled for 1.234567 s]
 *   vpm_zap_end       the duration in microseconds and the device's zap
 *                     count, maximum and total so far
 *                     [24.9 us; 0000:01:00.0: zap 3, max 244.9 us, total 1.032 ms]
 *   vpm_fault         the size of the mapping a fault installed (order 9:
 *                     [2 MiB]) and, for a refused access, the state the
 *                     device was last traced in [device mem_disabled]
 *   vpm_vma_track, vpm_vma_untrack, vpm_vma_moved
 *                     the size of the vma [4 pages]
 *
 * The per-device annotations follow the stream of events: they are only
 * added while the plugin sees records in time order from the start of the
 * trace (trace-cmd report).  A viewer that formats records out of order
 * (KernelShark formats the rows it shows) gets the stateless part only.
 *
 * Build: make -C tracing plugin (needs libtraceevent-dev).
 * Use:   TRACEEVENT_PLUGIN_DIR=build/trace trace-cmd report trace.dat
 *        (trace-cmd report -P lists the plugins it loaded), or install the
 *        .so into ~/.local/lib/traceevent/plugins/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <traceevent/event-parse.h>
#include <traceevent/trace-seq.h>

#define VPM_SYSTEM	"vfio_pci_mmap"
#define VPM_MAX_DEVS	64

struct vpm_dev_stats {
	char name[32];
	char state[24];
	unsigned long long since;	/* ts of the last state change */
	unsigned long long zaps;
	unsigned long long zap_max_ns;
	unsigned long long zap_total_ns;
};

static struct vpm_dev_stats vpm_devs[VPM_MAX_DEVS];
static int vpm_nr_devs;

/* Records must come in time order from the first one for the statistics. */
static unsigned long long vpm_last_ts;
static unsigned long long vpm_last_offset;
static int vpm_out_of_order;

static int vpm_in_order(struct tep_record *record)
{
	if (vpm_out_of_order)
		return 0;
	if (record->ts < vpm_last_ts ||
	    (record->ts == vpm_last_ts && record->offset == vpm_last_offset &&
	     vpm_last_offset)) {
		/* Seen before, or going back: stop keeping statistics. */
		vpm_out_of_order = 1;
		return 0;
	}
	vpm_last_ts = record->ts;
	vpm_last_offset = record->offset;
	return 1;
}

static struct vpm_dev_stats *vpm_dev(const char *name)
{
	int i;

	for (i = 0; i < vpm_nr_devs; i++)
		if (!strcmp(vpm_devs[i].name, name))
			return &vpm_devs[i];
	if (vpm_nr_devs == VPM_MAX_DEVS)
		return NULL;
	snprintf(vpm_devs[vpm_nr_devs].name, sizeof(vpm_devs[0].name), "%s",
		 name);
	return &vpm_devs[vpm_nr_devs++];
}

/* The event as its own format prints it; returns where that text starts. */
static int vpm_print_format(struct trace_seq *s, struct tep_record *record,
			    struct tep_event *event)
{
	int start = s->len;
	int flags = event->flags;

	event->flags |= TEP_EVENT_FL_NOHANDLE;
	tep_print_event(event->tep, s, record, "%s", TEP_PRINT_INFO);
	event->flags = flags;
	return start;
}

static int vpm_field(struct tep_event *event, struct tep_record *record,
		     const char *name, unsigned long long *val)
{
	struct tep_format_field *f = tep_find_field(event, name);

	return f ? tep_read_number_field(f, record->data, val) : -1;
}

/* The device name (the __string "dev" field), into buf. */
static int vpm_dev_name(struct tep_event *event, struct tep_record *record,
			char *buf, size_t size)
{
	int len = 0;
	const char *p = tep_get_field_raw(NULL, event, "dev", record, &len, 0);

	if (!p || len <= 0)
		return -1;
	snprintf(buf, size, "%.*s", len, p);
	return 0;
}

static int vpm_state_change_handler(struct trace_seq *s,
				    struct tep_record *record,
				    struct tep_event *event, void *context)
{
	char dev[32], old[24], new[24];
	struct vpm_dev_stats *d;
	int start = vpm_print_format(s, record, event);
	const char *text;

	(void)context;
	if (!vpm_in_order(record) || vpm_dev_name(event, record, dev, sizeof(dev)))
		return 0;
	trace_seq_terminate(s);
	/* The names as the format printed them: "dev=D OLD -> NEW reason=R". */
	text = s->buffer + start;
	if (sscanf(text, "dev=%*s %23s -> %23s", old, new) != 2)
		return 0;
	d = vpm_dev(dev);
	if (!d)
		return 0;
	if (d->since && !strcmp(d->state, old))
		trace_seq_printf(s, " [%s for %llu.%06llu s]", old,
				 (record->ts - d->since) / 1000000000ULL,
				 (record->ts - d->since) / 1000ULL % 1000000ULL);
	snprintf(d->state, sizeof(d->state), "%s", new);
	d->since = record->ts;
	return 0;
}

static void vpm_print_us(struct trace_seq *s, unsigned long long ns)
{
	if (ns >= 1000000ULL)
		trace_seq_printf(s, "%llu.%03llu ms", ns / 1000000ULL,
				 ns / 1000ULL % 1000ULL);
	else
		trace_seq_printf(s, "%llu.%01llu us", ns / 1000ULL,
				 ns / 100ULL % 10ULL);
}

static int vpm_zap_end_handler(struct trace_seq *s, struct tep_record *record,
			       struct tep_event *event, void *context)
{
	unsigned long long ns;
	struct vpm_dev_stats *d;
	char dev[32];

	(void)context;
	vpm_print_format(s, record, event);
	if (vpm_field(event, record, "duration_ns", &ns))
		return 0;
	trace_seq_puts(s, " [");
	vpm_print_us(s, ns);
	if (vpm_in_order(record) &&
	    !vpm_dev_name(event, record, dev, sizeof(dev)) &&
	    (d = vpm_dev(dev))) {
		d->zaps++;
		d->zap_total_ns += ns;
		if (ns > d->zap_max_ns)
			d->zap_max_ns = ns;
		trace_seq_printf(s, "; %s: zap %llu, max ", dev, d->zaps);
		vpm_print_us(s, d->zap_max_ns);
		trace_seq_puts(s, ", total ");
		vpm_print_us(s, d->zap_total_ns);
	}
	trace_seq_puts(s, "]");
	return 0;
}

static void vpm_print_size(struct trace_seq *s, unsigned long long bytes)
{
	if (bytes >= (1ULL << 30) && !(bytes & ((1ULL << 30) - 1)))
		trace_seq_printf(s, "%llu GiB", bytes >> 30);
	else if (bytes >= (1ULL << 20) && !(bytes & ((1ULL << 20) - 1)))
		trace_seq_printf(s, "%llu MiB", bytes >> 20);
	else
		trace_seq_printf(s, "%llu KiB", bytes >> 10);
}

static int vpm_fault_handler(struct trace_seq *s, struct tep_record *record,
			     struct tep_event *event, void *context)
{
	unsigned long long order, result, access;
	struct vpm_dev_stats *d;
	char dev[32];

	(void)context;
	vpm_print_format(s, record, event);
	if (vpm_field(event, record, "order", &order) ||
	    vpm_field(event, record, "result", &result) ||
	    vpm_field(event, record, "access", &access))
		return 0;
	/* VM_FAULT_SIGBUS is 0x2; the "sigbus" access decision is 1. */
	if (result & 0x2) {
		if (vpm_in_order(record) &&
		    !vpm_dev_name(event, record, dev, sizeof(dev)) &&
		    (d = vpm_dev(dev)) && d->state[0])
			trace_seq_printf(s, " [device %s]", d->state);
		return 0;
	}
	vpm_in_order(record);
	if (order < 40) {
		trace_seq_puts(s, " [");
		vpm_print_size(s, 4096ULL << order);
		trace_seq_puts(s, "]");
	}
	return 0;
}

static int vpm_vma_handler(struct trace_seq *s, struct tep_record *record,
			   struct tep_event *event, void *context)
{
	unsigned long long start, end;

	(void)context;
	vpm_print_format(s, record, event);
	vpm_in_order(record);
	if (vpm_field(event, record, "start", &start) ||
	    vpm_field(event, record, "end", &end) || end < start)
		return 0;
	trace_seq_printf(s, " [%llu page%s]", (end - start) >> 12,
			 (end - start) >> 12 == 1 ? "" : "s");
	return 0;
}

static const struct {
	const char *event;
	tep_event_handler_func func;
} vpm_handlers[] = {
	{ "vpm_state_change",	vpm_state_change_handler },
	{ "vpm_zap_end",	vpm_zap_end_handler },
	{ "vpm_fault",		vpm_fault_handler },
	{ "vpm_vma_track",	vpm_vma_handler },
	{ "vpm_vma_untrack",	vpm_vma_handler },
	{ "vpm_vma_moved",	vpm_vma_handler },
};

int TEP_PLUGIN_LOADER(struct tep_handle *tep)
{
	size_t i;

	for (i = 0; i < sizeof(vpm_handlers) / sizeof(vpm_handlers[0]); i++)
		tep_register_event_handler(tep, -1, VPM_SYSTEM,
					   vpm_handlers[i].event,
					   vpm_handlers[i].func, NULL);
	return 0;
}

int TEP_PLUGIN_UNLOADER(struct tep_handle *tep)
{
	size_t i;

	for (i = 0; i < sizeof(vpm_handlers) / sizeof(vpm_handlers[0]); i++)
		tep_unregister_event_handler(tep, -1, VPM_SYSTEM,
					     vpm_handlers[i].event,
					     vpm_handlers[i].func, NULL);
	return 0;
}
