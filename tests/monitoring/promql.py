"""What the monitoring files query: every PromQL expression of the Grafana dashboards and Prometheus rules,
with Grafana's variables made concrete, and the metric names each one reads (through recording rules)."""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "rules.yml"
DASHBOARDS = DEPLOY / "grafana" / "dashboards"
# Series Prometheus itself makes for each target; they are not in any exposition.
SCRAPE_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
# Grafana's variables, as a live dashboard fills them in (regex variables take every value).
VARIABLES = {"__rate_interval": "1m", "__interval": "15s", "__range": "1h", "campaign": ".*", "datasource": ""}


REQUIRED = os.environ.get("HAWK_REQUIRE_PROMETHEUS") == "1"  # set by .ci/run, which installs Prometheus


def require_tool(name: str) -> str:
    """The path of promtool or prometheus (Debian's prometheus package); skip, or fail under .ci/run."""
    path = shutil.which(name)
    if path is None:
        if REQUIRED:
            pytest.fail(f"{name} is required (HAWK_REQUIRE_PROMETHEUS=1) but not installed")
        pytest.skip(f"{name} not installed (.ci/run installs Debian's prometheus package)")
    return path


@dataclass(frozen=True)
class Query:
    where: str   # "hawk-farm.json: Device utilisation [A]" or "rules.yml: HawkAgentDown"
    expr: str    # with Grafana variables replaced


def substitute(expr: str) -> str:
    def var(m: re.Match) -> str:
        name = m.group(1) or m.group(2)
        if name not in VARIABLES:
            raise ValueError(f"unknown Grafana variable ${name} in {expr!r}")
        return VARIABLES[name]
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", var, expr)


def _panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in panels:
        out.append(p)
        out.extend(_panels(p.get("panels", [])))  # collapsed rows hold their panels
    return out


def dashboard_queries() -> list[Query]:
    out = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        board = json.loads(path.read_text())
        for p in _panels(board["panels"]):
            for t in p.get("targets", []):
                out.append(Query(f"{path.name}: {p['title']} [{t['refId']}]", substitute(t["expr"])))
        for v in board.get("templating", {}).get("list", []):
            if v.get("type") == "query":
                q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
                m = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", q.strip())
                assert m, f"{path.name}: variable {v['name']}: only label_values(selector, label) is used"
                out.append(Query(f"{path.name}: variable {v['name']}", substitute(m.group(1))))
    return out


def rules() -> list[dict[str, Any]]:
    return [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]


def rule_queries() -> list[Query]:
    return [Query(f"rules.yml: {r.get('alert') or r.get('record')}", r["expr"]) for r in rules()]


def metric_names(expr: str) -> set[str]:
    """Metric names the expression selects (vector and range selectors, subqueries included)."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            name = node.name or next((m.value for m in node.matchers.matchers if m.name == "__name__"), None)
            assert name, f"a selector without a metric name in {expr!r}"
            names.add(name)
            return
        for attr in ("expr", "lhs", "rhs", "param", "vector_selector"):
            child = getattr(node, attr, None)
            if child is not None:
                walk(child)
        for arg in getattr(node, "args", None) or []:
            walk(arg)

    walk(promql_parser.parse(expr))
    return names


def raw_metric_names(expr: str) -> set[str]:
    """Like metric_names, with each recording rule's output replaced by what it reads."""
    recorded = {r["record"]: r["expr"] for r in rules() if "record" in r}
    out: set[str] = set()
    todo = list(metric_names(expr))
    while todo:
        name = todo.pop()
        if name in recorded:
            todo.extend(metric_names(recorded.pop(name)))
        else:
            out.add(name)
    return out
