"""The Add example end to end: Python API, record, CLI (`hawk sim run`), compile cache and diagnostics."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from hawk.v1 import result_pb2
from npu_agent import taskspec
from npu_agent.simnpu import record
from npu_agent.simnpu.shapes import TASK_HEADER, launch_source
from npu_agent.taskspec import load_task_file
from tests.simnpu.helpers import EXAMPLE_TASKS, EXAMPLES, build

ADD = (EXAMPLES / "add_custom.cpp").read_text()


@pytest.fixture(scope="module")
def add_task():
    [t] = [d for d in load_task_file(EXAMPLE_TASKS) if d.name == "example_add_fp16"]
    return t.spec


def test_add_runs_multicore_and_matches_numpy_exactly(twin, add_task, tmp_path) -> None:
    binary = build(twin, ADD, "add_custom")
    inputs = taskspec.generate_inputs(add_task, 11)
    rec_path = tmp_path / "rec.bin"
    r = twin.run(binary, add_task, inputs, record_to=rec_path)
    assert r.status == result_pb2.OK, r.message
    np.testing.assert_array_equal(r.outputs["z"], inputs["x"] + inputs["y"])
    assert r.stats["block_dim"] == 8 and r.stats["core_type"] == "AIV"
    assert r.stats["bytes_moved"] == {"GM->UB": 2 * 16384 * 2, "UB->GM": 16384 * 2}
    assert r.warnings == []

    rec = record.read_record(r.record_path)
    assert rec.block_dim == 8 and not rec.truncated
    assert sorted(set(rec.entries["block"].tolist())) == list(range(8))
    src = ADD.splitlines()
    copies = rec.entries[rec.entries["api"] == record.API_NAMES.index("DataCopy")]
    # 8 blocks x 16 tiles x (2 copy-ins + 1 copy-out), each recorded at its own source line.
    assert len(copies) == 8 * 16 * 3
    assert {"AscendC::DataCopy" in src[int(ln) - 1] for ln in copies["line"]} == {True}
    ins = copies[copies["pipe"] == record.Pipe.MTE2]
    assert len(ins) == 8 * 16 * 2 and set(ins["bytes"].tolist()) == {128 * 2}
    deq = rec.entries[rec.entries["op"] == record.Op.DEQUE]
    assert set(deq["ev_src"].tolist()) == {record.Pipe.MTE2, record.Pipe.V}


def test_compile_cache_hits_by_content_and_misses_on_change(twin) -> None:
    first = twin.compile(ADD, "add_custom")
    again = twin.compile(ADD, "add_custom")
    assert again.cached and again.binary == first.binary
    changed = twin.compile(ADD + "\n// a comment\n", "add_custom")
    assert changed.status == result_pb2.OK and not changed.cached and changed.binary != first.binary


def test_compile_errors_map_to_candidate_lines(twin) -> None:
    lines = ADD.splitlines()
    at = next(i for i, s in enumerate(lines) if "AscendC::Add(zLocal" in s)
    lines[at] = lines[at].replace("AscendC::Add(zLocal", "AscendC::Add(zLocalTypo")
    bad = "\n".join(lines) + "\n"
    c = twin.compile(bad, "add_custom")
    assert c.status == result_pb2.COMPILE_ERROR
    errors = [d for d in c.diagnostics if d.severity == "error"]
    assert errors and errors[0].line == at + 1 and "zLocalTypo" in errors[0].message
    missing = twin.compile(ADD, "no_such_kernel")
    assert missing.status == result_pb2.COMPILE_ERROR
    assert any("no_such_kernel" in d.message and d.line == 0 for d in missing.diagnostics)


def test_hawk_sim_run_cli(twin, twin_root) -> None:
    env = dict(os.environ, HAWK_SIM_WORK_ROOT=str(twin_root))
    hawk = [sys.executable, "-m", "controller.cli"]
    p = subprocess.run([*hawk, "sim", "run", str(EXAMPLES / "add_custom.cpp"), "--task", "example_add_fp16",
                        "--task-file", str(EXAMPLE_TASKS), "--json", "--seed", "3"],
                       capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    res = json.loads(p.stdout)
    assert res["status"] == "OK" and res["numeric"]["setsChecked"] == 2 and res["profile"]["blockDim"] == 8
    # Broken kernel: exit 1 and a human summary naming the line.
    broken = twin_root / "broken.cpp"
    broken.write_text(ADD.replace("AscendC::Add(zLocal, xLocal, yLocal, tileLength);",
                                  "AscendC::Add(zLocal, xLocal, yLocal, tileLength * 4096);"))
    p = subprocess.run([*hawk, "sim", "run", str(broken), "--task", "example_add_fp16", "--task-file",
                        str(EXAMPLE_TASKS), "--seed", "3"], capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 1
    assert "HARDWARE_EXCEPTION" in p.stdout and "UB_OUT_OF_BOUNDS" in p.stdout
    p = subprocess.run([*hawk, "sim", "run", str(broken), "--task", "no_such_task", "--task-file",
                        str(EXAMPLE_TASKS)], capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode != 0 and "no_such_task" in p.stderr


def test_the_precompiled_header_is_used(twin, tmp_path) -> None:
    # GCC silently ignores a PCH built with other flags; -Winvalid-pch -H shows which one it took ('!' = used).
    (tmp_path / "kernel.cpp").write_text(ADD)
    (tmp_path / "launch.cpp").write_text(launch_source("add_custom"))
    (tmp_path / TASK_HEADER).write_text("")  # the DTYPE_<ARG> macros of a task: none here
    argv = twin.build.compile_argv("launch.cpp", "k.bin") + ["-H", "-Winvalid-pch"]
    p = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert f"! {twin.build.pch_dir / 'kernel_operator.h.gch'}" in p.stderr.splitlines()[0]
