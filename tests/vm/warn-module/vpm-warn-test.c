// SPDX-License-Identifier: GPL-2.0-only
/*
 * vpm-warn-test: a module whose only job is to WARN when it is loaded.
 *
 * The VM harness's self-test (tests/vm/selftest.sh) loads it to prove that
 * a kernel splat fails a run and is named in its result.  Never load it
 * anywhere else.
 */

#include <linux/bug.h>
#include <linux/module.h>

static int __init vpm_warn_test_init(void)
{
	WARN(1, "vpm-warn-test: deliberate warning for the harness self-test\n");
	return 0;
}

static void __exit vpm_warn_test_exit(void)
{
}

module_init(vpm_warn_test_init);
module_exit(vpm_warn_test_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Warns on load: self-test of the vfio-pci-mmap VM harness");
