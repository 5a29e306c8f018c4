"""Transformations of vector (AIV) kernels: queue depth, tile size, rows per tile, core count, L2 bypass.

Each one recognises two spellings of its site: a named knob (`constexpr ... BUFFER_NUM = 2;`, the
spelling of the built-in baselines and templates, and of most hand-written Ascend C) and the bare
literal a quick kernel writes in its place (`TQue<QuePosition::VECIN, 1>`, `uint32_t cores = 1;`). A
named knob is rewritten in one place, so every use of it stays consistent; a literal site is rewritten at
every place that must agree with it (a queue's declaration and its InitBuffer count).

No value is refused because it might not fit the Unified Buffer or the core count: a blind search must be
able to make that mistake, and the knowledge checks and the agent are what catch it.
"""

from __future__ import annotations

import re
from typing import Any

from knowledge.transforms import Param, Transform, register

_INT = r"(\d+)[uUlL]*"
_INT_TYPE = r"(?:unsigned|int|int32_t|uint32_t|int64_t|uint64_t|size_t|auto)"


def _knob(source: str, names: tuple[str, ...]) -> re.Match[str] | None:
    """The first `constexpr <int type> NAME = <literal>;` among `names` (in that order) that the kernel uses."""
    for name in names:
        m = re.search(rf"\bconstexpr\s+(?:static\s+)?{_INT_TYPE}\s+({name})\s*=\s*{_INT}\s*;", source)
        if m and len(re.findall(rf"\b{name}\b", source)) > 1:
            return m
    return None


def _set_knob(source: str, m: re.Match[str], value: int) -> str:
    return source[:m.start(2)] + str(value) + source[m.end(2):]


def _uses_cube(source: str) -> bool:
    """Kernels with a cube stage (matmul, fused matmul, attention) belong to the cube family's transformations
    (knowledge/transforms/cube.py), which know which of their queues and constants are matmul blocks."""
    return bool(re.search(r"\bMmad\s*\(|\bMatmulImpl\b|QuePosition::(?:A1|B1|A2|B2|CO1|CO2)\b|TPosition::CO1\b",
                          source))


# --- queue_depth -------------------------------------------------------------------------------------------

_DEPTH_KNOBS = ("BUFFER_NUM", "BUFFER_COUNT", "BUF_NUM", "QUEUE_DEPTH", "DEPTH")
_TQUE = re.compile(r"\bTQue\s*<\s*(?:QuePosition|TPosition)::(VECIN|VECOUT)\s*,\s*(\w+)\s*>\s*([^;()]+);")


def _queues(source: str) -> list[tuple[re.Match[str], list[str]]]:
    """The VECIN/VECOUT queue declarations, each with the names it declares."""
    out = []
    for m in _TQUE.finditer(source):
        names = [n.strip().split("[")[0].strip() for n in m.group(3).split(",")]
        out.append((m, [n for n in names if re.fullmatch(r"\w+", n)]))
    return out


def _init_buffer(name: str) -> re.Pattern[str]:
    return re.compile(rf"(\bInitBuffer\s*\(\s*{re.escape(name)}\s*,\s*)(\w+)(\s*,)")


def _depth_current(source: str) -> dict[str, Any] | None:
    decls = _queues(source)
    if not decls or _uses_cube(source):
        return None
    knob = _knob(source, _DEPTH_KNOBS)
    if knob is not None and any(m.group(2) == knob.group(1) for m, _ in decls):
        return {"depth": int(knob.group(2))}
    depths = [int(m.group(2)) for m, _ in decls if m.group(2).isdigit()]
    return {"depth": max(depths)} if depths else None


def _depth_apply(source: str, values: dict[str, Any]) -> str:
    depth = int(values.get("depth", _depth_current(source)["depth"]))  # type: ignore[index]
    knob = _knob(source, _DEPTH_KNOBS)
    decls = _queues(source)
    if knob is not None and any(m.group(2) == knob.group(1) for m, _ in decls):
        # The named knob: its queues' InitBuffer counts must name it too (a literal there would disagree).
        name = knob.group(1)
        for m, names in decls:
            if m.group(2) == name:
                for q in names:
                    source = _init_buffer(q).sub(rf"\g<1>{name}\g<3>", source)
        return _set_knob(source, _knob(source, (name,)), depth)  # type: ignore[arg-type]
    # Literal depths: every VECIN/VECOUT queue and its InitBuffer count move together.
    for m, names in reversed(decls):
        if m.group(2).isdigit():
            source = source[:m.start(2)] + str(depth) + source[m.end(2):]
            for q in names:
                source = _init_buffer(q).sub(rf"\g<1>{depth}\g<3>", source)
    return source


