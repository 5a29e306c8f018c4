"""Proposers turn a task's history into new candidate kernels.

- `OfflineProposer` searches the parameters of the task's kernel template (random points first, then
  mostly mutations of the best so far), or, for a task without a template, walks from its baseline one named
  transformation step at a time (controller/search.py), guided by the retrieved knowledge entries when
  knowledge is on. Knowledge checks prune kernels that would break a known hardware constraint before
  anything is dispatched.
- `LLMProposer` asks a model for a whole kernel, giving it the parent and its feedback plus the knowledge
  retrieved for that situation.

Both are synchronous (the campaign runs them in threads); neither ever returns a source already tried.
"""

from __future__ import annotations

import concurrent.futures
import difflib
import itertools
import logging
import math
import random
import re
import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from controller.llm import LLMClient, LLMError
from controller.normalize import normalized_hash
from controller.prompt import (
    SYSTEM,
    KnowledgeSnippet,
    ParseError,
    TruncatedAnswer,
    build_prompt,
    knowledge_label,
    parse_answer,
)
from controller.store import Candidate, Evaluation, short_id
from controller.templates import KernelTemplate, template_for
from hawk.v1 import result_pb2
from knowledge.kernel_values import task_values
from knowledge.transforms import NotApplicable
from npu_agent.pipeline import source_hash
from npu_agent.taskspec import TaskDef

log = logging.getLogger(__name__)


class ProposerError(RuntimeError):
    """A proposer cannot work on this task at all (e.g. no template for the offline proposer)."""


class KnowledgeAccess(Protocol):
    """What proposers need from the knowledge store (see controller/knowledge_client.py)."""

    def retrieve(self, task: TaskDef, source: str | None, result: result_pb2.Result | None,
                 k: int, *, include_pending: bool = False, include_trial: bool = False) -> list[KnowledgeSnippet]: ...

    def check(self, task: TaskDef, source: str, params: dict[str, Any],
              runtime: Callable[[], Mapping[str, Any]] | None = None) -> list[tuple[str, str]]: ...


@dataclass
class Proposal:
    source: str
    proposer: str
    parent_id: str | None = None
    knowledge_used: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def hash(self) -> str:
        return source_hash(self.source)


@dataclass
class ProposalContext:
    task: TaskDef
    hardware: str
    round: int
    history: list[tuple[Candidate, Evaluation | None]]
    best: tuple[Candidate, Evaluation] | None
    baseline: tuple[Candidate, Evaluation | None] | None
    rng: random.Random
    knowledge: KnowledgeAccess | None = None
    k: int = 5


@dataclass
class ProposeOutcome:
    proposals: list[Proposal]
    pruned: list[tuple[dict[str, Any], list[tuple[str, str]]]] = field(default_factory=list)
    failures: list[Any] = field(default_factory=list)  # ProposalFailure (LLM answers without a candidate) or str
    duplicates: int = 0   # answers that only repeated kernels already tried


