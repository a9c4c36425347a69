#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The access gate of read()/write() and of faults: tests that place accesses
# against the driver's reset windows with its trace events
# (tests/user/mmap_rw_gate, tests/user/mmap_policy_block with
# resetting=block and resetting=sigbus), the bound's module parameter, and
# the narrow accesses and ioctls of tests/user/mmap_rw_ioctls.
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

# block_timeout_ms, the bound of a blocking window: 1 to 600000 ms; any
# other value is refused and leaves the parameter as it was.
timeout_param() {
	local p=/sys/module/vfio_pci_mmap/parameters/block_timeout_ms old v rc=0
	old=$(cat "$p") || return 1
	vpm_write "$p" 250 || rc=1
	[ "$(cat "$p")" = 250 ] || { echo "wrote 250, reads $(cat "$p")"; rc=1; }
	for v in 0 600001 -1 abc ""; do
		if vpm_write "$p" "$v" 2>/dev/null; then
			echo "'$v' was accepted"
			rc=1
		fi
	done
	[ "$(cat "$p")" = 250 ] || { echo "a refused write changed it: $(cat "$p")"; rc=1; }
	vpm_write "$p" 600000 && [ "$(cat "$p")" = 600000 ] || rc=1
	vpm_write "$p" "$old" || rc=1
	return "$rc"
}
vpm_run gate/block_timeout_param timeout_param

vpm_run gate/bind-edu vpm_bind "$EDU_BDF" vfio-pci-mmap || exit 1
# debugfs hold_window takes a boolean and nothing else.
hold_window_malformed() {
	local f=/sys/kernel/debug/vfio-pci-mmap/$EDU_BDF/hold_window v rc=0
	for v in maybe 2 ""; do
		if vpm_write "$f" "$v" >/dev/null; then
			echo "'$v' was accepted"
			rc=1
		fi
	done
	[ "$(cat "/sys/kernel/debug/vfio-pci-mmap/$EDU_BDF/state")" = enabled ] ||
		{ echo "state: $(cat "/sys/kernel/debug/vfio-pci-mmap/$EDU_BDF/state")"; rc=1; }
	return "$rc"
}
vpm_run gate/hold_window_malformed hold_window_malformed
vpm_run_for gate/rw_gate 300 "$BIN/mmap_rw_gate" --bdf "$EDU_BDF" --policy sigbus
vpm_run_for gate/rw_gate_block 300 "$BIN/mmap_rw_gate" --bdf "$EDU_BDF" --policy block
vpm_run_for gate/policy_block 300 "$BIN/mmap_policy_block" --bdf "$EDU_BDF" --policy block
vpm_run_for gate/policy_block_sigbus 300 "$BIN/mmap_policy_block" --bdf "$EDU_BDF" --policy sigbus
vpm_run_for gate/rw_ioctls 120 "$BIN/mmap_rw_ioctls" --bdf "$EDU_BDF"
vpm_unbind "$EDU_BDF"
exit 0
