#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# DPDK's own, unmodified tools (Debian's dpdk-dev 22.11: dpdk-devbind.py,
# dpdk-testpmd) and driverctl driving two NICs bound to a driver named
# vfio-pci: the kernel's own vfio-pci, or this project's drop-in build of it.
# DPDK 22.11 only uses a device whose driver is named exactly "vfio-pci",
# with the module vfio_pci loaded.
#
#   tests/vm/run.sh --devices tests/vm/devices-nic.sh \
#           tests/guest/dpdk-suite.sh [VPM_DROPIN=0|1] [DROPIN_KO=PATH] [RESETS=N]
#
# The devices (tests/vm/devices-nic.sh): an e1000e (E1000E_BDF) and a modern
# virtio-net (VIRTIO_NET_BDF) on one QEMU hub, so that what one port sends
# the other receives.
#
# VPM_DROPIN=1   this project's drop-in build, module vfio_pci (DROPIN_KO,
#                default vfio-pci.ko beside the module run.sh loaded, as
#                'make build' leaves it): vfio-pci-mmap is unloaded first
#                (the two builds register the same tracepoints and debugfs
#                directory).  The default when that file exists.
# VPM_DROPIN=0   the kernel's own vfio-pci, modprobe'd (the default when
#                the drop-in was not built).  Either way the suite checks
#                which one is loaded (the drop-in taints: out of tree).
#
# dpdk/load             the chosen vfio_pci module is loaded
# dpdk/devbind          dpdk-devbind.py --bind=vfio-pci binds both NICs;
#                       --status lists both under "DPDK-compatible driver"
# dpdk/testpmd-forward  dpdk-testpmd, io forwarding between the two ports
#                       (start tx_first): RX and TX packets > 0 on both ports,
#                       then quit with exit status 0
# dpdk/mappings         while testpmd forwards, the driver's debugfs
#                       "mappings" of each NIC lists a vma of testpmd's pid
#                       (SKIP on the kernel's vfio-pci: no such debugfs)
# dpdk/reset-survives   while testpmd forwards, RESETS (10) resets of the
#                       e1000e through sysfs: testpmd survives (no SIGBUS)
#                       and quits with exit status 0
# dpdk/unbind           dpdk-devbind.py -u releases both NICs
# dpdk/driverctl        driverctl set-override BDF vfio-pci binds each NIC
#                       to vfio-pci; unset-override gives it back to its own
#                       driver (e1000e, virtio-pci)
#
# At the end no device is bound to vfio-pci.
#
# vpm-vm-options: --devices tests/vm/devices-nic.sh

. "$REPO/tests/guest/lib.sh"

