# SPDX-License-Identifier: GPL-2.0-only
#
# The user-space test library: tests/lib/*.c, headers in tests/include/.
# Included by the Makefiles of the test programs (tests/user, tests/ring),
# which then link $(VT_LIB) and compile with $(VT_CPPFLAGS):
#
#   include ../lib/lib.mk
#   $(BUILD)/%: %.c $(VT_LIB) $(VT_HDRS)
#   	$(CC) $(CFLAGS) $(VT_CPPFLAGS) -o $@ $< $(VT_LIB) $(LDFLAGS)
#
# The library is built with the includer's CC and CFLAGS into
# $(VT_LIB_BUILD) (default $(BUILD)/lib), one copy per includer's BUILD.

VT_LIB_SRC	:= $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
VT_INC		:= $(patsubst %lib,%include,$(VT_LIB_SRC))
VT_CPPFLAGS	:= -I$(VT_INC)
VT_HDRS		:= $(wildcard $(VT_INC)/*.h) \
		   $(VT_LIB_SRC)/../../include/uapi/linux/vfio_pci_mmap.h
VT_LIB_BUILD	?= $(BUILD)/lib
VT_LIB_OBJS	:= $(patsubst $(VT_LIB_SRC)/%.c,$(VT_LIB_BUILD)/%.o,\
		   $(wildcard $(VT_LIB_SRC)/*.c))
VT_LIB		:= $(VT_LIB_BUILD)/libvpmtest.a

$(VT_LIB_BUILD):
	mkdir -p $@

$(VT_LIB_BUILD)/%.o: $(VT_LIB_SRC)/%.c $(VT_HDRS) | $(VT_LIB_BUILD)
	$(CC) $(CFLAGS) $(VT_CPPFLAGS) -c -o $@ $<

$(VT_LIB): $(VT_LIB_OBJS)
	$(AR) rcs $@ $^
