"""Output coverage: every output byte a run changed must lie where a recorded Ascend C call stored to GM.

The profile is computed from the instruction record, so a kernel that writes its outputs some other way (through
the real address of a tensor it dug out of the runtime, say) would be timed for work it never paid for. The
trusted side checks, after an OK run, that each byte of each output that differs from what the buffer held before
the run (the poison, or an in-place output's input) lies inside the GM extent of a recorded store to that tensor.

Extents are over-approximated, never under (a legitimate kernel is never flagged): a DataCopy count form covers
exactly its bytes; a DataCopy with DataCopyParams or a DataCopyPad to GM covers from its first to its last block
(gaps included, the gap from the entry's `reserved` field, docs/simnpu-record.md); a run of scalar stores
(SetValue, operator()) covers from its lowest to its highest address; a Fixpipe covers from its start to the end
of the tensor; any other entry storing to GM covers the whole tensor.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hawk.v1 import task_pb2
from npu_agent import taskspec
from npu_agent.simnpu.record import API_NAMES, Mem, Op, Record

_DATACOPY = API_NAMES.index("DataCopy")
_DATACOPY_PAD = API_NAMES.index("DataCopyPad")
_FIXPIPE = API_NAMES.index("Fixpipe")
_COUNT_FORM = 1  # Flag COUNT_FORM
_OFFSET_MASK = (1 << 48) - 1
_UNKNOWN_GAP = 0xFFFF


def output_regions(task: task_pb2.TaskSpec) -> dict[str, int]:
    """GM region number of each output: the task's tensors from 1 in the runner's order (inputs, then the outputs
    that are not in place); an in-place output is its input's region."""
    region = {t.name: i + 1 for i, t in enumerate(task.inputs)}
    n = len(task.inputs)
    out: dict[str, int] = {}
    for t in task.outputs:
        if t.inplace_of:
            out[t.name] = region[t.inplace_of]
        else:
            n += 1
            out[t.name] = n
    return out


def store_extents(rec: Record, region: int, size: int) -> np.ndarray:
    """Merged [start, end) byte ranges of `region` (of `size` bytes) that recorded stores may have written."""
    e = rec.entries
    sel = (e["dst_mem"] == int(Mem.GM)) & ((e["dst_addr"] >> np.uint64(48)) == np.uint64(region)) & \
          (e["op"] != int(Op.XSET))
    e = e[sel]
    if e.size == 0:
        return np.zeros((0, 2), np.int64)
    off = (e["dst_addr"] & np.uint64(_OFFSET_MASK)).astype(np.int64)
    end = np.full(e.size, size, np.int64)          # default: to the end of the tensor
    start = np.zeros(e.size, np.int64)             # default: the whole tensor
    api = e["api"].astype(np.int64)
    copy = (api == _DATACOPY) | (api == _DATACOPY_PAD)
    fix = api == _FIXPIPE
    start[copy | fix] = off[copy | fix]
    count = copy & ((e["flags"] & _COUNT_FORM) != 0) & (api == _DATACOPY)
    end[count] = off[count] + e["bytes"][count].astype(np.int64)
    n = e["a0"].astype(np.int64)
    blk = e["a1"].astype(np.int64)
    gap = e["reserved"].astype(np.int64)
    scalar = e["op"] == int(Op.SCALAR)  # SetValue / operator(): lowest address to the end of the highest (a1 | a2)
    hi = ((e["a2"].astype(np.uint64) << np.uint64(32)) | e["a1"].astype(np.uint64)) & np.uint64(_OFFSET_MASK)
    known = scalar & (hi != 0)
    start[known] = off[known]
    end[known] = hi[known].astype(np.int64)
    params = copy & ~count & (api == _DATACOPY)
    end[params] = off[params] + np.maximum(n[params] - 1, 0) * (blk[params] + gap[params] * 32) + blk[params]
    pad = (api == _DATACOPY_PAD) & (gap != _UNKNOWN_GAP)
    end[pad] = off[pad] + np.maximum(n[pad] - 1, 0) * (blk[pad] + gap[pad]) + blk[pad]
    end = np.minimum(np.maximum(end, start), size)
    order = np.argsort(start, kind="stable")
    start, end = start[order], end[order]
    # Merge touching or overlapping ranges: a range opens a new group when it starts past every earlier end.
    reach = np.maximum.accumulate(end)
    new = np.ones(start.size, bool)
    new[1:] = start[1:] > reach[:-1]
    first = np.flatnonzero(new)
    last = np.append(first[1:], start.size) - 1
    return np.stack([start[first], reach[last]], axis=1).astype(np.int64)


def _gaps(ext: np.ndarray, size: int) -> np.ndarray:
    """The [start, end) ranges of [0, size) outside the merged extents."""
    bounds = np.concatenate([[0], ext.reshape(-1), [size]]).reshape(-1, 2)
    return bounds[bounds[:, 0] < bounds[:, 1]]


def uncovered(rec: Record, task: task_pb2.TaskSpec, outputs: dict[str, np.ndarray],
              before: dict[str, np.ndarray] | Callable[[], dict[str, np.ndarray]]) -> str | None:
    """None when every changed output byte is covered by a recorded store; else which output and byte is not.
    `before` (what the buffers held, before_run) may be a callable: it is made only when some output has gaps."""
    regions = output_regions(task)
    for t in task.outputs:
        got = np.ascontiguousarray(outputs[t.name]).view(np.uint8).reshape(-1)
        ext = store_extents(rec, regions[t.name], got.size)
        gaps = _gaps(ext, got.size)
        if gaps.size == 0:  # recorded stores cover the whole output: nothing to compare (the common case)
            continue
        if callable(before):
            before = before()
        was = np.ascontiguousarray(before[t.name]).astype(np.asarray(outputs[t.name]).dtype, copy=False)
        was = was.view(np.uint8).reshape(-1)
        # Only the bytes outside every extent are compared; the report is built on failure only.
        if len(gaps) <= 64:
            diff = [np.flatnonzero(got[a:b] != was[a:b]) + a for a, b in gaps.tolist()]
            changed = np.concatenate(diff) if diff else np.zeros(0, np.int64)
        else:
            delta = np.zeros(got.size + 1, np.int32)
            np.add.at(delta, ext[:, 0], 1)
            np.add.at(delta, ext[:, 1], -1)
            changed = np.flatnonzero((got != was) & (np.cumsum(delta[:-1]) == 0))
        if changed.size == 0:
            continue
        if ext.size == 0:
            return (f"output {t.name}: {changed.size} byte(s) changed (first at byte {int(changed[0])}) but no "
                    f"recorded Ascend C call stored to it")
        return (f"output {t.name}: {changed.size} changed byte(s) outside every recorded store to it (first at byte "
                f"{int(changed[0])})")
    return None


def before_run(task: task_pb2.TaskSpec, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """What each output buffer held when the kernel started: the poison, or an in-place output's input."""
    return {t.name: (np.asarray(inputs[t.inplace_of]) if t.inplace_of else taskspec.poison(t)) for t in task.outputs}
