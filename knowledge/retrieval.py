"""Bottleneck-aware 2-D retrieval: a text ranking and a hardware-state ranking that share no features, fused.

The two spaces read disjoint fields, by construction (the names are below and a test checks they are
disjoint and that changing one space's fields leaves the other's scores untouched):

- **Syntactic space** (text only): BM25 over the entry's error signature, API names, code-pattern
  identifiers, title, rationale and template, queried with the error message, the faulting API, the APIs and
  identifiers of the source and free text. The error class, bottleneck and status are *not* text here: they
  are structured features and belong to the other space. A passing kernel's bottleneck explanation is the
  profile written out in words, so it is not query text either.
- **Semantic space** (structured, hardware-aligned only): the failure's error class and status; for a
  passing kernel the profile: which pipe the time goes to (per-pipe busy ratios, bottleneck kind and pipe),
  floor limiter and achieved fraction, buffer use, core use; dtypes and category. An entry's coordinates are
  its trigger's class, status and bottleneck, its stored features (the state it was learnt on) and its
  executable transformation (which pipes it changes, and which way it moves the kernel's resources).

The semantic space is driven by the profile: the query's *focus* is its bottleneck pipe, an entry is *about*
the pipes of its trigger bottleneck, its features' busiest pipes and its transformation's pipes, and their
cosine is the heaviest group. An entry's transformation also has a *target condition*: moving a resource
(cores, on-chip buffer, copy/compute overlap, tile size) one way helps only in some states. The query's state
says what it needs (launch-bound: fewer blocks; latency-bound: more overlap; ...) and what it has no room
for (all cores busy, buffer full); an entry whose effect contradicts them is scaled down by CONTRADICTION,
so "use all cores" does not top a launch-bound kernel's list. No special cases: a table of what each parameter
moves (PARAM_EFFECTS) and what each state needs (`_needs`).

Fusion: each space's score is calibrated to [0, 1] (semantic: the weighted mean of group similarities;
syntactic: the BM25 score over the score of an ideal document holding every query term, i.e. the share of the
query's weighted terms the entry covers), and the fused score is their noisy-OR,
``1 - (1 - syn)^w_syn (1 - sem)^w_sem``: 0 when neither space finds anything, high when either is sure, higher
when both agree. Unlike reciprocal rank fusion (which gave 0.92-0.98 to any entry near the top of both lists)
an unrelated entry scores near 0 whatever its rank. docs/knowledge.md §5 has the weights and the measured
spread and rank correlation.
"""

from __future__ import annotations

import copy
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from knowledge import taxonomy
from knowledge.model import Entry, Hit
from knowledge.observation import Observation, apis_in

K1, B = 1.2, 0.75
PIPES = ("SCALAR", "MTE1", "MTE2", "MTE3", "VECTOR", "CUBE", "FIXPIPE")
_PIPE_ALIASES = {"FIXP": "FIXPIPE"}
# The pipes only one core type has: the AIC's cube unit and its L1/L0 paths, the AIV's vector unit and UB->GM.
UNIT_PIPES = {"MTE1": "cube", "CUBE": "cube", "FIXPIPE": "cube", "VECTOR": "vector", "MTE3": "vector"}

# ------------------------------------------------------------------------------- what each space reads
# The only fields each space reads (Query attributes; Entry attributes, dotted into the trigger). The
# spaces get their inputs through Query.view / entry_view with these names and nothing else.
SYNTACTIC_QUERY_FIELDS = ("text", "error_text", "error_api", "apis", "source")
SEMANTIC_QUERY_FIELDS = ("error_class", "status", "bottleneck", "pipes", "floor_limiter", "floor_fraction",
                         "buffer_use", "core_use", "dtypes", "category")
SYNTACTIC_ENTRY_FIELDS = ("title", "rationale", "template", "trigger.error_signature", "trigger.apis",
                          "trigger.code_pattern")
SEMANTIC_ENTRY_FIELDS = ("trigger.error_class", "trigger.status", "trigger.bottleneck", "features", "transform")

# ------------------------------------------------------------------------------------- syntactic space
# Entry fields and their term-frequency weights (BM25F-style).
FIELD_WEIGHTS = {"trigger.error_signature": 3.0, "trigger.apis": 3.0, "trigger.code_pattern": 1.0, "title": 2.0,
                 "rationale": 1.0, "template": 0.5}
