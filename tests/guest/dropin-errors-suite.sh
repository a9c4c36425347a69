#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Bad input to the drop-in build (module vfio-pci): binding a device that
# another driver has, or whose vfio device a process holds open, or that
# has no IOMMU group; malformed new_id.  Each must end with the errno the
# driver core and vfio give for it, a line in dmesg where there is one, no
# splat (the harness fails the run on any), and the module still loaded and
# serving its other devices.  Malformed ids= entries: dropin-suite.sh.
#
#   tests/vm/run.sh --devices tests/vm/devices-nogroup.sh \
#           tests/guest/dropin-errors-suite.sh
#
# vpm-vm-options: --devices tests/vm/devices-nogroup.sh
#
# Devices: EDU_BDF (its own IOMMU group), NVME_BDF (bound to the kernel's
# nvme driver here), NOGROUP_BDF: a pci-testdev behind a PCIe expander bridge
# that bypasses the intel-iommu, which the guest gives no IOMMU group.
#
# errors/nogroup-is-groupless  NOGROUP_BDF has no iommu_group, EDU_BDF has one
# errors/nogroup-bind          driver_override + drivers/vfio-pci/bind: EINVAL
#                              (vfio core: no group and no noiommu), dmesg
#                              "probe with driver vfio-pci failed with error
#                              -22", nothing left bound or in debugfs
# errors/nogroup-drivers-probe drivers_probe and new_id: the driver core does
#                              not pass probe errors on (the writes succeed),
#                              the device stays unbound, dmesg says why
# errors/still-usable          then EDU_BDF binds and a VFIO user reads its
#                              identification register
# errors/bound-elsewhere       NVME_BDF bound to nvme: drivers/vfio-pci/bind
#                              EBUSY, new_id of its id leaves it with nvme
# errors/bad-new-id            new_id "1234" and "zz yy": EINVAL; bind of a
#                              device that does not exist: ENODEV
# errors/in-use                EDU_BDF's vfio device open by a process: a
#                              second open of its group EBUSY, bind EBUSY,
#                              delete_module(vfio_pci) EAGAIN (EWOULDBLOCK);
#                              the user still reads the device; unbind waits
#                              for the user and completes once it lets go

. "$REPO/tests/guest/lib.sh"

