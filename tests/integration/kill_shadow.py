#!/usr/bin/python3
"""tests/integration/kill_shadow.py: the random-point shadow kill of
split_faults.bats (issue #6, "Faults, with nothing lost").

Each iteration starts a splitrun-shadow of its own (on one loopback port,
kept for the whole run so that a restart can take it again), runs
tests/progs/write_pattern under splitrun writing a file at home, and
SIGKILLs the shadow (by its PID) at a random moment between a little before
the guest opens the file and the moment it would have exited. With
--on-disconnect=reconnect the shadow is sometimes started again on the same
port after a random gap (within the window), sometimes not (the window runs
out). The sizes span splitrun's write-behind (less than one wire buffer,
more than one, more than the bytes it keeps in flight), with fsyncs or
without. Then, whatever happened:

  prefix    the file at home is a prefix of what the guest wrote (or absent)
  success   when splitrun exits 0 the guest said "done" and the file at home
            is whole: nobody was told of success for data not stored
  fsync     each "synced N" the guest printed (its fsync returned 0): the
            file at home holds at least N bytes
  status    splitrun's status is one the mode allows: 0, 121 (the shadow
            died before the handshake), 122 (lost; or a loss no call of the
            guest could report), and with eio/reconnect 1 (the guest's own,
            after a write, fsync or close failed with EIO or EPIPE)

Usage: kill_shadow.py --splitrun BIN --shadow-bin BIN --guest BIN --work DIR
                      [--modes kill,eio,reconnect] [--iterations N]
                      [--budget SECONDS] [--seed N] [--key FILE]
Prints one line per iteration and a summary line; exits 0 when every check
held, 1 otherwise (what differed is printed). Every wait has a timeout.
"""
import argparse
import os
import random
import select
import signal
import subprocess
import sys
import time

# (size, chunk): under one 1 MiB wire buffer, over it, over the 8 MiB of
# write-behind kept in flight.
SHAPES = [
    (3000, 1000),
    (300_000, 4096),
    (1_500_000, 65536),
    (1_500_000, 1 << 20),
    (9_500_000, 1 << 20),
]
SPLIT_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C", "HOME": "/nonexistent", "TZ": "UTC"}


def fail(msg):
    print("FAIL: " + msg, flush=True)


class Shadow:
    """A splitrun-shadow of this run's own, killed by its PID."""

    def __init__(self, binary, root, port, key):
        self.binary, self.root, self.key = binary, root, key
        self.port = port
        self.proc = None

    def start(self, deadline=10.0):
        args = [self.binary, "--root", self.root, "--listen", "127.0.0.1:%d" % self.port]
        if self.key:
            args += ["--key", self.key]
        end = time.monotonic() + deadline
        while True:
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                         stdin=subprocess.DEVNULL)
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0.1, end - time.monotonic()))
            line = self.proc.stdout.readline().decode() if ready else ""
            if line.startswith("splitrun --shadow "):
                self.addr = line.split()[2]
                self.port = int(self.addr.rsplit(":", 1)[1])
                return
            self.kill()
            if time.monotonic() > end:
                raise RuntimeError("the shadow did not start on port %d" % self.port)
            time.sleep(0.02)   # the port may still be held a moment

    def kill(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc:
            self.proc.wait(timeout=10)
            self.proc.stdout.close()
        self.proc = None


def pattern(guest, size, cache={}):
    if size not in cache:
        cache[size] = subprocess.run([guest, "--pattern", str(size)], check=True, stdout=subprocess.PIPE,
                                     timeout=30).stdout
    return cache[size]


def run_guest(a, shadow, mode, name, size, chunk, sync_every, pace_us, kill_at=None, restart_gap=None):
    """Runs one guest; kills the shadow KILL_AT seconds after the start (None:
    never). Returns (status, stdout lines, stderr, seconds to 'opened',
    seconds in all)."""
    out_path = os.path.join(a.work, "guest.out")
    home = os.path.join(a.root, name)
    if os.path.exists(home):
        os.unlink(home)   # absent until the guest's open gets home
    args = [a.splitrun, "--shadow", shadow.addr]
    if a.key:
        args += ["--key", a.key]
    if mode != "default":
        args.append("--on-disconnect=" + mode)
    if mode == "reconnect":
        args.append("--reconnect-timeout=%g" % a.window)
    args += ["-C", "/", "--", a.guest, "/" + name, str(size), str(chunk), str(sync_every), str(pace_us)]
    env = dict(SPLIT_ENV)
    if os.environ.get("SPLITRUN_BACKEND"):
        env["SPLITRUN_BACKEND"] = os.environ["SPLITRUN_BACKEND"]
    start = time.monotonic()
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env,
                                cwd=a.work)
    opened = None
    killed = False
    restarted = False
    while proc.poll() is None:
        now = time.monotonic() - start
        if opened is None and b"opened" in open(out_path, "rb").read():
            opened = now
        if kill_at is not None and not killed and now >= kill_at:
            shadow.kill()
            killed = True
            killed_time = time.monotonic()
        if killed and restart_gap is not None and not restarted and time.monotonic() - killed_time >= restart_gap:
            shadow.start()
            restarted = True
        if now > 60:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            raise RuntimeError("splitrun ran for more than 60 s")
        time.sleep(0.0005)
    total = time.monotonic() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    lines = open(out_path, "rb").read().decode(errors="replace").splitlines()
    if opened is None and "opened" in lines:
        opened = total
    return proc.returncode, lines, err, opened, total, (killed, restarted)


