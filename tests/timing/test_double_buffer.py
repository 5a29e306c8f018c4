"""Double buffering in the cycle model: TQue buffers rotate in a ring (as TQueBind::AllocBuffer hands them out),
so a BUFFER_NUM 2 pipeline overlaps one tile's MTE2 copy with the previous tile's Vector and MTE3 work and is
faster in simulated time than the same pipeline with BUFFER_NUM 1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hawk.v1 import result_pb2, task_pb2
from npu_agent.simnpu.timing import simulate_file

KERNEL = Path(__file__).resolve().parents[1] / "simnpu" / "kernels" / "double_buffer.cpp"
N = 32768


def _cycles(twin, entry: str) -> tuple[float, np.ndarray]:
    spec = task_pb2.TaskSpec(
        name=entry, kernel_entry=entry, default_block_dim=1,
        inputs=[task_pb2.TensorSpec(name="x", shape=[N], dtype=task_pb2.FLOAT32)],
        outputs=[task_pb2.TensorSpec(name="z", shape=[N], dtype=task_pb2.FLOAT32)],
        reference_source="def reference(x):\n    raise NotImplementedError\n", reference_entry="reference")
    built = twin.compile(KERNEL.read_text(), entry)
    assert built.status == result_pb2.OK, built.message + built.log_tail
    x = np.random.default_rng(3).uniform(-1, 1, N).astype(np.float32)
    rec = Path(twin.work_root) / f"{entry}.rec"
    r = twin.run(built.binary, spec, {"x": x}, record_to=rec, timeout_s=120)
    assert r.ok, r.message
    np.testing.assert_allclose(r.outputs["z"], np.exp(x) * 0.5, rtol=1e-6)
    return simulate_file(rec, twin.hardware).sched.cycles, r.outputs["z"]


@pytest.fixture(scope="module")
def cycles(twin) -> dict[int, float]:
    one, z1 = _cycles(twin, "single_buffer")
    two, z2 = _cycles(twin, "double_buffer")
    np.testing.assert_array_equal(z1, z2)
    return {1: one, 2: two}


def test_double_buffering_is_faster_than_single(cycles) -> None:
    # Before the ring, AllocTensor re-used buffer 0 after every FreeTensor: both took the same time.
    assert cycles[2] < 0.85 * cycles[1], cycles
