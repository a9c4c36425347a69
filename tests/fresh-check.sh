#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make fresh-check: prove the README on a Debian 12 machine that has
# nothing.  Not part of 'make check'.
#
#   tests/fresh-check.sh [--keep] [--package-only]
#
# 1. debootstrap a minimal Debian 12 root (--variant=minbase) from Debian's
#    mirrors.  Only the downloaded .debs are cached between runs
#    ($VPM_CACHE/fresh-check/debootstrap and .../apt, the latter mounted
#    on the root's /var/cache/apt/archives); the installed tree is made
#    anew every time and removed at the end (--keep keeps it).
# 2. Copy 'git archive HEAD' of this repository into /root/vfio-pci-mmap of
#    the root (uncommitted changes are not part of it).
# 3. Inside it, as a newcomer following the README, nothing else
#    installed first: 'apt-get update && apt-get install -y make' (a
#    minimal Debian has no make), 'make demo', then
#    'make check CHECK_TIERS="build sparse dkms tracing vm-debian"'.
#    Either failing fails the check, and so does any artefact the README
#    promises that is missing or empty (trace.dat, timeline.txt,
#    devices.svg, devices.png, the KernelShark sessions, kernelshark.png).
# 4. The Debian package: 'make deb' (lintian: no error), 'apt-get install'
#    of the .debs (dkms builds the module for the root's 6.12 kernel), then
#    a VM (tests/guest/packaged.sh) that binds edu with driverctl, which
#    loads the module dkms built, and runs the demo program on it.
# 5. The drop-in package: 'apt-get install' of
#    vfio-pci-mmap-dropin-dkms (the opt-in, docs/install.rst) must put
#    vfio-pci.ko in /lib/modules/<release>/updates/dkms/ and make modinfo
#    and 'modprobe --show-depends vfio-pci' resolve vfio-pci to it; 'apt-get
#    remove' must give vfio-pci back to the kernel
#    (kernel/drivers/vfio/pci/vfio-pci.ko), a second install take it again,
#    and 'apt-get purge' give it back again.  After the first install, a VM
#    (tests/guest/packaged.sh DROPIN=1): driverctl set-override edu
#    vfio-pci must load the drop-in and bind edu to it, and the demo
#    program work on it.
# 6. 'apt-get purge' of the other packages: no file of this project may be
#    left under /lib/modules, /usr/src or /var/lib/dkms.
#
# --package-only: instead of 3., only what 4. needs ('make setup' and the
# user programs, 'make user'): phases 4 to 6 in a few minutes.
#
# VPM_FRESH_VM_LOCK=FILE: hold flock(1) on FILE (a path on this machine)
# for the phases that boot VMs, so that VM runs of other work on a shared
# machine never overlap with them.
#
# Prints each phase's time, and a summary.  Needs root and about 15 GB in
# /var/tmp (VPM_FRESH_DIR: where the root is made) for the root's packages,
# kernel source and builds.  Takes 20-40 minutes on 2 cores, most of it
# apt's downloads on a first run and the VM suites.

set -euo pipefail
VPM_PROG=fresh-check
. "$(dirname "$0")/common.sh"

keep=0
package_only=0
for a in "$@"; do
	case "$a" in
	--keep) keep=1 ;;
	--package-only) package_only=1 ;;
	*) echo "usage: tests/fresh-check.sh [--keep] [--package-only]" >&2; exit 2 ;;
	esac
done
vm_lock=${VPM_FRESH_VM_LOCK:-}

[ "$(id -u)" = 0 ] || vpm_die "needs root (debootstrap, chroot, mounts)"

# Everything below runs in a mount namespace of its own, so that no mount of
# the root outlives this script, whatever happens.
if [ -z "${VPM_FRESH_NS:-}" ]; then
	exec unshare --mount --propagation private env VPM_FRESH_NS=1 "$0" "$@"
fi

