#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boot the benchmark VM and run one guest script in it.
#
#   bench/vm.sh --release REL [--module KO] [--timeout SEC] --out DIR
#               GUEST_SCRIPT [ARGS...]
#
# The benchmark's machine differs from the test VM's (tests/vm/run.sh) only
# in its devices; everything inside the guest is the test harness's own:
# the initramfs is built the same way around tests/vm/init, which mounts
# the host's root read-only over 9p under a tmpfs overlay and the output
# share at /out, and runs tests/vm/guest-main.sh (modules, the project's
# module if --module is given, device addresses), which runs GUEST_SCRIPT
# with REPO, OUT, EDU_BDF, EDU2_BDF, IVSHMEM_BDF, NVME_BDF in its
# environment.  The second ivshmem is at 0000:00:14.0's secondary bus.
#
# Devices, each alone behind its own PCIe root port (no hotplug):
#
#   00:10.0  edu                       (guest-main.sh: EDU_BDF)
#   00:11.0  ivshmem-plain, 1 GiB      (IVSHMEM_BDF)   pref64-reserve=2G
#   00:12.0  nvme on a null drive      (NVME_BDF: guest-main.sh requires it;
#                                       the benchmark does not use it)
#   00:13.0  edu                       (EDU2_BDF)
#   00:14.0  ivshmem-plain, 1 GiB      (the second one) pref64-reserve=2G
#
# The two ivshmem devices are identical: a 1 GiB memory-backend-ram with
# share=on each.  The guest has 2 vCPUs (TCG) and 2 GiB.
#
# REL is the kernel release to boot (/boot/vmlinuz-REL; its modules come
# from the host's /lib/modules/REL through the 9p root).  Exit status 0 when
# the guest script exited 0 with no FAIL result and no kernel splat.

set -euo pipefail
VPM_PROG=bench-vm
. "$(dirname "$0")/../tests/common.sh"

rel=""
module=""
timeout=900
out=""
while [ $# -gt 0 ]; do
	case "$1" in
	--release) rel=${2:?}; shift 2 ;;
	--module) module=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	--) shift; break ;;
	-*) vpm_die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] && [ -n "$rel" ] && [ -n "$out" ] ||
	vpm_die "usage: bench/vm.sh --release REL [--module KO] [--timeout SEC] --out DIR SCRIPT [ARGS...]"
script=$(realpath "$1")
shift
kernel=/boot/vmlinuz-$rel
[ -r "$kernel" ] || vpm_die "cannot read $kernel"
[ -d "/lib/modules/$rel" ] || vpm_die "no /lib/modules/$rel"
if [ -n "$module" ]; then
	module=$(realpath "$module")
	vermagic=$(modinfo -F vermagic "$module" | cut -d' ' -f1)
	[ "$vermagic" = "$rel" ] || vpm_die "$module is built for '$vermagic', not '$rel'"
fi

# Only ever remove a directory a VM run made (it has .vm/).
out=$(realpath -m "$out")
if [ -e "$out" ]; then
	[ -d "$out/.vm" ] || [ -z "$(ls -A "$out")" ] ||
		vpm_die "$out exists and is not a VM output directory: refusing to clear it"
	rm -rf "$out"
