#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build vfio-pci-mmap.ko for a VM kernel flavour and print its path.
#
#   tests/vm/build-module.sh debian|debug
#
# debian: in the repository, against /lib/modules/$KVER/build (what 'make
#         build' does).
# debug:  in build/module-debug/, a copy of the module sources, against the
#         debug kernel's build tree, so the two flavours never overwrite
#         each other's objects.
#
# With VPM_COVERAGE=1 in the environment (make coverage), debug builds
# instead in build/module-coverage/ with VPM_GCOV=1: every object of the
# driver instrumented for gcov (vfio-pci-mmap/Kbuild), the KUnit module
# beside it as usual.  The uninstrumented build/module-debug/ is untouched.
#
# Build output goes to stderr; stdout is only the path of the module.

set -euo pipefail
VPM_PROG=build-module
. "$(dirname "$0")/../common.sh"

flavour=${1:-}
gcov=()
case "$flavour" in
debian)
	kdir=/lib/modules/$(vpm_kver)/build
	src=$VPM_REPO
	;;
debug)
	kroot=$(vpm_debug_kernel_dir) || exit 1
	kdir=$kroot/build
	src=$VPM_REPO/build/module-debug
	if [ "${VPM_COVERAGE:-0}" = 1 ]; then
		src=$VPM_REPO/build/module-coverage
		gcov=(VPM_GCOV=1)
	fi
	mkdir -p "$src"
	# Tracked and new (not ignored) files, minus the test tree.
	(cd "$VPM_REPO" && git ls-files -z -co --exclude-standard) |
		grep -zv -e '^tests/' -e '^docs/' -e '^\.ci/' |
		(cd "$VPM_REPO" && tar --null -T - -cf -) | tar -C "$src" -xf -
	;;
*)
	echo "usage: tests/vm/build-module.sh debian|debug" >&2
	exit 2
	;;
esac

[ -d "$kdir" ] || vpm_die "no kernel build tree at $kdir"
make -C "$kdir" M="$src" W=1 VPM_DROPIN=1 "${gcov[@]}" modules >&2 ||
	vpm_die "building the module against $kdir failed"
ko=$src/vfio-pci-mmap/vfio-pci-mmap.ko
[ -f "$ko" ] || vpm_die "the build did not produce $ko"
echo "$ko"