# Query parts and their weights: the error weighs most, then the APIs, the free text, and the source lightly.
QUERY_WEIGHTS = {"text": 1.0, "error_text": 2.0, "error_api": 3.0, "apis": 1.5, "source": 0.3}
SOURCE_TERMS = 60  # the source's most frequent identifiers that enter the query

# -------------------------------------------------------------------------------------- semantic space
# Group weights. The score is the weighted mean over the groups the *query* has.
GROUP_WEIGHTS = {"outcome": 1.0, "error_class": 3.0, "status": 1.0, "pipes": 3.0, "bottleneck_kind": 1.0,
                 "effect": 2.0, "units": 1.0, "floor_limiter": 0.5, "floor_fraction": 0.25, "buffer_use": 0.5,
                 "core_use": 0.5, "category": 0.5, "dtypes": 0.25}
CONTRADICTION = 0.2     # factor on the semantic score of an entry whose effect the query's state contradicts
FOCUS_OTHERS = 0.5      # weight of the non-bottleneck pipes in the query's focus, times (ratio / top ratio)^2
TRANSFORM_PIPE_OTHERS = 0.6  # weight of a transformation's pipes after its first (main) one
FULL_CORES = 0.99       # core use at or above which "more cores" has no room
FULL_BUFFER = 0.9       # buffer use at or above which "more on-chip buffer" has no room

# What moving a transformation's parameter *up* moves in the kernel's state ("down" moves it the other way).
PARAM_EFFECTS: dict[str, tuple[str, ...]] = {
    "cores": ("cores",),                                   # vector core_count, cube mm_core_split
    "depth": ("overlap", "buffer"),                        # queue_depth
    "l1": ("overlap", "buffer"), "l0": ("overlap", "buffer"), "co1": ("overlap", "buffer"),  # mm_pingpong
    "in": ("overlap", "buffer"), "out": ("overlap", "buffer"),                              # attn_pingpong
    "tile": ("tile", "buffer"), "chunk": ("tile", "buffer"), "rows": ("tile", "buffer"),   # tile, attn_chunk, row_tile
    "BASE_M": ("tile", "buffer"), "BASE_N": ("tile", "buffer"), "BASE_K": ("tile", "buffer"),  # mm_base_block
}

_STOP_WORDS = """
a an and are as at be by for from has have if in is it its of on or that the this to was were with will not no
int void const constexpr return auto uint8_t uint16_t uint32_t uint64_t int8_t int16_t int32_t int64_t float
half bool true false static inline struct class public private template typename namespace using extern if else
for while do break continue sizeof include define aicore global gm_addr ascendc this
"""
_STOP = frozenset(_STOP_WORDS.split())
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d{2,}")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def tokens(text: str) -> list[str]:
    """Lower-case identifier tokens plus their camelCase/snake_case parts, without stop words."""
    out: list[str] = []
    for tok in _TOKEN.findall(text):
        low = tok.lower()
        if low in _STOP or len(low) < 2:
            continue
        out.append(low)
        parts = [p.lower() for chunk in tok.split("_") for p in _CAMEL.findall(chunk)]
        if len(parts) > 1:
            out += [p for p in parts if len(p) >= 2 and p not in _STOP and p != low]
    return out


