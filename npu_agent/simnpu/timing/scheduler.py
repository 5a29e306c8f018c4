"""The scheduler: turns the per-entry steps of a record into a timeline per core and for the chip.

Per core (docs/cycle-model.md §scheduler): the scalar unit walks the block's entries in program order, pays
each one's issue cost and dispatches non-scalar steps to their pipe's in-order queue (at most `queue_depth`
waiting). Each pipe runs its queue in order, one step after another, concurrently with the other pipes.
Dependencies are tokens: SetFlag/EnQue/FreeTensor set one when their pipe reaches them, WaitFlag/DeQue/
AllocTensor hold their pipe until it is set (the k-th wait of a key takes the k-th set). PipeBarrier<ALL>
holds the scalar until every pipe has drained.

Chip: every GM copy of every core needs `chip` cycles of the whole chip's bandwidth; the copies in flight
share it equally (processor sharing, computed with a virtual clock), and a copy ends at the later of its
uncontended time (`solo`) and its share being served plus its latency. Blocks beyond the core count run in
waves on the core that finished the previous one.

Cross-core sync (CrossCoreSetFlag / SyncAll, Op.XSET / Op.XWAIT): a launch-wide token per sync instance; each
set adds a time when its pipe reaches it, and a wait holds the waiting core's scalar (every pipe, on A2) until
the token has all its sets, then goes on from the last of them.

Everything is deterministic: the event order is fixed by (time, sequence number).
"""

from __future__ import annotations

import heapq
import math
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from npu_agent.simnpu.record import Pipe
from npu_agent.simnpu.timing.costs import (
    K_BARRIER_ALL,
    K_SCALAR,
    K_SET,
    K_WAIT,
    K_XFER,
    K_XSET,
    K_XWAIT,
    Steps,
)

_PIPES = range(2, 8)   # MTE1, MTE2, MTE3, V, M, FIX (the scalar is handled apart)
_S = int(Pipe.S)
_INF = math.inf
_IDLE_GAP = 8.0  # cycles between two Mmads beyond which the cube pipeline has drained (cold head)


class ScheduleError(RuntimeError):
    """The record cannot be scheduled to its end (a wait whose set never comes)."""


@dataclass
class Program:
    """One block's entries on one core type, and where and when it ran."""

    block: int
    core: int                 # hawk.v1.CoreType: 1 AIV, 2 AIC
    entries: np.ndarray       # indices into the record, program order
    phys: int = 0             # physical core index within its type
    start: float = 0.0
    end: float = 0.0


@dataclass
class Schedule:
    programs: list[Program]
    start: np.ndarray         # per entry: cycle its pipe began the step (NaN for scalar-only entries)
    end: np.ndarray           # per entry: cycle its pipe finished the step
    s_start: np.ndarray       # per entry: scalar issue interval
    s_end: np.ndarray
    cycles: float             # first block start to last block end (no launch overhead)
    stalled: list[str] = field(default_factory=list)  # programs that never finished (waits never satisfied)
    l2_read_bytes: int = 0    # GM bytes read through L2 (not bypassed)
    l2_hit_bytes: int = 0     # ... of which found resident in L2


class _Chip:
    """Processor sharing of the chip's GM bandwidth with a virtual clock: V advances at 1/n per cycle."""

    __slots__ = ("t", "v", "n", "heap", "seq")

    def __init__(self) -> None:
        self.t = 0.0
        self.v = 0.0
        self.n = 0
        self.heap: list[tuple[float, int, object]] = []
        self.seq = 0

    def _advance(self, t: float) -> None:
        if self.n:
            self.v += (t - self.t) / self.n
        self.t = t

    def add(self, t: float, work: float, payload: object) -> None:
        self._advance(max(t, self.t))
        self.seq += 1
        heapq.heappush(self.heap, (self.v + work, self.seq, payload))
        self.n += 1

    def next_time(self) -> float:
        if not self.heap:
            return _INF
        return self.t + max(0.0, self.heap[0][0] - self.v) * self.n

    def pop(self, t: float) -> object:
        self._advance(t)
        _, _, payload = heapq.heappop(self.heap)
        self.n -= 1
        return payload


