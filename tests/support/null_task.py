"""A searchable task for the null backend: template parameters set how long each evaluation "runs"."""

from __future__ import annotations

from pathlib import Path

TASKS = """
[[task]]
name = "nullsearch"
category = "test"
kernel_entry = "k"
baseline = "baseline.cpp"
reference = '''
def reference(x):
    return x
'''
inputs = [{name = "x", shape = [4], dtype = "float32"}]
outputs = [{name = "y", shape = [4], dtype = "float32"}]
[task.extra]
template = "template.cpp"
[task.extra.params]
RUN_S = [0.04, 0.03, 0.02, 0.01, 0.005]
VARIANT = [1, 2, 3, 4, 5]
"""


def write_null_task(folder: Path, baseline_run_s: float = 0.05, tasks: str = TASKS) -> Path:
    """Write tasks.toml, its baseline and its template into folder; returns the task file."""
    (folder / "baseline.cpp").write_text(f"// baseline\n// hawk-null: run_s={baseline_run_s}\n")
    # VARIANT sits in the directive line: kernels differing only in comments are one kernel (duplicates).
    (folder / "template.cpp").write_text("// hawk-null: run_s={{RUN_S}} variant={{VARIANT}}\n")
    path = folder / "tasks.toml"
    path.write_text(tasks)
    return path
