#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boot a test VM and run one guest script in it.
#
#   tests/vm/run.sh [--kernel debian|debug] [--release REL] [--timeout SEC]
#                   [--out DIR] [--devices FILE] [--unplug-after SEC]
#                   [--hotplug native|acpi] [--smp N] [--tcg-threads single|multi]
#                   [--module KO | --no-module] [--verbose]
#                   GUEST_SCRIPT [ARGS...]
#
# The one VM runner of the project: the tests (tests/vm/suites.sh,
# tests/vm/selftest.sh, make demo) and the benchmark (bench/run.sh) boot
# their VMs here, each with its own device list (--devices).
#
# The VM (QEMU, TCG) boots the chosen kernel with an initramfs built here,
# runs the host's root file system read-only over 9p under a tmpfs overlay,
# loads vfio-pci-mmap.ko (built for that kernel unless --module is given)
# and runs GUEST_SCRIPT with cwd = this repository (same path as on the
# host) and, in its environment:
#
#   REPO OUT(=/out) KERNEL_FLAVOUR, and the address of each device of the
#   device list: EDU_BDF EDU2_BDF IVSHMEM_BDF NVME_BDF by default
#
# Guest scripts use tests/guest/lib.sh to record results.  The run fails
# (exit 1) on a FAIL result, a nonzero exit of the script, a timeout, or a
# kernel splat (tests/vm/splat-patterns) in the console log or the final
# dmesg.  The last line printed is always "N passed, N failed".
#
# Everything the run produced is in the output directory (default
# build/vm/<script name>): console.log, results, dmesg.txt, qemu.log, ...
#
# --release REL       boot Debian's kernel REL (/boot/vmlinuz-REL, modules
#                     from /lib/modules/REL) instead of the project's KVER;
#                     with --kernel debian only.  Give --module built for
#                     REL, or --no-module.
# --devices FILE      the device list, a bash file sourced here that calls
#                     vm_device once for each device (default
#                     tests/vm/devices.sh; the benchmark's: bench/devices.sh).
# --unplug-after SEC  hot-unplug the second edu (device id edu2) SEC seconds
#                     after the guest script started.  Guest scripts can also
#                     ask for it at a moment of their choosing: vpm_unplug.
# --hotplug native    (default; or $VPM_HOTPLUG) edu2's removal goes through
#                     the guest's PCIe native hotplug driver, pciehp, after
#                     its 5 s attention-button delay, as on a server's slot.
# --hotplug acpi      through ACPI hotplug (acpiphp) at once, as in most VMs.
#                     6.12's pciehp itself trips lockdep on every removal
#                     (pci_rescan_remove_lock vs. ctrl->reset_lock in
#                     pciehp_unconfigure_device): use acpi on a lockdep
#                     kernel to keep the report for this project's code.
# --smp N             vCPUs (default 2, or $VPM_SMP).  Scripts that patch
#                     kernel text at run time (ftrace, enabling tracepoints)
#                     use 1: under TCG with 2 vCPUs a CPU can run a stale
#                     translation of an int3 that text_poke_bp() already
#                     removed, and the kernel dies with "Oops: int3".
# --tcg-threads single|multi
#                     (or $VPM_TCG_THREADS; default single) how QEMU runs the
#                     vCPUs: round robin in one host thread, or one thread
#                     each.  The guest has --smp CPUs either way.  QEMU 7.2's
#                     multi-threaded TCG can drop or misroute a vCPU's MMIO
#                     (a virtio-9p notify, an APIC EOI) while another vCPU
#                     changes the memory map, which every BAR enable toggle
#                     and every device reset or open does: the guest then
#                     hangs or stalls with no fault of its own
#                     (docs/testing.rst, "Two hazards of TCG itself").
# --verbose           show the whole console, not only the guest script's part.
#
# With VPM_COVERAGE=1 in the environment (make coverage, tests/coverage.sh)
# the module is the gcov build (tests/vm/build-module.sh), and the guest
# copies the kernel's gcov counters (/sys/kernel/debug/gcov/**/*.gcda) to
# $out/gcov/ after the script, before it powers off.