MIRROR=${VPM_FRESH_MIRROR:-http://deb.debian.org/debian}
cache=$VPM_CACHE/fresh-check
mkdir -p "$cache/debootstrap" "$cache/apt"
base=${VPM_FRESH_DIR:-/var/tmp}
mkdir -p "$base"
root=$(mktemp -d "$base/vpm-fresh.XXXXXX")
chmod 755 "$root"      # a root file system: others may enter it
repo_in=/root/vfio-pci-mmap
log=$root.log
: >"$log"

start_all=$(date +%s)
phases=()
phase_start=0
phase() {
	phase_start=$(date +%s)
	vpm_msg "=== phase: $1 ($(date -u +%H:%M:%S) UTC)"
}
phase_end() {
	local s=$(($(date +%s) - phase_start))
	phases+=("$(printf '%-28s %3dm %02ds  %s' "$1" $((s / 60)) $((s % 60)) "$2")")
	vpm_msg "=== $1: $2 in $((s / 60))m $((s % 60))s"
}

# --- cleanup: unmount everything under the root, then remove it -------------
mounted_under() {
	findmnt -rn -o TARGET | awk -v r="$root" 'index($0, r "/") == 1 || $0 == r' | sort -r
}
# Processes still running in the root (a daemon a package started anyway):
# found by their root directory, ended by pid.
in_root_pids() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && echo "${p#/proc/}"
	done
	return 0
}
cleanup() {
	local m p
	for p in $(in_root_pids); do
		vpm_msg "ending pid $p, still running in the root: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
		kill "$p" 2>/dev/null || true
	done
	sleep 1
	for m in $(mounted_under); do
		umount -l "$m" 2>/dev/null || true
	done
	if [ -n "$(mounted_under)" ]; then
		echo "fresh-check: still mounted under $root, not removing it:" >&2
		mounted_under >&2
		return
	fi
	if [ "$keep" = 1 ]; then
		vpm_msg "kept the root: $root"
	else
		rm -rf --one-file-system "$root"
	fi
}
trap cleanup EXIT

# Run a command line in the root, as root would at a fresh login.
in_root() {
	chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive \
		/bin/bash -c "$1"
}

# in_root_vm CMD: in_root CMD, which boots VMs: under the VM lock if any.
in_root_vm() {
	if [ -n "$vm_lock" ]; then
		( flock 9 && in_root "$1" ) 9>>"$vm_lock"
	else
		in_root "$1"
	fi
}

failures=()
fail() {
	failures+=("$1")
	vpm_msg "FAILED: $1"
}

# --- 1. the root ---------------------------------------------------------------
command -v debootstrap >/dev/null || {
	vpm_msg "installing debootstrap on this machine"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null
}
phase debootstrap
debootstrap --variant=minbase --cache-dir="$cache/debootstrap" \
	bookworm "$root" "$MIRROR" >>"$log" 2>&1 ||
	{ tail -n 30 "$log" >&2; vpm_die "debootstrap failed (log: $log)"; }
phase_end debootstrap "minimal bookworm root in $root ($(du -sh --one-file-system "$root" | cut -f1))"

# --- 2. as a fresh machine: Debian's sources, network, the tree --------------
phase prepare
cat >"$root/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb ${MIRROR%/debian}/debian-security bookworm-security main
EOF
# This machine's apt settings that concern reaching the mirror (not what is
# installed): a mirror whose Release files are older than their Valid-Until
# is still used.
if [ -f /etc/apt/apt.conf.d/99artifact-registry ]; then
	cp /etc/apt/apt.conf.d/99artifact-registry "$root/etc/apt/apt.conf.d/"
fi
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
# A chroot, not a booted machine: packages must not start their daemons in
# it (the usual policy-rc.d of chroots; a booted machine runs them under its
# own init, and nothing here needs one).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"
mount -t tmpfs tmpfs "$root/run"
mount --bind "$cache/apt" "$root/var/cache/apt/archives"
mkdir -p "$root$repo_in"
git -C "$VPM_REPO" archive --format=tar HEAD | tar -C "$root$repo_in" -xf -
head=$(git -C "$VPM_REPO" log -1 --format='%h %s')
phase_end prepare "git archive of HEAD ($head)"

# --- 3. the README, as a newcomer ----------------------------------------------
phase "README: apt-get install make"
if in_root "apt-get update -q && apt-get install -y -q make" >>"$log" 2>&1; then
	phase_end "README: apt-get install make" "ok"
else
	phase_end "README: apt-get install make" "FAILED"
	tail -n 20 "$log" >&2
	vpm_die "apt-get install make failed in the root (log: $log)"
fi

if [ "$package_only" = 0 ]; then
	phase "README: make demo"
	if in_root_vm "cd $repo_in && make demo" 2>&1 | tee -a "$log" | sed 's/^/  demo| /'; then
		phase_end "README: make demo" "passed"
	else
		phase_end "README: make demo" "FAILED"
		fail "make demo"
	fi
	demo_dir=$repo_in/build/vm/demo/demo
	if in_root "cd $repo_in && tracing/record-demo.sh --check --screenshot $demo_dir" 2>&1 | sed 's/^/  /'; then
		vpm_msg "every artefact the README promises is there:"
		(cd "$root$demo_dir" && ls -l trace.dat timeline.txt devices.svg devices.png \
			trace-session*.json kernelshark.png) | sed 's/^/  /'
	else
		fail "demo artefacts missing or empty (above)"
	fi

	phase "README: make check"
	tiers="build sparse dkms tracing vm-debian"
	if in_root_vm "cd $repo_in && make check CHECK_TIERS=\"$tiers\"" 2>&1 | tee -a "$log" |
	   sed 's/^/  check| /'; then
		phase_end "README: make check" "passed ($(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1))"
	else
		phase_end "README: make check" "FAILED ($(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1))"
		fail "make check CHECK_TIERS=\"$tiers\""
	fi
