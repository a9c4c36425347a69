#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Check that dkms.conf works: 'dkms add' and 'dkms build' of a clean export
# of this tree against KVER, in a throw-away dkms tree and source tree, so
# nothing is left in /usr/src or /var/lib/dkms and reruns never find the
# module "already added".  The module is signed with a throw-away key too.
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