class _State:
    """A running program's scalar, pipes and tokens."""

    __slots__ = ("prog", "order", "js", "ts", "issued", "q", "dq", "head", "nstart", "free", "busy", "tokens",
                 "used", "waiters", "s_wait_pipe", "s_wait_all", "s_wait_tok", "s_done", "done", "wend", "pend")

    def __init__(self, prog: Program, t0: float) -> None:
        self.prog = prog
        self.order = prog.entries.tolist()
        self.js = 0
        self.ts = t0
        self.issued = False
        self.q: list[list[int]] = [[] for _ in range(8)]
        self.dq: list[list[float]] = [[] for _ in range(8)]
        self.head = [0] * 8
        self.nstart = [0] * 8
        self.free = [t0] * 8
        self.busy = [False] * 8
        self.tokens: dict[int, list[float]] = {}
        self.used: dict[int, int] = {}
        self.waiters: dict[int, int] = {}
        self.s_wait_pipe = 0
        self.s_wait_all = False
        self.s_wait_tok = False
        self.s_done = False
        self.done = False
        self.wend = [-_INF] * 8   # end of the last work step per pipe (a longer gap is an idle pipe)
        self.pend = [False] * 8   # a run of the pipe is already in the work list (the scalar need not add one)


class L2:
    """The chip's L2 as an LRU over copy footprint keys (costs._l2_footprints), in the order copies reach the chip.

    A read's hit fraction is the share of its data bytes whose key is resident; every copy (read or write) then
    installs its keys as most recent and the least recent are evicted past the capacity. O(keys) per copy."""

    __slots__ = ("cap", "used", "lru", "hit_bytes", "read_bytes")

    def __init__(self, capacity: int) -> None:
        self.cap = capacity
        self.used = 0
        self.lru: OrderedDict[int, int] = OrderedDict()
        self.hit_bytes = 0
        self.read_bytes = 0

    def access(self, keys: list[int], kbytes: list[int], kdata: list[int], write: bool) -> float:
        lru = self.lru
        hit = total = 0
        for k, b, d in zip(keys, kbytes, kdata, strict=True):
            total += d
            if k in lru:
                lru.move_to_end(k)
                hit += d
            else:
                lru[k] = b
                self.used += b
        while self.used > self.cap and lru:
            self.used -= lru.popitem(last=False)[1]
        if write:
            return 0.0
        self.hit_bytes += hit
        self.read_bytes += total
        return hit / total if total else 0.0


def _view(a: np.ndarray) -> memoryview:
    return memoryview(np.ascontiguousarray(a, dtype=np.float64))