else
	# Only what the package phases use: the kernel (its headers, for dkms),
	# QEMU and driverctl's VM, and the demo program packaged.sh runs.
	phase "make setup + make user"
	if in_root "cd $repo_in && make setup && make user" >>"$log" 2>&1; then
		phase_end "make setup + make user" "ok"
	else
		phase_end "make setup + make user" "FAILED"
		tail -n 20 "$log" >&2
		vpm_die "make setup or make user failed in the root (log: $log)"
	fi
fi

# --- 4. the Debian package --------------------------------------------------------
phase "make deb + install"
kver=$(cat "$root/root/.cache/vfio-pci-mmap/kver" 2>/dev/null || true)
if in_root "cd $repo_in && make deb" 2>&1 | tee -a "$log" | sed 's/^/  deb| /' &&
   in_root "cd $repo_in && apt-get install -y -q ./build/deb/vfio-pci-mmap-dkms_*_all.deb ./build/deb/vfio-pci-mmap-trace-plugins_*_amd64.deb" 2>&1 |
   tee -a "$log" | sed 's/^/  install| /'; then
	ko=$(ls "$root/lib/modules/$kver/updates/dkms/"vfio-pci-mmap.ko* 2>/dev/null || true)
	for f in /usr/include/linux/vfio_pci_mmap.h \
		/usr/lib/x86_64-linux-gnu/traceevent/plugins/plugin_vfio_pci_mmap.so \
		/usr/lib/x86_64-linux-gnu/kernelshark/plugins/plugin-vfio_pci_mmap.so \
		/usr/share/doc/vfio-pci-mmap-dkms/examples/vfio-pci-mmap.conf; do
		[ -s "$root$f" ] || fail "the packages did not install $f"
	done
	if [ -n "$ko" ]; then
		phase_end "make deb + install" "dkms built ${ko#"$root"}"
	else
		phase_end "make deb + install" "FAILED: no module in /lib/modules/$kver/updates/dkms"
		fail "installing the package built no module for $kver"
	fi
else
	phase_end "make deb + install" "FAILED"
	fail "make deb or installing the packages"
fi

phase "packaged module in a VM"
if in_root "apt-get install -y -q driverctl" >>"$log" 2>&1 &&
   in_root_vm "cd $repo_in && tests/vm/run.sh --no-module --smp 1 tests/guest/packaged.sh" 2>&1 |
   tee -a "$log" | sed 's/^/  vm| /'; then
	phase_end "packaged module in a VM" "passed (driverctl bound edu to the dkms module)"
else
	phase_end "packaged module in a VM" "FAILED"
	fail "the packaged module in a VM (tests/guest/packaged.sh)"
fi