QUEUE_DEPTH = register(Transform(
    name="queue_depth",
    family="vector",
    summary="buffers per VECIN/VECOUT queue (1 = serial, 2 = double buffering): copy-in/out overlap compute",
    pipes=("MTE2", "MTE3", "VECTOR"),
    params=(Param("depth", (1, 2, 3, 4)),),
    _current=_depth_current,
    _apply=_depth_apply,
))


# --- tile --------------------------------------------------------------------------------------------------

_TILE_KNOBS = ("TILE_LENGTH", "TILE_LEN", "TILE_SIZE", "TILE_ELEMS", "TILE")  # not BLOCK_LENGTH: per-core length
# Element counts per tile: powers of two and their 3x/5x multiples, all whole 32 B blocks of any dtype.
TILE_VALUES = (512, 1024, 1536, 2048, 2560, 3072, 4096, 5120, 6144, 8192, 10240, 12288, 16384, 20480, 24576,
               32768)


def _tile_current(source: str) -> dict[str, Any] | None:
    if _uses_cube(source):
        return None
    m = _knob(source, _TILE_KNOBS)
    return {"tile": int(m.group(2))} if m else None


def _tile_apply(source: str, values: dict[str, Any]) -> str:
    m = _knob(source, _TILE_KNOBS)
    return _set_knob(source, m, int(values.get("tile", m.group(2))))  # type: ignore[arg-type, union-attr]


TILE = register(Transform(
    name="tile",
    family="vector",
    summary="elements per loop iteration: longer copies, fewer per-tile overheads, more UB",
    pipes=("MTE2", "MTE3", "SCALAR"),
    params=(Param("tile", TILE_VALUES),),
    _current=_tile_current,
    _apply=_tile_apply,
))


# --- core_count --------------------------------------------------------------------------------------------
# Why fewer cores can win: a launch costs a base plus a per-block share (the twin's `[launch]` base_us and
# per_block_us in npu_agent/hardware/costs/*.toml, fitted to Huawei's Add ladder), so a task of a few KiB
# is fastest on a handful of cores; a bandwidth-bound large task wants them all.

_CORE_KNOBS = ("BLOCK_DIM", "CORE_NUM", "CORE_CAP", "MAX_CORES", "NUM_CORES", "USE_CORE_NUM")
_CORE_VAR = r"(?:cores|coreNum|coreCount|numCores|usedCores|blockDim|blockNum)"
_CORE_LITERAL = re.compile(rf"\b{_INT_TYPE}\s+({_CORE_VAR})\s*=\s*{_INT}\s*;")
_CORE_QUERY = re.compile(rf"(\b{_INT_TYPE}\s+(\w+)\s*=\s*[^;]*?GetCoreNumAiv\s*\(\s*\)\s*;)")
# A kernel that takes every core the platform reports: read as this many (the 910B2's AIV count), the top
# of the domain, so "down" is the only move that changes it.
ALL_AIV_CORES = 48


def _core_current(source: str) -> dict[str, Any] | None:
    if _uses_cube(source):
        return None
    if (m := _knob(source, _CORE_KNOBS)) is not None:
        return {"cores": int(m.group(2))}
    if (m := _CORE_LITERAL.search(source)) is not None and "SetBlockDim" in source:
        return {"cores": int(m.group(2))}
    if _CORE_QUERY.search(source):
        return {"cores": ALL_AIV_CORES}
    return None


def _core_apply(source: str, values: dict[str, Any]) -> str:
    cores = values.get("cores")
    if cores is None:
        return source
    if (m := _knob(source, _CORE_KNOBS)) is not None:
        return _set_knob(source, m, cores)
    if (m := _CORE_LITERAL.search(source)) is not None and "SetBlockDim" in source:
        return source[:m.start(2)] + str(cores) + source[m.end(2):]
    # Cap the platform's count with a named knob (block scope, next to its use), so the next rewrite of
    # this kernel is a one-place change.
    m = _CORE_QUERY.search(source)
    var = m.group(2)  # type: ignore[union-attr]
    line = source.rfind("\n", 0, m.start(1)) + 1  # type: ignore[union-attr]
    indent = re.match(r"[ \t]*", source[line:]).group(0)  # type: ignore[union-attr]
    cap = f"\n{indent}{var} = {var} < BLOCK_DIM ? {var} : BLOCK_DIM;"
    decl = f"{indent}constexpr uint32_t BLOCK_DIM = {cores};  // AIV cores used at most (core_count)\n"
    return source[:line] + decl + source[line:m.end(1)] + cap + source[m.end(1):]  # type: ignore[union-attr]


