#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The access gate of read()/write() and of faults: tests that place accesses
# against the driver's reset windows with its trace events
# (tests/user/mmap_rw_gate, tests/user/mmap_policy_block with
# resetting=block and resetting=sigbus).
#
#   tests/vm/run.sh tests/guest/gate-suite.sh
#
# Enabling a tracepoint patches kernel text: one vCPU (see --smp in
# tests/vm/run.sh).
# vpm-vm-options: --smp 1

. "$REPO/tests/guest/lib.sh"

BIN=$REPO/build/user
vpm_build gate/build tests/user "$BIN" || exit 1
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

vpm_run gate/bind-edu vpm_bind "$EDU_BDF" vfio-pci-mmap || exit 1
vpm_run_for gate/rw_gate 300 "$BIN/mmap_rw_gate" --bdf "$EDU_BDF" --policy sigbus
vpm_run_for gate/rw_gate_block 300 "$BIN/mmap_rw_gate" --bdf "$EDU_BDF" --policy block
vpm_run_for gate/policy_block 300 "$BIN/mmap_policy_block" --bdf "$EDU_BDF" --policy block
vpm_run_for gate/policy_block_sigbus 300 "$BIN/mmap_policy_block" --bdf "$EDU_BDF" --policy sigbus
vpm_unbind "$EDU_BDF"
exit 0
