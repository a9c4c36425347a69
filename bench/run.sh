#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# 'make bench': measure vfio-pci-mmap against stock vfio-pci.
#
#   bench/run.sh [--reps N] [--prog PATH] [--only 6.12|6.1] [--out DIR]
#
# Two boots of the benchmark VM, one after the other, by the test VM runner
# (tests/vm/run.sh) with the benchmark's devices (bench/devices.sh: edu and
# a 1 GiB ivshmem twice) and one vCPU: the zap and events steps enable
# tracepoints and function_graph, which patches kernel text, and under TCG
# with two vCPUs a vCPU can run a stale translation of a removed int3
# ("Oops: int3", seen in the zap step; see --smp in tests/vm/run.sh):
#
#   1. Debian's 6.12 kernel (the project's KVER): one edu and one 1 GiB
#      ivshmem bound to vfio-pci-mmap, the same pair bound to vfio-pci;
#      every figure of bench/guest.sh, ours and stock interleaved.
#   2. Debian's 6.1 kernel (linux-image-6.1.0-*-amd64-unsigned, installed
#      here when absent): stock vfio-pci of 6.1, fault-in and VmPTE only.
#
# Then bench/report.py prints the table and writes, in DIR (default
# out/bench): latest.csv (metric,ours,baseline,ratio), latest-detail.csv
# (median, min, max of every variant), latest.svg (the plot), latest.txt
# (the table), latest-readme.md (the targets and their verdicts, also
# written into README.md between its bench-targets markers), and the raw
# figures and VM logs of this run under runs/<time>/.  Everything runs under QEMU TCG: the timings are only
# meaningful as ratios.

set -euo pipefail
VPM_PROG=bench
. "$(dirname "$0")/../tests/common.sh"
# set -e ends the run at the first command that fails: say which, so that
# it never ends without a word.
trap 'vpm_msg "error: line $LINENO failed (exit status $?)" >&2' ERR

reps=7
prog=""
only=""
outdir=$VPM_REPO/out/bench
while [ $# -gt 0 ]; do
	case "$1" in
	--reps) reps=${2:?}; shift 2 ;;
	--prog) prog=${2:?}; shift 2 ;;
	--only) only=${2:?}; shift 2 ;;
	--out) outdir=${2:?}; shift 2 ;;
	*) vpm_die "usage: bench/run.sh [--reps N] [--prog PATH] [--only 6.12|6.1] [--out DIR]" ;;
	esac
done
[[ "$reps" =~ ^[0-9]+$ ]] && [ "$reps" -ge 5 ] || vpm_die "--reps must be at least 5"
bench_start=$(date +%s)
build=$VPM_REPO/build/bench
mkdir -p "$build"

# --- setup ----------------------------------------------------------------------
"$VPM_REPO/tests/setup.sh"
kver=$(vpm_kver)

# Newest installed linux-image-6.1.0-N-amd64-unsigned whose modules have
# vfio-pci; install the newest apt offers when there is none.
rel61() {
	# dpkg-query exits 1 when no package matches: not an error here.
	{ dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 'linux-image-6.1.0-*-amd64-unsigned' 2>/dev/null || true; } |
		sed -n 's/^ii  *linux-image-\(6\.1\.0-[0-9]*-amd64\)-unsigned$/\1/p' | sort -rV |
		while read -r r; do
			[ -r "/boot/vmlinuz-$r" ] || continue
			find "/lib/modules/$r/kernel/drivers/vfio/pci" -name 'vfio-pci.ko*' 2>/dev/null | grep -q . || continue
			echo "$r"
			break
		done
}
r61=$(rel61)
if [ -z "$r61" ] && [ "$only" != 6.12 ]; then
	export DEBIAN_FRONTEND=noninteractive
	pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' 2>/dev/null |
		cut -d' ' -f1 | sort -V | tail -n 1)
	if [ -z "$pkg" ]; then
		vpm_msg "apt-get update (looking for Debian's 6.1 kernel)"
		apt-get update -q >"$build/apt-update.log" 2>&1 || true
		pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' 2>/dev/null |
			cut -d' ' -f1 | sort -V | tail -n 1)
	fi
	[ -n "$pkg" ] || vpm_die "apt offers no linux-image-6.1.0-*-amd64-unsigned"
	vpm_msg "installing $pkg (stock vfio-pci of Linux 6.1, for the cross-kernel baseline)"
	apt-get install -y -q --no-install-recommends "$pkg" >"$build/apt-6.1.log" 2>&1 ||
		{ tail -n 20 "$build/apt-6.1.log" >&2; vpm_die "installing $pkg failed"; }
	r61=$(rel61)
	[ -n "$r61" ] || vpm_die "$pkg is installed but has no /boot/vmlinuz or vfio-pci module"
