// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_policy_kill: with resetting=block, a fault on a BAR mapping inside
 * a reset window waits for the window; the wait is killable and bounded
 * by block_timeout_ms.
 *
 * The window is held open through debugfs hold_window (a reset that never
 * ends).  A forked child touches the mapped BAR0 and reports when it got
 * there and what the touch returned.
 *   1. The window closes 300 ms after the touch: the child was still
 *      waiting, then read edu's identification.
 *   2. The window stays open: after 300 ms the child has not exited; a
 *      SIGKILL ends it, reaped within 1 s.
 *   3. block_timeout_ms=400 (SET through the feature): the child's touch
 *      gets SIGBUS 350 ms to 3 s after the window opened, and debugfs
 *      "refused" counts it.
 *   4. hold_window=0: a touch in the parent reads the identification.
 * The window is closed on every way out, failures and SIGTERM included.
 *
 *   mmap_policy_kill [--driver D] [--bdf BDF]      (as root)
 * Device: edu (EDU_BDF), BAR0.
 */
#include "mmap_policy.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define TOUCH_OK	0
#define TOUCH_SIGBUS	10
#define TOUCH_BADVAL	11
#define TOUCH_OTHER	12
#define TOUCH_NOGO	13

/* What the child reports through its pipe. */
struct report {
	double t_start, t_end;	/* CLOCK_MONOTONIC around the touch */
	uint32_t value;
	int res;
};

struct child {
	pid_t pid;
	int go;		/* parent writes a byte: touch now */
	int rep;	/* child writes "started" (1 byte), then a struct report */
};

static struct vt_dev d;
static const char *bdf;
static volatile char *map;

