"""Prometheus metrics of the controller processes (hawk_campaign_*, hawk_scheduler_*, hawk_llm_*, hawk_knowledge_*).

Each process (the campaign driver, the scheduler actor) owns a private registry and serves it on its own
port. Labels are bounded: the scheduler is shared by every campaign on a cluster and lives for weeks, so it
labels by team and priority (from specs), never by campaign or evaluation id or agent address; a campaign
driver serves one campaign, so its metrics carry the campaign's *name* and task names from its spec. Status,
outcome and operation labels come from small fixed sets. docs/monitoring.md lists every metric and alert.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Awaitable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from hawk.v1 import result_pb2

# Final statuses an evaluation can end with (labels pre-created at 0, so rates and alerts see the series at once).
STATUSES = tuple(v.name.lower() for v in result_pb2.Status.DESCRIPTOR.values if v.number)
# Calls into the knowledge store that can fail (CountedKnowledge).
KNOWLEDGE_OPERATIONS = ("retrieve", "check", "observe", "other")


class SchedulerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.queued = Gauge("hawk_scheduler_queued_jobs", "Evaluations waiting for a device slot, by the team "
                            "and priority of their campaign", ["team", "priority"], registry=r)
        self.running = Gauge("hawk_scheduler_running_jobs", "Evaluations holding a device slot", registry=r)
        self.slots = Gauge("hawk_scheduler_device_slots", "Device slots on the farm", ["state"], registry=r)
        self.agents = Gauge("hawk_scheduler_agents", "Agents known to the scheduler", ["state"], registry=r)
        self.wait = Histogram("hawk_scheduler_queue_wait_seconds", "Time from submission to dispatch",
                              buckets=(0.001, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300), registry=r)
        self.done = Counter("hawk_scheduler_evaluations_total", "Evaluations finished", ["status"], registry=r)
        self.quarantines = Counter("hawk_scheduler_quarantines_total", "Agents put in quarantine", registry=r)
        # Per status number, the counter's child: labels() per evaluation was a tenth of the scheduler's CPU.
        self._done = {v.number: self.done.labels(status=v.name.lower())
                      for v in result_pb2.Status.DESCRIPTOR.values if v.number}
        for s in ("busy", "free"):
            self.slots.labels(state=s)
        for s in ("healthy", "draining", "quarantined"):
            self.agents.labels(state=s)
        self._queue_labels: set[tuple[str, str]] = set()

    def dispatched(self, campaign: str, waited_s: float) -> None:
        self.wait.observe(waited_s)

    def completed(self, campaign: str, status: int) -> None:
        child = self._done.get(status)
        if child is None:  # a status this build does not know: Name() says so
            child = self.done.labels(status=result_pb2.Status.Name(status).lower())
        child.inc()

    def quarantined(self, address: str) -> None:
        self.quarantines.inc()

    def observe_farm(self, scheduler: Any) -> None:
        snap = scheduler.snapshot()
        self.running.set(snap["running"])
        busy = sum(a["busy"] for a in snap["agents"])
        self.slots.labels(state="busy").set(busy)
        self.slots.labels(state="free").set(snap["free_slots"])
        states = {"healthy": 0, "draining": 0, "quarantined": 0}
        for a in snap["agents"]:
            states["draining" if a["draining"] else "quarantined" if a["quarantined_s"] > 0 else "healthy"] += 1
        for k, v in states.items():
            self.agents.labels(state=k).set(v)
        # Campaign -> (team, priority); a campaign the scheduler no longer knows counts as the default team.
        meta: dict[str, tuple[str, int]] = getattr(scheduler, "_campaign_meta", {})
        queued: dict[tuple[str, str], int] = dict.fromkeys(self._queue_labels, 0)
        for campaign, n in snap["queued"].items():
            team, priority = meta.get(campaign, ("default", 0))
            key = (str(team), str(priority))
            queued[key] = queued.get(key, 0) + n
        if not queued:
            queued[("default", "0")] = 0  # the series exists from the start: alerts compare it with free slots
        for (team, priority), n in queued.items():
            self.queued.labels(team=team, priority=priority).set(n)
        self._queue_labels.update(queued)


class CampaignMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.campaign = ""  # the name of the campaign this driver runs (campaign_running)
        self.candidates = Counter("hawk_campaign_candidates_total", "Candidates proposed",
                                  ["campaign", "proposer"], registry=r)
        self.duplicates = Counter("hawk_campaign_duplicates_total", "Proposals dropped as already evaluated",
                                  ["campaign"], registry=r)
        self.proposal_failures = Counter("hawk_campaign_proposal_failures_total",
                                         "Answers that gave no candidate (recorded in proposal_failures)",
                                         ["campaign", "proposer"], registry=r)
        self.pruned = Counter("hawk_campaign_pruned_total", "Proposals pruned by knowledge checks", ["campaign"],
                              registry=r)
        self.evaluations = Counter("hawk_campaign_evaluations_total", "Evaluations recorded",
                                   ["campaign", "status"], registry=r)
        self.best_speedup = Gauge("hawk_campaign_best_speedup_ratio", "Best speedup over the baseline",
                                  ["campaign", "task"], registry=r)
        self.round = Gauge("hawk_campaign_round", "Current round", ["campaign", "task"], registry=r)
        self.running = Gauge("hawk_campaign_running", "1 while the campaign runs in this driver, 0 once it ended",
                             ["campaign"], registry=r)
        self.started = Gauge("hawk_campaign_start_time_seconds", "Unix time the campaign (or its resume) started",
                             ["campaign"], registry=r)
        self.llm_requests = Counter("hawk_llm_requests_total", "LLM requests", ["campaign", "outcome"], registry=r)
        self.llm_tokens = Counter("hawk_llm_tokens_total", "LLM tokens", ["campaign", "kind"], registry=r)
        self.llm_cost = Counter("hawk_llm_cost_usd_total", "LLM cost in US dollars", ["campaign"], registry=r)
        self._kb_retrievals = Counter("hawk_knowledge_retrievals_total", "Knowledge retrievals", ["campaign"],
                                      registry=r)
        self._kb_used = Counter("hawk_knowledge_entries_used_total", "Knowledge entries put into proposals",
                                ["campaign"], registry=r)
        self._kb_synthesized = Counter("hawk_knowledge_synthesized_total", "Knowledge entries synthesized",
                                       ["campaign"], registry=r)
        self.kb_errors = Counter("hawk_knowledge_errors_total", "Knowledge store calls that raised, by operation "
                                 "(the campaign goes on without them)", ["campaign", "operation"], registry=r)

    # The knowledge counters keep their unlabelled call sites (`metrics.kb_used.inc(n)`): the campaign is this
    # driver's own.
    @property
    def kb_retrievals(self) -> Any:
        return self._kb_retrievals.labels(campaign=self.campaign)

    @property
    def kb_used(self) -> Any:
        return self._kb_used.labels(campaign=self.campaign)

    @property
    def kb_synthesized(self) -> Any:
        return self._kb_synthesized.labels(campaign=self.campaign)

    def campaign_running(self, campaign: str, running: bool, proposers: Iterable[str] = ()) -> None:
        """Mark the driver's campaign running (series at 0 exist from the start, so a campaign that never
        records an evaluation still trips HawkCampaignStalled) or ended."""
        self.campaign = campaign
        self.running.labels(campaign=campaign).set(int(running))
        if running:
            self.started.labels(campaign=campaign).set(time.time())
            self.duplicates.labels(campaign=campaign)
            self.pruned.labels(campaign=campaign)
            for proposer in proposers:
                self.candidates.labels(campaign=campaign, proposer=proposer)
                self.proposal_failures.labels(campaign=campaign, proposer=proposer)
            for s in STATUSES:
                self.evaluations.labels(campaign=campaign, status=s)
            for outcome in ("ok", "failed"):
                self.llm_requests.labels(campaign=campaign, outcome=outcome)
            for kind in ("prompt", "completion"):
                self.llm_tokens.labels(campaign=campaign, kind=kind)
            self.llm_cost.labels(campaign=campaign)
            for family in (self._kb_retrievals, self._kb_used, self._kb_synthesized):
                family.labels(campaign=campaign)
            for op in KNOWLEDGE_OPERATIONS:
                self.kb_errors.labels(campaign=campaign, operation=op)

    def llm_request(self, failed: bool, prompt_tokens: int, completion_tokens: int, cost: float) -> None:
        c = self.campaign
        self.llm_requests.labels(campaign=c, outcome="failed" if failed else "ok").inc()
        self.llm_tokens.labels(campaign=c, kind="prompt").inc(prompt_tokens)
        self.llm_tokens.labels(campaign=c, kind="completion").inc(completion_tokens)
        self.llm_cost.labels(campaign=c).inc(cost)

    def knowledge_error(self, operation: str) -> None:
        self.kb_errors.labels(campaign=self.campaign, operation=operation).inc()


class CountedKnowledge:
    """A knowledge store (`knowledge.base.KnowledgeBase` or the actor's `KnowledgeClient`) whose failing calls
    are counted in hawk_knowledge_errors_total{operation} and re-raised unchanged.

    It wraps the store, not the campaign's view of it, so every call that reaches the store is counted,
    whichever method of the campaign code (batched or not) makes it.
    """

    def __init__(self, kb: Any, metrics: CampaignMetrics) -> None:
        self._kb = kb
        self._metrics = metrics

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._kb, name)
        if name.startswith("_") or not callable(attr):
            return attr
        operation = knowledge_operation(name)
        metrics = self._metrics

        @functools.wraps(attr)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                result = attr(*args, **kwargs)
            except Exception:
                metrics.knowledge_error(operation)
                raise
            if inspect.isawaitable(result):
                return _counted(result, metrics, operation)
            return result

        return call


async def _counted(awaitable: Awaitable[Any], metrics: CampaignMetrics, operation: str) -> Any:
    try:
        return await awaitable
    except Exception:
        metrics.knowledge_error(operation)
        raise


def knowledge_operation(method: str) -> str:
    """The operation label of a knowledge store method (retrieve, check, observe, other)."""
    if method.startswith("retrieve"):
        return "retrieve"
    if method.startswith("check"):
        return "check"
    if method.startswith("observe") or method == "record_effect":
        return "observe"
    return "other"


def serve(registry: CollectorRegistry, port: int, host: str = "127.0.0.1") -> int:
    """Serve a registry over HTTP; returns the bound port (port 0 picks a free one)."""
    server, _ = start_http_server(port, addr=host, registry=registry)
    return server.server_port
