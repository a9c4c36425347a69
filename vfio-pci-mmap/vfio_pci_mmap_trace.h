/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tracepoints of vfio-pci-mmap: one event at every transition of a device's
 * mappings.  Devices print as their PCI name (BDF); enums print by name;
 * no kernel pointer is ever recorded.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vfio_pci_mmap

#if !defined(_TRACE_VFIO_PCI_MMAP_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_VFIO_PCI_MMAP_H

#include <linux/tracepoint.h>
#include "vpm.h"
#include "../include/uapi/linux/vfio_pci_mmap.h"

/* The enums' names, from the one list in names.h. */
#define VPM_TRACE_ENUM(a, b)	TRACE_DEFINE_ENUM(a);
VPM_STATE_LIST(VPM_TRACE_ENUM, VPM_TRACE_ENUM)
VPM_REASON_LIST(VPM_TRACE_ENUM, VPM_TRACE_ENUM)
VPM_TRACK_LIST(VPM_TRACE_ENUM, VPM_TRACE_ENUM)
VPM_ACCESS_LIST(VPM_TRACE_ENUM, VPM_TRACE_ENUM)
VPM_ZAP_SCOPE_LIST(VPM_TRACE_ENUM, VPM_TRACE_ENUM)
VPM_REVOKE_LIST(VPM_TRACE_ENUM, VPM_TRACE_ENUM)

#define VPM_TRACE_SYM(a, b)	{ a, b },
#define VPM_TRACE_SYM_END(a, b)	{ a, b }
#define vpm_show(list, v)	__print_symbolic(v, list(VPM_TRACE_SYM, VPM_TRACE_SYM_END))

/*
 * vm_fault_t bits by value: the enum constants would need TRACE_DEFINE_ENUM,
 * which sparse rejects for a __bitwise type.  trace.c asserts the values.
 */
#define VPM_FAULT_OOM		0x0001
#define VPM_FAULT_SIGBUS	0x0002
#define VPM_FAULT_NOPAGE	0x0100
#define VPM_FAULT_LOCKED	0x0200
#define VPM_FAULT_FALLBACK	0x0800

#define vpm_show_fault_result(r)				\
	__print_flags(r, "|",					\
		{ VPM_FAULT_OOM,	"OOM" },		\
		{ VPM_FAULT_SIGBUS,	"SIGBUS" },		\
		{ VPM_FAULT_NOPAGE,	"NOPAGE" },		\
		{ VPM_FAULT_LOCKED,	"LOCKED" },		\
		{ VPM_FAULT_FALLBACK,	"FALLBACK" })

/* Fault ring record types and reasons (uapi defines), by name. */
#define VPM_RING_TYPE_LIST						\
	{ VFIO_PCI_MMAP_FAULT_TYPE_DMA,		 "dma" },		\
	{ VFIO_PCI_MMAP_FAULT_TYPE_MMAP_REFUSED, "mmap_refused" },	\
	{ VFIO_PCI_MMAP_FAULT_TYPE_RESET,	 "reset" }

#define VPM_RING_DMA_REASON_LIST					\
	{ VFIO_PCI_MMAP_FAULT_REASON_UNKNOWN,	    "unknown" },	\
	{ VFIO_PCI_MMAP_FAULT_REASON_PASID_FETCH,   "pasid_fetch" },	\
	{ VFIO_PCI_MMAP_FAULT_REASON_BAD_PASIDTE,   "bad_pasidte" },	\
	{ VFIO_PCI_MMAP_FAULT_REASON_PASID_INVALID, "pasid_invalid" },	\
	{ VFIO_PCI_MMAP_FAULT_REASON_WALK_EABT,	    "walk_eabt" },	\
	{ VFIO_PCI_MMAP_FAULT_REASON_PTE_FETCH,	    "pte_fetch" },	\
	{ VFIO_PCI_MMAP_FAULT_REASON_PERMISSION,    "permission" },	\
	{ VFIO_PCI_MMAP_FAULT_REASON_ACCESS,	    "access" },		\
	{ VFIO_PCI_MMAP_FAULT_REASON_OOR_ADDRESS,   "oor_address" }

