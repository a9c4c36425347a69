// SPDX-License-Identifier: GPL-2.0-only
/*
 * Instantiates the vfio_pci_mmap tracepoints (tracing/vfio_pci_mmap_trace.h).
 */
#define CREATE_TRACE_POINTS
#include "vfio_pci_mmap_trace.h"
