#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run VM suites (guest scripts) one VM each, for one kernel flavour.
#
#   tests/vm/suites.sh debian|debug OUTDIR SUITE...
#
# SUITE is the name of tests/guest/SUITE.sh.  A guest script may ask for
# harness options with a header line, e.g.
#
#	# vpm-vm-options: --timeout 900 --unplug-after 5
#
# Each suite's output goes to OUTDIR/SUITE/; its result lines are collected
# into OUTDIR/results as SUITE/name.  Exits 1 if any suite failed.
#
# VPM_VM_LOCK=FILE: each VM run holds flock(1) on FILE while it runs, for
# machines where other jobs boot VMs too (one VM at a time, not one suite
# list at a time).

set -uo pipefail
VPM_PROG=suites
. "$(dirname "$0")/../common.sh"

[ $# -ge 2 ] || { echo "usage: tests/vm/suites.sh debian|debug OUTDIR SUITE..." >&2; exit 2; }
flavour=$1
outdir=$(realpath -m "$2")
shift 2
mkdir -p "$outdir"
: >>"$outdir/results"

# Build the module once for all suites.
module=$("$VPM_REPO/tests/vm/build-module.sh" "$flavour") || exit 1

rc=0
for suite in "$@"; do
	script=$VPM_REPO/tests/guest/$suite.sh
	if [ ! -f "$script" ]; then
		echo "FAIL $suite -- no $script" >>"$outdir/results"
		rc=1
		continue
	fi
	read -r -a opts <<<"$(sed -n 's/^# vpm-vm-options://p' "$script" | head -n 1)"
	echo "--- $suite ($flavour kernel${opts[*]:+, ${opts[*]}})"
	lock=()
	[ -z "${VPM_VM_LOCK:-}" ] || lock=(flock "$VPM_VM_LOCK")
	"${lock[@]}" "$VPM_REPO/tests/vm/run.sh" --kernel "$flavour" --module "$module" \
		--out "$outdir/$suite" "${opts[@]}" "$script" || rc=1
	sed -E "s#^(PASS|FAIL|SKIP) #\\1 $suite/#" "$outdir/$suite/results" >>"$outdir/results"
done
exit "$rc"
