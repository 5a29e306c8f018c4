"""Offline search by named transformations: every task the offline proposer takes has a search space.

A task is searchable offline when it has a kernel template (`extra.template`: the parameter search of
controller/templates.py) or when its baseline kernel is recognised by at least one transformation of
knowledge/transforms (then the search walks from the baseline one transformation step at a time).

The transformation search keeps each child one named change away from its parent (one transformation, its
values moved), so the effect recorded for a child is the effect of that change alone: that is what makes
crediting a knowledge entry with it counterfactual. Parents are mostly the few best kernels so far,
sometimes the parent of a recent failure with another value (a repair); the campaign history says what
was already tried from which parent, so nothing is proposed twice.

With knowledge off every step is blind: a transformation, one of its parameters and a value drawn
uniformly among what applies. With knowledge on most steps are the transformations named by the entries
retrieved for the parent's observation, values taken from the entry ("up"/"down" one step along the
parameter's domain), preferring entries whose transformation works on the parent's bottleneck pipe; a
share stays blind for exploration and a small share applies entries still on trial, so they get re-verified.
As an expert would, the on arm first applies every promising entry's step together in one candidate (a
composed step, checked part by part), then refines around the best with single steps: the composed parts
taken back one at a time (each entry's counterfactual) and the entries' next steps.
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from controller.store import Candidate, Evaluation
from knowledge import transforms
from knowledge.kernel_values import task_values
from knowledge.transforms import NotApplicable, Transform
from npu_agent.pipeline import source_hash
from npu_agent.taskspec import TaskDef, TaskError

if TYPE_CHECKING:
    from controller.proposers import ProposalContext

# Named search parameters (docs/controller.md).
TOP_PARENTS = 3        # parents are drawn from this many best passing kernels, better ones more often,
PARENT_SLACK = 1.5     # ... among those at most this much slower than the best (a 4x slower child is no parent)
RETRIEVE_FACTOR = 2    # entries retrieved per parent: this times the campaign's k (trial entries compete too)
REPAIR_SHARE = 0.2     # share of steps that retry a recent failure's parent with another value
RECENT_FAILURES = 5    # how far back a repair looks
SET_ASIDE_AFTER = 2    # an entry that lost this many steps on a task and won none is set aside there (1: tried last)
EXPLORE_SHARE = 0.1    # knowledge on: share of steps that stay blind (exploration; 0.25 before composition:
                       # the bench's on-arm blind steps almost never beat the composed best, and wasted most)
TRIAL_SHARE = 0.15     # knowledge on: share of steps that apply an entry still on trial (re-verifying it)
EFFECT_WEIGHT = 1.0    # knowledge on: how much an entry's recorded mean effect moves it up or down the order
EFFECT_FULL_USES = 3   # ... at full weight from this many uses (fewer uses: proportionally less)
MIN_APPLY_SCORE = 0.25  # knowledge on: an entry retrieved below this fused score does not fit the parent's
                        # profile (retrieval scores an entry against the kernel's state at 0.2x): not applied
COMPOSE_MAX = 4        # knowledge on: entries applied together in one composed step (one per transformation)
COMPOSE = "compose"    # the `transform` name of a composed step's params (several entries' steps at once)
NOT_THE_KERNELS_FAULT = ("INTERNAL", "CANCELLED", "REJECTED")  # failures no repair should react to
ATTEMPTS_PER_PROPOSAL = 40  # draws per wanted proposal before the search gives up for this round


# ------------------------------------------------------------------------------------- searchability
def _baseline_source(task: TaskDef) -> str | None:
    if task.baseline is None or not task.baseline.is_file():
        return None
    return task.baseline.read_text(encoding="utf-8")


def offline_search_kind(task: TaskDef) -> str:
    """"template" (a kernel template), "transform" (the baseline has an applicable transformation) or ""."""
    if task.extra.get("template"):
        return "template"
    source = _baseline_source(task)
    if source is not None and transforms.applicable(source):
        return "transform"
    return ""


def missing_offline_search(task: TaskDef) -> str:
    """Why the offline proposer cannot search this task, naming it and what is missing ("" when it can)."""
    if offline_search_kind(task):
        return ""
    if task.baseline is None:
        what = "no baseline kernel for the transformations to start from"
    elif not task.baseline.is_file():
        what = f"its baseline {task.baseline} does not exist"
    else:
        what = f"no transformation of knowledge/transforms applies to its baseline {task.baseline.name}"
    return (f"task {task.name}: the offline proposer cannot search it: it has no kernel template "
            f"(extra.template) and {what}")


def require_offline_search(tasks: Iterable[TaskDef], proposers: dict[str, float]) -> None:
    """Refuse, before anything is evaluated, a campaign whose offline proposer would have nothing to search."""
    if proposers.get("offline", 0) <= 0:
        return
    for task in tasks:
        why = missing_offline_search(task)
        if why:
            raise TaskError(f"{why}; add a template or a transformable baseline, or drop the offline proposer")


# ---------------------------------------------------------------------------------- transform steps
@dataclass
class Step:
    """One proposal of the transformation search: a parent and one transformation step away from it."""

    parent: Candidate
    transform: str
    values: dict[str, Any]
    frm: dict[str, Any]
    source: str
    entry: str = ""                                   # the entry whose transform made it, "" for blind steps
    retrieved: list[str] = field(default_factory=list)
    parts: list[dict[str, Any]] = field(default_factory=list)  # a composed step's steps, in the order applied
    undo: str = ""                                    # the entry whose part of a composed parent it takes back

    @property
    def entries(self) -> list[str]:
        """The entries this step applied (credited with its effect; shared when there are several)."""
        if self.parts:
            return [p["entry"] for p in self.parts]
        return [self.entry] if self.entry else []

    @property
    def params(self) -> dict[str, Any]:
        p: dict[str, Any] = {"transform": self.transform, "values": self.values, "from": self.frm}
        if self.entry:
            p["entry"] = self.entry
        if self.parts:
            p["entries"] = self.entries
            p["steps"] = self.parts
        if self.undo:
            p["undo"] = self.undo
        if self.retrieved:
            p["retrieved"] = self.retrieved
        return p


@dataclass
class SearchOutcome:
    steps: list[Step] = field(default_factory=list)
    pruned: list[tuple[dict[str, Any], list[tuple[str, str]]]] = field(default_factory=list)


def _key(parent_id: str, name: str, values: dict[str, Any]) -> str:
    return json.dumps([parent_id, name, values], sort_keys=True, default=str)


def _passed(ev: Evaluation | None) -> bool:
    return ev is not None and ev.status == "OK" and bool(ev.time_us)


def _bottleneck_pipe(ev: Evaluation | None) -> str:
    """The pipe the parent's profile names as its bottleneck ("" without a profile)."""
    if ev is None or not ev.result.HasField("profile") or not ev.result.profile.HasField("bottleneck"):
        return ""
    from hawk.v1 import result_pb2

    b = ev.result.profile.bottleneck
    return result_pb2.Pipe.Name(b.pipe) if b.pipe else ""


