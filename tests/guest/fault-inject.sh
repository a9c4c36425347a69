#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Allocation failures in vfio-pci-mmap's mmap life cycle, on the debug
# kernel (failslab, fail_page_alloc; Debian's kernel has neither: SKIP).
#
#   tests/vm/run.sh --kernel debug tests/guest/fault-inject.sh \
#                   [ONLY=open,mmap,...] [PRESSURE_SECONDS=8] [VERBOSE=1]
#
# ONLY runs some of open, mmap-first, mmap, fault, fork, split, fault-huge,
# pressure; VERBOSE=1 prints the outcome of every N of every sweep.
#
# failslab and fail_page_alloc are armed with probability 0, so that only
# a task's /proc/thread-self/fail-nth injects: sleeping allocations,
# order-0 and highmem pages included (ignore-gfp-wait=N, min-order=0,
# ignore-gfp-highmem=N), and silently (verbose=0: their stack dumps would
# read as kernel splats).  Restored before the pressure test.
# tests/user/mmap_fault_inject then fails every injectable allocation call
# of each operation in turn (open, mmap, the first mmap of a BAR, faults,
# fork, splits) on edu (ivshmem for the 2 MiB faults), asserting clean
# errors and exact tracking after each, and churns fork and splits while a
# hog keeps the guest's MemAvailable near 32 MiB.  Afterwards the devices
# are unbound, no mapping may be left in debugfs, the module must unload,
# and kmemleak must still be running (a failed allocation of its own would
# have switched it off); the harness runs the kmemleak scan and fails the
# run on any splat or leak.

. "$REPO/tests/guest/lib.sh"

vpm_args fault-inject ONLY PRESSURE_SECONDS VERBOSE -- "$@"

BIN=$REPO/build/user
DRV=vfio-pci-mmap
DBG=/sys/kernel/debug
FI_PROG=$BIN/mmap_fault_inject
FI_ARGS=(--driver "$DRV")
[ "${VERBOSE:-0}" = 0 ] || FI_ARGS+=(--verbose)

mountpoint -q "$DBG" || mount -t debugfs debugfs "$DBG" 2>/dev/null
if [ ! -d "$DBG/failslab" ] || [ ! -d "$DBG/fail_page_alloc" ] ||
	[ ! -e /proc/self/fail-nth ]; then
	vpm_skip fault-inject "kernel $(uname -r) has no failslab/fail_page_alloc/fail-nth (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS)"
	exit 0
fi

vpm_build fault-inject/build tests/user "$BIN" || exit 1

