# SPDX-License-Identifier: GPL-2.0-only
#
# Shared helpers for the host-side test scripts (setup, VM harness, check).
# Source it; do not run it.  Everything here runs on the host, never in a guest.

VPM_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VPM_CACHE=${VPM_CACHE:-$HOME/.cache/vfio-pci-mmap}
export VPM_CACHE

vpm_msg() { printf '%s: %s\n' "${VPM_PROG:-vpm}" "$*"; }
vpm_die() { printf '%s: error: %s\n' "${VPM_PROG:-vpm}" "$*" >&2; exit 1; }

# The kernel release the project builds and tests against, as chosen by
# tests/setup.sh.  Never the running kernel: the host may run anything.
vpm_kver() {
	local kver
	kver=$(cat "$VPM_CACHE/kver" 2>/dev/null) ||
		vpm_die "no kernel chosen yet ($VPM_CACHE/kver missing): run 'make setup'"
	[ -n "$kver" ] || vpm_die "$VPM_CACHE/kver is empty: run 'make setup'"
	printf '%s\n' "$kver"
}

# Quote a string for both bash and busybox ash: 'it'\''s'.
vpm_shquote() {
	local s=${1//\'/\'\\\'\'}
	printf "'%s'" "$s"
}

# The debug kernel's directory (bzImage, build/, modroot/, release), as built
# by tests/kernel/build-debug-kernel.sh; VPM_DEBUG_KERNEL_DIR overrides it.
vpm_debug_kernel_dir() {
	if [ -n "${VPM_DEBUG_KERNEL_DIR:-}" ]; then
		[ -f "$VPM_DEBUG_KERNEL_DIR/bzImage" ] ||
			vpm_die "VPM_DEBUG_KERNEL_DIR=$VPM_DEBUG_KERNEL_DIR has no bzImage"
		printf '%s\n' "$VPM_DEBUG_KERNEL_DIR"
		return
	fi
	"$VPM_REPO/tests/kernel/build-debug-kernel.sh" --print-dir ||
		vpm_die "the debug kernel is not built: run tests/kernel/build-debug-kernel.sh"
}
