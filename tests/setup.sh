#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Prepare a Debian 12 machine for building and testing vfio-pci-mmap.
#
#   tests/setup.sh [--update]
#
# Idempotent.  Picks the Debian 6.12 kernel the project builds and tests
# against (an unsigned linux-image-6.12.*+deb12-amd64 with headers of the same
# version), installs it and the tools below, and writes its release to
# $VPM_CACHE/kver (default ~/.cache/vfio-pci-mmap/kver).
#
# When every package is already installed, apt is not touched at all, so a
# second run is fast and works offline.  --update forces 'apt-get update' and
# moves to the newest 6.12 kernel apt offers.
#
# Environment: VPM_CACHE, VPM_MIN_FREE_GB (default 15).

set -euo pipefail
VPM_PROG=setup
. "$(dirname "$0")/common.sh"

# Everything but the kernel itself; the kernel pair is added once chosen.
# Installed without recommends: ImageMagick's SVG reader is its rsvg-convert
# delegate, librsvg2-bin, listed here (the demo's devices.png needs it).
# libkshark-dev needs libjson-c-dev and libglu1-mesa-dev for its headers
# (the KernelShark plugin, tracing/kshark/) but does not depend on them.
# dpdk and dpdk-dev (22.11: dpdk-testpmd and dpdk-devbind.py are in
# dpdk-dev) and driverctl are for tests/guest/dpdk-suite.sh: DPDK's own
# tools driving NICs bound to vfio-pci in the test VM; dpdk-devbind.py runs
# ip (iproute2) and lspci (pciutils), which a minimal Debian lacks and
# dpdk-dev does not depend on.  lcov turns the gcov counts of make coverage
# into per-file figures (tests/coverage.sh).
TOOLS=(
	build-essential kmod xz-utils git python3
	linux-source-6.12
	qemu-system-x86
	trace-cmd kernelshark libtraceevent-dev
	libkshark-dev libjson-c-dev libglu1-mesa-dev
	dkms sparse busybox-static socat
	flex bison bc libelf-dev libssl-dev ccache dwarves cpio
	xvfb x11-apps xdotool imagemagick librsvg2-bin
	dpdk dpdk-dev driverctl iproute2 pciutils
	lcov
)
MIN_FREE_GB=${VPM_MIN_FREE_GB:-15}
update=0

case "${1:-}" in
--update) update=1 ;;
"") ;;
*) echo "usage: tests/setup.sh [--update]" >&2; exit 2 ;;
esac

# --- the machine ----------------------------------------------------------
os_id=$( . /etc/os-release 2>/dev/null && echo "${ID:-}") || os_id=
ver=$( . /etc/os-release 2>/dev/null && echo "${VERSION_ID:-}") || ver=
if [ "$os_id" != debian ] || [ "$ver" != 12 ]; then
	vpm_die "this project needs Debian 12 (bookworm); this machine is '${os_id:-unknown} ${ver:-}'"
fi
[ "$(dpkg --print-architecture)" = amd64 ] ||
	vpm_die "this project needs an amd64 machine"

mkdir -p "$VPM_CACHE"
for d in / "$VPM_CACHE"; do
	free_kb=$(df -Pk "$d" | awk 'NR == 2 { print $4 }')
	if [ "$free_kb" -lt $((MIN_FREE_GB * 1024 * 1024)) ]; then
		vpm_die "$d has $((free_kb / 1024 / 1024)) GB free; building and testing needs about $MIN_FREE_GB GB"
	fi
done
vpm_msg "Debian 12, enough disk in / and $VPM_CACHE"

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]
}

