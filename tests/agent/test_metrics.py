"""Prometheus metrics, scraped from the agent's real HTTP endpoint."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hawk.v1 import agent_pb2, result_pb2
from npu_agent.client import AgentClient, AgentError
from npu_agent.metrics import AgentMetrics
from npu_agent.pipeline import STAGE_NAMES, STATUS_NAMES
from npu_agent.sandbox import Limits, Sandbox
from npu_agent.server import wait_for
from tests.agent.helpers import Background, add_task

S = result_pb2
Samples = dict[tuple[str, frozenset], float]


def scrape(port: int) -> Samples:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    out: Samples = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_follow_the_evaluations(start_agent) -> None:
    agent = start_agent(devices=1, metrics_port=0)
    port = agent.metrics_port
    assert port
    with AgentClient(agent.address) as c:
        h = c.put_task(add_task(verify_sets=2))[0]
        assert c.evaluate(h, "// ok\n").status == S.OK
        assert c.evaluate(h, "// ok\n").cached
        assert c.evaluate(h, "// hawk-null: fail=compile\n").status == S.COMPILE_ERROR
        with pytest.raises(AgentError):
            c.evaluate("ab" * 32, "// unknown task\n")
        m = scrape(port)
        assert value(m, "hawk_agent_evaluations_total", stage="done", status="ok") == 2
        assert value(m, "hawk_agent_evaluations_total", stage="compiling", status="compile_error") == 1
        assert value(m, "hawk_agent_cache_hits_total") == 1
        assert value(m, "hawk_agent_cache_entries") == 2
        assert value(m, "hawk_agent_rejected_requests_total", code="not_found") == 1
        assert value(m, "hawk_agent_stage_duration_seconds_count", stage="compiling") == 2
        assert value(m, "hawk_agent_stage_duration_seconds_count", stage="profiling") == 1
        assert value(m, "hawk_agent_devices") == 1
        assert value(m, "hawk_agent_build_info", version=agent.info().agent_version, backend="null",
                     backend_version="null-1", hardware_profile="ascend910b2") == 1

        # While one candidate holds the only device and another waits for it:
        busy = Background(c, h, "// hawk-null: run_s=30\n", evaluation_id="busy")
        busy.wait_stage(S.VERIFYING)
        waiting = Background(c, h, "// waits\n", evaluation_id="waiting")
        waiting.wait_stage(S.QUEUED, occurrence=2)
        assert wait_for(lambda: value(scrape(port), "hawk_agent_queue_depth", queue="device") == 1, 10)
        m = scrape(port)
        assert value(m, "hawk_agent_busy_devices") == 1 and value(m, "hawk_agent_inflight_evaluations") == 2
        assert c.cancel("busy")
        assert busy.join().status == S.CANCELLED and waiting.join().status == S.OK
        m = scrape(port)
        assert value(m, "hawk_agent_busy_devices") == 0 and value(m, "hawk_agent_queue_depth", queue="device") == 0
        assert value(m, "hawk_agent_evaluations_total", stage="verifying", status="cancelled") == 1


def test_metric_names_and_labels_are_bounded(start_agent) -> None:
    agent = start_agent(metrics_port=0)
    with AgentClient(agent.address) as c:
        h = c.put_task(add_task())[0]
        for i in range(5):  # distinct ids, sources and campaigns must not create series
            c.evaluate(h, f"// candidate {i}\n", evaluation_id=f"id-{i}", campaign=f"camp-{i}",
                       options=agent_pb2.EvaluateOptions(skip_profile=True))
    allowed = {"stage": set(STAGE_NAMES.values()), "status": set(STATUS_NAMES.values()),
               "queue": {"compile", "device"}, "le": None, "code": None, "reason": None,
               "version": None, "backend": None, "backend_version": None, "hardware_profile": None}
    for name, labels in scrape(agent.metrics_port):
        assert name.startswith("hawk_agent_"), name
        for k, v in labels:
            assert k in allowed, (name, k)
            assert allowed[k] is None or v in allowed[k], (name, k, v)
            assert "id-" not in v and "camp-" not in v


def test_sandbox_kills_are_counted(sandbox_root: Path) -> None:
    metrics = AgentMetrics()
    sandbox = Sandbox(sandbox_root, observer=metrics.observe_sandbox)
    work = sandbox.make_workdir("kill")
    r = sandbox.run(["/bin/sh", "-c", "while :; do :; done"], cwd=work, limits=Limits(), timeout_s=0.3)
    assert r.timed_out
    port = metrics.serve(0, "127.0.0.1")
    try:
        assert value(scrape(port), "hawk_agent_sandbox_kills_total", reason="timeout") == 1
    finally:
        metrics.close()