@dataclass
class Query:
    """What to retrieve for: free text and/or an evaluation's error, source and hardware coordinates."""

    text: str = ""
    error_text: str = ""
    error_class: str = ""
    error_api: str = ""
    status: str = ""
    apis: list[str] = field(default_factory=list)
    source: str = ""
    bottleneck: str = ""
    pipes: dict[str, float] = field(default_factory=dict)
    floor_limiter: str = ""
    floor_fraction: float | None = None
    buffer_use: float | None = None
    core_use: float | None = None
    dtypes: list[str] = field(default_factory=list)
    category: str = ""
    hardware: str = ""

    @classmethod
    def from_observation(cls, obs: Observation) -> Query:
        """A passing kernel queries with its source and profile: its "SLOW:..." class and the profile's
        explanation restate the bottleneck, which the semantic space reads from the profile itself."""
        failed = not obs.passed
        return cls(error_text=obs.error_message if failed else "", error_class=obs.error_class if failed else "",
                   error_api=obs.error_api, status=obs.status if failed else "", apis=obs.apis, source=obs.source,
                   bottleneck=obs.bottleneck, pipes=dict(obs.pipes), floor_limiter=getattr(obs, "floor_limiter", ""),
                   floor_fraction=obs.floor_fraction, buffer_use=obs.buffer_use, core_use=obs.core_use,
                   dtypes=list(obs.dtypes), category=obs.category, hardware=obs.hardware)

    @classmethod
    def from_text(cls, text: str, hardware: str = "", **coords: Any) -> Query:
        """A free-text query; an error class or API named in it also sets the matching coordinate."""
        q = cls(text=text, hardware=hardware, **coords)
        if not q.error_class:
            for word in re.findall(r"[A-Z][A-Z0-9_:]{3,}", text):
                if word in taxonomy.FAMILIES or word.startswith("SLOW:"):
                    q.error_class = word
                    break
        if not q.apis:
            q.apis = apis_in(text)
        return q

    def view(self, names: tuple[str, ...]) -> dict[str, Any]:
        return {n: getattr(self, n) for n in names}

    def terms(self) -> Counter[str]:
        return query_terms(self.view(SYNTACTIC_QUERY_FIELDS))

    def state(self) -> dict[str, Any]:
        return query_state(self.view(SEMANTIC_QUERY_FIELDS))


def entry_view(e: Entry, names: tuple[str, ...]) -> dict[str, Any]:
    """The named entry fields ("trigger.x" reads the trigger); a missing field (older model) reads as None."""
    out = {}
    for n in names:
        obj: Any = e
        for part in n.split("."):
            obj = getattr(obj, part, None)
        out[n] = obj
    return out


# ------------------------------------------------------------------------------------- syntactic space
def query_terms(view: dict[str, Any]) -> Counter[str]:
    """Weighted query terms from the syntactic fields only."""
    w: Counter[str] = Counter()
    for t in tokens(view.get("text") or ""):
        w[t] += QUERY_WEIGHTS["text"]
    for t in tokens(view.get("error_text") or ""):
        w[t] += QUERY_WEIGHTS["error_text"]
    for t in tokens(view.get("error_api") or ""):
        w[t] += QUERY_WEIGHTS["error_api"]
    for api in view.get("apis") or []:
        w[api.lower()] += QUERY_WEIGHTS["apis"]
    if view.get("source"):
        for t, _ in Counter(tokens(view["source"])).most_common(SOURCE_TERMS):
            w[t] += QUERY_WEIGHTS["source"]
    return w


def entry_document(view: dict[str, Any]) -> Counter[str]:
    """An entry's weighted bag of terms, from its text fields only."""
    doc: Counter[str] = Counter()
    for name, weight in FIELD_WEIGHTS.items():
        value = view.get(name)
        if not value:
            continue
        if name == "trigger.apis":
            text = " ".join(value)
            for api in value:
                doc[api.lower()] += weight
        elif name == "trigger.code_pattern":
            text = re.sub(r"\\[a-z]|[^A-Za-z0-9_]", " ", value)
        else:
            text = str(value)
        for tok in tokens(text):
            doc[tok] += weight
    return doc


# -------------------------------------------------------------------------------------- semantic space
def _pipe(name: str) -> str:
    return _PIPE_ALIASES.get(name, name)


def _norm_pipes(pipes: Any) -> dict[str, float]:
    """Busy ratios scaled to the busiest pipe and squared, so the busiest pipes dominate."""
    if not isinstance(pipes, dict):
        return {}
    vals = {_pipe(str(p)): float(r) for p, r in pipes.items() if _pipe(str(p)) in PIPES and float(r) > 0}
    top = max(vals.values(), default=0.0)
    return {p: (r / top) ** 2 for p, r in vals.items()} if top else {}


