"""Cross-check of a task's new best before it is reported as the best.

A profile comes out of the candidate's own process, so a forgery the agent's checks miss would otherwise go
straight into the campaign's bests, reports and knowledge. The trusted side re-evaluates a candidate that would
become a task's best: the same source, a separate kernel process, fresh inputs (the agent draws new seeds), the
result cache bypassed, and the farm free to pick any agent. The cycle model is deterministic, so an honest kernel
comes back OK with the same modelled time (a small tolerance allows input-dependent control flow); the agent's
own output-coverage check (npu_agent/simnpu/coverage.py) runs again on the new run.

Outcomes: `agree` (it may become the best); `refuted` (the re-run failed for a reason that is the candidate's:
the result is recorded with that status); `doubtful` (the re-run is OK but its time disagrees, or the farm could
not re-run it: recorded as it is, but never as the best).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from hawk.v1 import agent_pb2, result_pb2

log = logging.getLogger(__name__)

TIME_TOLERANCE = 0.02  # relative difference of modelled times still taken as the same
# A re-run ending so says nothing about the candidate that just ran OK (the farm, a drain, a slow machine).
_NOT_THE_CANDIDATES = (result_pb2.INTERNAL, result_pb2.CANCELLED, result_pb2.STATUS_UNSPECIFIED, result_pb2.REJECTED,
                       result_pb2.TIMEOUT)


@dataclass
class CrossCheck:
    verdict: str   # "agree", "refuted", "doubtful"
    reason: str = ""
    status: int = result_pb2.OK  # refuted: the re-run's status


def would_be_best(result: result_pb2.Result, best: dict[str, Any] | None) -> bool:
    """Whether the store would take `result` as the task's new best (store.record_evaluation's rule)."""
    if result.status != result_pb2.OK or not result.HasField("profile") or result.profile.time_us <= 0:
        return False
    if result.profile.floor.below_floor:
        return False
    return best is None or result.profile.time_us < float(best["time_us"])


async def cross_check(evaluator: Any, *, evaluation_id: str, campaign: str, task: Any, source: str, hardware: str,
                      team: str, priority: int, result: result_pb2.Result, **route: Any) -> CrossCheck:
    """Re-evaluate a would-be best and compare; never raises (a farm failure is `doubtful`). `route` (the
    campaign's agent list and backend) goes to the evaluator unchanged."""
    try:
        again = await evaluator.evaluate(
            evaluation_id=f"{evaluation_id}-crosscheck", campaign=campaign, task=task, source=source,
            hardware=hardware, team=team, priority=priority,
            options=agent_pb2.EvaluateOptions(bypass_cache=True), avoid=list(result.agents_tried[-1:]), **route)
    except Exception as e:  # the farm, not the candidate
        log.warning("cross-check of %s could not run: %s", evaluation_id, e)
        return CrossCheck("doubtful", f"the cross-check could not run ({type(e).__name__})")
    if again.status in _NOT_THE_CANDIDATES:
        return CrossCheck("doubtful", f"the cross-check re-run ended {result_pb2.Status.Name(again.status)}: "
                                      f"{again.message[:200]}")
    if again.status != result_pb2.OK:
        return CrossCheck("refuted", f"cross-check of a new best: the re-run on fresh inputs came back "
                                     f"{result_pb2.Status.Name(again.status)}: {again.message[:300]}", again.status)
    t0, t1 = result.profile.time_us, again.profile.time_us
    if not again.HasField("profile") or t1 <= 0 or again.profile.floor.below_floor:
        return CrossCheck("doubtful", "cross-check: the re-run has no believable profile")
    if abs(t1 - t0) > TIME_TOLERANCE * max(t0, t1):
        return CrossCheck("doubtful", f"cross-check: the re-run's modelled time {t1:.3f} us differs from "
                                      f"{t0:.3f} us by more than {TIME_TOLERANCE:.0%}")
    if again.agent_id and again.agent_id == result.agent_id:
        log.info("cross-check of %s ran on the same agent %s", evaluation_id, again.agent_id)
    return CrossCheck("agree")


def apply(result: result_pb2.Result, check: CrossCheck) -> tuple[result_pb2.Result, bool]:
    """The result to record and whether it may become the best."""
    if check.verdict == "agree":
        return result, True
    out = result_pb2.Result()
    out.CopyFrom(result)
    if check.verdict == "refuted":
        out.status = check.status
        out.message = check.reason
        out.ClearField("profile")
        return out, False
    out.message = (out.message + f" [not a best: {check.reason}]")[:4000]
    return out, False