CORE_COUNT = register(Transform(
    name="core_count",
    family="vector",
    summary="AIV cores the tiling spreads the work over: fewer cores cost less launch, more move more bytes",
    pipes=("MTE2", "MTE3", "VECTOR"),
    params=(Param("cores", (1, 2, 4, 8, 16, 24, 32, 40, 48)),),
    _current=_core_current,
    _apply=_core_apply,
))


# --- l2_bypass ---------------------------------------------------------------------------------------------

_BYPASS_KNOB = re.compile(r"\bconstexpr\s+bool\s+(L2_BYPASS|BYPASS_L2|L2_DISABLE)\s*=\s*(true|false)\s*;")
_HINT = "SetL2CacheHint(CacheMode::CACHE_MODE_DISABLE);"
_COPY_FROM = re.compile(r"\b(?:\w*Copy\w*|Load\w*)\s*\(\s*[^,;()]+(?:\[[^\]]*\])?\s*,\s*(\w+)\s*\[")


def _streamed_inputs(source: str) -> list[str]:
    """GlobalTensors read tile by tile (`x[off]` as a copy's source): read once, so L2 only costs them.

    A tensor copied whole (a bias row every core loads) is left cached: the other cores hit it."""
    names = []
    for name in _COPY_FROM.findall(source):
        if name not in names and re.search(rf"\b{name}\s*\.\s*SetGlobalBuffer\s*\(", source):
            names.append(name)
    return names


def _bypass_current(source: str) -> dict[str, Any] | None:
    if _uses_cube(source):
        return None  # matmul operands are re-read by other cores: L2 is what makes that cheap
    if (m := _BYPASS_KNOB.search(source)) is not None and source.count(m.group(1)) > 1:
        return {"bypass": int(m.group(2) == "true")}
    names = _streamed_inputs(source)
    if not names:
        return None
    return {"bypass": int(all(re.search(rf"\b{n}\s*\.\s*{re.escape(_HINT)}", source) for n in names))}


def _bypass_apply(source: str, values: dict[str, Any]) -> str:
    on = bool(values.get("bypass", _bypass_current(source)["bypass"]))  # type: ignore[index]
    if (m := _BYPASS_KNOB.search(source)) is not None and source.count(m.group(1)) > 1:
        return source[:m.start(2)] + ("true" if on else "false") + source[m.end(2):]
    for name in _streamed_inputs(source):
        source = re.sub(rf"\n[ \t]*{name}\s*\.\s*{re.escape(_HINT)}[ \t]*(?=\n)", "", source)
        if on:
            m = re.search(rf"^([ \t]*){name}\s*\.\s*SetGlobalBuffer\s*\([^;]*\);[ \t]*$", source, re.M)
            if m is not None:
                source = source[:m.end()] + f"\n{m.group(1)}{name}.{_HINT}" + source[m.end():]
    return source


L2_BYPASS = register(Transform(
    name="l2_bypass",
    family="vector",
    summary="streamed inputs skip L2 (SetL2CacheHint DISABLE): read-once data reads faster, nothing evicted",
    pipes=("MTE2",),
    params=(Param("bypass", (0, 1)),),
    _current=_bypass_current,
    _apply=_bypass_apply,
))


# --- row_tile ----------------------------------------------------------------------------------------------

_ROW_KNOBS = ("ROWS_PER_TILE", "TILE_ROWS", "ROWS_PER_LOOP", "ROW_TILE")


def _rows_current(source: str) -> dict[str, Any] | None:
    if _uses_cube(source):
        return None
    m = _knob(source, _ROW_KNOBS)
    return {"rows": int(m.group(2))} if m else None


def _rows_apply(source: str, values: dict[str, Any]) -> str:
    m = _knob(source, _ROW_KNOBS)
    return _set_knob(source, m, int(values.get("rows", m.group(2))))  # type: ignore[arg-type, union-attr]


ROW_TILE = register(Transform(
    name="row_tile",
    family="vector",
    summary="rows per copy-in of a row-wise kernel: one long copy instead of many short ones, more UB",
    pipes=("MTE2", "MTE3"),
    params=(Param("rows", (1, 2, 4, 8, 16, 32, 64)),),
    _current=_rows_current,
    _apply=_rows_apply,
))
