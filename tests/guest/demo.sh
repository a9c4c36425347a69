#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The demo: bind edu to vfio-pci-mmap, run build/vpm-demo on it (container,
# group, type1 IOMMU, device fd, BAR0 mmap, identification register read
# before and after VFIO_DEVICE_RESET), unbind.
#
# Tracing patches kernel text: one vCPU (see --smp in tests/vm/run.sh).
# vpm-vm-options: --smp 1

. "$REPO/tests/guest/lib.sh"

demo=$REPO/build/vpm-demo
[ -x "$demo" ] || { vpm_result FAIL vpm-demo "$demo not built (make build)"; exit 1; }

vpm_say "demo: recording the whole demo with trace-cmd into $OUT/demo"
"$REPO/tracing/record-demo.sh" "$OUT/demo" -- "$REPO/tests/demo/demo-steps.sh"
rc=$?
[ -s "$OUT/demo/timeline.txt" ] && cat "$OUT/demo/timeline.txt"
if [ -s "$OUT/demo/trace.dat" ]; then
	vpm_result PASS demo-trace-recorded
else
	vpm_result FAIL demo-trace-recorded "no $OUT/demo/trace.dat"
fi
exit "$rc"
