"""Kernel templates: an Ascend C source with `{{NAME}}` parameters and the space the offline proposer searches.

A task opts in with two keys in its task file::

    [task.extra]
    template = "kernels/add/template.cpp"          # relative to the task file
    [task.extra.params]                              # ordered value lists: mutation moves to neighbours
    BLOCK_DIM = [8, 16, 24, 40, 48]
    TILE_LENGTH = [1024, 2048, 4096, 8192]
    BUFFER_NUM = [1, 2]

Every `{{NAME}}` in the template must be a parameter and every parameter must appear, so a typo fails
when the campaign starts rather than as a compile error in the middle of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from npu_agent.taskspec import TaskDef

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class TemplateError(ValueError):
    """A task's template or parameter space is malformed; the message names the task and key."""


@dataclass(frozen=True)
class KernelTemplate:
    task: str
    source: str
    params: dict[str, tuple[Any, ...]]

    def render(self, values: dict[str, Any]) -> str:
        missing = set(self.params) - set(values)
        if missing:
            raise TemplateError(f"task {self.task}: no value for template parameters {sorted(missing)}")
        return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), self.source)

    def size(self) -> int:
        n = 1
        for values in self.params.values():
            n *= len(values)
        return n


def template_for(task: TaskDef) -> KernelTemplate | None:
    """The task's template, or None when the task defines none."""
    path = task.extra.get("template")
    if path is None:
        return None
    base = task.source_path.parent if task.source_path else Path(".")
    p = Path(path) if Path(path).is_absolute() else base / path
    if not p.is_file():
        raise TemplateError(f"task {task.name}: template file {p} does not exist")
    raw = task.extra.get("params")
    if not isinstance(raw, dict) or not raw:
        raise TemplateError(f"task {task.name}: extra.params must be a table of NAME = [values]")
    params: dict[str, tuple[Any, ...]] = {}
    for name, values in raw.items():
        if not isinstance(values, list) or not values:
            raise TemplateError(f"task {task.name}: extra.params.{name} must be a non-empty list")
        params[name] = tuple(values)
    source = p.read_text(encoding="utf-8")
    used = set(_PLACEHOLDER.findall(source))
    if used - set(params):
        raise TemplateError(f"task {task.name}: template uses undefined parameters {sorted(used - set(params))}")
    if set(params) - used:
        raise TemplateError(f"task {task.name}: parameters {sorted(set(params) - used)} do not appear in {p.name}")
    return KernelTemplate(task=task.name, source=source, params=params)
