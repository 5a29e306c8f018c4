"""Deployment files hold: the Prometheus rules and config are valid (`promtool check`).

The rest of the monitoring checks live in tests/monitoring/: promtool unit tests of every alert
(test_alerts.py), and a real Prometheus scraping a real agent, campaign driver and scheduler actor, where every
dashboard query and alert rule reads a live series (test_live_scrape.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.monitoring.promql import DEPLOY, require_tool


def test_rules_and_config_are_valid(tmp_path: Path) -> None:
    promtool = require_tool("promtool")
    out = subprocess.run([promtool, "check", "rules", str(DEPLOY / "prometheus" / "rules.yml")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    out = subprocess.run([promtool, "check", "config", str(DEPLOY / "prometheus" / "prometheus.yml")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
