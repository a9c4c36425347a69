// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vpm_ring_record: the fault ring's records
 * (vfio-pci-mmap/ring/record.c): what a producer may hand in, how the ring
 * stamps them, the reason of a refused access, and the debugfs inject
 * line.
 */
#include <kunit/test.h>
#include <linux/limits.h>
#include <linux/prandom.h>
#include <linux/string.h>
#include "vpm.h"
#include "ring/record.h"
#include "ring_helpers.h"

/* ---- records: validation, encoding, reasons ----------------------------------- */

static void vpm_ring_record_valid_matches_the_table(struct kunit *test)
{
	const struct vpm_valid_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, vpm_ring_record_valid(&c->rec), c->valid);
}

static void vpm_ring_record_valid_refuses_no_record(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, vpm_ring_record_valid(NULL));
}

static void vpm_ring_record_encode_stamps_what_the_ring_owns(struct kunit *test)
{
	struct vfio_pci_mmap_fault_record src = vpm_full_record, dst;

	memset(&dst, 0xa5, sizeof(dst));
	vpm_ring_record_encode(&dst, &src, 42, 1000);
	vpm_expect_encoded(test, &dst, &vpm_full_record, 42, 1000);
	/* The producer's record is left as it was. */
	KUNIT_EXPECT_EQ(test, memcmp(&src, &vpm_full_record, sizeof(src)), 0);

	/* The extremes of seq and time go through unchanged. */
	vpm_ring_record_encode(&dst, &src, U64_MAX, 0);
	vpm_expect_encoded(test, &dst, &vpm_full_record, U64_MAX, 0);
}

static void vpm_ring_record_encode_works_in_place(struct kunit *test)
{
	struct vfio_pci_mmap_fault_record r = vpm_full_record;

	vpm_ring_record_encode(&r, &r, 7, 8);
	vpm_expect_encoded(test, &r, &vpm_full_record, 7, 8);
}

struct vpm_reason_case {
	const char *desc;
	enum vpm_state state;
	u16 want;
};

static const struct vpm_reason_case vpm_reason_cases[] = {
	{ "memory disabled", VPM_STATE_MEM_DISABLED,
	  VFIO_PCI_MMAP_REFUSED_MEM_DISABLED },
	{ "low power", VPM_STATE_LOW_POWER, VFIO_PCI_MMAP_REFUSED_LOW_POWER },
	{ "resetting", VPM_STATE_RESETTING, VFIO_PCI_MMAP_REFUSED_RESETTING },
	{ "revoked", VPM_STATE_REVOKED, VFIO_PCI_MMAP_REFUSED_REVOKED },
	{ "enabled refuses nothing: unknown", VPM_STATE_ENABLED,
	  VFIO_PCI_MMAP_REFUSED_UNKNOWN },
	{ "past the last state: unknown", VPM_STATE_NR,
	  VFIO_PCI_MMAP_REFUSED_UNKNOWN },
	{ "far out of range: unknown", (enum vpm_state)0x7fffffff,
	  VFIO_PCI_MMAP_REFUSED_UNKNOWN },
};

KUNIT_ARRAY_PARAM_DESC(vpm_reason, vpm_reason_cases, desc);

static void vpm_ring_refused_reason_matches_the_table(struct kunit *test)
{
	const struct vpm_reason_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, vpm_ring_refused_reason(c->state), c->want);
}

/* ---- the debugfs inject line ----------------------------------------------------- */

#define F_INJ		(VFIO_PCI_MMAP_FAULT_F_INJECTED |		\
			 VFIO_PCI_MMAP_FAULT_F_ADDR_VALID)
#define F_PASID		VFIO_PCI_MMAP_FAULT_F_PASID_VALID
#define F_REGION	VFIO_PCI_MMAP_FAULT_F_REGION_VALID

struct vpm_inject_case {
	const char *desc;
	const char *line;
	int ret;
	u32 count;
	struct vfio_pci_mmap_fault_record rec;
};