set -euo pipefail
VPM_PROG=vm
. "$(dirname "$0")/../common.sh"

usage() {
	sed -n '6,10p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

flavour=debian
release=""
devices=$VPM_REPO/tests/vm/devices.sh
timeout=600
out=""
unplug_after=""
module=""
no_module=0
verbose=0
hotplug=${VPM_HOTPLUG:-native}
smp=${VPM_SMP:-2}
tcg_threads=${VPM_TCG_THREADS:-single}
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) flavour=${2:?}; shift 2 ;;
	--release) release=${2:?}; shift 2 ;;
	--devices) devices=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	--unplug-after) unplug_after=${2:?}; shift 2 ;;
	--hotplug) hotplug=${2:?}; shift 2 ;;
	--smp) smp=${2:?}; shift 2 ;;
	--tcg-threads) tcg_threads=${2:?}; shift 2 ;;
	--module) module=${2:?}; shift 2 ;;
	--no-module) no_module=1; shift ;;
	-v|--verbose) verbose=1; shift ;;
	-h|--help) usage ;;
	--) shift; break ;;
	-*) echo "unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
script=$(realpath "$1")
shift
[ -f "$script" ] || vpm_die "no guest script $script"
case "$flavour" in debian|debug) ;; *) vpm_die "--kernel must be debian or debug" ;; esac
case "$hotplug" in native|acpi) ;; *) vpm_die "--hotplug must be native or acpi" ;; esac
case "$tcg_threads" in single|multi) ;; *) vpm_die "--tcg-threads must be single or multi" ;; esac
[[ "$timeout" =~ ^[0-9]+$ ]] || vpm_die "--timeout takes seconds"
[ -z "$release" ] || [ "$flavour" = debian ] || vpm_die "--release goes with --kernel debian"
[ -f "$devices" ] || vpm_die "no device list $devices"
[ -z "$unplug_after" ] || [[ "$unplug_after" =~ ^[0-9]+$ ]] || vpm_die "--unplug-after takes seconds"
name=$(basename "$script" .sh)
out=$(realpath -m "${out:-$VPM_REPO/build/vm/$name}")

# --- the kernel ------------------------------------------------------------------
case "$flavour" in
debian)
	rel=${release:-$(vpm_kver)}
	[ -d "/lib/modules/$rel" ] || vpm_die "no /lib/modules/$rel"
	kernel=/boot/vmlinuz-$rel
	modbase=/
	modroot=""
	;;
debug)
	kroot=$(vpm_debug_kernel_dir) || exit 1
	rel=$(cat "$kroot/release")
	kernel=$kroot/bzImage
	modbase=$kroot/modroot
	modroot=$modbase
	;;
esac
[ -r "$kernel" ] || vpm_die "cannot read the kernel image $kernel"

if [ "$no_module" = 1 ]; then
	module=""
elif [ -z "$module" ]; then
	module=$("$VPM_REPO/tests/vm/build-module.sh" "$flavour")
fi
if [ -n "$module" ]; then
	module=$(realpath "$module")
	vermagic=$(modinfo -F vermagic "$module" | cut -d' ' -f1)
	[ "$vermagic" = "$rel" ] || vpm_die "$module is built for '$vermagic', the VM boots '$rel'"
fi

# --- the output directory --------------------------------------------------------
# One run per output directory at a time (the tree is shared: a second run
# would clear the first one's files under its feet).
mkdir -p "$(dirname "$out")"
exec 8>"$out.lock"
flock -n 8 || vpm_die "another run is using $out (wait, or pass --out DIR)"
# Only ever remove a directory this harness made (it has .vm/).
if [ -e "$out" ]; then
	[ -d "$out/.vm" ] || [ -z "$(ls -A "$out")" ] ||
		vpm_die "$out exists and is not a VM output directory: refusing to clear it"
	rm -rf "$out"
