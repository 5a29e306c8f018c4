"""The cycle model on real kernels run by the twin: the Add ladder's shape at reduced size, per-line hotspots,
determinism, the backend's profile and `hawk sim run --profile-out`."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hawk.v1 import result_pb2
from npu_agent.simnpu.timing import simulate_file
from npu_agent.taskspec import generate_inputs, load_task_file

REPO = Path(__file__).resolve().parents[2]
CALIB = REPO / "examples" / "calibration"
TASK = load_task_file(CALIB / "add_ladder.toml")[0]
# 48 cores x 2 rows of 65536 halves: 8 tiles of 16384 per core, enough to reach the steady state.
SPEC = TASK.with_dims(M=96, N=65536).spec


def marked_line(path: Path, marker: str) -> int:
    hits = [i + 1 for i, line in enumerate(path.read_text().splitlines()) if marker in line]
    assert len(hits) == 1, hits
    return hits[0]


def run(twin, case: int, spec=SPEC, seed: int = 1, tmp: Path | None = None):
    src = CALIB / f"add_case{case}.cpp"
    built = twin.compile(src.read_text(), spec.kernel_entry)
    assert built.status == result_pb2.OK, built.message + built.log_tail
    ins = generate_inputs(spec, seed)
    rec = (tmp or Path(twin.work_root)) / f"case{case}-{seed}.rec"
    r = twin.run(built.binary, spec, ins, record_to=rec, timeout_s=120)
    assert r.ok, r.message
    want = (ins["x"].astype(np.float32) + ins["y"].astype(np.float32)).astype(np.float16)
    assert np.array_equal(r.outputs["z"], want)
    return simulate_file(rec, twin.hardware), r


@pytest.fixture(scope="module")
def ladder(twin):
    return {n: run(twin, n)[0] for n in (2, 3, 4, 5, 6)}


def aiv(sim, pipe):
    stats = sim.core_type_stats()[1]
    return stats["busy"][pipe], stats["ratio"][pipe]


def test_bigger_copies_are_faster(ladder):
    assert ladder[3].sched.cycles < 0.95 * ladder[2].sched.cycles


def test_l2_bypass_is_faster(ladder):
    assert ladder[5].sched.cycles < 0.85 * ladder[4].sched.cycles


def test_bank_conflict_fix_halves_vector_time(ladder):
    v5, _ = aiv(ladder[5], result_pb2.VECTOR)
    v6, _ = aiv(ladder[6], result_pb2.VECTOR)
    assert v6 < 0.65 * v5


@pytest.mark.parametrize("case", [3, 4, 5, 6])
def test_streaming_add_is_mte2_bound(ladder, case):
    p = ladder[case].profile(SPEC)
    assert p.bottleneck.kind == result_pb2.Bottleneck.PIPE_BOUND
    assert p.bottleneck.pipe == result_pb2.MTE2
    assert 0 < p.floor.achieved_fraction <= 1 and p.floor.time_us > 0


def test_hotspot_is_the_datacopy_line(ladder):
    p = ladder[3].profile(SPEC)
    top = p.hotspots[0]
    assert top.pipe == result_pb2.MTE2 and top.api == "DataCopy"
    assert top.line in {marked_line(CALIB / "add_case3.cpp", "DataCopy(xLocal"),
                        marked_line(CALIB / "add_case3.cpp", "DataCopy(yLocal")}


def test_one_core_scalar_loop_is_scalar_bound_on_its_lines(twin, tmp_path):
    spec = TASK.with_dims(M=8, N=1024).spec
    sim, _ = run(twin, 0, spec, tmp=tmp_path)
    p = sim.profile(spec)
    assert p.bottleneck.pipe == result_pb2.SCALAR and p.bottleneck.kind == result_pb2.Bottleneck.PIPE_BOUND
    src = CALIB / "add_case0.cpp"
    lines = {marked_line(src, "xLocal.GetValue"), marked_line(src, "yLocal.GetValue"),
             marked_line(src, "zLocal.SetValue")}
    top = p.hotspots[:3]
    assert {h.line for h in top} == lines and all(h.pipe == result_pb2.SCALAR for h in top)
    assert all(h.calls == 8 * 1024 for h in top)   # every element, merged in the record
    assert len(sim.record) < 200                    # 2 tiles: the scalar loop is a few merged entries


def test_single_core_is_much_slower_than_48(twin, ladder, tmp_path):
    one, _ = run(twin, 1, tmp=tmp_path)
    assert one.sched.cycles > 10 * ladder[2].sched.cycles


def test_same_kernel_other_inputs_same_cycles(twin, tmp_path):
    a, _ = run(twin, 4, seed=1, tmp=tmp_path)
    b, _ = run(twin, 4, seed=2, tmp=tmp_path)
    assert a.total_cycles == b.total_cycles
    assert a.profile(SPEC).SerializeToString(deterministic=True) == \
        b.profile(SPEC).SerializeToString(deterministic=True)


def test_backend_profile_comes_from_the_cycle_model(twin, tmp_path):
    from npu_agent.backends.simnpu import SimNpuBackend

    backend = SimNpuBackend(twin.hardware, work_root=Path(twin.work_root), sandbox=twin.sandbox)
    spec = TASK.with_dims(M=96, N=4096).spec
    comp = backend.compile((CALIB / "add_case6.cpp").read_text(), spec, timeout_s=120)
    assert comp.status == result_pb2.OK
    out = backend.run(comp.artifact, spec, generate_inputs(spec, 3), device_id=0, profile=True, timeout_s=120)
    assert out.status == result_pb2.OK
    p = out.profile
    assert p.model == "simnpu-cycle-v2" and p.total_cycles > 0
    assert p.time_us == pytest.approx(p.total_cycles / p.clock_mhz, rel=1e-4)
    assert len(p.blocks) == 48 and {b.core_type for b in p.blocks} == {result_pb2.AIV}
    assert {c.core_type for c in p.core_types} == {result_pb2.AIV}
    assert {x.path for x in p.bytes_moved} == {"GM->UB", "UB->GM"}


def test_cli_profile_out_writes_msprof_files(twin, tmp_path):
    out = tmp_path / "prof"
    cmd = [str(Path(sys.executable).parent / "hawk"), "sim", "run", str(CALIB / "add_case4.cpp"), "--task-file",
           str(CALIB / "add_ladder.toml"), "--test-dims", "--seed", "1", "--json", "--work-root",
           str(twin.work_root), "--profile-out", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert res.returncode == 0, res.stderr + res.stdout
    result = json.loads(res.stdout)
    assert result["profile"]["model"] == "simnpu-cycle-v2"
    with (out / "OpBasicInfo.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["Block Dim"] == "48"
    assert float(rows[0]["Task Duration(us)"]) == pytest.approx(result["profile"]["timeUs"], rel=1e-3)
    with (out / "PipeUtilization.csv").open() as f:
        pipe_rows = list(csv.DictReader(f))
    assert len(pipe_rows) == 48
    for col in ("aiv_time(us)", "aiv_total_cycles", "aiv_vec_ratio", "aiv_scalar_ratio", "aiv_mte2_ratio",
                "aiv_mte3_ratio"):
        assert col in pipe_rows[0]
    assert all(0 <= float(r["aiv_mte2_ratio"]) <= 1 for r in pipe_rows)
    trace = json.loads((out / "trace.json").read_text())
    names = {e["args"]["name"] for e in trace["traceEvents"] if e["ph"] == "M" and e["name"] == "thread_name"}
    assert {"SCALAR", "MTE2", "MTE3", "VEC"} <= names
    pids = {e["pid"] for e in trace["traceEvents"] if e["ph"] == "X"}
    assert pids == set(range(48))
    assert not (out / "record.bin").exists()