static void child_main(int go, int rep)
{
	struct report r = { 0 };
	char c;

	if (read(go, &c, 1) != 1)
		_exit(TOUCH_NOGO);
	r.t_start = vt_now();
	if (write(rep, "s", 1) != 1)
		_exit(TOUCH_OTHER);
	r.res = vt_probe_read32(map + EDU_REG_ID, &r.value);
	r.t_end = vt_now();
	if (write(rep, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(TOUCH_OTHER);
	if (r.res == VT_ACCESS_SIGBUS)
		_exit(TOUCH_SIGBUS);
	if (r.res != VT_ACCESS_OK)
		_exit(TOUCH_OTHER);
	_exit(r.value == EDU_ID_VALUE ? TOUCH_OK : TOUCH_BADVAL);
}

/* Fork a child that waits for go() before it touches BAR0. */
static bool spawn(struct child *c)
{
	int g[2], r[2];

	if (pipe(g) || pipe(r))
		return false;
	fflush(stdout);
	c->pid = fork();
	if (c->pid < 0)
		return false;
	if (c->pid == 0) {
		close(g[1]);
		close(r[0]);
		child_main(g[0], r[1]);
	}
	close(g[0]);
	close(r[1]);
	c->go = g[1];
	c->rep = r[0];
	return true;
}

/* Tell the child to touch; wait until it says it is about to. */
static bool go(struct child *c)
{
	char s;

	return write(c->go, "g", 1) == 1 && read(c->rep, &s, 1) == 1;
}

/* waitpid with a deadline of ms; true if reaped (status in *st). */
static bool reap_within(pid_t pid, int ms, int *st)
{
	double end = vt_now() + ms / 1e3;

	do {
		if (waitpid(pid, st, WNOHANG) == pid)
			return true;
		usleep(2000);
	} while (vt_now() < end);
	return waitpid(pid, st, WNOHANG) == pid;
}

static void finish(struct child *c)
{
	close(c->go);
	close(c->rep);
}

/* SIGKILL the child, reap it and close its pipes. */
static void abandon(struct child *c)
{
	int st;

	kill(c->pid, SIGKILL);
	waitpid(c->pid, &st, 0);
	finish(c);
}

/* Open the window for a spawned child; on failure the child is abandoned. */
static bool open_window(struct child *c)
{
	if (vp_hold_check(true))
		return true;
	abandon(c);
	return false;
}

/* The child's report into *rep; rep->res is -1 if there is none. */
static void read_report(struct child *c, struct report *rep)
{
	if (read(c->rep, rep, sizeof(*rep)) != (ssize_t)sizeof(*rep))
		rep->res = -1;
}

/* Let the child touch, wait 300 ms: has it exited (status in *st)? */
static bool exited_after_go(struct child *c, int *st)
{
	CHECK(go(c), "the child is about to touch BAR0");
	usleep(300000);
	return waitpid(c->pid, st, WNOHANG) == c->pid;
}

/* GET, then SET resetting=block with block_timeout_ms ms, as checks. */
static bool set_block(vp_policy *p, uint32_t ms)
{
	if (!vt_check_ok(vp_get(&d, p), "GET"))
		return false;
	p->resetting = VFIO_PCI_MMAP_POLICY_BLOCK;
	p->block_timeout_ms = ms;
	return vt_check_ok(vp_set(&d, p), "SET resetting=block block_timeout_ms=%u", ms);
}

/* 1. The window closes 300 ms after the touch. */
static void wait_then_map(void)
{
	struct report rep = { 0 };
	struct child c;
	int st = 0;
	bool exited;

	vt_note("== a fault waits for the window, then maps the device");
	if (!CHECK(spawn(&c), "fork a child") || !open_window(&c))
		return;
	vt_expect_state(bdf, "resetting");
	exited = exited_after_go(&c, &st);
	CHECK(!exited, "300 ms later the child's touch is still waiting (%s)",
	      exited ? "it exited" : "running");
	vp_hold_check(false);
	if (!exited && !reap_within(c.pid, 5000, &st)) {
		CHECK(0, "the child finished within 5 s of the window closing");
		abandon(&c);
		return;
	}
	read_report(&c, &rep);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == TOUCH_OK,
	      "after the window closed the touch read the edu id (%s, 0x%x, exit %d)",
	      vt_probe_name(rep.res), rep.value, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	CHECK((rep.t_end - rep.t_start) * 1e3 >= 250,
	      "the touch took as long as the window (%.0f ms, want >= 250)",
	      (rep.t_end - rep.t_start) * 1e3);
	finish(&c);
}

/* 2. The window stays open: the child waits until killed. */
static void kill_waiter(void)
{
	struct child c;
	int st = 0;
	bool exited, reaped;
	double t0;

	vt_note("== a waiting fault is killable");
	if (!CHECK(spawn(&c), "fork a child") || !open_window(&c))
		return;
	exited = exited_after_go(&c, &st);
	CHECK(!exited, "300 ms later the child has not exited (%s %d)",
	      !exited ? "running" : WIFSIGNALED(st) ? "signal" : "exit",
	      !exited ? 0 : WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	if (!exited) {
		t0 = vt_now();
		kill(c.pid, SIGKILL);
		reaped = reap_within(c.pid, 1000, &st);
		CHECK(reaped, "SIGKILL ends the waiting child within 1 s (%.0f ms)",
		      (vt_now() - t0) * 1e3);
		if (reaped)
			CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
			      "the child died of SIGKILL (status 0x%x)", st);
		else
			waitpid(c.pid, &st, 0);
	}
	vt_expect_state(bdf, "resetting");
	vp_hold_check(false);
	vt_expect_state(bdf, "enabled");
	finish(&c);
}

/* 3. block_timeout_ms=400: SIGBUS once the window has been open that long. */
static void timeout(void)
{
	struct report rep = { 0 };
	vp_policy p;
	struct child c;
	double t_open, from_open, took;
	long ref0, ref1;
	int st = 0;
	bool reaped;

	vt_note("== block_timeout_ms bounds the wait");
	if (!set_block(&p, 400) || !CHECK(spawn(&c), "fork a child"))
		return;
	ref0 = vt_read_refused(bdf);
	t_open = vt_now();
	if (!open_window(&c))
		return;
	CHECK(go(&c), "the child is about to touch BAR0");
	reaped = reap_within(c.pid, 5000, &st);
	if (!CHECK(reaped, "the child finished within 5 s of the window opening")) {
		kill(c.pid, SIGKILL);
		waitpid(c.pid, &st, 0);
	}
	ref1 = vt_read_refused(bdf);
	vp_hold_check(false);
	read_report(&c, &rep);
	from_open = (rep.t_end - t_open) * 1e3;
	took = (rep.t_end - rep.t_start) * 1e3;
	CHECK(rep.res == VT_ACCESS_SIGBUS && WIFEXITED(st) && WEXITSTATUS(st) == TOUCH_SIGBUS,
	      "the touch in a window that stays open gets SIGBUS (%s, exit %d)",
	      vt_probe_name(rep.res), WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	CHECK(from_open >= 350 && from_open < 3000,
	      "SIGBUS 350 ms to 3 s after the window opened (%.0f ms)", from_open);
	CHECK(took >= 200, "the touch itself waited (%.0f ms, want >= 200)", took);
	CHECK(ref0 >= 0 && ref1 >= ref0 + 1,
	      "debugfs refused counts the SIGBUS (%ld -> %ld)", ref0, ref1);
	finish(&c);
}

int main(int argc, char **argv)
{
	uint32_t v = 0;
	vp_policy p;
	int res;

	bdf = vp_open(argc, argv, "EDU_BDF", &d);
	if (!vp_require_feature(&d) || !vp_require_hold(bdf) ||
	    !set_block(&p, 10000))
		return vt_exit();

	map = vt_map_edu(&d, PROT_READ | PROT_WRITE, &res, &v);
	if (!map)
		return vt_exit();
	CHECK(res == VT_ACCESS_OK && v == EDU_ID_VALUE,
	      "BAR0 reads the edu id before any window (%s 0x%x)", vt_probe_name(res), v);

	wait_then_map();
	kill_waiter();
	timeout();

	vt_expect_state(bdf, "enabled");
	v = 0;
	res = vt_probe_read32(map + EDU_REG_ID, &v);
	CHECK(res == VT_ACCESS_OK && v == EDU_ID_VALUE,
	      "with the window closed a touch reads the edu id (%s 0x%x)",
	      vt_probe_name(res), v);

	munmap((void *)map, SZ_4K);
	vt_close(&d);
	return vt_exit();
}
