"""The four examples of docs/kernel-contract.md pass against their numpy references (through taskspec.verify,
the agent's verification protocol), and a launch with more blocks than cores runs in waves."""

from __future__ import annotations

import numpy as np
import pytest

from hawk.v1 import result_pb2
from npu_agent import taskspec
from npu_agent.simnpu import record
from npu_agent.taskspec import load_task_file
from tests.simnpu.helpers import EXAMPLE_TASKS, EXAMPLES, build, kernel_source, run_task, task, tensor

EXAMPLE_CASES = {
    "example_add_fp16": ("add_custom.cpp", 8, "AIV"),
    "example_softmax_fp16": ("softmax_custom.cpp", 40, "AIV"),
    "example_layernorm_fp32": ("layernorm_custom.cpp", 25, "AIV"),
    "example_matmul_fp16": ("matmul_custom.cpp", 2, "AIC"),
}


@pytest.fixture(scope="module")
def example_tasks():
    return {t.name: t.spec for t in load_task_file(EXAMPLE_TASKS)}


@pytest.mark.parametrize("name", sorted(EXAMPLE_CASES))
def test_example_matches_numpy(twin, example_tasks, name: str) -> None:
    kernel, blocks, core = EXAMPLE_CASES[name]
    spec = example_tasks[name]
    binary = build(twin, (EXAMPLES / kernel).read_text(), spec.kernel_entry)
    runs = []

    def run(inputs, outputs):
        r = twin.run(binary, spec, inputs)
        assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"
        runs.append(r)
        return r.outputs

    reports = taskspec.verify(spec, run, seeds=[101, 202])
    assert [rep.mismatch_count for rep in reports] == [0, 0], reports[-1]
    assert runs[-1].stats["block_dim"] == blocks and runs[-1].stats["core_type"] == core
    assert runs[-1].warnings == []


def test_matmul_record_has_the_cube_path(twin, example_tasks, tmp_path) -> None:
    spec = example_tasks["example_matmul_fp16"]
    r, _ = run_task(twin, (EXAMPLES / "matmul_custom.cpp").read_text(), spec, record_to=tmp_path / "mm.bin")
    assert r.ok, r.message
    rec = record.read_record(r.record_path)
    e = rec.entries
    mmad = e[e["api"] == record.API_NAMES.index("Mmad")]
    assert len(mmad) == 2 and set(mmad["pipe"].tolist()) == {record.Pipe.M}
    assert (mmad["a0"].tolist(), mmad["a1"].tolist(), mmad["a2"].tolist()) == ([32, 32], [64, 64], [64, 64])
    pipes = {record.API_NAMES[a]: set() for a in set(e["api"].tolist())}
    for a, p in zip(e["api"].tolist(), e["pipe"].tolist(), strict=True):
        pipes[record.API_NAMES[a]].add(record.Pipe(p).name)
    assert pipes["LoadData"] == {"MTE1"} and pipes["Fixpipe"] == {"FIX"} and "MTE2" in pipes["DataCopy"]
    assert set(e["core"].tolist()) == {2}  # AIC


def test_more_blocks_than_cores_run_in_waves(twin, tmp_path) -> None:
    # 100 blocks on 48 AIV cores: three waves; each block writes its own id, and the record says which core ran it.
    spec = task("waves_kernel", [tensor("x", [8])], [tensor("ids", [100 * 8], "int32")], block_dim=100)
    r, _ = run_task(twin, kernel_source("waves.cpp"), spec, record_to=tmp_path / "w.bin")
    assert r.ok, r.message
    np.testing.assert_array_equal(r.outputs["ids"].reshape(100, 8), np.repeat(np.arange(100), 8).reshape(100, 8))
    rec = record.read_record(r.record_path)
    starts = rec.entries[rec.entries["api"] == record.API_NAMES.index("KernelStart")]
    assert starts["a0"].tolist() == list(range(100))
    assert starts["a2"].tolist() == [b % 48 for b in range(100)]  # core id: block modulo the AIV core count
