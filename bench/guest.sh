#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The benchmark's guest side, run by bench/run.sh through the test VM runner
# (tests/vm/run.sh --devices bench/devices.sh): REPO, OUT, EDU_BDF,
# EDU2_BDF, IVSHMEM_BDF, IVSHMEM2_BDF and VPM_MODULE in the environment.
#
#   bench/guest.sh 6.12 PROG NOTRACE_KO REPS   ours against stock vfio-pci
#   bench/guest.sh 6.1  PROG -          REPS   stock vfio-pci of Linux 6.1
#
# Roles: edu (00:10.0) and the first ivshmem (00:11.0) are bound to
# vfio-pci-mmap ("ours"), edu2 (00:13.0) and the second ivshmem (00:14.0)
# to vfio-pci ("stock"); on 6.1 the second ivshmem, the stock one, is the
# only device measured ("stock61").  Every figure is appended to
# $OUT/raw.txt by PROG (bench/vpm_bench.c); $OUT/info.txt says what ran
# where and how long each step took.

. "$REPO/tests/guest/lib.sh"

phase=${1:?}
prog=${2:?}
notrace=${3:?}
reps=${4:?}
raw=$OUT/raw.txt
info=$OUT/info.txt
T=/sys/kernel/tracing
# The zap benchmark runs every configuration in one program.
VPM_RUN_TIMEOUT=600

: >"$raw"
note() { echo "$*" >>"$info"; vpm_say "$*"; }

[ -n "${IVSHMEM2_BDF:-}" ] || { vpm_result FAIL setup "no second ivshmem (run with --devices bench/devices.sh)"; exit 1; }

{
	echo "kernel $(uname -r)"
	echo "guest cpus $(nproc), $(awk '/MemTotal/ { print $2 " kB" }' /proc/meminfo)"
	echo "guest loadavg at start $(cut -d' ' -f1-3 /proc/loadavg)"
	for b in "$IVSHMEM_BDF" "$IVSHMEM2_BDF"; do
		echo "ivshmem $b BAR2 $(sed -n 3p "/sys/bus/pci/devices/$b/resource" | cut -d' ' -f1-2)"
	done
} >>"$info"

if ! mountpoint -q "$T"; then
	mount -t tracefs tracefs "$T" || { vpm_result FAIL setup "cannot mount tracefs"; exit 1; }
fi
echo 0 >"$T/events/enable" 2>/dev/null
echo nop >"$T/current_tracer"
echo 4096 >"$T/buffer_size_kb"
echo 1 >"$T/tracing_on"

bind() { vpm_run "bind-$1-$2" vpm_bind "$1" "$2" || exit 1; }
# step NAME CMD...: vpm_run, and note how long it took.
step() {
	local t0=$SECONDS rc
	vpm_run "$@"
	rc=$?
	note "step $1: $((SECONDS - t0)) s"
	return $rc
}

if [ "$phase" = 6.1 ]; then
	bind "$IVSHMEM2_BDF" vfio-pci
	step faultin-6.1 "$prog" faultin --warm --classes pud,pmd,mis --reps $((3 * reps)) \
		--raw "$raw" --dev "stock61=$IVSHMEM2_BDF"
	step faultmax-6.1 "$prog" faultmax --reps "$reps" --raw "$raw" \
		--dev "stock61=$IVSHMEM2_BDF"
	note "guest loadavg at end $(cut -d' ' -f1-3 /proc/loadavg)"
	exit 0
fi

bind "$EDU_BDF" vfio-pci-mmap
bind "$IVSHMEM_BDF" vfio-pci-mmap
bind "$EDU2_BDF" vfio-pci
bind "$IVSHMEM2_BDF" vfio-pci
[ -d "$T/events/vfio_pci_mmap" ] || { vpm_result FAIL setup "no vfio_pci_mmap events in tracefs"; exit 1; }
echo 0 >"$T/events/vfio_pci_mmap/enable"

# (a, f) fault-in per alignment class, with fault counts and VmPTE.  The
# aligned classes are cheap: three times the repetitions.  Stock 6.12's
# misaligned fault-in takes seconds: the plain count, with ours measured
# again on its own afterwards (for the comparison with 6.1).
step faultin "$prog" faultin --warm --classes pud,pmd --reps $((3 * reps)) --raw "$raw" \
	--dev "ours=$IVSHMEM_BDF" --dev "stock=$IVSHMEM2_BDF"
