// SPDX-License-Identifier: GPL-2.0-only
/*
 * debugfs: /sys/kernel/debug/vfio-pci-mmap/<BDF>/
 *   mappings  one line per tracked vma
 *   state     the device's state
 *   refused   BAR accesses refused with SIGBUS since the device was bound
 * Root only (0400).
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include "vpm.h"

static struct dentry *vpm_debugfs_root;

static int vpm_mappings_show(struct seq_file *s, void *unused)
{
	struct vpm_device *vpm = s->private;

	vpm_tracker_show(&vpm->tracker, s);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vpm_mappings);

static int vpm_state_show(struct seq_file *s, void *unused)
{
	struct vpm_device *vpm = s->private;

	seq_printf(s, "%s\n", vpm_state_name(READ_ONCE(vpm->state)));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vpm_state);

static int vpm_refused_show(struct seq_file *s, void *unused)
{
	struct vpm_device *vpm = s->private;

	seq_printf(s, "%ld\n", atomic_long_read(&vpm->refused));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vpm_refused);

/**
 * vpm_debugfs_init() - create the module's debugfs directory
 */
void vpm_debugfs_init(void)
{
	vpm_debugfs_root = debugfs_create_dir("vfio-pci-mmap", NULL);
}

/**
 * vpm_debugfs_exit() - remove the module's debugfs directory
 */
void vpm_debugfs_exit(void)
{
	debugfs_remove_recursive(vpm_debugfs_root);
}

/**
 * vpm_debugfs_add() - create a device's directory and files
 * @vpm: the device
 */
void vpm_debugfs_add(struct vpm_device *vpm)
{
	vpm->debugfs = debugfs_create_dir(vpm_name(vpm), vpm_debugfs_root);
	debugfs_create_file("mappings", 0400, vpm->debugfs, vpm,
			    &vpm_mappings_fops);
	debugfs_create_file("state", 0400, vpm->debugfs, vpm,
			    &vpm_state_fops);
	debugfs_create_file("refused", 0400, vpm->debugfs, vpm,
			    &vpm_refused_fops);
}

/**
 * vpm_debugfs_remove() - remove a device's directory
 * @vpm: the device
 */
void vpm_debugfs_remove(struct vpm_device *vpm)
{
	debugfs_remove_recursive(vpm->debugfs);
	vpm->debugfs = NULL;
}
