"""The agent's result cache: a repeated candidate is answered at once instead of being re-run.

Keyed by what determines the outcome: (source hash, task hash, hardware profile, backend version) plus the
shape of the evaluation (verification set count, whether profiling was skipped), so a verify-only result
never answers a request that wants a profile. Only outcomes that are properties of the candidate are kept;
TIMEOUT, CANCELLED, INTERNAL and REJECTED depend on load or on the agent and are never cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import NamedTuple

from hawk.v1 import result_pb2

CACHEABLE = frozenset({result_pb2.OK, result_pb2.COMPILE_ERROR, result_pb2.HARDWARE_EXCEPTION,
                       result_pb2.WRONG_ANSWER, result_pb2.SANDBOX_VIOLATION, result_pb2.RUNTIME_ERROR})


class CacheKey(NamedTuple):
    source_hash: str
    task_hash: str
    hardware_profile: str
    backend_version: str
    verify_sets: int
    skip_profile: bool
    coverage: str = "full"  # which sizes were verified (Pipeline.coverage_plan): "full" or "split"


DEFAULT_MAX_BYTES = 256 << 20        # all cached Results together
DEFAULT_MAX_ENTRY_BYTES = 4 << 20    # one Result (a candidate controls its diagnostics' size)


class ResultCache:
    """A bounded LRU of final Results (and the stage each one ended in), bounded in count and in bytes:
    a Result above `max_entry_bytes` is not kept, and the least recently used go once the total passes
    `max_bytes`. Thread-safe."""

    def __init__(self, max_entries: int = 4096, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_entry_bytes: int = DEFAULT_MAX_ENTRY_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self._entries: OrderedDict[CacheKey, tuple[bytes, str]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def bytes(self) -> int:
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: CacheKey, evaluation_id: str) -> tuple[result_pb2.Result, str] | None:
        """A copy of the cached Result re-addressed to `evaluation_id` and marked cached, with its stage."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            self._entries.move_to_end(key)
        blob, stage = hit
        result = result_pb2.Result.FromString(blob)
        result.evaluation_id = evaluation_id
        result.cached = True
        del result.stage_timings[:]  # nothing ran for this evaluation
        return result, stage

    def put(self, key: CacheKey, result: result_pb2.Result, stage: str) -> bool:
        """Keep `result` when its status is a property of the candidate; returns whether it was kept."""
        if self.max_entries <= 0 or result.status not in CACHEABLE:
            return False
        blob = result.SerializeToString()  # stored serialized: immutable and compact
        if len(blob) > self.max_entry_bytes:
            return False
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old[0])
            self._entries[key] = (blob, stage)
            self._bytes += len(blob)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, (dropped, _) = self._entries.popitem(last=False)
                self._bytes -= len(dropped)
        return True
