#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The KUnit suites of vfio-pci-mmap (kunit/) in the test VM.
#
#   tests/vm/run.sh --kernel debug tests/guest/kunit.sh [KUNIT_MODULE=PATH]
#
# The harness has loaded vfio-pci-mmap.ko; this loads vfio-pci-mmap-kunit.ko
# (by default kunit/vfio-pci-mmap-kunit.ko next to the harness's module's
# directory, where tests/vm/build-module.sh debug builds it), which runs
# every suite while it loads.  Each suite's KTAP is read from
# /sys/kernel/debug/kunit/<suite>/results (from the kernel log when debugfs
# has no kunit directory) and turned by kunit/ktap-summary.py into one
# result per test case, or per parameter of a parameterized case, named
# kunit/<suite>.<case>[/<parameter>].  Loading and unloading the module are
# results too (kunit/module-load, kunit/module-unload).  The KTAP is kept
# in $OUT/kunit.ktap.
#
# A kernel without KUnit (Debian's) records one SKIP.

. "$REPO/tests/guest/lib.sh"

for a in "$@"; do
	case "$a" in
	KUNIT_MODULE=*) export "${a?}" ;;
	*) vpm_say "kunit: ignoring argument '$a'" ;;
	esac
done

if [ ! -d /sys/module/kunit ]; then
	vpm_skip kunit "kernel $(uname -r) has no KUnit (CONFIG_KUNIT)"
	exit 0
fi

if [ -z "${KUNIT_MODULE:-}" ]; then
	if [ -z "${VPM_MODULE:-}" ]; then
		vpm_result FAIL kunit/module-load "no KUNIT_MODULE= and no module from the harness"
		exit 1
	fi
	KUNIT_MODULE=$(dirname "$(dirname "$VPM_MODULE")")/kunit/vfio-pci-mmap-kunit.ko
fi
if [ ! -f "$KUNIT_MODULE" ]; then
	vpm_result FAIL kunit/module-load "$KUNIT_MODULE not found (built by tests/vm/build-module.sh debug)"
	exit 1
fi
if [ ! -d /sys/module/vfio_pci_mmap ]; then
	insmod "$VPM_MODULE" || {
		vpm_result FAIL kunit/module-load "insmod $VPM_MODULE failed"
		exit 1
	}
fi

# vpm_mmap fails the allocations of an mmap one after the other through
# the task's fail_nth: let failslab fail sleeping (GFP_KERNEL) allocations
# too, never page allocations, and print nothing (its stack dumps would
# read as kernel splats).  Restored after the suites.
fi_saved=()
fi_set() {
	local f=/sys/kernel/debug/$1
	[ -w "$f" ] || return 0
	fi_saved+=("$f=$(cat "$f")")
	echo "$2" >"$f"
}
fi_set failslab/ignore-gfp-wait N
fi_set failslab/verbose 0
fi_set fail_page_alloc/min-order 11
fi_set fail_page_alloc/verbose 0

debugfs=/sys/kernel/debug/kunit
suites_before=$(ls "$debugfs" 2>/dev/null)	# one name a line
marker="vpm-kunit: loading $(basename "$KUNIT_MODULE") at $(cut -d' ' -f1 /proc/uptime)"
echo "$marker" >/dev/kmsg

vpm_say "loading $KUNIT_MODULE (the suites run now)"
start=$(date +%s)
if insmod "$KUNIT_MODULE"; then
	vpm_result PASS kunit/module-load
else
	vpm_result FAIL kunit/module-load "insmod exit status $?"
fi
vpm_say "the suites took $(($(date +%s) - start)) s"
for kv in "${fi_saved[@]}"; do
	echo "${kv#*=}" >"${kv%%=*}"
done

ktap=$OUT/kunit.ktap
: >"$ktap"
files=()
if [ -d "$debugfs" ]; then
	for d in "$debugfs"/*/; do
		s=$(basename "$d")
		grep -qx -- "$s" <<<"$suites_before" && continue
		[ -r "$debugfs/$s/results" ] || continue
		cp "$debugfs/$s/results" "$OUT/kunit-$s.ktap"
		cat "$OUT/kunit-$s.ktap" >>"$ktap"
		files+=("$OUT/kunit-$s.ktap")
	done
fi
if [ ${#files[@]} = 0 ]; then
	vpm_say "no suite results in $debugfs: reading the kernel log"
	dmesg | sed -n "\\|$marker|,\$p" >"$ktap"
	files=("$ktap")
fi

vpm_say "KTAP of ${#files[@]} suite file(s) in $ktap"
summary=$(python3 "$REPO/kunit/ktap-summary.py" --prefix kunit/ \
	--results "$OUT/results" "${files[@]}" | vpm_prefix "kunit| " | tee /dev/stderr | tail -n 1)
vpm_say "KUnit: ${summary#kunit| }"

if [ -d /sys/module/vfio_pci_mmap_kunit ]; then
	if rmmod vfio_pci_mmap_kunit; then
		vpm_result PASS kunit/module-unload
	else
		vpm_result FAIL kunit/module-unload "rmmod exit status $?"
	fi
fi
exit 0
