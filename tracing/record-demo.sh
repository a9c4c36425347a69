#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Record a command under trace-cmd and turn the trace into the demo's
# pictures.
#
#   tracing/record-demo.sh DIR -- COMMAND [ARGS...]     (in the guest, root)
#   tracing/record-demo.sh --post [--screenshot] DIR    (on the host)
#
# The first form runs COMMAND under tracing/record.sh (every vfio_pci_mmap
# event and the kernel events around them, clock mono) and writes into DIR:
#
#   trace.dat      the recording (open it with trace-cmd report or KernelShark)
#   trace.txt      trace-cmd report of it
#   timeline.txt   tracing/timeline.py: each device's transitions, zaps,
#                  refusals, and a summary
#   devices.svg    tracing/plot.py: each device's state and mapped vmas over
#                  time
#   command.status COMMAND's exit status
#
# and exits with COMMAND's status.  The second form, on the host after the
# VM is gone, adds what needs the host's tools:
#
#   devices.png          devices.svg converted (ImageMagick)
#   trace-session.json   a KernelShark session (kernelshark -s; made here,
#                        because it records the trace file's mtime)
#   trace-session-BDF.json  the same for one device: only its driver events
#   kernelshark.png      with --screenshot: KernelShark opened on it under
#                        Xvfb (tracing/kshark-screenshot.sh)
#
# Both forms redo the text and SVG if asked to (--post regenerates them from
# trace.dat, so the host's copy of the scripts decides their look).

set -uo pipefail
here=$(dirname "$(realpath "$0")")

post=0
shot=0
while [ $# -gt 0 ]; do
	case "$1" in
	--post) post=1; shift ;;
	--screenshot) shot=1; shift ;;
	-h|--help) sed -n '4,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) break ;;
	esac
done
dir=${1:?usage: record-demo.sh DIR -- COMMAND... | record-demo.sh --post [--screenshot] DIR}
shift

texts() {
	trace-cmd report -i "$dir/trace.dat" >"$dir/trace.txt" 2>"$dir/report.err" ||
		{ echo "record-demo.sh: trace-cmd report failed: $(cat "$dir/report.err")" >&2; return 1; }
	python3 "$here/timeline.py" -o "$dir/timeline.txt" "$dir/trace.txt" ||
		{ echo "record-demo.sh: timeline.py failed" >&2; return 1; }
	python3 "$here/plot.py" -o "$dir/devices.svg" "$dir/trace.txt" ||
		{ echo "record-demo.sh: plot.py failed" >&2; return 1; }
}

if [ "$post" = 1 ]; then
	[ -f "$dir/trace.dat" ] || { echo "record-demo.sh: no $dir/trace.dat" >&2; exit 1; }
	texts || exit 1
	convert -density 110 "$dir/devices.svg" "$dir/devices.png" ||
		{ echo "record-demo.sh: convert failed" >&2; exit 1; }
	python3 "$here/kshark-session.py" -o "$dir/trace-session.json" "$dir/trace.dat" >/dev/null ||
		exit 1
	# One more session per device: only that device's driver events.
	for dev in $(grep -oE '^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$' "$dir/timeline.txt"); do
		python3 "$here/kshark-session.py" --dev "$dev" \
			-o "$dir/trace-session-${dev//:/_}.json" "$dir/trace.dat" >/dev/null ||
			exit 1
	done
	if [ "$shot" = 1 ]; then
		"$here/kshark-screenshot.sh" "$dir/trace.dat" "$dir/kernelshark.png" || exit 1
	fi
	ls "$dir"
	exit 0
fi

[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "record-demo.sh: no command" >&2; exit 2; }
mkdir -p "$dir" || exit 1
"$here/record.sh" -o "$dir/trace.dat" -- "$@"
status=$?
echo "$status" >"$dir/command.status"
texts || exit 1
exit "$status"
