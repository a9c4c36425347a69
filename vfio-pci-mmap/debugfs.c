// SPDX-License-Identifier: GPL-2.0-only
/*
 * debugfs: /sys/kernel/debug/vfio-pci-mmap/<BDF>/
 *   mappings  one line per tracked vma
 *   state     the device's state
 *   refused   BAR accesses refused with SIGBUS since the device was bound
 *   blocked   BAR faults that waited for a reset window since then
 *   policy    what accesses get in each state that cannot reach the device
 *   hold_window  (0200) a test hook: write 1 to open a reset window that no
 *             reset closes, 0 to close it (vpm_window_hold())
 *   inject    (0200) writes produce fault ring records, for tests
 *   ring      the fault ring's indices and counters
 * Root only (0400 unless said).  The fault ring's files work only while the
 * device is open (-ENODEV, "closed" otherwise): the ring is looked up at
 * every access, so they never outlive it.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kstrtox.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include "vpm.h"
#include "fault_ring.h"
#include "ring/record.h"
#include "exports.h"

static struct dentry *vpm_debugfs_root;

/* The process owning @mm, by scan: mm->owner exists only with MEMCG. */
static void vpm_mm_owner(struct mm_struct *mm, pid_t *pid, char *comm)
{
	struct task_struct *p;

	*pid = 0;
	strscpy(comm, "?", TASK_COMM_LEN);
	rcu_read_lock();
	for_each_process(p) {
		if (READ_ONCE(p->mm) == mm) {
			*pid = task_tgid_nr(p);
			strscpy(comm, p->comm, TASK_COMM_LEN);
			break;
		}
	}
	rcu_read_unlock();
}

/**
 * vpm_tracker_show() - print one line per tracked vma
 * @t: the tracker
 * @s: the seq_file of debugfs "mappings"
 *
 * The vma fields are read without the owning mm's mmap_lock: a line is a
 * snapshot, exact whenever no mmap/munmap/mremap runs concurrently.
 */
void vpm_tracker_show(struct vpm_tracker *t, struct seq_file *s)
{
	struct vpm_device *vpm = container_of(t, struct vpm_device, tracker);
	char comm[TASK_COMM_LEN];
	struct vpm_mapping *m;
	pid_t pid;

	mutex_lock(&t->lock);
	list_for_each_entry(m, &t->list, link) {
		vpm_mm_owner(m->mm, &pid, comm);
		seq_printf(s,
			   "pid=%d comm=%s region=%u start=0x%lx end=0x%lx pgoff=0x%llx state=%s faults=%lu\n",
			   pid, comm, m->region, READ_ONCE(m->vma->vm_start),
			   READ_ONCE(m->vma->vm_end),
			   vpm_vma_region_pgoff(m->vma),
			   vpm_revoked(vpm) ? "revoked" :
			   READ_ONCE(m->populated) ? "populated" : "empty",
			   READ_ONCE(m->faults));
	}
	mutex_unlock(&t->lock);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_tracker_show);

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

/* A counter of the device: the file's private data is the atomic_long_t. */
static int vpm_counter_show(struct seq_file *s, void *unused)
{
	seq_printf(s, "%ld\n", atomic_long_read(s->private));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vpm_counter);

static int vpm_policy_dbg_show(struct seq_file *s, void *unused)
{
	vpm_policy_show(s->private, s);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vpm_policy_dbg);

static ssize_t vpm_hold_window_write(struct file *file,
				     const char __user *ubuf, size_t count,
				     loff_t *ppos)
{
	struct vpm_device *vpm = file_inode(file)->i_private;
	bool hold;
	int ret;

	ret = kstrtobool_from_user(ubuf, count, &hold);
	if (ret)
		return ret;
	vpm_window_hold(vpm, hold);
	return count;
}

static const struct file_operations vpm_hold_window_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= vpm_hold_window_write,
	.llseek	= noop_llseek,
};

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
	debugfs_create_file("refused", 0400, vpm->debugfs, &vpm->refused,
			    &vpm_counter_fops);
	debugfs_create_file("blocked", 0400, vpm->debugfs, &vpm->blocked,
			    &vpm_counter_fops);
	debugfs_create_file("policy", 0400, vpm->debugfs, vpm,
			    &vpm_policy_dbg_fops);
	debugfs_create_file("hold_window", 0200, vpm->debugfs, vpm,
			    &vpm_hold_window_fops);
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
