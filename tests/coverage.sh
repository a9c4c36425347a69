#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Measured line and branch coverage of the driver (make coverage).
#
#   tests/coverage.sh [--keep] [--report-only] [SUITE...]
#
# Builds the debug kernel if needed (it has CONFIG_GCOV_KERNEL) and the
# gcov build of the modules (tests/vm/build-module.sh debug with
# VPM_COVERAGE=1: build/module-coverage/, every object of vfio-pci-mmap.ko
# and of the drop-in vfio-pci.ko compiled with GCOV_PROFILE, the KUnit
# module beside them), then runs each SUITE (tests/guest/SUITE.sh) in its
# own VM on the debug kernel through tests/vm/suites.sh, with that module.
# At the end of each run the guest copies the kernel's counters
# (/sys/kernel/debug/gcov/.../*.gcda) to the run's output directory
# (tests/vm/guest-main.sh); they are merged here with lcov, every object's
# lines and branches counted from zero (lcov --initial on the .gcno files),
# so a file no run reached counts too.
#
# Output, in build/coverage/:
#   summary.txt     per file of vfio-pci-mmap/: lines and branches hit,
#                   total, percent; then the totals (also printed)
#   uncovered.txt   per file, every line never executed, with its source,
#                   then the lines with a branch never taken
#   driver.info     the merged lcov tracefile of the driver's sources
#   html/           genhtml's report of driver.info
#   runs/SUITE/     each VM run's output (console.log, results, gcov/)
#   runs/results    every suite's PASS/FAIL lines
#
# Without SUITE: kunit, $COVERAGE_SUITES (the Makefile passes the debug
# kernel's suites), and every tests/guest/fuzz*.sh if there is one.
# --keep keeps the other suites' runs (rerun one suite and report on all);
# runs made with another build of the module are left out of the report.
# --report-only: no VM, only the report of the runs there are.
#
# Environment: VPM_HOTPLUG (default acpi, as on the debug kernel in make
# check), VPM_VM_LOCK (tests/vm/suites.sh: flock each VM run on this file).
# The last line printed is "N passed, N failed" of the suites' results;
# exits 1 if a suite failed or no run produced counters.

set -uo pipefail
VPM_PROG=coverage
. "$(dirname "$0")/common.sh"

keep=0
report_only=0
suites=()
for a in "$@"; do
	case "$a" in
	--keep) keep=1 ;;
	--report-only) report_only=1 ;;
	-h|--help) sed -n '4,40p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) vpm_die "unknown option $a" ;;
	*) suites+=("$a") ;;
	esac
