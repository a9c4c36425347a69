/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The test library's header is tests/include/ring_lib.h.  This forwarder remains
 * only for tracing/tests, which still includes it from here.
 */
#include "../include/ring_lib.h"
