// SPDX-License-Identifier: GPL-2.0-only
/*
 * Instantiates the vfio_pci_mmap tracepoints (vfio_pci_mmap_trace.h, beside it).
 */
#define CREATE_TRACE_POINTS
#include "vfio_pci_mmap_trace.h"
#include "exports.h"

/* The KUnit tests attach probes to check what is traced. */
EXPORT_SYMBOL_IF_KUNIT(__tracepoint_vpm_state_change);
EXPORT_SYMBOL_IF_KUNIT(__tracepoint_vpm_vma_track);
EXPORT_SYMBOL_IF_KUNIT(__tracepoint_vpm_vma_untrack);
EXPORT_SYMBOL_IF_KUNIT(__tracepoint_vpm_vma_moved);
EXPORT_SYMBOL_IF_KUNIT(__tracepoint_vpm_zap_begin);
EXPORT_SYMBOL_IF_KUNIT(__tracepoint_vpm_fault);

static_assert(VPM_FAULT_OOM == (__force unsigned int)VM_FAULT_OOM);
static_assert(VPM_FAULT_SIGBUS == (__force unsigned int)VM_FAULT_SIGBUS);
static_assert(VPM_FAULT_NOPAGE == (__force unsigned int)VM_FAULT_NOPAGE);
static_assert(VPM_FAULT_LOCKED == (__force unsigned int)VM_FAULT_LOCKED);
static_assert(VPM_FAULT_RETRY == (__force unsigned int)VM_FAULT_RETRY);
static_assert(VPM_FAULT_FALLBACK == (__force unsigned int)VM_FAULT_FALLBACK);
