#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Harness self-test, guest side: hang the guest's own watchdog as a guest
# that lost its root file system would.  The guest script's time limit is
# enforced by timeout(1), this script's parent: stop it, then never finish.
# Only the host's timeout is left; it must list the guest's blocked tasks
# (SysRq-w through QMP) before it kills QEMU.

echo "stopping the guest-side timeout (pid $PPID) and sleeping"
kill -STOP "$PPID"
sleep 100000
