"""Prometheus metrics of the controller processes (hawk_campaign_*, hawk_scheduler_*, hawk_llm_*, hawk_knowledge_*).

Each process (the campaign driver, the scheduler actor) owns a private registry and serves it on its own
port; labels are bounded (campaign and task names come from specs, statuses and pipes from enums).
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from hawk.v1 import result_pb2


class SchedulerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.queued = Gauge("hawk_scheduler_queued_jobs", "Evaluations waiting for a device slot", ["campaign"],
                            registry=r)
        self.running = Gauge("hawk_scheduler_running_jobs", "Evaluations holding a device slot", registry=r)
        self.slots = Gauge("hawk_scheduler_device_slots", "Device slots on the farm", ["state"], registry=r)
        self.agents = Gauge("hawk_scheduler_agents", "Agents known to the scheduler", ["state"], registry=r)
        self.wait = Histogram("hawk_scheduler_queue_wait_seconds", "Time from submission to dispatch",
                              buckets=(0.001, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300), registry=r)
        self.done = Counter("hawk_scheduler_evaluations_total", "Evaluations finished", ["status"], registry=r)
        self.quarantines = Counter("hawk_scheduler_quarantines_total", "Agents put in quarantine", registry=r)

    def dispatched(self, campaign: str, waited_s: float) -> None:
        self.wait.observe(waited_s)

    def completed(self, campaign: str, status: int) -> None:
        self.done.labels(status=result_pb2.Status.Name(status).lower()).inc()

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
        for campaign in list(scheduler._campaign_meta):
            self.queued.labels(campaign=campaign).set(snap["queued"].get(campaign, 0))


class CampaignMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
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
        self.llm_requests = Counter("hawk_llm_requests_total", "LLM requests", ["outcome"], registry=r)
        self.llm_tokens = Counter("hawk_llm_tokens_total", "LLM tokens", ["kind"], registry=r)
        self.llm_cost = Counter("hawk_llm_cost_usd_total", "LLM cost in US dollars", registry=r)
        self.kb_retrievals = Counter("hawk_knowledge_retrievals_total", "Knowledge retrievals", registry=r)
        self.kb_used = Counter("hawk_knowledge_entries_used_total", "Knowledge entries put into proposals",
                               registry=r)
        self.kb_synthesized = Counter("hawk_knowledge_synthesized_total", "Knowledge entries synthesized",
                                      registry=r)

    def llm_request(self, failed: bool, prompt_tokens: int, completion_tokens: int, cost: float) -> None:
        self.llm_requests.labels(outcome="failed" if failed else "ok").inc()
        self.llm_tokens.labels(kind="prompt").inc(prompt_tokens)
        self.llm_tokens.labels(kind="completion").inc(completion_tokens)
        self.llm_cost.inc(cost)


def serve(registry: CollectorRegistry, port: int, host: str = "127.0.0.1") -> int:
    """Serve a registry over HTTP; returns the bound port (port 0 picks a free one)."""
    server, _ = start_http_server(port, addr=host, registry=registry)
    return server.server_port
