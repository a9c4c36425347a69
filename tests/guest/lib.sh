# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Library for guest scripts (tests/guest/*.sh), which run inside the test VM
# started by tests/vm/run.sh.  Source it first:
#
#	. "$REPO/tests/guest/lib.sh"
#
# The harness gives every guest script, in its environment:
#   REPO            this repository (same path as on the host; cwd)
#   OUT             /out, a directory shared with the host (build/vm/<name>)
#   KERNEL_FLAVOUR  debian or debug
#   EDU_BDF EDU2_BDF IVSHMEM_BDF NVME_BDF   the test devices, e.g. 0000:01:00.0
#                   (tests/vm/devices.sh; the benchmark's bench/devices.sh
#                   adds IVSHMEM2_BDF)
#
# Results: $OUT/results holds one line per test, "PASS name" or "FAIL name",
# optionally followed by " -- detail".  The run fails if any line is FAIL,
# if the script exits nonzero, or on a kernel splat.  A script that records
# nothing and exits 0 counts as one PASS named after the script.

VPM_RUN_TIMEOUT=${VPM_RUN_TIMEOUT:-120}

vpm_say() { echo "vpm: $*"; }

# Copy stdin to stdout line by line, each line prefixed with $1 (unbuffered,
# so the lines interleave with kernel messages in the order they happened).
vpm_prefix() {
	local l
	while IFS= read -r l || [ -n "$l" ]; do
		printf '%s%s\n' "$1" "$l"
	done
}

# vpm_result PASS|FAIL|SKIP NAME [DETAIL]
vpm_result() {
	local status=$1 name=$2 detail=${3:-} line
	case "$status" in
	PASS|FAIL|SKIP) ;;
	*) vpm_say "vpm_result: bad status '$status'"; status=FAIL ;;
	esac
	line="$status ${name//$'\n'/ }"
	[ -z "$detail" ] || line+=" -- ${detail//$'\n'/ }"
	echo "$line" >>"$OUT/results"
	vpm_say "$line"
}

# vpm_skip NAME REASON: record that a test does not apply here.
vpm_skip() { vpm_result SKIP "$1" "${2:-}"; }

# vpm_run NAME CMD [ARGS...]
#
# Run CMD (a program, or a shell function of the script) and record PASS or
# FAIL by its exit status.  Its output goes to the console log, each line
# prefixed with "NAME| ".  Programs are killed after $VPM_RUN_TIMEOUT seconds
# (default 120); shell functions run without a time limit (the harness's
# own timeout still applies).  Returns CMD's exit status.
vpm_run() {
	local name=$1 rc
	shift
	vpm_say "RUN  $name: $*"
	if declare -F "$1" >/dev/null; then
		"$@" 2>&1 | vpm_prefix "$name| "
		rc=${PIPESTATUS[0]}
	else
		timeout -k 5 "$VPM_RUN_TIMEOUT" "$@" 2>&1 | vpm_prefix "$name| "
		rc=${PIPESTATUS[0]}
	fi
	case "$rc" in
	0) vpm_result PASS "$name" ;;
	124|137) vpm_result FAIL "$name" "timed out after ${VPM_RUN_TIMEOUT}s" ;;
	*) vpm_result FAIL "$name" "exit status $rc" ;;
	esac
	return "$rc"
}

