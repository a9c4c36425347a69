#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Check that dkms.conf works: 'dkms add' and 'dkms build' of a clean export
# of this tree against KVER, in a throw-away dkms tree and source tree, so
# nothing is left in /usr/src or /var/lib/dkms and reruns never find the
# module "already added".  The module is signed with a throw-away key too.
# Then the same for dkms-dropin.conf (dkms module vfio-pci-mmap-dropin, the
# package vfio-pci-mmap-dropin-dkms): it must build vfio-pci.ko and nothing
# else.
#
#   tests/dkms-check.sh KVER

set -euo pipefail
VPM_PROG=dkms-check
. "$(dirname "$0")/common.sh"

kver=${1:?usage: tests/dkms-check.sh KVER}
name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' "$VPM_REPO/dkms.conf")
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$VPM_REPO/dkms.conf")

tmp=$(mktemp -d /tmp/vpm-dkms.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/export" "$tmp/usrsrc" "$tmp/tree"

# What a release tarball would hold: tracked and new files, no build output
# (in a tree without git, e.g. a 'git archive' export: all of it but build/
# and kbuild's objects).
if git -C "$VPM_REPO" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$VPM_REPO" && git ls-files -z -co --exclude-standard) |
		(cd "$VPM_REPO" && tar --null -T - -cf -) | tar -C "$tmp/export" -xf -
else
	tar -C "$VPM_REPO" --exclude=./build --exclude='*.o' --exclude='*.ko' \
		--exclude='*.mod' --exclude='*.mod.c' --exclude='.*.cmd' \
		--exclude=Module.symvers --exclude=modules.order -cf - . |
		tar -C "$tmp/export" -xf -
fi

export mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub
dkms=(dkms --dkmstree "$tmp/tree" --sourcetree "$tmp/usrsrc")
"${dkms[@]}" add "$tmp/export"
if ! "${dkms[@]}" build -m "$name" -v "$version" -k "$kver"; then
	cat "$tmp/tree/$name/$version/build/make.log" 2>/dev/null || true
	vpm_die "dkms build failed"
fi
ko=$(find "$tmp/tree/$name/$version/$kver" -name "$name.ko*" | head -n 1)
[ -n "$ko" ] || vpm_die "dkms build produced no $name.ko"
vermagic=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
[ "$vermagic" = "$kver" ] || vpm_die "$ko has vermagic '$vermagic', expected $kver"
"${dkms[@]}" status -m "$name" -v "$version"
vpm_msg "dkms built ${ko#"$tmp/tree/"} for $kver"

# The drop-in's dkms module: the same export with dkms-dropin.conf as its
# dkms.conf, as the package installs it.
dname=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' "$VPM_REPO/dkms-dropin.conf")
dversion=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$VPM_REPO/dkms-dropin.conf")
[ "$dversion" = "$version" ] || vpm_die "dkms-dropin.conf says version $dversion, dkms.conf $version"
mkdir -p "$tmp/export-dropin"
tar -C "$tmp/export" -cf - . | tar -C "$tmp/export-dropin" -xf -
cp "$tmp/export-dropin/dkms-dropin.conf" "$tmp/export-dropin/dkms.conf"
"${dkms[@]}" add "$tmp/export-dropin"
if ! "${dkms[@]}" build -m "$dname" -v "$dversion" -k "$kver"; then
	cat "$tmp/tree/$dname/$dversion/build/make.log" 2>/dev/null || true
	vpm_die "dkms build of $dname failed"
fi
built=$(cd "$tmp/tree/$dname/$dversion/$kver" && find . -name '*.ko*' | sort)
ko=$(find "$tmp/tree/$dname/$dversion/$kver" -name 'vfio-pci.ko*' | head -n 1)
[ -n "$ko" ] || vpm_die "dkms build of $dname produced no vfio-pci.ko"
[ "$(echo "$built" | wc -l)" = 1 ] || vpm_die "dkms build of $dname kept more than vfio-pci.ko: $built"
# Kbuild built it alone (dkms cleans its build directory: its log says).
! grep -q 'vfio-pci-mmap\.ko' "$tmp/tree/$dname/$dversion/build/make.log" ||
	vpm_die "VPM_DROPIN=only built vfio-pci-mmap.ko too"
vermagic=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
[ "$vermagic" = "$kver" ] || vpm_die "$ko has vermagic '$vermagic', expected $kver"
[ "$(modinfo -F name "$ko")" = vfio_pci ] || vpm_die "$ko is not module vfio_pci"
"${dkms[@]}" status -m "$dname" -v "$dversion"
vpm_msg "dkms built ${ko#"$tmp/tree/"} for $kver"
