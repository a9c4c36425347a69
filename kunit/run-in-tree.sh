#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run the KUnit suites (kunit/) built in, with the kernel's own kunit.py,
# in a scratch copy of a kernel tree (docs/testing-kunit.rst, "In a kernel
# tree (kunit.py)").
#
#   kunit/run-in-tree.sh [--src DIR] [--tree DIR] [--build DIR] [--jobs N]
#                        [--timeout S] [-- ARGS...]
#
#   --src DIR    kernel source, never written to
#                (default $VPM_CACHE/src/linux-source-6.12)
#   --tree DIR   scratch tree: a hard-linked copy of --src (a plain copy
#                across file systems), made once; files changed in it are
#                replaced, never edited in place
#                (default $VPM_CACHE/kunit-tree/linux)
#   --build DIR  kunit.py's --build_dir (default $VPM_CACHE/kunit-tree/build)
#   --jobs N     make jobs (default: nproc)
#   --timeout S  kunit.py's limit for booting and running the tests (1800)
#   -- ARGS...   passed on to "kunit.py run", e.g. a suite glob 'vpm_mmap'
#                or --kernel_args
#
# Each run copies vfio-pci-mmap/, kunit/, tracing/ and include/ of this
# repository (without build products) to <tree>/drivers/vfio/pci/vfio-pci-mmap/,
# adds the kunit/Kconfig source line and the kunit/ Makefile line to
# drivers/vfio/pci/, then runs, under nice -n 19,
#
#   tools/testing/kunit/kunit.py run --arch=x86_64 \
#	--kunitconfig=drivers/vfio/pci/vfio-pci-mmap/kunit/.kunitconfig \
#	--build_dir=<build> --make_options 'CC=ccache gcc' ...
#
# kunit.py keeps the kernel's console in <build>/test.log; the last line
# printed is kunit/ktap-summary.py's "N passed, N failed[, N skipped]" of it,
# after its FAIL and SKIP lines.  Exit status 0 if kunit.py succeeded and
# no test failed.
#
# Environment: VPM_CACHE (default ~/.cache/vfio-pci-mmap), CCACHE_DIR
# (default $VPM_CACHE/ccache, as tests/kernel/build-debug-kernel.sh).

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VPM_CACHE=${VPM_CACHE:-$HOME/.cache/vfio-pci-mmap}
SRC=$VPM_CACHE/src/linux-source-6.12
TREE=$VPM_CACHE/kunit-tree/linux
BUILD=$VPM_CACHE/kunit-tree/build
JOBS=$(nproc)
TIMEOUT=1800
SUBDIR=drivers/vfio/pci/vfio-pci-mmap
STAMP=.vpm-kunit-tree	# in the scratch tree: which source it copies

T0=$(date +%s)
say() { printf 'kunit in tree [%4ds]: %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die() { printf 'kunit in tree: error: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	--src) SRC=$2; shift 2 ;;
	--tree) TREE=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	--jobs) JOBS=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--) shift; break ;;
	-h|--help) awk 'NR > 3 && !/^#/ { exit } NR > 3' "$0" |
		sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1' (try --help)" ;;
	esac
done

[ -f "$SRC/tools/testing/kunit/kunit.py" ] || die "no kernel tree with kunit.py at $SRC"
[ ! -e "$SRC/.config" ] && [ ! -d "$SRC/include/config" ] ||
	die "$SRC has been configured in place: kunit.py needs a clean tree for O= builds"
SRC=$(cd "$SRC" && pwd)
mkdir -p "$(dirname "$TREE")" "$BUILD"
TREE=$(cd "$(dirname "$TREE")" && pwd)/$(basename "$TREE")
BUILD=$(cd "$BUILD" && pwd)
case "$TREE/" in "$SRC/"*) die "--tree must be outside --src" ;; esac
exec 9>"$BUILD/.run-in-tree.lock"
flock -n 9 || die "another run is using $BUILD"

