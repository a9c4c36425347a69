// SPDX-License-Identifier: GPL-2.0-only
/*
 * Instantiates the vfio_pci_mmap tracepoints (tracing/vfio_pci_mmap_trace.h).
 */
#define CREATE_TRACE_POINTS
#include "vfio_pci_mmap_trace.h"

static_assert(VPM_FAULT_OOM == (__force unsigned int)VM_FAULT_OOM);
static_assert(VPM_FAULT_SIGBUS == (__force unsigned int)VM_FAULT_SIGBUS);
static_assert(VPM_FAULT_NOPAGE == (__force unsigned int)VM_FAULT_NOPAGE);
static_assert(VPM_FAULT_LOCKED == (__force unsigned int)VM_FAULT_LOCKED);
static_assert(VPM_FAULT_FALLBACK == (__force unsigned int)VM_FAULT_FALLBACK);
