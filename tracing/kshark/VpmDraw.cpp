// SPDX-License-Identifier: GPL-2.0-only
/*
 * KernelShark plugin for the vfio_pci_mmap events: the shapes drawn on the
 * graph.  KernelShark's plot objects are C++ classes (KsPlotTools.hpp), so
 * this part of the plugin is C++; the data it draws is collected by the C
 * part (vpm_kshark.c) while KernelShark loads the trace.
 *
 *  - above every CPU plot, one band per device (lanes in the order the
 *    devices first appear in the trace), coloured by the device's state
 *    from each vpm_state_change to the next;
 *  - on CPU and task plots, at the event's time and on the plot of the CPU
 *    or task that produced it: a downward triangle at every zap (black),
 *    a red bar at every refused fault or refused mmap, a grey triangle at
 *    a revocation.
 */
#include <algorithm>

#include "KsPlugins.hpp"
#include "KsPlotTools.hpp"
#include "vpm_kshark.h"

using namespace KsPlot;

namespace {

/* The x of time ts on graph g, clamped to the graph. */
int time_x(const Graph *g, const kshark_trace_histo *histo, int64_t ts)
{
	int last = g->size() - 1;
	int bin;

	if (ts <= histo->min)
		return g->bin(0)._base.x();
	if (ts >= histo->max || histo->bin_size <= 0)
		return g->bin(last)._base.x() + 1;
	bin = (ts - histo->min) / histo->bin_size;
	return g->bin(std::min(bin, last))._base.x();
}

Color state_color(int state)
{
	uint8_t rgb[3];

	vpm_ks_state_rgb(state, rgb);
	return Color(rgb[0], rgb[1], rgb[2]);
}

void band(PlotObjList *shapes, int x0, int x1, int y, int h, int state)
{
	Rectangle *r;

	if (x1 <= x0)
		x1 = x0 + 1;
	r = new Rectangle;
	r->setFill(true);
	r->setPoint(0, x0, y);
	r->setPoint(1, x0, y + h);
	r->setPoint(2, x1, y + h);
	r->setPoint(3, x1, y);
	r->_color = state_color(state);
	r->_size = 1;
	shapes->push_front(r);
}

/* Lane of device dev above graph g: top y and height. */
void lane(const Graph *g, int dev, int *y, int *h)
{
	*h = std::max(4, g->height() / 5);
	*y = g->base() - g->height() - (dev + 1) * (*h + 1);
}

void draw_bands(struct vpm_ks_ctx *ctx, const Graph *g,
		kshark_trace_histo *histo, PlotObjList *shapes)
{
	for (int dev = 0; dev < ctx->nr_devs; dev++) {
		int64_t since = INT64_MIN;
		int state = -1, y, h;

		lane(g, dev, &y, &h);
		for (ssize_t i = 0; i < ctx->nr_recs; i++) {
			const struct vpm_ks_rec *r = &ctx->recs[i];

			if (r->dev != dev || r->kind != VPM_KS_STATE)
				continue;
			if (state < 0)
				state = r->a;	/* before its first transition */
			if (r->entry->ts > histo->min && since < histo->max)
				band(shapes, time_x(g, histo, since),
				     time_x(g, histo, r->entry->ts), y, h, state);
			state = r->b;
			since = r->entry->ts;
		}
		if (state >= 0 && since < histo->max)
			band(shapes, time_x(g, histo, since),
			     time_x(g, histo, INT64_MAX), y, h, state);
	}
}

void mark(const struct vpm_ks_rec *r, const Graph *g, int x,
	  PlotObjList *shapes)
{
	int top = g->base() - g->height();
	int s = std::max(4, g->height() / 4);

	if (r->kind == VPM_KS_REFUSED) {
		Rectangle *bar = new Rectangle;

		bar->setFill(true);
		bar->setPoint(0, x - 1, top);
		bar->setPoint(1, x - 1, g->base());
		bar->setPoint(2, x + 2, g->base());
		bar->setPoint(3, x + 2, top);
		bar->_color = Color(0xc6, 0x28, 0x28);
		shapes->push_front(bar);
		return;
	}
	Triangle *t = new Triangle;

	t->setFill(true);
	t->setPoint(0, x - s, top);
	t->setPoint(1, x + s, top);
	t->setPoint(2, x, top + s + s / 2);
	t->_color = r->kind == VPM_KS_ZAP ? Color(0, 0, 0) :
					    Color(0x61, 0x61, 0x61);
	shapes->push_front(t);
}

} /* namespace */

/*
 * KernelShark calls this for every plot: val is the CPU (KSHARK_CPU_DRAW)
 * or the task's pid (KSHARK_TASK_DRAW).
 */
void vpm_ks_draw(struct kshark_cpp_argv *argv_c, int sd, int val,
		 int draw_action)
{
	struct vpm_ks_ctx *ctx = vpm_ks_context(sd);
	KsCppArgV *argv = KS_ARGV_TO_CPP(argv_c);
	kshark_trace_histo *histo = argv->_histo;
	PlotObjList *shapes = argv->_shapes;
	Graph *g = argv->_graph;

	if (!ctx || !g || !histo || !shapes || g->size() == 0)
		return;
	if (!(draw_action & (KSHARK_CPU_DRAW | KSHARK_TASK_DRAW)))
		return;
	vpm_ks_sort(ctx);

	if (draw_action & KSHARK_CPU_DRAW)
		draw_bands(ctx, g, histo, shapes);

	for (ssize_t i = 0; i < ctx->nr_recs; i++) {
		const struct vpm_ks_rec *r = &ctx->recs[i];
		int bin;

		if (r->kind == VPM_KS_STATE || r->entry->stream_id != sd)
			continue;
		if ((draw_action & KSHARK_CPU_DRAW) && r->entry->cpu != val)
			continue;
		if ((draw_action & KSHARK_TASK_DRAW) && r->entry->pid != val)
			continue;
		bin = ksmodel_get_bin(histo, r->entry);
		if (bin < 0 || bin >= g->size())
			continue;
		mark(r, g, g->bin(bin)._base.x(), shapes);
	}
}