fi
mkdir -p "$out/.vm"
run=$(mktemp -d /tmp/vpm-vm.XXXXXX)   # short path for the QMP socket
qemu_pid=""
tail_pid=""
cleanup() {
	[ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null || true
	[ -z "$tail_pid" ] || kill "$tail_pid" 2>/dev/null || true
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Settings for the guest (read by tests/vm/init and tests/vm/guest-main.sh).
printf '%s\n' "$VPM_REPO" >"$out/.vm/repo"
{
	echo "VPM_REPO=$(vpm_shquote "$VPM_REPO")"
	echo "VPM_FLAVOUR=$flavour"
	echo "VPM_SCRIPT=$(vpm_shquote "$script")"
	printf 'VPM_ARGS=('
	for a in "$@"; do printf ' %s' "$(vpm_shquote "$a")"; done
	echo ' )'
	echo "VPM_MODULE=$(vpm_shquote "$module")"
	echo "VPM_MODROOT=$(vpm_shquote "$modroot")"
	echo "VPM_TIMEOUT=$timeout"
	echo "VPM_GCOV=${VPM_COVERAGE:-0}"
} >"$out/.vm/env"

# --- the initramfs ---------------------------------------------------------------
# busybox-static, tests/vm/init, and the booted kernel's modules for 9p and
# overlayfs with their dependencies, decompressed (busybox insmod cannot read
# .ko.xz).  Missing modules are fine: the debug kernel has them built in.
ird=$run/initramfs
mkdir -p "$ird/bin" "$ird/lib/modules"
cp /bin/busybox "$ird/bin/busybox"
cp "$VPM_REPO/tests/vm/init" "$ird/init"
chmod 755 "$ird/init"
: >"$ird/modules.list"
for m in virtio_pci netfs 9pnet 9pnet_virtio 9p overlay; do
	modprobe -d "$modbase" -S "$rel" --show-depends "$m" 2>/dev/null |
		sed -n 's/^insmod \([^ ]*\).*/\1/p' || true
done | awk '!seen[$0]++' | while read -r ko; do
	base=$(basename "$ko")
	base=${base%.xz}
	base=${base%.zst}
	base=${base%.gz}
	case "$ko" in
	*.xz) xz -dc "$ko" ;;
	*.zst) zstd -qdc "$ko" ;;
	*.gz) gzip -dc "$ko" ;;
	*) cat "$ko" ;;
	esac >"$ird/lib/modules/$base"
	echo "$base" >>"$ird/modules.list"
done
(cd "$ird" && find . | cpio -o -H newc --quiet) >"$run/initramfs.cpio"