fi
mkdir -p "$out/.vm"
run=$(mktemp -d /tmp/vpm-bench-vm.XXXXXX)
qemu_pid=""
tail_pid=""
cleanup() {
	[ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null || true
	[ -z "$tail_pid" ] || kill "$tail_pid" 2>/dev/null || true
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Settings read by tests/vm/init and tests/vm/guest-main.sh.
printf '%s\n' "$VPM_REPO" >"$out/.vm/repo"
{
	echo "VPM_REPO=$(vpm_shquote "$VPM_REPO")"
	echo "VPM_FLAVOUR=debian"
	echo "VPM_SCRIPT=$(vpm_shquote "$script")"
	printf 'VPM_ARGS=('
	for a in "$@"; do printf ' %s' "$(vpm_shquote "$a")"; done
	echo ' )'
	echo "VPM_MODULE=$(vpm_shquote "$module")"
	echo "VPM_MODROOT=''"
	echo "VPM_TIMEOUT=$timeout"
} >"$out/.vm/env"

# --- the initramfs: as tests/vm/run.sh builds it ---------------------------------
ird=$run/initramfs
mkdir -p "$ird/bin" "$ird/lib/modules"
cp /bin/busybox "$ird/bin/busybox"
cp "$VPM_REPO/tests/vm/init" "$ird/init"
chmod 755 "$ird/init"
: >"$ird/modules.list"
for m in virtio_pci netfs 9pnet 9pnet_virtio 9p overlay; do
	modprobe -S "$rel" --show-depends "$m" 2>/dev/null |
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

# --- the machine -------------------------------------------------------------------
cmdline="console=ttyS0,115200 loglevel=5 printk.time=1 intel_iommu=on panic=-1"
cmdline+=" 8250.nr_uarts=1 rdinit=/init"
port() { # port ID ADDR [extra]
	printf -- '-device\npcie-root-port,id=%s,bus=pcie.0,addr=%s,chassis=%s,slot=%s,hotplug=off%s\n' \
		"$1" "$2" "${1#rp}" "${1#rp}" "${3:-}"
}
mapfile -t ports < <(
	port rp1 0x10
	port rp2 0x11 ,pref64-reserve=2G
	port rp3 0x12
	port rp4 0x13
	port rp5 0x14 ,pref64-reserve=2G
)
qemu=(
	qemu-system-x86_64
	-accel tcg -cpu max -smp 2 -m 2G
	-M q35,kernel-irqchip=split
	-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off
	-nodefaults -display none -no-reboot
	-device intel-iommu,intremap=on,caching-mode=on
	-kernel "$kernel" -initrd "$run/initramfs.cpio" -append "$cmdline"
	-chardev "file,id=con,path=$out/console.log" -serial chardev:con
	-fsdev local,id=root,path=/,readonly=on,security_model=none,multidevs=remap
	-device virtio-9p-pci,fsdev=root,mount_tag=root,bus=pcie.0,addr=0x4
	-fsdev "local,id=out,path=$out,security_model=none"
	-device virtio-9p-pci,fsdev=out,mount_tag=out,bus=pcie.0,addr=0x5
	"${ports[@]}"
	-device edu,id=edu,bus=rp1
	-object memory-backend-ram,id=shm0,size=1G,share=on
	-device ivshmem-plain,id=ivshmem,memdev=shm0,bus=rp2
	-drive if=none,id=nvm,file=null-co://,format=raw
	-device nvme,id=nvme,serial=vpm-bench,drive=nvm,bus=rp3
	-device edu,id=edu2,bus=rp4
	-object memory-backend-ram,id=shm1,size=1G,share=on
	-device ivshmem-plain,id=ivshmem2,memdev=shm1,bus=rp5
)
printf '%q ' "${qemu[@]}" >"$out/.vm/qemu-cmdline"
echo >>"$out/.vm/qemu-cmdline"

vpm_msg "booting $rel; $(basename "$script"); output in $out"
start=$(date +%s)
: >"$out/console.log"
"${qemu[@]}" </dev/null >"$out/qemu.log" 2>&1 &
qemu_pid=$!
# Show the guest script's part of the console.
show_console() {
	local line inside=0
	while IFS= read -r line; do
		line=${line%$'\r'}
		[[ "$line" == *"vpm-guest: === begin"* ]] && inside=1
		if [ "$inside" = 1 ] || [[ "$line" =~ vpm-(guest|init): ]]; then
			printf '%s\n' "$line"
		fi
		[[ "$line" == *"vpm-guest: === end"* ]] && inside=0
	done
}
tail -n +1 -s 0.2 -F --pid="$qemu_pid" "$out/console.log" 2>/dev/null | show_console &
tail_pid=$!

deadline=$((start + timeout))
timed_out=0
while kill -0 "$qemu_pid" 2>/dev/null; do
	sleep 0.5
	now=$(date +%s)
	if [ -f "$out/.vm/done" ] && [ "$deadline" -gt $((now + 30)) ]; then
		deadline=$((now + 30))	# powering off takes seconds
	fi
	if [ "$now" -ge "$deadline" ]; then
		[ -f "$out/.vm/done" ] || { timed_out=1; vpm_msg "timeout after ${timeout}s: killing QEMU"; }
		kill "$qemu_pid" 2>/dev/null || true
		sleep 2
		kill -9 "$qemu_pid" 2>/dev/null || true
		break
	fi
done
wait "$qemu_pid" 2>/dev/null || true
qemu_pid=""
wait "$tail_pid" 2>/dev/null || true
tail_pid=""
vpm_msg "VM finished after $(($(date +%s) - start))s"

# --- verdict -------------------------------------------------------------------------
touch "$out/results"
status=$(cat "$out/exit-status" 2>/dev/null || true)
[ "$timed_out" = 0 ] || echo "FAIL timeout -- the VM ran for more than ${timeout}s" >>"$out/results"
[ -n "$status" ] || echo "FAIL no exit status -- the VM stopped before the guest script ended" >>"$out/results"
[ -z "$status" ] || [ "$status" = 0 ] || echo "FAIL guest script exit status $status" >>"$out/results"
patterns=$(grep -v -e '^#' -e '^$' "$VPM_REPO/tests/vm/splat-patterns" | paste -sd '|')
splat_re="\\[ *[0-9]+\\.[0-9]+\\].*($patterns)"
: >"$out/splats"
for f in console.log dmesg.txt; do
	[ -f "$out/$f" ] || continue
	tr -d '\r' <"$out/$f" | grep -E "$splat_re" >>"$out/splats" || true
done
if [ -s "$out/splats" ]; then
	echo "FAIL splat: $(head -n 1 "$out/splats" | sed -E 's/^.*\[ *[0-9]+\.[0-9]+\] *//')" >>"$out/results"
fi
if grep -q '^FAIL ' "$out/results"; then
	grep '^FAIL ' "$out/results" | sed 's/^/  /'
	exit 1
fi
exit 0
