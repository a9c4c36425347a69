#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Open a trace in KernelShark on a virtual X server and take a screenshot:
# proof that a session opens, and a picture for the documentation.
#
#   tracing/kshark-screenshot.sh [--dev BDF] [--wait SEC] [--no-plugin]
#                                TRACE.DAT OUT.PNG
#
# Writes the session next to the trace (tracing/kshark-session.py), with
# this project's KernelShark plugin (device state bands, zap and refusal
# marks, list text; built by "make -C tracing kshark-plugin", or installed
# by the vfio-pci-mmap-trace-plugins package: exits nonzero if neither is
# there, unless --no-plugin), runs
# "kernelshark -s SESSION" under Xvfb, closes the warning KernelShark shows
# when run as root (Return), waits for the window, and saves the screen as
# OUT.PNG (xwd + ImageMagick's convert, cropped to the window).  Needs:
# xvfb, x11-apps, xdotool, imagemagick, kernelshark (Debian packages).
# Exits nonzero if the KernelShark window never appeared.

set -euo pipefail

dev=()
wait_s=6
plugin=1
while [ $# -gt 0 ]; do
	case "$1" in
	--dev) dev=(--dev "${2:?}"); shift 2 ;;
	--wait) wait_s=${2:?}; shift 2 ;;
	--no-plugin) plugin=0; shift ;;
	-h|--help) sed -n '4,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || { echo "usage: kshark-screenshot.sh [--dev BDF] [--wait SEC] [--no-plugin] TRACE.DAT OUT.PNG" >&2; exit 2; }
trace=$(realpath "$1")
png=$(realpath -m "$2")
here=$(dirname "$(realpath "$0")")
for t in Xvfb xdotool xwd convert kernelshark; do
	command -v "$t" >/dev/null || { echo "kshark-screenshot.sh: no $t" >&2; exit 1; }
done

ksplug=(--no-plugin)
if [ "$plugin" = 1 ]; then
	for so in "$here/../build/trace/kshark/plugin-vfio_pci_mmap.so" \
		/usr/lib/x86_64-linux-gnu/kernelshark/plugins/plugin-vfio_pci_mmap.so; do
		[ -f "$so" ] && { ksplug=(--plugin "$(realpath "$so")"); break; }
	done
	[ "${ksplug[0]}" = --plugin ] || {
		echo "kshark-screenshot.sh: no KernelShark plugin (make -C tracing kshark-plugin)" >&2
		exit 1
	}
	echo "plugin: ${ksplug[1]}"
fi
session=$(python3 "$here/kshark-session.py" "${ksplug[@]}" "${dev[@]}" "$trace")
echo "session: $session"

xvfb_pid=
ks_pid=
cleanup() {
	[ -z "$ks_pid" ] || kill "$ks_pid" 2>/dev/null || true
	[ -z "$xvfb_pid" ] || kill "$xvfb_pid" 2>/dev/null || true
}
trap cleanup EXIT

# An X server on a free display: the first one that starts and answers.
disp=
for n in $(seq 90 120); do
	[ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ] && continue
	Xvfb ":$n" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
	xvfb_pid=$!
	for _ in $(seq 100); do
		kill -0 "$xvfb_pid" 2>/dev/null || break
		if DISPLAY=:$n xdotool getmouselocation >/dev/null 2>&1; then
			disp=:$n
			break 2
		fi
		sleep 0.1
	done
	kill "$xvfb_pid" 2>/dev/null || true
	xvfb_pid=
done
[ -n "$disp" ] || { echo "kshark-screenshot.sh: cannot start Xvfb" >&2; exit 1; }

# The libtraceevent plugin, if built, fills the Info column with its notes.
plugdir=$(realpath -m "$here/../build/trace")
[ -e "$plugdir/plugin_vfio_pci_mmap.so" ] && export TRACEEVENT_PLUGIN_DIR=$plugdir
DISPLAY=$disp XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp} \
	kernelshark -s "$session" >"${png%.png}.kernelshark.log" 2>&1 &
ks_pid=$!

# As root, a modal warning comes first: close it, then wait for the window.
win=
for _ in $(seq 100); do
	win=$(DISPLAY=$disp xdotool search --name '^Kernel Shark' 2>/dev/null | head -n 1 || true)
	[ -n "$win" ] && break
	DISPLAY=$disp xdotool key Return 2>/dev/null || true
	sleep 0.3
done
[ -n "$win" ] || { echo "kshark-screenshot.sh: no KernelShark window (log: ${png%.png}.kernelshark.log)" >&2; exit 1; }
sleep "$wait_s"
eval "$(DISPLAY=$disp xdotool getwindowgeometry --shell "$win")"
DISPLAY=$disp xwd -root -silent |
	convert xwd:- -crop "${WIDTH}x${HEIGHT}+${X}+${Y}" +repage "$png"
echo "screenshot: $png (${WIDTH}x${HEIGHT}, window '$(DISPLAY=$disp xdotool getwindowname "$win")')"
