// SPDX-License-Identifier: GPL-2.0-only
/*
 * The test library's source is tests/lib/ring_lib.c.  This forwarder remains only
 * for tracing/tests/Makefile, which still compiles it from here.
 */
#include "../lib/ring_lib.c"
