"""A pids and a memory cgroup per sandboxed process tree, instead of per-uid limits.

RLIMIT_NPROC counts every task of a uid, so one tenant's sleeping threads could starve another tenant sharing the
uid; a pids cgroup counts only the sandbox's own tasks. The memory cgroup bounds resident memory (including the
sandbox's private tmpfs pages) where RLIMIT_AS only bounds address space. Both cgroup v1 (separate pids and memory
hierarchies) and cgroup v2 with those controllers enabled are supported; the sandbox groups are created under the
agent's own cgroup (read from /proc/self/cgroup), so an agent confined to a memory sub-cgroup stays inside it.
The launcher joins the groups before it starts anything (--cgroup DIR); we remove them after the run, killing
whatever is still inside first.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
_instances = itertools.count(1)


def _own_paths() -> dict[str, str]:
    """controller ('pids', 'memory', or '' for the v2 hierarchy) -> this process's cgroup path."""
    out: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for c in controllers.split(",") if controllers else [""]:
            out[c] = path
    return out


def _v2_mount() -> Path | None:
    for candidate in (CGROUP_ROOT, CGROUP_ROOT / "unified"):
        if (candidate / "cgroup.controllers").is_file():
            return candidate
    return None


def _writable_dir(parent: Path, name: str) -> Path | None:
    """mkdir parent/name (the agent's own group of sandbox groups); None when the host does not let us."""
    d = parent / name
    try:
        d.mkdir(exist_ok=True)
    except OSError:
        return None
    return d


def _remove_stale(where: Path) -> None:
    """Sandbox groups left behind by agents that died: emptied (their processes killed) and removed."""
    for d in where.glob("hawk-sandbox-*"):
        pid = d.name.split("-")[2]
        if not pid.isdigit() or Path(f"/proc/{pid}").exists():
            continue
        try:
            children = [c for c in d.iterdir() if c.is_dir()]
        except OSError:  # another agent starting at the same moment removed it first
            continue
        for child in children:
            SandboxCgroup([child], None, False, 0).destroy()
        with contextlib.suppress(OSError):
            d.rmdir()


@dataclass
class SandboxCgroup:
    """The cgroup directories of one sandbox run (one per hierarchy) and its memory limit."""

    dirs: list[Path]
    memory_dir: Path | None
    v2: bool
    memory_limit: int

    def oom_killed(self) -> bool:
        """Whether the memory cgroup killed a process of the run (its memory limit was reached)."""
        if self.memory_dir is None:
            return False
        name = "memory.events" if self.v2 else "memory.oom_control"
        try:
            for line in (self.memory_dir / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and value.strip().isdigit():
                    return int(value) > 0
        except OSError:
            pass
        return False

    def pids(self) -> list[int]:
        out: set[int] = set()
        for d in self.dirs:
            with contextlib.suppress(OSError):
                out.update(int(p) for p in (d / "cgroup.procs").read_text().split())
        return sorted(out)

    def destroy(self) -> None:
        """Kill every process still in the groups, then remove them."""
        for d in self.dirs:
            kill = d / "cgroup.kill"
            if kill.exists():
                with contextlib.suppress(OSError):
                    kill.write_text("1")
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            left = self.pids()
            if not left:
                break
            for pid in left:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)
        for d in self.dirs:
            for _ in range(100):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # the last tasks are still exiting
                    time.sleep(0.02)


class CgroupManager:
    """Creates per-sandbox pids and memory cgroups, where the host allows it."""

    def __init__(self, tag: str | None = None) -> None:
        self.tag = tag or f"hawk-sandbox-{os.getpid()}-{next(_instances)}"
        self._counter = itertools.count(1)
        self.v2 = False
        self.pids_parent: Path | None = None
        self.memory_parent: Path | None = None
        self.problem = ""  # why a controller is missing, for the capability report
        own = _own_paths()
        v1_pids, v1_mem = CGROUP_ROOT / "pids", CGROUP_ROOT / "memory"
        if (v1_pids / "cgroup.procs").is_file() and "pids" in own:
            self.pids_parent = _writable_dir(v1_pids / own["pids"].lstrip("/"), self.tag)
        if (v1_mem / "cgroup.procs").is_file() and "memory" in own:
            self.memory_parent = _writable_dir(v1_mem / own["memory"].lstrip("/"), self.tag)
        if self.pids_parent is None and self.memory_parent is None:
            self._try_v2(own.get("", "/"))
        if self.pids_parent is None or self.memory_parent is None:
            self.problem = ("no writable pids/memory cgroup controller (needs root or a delegated cgroup with the "
                            "pids and memory controllers)")
        for parent in {self.pids_parent, self.memory_parent} - {None}:
            _remove_stale(parent.parent)
        atexit.register(self.close)  # the empty parents; a dead agent's are removed by the next one

    def _try_v2(self, own: str) -> None:
        mount = _v2_mount()
        if mount is None:
            return
        base = mount / own.lstrip("/")
        try:
            available = set((base / "cgroup.controllers").read_text().split())
        except OSError:
            return
        if not {"pids", "memory"} <= available:
            return
        parent = _writable_dir(base, self.tag)
        if parent is None:
            return
        try:
            # A v2 group with controllers for its children may hold no process itself: ours holds none.
            for d in (base, parent):
                enabled = set((d / "cgroup.subtree_control").read_text().split())
                if not {"pids", "memory"} <= enabled:
                    (d / "cgroup.subtree_control").write_text("+pids +memory")
        except OSError:
            with contextlib.suppress(OSError):
                parent.rmdir()
            return
        self.v2 = True
        self.pids_parent = self.memory_parent = parent

    @property
    def pids(self) -> bool:
        return self.pids_parent is not None

    @property
    def memory(self) -> bool:
        return self.memory_parent is not None

    def create(self, *, max_tasks: int, memory_bytes: int) -> SandboxCgroup:
        """A fresh group (per hierarchy) with the task and memory limits (0: no limit of that kind)."""
        name = f"s{next(self._counter)}"
        dirs: list[Path] = []
        memory_dir = None
        try:
            if self.v2 and self.pids_parent is not None:
                d = self.pids_parent / name
                d.mkdir()
                dirs.append(d)
                if max_tasks:
                    (d / "pids.max").write_text(str(max_tasks))
                if memory_bytes:
                    (d / "memory.max").write_text(str(memory_bytes))
                    with contextlib.suppress(OSError):
                        (d / "memory.swap.max").write_text("0")
                memory_dir = d
            else:
                if self.pids_parent is not None:
                    d = self.pids_parent / name
                    d.mkdir()
                    dirs.append(d)
                    if max_tasks:
                        (d / "pids.max").write_text(str(max_tasks))
                if self.memory_parent is not None:
                    d = self.memory_parent / name
                    d.mkdir()
                    dirs.append(d)
                    memory_dir = d
                    if memory_bytes:
                        (d / "memory.limit_in_bytes").write_text(str(memory_bytes))
                        with contextlib.suppress(OSError):  # no swap accounting: the limit is RAM only
                            (d / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
        except OSError:
            SandboxCgroup(dirs, memory_dir, self.v2, memory_bytes).destroy()
            raise
        return SandboxCgroup(dirs, memory_dir, self.v2, memory_bytes)

    def close(self) -> None:
        for parent in {self.pids_parent, self.memory_parent} - {None}:
            with contextlib.suppress(OSError):
                parent.rmdir()