static const struct vpm_inject_case vpm_inject_cases[] = {
	{ "the four required numbers", "1 1 0 0x1000", 0, 1,
	  { .type = 1, .addr = 0x1000, .flags = F_INJ } },
	{ "a trailing newline, as echo writes", "3 2 4 4096\n", 0, 3,
	  { .type = 2, .reason = 4, .addr = 4096, .flags = F_INJ } },
	{ "tabs and runs of blanks", "\t 2 \t3  0\t\t077\n", 0, 2,
	  { .type = 3, .addr = 077, .flags = F_INJ } },
	{ "hex and octal counts", "0x10 1 010 0", 0, 16,
	  { .type = 1, .reason = 8, .flags = F_INJ } },
	{ "a leading plus, as kstrtou64 takes it", "+1 1 0 0", 0, 1,
	  { .type = 1, .flags = F_INJ } },
	{ "the largest count", "1048576 1 0 0", 0, 1048576,
	  { .type = 1, .flags = F_INJ } },
	{ "the largest reason", "1 1 65535 0", 0, 1,
	  { .type = 1, .reason = 65535, .flags = F_INJ } },
	{ "the largest address", "1 1 0 0xffffffffffffffff", 0, 1,
	  { .type = 1, .addr = U64_MAX, .flags = F_INJ } },
	{ "a pasid sets PASID_VALID", "1 1 0 0 4294967295", 0, 1,
	  { .type = 1, .pasid = U32_MAX, .flags = F_INJ | F_PASID } },
	{ "every perm bit", "1 1 0 0 0 15", 0, 1,
	  { .type = 1, .perm = 15, .flags = F_INJ | F_PASID } },
	{ "a region and its offset set REGION_VALID",
	  "1 2 1 0 7 3 0xffffffff 0xffffffffffffffff", 0, 1,
	  { .type = 2, .reason = 1, .pasid = 7, .perm = 3,
	    .region_index = U32_MAX, .region_offset = U64_MAX,
	    .flags = F_INJ | F_PASID | F_REGION } },
	{ "empty", "", -EINVAL },
	{ "only blanks", " \t\n ", -EINVAL },
	{ "three numbers", "1 1 0", -EINVAL },
	{ "a zero count", "0 1 0 0", -EINVAL },
	{ "a count past the largest", "1048577 1 0 0", -EINVAL },
	{ "a count past 32 bits", "4294967297 1 0 0", -EINVAL },
	{ "the largest u64 count", "18446744073709551615 1 0 0", -EINVAL },
	{ "a count overflowing 64 bits", "18446744073709551616 1 0 0",
	  -EINVAL },
	{ "a hundred-digit count",
	  "1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000 1 0 0",
	  -EINVAL },
	{ "a negative count", "-1 1 0 0", -EINVAL },
	{ "a negative type", "1 -1 0 0", -EINVAL },
	{ "a negative address", "1 1 0 -4096", -EINVAL },
	{ "type 0", "1 0 0 0", -EINVAL },
	{ "a type past the last", "1 4 0 0", -EINVAL },
	{ "a reason past 16 bits", "1 1 65536 0", -EINVAL },
	{ "a pasid past 32 bits", "1 1 0 0 4294967296", -EINVAL },
	{ "an unknown perm bit", "1 1 0 0 0 16", -EINVAL },
	{ "a region without its offset", "1 1 0 0 0 0 7", -EINVAL },
	{ "a region past 32 bits", "1 1 0 0 0 0 0x100000000 0", -EINVAL },
	{ "nine numbers", "1 1 0 0 0 0 0 0 0", -EINVAL },
	{ "trailing garbage in a number", "1 1 0 0x1000zz", -EINVAL },
	{ "a trailing word", "1 1 0 0x1000 junk", -EINVAL },
	{ "a bare 0x", "1 1 0 0x", -EINVAL },
	{ "commas", "1,1,0,0", -EINVAL },
	{ "a digit that is not octal", "1 1 0 08", -EINVAL },
};

KUNIT_ARRAY_PARAM_DESC(vpm_inject, vpm_inject_cases, desc);

static void vpm_ring_parse_inject_matches_the_table(struct kunit *test)
{
	const struct vpm_inject_case *c = test->param_value;
	struct vfio_pci_mmap_fault_record r, before;
	char *line = kunit_kstrdup(test, c->line, GFP_KERNEL);
	u32 count = 0xdeadbeef;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, line);
	/* As debugfs does, from a zeroed record. */
	memset(&r, 0, sizeof(r));
	if (c->ret)
		memset(&r, 0x5a, sizeof(r));
	before = r;
	ret = vpm_ring_parse_inject(line, &count, &r);
	KUNIT_ASSERT_EQ(test, ret, c->ret);
	if (ret) {
		KUNIT_EXPECT_EQ(test, count, 0xdeadbeef);
		KUNIT_EXPECT_EQ(test, memcmp(&r, &before, sizeof(r)), 0);
		return;
	}
	KUNIT_EXPECT_EQ(test, count, c->count);
	KUNIT_EXPECT_EQ(test, r.type, c->rec.type);
	KUNIT_EXPECT_EQ(test, r.reason, c->rec.reason);
	KUNIT_EXPECT_EQ(test, r.addr, c->rec.addr);
	KUNIT_EXPECT_EQ(test, r.flags, c->rec.flags);
	KUNIT_EXPECT_EQ(test, r.pasid, c->rec.pasid);
	KUNIT_EXPECT_EQ(test, r.perm, c->rec.perm);
	KUNIT_EXPECT_EQ(test, r.region_index, c->rec.region_index);
	KUNIT_EXPECT_EQ(test, r.region_offset, c->rec.region_offset);
	/* Nothing the ring stamps is touched. */
	KUNIT_EXPECT_EQ(test, r.version, 0);
	KUNIT_EXPECT_EQ(test, r.seq, 0ULL);
	KUNIT_EXPECT_EQ(test, r.reserved, 0ULL);
}

