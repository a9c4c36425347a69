#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Harness self-test, guest side: with --unplug-after, edu2 must leave the
# guest's PCI bus without the script asking for it.  (guest-main.sh found
# it there before the script started.)

. "$REPO/tests/guest/lib.sh"

vpm_run edu2-unplugged-by-host vpm_wait_gone "$EDU2_BDF" 40
