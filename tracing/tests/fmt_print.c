// SPDX-License-Identifier: GPL-2.0-only
/*
 * fmt_print: print one synthesized event the way trace-cmd report would,
 * from the event formats the kernel exported, without tracing anything.
 * Used by tracing/tests/selftest.sh on the host (where ftrace is not
 * available) to check the formats and the libtraceevent plugin.
 *
 *   fmt_print FORMATS EVENT [FIELD=VALUE...]
 *
 * FORMATS is the text of the events' tracefs "format" files, one after the
 * other (tests/guest/trace-suite.sh saves them as $OUT/trace/event-formats).
 * Numeric fields take C numbers; the "dev" string field takes a string.
 * Records get timestamps 1 s apart in the order of the lines read from
 * standard input with -: each line is "EVENT FIELD=VALUE...", and one line
 * is printed per record (so the plugin sees a stream, as in a report).
 * With TRACEEVENT_PLUGIN_DIR set, plugins are loaded from there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <traceevent/event-parse.h>
#include <traceevent/trace-seq.h>

static struct tep_handle *tep;

static void load_formats(const char *path)
{
	static char buf[1 << 20];
	char *p, *next;
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		exit(2);
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* One format starts at each "name: " at the start of a line. */
	for (p = strstr(buf, "name: "); p; p = next) {
		struct tep_event *ev;

		next = strstr(p + 1, "\nname: ");
		if (next)
			*next++ = '\0';
		if (tep_parse_format(tep, &ev, p, strlen(p), "vfio_pci_mmap")) {
			fprintf(stderr, "cannot parse the format at: %.40s\n", p);
			exit(2);
		}
	}
}

static int print_record(char *line, unsigned long long ts)
{
	static unsigned char data[4096];
	struct tep_record rec = { 0 };
	struct tep_event *ev;
	struct trace_seq s;
	char *tok, *save = NULL;
	int size = 64, str_off = 256;

	tok = strtok_r(line, " \t\n", &save);
	if (!tok)
		return 0;
	ev = tep_find_event_by_name(tep, "vfio_pci_mmap", tok);
	if (!ev) {
		fprintf(stderr, "no event %s\n", tok);
		return 1;
	}
	memset(data, 0, sizeof(data));
	*(unsigned short *)data = ev->id;
	while ((tok = strtok_r(NULL, " \t\n", &save))) {
		char *eq = strchr(tok, '=');
		struct tep_format_field *f;

		if (!eq) {
			fprintf(stderr, "not FIELD=VALUE: %s\n", tok);
			return 1;
		}
		*eq++ = '\0';
		f = tep_find_field(ev, tok);
		if (!f) {
			fprintf(stderr, "%s has no field %s\n", ev->name, tok);
			return 1;
		}
		if (f->flags & TEP_FIELD_IS_DYNAMIC) {
			/* __data_loc: offset in the low half, length high. */
			unsigned int len = strlen(eq) + 1;
			unsigned int loc = str_off | (len << 16);

			memcpy(data + str_off, eq, len);
			memcpy(data + f->offset, &loc, sizeof(loc));
			str_off += len;
			if (str_off > size)
				size = str_off;
		} else {
			unsigned long long v = strtoull(eq, NULL, 0);

			memcpy(data + f->offset, &v, f->size);
		}
	}
	rec.data = data;
	rec.size = size;
	rec.ts = ts;
	rec.offset = ts;
	trace_seq_init(&s);
	tep_print_event(tep, &s, &rec, "%s: %s", TEP_PRINT_NAME,
			TEP_PRINT_INFO);
	trace_seq_terminate(&s);
	printf("%s\n", s.buffer);
	trace_seq_destroy(&s);
	return 0;
}

int main(int argc, char **argv)
{
	char line[1024];
	unsigned long long ts = 1000000000ULL;
	int i, ret = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: fmt_print FORMATS EVENT [FIELD=VALUE...] | FORMATS -\n");
		return 2;
	}
	tep = tep_alloc();
	tep_set_long_size(tep, 8);
	tep_set_page_size(tep, 4096);
	tep_set_file_bigendian(tep, TEP_LITTLE_ENDIAN);
	tep_set_local_bigendian(tep, TEP_LITTLE_ENDIAN);
	if (getenv("TRACEEVENT_PLUGIN_DIR"))
		tep_load_plugins(tep);
	load_formats(argv[1]);

	if (!strcmp(argv[2], "-")) {
		while (fgets(line, sizeof(line), stdin)) {
			ret |= print_record(line, ts);
			ts += 1000000000ULL;
		}
		return ret;
	}
	line[0] = '\0';
	for (i = 2; i < argc; i++) {
		strncat(line, argv[i], sizeof(line) - strlen(line) - 2);
		strcat(line, " ");
	}
	return print_record(line, ts);
}
