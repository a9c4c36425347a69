#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Bounded stress (STRESS_SECONDS, default 60): at the same time
#   - mmap_stress on edu: threads touching BAR0 while another thread
#     toggles PCI_COMMAND memory enable and resets the device; every access
#     that succeeded inside a disabled window is a failure;
#   - ring records injected into edu's fault ring through debugfs, as fast
#     as the shell can write them;
#   - on edu2, processes that fork, munmap, mprotect and mremap mappings and
#     read/write through the fd (mmap_fork, mmap_tracking,
#     mmap_recursive_rw), over and over;
# then both devices are unbound and the module unloaded.  Afterwards no
# mapping may be left in debugfs; the harness adds the kmemleak scan and
# fails the run on any splat.
#
# vpm-vm-options: --timeout 900

. "$REPO/tests/guest/lib.sh"

SECS=${STRESS_SECONDS:-60}
BIN=$REPO/build/user
DRV=vfio-pci-mmap
DBG=/sys/kernel/debug/vfio-pci-mmap

vpm_build stress/build tests/user "$BIN" || exit 1
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug

churn() {
	local end=$((SECONDS + SECS)) n=0 p
	while [ "$SECONDS" -lt "$end" ]; do
		for p in mmap_fork mmap_tracking mmap_recursive_rw; do
			if ! EDU_BDF=$EDU2_BDF IVSHMEM_BDF="" "$BIN/$p" --driver "$DRV" \
				>/tmp/churn.log 2>&1; then
				cat /tmp/churn.log
				echo "churn: $p failed after $n rounds"
				return 1
			fi
		done
		n=$((n + 1))
	done
	echo "churn: $n rounds of fork/munmap/mprotect/mremap/read/write"
}

inject() {
	local n=0
	while kill -0 "$1" 2>/dev/null; do
		echo "64 1 6 0x1000" >"$DBG/$EDU_BDF/inject" 2>/dev/null && n=$((n + 64))
	done
	echo "inject: $n records offered to the ring"
}

concurrent() {
	local stress churner injector rs rc
	"$BIN/mmap_stress" --driver "$DRV" --bdf "$EDU_BDF" --seconds "$SECS" &
	stress=$!
	churn &
	churner=$!
	inject "$stress" &
	injector=$!
	wait "$stress"; rs=$?
	wait "$churner"; rc=$?
	wait "$injector"
	echo "mmap_stress exit $rs, churn exit $rc"
	[ "$rs" = 0 ] && [ "$rc" = 0 ]
}

vpm_run stress/bind-edu vpm_bind "$EDU_BDF" "$DRV"
vpm_run stress/bind-edu2 vpm_bind "$EDU2_BDF" "$DRV"
vpm_run stress/concurrent concurrent
vpm_run stress/no-mapping-left vpm_no_mappings_left
vpm_run stress/unbind-edu vpm_unbind "$EDU_BDF"
vpm_run stress/unbind-edu2 vpm_unbind "$EDU2_BDF"
vpm_run stress/module-unloads rmmod vfio-pci-mmap
