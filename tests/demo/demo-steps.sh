#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The demo's steps, run by tests/guest/demo.sh under trace-cmd: bind edu to
# vfio-pci-mmap, run vpm-demo (map BAR0, read the identification register,
# reset, read it again), unbind.  Exits nonzero if a step failed.

. "$REPO/tests/guest/lib.sh"

demo=$REPO/build/vpm-demo
rc=0
vpm_say "demo: binding edu ($EDU_BDF) to vfio-pci-mmap"
vpm_run bind-edu vpm_bind "$EDU_BDF" vfio-pci-mmap || exit 1
vpm_say "demo: running vpm-demo $EDU_BDF"
vpm_run vpm-demo "$demo" "$EDU_BDF" || rc=1
vpm_say "demo: unbinding edu"
vpm_run unbind-edu vpm_unbind "$EDU_BDF" || rc=1
exit "$rc"