# --- the machine -----------------------------------------------------------------
# Each test device sits alone behind its own PCIe root port at a fixed
# address (00:10.0, 00:11.0, ...) so guest-main.sh finds it at a stable place.
# The intel-iommu gives every device its own IOMMU group; intremap=on needs
# kernel-irqchip=split.  caching-mode=on (the guest must invalidate on every
# map, so QEMU could shadow its mappings) is what a vIOMMU with assigned host
# devices needs; here it only adds invalidations, and keeps the guest's
# IOMMU driver on the same paths as in such a VM.  All of it works with TCG.
qmp=$run/qmp.sock
# A loaded host can starve TCG's vCPU threads for seconds:
# - no_timer_check: else the boot-time check that the timer interrupt
#   arrives through the remapped IO-APIC can time out, and the kernel panics
#   ("timer doesn't work through Interrupt-remapped IO-APIC");
# - the RCU stall and soft-lockup detectors fire after 60 s instead of ~20 s,
#   so only a CPU that is really stuck trips them.
cmdline="console=ttyS0,115200 loglevel=7 printk.time=1 intel_iommu=on panic=-1"
cmdline+=" no_timer_check rcupdate.rcu_cpu_stall_timeout=60 watchdog_thresh=30"
cmdline+=" 8250.nr_uarts=1 rdinit=/init"
# -cpu max, but without 5-level paging: with LA57 the KASAN debug kernel
# reports a bogus "wild-memory-access" in its first interrupt at boot, and
# 4-level page walks are cheaper to emulate.
qemu=(
	qemu-system-x86_64
	-accel "tcg,thread=$tcg_threads" -cpu max,la57=off -smp "$smp" -m 4G
	-M q35,kernel-irqchip=split
	-nodefaults -display none -no-reboot
	-device intel-iommu,intremap=on,caching-mode=on
	-kernel "$kernel" -initrd "$run/initramfs.cpio" -append "$cmdline"
	-chardev "file,id=con,path=$out/console.log" -serial chardev:con
	-qmp "unix:$qmp,server=on,wait=off"
	-fsdev local,id=root,path=/,readonly=on,security_model=none,multidevs=remap
	-device virtio-9p-pci,fsdev=root,mount_tag=root,bus=pcie.0,addr=0x4
	-fsdev "local,id=out,path=$out,security_model=none"
	-device virtio-9p-pci,fsdev=out,mount_tag=out,bus=pcie.0,addr=0x5
)
# vm_device VAR SLOT VENDOR:DEVICE PORT_OPTIONS DEVICE [QEMU_ARGS...]
# (called by the device list): DEVICE (a QEMU -device value, without bus)
# alone behind root port N at 00:SLOT.0, with PORT_OPTIONS (hotplug=on|off,
# ...); QEMU_ARGS are its backends (-object, -drive).  The guest finds it
# there, checks VENDOR:DEVICE and exports its address as VAR.
vm_ports=0
guest_devices=""
vm_device() {
	local var=$1 slot=$2 id=$3 popts=$4 dev=$5 n=$((vm_ports + 1))
	shift 5
	qemu+=("$@"
		-device "pcie-root-port,id=rp$n,bus=pcie.0,addr=0x$slot,chassis=$n,slot=$n,$popts"
		-device "$dev,bus=rp$n")
	guest_devices+="${guest_devices:+ }$var=0000:00:$slot.0=$id"
	vm_ports=$n
}
# vm_device_no_iommu VAR BUS VENDOR:DEVICE DEVICE [QEMU_ARGS...] (for a
# device list): DEVICE behind a root port on a PCIe expander bridge of its
# own (pxb-pcie, bus number BUS, decimal; at 00:1f-N.0) that bypasses the
# intel-iommu: the DMAR table leaves that bus out, and the guest gives the
# device no IOMMU group.  The root port is BUS:00.0, the device BUS+1:00.0.
vm_device_no_iommu() {
	local var=$1 bus=$2 id=$3 dev=$4 n=$((vm_ports + 1))
	shift 4
	qemu+=("$@"
		-device "pxb-pcie,id=pxb$n,bus_nr=$bus,bus=pcie.0,addr=0x$(printf '%x' $((0x1f - n))),bypass_iommu=on"
		-device "pcie-root-port,id=rp$n,bus=pxb$n,addr=0x0,chassis=$n,slot=$n,hotplug=off"
		-device "$dev,bus=rp$n")
	guest_devices+="${guest_devices:+ }$var=$(printf '0000:%02x:00.0' "$bus")=$id"
	vm_ports=$n
}
# shellcheck source=tests/vm/devices.sh
. "$devices"
[ "$vm_ports" -gt 0 ] || vpm_die "$devices lists no device"
echo "VPM_DEVICES=$(vpm_shquote "$guest_devices")" >>"$out/.vm/env"
# QEMU 7.2 hands root-port hotplug to ACPI unless told otherwise.
[ "$hotplug" = acpi ] ||
	qemu+=(-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off)
# For experiments: VPM_QEMU_ARGS="-cpu max,la57=off" (a later option wins).
read -r -a extra <<<"${VPM_QEMU_ARGS:-}"
qemu+=("${extra[@]}")
printf '%q ' "${qemu[@]}" >"$out/.vm/qemu-cmdline"
echo >>"$out/.vm/qemu-cmdline"

