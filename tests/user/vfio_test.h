/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The test library's header is tests/include/vfio_test.h.  This forwarder remains
 * only for tracing/tests, which still includes it from here.
 */
#include "../include/vfio_test.h"
