"""The matmul calibration ladder's kernels (examples/calibration/matmul_ladder.cpp with each step's definitions
from matmul_ladder.toml) compute c = a @ bt^T correctly on the twin at small sizes, and their records show
the step's structure (core split, packets, unitFlag): benchmarks/calibrate_matmul.py times them at 8192^3
in timing-only runs, which check no answer, so the answer is checked here."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from hawk.v1 import result_pb2
from npu_agent.candidate import Candidate
from npu_agent.simnpu import record as rec_mod
from npu_agent.taskspec import generate_inputs, load_task_file

CALIB = Path(__file__).resolve().parents[2] / "examples" / "calibration"
TOML = CALIB / "matmul_ladder.toml"
SOURCE = (CALIB / "matmul_ladder.cpp").read_text()
STEPS = tomllib.loads(TOML.read_text())["step"]
TASK = load_task_file(TOML)[0]

DEFAULTS = {"MM_BASE_M": 128, "MM_BASE_N": 256, "MM_BASE_K": 64, "MM_SPLIT_M": 1, "MM_SPLIT_N": 1,
            "MM_ALIGN_SPLIT": 0, "MM_L2_ROUNDS": 1, "MM_STEP_KA": 1, "MM_STEP_KB": 1, "MM_L1_DB": 1,
            "MM_L0_DB": 2, "MM_B_FIRST": 0, "MM_UNIT_FLAG": 0}


@dataclass
class Plan:
    """What the kernel should do at (M, K, N), worked out independently of its C++: per block, the output
    blocks it owns; totals of Mmads and of a / bt packets."""

    blocks: int
    tiles: list[int]
    mmads: int
    copies_a: int
    copies_b: int


def knobs(defines: list[str]) -> dict[str, int]:
    d = dict(DEFAULTS)
    for item in defines:
        name, _, value = item.partition("=")
        d[name] = int(value or 1)
    return d


def plan(d: dict[str, int], m: int, k: int, n: int) -> Plan:
    bm, bn, bk = d["MM_BASE_M"], d["MM_BASE_N"], d["MM_BASE_K"]
    sm, sn, rounds = d["MM_SPLIT_M"], d["MM_SPLIT_N"], d["MM_L2_ROUNDS"]
    single_m, single_n = math.ceil(m / (sm * rounds)), math.ceil(n / sn)
    if d["MM_ALIGN_SPLIT"]:
        single_m, single_n = math.ceil(single_m / bm) * bm, math.ceil(single_n / bn) * bn
    tiles = []
    for idx in range(sm * sn):
        count = 0
        n0 = (idx // sm) * single_n
        for r in range(rounds):
            m0 = (r * sm + idx % sm) * single_m
            if m0 < m and n0 < n:
                count += math.ceil((min(m0 + single_m, m) - m0) / bm) * math.ceil((min(n0 + single_n, n) - n0) / bn)
        tiles.append(count)
    kb = math.ceil(k / bk)
    total = sum(tiles)
    return Plan(sm * sn, tiles, total * kb, total * math.ceil(kb / d["MM_STEP_KA"]),
                total * math.ceil(kb / d["MM_STEP_KB"]))


def run_step(twin, defines: list[str], dims: dict[str, int], tmp: Path, name: str):
    spec = TASK.with_dims(**dims).spec
    built = twin.compile(Candidate.from_source(SOURCE).with_defines(defines), spec.kernel_entry, timeout_s=300)
    assert built.status == result_pb2.OK, built.message + built.log_tail
    inputs = generate_inputs(spec, 7)
    path = tmp / f"{name}.rec"
    r = twin.run(built.binary, spec, inputs, timeout_s=600, record_to=path)
    assert r.ok, r.message
    want = inputs["a"].astype(np.float64) @ inputs["bt"].astype(np.float64).T
    np.testing.assert_allclose(r.outputs["c"].astype(np.float64), want, atol=1e-2, rtol=1e-2)
    return rec_mod.read_record(path)


def check_structure(rec, d: dict[str, int], dims: dict[str, int]) -> None:
    p = plan(d, dims["M"], dims["K"], dims["N"])
    e = rec.entries
    api = np.array(rec_mod.API_NAMES, dtype=object)[e["api"]]
    instr = e["op"] == rec_mod.Op.INSTR
    assert rec.block_dim == p.blocks
    mmad = instr & (api == "Mmad")
    assert int(mmad.sum()) == p.mmads
    for b, count in enumerate(p.tiles):  # each block did exactly its own output blocks
        fix = instr & (api == "Fixpipe") & (e["block"] == b)
        assert int(fix.sum()) == count, (b, count)
    region = e["src_addr"] >> np.uint64(48)  # GM regions: 1 = a, 2 = bt (inputs in argument order)
    for which, copies, step in ((1, p.copies_a, d["MM_STEP_KA"]), (2, p.copies_b, d["MM_STEP_KB"])):
        nd2nz = instr & (e["pipe"] == rec_mod.Pipe.MTE2) & (region == which)
        assert int(nd2nz.sum()) == copies, (which, copies)
        # each packet is `step` base blocks of K wide (dValue, a1), all but a K tail
        assert int(e["a1"][nd2nz].max()) == min(step * d["MM_BASE_K"], dims["K"])
    unit = (e["flags"][mmad] & rec_mod.Flag.UNIT_FLAG) != 0
    assert bool(unit.all()) if d["MM_UNIT_FLAG"] else not bool(unit.any())


@pytest.mark.parametrize("step", STEPS, ids=[s["id"] for s in STEPS])
def test_ladder_step_is_correct(twin, tmp_path, step) -> None:
    rec = run_step(twin, step["defines"], step["test_dims"], tmp_path, step["id"])
    check_structure(rec, knobs(step["defines"]), step["test_dims"])


@pytest.mark.parametrize("unit_flag", [0, 1])
def test_every_tail_with_small_blocks(twin, tmp_path, unit_flag) -> None:
    # Small base blocks so one core owns several output blocks in both rounds, with M, N and K tails (K not a
    # multiple of 16: the Nd2Nz zero-fills the fractal tail), partial packets and every feature switched on.
    defines = ["MM_BASE_M=32", "MM_BASE_N=48", "MM_BASE_K=32", "MM_SPLIT_M=2", "MM_SPLIT_N=3", "MM_L2_ROUNDS=2",
               "MM_STEP_KA=3", "MM_STEP_KB=2", "MM_L1_DB=2", "MM_B_FIRST=1", f"MM_UNIT_FLAG={unit_flag}"]
    dims = {"M": 150, "K": 200, "N": 170}
    rec = run_step(twin, defines, dims, tmp_path, f"tails{unit_flag}")
    p = plan(knobs(defines), **{"m": 150, "k": 200, "n": 170})
    assert min(p.tiles) >= 2  # the case is what it claims
    check_structure(rec, knobs(defines), dims)
    # within a core, N blocks outer and M blocks inner (as Huawei's basic-API sample): block 0's second output
    # block is the next 32 rows of the same columns
    e = rec.entries
    fix = e[(e["op"] == rec_mod.Op.INSTR) & (np.array(rec_mod.API_NAMES, dtype=object)[e["api"]] == "Fixpipe")
            & (e["block"] == 0)]
    offsets = (fix["dst_addr"] & np.uint64((1 << 48) - 1)).astype(np.int64)
    assert offsets[1] - offsets[0] == 32 * 170 * 2


def test_plan_matches_the_published_splits() -> None:
    # The tiling the README describes at 8192^3: case 2 gives 4096 x 683 (tail 679), case 3 2048 x 1536 (tail
    # 512), the L2 split 1024-row parts in two rounds; every block owns work.
    by_id = {s["id"]: knobs(s["defines"]) for s in STEPS}
    c2 = plan(by_id["case2"], 8192, 8192, 8192)
    assert c2.blocks == 24 and c2.tiles[:2] == [32 * 3, 32 * 3] and c2.tiles[-1] == 32 * 3
    c3 = plan(by_id["case3"], 8192, 8192, 8192)
    assert c3.tiles[0] == 16 * 6 and c3.tiles[-1] == 16 * 2 and sum(c3.tiles) == 64 * 32
    c6 = plan(by_id["case6"], 8192, 8192, 8192)
    assert c6.tiles == c3.tiles and c6.copies_a == sum(c3.tiles) * 16 and c6.copies_b == sum(c3.tiles) * 32
