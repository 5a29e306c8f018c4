"""The Grafana dashboards are well-formed, every query parses, and every metric a dashboard or rule names is
defined by our metrics classes (a fast check without Prometheus or Ray; test_live_scrape.py checks the same
names against a live scrape of a running farm)."""

from __future__ import annotations

import json

import promql_parser
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from controller.metrics import CampaignMetrics, SchedulerMetrics
from npu_agent.metrics import AgentMetrics
from tests.monitoring.promql import (
    DASHBOARDS,
    SCRAPE_SERIES,
    dashboard_queries,
    raw_metric_names,
    rule_queries,
    substitute,
)


def _defined() -> set[str]:
    campaign = CampaignMetrics()
    campaign.campaign_running("c", True, proposers=["offline"])
    for labelled in (campaign.round, campaign.best_speedup):
        labelled.labels(campaign="c", task="t")
    scheduler, agent = SchedulerMetrics(), AgentMetrics()
    scheduler.queued.labels(team="t", priority="0")
    agent.rejected.labels(code="not_found")
    agent.evaluations.labels(stage="done", status="ok")
    agent.stage_seconds.labels(stage="compiling")
    names = set()
    for registry in (agent.registry, scheduler.registry, campaign.registry):
        for fam in text_string_to_metric_families(generate_latest(registry).decode()):
            names.update(s.name for s in fam.samples)
    return names


def test_dashboards_are_well_formed() -> None:
    boards = [json.loads(p.read_text()) for p in sorted(DASHBOARDS.glob("*.json"))]
    assert {b["uid"] for b in boards} == {"hawk-farm", "hawk-campaign", "hawk-llm-cost"}
    for b in boards:
        ids = [p["id"] for p in b["panels"]]
        assert len(ids) == len(set(ids)), b["uid"]
        for p in b["panels"]:
            g = p["gridPos"]
            assert g["x"] >= 0 and g["x"] + g["w"] <= 24, (b["uid"], p["title"])
            if p["type"] != "row":
                assert p["targets"] and p["datasource"]["uid"] == "${datasource}", (b["uid"], p["title"])
        assert any(v["name"] == "datasource" for v in b["templating"]["list"])


def test_every_query_parses_and_names_defined_metrics() -> None:
    defined = _defined()
    queries = dashboard_queries() + rule_queries()
    for q in queries:
        promql_parser.parse(q.expr)  # raises on a syntax error
        unknown = raw_metric_names(q.expr) - defined - SCRAPE_SERIES
        assert not unknown, f"{q.where}: {sorted(unknown)} is defined by no metrics class"


def test_variables_are_known() -> None:
    assert substitute('rate(x{campaign=~"$campaign"}[$__rate_interval])') == 'rate(x{campaign=~".*"}[1m])'
    with pytest.raises(ValueError, match=r"\$unknown"):
        substitute("x[$unknown]")
