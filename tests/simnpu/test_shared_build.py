"""$HAWK_SIM_SHARED_BUILD: a fresh work root links the shared root's twin build instead of compiling its own,
and a candidate built against the linked build uses its precompiled header and runs (tests/conftest.py relies
on this for the whole suite)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hawk.v1 import result_pb2
from npu_agent import taskspec
from npu_agent.simnpu import Twin
from npu_agent.simnpu.build import SHARED_BUILD_ENV, ensure_twin
from npu_agent.simnpu.shapes import TASK_HEADER, launch_source
from npu_agent.taskspec import load_task_file
from tests.simnpu.helpers import EXAMPLE_TASKS, EXAMPLES, build


def test_a_fresh_work_root_links_the_shared_build_and_compiles_with_it(twin: Twin, sandbox_root: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # The session twin's root is built already: linking it into a fresh root compiles nothing.
    monkeypatch.setenv(SHARED_BUILD_ENV, str(twin.work_root))
    linked = ensure_twin(sandbox_root, twin.hardware)
    assert linked.root.parent == sandbox_root and linked.version == twin.build.version
    for name in ("hawk_runtime.o", f"{twin.build.pch_dir.name}/kernel_operator.h.gch", "include/kernel_operator.h"):
        mine, shared = os.stat(linked.root / name), os.stat(twin.build.root / name)
        assert (mine.st_ino, mine.st_dev) == (shared.st_ino, shared.st_dev), name
    assert (linked.root / ".complete").exists() and (linked.pch_dir / ".complete").exists()
    assert not list(sandbox_root.glob(".*.link*")), "a temporary link dir was left behind"

    fresh = Twin(twin.hardware, work_root=sandbox_root)
    binary = build(fresh, (EXAMPLES / "add_custom.cpp").read_text(), "add_custom")
    [spec] = [d.spec for d in load_task_file(EXAMPLE_TASKS) if d.name == "example_add_fp16"]
    inputs = taskspec.generate_inputs(spec, 3)
    r = fresh.run(binary, spec, inputs)
    assert r.status == result_pb2.OK, r.message
    np.testing.assert_array_equal(r.outputs["z"], inputs["x"] + inputs["y"])
    # GCC silently ignores a PCH it cannot use; '!' marks the one it took.
    (tmp_path / "kernel.cpp").write_text((EXAMPLES / "add_custom.cpp").read_text())
    (tmp_path / "launch.cpp").write_text(launch_source("add_custom"))
    (tmp_path / TASK_HEADER).write_text("")
    p = subprocess.run(fresh.build.compile_argv("launch.cpp", "k.bin") + ["-H", "-Winvalid-pch"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert f"! {fresh.build.pch_dir / 'kernel_operator.h.gch'}" in p.stderr.splitlines()[0]
