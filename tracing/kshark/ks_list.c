// SPDX-License-Identifier: GPL-2.0-only
/*
 * Print KernelShark's list text (the Info column) of every vfio_pci_mmap
 * event of a trace, with this project's KernelShark plugin loaded, the way
 * KernelShark's list shows it: a check that the plugin loads and works in
 * libkshark, without a display.
 *
 *   ks-list TRACE.DAT PLUGIN.SO
 *
 * One line per event: "EVENT INFO".  Exits nonzero if the trace or the
 * plugin cannot be loaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkshark.h"
#include "libkshark-plugin.h"

int main(int argc, char **argv)
{
	struct kshark_context *ctx = NULL;
	struct kshark_entry **rows = NULL;
	struct kshark_plugin_list *plugin;
	struct kshark_data_stream *stream;
	ssize_t n, i;
	int sd;

	if (argc != 3) {
		fprintf(stderr, "usage: ks-list TRACE.DAT PLUGIN.SO\n");
		return 2;
	}
	if (!kshark_instance(&ctx))
		return 1;
	plugin = kshark_register_plugin(ctx, "vfio_pci_mmap", argv[2]);
	if (!plugin || !plugin->process_interface) {
		fprintf(stderr, "ks-list: cannot load the plugin %s\n", argv[2]);
		return 1;
	}
	sd = kshark_open(ctx, argv[1]);
	if (sd < 0) {
		fprintf(stderr, "ks-list: cannot open %s\n", argv[1]);
		return 1;
	}
	stream = kshark_get_data_stream(ctx, sd);
	kshark_register_plugin_to_stream(stream, plugin->process_interface, true);
	kshark_handle_all_dpis(stream, KSHARK_PLUGIN_INIT);
	n = kshark_load_entries(ctx, sd, &rows);
	if (n < 0) {
		fprintf(stderr, "ks-list: cannot load the entries of %s\n", argv[1]);
		return 1;
	}
	for (i = 0; i < n; i++) {
		char *event = kshark_get_event_name(rows[i]);

		if (event && !strncmp(event, "vfio_pci_mmap/", 14)) {
			char *info = kshark_get_info(rows[i]);

			printf("%s %s\n", event + 14, info ? info : "");
			free(info);
		}
		free(event);
	}
	/* Only now: the plugin keeps pointers to the entries. */
	for (i = 0; i < n; i++)
		free(rows[i]);
	free(rows);
	kshark_free(ctx);
	return 0;
}
