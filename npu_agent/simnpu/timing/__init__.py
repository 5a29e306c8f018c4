"""simnpu timing layer: the cycle model behind the twin's msprof-style profile (docs/cycle-model.md).

    sim = simulate(read_record(path), hardware)        # costs (costs.py) + scheduler (scheduler.py)
    profile = sim.profile(spec=task_spec)              # hawk.v1.Profile
    write_msprof(sim, out_dir)                         # OpBasicInfo.csv, PipeUtilization.csv, trace.json

The functional layer records what each Ascend C call did; this layer alone decides how long it took.
"""

from __future__ import annotations

from npu_agent.simnpu.timing.costs import CostDataError, CostModel, load_costs
from npu_agent.simnpu.timing.export import write_msprof, write_trace
from npu_agent.simnpu.timing.profile import MODEL_NAME, Simulation, profile_record, simulate, simulate_file
from npu_agent.simnpu.timing.scheduler import Schedule, ScheduleError

__all__ = ["MODEL_NAME", "CostDataError", "CostModel", "Schedule", "ScheduleError", "Simulation", "load_costs",
           "profile_record", "simulate", "simulate_file", "write_msprof", "write_trace"]
