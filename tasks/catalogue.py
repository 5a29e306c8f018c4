"""The built-in operator tasks, and how campaign specs and the CLI name tasks.

The catalogue is the task files in ``tasks/builtin/*.toml`` (format: docs/tasks.md); each task's baseline
and expert kernels live in ``tasks/kernels/<task>/``. The API is deliberately small and stable because
the twin's CLI (``hawk sim run --task NAME``), the controller and the table script all use it:

- ``all_tasks()``: every built-in task, in file order;
- ``get_task(name)``: one built-in task, or ``UnknownTask`` naming close matches;
- ``categories()``: category -> task names;
- ``resolve(items)``: what a campaign spec's ``tasks`` list means (names, ``category:NAME``, ``all`` and
  task files, in any mix) as a de-duplicated list of TaskDefs.

Nothing here is imported by the agent: it receives TaskSpecs over the wire.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from npu_agent.taskspec import TaskDef, TaskError, load_task_file

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
KERNELS_DIR = Path(__file__).resolve().parent / "kernels"


class UnknownTask(TaskError, KeyError):
    """A task name that is neither built in nor in a given task file; the message lists close matches."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


@cache
def _builtin() -> dict[str, TaskDef]:
    files = sorted(BUILTIN_DIR.glob("*.toml"))
    if not files:
        raise TaskError(f"no built-in task files in {BUILTIN_DIR} (is the package installed with its data?)")
    out: dict[str, TaskDef] = {}
    for f in files:
        for t in load_task_file(f):
            if t.name in out:
                raise TaskError(f"built-in task {t.name!r} is defined in both {out[t.name].source_path} and {f}")
            out[t.name] = t
    return out


def all_tasks() -> list[TaskDef]:
    """Every built-in task (file order within each file, files sorted by name)."""
    return list(_builtin().values())


def names() -> list[str]:
    return list(_builtin())


def categories() -> dict[str, list[str]]:
    """Category -> names of its built-in tasks."""
    out: dict[str, list[str]] = {}
    for t in _builtin().values():
        out.setdefault(t.spec.category, []).append(t.name)
    return out


def get_task(name: str) -> TaskDef:
    """A built-in task by exact name."""
    tasks = _builtin()
    try:
        return tasks[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(tasks), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `hawk tasks list` shows them"
        raise UnknownTask(f"no built-in task {name!r}{hint}") from None


def _looks_like_file(item: str) -> bool:
    return item.endswith(".toml") or "/" in item or "\\" in item


def resolve(items: Iterable[str], base_dir: str | Path | None = None) -> list[TaskDef]:
    """Turn task references into TaskDefs, keeping order and dropping repeats.

    Each item is a built-in name, ``category:NAME`` (every built-in task of that category), ``all``, or the
    path of a task file (all its tasks; relative paths are taken from ``base_dir``, e.g. the campaign
    spec's folder). Two different tasks with the same name are an error, since results are keyed by name.
    """
    out: dict[str, TaskDef] = {}

    def add(t: TaskDef, origin: str) -> None:
        have = out.get(t.name)
        if have is not None and have.hash != t.hash:
            raise TaskError(f"task {t.name!r} from {origin} differs from the task of the same name already listed")
        out.setdefault(t.name, t)

    for raw in items:
        item = str(raw).strip()
        if not item:
            raise TaskError("an empty task reference")
        if item == "all":
            for t in all_tasks():
                add(t, "the built-in catalogue")
        elif item.startswith("category:"):
            cat = item.removeprefix("category:")
            members = categories().get(cat)
            if not members:
                raise UnknownTask(f"no built-in task has category {cat!r}; categories: {', '.join(sorted(categories()))}")
            for n in members:
                add(get_task(n), item)
        elif _looks_like_file(item):
            p = Path(item).expanduser()
            if not p.is_absolute() and base_dir is not None:
                p = Path(base_dir) / p
            for t in load_task_file(p):
                add(t, str(p))
        else:
            add(get_task(item), "the built-in catalogue")
    return list(out.values())


def find(name: str, task_files: Iterable[str | Path] = ()) -> TaskDef:
    """A task by name from the given task files first, then the built-in catalogue."""
    for f in task_files:
        for t in load_task_file(f):
            if t.name == name:
                return t
    return get_task(name)
