// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault ring index arithmetic.  The producer and consumer indices are
 * free-running u32 counters: every comparison is a u32 subtraction, which
 * stays right across the wrap at 0xffffffff.  The consumer index comes from
 * memory the user writes, so it is only ever compared against the
 * producer's, never used to address anything; entries are addressed by a
 * masked index, which cannot leave the ring whatever its value.
 */
#include <linux/log2.h>
#include <linux/minmax.h>
#include "index.h"
#include "exports.h"

static_assert(VPM_RING_RECORD_SIZE == 64);
static_assert(PAGE_SIZE % VPM_RING_RECORD_SIZE == 0);
static_assert((VPM_RING_MIN_ENTRIES & (VPM_RING_MIN_ENTRIES - 1)) == 0);
static_assert((VPM_RING_MAX_ENTRIES & (VPM_RING_MAX_ENTRIES - 1)) == 0);

/**
 * vpm_ring_cons_valid() - whether a consumer index lies in the window
 * @prod: the producer index
 * @cons: the consumer index, as read (once) from the user's page
 * @nr_entries: entries in the ring
 *
 * The window is [@prod - @nr_entries, @prod] in u32 arithmetic: the ring
 * holds @prod - @cons records, from 0 (empty) to @nr_entries (full).  A
 * @cons ahead of @prod, or more than @nr_entries behind it, is invalid.
 *
 * Return: true if @cons is valid.
 */
bool vpm_ring_cons_valid(u32 prod, u32 cons, u32 nr_entries)
{
	return prod - cons <= nr_entries;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ring_cons_valid);

/**
 * vpm_ring_space() - free entries seen from a consumer index
 * @prod: the producer index
 * @cons: the consumer index, as read (once) from the user's page
 * @nr_entries: entries in the ring
 *
 * Return: @nr_entries - (@prod - @cons) for a valid @cons; 0 for an
 * invalid one, which the producer treats as a full ring.
 */
u32 vpm_ring_space(u32 prod, u32 cons, u32 nr_entries)
{
	if (!vpm_ring_cons_valid(prod, cons, nr_entries))
		return 0;
	return nr_entries - (prod - cons);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ring_space);

/**
 * vpm_ring_entry_offset() - where the record of a free-running index lives
 * @idx: any index
 * @nr_entries: entries in the ring, a power of two
 *
 * Return: the byte offset of entry (@idx & (@nr_entries - 1)) from the
 * start of the entries; the record there always ends within
 * @nr_entries * VPM_RING_RECORD_SIZE bytes.
 */
size_t vpm_ring_entry_offset(u32 idx, u32 nr_entries)
{
	return (size_t)(idx & (nr_entries - 1)) * VPM_RING_RECORD_SIZE;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ring_entry_offset);

/**
 * vpm_ring_entries_from_param() - the ring size for a module parameter
 * @param: the value of ring_entries, any value
 *
 * Clamped to [VPM_RING_MIN_ENTRIES, VPM_RING_MAX_ENTRIES] (at least one
 * whole page of entries), then rounded up to a power of two.
 *
 * Return: the number of entries, a power of two within those bounds.
 */
u32 vpm_ring_entries_from_param(unsigned int param)
{
	unsigned long entries;

	entries = clamp_t(unsigned long, param, VPM_RING_MIN_ENTRIES,
			  VPM_RING_MAX_ENTRIES);
	return roundup_pow_of_two(entries);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ring_entries_from_param);

/**
 * vpm_ring_nr_pages() - pages of a ring region
 * @nr_entries: entries in the ring, a power of two of at least
 *	VPM_RING_MIN_ENTRIES
 *
 * Return: the header and consumer pages plus the pages of the entries.
 */
unsigned int vpm_ring_nr_pages(u32 nr_entries)
{
	return VPM_RING_ENTRIES_PAGE +
	       (size_t)nr_entries * VPM_RING_RECORD_SIZE / PAGE_SIZE;
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ring_nr_pages);

/**
 * vpm_ring_page_run() - records that can be copied in one piece
 * @idx: the free-running index of the first record
 * @left: records still wanted
 * @nr_entries: entries in the ring, a power of two of at least
 *	VPM_RING_MIN_ENTRIES
 *
 * The entries are separate pages, contiguous only in the user's mapping:
 * a copy out of the kernel's must stop at the end of each page.
 *
 * Return: min(@left, the records from @idx's entry to the end of its page).
 */
u32 vpm_ring_page_run(u32 idx, u32 left, u32 nr_entries)
{
	u32 in_page = (idx & (nr_entries - 1)) % VPM_RING_PER_PAGE;

	return min(left, VPM_RING_PER_PAGE - in_page);
}
EXPORT_SYMBOL_IF_KUNIT(vpm_ring_page_run);
