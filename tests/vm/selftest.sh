#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Self-test of the VM harness: runs tests/vm/run.sh on guest scripts that
# must make it fail (or pass) in a known way, and checks that it does.
#
#   tests/vm/selftest.sh [--kernel debian|debug] [OUTDIR]
#
#   warn     a module that WARNs on load (tests/vm/warn-module/): the run
#            must fail, name the splat, and end with "1 passed, 1 failed"
#            (the script's own result passed, the splat failed).
#   unplug   --unplug-after: the host must hot-unplug edu2 and the guest see
#            it go away; the run must pass.
#   timeout  a script that never ends: the run must fail with "timeout",
#            and the guest must have listed its blocked tasks (SysRq-w).
#   hang     a script that stops the guest's own time limit: the host's
#            timeout must fail the run, after typing SysRq-w through QMP
#            so that the console lists the guest's blocked tasks.
#
# None of them loads vfio-pci-mmap, so the module's state cannot make a
# self-test pass or fail.  Results go to OUTDIR/results (default
# build/vm/selftest); the last line is "N passed, N failed".

set -uo pipefail
VPM_PROG=selftest
. "$(dirname "$0")/../common.sh"

flavour=debian
if [ "${1:-}" = --kernel ]; then
	flavour=${2:?}
	shift 2
fi
outdir=$(realpath -m "${1:-$VPM_REPO/build/vm/selftest}")
mkdir -p "$outdir"
results=$outdir/results
: >"$results"
self=$VPM_REPO/tests/vm/selftest
run=("$VPM_REPO/tests/vm/run.sh" --kernel "$flavour" --no-module)

pass() { echo "PASS $1" >>"$results"; echo "selftest: PASS $1"; }
fail() { echo "FAIL $1 -- $2" >>"$results"; echo "selftest: FAIL $1 -- $2"; }

# Run the harness; its output, indented, to the terminal and NAME.log.
# Sets $rc and $last (its last line).
harness() {
	local name=$1
	shift
	echo "selftest: $name: tests/vm/run.sh $*"
	"${run[@]}" --out "$outdir/$name" "$@" 2>&1 | tee "$outdir/$name.log" | sed 's/^/  | /'
	rc=${PIPESTATUS[0]}
	last=$(tail -n 1 "$outdir/$name.log")
}

# --- a WARN must fail the run and be named -------------------------------------------
if [ "$flavour" = debug ]; then
	kroot=$(vpm_debug_kernel_dir) || exit 1
	kdir=$kroot/build
else
	kdir=/lib/modules/$(vpm_kver)/build
fi
wm=$outdir/warn-module
rm -rf "$wm"
mkdir -p "$wm"
cp "$VPM_REPO"/tests/vm/warn-module/{Kbuild,vpm-warn-test.c} "$wm/"
if ! make -C "$kdir" M="$wm" modules >"$outdir/warn-module.log" 2>&1; then
	cat "$outdir/warn-module.log"
	fail warn-module-builds "see $outdir/warn-module.log"
else
	harness warn "$self/warn.sh" "$wm/vpm-warn-test.ko"
	if [ "$rc" = 0 ]; then
		fail warn-fails-the-run "the harness passed a run whose kernel warned"
	elif ! grep -qE '^FAIL splat: WARNING: .*vpm_warn_test_init' "$outdir/warn/results"; then
		fail warn-fails-the-run "no 'FAIL splat: WARNING: ... vpm_warn_test_init' in $outdir/warn/results"
	elif [ "$last" != "1 passed, 1 failed" ]; then
		fail warn-fails-the-run "last line '$last', expected '1 passed, 1 failed'"
	else
		pass warn-fails-the-run
	fi
fi

# --- the host hot-unplugs edu2 on request --------------------------------------------
harness unplug --unplug-after 2 "$self/unplug.sh"
if [ "$rc" = 0 ] && [ "$last" = "1 passed, 0 failed" ]; then
	pass unplug-after
else
	fail unplug-after "exit status $rc, last line '$last'"
fi

# --- a script that never ends is stopped and fails -----------------------------------
harness timeout --timeout 45 "$self/timeout.sh"
if [ "$rc" != 0 ] && grep -q '^FAIL timeout' "$outdir/timeout/results"; then
	pass timeout-fails-the-run
else
	fail timeout-fails-the-run "exit status $rc, results: $(tr '\n' ';' <"$outdir/timeout/results")"
fi
if grep -q 'sysrq: Show Blocked State' "$outdir/timeout/console.log"; then
	pass timeout-lists-blocked-tasks
else
	fail timeout-lists-blocked-tasks "no SysRq-w output in $outdir/timeout/console.log"
fi

# --- a guest whose own time limit is stuck is killed by the host, after SysRq-w -----
harness hang --timeout 45 "$self/hang.sh"
if [ "$rc" = 0 ] || ! grep -q '^FAIL timeout -- the VM ran for more than' "$outdir/hang/results"; then
	fail host-timeout-fails-the-run "exit status $rc, results: $(tr '\n' ';' <"$outdir/hang/results")"
elif ! grep -q 'sysrq: Show Blocked State' "$outdir/hang/console.log"; then
	fail host-timeout-fails-the-run "no SysRq-w output in $outdir/hang/console.log"
else
	pass host-timeout-fails-the-run
fi

passed=$(grep -c '^PASS ' "$results")
failed=$(grep -c '^FAIL ' "$results")
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