/*
 * Random lines of 0 to 9 words, each an edge of some field's range, a
 * malformed number or random digits, between random blanks: whatever the
 * parser accepts is a record vfio_pci_mmap_report_fault() would accept
 * too, once the INJECTED flag is taken off, with a count the inject path
 * allows.
 */
static void vpm_ring_parse_inject_survives_random_lines(struct kunit *test)
{
	static const char * const words[] = {
		"0", "1", "2", "3", "4", "7", "15", "16", "65535", "65536",
		"0x10", "010", "08", "+1", "-1", "1048576", "1048577",
		"4294967295", "4294967296", "18446744073709551615",
		"18446744073709551616", "0x", "x1", "1a", "zz", "0xffffffffff",
	};
	static const char * const blanks[] = { " ", "\t", "  ", "\n", "\t\n " };
	unsigned int iter, nwords, w, len, accepted = 0;
	struct rnd_state rnd;
	char *line;

	line = kunit_kmalloc(test, 160, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, line);
	prandom_seed_state(&rnd, 0x696e6a);
	for (iter = 0; iter < 20000; iter++) {
		struct vfio_pci_mmap_fault_record r = {};
		u32 count = 0;

		nwords = prandom_u32_state(&rnd) % 10;
		len = 0;
		for (w = 0; w < nwords; w++) {
			u32 x = prandom_u32_state(&rnd);
			char digits[24];
			const char *word = words[x % ARRAY_SIZE(words)];

			if (x % 7 == 0) {
				snprintf(digits, sizeof(digits), "%u",
					 prandom_u32_state(&rnd) >> (x % 32));
				word = digits;
			}
			len += scnprintf(line + len, 160 - len, "%s%s",
					 blanks[(x >> 8) % ARRAY_SIZE(blanks)],
					 word);
		}
		line[len] = '\0';
		if (vpm_ring_parse_inject(line, &count, &r))
			continue;
		accepted++;
		KUNIT_EXPECT_GE(test, count, 1U);
		KUNIT_EXPECT_LE(test, count, VPM_RING_INJECT_MAX);
		KUNIT_EXPECT_TRUE(test, r.flags & VFIO_PCI_MMAP_FAULT_F_INJECTED);
		r.flags &= ~VFIO_PCI_MMAP_FAULT_F_INJECTED;
		KUNIT_EXPECT_TRUE_MSG(test, vpm_ring_record_valid(&r),
				      "iteration %u", iter);
	}
	kunit_info(test, "%u of 20000 random lines accepted", accepted);
	KUNIT_EXPECT_GT(test, accepted, 0U);
}

static struct kunit_case vpm_ring_record_test_cases[] = {
	KUNIT_CASE_PARAM(vpm_ring_record_valid_matches_the_table,
			 vpm_ring_valid_case_params),
	KUNIT_CASE(vpm_ring_record_valid_refuses_no_record),
	KUNIT_CASE(vpm_ring_record_encode_stamps_what_the_ring_owns),
	KUNIT_CASE(vpm_ring_record_encode_works_in_place),
	KUNIT_CASE_PARAM(vpm_ring_refused_reason_matches_the_table,
			 vpm_reason_gen_params),
	KUNIT_CASE_PARAM(vpm_ring_parse_inject_matches_the_table,
			 vpm_inject_gen_params),
	KUNIT_CASE(vpm_ring_parse_inject_survives_random_lines),
	{}
};

static struct kunit_suite vpm_ring_record_suite = {
	.name = "vpm_ring_record",
	.test_cases = vpm_ring_record_test_cases,
};

kunit_test_suite(vpm_ring_record_suite);
