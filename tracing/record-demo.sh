#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Record a command under trace-cmd and turn the trace into the demo's
# pictures.
#
#   tracing/record-demo.sh DIR -- COMMAND [ARGS...]     (in the guest, root)
#   tracing/record-demo.sh --post [--screenshot] DIR    (on the host)
#   tracing/record-demo.sh --check [--screenshot] DIR   (on the host)
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
#   kernelshark-list.txt with --screenshot: the list text KernelShark shows
#                        for the vfio_pci_mmap events with this project's
#                        plugin (tracing/kshark/ks_list.c); every state
#                        change must have the plugin's sentence
#
# Both forms redo the text and SVG if asked to (--post regenerates them from
# trace.dat, so the host's copy of the scripts decides their look).  --post
# tries to make every piece, names each one it could not make and exits
# nonzero if any is missing or empty.  --check only checks that every piece
# above is there and not empty (kernelshark.png with --screenshot).

set -uo pipefail
here=$(dirname "$(realpath "$0")")

post=0
shot=0
check=0
while [ $# -gt 0 ]; do
	case "$1" in
	--post) post=1; shift ;;
	--screenshot) shot=1; shift ;;
	--check) check=1; shift ;;
	-h|--help) sed -n '4,41p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

# What the README promises in DIR after the demo; prints each one missing
# or empty and returns nonzero if any is.  $1=1: kernelshark.png too.
check_artefacts() {
	local f missing=0 sessions=0
	local want=(trace.dat trace.txt timeline.txt devices.svg devices.png trace-session.json)
	[ "$1" = 1 ] && want+=(kernelshark.png)
	for f in "${want[@]}"; do
		if [ ! -s "$dir/$f" ]; then
			echo "record-demo.sh: missing or empty: $dir/$f" >&2
			missing=1
		fi
	done
	for dev in $(devices); do
		sessions=$((sessions + 1))
		f=trace-session-${dev//:/_}.json
		[ -s "$dir/$f" ] ||
			{ echo "record-demo.sh: missing or empty: $dir/$f" >&2; missing=1; }
	done
	[ "$sessions" -gt 0 ] ||
		{ echo "record-demo.sh: timeline.txt names no device" >&2; missing=1; }
	return "$missing"
}

devices() {
	grep -oE '^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$' "$dir/timeline.txt" 2>/dev/null
}

if [ "$check" = 1 ]; then
	check_artefacts "$shot" || exit 1
	echo "record-demo.sh: every artefact is in $dir"
	exit 0
fi

if [ "$post" = 1 ]; then
	[ -f "$dir/trace.dat" ] || { echo "record-demo.sh: no $dir/trace.dat" >&2; exit 1; }
	texts || exit 1
	# Every piece is attempted; each one that cannot be made is named, and
	# the exit status is nonzero.
	failed=()
	# ImageMagick reads SVG through its rsvg-convert delegate (librsvg2-bin,
	# installed by tests/setup.sh); without it convert says "no images
	# defined".
	rm -f "$dir/devices.png"
	if ! convert -density 110 "$dir/devices.svg" "$dir/devices.png" 2>"$dir/convert.err" ||
	   [ ! -s "$dir/devices.png" ]; then
		cat "$dir/convert.err" >&2
		rsvg-convert --version >/dev/null 2>&1 ||
			echo "record-demo.sh: ImageMagick has no SVG reader: rsvg-convert (librsvg2-bin) is missing or does not run" >&2
		failed+=("devices.png (convert devices.svg failed)")
	fi
	python3 "$here/kshark-session.py" -o "$dir/trace-session.json" "$dir/trace.dat" >/dev/null ||
		failed+=("trace-session.json (kshark-session.py failed)")
	# One more session per device: only that device's driver events.
	for dev in $(devices); do
		python3 "$here/kshark-session.py" --dev "$dev" \
			-o "$dir/trace-session-${dev//:/_}.json" "$dir/trace.dat" >/dev/null ||
			failed+=("trace-session-${dev//:/_}.json (kshark-session.py failed)")
	done
	if [ "$shot" = 1 ]; then
		# The KernelShark plugin, checked without a display: every state
		# change gets its sentence in KernelShark's list.
		kslist=$here/../build/trace/kshark/ks-list
		so=
		for f in "$here/../build/trace/kshark/plugin-vfio_pci_mmap.so" \
			/usr/lib/x86_64-linux-gnu/kernelshark/plugins/plugin-vfio_pci_mmap.so; do
			[ -f "$f" ] && { so=$f; break; }
		done
		if [ -x "$kslist" ] && [ -n "$so" ] &&
		   "$kslist" "$dir/trace.dat" "$so" >"$dir/kernelshark-list.txt"; then
			n=$(grep -c '^vpm_state_change ' "$dir/kernelshark-list.txt")
			ok=$(grep -c '^vpm_state_change .* because of ' "$dir/kernelshark-list.txt")
			[ "$n" -gt 0 ] && [ "$ok" = "$n" ] ||
				failed+=("the KernelShark plugin's list text ($ok of $n state changes; kernelshark-list.txt)")
		else
			failed+=("kernelshark-list.txt (the KernelShark plugin or ks-list is missing: make -C tracing kshark-plugin)")
		fi
		rm -f "$dir/kernelshark.png"
		"$here/kshark-screenshot.sh" "$dir/trace.dat" "$dir/kernelshark.png" ||
			failed+=("kernelshark.png (kshark-screenshot.sh failed)")
	fi
	ls "$dir"
	if [ "${#failed[@]}" -gt 0 ]; then
		for f in "${failed[@]}"; do
			echo "record-demo.sh: could not make $f" >&2
		done
		exit 1
	fi
	check_artefacts "$shot" || exit 1
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
