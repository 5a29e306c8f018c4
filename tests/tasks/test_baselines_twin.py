"""Every built-in baseline and expert kernel passes the verification protocol on the twin, at test_dims.

Full sizes run in benchmarks/task_table.py (docs/task-baselines.md), not here: the reduced sizes keep the
kernels' tiling logic (tails, unaligned rows, several cores, several K slices) while staying fast.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks import catalogue

PAIRS = [(t.name, kind) for t in catalogue.all_tasks() for kind, p in (("baseline", t.baseline), ("expert", t.expert))
         if p is not None]


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory):
    from tasks.evaluate import TwinUnavailable, twin_backend

    try:
        backend = twin_backend(work_root=tmp_path_factory.mktemp("twin"))
    except TwinUnavailable as e:
        pytest.skip(str(e))
    yield backend
    backend.close()


@pytest.mark.parametrize("name, kind", PAIRS, ids=[f"{n}-{k}" for n, k in PAIRS])
def test_kernel_passes_on_the_twin(twin, name: str, kind: str) -> None:
    from tasks.evaluate import Compiled

    task = catalogue.get_task(name).reduced()
    path: Path = task.baseline if kind == "baseline" else task.expert
    compiled = Compiled(twin, path.read_text(encoding="utf-8"), task.spec)  # compiled once per kernel
    check = compiled.check([11, 12], profile=False)
    assert check.ok, f"{name} {kind}: {check.status}: {check.message}"