#define VPM_RING_REFUSED_REASON_LIST					\
	{ VFIO_PCI_MMAP_REFUSED_UNKNOWN,	"unknown" },		\
	{ VFIO_PCI_MMAP_REFUSED_MEM_DISABLED,	"mem_disabled" },	\
	{ VFIO_PCI_MMAP_REFUSED_LOW_POWER,	"low_power" },		\
	{ VFIO_PCI_MMAP_REFUSED_RESETTING,	"resetting" },		\
	{ VFIO_PCI_MMAP_REFUSED_REVOKED,	"revoked" }

/*
 * What a record's reason means depends on its type; resets have none.  The
 * inner conditional is parenthesized: libtraceevent 1.7 parses an
 * unparenthesized "a ? b : c ? d : e" as "(a ? b : c) ? d : e".
 */
#define vpm_show_ring_reason(type, reason)				\
	((type) == VFIO_PCI_MMAP_FAULT_TYPE_DMA ?			\
		__print_symbolic(reason, VPM_RING_DMA_REASON_LIST) :	\
	 ((type) == VFIO_PCI_MMAP_FAULT_TYPE_MMAP_REFUSED ?		\
		__print_symbolic(reason, VPM_RING_REFUSED_REASON_LIST) : \
		"none"))

TRACE_EVENT(vpm_state_change,
	TP_PROTO(struct vpm_device *vpm, enum vpm_state old,
		 enum vpm_state new, enum vpm_reason why),
	TP_ARGS(vpm, old, new, why),
	TP_STRUCT__entry(
		__string(dev, vpm_name(vpm))
		__field(unsigned int, old)
		__field(unsigned int, new)
		__field(unsigned int, why)
	),
	TP_fast_assign(
		__assign_str(dev);
		__entry->old = old;
		__entry->new = new;
		__entry->why = why;
	),
	TP_printk("dev=%s %s -> %s reason=%s", __get_str(dev),
		  vpm_show(VPM_STATE_LIST, __entry->old),
		  vpm_show(VPM_STATE_LIST, __entry->new),
		  vpm_show(VPM_REASON_LIST, __entry->why))
);

TRACE_EVENT(vpm_mmap,
	TP_PROTO(struct vpm_device *vpm, u32 region, u64 offset, u64 len,
		 int err),
	TP_ARGS(vpm, region, offset, len, err),
	TP_STRUCT__entry(
		__string(dev, vpm_name(vpm))
		__field(u32, region)
		__field(u64, offset)
		__field(u64, len)
		__field(int, err)
	),
	TP_fast_assign(
		__assign_str(dev);
		__entry->region = region;
		__entry->offset = offset;
		__entry->len = len;
		__entry->err = err;
	),
	TP_printk("dev=%s region=%u offset=0x%llx len=0x%llx %s err=%d",
		  __get_str(dev), __entry->region, __entry->offset,
		  __entry->len, __entry->err ? "refused" : "accepted",
		  __entry->err)
);

TRACE_EVENT(vpm_fault,
	TP_PROTO(struct vpm_device *vpm, u32 region, unsigned long address,
		 u64 offset, unsigned int order, unsigned long pfn,
		 enum vpm_access access, vm_fault_t result),
	TP_ARGS(vpm, region, address, offset, order, pfn, access, result),
	TP_STRUCT__entry(
		__string(dev, vpm_name(vpm))
		__field(u32, region)
		__field(unsigned long, address)
		__field(u64, offset)
		__field(unsigned int, order)
		__field(unsigned long, pfn)
		__field(unsigned int, access)
		__field(unsigned int, result)
	),
	TP_fast_assign(
		__assign_str(dev);
		__entry->region = region;
		__entry->address = address;
		__entry->offset = offset;
		__entry->order = order;
		/* The all-ones page is kernel memory: never show where. */
		__entry->pfn = access == VPM_ACCESS_ONES ? 0 : pfn;
		__entry->access = access;
		__entry->result = (__force unsigned int)result;
	),
	TP_printk("dev=%s region=%u addr=0x%lx offset=0x%llx order=%u pfn=0x%lx access=%s result=%s",
		  __get_str(dev), __entry->region, __entry->address,
		  __entry->offset, __entry->order, __entry->pfn,
		  vpm_show(VPM_ACCESS_LIST, __entry->access),
		  vpm_show_fault_result(__entry->result))
);

