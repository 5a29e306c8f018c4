"""Transformations of cube (AIC) kernels: matmul tiling, ping-pong, core split; and the attention kernel's knobs.

Each one recognises a named site in the source (a `constexpr` knob, or the depth of a TQue and its InitBuffer
count) and rewrites only that site, so a kernel the search derived from a baseline stays a readable edit of it.
The domains hold values the hardware accepts one at a time (multiples of 16 for the base block; depths 1 and 2),
but not every combination fits the buffers: a 256 x 256 float accumulator overflows L0C, a ping-ponged
128 x 256 one too. That is deliberate: the transformation does not know the chip, the knowledge checks and the
twin do (a blind search may make the mistake and is told why).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from knowledge.transforms import NotApplicable, Param, Transform, register

_INT_TYPES = r"(?:uint32_t|int32_t|uint64_t|int64_t|int|unsigned|size_t|uint16_t)"


def _const_re(name: str) -> re.Pattern[str]:
    """`constexpr <int type> NAME = <digits>[u];` with the digits as group 2."""
    return re.compile(rf"(\bconstexpr\s+(?:static\s+)?{_INT_TYPES}\s+{name}\s*=\s*)(\d+)(u?\s*;)")


def _bool_re(name: str) -> re.Pattern[str]:
    return re.compile(rf"(\bconstexpr\s+(?:static\s+)?bool\s+{name}\s*=\s*)(true|false)(\s*;)")


def _read_int(source: str, name: str) -> int | None:
    found = _const_re(name).findall(source)
    return int(found[0][1]) if len(found) == 1 else None  # absent or ambiguous (two definitions): no site


def _write_int(source: str, name: str, value: int) -> str:
    out, n = _const_re(name).subn(lambda m: f"{m.group(1)}{value}{m.group(3)}", source)
    if n != 1:
        raise NotApplicable(f"constexpr {name} is defined {n} times, expected once")
    return out


def _is_cube(source: str) -> bool:
    return "Mmad(" in source


# ---------------------------------------------------------------- mm_base_block

BLOCK_SIDES = (16, 32, 64, 128, 256)  # fractal multiples; 256 x 256 float (256 KB) overflows L0C (128 KB)


def _base_block_current(source: str) -> dict[str, Any] | None:
    if not _is_cube(source):
        return None
    vals = {k: _read_int(source, k) for k in ("BASE_M", "BASE_N", "BASE_K")}
    if any(v is None for v in vals.values()):
        return None
    return vals


def _base_block_apply(source: str, values: dict[str, Any]) -> str:
    for k, v in values.items():
        source = _write_int(source, k, int(v))
    return source


register(Transform(
    name="mm_base_block",
    family="cube",
    summary="matmul base block BASE_M x BASE_N x BASE_K (one Mmad): bigger blocks reuse each loaded slice more, "
            "within L0A/L0B (64 KB) and L0C (128 KB of float32)",
    pipes=("MTE2", "MTE1", "CUBE", "FIXPIPE"),
    params=(Param("BASE_M", BLOCK_SIDES), Param("BASE_N", BLOCK_SIDES), Param("BASE_K", BLOCK_SIDES)),
    _current=_base_block_current,
    _apply=_base_block_apply,
))


# ---------------------------------------------------------------- queue sites (TQue depth + InitBuffer count)

_TQUE = re.compile(r"\bTQue\s*<\s*(?:TPosition|QuePosition)::(\w+)\s*,\s*(\d+)\s*>\s*([\w\s,]+?)\s*;")


def _queues(source: str, positions: tuple[str, ...]) -> dict[str, list[str]] | None:
    """Queue variable names per position; None when a position has no TQue with a literal depth."""
    out: dict[str, list[str]] = {p: [] for p in positions}
    for m in _TQUE.finditer(source):
        if m.group(1) in out:
            out[m.group(1)] += [v.strip() for v in m.group(3).split(",") if v.strip()]
    return out if all(out.values()) else None


def _init_re(var: str) -> re.Pattern[str]:
    return re.compile(rf"(\.InitBuffer\(\s*{re.escape(var)}\s*,\s*)(\d+)(\s*,)")


def _group_depth(source: str, positions: tuple[str, ...]) -> int | None:
    """The one depth shared by every queue of these positions (declaration and InitBuffer count), else None."""
    qs = _queues(source, positions)
    if qs is None:
        return None
    depths: set[int] = set()
    for m in _TQUE.finditer(source):
        if m.group(1) in positions:
            depths.add(int(m.group(2)))
    for names in qs.values():
        for var in names:
            counts = _init_re(var).findall(source)
            if len(counts) != 1:
                return None  # a queue never (or twice) given its buffers: not a site this rewrite understands
            depths.add(int(counts[0][1]))
    return depths.pop() if len(depths) == 1 else None


def _set_group_depth(source: str, positions: tuple[str, ...], depth: int) -> str:
    qs = _queues(source, positions)
    if qs is None:
        raise NotApplicable(f"no TQue at {'/'.join(positions)}")

    def decl(m: re.Match[str]) -> str:
        if m.group(1) not in positions:
            return m.group(0)
        return m.group(0)[: m.start(2) - m.start(0)] + str(depth) + m.group(0)[m.end(2) - m.start(0):]

    source = _TQUE.sub(decl, source)
    for names in qs.values():
        for var in names:
            source = _init_re(var).sub(lambda m: f"{m.group(1)}{depth}{m.group(3)}", source)
    return source


_PP_GROUPS = {"l1": ("A1", "B1"), "l0": ("A2", "B2"), "co1": ("CO1",)}


def _depth_knobs(groups: dict[str, tuple[str, ...]], recognises: Callable[[str], bool]) -> tuple[
        Callable[[str], dict[str, Any] | None], Callable[[str, dict[str, Any]], str]]:
    """current/apply of a transformation that sets the depth of groups of queue positions (param -> positions)."""
    def current(source: str) -> dict[str, Any] | None:
        if not recognises(source):
            return None
        out = {}
        for param, positions in groups.items():
            d = _group_depth(source, positions)
            if d is None:
                return None
            out[param] = d
        return out

    def apply(source: str, values: dict[str, Any]) -> str:
        for param, depth in values.items():
            source = _set_group_depth(source, groups[param], int(depth))
        return source

    return current, apply


_pingpong_current, _pingpong_apply = _depth_knobs(_PP_GROUPS, lambda source: _is_cube(source))


register(Transform(
    name="mm_pingpong",
    family="cube",
    summary="double-buffer (ping-pong) the matmul queues: l1 = A1/B1 (GM->L1 overlaps LoadData), l0 = A2/B2 "
            "(LoadData overlaps Mmad), co1 = CO1 (Fixpipe overlaps the next block's Mmad; needs 2 accumulators "
            "in L0C)",
    pipes=("MTE2", "MTE1", "CUBE", "FIXPIPE"),
    params=(Param("l1", (1, 2)), Param("l0", (1, 2)), Param("co1", (1, 2))),
    _current=_pingpong_current,
    _apply=_pingpong_apply,
))


# ---------------------------------------------------------------- mm_core_split

CORE_COUNTS = (1, 2, 4, 8, 12, 16, 20, 24, 64)  # 64: every AIC the device has (20 on 910B3, 24 on 910B2)
ORDERS = ("n_first", "m_first")


def _core_split_current(source: str) -> dict[str, Any] | None:
    if not _is_cube(source):
        return None
    cores = _read_int(source, "MAX_CORES")
    order = _bool_re("N_FIRST").findall(source)
    if cores is None or len(order) != 1:
        return None
    return {"cores": cores, "order": "n_first" if order[0][1] == "true" else "m_first"}


def _core_split_apply(source: str, values: dict[str, Any]) -> str:
    if "cores" in values:
        source = _write_int(source, "MAX_CORES", int(values["cores"]))
    if "order" in values:
        flag = "true" if values["order"] == "n_first" else "false"
        source = _bool_re("N_FIRST").sub(lambda m: f"{m.group(1)}{flag}{m.group(3)}", source)
    return source


register(Transform(
    name="mm_core_split",
    family="cube",
    summary="how the output blocks are dealt to the AIC cores: at most `cores` of them, numbered N-first (a core's "
            "neighbours share its rows of a) or M-first (they share columns of b)",
    pipes=("MTE2", "CUBE"),
    params=(Param("cores", CORE_COUNTS), Param("order", ORDERS)),
    _current=_core_split_current,
    _apply=_core_split_apply,
))


# ---------------------------------------------------------------- attention (vector softmax between two products)

def _is_attention(source: str) -> bool:
    """The fused attention kernels: a row softmax (ReduceMax, Exp) between score and output products."""
    return "attention" in source.lower() and "Exp(" in source and "ReduceMax(" in source


ATTN_CHUNKS = (8, 16, 32, 64, 128)  # rows per vector instruction: the repeat count, at most 255


def _attn_chunk_current(source: str) -> dict[str, Any] | None:
    if not _is_attention(source):
        return None
    chunk = _read_int(source, "CHUNK")
    return None if chunk is None else {"chunk": chunk}


register(Transform(
    name="attn_chunk",
    family="cube",
    summary="attention: rows of k or v per vector instruction (CHUNK, the repeat count): fewer, longer "
            "instructions and copies, at CHUNK x D floats of UB for the products",
    pipes=("VECTOR", "MTE2", "SCALAR"),
    params=(Param("chunk", ATTN_CHUNKS),),
    _current=_attn_chunk_current,
    _apply=lambda source, values: _write_int(source, "CHUNK", int(values["chunk"])) if values else source,
))

_ATTN_QUEUES = {"in": ("VECIN",), "out": ("VECOUT",)}


_attn_pingpong_current, _attn_pingpong_apply = _depth_knobs(_ATTN_QUEUES, lambda source: _is_attention(source))


register(Transform(
    name="attn_pingpong",
    family="cube",
    summary="attention: double-buffer the VECIN (q row, k/v chunks) and VECOUT (output row) queues so copies "
            "overlap the vector work",
    pipes=("MTE2", "MTE3", "VECTOR"),
    params=(Param("in", (1, 2)), Param("out", (1, 2))),
    _current=_attn_pingpong_current,
    _apply=_attn_pingpong_apply,
))
