#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# What a reset window does to a real VMM: QEMU with edu assigned through
# vfio-pci, its BAR0 read over and over through QEMU's mmap of the region
# (tests/guest/qemu_client.py drives it through qtest: no nested guest),
# while the device is reset through sysfs.
#
#   tests/vm/run.sh tests/guest/policy-suite.sh
#
# policy/qemu-maps-bar  while the client runs, debugfs "mappings" lists a
#                       vma of the QEMU process: its reads go through the
#                       driver's fault handler, not read()/write().
# policy/qemu-sigbus    policy_resetting=sigbus (or a module without the
#                       parameter, which behaves so): resets until QEMU dies,
#                       at most QEMU_SIGBUS_RESETS (200); PASS if it died of
#                       SIGBUS.
# policy/qemu-block     policy_resetting=block: QEMU_BLOCK_RESETS (20)
#                       resets; PASS if QEMU survived and every read returned
#                       edu's identification.  SKIP without the parameter.

. "$REPO/tests/guest/lib.sh"

PARAM=/sys/module/vfio_pci_mmap/parameters/policy_resetting
CLIENT=$REPO/tests/guest/qemu_client.py
DBG=/sys/kernel/debug/vfio-pci-mmap/$EDU_BDF
RESET=/sys/bus/pci/devices/$EDU_BDF/reset
QEMU_SIGBUS_RESETS=${QEMU_SIGBUS_RESETS:-200}
QEMU_BLOCK_RESETS=${QEMU_BLOCK_RESETS:-20}
T=/tmp/policy-suite
mkdir -p "$T"
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
maps_checked=0

# alive PID: PID exists and is no zombie.
alive() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# client_start NAME: start the client in the background.  Sets cpid (the
# client) and qpid (its QEMU) once the BAR reads the identification;
# returns 1 (with the client's output shown) if it never got there.
client_start() {
	local name=$1 i
	rm -f "$T/ready" "$T/stop"
	python3 "$CLIENT" --bdf "$EDU_BDF" --seconds 600 --ready-file "$T/ready" \
		--stop-file "$T/stop" >"$T/$name.log" 2>&1 &
	cpid=$!
	qpid=""
	for ((i = 0; i < 1200; i++)); do
		[ -s "$T/ready" ] && break
		kill -0 "$cpid" 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -s "$T/ready" ]; then
		touch "$T/stop"
		kill "$cpid" 2>/dev/null
		wait "$cpid"
		vpm_prefix "$name| " <"$T/$name.log"
		return 1
	fi
	qpid=$(cat "$T/ready")
	vpm_say "$name: QEMU $qpid reads edu's BAR0 through its mapping"
}

# client_stop NAME: stop the client (if still running); sets crc to its
# exit status and shows its output.
client_stop() {
	local name=$1 i
	touch "$T/stop"
	for ((i = 0; i < 300; i++)); do
		kill -0 "$cpid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$cpid" 2>/dev/null
	wait "$cpid"
	crc=$?
	vpm_prefix "$name| " <"$T/$name.log"
}

# check_maps: once, record whether debugfs lists a vma of QEMU's.
check_maps() {
	local m
	[ "$maps_checked" = 0 ] || return 0
	maps_checked=1
	if [ ! -r "$DBG/mappings" ]; then
		vpm_skip policy/qemu-maps-bar "no $DBG/mappings"
		return 0
	fi
	m=$(cat "$DBG/mappings")
	vpm_prefix "mappings| " <<<"$m"
	if grep -q "^pid=$qpid " <<<"$m"; then
		vpm_result PASS policy/qemu-maps-bar "$(grep "^pid=$qpid " <<<"$m" | head -n 1)"
	else
		vpm_result FAIL policy/qemu-maps-bar "no vma of QEMU (pid $qpid) in $DBG/mappings"
	fi
}

refused() { cat "$DBG/refused" 2>/dev/null || echo "?"; }
blocked() { cat "$DBG/blocked" 2>/dev/null || echo "?"; }

# qemu_faults: the faults debugfs counted on QEMU's vma ("?" if none listed).
qemu_faults() {
	local f
	f=$(sed -n "s/^pid=$qpid .* faults=\([0-9]*\).*/\1/p" "$DBG/mappings" 2>/dev/null | head -n 1)
	echo "${f:-?}"
}

