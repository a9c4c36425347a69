#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The fault ring tests (tests/ring/) in the test VM.
#
#   make -C tests/ring && make -C tests/ring kmod    (on the host, first)
#   tests/vm/run.sh tests/guest/ring-suite.sh [ONLY=layout,rw,...] [SKIP=...]
#
# Binds edu to vfio-pci-mmap and runs every ring test on it, then binds
# edu2 and unplugs it (last: edu2 is gone for the rest of the boot).
# Results are named ring/NAME; a program exiting 77 is recorded as SKIP.
# The in-kernel caller test (ring/kmod-*) needs build/ring/kmod-FLAVOUR/
# vpm_ring_caller.ko built for the booted kernel (make -C tests/ring kmod
# [FLAVOUR=debug]); it is skipped otherwise.

. "$REPO/tests/guest/lib.sh"

vpm_args ring-suite ONLY SKIP -- "$@"
BIN=$REPO/build/ring
PARAM=/sys/module/vfio_pci_mmap/parameters/ring_entries
KO=$BIN/kmod-${KERNEL_FLAVOUR:-debian}/vpm_ring_caller.ko

vpm_build ring/build tests/ring "$BIN" || exit 1
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug

# t NAME TIMEOUT [ARGS...]: build/ring/ring_NAME on edu, if wanted.
t() { vpm_run_wanted "ring/$1" "$2" "$BIN/ring_$1" --bdf "$EDU_BDF" "${@:3}"; }

