#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Harness self-test, guest side: never finish.  The harness must stop the
# script and fail the run with "timeout".

echo "sleeping until the harness gives up"
sleep 100000