# --------------------------------------------------------------------------------------------- offline
class OfflineProposer:
    """Searches without a model: a task's template parameters, or transformation steps from its baseline
    (controller/search.py); knowledge, when on, prunes by its checks and steers the steps by its entries."""

    name = "offline"

    def __init__(self) -> None:
        self._templates: dict[str, KernelTemplate] = {}
        self._kinds: dict[str, str] = {}
        self._indexes: dict[str, Any] = {}   # task -> controller.search.HistoryIndex, kept across rounds
        self._base_points: dict[str, dict[str, Any] | None] = {}  # task -> the baseline's template point

    def index(self, ctx: ProposalContext) -> Any:
        """The task's history index brought up to this round (what is new since the last round is read)."""
        from controller.search import HistoryIndex

        idx = self._indexes.get(ctx.task.name)
        if idx is None:
            idx = self._indexes[ctx.task.name] = HistoryIndex()
        return idx.update(ctx.history)

    def kind(self, task: TaskDef) -> str:
        from controller.search import offline_search_kind

        if task.name not in self._kinds:
            self._kinds[task.name] = offline_search_kind(task)
        return self._kinds[task.name]

    def template(self, task: TaskDef) -> KernelTemplate:
        tmpl = self._templates.get(task.name)
        if tmpl is None:
            tmpl = template_for(task)
            if tmpl is None:
                raise ProposerError(f"task {task.name} has no kernel template (extra.template)")
            self._templates[task.name] = tmpl
        return tmpl

    @staticmethod
    def _key(values: dict[str, Any]) -> Hashable:
        from controller.search import template_key

        return template_key(values)

    def _random(self, tmpl: KernelTemplate, rng: random.Random) -> dict[str, Any]:
        return {k: rng.choice(v) for k, v in tmpl.params.items()}

    def _mutate(self, tmpl: KernelTemplate, base: dict[str, Any], rng: random.Random) -> dict[str, Any]:
        out = dict(base)
        names = [k for k, v in tmpl.params.items() if len(v) > 1]
        for name in rng.sample(names, k=min(len(names), rng.choice((1, 1, 2)))):
            values = tmpl.params[name]
            i = values.index(out[name]) if out[name] in values else rng.randrange(len(values))
            j = min(len(values) - 1, max(0, i + rng.choice((-1, 1))))
            out[name] = values[j if j != i else (i + 1) % len(values)]
        return out

    def propose(self, ctx: ProposalContext, n: int) -> ProposeOutcome:
        kind = self.kind(ctx.task)
        if kind == "template":
            return self._propose_template(ctx, n)
        if kind == "transform":
            return self._propose_transform(ctx, n)
        from controller.search import missing_offline_search

        raise ProposerError(missing_offline_search(ctx.task))

    def _propose_transform(self, ctx: ProposalContext, n: int) -> ProposeOutcome:
        from controller.search import TransformSearch

        base = ctx.baseline[0].source if ctx.baseline else ctx.task.baseline.read_text(encoding="utf-8")
        found = TransformSearch(ctx, base, self.index(ctx)).run(n)
        return ProposeOutcome(
            proposals=[Proposal(source=s.source, proposer=self.name, parent_id=s.parent.id or None,
                                knowledge_used=s.entries, params=s.params) for s in found.steps],
            pruned=found.pruned)

    def _propose_template(self, ctx: ProposalContext, n: int) -> ProposeOutcome:
        tmpl = self.template(ctx.task)
        # The points of earlier rounds come from the index (updated with what is new); this round's own in
        # `tried` (disjoint from them), so a point pruned now is considered again next round, as before.
        index = self.index(ctx)
        recorded: set[Hashable] = index.points
        tried: set[Hashable] = set()
        best_values = ctx.best[0].params.get("values") if ctx.best and "transform" not in ctx.best[0].params else None
        parent = ctx.best[0].id if ctx.best else (ctx.baseline[0].id if ctx.baseline else None)
        out = ProposeOutcome(proposals=[])

        def check(values: dict[str, Any]) -> list[tuple[str, str]]:
            if not ctx.knowledge:
                return []
            source = tmpl.render(values)
            return check_source(source, values)

        def check_source(source: str, values: dict[str, Any]) -> list[tuple[str, str]]:
            if not ctx.knowledge:
                return []
            return ctx.knowledge.check(ctx.task, source, values, lambda: task_values(  # run-time sizes
                source, ctx.task.spec, getattr(ctx.knowledge, "hardware", None)))

        def consider(values: dict[str, Any], entries: list[str] | None = None,
                     retrieved: list[str] | None = None) -> None:
            key = self._key(values)
            if key in recorded or key in tried:
                return
            tried.add(key)
            source = tmpl.render(values)
            violations = check_source(source, values)
            if violations:
                out.pruned.append((values, violations))
                return
            params: dict[str, Any] = {"values": values}
            if entries:
                params.update(entry=entries[0], retrieved=retrieved or [])
                if len(entries) > 1:
                    params["entries"] = list(entries)
            out.proposals.append(Proposal(source=source, proposer=self.name, parent_id=parent,
                                          knowledge_used=list(entries or []), params=params))

        if ctx.knowledge is not None and ctx.best is not None:
            start, src = best_values, ctx.best[0]
            if start is None:
                # The best is still the baseline: steer from the template point that reads as the baseline
                # (the same value of every knob the transformations know), so knowledge acts from round one.
                start = self._baseline_point(ctx, tmpl)
            if start is not None:
                self._entry_points(ctx, tmpl, start, src, n, consider, check, index)
        for _ in range(64 * n):
            if len(out.proposals) >= n or len(recorded) + len(tried) >= tmpl.size():
                break
            explore = best_values is None or ctx.rng.random() < 0.25
            consider(self._random(tmpl, ctx.rng) if explore else self._mutate(tmpl, best_values, ctx.rng))
        if len(out.proposals) < n and tmpl.size() <= 100_000:
            # The neighbourhood is exhausted: take untried points of the (small) space in random order.
            names = list(tmpl.params)
            rest = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*tmpl.params.values())]
            ctx.rng.shuffle(rest)
            for values in rest:
                if len(out.proposals) >= n:
                    break
                consider(values)
        return out

    def _baseline_point(self, ctx: ProposalContext, tmpl: KernelTemplate) -> dict[str, Any] | None:
        """The template point whose knobs (as the transformations read them) equal the baseline's, if one does."""
        name = ctx.task.name
        if name not in self._base_points:
            self._base_points[name] = None
            base = ctx.baseline[0].source if ctx.baseline else None
            if base is not None and tmpl.size() <= 4096:
                self._base_points[name] = _matching_point(tmpl, base)
        return self._base_points[name]

    def _entry_points(self, ctx: ProposalContext, tmpl: KernelTemplate, start: dict[str, Any], best: Candidate,
                      n: int, consider: Callable[..., None], check: Callable[[dict[str, Any]], list[Any]],
                      index: Any = None) -> None:
        """Knowledge on, a template task: the steps the entries retrieved for the best kernel name
        (controller/search.py orders them by fit and effect), applied to the template point `start` (the best
        kernel's, or the baseline's twin) and read back as template values, for the share of the round that
        is not exploration: first the promising entries' steps together (a composed point), then one by one."""
        from controller.search import EXPLORE_SHARE, TransformSearch

        want = sum(1 for _ in range(n) if ctx.rng.random() >= EXPLORE_SHARE)
        if not want:
            return
        search = TransformSearch(ctx, best.source, index)
        retrieved = search.retrieved(best)
        point = tmpl.render(start)
        made = 0
        moves = search.entry_moves(best, trial=False)
        composed, entries = dict(start), []
        for move in moves:
            if not move.promising or len(entries) >= COMPOSE_MAX_POINT:
                continue
            values = _point_after(tmpl, composed, move)
            if values is None or check(values):
                continue
            composed, entries = values, [*entries, move.entry]
        if len(entries) >= 2 and not search.lineage_composed(best):
            consider(composed, entries, retrieved)
            made += 1
        for move in moves:
            if made >= want:
                break
            try:
                target = move.transform.apply(point, move.values)
            except NotApplicable:
                continue
            values = _template_point(tmpl, start, target)
            if values is not None:
                consider(values, [move.entry], retrieved)
                made += 1


