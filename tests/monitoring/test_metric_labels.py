"""The metrics that need more than a live campaign to show: the scheduler's queue by team and priority (never
by campaign), and knowledge store errors counted per operation. Real scheduler, real knowledge database."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from controller.knowledge_client import CampaignKnowledge
from controller.metrics import CampaignMetrics, CountedKnowledge, SchedulerMetrics
from controller.scheduler import Scheduler
from hawk.v1 import task_pb2
from tests.support.null_task import write_null_task


def test_scheduler_queue_is_labelled_by_team_and_priority_only() -> None:
    """Jobs of three campaigns wait (no agent yet): the gauge has one series per (team, priority), and a
    team whose queue emptied reads 0 instead of keeping its old value."""
    metrics = SchedulerMetrics()
    value = metrics.registry.get_sample_value

    async def no_agent(*args: object, **kwargs: object) -> None:
        raise AssertionError("no agent is registered")

    async def until(want: dict[tuple[str, str], float]) -> None:
        for _ in range(100):  # the scheduler refreshes its gauges at most twice a second
            got = {k: value("hawk_scheduler_queued_jobs", {"team": k[0], "priority": k[1]}) for k in want}
            if got == want:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"queued jobs {got}, wanted {want}")

    async def run() -> None:
        scheduler = Scheduler(no_agent, no_agent, metrics=metrics)
        task = task_pb2.TaskSpec(name="t")

        def submit(i: int, campaign: str, team: str, priority: int) -> asyncio.Task:
            return asyncio.create_task(scheduler.evaluate(
                evaluation_id=f"ev-{i}", campaign=campaign, task=task, source="// k\n", hardware="ascend910b2",
                team=team, priority=priority))

        jobs = [submit(i, f"campaign-{i % 3}", "kernels" if i % 3 else "search", i % 3 // 2) for i in range(7)]
        await until({("search", "0"): 3, ("kernels", "0"): 2, ("kernels", "1"): 2})
        assert value("hawk_scheduler_device_slots", {"state": "free"}) == 0
        for i in (0, 3, 6):
            assert scheduler.cancel(f"ev-{i}")
        jobs.append(submit(7, "campaign-3", "other", 0))  # the next pump sees the emptied queue
        await until({("search", "0"): 0, ("kernels", "0"): 2, ("kernels", "1"): 2, ("other", "0"): 1})
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)

    asyncio.run(run())
    families = {m.name: m for m in metrics.registry.collect()}
    labels = {k for s in families["hawk_scheduler_queued_jobs"].samples for k in s.labels}
    assert labels == {"team", "priority"}
    assert all("campaign" not in s.labels for m in families.values() for s in m.samples)


def test_knowledge_store_errors_are_counted(tmp_path: Path) -> None:
    """A knowledge database that lost its entries table: retrieve and check raise, and each is counted."""
    from knowledge.base import KnowledgeBase
    from tasks.catalogue import resolve

    write_null_task(tmp_path)
    (task,) = resolve([str(tmp_path / "tasks.toml")], base_dir=tmp_path)
    metrics = CampaignMetrics()
    metrics.campaign_running("kb-errors", True)
    store = CountedKnowledge(KnowledgeBase(tmp_path / "kb.sqlite", seed=False), metrics)
    kb = CampaignKnowledge(store, "ascend910b2", metrics=metrics)
    assert kb.retrieve(task, None, None, 3) == []
    with sqlite3.connect(tmp_path / "kb.sqlite") as conn:
        conn.execute("DROP TABLE entries")
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision'")
    with pytest.raises(sqlite3.Error):
        kb.retrieve(task, None, None, 3)
    with pytest.raises(sqlite3.Error):
        kb.check(task, "// k\n", {})
    counted = {op: metrics.registry.get_sample_value("hawk_knowledge_errors_total",
                                                     {"campaign": "kb-errors", "operation": op})
               for op in ("retrieve", "check", "observe", "other")}
    assert counted == {"retrieve": 1, "check": 1, "observe": 0, "other": 0}
    assert store.path == kb.kb.path  # attributes pass through
