"""unitFlag against the M->FIX / FIX->M event handshake for the same work (hand-built records,
tests/timing/records.py): the 512 B unit handshake (asc-devkit Mmad 关键特性说明 UnitFlag) only removes waiting, so a
kernel with unitFlag is never slower, and where the Fixpipe is on the cube's critical path it saves about one
Fixpipe per output tile."""

from __future__ import annotations

import numpy as np
import pytest

from npu_agent.hardware import load_profile
from npu_agent.simnpu.record import Pipe
from npu_agent.simnpu.timing import CostModel, simulate
from tests.timing.records import matmul_kernel

HW = load_profile("ascend910b2")
COSTS = CostModel(HW)

KERNELS = {
    "1 core, serial stages": dict(M=512, N=512, K=512, grid=(1, 1), pingpong=False),
    "1 core, ping-pong": dict(M=512, N=512, K=512, grid=(1, 1)),
    "1 core, big packets": dict(M=512, N=1024, K=2048, grid=(1, 1), step=(8, 4)),
    "1 core, short K": dict(M=512, N=1024, K=128, grid=(1, 1), step=(2, 2)),
    "2x2 cores": dict(M=1024, N=1024, K=1024, grid=(2, 2), step=(8, 4)),
    "4x6 cores, 2 L2 rounds": dict(M=2048, N=2048, K=1024, grid=(4, 6), step=(8, 4), rounds=2),
    "4x6 cores, chip-shared": dict(M=2048, N=8192, K=2048, grid=(4, 6), step=(8, 4)),
    "2x12 cores, small packets": dict(M=2048, N=8192, K=1024, grid=(2, 12), step=(2, 2)),
}


@pytest.mark.parametrize("name", list(KERNELS))
def test_unit_flag_is_never_slower_than_the_event_handshake(name):
    kw = KERNELS[name]
    event = simulate(matmul_kernel(**kw), HW)
    unit = simulate(matmul_kernel(**kw, unit=True), HW)
    assert unit.sched.stalled == [] and event.sched.stalled == []
    assert unit.sched.cycles <= event.sched.cycles, (name, unit.sched.cycles, event.sched.cycles)


def test_unit_flag_saves_about_one_fixpipe_per_tile_when_the_cube_leads():
    # One core, big packets: the cube is the busiest pipe, so with the event handshake every tile's Fixpipe
    # (~880 cycles for 128 x 256 fp16) stalls the next tile's first Mmad; with unitFlag it runs under the last
    # Mmad of its tile and the next tile's first.
    kw = KERNELS["1 core, big packets"]
    event = simulate(matmul_kernel(**kw), HW)
    unit = simulate(matmul_kernel(**kw, unit=True), HW)
    e = unit.record.entries
    fix = np.nonzero(e["pipe"] == Pipe.FIX)[0]
    tiles = fix.size
    fix_solo = float(COSTS.steps(e).solo[fix].mean())
    saved = event.sched.cycles - unit.sched.cycles
    assert 0.8 * tiles * fix_solo <= saved <= 1.2 * tiles * fix_solo, (saved, tiles, fix_solo)


def test_the_fixpipe_with_unit_flag_overlaps_the_cube_in_a_multi_core_kernel():
    # Every core: each Fixpipe (unitFlag) starts before the Mmad it drains has ended.
    sim = simulate(matmul_kernel(**KERNELS["2x2 cores"], unit=True), HW)
    e, st = sim.record.entries, sim.steps
    fix = np.nonzero(e["pipe"] == Pipe.FIX)[0]
    dep = st.udep[fix]
    assert (dep >= 0).all()
    assert (sim.sched.start[fix] < sim.sched.end[dep]).all()
    assert (sim.sched.end[fix] >= sim.sched.end[dep]).all()
