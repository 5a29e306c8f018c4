"""Every series the dashboards and alerts read exists in a live scrape, and every label is bounded.

A real null-backend agent, a real campaign on a local Ray (the scheduler actor, the knowledge actor, the LLM
proposer talking to the loopback OpenAI-compatible server) with its metrics ports; then the three endpoints
(agent, campaign driver, scheduler actor) are scraped, and a real Prometheus scrapes them too and answers
every dashboard query with data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from npu_agent.client import AgentClient, AgentError
from npu_agent.server import Agent, AgentConfig
from tests.monitoring.promql import (
    DEPLOY,
    SCRAPE_SERIES,
    dashboard_queries,
    raw_metric_names,
    require_tool,
    rule_queries,
)
from tests.support.null_task import write_null_task
from tests.support.openai_server import FakeOpenAIServer

SPEC = """
name = "live-scrape"
tasks = ["tasks.toml"]
output_dir = "out"
team = "kernels"
priority = 1
[budget]
rounds = 2
candidates_per_round = 2
[proposers]
offline = 1
llm = 1
[llm]
base_url = "{base_url}"
model = "m"
api_key_env = "HAWK_TEST_KEY"
[agents]
addresses = ["{agent}"]
backend = "null"
"""
Scrape = dict[str, list[tuple[str, dict[str, str]]]]  # family -> [(sample name, labels)]
Values = dict[tuple[str, frozenset], float]  # (sample name, labels) -> value
MAX_SERIES_PER_METRIC = 40  # label sets per family (histogram buckets aside): far above any bounded metric here
# What an unbounded label value looks like: ids (hex, uuid, kb-…), addresses, paths, free text.
ID_LIKE = re.compile(r"[0-9a-f]{8,}|[0-9a-f]{8}-[0-9a-f]{4}|\d+\.\d+\.\d+\.\d+|:\d{2,5}$|/|\s|^kb-|^c-")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _scrape(port: int) -> tuple[Scrape, Values]:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    out: Scrape = defaultdict(list)
    values: Values = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[fam.name].append((s.name, dict(s.labels)))
            values[(s.name, frozenset(s.labels.items()))] = s.value
    return out, values


def _query(base: str, expr: str) -> dict:
    with urllib.request.urlopen(f"{base}/api/v1/query?query={urllib.parse.quote(expr)}", timeout=10) as r:
        return json.loads(r.read())


def _reply(request: dict) -> str:
    if "## Kernel contract" not in request["messages"][1]["content"]:
        return "No rationale here."  # the knowledge actor's synthesis asks too
    return "```cpp\n// k(\n// hawk-null: run_s=0.004\n```"


def _run_campaign(tmp_path: Path, agent: Agent, base_url: str, campaign_port: int,
                  scheduler_port: int) -> tuple[str, Any]:
    import ray

    from controller.farm import run_campaign
    from controller.scheduler_actor import get_scheduler
    from controller.spec import parse_spec
    from controller.store import ResultsStore

    write_null_task(tmp_path)
    spec = parse_spec(SPEC.format(base_url=base_url, agent=agent.address), base_dir=tmp_path)
    store = ResultsStore(tmp_path / "results.sqlite")
    # A cluster of our own (address="local"), never one another test or worker started on this machine.
    ray.init(address="local", namespace="hawk", include_dashboard=False, log_to_driver=False, num_cpus=2)
    # Our own handle keeps the scheduler actor (and its metrics port) alive after the campaign's goes away.
    scheduler = get_scheduler(detached=False)
    cid = asyncio.run(run_campaign(spec, store, work_dir=tmp_path / "work", metrics_port=campaign_port,
                                   scheduler_metrics_port=scheduler_port))
    assert store.campaign(cid)["state"] == "finished"
    return cid, scheduler


def _start_prometheus(tmp_path: Path, ports: dict[str, int]) -> tuple[subprocess.Popen, str]:
    """Prometheus scraping each job's port every second, with our rules."""
    (tmp_path / "rules.yml").write_text((DEPLOY / "prometheus" / "rules.yml").read_text())
    jobs = "".join(f"  - job_name: {job}\n    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
                   for job, port in ports.items())
    (tmp_path / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\nrule_files: [rules.yml]\n"
        f"scrape_configs:\n{jobs}")
    port = _free_port()
    proc = subprocess.Popen([require_tool("prometheus"), f"--config.file={tmp_path / 'prometheus.yml'}",
                             f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}"


def _wait_ready(base: str, jobs: int) -> None:
    """Until each target answered three scrapes (rates need two) and the recording rules have run."""
    deadline = time.monotonic() + 60
    seen: dict[str, Any] = {}
    while time.monotonic() < deadline:
        time.sleep(0.5)
        try:
            seen = {"up": _query(base, "sum_over_time(up[1m])")["data"]["result"],
                    "down": _query(base, "up == 0")["data"]["result"],
                    "recorded": _query(base, "hawk:scheduler_internal:ratio10m")["data"]["result"]}
        except OSError:
            continue
        if (len(seen["up"]) == jobs and all(float(r["value"][1]) >= 3 for r in seen["up"]) and not seen["down"]
                and seen["recorded"]):
            return
    with contextlib.suppress(OSError), urllib.request.urlopen(f"{base}/api/v1/targets", timeout=10) as r:
        seen["targets"] = [(t["labels"]["job"], t["health"], t["lastError"])
                           for t in json.loads(r.read())["data"]["activeTargets"]]
    raise AssertionError(f"Prometheus never scraped the agent, the campaign driver and the scheduler: {seen}")


def _check_bounded(name: str, samples: list[tuple[str, dict[str, str]]], forbidden: list[str]) -> None:
    label_sets = {frozenset((k, v) for k, v in labels.items() if k != "le") for _, labels in samples}
    assert len(label_sets) <= MAX_SERIES_PER_METRIC, f"{name} has {len(label_sets)} series"
    for _, labels in samples:
        for k, v in labels.items():
            if k in ("le", "quantile", "version", "backend_version"):
                continue
            assert not ID_LIKE.search(v), f"{name}{{{k}={v!r}}} looks unbounded (an id, address or text)"
            assert not any(f in v for f in forbidden), f"{name}{{{k}={v!r}}}"


def test_dashboards_and_alerts_read_live_series(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ray

    require_tool("prometheus")
    monkeypatch.setenv("HAWK_HOME", str(tmp_path / "home"))  # the knowledge store, read by the Ray actor
    monkeypatch.setenv("HAWK_TEST_KEY", "test-key")
    proc = None
    with FakeOpenAIServer(_reply) as llm, Agent(AgentConfig(backend="null", devices=2, metrics_port=0)) as agent:
        try:
            ports = {"hawk-agent": agent.metrics_port, "hawk-campaign": _free_port(),
                     "hawk-scheduler": _free_port()}
            proc, base = _start_prometheus(tmp_path, ports)  # it scrapes the campaign as it runs
            with AgentClient(agent.address) as c, pytest.raises(AgentError):
                c.evaluate("ab" * 32, "// a task the agent never saw\n")  # a refusal: hawk_agent_rejected_*
            cid, _scheduler = _run_campaign(tmp_path, agent, llm.base_url, ports["hawk-campaign"],
                                            ports["hawk-scheduler"])
            assert any("## Kernel contract" in r["messages"][1]["content"] for r in llm.requests)
            scraped = {job: _scrape(port) for job, port in ports.items()}
            scrapes = {job: families for job, (families, _) in scraped.items()}

            # Every metric name a dashboard panel, a dashboard variable or a rule reads is served by someone.
            served = {s for scrape in scrapes.values() for samples in scrape.values() for s, _ in samples}
            queries = dashboard_queries() + rule_queries()
            assert len(queries) > 60
            for q in queries:
                missing = raw_metric_names(q.expr) - served - SCRAPE_SERIES
                assert not missing, f"{q.where}: {sorted(missing)} not in the live scrape ({q.expr})"
            campaign = scrapes["hawk-campaign"]
            rounds = {labels["task"] for _, labels in campaign.get("hawk_campaign_round", [])}
            assert rounds == {"nullsearch"}, "hawk_campaign_round is not set for the campaign's task"

            # Bounded labels: no campaign or evaluation id, no agent address, nothing id-like; few series each.
            forbidden = [cid, agent.address]
            for scrape in scrapes.values():
                for name, samples in scrape.items():
                    _check_bounded(name, samples, forbidden)
            for name, samples in scrapes["hawk-scheduler"].items():
                assert all("campaign" not in labels for _, labels in samples), f"{name} carries a campaign label"
            statuses = {labels["status"] for _, labels in campaign["hawk_campaign_evaluations"]}
            assert "ok" in statuses and "internal" in statuses  # pre-created at 0 for rates and alerts
            values = scraped["hawk-campaign"][1]

            def counted(name: str, **labels: str) -> float:
                return values.get((name, frozenset({"campaign": "live-scrape", **labels}.items())), 0.0)

            # The series are real: the campaign's own name, what the run did.
            assert counted("hawk_llm_requests_total", outcome="ok") >= 1
            assert counted("hawk_llm_tokens_total", kind="completion") > 0
            assert counted("hawk_campaign_candidates_total", proposer="llm") >= 1
            assert counted("hawk_campaign_evaluations_total", status="ok") >= 4
            assert counted("hawk_knowledge_retrievals_total") >= 1
            assert counted("hawk_campaign_running") == 0  # it ended

            # The real Prometheus: every dashboard query answers with data; a healthy farm raises no alert.
            _wait_ready(base, len(ports))
            # A recording rule's series appears at the first rule evaluation after two samples of its input:
            # queries still empty are asked again until that has certainly happened (a bounded wait, not a timing).
            pending, deadline = dashboard_queries(), time.monotonic() + 30
            while True:
                empty = []
                for q in pending:
                    answer = _query(base, q.expr)
                    assert answer["status"] == "success", (q.where, q.expr, answer)
                    if not answer["data"]["result"]:
                        empty.append(q)
                if not empty or time.monotonic() > deadline:
                    break
                pending = empty
                time.sleep(1)
            assert not empty, "dashboard queries without data:\n" + "\n".join(f"{q.where}: {q.expr}" for q in empty)
            for q in rule_queries():
                assert _query(base, q.expr)["status"] == "success", (q.where, q.expr)
            alerts = _query(base, "ALERTS")["data"]["result"]
            assert not alerts, f"alerts on a healthy farm: {[a['metric'] for a in alerts]}"
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(10)
            ray.shutdown()
