# SPDX-License-Identifier: GPL-2.0-only
#
# Benchmarks: included by the top Makefile, not part of 'make check'.
#
#   make bench          boot the benchmark VMs (6.12: ours vs stock; 6.1:
#                       stock) and write out/bench/latest.{csv,svg,txt}
#   make bench BENCH_REPS=9      more repetitions (at least 5; default 7)
#   make bench-report   re-make the report of the last run (no VM)
#
# bench/run.sh does the work (setup, module builds, the two boots, the
# report); this file builds the guest program and names the targets.

BENCH_DIR   := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
BENCH_BUILD ?= $(CURDIR)/build/bench
BENCH_OUT   ?= $(CURDIR)/out/bench
BENCH_REPS  ?= 7
BENCH_PROG  := $(BENCH_BUILD)/vpm-bench
BENCH_CFLAGS ?= -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE

.PHONY: bench bench-prog bench-report

bench: bench-prog
	@$(BENCH_DIR)/run.sh --reps $(BENCH_REPS) --prog $(BENCH_PROG) --out $(BENCH_OUT)

bench-prog: $(BENCH_PROG)

# Linked with the test library (tests/lib/, headers in tests/include/),
# compiled here with the benchmark's flags, not shared with the tests' builds.
BENCH_LIB_SRCS := $(wildcard tests/lib/*.c)
$(BENCH_PROG): $(BENCH_DIR)/vpm_bench.c $(BENCH_LIB_SRCS) $(wildcard tests/include/*.h) \
		include/uapi/linux/vfio_pci_mmap.h
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -Itests/include -o $@ $(BENCH_DIR)/vpm_bench.c $(BENCH_LIB_SRCS)

bench-report:
	@python3 $(BENCH_DIR)/report.py --run "$$(ls -d $(BENCH_OUT)/runs/*/ | tail -n 1)" --out $(BENCH_OUT)
