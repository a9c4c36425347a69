#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The model-based random tester (tests/fuzz/vpm_fuzz.c) on edu, ivshmem and
# nvme bound to vfio-pci-mmap, for FUZZ_SECONDS (default 150) of
# operations with a fresh seed, or replaying one; edu2 takes part too and
# is hot-unplugged at the end, after which 300 more operations run:
#
#   tests/vm/run.sh --kernel debug tests/guest/fuzz.sh [SEED=N] [OPS=N]
#                   [FUZZ_SECONDS=S] [FUZZ_VERBOSE=1]
#
# (make fuzz SEED=N OPS=N).  The seed is printed first; a failure records
# "FAIL fuzz/run -- seed S, operation N: replay: make fuzz SEED=S OPS=N+1"
# and the console keeps the operation log.  Afterwards no mapping may be
# left in debugfs and the devices unbind.
#
# vpm-vm-options: --timeout 900

. "$REPO/tests/guest/lib.sh"

vpm_args fuzz.sh SEED OPS FUZZ_SECONDS FUZZ_VERBOSE -- "$@"
SECS=${FUZZ_SECONDS:-150}
BIN=$REPO/build/fuzz
DRV=vfio-pci-mmap
LOG=/tmp/fuzz.log

vpm_build fuzz/build tests/fuzz "$BIN" || exit 1
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug

fuzz() {
	local args=() rc
	if [ -n "${OPS:-}" ]; then
		args+=(--ops "$OPS")
	else
		args+=(--seconds "$SECS")
	fi
	[ -z "${SEED:-}" ] || args+=(--seed "$SEED")
	[ -z "${FUZZ_VERBOSE:-}" ] || args+=(--verbose)
	[ -z "$UNPLUG" ] || args+=(--unplug "$OUT/unplug-request")
	# Bounded: the operations' time, plus a reset or a blocked access.
	timeout -k 5 $((SECS + 300)) "$BIN/vpm_fuzz" "${args[@]}" >"$LOG" 2>&1 &
	tail --pid=$! -n +1 -f "$LOG"
	wait "$!" 2>/dev/null
	rc=$(($(grep -c '^vpm_fuzz: PASS' "$LOG") ? 0 : 1))
	return "$rc"
}

bound=()
UNPLUG=
for d in edu:$EDU_BDF ivshmem:$IVSHMEM_BDF nvme:${NVME_BDF:-} edu2:${EDU2_BDF:-}; do
	[ -n "${d#*:}" ] || continue
	vpm_run "fuzz/bind-${d%%:*}" vpm_bind "${d#*:}" "$DRV" && bound+=("$d")
done

# edu2 is hot-unplugged at the end of the operations, which go on.
case " ${bound[*]} " in *" edu2:"*) UNPLUG=1 ;; esac

vpm_say "RUN  fuzz/run"
fuzz 2>&1 | vpm_prefix "fuzz| "
if grep -q '^vpm_fuzz: PASS' "$LOG"; then
	vpm_result PASS fuzz/run "$(sed -n 's/^vpm_fuzz: PASS //p' "$LOG")"
	sed -n 's/^vpm_fuzz: PASS \(.*\)/\1/p' "$LOG" >"$OUT/fuzz-summary"
elif grep -q '^FUZZ FAILURE' "$LOG"; then
	vpm_result FAIL fuzz/run "$(grep -m1 '^FUZZ FAILURE' "$LOG" | cut -c1-300); $(grep -m1 '^# replay:' "$LOG")"
else
	vpm_result FAIL fuzz/run "no verdict (seed: $(sed -n 's/^vpm_fuzz: seed \([0-9]*\).*/\1/p' "$LOG"); see the console)"
fi
cp "$LOG" "$OUT/fuzz.log" 2>/dev/null

if grep -q '^# edu2 unplugged' "$LOG"; then
	vpm_run fuzz/edu2-gone vpm_wait_gone "$EDU2_BDF" 60
elif [ -n "$UNPLUG" ]; then
	vpm_skip fuzz/edu2-gone "the run ended before the unplug"
fi
vpm_run fuzz/no-mapping-left vpm_no_mappings_left
for d in "${bound[@]}"; do
	[ "${d%%:*}" != edu2 ] || continue
	vpm_run "fuzz/unbind-${d%%:*}" vpm_unbind "${d#*:}"
done
