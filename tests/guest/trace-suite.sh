#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The tracing tests in the test VM: each scenario of tracing/tests/
# vpm_scenario.c runs under trace-cmd (tracing/record.sh, clock mono), and
# tracing/check.py asserts the exact sequence of vfio_pci_mmap events and
# scenario steps against tracing/tests/expect/SCENARIO.expect.  Then every
# event recorded is checked to print readably (no parse failure, enums by
# name, devices by PCI name, no kernel address), and every event of the
# driver to have been traced at least once.
#
#   tests/vm/run.sh tests/guest/trace-suite.sh [ONLY=split,fork,...]
#
# Results: trace/SCENARIO for each scenario, trace/formats.  The traces,
# their reports and the checker's output are in $OUT/trace/ (on the host:
# build/vm/trace-suite/trace/).  The lifecycle scenario hot-unplugs edu2:
# it runs last.
#
# Tracing patches kernel text: one vCPU (see --smp in tests/vm/run.sh).
# vpm-vm-options: --smp 1

. "$REPO/tests/guest/lib.sh"

vpm_args trace-suite ONLY -- "$@"

T=$OUT/trace
BIN=$REPO/build/trace
EXPECT=$REPO/tracing/tests/expect
mkdir -p "$T"

vpm_build trace/build tracing/tests "$BIN" "$T/build.log" || exit 1
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
if [ ! -d /sys/kernel/tracing/events/vfio_pci_mmap ]; then
	vpm_result FAIL trace/setup "no vfio_pci_mmap events (module not loaded?)"
	exit 1
fi
ls /sys/kernel/tracing/events/vfio_pci_mmap >"$T/events.list"
for e in /sys/kernel/tracing/events/vfio_pci_mmap/*/format; do
	cat "$e"
	echo
done >"$T/event-formats"

# scenario NAME ALIAS BDF: record, report, check.
scenario() {
	local name=$1 alias=$2 bdf=$3 rc detail
	vpm_wanted "$name" || return 0
	vpm_say "RUN  trace/$name on $alias ($bdf)"
	"$REPO/tracing/record.sh" -o "$T/$name.dat" -- \
		"$BIN/vpm_scenario" "$name" --bdf "$bdf" --out "$OUT" \
		>"$T/$name.log" 2>&1
	rc=$?
	grep -E '^(not ok|# step|Bail)' "$T/$name.log" | vpm_prefix "trace/$name| "
	if ! trace-cmd report -i "$T/$name.dat" >"$T/$name.txt" 2>"$T/$name.report-err"; then
		vpm_result FAIL "trace/$name" "trace-cmd report failed: $(head -c 200 "$T/$name.report-err")"
		return 0
	fi
	python3 "$REPO/tracing/check.py" sequence --expect "$EXPECT/$name.expect" \
		--dev "$alias=$bdf" "$T/$name.txt" >"$T/$name.check" 2>&1
	local crc=$?
	vpm_prefix "trace/$name| " <"$T/$name.check"
	if [ "$rc" != 0 ]; then
		detail="the scenario program failed (exit $rc, $T/$name.log)"
	elif [ "$crc" != 0 ]; then
		detail="the trace differs from $name.expect ($T/$name.check)"
	fi
	if [ -n "${detail:-}" ]; then
		vpm_result FAIL "trace/$name" "$detail"
	else
		vpm_result PASS "trace/$name" "$(grep -c . "$T/$name.txt") report lines"
	fi
}

vpm_bind "$EDU_BDF" vfio-pci-mmap || { vpm_result FAIL trace/bind "edu"; exit 1; }
if vpm_wanted lifecycle; then
	vpm_bind "$EDU2_BDF" vfio-pci-mmap || { vpm_result FAIL trace/bind "edu2"; exit 1; }
fi

scenario split edu "$EDU_BDF"
scenario mremap edu "$EDU_BDF"
scenario fork edu "$EDU_BDF"
scenario lowpower edu "$EDU_BDF"
scenario ring edu "$EDU_BDF"
scenario lifecycle edu2 "$EDU2_BDF"

# The debugging command line with the function tracer (record.sh
# --functions): a reset must show the PCI core's reset function, between
# the driver's resetting and enabled transitions.
if vpm_wanted functions; then
	vpm_say "RUN  trace/functions"
	"$REPO/tracing/record.sh" --functions -o "$T/functions.dat" -- \
		"$BIN/vpm_scenario" fork --bdf "$EDU_BDF" >"$T/functions.log" 2>&1
	rc=$?
	trace-cmd report -i "$T/functions.dat" >"$T/functions.txt" 2>&1
	if [ "$rc" = 0 ] && awk '
		/vpm_state_change: .*-> resetting reason=reset_ioctl/ { inside = 1 }
		inside && /function: +__pci_reset_function_locked/ { seen = 1 }
		/vpm_state_change: .*resetting -> enabled/ { inside = 0 }
		END { exit !seen }' "$T/functions.txt"; then
		vpm_result PASS trace/functions "$(grep -c ' function: ' "$T/functions.txt") function events"
	else
		vpm_result FAIL trace/functions "exit $rc, or no __pci_reset_function_locked inside the reset window ($T/functions.txt)"
	fi
fi
if vpm_wanted lifecycle; then
	vpm_wait_gone "$EDU2_BDF" 60 ||
		vpm_result FAIL trace/unplug "edu2 was not removed after the lifecycle scenario"
fi

# Every event recorded prints readably; with every scenario, every event
# of the driver was traced.
if [ -z "$ONLY" ]; then
	req=(--require-all --events-list "$T/events.list")
else
	req=()
fi
if python3 "$REPO/tracing/check.py" formats "${req[@]}" "$T"/*.txt >"$T/formats.check" 2>&1; then
	vpm_result PASS trace/formats "$(tail -n 1 "$T/formats.check")"
else
	vpm_prefix "trace/formats| " <"$T/formats.check"
	vpm_result FAIL trace/formats "$(tail -n 1 "$T/formats.check")"
fi

vpm_unbind "$EDU_BDF"
exit 0
