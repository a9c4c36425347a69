#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The mmap behaviour tests (tests/user/mmap_*) in the test VM.
#
#   tests/vm/run.sh [--no-module] tests/guest/mmap-suite.sh [DRIVER=vfio-pci] \
#                   [ONLY=lazy_fault,reset,...] [SKIP=unplug,...]
#                   [REVOKE=auto|sigbus|ones] [UNPLUG_REQ=0]
#
# Binds edu, ivshmem and nvme (and edu2 for the unplug test) to DRIVER
# (default vfio-pci-mmap; DRIVER may also come from the environment), runs
# each program with --driver DRIVER, and unbinds.  With DRIVER=vfio-pci the
# same programs check the stock driver; they skip the assertions that are
# specific to vfio-pci-mmap (debugfs, revocation, sysfs-reset zap, the
# misaligned huge-mapping bound).
#
# Results are named mmap/NAME for vfio-pci-mmap and stock/NAME for any other
# driver.  A program exiting 77 is recorded as SKIP.  The unplug test runs
# last: it removes edu2 for the rest of the boot, so one boot checks one
# revocation mode: REVOKE sets vfio-pci-mmap's revoke parameter first, and
# UNPLUG_REQ=0 keeps the test from registering a request eventfd (with
# revoke=auto: SIGBUS instead of all-ones reads).

. "$REPO/tests/guest/lib.sh"

vpm_args mmap-suite DRIVER ONLY SKIP SECONDS_STRESS REVOKE UNPLUG_REQ -- "$@"
DRIVER=${DRIVER:-vfio-pci-mmap}
if [ "$DRIVER" = vfio-pci-mmap ]; then prefix=mmap; else prefix=stock; fi

BIN=$REPO/build/user
vpm_build "$prefix/build" tests/user "$BIN" || exit 1

mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

# test NAME TIMEOUT [ARGS...]: run tests/user/mmap_NAME if wanted.
t() { vpm_run_wanted "$prefix/$1" "$2" "$BIN/mmap_$1" --driver "$DRIVER" "${@:3}"; }

bind() {
	local bdf=$1 what=$2
	if [ -z "$bdf" ] || [ ! -e "/sys/bus/pci/devices/$bdf" ]; then
		vpm_say "no $what device"
		return 1
	fi
	vpm_bind "$bdf" "$DRIVER" || {
		vpm_result FAIL "$prefix/bind-$what" "cannot bind $bdf to $DRIVER"
		return 1
	}
}

vpm_say "mmap-suite: driver $DRIVER, kernel $(uname -r)"
if [ "$DRIVER" = vfio-pci-mmap ] && [ -d /sys/module/vfio_pci_mmap/parameters ]; then
	for p in /sys/module/vfio_pci_mmap/parameters/*; do
		[ -e "$p" ] && vpm_say "param ${p##*/}=$(cat "$p" 2>/dev/null)"
	done
fi

bind "$EDU_BDF" edu
bind "$IVSHMEM_BDF" ivshmem
bind "$NVME_BDF" nvme

t lazy_fault 60
t huge 600
t huge_race 300
t soft_dirty 60
t block_fill 120
t fill_prot 60
t reset 60
t mem_disable 60
t low_power 90
t sysfs_reset 60
t fork 60
t threads 120
t tracking 60
t recursive_rw 60
t bad_input 60
t stress 120 --seconds "${SECONDS_STRESS:-10}"
t revoke_ones 120
t msix_sparse 60
t reset_close 120
t policy_feature 120
t policy_kill 120
t policy_ones 120

if vpm_wanted unplug; then
	unplug_args=()
	[ "${UNPLUG_REQ:-1}" != 0 ] || unplug_args+=(--no-req)
	if [ -n "${REVOKE:-}" ] && [ "$DRIVER" = vfio-pci-mmap ]; then
		err=$(vpm_write /sys/module/vfio_pci_mmap/parameters/revoke "$REVOKE") ||
			vpm_result FAIL "$prefix/revoke-param" "cannot set revoke=$REVOKE: $err"
	fi
	if bind "$EDU2_BDF" edu2; then
		t unplug 180 "${unplug_args[@]}"
	fi
fi

for bdf in "$EDU_BDF" "$IVSHMEM_BDF" "$NVME_BDF"; do
	[ -e "/sys/bus/pci/devices/$bdf" ] && vpm_unbind "$bdf"
done
exit 0
