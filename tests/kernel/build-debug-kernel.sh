#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) the debug kernel used to test vfio-pci-mmap: Debian's
# linux-source-6.12, configured as tinyconfig + tests/kernel/debug.config.
#
# Usage: build-debug-kernel.sh [--print-dir]
#
# The result is cached under $VPM_CACHE/debug-kernel/<key>/, where <key> is the
# sha256 of the fragment, the linux-source package version and the compiler
# version. A finished build has a "stamp" file (written last); when it exists
# the script prints where the kernel is and exits at once.
#
#   <key>/build/    the O= object tree; out-of-tree modules build with
#                   make -C <key>/build M=<dir>
#   <key>/bzImage   the kernel image
#   <key>/modroot/  INSTALL_MOD_PATH of modules_install (lib/modules/<release>/)
#   <key>/release   the kernel release string
#   <key>/build-seconds  wall time of the last build that produced the stamp
#   $VPM_CACHE/debug-kernel/current -> <key>
#
# --print-dir prints the key directory and exits 0 if it is built, else
# exits 1 without building.
#
# Environment: VPM_CACHE (default ~/.cache/vfio-pci-mmap), VPM_JOBS (default
# nproc), VPM_KERNEL_TARBALL (default /usr/src/linux-source-6.12.tar.xz).

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FRAGMENT="$SCRIPT_DIR/debug.config"
VPM_CACHE=${VPM_CACHE:-$HOME/.cache/vfio-pci-mmap}
TARBALL=${VPM_KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
SRC_NAME=linux-source-6.12
SRC="$VPM_CACHE/src/$SRC_NAME"
KROOT="$VPM_CACHE/debug-kernel"
JOBS=${VPM_JOBS:-$(nproc)}
CC_CMD="ccache gcc"

T0=$(date +%s)
say() { printf 'debug kernel [%4ds]: %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die() { printf 'debug kernel: error: %s\n' "$*" >&2; exit 1; }

PRINT_DIR=0
case "${1:-}" in
"") ;;
--print-dir) PRINT_DIR=1 ;;
-h|--help) sed -n '4,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) die "unknown argument '$1' (try --help)" ;;
esac

[ -r "$FRAGMENT" ] || die "missing config fragment $FRAGMENT"

# Version of the kernel source: the Debian package version when it is
# installed, else the version of an already extracted tree.
source_version() {
	local v
	if v=$(dpkg-query -W -f='${Version}' "$SRC_NAME" 2>/dev/null) && [ -n "$v" ]; then
		echo "$SRC_NAME $v"
	elif [ -f "$SRC/Makefile" ]; then
		echo "$SRC_NAME tree $(make -s -C "$SRC" kernelversion 2>/dev/null)"
	else
		die "$TARBALL is not installed: apt-get install $SRC_NAME"
	fi
}

compute_key() {
	{
		cat "$FRAGMENT"
		echo "--"
		source_version
		gcc -dumpfullversion 2>/dev/null || echo "gcc unknown"
	} | sha256sum | cut -d' ' -f1
}

KEY=$(compute_key)
KDIR="$KROOT/$KEY"
BUILD="$KDIR/build"
MODROOT="$KDIR/modroot"

print_paths() {
	echo "bzImage: $KDIR/bzImage"
	echo "build:   $BUILD"
	echo "modroot: $MODROOT"
	echo "release: $(cat "$KDIR/release")"
}

link_current() {
	ln -sfn "$KEY" "$KROOT/current.tmp.$$"
	mv -Tf "$KROOT/current.tmp.$$" "$KROOT/current"
}

if [ "$PRINT_DIR" = 1 ]; then
	[ -f "$KDIR/stamp" ] || exit 1
	echo "$KDIR"
	exit 0
fi

if [ -f "$KDIR/stamp" ]; then
	echo "debug kernel: cached at $KDIR"
	link_current
	print_paths
	exit 0
fi

mkdir -p "$KROOT"
# One builder at a time per cache; a second caller waits, then finds the stamp.
exec 9>"$KROOT/.lock"
if ! flock -n 9; then
	say "another build holds $KROOT/.lock, waiting"
	flock 9
fi
if [ -f "$KDIR/stamp" ]; then
	echo "debug kernel: cached at $KDIR"
	link_current
	print_paths
	exit 0
fi

for tool in gcc make ccache flex bison bc depmod; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "'$tool' not found: apt-get install build-essential flex bison bc libelf-dev libssl-dev ccache dwarves cpio kmod"
done

# --- source tree (extracted once, never modified: every build uses O=) --------
if [ ! -f "$SRC/Makefile" ]; then
	[ -r "$TARBALL" ] || die "$TARBALL not found: apt-get install $SRC_NAME"
	say "extracting $TARBALL into $VPM_CACHE/src"
	mkdir -p "$VPM_CACHE/src"
	tmp=$(mktemp -d "$VPM_CACHE/src/.extract.XXXXXX")
	tar -C "$tmp" -xf "$TARBALL"
	[ -f "$tmp/$SRC_NAME/Makefile" ] || die "$TARBALL does not hold $SRC_NAME/"
	rm -rf "$SRC"
	mv "$tmp/$SRC_NAME" "$SRC"
	rmdir "$tmp"