def schedule(steps: Steps, programs: list[Program], cores: dict[int, int], queue_depth: int,
             l2_bytes: int = 0) -> Schedule:
    """Run `programs` (already given their physical cores) to completion; see the module docstring."""
    n = steps.kind.size
    # Per-entry inputs and outputs are read and written through memoryviews of the numpy arrays: Python lists of
    # them cost ~40 bytes per element each (14 GB at 16 M entries), a view 8 bytes shared with the array.
    kind = memoryview(np.ascontiguousarray(steps.kind))
    pipe = memoryview(np.ascontiguousarray(steps.pipe))
    issue = _view(steps.issue)
    dur = _view(steps.dur)
    solo = _view(steps.solo)
    chipw = _view(steps.chip)
    lat = _view(steps.lat)
    tok = memoryview(np.ascontiguousarray(steps.tok, dtype=np.int64))
    chiph = _view(steps.chip_hit)
    cold = _view(steps.cold)
    udep = memoryview(np.ascontiguousarray(steps.udep, dtype=np.int64))
    ulead = _view(steps.ulead)
    utail = _view(steps.utail)
    minend_a = np.zeros(n)
    minend = memoryview(minend_a)
    l2_off = steps.l2_off.tolist()
    l2_cnt = steps.l2_cnt.tolist()
    l2_write = steps.l2_write.tolist()
    l2_keys = steps.l2_keys.tolist()
    l2_kbytes = steps.l2_kbytes.tolist()
    l2_kdata = steps.l2_kdata.tolist()
    l2 = L2(l2_bytes) if l2_bytes > 0 else None
    depw: dict[int, list[tuple[_State, int]]] = {}  # entry -> pipes waiting for it to start (unitFlag)
    start_a, end_a = np.full(n, math.nan), np.full(n, math.nan)
    s_start_a, s_end_a = np.zeros(n), np.zeros(n)
    start, end, s_start, s_end = (memoryview(a) for a in (start_a, end_a, s_start_a, s_end_a))

    events: list[tuple[float, int, int, _State, int, int]] = []   # (t, seq, type, state, pipe, entry)
    seq = 0
    chip = _Chip()
    work: list[tuple[_State, int]] = []
    XSTART, XFINISH = 0, 1

    # Programs per physical core, in block order; the first of each starts at 0.
    xtok: dict[int, list[float]] = {}          # cross-core token -> times of its sets so far
    xwaiters: dict[int, list[_State]] = {}     # cross-core token -> programs whose scalar waits for it
    queues: dict[tuple[int, int], list[Program]] = {}
    for p in programs:
        queues.setdefault((p.core, p.phys), []).append(p)
    live: list[_State] = []

    def begin(prog: Program, t0: float) -> None:
        prog.start = t0
        st = _State(prog, t0)
        live.append(st)
        work.append((st, _S))

    def set_token(st: _State, key: int, t: float) -> None:
        st.tokens.setdefault(key, []).append(t)
        w = st.waiters.pop(key, None)
        if w is not None:
            if w == _S:
                st.s_wait_tok = False
            work.append((st, w))

    def x_set(key: int, t: float) -> None:
        lst = xtok.setdefault(key, [])
        lst.append(t)
        if len(lst) >= (key >> 32) & 0xFFFF:
            for w in xwaiters.pop(key, []):
                w.s_wait_tok = False
                work.append((w, _S))

    def drained(st: _State) -> bool:
        return all(not st.busy[p] and st.head[p] >= len(st.q[p]) for p in _PIPES)

    def finish_check(st: _State) -> None:
        if st.done or not st.s_done or not drained(st):
            return
        st.done = True
        prog = st.prog
        prog.end = max(st.ts, *(st.free[p] for p in _PIPES))
        nxt = queues[(prog.core, prog.phys)]
        nxt.pop(0)
        if nxt:
            begin(nxt[0], prog.end)

    def run_scalar(st: _State) -> None:
        if st.s_wait_pipe or st.s_wait_all or st.s_wait_tok or st.s_done:
            return
        order = st.order
        n_order = len(order)
        js = st.js
        ts = st.ts
        sq = st.q
        sdq = st.dq
        nstart = st.nstart
        pend = st.pend
        while js < n_order:
            j = order[js]
            if not st.issued:
                s_start[j] = ts
                ts += issue[j]
                s_end[j] = ts
                st.issued = True
            k = kind[j]
            p = pipe[j]
            if k == K_SCALAR:
                pass
            elif p != _S and k != K_BARRIER_ALL and k != K_XWAIT:
                qp = sq[p]
                if len(qp) - nstart[p] >= queue_depth:
                    st.s_wait_pipe = p
                    st.js, st.ts = js, ts
                    return
                qp.append(j)
                sdq[p].append(ts)
                if not pend[p]:
                    pend[p] = True
                    work.append((st, p))
            else:
                st.js, st.ts = js, ts
                if k == K_BARRIER_ALL:
                    if not drained(st):
                        st.s_wait_all = True
                        return
                    ts = max(ts, *(st.free[q] for q in _PIPES))
                elif k == K_XWAIT:
                    lst = xtok.get(tok[j])
                    if lst is None or len(lst) < (tok[j] >> 32) & 0xFFFF:
                        xwaiters.setdefault(tok[j], []).append(st)
                        st.s_wait_tok = True
                        return
                    ts = max(ts, *lst)
                elif k == K_XSET:
                    x_set(tok[j], ts)
                elif k == K_SET:
                    set_token(st, tok[j], ts)
                elif k == K_WAIT:
                    lst = st.tokens.get(tok[j])
                    c = st.used.get(tok[j], 0)
                    if lst is None or len(lst) <= c:
                        st.waiters[tok[j]] = _S
                        st.s_wait_tok = True
                        return
                    st.used[tok[j]] = c + 1
                    ts = max(ts, lst[c])
            js += 1
            st.issued = False
        st.js, st.ts = js, ts
        st.s_done = True
        finish_check(st)

    def run_pipe(st: _State, p: int) -> None:
        nonlocal seq
        st.pend[p] = False
        if st.busy[p]:
            return
        q = st.q[p]
        dq = st.dq[p]
        i = st.head[p]
        nq = len(q)
        free = st.free[p]
        tokens = st.tokens
        used = st.used
        while i < nq:
            j = q[i]
            t0 = dq[i]
            if free > t0:
                t0 = free
            k = kind[j]
            if k == K_WAIT:
                key = tok[j]
                lst = tokens.get(key)
                c = used.get(key, 0)
                if lst is None or len(lst) <= c:
                    st.waiters[key] = p
                    st.head[p] = i
                    st.free[p] = free
                    return
                used[key] = c + 1
                if lst[c] > t0:
                    t0 = lst[c]
            d = udep[j]
            if d >= 0:  # unitFlag: the L0C units of entry d (docs/cycle-model.md)
                sd = start[d]
                if sd != sd:  # not started yet
                    depw.setdefault(d, []).append((st, p))
                    st.head[p] = i
                    st.free[p] = free
                    return
                lo = sd + ulead[j]
                if k == K_XFER:
                    minend[j] = end[d] + utail[j]
                else:  # a Mmad behind a draining Fixpipe: cannot overtake it
                    lo = max(lo, sd + solo[d] + utail[j] - dur[j])
                if lo > t0:
                    t0 = lo
            st.nstart[p] += 1
            if st.s_wait_pipe == p:
                st.s_wait_pipe = 0
                if t0 > st.ts:
                    st.ts = t0
                work.append((st, _S))
            start[j] = t0
            if depw and j in depw:
                for w in depw.pop(j):
                    work.append(w)
            if k == K_XFER:
                st.head[p] = i
                st.free[p] = free
                st.busy[p] = True
                seq += 1
                heapq.heappush(events, (t0, seq, XSTART, st, p, j))
                return
            t1 = t0 + dur[j]
            if cold[j]:
                if t0 > st.wend[p] + _IDLE_GAP:
                    t1 += cold[j]
                st.wend[p] = t1
            end[j] = t1
            free = t1
            i += 1
            if k == K_SET:
                st.free[p] = free
                st.head[p] = i
                set_token(st, tok[j], t1)
            elif k == K_XSET:
                st.free[p] = free
                st.head[p] = i
                x_set(tok[j], t1)
        st.free[p] = free
        st.head[p] = i
        if st.s_wait_all and drained(st):
            st.s_wait_all = False
            work.append((st, _S))
        finish_check(st)

    for key in sorted(queues):
        begin(queues[key][0], 0.0)

    while True:
        while work:
            st, p = work.pop()
            if p == _S:
                run_scalar(st)
            else:
                run_pipe(st, p)
        te = events[0][0] if events else _INF
        tc = chip.next_time()
        if te == _INF and tc == _INF:
            break
        if tc <= te:
            st, p, j = chip.pop(tc)  # type: ignore[misc]
            t1 = max(start[j] + solo[j], tc + lat[j], minend[j])
            seq += 1
            heapq.heappush(events, (t1, seq, XFINISH, st, p, j))
            continue
        t, _, typ, st, p, j = heapq.heappop(events)
        if typ == XSTART:
            w = chipw[j]
            o = l2_off[j]
            if l2 is not None and o >= 0:
                c = l2_cnt[j]
                h = l2.access(l2_keys[o:o + c], l2_kbytes[o:o + c], l2_kdata[o:o + c], l2_write[j])
                if h:
                    w = h * chiph[j] + (1.0 - h) * w
            chip.add(t, w, (st, p, j))
        else:
            end[j] = t
            st.free[p] = t
            st.head[p] += 1
            st.busy[p] = False
            work.append((st, p))

    stalled = [f"block {s.prog.block} ({'AIV' if s.prog.core == 1 else 'AIC'})" for s in live if not s.done]
    for s in live:
        if not s.done:
            s.prog.end = max(s.ts, *(x for x in s.free[2:8]))
    total = max((p.end for p in programs), default=0.0)
    return Schedule(programs=programs, start=start_a, end=end_a, s_start=s_start_a,
                    s_end=s_end_a, cycles=total, stalled=stalled,
                    l2_read_bytes=l2.read_bytes if l2 else 0, l2_hit_bytes=l2.hit_bytes if l2 else 0)


def make_programs(block: np.ndarray, core: np.ndarray, cores: dict[int, int]) -> list[Program]:
    """Split a record into (block, core type) programs and give each a physical core (block mod core count)."""
    key = block.astype(np.int64) * 4 + core.astype(np.int64)
    order = np.argsort(key, kind="stable")
    sk = key[order]
    cuts = np.flatnonzero(np.diff(sk)) + 1
    progs = []
    for seg in np.split(order, cuts):
        if seg.size == 0:
            continue
        b, c = int(block[seg[0]]), int(core[seg[0]])
        c = c if c in (1, 2) else 1
        progs.append(Program(block=b, core=c, entries=seg, phys=b % max(1, cores.get(c, 1))))
    progs.sort(key=lambda p: (p.block, p.core))
    return progs