# Wait until the ring of BDF is open (debugfs "ring" no longer "closed").
wait_open() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q '^index=' "/sys/kernel/debug/vfio-pci-mmap/$1/ring" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Wait up to 10 s until the ring of BDF is empty (prod == cons).
wait_drained() {
	local i line prod cons
	for ((i = 0; i < 100; i++)); do
		line=$(cat "/sys/kernel/debug/vfio-pci-mmap/$1/ring" 2>/dev/null)
		prod=${line#*prod=}; prod=${prod%% *}
		cons=${line#*cons=}; cons=${cons%% *}
		[ -n "$prod" ] && [ "$prod" = "$cons" ] && return 0
		sleep 0.1
	done
	return 1
}

# Wait up to 30 s for FILE to exist.
wait_file() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# The sample consumer drains records injected while it runs, via mmap and
# via read().
sample_consumer() {
	local pid rc
	"$BIN/ring_consumer" --bdf "$EDU_BDF" --count 300 --timeout 20 --quiet "$@" &
	pid=$!
	wait_open "$EDU_BDF" || { echo "the consumer never opened the device"; kill "$pid"; return 1; }
	# Two batches, each fitting the ring; the second once the first is read.
	echo "100 1 0 0x1000" >"/sys/kernel/debug/vfio-pci-mmap/$EDU_BDF/inject" || return 1
	wait_drained "$EDU_BDF" || { echo "the consumer did not drain the ring"; kill "$pid"; return 1; }
	echo "200 3 0 0x2000 5" >"/sys/kernel/debug/vfio-pci-mmap/$EDU_BDF/inject" || return 1
	wait "$pid"
	rc=$?
	echo "consumer exit status $rc"
	return "$rc"
}

param() { cat "/sys/module/vpm_ring_caller/parameters/$1" 2>/dev/null; }

# The in-kernel caller: first with the device closed (every report is
# ENODEV), then with ring_kmod_check consuming.
kmod_closed() {
	insmod "$KO" bdf="$EDU_BDF" count=8 || return 1
	echo "ok=$(param ok) enodev=$(param enodev) einval=$(param einval) other=$(param other) hardirq=$(param hardirq)"
	local rc=0
	[ "$(param ok)" = 0 ] && [ "$(param enodev)" = 25 ] &&
		[ "$(param einval)" = 5 ] && [ "$(param other)" = 0 ] &&
		[ "$(param hardirq)" = 8 ] || rc=1
	rmmod vpm_ring_caller || rc=1
	return "$rc"
}

kmod_open() {
	local ready=/tmp/ring-kmod.ready pid rc=0
	rm -f "$ready"
	"$BIN/ring_kmod_check" --bdf "$EDU_BDF" "$ready" 64 &
	pid=$!
	wait_file "$ready" || { kill "$pid"; return 1; }
	insmod "$KO" bdf="$EDU_BDF" count=64 || { kill "$pid"; return 1; }
	echo "ok=$(param ok) enodev=$(param enodev) einval=$(param einval) other=$(param other) hardirq=$(param hardirq) nospc=$(param nospc)"
	[ "$(param ok)" = 192 ] && [ "$(param enodev)" = 1 ] &&
		[ "$(param einval)" = 5 ] && [ "$(param hardirq)" = 64 ] || rc=1
	wait "$pid" || rc=1
	rmmod vpm_ring_caller || rc=1
	return "$rc"
}

bench() {
	local old rc
	old=$(cat "$PARAM")
	echo 65536 >"$PARAM"
	"$BIN/ring_bench" --bdf "$EDU_BDF" 1000000
	rc=$?
	echo "$old" >"$PARAM"
	return "$rc"
}

unplug() {
	local ready=/tmp/ring-unplug.ready pid rc
	rm -f "$ready"
	"$BIN/ring_unplug" --bdf "$EDU2_BDF" "$ready" 60 &
	pid=$!
	wait_file "$ready" || { kill "$pid"; return 1; }
	vpm_unplug_request edu2
	wait "$pid"
	rc=$?
	vpm_wait_gone "$EDU2_BDF" 60 || rc=1
	return "$rc"
}

vpm_run ring/bind-edu vpm_bind "$EDU_BDF" vfio-pci-mmap || exit 1

vpm_run_wanted ring/uapi 10 "$BIN/uapi_header"
t layout 60
t rw 60
t consume 300 20000
t eventfd 60
t overflow 60
t refused 60
t reset 60
t low_power 60
t hostile 600 1000000
# Each cycle opens (and resets) and closes the device: slow on the debug kernel.
if [ "${KERNEL_FLAVOUR:-debian}" = debug ]; then
	t lifetime 900 60
else
	t lifetime 300 200
fi
# debugfs inject refuses a malformed line with EINVAL and produces nothing.
inject_malformed() {
	local f=/sys/kernel/debug/vfio-pci-mmap/$EDU_BDF/inject line rc=0 before
	before=$(grep -o 'produced=[0-9]*' "/sys/kernel/debug/vfio-pci-mmap/$EDU_BDF/ring")
	for line in "1 1 0" "0 1 0 0x1000" "1 99 0 0x1000" "1 1 0 0x1000 0 0 3" \
		    "one 1 0 0x1000" "1 1 0x10000 0x1000"; do
		if vpm_write "$f" "$line" >/dev/null; then
			echo "'$line' was accepted"
			rc=1
		fi
	done
	[ "$(grep -o 'produced=[0-9]*' "/sys/kernel/debug/vfio-pci-mmap/$EDU_BDF/ring")" = "$before" ] ||
		{ echo "a refused line produced records"; rc=1; }
	return "$rc"
}
vpm_wanted inject && vpm_run_for ring/inject-malformed 60 inject_malformed
vpm_wanted consumer && vpm_run_for ring/consumer-mmap 60 sample_consumer
vpm_wanted consumer && vpm_run_for ring/consumer-read 60 sample_consumer --read
if vpm_wanted kmod; then
	if [ ! -f "$KO" ]; then
		vpm_skip ring/kmod "$KO not built (make -C tests/ring kmod FLAVOUR=${KERNEL_FLAVOUR:-debian})"
	elif [ "$(modinfo -F vermagic "$KO" | cut -d' ' -f1)" != "$(uname -r)" ]; then
		vpm_skip ring/kmod "$KO is not built for $(uname -r)"
	else
		vpm_run_for ring/kmod-closed 60 kmod_closed
		vpm_run_for ring/kmod-open 60 kmod_open
	fi
fi
vpm_run_wanted ring/bench 600 bench

vpm_run ring/unbind-edu vpm_unbind "$EDU_BDF"

if vpm_wanted unplug; then
	if vpm_bind "$EDU2_BDF" vfio-pci-mmap; then
		vpm_run_for ring/unplug 120 unplug
	else
		vpm_result FAIL ring/unplug "cannot bind edu2"
	fi
fi
exit 0