fi
say "source: $SRC ($(source_version))"
say "key:    $KEY"
say "output: $KDIR"

export CCACHE_DIR="$VPM_CACHE/ccache"
mkdir -p "$CCACHE_DIR"
ccache -M 5G >/dev/null
ccache -z >/dev/null

mkdir -p "$BUILD"
kmake() { make -C "$SRC" O="$BUILD" CC="$CC_CMD" "$@"; }

# --- configuration -------------------------------------------------------------
say "configuring: make tinyconfig"
kmake -s tinyconfig
say "configuring: merging $FRAGMENT"
# merge_config.sh writes its temporary files into the current directory.
(cd "$BUILD" && "$SRC/scripts/kconfig/merge_config.sh" -m -O "$BUILD" "$BUILD/.config" "$FRAGMENT") \
	>"$KDIR/merge_config.log" 2>&1 || { cat "$KDIR/merge_config.log"; die "merge_config.sh failed"; }
say "configuring: make olddefconfig"
kmake -s olddefconfig

say "checking that every symbol of the fragment kept its value"
# "CONFIG_X=v" must be present with v; "# CONFIG_X is not set" (or =n) must be
# absent or unset. Symbols whose dependencies failed are dropped silently by
# kconfig: this is what catches them.
if ! awk '
	FNR == NR {
		if ($0 ~ /^CONFIG_[A-Za-z0-9_]+=/) {
			i = index($0, "="); want[substr($0, 1, i - 1)] = substr($0, i + 1)
		} else if ($0 ~ /^# CONFIG_[A-Za-z0-9_]+ is not set/) {
			want[$2] = "n"
		}
		next
	}
	$0 ~ /^CONFIG_[A-Za-z0-9_]+=/ {
		i = index($0, "="); have[substr($0, 1, i - 1)] = substr($0, i + 1)
	}
	END {
		bad = 0
		for (k in want) {
			h = (k in have) ? have[k] : "n"
			if (h != want[k]) {
				printf "  %s: requested %s, got %s\n", k, want[k], (k in have) ? h : "(not set)"
				bad++
			}
		}
		if (bad) printf "%d symbol(s) of the fragment did not survive olddefconfig\n", bad
		exit bad != 0
	}' "$FRAGMENT" "$BUILD/.config" >"$KDIR/config-check.log"; then
	cat "$KDIR/config-check.log" >&2
	die "configuration check failed (see $KDIR/config-check.log)"
fi
n=$(grep -cE '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set)' "$FRAGMENT")
say "all $n symbols of the fragment have their requested value"
cp "$BUILD/.config" "$KDIR/config"

# --- build ---------------------------------------------------------------------
say "building with -j$JOBS (CC='$CC_CMD', CCACHE_DIR=$CCACHE_DIR)"
B0=$(date +%s)
if ! kmake -j"$JOBS" >"$KDIR/build.log" 2>&1; then
	tail -n 60 "$KDIR/build.log" >&2
	die "kernel build failed (full log: $KDIR/build.log)"
fi
B1=$(date +%s)
# Only valid after the build: setlocalversion reads include/config/auto.conf.
RELEASE=$(kmake -s kernelrelease)
say "built $RELEASE in $((B1 - B0)) s"
grep -E '^\S+\.c:[0-9]+:[0-9]+: warning:' "$KDIR/build.log" | sort -u | sed 's/^/  /' || true

cp "$BUILD/arch/x86/boot/bzImage" "$KDIR/bzImage.tmp"
mv -f "$KDIR/bzImage.tmp" "$KDIR/bzImage"

say "installing modules into $MODROOT"
rm -rf "$MODROOT"
kmake -s INSTALL_MOD_PATH="$MODROOT" INSTALL_MOD_STRIP=1 modules_install >"$KDIR/modules_install.log" 2>&1 ||
	{ cat "$KDIR/modules_install.log" >&2; die "modules_install failed"; }
# Drop the links back into the build tree: modroot is meant to be copied.
rm -f "$MODROOT/lib/modules/$RELEASE/build" "$MODROOT/lib/modules/$RELEASE/source"
find "$MODROOT/lib/modules/$RELEASE" -name '*.ko' -printf '  %P\n' | sort

T1=$(date +%s)
echo "$RELEASE" >"$KDIR/release"
echo "$((T1 - T0))" >"$KDIR/build-seconds"
ccache -s >"$KDIR/ccache-stats.txt" 2>&1 || true
say "ccache: $(grep -iE '^\s*Hits:' "$KDIR/ccache-stats.txt" | head -n1 | sed 's/^ *//')"
date -u '+%Y-%m-%dT%H:%M:%SZ' >"$KDIR/stamp"
link_current

say "done: total $((T1 - T0)) s (compile $((B1 - B0)) s)"
print_paths
