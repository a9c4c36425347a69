// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault ring records.  A record reaches the ring from kernel code
 * (vfio_pci_mmap_report_fault(), validated here), from the driver's own
 * fault and reset paths, or from a line written to debugfs (parsed here).
 * Whatever its origin, the ring stamps the fields it owns (version, size,
 * seq, timestamp, reserved) as it writes the entry: nothing the producer
 * put there reaches the user.
 */
#include <linux/kernel.h>
#include <linux/kstrtox.h>
#include <linux/limits.h>
#include <linux/string.h>
#include "vpm.h"
#include "record.h"
#include "exports.h"

/**
 * vpm_ring_record_valid() - whether a caller's record may be produced
 * @rec: the record, or NULL
 *
 * The ABI fields a caller fills must hold values the ABI defines: a type
 * from 1 to VFIO_PCI_MMAP_FAULT_TYPE_MAX, only the flags of
 * VPM_RECORD_FLAGS (VFIO_PCI_MMAP_FAULT_F_INJECTED is the ring's own) and
 * only the perm bits of VPM_RECORD_PERMS.  The fields the ring stamps are
 * not looked at.
 *
 * Return: true if @rec is valid; false for NULL.
 */
bool vpm_ring_record_valid(const struct vfio_pci_mmap_fault_record *rec)
{
	return rec && rec->type && rec->type <= VFIO_PCI_MMAP_FAULT_TYPE_MAX &&
	       !(rec->flags & ~VPM_RECORD_FLAGS) &&
	       !(rec->perm & ~VPM_RECORD_PERMS);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ring_record_valid);

/**
 * vpm_ring_record_encode() - write a record as the ring publishes it
 * @dst: the entry
 * @src: the producer's record; its version, size, seq, timestamp_ns and
 *	reserved are ignored
 * @seq: the record's sequence number
 * @timestamp_ns: when it was produced (CLOCK_MONOTONIC)
 *
 * @dst may be @src.
 */
void vpm_ring_record_encode(struct vfio_pci_mmap_fault_record *dst,
			    const struct vfio_pci_mmap_fault_record *src,
			    u64 seq, u64 timestamp_ns)
{
	*dst = *src;
	dst->version = VFIO_PCI_MMAP_FAULT_RECORD_VERSION;
	dst->size = sizeof(*dst);
	dst->seq = seq;
	dst->timestamp_ns = timestamp_ns;
	dst->reserved = 0;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ring_record_encode);

/**
 * vpm_ring_refused_reason() - the reason of a refused-access record
 * @state: the state that refused the access
 *
 * Return: the VFIO_PCI_MMAP_REFUSED_* of @state; _UNKNOWN for a state
 * that does not refuse (enabled) or is out of range.
 */
u16 vpm_ring_refused_reason(enum vpm_state state)
{
	switch (state) {
	case VPM_STATE_MEM_DISABLED:
		return VFIO_PCI_MMAP_REFUSED_MEM_DISABLED;
	case VPM_STATE_LOW_POWER:
		return VFIO_PCI_MMAP_REFUSED_LOW_POWER;
	case VPM_STATE_RESETTING:
		return VFIO_PCI_MMAP_REFUSED_RESETTING;
	case VPM_STATE_REVOKED:
		return VFIO_PCI_MMAP_REFUSED_REVOKED;
	default:
		return VFIO_PCI_MMAP_REFUSED_UNKNOWN;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ring_refused_reason);

/**
 * vpm_ring_parse_inject() - parse one debugfs inject line
 * @line: "count type reason addr [pasid [perm [region offset]]]", numbers
 *	in C notation (0x... for hex), separated by spaces, tabs or
 *	newlines; modified (split in place)
 * @count: output, the number of records, 1 to VPM_RING_INJECT_MAX
 * @r: output, the record; only the fields the line describes are set
 *
 * Record i of the line gets addr + i (the producer's business).
 * PASID_VALID is set when pasid is given, REGION_VALID when region and
 * offset are; INJECTED and ADDR_VALID always.  Each number must fit its
 * field: type 1 to VFIO_PCI_MMAP_FAULT_TYPE_MAX, reason 16 bits, pasid and
 * region 32 bits, perm only VPM_RECORD_PERMS bits.
 *
 * Return: 0; -EINVAL for anything else (a word that is not a whole
 * number, a number out of range, too few or too many words, a region
 * without its offset), in which case *@count and *@r are untouched.
 */
int vpm_ring_parse_inject(char *line, u32 *count,
			  struct vfio_pci_mmap_fault_record *r)
{
	u64 v[8];
	char *tok;
	int n = 0;

	while ((tok = strsep(&line, " \t\n")) != NULL) {
		if (!*tok)
			continue;
		if (n == ARRAY_SIZE(v) || kstrtou64(tok, 0, &v[n]))
			return -EINVAL;
		n++;
	}
	if (n < 4 || n == 7)
		return -EINVAL;
	if (!v[0] || v[0] > VPM_RING_INJECT_MAX || !v[1] ||
	    v[1] > VFIO_PCI_MMAP_FAULT_TYPE_MAX || v[2] > U16_MAX ||
	    (n > 4 && v[4] > U32_MAX) || (n > 5 && (v[5] & ~VPM_RECORD_PERMS)) ||
	    (n > 6 && v[6] > U32_MAX))
		return -EINVAL;

	*count = v[0];
	r->type = v[1];
	r->reason = v[2];
	r->addr = v[3];
	r->flags = VFIO_PCI_MMAP_FAULT_F_INJECTED |
		   VFIO_PCI_MMAP_FAULT_F_ADDR_VALID;
	if (n > 4) {
		r->pasid = v[4];
		r->flags |= VFIO_PCI_MMAP_FAULT_F_PASID_VALID;
	}
	if (n > 5)
		r->perm = v[5];
	if (n > 6) {
		r->region_index = v[6];
		r->region_offset = v[7];
		r->flags |= VFIO_PCI_MMAP_FAULT_F_REGION_VALID;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ring_parse_inject);
