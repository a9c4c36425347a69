// SPDX-License-Identifier: GPL-2.0-only
/*
 * debugfs: /sys/kernel/debug/vfio-pci-mmap/<BDF>/
 *   mappings  one line per tracked vma
 *   state     the device's state
 *   refused   BAR accesses refused with SIGBUS since the device was bound
 *   inject    (0200) writes produce fault ring records, for tests
 *   ring      the fault ring's indices and counters
 * Root only (0400 unless said).  The fault ring's files work only while the
 * device is open (-ENODEV, "closed" otherwise): the ring is looked up at
 * every access, so they never outlive it.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include "vpm.h"
#include "fault_ring.h"
#include "ring/record.h"

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

static ssize_t vpm_ring_inject_write(struct file *file,
				     const char __user *ubuf, size_t len,
				     loff_t *ppos)
{
	struct vpm_device *vpm = file->private_data;
	struct vfio_pci_mmap_fault_record r = {};
	char buf[160];
	u32 count;
	int ret;

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	ret = vpm_ring_parse_inject(buf, &count, &r);
	if (ret)
		return ret;
	ret = vpm_ring_inject(vpm, &r, count);
	return ret ? ret : len;
}

static const struct file_operations vpm_ring_inject_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= vpm_ring_inject_write,
};

static int vpm_ring_status_show(struct seq_file *s, void *unused)
{
	struct vpm_device *vpm = s->private;
	struct vpm_ring_stats st;

	if (!vpm_ring_stats(vpm, &st)) {
		seq_puts(s, "closed\n");
		return 0;
	}
	seq_printf(s,
		   "index=%u entries=%u prod=%u cons=%u produced=%llu lost=%llu invalid_cons=%llu seq=%llu flags=0x%x eventfd=%d\n",
		   st.index, st.nr_entries, st.prod, st.cons, st.produced,
		   st.lost, st.invalid, st.seq, st.flags, st.eventfd);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vpm_ring_status);

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
	debugfs_create_file("inject", 0200, vpm->debugfs, vpm,
			    &vpm_ring_inject_fops);
	debugfs_create_file("ring", 0400, vpm->debugfs, vpm,
			    &vpm_ring_status_fops);
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
