"""The fp16 matmul expert kernel (tasks/kernels/matmul_fp16/expert.cpp): right at shapes whose tails the task
sizes do not all reach, and at 8192^3 its timing-only record fits the runtime's entry cap (the baseline's does
not), so the cycle model times the whole kernel.

Its answers at every task's test_dims and verify_dims are checked by test_baselines_twin.py with the rest of
the task kernels.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from tasks import catalogue

EXPERT = Path(__file__).resolve().parents[2] / "tasks" / "kernels" / "matmul_fp16" / "expert.cpp"
WELL_TILED_BUDGET = 4 * 1024 * 1024  # record entries of a well-tiled 8192^3 kernel: the runtime's default cap, well
# under runner.RECORD_MAX_ENTRIES, so the cycle model times it in seconds (docs/twin-speed.md, the record cap)


@pytest.fixture(scope="module")
def backend():
    from tasks.evaluate import twin_backend

    # Not tmp_path: pytest's base dir is private to this uid, and the sandbox runs kernels as nobody.
    root = Path(tempfile.mkdtemp(prefix="hawk-expert-mm-"))
    root.chmod(0o711)
    b = twin_backend(work_root=root)
    yield b
    b.close()
    shutil.rmtree(root, ignore_errors=True)


def test_every_fp16_matmul_task_with_the_baseline_layout_has_the_expert() -> None:
    tasks = [t for t in catalogue.all_tasks() if t.baseline is not None and t.baseline.name == "baseline.cpp"
             and t.baseline.parent.name == "matmul_fp16"]
    assert len(tasks) >= 5
    assert all(t.expert is not None and t.expert.resolve() == EXPERT for t in tasks), [t.name for t in tasks]


# (M, K, N): several A and B packets per output block with a short last one, K % 16 != 0 inside the last B
# packet (its zeroed fractal row), M and N tails, one core's region holding several blocks, a single row, a last
# B packet shorter than one fractal row.
SHAPES = [(300, 1000, 530), (129, 536, 257), (1, 17, 1), (1040, 80, 1300), (40, 264, 48)]


@pytest.mark.parametrize("m, k, n", SHAPES, ids=[f"{m}x{k}x{n}" for m, k, n in SHAPES])
def test_expert_is_right_at_odd_shapes(backend, m: int, k: int, n: int) -> None:
    from tasks.evaluate import Compiled

    spec = catalogue.get_task("matmul_fp16_8192").with_dims(M=m, K=k, N=n).spec
    check = Compiled(backend, EXPERT.read_text(encoding="utf-8"), spec).check([5], profile=False)
    assert check.ok, f"{m}x{k}x{n}: {check.status}: {check.message}"


def test_expert_record_at_8192_cubed_fits_the_cap(backend, tmp_path: Path) -> None:
    from hawk.v1 import result_pb2
    from npu_agent.simnpu.record import API_NAMES

    spec = catalogue.get_task("matmul_fp16_8192").spec
    built = backend.twin.compile(EXPERT.read_text(encoding="utf-8"), spec.kernel_entry, task=spec, timeout_s=600)
    assert built.status == result_pb2.OK, built.message
    rec = Path(tempfile.mkdtemp(prefix="hawk-expert-rec-")) / "timing.bin"
    try:
        r = backend.twin.run(built.binary, spec, {}, timing_only=True, timeout_s=600, record_to=rec)
        assert r.ok, r.message
        assert r.data_dependent == ""  # its control flow reads no tensor data: a timing-only run is trusted
        assert r.record is not None and not r.record.truncated
        # every output block's K loop is recorded: 64 x 32 blocks of 128 x 256, 128 K blocks each
        mmads = int((r.record.entries["api"] == API_NAMES.index("Mmad")).sum())
        assert mmads == 64 * 32 * 128
        assert len(r.record) < WELL_TILED_BUDGET * 0.6
    finally:
        shutil.rmtree(rec.parent, ignore_errors=True)