def _on_pipe(pipe: str, t: Transform) -> bool:
    """Whether the transformation mainly changes this pipe (names as in hawk.v1.Pipe; "FIXP" = FIXPIPE)."""
    return bool(pipe) and any(pipe == p or (len(p) >= 4 and pipe.startswith(p)) for p in t.pipes)


@dataclass
class _Move:
    transform: Transform
    values: dict[str, Any]
    frm: dict[str, Any]
    entry: str = ""
    wanted: dict[str, Any] = field(default_factory=dict)  # the entry's values ("up", "double", ...)
    promising: bool = False                                # the entry's record says it pays (see `_promising`)
    undo: str = ""                                         # the entry whose composed part this step takes back


@dataclass
class _Composed:
    """Several entries' steps applied together: what an expert does with a handful of known-good changes."""

    parts: list[_Move]
    source: str

    @property
    def values(self) -> dict[str, Any]:
        return {f"{m.transform.name}.{k}": v for m in self.parts for k, v in m.values.items()}

    @property
    def frm(self) -> dict[str, Any]:
        return {f"{m.transform.name}.{k}": v for m in self.parts for k, v in m.frm.items()}


_SCALARS = (int, float, str, bool, type(None))


def template_key(values: dict[str, Any]) -> Hashable:
    """A template point's key (the offline proposer's set of points tried), equal for a point as proposed and as
    read back from the store (through JSON): scalars with their type (1, 1.0 and True stay three points), anything
    else by its JSON text. Two per candidate: a tuple costs a fifth of `json.dumps`."""
    if all(type(v) in _SCALARS for v in values.values()):
        return tuple(sorted((k, type(v).__name__, v) for k, v in values.items()))
    return json.dumps(values, sort_keys=True)


