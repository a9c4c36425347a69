// SPDX-License-Identifier: GPL-2.0-only
/*
 * KernelShark (2.x) plugin for the vfio_pci_mmap events.
 *
 * On the graph (the C++ part, VpmDraw.cpp): above every CPU plot, one thin
 * band per device coloured by the device's state over time (the colours of
 * tracing/plot.py: enabled green, mem_disabled orange, low_power blue,
 * resetting red, revoked grey); on CPU and task plots, a downward triangle
 * at every zap and a red bar at every refused fault or refused mmap.
 *
 * In the list (this file): the Info column of vpm_state_change, vpm_fault,
 * vpm_zap_end, vpm_revoke and vpm_mmap reads as a sentence that also says
 * what one event alone cannot: how long the device was in the state it
 * leaves, which state refused an access.  The plugin knows because it
 * keeps every device's transitions, collected while KernelShark loads the
 * trace; other events keep the text of their format.
 *
 * Build: make -C tracing kshark-plugin (build/trace/kshark/plugin-vfio_pci_mmap.so)
 * Use:   kernelshark -p build/trace/kshark/plugin-vfio_pci_mmap.so trace.dat
 *        (docs/tracing.rst), or a session from tracing/kshark-session.py.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <traceevent/event-parse.h>

#include "libkshark-tepdata.h"
#include "vpm_kshark.h"

static const char * const vpm_ks_states[] = {
	"enabled", "mem_disabled", "low_power", "resetting", "revoked",
};

static const char * const vpm_ks_reasons[] = {
	"open", "close", "reset_ioctl", "hot_reset", "reset_prepare",
	"reset_done", "config_write", "low_power_entry", "low_power_exit",
	"ioctl", "observed_at_fault", "request",
};


#define VPM_KS_NAME(table, v)						\
	((v) >= 0 && (size_t)(v) < sizeof(table) / sizeof((table)[0]) ?	\
	 (table)[v] : "?")

static void vpm_ks_free(struct vpm_ks_ctx *ctx)
{
	if (!ctx)
		return;
	free(ctx->recs);
	free(ctx);
}

/* __init(), __get_context(), __close(): one context per data stream. */
KS_DEFINE_PLUGIN_CONTEXT(struct vpm_ks_ctx, vpm_ks_free);

struct vpm_ks_ctx *vpm_ks_context(int sd)
{
	return __get_context(sd);
}

void vpm_ks_state_rgb(int state, uint8_t rgb[3])
{
	static const uint8_t table[VPM_KS_NR_STATES + 1][3] = {
		{ 0x43, 0xa0, 0x47 },	/* enabled */
		{ 0xfb, 0x8c, 0x00 },	/* mem_disabled */
		{ 0x1e, 0x88, 0xe5 },	/* low_power */
		{ 0xe5, 0x39, 0x35 },	/* resetting */
		{ 0x61, 0x61, 0x61 },	/* revoked */
		{ 0xe0, 0xe0, 0xe0 },	/* unknown */
	};
	int i = state >= 0 && state < VPM_KS_NR_STATES ? state : VPM_KS_NR_STATES;

	memcpy(rgb, table[i], 3);
}

static int vpm_ks_rec_cmp(const void *a, const void *b)
{
	const struct vpm_ks_rec *ra = a, *rb = b;

	if (ra->entry->ts != rb->entry->ts)
		return ra->entry->ts < rb->entry->ts ? -1 : 1;
	/* Same time: keep the file's order. */
	if (ra->entry->offset != rb->entry->offset)
		return ra->entry->offset < rb->entry->offset ? -1 : 1;
	return 0;
}

void vpm_ks_sort(struct vpm_ks_ctx *ctx)
{
	if (ctx->sorted)
		return;
	if (ctx->nr_recs > 1)
		qsort(ctx->recs, ctx->nr_recs, sizeof(*ctx->recs), vpm_ks_rec_cmp);
	ctx->sorted = true;
}

int vpm_ks_state_at(struct vpm_ks_ctx *ctx, int dev, int64_t ts)
{
	int state = -1;
	ssize_t i;

	vpm_ks_sort(ctx);
	for (i = 0; i < ctx->nr_recs; i++) {
		struct vpm_ks_rec *r = &ctx->recs[i];

		if (r->dev != dev || r->kind != VPM_KS_STATE)
			continue;
		if (r->entry->ts >= ts)
			return state >= 0 ? state : r->a;
		state = r->b;
	}
	return state;
}