def _needs(kind: str, pipe: str, core_use: float | None,
           buffer_use: float | None) -> tuple[dict[str, int], dict[str, str]]:
    """What the state needs (resource -> direction that helps) and what it has no room for (resource -> why).

    Launch-bound: the launch costs per block (npu_agent/hardware [launch]), so fewer blocks help. Pipe- and
    latency-bound: the cores' work is the time, so more cores help and fewer hurt (more is blocked when all are
    busy); latency-bound also gains from overlap (the pipes wait on each other); a copy-, scalar- or vector-bound
    kernel gains from longer tiles (fewer per-tile overheads: a copy's start-up, a loop iteration, a vector
    instruction's fixed cost before its repeats, npu_agent/hardware/costs [vector] head_cycles)."""
    need: dict[str, int] = {}
    if kind == "LAUNCH_BOUND":
        need["cores"] = -1
    elif kind in ("PIPE_BOUND", "LATENCY_BOUND"):
        need["cores"] = 1  # more parallel work; blocked below when every core is already busy
        if kind == "LATENCY_BOUND":
            need["overlap"] = 1
        elif pipe in ("MTE2", "MTE3", "SCALAR", "VECTOR"):
            need["tile"] = 1
    full: dict[str, str] = {}
    if core_use is not None and core_use >= FULL_CORES:
        full["cores"] = f"core use {core_use:.2f}"
    if buffer_use is not None and buffer_use >= FULL_BUFFER:
        full["buffer"] = f"buffer use {buffer_use:.2f}"
    return need, full


def query_state(view: dict[str, Any]) -> dict[str, Any]:
    """The query's semantic coordinates, from the semantic fields only."""
    s: dict[str, Any] = {}
    cls, bottleneck = view.get("error_class") or "", view.get("bottleneck") or ""
    if cls.startswith("SLOW:"):
        bottleneck = bottleneck or cls.removeprefix("SLOW:")  # a performance class is a bottleneck, not an error
    elif cls:
        s["error_class"] = cls
    if view.get("status"):
        s["status"] = view["status"]
    kind, _, pipe = bottleneck.partition(":")
    if "error_class" in s or (view.get("status") or "OK") != "OK":
        s["outcome"] = "fail"
    elif kind:
        s["outcome"] = "pass"
    pipe = _pipe(pipe)
    if kind:
        s["bottleneck_kind"] = kind
    busy = view.get("pipes") or {}
    if kind != "LAUNCH_BOUND":  # a launch-bound kernel's time is the launch: its busiest pipe is incidental
        focus = {p: FOCUS_OTHERS * v for p, v in _norm_pipes(busy).items()}
        if pipe in PIPES:
            focus[pipe] = 1.0
        if focus:
            s["pipes"] = focus
    units = {UNIT_PIPES[_pipe(p)] for p, r in busy.items() if _pipe(p) in UNIT_PIPES and float(r) > 0}
    if units:
        s["units"] = units
    if kind:
        need, full = _needs(kind, pipe, view.get("core_use"), view.get("buffer_use"))
        s["effect"] = (need, full, bottleneck)
    for name in ("floor_limiter", "floor_fraction", "buffer_use", "core_use", "category"):
        if view.get(name) not in (None, ""):
            s[name] = view[name]
    if view.get("dtypes"):
        s["dtypes"] = list(view["dtypes"])
    return s


_TRANSFORM_PIPES: dict[str, tuple[str, ...] | None] = {}


def _transform_pipes(name: str) -> tuple[str, ...] | None:
    """The pipes a registered transformation mainly changes (its main one first), None when unknown here."""
    if name not in _TRANSFORM_PIPES:
        try:
            from knowledge import transforms

            _TRANSFORM_PIPES[name] = tuple(_pipe(p) for p in transforms.get(name).pipes)
        except Exception:  # noqa: BLE001 - an unknown or broken transformation must not break retrieval
            _TRANSFORM_PIPES[name] = None
    return _TRANSFORM_PIPES[name]


def transform_effects(transform: Any) -> dict[str, int]:
    """Resource -> direction the entry's transformation moves it ("up"/"down" values; a fixed value: none)."""
    eff: dict[str, int] = {}
    if not isinstance(transform, dict) or not isinstance(transform.get("values"), dict):
        return eff
    for param, value in transform["values"].items():
        sign = {"up": 1, "double": 1, "down": -1, "half": -1}.get(value) if isinstance(value, str) else None
        if sign is None:
            continue
        for resource in PARAM_EFFECTS.get(param, ()):
            eff[resource] = sign
    return eff


