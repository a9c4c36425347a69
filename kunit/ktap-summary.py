#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turn KUnit's KTAP output into PASS/FAIL lines and "N passed, N failed".

    kunit/ktap-summary.py [--prefix P] [--results FILE] [FILE...]

Reads KTAP from each FILE (or stdin): the kernel log (dmesg, with or
without printk timestamps and levels, other kernel messages interleaved)
or /sys/kernel/debug/kunit/<suite>/results.  Each FILE is parsed on its own.

Prints one line per leaf test -- a test case, or one parameter of a
parameterized case:

    PASS <suite>.<case>
    PASS <suite>.<case>/<parameter description>
    FAIL <suite>.<case> -- <first failed expectation or the reason>
    SKIP <suite>.<case> -- <reason>

then, as its last line, "N passed, N failed" (", N skipped" appended when
tests were skipped), the format of tests/vm/run.sh and tests/check.sh.
A suite or case that announced more tests (its "1..N" plan) than it
reported, or that never reported its own result (a crash in the middle),
adds a FAIL line.  With --results, the PASS/FAIL/SKIP lines (each name
prefixed with P) are also appended to FILE.

Exit status: 0 if at least one test ran and none failed, 1 otherwise.
Only the Python 3 standard library is used.
"""

import argparse
import re
import sys

INDENT = 4
# printk prefixes: "<6>", "[   12.345678] ", "[   12.345678][    T1] "
LOG_PREFIX = re.compile(r'^(<\d+>)?(\[[^\]]*\]\s?)*')
RESULT = re.compile(r'^(not ok|ok)\s+(\d+)\s*(?:-\s+)?(.*)$')
SUBTEST = re.compile(r'^#\s*Subtest:\s*(.*)$')
PLAN = re.compile(r'^1\.\.(\d+)')
FAILED_AT = re.compile(r'((?:EXPECTATION|ASSERTION) FAILED at \S+)')


class Node:
    def __init__(self, name, ok, directive, detail):
        self.name = name
        self.ok = ok
        self.directive = directive
        self.detail = detail
        self.children = []


def strip_log_prefix(line):
    line = line.rstrip('\r\n')
    return LOG_PREFIX.sub('', line, count=1) if line.startswith(('<', '[')) \
        else line


def parse(lines):
    """Return (top-level nodes, problems) of one KTAP stream."""
    pending = {}     # level -> results seen at that level, not yet adopted
    plans = {}       # level -> announced number of tests at that level
    names = {}       # level -> name of the subtest whose results are there
    failed_at = ''   # first failure location since the last result
    problems = []
    started = False

    for raw in lines:
        line = strip_log_prefix(raw)
        body = line.lstrip(' ')
        level = (len(line) - len(body)) // INDENT
        if body.startswith(('KTAP version', 'TAP version')):
            started = True
            continue
        if not started:
            continue
        m = SUBTEST.match(body)
        if m:
            names[level] = m.group(1).strip()
            pending[level] = []
            plans.pop(level, None)
            continue
        m = PLAN.match(body)
        if m:
            plans[level] = int(m.group(1))
            continue
        if body.startswith('#'):
            f = FAILED_AT.search(body)
            if f and not failed_at:
                failed_at = f.group(1)
            continue
        m = RESULT.match(body)
        if not m:
            continue
        desc, _, directive = m.group(3).partition(' # ')
        node = Node(desc.strip(), m.group(1) == 'ok', directive.strip(),
                    failed_at)
        failed_at = ''
        node.children = pending.pop(level + 1, [])
        plan = plans.pop(level + 1, None)
        if plan is not None and plan != len(node.children):
            problems.append((node.name, 'announced %d tests, reported %d' %
                             (plan, len(node.children))))
        names.pop(level + 1, None)
        pending.setdefault(level, []).append(node)

    # Subtests that never reported their own result: the kernel crashed or
    # the test module stopped in the middle.
    for level in sorted(pending, reverse=True):
        if level == 0:
            continue
        kids = pending[level]
        name = names.get(level, '(unnamed)')
        plan = plans.get(level)
        why = 'did not finish after %d of %s tests (crash or timeout?)' % (
            len(kids), plan if plan is not None else '?')
        parent = Node(name, False, '', why)
        parent.children = kids
        pending.setdefault(level - 1, []).append(parent)
    top = pending.get(0, [])
    if plans.get(0) is not None and plans[0] != len(top):
        problems.append(('(top level)', 'announced %d suites, reported %d' %
                         (plans[0], len(top))))
    return top, problems, started


def leaves(node, path, depth=0):
    """Yield (name, status, detail) for each leaf below node.

    Names are suite.case and suite.case/parameter.
    """
    if not node.children:
        if node.directive.upper().startswith('SKIP'):
            yield path, 'SKIP', node.directive[4:].strip()
        elif node.ok:
            yield path, 'PASS', ''
        else:
            yield path, 'FAIL', node.detail or 'failed'
        return
    for child in node.children:
        sep = '.' if depth == 0 else '/'
        yield from leaves(child, path + sep + child.name, depth + 1)
    # A parent that failed although every child passed or skipped
    # (suite init or exit failed, a child missing) is a failure too.
    if not node.ok and not node.directive.upper().startswith('SKIP') and \
            all(c.ok for c in node.children):
        yield path, 'FAIL', node.detail or 'failed outside its test cases'


def main():
    ap = argparse.ArgumentParser(
        description='KTAP to PASS/FAIL lines and "N passed, N failed"')
    ap.add_argument('--prefix', default='', help='prefix of every test name')
    ap.add_argument('--results', help='also append the lines to this file')
    ap.add_argument('files', nargs='*', help='KTAP files (default: stdin)')
    args = ap.parse_args()

    streams = []
    if args.files:
        for f in args.files:
            with open(f, errors='replace') as fh:
                streams.append((f, fh.readlines()))
    else:
        streams.append(('<stdin>', sys.stdin.readlines()))

    out = []
    for src, lines in streams:
        top, problems, started = parse(lines)
        if not started:
            out.append(('FAIL', src, 'no KTAP output'))
            continue
        for suite in top:
            for name, status, detail in leaves(suite, suite.name):
                out.append((status, name, detail))
        for name, why in problems:
            out.append(('FAIL', name, why))

    counts = {'PASS': 0, 'FAIL': 0, 'SKIP': 0}
    text = []
    for status, name, detail in out:
        counts[status] += 1
        line = '%s %s%s' % (status, args.prefix, name)
        if detail:
            line += ' -- ' + detail
        text.append(line)
    if args.results:
        with open(args.results, 'a') as fh:
            for line in text:
                fh.write(line + '\n')
    for line in text:
        print(line)
    summary = '%d passed, %d failed' % (counts['PASS'], counts['FAIL'])
    if counts['SKIP']:
        summary += ', %d skipped' % counts['SKIP']
    print(summary)
    return 0 if counts['PASS'] and not counts['FAIL'] else 1


if __name__ == '__main__':
    sys.exit(main())
