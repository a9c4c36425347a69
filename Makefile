# SPDX-License-Identifier: GPL-2.0-only
#
# vfio-pci-mmap: top-level targets.  The module itself is built by kbuild
# from ./Kbuild; this file drives setup, builds, tests and the demo.
#
#   make setup    install what the project needs (Debian 12), choose KVER
#   make build    the module against KVER's headers (W=1) + user programs
#   make sparse   the same build under sparse (C=2); fails on any warning
#   make check    every test tier in CHECK_TIERS; last line "N passed, N failed"
#   make demo     setup, build, boot a VM, run the demo on the edu device
#   make coverage line and branch coverage of the driver (KUnit and the debug
#                 kernel's VM suites), in build/coverage/ (not in make check)
#   make deb      the Debian packages (dkms module, plugins) in build/deb/, lintian
#   make fresh-check  the README's commands and the package on a debootstrap
#                 root with nothing installed (not in make check; 20-40 min)
#   make clean
#
# KVER is the Debian 6.12 kernel release chosen by 'make setup'
# ($VPM_CACHE/kver), never the running kernel.

VPM_CACHE ?= $(HOME)/.cache/vfio-pci-mmap
export VPM_CACHE

KVER ?= $(shell cat $(VPM_CACHE)/kver 2>/dev/null)
KERNELDIR ?= /lib/modules/$(KVER)/build

BUILD := $(CURDIR)/build
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

# --- test tiers -------------------------------------------------------------------
# 'make check' runs 'make check-<tier>' for each tier, in this order, and
# adds up their results (tests/check.sh).  To add a tier: write a
# check-<tier> target that exits nonzero on failure and, optionally, writes
# "PASS name" / "FAIL name" lines to $(CHECK_OUT)/results; then append the
# tier here (or: make check CHECK_TIERS="build vm-debug").
#
# The debug tiers (kunit, vm-debug) run on the debug kernel (tests/kernel/,
# built first if needed, then cached; hot-unplug through ACPI there, see
# docs/testing.rst).
CHECK_TIERS ?= build sparse dkms tracing vm-debian selftest kunit vm-debug
CHECK_OUT ?= $(BUILD)/check/manual