DROPIN=${VPM_MODULE%/*}/vfio-pci.ko
SYS=/sys/bus/pci/devices
DRV=/sys/bus/pci/drivers/vfio-pci
HOLD=$REPO/tests/guest/vfio_hold.py
EDU_ID=010000ed
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

if [ ! -f "$DROPIN" ]; then
	vpm_skip errors/all "no $DROPIN (built with VPM_DROPIN=1)"
	exit 0
fi
if [ -z "${NOGROUP_BDF:-}" ]; then
	vpm_result FAIL errors/devices "no NOGROUP_BDF: run with --devices tests/vm/devices-nogroup.sh"
	exit 1
fi

# errno_of FILE VALUE: write VALUE to FILE in one write(2); print OK or the
# errno's name (EBUSY, EINVAL, ...).
errno_of() {
	python3 - "$1" "$2" <<'EOF'
import errno, os, sys
try:
    fd = os.open(sys.argv[1], os.O_WRONLY)
    try:
        os.write(fd, sys.argv[2].encode())
    finally:
        os.close(fd)
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
EOF
}

# expect_errno FILE VALUE WANT: the write must end with WANT (or OK).
expect_errno() {
	local got
	got=$(errno_of "$1" "$2")
	echo "write '$2' > $1: $got (want $3)"
	[ "$got" = "$3" ]
}

# dmesg_has TEXT: the kernel log since the last 'dmesg -C' has TEXT.
dmesg_has() {
	if dmesg | grep -qF -- "$1"; then
		echo "dmesg: $(dmesg | grep -F -- "$1" | tail -n 1)"
	else
		echo "dmesg lacks: $1"
		return 1
	fi
}

# The drop-in, instead of the vfio-pci-mmap build run.sh loaded.
vpm_unbind "$EDU_BDF"
rmmod vfio_pci_mmap 2>/dev/null
if ! insmod "$DROPIN"; then
	vpm_result FAIL errors/load "insmod $DROPIN failed"
	exit 1
fi

groupless() {
	if [ -e "$SYS/$NOGROUP_BDF/iommu_group" ]; then
		echo "$NOGROUP_BDF has IOMMU group $(vpm_group "$NOGROUP_BDF")"
		return 1
	fi
	echo "$NOGROUP_BDF: no IOMMU group; $EDU_BDF: group $(vpm_group "$EDU_BDF")"
	[ -e "$SYS/$EDU_BDF/iommu_group" ] && [ -z "$(vpm_driver "$NOGROUP_BDF")" ]
}
vpm_run errors/nogroup-is-groupless groupless || exit 1

# Nothing of the device may be left: no driver, no debugfs directory.
nothing_left() {
	local bdf=$1
	[ -z "$(vpm_driver "$bdf")" ] || { echo "$bdf bound to $(vpm_driver "$bdf")"; return 1; }
	[ ! -e "/sys/kernel/debug/vfio-pci-mmap/$bdf" ] ||
		{ echo "debugfs still has $bdf"; return 1; }
	[ -d /sys/module/vfio_pci ] || { echo "vfio_pci is no longer loaded"; return 1; }
}

nogroup_bind() {
	local rc=0
	dmesg -C
	vpm_write "$SYS/$NOGROUP_BDF/driver_override" vfio-pci || return 1
	expect_errno "$DRV/bind" "$NOGROUP_BDF" EINVAL || rc=1
	dmesg_has "$NOGROUP_BDF: probe with driver vfio-pci failed with error -22" || rc=1
	dmesg_has "vfio-pci: cannot register device: -22" || rc=1
	nothing_left "$NOGROUP_BDF" || rc=1
	return "$rc"
}
vpm_run errors/nogroup-bind nogroup_bind

nogroup_probe() {
	local rc=0
	dmesg -C
	# driver_override is still vfio-pci: drivers_probe tries it.
	expect_errno /sys/bus/pci/drivers_probe "$NOGROUP_BDF" OK || rc=1
	dmesg_has "$NOGROUP_BDF: probe with driver vfio-pci failed with error -22" || rc=1
	nothing_left "$NOGROUP_BDF" || rc=1
	vpm_write "$SYS/$NOGROUP_BDF/driver_override" "" || rc=1
	# new_id: the driver core tries every unbound device of that id.
	dmesg -C
	expect_errno "$DRV/new_id" "1b36 0005" OK || rc=1
	dmesg_has "$NOGROUP_BDF: probe with driver vfio-pci failed with error -22" || rc=1
	expect_errno "$DRV/remove_id" "1b36 0005" OK || rc=1
	nothing_left "$NOGROUP_BDF" || rc=1
	return "$rc"
}
vpm_run errors/nogroup-drivers-probe nogroup_probe

# The module serves its other devices after the failures.
still_usable() {
	vpm_bind "$EDU_BDF" vfio-pci || return 1
	python3 "$HOLD" "$EDU_BDF" --expect "$EDU_ID" --once </dev/null || return 1
	[ -e "/sys/kernel/debug/vfio-pci-mmap/$EDU_BDF" ] ||
		{ echo "no debugfs directory for $EDU_BDF"; return 1; }
}
vpm_run errors/still-usable still_usable

bound_elsewhere() {
	local rc=0 i
	[ -n "${NVME_BDF:-}" ] || { echo "no NVME_BDF"; return 1; }
	if [ "$(vpm_driver "$NVME_BDF")" != nvme ]; then
		modprobe nvme || return 1
		for i in $(seq 50); do
			[ "$(vpm_driver "$NVME_BDF")" = nvme ] && break
			sleep 0.2
		done
	fi
	[ "$(vpm_driver "$NVME_BDF")" = nvme ] ||
		{ echo "$NVME_BDF not bound to nvme: '$(vpm_driver "$NVME_BDF")'"; return 1; }
	echo "$NVME_BDF bound to nvme"
	dmesg -C
	vpm_write "$SYS/$NVME_BDF/driver_override" vfio-pci || return 1
	expect_errno "$DRV/bind" "$NVME_BDF" EBUSY || rc=1
	[ "$(vpm_driver "$NVME_BDF")" = nvme ] || { echo "no longer nvme's"; rc=1; }
	vpm_write "$SYS/$NVME_BDF/driver_override" "" || rc=1
	# new_id of its id: added, and the bound device is left alone.
	expect_errno "$DRV/new_id" "1b36 0010" OK || rc=1
	[ "$(vpm_driver "$NVME_BDF")" = nvme ] || { echo "new_id took it from nvme"; rc=1; }
	expect_errno "$DRV/remove_id" "1b36 0010" OK || rc=1
	# Without driver_override, vfio-pci's table matches nothing: ENODEV.
	expect_errno "$DRV/bind" "$NVME_BDF" ENODEV || rc=1
	[ "$(vpm_driver "$NVME_BDF")" = nvme ] || { echo "no longer nvme's"; rc=1; }
	return "$rc"
}
vpm_run errors/bound-elsewhere bound_elsewhere

bad_new_id() {
	local rc=0
	expect_errno "$DRV/new_id" "1234" EINVAL || rc=1
	expect_errno "$DRV/new_id" "zz yy" EINVAL || rc=1
	expect_errno "$DRV/remove_id" "1234 ffff" ENODEV || rc=1
	expect_errno "$DRV/bind" "0000:ff:1f.7" ENODEV || rc=1
	expect_errno "$DRV/unbind" "0000:ff:1f.7" ENODEV || rc=1
	[ -d /sys/module/vfio_pci ]
}
vpm_run errors/bad-new-id bad_new_id

# EDU_BDF's vfio device held open by a user (vfio_hold.py), the way QEMU or
# DPDK hold theirs.
in_use() {
	local rc=0 fifo=/tmp/hold.in out=/tmp/hold.out pid upid i group t
	vpm_bind "$EDU_BDF" vfio-pci || return 1
	group=$(vpm_group "$EDU_BDF")
	rm -f "$fifo" "$out"
	mkfifo "$fifo"
	python3 "$HOLD" "$EDU_BDF" --expect "$EDU_ID" <"$fifo" >"$out" 2>&1 &
	pid=$!
	# The user holds the device until this writer closes; every process
	# started below that outlives a command must close fd 7.
	exec 7>"$fifo"
	for i in $(seq 100); do
		grep -q '^held' "$out" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$out"
	grep -q '^held' "$out" || { exec 7>&-; wait "$pid"; return 1; }

	# A second user of the group.
	t=$(python3 -c 'import errno, os, sys
try:
    os.open(sys.argv[1], os.O_RDWR); print("OK")
except OSError as e:
    print(errno.errorcode[e.errno])' "/dev/vfio/$group")
	echo "second open of /dev/vfio/$group: $t (want EBUSY)"
	[ "$t" = EBUSY ] || rc=1
	# Binding it again, to the driver it is bound to.
	expect_errno "$DRV/bind" "$EDU_BDF" EBUSY || rc=1
	# Unloading the module its user holds: delete_module(2) itself, not
	# rmmod, which stops at the reference count without a system call.
	t=$(python3 -c 'import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
r = libc.syscall(176, b"vfio_pci", os.O_NONBLOCK)
print("OK" if r == 0 else errno.errorcode[ctypes.get_errno()])')
	echo "delete_module(vfio_pci): $t (want EAGAIN, i.e. EWOULDBLOCK)"
	[ "$t" = EAGAIN ] || rc=1
	[ -d /sys/module/vfio_pci ] || { echo "vfio_pci unloaded"; rc=1; }
	echo "rmmod: $(rmmod vfio_pci 2>&1)"
	[ "$(vpm_driver "$EDU_BDF")" = vfio-pci ] || { echo "edu lost its driver"; rc=1; }

	# unbind waits for the user (vfio's request: no eventfd here), then
	# completes once the user lets go.
	dmesg -C
	# (Without fd 7, the FIFO's writer: else the user would never see
	# its stdin close.)
	(echo "$EDU_BDF" >"$DRV/unbind"; echo "unbind returned $?") 7>&- &
	upid=$!
	sleep 3
	if kill -0 "$upid" 2>/dev/null; then
		echo "unbind waits while the device is open"
	else
		echo "unbind returned while the device was open"
		rc=1
	fi
	exec 7>&-
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "the user did not exit 10 s after its stdin closed: killing it"
		kill -9 "$pid"
		rc=1
	fi
	wait "$pid" || { echo "the user failed at the end"; rc=1; }
	cat "$out"
	for i in $(seq 100); do
		kill -0 "$upid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$upid" 2>/dev/null; then
		echo "unbind still waiting 10 s after the user let go"
		return 1
	fi
	wait "$upid"
	dmesg_has "blocked until released by user" || true
	[ -z "$(vpm_driver "$EDU_BDF")" ] || { echo "edu still bound"; rc=1; }
	return "$rc"
}
vpm_run errors/in-use in_use

vpm_unbind "$EDU_BDF"
vpm_unbind "$NOGROUP_BDF"
rmmod vfio_pci 2>/dev/null
insmod "$VPM_MODULE" 2>/dev/null
exit 0