DECLARE_EVENT_CLASS(vpm_vma_class,
	TP_PROTO(struct vpm_device *vpm, struct vpm_mapping *m,
		 enum vpm_track_why why, unsigned int count),
	TP_ARGS(vpm, m, why, count),
	TP_STRUCT__entry(
		__string(dev, vpm_name(vpm))
		__field(u32, region)
		__field(unsigned long, start)
		__field(unsigned long, end)
		__field(unsigned long, pgoff)
		__field(unsigned int, why)
		__field(unsigned int, count)
		__field(pid_t, pid)
	),
	TP_fast_assign(
		__assign_str(dev);
		__entry->region = m->region;
		__entry->start = m->vma->vm_start;
		__entry->end = m->vma->vm_end;
		__entry->pgoff = vpm_vma_region_pgoff(m->vma);
		__entry->why = why;
		__entry->count = count;
		__entry->pid = current->tgid;
	),
	TP_printk("dev=%s region=%u start=0x%lx end=0x%lx pgoff=0x%lx why=%s tracked=%u pid=%d",
		  __get_str(dev), __entry->region, __entry->start,
		  __entry->end, __entry->pgoff,
		  vpm_show(VPM_TRACK_LIST, __entry->why),
		  __entry->count, __entry->pid)
);

DEFINE_EVENT(vpm_vma_class, vpm_vma_track,
	TP_PROTO(struct vpm_device *vpm, struct vpm_mapping *m,
		 enum vpm_track_why why, unsigned int count),
	TP_ARGS(vpm, m, why, count));

/* A vma going away has no "why": its format leaves the field out. */
DEFINE_EVENT_PRINT(vpm_vma_class, vpm_vma_untrack,
	TP_PROTO(struct vpm_device *vpm, struct vpm_mapping *m,
		 enum vpm_track_why why, unsigned int count),
	TP_ARGS(vpm, m, why, count),
	TP_printk("dev=%s region=%u start=0x%lx end=0x%lx pgoff=0x%lx tracked=%u pid=%d",
		  __get_str(dev), __entry->region, __entry->start,
		  __entry->end, __entry->pgoff, __entry->count,
		  __entry->pid));

DEFINE_EVENT(vpm_vma_class, vpm_vma_moved,
	TP_PROTO(struct vpm_device *vpm, struct vpm_mapping *m,
		 enum vpm_track_why why, unsigned int count),
	TP_ARGS(vpm, m, why, count));

TRACE_EVENT(vpm_zap_begin,
	TP_PROTO(struct vpm_device *vpm, enum vpm_reason why,
		 enum vpm_zap_scope scope, unsigned int nr_vmas),
	TP_ARGS(vpm, why, scope, nr_vmas),
	TP_STRUCT__entry(
		__string(dev, vpm_name(vpm))
		__field(unsigned int, why)
		__field(unsigned int, scope)
		__field(unsigned int, nr_vmas)
	),
	TP_fast_assign(
		__assign_str(dev);
		__entry->why = why;
		__entry->scope = scope;
		__entry->nr_vmas = nr_vmas;
	),
	TP_printk("dev=%s reason=%s regions=%s vmas=%u", __get_str(dev),
		  vpm_show(VPM_REASON_LIST, __entry->why),
		  vpm_show(VPM_ZAP_SCOPE_LIST, __entry->scope),
		  __entry->nr_vmas)
);

TRACE_EVENT(vpm_zap_end,
	TP_PROTO(struct vpm_device *vpm, enum vpm_reason why,
		 enum vpm_zap_scope scope, unsigned int nr_vmas,
		 u64 duration_ns),
	TP_ARGS(vpm, why, scope, nr_vmas, duration_ns),
	TP_STRUCT__entry(
		__string(dev, vpm_name(vpm))
		__field(unsigned int, why)
		__field(unsigned int, scope)
		__field(unsigned int, nr_vmas)
		__field(u64, duration_ns)
	),
	TP_fast_assign(
		__assign_str(dev);
		__entry->why = why;
		__entry->scope = scope;
		__entry->nr_vmas = nr_vmas;
		__entry->duration_ns = duration_ns;
	),
	TP_printk("dev=%s reason=%s regions=%s vmas=%u duration_ns=%llu",
		  __get_str(dev),
		  vpm_show(VPM_REASON_LIST, __entry->why),
		  vpm_show(VPM_ZAP_SCOPE_LIST, __entry->scope),
		  __entry->nr_vmas, __entry->duration_ns)
);