# vpm_run_for NAME LIMIT CMD [ARGS...]
#
# Like vpm_run, with its own time limit of LIMIT seconds for a program (a
# shell function bounds its own waits: the harness's timeout applies), the
# elapsed time in the PASS line, and exit status 77 (the program's "cannot
# run here") recorded as SKIP.  Always returns 0: the result line is the
# verdict.
vpm_run_for() {
	local name=$1 limit=$2 rc t0 el
	shift 2
	vpm_say "RUN  $name: $*"
	t0=$(date +%s)
	if declare -F "$1" >/dev/null; then
		"$@" 2>&1 | awk -v p="$name| " '{ print p $0; fflush() }'
	else
		timeout -k 5 "$limit" "$@" 2>&1 | awk -v p="$name| " '{ print p $0; fflush() }'
	fi
	rc=${PIPESTATUS[0]}
	el=$(($(date +%s) - t0))
	case "$rc" in
	0) vpm_result PASS "$name" "${el} s" ;;
	77) vpm_result SKIP "$name" "see the console log" ;;
	124) vpm_result FAIL "$name" "timed out after ${limit}s" ;;
	137) if [ "$el" -ge "$limit" ]; then
		vpm_result FAIL "$name" "timed out after ${limit}s"
	     else
		vpm_result FAIL "$name" "killed by signal 9 after ${el}s"
	     fi ;;
	*) if [ "$rc" -gt 128 ]; then
		vpm_result FAIL "$name" "killed by signal $((rc - 128)) after ${el}s"
	   else
		vpm_result FAIL "$name" "exit status $rc"
	   fi ;;
	esac
	return 0
}

# vpm_args SCRIPT VAR... -- [ARG...]
#
# A guest script's arguments (tests/vm/run.sh SCRIPT ARG...): export each
# ARG of the form VAR=VALUE whose VAR is listed; say that any other is
# ignored (SCRIPT names the script in that message).
vpm_args() {
	local script=$1 vars=() a v taken
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		vars+=("$1")
		shift
	done
	[ $# -eq 0 ] || shift
	for a in "$@"; do
		taken=0
		for v in "${vars[@]}"; do
			case "$a" in "$v"=*) export "${a?}"; taken=1 ;; esac
		done
		[ "$taken" = 1 ] || vpm_say "$script: ignoring argument '$a'"
	done
}

# vpm_wanted NAME: whether the test NAME is to run: listed in $ONLY (a
# comma-separated list; empty or unset: every test) and not in $SKIP.
vpm_wanted() {
	if [ -n "${ONLY:-}" ]; then
		case ",$ONLY," in *",$1,"*) ;; *) return 1 ;; esac
	fi
	case ",${SKIP:-}," in *",$1,"*) return 1 ;; esac
	return 0
}

# vpm_run_wanted NAME LIMIT CMD [ARGS...]: vpm_run_for NAME if the last
# part of NAME (reset, of mmap/reset) is vpm_wanted; else nothing.
vpm_run_wanted() {
	vpm_wanted "${1##*/}" || return 0
	vpm_run_for "$@"
}