class HistoryIndex:
    """What the search reads out of one task's history, kept across rounds and updated per new candidate and per
    newly arrived evaluation, so a round costs what is new rather than the campaign so far (the history only
    grows, and an entry changes once: when its evaluation arrives).

    Holds the transformation steps and template points tried, the sources known, the passing kernels in order,
    the failed steps a repair may retry, and each entry's wins and losses on the task (`TransformSearch`)."""

    def __init__(self) -> None:
        self.history: Sequence[tuple[Candidate, Evaluation | None]] = []
        self.seen = 0                                   # history entries read
        self.last_id = ""                               # the id of the last one (a different history: rebuilt)
        self.pos: dict[str, int] = {}                   # candidate id -> position
        self.hashes: set[str] = set()
        self.tried: set[str] = set()                    # _key(parent, transform, values) of transformation steps
        self.points: set[Hashable] = set()              # template_key of template points (not transform steps)
        self.pending: list[int] = []                    # positions without an evaluation yet
        self.passing: list[tuple[float, str, int]] = []  # (time_us, id, position), fastest first
        self.failed_steps: list[int] = []               # positions of steps that failed by the kernel's fault
        self.waiting: list[int] = []                    # entry steps evaluated before their parent was
        self.wins: Counter[str] = Counter()
        self.losses: Counter[str] = Counter()
        self.keys_computed = 0                          # keys made from history entries (tests bound this)

    def update(self, history: Sequence[tuple[Candidate, Evaluation | None]]) -> HistoryIndex:
        """Bring the index up to `history` (this round's snapshot of the same, longer, history)."""
        if self.seen and (len(history) < self.seen or history[self.seen - 1][0].id != self.last_id):
            self.__init__()  # type: ignore[misc]  # not the history this index was built from
        self.history = history
        pending, self.pending = self.pending, []
        for i in pending:
            if history[i][1] is None:
                self.pending.append(i)
            else:
                self._evaluated(i)
        for i in range(self.seen, len(history)):
            self._candidate(i)
        self.seen = len(history)
        self.last_id = history[-1][0].id if history else ""
        waiting, self.waiting = self.waiting, []
        for i in waiting:
            self._credit(i)
        return self

    def pair(self, candidate_id: str) -> tuple[Candidate, Evaluation | None] | None:
        i = self.pos.get(candidate_id)
        return self.history[i] if i is not None else None

    def losing(self) -> dict[str, int]:
        """Entries whose every step on this task so far made its parent slower or broke it, with how many
        steps they lost: tried after the others, and set aside after SET_ASIDE_AFTER (the campaign's own
        counterfactual evidence; the store's effects judge the entries across tasks and campaigns)."""
        return {k: n for k, n in self.losses.items() if not self.wins[k]}

    def _candidate(self, i: int) -> None:
        c, e = self.history[i]
        self.pos[c.id] = i
        self.hashes.add(c.source_hash)
        p = c.params or {}
        if p.get("transform") and c.parent_id:
            self.tried.add(_key(c.parent_id, p["transform"], p.get("values") or {}))
            self.keys_computed += 1
        elif "values" in p and "transform" not in p:
            self.points.add(template_key(p["values"]))
            self.keys_computed += 1
        if e is None:
            self.pending.append(i)
        else:
            self._evaluated(i)

    def _evaluated(self, i: int) -> None:
        c, e = self.history[i]
        assert e is not None
        p = c.params or {}
        if _passed(e):
            bisect.insort(self.passing, (e.time_us, c.id, i))  # type: ignore[arg-type]
        elif e.status not in NOT_THE_KERNELS_FAULT and p.get("transform") and c.parent_id:
            bisect.insort(self.failed_steps, i)
        if p.get("entry") or p.get("undo"):
            self._credit(i)

    def _credit(self, i: int) -> None:
        """An entry's step on this task, won or lost against its parent (once the parent's time is known)."""
        c, e = self.history[i]
        parent = self.pair(c.parent_id or "")
        if e is None or parent is None:
            return
        if parent[1] is None:
            self.waiting.append(i)
            return
        if not _passed(parent[1]) or e.status in NOT_THE_KERNELS_FAULT:
            return
        won = _passed(e) and e.time_us < parent[1].time_us  # type: ignore[operator]
        if c.params.get("entries"):
            # A composed step's outcome is shared by its entries: it is no one entry's win or loss on the task
            # (the single steps around the composed kernel, its parts taken back, are the counterfactuals).
            return
        if c.params.get("undo"):
            # The composed parent without one entry's part: faster means that entry lost here, and vice versa.
            entry = c.params["undo"]
            won = not won and _passed(e)
        else:
            entry = c.params["entry"]
        if won:
            self.wins[entry] += 1
        else:
            self.losses[entry] += 1


