# SPDX-License-Identifier: GPL-2.0-only
#
# KUnit targets, included by the top Makefile (include kunit/kunit.mk, after
# its first target so that 'all' stays the default).
#
#   make kunit        build the debug kernel (tests/kernel/, cached after the
#                     first build), both modules against it, boot it and run
#                     the suites (tests/guest/kunit.sh); the last line is
#                     "N passed, N failed".  Output in $(KUNIT_OUT).
#   make kunit-build  only the debug kernel and both modules.
#   make check-kunit  'make kunit' as a 'make check' tier (CHECK_TIERS): its
#                     results go to $(CHECK_OUT)/results.  The vm-debug tier
#                     runs tests/guest/kunit.sh too, as one of its suites.
#
# The modules are built by tests/vm/build-module.sh debug, in
# build/module-debug/: the top Kbuild descends into kunit/ because the
# debug kernel has CONFIG_KUNIT.

KUNIT_OUT ?= $(CURDIR)/build/vm/kunit
KUNIT_VM_OPTIONS ?=

.PHONY: kunit kunit-build check-kunit

kunit-build:
	@tests/kernel/build-debug-kernel.sh
	@ko=$$(tests/vm/build-module.sh debug) && \
	kko=$$(dirname "$$(dirname "$$ko")")/kunit/vfio-pci-mmap-kunit.ko && \
	{ test -f "$$kko" || { echo "kunit: $$kko was not built" >&2; exit 1; }; } && \
	echo "kunit: $$ko" && echo "kunit: $$kko"

kunit: kunit-build
	@tests/vm/run.sh --kernel debug $(KUNIT_VM_OPTIONS) \
		--module $(CURDIR)/build/module-debug/vfio-pci-mmap/vfio-pci-mmap.ko \
		--out $(KUNIT_OUT) tests/guest/kunit.sh

check-kunit: kunit-build
	@mkdir -p $(CHECK_OUT)
	@rc=0; tests/vm/run.sh --kernel debug $(KUNIT_VM_OPTIONS) \
		--module $(CURDIR)/build/module-debug/vfio-pci-mmap/vfio-pci-mmap.ko \
		--out $(CHECK_OUT)/vm tests/guest/kunit.sh || rc=$$?; \
	cp $(CHECK_OUT)/vm/results $(CHECK_OUT)/results 2>/dev/null; \
	exit $$rc
