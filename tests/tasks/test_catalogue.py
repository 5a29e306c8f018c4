"""The built-in catalogue: coverage the issue asks for, references that run, and the resolve() API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from npu_agent import taskspec
from npu_agent.floor import floor
from npu_agent.taskspec import TaskError
from tasks import catalogue

REQUIRED = {"elementwise", "activation", "cast", "reduction", "softmax", "normalization", "matmul", "fusion",
            "attention", "transpose"}


def test_catalogue_covers_the_issue() -> None:
    tasks = catalogue.all_tasks()
    assert len(tasks) >= 30
    assert set(catalogue.categories()) >= REQUIRED
    names = set(catalogue.names())
    for needed in ("relu_fp16", "gelu_fp16", "silu_fp16", "sigmoid_fp32", "tanh_fp32", "softmax_fp16",
                   "log_softmax_fp32", "layernorm_fp32", "rmsnorm_fp16", "add_bias_row_fp16", "mul_scale_col_fp32",
                   "matmul_bias_relu_fp16", "batched_matmul_fp16", "transpose_fp16", "attention_fp16"):
        assert needed in names
    add = catalogue.get_task("add_fp16_8192x8192")
    assert [list(t.shape) for t in add.spec.inputs] == [[8192, 8192], [8192, 8192]] and add.expert is not None
    # matmul shapes that are not multiples of 16
    assert any(any(d % 16 for t in x.spec.inputs for d in t.shape) for x in tasks if x.spec.category == "matmul")
    floors = {t.name: floor(t.spec) for t in tasks}
    assert sum(f.bound == "launch" for f in floors.values()) >= 2
    assert sum(f.floor_us > 2 * f.launch_us for f in floors.values()) >= 15


def test_every_task_has_a_baseline_and_a_working_reference() -> None:
    for t in catalogue.all_tasks():
        assert t.baseline is not None and t.baseline.is_file(), t.name
        assert f"void {t.spec.kernel_entry}(" in t.baseline.read_text(), t.name
        small = t.reduced()
        inputs = taskspec.generate_inputs(small.spec, seed=1)
        outputs = taskspec.run_reference(small.spec, inputs)
        for o in small.spec.outputs:
            assert outputs[o.name].shape == tuple(o.shape), t.name
            assert np.isfinite(taskspec.to_compute(outputs[o.name], o.dtype).astype(np.float64)).all(), t.name
        # a reference output passes its own tolerance; a poisoned buffer does not
        assert taskspec.compare(small.spec, outputs, outputs).mismatch_count == 0
        poisoned = {o.name: taskspec.poison(o) for o in small.spec.outputs}
        assert taskspec.compare(small.spec, outputs, poisoned).mismatch_count > 0


def test_resolve_names_categories_files_and_conflicts(tmp_path: Path) -> None:
    got = catalogue.resolve(["softmax_fp16", "category:softmax", "softmax_fp16"])
    assert [t.name for t in got][0] == "softmax_fp16" and len(got) == len(catalogue.categories()["softmax"])
    assert len(catalogue.resolve(["all"])) == len(catalogue.all_tasks())
    src = catalogue.get_task("relu_fp16").source_path
    text = src.read_text().replace('name = "relu_fp16"', 'name = "my_relu"')
    text = text.replace('"../kernels/', f'"{src.parent.parent / "kernels"}/')
    mine = tmp_path / "mine.toml"
    mine.write_text(text)
    got = catalogue.resolve(["mine.toml", "relu_fp16"], base_dir=tmp_path)
    assert "my_relu" in [t.name for t in got] and "relu_fp16" in [t.name for t in got]
    assert catalogue.find("my_relu", [mine]).name == "my_relu"
    clash = tmp_path / "clash.toml"
    clash.write_text(text.replace('name = "my_relu"', 'name = "relu_fp16"').replace("np.maximum(x, 0)", "x"))
    with pytest.raises(TaskError, match="differs from the task of the same name"):
        catalogue.resolve(["relu_fp16", str(clash)])
    with pytest.raises(catalogue.UnknownTask, match="did you mean softmax_fp16"):
        catalogue.get_task("softmax_fp61")
    with pytest.raises(catalogue.UnknownTask, match="no built-in task has category 'nope'"):
        catalogue.resolve(["category:nope"])


def test_installed_package_ships_task_files_and_kernels() -> None:
    """The package data rules in pyproject.toml must carry the .toml and .cpp files."""
    import tomllib

    cfg = tomllib.loads((Path(catalogue.__file__).parents[1] / "pyproject.toml").read_text())
    data = cfg["tool"]["setuptools"]["package-data"]["*"]
    assert "*.toml" in data and "*.cpp" in data
    assert catalogue.BUILTIN_DIR.is_dir() and any(catalogue.KERNELS_DIR.glob("*/baseline.cpp"))


def _hawk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "controller.cli", *args], capture_output=True, text=True,
                          cwd=Path(catalogue.__file__).parents[1])


def test_cli_list_and_show() -> None:
    out = _hawk("tasks", "list")
    assert out.returncode == 0 and "add_fp16_8192x8192" in out.stdout and "tasks" in out.stdout.splitlines()[-1]
    out = _hawk("tasks", "list", "--category", "matmul", "--json")
    rows = json.loads(out.stdout)
    assert rows and all(r["category"] == "matmul" for r in rows)
    out = _hawk("tasks", "show", "softmax_fp16")
    assert out.returncode == 0
    for needle in ("x[16384,1024]:float16", "uniform[-8, 8)", "def reference(x):", "floor:", "baseline:",
                   "softmax_custom(x, y, workspace, tiling)"):
        assert needle in out.stdout, needle
    info = json.loads(_hawk("tasks", "show", "matmul_fp16_2048", "--json").stdout)
    assert info["floor"]["bound"] == "cube" and info["arguments"] == ["a", "b", "c", "workspace", "tiling"]
    bad = _hawk("tasks", "show", "nope")
    assert bad.returncode == 2 and "no built-in task 'nope'" in bad.stderr
