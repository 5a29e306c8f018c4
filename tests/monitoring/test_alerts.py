"""Every alert in deploy/prometheus/rules.yml has promtool unit tests where it fires and where it does not,
and they pass (`promtool test rules`, Debian's prometheus package, installed by .ci/run)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.monitoring.promql import DEPLOY, require_tool, rules

TESTS = sorted((DEPLOY / "prometheus" / "tests").glob("*.yml"))


def _cases() -> tuple[dict[str, set[bool]], set[str]]:
    """alert -> {True if some case expects it firing, False if some case expects it silent}; recorded names tested."""
    seen: dict[str, set[bool]] = {}
    recorded: set[str] = set()
    for path in TESTS:
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                seen.setdefault(case["alertname"], set()).add(bool(case.get("exp_alerts")))
            recorded.update(case["expr"] for case in test.get("promql_expr_test", []))
    return seen, recorded


def test_every_alert_and_recording_rule_has_unit_tests() -> None:
    seen, recorded = _cases()
    alerts = [r["alert"] for r in rules() if "alert" in r]
    assert len(alerts) == len(set(alerts)), "an alert name is used twice"
    for want in ("HawkAgentDown", "HawkEvaluationFailureRate", "HawkDeviceStarvation", "HawkNoFreeSlots",
                 "HawkCampaignStalled", "HawkSandboxKillsHigh", "HawkKnowledgeStoreErrors"):
        assert want in alerts, f"{want} is missing from rules.yml"
    missing = [a for a in alerts if seen.get(a) != {True, False}]
    assert not missing, f"alerts without both a firing and a non-firing unit test: {missing}"
    stray = sorted(set(seen) - set(alerts))
    assert not stray, f"unit tests name alerts rules.yml does not have: {stray}"
    untested = [r["record"] for r in rules() if "record" in r and r["record"] not in recorded]
    assert not untested, f"recording rules without a promql_expr_test: {untested}"
    for r in rules():
        if "alert" in r:
            assert r["labels"]["severity"] in ("page", "ticket"), r["alert"]
            assert {"summary", "description", "action"} <= set(r["annotations"]), r["alert"]


def test_promtool_unit_tests_pass() -> None:
    promtool = require_tool("promtool")
    assert TESTS
    out = subprocess.run([promtool, "test", "rules", *map(str, TESTS)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_broken_rule_fails_its_unit_test(tmp_path: Path) -> None:
    """The unit tests can fail: an alert whose threshold is off by a factor of ten is caught."""
    promtool = require_tool("promtool")
    (tmp_path / "tests").mkdir()
    text = (DEPLOY / "prometheus" / "rules.yml").read_text()
    assert "> 900)" in text
    (tmp_path / "rules.yml").write_text(text.replace("> 900)", "> 9000)"))
    for path in TESTS:
        (tmp_path / "tests" / path.name).write_text(path.read_text())
    out = subprocess.run([promtool, "test", "rules", *(str(tmp_path / "tests" / p.name) for p in TESTS)],
                         capture_output=True, text=True)
    assert out.returncode != 0 and "HawkCampaignStalled" in out.stdout + out.stderr