done
if [ ${#suites[@]} = 0 ]; then
	read -r -a suites <<<"kunit ${COVERAGE_SUITES:-smoke mmap-suite ring-suite gate-suite stress fault-inject trace-suite dropin-suite}"
	for f in "$VPM_REPO"/tests/guest/fuzz*.sh; do
		[ -f "$f" ] && suites+=("$(basename "$f" .sh)")
	done
fi

export VPM_COVERAGE=1
export VPM_HOTPLUG=${VPM_HOTPLUG:-acpi}
out=$VPM_REPO/build/coverage
runs=$out/runs

command -v lcov >/dev/null && command -v genhtml >/dev/null ||
	vpm_die "lcov is not installed: run 'make setup'"
"$VPM_REPO/tests/kernel/build-debug-kernel.sh" >&2 || vpm_die "no debug kernel"
module=$("$VPM_REPO/tests/vm/build-module.sh" debug) || exit 1
bdir=$(dirname "$(dirname "$module")")		# build/module-coverage
[ -f "$bdir/vfio-pci-mmap/main.gcno" ] ||
	vpm_die "$bdir/vfio-pci-mmap/main.gcno missing: the module was not built for gcov (does the debug kernel have CONFIG_GCOV_KERNEL?)"
sum=$(sha256sum "$module" | cut -d' ' -f1)

# --- the runs ----------------------------------------------------------------------
rc=0
if [ "$report_only" = 0 ]; then
	[ "$keep" = 1 ] || rm -rf "$runs"
	mkdir -p "$runs"
	# ring-suite's in-kernel caller of vfio_pci_mmap_report_fault() (ring/kmod-*),
	# linked against this build's symbols; without it those cases skip.
	if printf '%s\n' "${suites[@]}" | grep -qx ring-suite; then
		make -s -C "$VPM_REPO/tests/ring" kmod FLAVOUR=debug BUILD="$VPM_REPO/build/ring" \
			SYMVERS="$bdir/Module.symvers" >&2 ||
			vpm_msg "the ring suite's kernel module did not build: its cases will skip"
	fi
	vpm_msg "suites: ${suites[*]} (debug kernel, hotplug $VPM_HOTPLUG, module $module)"
	for s in "${suites[@]}"; do
		# Only this run's lines for a suite run again.
		[ -f "$runs/results" ] && sed -i -E "\\#^(PASS|FAIL|SKIP) $s/#d" "$runs/results"
		"$VPM_REPO/tests/vm/suites.sh" debug "$runs" "$s" || rc=1
		echo "$sum" >"$runs/$s/module.sha256"
	done
fi

# --- the report --------------------------------------------------------------------
work=$out/work
rm -rf "$work" "$out/html"
mkdir -p "$work"
lcov_opts=(--quiet --rc lcov_branch_coverage=1 --gcov-tool gcov)
# Debian's lcov 1.16 has geninfo warn of its own redefined subroutines.
exec 3>&2 2> >(grep -v "^Subroutine .* redefined at " >&3)

# Every object's lines and branches, all at zero; the drop-in's objects
# (vfio-pci-mmap/dropin/) only when a run loaded the drop-in module, else
# its own lines would count as missed by suites that never load it.
dropin=0
if find "$runs" -path '*/gcov/*/vfio-pci-mmap/dropin/*.gcda' -print -quit 2>/dev/null | grep -q .; then
	dropin=1
fi
mkdir -p "$work/base"
(cd "$bdir" && find vfio-pci-mmap -name '*.gcno' -print0 |
	{ if [ "$dropin" = 1 ]; then cat; else grep -zv '^vfio-pci-mmap/dropin/'; fi; } |
	tar --null -T - -cf -) | tar -C "$work/base" -xf -
lcov "${lcov_opts[@]}" --capture --initial --directory "$work/base" \
	--output-file "$work/base.info" || vpm_die "lcov --initial failed"
infos=(--add-tracefile "$work/base.info")

used=()
for d in "$runs"/*/; do
	s=$(basename "$d")
	[ -d "$d/gcov" ] || continue
	if [ "$(cat "$d/module.sha256" 2>/dev/null)" != "$sum" ]; then
		vpm_msg "leaving out $s: its counters are of another build of the module"
		continue
	fi
	# The guest copied /sys/kernel/debug/gcov/<path of the object tree>/.
	g=$(find "$d/gcov" -type d -path '*/vfio-pci-mmap' -print -quit)
	[ -n "$g" ] || { vpm_msg "$s: no counters of vfio-pci-mmap/"; continue; }
	mkdir -p "$work/$s"
	cp -a "$work/base/vfio-pci-mmap" "$work/$s/"
	cp -a "$g/." "$work/$s/vfio-pci-mmap/"
	[ "$dropin" = 1 ] || rm -rf "$work/$s/vfio-pci-mmap/dropin"
	if lcov "${lcov_opts[@]}" --capture --directory "$work/$s" \
		--output-file "$work/$s.info"; then
		infos+=(--add-tracefile "$work/$s.info")
		used+=("$s")
	else
		vpm_msg "$s: lcov could not read its counters"
		rc=1
	fi
done
[ ${#used[@]} -gt 0 ] || { vpm_msg "no run produced gcov counters"; rc=1; }

lcov "${lcov_opts[@]}" "${infos[@]}" --output-file "$work/total.info" ||
	vpm_die "merging the counts failed"
lcov "${lcov_opts[@]}" --extract "$work/total.info" "$bdir/vfio-pci-mmap/*" \
	--output-file "$out/driver.info" || vpm_die "lcov --extract failed"
genhtml --quiet --rc lcov_branch_coverage=1 --output-directory "$out/html" \
	--title "vfio-pci-mmap: ${used[*]}" "$out/driver.info" >/dev/null ||
	vpm_msg "genhtml failed (the figures below do not need it)"

echo
echo "coverage of vfio-pci-mmap/ from: ${used[*]:-nothing}"
[ "$dropin" = 1 ] ||
	echo "(vfio-pci-mmap.ko only: no run loaded the drop-in vfio-pci.ko, whose objects are left out)"
python3 "$VPM_REPO/tests/coverage-report.py" --strip "$bdir/" \
	--summary "$out/summary.txt" --uncovered "$out/uncovered.txt" "$out/driver.info" ||
	rc=1
echo "uncovered lines: $out/uncovered.txt; HTML: $out/html/index.html"

touch "$runs/results"
passed=$(grep -c '^PASS ' "$runs/results")
failed=$(grep -c '^FAIL ' "$runs/results")
[ "$failed" = 0 ] || { echo "failed:"; grep '^FAIL ' "$runs/results" | sed 's/^/  /'; rc=1; }
echo "$passed passed, $failed failed"
exit "$rc"