step faultin-mis "$prog" faultin --classes mis --reps "$reps" --raw "$raw" \
	--dev "ours=$IVSHMEM_BDF" --dev "stock=$IVSHMEM2_BDF"
step faultin-mis-ours "$prog" faultin --classes mis --reps $((2 * reps)) --raw "$raw" \
	--dev "ours=$IVSHMEM_BDF"
# A 2 MiB-aligned mapping with THP disabled for the process: filled like
# the misaligned one (ours only; stock faults it page by page).  Then the
# longest single fault of a misaligned fault-in.
step faultin-nothp "$prog" faultin --classes mis,nothp --reps $((2 * reps)) --raw "$raw" \
	--dev "ours=$IVSHMEM_BDF"
step faultmax "$prog" faultmax --reps "$reps" --raw "$raw" --dev "ours=$IVSHMEM_BDF"
# (b) one 4 KiB fault.
step fault4k "$prog" fault4k --reps "$reps" --iters 500 --raw "$raw" \
	--dev "ours=$EDU_BDF" --dev "stock=$EDU2_BDF"
# fork of a process holding 64 and 1024 populated BAR0 vmas.
for n in 64 1024; do
	step "fork-$n" "$prog" fork --vmas "$n" --reps $((3 * reps)) --raw "$raw" \
		--dev "ours=$EDU_BDF" --dev "stock=$EDU2_BDF"
done
# (c) zap: user space (plain), our events (vpm), function_graph (graph).
# More repetitions here: one zap is short, and a preemption of the
# guest's vCPU on the loaded host lands in it whole.
step zap "$prog" zap --reps $((4 * reps + 1)) --raw "$raw" \
	--dev "ours=$EDU_BDF" --dev "stock=$EDU2_BDF"
# (f) kernel memory per vma.
step slab "$prog" slab --reps "$reps" --vmas 1024 --raw "$raw" \
	--dev "ours=$EDU_BDF" --dev "stock=$EDU2_BDF"
# (d) the fault ring, at its largest, if it is there.
p=/sys/module/vfio_pci_mmap/parameters/ring_entries
if [ -w "$p" ]; then
	old=$(cat "$p")
	echo 65536 >"$p"
	step ring "$prog" ring --reps "$reps" --rounds 4 --raw "$raw" \
		--dev "ours=$EDU_BDF"
	echo "$old" >"$p"
else
	note "no ring_entries parameter: the fault ring is not measured"
	echo "R ring_missing ours 1" >>"$raw"
fi

# (e) events.  Disabled against a build of the same sources with every
# tracepoint compiled out (-DNOTRACE), swapped in and out in alternating
# blocks; each side measured by a program that never toggles tracing
# (enabling an event patches kernel text, which TCG must retranslate).
# Enabled against disabled: interleaved within one program.
swap_module() {
	rmmod vfio_pci_mmap || return 1
	insmod "$1" || return 1
	vpm_bind "$EDU_BDF" vfio-pci-mmap && vpm_bind "$IVSHMEM_BDF" vfio-pci-mmap
}
for ((b = 1; b <= reps; b++)); do
	step "evoff-$b" "$prog" faultin --classes mis --reps 4 --raw "$raw" \
		--dev "ours_evoff=$IVSHMEM_BDF"
	step "evoff4k-$b" "$prog" fault4k --reps 4 --iters 500 --raw "$raw" \
		--dev "ours_evoff=$EDU_BDF"
	step "evonoff-$b" "$prog" faultin --classes mis --reps 4 --raw "$raw" \
		--dev "ours_evoff_i=$IVSHMEM_BDF" --dev "ours_evon=$IVSHMEM_BDF:ev"
	step "evonoff4k-$b" "$prog" fault4k --reps 4 --iters 500 --raw "$raw" \
		--dev "ours_evoff_i=$EDU_BDF" --dev "ours_evon=$EDU_BDF:ev"
	step "swap-notrace-$b" swap_module "$notrace" || break
	step "notrace-$b" "$prog" faultin --classes mis --reps 4 --raw "$raw" \
		--dev "ours_notrace=$IVSHMEM_BDF"
	step "notrace4k-$b" "$prog" fault4k --reps 4 --iters 500 --raw "$raw" \
		--dev "ours_notrace=$EDU_BDF"
	step "swap-back-$b" swap_module "$VPM_MODULE" || break
done

note "guest loadavg at end $(cut -d' ' -f1-3 /proc/loadavg)"
exit 0
