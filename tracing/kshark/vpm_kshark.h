/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KernelShark plugin for the vfio_pci_mmap events: what the C part (event
 * handlers, list text) and the C++ part (shapes on the graph) share.
 */
#ifndef VPM_KSHARK_H
#define VPM_KSHARK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "libkshark.h"
#include "libkshark-plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* enum vpm_state of vfio-pci-mmap/vfio_pci_mmap_trace.h, in value order. */
#define VPM_KS_NR_STATES	5

enum vpm_ks_kind {
	VPM_KS_STATE,		/* vpm_state_change: a = old, b = new, c = why */
	VPM_KS_ZAP,		/* vpm_zap_end: a = vmas, c = why, d = ns */
	VPM_KS_REFUSED,		/* vpm_fault with access=sigbus, or a refused mmap */
	VPM_KS_REVOKE,		/* vpm_revoke: a = mode, b = vmas */
};

struct vpm_ks_rec {
	struct kshark_entry	*entry;
	int			kind;
	int			dev;	/* index into vpm_ks_ctx.devs */
	int64_t			a, b, c, d;
};

#define VPM_KS_MAX_DEVS		32
#define VPM_KS_DEV_LEN		32

struct vpm_ks_ctx {
	/* Event ids in this stream (-1 when not in the trace). */
	int			id_state, id_zap, id_fault, id_mmap, id_revoke;
	/* The devices, in order of their first event. */
	char			devs[VPM_KS_MAX_DEVS][VPM_KS_DEV_LEN];
	int			nr_devs;
	/* The records, in time order once vpm_ks_sort() ran. */
	struct vpm_ks_rec	*recs;
	ssize_t			nr_recs, cap_recs;
	bool			sorted;
	/* The stream's own list text, wrapped for this project's events. */
	char			*(*orig_get_info)(struct kshark_data_stream *stream,
						  const struct kshark_entry *e);
};

struct vpm_ks_ctx *vpm_ks_context(int sd);
void vpm_ks_sort(struct vpm_ks_ctx *ctx);
/* State of device dev just before time ts (-1: unknown). */
int vpm_ks_state_at(struct vpm_ks_ctx *ctx, int dev, int64_t ts);
/* RGB of a state (grey when unknown). */
void vpm_ks_state_rgb(int state, uint8_t rgb[3]);

/* The draw handler, in the C++ part. */
void vpm_ks_draw(struct kshark_cpp_argv *argv, int sd, int val,
		 int draw_action);

#ifdef __cplusplus
}
#endif

#endif /* VPM_KSHARK_H */
