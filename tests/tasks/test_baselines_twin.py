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
def twin():
    import shutil
    import tempfile

    from tasks.evaluate import twin_backend

    # Not tmp_path: pytest's base dir is private to this uid, and the sandbox runs kernels as nobody.
    root = Path(tempfile.mkdtemp(prefix="hawk-tasks-twin-"))
    root.chmod(0o711)
    backend = twin_backend(work_root=root)
    yield backend
    backend.close()
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("name, kind", PAIRS, ids=[f"{n}-{k}" for n, k in PAIRS])
def test_kernel_passes_on_the_twin(twin, name: str, kind: str) -> None:
    from tasks.evaluate import Compiled

    task = catalogue.get_task(name).reduced()
    path: Path = task.baseline if kind == "baseline" else task.expert
    compiled = Compiled(twin, path.read_text(encoding="utf-8"), task.spec)  # compiled once per kernel
    check = compiled.check([11, 12], profile=False)
    assert check.ok, f"{name} {kind}: {check.status}: {check.message}"


VERIFY_PAIRS = [(t.name, kind) for t in catalogue.all_tasks() if t.spec.HasField("verify_task")
                for kind, p in (("baseline", t.baseline), ("expert", t.expert)) if p is not None]


@pytest.mark.parametrize("name, kind", VERIFY_PAIRS, ids=[f"{n}-{k}-verify" for n, k in VERIFY_PAIRS])
def test_kernel_passes_at_the_verify_size(twin, name: str, kind: str) -> None:
    """A task with verify_dims is verified at that size (docs/agent.md, "Size coverage"): its kernels must pass there."""
    from tasks.evaluate import Compiled

    task = catalogue.get_task(name)
    path: Path = task.baseline if kind == "baseline" else task.expert
    compiled = Compiled(twin, path.read_text(encoding="utf-8"), task.spec.verify_task)
    check = compiled.check([21], profile=False)
    assert check.ok, f"{name} {kind} at {task.verify_dims}: {check.status}: {check.message}"
