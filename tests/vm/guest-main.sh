#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Second stage of the test VM, run by the initramfs's /init in a chroot of
# the host's root (read-only 9p under a tmpfs overlay).  It prepares the
# guest (kernel modules, the project's module, device addresses), runs the
# guest script, then collects what the host needs to judge the run:
#
#   /out/exit-status   the guest script's exit code
#   /out/results       PASS/FAIL lines written by the script (tests/guest/lib.sh)
#   /out/kmemleak.txt  kmemleak report after a final scan (debug kernels)
#   /out/dmesg.txt     the whole kernel log
#   /out/gcov/         with VPM_GCOV=1 (make coverage): every .gcda file of
#                      /sys/kernel/debug/gcov/, at its path below it
#
# Its settings come from /out/.vm/env, written by tests/vm/run.sh.

set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C HOME=/root TERM=dumb
# shellcheck source=/dev/null
. /out/.vm/env

say() { echo "vpm-guest: $*"; }

# Tell the host why the guest script never ran, and stop.
setup_failed() {
	say "SETUP FAILED: $*"
	echo "FAIL vm-setup -- $*" >>/out/results
	collect
	exit 1
}

# The gcov counters of the instrumented modules, loaded or not: the kernel
# keeps an unloaded module's counts and adds a reload's to them
# (Documentation/dev-tools/gcov.rst, "Modules").  The .gcda files are
# seq_files that stat as empty: read each with cat, not cp -a or cpio.
# The guest has no /dev/fd: a pipe, not a process substitution.
collect_gcov() {
	local g=/sys/kernel/debug/gcov
	if [ ! -d "$g" ]; then
		say "gcov: no $g (kernel without CONFIG_GCOV_KERNEL?)"
		return
	fi
	find "$g" -name '*.gcda' -print0 | {
		n=0
		while IFS= read -r -d '' f; do
			mkdir -p "/out/gcov/$(dirname "${f#"$g"/}")"
			cat "$f" >"/out/gcov/${f#"$g"/}" && n=$((n + 1))
		done
		say "gcov: copied $n .gcda file(s) to /out/gcov"
	}
}

collect() {
	local k=/sys/kernel/debug/kmemleak
	if [ -w "$k" ]; then
		# Objects must be unreferenced for a while and survive two scans
		# before kmemleak reports them.
		say "kmemleak: scanning"
		echo scan >"$k"
		sleep 6
		echo scan >"$k"
		cat "$k" >/out/kmemleak.txt
	fi
	dmesg >/out/dmesg.txt 2>&1
	if [ "${VPM_GCOV:-0}" = 1 ]; then collect_gcov; fi
	# From here on the host expects the VM to power off within seconds.
	touch /out/.vm/done
	sync
}

rel=$(uname -r)
say "kernel $rel ($VPM_FLAVOUR), $(nproc) cpus, up $(cut -d' ' -f1 /proc/uptime) s"
# Every SysRq function: on a timeout SysRq-w lists the blocked tasks, from
# here or, if this script cannot run any more, typed by the host.
echo 1 >/proc/sys/kernel/sysrq 2>/dev/null ||
	say "no SysRq in this kernel: a timeout cannot list the blocked tasks"

# --- kernel modules of the booted kernel --------------------------------------
if [ -n "$VPM_MODROOT" ]; then
	mkdir -p "/lib/modules/$rel"
	mount --bind "$VPM_MODROOT/lib/modules/$rel" "/lib/modules/$rel" ||
		setup_failed "cannot bind $VPM_MODROOT/lib/modules/$rel"
fi
[ -d "/lib/modules/$rel" ] || setup_failed "no /lib/modules/$rel for the booted kernel"

for m in vfio_pci_core vfio_iommu_type1; do
	if ! modprobe "$m" 2>/tmp/modprobe.err; then
		# Built in on some configurations: fine when the driver is there.
		grep -q "^kernel/.*/$m.ko" "/lib/modules/$rel/modules.builtin" 2>/dev/null ||
			setup_failed "modprobe $m: $(cat /tmp/modprobe.err)"
	fi
done
if [ -n "$VPM_MODULE" ]; then
	insmod "$VPM_MODULE" || setup_failed "insmod $VPM_MODULE failed"
	say "loaded $VPM_MODULE"
fi

# --- the test devices ----------------------------------------------------------
# Each device sits alone behind its own root port at a fixed address on bus
# 0; VPM_DEVICES lists them as VAR=PORT=VENDOR:DEVICE (run.sh's vm_device,
# called by the run's device list).  Find each behind its port, check its
# vendor:device and export its address as VAR.
find_dev() {
	local var=$1 port=$2 want=$3 d id
	for d in /sys/bus/pci/devices/"$port"/0000:*; do
		[ -e "$d/vendor" ] || continue
		id=$(cat "$d/vendor"):$(cat "$d/device")
		id=${id//0x/}
		[ "$id" = "$want" ] || setup_failed "$var: ${d##*/} behind $port is $id, expected $want"
		export "$var=${d##*/}"
		say "$var=${d##*/} ($want)"
		return
	done
	setup_failed "$var: no device behind root port $port"
}
[ -n "${VPM_DEVICES:-}" ] || setup_failed "no device list (VPM_DEVICES) in /out/.vm/env"
for d in $VPM_DEVICES; do
	IFS='=' read -r var port want <<<"$d"
	find_dev "$var" "$port" "$want"
done

# --- the guest script ----------------------------------------------------------
export REPO=$VPM_REPO OUT=/out KERNEL_FLAVOUR=$VPM_FLAVOUR VPM_MODULE
touch /out/results
cd "$REPO" || setup_failed "no $REPO"

# Leave the host time to collect: stop the script 30 s before the host's
# timeout (which counts from boot).
up=$(cut -d. -f1 /proc/uptime)
budget=$((VPM_TIMEOUT - up - 30))
[ "$budget" -ge 10 ] || budget=10

say "=== begin ${VPM_SCRIPT#"$REPO"/} ${VPM_ARGS[*]} (timeout ${budget}s)"
touch /out/.vm/started
if [ -x "$VPM_SCRIPT" ]; then
	timeout -k 10 "$budget" "$VPM_SCRIPT" "${VPM_ARGS[@]}"
else
	timeout -k 10 "$budget" bash "$VPM_SCRIPT" "${VPM_ARGS[@]}"
fi
rc=$?
say "=== end: exit status $rc"
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	echo "FAIL timeout -- guest script ran out of its ${budget}s" >>/out/results
	# What was still waiting, and on what.
	echo w >/proc/sysrq-trigger 2>/dev/null
fi
echo "$rc" >/out/exit-status

collect
exit 0