# Hot-unplug: device_del over QMP.  The reply's last line goes to
# $out/unplug-reply for the guest to read, the whole exchange to qmp.log.
unplug() {
	local id=$1 reply
	vpm_msg "host: device_del $id"
	reply=$(printf '{"execute":"qmp_capabilities"}\n{"execute":"device_del","arguments":{"id":"%s"}}\n' "$id" |
		socat -t 3 - "UNIX-CONNECT:$qmp" 2>&1) || true
	printf '%s\n' "$reply" >>"$out/qmp.log"
	printf '%s %s\n' "$id" "$(printf '%s\n' "$reply" | tail -n 1)" >"$out/.unplug-reply.tmp"
	mv "$out/.unplug-reply.tmp" "$out/unplug-reply"
}

# Console display: the guest script's part (and every splat) unless --verbose.
patterns=$(grep -v -e '^#' -e '^$' "$VPM_REPO/tests/vm/splat-patterns" | paste -sd '|')
splat_re="\\[ *[0-9]+\\.[0-9]+\\].*($patterns)"

vpm_msg "booting $flavour kernel $rel; $name; output in $out"
start=$(date +%s)
: >"$out/console.log"
"${qemu[@]}" </dev/null >"$out/qemu.log" 2>&1 &
qemu_pid=$!
show_console() {
	local line inside=0
	while IFS= read -r line; do
		line=${line%$'\r'}
		[[ "$line" == *"vpm-guest: === begin"* ]] && inside=1
		if [ "$verbose" = 1 ] || [ "$inside" = 1 ] ||
		   [[ "$line" =~ vpm-(guest|init): ]] || [[ "$line" =~ $splat_re ]]; then
			printf '%s\n' "$line"
		fi
		[[ "$line" == *"vpm-guest: === end"* ]] && inside=0
	done
}
tail -n +1 -s 0.2 -F --pid="$qemu_pid" "$out/console.log" 2>/dev/null | show_console &
tail_pid=$!

# Stop early when waiting cannot help: a kernel that oopsed usually leaves
# tasks stuck on locks (the script, or the power-off's device shutdown), and
# a guest that has finished should power off within seconds.
fatal_re="\\[ *[0-9]+\\.[0-9]+\\].*(BUG:|Oops|general protection fault|Kernel panic|kernel BUG at"
fatal_re+="|detected stall|soft lockup|hard LOCKUP|blocked for more than)"
FATAL_GRACE=60
POWEROFF_GRACE=30
deadline=$((start + timeout))
why=""
timed_out=0
killed=0
unplugged=0
# A guest that stops making progress without a splat (a task waiting
# killably, which the hung-task detector ignores) says why through
# SysRq-w, typed on its keyboard: the guest's init allows SysRq.
dump_blocked_tasks() {
	printf '{"execute":"qmp_capabilities"}\n{"execute":"human-monitor-command","arguments":{"command-line":"sendkey alt-sysrq-w"}}\n' |
		socat -t 3 - "UNIX-CONNECT:$qmp" >>"$out/qmp.log" 2>&1 || true
	sleep 5
}
while kill -0 "$qemu_pid" 2>/dev/null; do
	sleep 0.5
	now=$(date +%s)
	if [ "$now" -ge "$deadline" ]; then
		case "$why" in
		"") timed_out=1
		    vpm_msg "timeout after ${timeout}s: blocked tasks to the console, then killing QEMU"
		    dump_blocked_tasks ;;
		fatal) vpm_msg "the guest did not finish ${FATAL_GRACE}s after a fatal kernel splat: killing QEMU" ;;
		poweroff) vpm_msg "the guest did not power off ${POWEROFF_GRACE}s after its script ended: killing QEMU" ;;
		esac
		killed=1
		kill "$qemu_pid" 2>/dev/null || true
		sleep 2
		kill -9 "$qemu_pid" 2>/dev/null || true
		break
	fi
	if [ -z "$why" ] && [ -f "$out/.vm/done" ]; then
		why=poweroff
		deadline=$((now + POWEROFF_GRACE))
	elif [ -z "$why" ] && grep -qE "$fatal_re" "$out/console.log"; then
		why=fatal
		deadline=$((now + FATAL_GRACE))
		vpm_msg "fatal kernel splat: giving the guest ${FATAL_GRACE}s to finish"
	fi
	if [ -f "$out/unplug-request" ]; then
		ids=$(cat "$out/unplug-request")
		rm -f "$out/unplug-request"
		for id in $ids; do unplug "$id"; done
	fi
	if [ -n "$unplug_after" ] && [ "$unplugged" = 0 ] && [ -f "$out/.vm/started" ]; then
		[ -f "$out/.vm/started-at" ] || date +%s >"$out/.vm/started-at"
		if [ $((now - $(cat "$out/.vm/started-at"))) -ge "$unplug_after" ]; then
			unplugged=1
			unplug edu2
		fi
	fi
