#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make deb: build the Debian packages from a clean export of this tree and
# check them with lintian.
#
#   debian/build-deb.sh [OUTDIR]      (default build/deb)
#
# Writes OUTDIR/vfio-pci-mmap-dkms_<version>_all.deb (the module as dkms
# source, the uapi header, the docs, a modprobe.d example),
# OUTDIR/vfio-pci-mmap-dropin-dkms_<version>_all.deb (the drop-in build,
# module vfio-pci, as dkms source) and
# OUTDIR/vfio-pci-mmap-trace-plugins_<version>_<arch>.deb (the trace-cmd and
# KernelShark plugins), and OUTDIR/lintian.txt.  Installs the build
# dependencies it lacks (and lintian) when run as root.  Exits nonzero if
# the build fails or lintian reports an error.

set -euo pipefail
VPM_PROG=deb
. "$(dirname "$0")/../tests/common.sh"

out=$(realpath -m "${1:-$VPM_REPO/build/deb}")
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$VPM_REPO/dkms.conf")
work=$out/src
tree=$work/vfio-pci-mmap-$version

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]
}
install_missing() {
	[ "$#" -gt 0 ] || return 0
	[ "$(id -u)" = 0 ] || vpm_die "missing: $* (apt-get install them, or run as root)"
	vpm_msg "installing: $*"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" ||
		vpm_die "apt-get install failed"
}

# The packaging tools first; then dpkg-checkbuilddeps names what else the
# build needs.
need=()
for p in dpkg-dev debhelper dh-dkms lintian; do
	installed "$p" || need+=("$p")
done
install_missing "${need[@]}"
missing=$(cd "$VPM_REPO" && dpkg-checkbuilddeps 2>&1 |
	sed -n 's/.*Unmet build dependencies: //p' | sed 's/([^)]*)//g') || true
read -r -a need <<<"$missing"
install_missing "${need[@]}"

# A clean export: tracked and new files, no build output.
rm -rf "$work"
mkdir -p "$tree"
if git -C "$VPM_REPO" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$VPM_REPO" && git ls-files -z -co --exclude-standard) |
		(cd "$VPM_REPO" && tar --null -T - -cf -) | tar -C "$tree" -xf -
else
	# A tree without git (a 'git archive' export): all of it but build/.
	tar -C "$VPM_REPO" --exclude=./build -cf - . | tar -C "$tree" -xf -
fi

vpm_msg "dpkg-buildpackage in $tree"
(cd "$tree" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	vpm_die "dpkg-buildpackage failed (whole log: $out/build.log)"
}
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
changes=$(ls "$out"/*.changes)

vpm_msg "lintian $(basename "$changes")"
rc=0
lintian --fail-on error --info "$changes" >"$out/lintian.txt" 2>&1 || rc=$?
cat "$out/lintian.txt"
e=$(grep -c '^E: ' "$out/lintian.txt" || true)
w=$(grep -c '^W: ' "$out/lintian.txt" || true)
vpm_msg "lintian: $e errors, $w warnings"
[ "$rc" = 0 ] || vpm_die "lintian reported errors"
ls -l "$out"/*.deb