# The fault-injection attributes, saved to be restored at the end.
fi_saved=()
fi_set() {
	local f=$DBG/$1
	[ -w "$f" ] || { vpm_say "fi_set: no $f"; return 1; }
	fi_saved+=("$f=$(cat "$f")")
	echo "$2" >"$f"
}
fi_restore() {
	local kv i
	for ((i = ${#fi_saved[@]} - 1; i >= 0; i--)); do
		kv=${fi_saved[i]}
		echo "${kv#*=}" >"${kv%%=*}"
	done
	fi_saved=()
}

fi_arm_kernel() {
	local a ok=0
	for a in failslab fail_page_alloc; do
		fi_set "$a/probability" 0 || ok=1
		fi_set "$a/interval" 1 || ok=1
		fi_set "$a/times" -1 || ok=1
		fi_set "$a/space" 0 || ok=1
		fi_set "$a/task-filter" N || ok=1
		fi_set "$a/verbose" 0 || ok=1
		fi_set "$a/ignore-gfp-wait" N || ok=1
	done
	fi_set fail_page_alloc/ignore-gfp-highmem N || ok=1
	fi_set fail_page_alloc/min-order 0 || ok=1
	return "$ok"
}

# pci_enable_device() and pci_disable_device() evaluate ACPI's _PRT for
# the device's INTx routing, and ACPICA does not survive a failed
# allocation in the middle of a reference-count walk:
# acpi_ut_update_object_reference() gives up with the counts half updated
# ("AE_NO_MEMORY, Could not update object reference count") and its
# callers carry on, which ends in a use-after-free of a namespace object
# in a later _PRT evaluation (KASAN: slab-use-after-free in
# acpi_ns_get_attached_object).  Not vfio-pci-mmap's code: while the
# sweeps that open and close the device run, sysfs holds edu enabled, so
# vfio-pci-core's enable and disable only move the device's enable count
# and none of the failures lands in ACPI.
#
# enable_set BDF 1|0: unbind, set the device's sysfs enable, bind again.
enable_set() {
	local err
	vpm_unbind "$1" || return 1
	err=$(vpm_write "/sys/bus/pci/devices/$1/enable" "$2") ||
		{ echo "enable=$2 $1: $err"; return 1; }
	vpm_bind "$1" "$DRV"
}

# Lines of the kernel log since mark (a line count of dmesg).
log_since() { dmesg | tail -n +"$(($1 + 1))"; }

kmemleak_running() {
	local k=$DBG/kmemleak
	if [ ! -e "$k" ]; then
		echo "no $k: kernel without kmemleak"
		return 0
	fi
	if dmesg | grep -E "kmemleak: (Cannot allocate a kmemleak_object|Kernel memory leak detector disabled)"; then
		echo "kmemleak switched itself off"
		return 1
	fi
	# A disabled kmemleak refuses every command but clear.
	echo stack=on >"$k" 2>/dev/null || { echo "kmemleak refuses commands: disabled"; return 1; }
	echo "kmemleak still running"
}

vpm_say "fault-inject: kernel $(uname -r), $(grep MemAvailable /proc/meminfo)"
t_start=$(date +%s)

vpm_run fault-inject/arm fi_arm_kernel || exit 1
vpm_run fault-inject/bind-edu vpm_bind "$EDU_BDF" "$DRV" || exit 1
vpm_run fault-inject/bind-ivshmem vpm_bind "$IVSHMEM_BDF" "$DRV" || exit 1

mark=$(dmesg | wc -l)
if vpm_wanted open || vpm_wanted mmap-first; then
	if vpm_run fault-inject/hold-edu-enabled enable_set "$EDU_BDF" 1; then
		for t in open mmap-first; do
			vpm_run_wanted "fault-inject/$t" 150 "$FI_PROG" "${FI_ARGS[@]}" \
				--bdf "$EDU_BDF" "$t"
		done
	fi
	vpm_run fault-inject/release-edu enable_set "$EDU_BDF" 0
fi
for t in mmap fault fork split; do
	vpm_run_wanted "fault-inject/$t" 150 "$FI_PROG" "${FI_ARGS[@]}" --bdf "$EDU_BDF" "$t"
done
vpm_run_wanted fault-inject/fault-huge 150 "$FI_PROG" "${FI_ARGS[@]}" --bdf "$IVSHMEM_BDF" fault-huge
# A user fault that returned VM_FAULT_OOM is retried after one rate-limited
# line: count them, with the ones the rate limit suppressed.
oom=$(log_since "$mark" | awk '
	/VM_FAULT_OOM leaked out to the #PF handler/ { n++ }
	/pagefault_out_of_memory: [0-9]+ callbacks suppressed/ {
		for (i = 1; i < NF; i++) if ($i == "pagefault_out_of_memory:") n += $(i + 1)
	}
	END { print n + 0 }')
vpm_say "kernel log during the sweeps: $oom user faults returned VM_FAULT_OOM and were retried"
fi_restore

if vpm_wanted pressure; then
	hugepages=$(cat /proc/sys/vm/nr_hugepages)
	vpm_run_for fault-inject/pressure 120 "$FI_PROG" "${FI_ARGS[@]}" --bdf "$EDU_BDF" \
		--seconds "${PRESSURE_SECONDS:-8}" pressure
	echo "$hugepages" >/proc/sys/vm/nr_hugepages
fi

vpm_run fault-inject/no-mapping-left vpm_no_mappings_left
vpm_run fault-inject/unbind-edu vpm_unbind "$EDU_BDF"
vpm_run fault-inject/unbind-ivshmem vpm_unbind "$IVSHMEM_BDF"
vpm_run fault-inject/module-unloads rmmod vfio-pci-mmap
vpm_run fault-inject/kmemleak-running kmemleak_running
vpm_say "fault-inject: $(($(date +%s) - t_start)) s"
exit 0