done
wait "$qemu_pid" 2>/dev/null || true
qemu_pid=""
wait "$tail_pid" 2>/dev/null || true
tail_pid=""
elapsed=$(($(date +%s) - start))
vpm_msg "VM finished after ${elapsed}s"

# --- verdict -----------------------------------------------------------------------
results=$out/results
touch "$results"
status=$(cat "$out/exit-status" 2>/dev/null || true)
if [ "$timed_out" = 1 ]; then
	echo "FAIL timeout -- the VM ran for more than ${timeout}s" >>"$results"
elif [ "$why" = fatal ] && [ "$killed" = 1 ]; then
	echo "FAIL $name: killed ${FATAL_GRACE}s after a fatal kernel splat" >>"$results"
elif grep -q '^FAIL vm-setup' "$results"; then
	: # guest-main.sh said why the script did not run
elif [ -z "$status" ]; then
	echo "FAIL $name: no exit status -- the VM stopped before the guest script ended" >>"$results"
elif grep -q '^FAIL timeout' "$results"; then
	: # the guest stopped the script: one failure is enough
elif [ "$status" != 0 ]; then
	echo "FAIL $name: exit status $status" >>"$results"
elif ! grep -qE '^(PASS|FAIL) ' "$results"; then
	echo "PASS $name" >>"$results"
fi
if [ "$why" = poweroff ] && [ "$killed" = 1 ]; then
	echo "FAIL poweroff -- the guest hung powering off (device shutdown?)" >>"$results"
fi

# Splats: the first matching kernel line names the failure.
: >"$out/splats"
for f in console.log dmesg.txt; do
	[ -f "$out/$f" ] || continue
	tr -d '\r' <"$out/$f" | grep -E "$splat_re" >>"$out/splats" || true
done
if [ -s "$out/kmemleak.txt" ] && grep -q 'unreferenced object' "$out/kmemleak.txt"; then
	grep -m1 'unreferenced object' "$out/kmemleak.txt" | sed 's/^/[    0.000000] kmemleak: /' >>"$out/splats"
fi
# The dmesg dump repeats what the console caught: keep each line once.
awk '!seen[$0]++' "$out/splats" >"$out/splats.tmp" && mv "$out/splats.tmp" "$out/splats"
if [ -s "$out/splats" ]; then
	first=$(head -n 1 "$out/splats" | sed -E 's/^.*\[ *[0-9]+\.[0-9]+\] *//')
	n=$(wc -l <"$out/splats")
	echo "FAIL splat: $first" >>"$results"
	echo "kernel splat ($n matching lines, all in $out/splats):"
	head -n 20 "$out/splats" | sed 's/^/  /'
fi

passed=$(grep -c '^PASS ' "$results" || true)
failed=$(grep -c '^FAIL ' "$results" || true)
skipped=$(grep -c '^SKIP ' "$results" || true)
if [ "$failed" != 0 ]; then
	echo "failures (console: $out/console.log):"
	grep '^FAIL ' "$results" | sed 's/^/  /'
	if [ "$verbose" = 0 ]; then
		echo "last lines of the console:"
		tr -d '\r' <"$out/console.log" | tail -n 25 | sed 's/^/  | /'
	fi
fi
line="$passed passed, $failed failed"
[ "$skipped" = 0 ] || line+=", $skipped skipped"
echo "$line"
[ "$failed" = 0 ]
