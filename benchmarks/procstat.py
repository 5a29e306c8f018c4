"""CPU and memory of a process tree from /proc, sampled by a separate process so the measured ones pay nothing.

The farm benchmarks need the CPU of every process that worked (driver, Ray's daemons and actors, agents), over a
window chosen after the run (first to last steady-state result). A sampler subprocess (`python procstat.py ROOT
OUT`) writes, every `interval` seconds, one JSON line per sample: wall time and, for every descendant of ROOT
(rescanned each time, so processes started later are caught), its user+system CPU seconds, RSS and peak RSS
(VmHWM). `Samples` reads that file back and interpolates a process's CPU at any instant, so the window's CPU
is `cpu(pid, t1) - cpu(pid, t0)` whatever the sampling phase. Linux only (it reads /proc).
"""

from __future__ import annotations

import bisect
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat(pid: int) -> tuple[int, float, int] | None:
    """(ppid, user+system CPU seconds, RSS bytes), or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    fields = raw.rsplit(b")", 1)[1].split()
    # fields[0] is the state (field 3 of proc(5)); utime, stime are fields 14, 15; rss is field 24 (pages)
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK, int(fields[21]) * PAGE


def peak_rss(pid: int) -> int:
    """VmHWM: the process's peak resident set, in bytes (0 when unreadable)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def thread_demand(pid: int, max_threads: int = 128) -> dict[str, list[float]] | None:
    """Per thread: [seconds run, seconds waited on a run queue] (/proc/<pid>/task/<tid>/schedstat). Run + wait
    over a window close to the window says the thread wanted a CPU all the time: on a shared box it may get only
    a fraction of a core and still be the bottleneck. None for processes with more threads than `max_threads`
    (agent hosts: many threads, none the ceiling alone) or without schedstats."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    if len(tids) > max_threads:
        return None
    out = {}
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                run, wait, _ = f.read().split()
        except (OSError, ValueError):
            continue
        out[tid] = [round(int(run) / 1e9, 4), round(int(wait) / 1e9, 4)]
    return out or None


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(int(name))
            if st is not None:
                children.setdefault(st[0], []).append(int(name))
    out: list[int] = []
    stack = [root]
    while stack:
        for c in children.get(stack.pop(), ()):
            out.append(c)
            stack.append(c)
    return out


def sample_forever(root: int, out: Path, interval: float) -> None:
    me = os.getpid()
    parent = os.getppid()
    known: dict[int, str] = {}
    rescan_every = max(1, int(round(1.0 / interval)))  # the full /proc scan costs ~10 ms on a busy host
    with open(out, "w", buffering=1) as f:
        n = 0
        pids = [root]
        while os.getppid() == parent:  # ends with the process that started it, whatever way that ends
            if n % rescan_every == 0:
                pids = [root] + [p for p in descendants(root) if p != me]
            n += 1
            now = time.time()
            procs = {}
            for pid in pids:
                st = _stat(pid)
                if st is None:
                    continue
                if pid not in known:
                    known[pid] = cmdline(pid)
                    f.write(json.dumps({"pid": pid, "cmd": known[pid]}) + "\n")
                procs[pid] = [round(st[1], 3), st[2], peak_rss(pid), thread_demand(pid)]
            f.write(json.dumps({"t": now, "p": procs}) + "\n")
            time.sleep(interval)


class Sampler:
    """Starts the sampler subprocess on `root` (default: this process) and stops it on `stop()`."""

    def __init__(self, out: Path, root: int | None = None, interval: float = 0.2) -> None:
        self.out = out
        self.proc = subprocess.Popen([sys.executable, __file__, str(root or os.getpid()), str(out), str(interval)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        self.pid = self.proc.pid
        end = time.time() + 10
        while time.time() < end and (not out.exists() or out.stat().st_size == 0):
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)


@dataclass
class Series:
    cmd: str = ""
    t: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    hwm: list[int] = field(default_factory=list)
    threads: list[dict[str, list[float]] | None] = field(default_factory=list)

    def at(self, when: float) -> float:
        """CPU seconds at `when`, linearly interpolated (clamped to the first and last sample)."""
        if not self.t:
            return 0.0
        i = bisect.bisect_left(self.t, when)
        if i <= 0:
            return self.cpu[0]
        if i >= len(self.t):
            return self.cpu[-1]
        t0, t1 = self.t[i - 1], self.t[i]
        c0, c1 = self.cpu[i - 1], self.cpu[i]
        return c0 + (c1 - c0) * (when - t0) / (t1 - t0) if t1 > t0 else c1

    def rss_at(self, when: float) -> int:
        i = min(max(0, bisect.bisect_left(self.t, when)), len(self.t) - 1)
        return self.rss[i] if self.rss else 0

    def busiest_thread(self, t0: float, t1: float) -> tuple[float, float]:
        """(share of a core run, share of the window run or waiting to run) of the thread that ran most between
        the samples nearest t0 and t1; (0, 0) when threads were not sampled."""
        i0 = min(max(0, bisect.bisect_left(self.t, t0)), len(self.t) - 1)
        i1 = min(max(0, bisect.bisect_left(self.t, t1)), len(self.t) - 1)
        a, b = self.threads[i0] if self.threads else None, self.threads[i1] if self.threads else None
        span = self.t[i1] - self.t[i0] if self.t else 0.0
        if not a or not b or span <= 0:
            return 0.0, 0.0
        best = (0.0, 0.0)
        for tid, (run1, wait1) in b.items():
            run0, wait0 = a.get(tid, (0.0, 0.0)) if tid in a else (run1, wait1)
            cand = ((run1 - run0) / span, (run1 - run0 + wait1 - wait0) / span)
            best = max(best, cand)
        return best

    def peak(self, until: float | None = None) -> int:
        """Peak RSS (VmHWM) as of the last sample at or before `until`."""
        if not self.hwm:
            return 0
        i = len(self.t) if until is None else bisect.bisect_right(self.t, until)
        return max(self.hwm[:max(1, i)])  # a process on its way out reads 0


def read_samples(path: Path) -> dict[int, Series]:
    out: dict[int, Series] = {}
    with open(path) as f:
        for line in f:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:  # the last line, cut by the stop
                continue
            if "cmd" in rec:
                out.setdefault(rec["pid"], Series()).cmd = rec["cmd"]
                continue
            for pid, (cpu, rss, hwm, threads) in rec["p"].items():
                s = out.setdefault(int(pid), Series())
                s.t.append(rec["t"])
                s.cpu.append(cpu)
                s.rss.append(rss)
                s.hwm.append(hwm)
                s.threads.append(threads)
    return out


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sample_forever(int(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]))