def entry_state(view: dict[str, Any]) -> dict[str, Any]:
    """An entry's semantic coordinates, from the semantic fields only."""
    s: dict[str, Any] = {}
    feats = view.get("features") if isinstance(view.get("features"), dict) else {}
    cls = view.get("trigger.error_class") or feats.get("error_class") or ""
    if cls and not cls.startswith("SLOW"):
        s["error_class"] = cls
    status = view.get("trigger.status") or feats.get("status") or ""
    if status and status != "OK":
        s["status"] = status
    bottleneck = view.get("trigger.bottleneck") or feats.get("bottleneck") or ""
    if not bottleneck and cls.startswith("SLOW:"):
        bottleneck = cls.removeprefix("SLOW:")
    kind, _, pipe = str(bottleneck).partition(":")
    if kind:
        s["bottleneck_kind"] = kind
    if "error_class" in s or "status" in s:
        s["outcome"] = "fail"  # a failure's entry: its target condition is that failure
    elif kind:
        s["outcome"] = "pass"
    about = dict(_norm_pipes(feats.get("pipes")))
    if _pipe(pipe) in PIPES and kind != "LAUNCH_BOUND":
        about[_pipe(pipe)] = 1.0
    tr = view.get("transform")
    tpipes = _transform_pipes(str(tr.get("name"))) if isinstance(tr, dict) and tr.get("name") else None
    units: set[str] = set()
    if tpipes:
        for i, p in enumerate(tpipes):
            if p in PIPES:
                about[p] = max(about.get(p, 0.0), 1.0 if i == 0 else TRANSFORM_PIPE_OTHERS)
        units = {UNIT_PIPES[p] for p in tpipes if p in UNIT_PIPES}  # the code it rewrites runs there
    if about:
        s["pipes"] = about
    hard = bool(units)
    if not units and _pipe(pipe) in UNIT_PIPES and kind != "LAUNCH_BOUND":
        # Written for a kernel bound by a pipe only one core type has (the vector unit, the cube): it is about
        # that core's code, as a transformation that rewrites it is.
        units, hard = {UNIT_PIPES[_pipe(pipe)]}, True
    if not units:
        units = {UNIT_PIPES[p] for p, w in about.items() if w >= 0.5 and p in UNIT_PIPES}
    if units:
        s["units"] = (units, hard)
    eff = transform_effects(tr)
    if eff:
        s["effect"] = (eff, str(tr.get("name")))
    for name in ("floor_limiter", "floor_fraction", "buffer_use", "core_use", "category"):
        if feats.get(name) not in (None, ""):
            s[name] = feats[name]
    if feats.get("dtypes"):
        s["dtypes"] = feats["dtypes"]
    return s


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    na, nb = math.sqrt(sum(x * x for x in a.values())), math.sqrt(sum(x * x for x in b.values()))
    if not na or not nb:
        return 0.0
    return sum(a[p] * b.get(p, 0.0) for p in a) / (na * nb)


