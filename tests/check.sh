#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run test tiers and add up their results (what 'make check' does).
#
#   tests/check.sh TIER...
#
# Each tier is the make target check-TIER, run with CHECK_OUT=build/check/TIER.
# A tier may write "PASS name" / "FAIL name [-- detail]" (and "SKIP name")
# lines to $CHECK_OUT/results; they are counted under "TIER/name".  A tier
# that writes none counts as one test, passed or failed by its exit status;
# a tier that fails without having recorded a FAIL gets one added.  Every
# tier runs even when an earlier one failed.
#
# Prints the failures, the time each tier took and, as its very last line,
# "N passed, N failed".  Exits 1 if anything failed.

set -uo pipefail
VPM_PROG=check
. "$(dirname "$0")/common.sh"

[ $# -ge 1 ] || { echo "usage: tests/check.sh TIER..." >&2; exit 2; }

top=$VPM_REPO/build/check
mkdir -p "$top"
all=$top/results
: >"$all"
times=()
t0=$(date +%s)

for tier in "$@"; do
	dir=$top/$tier
	rm -rf "$dir"
	mkdir -p "$dir"
	echo
	echo "=== check-$tier"
	start=$(date +%s)
	make --no-print-directory -C "$VPM_REPO" "check-$tier" CHECK_OUT="$dir" </dev/null
	rc=$?
	secs=$(($(date +%s) - start))
	times+=("$(printf '%-12s %5ss  exit %s' "$tier" "$secs" "$rc")")

	touch "$dir/results"
	if ! grep -qE '^(PASS|FAIL|SKIP) ' "$dir/results"; then
		if [ "$rc" = 0 ]; then
			echo "PASS $tier" >"$dir/results"
		else
			echo "FAIL $tier -- exit status $rc" >"$dir/results"
		fi
	elif [ "$rc" != 0 ] && ! grep -q '^FAIL ' "$dir/results"; then
		echo "FAIL $tier -- exit status $rc" >>"$dir/results"
	fi
	sed -E "s#^(PASS|FAIL|SKIP) #\\1 $tier/#" "$dir/results" >>"$all"
	echo "=== check-$tier: $secs s, exit status $rc"
done

passed=$(grep -c '^PASS ' "$all")
failed=$(grep -c '^FAIL ' "$all")
skipped=$(grep -c '^SKIP ' "$all")
echo
echo "=== summary (all results: $all)"
printf '  %s\n' "${times[@]}"
echo "  total        $(($(date +%s) - t0))s"
if [ "$failed" != 0 ]; then
	echo "failed:"
	grep '^FAIL ' "$all" | sed 's/^/  /'
fi
line="$passed passed, $failed failed"
[ "$skipped" = 0 ] || line+=", $skipped skipped"
echo "$line"
[ "$failed" = 0 ]
