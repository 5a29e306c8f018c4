"""The shared knowledge actor: a named, detached Ray actor around one `KnowledgeBase`.

Every campaign (any driver in the Ray cluster) gets the same actor by name (`get_or_create`), so all of
them read and grow one store at once. The actor holds no state of its own: each method is a call on the
plain-Python KnowledgeBase, whose writes are committed SQLite transactions (WAL, synchronous=FULL) before
the method returns — so an acknowledged change survives the actor's death, and a new actor started by
name on the same file continues exactly where the old one stopped. Effects are keyed by (entry,
evaluation), so a caller that retries after a crash cannot double-count.

The actor is threaded (`max_concurrency`): reads run in parallel, and SQLite's write lock serialises
writers. It runs distillation on a timer (`distill_interval_s`) besides the every-N-effects trigger.
Ray is imported only here, and only when an actor is made.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from knowledge.base import KnowledgeBase
from knowledge.distill import DistillPolicy, DistillReport
from knowledge.llm import LLMConfig
from knowledge.model import Decision, Entry, Hit, KnowledgeError, Outcome, Violation
from knowledge.observation import Observation, unpack_observations
from knowledge.retrieval import Query
from knowledge.store import default_path

log = logging.getLogger(__name__)

ACTOR_NAME = "hawk-knowledge"
NAMESPACE = "hawk"


class KnowledgeActor:
    """The actor's body (ray.remote is applied in `get_or_create`, keeping this module import-light)."""

    def __init__(self, path: str, llm: LLMConfig | None = None, policy: DistillPolicy | None = None,
                 distill_interval_s: float | None = 600.0, seed: bool = True) -> None:
        self.kb = KnowledgeBase(path, llm=llm or LLMConfig.from_env(), policy=policy, seed=seed)
        self._stop = threading.Event()
        if distill_interval_s:
            t = threading.Thread(target=self._periodic, args=(distill_interval_s,), name="kb-distill", daemon=True)
            t.start()

    def _periodic(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                report = self.kb.distill(blocking=False)
                if report.pruned or report.merged:
                    log.info("periodic distillation: pruned %s, merged %s", report.pruned, report.merged)
            except Exception:
                log.exception("periodic distillation failed")

    def close(self) -> None:
        """Stop the periodic distillation thread (the actor process ending does it too)."""
        self._stop.set()

    def use_llm(self, llm: LLMConfig | None) -> None:
        self.kb.use_llm(llm)

    def ping(self) -> dict[str, Any]:
        return {"path": self.kb.path, "revision": self.kb.store.revision()}

    def retrieve(self, query: Query | Observation | str, k: int = 5, include_pending: bool = False,
                 include_trial: bool = False) -> list[Hit]:
        return self.kb.retrieve(query, k, include_pending=include_pending, include_trial=include_trial)

    def check(self, source: str, tiling_values: dict[str, Any] | None = None,
              hardware: str = "ascend910b2") -> list[Violation]:
        return self.kb.check(source, tiling_values, hardware)

    def observe(self, obs: Observation, parent: Observation | None = None) -> list[str]:
        return self.kb.observe(obs, parent)

    def synthesize(self, failed: Observation, fixed: Observation) -> Entry | None:
        return self.kb.synthesize(failed, fixed)

    def observe_many(self, items: list[tuple[Observation, Observation | None, list[str], str]]) -> int:
        return self.kb.observe_many(items)

    def observe_packed(self, batch: dict[str, Any] | bytes) -> int:
        """`observe_many` of a campaign's packed batch or its bytes (knowledge.observation.unpack_observations):
        the Observations are built here, off the campaign driver."""
        return self.kb.observe_many(unpack_observations(batch))

    def check_entries(self, hardware: str = "ascend910b2") -> list[Entry]:
        return self.kb.check_entries(hardware)

    def process_info(self) -> dict[str, Any]:
        """This actor's process (pid, CPU seconds, resident bytes): the farm's cost per candidate counts it."""
        return process_info()

    def record_effect(self, entry_ids: list[str], outcome: Outcome, evidence: dict[str, Any] | None = None) -> int:
        return self.kb.record_effect(entry_ids, outcome, evidence)

    def distill(self) -> DistillReport:
        return self.kb.distill()

    def add(self, entry: Entry | dict[str, Any], reason: str = "created") -> Entry:
        return self.kb.add(entry, reason=reason)

    def get(self, entry_id: str) -> Entry:
        return self.kb.get(entry_id)

    def entries(self, states: list[str] | None = ("active",), hardware: str | None = None) -> list[Entry]:  # type: ignore[assignment]
        return self.kb.entries(states, hardware)

    def update(self, entry_id: str, changes: dict[str, Any], reason: str, expect_version: int | None = None) -> Entry:
        return self.kb.update(entry_id, changes, reason=reason, expect_version=expect_version)

    def delete(self, entry_id: str, reason: str) -> Entry:
        return self.kb.delete(entry_id, reason)

    def history(self, entry_id: str) -> list[dict[str, Any]]:
        return self.kb.history(entry_id)

    def effects(self, entry_id: str, limit: int | None = None) -> list[dict[str, Any]]:
        return self.kb.effects(entry_id, limit)

    def decisions(self, limit: int | None = None) -> list[Decision]:
        return self.kb.decisions(limit)

    def stats(self) -> dict[str, Any]:
        return self.kb.stats()


def process_info() -> dict[str, Any]:
    """pid, CPU seconds (user + system) and resident bytes of the calling process."""
    import os

    t = os.times()
    rss = 0
    try:
        with open(f"/proc/{os.getpid()}/statm") as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # peak, where /proc is not there
    return {"pid": os.getpid(), "cpu_s": t.user + t.system, "rss_bytes": rss}


def get_or_create(path: str | Path | None = None, *, name: str = ACTOR_NAME, namespace: str = NAMESPACE,
                  llm: LLMConfig | None = None, policy: DistillPolicy | None = None,
                  distill_interval_s: float | None = 600.0, max_concurrency: int = 8, seed: bool = True) -> Any:
    """The named detached knowledge actor, started on `path` if it is not running yet.

    Raises KnowledgeError when an actor of that name already runs on a different database, rather than
    silently writing a campaign's knowledge somewhere it did not ask for.
    """
    import ray

    db = str(Path(path).expanduser().resolve() if path else default_path())
    actor_cls = ray.remote(KnowledgeActor)
    # On the node holding the store's volume, as the controller's scheduler_actor.state_resources() does.
    state = os.environ.get("HAWK_STATE_RESOURCE", "").strip()
    handle = actor_cls.options(name=name, namespace=namespace, lifetime="detached", get_if_exists=True,
                               max_concurrency=max_concurrency, max_restarts=-1, num_cpus=0,
                               resources={state: 0.001} if state else {}).remote(
        db, llm, policy, distill_interval_s, seed)
    running = ray.get(handle.ping.remote())["path"]
    if running != db:
        raise KnowledgeError(f"knowledge actor {namespace}/{name} already runs on {running}, not {db}")
    if llm is not None:  # an actor that already ran keeps its first creator's settings otherwise
        ray.get(handle.use_llm.remote(llm))
    return handle


class KnowledgeClient:
    """The KnowledgeBase API over an actor handle (blocking calls), for code that should not care which."""

    def __init__(self, handle: Any, timeout_s: float | None = 120.0) -> None:
        self.handle = handle
        self.timeout_s = timeout_s

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        import ray

        return ray.get(getattr(self.handle, method).remote(*args, **kwargs), timeout=self.timeout_s)

    def retrieve(self, query: Query | Observation | str, k: int = 5, *, include_pending: bool = False,
                 include_trial: bool = False) -> list[Hit]:
        return self._call("retrieve", query, k, include_pending, include_trial)

    def check(self, source: str, tiling_values: dict[str, Any] | None = None,
              hardware: str = "ascend910b2") -> list[Violation]:
        return self._call("check", source, tiling_values, hardware)

    def observe(self, obs: Observation, parent: Observation | None = None) -> list[str]:
        return self._call("observe", obs, parent)

    def synthesize(self, failed: Observation, fixed: Observation) -> Entry | None:
        return self._call("synthesize", failed, fixed)

    def record_effect(self, entry_ids: Iterable[str], outcome: Outcome, evidence: dict[str, Any] | None = None) -> int:
        return self._call("record_effect", list(entry_ids), outcome, evidence)

    def observe_many(self, items: list[tuple[Observation, Observation | None, list[str], str]]) -> int:
        return self._call("observe_many", items)

    def observe_packed(self, batch: dict[str, Any] | bytes) -> int:
        return self._call("observe_packed", batch)

    def check_entries(self, hardware: str = "ascend910b2") -> list[Entry]:
        return self._call("check_entries", hardware)

    def process_info(self) -> dict[str, Any]:
        return self._call("process_info")

    def distill(self) -> DistillReport:
        return self._call("distill")

    def add(self, entry: Entry | dict[str, Any], *, reason: str = "created") -> Entry:
        return self._call("add", entry, reason)

    def get(self, entry_id: str) -> Entry:
        return self._call("get", entry_id)

    def entries(self, states: Iterable[str] | None = ("active",), hardware: str | None = None) -> list[Entry]:
        return self._call("entries", None if states is None else list(states), hardware)

    def update(self, entry_id: str, changes: dict[str, Any], *, reason: str,
               expect_version: int | None = None) -> Entry:
        return self._call("update", entry_id, changes, reason, expect_version)

    def delete(self, entry_id: str, reason: str) -> Entry:
        return self._call("delete", entry_id, reason)

    def history(self, entry_id: str) -> list[dict[str, Any]]:
        return self._call("history", entry_id)

    def effects(self, entry_id: str, limit: int | None = None) -> list[dict[str, Any]]:
        return self._call("effects", entry_id, limit)

    def decisions(self, limit: int | None = None) -> list[Decision]:
        return self._call("decisions", limit)

    def stats(self) -> dict[str, Any]:
        return self._call("stats")