def _group_similarity(group: str, q: Any, e: Any) -> tuple[float, str, str]:
    """(similarity in [0, 1], why it matched, why it contradicts)."""
    if group == "error_class":
        if q == e:
            return 1.0, f"error class {q} matches", ""
        fq, fe = taxonomy.family(q), taxonomy.family(e)
        if fq and fq == fe and fq != "other":
            return 0.5, f"same error family ({fq}: {e})", ""
        return 0.0, "", ""
    if group == "pipes":
        cos = _cosine(q, e)
        top = max(e, key=lambda p: e[p])
        return cos, f"about {top} like the kernel's pipes (cosine {cos:.2f})" if cos >= 0.7 else "", ""
    if group == "bottleneck_kind":
        return (1.0, f"bottleneck kind {q}", "") if q == e else (0.0, "", "")
    if group == "effect":
        (need, full, bottleneck), (eff, name) = q, e
        bad = [f"{name} lowers {r} but the {bottleneck} kernel needs more" if need[r] > 0 else
               f"{name} raises {r} but the {bottleneck} kernel needs less" for r, d in eff.items()
               if r in need and need[r] != d]
        bad += [f"{name} raises {r} but {full[r]} leaves no room" for r, d in eff.items() if d > 0 and r in full]
        if bad:
            return 0.0, "", "; ".join(bad)
        good = [r for r, d in eff.items() if need.get(r) == d]
        if good:
            return 1.0, f"{name} moves {', '.join(good)} the way a {bottleneck} kernel needs", ""
        return 0.0, "", ""
    if group == "units":
        units, hard = e
        if q & units:
            return 1.0, "", ""
        why = f"written for {'/'.join(sorted(units))} kernels, this one runs on {'/'.join(sorted(q))}"
        return 0.0, "", why if hard else ""
    if group == "outcome":
        if q == e:
            return 1.0, "", ""
        written, this = ("failing", "passes") if e == "fail" else ("passing", "fails")
        return 0.0, "", f"written for {written} kernels, this one {this}"
    if group in ("status", "category", "floor_limiter"):
        return (1.0, f"{group.replace('_', ' ')} {q} matches", "") if q == e else (0.0, "", "")
    if group in ("buffer_use", "core_use", "floor_fraction"):
        sim = max(0.0, 1.0 - abs(float(q) - float(e)))
        return sim, f"{group.replace('_', ' ')} {float(q):.2f} vs {float(e):.2f}" if sim >= 0.85 else "", ""
    if group == "dtypes":
        a, b = set(q), set(e)
        sim = len(a & b) / len(a | b) if a | b else 0.0
        return sim, f"dtype {', '.join(sorted(a & b))}" if sim else "", ""
    return 0.0, "", ""


def semantic_similarity(query: dict[str, Any], entry: dict[str, Any]) -> tuple[float, list[str]]:
    """Weighted mean of group similarities over the query's groups (states from query_state/entry_state),
    scaled by CONTRADICTION when the entry's effect goes against the query's state; with the reasons."""
    total = sum(GROUP_WEIGHTS[g] for g in query if g in GROUP_WEIGHTS)
    if not total:
        return 0.0, []
    score, reasons, against = 0.0, [], []
    for g, qv in query.items():
        if g not in GROUP_WEIGHTS or g not in entry:
            continue
        try:
            sim, why, bad = _group_similarity(g, qv, entry[g])
        except (TypeError, ValueError, AttributeError, KeyError):
            continue  # a malformed feature on one entry must not break retrieval
        score += GROUP_WEIGHTS[g] * sim
        if why:
            reasons.append(why)
        if bad:
            against.append(bad)
    score /= total
    if against:
        score *= CONTRADICTION
        reasons.append("contradicts the state: " + "; ".join(against))
    return score, reasons


class _Index:
    """BM25 index of a snapshot of entries (rebuilt when the store's revision moves), with their states."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self.docs = [entry_document(entry_view(e, SYNTACTIC_ENTRY_FIELDS)) for e in entries]
        self.states = [entry_state(entry_view(e, SEMANTIC_ENTRY_FIELDS)) for e in entries]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avgdl = (sum(self.lengths) / len(self.lengths)) if self.lengths and any(self.lengths) else 1.0
        self.df: Counter[str] = Counter()
        for d in self.docs:
            self.df.update(d.keys())

    def idf(self, t: str) -> float:
        n = len(self.docs)
        return math.log(1 + (n - self.df[t] + 0.5) / (self.df[t] + 0.5))

    def bm25(self, terms: Counter[str]) -> list[tuple[float, list[str]]]:
        """Per entry: the BM25 score over the ideal score (every query term, saturated), and the top terms.

        The ideal document matches each query term with term frequency far above K1 at average length, so
        the ratio is the share of the query's weighted, idf-scaled terms the entry covers: in [0, 1]."""
        ideal = sum(qw * self.idf(t) * (K1 + 1) for t, qw in terms.items())
        out = []
        for doc, dl in zip(self.docs, self.lengths, strict=True):
            score, contrib = 0.0, []
            for t, qw in terms.items():
                tf = doc.get(t)
                if not tf:
                    continue
                s = qw * self.idf(t) * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / self.avgdl))
                score += s
                contrib.append((s, t))
            contrib.sort(reverse=True)
            out.append((min(1.0, score / ideal) if ideal else 0.0, [t for _, t in contrib[:5]]))
        return out


