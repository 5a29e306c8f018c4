"""Minimal unified-diff hunks: the textual executable template of a knowledge entry.

A template is only the changed lines with a little context (`@@ -a,b +c,d @@` headers, ' '/'-'/'+' lines), so
it can be applied to the kernel it was learnt on (where it must reproduce the verified child exactly, or it is
no template) and, when the context lines are found, to another kernel with the same code.
"""

from __future__ import annotations

import difflib
import re

_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class HunkError(ValueError):
    """The hunks do not parse, or their context is not in the source."""


def make_hunks(before: str, after: str, context: int = 2) -> str:
    """The change before -> after as unified-diff hunks without file headers ("" when nothing changed)."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=context)
    return "\n".join(ln for ln in lines if not ln.startswith(("---", "+++")))


def changed_line_count(hunks: str) -> int:
    return sum(1 for ln in hunks.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---")))


def first_changed_line(hunks: str) -> int:
    """The 1-based line number (in the old file) of the first removed or added line; 0 when none."""
    old = 0
    for ln in hunks.splitlines():
        m = _HEADER.match(ln)
        if m:
            old = int(m.group(1))
            continue
        if ln[:1] in "+-":
            return max(old, 1)
        if ln[:1] == " ":
            old += 1
    return 0


def _parse(hunks: str) -> list[tuple[int, list[str], list[str]]]:
    """[(old start line, old lines, new lines)] per hunk."""
    out: list[tuple[int, list[str], list[str]]] = []
    cur: tuple[int, list[str], list[str]] | None = None
    for n, ln in enumerate(hunks.splitlines(), 1):
        m = _HEADER.match(ln)
        if m:
            cur = (int(m.group(1)), [], [])
            out.append(cur)
        elif cur is None:
            raise HunkError(f"hunk line {n} comes before any @@ header")
        elif ln.startswith(" ") or ln == "":
            cur[1].append(ln[1:])
            cur[2].append(ln[1:])
        elif ln.startswith("-"):
            cur[1].append(ln[1:])
        elif ln.startswith("+"):
            cur[2].append(ln[1:])
        elif ln.startswith("\\"):
            continue  # "\ No newline at end of file"
        else:
            raise HunkError(f"hunk line {n} starts with {ln[:1]!r}, not ' ', '-' or '+'")
    if not out:
        raise HunkError("no @@ hunk header")
    return out


def apply_hunks(source: str, hunks: str) -> str:
    """`source` with the hunks applied; each hunk goes where its header says, else to the unique place its old
    lines occur. Raises HunkError when a hunk's old lines are not found (or are ambiguous)."""
    lines = source.splitlines()
    offset = 0
    for start, old, new in _parse(hunks):
        at = (start - 1 if old else start) + offset
        if lines[at:at + len(old)] != old:
            spots = [i for i in range(len(lines) - len(old) + 1) if lines[i:i + len(old)] == old] if old else []
            if len(spots) != 1:
                raise HunkError(f"hunk at line {start}: its {len(old)} old line(s) are "
                                f"{'not in the source' if not spots else f'found {len(spots)} times'}")
            at = spots[0]
        lines[at:at + len(old)] = new
        offset += len(new) - len(old)
    return "\n".join(lines) + ("\n" if source.endswith("\n") or not source else "")


def reproduces(before: str, after: str, hunks: str) -> bool:
    """Whether applying `hunks` to `before` gives `after` (line endings of the last line aside)."""
    try:
        return apply_hunks(before, hunks).rstrip("\n") == after.rstrip("\n")
    except HunkError:
        return False
