"""Small tasks and kernel files for the twin's tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hawk.v1 import result_pb2, task_pb2
from npu_agent import taskspec
from npu_agent.simnpu import RunResult, Twin

REPO = Path(__file__).resolve().parents[2]
KERNELS = Path(__file__).resolve().parent / "kernels"
EXAMPLES = REPO / "examples" / "kernels"
EXAMPLE_TASKS = REPO / "examples" / "tasks" / "examples.toml"
DT = {"float16": task_pb2.FLOAT16, "float32": task_pb2.FLOAT32, "int32": task_pb2.INT32, "int8": task_pb2.INT8,
      "uint8": task_pb2.UINT8, "bfloat16": task_pb2.BFLOAT16, "int16": task_pb2.INT16}


def tensor(name: str, shape: list[int], dtype: str = "float16") -> task_pb2.TensorSpec:
    return task_pb2.TensorSpec(name=name, shape=shape, dtype=DT[dtype])


def task(entry: str, inputs: list[task_pb2.TensorSpec], outputs: list[task_pb2.TensorSpec], *,
         reference: str = "", block_dim: int = 1) -> task_pb2.TaskSpec:
    args = ", ".join(t.name for t in inputs)
    ref = reference or f"def reference({args}):\n    raise NotImplementedError\n"
    return task_pb2.TaskSpec(name=f"test_{entry}", kernel_entry=entry, inputs=inputs, outputs=outputs,
                             reference_source=ref, reference_entry="reference", default_block_dim=block_dim)


def kernel_source(name: str) -> str:
    return (KERNELS / name).read_text()


def marked_line(source: str, marker: str) -> int:
    """1-based line of the only source line holding `marker` (tests name the offending call this way)."""
    hits = [i + 1 for i, line in enumerate(source.splitlines()) if marker in line]
    assert len(hits) == 1, f"marker {marker!r} found on lines {hits}"
    return hits[0]


def build(twin: Twin, source: str, entry: str):
    c = twin.compile(source, entry)
    assert c.status == result_pb2.OK, f"{c.message}\n{c.log_tail}"
    return c.binary


def run_task(twin: Twin, source: str, spec: task_pb2.TaskSpec, seed: int = 7,
             inputs: dict[str, np.ndarray] | None = None, **kw) -> tuple[RunResult, dict[str, np.ndarray]]:
    binary = build(twin, source, spec.kernel_entry)
    ins = inputs if inputs is not None else taskspec.generate_inputs(spec, seed)
    return twin.run(binary, spec, ins, **kw), ins