def fuse(syntactic: float, semantic: float, w_syntactic: float = 1.0, w_semantic: float = 1.0) -> float:
    """Noisy-OR of the two calibrated scores: 0 when neither space matches, 1 when either is certain."""
    return 1.0 - (1.0 - syntactic) ** w_syntactic * (1.0 - semantic) ** w_semantic


class Retriever:
    """2-D retrieval over a KnowledgeStore; thread-safe, caches its index per store revision."""

    def __init__(self, store: Any, *, w_syntactic: float = 1.0, w_semantic: float = 1.0,
                 min_semantic: float = 0.1) -> None:
        self.store = store
        self.w_syn, self.w_sem, self.min_sem = w_syntactic, w_semantic, min_semantic
        self._lock = threading.Lock()
        self._cache: dict[tuple[int, str, bool, bool], _Index] = {}

    def _index(self, hardware: str, include_pending: bool, include_trial: bool = False) -> _Index:
        key = (self.store.revision(), hardware, include_pending, include_trial)
        with self._lock:
            idx = self._cache.get(key)
            if idx is None:
                states = ("active",) + (("pending",) if include_pending else ()) + (("trial",) if include_trial else ())
                idx = _Index(self.store.entries(states=states, hardware=hardware or None, with_stats=False))
                self._cache = {key: idx}
            return idx

    def scores(self, query: Query | Observation | str, *, include_pending: bool = False,
               include_trial: bool = False) -> list[tuple[Entry, float, float, float]]:
        """(entry, fused, syntactic, semantic) for every entry in scope, in store order: for measurements."""
        query = _as_query(query)
        idx = self._index(query.hardware, include_pending, include_trial)
        syn = idx.bm25(query.terms())
        qs = query.state()
        out = []
        for e, (s, _), es in zip(idx.entries, syn, idx.states, strict=True):
            sem = semantic_similarity(qs, es)[0]
            out.append((e, fuse(s, sem, self.w_syn, self.w_sem), s, sem))
        return out

    def retrieve(self, query: Query | Observation | str, k: int = 5, *, include_pending: bool = False,
                 include_trial: bool = False) -> list[Hit]:
        """The top k entries for the query, each with fused, syntactic and semantic scores and reasons."""
        query = _as_query(query)
        if k < 1:
            return []
        idx = self._index(query.hardware, include_pending, include_trial)
        if not idx.entries:
            return []
        syn = idx.bm25(query.terms())
        qs = query.state()
        sem = [semantic_similarity(qs, es) for es in idx.states]
        syn_rank = {i: r for r, i in enumerate(sorted((i for i, (s, _) in enumerate(syn) if s > 0),
                                                      key=lambda i: -syn[i][0]), 1)}
        sem_rank = {i: r for r, i in enumerate(sorted((i for i, (s, _) in enumerate(sem) if s >= self.min_sem),
                                                      key=lambda i: -sem[i][0]), 1)}
        # Candidates: a text match, or a semantic score of at least min_semantic; scored as in `scores`.
        fused = [(fuse(syn[i][0], sem[i][0], self.w_syn, self.w_sem), i) for i in set(syn_rank) | set(sem_rank)]
        fused.sort(key=lambda x: (-x[0], idx.entries[x[1]].id))
        hits = []
        stats = self.store.stats_for([idx.entries[i].id for _, i in fused[:k]]) if fused else {}
        for score, i in fused[:k]:
            e = copy.deepcopy(idx.entries[i])  # the caller may mutate its hit; the cached index must not change
            if e.id in stats:
                e.stats = stats[e.id]
            reasons = []
            if i in syn_rank:
                reasons.append(f"syntactic #{syn_rank[i]}: {', '.join(syn[i][1])}")
            if i in sem_rank:
                reasons.append(f"semantic #{sem_rank[i]}: {', '.join(sem[i][1]) or 'weak match'}")
            hits.append(Hit(entry=e, score=round(score, 6), syntactic_score=round(syn[i][0], 6),
                            semantic_score=round(sem[i][0], 6), reasons=tuple(reasons)))
        return hits


def _as_query(query: Query | Observation | str) -> Query:
    if isinstance(query, Observation):
        return Query.from_observation(query)
    if isinstance(query, str):
        return Query.from_text(query)
    return query
