"""The campaign's view of the knowledge store: retrieval and checks for proposers, observations for synthesis.

Works over the plain `knowledge.base.KnowledgeBase` (tests, single process) or the shared Ray actor through
`knowledge.actor.KnowledgeClient`; both expose the same methods.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from controller.prompt import KnowledgeSnippet
from controller.store import Candidate, Evaluation
from hawk.v1 import result_pb2
from knowledge.checks import CheckSet
from knowledge.evidence import effect_evidence
from knowledge.observation import Observation, PackedResult, batch_bytes, unpack_observations
from knowledge.retrieval import Query
from npu_agent import secrets
from npu_agent.taskspec import TaskDef, dtype_name

# Run-time values of a kernel (knowledge/kernel_values.py), computed only when a check needs them.
Runtime = Callable[[], Mapping[str, Any]]

log = logging.getLogger(__name__)


CHECK_CACHE_SIZE = 4096  # check verdicts kept per campaign (a point pruned in one round is drawn again later)
CHECK_ENTRIES_TTL_S = 1.0  # the check entries are fetched again after this long, or at once after this
                           # campaign's observations changed an entry (an actor call per round was most of the
                           # driver's knowledge cost when rounds are short; another team's new entry waits <= 1 s)


class CampaignKnowledge:
    def __init__(self, kb: Any, hardware: str, metrics: Any = None) -> None:
        self.kb = kb
        self.hardware = hardware
        self.metrics = metrics
        # Check verdicts per (entry set version, source, values): the same entries give the same verdict, and
        # a new or changed entry (id, version or state) makes a new entry set version.
        # (An OrderedDict: dropping a plain dict's oldest key again and again makes every next lookup of the
        # oldest one walk over the deleted slots before it.)
        self._verdicts: OrderedDict[tuple[Any, ...], list[tuple[str, str]]] = OrderedDict()
        self._entry_sets: dict[tuple[Any, ...], int] = {}
        self._check_sets: dict[int, CheckSet] = {}   # entry set version -> its checks, compiled once
        self._verdict_lock = threading.Lock()
        self.check_hits = 0      # verdicts served from the cache (tests and benchmarks read these)
        self.check_runs = 0
        self._fetched: tuple[float, list[Any]] | None = None   # (monotonic time, check entries)
        self._specs: dict[str, tuple[Any, bytes]] = {}   # task name -> (its TaskSpec, serialized)
        self._send_packed: bool | None = None   # whether the store takes packed batches (asked once)

    def current_check_entries(self) -> list[Any]:
        """`check_entries`, fetched again once CHECK_ENTRIES_TTL_S old or after an observation changed entries."""
        with self._verdict_lock:
            fetched = self._fetched
        if fetched is not None and time.monotonic() - fetched[0] < CHECK_ENTRIES_TTL_S:
            return fetched[1]
        entries = self.check_entries()
        with self._verdict_lock:
            self._fetched = (time.monotonic(), entries)
        return entries

    def _entries_changed(self) -> None:
        with self._verdict_lock:
            self._fetched = None

    def entry_set_version(self, entries: list[Any]) -> int:
        """A small number naming this exact set of check entries (ids, versions, states, checks)."""
        sig = tuple((e.id, e.version, e.state, repr(e.check)) for e in entries)
        with self._verdict_lock:
            return self._entry_sets.setdefault(sig, len(self._entry_sets))

    def cached_check(self, version: int, entries: list[Any], hw: Any, source: str,
                     params: dict[str, Any], runtime: Runtime | None = None,
                     task: TaskDef | None = None) -> list[tuple[str, str]]:
        """The checks of `entries` (entry set `version`, compiled once) on a candidate; the verdict is kept for
        the same source and values (and task: `runtime`'s values follow from its shapes) when a check got past
        the cheap tests (only then is there a parse and an evaluation to save)."""
        with self._verdict_lock:
            checks = self._check_sets.get(version)
            if checks is None or checks.hardware is not hw:
                checks = self._check_sets[version] = CheckSet(entries, hw)
        if not checks.may_fire(source, params):
            return []
        try:
            pkey: Any = tuple(sorted(params.items()))
            hash(pkey)
        except TypeError:  # unhashable values (lists): their JSON
            pkey = json.dumps(params, sort_keys=True, default=str)
        key = (version, source, pkey, task.name if runtime is not None and task is not None else None)
        with self._verdict_lock:
            hit = self._verdicts.get(key)
            if hit is not None:
                self.check_hits += 1
                return list(hit)
        verdict = [(v.entry_id, v.message) for v in checks.run(source, params, runtime)]
        with self._verdict_lock:
            self.check_runs += 1
            if len(self._verdicts) >= CHECK_CACHE_SIZE:
                self._verdicts.popitem(last=False)  # the oldest
            self._verdicts[key] = verdict
        return list(verdict)

    def _observation(self, task: TaskDef, cand: Candidate, result: result_pb2.Result) -> Observation:
        # The knowledge store is SQLite every team reads: never a secret this process knows (token, TLS key).
        clean = result_pb2.Result()
        clean.CopyFrom(result)
        result = secrets.scrub_message(clean)
        made_by = cand.params if isinstance(cand.params.get("transform"), str) else None
        return Observation.from_result(result, cand.source, task.spec, evaluation_id=cand.id, candidate_id=cand.id,
                                       parent_id=cand.parent_id or "", params=cand.params.get("values"),
                                       transform=made_by)

    # ------------------------------------------------------------------------------------- proposers
    def retrieve(self, task: TaskDef, source: str | None, result: result_pb2.Result | None,
                 k: int, *, include_pending: bool = False, include_trial: bool = False) -> list[KnowledgeSnippet]:
        """Entries for a situation: the parent's source and outcome, or the bare task before any candidate."""
        if source is not None and result is not None:
            obs = Observation.from_result(result, source, task.spec)
            query: Any = Query.from_observation(obs)
        else:
            dtypes = sorted({dtype_name(t.dtype) for t in [*task.spec.inputs, *task.spec.outputs]})
            text = " ".join([task.spec.description, task.spec.category, source or ""])
            query = Query.from_text(text, hardware=self.hardware, category=task.spec.category, dtypes=dtypes)
        # Trial entries (a synthesised template verified once) only for the offline search that re-verifies them.
        hits = self.kb.retrieve(query, k, include_pending=include_pending, include_trial=include_trial)
        if self.metrics is not None:
            self.metrics.kb_retrievals.inc()
        return [KnowledgeSnippet(entry_id=h.entry.id, title=h.entry.title, rationale=h.entry.rationale,
                                 template=h.entry.template, why=h.why, apis=tuple(h.entry.trigger.apis),
                                 transform=h.entry.transform, state=h.entry.state, score=h.score,
                                 uses=h.entry.stats.uses, mean_effect=h.entry.stats.mean_effect) for h in hits]

    def check(self, task: TaskDef, source: str, params: dict[str, Any],
              runtime: Runtime | None = None) -> list[tuple[str, str]]:
        if runtime is not None:
            params = {**runtime(), **params}
        return [(v.entry_id, v.message) for v in self.kb.check(source, params, self.hardware)]

    def for_round(self) -> RoundKnowledge:
        """A view for one round of one task: its retrievals and checks cost one actor call each kind."""
        return RoundKnowledge(self)

    def check_entries(self) -> list[Any]:
        """The active entries with an executable check for this hardware (what `check` runs)."""
        if hasattr(self.kb, "check_entries"):
            return self.kb.check_entries(self.hardware)
        return [e for e in self.kb.entries(("active",), self.hardware) if e.check]

    # -------------------------------------------------------------------------------------- campaign
    def observation(self, task: TaskDef, cand: Candidate, result: result_pb2.Result,
                    parent: tuple[Candidate, Evaluation | None] | None) -> tuple[Observation, Observation | None,
                                                                                   list[str], str]:
        """What `observe` sends for one evaluation: (observation, parent's, entries to credit, proposer)."""
        obs = self._observation(task, cand, result)
        pobs = None
        if parent is not None and parent[1] is not None:
            pobs = self._observation(task, parent[0], parent[1].result)
        return obs, pobs, list(dict.fromkeys(cand.knowledge_used)), cand.proposer

    def _packed(self, cand: Candidate, result: result_pb2.Result) -> PackedResult:
        """One evaluation as the knowledge store's packed batches carry it (knowledge/observation.py): the
        result serialized without any secret this process knows (the store is SQLite every team reads)."""
        made_by = cand.params if isinstance(cand.params.get("transform"), str) else None
        return (secrets.scrub_serialized(result), cand.source, cand.id, cand.parent_id or "",
                cand.params.get("values"), made_by)

    def pack_observations(self, items: list[tuple[TaskDef, Candidate, result_pb2.Result,
                                                  tuple[Candidate, Evaluation | None] | None]]) -> dict[str, Any]:
        """What `observe_many` sends: plain values, the Observations are built by the knowledge store. A batch's
        children mostly share a parent (the best so far): it is packed once."""
        tasks: dict[str, bytes] = {}
        parents: dict[str, tuple[PackedResult, str]] = {}
        out = []
        for task, cand, result, parent in items:
            name = task.name
            if name not in tasks:
                tasks[name] = self._spec_bytes(task)
            pid = ""
            if parent is not None and parent[1] is not None:
                pid = parent[0].id
                if pid not in parents:
                    parents[pid] = (self._packed(parent[0], parent[1].result), name)
            used = list(dict.fromkeys(cand.knowledge_used)) if cand.knowledge_used else []
            out.append((self._packed(cand, result), name, pid, used, cand.proposer))
        return {"tasks": tasks, "parents": parents, "items": out}

    def _spec_bytes(self, task: TaskDef) -> bytes:
        cached = self._specs.get(task.name)
        if cached is None or cached[0] is not task.spec:
            cached = self._specs[task.name] = (task.spec, task.spec.SerializeToString(deterministic=True))
        return cached[1]

    def observe_many(self, items: list[tuple[TaskDef, Candidate, result_pb2.Result,
                                             tuple[Candidate, Evaluation | None] | None]]) -> int:
        """`observe` for many evaluations in one knowledge call (in order); returns the entries changed. The
        actor builds the Observations itself (`observe_packed`): only plain values leave the driver."""
        packed = self.pack_observations(items)
        if self._send_packed is None:  # an actor started by an older version, still running, has no such method
            handle = getattr(self.kb, "handle", None)
            self._send_packed = hasattr(self.kb, "observe_packed") and (
                handle is None or hasattr(handle, "observe_packed"))
        if self._send_packed:
            made = int(self.kb.observe_packed(batch_bytes(packed)))
            if made:
                self._entries_changed()
            return made
        batch = unpack_observations(packed)
        if hasattr(self.kb, "observe_many"):
            made = int(self.kb.observe_many(batch))
            if made:
                self._entries_changed()
            return made
        changed = 0
        for obs, pobs, used, proposer in batch:
            changed += len(self.kb.observe(obs, pobs))
            if used:
                evidence = effect_evidence(obs, pobs, n_credited=len(used))
                evidence["proposer"] = proposer
                self.kb.record_effect(used, obs.outcome_vs(pobs), evidence)
        if changed:
            self._entries_changed()
        return changed

    def observe(self, task: TaskDef, cand: Candidate, result: result_pb2.Result,
                parent: tuple[Candidate, Evaluation | None] | None) -> int:
        """Synthesis from this evaluation (with its parent), and effect credit for the entries it applied.

        Only `cand.knowledge_used` is credited: by the proposer contract these are the entries the candidate
        actually applied (retrieved-but-unused ids are in params["retrieved"] and get nothing). Each use is
        stored with its evidence; a child made from its parent by one named transformation credits exactly
        that step (counterfactual: the parent is the same kernel without it).
        """
        obs = self._observation(task, cand, result)
        pobs = None
        if parent is not None and parent[1] is not None:
            pobs = self._observation(task, parent[0], parent[1].result)
        changed = self.kb.observe(obs, pobs)
        if changed:
            self._entries_changed()
        used = list(dict.fromkeys(cand.knowledge_used))
        if used:
            evidence = effect_evidence(obs, pobs, n_credited=len(used))
            evidence["proposer"] = cand.proposer
            self.kb.record_effect(used, obs.outcome_vs(pobs), evidence)
        return len(changed)


class RoundKnowledge:
    """A round's view of the knowledge store: every distinct retrieval asked once, the checks run here on the
    active check entries (the same entries and checks `KnowledgeBase.check` runs; fetched at most once a round,
    and reused across rounds for CHECK_ENTRIES_TTL_S unless this campaign's observations changed entries)."""

    def __init__(self, knowledge: CampaignKnowledge) -> None:
        self.knowledge = knowledge
        self.hardware = knowledge.hardware
        self._lock = threading.Lock()
        self._retrieved: dict[tuple[Any, ...], list[KnowledgeSnippet]] = {}
        self._entries: list[Any] | None = None
        self._hw: Any = None
        self._version = 0

    def retrieve(self, task: TaskDef, source: str | None, result: result_pb2.Result | None,
                 k: int, *, include_pending: bool = False, include_trial: bool = False) -> list[KnowledgeSnippet]:
        digest = hashlib.sha256()
        digest.update((source or "").encode())
        digest.update(b"\0" + (result.SerializeToString(deterministic=True) if result is not None else b""))
        key = (task.name, source is None, result is None, digest.hexdigest(), k, include_pending, include_trial)
        with self._lock:
            hit = self._retrieved.get(key)
        if hit is None:
            hit = self.knowledge.retrieve(task, source, result, k, include_pending=include_pending,
                                          include_trial=include_trial)
            with self._lock:
                self._retrieved[key] = hit
        return list(hit)

    def check(self, task: TaskDef, source: str, params: dict[str, Any],
              runtime: Runtime | None = None) -> list[tuple[str, str]]:
        if self._entries is None:   # the round's first check fetches (set once, read without the lock after)
            with self._lock:
                if self._entries is None:
                    from npu_agent.hardware import load_profile

                    self._hw = load_profile(self.hardware)
                    self._version = self.knowledge.entry_set_version(entries := self.knowledge.current_check_entries())
                    self._entries = entries
        entries, hw, version = self._entries, self._hw, self._version
        if not entries:
            return []
        return self.knowledge.cached_check(version, entries, hw, source, params or {}, runtime, task)


class ObservationQueue:
    """Knowledge observations of recorded results, sent in batches (one knowledge call each) by one background
    sender, so evaluation never waits for the knowledge store. `flush` waits until everything queued so far was
    sent; a batch that fails is retried, then logged, and never touches the results store."""

    RETRIES = 2

    def __init__(self, sink: Any, metrics: Any = None, max_batch: int = 512, linger_s: float = 0.2) -> None:
        self.sink = sink
        self.metrics = metrics
        self.max_batch = max_batch
        self.linger_s = linger_s   # a short batch waits this long for more (a flush does not wait)
        self._queue: list[tuple[Any, ...]] = []
        self._sender: asyncio.Task | None = None
        self._wake: asyncio.Event | None = None
        self._flushing = 0
        self.closed = False
        self.sent = 0      # observations the knowledge store acknowledged
        self.lost = 0      # observations given up after retries (logged)

    def put(self, task: TaskDef, cand: Candidate, result: result_pb2.Result,
            parent: tuple[Candidate, Evaluation | None] | None) -> None:
        self._queue.append((task, cand, result, parent))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.get_running_loop().create_task(self._send())

    async def _send(self) -> None:
        if self._wake is None:
            self._wake = asyncio.Event()
        while self._queue:
            if len(self._queue) < self.max_batch and not self._flushing:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.linger_s)
            batch, self._queue = self._queue[:self.max_batch], self._queue[self.max_batch:]
            await asyncio.to_thread(self._deliver, batch)

    def _deliver(self, batch: list[tuple[Any, ...]]) -> None:
        for attempt in range(self.RETRIES + 1):
            try:
                made = self.sink.observe_many(batch) if hasattr(self.sink, "observe_many") else sum(
                    self.sink.observe(*it) for it in batch)
            except Exception:  # knowledge must never lose a campaign's results (they are in the store already)
                if attempt == self.RETRIES:
                    self.lost += len(batch)
                    log.exception("knowledge update failed for %d observations (candidates %s...)", len(batch),
                                  batch[0][1].id)
                continue
            self.sent += len(batch)
            if self.metrics is not None and made:
                self.metrics.kb_synthesized.inc(made)
            return

    async def flush(self) -> None:
        """Return once every observation queued before this call has been sent."""
        self._flushing += 1   # no lingering for more while someone waits
        try:
            while self._sender is not None and not self._sender.done():
                if self._wake is not None:
                    self._wake.set()
                await asyncio.shield(self._sender)
        finally:
            self._flushing -= 1

    async def close(self) -> None:
        await self.flush()
        self.closed = True

    def drain_now(self) -> None:
        """Send what is still queued from this thread (a stopped campaign cannot await any more)."""
        batch, self._queue = self._queue, []
        if batch:
            self._deliver(batch)
        self.closed = True