# vpm_build RESULT DIR BUILD [LOG]
#
# make -s -C $REPO/DIR BUILD=BUILD, output to LOG (default
# /tmp/<DIR's last component>-build.log).  The programs are normally built
# on the host beforehand; building here works too, into the guest's
# throwaway overlay.  On failure: print the log, record FAIL RESULT and
# return 1.
vpm_build() {
	local name=$1 dir=$2 build=$3 log=${4:-/tmp/${2##*/}-build.log}
	make -s -C "$REPO/$dir" BUILD="$build" >"$log" 2>&1 && return 0
	cat "$log"
	vpm_result FAIL "$name" "make -C $dir failed"
	return 1
}

# vpm_no_mappings_left: return 1, printing them, if the debugfs mappings
# file of any device bound to vfio-pci-mmap still lists a mapping.
vpm_no_mappings_left() {
	local f bad=0
	for f in /sys/kernel/debug/vfio-pci-mmap/*/mappings; do
		[ -e "$f" ] || continue
		if [ -s "$f" ]; then
			echo "$f:"; cat "$f"; bad=1
		fi
	done
	return "$bad"
}

# vpm_write FILE VALUE: write VALUE to FILE (sysfs); on failure print the
# error text (e.g. "Device or resource busy") and return 1.
vpm_write() {
	local err
	err=$( { printf '%s\n' "$2" >"$1"; } 2>&1) && return 0
	echo "${err##*: }"
	return 1
}

# vpm_driver BDF: print the driver BDF is bound to (nothing if none).
vpm_driver() {
	local l=/sys/bus/pci/devices/$1/driver
	[ -e "$l" ] && basename "$(readlink "$l")"
	return 0
}

# vpm_group BDF: print BDF's IOMMU group number.
vpm_group() {
	basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"
}

# vpm_unbind BDF: unbind BDF from its driver and clear its driver_override.
vpm_unbind() {
	local bdf=$1 dev=/sys/bus/pci/devices/$1 err
	[ -e "$dev" ] || { vpm_say "vpm_unbind: no device $bdf"; return 1; }
	if [ -e "$dev/driver" ]; then
		err=$(vpm_write "$dev/driver/unbind" "$bdf") ||
			{ vpm_say "vpm_unbind: unbind $bdf: $err"; return 1; }
	fi
	vpm_write "$dev/driver_override" "" >/dev/null
	[ -z "$(vpm_driver "$bdf")" ] || { vpm_say "vpm_unbind: $bdf still bound"; return 1; }
}

# vpm_bind BDF DRIVER: bind BDF to DRIVER (vfio-pci-mmap, vfio-pci, ...)
# through driver_override, unbinding it from its current driver first.
vpm_bind() {
	local bdf=$1 drv=$2 dev=/sys/bus/pci/devices/$1 err
	[ -e "$dev" ] || { vpm_say "vpm_bind: no device $bdf"; return 1; }
	[ -d "/sys/bus/pci/drivers/$drv" ] || modprobe "$drv" ||
		{ vpm_say "vpm_bind: no driver $drv"; return 1; }
	[ "$(vpm_driver "$bdf")" != "$drv" ] || return 0
	vpm_unbind "$bdf" || return 1
	err=$(vpm_write "$dev/driver_override" "$drv") ||
		{ vpm_say "vpm_bind: driver_override $bdf: $err"; return 1; }
	err=$(vpm_write /sys/bus/pci/drivers_probe "$bdf") ||
		{ vpm_say "vpm_bind: probe $bdf: $err"; return 1; }
	[ "$(vpm_driver "$bdf")" = "$drv" ] ||
		{ vpm_say "vpm_bind: $bdf did not bind to $drv (see dmesg)"; return 1; }
	vpm_say "$bdf bound to $drv (IOMMU group $(vpm_group "$bdf"))"
}

# --- hot-unplug ------------------------------------------------------------------
# Only edu2 (EDU2_BDF) sits behind a hotplug-capable root port.  The host
# polls $OUT/unplug-request and sends QMP device_del for each id in it; the
# guest's pciehp removes the device about 5 s later (longer while a driver's
# remove waits for userspace to let go of the device).

# vpm_unplug_request ID: ask the host to device_del ID; does not wait.
vpm_unplug_request() {
	rm -f "$OUT/unplug-reply"
	echo "$1" >"$OUT/.unplug-request.tmp" &&
		mv "$OUT/.unplug-request.tmp" "$OUT/unplug-request"
	vpm_say "asked the host to unplug $1"
}

# vpm_wait_gone BDF [SECONDS]: wait until BDF has left the PCI bus
# (default 30 s).  Returns 1 on timeout.
vpm_wait_gone() {
	local bdf=$1 i
	for ((i = 0; i < ${2:-30} * 10; i++)); do
		if [ ! -e "/sys/bus/pci/devices/$bdf" ]; then
			vpm_say "$bdf is gone"
			return 0
		fi
		sleep 0.1
	done
	vpm_say "$bdf is still present after ${2:-30}s (host: $(cat "$OUT/unplug-reply" 2>/dev/null))"
	return 1
}

# vpm_unplug ID [SECONDS]: unplug device ID (edu2) and wait until it is gone.
vpm_unplug() {
	local bdf
	case "$1" in
	edu2) bdf=$EDU2_BDF ;;
	*) vpm_say "vpm_unplug: only edu2 can be unplugged"; return 1 ;;
	esac
	vpm_unplug_request "$1"
	vpm_wait_gone "$bdf" "${2:-30}"
}