TRACE_EVENT(vpm_revoke,
	TP_PROTO(struct vpm_device *vpm, enum vpm_revoke_mode mode,
		 unsigned int nr_vmas),
	TP_ARGS(vpm, mode, nr_vmas),
	TP_STRUCT__entry(
		__string(dev, vpm_name(vpm))
		__field(unsigned int, mode)
		__field(unsigned int, nr_vmas)
	),
	TP_fast_assign(
		__assign_str(dev);
		__entry->mode = mode;
		__entry->nr_vmas = nr_vmas;
	),
	TP_printk("dev=%s reason=request mode=%s vmas=%u", __get_str(dev),
		  vpm_show(VPM_REVOKE_LIST, __entry->mode),
		  __entry->nr_vmas)
);

TRACE_EVENT(vpm_ring_produce,
	TP_PROTO(struct vpm_device *vpm, u64 seq, u32 type, u32 reason,
		 u32 prod, u32 cons),
	TP_ARGS(vpm, seq, type, reason, prod, cons),
	TP_STRUCT__entry(
		__string(dev, vpm_name(vpm))
		__field(u64, seq)
		__field(u32, type)
		__field(u32, reason)
		__field(u32, prod)
		__field(u32, cons)
	),
	TP_fast_assign(
		__assign_str(dev);
		__entry->seq = seq;
		__entry->type = type;
		__entry->reason = reason;
		__entry->prod = prod;
		__entry->cons = cons;
	),
	TP_printk("dev=%s seq=%llu type=%s reason=%s prod=%u cons=%u",
		  __get_str(dev), __entry->seq,
		  __print_symbolic(__entry->type, VPM_RING_TYPE_LIST),
		  vpm_show_ring_reason(__entry->type, __entry->reason),
		  __entry->prod, __entry->cons)
);

TRACE_EVENT(vpm_ring_consume,
	TP_PROTO(struct vpm_device *vpm, u32 cons, u32 count, bool by_read),
	TP_ARGS(vpm, cons, count, by_read),
	TP_STRUCT__entry(
		__string(dev, vpm_name(vpm))
		__field(u32, cons)
		__field(u32, count)
		__field(bool, by_read)
	),
	TP_fast_assign(
		__assign_str(dev);
		__entry->cons = cons;
		__entry->count = count;
		__entry->by_read = by_read;
	),
	TP_printk("dev=%s cons=%u records=%u via=%s", __get_str(dev),
		  __entry->cons, __entry->count,
		  __entry->by_read ? "read" : "mmap")
);

TRACE_EVENT(vpm_ring_overflow,
	TP_PROTO(struct vpm_device *vpm, u64 lost),
	TP_ARGS(vpm, lost),
	TP_STRUCT__entry(
		__string(dev, vpm_name(vpm))
		__field(u64, lost)
	),
	TP_fast_assign(
		__assign_str(dev);
		__entry->lost = lost;
	),
	TP_printk("dev=%s lost=%llu", __get_str(dev), __entry->lost)
);

TRACE_EVENT(vpm_ring_invalid_cons,
	TP_PROTO(struct vpm_device *vpm, u32 value, u32 prod, u64 invalid),
	TP_ARGS(vpm, value, prod, invalid),
	TP_STRUCT__entry(
		__string(dev, vpm_name(vpm))
		__field(u32, value)
		__field(u32, prod)
		__field(u64, invalid)
	),
	TP_fast_assign(
		__assign_str(dev);
		__entry->value = value;
		__entry->prod = prod;
		__entry->invalid = invalid;
	),
	TP_printk("dev=%s cons=%u prod=%u invalid_total=%llu",
		  __get_str(dev), __entry->value, __entry->prod,
		  __entry->invalid)
);

#endif /* _TRACE_VFIO_PCI_MMAP_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vfio_pci_mmap_trace
#include <trace/define_trace.h>
