#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Host-side self-test of the tracing tools, on data recorded in the test VM
# (tracing/tests/data/: the reports of the six scenarios and the event
# formats, saved from a run of tests/guest/trace-suite.sh).  Needs no VM and
# no tracing: the host cannot trace.
#
#   make -C tracing check        (builds the plugin and fmt_print first)
#
# Prints "PASS name" / "FAIL name" lines and "N passed, N failed" last;
# exits nonzero on a failure.  Refresh the data after a change of the
# events: copy build/vm/trace-suite/trace/{SCENARIO.txt,event-formats}.

set -uo pipefail
here=$(dirname "$(realpath "$0")")
tr=$(dirname "$here")
data=$here/data
BUILD=${BUILD:-$(realpath -m "$tr/../build/trace")}
tmp=$(mktemp -d /tmp/vpm-trace-selftest.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1${2:+ -- $2}"; fail=$((fail + 1)); }
# expect NAME STATUS CMD...: CMD must exit with STATUS (0 or nonzero "!0").
expect() {
	local name=$1 want=$2 rc
	shift 2
	"$@" >"$tmp/out" 2>&1
	rc=$?
	if { [ "$want" = 0 ] && [ "$rc" = 0 ]; } || { [ "$want" = '!0' ] && [ "$rc" != 0 ]; }; then
		ok "$name"
	else
		ko "$name" "exit $rc"
		sed 's/^/    /' "$tmp/out" | head -n 20
	fi
}

declare -A dev=([split]=edu [mremap]=edu [fork]=edu [lowpower]=edu [ring]=edu
		[lifecycle]=edu2)
declare -A bdf=([edu]=0000:01:00.0 [edu2]=0000:04:00.0)

# 1. Every scenario's exact sequence, as the guest asserts it.
for s in split mremap fork lowpower ring lifecycle; do
	a=${dev[$s]}
	expect "check/$s" 0 python3 "$tr/check.py" sequence \
		--expect "$here/expect/$s.expect" --dev "$a=${bdf[$a]}" "$data/$s.txt"
done

# 2. ... and the checker notices a difference: a transition learnt at the
# fault reported as an explicit exit, a missing step, an extra event.
sed 's/(observed_at_fault)/(low_power_exit)/' "$here/expect/lowpower.expect" >"$tmp/a.expect"
expect "check/detects-wrong-reason" '!0' python3 "$tr/check.py" sequence \
	--expect "$tmp/a.expect" --dev edu=0000:01:00.0 "$data/lowpower.txt"
grep -v '^mark get-info' "$here/expect/lowpower.expect" >"$tmp/b.expect"
expect "check/detects-missing-step" '!0' python3 "$tr/check.py" sequence \
	--expect "$tmp/b.expect" --dev edu=0000:01:00.0 "$data/lowpower.txt"
sed 's/ring_produce type=dma reason=permission  \*64/ring_produce type=dma reason=permission  *63/' \
	"$here/expect/ring.expect" >"$tmp/c.expect"
expect "check/detects-count" '!0' python3 "$tr/check.py" sequence \
	--expect "$tmp/c.expect" --dev edu=0000:01:00.0 "$data/ring.txt"

# 3. Every event readable, every event of the driver seen.
awk '/^name: /{print $2}' "$data/formats" >"$tmp/events.list"
expect "formats/all-readable" 0 python3 "$tr/check.py" formats --require-all \
	--events-list "$tmp/events.list" "$data"/*.txt
{
	echo '  x-1 [000] 1.000000: vpm_state_change:     dev=0000:01:00.0 0x2 -> enabled reason=open'
	echo '  x-1 [000] 1.000001: vpm_ring_produce:     [FAILED TO PARSE] dev=0000:01:00.0 seq=1'
	echo '  x-1 [000] 1.000002: vpm_fault:            dev=0000:01:00.0 region=0 addr=0xffff888012345678 offset=0x0 order=0 pfn=0x1 access=map result=0x400'
} >"$tmp/bad.txt"
expect "formats/detects-unreadable" '!0' python3 "$tr/check.py" formats "$tmp/bad.txt"
n=$(python3 "$tr/check.py" formats "$tmp/bad.txt" | tail -n 1)
[ "$n" = "3 vfio_pci_mmap events, 4 problems" ] && ok "formats/four-problems" ||
	ko "formats/four-problems" "$n"

# 4. The formats themselves, through libtraceevent (what trace-cmd report
# and KernelShark use): every enum by name, the ring reason by type.
if [ -x "$BUILD/fmt_print" ]; then
	cat >"$tmp/records" <<-'EOF'
	vpm_state_change dev=0000:01:00.0 old=2 new=0 why=10
	vpm_ring_produce dev=0000:01:00.0 seq=1 type=1 reason=6 prod=1 cons=0
	vpm_ring_produce dev=0000:01:00.0 seq=2 type=2 reason=4 prod=2 cons=0
	vpm_ring_produce dev=0000:01:00.0 seq=3 type=3 reason=0 prod=3 cons=0
	vpm_fault dev=0000:01:00.0 region=0 address=0x7f0000000000 offset=0x0 order=0 pfn=0 access=2 result=0x100
	vpm_fault dev=0000:01:00.0 region=9 address=0x7f0000000000 offset=0x0 order=0 pfn=0 access=0 result=0x200
	vpm_vma_untrack dev=0000:01:00.0 region=0 start=0x7f0000000000 end=0x7f0000004000 pgoff=0 why=0 count=0 pid=1
	vpm_revoke dev=0000:01:00.0 mode=2 nr_vmas=3
	vpm_mmap dev=0000:01:00.0 region=0 offset=0 len=0x1000 err=-22
	EOF
	cat >"$tmp/want" <<-'EOF'
	vpm_state_change: dev=0000:01:00.0 low_power -> enabled reason=observed_at_fault
	vpm_ring_produce: dev=0000:01:00.0 seq=1 type=dma reason=permission prod=1 cons=0
	vpm_ring_produce: dev=0000:01:00.0 seq=2 type=mmap_refused reason=revoked prod=2 cons=0
	vpm_ring_produce: dev=0000:01:00.0 seq=3 type=reset reason=none prod=3 cons=0
	vpm_fault: dev=0000:01:00.0 region=0 addr=0x7f0000000000 offset=0x0 order=0 pfn=0x0 access=ones result=NOPAGE
	vpm_fault: dev=0000:01:00.0 region=9 addr=0x7f0000000000 offset=0x0 order=0 pfn=0x0 access=map result=LOCKED
	vpm_vma_untrack: dev=0000:01:00.0 region=0 start=0x7f0000000000 end=0x7f0000004000 pgoff=0x0 tracked=0 pid=1
	vpm_revoke: dev=0000:01:00.0 reason=request mode=ones vmas=3
	vpm_mmap: dev=0000:01:00.0 region=0 offset=0x0 len=0x1000 refused err=-22
	EOF
	env -u TRACEEVENT_PLUGIN_DIR "$BUILD/fmt_print" "$data/formats" - <"$tmp/records" >"$tmp/got" 2>&1
	if diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
		ok "libtraceevent/formats"
	else
		ko "libtraceevent/formats"
		sed 's/^/    /' "$tmp/diff"
	fi

	# 5. The plugin: the same text, then its notes.
	if [ -e "$BUILD/plugin_vfio_pci_mmap.so" ]; then
		cat >"$tmp/records" <<-'EOF'
		vpm_state_change dev=0000:01:00.0 old=0 new=3 why=2
		vpm_zap_begin dev=0000:01:00.0 why=2 nr_vmas=1
		vpm_zap_end dev=0000:01:00.0 why=2 nr_vmas=1 duration_ns=24900
		vpm_state_change dev=0000:01:00.0 old=3 new=1 why=6
		vpm_fault dev=0000:01:00.0 region=0 address=0x7f0000000000 offset=0x0 order=0 pfn=0xfe800 access=1 result=0x2
		vpm_zap_end dev=0000:01:00.0 why=6 nr_vmas=1 duration_ns=1500000
		vpm_fault dev=0000:01:00.0 region=0 address=0x7f0000200000 offset=0x200000 order=9 pfn=0xfe800 access=0 result=0x100
		vpm_vma_track dev=0000:01:00.0 region=0 start=0x7f0000000000 end=0x7f0000004000 pgoff=0 why=2 count=2 pid=1
		EOF
		cat >"$tmp/want" <<-'EOF'
		vpm_state_change: dev=0000:01:00.0 enabled -> resetting reason=reset_ioctl
		vpm_zap_begin: dev=0000:01:00.0 reason=reset_ioctl regions=all vmas=1
		vpm_zap_end: dev=0000:01:00.0 reason=reset_ioctl regions=all vmas=1 duration_ns=24900 [24.9 us; 0000:01:00.0: zap 1, max 24.9 us, total 24.9 us]
		vpm_state_change: dev=0000:01:00.0 resetting -> mem_disabled reason=config_write [resetting for 3.000000 s]
		vpm_fault: dev=0000:01:00.0 region=0 addr=0x7f0000000000 offset=0x0 order=0 pfn=0xfe800 access=sigbus result=SIGBUS [device mem_disabled]
		vpm_zap_end: dev=0000:01:00.0 reason=config_write regions=all vmas=1 duration_ns=1500000 [1.500 ms; 0000:01:00.0: zap 2, max 1.500 ms, total 1.524 ms]
		vpm_fault: dev=0000:01:00.0 region=0 addr=0x7f0000200000 offset=0x200000 order=9 pfn=0xfe800 access=map result=NOPAGE [2 MiB]
		vpm_vma_track: dev=0000:01:00.0 region=0 start=0x7f0000000000 end=0x7f0000004000 pgoff=0x0 why=split tracked=2 pid=1 [4 pages]
		EOF
		TRACEEVENT_PLUGIN_DIR=$BUILD "$BUILD/fmt_print" "$data/formats" - <"$tmp/records" >"$tmp/got" 2>&1
		if diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
			ok "plugin/notes"
		else
			ko "plugin/notes"
			sed 's/^/    /' "$tmp/diff"
		fi
	else
		ko "plugin/notes" "no $BUILD/plugin_vfio_pci_mmap.so (make -C tracing plugin)"
	fi
else
	ko "libtraceevent/formats" "no $BUILD/fmt_print (make -C tracing)"
fi

# 6. The demo tools run on every scenario and make sense.
for s in split mremap fork lowpower ring lifecycle; do
	if python3 "$tr/timeline.py" "$data/$s.txt" >"$tmp/$s.timeline" &&
	   grep -q '^0000:0[14]:00.0$' "$tmp/$s.timeline" &&
	   grep -q 'summary:' "$tmp/$s.timeline" &&
	   python3 "$tr/plot.py" -o "$tmp/$s.svg" "$data/$s.txt" &&
	   python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$tmp/$s.svg"; then
		ok "demo/$s"
	else
		ko "demo/$s"
	fi
done
grep -q 'low_power    -> enabled      observed_at_fault' "$tmp/lowpower.timeline" &&
	ok "timeline/observed_at_fault" || ko "timeline/observed_at_fault"
grep -q 'enabled      -> revoked      request .*irq/[0-9]*-pciehp' "$tmp/lifecycle.timeline" &&
	ok "timeline/revoked-by-pciehp" || ko "timeline/revoked-by-pciehp"
grep -q '7 transitions, final state revoked (revoked, mode sigbus)' "$tmp/lifecycle.timeline" &&
	ok "timeline/summary" || ko "timeline/summary"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