# resets MAX: reset edu through sysfs up to MAX times, 50 ms apart,
# stopping early when QEMU dies.  Sets nreset (resets done) and rfail
# (failed reset writes).
resets() {
	local max=$1 err
	nreset=0
	rfail=0
	while [ "$nreset" -lt "$max" ] && alive "$qpid"; do
		nreset=$((nreset + 1))
		if ! err=$(vpm_write "$RESET" 1); then
			rfail=$((rfail + 1))
			vpm_say "reset $nreset: $err"
		fi
		sleep 0.05
	done
}

# set_policy NAME VALUE: write the parameter; 1 (and FAIL NAME) if refused.
set_policy() {
	local err
	err=$(vpm_write "$PARAM" "$2") && return 0
	vpm_result FAIL "$1" "policy_resetting=$2 refused: $err"
	return 1
}

vpm_run policy/bind-edu vpm_bind "$EDU_BDF" vfio-pci-mmap || exit 1
[ -w "$RESET" ] || { vpm_result FAIL policy/reset "no $RESET"; exit 1; }
[ -e "$PARAM" ] && orig_policy=$(cat "$PARAM")

# --- sigbus: today's behaviour, and the policy the block case is against -----
name=policy/qemu-sigbus
if [ -e "$PARAM" ]; then
	set_policy "$name" sigbus && run_sigbus=1 || run_sigbus=0
else
	vpm_say "$name: no $PARAM: the module answers with SIGBUS anyway"
	run_sigbus=1
fi
if [ "$run_sigbus" = 1 ]; then
	t0=$(date +%s)
	r0=$(refused)
	if client_start qemu-sigbus; then
		check_maps
		resets "$QEMU_SIGBUS_RESETS"
		client_stop qemu-sigbus
		log=$T/qemu-sigbus.log
		detail="$(grep -m1 '^reads:' "$log"), QEMU's end after reset $nreset"
		detail+=" of at most $QEMU_SIGBUS_RESETS ($rfail failed), refused $r0 -> $(refused)"
		detail+=", $(($(date +%s) - t0)) s"
		if [ "$crc" = 2 ] && grep -q '^qemu-died: signal 7 SIGBUS' "$log"; then
			vpm_result PASS "$name" "QEMU killed by SIGBUS: $detail"
		elif [ "$crc" = 2 ]; then
			vpm_result FAIL "$name" "QEMU $(grep -m1 '^qemu-died:' "$log"): $detail"
		else
			vpm_result FAIL "$name" "QEMU survived (client exit $crc): $detail"
		fi
	else
		vpm_result FAIL "$name" "the client did not get to its read loop"
	fi
fi

# --- block: the fault waits out the window -------------------------------------
name=policy/qemu-block
if [ ! -e "$PARAM" ]; then
	vpm_skip "$name" "no $PARAM in this module"
elif set_policy "$name" block; then
	t0=$(date +%s)
	r0=$(refused)
	b0=$(blocked)
	if client_start qemu-block; then
		check_maps
		resets "$QEMU_BLOCK_RESETS"
		faults=$(qemu_faults)
		client_stop qemu-block
		log=$T/qemu-block.log
		detail="$(grep -m1 '^reads:' "$log"), $(grep -m1 '^reads-other:' "$log")"
		detail+=", $nreset resets ($rfail failed), $faults faults on QEMU's vma"
		detail+=", refused $r0 -> $(refused), blocked $b0 -> $(blocked)"
		detail+=", $(($(date +%s) - t0)) s"
		if [ "$crc" = 0 ] && [ "$nreset" = "$QEMU_BLOCK_RESETS" ] && [ "$rfail" = 0 ]; then
			vpm_result PASS "$name" "QEMU survived, every read correct: $detail"
		else
			case "$crc" in
			0) why="a reset failed" ;;
			1) why="wrong values" ;;
			2) why="QEMU $(grep -m1 '^qemu-died:' "$log")" ;;
			4) why="a read got no reply (QEMU stuck in the window?)" ;;
			*) why="client exit $crc" ;;
			esac
			vpm_result FAIL "$name" "$why: $detail"
		fi
	else
		vpm_result FAIL "$name" "the client did not get to its read loop"
	fi
fi

[ -z "${orig_policy:-}" ] || vpm_write "$PARAM" "$orig_policy" >/dev/null
vpm_unbind "$EDU_BDF"
exit 0