# --- 5. the drop-in package ---------------------------------------------------------
# Installing vfio-pci-mmap-dropin-dkms is the opt-in (docs/install.rst):
# dkms builds vfio-pci.ko into updates/dkms/, and modprobe vfio-pci (which
# resolves through modules.dep, as modinfo does) must find it there; removing
# the package must give vfio-pci back to the kernel.  Twice, to show the way
# back leaves nothing that stops a second install.
dropin_deb="./build/deb/vfio-pci-mmap-dropin-dkms_*_all.deb"
# vfio_pci_is WHICH: modinfo -n, modprobe --show-depends and the parameters
# of vfio-pci in the root, for $kver, must all be the drop-in's (WHICH=dropin,
# under updates/dkms/) or the kernel's (WHICH=kernel); prints what they say.
vfio_pci_is() {
	local which=$1 n deps parm want ok=0
	n=$(in_root "modinfo -k $kver -n vfio-pci" 2>&1)
	deps=$(in_root "modprobe -S $kver --show-depends vfio-pci" 2>&1 |
		sed -n 's/^insmod \([^ ]*\/vfio-pci\.ko[^ ]*\).*/\1/p')
	parm=$(in_root "modinfo -k $kver -F parm vfio-pci" 2>&1 | grep -c '^policy_resetting:' || true)
	case "$which" in
	dropin) want="/lib/modules/$kver/updates/dkms/vfio-pci.ko"
		[ "$parm" = 1 ] || ok=1 ;;
	kernel) want="/lib/modules/$kver/kernel/drivers/vfio/pci/vfio-pci.ko"
		[ "$parm" = 0 ] || ok=1 ;;
	esac
	case "$n" in "$want"|"$want".*) ;; *) ok=1 ;; esac
	case "$deps" in "$want"|"$want".*) ;; *) ok=1 ;; esac
	echo "modinfo -n vfio-pci: $n; modprobe --show-depends vfio-pci: insmod ${deps:-nothing}; parameter policy_resetting: $([ "$parm" = 1 ] && echo yes || echo no)"
	return "$ok"
}
# dropin_left: the files of the drop-in package (its dkms module) still there.
dropin_left() {
	(cd "$root" && ls -d lib/modules/*/updates/dkms/vfio-pci.ko* \
		usr/src/vfio-pci-mmap-dropin-* var/lib/dkms/vfio-pci-mmap-dropin 2>/dev/null) || true
}

phase "drop-in package"
dropin_ok=1
for round in 1 2; do
	if ! in_root "cd $repo_in && apt-get install -y -q $dropin_deb" 2>&1 |
	   tee -a "$log" | sed "s/^/  dropin-install-$round| /"; then
		fail "apt-get install vfio-pci-mmap-dropin-dkms (round $round)"
		dropin_ok=0
		break
	fi
	if said=$(vfio_pci_is dropin); then
		vpm_msg "installed (round $round): $said"
	else
		vpm_msg "installed (round $round), not the drop-in: $said"
		fail "vfio-pci-mmap-dropin-dkms installed: vfio-pci is not the drop-in in updates/dkms (round $round)"
		dropin_ok=0
	fi
	# Once: in a VM, driverctl's modprobe must load it and bind edu to it.
	if [ "$round" = 1 ] &&
	   ! in_root_vm "cd $repo_in && tests/vm/run.sh --no-module --smp 1 --out build/vm/packaged-dropin tests/guest/packaged.sh DROPIN=1" 2>&1 |
	   tee -a "$log" | sed 's/^/  vm-dropin| /'; then
		fail "the packaged drop-in in a VM (tests/guest/packaged.sh DROPIN=1)"
		dropin_ok=0
	fi
	how=remove
	[ "$round" = 1 ] || how=purge
	if ! in_root "apt-get $how -y -q vfio-pci-mmap-dropin-dkms" 2>&1 |
	   tee -a "$log" | sed "s/^/  dropin-$how-$round| /"; then
		fail "apt-get $how vfio-pci-mmap-dropin-dkms (round $round)"
		dropin_ok=0
		break
	fi
	if said=$(vfio_pci_is kernel); then
		vpm_msg "after apt-get $how (round $round): $said"
	else
		vpm_msg "after apt-get $how (round $round), not the kernel's: $said"
		fail "apt-get $how vfio-pci-mmap-dropin-dkms did not give vfio-pci back to the kernel (round $round)"
		dropin_ok=0
	fi
	left=$(dropin_left)
	if [ -n "$left" ]; then
		vpm_msg "after apt-get $how (round $round), left: $left"
		fail "apt-get $how vfio-pci-mmap-dropin-dkms left $left"
		dropin_ok=0
	fi
done
if [ "$dropin_ok" = 1 ]; then
	phase_end "drop-in package" "installed twice: vfio-pci from updates/dkms (driverctl loaded it in a VM); removed, purged: the kernel's again"
else
	phase_end "drop-in package" "FAILED (above)"
fi

# --- 6. purge ------------------------------------------------------------------------
phase "apt-get purge"
if in_root "apt-get purge -y -q vfio-pci-mmap-dkms vfio-pci-mmap-trace-plugins" >>"$log" 2>&1; then
	left=$(cd "$root" && { find lib/modules \( -name 'vfio-pci-mmap*' -o \
		\( -path '*/updates/*' -name 'vfio-pci.ko*' \) \) -print;
		ls -d usr/src/vfio-pci-mmap* var/lib/dkms/vfio-pci-mmap* 2>/dev/null || true; } | tr '\n' ' ')
	if [ -z "$left" ] && vfio_pci_is kernel >/dev/null; then
		phase_end "apt-get purge" "nothing of ours left in /lib/modules, /usr/src, /var/lib/dkms; vfio-pci is the kernel's"
	else
		phase_end "apt-get purge" "FAILED: left ${left:-nothing}; $(vfio_pci_is kernel)"
		fail "purging the packages left files behind or vfio-pci not the kernel's"
	fi
else
	phase_end "apt-get purge" "FAILED"
	fail "apt-get purge"
fi

# --- summary ---------------------------------------------------------------------------
total=$(($(date +%s) - start_all))
echo
echo "fresh-check: a minimal Debian 12 root, the README's commands, the package"
printf '  %s\n' "${phases[@]}"
printf '  %-28s %3dm %02ds\n' total $((total / 60)) $((total % 60))
echo "  log: $log"
if [ "${#failures[@]}" -gt 0 ]; then
	printf 'fresh-check: FAILED: %s\n' "${failures[@]}"
	exit 1
fi
echo "fresh-check: passed"
