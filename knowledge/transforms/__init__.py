"""Named, parameterised source transformations: the executable half of a knowledge entry's template.

A transformation rewrites an Ascend C kernel in one well-understood way (deeper queues, another tile size,
fewer cores, a different matmul base block) and knows the kernel's present value of each of its
parameters, so a search can move a parameter to a neighbouring value instead of guessing. The offline
proposer searches with them (blindly when knowledge is off; guided by retrieved entries when it is on), and a
knowledge entry names one as its template (`Entry.transform`), which makes the entry applicable to any
kernel the transformation recognises, not only to the file it was learnt on.

Transformations are pure text functions: no compiler, no hardware profile. Whether a rewritten kernel still
fits the hardware is decided by the knowledge checks and, finally, by the agent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class NotApplicable(ValueError):
    """The kernel has no site this transformation can rewrite (or the values are outside its domain)."""


@dataclass(frozen=True)
class Param:
    name: str
    values: tuple[Any, ...]  # ordered domain: a mutation moves to a neighbour

    def step(self, current: Any, direction: int) -> Any | None:
        """The neighbouring value in `direction` (+1 up, -1 down) from `current`, or None at the end."""
        vals = list(self.values)
        if current in vals:
            i = vals.index(current) + direction
        else:  # not on the grid: the nearest grid value on that side
            side = [v for v in vals if (v > current if direction > 0 else v < current)]
            return (min(side) if direction > 0 else max(side)) if side else None
        return vals[i] if 0 <= i < len(vals) else None


@dataclass(frozen=True)
class Transform:
    name: str                       # stable id, stored in candidates and entries: "queue_depth"
    family: str                     # "vector", "cube" or "any": which kernels it is written for
    summary: str                    # one line for prompts, rationales and `hawk kb show`
    pipes: tuple[str, ...]          # the pipes whose time it mainly changes, e.g. ("MTE2", "MTE3")
    params: tuple[Param, ...]
    _current: Callable[[str], dict[str, Any] | None]
    _apply: Callable[[str, dict[str, Any]], str]

    def current(self, source: str) -> dict[str, Any] | None:
        """The kernel's present parameter values, or None when the transformation does not apply to it."""
        return self._current(source)

    def apply(self, source: str, values: dict[str, Any]) -> str:
        """The rewritten source; raises NotApplicable when the kernel has no site or a value is off-domain."""
        names = {p.name for p in self.params}
        unknown = set(values) - names
        if unknown:
            raise NotApplicable(f"{self.name}: unknown parameter(s) {sorted(unknown)}")
        for p in self.params:
            if p.name in values and values[p.name] not in p.values:
                raise NotApplicable(f"{self.name}: {p.name}={values[p.name]!r} is not one of {list(p.values)}")
        if self.current(source) is None:
            raise NotApplicable(f"{self.name}: the kernel has no site to rewrite")
        return self._apply(source, values)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"{self.name} has no parameter {name!r}")


_REGISTRY: dict[str, Transform] = {}


def register(t: Transform) -> Transform:
    if t.name in _REGISTRY and _REGISTRY[t.name] is not t:
        raise ValueError(f"transformation {t.name!r} registered twice")
    _REGISTRY[t.name] = t
    return t


def _load() -> None:
    # The families register themselves on import; importing here keeps one entry point for callers.
    from knowledge.transforms import cube, vector  # noqa: F401


def get(name: str) -> Transform:
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise NotApplicable(f"unknown transformation {name!r} (known: {', '.join(sorted(_REGISTRY))})") from None


def all_transforms() -> list[Transform]:
    _load()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def applicable(source: str) -> list[tuple[Transform, dict[str, Any]]]:
    """The transformations that recognise this kernel, each with the kernel's present values."""
    out = []
    for t in all_transforms():
        cur = t.current(source)
        if cur is not None:
            out.append((t, cur))
    return out


def apply(source: str, name: str, values: dict[str, Any]) -> str:
    return get(name).apply(source, values)
