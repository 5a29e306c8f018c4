"""The security and chaos suite's ledger: per-case outcomes, escapes and record counts, written to a JSON file
and printed at the end of the run (``make test-security``; docs/security.md explains how to read it).

A case *escaped* when a test found evidence that something the issue forbids happened (a host file written, a
canary touched, a secret returned, a profile below the floor, another tenant's result spoiled, the agent
unhealthy); it *survived* when it ran and no such evidence was found. Chaos scenarios add the records they lost
or duplicated in the controller's store. The run fails when any case failed or escaped, or a record was lost
or duplicated.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.security.summary import DEFAULT_SUMMARY, SUMMARY_ENV, format_summary


@dataclass
class Ledger:
    """What the suite's tests found; one per session."""

    escapes: dict[str, list[str]] = field(default_factory=dict)
    lost: dict[str, int] = field(default_factory=dict)
    duplicated: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def __repr__(self) -> str:  # keeps failure reports (which show fixture arguments) short
        return f"Ledger({len(self.outcomes)} cases, {len(self.escapes)} escaped)"

    def escape(self, case: str, evidence: str) -> None:
        """Record evidence that `case` got out; the calling test should then fail."""
        self.escapes.setdefault(case, []).append(evidence)

    def records(self, scenario: str, lost: int, duplicated: int) -> None:
        self.lost[scenario] = lost
        self.duplicated[scenario] = duplicated

    def summary(self) -> dict:
        ran = {k: v for k, v in self.outcomes.items() if v != "skipped"}
        escaped = sorted(self.escapes)
        failed = sorted(k for k, v in ran.items() if v == "failed")
        return {
            "cases_run": len(ran),
            "survived": sum(1 for k, v in ran.items() if v == "passed" and k not in self.escapes),
            "escaped": len(escaped),
            "failed": len(failed),
            "skipped": sum(1 for v in self.outcomes.values() if v == "skipped"),
            "records_lost": sum(self.lost.values()),
            "records_duplicated": sum(self.duplicated.values()),
            "seconds": round(time.monotonic() - self.started, 1),
            "escapes": {k: self.escapes[k] for k in escaped},
            "failed_cases": failed,
            "records": {k: {"lost": self.lost[k], "duplicated": self.duplicated.get(k, 0)} for k in sorted(self.lost)},
        }


_LEDGER = Ledger()


@pytest.fixture(scope="session")
def ledger() -> Ledger:
    return _LEDGER


_SIMNPU: list = []  # the session's simnpu agent, launched as soon as collection shows a test needs it


def pytest_collection_finish(session: pytest.Session) -> None:
    if any("simnpu_agent" in getattr(item, "fixturenames", ()) for item in session.items):
        from tests.security.procs import AgentProcess

        _SIMNPU.append(AgentProcess("simnpu", devices=2, extra=(
            "--verify-timeout", "4", "--compile-timeout", "25", "--profile-timeout", "20")).launch())


@pytest.fixture(scope="session")
def simnpu_agent() -> Iterator:
    """One real simnpu agent process (token, 2 device slots, short stage deadlines) for the whole suite: its
    twin build is the slowest start-up of all, so it starts right after collection and builds while the
    first modules run. A test that finds it dead restarts it on the same port."""
    agent = _SIMNPU[0]
    if agent.alive():
        agent.wait_ready(300)
    else:
        agent.start(wait_s=300)
    yield agent


def pytest_unconfigure(config: pytest.Config) -> None:
    for agent in _SIMNPU:
        agent.close()


def case_id(request: pytest.FixtureRequest) -> str:
    """The ledger key of the running test: its name with parameters, without the file path."""
    return request.node.nodeid.split("::", 1)[-1]


@pytest.fixture
def case(request: pytest.FixtureRequest) -> Iterator[str]:
    yield case_id(request)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    key = report.nodeid.split("::", 1)[-1]
    if report.when == "call" or report.outcome != "passed":
        if report.outcome == "skipped" and report.when != "call" and key in _LEDGER.outcomes:
            return
        # A failure in set-up or teardown fails the case even when its body passed.
        if _LEDGER.outcomes.get(key) == "failed":
            return
        _LEDGER.outcomes[key] = report.outcome


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _LEDGER.outcomes:
        return
    s = _LEDGER.summary()
    path = Path(os.environ.get(SUMMARY_ENV) or DEFAULT_SUMMARY)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(s, indent=2) + "\n")
    if s["escaped"] or s["records_lost"] or s["records_duplicated"]:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not _LEDGER.outcomes or os.environ.get(SUMMARY_ENV):
        return  # `make test-security` sets the summary file and prints it with tests/security/summary.py
    terminalreporter.write_line("")
    for line in format_summary(_LEDGER.summary()).splitlines():
        terminalreporter.write_line(line)
