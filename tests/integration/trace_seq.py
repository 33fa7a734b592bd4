#!/usr/bin/env python3
"""trace_seq.py FILE: prints the per-process sequence of (syscall, result)
of a strace-format trace (strace -f -o FILE, or splitrun --trace -f -o FILE),
one "P<n> name = result" line per call, so two traces can be diffed.

Pids are renamed P1, P2 ... in the order of the process tree, not of first
appearance (which is scheduling): P1 is the first process, then the children
of each named process in the order its fork/clone calls returned them;
results that are pids are renamed alike, and addresses become ADDR. Which
child a wait4/waitid reaps first is scheduling too, so a run of consecutive
reaping calls that return pids is sorted. "<unfinished ...>" halves are joined with
their "<... name resumed>" halves. Exits ("+++ exited with 0") are kept.
Left out, because where they fall depends on scheduling and not on the
tracer: signal deliveries ("--- SIGCHLD"), calls interrupted by one (result
"? ERESTART...") and the rt_sigreturn that follows a handler."""
import re
import sys

pids = {}
FORKS = {"clone", "clone3", "fork", "vfork"}
REAPS = {"wait4", "waitid"}


def pid_name(pid):
    if pid not in pids:
        pids[pid] = "P%d" % (len(pids) + 1)
    return pids[pid]


def name_tree(first, children):
    """Names the process tree breadth first from FIRST."""
    queue = [first]
    while queue:
        pid = queue.pop(0)
        if pid in pids:
            continue
        pid_name(pid)
        queue.extend(children.get(pid, []))


PID_RESULTS = {"clone", "clone3", "fork", "vfork", "wait4", "waitid", "getpid",
               "getppid", "gettid", "set_tid_address", "getpgrp", "getpgid", "getsid", "setsid"}
line_re = re.compile(r"^(?:\[pid\s+(\d+)\]\s+|(\d+)\s+)?(.*)$")
call_re = re.compile(r"^([a-z_0-9]+)\(")
resumed_re = re.compile(r"^<\.\.\. ([a-z_0-9]+) resumed>")
result_re = re.compile(r"\)\s+=\s+(.*)$")


def norm_result(name, res):
    # The value, or "-1 ENAME": decorations strace appends after it
    # ("(flags O_RDWR)", "(in [3], left ...)", "(Timeout)") are text, and
    # trace_output.bats checks text.
    m = re.match(r"^(-1 E[A-Z0-9_]+|\? E[A-Z_]+|\?|0x[0-9a-f]+|-?\d+)", res)
    if m:
        res = m.group(1)
    res = re.sub(r"0x[0-9a-f]{6,}", "ADDR", res)
    m = re.match(r"^(-?\d+)(.*)$", res)
    if m and (name in PID_RESULTS or m.group(1) in pids) and int(m.group(1)) > 0:
        return pid_name(m.group(1)) + m.group(2)
    return res


def main():
    first_pid = None
    events = []
    with open(sys.argv[1], errors="replace") as f:
        for raw in f:
            raw = raw.rstrip("\n")
            m = line_re.match(raw)
            pid = m.group(1) or m.group(2)
            text = m.group(3)
            if pid is None:
                pid = first_pid or "main"
            if first_pid is None:
                first_pid = pid
            if text.startswith("--- "):
                continue
            if text.startswith("+++ "):
                events.append((pid, None, " ".join(text.split(" ")[1:4])))
                continue
            if text.endswith("<unfinished ...>"):
                continue
            r = resumed_re.match(text)
            c = call_re.match(text)
            name = r.group(1) if r else (c.group(1) if c else None)
            if name is None:
                continue
            res = result_re.search(text)
            if not res:
                continue
            result = res.group(1)
            if name == "rt_sigreturn" or result.startswith("? ERESTART"):
                continue
            events.append((pid, name, result))
    children = {}
    for pid, name, result in events:
        m = re.match(r"^(\d+)", result)
        if name in FORKS and m:
            children.setdefault(pid, []).append(m.group(1))
    if first_pid is not None:
        name_tree(first_pid, children)
    seqs = {}
    for pid, name, result in events:
        who = pid_name(pid)
        if name is None:
            seqs.setdefault(who, []).append("%s %s" % (who, result))
        else:
            seqs.setdefault(who, []).append((name, "%s %s = %s" % (who, name, norm_result(name, result))))
    for who in sorted(seqs, key=lambda s: int(s[1:]) if s[1:].isdigit() else 0):
        lines, run = [], []
        for item in seqs[who] + [None]:
            reaped = isinstance(item, tuple) and item[0] in REAPS and re.search(r"= P\d+$", item[1])
            if reaped:
                run.append(item[1])
                continue
            lines.extend(sorted(run))
            run = []
            if item is not None:
                lines.append(item[1] if isinstance(item, tuple) else item)
        for l in lines:
            print(l)


main()
