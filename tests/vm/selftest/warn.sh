#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Harness self-test, guest side: load a module that WARNs.  The script itself
# succeeds; the harness must still fail the run because of the splat.

. "$REPO/tests/guest/lib.sh"

vpm_run load-warn-module insmod "$1"