/* The last state change of dev before rec (or NULL). */
static struct vpm_ks_rec *vpm_ks_prev_change(struct vpm_ks_ctx *ctx,
					     struct vpm_ks_rec *rec)
{
	struct vpm_ks_rec *r;

	for (r = rec - 1; r >= ctx->recs; r--)
		if (r->dev == rec->dev && r->kind == VPM_KS_STATE)
			return r;
	return NULL;
}

static struct vpm_ks_rec *vpm_ks_find(struct vpm_ks_ctx *ctx,
				      const struct kshark_entry *e)
{
	ssize_t lo = 0, hi, i;

	vpm_ks_sort(ctx);
	hi = ctx->nr_recs;
	while (lo < hi) {
		ssize_t mid = lo + (hi - lo) / 2;

		if (ctx->recs[mid].entry->ts < e->ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < ctx->nr_recs && ctx->recs[i].entry->ts == e->ts; i++)
		if (ctx->recs[i].entry == e ||
		    ctx->recs[i].entry->offset == e->offset)
			return &ctx->recs[i];
	return NULL;
}

static int vpm_ks_dev_index(struct vpm_ks_ctx *ctx, const char *name)
{
	int i;

	for (i = 0; i < ctx->nr_devs; i++)
		if (!strcmp(ctx->devs[i], name))
			return i;
	if (ctx->nr_devs == VPM_KS_MAX_DEVS)
		return -1;
	snprintf(ctx->devs[ctx->nr_devs], VPM_KS_DEV_LEN, "%s", name);
	return ctx->nr_devs++;
}

/* The record's "dev" string field (a __string: a dynamic array). */
static int vpm_ks_record_dev(struct kshark_data_stream *stream, void *rec,
			     struct vpm_ks_ctx *ctx, const struct kshark_entry *e)
{
	struct tep_handle *tep = kshark_get_tep(stream);
	struct tep_event *event;
	char name[VPM_KS_DEV_LEN];
	const char *raw;
	int len;

	if (!tep)
		return -1;
	event = tep_find_event(tep, e->event_id);
	if (!event)
		return -1;
	raw = tep_get_field_raw(NULL, event, "dev", rec, &len, 0);
	if (!raw || len <= 0)
		return -1;
	snprintf(name, sizeof(name), "%.*s", len, raw);
	return vpm_ks_dev_index(ctx, name);
}

static int64_t vpm_ks_field(struct kshark_data_stream *stream, void *rec,
			    const char *field)
{
	int64_t v = -1;

	if (kshark_read_record_field_int(stream, rec, field, &v) < 0)
		return -1;
	return v;
}

static void vpm_ks_add(struct kshark_data_stream *stream, void *rec,
		       struct kshark_entry *e, int kind,
		       int64_t a, int64_t b, int64_t c, int64_t d)
{
	struct vpm_ks_ctx *ctx = __get_context(stream->stream_id);
	struct vpm_ks_rec *r;
	int dev;

	if (!ctx)
		return;
	dev = vpm_ks_record_dev(stream, rec, ctx, e);
	if (dev < 0)
		return;
	if (ctx->nr_recs == ctx->cap_recs) {
		ssize_t cap = ctx->cap_recs ? 2 * ctx->cap_recs : 256;
		struct vpm_ks_rec *n = realloc(ctx->recs, cap * sizeof(*n));

		if (!n)
			return;
		ctx->recs = n;
		ctx->cap_recs = cap;
	}
	r = &ctx->recs[ctx->nr_recs++];
	r->entry = e;
	r->kind = kind;
	r->dev = dev;
	r->a = a;
	r->b = b;
	r->c = c;
	r->d = d;
	ctx->sorted = false;
}

static void vpm_ks_on_state(struct kshark_data_stream *s, void *rec,
			    struct kshark_entry *e)
{
	vpm_ks_add(s, rec, e, VPM_KS_STATE, vpm_ks_field(s, rec, "old"),
		   vpm_ks_field(s, rec, "new"), vpm_ks_field(s, rec, "why"), 0);
}

static void vpm_ks_on_zap(struct kshark_data_stream *s, void *rec,
			  struct kshark_entry *e)
{
	vpm_ks_add(s, rec, e, VPM_KS_ZAP, vpm_ks_field(s, rec, "nr_vmas"), 0,
		   vpm_ks_field(s, rec, "why"),
		   vpm_ks_field(s, rec, "duration_ns"));
}

static void vpm_ks_on_fault(struct kshark_data_stream *s, void *rec,
			    struct kshark_entry *e)
{
	/* access: 0 map, 1 sigbus (refused), 2 ones (revoked, served). */
	if (vpm_ks_field(s, rec, "access") == 1)
		vpm_ks_add(s, rec, e, VPM_KS_REFUSED, 0, 0, 0, 0);
}

static void vpm_ks_on_mmap(struct kshark_data_stream *s, void *rec,
			   struct kshark_entry *e)
{
	if (vpm_ks_field(s, rec, "err") != 0)
		vpm_ks_add(s, rec, e, VPM_KS_REFUSED, 1, 0, 0, 0);
}

static void vpm_ks_on_revoke(struct kshark_data_stream *s, void *rec,
			     struct kshark_entry *e)
{
	vpm_ks_add(s, rec, e, VPM_KS_REVOKE, vpm_ks_field(s, rec, "mode"),
		   vpm_ks_field(s, rec, "nr_vmas"), 0, 0);
}

/* "1.234 ms" */
static void vpm_ks_duration(char *buf, size_t len, int64_t ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%lld ns", (long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1f us", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.3f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.3f s", ns / 1e9);
}

static int64_t vpm_ks_entry_field(const struct kshark_entry *e,
				  const char *field)
{
	int64_t v = -1;

	if (kshark_read_event_field_int(e, field, &v) < 0)
		return -1;
	return v;
}

/* The Info column of this project's events. */
static char *vpm_ks_get_info(struct kshark_data_stream *stream,
			     const struct kshark_entry *e)
{
	struct vpm_ks_ctx *ctx = __get_context(stream->stream_id);
	char *orig, *out = NULL, d1[32];
	struct vpm_ks_rec *r, *p;
	const char *dev;
	int state, n = -1;

	if (!ctx || !ctx->orig_get_info)
		return NULL;
	orig = ctx->orig_get_info(stream, e);
	if (!orig || e->event_id < 0)
		return orig;

	r = vpm_ks_find(ctx, e);
	if (e->event_id == ctx->id_state && r) {
		dev = ctx->devs[r->dev];
		p = vpm_ks_prev_change(ctx, r);
		if (p) {
			vpm_ks_duration(d1, sizeof(d1), e->ts - p->entry->ts);
			n = asprintf(&out, "%s: %s -> %s because of %s (was %s for %s)",
				     dev, VPM_KS_NAME(vpm_ks_states, r->a),
				     VPM_KS_NAME(vpm_ks_states, r->b),
				     VPM_KS_NAME(vpm_ks_reasons, r->c),
				     VPM_KS_NAME(vpm_ks_states, r->a), d1);
		} else {
			n = asprintf(&out, "%s: %s -> %s because of %s (first transition traced)",
				     dev, VPM_KS_NAME(vpm_ks_states, r->a),
				     VPM_KS_NAME(vpm_ks_states, r->b),
				     VPM_KS_NAME(vpm_ks_reasons, r->c));
		}
	} else if (e->event_id == ctx->id_zap && r) {
		vpm_ks_duration(d1, sizeof(d1), r->d);
		n = asprintf(&out, "%s: zapped %lld vma%s in %s (%s)",
			     ctx->devs[r->dev], (long long)r->a,
			     r->a == 1 ? "" : "s", d1,
			     VPM_KS_NAME(vpm_ks_reasons, r->c));
	} else if (e->event_id == ctx->id_revoke && r) {
		n = asprintf(&out, "%s: REVOKED (device going away): %lld vma%s, mappings now serve %s",
			     ctx->devs[r->dev], (long long)r->b,
			     r->b == 1 ? "" : "s",
			     r->a == 2 ? "all-ones reads" : "SIGBUS");
	} else if (e->event_id == ctx->id_fault) {
		int64_t access = vpm_ks_entry_field(e, "access");
		int64_t order = vpm_ks_entry_field(e, "order");
		int64_t addr = vpm_ks_entry_field(e, "address");
		const char *size = order == 18 ? "1 GiB" : order == 9 ? "2 MiB" : "4 KiB";

		dev = strstr(orig, "dev=");
		if (r) {
			state = vpm_ks_state_at(ctx, r->dev, e->ts);
			n = asprintf(&out, "%s: fault at 0x%llx REFUSED (SIGBUS): device %s",
				     ctx->devs[r->dev], (unsigned long long)addr,
				     state >= 0 ? VPM_KS_NAME(vpm_ks_states, state) :
				     "not enabled");
		} else if (dev) {
			n = asprintf(&out, "%.*s: fault at 0x%llx: %s %s",
				     (int)strcspn(dev + 4, " "), dev + 4,
				     (unsigned long long)addr,
				     access == 2 ? "all-ones page (revoked)," : "mapped",
				     access == 2 ? "4 KiB" : size);
		}
	} else if (e->event_id == ctx->id_mmap) {
		int64_t region = vpm_ks_entry_field(e, "region");
		int64_t len = vpm_ks_entry_field(e, "len");
		int64_t err = vpm_ks_entry_field(e, "err");

		dev = strstr(orig, "dev=");
		if (dev)
			n = asprintf(&out, "%.*s: mmap of region %lld, 0x%llx bytes: %s%s",
				     (int)strcspn(dev + 4, " "), dev + 4,
				     (long long)region, (unsigned long long)len,
				     err ? "REFUSED, " : "accepted",
				     err ? strerrorname_np(-(int)err) ?: "error" : "");
	}
	if (n < 0 || !out)
		return orig;
	/* The format's own text follows, for the fields not in the sentence. */
	{
		char *both = NULL;

		if (asprintf(&both, "%s  |  %s", out, orig) >= 0) {
			free(out);
			out = both;
		}
	}
	free(orig);
	return out;
}

static int vpm_ks_find_event(struct kshark_data_stream *stream, const char *name)
{
	return kshark_find_event_id(stream, name);
}

/* Load this plugin for a data stream. */
int KSHARK_PLOT_PLUGIN_INITIALIZER(struct kshark_data_stream *stream)
{
	struct kshark_generic_stream_interface *iface = stream->interface;
	struct vpm_ks_ctx *ctx;

	/* Only trace-cmd data (kshark_get_tep()) has these events. */
	if (!iface || iface->type != KS_GENERIC_DATA_INTERFACE ||
	    !kshark_is_tep(stream))
		return 0;
	ctx = __init(stream->stream_id);
	if (!ctx)
		return 0;
	ctx->id_state = vpm_ks_find_event(stream, "vfio_pci_mmap/vpm_state_change");
	ctx->id_zap = vpm_ks_find_event(stream, "vfio_pci_mmap/vpm_zap_end");
	ctx->id_fault = vpm_ks_find_event(stream, "vfio_pci_mmap/vpm_fault");
	ctx->id_mmap = vpm_ks_find_event(stream, "vfio_pci_mmap/vpm_mmap");
	ctx->id_revoke = vpm_ks_find_event(stream, "vfio_pci_mmap/vpm_revoke");
	if (ctx->id_state < 0) {
		/* No vfio_pci_mmap events in this trace: nothing to do. */
		__close(stream->stream_id);
		return 0;
	}

	kshark_register_event_handler(stream, ctx->id_state, vpm_ks_on_state);
	if (ctx->id_zap >= 0)
		kshark_register_event_handler(stream, ctx->id_zap, vpm_ks_on_zap);
	if (ctx->id_fault >= 0)
		kshark_register_event_handler(stream, ctx->id_fault, vpm_ks_on_fault);
	if (ctx->id_mmap >= 0)
		kshark_register_event_handler(stream, ctx->id_mmap, vpm_ks_on_mmap);
	if (ctx->id_revoke >= 0)
		kshark_register_event_handler(stream, ctx->id_revoke, vpm_ks_on_revoke);
	kshark_register_draw_handler(stream, vpm_ks_draw);

	ctx->orig_get_info = iface->get_info;
	iface->get_info = vpm_ks_get_info;
	return 1;
}

/* Unload this plugin from a data stream. */
int KSHARK_PLOT_PLUGIN_DEINITIALIZER(struct kshark_data_stream *stream)
{
	struct vpm_ks_ctx *ctx = __get_context(stream->stream_id);
	struct kshark_generic_stream_interface *iface = stream->interface;

	if (!ctx)
		return 0;
	if (iface && iface->get_info == vpm_ks_get_info)
		iface->get_info = ctx->orig_get_info;
	kshark_unregister_event_handler(stream, ctx->id_state, vpm_ks_on_state);
	if (ctx->id_zap >= 0)
		kshark_unregister_event_handler(stream, ctx->id_zap, vpm_ks_on_zap);
	if (ctx->id_fault >= 0)
		kshark_unregister_event_handler(stream, ctx->id_fault, vpm_ks_on_fault);
	if (ctx->id_mmap >= 0)
		kshark_unregister_event_handler(stream, ctx->id_mmap, vpm_ks_on_mmap);
	if (ctx->id_revoke >= 0)
		kshark_unregister_event_handler(stream, ctx->id_revoke, vpm_ks_on_revoke);
	kshark_unregister_draw_handler(stream, vpm_ks_draw);
	__close(stream->stream_id);
	return 1;
}
