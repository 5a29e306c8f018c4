"""The cube side of the cycle model on real kernels run by the twin (timing-only runs of the matmul ladder's
kernel, examples/calibration/matmul_ladder.cpp): the record carries the Nd2Nz row pitch, and L1/L0 ping-pong with
big packets at the published tiling makes the kernel cube-bound where the serial one is MTE2-bound."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from hawk.v1 import result_pb2
from npu_agent.candidate import Candidate
from npu_agent.simnpu.record import API_NAMES, Mem, Pipe, read_record
from npu_agent.simnpu.timing import simulate
from npu_agent.taskspec import load_task_file

CALIB = Path(__file__).resolve().parents[2] / "examples" / "calibration"
TOML = CALIB / "matmul_ladder.toml"
STEPS = {s["id"]: s for s in tomllib.loads(TOML.read_text())["step"]}
TASK = load_task_file(TOML)[0]
# Big enough for the steady state of the published tiling (every core loops over whole 128 x 256 tiles and
# 16 k-steps per packet pair), small enough for a test.
DIMS = {"M": 2048, "K": 2048, "N": 3072}


def run(twin, step: str, tmp: Path):
    spec = TASK.with_dims(**DIMS).spec
    cand = Candidate.from_source((CALIB / "matmul_ladder.cpp").read_text()).with_defines(STEPS[step]["defines"])
    built = twin.compile(cand, spec.kernel_entry, timeout_s=300)
    assert built.status == result_pb2.OK, built.message + built.log_tail
    path = tmp / f"{step}.rec"
    r = twin.run(built.binary, spec, {}, timing_only=True, timeout_s=600, record_to=path)
    assert r.ok, r.message
    rec = read_record(path)
    return rec, simulate(rec, twin.hardware)


@pytest.fixture(scope="module")
def sims(twin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cube")
    return {s: run(twin, s, tmp) for s in ("case3", "basic1")}


def cube_ratio(sim) -> float:
    return sim.core_type_stats()[2]["ratio"][int(Pipe.M)]


def test_nd2nz_entries_carry_their_row_pitch(sims):
    rec, _ = sims["basic1"]
    e = rec.entries
    nd = e[(e["api"] == API_NAMES.index("DataCopy")) & (e["src_mem"] == Mem.GM) & (e["dst_mem"] == Mem.L1)]
    assert nd.size
    # a and bt are both [*, K] row-major: every packet reads rows at a pitch of K elements, 8 / 4 baseK wide.
    assert set(nd["reserved"].tolist()) == {DIMS["K"]}
    assert set(nd["a1"].tolist()) <= {64 * 8, 64 * 4}


def test_ping_pong_with_big_packets_is_cube_bound(sims):
    _, serial = sims["case3"]
    _, pp = sims["basic1"]
    assert cube_ratio(pp) >= 0.6
    assert cube_ratio(serial) < 0.45
    assert serial.sched.cycles > 2 * pp.sched.cycles
    st = serial.core_type_stats()[2]
    assert max(st["ratio"], key=st["ratio"].get) == int(Pipe.MTE2)


def test_reuse_of_packets_across_cores_hits_in_l2(sims):
    # 4 x 6 cores: each a packet is read by the 6 cores of its row of the grid, each bt packet by 4.
    _, pp = sims["basic1"]
    assert pp.sched.l2_hit_bytes > 0.6 * pp.sched.l2_read_bytes
    assert np.isfinite(pp.time_us)