COMPOSE_MAX_POINT = 4  # entries composed into one template point (as controller/search.py COMPOSE_MAX)


def _point_after(tmpl: KernelTemplate, values: dict[str, Any], move: Any) -> dict[str, Any] | None:
    """The template point one parameter away from `values` that the entry's step (its wanted values resolved on
    the point's rendering) makes, or None when the template has no such point."""
    from controller.search import resolve_values

    source = tmpl.render(values)
    cur = move.transform.current(source)
    resolved = resolve_values(move.transform, cur, move.wanted) if cur is not None else None
    if resolved is None:
        return None
    try:
        target = move.transform.apply(source, resolved[0])
    except NotApplicable:
        return None
    return _template_point(tmpl, values, target)


def _matching_point(tmpl: KernelTemplate, source: str) -> dict[str, Any] | None:
    """The first template point whose rendering every transformation reads as it reads `source` (the same set
    of transformations applies, with the same present values); None when no point does."""
    from knowledge import transforms

    want = {t.name: cur for t, cur in transforms.applicable(source)}
    if not want:
        return None
    names = list(tmpl.params)
    for combo in itertools.product(*tmpl.params.values()):
        values = dict(zip(names, combo, strict=True))
        if {t.name: cur for t, cur in transforms.applicable(tmpl.render(values))} == want:
            return values
    return None