class TransformSearch:
    """One round's transformation search over a task's history (see the module docstring)."""

    def __init__(self, ctx: ProposalContext, baseline_source: str, index: HistoryIndex | None = None) -> None:
        self.ctx = ctx
        self.rng: random.Random = ctx.rng
        # What the history says (tried steps, known sources, passing kernels, ...) comes from an index kept
        # across rounds by the proposer and brought up to date with what is new; this round's own additions
        # stay in the round's sets, so a step pruned now is considered again next round, as before.
        self.index = index if index is not None else HistoryIndex()
        self.index.update(ctx.history)
        self.tried: set[str] = set()
        self.hashes: set[str] = set()
        base = ctx.baseline[0] if ctx.baseline else None
        if base is None:  # no baseline candidate (a store without one): start from the task's file
            base = Candidate(id="", campaign_id="", task=ctx.task.name, task_hash=ctx.task.hash, round=-1,
                             source=baseline_source, source_hash=source_hash(baseline_source), parent_id=None,
                             proposer="baseline", knowledge_used=[], params={}, state="")
        self.base = base
        self._applicable: dict[str, list[tuple[Transform, dict[str, Any]]]] = {}
        self._retrieved: dict[str, tuple[list[Any], list[str]]] = {}
        self.losing = self.index.losing()
        self._undo_turn = False  # around a composed kernel: whether a take-back goes before the entries' steps

    def _evaluation(self, candidate_id: str) -> Evaluation | None:
        pair = self.index.pair(candidate_id)
        return pair[1] if pair is not None else None

    # ---------------------------------------------------------------------------------- parents
    def parents(self) -> tuple[list[Candidate], list[Candidate]]:
        """The few best passing kernels (best first; the baseline when nothing passed yet), and the other
        passing kernels in order, to step from once the best ones have nothing left to try."""
        top, rest = self._parents()
        return top, list(rest)

    def _parents(self) -> tuple[list[Candidate], Iterator[Candidate]]:
        """`parents` with the others as a lazy iterator: a round rarely needs any of them."""
        passing, hist = self.index.passing, self.index.history
        if not passing:
            return [self.base], iter(())
        top = [hist[i][0] for t, _, i in passing[:TOP_PARENTS] if t <= passing[0][0] * PARENT_SLACK]
        return top, (hist[i][0] for _, _, i in itertools.islice(passing, len(top), None))

    def _pick_parent(self, pool: list[Candidate]) -> Candidate:
        weights = [0.5 ** i for i in range(len(pool))]
        return self.rng.choices(pool, weights)[0]

    def _repairs(self) -> list[tuple[Candidate, str, dict[str, Any]]]:
        """Recent failed transformation steps whose parent passed: (parent, transform, failed values)."""
        out = []
        hist = self.index.history
        for i in reversed(self.index.failed_steps):
            c = hist[i][0]
            p = c.params or {}
            parent = self.index.pair(c.parent_id)  # type: ignore[arg-type]
            if parent is not None and _passed(parent[1]):
                out.append((parent[0], p["transform"], dict(p.get("values") or {})))
            if len(out) >= RECENT_FAILURES:
                break
        return out

    def applicable(self, parent: Candidate) -> list[tuple[Transform, dict[str, Any]]]:
        if parent.id not in self._applicable:
            self._applicable[parent.id] = transforms.applicable(parent.source)
        return self._applicable[parent.id]

    def _untried(self, parent: Candidate, t: Transform, values: dict[str, Any]) -> bool:
        key = _key(parent.id, t.name, values)
        return key not in self.index.tried and key not in self.tried

    # ------------------------------------------------------------------------------------ moves
    def blind(self, parent: Candidate) -> _Move | None:
        """A uniformly drawn transformation, then parameter, then value, among the untried ones."""
        options: dict[str, list[_Move]] = {}
        for t, cur in self.applicable(parent):
            for p in t.params:
                for v in p.values:
                    if v == cur.get(p.name):
                        continue
                    if self._untried(parent, t, {p.name: v}):
                        options.setdefault(t.name, []).append(
                            _Move(t, {p.name: v}, {p.name: cur.get(p.name)}))
        if not options:
            return None
        name = self.rng.choice(sorted(options))
        by_param: dict[str, list[_Move]] = {}
        for m in options[name]:
            by_param.setdefault(next(iter(m.values)), []).append(m)
        return self.rng.choice(by_param[self.rng.choice(sorted(by_param))])

    def repair(self, parent: Candidate, name: str, failed: dict[str, Any]) -> _Move | None:
        """The failed step's transformation from the same parent with other values: between the parent's
        value and the failed one first (nearest the parent), else on the other side of the parent."""
        cur = next((c for t, c in self.applicable(parent) if t.name == name), None)
        if cur is None:
            return None
        t = transforms.get(name)
        for pname, bad in failed.items():
            try:
                param = t.param(pname)
            except KeyError:
                continue
            now = cur.get(pname)
            vals = [v for v in param.values if v not in (now, bad)]
            if now is None or not vals:
                continue
            try:
                between = [v for v in vals if min(now, bad) < v < max(now, bad)]
                other = [v for v in vals if (v < now) == (bad > now)]
                ordered = sorted(between, key=lambda v: abs(v - now)) + sorted(other, key=lambda v: abs(v - now))
            except TypeError:  # a non-ordered domain: any other value
                ordered = vals
            for v in ordered:
                if self._untried(parent, t, {pname: v}):
                    return _Move(t, {pname: v}, {pname: now})
        return None

    def _knowledge(self, parent: Candidate) -> tuple[list[Any], list[str]]:
        """Snippets retrieved for the parent's observation (active and trial entries) and their ids."""
        if parent.id not in self._retrieved:
            ev = self._evaluation(parent.id)
            snippets = self.ctx.knowledge.retrieve(  # type: ignore[union-attr]
                self.ctx.task, parent.source, ev.result if ev is not None else None,
                RETRIEVE_FACTOR * self.ctx.k, include_trial=True)
            self._retrieved[parent.id] = (snippets, [s.entry_id for s in snippets])
        return self._retrieved[parent.id]

    def retrieved(self, parent: Candidate) -> list[str]:
        """The ids of the entries retrieved for this parent (recorded with every step made from it)."""
        return self._knowledge(parent)[1]

    def entry_moves(self, parent: Candidate, trial: bool) -> list[_Move]:
        """Untried steps the retrieved entries name for this parent: entries that have only lost on this task
        last, entries on the parent's bottleneck pipe first, then by fit and recorded effect (_expected); `trial` selects the
        entries still on trial instead of the active ones."""
        snippets, _ = self._knowledge(parent)
        pipe = _bottleneck_pipe(self._evaluation(parent.id))
        present = {t.name: (t, cur) for t, cur in self.applicable(parent)}
        ranked = []
        for rank, s in enumerate(snippets):
            spec = getattr(s, "transform", None)
            if not spec or (getattr(s, "state", "active") != "active") != trial:
                continue
            if spec.get("name") not in present or getattr(s, "score", 1.0) < MIN_APPLY_SCORE:
                continue
            if self.losing.get(s.entry_id, 0) >= SET_ASIDE_AFTER:
                continue
            t, cur = present[spec["name"]]
            move = resolve_values(t, cur, spec.get("values") or {})
            if move is None or not self._untried(parent, t, move[0]):
                continue
            order = (s.entry_id in self.losing, not _on_pipe(pipe, t), -_expected(s), rank)
            ranked.append((order, _Move(t, move[0], move[1], s.entry_id, dict(spec.get("values") or {}),
                                        _promising(s) and s.entry_id not in self.losing)))
        ranked.sort(key=lambda r: r[0])
        return [m for _, m in ranked]

    def undo_moves(self, parent: Candidate) -> list[_Move]:
        """Around a composed kernel: each part taken back in turn (the kernel without that entry's step; the
        counterfactual of the entry), the part least expected to pay for the composed kernel's own profile
        first: off its bottleneck pipe, then by fit and recorded effect (`_expected`) for it."""
        params = parent.params or {}
        if params.get("transform") != COMPOSE or not params.get("steps"):
            return []
        snippets = {s.entry_id: s for s in self._knowledge(parent)[0]}
        pipe = _bottleneck_pipe(self._evaluation(parent.id))
        present = {t.name: (t, cur) for t, cur in self.applicable(parent)}
        ranked = []
        for st in params["steps"]:
            if st.get("name") not in present:
                continue
            t, cur = present[st["name"]]
            back = {k: v for k, v in (st.get("from") or {}).items() if v is not None and cur.get(k) != v}
            if not back or not self._untried(parent, t, back):
                continue
            s = snippets.get(st.get("entry", ""))
            order = (_on_pipe(pipe, t), _expected(s) if s is not None else -1.0)
            ranked.append((order, _Move(t, back, {k: cur.get(k) for k in back}, undo=st.get("entry", ""))))
        ranked.sort(key=lambda r: r[0])
        return [m for _, m in ranked]

    def lineage_composed(self, parent: Candidate) -> bool:
        """Whether the parent or one of its ancestors was composed (the history holds the chain)."""
        seen: set[str] = set()
        c: Candidate | None = parent
        while c is not None and c.id not in seen:
            if _is_composed(c.params):
                return True
            seen.add(c.id)
            pair = self.index.pair(c.parent_id) if c.parent_id else None
            c = pair[0] if pair is not None else None
        return False

    def compose(self, parent: Candidate) -> _Composed | None:
        """The promising entries' steps for this parent applied together, in the order `entry_moves` ranks
        them, one per transformation, each resolved on the kernel the earlier ones made and kept only when the
        checks pass on the result (a part that would break a known constraint is left out, not the whole
        step). None when fewer than two parts apply, or this combination was tried from this parent."""
        if self.lineage_composed(parent):
            return None  # once per lineage: around a composed kernel the steps are single (and counterfactual)
        parts: list[_Move] = []
        source = parent.source
        for m in self.entry_moves(parent, trial=False):
            if not m.promising or any(p.transform.name == m.transform.name for p in parts):
                continue
            cur = m.transform.current(source)
            move = resolve_values(m.transform, cur, m.wanted) if cur is not None else None
            if move is None:
                continue
            try:
                new = m.transform.apply(source, move[0])
            except NotApplicable:
                continue
            if self._violations(new):
                continue
            parts.append(_Move(m.transform, move[0], move[1], m.entry, m.wanted, True))
            source = new
            if len(parts) >= COMPOSE_MAX:
                break
        if len(parts) < 2:
            return None
        composed = _Composed(parts, source)
        if _key(parent.id, COMPOSE, composed.values) in self.index.tried or \
                _key(parent.id, COMPOSE, composed.values) in self.tried:
            return None
        return composed

    # ------------------------------------------------------------------------------------- round
    def run(self, n: int) -> SearchOutcome:
        out = SearchOutcome()
        pool, reserve = self._parents()
        repairs = self._repairs()
        use_kb = self.ctx.knowledge is not None
        for _ in range(ATTEMPTS_PER_PROPOSAL * max(1, n)):
            if not pool:
                pool = [p for p in itertools.islice(reserve, 1)]
            if len(out.steps) >= n or not pool:
                break
            move: _Move | None = None
            if repairs and self.rng.random() < REPAIR_SHARE:
                parent, name, failed = repairs[self.rng.randrange(len(repairs))]
                move = self.repair(parent, name, failed)
                if move is None:
                    repairs = [r for r in repairs if r[0] is not parent or r[1] != name]
            if move is None:
                parent = self._pick_parent(pool)
                if use_kb and self.rng.random() >= EXPLORE_SHARE:
                    # Knowledge steps refine around the best: the best kernel that the entries still have a
                    # step for (a slower parent's entry steps rarely beat the best; measured in the bench).
                    trial_draw = self.rng.random() < TRIAL_SHARE
                    for candidate in pool:
                        trial = self.entry_moves(candidate, trial=True) if trial_draw else []
                        if not trial:
                            composed = self.compose(candidate)
                            if composed is not None:
                                parent, move = candidate, composed  # type: ignore[assignment]
                                break
                        undos = [] if trial else self.undo_moves(candidate)
                        forward = trial or self.entry_moves(candidate, trial=False)
                        # Around a composed kernel: an entry's next step first, then a part taken back, in turn.
                        moves = undos + forward if self._undo_turn else forward + undos
                        if moves:
                            parent, move = candidate, moves[0]
                            break
                    if isinstance(move, _Composed):
                        self._take_composed(parent, move, out)
                        continue
                    if move is not None and self.undo_moves(parent):
                        self._undo_turn = not move.undo
                if move is None:
                    move = self.blind(parent)
                if move is None:  # nothing left to try from this parent
                    pool = [p for p in pool if p is not parent]
                    continue
            self._take(parent, move, out)
        return out

    def _take(self, parent: Candidate, move: _Move, out: SearchOutcome) -> None:
        self.tried.add(_key(parent.id, move.transform.name, move.values))
        try:
            source = move.transform.apply(parent.source, move.values)
        except NotApplicable:
            return
        h = source_hash(source)
        if h in self.hashes or h in self.index.hashes:  # reached before by another path: the store would refuse it
            return
        self.hashes.add(h)
        retrieved = self._knowledge(parent)[1] if self.ctx.knowledge is not None else []
        step = Step(parent=parent, transform=move.transform.name, values=move.values, frm=move.frm,
                    source=source, entry=move.entry, retrieved=list(retrieved), undo=move.undo)
        violations = self._violations(source)
        if violations:
            out.pruned.append((step.params, violations))
            return
        out.steps.append(step)

    def _violations(self, source: str) -> list[tuple[str, str]]:
        """What the knowledge checks say against a kernel before dispatch (nothing with knowledge off)."""
        if self.ctx.knowledge is None:
            return []
        return self.ctx.knowledge.check(self.ctx.task, source, {}, lambda: task_values(  # run-time sizes
            source, self.ctx.task.spec, getattr(self.ctx.knowledge, "hardware", None)))

    def _take_composed(self, parent: Candidate, c: _Composed, out: SearchOutcome) -> None:
        self.tried.add(_key(parent.id, COMPOSE, c.values))
        h = source_hash(c.source)
        if h in self.hashes or h in self.index.hashes:
            return
        self.hashes.add(h)
        retrieved = self._knowledge(parent)[1]
        parts = [{"name": m.transform.name, "values": m.values, "from": m.frm, "entry": m.entry} for m in c.parts]
        step = Step(parent=parent, transform=COMPOSE, values=c.values, frm=c.frm, source=c.source,
                    entry=c.parts[0].entry, retrieved=list(retrieved), parts=parts)
        out.steps.append(step)  # every part passed the checks on the kernel it made, the last one on this source


