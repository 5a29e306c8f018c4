"""Size limits of the twin's compile cache: a per-entry cap and a total cap with least-recently-used eviction.

A candidate decides how big its binary is (a 105 MB static array compiles fine), and the cache is on the
agent's disk: without limits, a few hostile candidates fill it. A build above the per-entry cap is still run
(its entry is kept only for that compile's runs, marked `uncached`, and never answers a later compile);
the total cap evicts the least recently used entries (a hit refreshes the entry's mtime). Eviction holds an
flock on the cache directory, so agents and `hawk sim run` sharing one work root evict consistently.

Defaults: 64 MiB per entry, 2 GiB in total; `HAWK_COMPILE_CACHE_ENTRY_MB` / `HAWK_COMPILE_CACHE_MB`
override them, as do the agent's `--compile-cache-entry-mb` / `--compile-cache-mb` flags.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

MB = 1 << 20
DEFAULT_MAX_ENTRY_MB = 64
DEFAULT_MAX_TOTAL_MB = 2048
UNCACHED_GRACE_S = 2 * 3600.0  # an oversized build outlives the longest run of the compile that made it


def _env_mb(name: str, default: int) -> int:
    text = os.environ.get(name, "")
    if not text:
        return default * MB
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a whole number of MB") from None
    if not 1 <= value <= 1 << 20:
        raise ValueError(f"{name}={value} is out of range 1..1048576 MB")
    return value * MB


@dataclass(frozen=True)
class BuildCacheLimits:
    max_entry_bytes: int = DEFAULT_MAX_ENTRY_MB * MB
    max_total_bytes: int = DEFAULT_MAX_TOTAL_MB * MB

    @classmethod
    def resolve(cls, max_entry_bytes: int | None = None, max_total_bytes: int | None = None) -> BuildCacheLimits:
        """Explicit values, else the environment, else the defaults."""
        entry = max_entry_bytes if max_entry_bytes is not None else _env_mb("HAWK_COMPILE_CACHE_ENTRY_MB",
                                                                           DEFAULT_MAX_ENTRY_MB)
        total = max_total_bytes if max_total_bytes is not None else _env_mb("HAWK_COMPILE_CACHE_MB",
                                                                           DEFAULT_MAX_TOTAL_MB)
        if entry < 1 or total < 1:
            raise ValueError("compile cache limits must be positive")
        return cls(max_entry_bytes=entry, max_total_bytes=total)


def touch_entry(path: Path) -> None:
    """Mark an entry as just used (LRU order is the directory's mtime)."""
    with contextlib.suppress(OSError):
        os.utime(path)


def entry_bytes(path: Path) -> int:
    total = 0
    try:
        for root, _dirs, files in os.walk(path):
            for name in files:
                with contextlib.suppress(OSError):
                    total += os.lstat(os.path.join(root, name)).st_size
    except OSError:
        pass
    return total


def _uncached(path: Path) -> bool:
    try:
        return bool(json.loads((path / "meta.json").read_text()).get("uncached"))
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def _locked(cache_dir: Path):
    fd = os.open(cache_dir / ".evict.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def evict_build_cache(cache_dir: Path, *, max_entries: int, limits: BuildCacheLimits, keep: Path | None = None,
                      now: float | None = None) -> list[str]:
    """Remove entries until at most `max_entries` remain and they hold at most `limits.max_total_bytes`,
    least recently used first; oversized (`uncached`) entries go once their grace period is over. `keep`
    (the entry just stored) is never removed. Returns the removed entry names."""
    now = time.time() if now is None else now
    removed: list[str] = []
    with _locked(cache_dir):
        entries = []
        for p in cache_dir.iterdir():
            if p.name.startswith("."):
                continue
            try:
                mtime = p.stat().st_mtime
            except OSError:
                continue
            if p != keep and _uncached(p) and now - mtime > UNCACHED_GRACE_S:
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p.name)
                continue
            entries.append((mtime, p))
        entries.sort(key=lambda e: e[0])
        sizes = {p: entry_bytes(p) for _, p in entries}
        total = sum(sizes.values())
        count = len(entries)
        for _, p in entries:
            if count <= max_entries and total <= limits.max_total_bytes:
                break
            if p == keep:
                continue
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
            count -= 1
            total -= sizes[p]
    return removed