def _template_point(tmpl: KernelTemplate, base: dict[str, Any], target: str) -> dict[str, Any] | None:
    """The template values one parameter away from `base` whose rendering is `target` (whitespace aside)."""
    norm = " ".join(target.split())
    for name, domain in tmpl.params.items():
        for v in domain:
            if v == base.get(name):
                continue
            values = {**base, name: v}
            if " ".join(tmpl.render(values).split()) == norm:
                return values
    return None


# ------------------------------------------------------------------------------------------------- llm
# Parent selection and prompt variety (named so docs/controller.md can cite them).
REPAIR_SHARE = 1 / 3          # share of a round's samples that repair a recent failure (at least one if any)
RECENT_FAILURE_ROUNDS = 2     # a failure is "recent" for this many rounds after the one that made it
TOP_PARENTS = 3               # improvement samples cycle over this many of the fastest passing kernels
HISTORY_LINES = 6             # candidates of the task shown as "already tried"
MAX_TRUNCATION_RETRIES = 2    # a cut-off answer is asked again (shorter) this many times
MAX_DUPLICATE_RETRIES = 2     # an answer equal to a tried kernel is asked again this many times

FOCUS_IMPROVE = (
    "attack the bottleneck pipe the evaluation reports.",
    "overlap data movement with compute: double buffering, fewer and larger DataCopy calls.",
    "the split of work over cores: use every core the data allows and balance the tail.",
    "fewer instructions: larger vector calls, no per-element GetValue/SetValue, fused steps.",
    "the tile size and the UB budget: the largest tiles that still fit with double buffering.",
)
FOCUS_REPAIR = (
    "the smallest change that removes the reported error at the reported line.",
    "apply the knowledge retrieved for this failure exactly, then check every similar place in the kernel.",
)
SHORTEN = ("Your answer was cut off before the code block ended. Answer again, shorter: no explanation, only the "
           "complete kernel in one ```cpp block and the APPLIED line.")
DIFFERENT = ("That kernel is identical (up to comments and whitespace) to one already tried for this task. Make a "
             "different change; answer in the same format.")


@dataclass
class ProposalFailure:
    """An answer that gave no candidate; the campaign records it with the answer as given."""

    reason: str
    answer: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class Slot:
    """One sample of a round: its parent (None = from scratch) and what the prompt asks for."""

    parent: tuple[Candidate, Evaluation | None] | None
    repair: bool
    focus: str


_COMMENT = re.compile(r"//.*$")