fi

# --- build ----------------------------------------------------------------------
if [ -z "$prog" ]; then
	make --no-print-directory -C "$VPM_REPO" -f bench/bench.mk bench-prog >&2
	prog=$build/vpm-bench
fi
prog=$(realpath "$prog")
module=$("$VPM_REPO/tests/vm/build-module.sh" debian)
# The same sources with every tracepoint compiled out (NOTRACE makes
# <linux/tracepoint.h> define empty trace_*() stubs), built apart.
nt=$build/module-notrace
mkdir -p "$nt"
(cd "$VPM_REPO" && git ls-files -z -co --exclude-standard) |
	grep -zv -e '^tests/' -e '^docs/' -e '^\.ci/' -e '^bench/' -e '^kunit/' |
	(cd "$VPM_REPO" && tar --null -T - -cf -) | tar -C "$nt" -xf -
# kunit/ is left out: its Kbuild line needs CONFIG_KUNIT, off in Debian.
make -C "/lib/modules/$kver/build" M="$nt" KCFLAGS=-DNOTRACE modules >"$build/module-notrace.log" 2>&1 ||
	{ tail -n 30 "$build/module-notrace.log" >&2; vpm_die "building the NOTRACE module failed"; }
notrace=$nt/vfio-pci-mmap/vfio-pci-mmap.ko
# grep reads all of nm's output: with -q it would stop at the first match,
# and nm's SIGPIPE would fail the pipeline (pipefail) and hide the match.
if modinfo "$notrace" >/dev/null && nm "$notrace" 2>/dev/null | grep '__tracepoint_vpm' >/dev/null; then
	vpm_die "$notrace still has tracepoints"
fi

# --- the two boots ----------------------------------------------------------------
stamp=$(date -u +%Y%m%dT%H%M%SZ)
rundir=$outdir/runs/$stamp
mkdir -p "$rundir"
hostinfo=$rundir/host.txt
{
	echo "date $stamp"
	echo "host cpus $(nproc); $(uname -r)"
	echo "tree $(cd "$VPM_REPO" && git describe --always --dirty 2>/dev/null) (module $module)"
	echo "reps $reps"
} >"$hostinfo"
load() {
	echo "host load $1: loadavg $(cut -d' ' -f1-3 /proc/loadavg), QEMU processes running: $(pgrep -c -f '^qemu-system' || true)" >>"$hostinfo"
}

rc=0
boot() { # boot NAME RELEASE TIMEOUT MODULE ARGS...
	local name=$1 rel=$2 tmo=$3 mod=$4
	shift 4
	load "before the $name boot"
	local margs=(--no-module)
	[ "$mod" = - ] || margs=(--module "$mod")
	if ! "$VPM_REPO/tests/vm/run.sh" --release "$rel" "${margs[@]}" --timeout "$tmo" \
		--devices "$VPM_REPO/bench/devices.sh" --smp 1 \
		--out "$build/vm-$name" "$VPM_REPO/bench/guest.sh" "$@"; then
		vpm_msg "the $name boot failed: see $build/vm-$name/console.log"
		rc=1
	fi
	load "after the $name boot"
	mkdir -p "$rundir/vm-$name"
	for f in raw.txt info.txt results console.log dmesg.txt; do
		[ -f "$build/vm-$name/$f" ] && cp "$build/vm-$name/$f" "$rundir/vm-$name/"
	done
	return 0
}
if [ "$only" != 6.1 ]; then
	boot 6.12 "$kver" 780 "$module" 6.12 "$prog" "$notrace" "$reps"
fi
if [ "$only" != 6.12 ]; then
	boot 6.1 "$r61" 300 - 6.1 "$prog" - "$reps"
fi
echo "elapsed $(($(date +%s) - bench_start)) s" >>"$hostinfo"

# --- report ---------------------------------------------------------------------
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
"$py" "$VPM_REPO/bench/report.py" --run "$rundir" --out "$outdir" \
	--readme "$VPM_REPO/README.md" || rc=1
exit "$rc"
