/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the module exports.  The vfio-pci-mmap build exports
 * vfio_pci_mmap_report_fault() and, with CONFIG_KUNIT, the symbols its
 * KUnit suites use.  The drop-in build (dropin.h) exports nothing: the two
 * builds are alternatives, and modpost would otherwise find every symbol
 * twice and could make a module that uses one depend on the other.
 */
#ifndef VFIO_PCI_MMAP_EXPORTS_H
#define VFIO_PCI_MMAP_EXPORTS_H

#include <linux/export.h>
#include <kunit/visibility.h>

#ifdef VPM_DROPIN
#undef EXPORT_SYMBOL_IF_KUNIT
#define EXPORT_SYMBOL_IF_KUNIT(symbol)
#define VPM_EXPORT_SYMBOL_GPL(symbol)
#else
#define VPM_EXPORT_SYMBOL_GPL(symbol)	EXPORT_SYMBOL_GPL(symbol)
#endif

#endif /* VFIO_PCI_MMAP_EXPORTS_H */
