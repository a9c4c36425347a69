// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vpm_debugfs: what the debugfs files print (debugfs.c).
 */
#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include "vpm.h"
#include "vpm_kunit.h"

static void vpm_tracker_show_prints_one_line_per_tracked_vma(struct kunit *test)
{
	struct vm_area_struct *mine, *child;
	struct vpm_track_ctx ctx;
	struct seq_file s = {};
	char want[160];
	char *buf, *line2;

	vpm_track_setup(test, &ctx);
	buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	s.buf = buf;
	s.size = PAGE_SIZE;

	mine = vpm_tracked_vma(test, &ctx, VPM_A, 4, 2, 3);
	child = vpm_copy_vma(test, mine);
	child->vm_mm = ctx.other_mm;
	vpm_vma_open(child);
	WRITE_ONCE(vpm_entry(child)->populated, true);
	vpm_entry(child)->faults = 5;

	vpm_tracker_show(&ctx.vpm->tracker, &s);
	kunit_info(test, "%s", buf);
	snprintf(want, sizeof(want),
		 "pid=%d comm=%s region=2 start=0x%lx end=0x%lx pgoff=0x3 state=empty faults=0\n",
		 task_tgid_nr(current), current->comm, VPM_A,
		 VPM_A + 4 * PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, strncmp(buf, want, strlen(want)), 0);
	line2 = buf + strlen(want);
	/* Nobody owns the stand-in child mm. */
	snprintf(want, sizeof(want),
		 "pid=0 comm=? region=2 start=0x%lx end=0x%lx pgoff=0x3 state=populated faults=5\n",
		 VPM_A, VPM_A + 4 * PAGE_SIZE);
	KUNIT_EXPECT_STREQ(test, line2, want);

	/* Once revoked, every mapping shows as revoked. */
	memset(buf, 0, PAGE_SIZE);
	s.count = 0;
	WRITE_ONCE(ctx.vpm->state, VPM_STATE_REVOKED);
	vpm_tracker_show(&ctx.vpm->tracker, &s);
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "state=revoked faults=0\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "state=revoked faults=5\n"));
	KUNIT_EXPECT_NULL(test, strstr(buf, "populated"));

	vpm_vma_close(child);
	vpm_vma_close(mine);
}

static struct kunit_case vpm_debugfs_cases[] = {
	KUNIT_CASE(vpm_tracker_show_prints_one_line_per_tracked_vma),
	{}
};

static struct kunit_suite vpm_debugfs_suite = {
	.name = "vpm_debugfs",
	.test_cases = vpm_debugfs_cases,
};

kunit_test_suite(vpm_debugfs_suite);