def check(a, mode, name, size, status, lines, err):
    """The checks of the docstring; returns a list of what differed and a
    word for the outcome."""
    problems = []
    home = os.path.join(a.root, name)
    data = open(home, "rb").read() if os.path.exists(home) else b""
    want = pattern(a.guest, size)
    if len(data) > size or data != want[:len(data)]:
        bad = next((i for i in range(min(len(data), size)) if data[i] != want[i]), min(len(data), size))
        problems.append("home file is no prefix of what was written: %d bytes, first difference at %d"
                        % (len(data), bad))
    if status == 0 and ("done" not in lines or len(data) != size):
        problems.append("splitrun exited 0 (guest said %s) but home holds %d of %d bytes"
                        % ("done" if "done" in lines else "no 'done'", len(data), size))
    for line in lines:
        if line.startswith("synced "):
            n = int(line.split()[1])
            if len(data) < n:
                problems.append("fsync returned 0 at %d bytes but home holds %d" % (n, len(data)))
    allowed = {0, 121, 122} if mode == "default" else {0, 1, 121, 122}
    if status not in allowed:
        problems.append("splitrun exited %d (%s allows %s)" % (status, mode, sorted(allowed)))
    if status == 1:
        errs = [l for l in lines if l.startswith("error ")]
        if not errs or not any(" errno 5 " in l or " errno 32 " in l for l in errs):
            problems.append("status 1 without an EIO or EPIPE the guest saw: %s" % errs)
    if "Sanitizer" in err or "runtime error:" in err:
        problems.append("a sanitizer report: %r" % err)
    if status in (121, 122) and not err.strip():
        problems.append("status %d with nothing said on stderr" % status)
    if status in (121, 122) and mode == "default" and len(err.strip().splitlines()) != 1:
        problems.append("status %d with not one line on stderr: %r" % (status, err))
    if status == 122 and mode == "default" and "done" in lines:
        # The guest was killed before its close could return, or its data
        # was lost with no call to report it: either way stderr says so.
        if "lost" not in err and "did not all reach home" not in err:
            problems.append("122 after 'done' without a word of the loss: %r" % err)
    if status == 0:
        outcome = "whole"
    elif len(data) == 0:
        outcome = "empty"
    elif len(data) < size:
        outcome = "partial"
    else:
        outcome = "whole-but-failed"
    return problems, outcome


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--splitrun", required=True)
    p.add_argument("--shadow-bin", required=True)
    p.add_argument("--guest", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--modes", default="default")
    p.add_argument("--iterations", type=int, default=40)
    p.add_argument("--budget", type=float, default=20.0, help="stop starting iterations after this many seconds")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--key", default=None)
    p.add_argument("--window", type=float, default=5.0, help="--reconnect-timeout")
    a = p.parse_args()
    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    a.root = os.path.join(a.work, "root")
    os.makedirs(a.root, exist_ok=True)
    modes = a.modes.split(",")
    shadow = Shadow(a.shadow_bin, a.root, 0, a.key)
    shadow.start()
    print("# seed %d, modes %s, backend %s" % (seed, ",".join(modes), os.environ.get("SPLITRUN_BACKEND", "auto")),
          flush=True)
    # Calibration: each shape once, undisturbed: it must succeed whole, and
    # gives when the guest opens and ends (the kill falls between).
    timing = {}
    failures = 0
    for k, (size, chunk) in enumerate(SHAPES):
        name = "calibrate-%d" % k
        best = None
        for attempt in range(2):   # the first may pay for cold caches
            status, lines, err, opened, total, _ = run_guest(a, shadow, "default", name, size, chunk, 0, 0)
            problems, outcome = check(a, "default", name, size, status, lines, err)
            if status != 0 or problems:
                fail("undisturbed run of %d bytes: status %d, %s; stderr: %s"
                     % (size, status, problems, err.strip()))
                failures += 1
            t = (opened if opened is not None else total / 2, total)
            if best is None or t[1] < best[1]:
                best = t
        timing[k] = best
    counts = {}
    began = time.monotonic()
    done = 0
    for it in range(a.iterations):
        if time.monotonic() - began > a.budget:
            break
        if shadow.proc is None:
            shadow.start()
        k = rng.randrange(len(SHAPES))
        size, chunk = SHAPES[k]
        sync_every = rng.choice([0, 0, size // 3 + 1, 1 << 20])
        pace_us = rng.choice([0, 0, 300])
        mode = rng.choice(modes)
        t_open, t_end = timing[k]
        if pace_us:
            t_end += (size / chunk) * pace_us * 1.5e-6
        kill_at = rng.uniform(t_open * 0.8, t_end)
        restart_gap = None
        if mode == "reconnect" and rng.random() < 0.85:
            restart_gap = rng.uniform(0, min(0.3, a.window / 3))
        name = "it-%d" % it
        status, lines, err, opened, total, (killed, restarted) = run_guest(a, shadow, mode, name, size, chunk,
                                                                           sync_every, pace_us, kill_at, restart_gap)
        problems, outcome = check(a, mode, name, size, status, lines, err)
        counts[outcome] = counts.get(outcome, 0) + 1
        counts["status %d" % status] = counts.get("status %d" % status, 0) + 1
        desc = ("%s size %d chunk %d sync %d pace %d kill at %.3f s (%s)%s: status %d, %s, home %s"
                % (mode, size, chunk, sync_every, pace_us, kill_at, "killed" if killed else "ended first",
                   ", restarted after %.3f s" % restart_gap if restarted else "",
                   status, lines[-1] if lines else "no output", outcome))
        if killed:
            counts["killed"] = counts.get("killed", 0) + 1
        print("# %d: %s" % (it, desc), flush=True)
        for pr in problems:
            fail("%d: %s: %s\n  guest said: %s\n  stderr: %s" % (it, desc, pr, lines, err.strip()))
            failures += 1
        done += 1
        if shadow.proc is not None and shadow.proc.poll() is not None:
            shadow.kill()
    shadow.kill()
    print("summary: %d iterations, %d failures; %s" % (done, failures,
          ", ".join("%s %d" % (k, v) for k, v in sorted(counts.items()))), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