def _changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(added, removed) code lines of a diff: line comments dropped (a comment applies nothing), whitespace
    collapsed, blank lines dropped."""
    a = [" ".join(_COMMENT.sub("", x).split()) for x in before.splitlines()]
    b = [" ".join(_COMMENT.sub("", x).split()) for x in after.splitlines()]
    added: list[str] = []
    removed: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += [x for x in a[i1:i2] if x]
            added += [x for x in b[j1:j2] if x]
    return added, removed


def _template_lines(template: str) -> list[str]:
    """The lines an entry's template adds: '+' lines of its hunks, or its code lines when it is not a diff."""
    lines = template.splitlines()
    if any(x.startswith("@@") or x.startswith("+") for x in lines):
        picked = [x[1:] for x in lines if x.startswith("+") and not x.startswith("+++")]
    else:
        picked = [x for x in lines if not x.strip().startswith("//")]
    return [n for n in (" ".join(x.split()) for x in picked) if len(n) >= 8]


def _transform_changed(transform: dict | None, before: str, after: str) -> bool:
    if not transform or not transform.get("name"):
        return False
    try:
        from knowledge import transforms

        t = transforms.get(str(transform["name"]))
        old, new = t.current(before), t.current(after)
    except Exception:  # noqa: BLE001 - an unknown or failing transform confirms nothing
        return False
    return new is not None and old != new


def confirm_applied(cited: tuple[str, ...], snippets: list[KnowledgeSnippet], before: str,
                    after: str) -> tuple[list[str], list[str], dict[str, str]]:
    """Split the entries an answer cites into those the diff before -> after shows applied and the rest.

    Evidence for an entry: a parameter of its transform changed, a line its template adds appears among the
    added lines, or one of its trigger APIs appears in a changed line. Returns (confirmed ids, unconfirmed
    citations as given, evidence per confirmed id)."""
    by_key = {}
    for i, sn in enumerate(snippets):
        by_key[knowledge_label(i).lower()] = sn
        by_key[sn.entry_id.lower()] = sn
    added, removed = _changed_lines(before, after)
    added_set = set(added)
    changed = "\n".join(added + removed)
    confirmed: list[str] = []
    unconfirmed: list[str] = []
    evidence: dict[str, str] = {}
    for tok in cited:
        sn = by_key.get(tok.lower())
        if sn is None:
            unconfirmed.append(tok)
            continue
        if sn.entry_id in confirmed:
            continue
        why = ""
        if _transform_changed(sn.transform, before, after):
            why = f"transform {sn.transform['name']} changed"
        elif any(line in added_set for line in _template_lines(sn.template)):
            why = "a template line was added"
        else:
            api = next((a for a in sn.apis if re.search(rf"\b{re.escape(a)}\b", changed)), None)
            if api:
                why = f"changed lines use {api}"
        if why:
            confirmed.append(sn.entry_id)
            evidence[sn.entry_id] = why
        elif sn.entry_id not in unconfirmed:
            unconfirmed.append(sn.entry_id)
    return confirmed, unconfirmed, evidence


def _diff_summary(before: str, after: str) -> str:
    added, removed = _changed_lines(before, after)
    apis = sorted({w for line in added + removed for w in re.findall(r"\b([A-Z][A-Za-z0-9]+)\s*[(<]", line)})
    return f"+{len(added)}/-{len(removed)} lines" + (f", touching {', '.join(apis[:6])}" if apis else "")