# VM suites: every tests/guest/*.sh but the library, the KUnit runner (tier
# kunit), the stress and fault-injection runs (debug kernel only) and the
# traced demo and the packaged module's check (make fresh-check).  Each
# boots its own VM; the DPDK suite with its own device list
# (tests/vm/devices-nic.sh, from its vpm-vm-options line).
VM_SUITES ?= $(filter-out lib kunit stress trace-demo fault-inject packaged fuzz,$(basename $(notdir $(wildcard tests/guest/*.sh))))
# On the debug kernel: the behaviour suites, the stress run, fault injection
# and the model-based random tester (a fresh seed each run, FUZZ_SECONDS).
VM_SUITES_debug ?= smoke mmap-suite ring-suite gate-suite stress fault-inject fuzz

# --- user programs (run in the guest; built here, linked against the host) ------
# build/<name> from tests/demo/<name>.c; the test programs of tests/user/ are
# built by tests/user/Makefile into build/user/.
USER_CFLAGS ?= -O2 -g -Wall -Wextra -Wformat=2 -Werror
DEMO_PROGS := $(patsubst tests/demo/%.c,$(BUILD)/%,$(wildcard tests/demo/*.c))

.PHONY: all setup build module modules user sparse check demo deb fresh-check clean fuzz coverage \
	need-kver debug-kernel $(addprefix check-,build sparse dkms selftest)

all: build

setup:
	@tests/setup.sh

need-kver:
	@test -n "$(KVER)" || { echo "no kernel chosen: run 'make setup' first" >&2; exit 1; }
	@test -d "$(KERNELDIR)" || { echo "no headers at $(KERNELDIR): run 'make setup'" >&2; exit 1; }

build: module user

# Both builds: vfio-pci-mmap.ko and the drop-in vfio-pci.ko (dropin.h).
module: need-kver
	$(MAKE) -C $(KERNELDIR) M=$(CURDIR) W=1 VPM_DROPIN=1 modules

# For dkms and packagers: make KERNELDIR=/lib/modules/<release>/build modules
modules:
	$(MAKE) -C $(KERNELDIR) M=$(CURDIR) modules

user: $(DEMO_PROGS)
	@if [ -f tests/user/Makefile ]; then $(MAKE) -C tests/user BUILD=$(BUILD)/user; fi
	@if [ -f tests/fuzz/Makefile ]; then $(MAKE) -C tests/fuzz BUILD=$(BUILD)/fuzz; fi

$(BUILD)/%: tests/demo/%.c
	@mkdir -p $(BUILD)
	$(CC) $(USER_CFLAGS) -o $@ $<

sparse: need-kver
	@mkdir -p $(BUILD)
	$(MAKE) -C $(KERNELDIR) M=$(CURDIR) W=1 C=2 VPM_DROPIN=1 modules 2>&1 | tee $(BUILD)/sparse.log
	@! grep -E '(warning|error):' $(BUILD)/sparse.log || \
		{ echo "sparse or the compiler complained (above)" >&2; exit 1; }

# After setup: tests/check.sh runs each tier in a fresh make, which reads
# the KVER that setup may just have chosen.
check: setup
	@tests/check.sh $(CHECK_TIERS)

check-build: need-kver
	@mkdir -p $(CHECK_OUT)
	@$(MAKE) --no-print-directory build 2>&1 | tee $(CHECK_OUT)/build.log
	@! grep -E '(warning|error):' $(CHECK_OUT)/build.log || \
		{ echo "the build is not warning-free (above)" >&2; exit 1; }

check-sparse: sparse

check-dkms: need-kver
	@tests/dkms-check.sh $(KVER)

check-vm-%: build
	@tests/vm/suites.sh $* $(CHECK_OUT) $(or $(VM_SUITES_$*),$(VM_SUITES))

# Host-side self-test of the tracing tools on recorded data.
check-tracing:
	@mkdir -p $(CHECK_OUT)
	@$(MAKE) --no-print-directory -C tracing check | tee $(CHECK_OUT)/tracing.log; \
	rc=$${PIPESTATUS[0]}; \
	grep -E '^(PASS|FAIL) ' $(CHECK_OUT)/tracing.log | sed -E 's#^(PASS|FAIL) #\1 tracing/#' >$(CHECK_OUT)/results; \
	exit $$rc

# Bounded stress on the debug kernel (tests/guest/stress.sh).
stress: build debug-kernel
	@VPM_HOTPLUG=acpi tests/vm/suites.sh debug $(BUILD)/vm-stress stress; \
	rc=$$?; p=$$(grep -c '^PASS' $(BUILD)/vm-stress/results); \
	f=$$(grep -c '^FAIL' $(BUILD)/vm-stress/results); \
	echo "$$p passed, $$f failed"; exit $$rc

# The model-based random tester on the debug kernel, alone, in one VM:
#   make fuzz                         a fresh seed, FUZZ_SECONDS (150) of operations
#   make fuzz SEED=N OPS=N            replay a failure (the FAIL line says which)
#   make fuzz SEED=N FUZZ_VERBOSE=1   ... printing every operation
fuzz: build debug-kernel
	@rm -rf $(BUILD)/vm-fuzz
	@module=$$(tests/vm/build-module.sh debug) && \
	VPM_HOTPLUG=acpi tests/vm/run.sh --kernel debug --module "$$module" \
		--timeout 1200 --out $(BUILD)/vm-fuzz tests/guest/fuzz.sh \
		$(if $(SEED),SEED=$(SEED)) $(if $(OPS),OPS=$(OPS)) \
		$(if $(FUZZ_SECONDS),FUZZ_SECONDS=$(FUZZ_SECONDS)) \
		$(if $(FUZZ_VERBOSE),FUZZ_VERBOSE=1)

# Measured line and branch coverage of the driver (tests/coverage.sh; not in
# make check): KUnit and these suites on the debug kernel with the gcov build
# of the module (with the tracing and drop-in suites, which run there too),
# plus tests/guest/fuzz*.sh when there is one.  Per-file
# figures and the uncovered lines in build/coverage/.
COVERAGE_SUITES ?= $(filter-out fuzz,$(VM_SUITES_debug)) trace-suite dropin-suite

coverage: build debug-kernel
	@COVERAGE_SUITES="$(COVERAGE_SUITES)" tests/coverage.sh

check-selftest: need-kver
	@tests/vm/selftest.sh $(CHECK_OUT)

check-selftest-%: need-kver
	@tests/vm/selftest.sh --kernel $* $(CHECK_OUT)

# The debug kernel (lockdep, KASAN, kmemleak): built once, then cached.
debug-kernel:
	@tests/kernel/build-debug-kernel.sh

# 6.12's pciehp trips lockdep on every hot-removal: let ACPI do it there.
check-vm-debug check-selftest-debug: debug-kernel
check-vm-debug check-selftest-debug: export VPM_HOTPLUG ?= acpi

demo: setup
	@$(MAKE) --no-print-directory build
	@tests/vm/run.sh --smp 1 tests/guest/demo.sh
	@echo "demo: pictures of the recorded trace (host side)"
	@$(MAKE) --no-print-directory -C tracing plugins
	@tracing/record-demo.sh --post --screenshot $(BUILD)/vm/demo/demo || \
		{ echo "demo: FAILED: a picture the demo promises could not be made (named above)" >&2; exit 1; }
	@echo "demo: output in $(BUILD)/vm/demo/demo:"; ls -l $(BUILD)/vm/demo/demo

# Debian packages from a clean export of the tree (debian/build-deb.sh).
deb:
	@debian/build-deb.sh $(BUILD)/deb

# The README on a fresh Debian 12 root (tests/fresh-check.sh).
fresh-check:
	@tests/fresh-check.sh

clean:
	rm -rf $(BUILD)
	@if [ -d "$(KERNELDIR)" ]; then $(MAKE) -C $(KERNELDIR) M=$(CURDIR) clean; fi

include kunit/kunit.mk
include bench/bench.mk
