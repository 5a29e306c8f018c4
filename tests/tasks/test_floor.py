"""The hardware floor: each resource at its chip-wide peak from the profile, the largest wins."""

from __future__ import annotations

import pytest

from hawk.v1 import task_pb2
from npu_agent.floor import floor, min_launch_us
from npu_agent.hardware import load_profile
from npu_agent.taskspec import TaskError


def _spec(shape: list[int], dtype: int, **work: int) -> task_pb2.TaskSpec:
    t = task_pb2.TensorSpec(name="x", shape=shape, dtype=dtype)
    return task_pb2.TaskSpec(name="t", inputs=[t], outputs=[task_pb2.TensorSpec(name="y", shape=shape, dtype=dtype)],
                             work=task_pb2.Work(**work))


def test_add_calibration_case_is_gm_bound_and_below_the_measured_best() -> None:
    hw = load_profile("ascend910b2")
    spec = _spec([8192, 8192], task_pb2.FLOAT16, gm_bytes=3 * 8192 * 8192 * 2,
                 vector_element_ops=8192 * 8192, vector_dtype=task_pb2.FLOAT16)
    f = floor(spec, hw)
    assert f.bound == "gm"
    # The fastest chip rate of the cost file (writes, 2.36 TB/s): the model's own [chip] numbers, one source.
    assert f.gm_us == pytest.approx(3 * 8192 * 8192 * 2 / (2.36 * 1e12) * 1e6)
    # Huawei's best measured Add (case 6 of the ladder) took 184.52 us: the floor must not be above it.
    assert f.floor_us < 184.52
    # 64 Mi fp16 adds at 48 cores x 128 per cycle x 1.8 GHz
    assert f.vector_us == pytest.approx(8192 * 8192 / (48 * 128 * 1.8e9) * 1e6)
    assert f.fraction(2 * f.floor_us) == pytest.approx(0.5)


def test_default_gm_bytes_launch_bound_and_cube_rates() -> None:
    tiny = floor(_spec([16], task_pb2.FLOAT32))
    assert tiny.gm_bytes == 2 * 16 * 4 and tiny.bound == "launch" and tiny.floor_us == pytest.approx(min_launch_us(load_profile("ascend910b2")))
    mm = floor(_spec([4], task_pb2.FLOAT16, cube_macs=2048**3, cube_dtype=task_pb2.FLOAT16))
    assert mm.bound == "cube" and mm.cube_us == pytest.approx(2048**3 / (24 * 4096 * 1.8e9) * 1e6)
    fp32 = floor(_spec([4], task_pb2.FLOAT16, cube_macs=2048**3, cube_dtype=task_pb2.FLOAT32))
    assert fp32.cube_us == pytest.approx(4 * mm.cube_us)
    with pytest.raises(TaskError, match="cube unit takes no int32"):
        floor(_spec([4], task_pb2.FLOAT16, cube_macs=1, cube_dtype=task_pb2.INT32))
    with pytest.raises(ValueError, match="must be positive"):
        mm.fraction(0)


def test_every_profile_has_a_floor_and_310p_refuses_fp32_cube_work() -> None:
    from npu_agent.hardware import available_profiles

    for name in available_profiles():
        f = floor(_spec([1024, 1024], task_pb2.FLOAT16, cube_macs=1024**3, cube_dtype=task_pb2.FLOAT16,
                        vector_element_ops=1024 * 1024, vector_dtype=task_pb2.FLOAT16), name)
        assert f.floor_us > 0 and f.gm_us > 0 and f.cube_us > 0 and f.hardware == name
    with pytest.raises(TaskError, match="ascend310p takes no float32"):
        floor(_spec([4], task_pb2.FLOAT32, cube_macs=1, cube_dtype=task_pb2.FLOAT32), "ascend310p")