vpm_args dpdk-suite VPM_DROPIN DROPIN_KO RESETS -- "$@"
if [ -n "${VPM_MODULE:-}" ]; then
	DROPIN_KO=${DROPIN_KO:-${VPM_MODULE%/*}/vfio-pci.ko}
else
	DROPIN_KO=${DROPIN_KO:-$REPO/vfio-pci-mmap/vfio-pci.ko}
fi
# The project's drop-in when it was built, else the kernel's vfio-pci.
if [ -z "${VPM_DROPIN:-}" ]; then
	VPM_DROPIN=0
	[ -f "$DROPIN_KO" ] && VPM_DROPIN=1
fi
RESETS=${RESETS:-10}
NICS=("$E1000E_BDF" "$VIRTIO_NET_BDF")
T=/tmp/dpdk-suite
HUGE=/dev/hugepages
NR_HUGE=256     # 2 MiB pages: 512 MiB, of which testpmd takes -m 256
mkdir -p "$T"
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

if [ "$VPM_DROPIN" = 1 ]; then
	DRIVER_DESC="the drop-in vfio-pci"
else
	DRIVER_DESC="the kernel's vfio-pci"
fi

# Each NIC's driver before the suite, to give it back at the end.
declare -A orig_driver
for b in "${NICS[@]}"; do
	orig_driver[$b]=$(vpm_driver "$b")
	vpm_say "$b: $(cat "/sys/bus/pci/devices/$b/vendor"):$(cat "/sys/bus/pci/devices/$b/device")" \
		"driver ${orig_driver[$b]:-(none)}, reset_method $(cat "/sys/bus/pci/devices/$b/reset_method" 2>/dev/null)"
done

# --- the vfio_pci module ---------------------------------------------------------
# out_of_tree: whether the loaded vfio_pci is an out-of-tree module.
out_of_tree() { grep -q O /sys/module/vfio_pci/taint 2>/dev/null; }

load_driver() {
	if [ "$VPM_DROPIN" = 1 ]; then
		if [ -d /sys/module/vfio_pci ] && ! out_of_tree; then
			rmmod vfio_pci || return 1
		fi
		if [ ! -d /sys/module/vfio_pci ]; then
			[ -f "$DROPIN_KO" ] || { echo "no drop-in module $DROPIN_KO"; return 1; }
			[ ! -d /sys/module/vfio_pci_mmap ] || rmmod vfio_pci_mmap || return 1
			echo "insmod $DROPIN_KO (module $(modinfo -F name "$DROPIN_KO"))"
			insmod "$DROPIN_KO" || return 1
		fi
		out_of_tree || { echo "the loaded vfio_pci is the kernel's own"; return 1; }
	else
		modprobe vfio-pci || return 1
		! out_of_tree || { echo "the loaded vfio_pci is out of tree (taint $(cat /sys/module/vfio_pci/taint))"; return 1; }
	fi
	[ -d /sys/bus/pci/drivers/vfio-pci ] || { echo "no PCI driver named vfio-pci"; return 1; }
	echo "vfio_pci: taint '$(cat /sys/module/vfio_pci/taint)'," \
		"parameters: $(cd /sys/module/vfio_pci/parameters 2>/dev/null && echo *)"
}
vpm_run dpdk/load load_driver || exit 1
PARAM=/sys/module/vfio_pci/parameters/policy_resetting
[ ! -r "$PARAM" ] || vpm_say "policy_resetting=$(cat "$PARAM")"

# debugfs directory of BDF under the loaded driver (empty if none).
dbg_dir() {
	local d
	for d in /sys/kernel/debug/vfio-pci-mmap /sys/kernel/debug/vfio-pci; do
		[ -r "$d/$1/mappings" ] && { echo "$d/$1"; return; }
	done
	return 0
}

# --- dpdk/devbind ------------------------------------------------------------------
# The "<class> devices using DPDK-compatible driver" section of --status.
dpdk_section() {
	awk '/using DPDK-compatible driver/ { s = 1; next }
	     s && /^$/ { if (n++) s = 0; next }
	     s && /^=+$/ { next }
	     s' "$1"
}
devbind() {
	local b st=$T/devbind-status.txt
	dpdk-devbind.py --bind=vfio-pci "${NICS[@]}" || return 1
	dpdk-devbind.py --status >"$st" 2>&1
	# The network part (the other classes have no device here).
	awk '/^No .* devices detected/ { exit } { print }' "$st"
	for b in "${NICS[@]}"; do
		[ "$(vpm_driver "$b")" = vfio-pci ] || { echo "$b: driver $(vpm_driver "$b"), not vfio-pci"; return 1; }
		dpdk_section "$st" | grep -q "^$b .*drv=vfio-pci" ||
			{ echo "$b not listed with drv=vfio-pci under a DPDK-compatible driver section"; return 1; }
	done
}
vpm_run dpdk/devbind devbind || exit 1

# --- hugepages ---------------------------------------------------------------------
echo "$NR_HUGE" >/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
mkdir -p "$HUGE"
mountpoint -q "$HUGE" || mount -t hugetlbfs -o pagesize=2M nodev "$HUGE"
vpm_say "hugepages: $(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages) x 2 MiB on $HUGE"

# --- testpmd, interactive, its commands through a fifo --------------------------------
# tp_start NAME: start testpmd; 0 once its prompt is there (tpid, tplog set).
tp_start() {
	local name=$1 i
	tplog=$T/$name.log
	rm -f "$T/cmd"
	mkfifo "$T/cmd"
	# Line-buffered stdout: the log is read while testpmd runs.
	stdbuf -oL -eL dpdk-testpmd -l 0-1 -n 1 -m 256 --file-prefix vpm \
		-a "$E1000E_BDF" -a "$VIRTIO_NET_BDF" -- \
		-i --nb-cores=1 --rxq=1 --txq=1 --rxd=256 --txd=256 --burst=16 \
		--total-num-mbufs=4096 --forward-mode=io <"$T/cmd" >"$tplog" 2>&1 &
	tpid=$!
	echo "$tpid" >"$T/tpid"
	exec 7>"$T/cmd"
	for ((i = 0; i < 1800; i++)); do
		grep -q 'testpmd> ' "$tplog" && break
		kill -0 "$tpid" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q 'testpmd> ' "$tplog"; then
		echo "testpmd did not reach its prompt in $((i / 10)) s"
		tp_kill
		return 1
	fi
	echo "testpmd $tpid at its prompt after $((i / 10)) s"
}

# tp_cmd CMD [WAIT_PATTERN [SECONDS]]: send CMD; wait until WAIT_PATTERN
# appears in the log after it (default 60 s).
tp_cmd() {
	local from i
	from=$(wc -l <"$tplog")
	echo "$1" >&7
	[ -n "${2:-}" ] || return 0
	for ((i = 0; i < ${3:-60} * 10; i++)); do
		tail -n +"$((from + 1))" "$tplog" | grep -q -- "$2" && return 0
		kill -0 "$tpid" 2>/dev/null || return 1
		sleep 0.1
	done
	echo "no '$2' ${3:-60} s after '$1'"
	return 1
}

# tp_stats: show port stats all; sets rx0 tx0 rx1 tx1 from its output.
tp_stats() {
	local from blk
	from=$(wc -l <"$tplog")
	tp_cmd "show port stats all" "NIC statistics for port 1" 60 || return 1
	tp_cmd "" "testpmd> " 10 >/dev/null
	blk=$(tail -n +"$((from + 1))" "$tplog")
	grep -E 'NIC statistics|RX-packets|TX-packets' <<<"$blk"
	# (No process substitution: the guest's /dev has no /dev/fd.)
	read -r rx0 rx1 <<<"$(awk '/RX-packets:/ { printf "%s ", $2 }' <<<"$blk")"
	read -r tx0 tx1 <<<"$(awk '/TX-packets:/ { printf "%s ", $2 }' <<<"$blk")"
}

# tp_quit: quit, wait for testpmd (60 s); tprc = its exit status.
tp_quit() {
	local i
	echo quit >&7
	exec 7>&-
	for ((i = 0; i < 600; i++)); do
		kill -0 "$tpid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$tpid" 2>/dev/null && { echo "testpmd still running 60 s after quit"; tp_kill; }
	wait "$tpid"
	tprc=$?
	tpid=""
}

tp_kill() {
	exec 7>&- 2>/dev/null
	[ -z "${tpid:-}" ] || { kill -9 "$tpid" 2>/dev/null; wait "$tpid" 2>/dev/null; }
	tpid=""
}

# A testpmd a case left behind (the cases run in a pipeline's subshell).
tp_reap() {
	local p
	p=$(cat "$T/tpid" 2>/dev/null) || return 0
	rm -f "$T/tpid"
	kill -0 "$p" 2>/dev/null || return 0
	vpm_say "killing testpmd $p, left running"
	kill -9 "$p"
	sleep 1
}

# --- dpdk/testpmd-forward and dpdk/mappings ------------------------------------------
mappings_check() {
	local b d m ok=0 none=0
	for b in "${NICS[@]}"; do
		d=$(dbg_dir "$b")
		if [ -z "$d" ]; then
			none=$((none + 1))
			continue
		fi
		m=$(cat "$d/mappings")
		vpm_prefix "mappings $b| " <<<"$m"
		if grep -q "^pid=$tpid " <<<"$m"; then
			ok=$((ok + 1))
			maps_detail+="$b: $(grep -c "^pid=$tpid " <<<"$m") vma(s) of testpmd; "
		else
			maps_detail+="$b: no vma of testpmd (pid $tpid); "
		fi
	done
	if [ "$none" = "${#NICS[@]}" ]; then
		vpm_skip dpdk/mappings "no debugfs mappings under $DRIVER_DESC"
	elif [ "$ok" = "${#NICS[@]}" ]; then
		vpm_result PASS dpdk/mappings "$maps_detail"
	else
		vpm_result FAIL dpdk/mappings "$maps_detail"
	fi
}

forward() {
	local t0 ports
	t0=$(date +%s)
	tp_start forward || return 1
	ports=$(grep -cE '^Port [01]: ([0-9A-F]{2}:){5}[0-9A-F]{2}' "$tplog")
	grep -E '^(EAL|Port|Configuring|Checking)|Link' "$tplog"
	tp_cmd "start tx_first 4" "io packet forwarding" 60 || { tp_kill; return 1; }
	sleep "${FORWARD_SECONDS:-8}"
	maps_detail=""
	[ -n "${NO_MAPS:-}" ] || mappings_check
	tp_stats || { tp_kill; return 1; }
	tp_cmd stop "Done." 60
	tp_quit
	grep -E 'Bus error|SIGBUS|Signal' "$tplog"
	echo "ports started: $ports; port 0 (e1000e) RX $rx0 TX $tx0; port 1 (virtio) RX $rx1 TX $tx1;" \
		"exit status $tprc; $(($(date +%s) - t0)) s"
	[ "$ports" = 2 ] || { echo "not both ports started"; return 1; }
	if ! [ "${rx0:-0}" -gt 0 ] || ! [ "${tx0:-0}" -gt 0 ] ||
	   ! [ "${rx1:-0}" -gt 0 ] || ! [ "${tx1:-0}" -gt 0 ]; then
		echo "a port did not both receive and send"
		return 1
	fi
	[ "$tprc" = 0 ]
}
vpm_run_for dpdk/testpmd-forward 600 forward
tp_reap
grep -q 'dpdk/mappings' "$OUT/results" ||
	vpm_skip dpdk/mappings "testpmd did not get to forwarding"
vpm_prefix "testpmd-forward.log| " <"$T/forward.log" >"$OUT/testpmd-forward.log"

# --- dpdk/msix-table-only ------------------------------------------------------------
# msix_mappable=0 leaves only the MSI-X table pages out of the BARs' sparse
# areas (the PBA stays mappable, as vfio-pci before 4.16): DPDK 22.11, which
# maps a BAR around the table only, drives the e1000e (MSI-X in BAR3).
forward_table_only() {
	local rc
	echo 0 >/sys/module/vfio_pci/parameters/msix_mappable || return 1
	NO_MAPS=1 FORWARD_SECONDS=4 forward
	rc=$?
	echo 1 >/sys/module/vfio_pci/parameters/msix_mappable
	return $rc
}
if [ "$VPM_DROPIN" = 1 ]; then
	vpm_run_for dpdk/msix-table-only 600 forward_table_only
	tp_reap
else
	vpm_skip dpdk/msix-table-only "msix_mappable is the drop-in's parameter"
fi

# --- dpdk/reset-survives -------------------------------------------------------------
reset_survives() {
	local t0 n rfail=0 err
	t0=$(date +%s)
	tp_start reset || return 1
	tp_cmd "start tx_first 4" "io packet forwarding" 60 || { tp_kill; return 1; }
	sleep 3
	tp_stats || { tp_kill; return 1; }
	before="port 0 RX $rx0 TX $tx0, port 1 RX $rx1 TX $tx1"
	for ((n = 1; n <= RESETS; n++)); do
		if ! err=$(vpm_write "/sys/bus/pci/devices/$E1000E_BDF/reset" 1); then
			rfail=$((rfail + 1))
			echo "reset $n: $err"
		fi
		kill -0 "$tpid" 2>/dev/null || { echo "testpmd gone after reset $n"; break; }
		sleep 0.2
	done
	if ! kill -0 "$tpid" 2>/dev/null; then
		wait "$tpid"
		tprc=$?
		grep -E 'Bus error|SIGBUS|Signal|EAL: ' "$tplog" | tail -n 20
		echo "testpmd died during the resets: exit status $tprc"
		return 1
	fi
	sleep 2
	tp_stats
	echo "before the resets: $before; after: port 0 RX $rx0 TX $tx0, port 1 RX $rx1 TX $tx1"
	tp_cmd stop "Done." 60
	tp_quit
	grep -E 'Bus error|SIGBUS|Signal|EAL: |Bye' "$tplog" | tail -n 10
	echo "$((n - 1)) resets ($rfail failed); testpmd exit status $tprc;" \
		"policy_resetting=$(cat "$PARAM" 2>/dev/null || echo none); $(($(date +%s) - t0)) s"
	! grep -qE 'Bus error|SIGBUS' "$tplog" || { echo "testpmd saw a bus error"; return 1; }
	[ "$rfail" = 0 ] && [ "$tprc" = 0 ]
}
vpm_run_for dpdk/reset-survives 600 reset_survives
tp_reap
vpm_prefix "testpmd-reset.log| " <"$T/reset.log" >"$OUT/testpmd-reset.log" 2>/dev/null

# --- dpdk/unbind, dpdk/driverctl ------------------------------------------------------------
unbind() {
	local b
	dpdk-devbind.py -u "${NICS[@]}" || return 1
	for b in "${NICS[@]}"; do
		[ -z "$(vpm_driver "$b")" ] || { echo "$b still bound to $(vpm_driver "$b")"; return 1; }
	done
}
vpm_run dpdk/unbind unbind

# Each NIC's own driver, for driverctl unset-override to give it back to.
modprobe e1000e
declare -A own_driver=([$E1000E_BDF]=e1000e [$VIRTIO_NET_BDF]=virtio-pci)
driverctl_test() {
	local b d
	for b in "${NICS[@]}"; do
		d=$(vpm_driver "$b")
		echo "$b: driver ${d:-(none)}"
		driverctl set-override "$b" vfio-pci || return 1
		[ "$(vpm_driver "$b")" = vfio-pci ] || { echo "$b: set-override left driver $(vpm_driver "$b")"; return 1; }
		driverctl list-overrides | grep "^$b"
		driverctl unset-override "$b" || return 1
		[ "$(vpm_driver "$b")" = "${own_driver[$b]}" ] ||
			{ echo "$b: unset-override left driver '$(vpm_driver "$b")', not ${own_driver[$b]}"; return 1; }
		echo "$b: vfio-pci, then back to $(vpm_driver "$b")"
	done
}
vpm_run dpdk/driverctl driverctl_test

# --- leave nothing on vfio-pci ---------------------------------------------------------------
for b in "${NICS[@]}"; do
	[ "$(vpm_driver "$b")" != vfio-pci ] || vpm_unbind "$b"
	vpm_write "/sys/bus/pci/devices/$b/driver_override" "" >/dev/null
done
umount "$HUGE" 2>/dev/null
echo 0 >/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
exit 0
