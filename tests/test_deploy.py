"""Deployment files hold: Prometheus rules and config are valid, a real Prometheus scrapes a real agent,
and every Grafana panel query is valid PromQL against that server."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from hawk.v1 import task_pb2
from npu_agent.client import AgentClient
from npu_agent.server import Agent, AgentConfig

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
REQUIRED = os.environ.get("HAWK_REQUIRE_PROMETHEUS") == "1"  # set by .ci/run, which installs Prometheus


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if REQUIRED:
            pytest.fail(f"{name} is required (HAWK_REQUIRE_PROMETHEUS=1) but not installed")
        pytest.skip(f"{name} not installed (.ci/run installs Debian's prometheus package)")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_rules_and_config_are_valid(tmp_path: Path) -> None:
    promtool = _tool("promtool")
    out = subprocess.run([promtool, "check", "rules", str(DEPLOY / "prometheus" / "rules.yml")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    out = subprocess.run([promtool, "check", "config", str(DEPLOY / "prometheus" / "prometheus.yml")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def _query(base: str, expr: str) -> dict:
    url = f"{base}/api/v1/query?query={urllib.parse.quote(expr)}"
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def test_prometheus_scrapes_an_agent_and_dashboards_query(tmp_path: Path) -> None:
    prometheus = _tool("prometheus")
    task = task_pb2.TaskSpec(
        name="noop", kernel_entry="k", reference_entry="reference", reference_source="def reference(x):\n    return x\n",
        inputs=[task_pb2.TensorSpec(name="x", shape=[4], dtype=task_pb2.FLOAT32)],
        outputs=[task_pb2.TensorSpec(name="y", shape=[4], dtype=task_pb2.FLOAT32)])
    with Agent(AgentConfig(backend="null", devices=2, metrics_port=0)) as agent:
        client = AgentClient(agent.address)
        (task_hash,) = client.put_task(task)
        assert client.evaluate(task_hash, "// hawk-null: run_s=0\n").status == 1
        (tmp_path / "rules.yml").write_text((DEPLOY / "prometheus" / "rules.yml").read_text())
        (tmp_path / "prometheus.yml").write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\nrule_files: [rules.yml]\n"
            f"scrape_configs:\n  - job_name: hawk-agent\n    static_configs: [{{targets: ['127.0.0.1:{agent.metrics_port}']}}]\n")
        port = _free_port()
        proc = subprocess.Popen([prometheus, f"--config.file={tmp_path / 'prometheus.yml'}",
                                 f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            value = None
            while time.monotonic() < deadline and value is None:
                time.sleep(0.5)
                try:
                    res = _query(base, 'sum(hawk_agent_evaluations_total{status="ok"})')["data"]["result"]
                    util = _query(base, "hawk:agent_device_utilisation:ratio")["data"]["result"]
                except OSError:
                    continue
                if res and util:
                    value = float(res[0]["value"][1])
            assert value == 1.0, "Prometheus never scraped the agent's evaluation counter"
            dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "hawk-farm.json").read_text())
            for panel in dashboard["panels"]:
                for target in panel["targets"]:
                    answer = _query(base, target["expr"])
                    assert answer["status"] == "success", (panel["title"], target["expr"], answer)
        finally:
            proc.terminate()
            proc.wait(10)