def _is_composed(params: dict[str, Any] | None) -> bool:
    """Whether a candidate was made by several entries' steps at once (a composed step or template point)."""
    return bool(params) and (params.get("transform") == COMPOSE or len(params.get("entries") or ()) > 1)


def _promising(s: Any) -> bool:
    """Whether an entry's record says it pays: a documented or learnt step with no uses yet, or a positive mean
    effect over its uses (weighed as `_expected` weighs it); what composition takes."""
    uses = getattr(s, "uses", 0) or 0
    return uses == 0 or float(getattr(s, "mean_effect", 0.0)) > 0.0


def _expected(s: Any) -> float:
    """How promising an entry is for this parent: its retrieval score (fit to the profile) moved by its
    recorded mean effect (Hawk's effect-driven feedback: what the entry did wherever it was applied)."""
    uses = getattr(s, "uses", 0) or 0
    weight = EFFECT_WEIGHT * min(1.0, uses / EFFECT_FULL_USES)
    return float(getattr(s, "score", 0.0)) + weight * float(getattr(s, "mean_effect", 0.0))


def _directed(param: Any, now: Any, want: str) -> Any | None:
    """"up"/"down": the neighbouring domain value; "double"/"half": the nearest value at least twice / at most
    half the current one (so a fine-grained domain is not crossed one notch per round); None at the end."""
    if want in ("up", "down"):
        return param.step(now, 1 if want == "up" else -1)
    try:
        if want == "double":
            bigger = [v for v in param.values if v >= 2 * now]
            return min(bigger) if bigger else param.step(now, 1)
        smaller = [v for v in param.values if 2 * v <= now]
        return max(smaller) if smaller else param.step(now, -1)
    except TypeError:  # a non-numeric domain has no scale: one step
        return param.step(now, 1 if want == "double" else -1)


def resolve_values(t: Transform, current: dict[str, Any],
                   wanted: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """An entry's values ({param: value | "up" | "down" | "double" | "half"}) for a kernel with `current` values: the concrete
    new values and the old ones of the parameters that change, or None when the entry cannot apply (unknown
    parameter, end of the domain, value off the domain, or nothing would change)."""
    new: dict[str, Any] = {}
    old: dict[str, Any] = {}
    for name, want in wanted.items():
        try:
            param = t.param(name)
        except KeyError:
            return None
        now = current.get(name)
        if want in ("up", "down", "double", "half"):
            if now is None:
                return None
            value = _directed(param, now, want)
            if value is None:
                return None
        else:
            value = want
            if value not in param.values:
                return None
        if value != now:
            new[name], old[name] = value, now
    return (new, old) if new else None
