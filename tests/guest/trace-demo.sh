#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A traced demo on two devices at once, for pictures: while one process
# takes edu through fork, reset and low power, another takes edu2 through
# reset, memory disable and hot-unplug.  Everything is recorded by
# tracing/record-demo.sh into $OUT/demo/ (trace.dat, trace.txt,
# timeline.txt, devices.svg).
#
#   tests/vm/run.sh tests/guest/trace-demo.sh
#   tracing/record-demo.sh --post --screenshot build/vm/trace-demo/demo
#
# The second line (on the host) adds devices.png, a KernelShark session and
# a KernelShark screenshot.
#
# Tracing patches kernel text: one vCPU (see --smp in tests/vm/run.sh).
# vpm-vm-options: --smp 1

. "$REPO/tests/guest/lib.sh"

BIN=$REPO/build/trace
if ! make -s -C "$REPO/tracing/tests" BUILD="$BIN" >/tmp/trace-build.log 2>&1; then
	cat /tmp/trace-build.log
	vpm_result FAIL trace-demo/build "make -C tracing/tests failed"
	exit 1
fi
vpm_bind "$EDU_BDF" vfio-pci-mmap || { vpm_result FAIL trace-demo/bind edu; exit 1; }
vpm_bind "$EDU2_BDF" vfio-pci-mmap || { vpm_result FAIL trace-demo/bind edu2; exit 1; }

# Both devices at once: edu's scenarios in sequence, edu2's lifecycle
# alongside, their outputs prefixed.  A script of its own: trace-cmd runs
# the command through /bin/sh, which does not pass bash functions on.
cat >/tmp/trace-demo-both.sh <<EOS
( "$BIN/vpm_scenario" fork --bdf "$EDU_BDF" &&
  "$BIN/vpm_scenario" lowpower --bdf "$EDU_BDF"
  echo \$? >/tmp/trace-demo-edu.rc ) 2>&1 | sed -u 's/^/edu| /' &
"$BIN/vpm_scenario" lifecycle --bdf "$EDU2_BDF" --out "$OUT" 2>&1 |
	sed -u 's/^/edu2| /'
rc=\${PIPESTATUS[0]}
wait
[ "\$(cat /tmp/trace-demo-edu.rc 2>/dev/null)" = 0 ] || rc=1
exit \$rc
EOS

vpm_run trace-demo/record "$REPO/tracing/record-demo.sh" "$OUT/demo" -- bash /tmp/trace-demo-both.sh
vpm_wait_gone "$EDU2_BDF" 30 || vpm_result FAIL trace-demo/unplug "edu2 not removed"
if grep -q "^$EDU_BDF" "$OUT/demo/timeline.txt" && grep -q "^$EDU2_BDF" "$OUT/demo/timeline.txt"; then
	vpm_result PASS trace-demo/timeline "both devices in timeline.txt"
else
	vpm_result FAIL trace-demo/timeline "a device is missing from timeline.txt"
fi
sed 's/^/timeline| /' "$OUT/demo/timeline.txt"
vpm_unbind "$EDU_BDF"
exit 0
