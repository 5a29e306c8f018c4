"""The agent's caches are bounded in bytes: the result cache (count, bytes, per entry) and the twin's compile
cache (a per-entry cap: an oversized binary runs but is not cached; a total cap with LRU eviction)."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

import pytest

from hawk.v1 import result_pb2
from npu_agent.cache import CacheKey, ResultCache
from npu_agent.simnpu.build_cache import BuildCacheLimits, entry_bytes, evict_build_cache


def _key(i: int) -> CacheKey:
    return CacheKey(f"s{i}", "t", "hw", "v", 3, False)


def _result(size: int) -> result_pb2.Result:
    return result_pb2.Result(status=result_pb2.COMPILE_ERROR, log_tail="x" * size)


def test_result_cache_drops_oversized_results_and_evicts_by_bytes() -> None:
    cache = ResultCache(max_entries=100, max_bytes=10_000, max_entry_bytes=4_000)
    assert not cache.put(_key(0), _result(5_000), "compiling")  # over the per-entry cap
    for i in range(1, 6):
        assert cache.put(_key(i), _result(3_000), "compiling")
    assert cache.bytes <= 10_000 and len(cache) == 3
    assert cache.get(_key(1), "e") is None and cache.get(_key(5), "e") is not None
    cache.get(_key(3), "e")  # used: survives the next eviction
    cache.put(_key(6), _result(3_000), "compiling")
    assert cache.get(_key(3), "e") is not None and cache.get(_key(4), "e") is None
    cache.put(_key(6), _result(10), "compiling")  # replacing an entry accounts its old size
    assert cache.bytes == sum(len(_result(n).SerializeToString()) for n in (3_000, 3_000, 10))


def _entry(root: Path, name: str, size: int, age_s: float, uncached: bool = False) -> Path:
    d = root / name
    d.mkdir()
    (d / "kernel.bin").write_bytes(b"\0" * size)
    (d / "meta.json").write_text('{"uncached": true}' if uncached else "{}")
    t = time.time() - age_s
    os.utime(d, (t, t))
    return d


def test_build_cache_evicts_least_recently_used_down_to_the_total_cap(tmp_path: Path) -> None:
    for i in range(6):
        _entry(tmp_path, f"e{i}", 1000, age_s=100 - i)  # e0 oldest
    limits = BuildCacheLimits(max_entry_bytes=10_000, max_total_bytes=3_500)
    removed = evict_build_cache(tmp_path, max_entries=100, limits=limits)
    assert sorted(removed) == ["e0", "e1", "e2"]
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["e3", "e4", "e5"]
    assert sum(entry_bytes(p) for p in tmp_path.iterdir() if not p.name.startswith(".")) <= 3_500


def test_build_cache_keeps_the_entry_just_stored_and_drops_stale_oversized_ones(tmp_path: Path) -> None:
    keep = _entry(tmp_path, "big", 5000, age_s=1000)
    _entry(tmp_path, "old-oversized", 10, age_s=3 * 3600, uncached=True)
    _entry(tmp_path, "new-oversized", 10, age_s=10, uncached=True)
    removed = evict_build_cache(tmp_path, max_entries=100, limits=BuildCacheLimits(100, 1000), keep=keep)
    assert "old-oversized" in removed and keep.exists()


def test_concurrent_evictions_are_safe(tmp_path: Path) -> None:
    for i in range(40):
        _entry(tmp_path, f"e{i}", 500, age_s=1000 - i)
    errors: list[BaseException] = []

    def evict() -> None:
        try:
            evict_build_cache(tmp_path, max_entries=100, limits=BuildCacheLimits(1000, 5_100))
        except BaseException as e:  # pragma: no cover - the assertion below reports it
            errors.append(e)

    threads = [threading.Thread(target=evict) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    left = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert len(left) == 10 and {p.name for p in left} == {f"e{i}" for i in range(30, 40)}


def test_limits_come_from_the_environment_and_refuse_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAWK_COMPILE_CACHE_ENTRY_MB", "3")
    monkeypatch.setenv("HAWK_COMPILE_CACHE_MB", "10")
    assert BuildCacheLimits.resolve() == BuildCacheLimits(3 << 20, 10 << 20)
    assert BuildCacheLimits.resolve(1, 2) == BuildCacheLimits(1, 2)
    monkeypatch.setenv("HAWK_COMPILE_CACHE_MB", "lots")
    with pytest.raises(ValueError, match="HAWK_COMPILE_CACHE_MB"):
        BuildCacheLimits.resolve()
    monkeypatch.delenv("HAWK_COMPILE_CACHE_ENTRY_MB")
    monkeypatch.delenv("HAWK_COMPILE_CACHE_MB")
    assert BuildCacheLimits.resolve() == BuildCacheLimits(64 << 20, 2048 << 20)


# --- the twin's compiler: a binary above the per-entry cap runs but is never answered from the cache ------
@pytest.fixture(scope="module")
def twin_root() -> Path:
    root = os.environ.get("HAWK_SIM_WORK_ROOT")
    if root:
        Path(root).mkdir(parents=True, exist_ok=True)
        return Path(root)
    d = Path(tempfile.mkdtemp(prefix="hawk-cachelim-"))
    d.chmod(0o711)
    return d


def test_an_oversized_binary_is_not_cached(twin_root: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    from npu_agent.simnpu import Twin
    from tests.agent.helpers import add_task

    cache_dir = Path(tempfile.mkdtemp(prefix="hawk-cachelim-cache-", dir=twin_root))
    twin = Twin("ascend910b2", work_root=twin_root, cache_dir=cache_dir, cache_max_entry_bytes=1 << 20,
                cache_max_bytes=256 << 20)
    task = add_task()
    small = ('#include "kernel_operator.h"\nextern "C" __global__ __aicore__ void add_custom(GM_ADDR x, GM_ADDR y, '
             'GM_ADDR z) {}\n')
    big = small + '__attribute__((used)) static const char hawk_big[3 << 20] = {1, 2, 3};\n'
    first = twin.compile(big, "add_custom", task=task)
    assert first.ok and first.binary is not None and first.binary.stat().st_size > 3 << 20, first.message
    again = twin.compile(big, "add_custom", task=task)
    assert again.ok and not again.cached and again.binary.exists()
    twin.compile(small, "add_custom", task=task)
    assert twin.compile(small, "add_custom", task=task).cached