# --- the scratch tree ----------------------------------------------------------
# Identified by the source's path and its top Makefile's inode and mtime: a
# re-extracted source gets a new copy.
src_id="$SRC $(stat -c '%i %Y' "$SRC/Makefile")"
if [ -e "$TREE" ] && [ "$(cat "$TREE/$STAMP" 2>/dev/null)" != "$src_id" ]; then
	[ -f "$TREE/$STAMP" ] || die "$TREE exists and was not made by this script"
	say "$TREE copies an older $SRC: removing it"
	rm -rf "$TREE"
fi
if [ ! -e "$TREE" ]; then
	say "copying $SRC to $TREE"
	rm -rf "$TREE.tmp"
	nice -n 19 cp -al "$SRC" "$TREE.tmp" 2>/dev/null ||
		{ rm -rf "$TREE.tmp"; nice -n 19 cp -a "$SRC" "$TREE.tmp"; }
	echo "$src_id" >"$TREE.tmp/$STAMP"
	mv "$TREE.tmp" "$TREE"
fi

# Replace $TREE/$1 by stdin if that differs (a new file moved over the old
# one, which may be a hard link into the source).
replace() {
	local f=$TREE/$1
	cat >"$f.vpm-new"
	if cmp -s "$f.vpm-new" "$f"; then
		rm -f "$f.vpm-new"
	else
		mv -f "$f.vpm-new" "$f"
		say "updated $1"
	fi
}

# The source line goes inside the "VFIO support for PCI devices" menu, before
# its endmenu (the last line of the file); the Makefile line at the end.
kconfig_line="source \"$SUBDIR/kunit/Kconfig\""
awk -v line="$kconfig_line" '
	{ l[NR] = $0; if ($0 ~ /^endmenu/) last = NR }
	END { for (i = 1; i <= NR; i++) { if (i == last) print line "\n"; print l[i] } }
' "$SRC/drivers/vfio/pci/Kconfig" | replace drivers/vfio/pci/Kconfig
{ cat "$SRC/drivers/vfio/pci/Makefile"
  echo
  echo "obj-\$(CONFIG_VFIO_PCI_MMAP_KUNIT_TEST) += vfio-pci-mmap/kunit/"
} | replace drivers/vfio/pci/Makefile

# The repository's sources, without what an out-of-tree build left in them
# (the .gitignore patterns, and its products by name in case there is no
# .gitignore: kunit/Kbuild would build a vfio-pci-mmap/*.mod.c in).  rsync
# writes new files and renames them.
# Only files whose contents differ are copied, and they get the current
# time, not the repository's: make must see a file that went back to an
# older version as newer than its object.
mkdir -p "$TREE/$SUBDIR"
rsync -rlp --checksum --delete --delete-excluded --filter=':- .gitignore' \
	--exclude='*.mod.c' --exclude='*.o' --exclude='*.ko' --exclude='*.cmd' \
	--include='/vfio-pci-mmap/***' --include='/kunit/***' \
	--include='/tracing/***' --include='/include/***' --exclude='*' \
	"$REPO/" "$TREE/$SUBDIR/"
say "copied vfio-pci-mmap/ kunit/ tracing/ include/ to $SUBDIR/"

# --- kunit.py ------------------------------------------------------------------
export CCACHE_DIR=${CCACHE_DIR:-$VPM_CACHE/ccache}
mkdir -p "$CCACHE_DIR"
export PYTHONDONTWRITEBYTECODE=1	# nothing written into the tree's tools/
say "kunit.py run: build in $BUILD (-j$JOBS, CC='ccache gcc'), then QEMU"
rm -f "$BUILD/test.log"
rc=0
(cd "$TREE" && nice -n 19 python3 tools/testing/kunit/kunit.py run \
	--arch=x86_64 --kunitconfig="$SUBDIR/kunit/.kunitconfig" \
	--build_dir="$BUILD" --make_options 'CC=ccache gcc' \
	--jobs="$JOBS" --timeout="$TIMEOUT" "$@") || rc=$?
say "kunit.py exit status $rc"

[ -s "$BUILD/test.log" ] || die "kunit.py left no $BUILD/test.log (the build failed?)"
summary_rc=0
summary=$(python3 "$REPO/kunit/ktap-summary.py" "$BUILD/test.log") || summary_rc=$?
grep -v '^PASS ' <<<"$summary" || true
[ "$rc" != 0 ] || rc=$summary_rc
exit "$rc"