class LLMProposer:
    name = "llm"

    def __init__(self, client: LLMClient, hardware: str, baseline_sources: dict[str, str] | None = None) -> None:
        self.client = client
        self.hardware = hardware
        self.baseline_sources = baseline_sources or {}

    @staticmethod
    def parent(ctx: ProposalContext) -> tuple[Candidate, Evaluation | None] | None:
        """The first sample's parent (see `slots`)."""
        return LLMProposer.slots(ctx, 1)[0].parent

    @staticmethod
    def slots(ctx: ProposalContext, n: int) -> list[Slot]:
        """Parents for a round's n samples: the fastest kernels to improve mixed with recent failures to repair.

        A failure is worth repairing while it is recent and no child of it has passed yet; before any kernel
        passed every sample repairs (or starts from scratch). Each sample gets its own focus."""
        evaluated = [(c, e) for c, e in ctx.history if e is not None]
        passing = sorted([(c, e) for c, e in evaluated if e.status == "OK" and e.time_us],
                         key=lambda ce: ce[1].time_us or 0.0)
        if ctx.best is not None and all(c.id != ctx.best[0].id for c, _ in passing):
            passing.insert(0, ctx.best)
        repaired = {c.parent_id for c, e in evaluated if e.status == "OK" and c.parent_id}
        failures = [(c, e) for c, e in reversed(evaluated)
                    if e.status != "OK" and c.proposer != "baseline" and c.id not in repaired
                    and c.round >= ctx.round - RECENT_FAILURE_ROUNDS][:TOP_PARENTS]
        n_repair = 0
        if failures:
            n_repair = n if not passing else min(n, max(1, math.ceil(n * REPAIR_SHARE)))
        out: list[Slot] = []
        for i in range(n):
            if i < n_repair:
                out.append(Slot(failures[i % len(failures)], True, FOCUS_REPAIR[(i // len(failures)) % len(FOCUS_REPAIR)]))
            else:
                j = i - n_repair
                parent = passing[j % min(TOP_PARENTS, len(passing))] if passing else None
                out.append(Slot(parent, False, FOCUS_IMPROVE[(ctx.round + j) % len(FOCUS_IMPROVE)]))
        return out

    @staticmethod
    def history_lines(ctx: ProposalContext) -> list[str]:
        """What was tried lately for this task: change summary, parent, status and time of each."""
        lines = []
        for c, e in [(c, e) for c, e in ctx.history if c.proposer != "baseline"][-HISTORY_LINES:]:
            what = c.params.get("summary") or ""
            if not what and c.params.get("transform"):
                what = f"transform {c.params['transform']} {c.params.get('values', {})}"
            elif not what and c.params.get("values"):
                what = f"template values {c.params['values']}"
            status = "not evaluated yet" if e is None else (
                f"OK {e.time_us:.2f} us" if e.status == "OK" and e.time_us else f"{e.status}: {e.message[:100]}")
            parent = f" from {short_id(c.parent_id)}" if c.parent_id else ""
            lines.append(f"{short_id(c.id)} (round {c.round}, {c.proposer}{parent}): {what or 'change not summarised'}"
                         f" -> {status}")
        return lines

    def _retrieve(self, ctx: ProposalContext, slot: Slot) -> list[KnowledgeSnippet]:
        if ctx.knowledge is None:
            return []
        src = slot.parent[0].source if slot.parent else None
        res = slot.parent[1].result if slot.parent and slot.parent[1] is not None else None
        # For a failure, entries synthesized from failures but not yet verified by a fix are worth showing too.
        return ctx.knowledge.retrieve(ctx.task, src, res, ctx.k, include_pending=slot.repair)

    def propose(self, ctx: ProposalContext, n: int) -> ProposeOutcome:
        slots = self.slots(ctx, n)
        baseline_src = ctx.baseline[0].source if ctx.baseline else self.baseline_sources.get(ctx.task.name)
        history = self.history_lines(ctx)
        retrieved: dict[str | None, list[KnowledgeSnippet]] = {}
        jobs = []
        for slot in slots:
            key = slot.parent[0].id if slot.parent else None
            if key not in retrieved:
                retrieved[key] = self._retrieve(ctx, slot)
            snippets = retrieved[key]
            psrc = slot.parent[0].source if slot.parent else None
            pres = slot.parent[1].result if slot.parent and slot.parent[1] is not None else None
            prompt = build_prompt(ctx.task.spec, parent_source=psrc, parent_result=pres, knowledge=snippets,
                                  hardware=ctx.hardware, baseline_source=baseline_src, history=history,
                                  focus=slot.focus, repair=slot.repair)
            jobs.append((slot, snippets, prompt, ctx.rng.randrange(1 << 30)))
        tried = {normalized_hash(c.source) for c, _ in ctx.history}
        lock = threading.Lock()
        out = ProposeOutcome(proposals=[])
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, n)) as pool:
            futures = [pool.submit(self._sample, ctx, slot, snippets, prompt, seed, baseline_src, tried, lock)
                       for slot, snippets, prompt, seed in jobs]
            for fut in futures:
                got = fut.result()
                if isinstance(got, Proposal):
                    out.proposals.append(got)
                else:
                    out.failures.append(got)
                    out.duplicates += int(bool(got.params.get("duplicate")))
        return out

    def _sample(self, ctx: ProposalContext, slot: Slot, snippets: list[KnowledgeSnippet], prompt: str, seed: int,
                baseline_src: str | None, tried: set[str], lock: threading.Lock) -> Proposal | ProposalFailure:
        """One sample: ask, re-ask (bounded) when the answer was cut off or repeats a tried kernel, attribute."""
        base = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]
        messages = base
        spent = [0, 0, 0.0]
        meta: dict[str, Any] = {"parent_role": "repair" if slot.repair else ("improve" if slot.parent else "scratch"),
                                "focus": slot.focus, "retrieved": [s.entry_id for s in snippets]}
        truncations = duplicates = 0
        text = ""
        while True:
            try:
                completion = self.client.chat(messages, seed=seed + truncations + duplicates)
            except LLMError as e:
                return ProposalFailure(f"LLM request failed: {e}", answer=text, params=meta,
                                       prompt_tokens=spent[0] + e.prompt_tokens,
                                       completion_tokens=spent[1] + e.completion_tokens, cost_usd=spent[2] + e.cost_usd)
            text = completion.text
            spent = [spent[0] + completion.prompt_tokens, spent[1] + completion.completion_tokens,
                     spent[2] + completion.cost_usd]
            meta["model"] = completion.model

            try:
                answer = parse_answer(text, ctx.task.spec.kernel_entry, finish_reason=completion.finish_reason)
            except TruncatedAnswer as e:
                if truncations < MAX_TRUNCATION_RETRIES:
                    truncations += 1
                    messages = [*base, {"role": "assistant", "content": text}, {"role": "user", "content": SHORTEN}]
                    continue
                return self._failure(f"{e} ({truncations + 1} answers, all cut off)", text, meta, spent, truncated=True)
            except ParseError as e:
                return self._failure(str(e), text, meta, spent)
            key = normalized_hash(answer.source)
            with lock:
                dup = key in tried
                if not dup:
                    tried.add(key)
            if dup:
                if duplicates < MAX_DUPLICATE_RETRIES:
                    duplicates += 1
                    messages = [*base, {"role": "assistant", "content": text}, {"role": "user", "content": DIFFERENT}]
                    continue
                return self._failure(f"duplicate: {duplicates + 1} answers, each a kernel already tried (up to "
                                     "comments and whitespace)", text, meta, spent, duplicate=True)
            before = slot.parent[0].source if slot.parent else (baseline_src or "")
            used, unconfirmed, evidence = confirm_applied(answer.cited, snippets, before, answer.source)
            params = {**meta, "attempts": completion.attempts,
                      "requests": 1 + truncations + duplicates, "cited": list(answer.cited),
                      "cited_unconfirmed": unconfirmed, "applied_evidence": evidence,
                      "summary": answer.summary or _diff_summary(before, answer.source)}
            return Proposal(source=answer.source, proposer=self.name, parent_id=slot.parent[0].id if slot.parent else None,
                            knowledge_used=used, params=params, prompt_tokens=spent[0], completion_tokens=spent[1],
                            cost_usd=spent[2])

    @staticmethod
    def _failure(reason: str, text: str, meta: dict[str, Any], spent: list, **extra: Any) -> ProposalFailure:
        return ProposalFailure(reason, answer=text, params={**meta, **extra}, prompt_tokens=spent[0],
                               completion_tokens=spent[1], cost_usd=spent[2])