# Newest installed pair: linux-image-R-unsigned and linux-headers-R of the
# same package version.
installed_kernel() {
	local rel img
	dpkg-query -W -f='${Package}\n' 'linux-image-6.12.*+deb12-amd64-unsigned' 2>/dev/null |
		sed -n 's/^linux-image-\(6\.12\..*+deb12-amd64\)-unsigned$/\1/p' |
		sort -rV | while read -r rel; do
			installed "linux-image-$rel-unsigned" || continue
			installed "linux-headers-$rel" || continue
			img=$(dpkg-query -W -f='${Version}' "linux-image-$rel-unsigned")
			[ "$img" = "$(dpkg-query -W -f='${Version}' "linux-headers-$rel")" ] || continue
			echo "$rel"
			break
		done
}

# Newest pair apt offers, both at the same candidate version.
candidate() {
	apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p'
}
offered_kernel() {
	local rel v
	apt-cache search --names-only '^linux-image-6\.12\..*\+deb12-amd64-unsigned$' |
		sed -n 's/^linux-image-\(6\.12\.[^ ]*+deb12-amd64\)-unsigned .*/\1/p' |
		sort -rV | while read -r rel; do
			v=$(candidate "linux-image-$rel-unsigned")
			[ -n "$v" ] && [ "$v" != "(none)" ] || continue
			[ "$v" = "$(candidate "linux-headers-$rel")" ] || continue
			echo "$rel"
			break
		done
}

missing_tools() {
	local p
	for p in "${TOOLS[@]}"; do
		installed "$p" || echo "$p"
	done
}

# --- fast path: nothing to install ---------------------------------------
kver=""
if [ "$update" = 0 ] && [ -z "$(missing_tools)" ]; then
	want=$(cat "$VPM_CACHE/kver" 2>/dev/null || true)
	if [ -n "$want" ] && installed "linux-image-$want-unsigned" &&
	   installed "linux-headers-$want"; then
		kver=$want
	elif [ -z "$want" ]; then
		kver=$(installed_kernel)
	fi
fi

if [ -n "$kver" ]; then
	vpm_msg "all packages already installed; not touching apt"
else
	[ "$(id -u)" = 0 ] || vpm_die "packages are missing and installing them needs root"
	export DEBIAN_FRONTEND=noninteractive
	vpm_msg "apt-get update"
	if ! apt-get update -q >"$VPM_CACHE/apt-update.log" 2>&1 ||
	   grep -qE '^(W|E): (Failed to fetch|Some index files failed)' "$VPM_CACHE/apt-update.log"; then
		cat "$VPM_CACHE/apt-update.log" >&2
		vpm_die "apt cannot reach its mirrors (see above); fix /etc/apt/sources.list or the network and rerun"
	fi
	kver=$(offered_kernel)
	[ -n "$kver" ] ||
		vpm_die "apt offers no linux-image-6.12.*+deb12-amd64-unsigned with linux-headers of the same version (is bookworm-backports or bookworm-security in sources.list?)"
	vpm_msg "kernel: $kver (newest 6.12 with matching headers)"
	pkgs=()
	for p in "${TOOLS[@]}" "linux-image-$kver-unsigned" "linux-headers-$kver"; do
		installed "$p" || pkgs+=("$p")
	done
	if [ "${#pkgs[@]}" = 0 ]; then
		vpm_msg "every package is installed already"
	else
		vpm_msg "installing: ${pkgs[*]}"
		apt-get install -y -q --no-install-recommends "${pkgs[@]}" ||
			vpm_die "apt-get install failed (see above)"
	fi
fi

[ -r "/boot/vmlinuz-$kver" ] || vpm_die "/boot/vmlinuz-$kver is missing: reinstall linux-image-$kver-unsigned"
[ -d "/lib/modules/$kver/build" ] || vpm_die "/lib/modules/$kver/build is missing: reinstall linux-headers-$kver"

old=$(cat "$VPM_CACHE/kver" 2>/dev/null || true)
if [ "$old" != "$kver" ]; then
	echo "$kver" >"$VPM_CACHE/kver.tmp" && mv "$VPM_CACHE/kver.tmp" "$VPM_CACHE/kver"
	vpm_msg "wrote $VPM_CACHE/kver: $kver"
fi
vpm_msg "ready: kernel $kver (cache: $VPM_CACHE)"
