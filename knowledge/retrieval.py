"""Bottleneck-aware 2-D retrieval: a syntactic ranking and a hardware-aligned semantic ranking, fused.

Syntactic space: BM25 over tokens of the entry's trigger (error signature, error class, API names, code
pattern), title, rationale and template, with per-field weights (a BM25F-style weighted term frequency).
Tokens keep whole identifiers (``DataCopyPad``) and add their camel/snake parts (``data``, ``copy``,
``pad``), so an API named in an error matches exactly and related APIs match partly.

Semantic space: the evaluation's hardware coordinates, compared group by group — error class (exact, or
same family), bottleneck (kind and pipe), status, per-pipe busy ratios (cosine), on-chip buffer use, core
use, dtypes, task category. The score is the weighted mean of the group similarities over the groups the
*query* has, so an entry cannot score high by matching on a group the query does not care about.

Fusion: weighted reciprocal rank fusion, ``w_syn/(k0 + rank_syn) + w_sem/(k0 + rank_sem)`` with k0 = 60,
normalised so that rank 1 in both lists scores 1.0. RRF is used because the two scores live on unrelated
scales (BM25 is unbounded, the semantic score is in [0, 1]); ranks are comparable, magnitudes are not.
docs/knowledge.md has the weights and an example.
"""

from __future__ import annotations

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
RRF_K = 60
PIPES = ("SCALAR", "MTE1", "MTE2", "MTE3", "VECTOR", "CUBE", "FIXPIPE")

# Entry fields and their term-frequency weights in the syntactic space.
FIELD_WEIGHTS = {"error_class": 3.0, "error_signature": 3.0, "apis": 3.0, "code_pattern": 1.0, "title": 2.0,
                 "rationale": 1.0, "template": 0.5}
# Semantic groups and their weights.
GROUP_WEIGHTS = {"error_class": 3.0, "bottleneck": 2.0, "status": 1.0, "pipes": 1.5, "buffer_use": 1.0,
                 "core_use": 0.5, "dtypes": 0.5, "category": 0.5}

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
    buffer_use: float | None = None
    core_use: float | None = None
    dtypes: list[str] = field(default_factory=list)
    category: str = ""
    hardware: str = ""

    @classmethod
    def from_observation(cls, obs: Observation) -> Query:
        return cls(error_text=obs.error_message, error_class=obs.error_class, error_api=obs.error_api,
                   status="" if obs.passed else obs.status, apis=obs.apis, source=obs.source,
                   bottleneck=obs.bottleneck, pipes=dict(obs.pipes), buffer_use=obs.buffer_use,
                   core_use=obs.core_use, dtypes=list(obs.dtypes), category=obs.category, hardware=obs.hardware)

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

    def terms(self) -> Counter[str]:
        """Weighted query terms: the error weighs most, then APIs, the free text, and the source lightly."""
        w: Counter[str] = Counter()
        for t in tokens(self.text):
            w[t] += 1.0
        for t in tokens(self.error_text):
            w[t] += 2.0
        for t in tokens(self.error_class.replace(":", " ")) + ([self.error_class.lower()] if self.error_class else []):
            w[t] += 2.0
        if self.error_api:
            for t in tokens(self.error_api):
                w[t] += 3.0
        for api in self.apis:
            w[api.lower()] += 1.5
        if self.source:
            src = Counter(tokens(self.source))
            for t, _ in src.most_common(60):
                w[t] += 0.3
        return w

    def features(self) -> dict[str, Any]:
        f: dict[str, Any] = {}
        for name in ("error_class", "status", "bottleneck", "category"):
            if getattr(self, name):
                f[name] = getattr(self, name)
        if self.pipes:
            f["pipes"] = self.pipes
        if self.buffer_use is not None:
            f["buffer_use"] = self.buffer_use
        if self.core_use is not None:
            f["core_use"] = self.core_use
        if self.dtypes:
            f["dtypes"] = self.dtypes
        return f


def entry_features(e: Entry) -> dict[str, Any]:
    """The entry's semantic coordinates: its stored features, with the trigger's classes on top."""
    f = dict(e.features)
    if e.trigger.error_class:
        f["error_class"] = e.trigger.error_class
    if e.trigger.bottleneck:
        f["bottleneck"] = e.trigger.bottleneck
    if e.trigger.status:
        f["status"] = e.trigger.status
    return f


def _group_similarity(group: str, q: Any, e: Any) -> tuple[float, str]:
    if group == "error_class":
        if q == e:
            return 1.0, f"error class {q} matches"
        fq, fe = taxonomy.family(q), taxonomy.family(e)
        if fq and fq == fe and fq != "other":
            return 0.5, f"same error family ({fq}: {e})"
        return 0.0, ""
    if group == "bottleneck":
        (qk, _, qp), (ek, _, ep) = q.partition(":"), e.partition(":")
        if q == e:
            return 1.0, f"bottleneck {q} matches"
        if qp and qp == ep:
            return 0.6, f"same busiest pipe {qp}"
        if qk == ek:
            return 0.3, f"same bottleneck kind {qk}"
        return 0.0, ""
    if group in ("status", "category"):
        return (1.0, f"{group} {q} matches") if q == e else (0.0, "")
    if group == "pipes":
        a = [float(q.get(p, 0.0)) for p in PIPES]
        b = [float(e.get(p, 0.0)) for p in PIPES]
        na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(x * x for x in b))
        if not na or not nb:
            return 0.0, ""
        cos = sum(x * y for x, y in zip(a, b, strict=True)) / (na * nb)
        return cos, f"pipe profile similar (cosine {cos:.2f})" if cos >= 0.8 else ""
    if group in ("buffer_use", "core_use"):
        sim = max(0.0, 1.0 - abs(float(q) - float(e)))
        return sim, f"{group.replace('_', ' ')} {float(q):.2f} vs {float(e):.2f}" if sim >= 0.85 else ""
    if group == "dtypes":
        a, b = set(q), set(e)
        sim = len(a & b) / len(a | b) if a | b else 0.0
        return sim, f"dtype {', '.join(sorted(a & b))}" if sim else ""
    return 0.0, ""


def semantic_similarity(query: dict[str, Any], entry: dict[str, Any]) -> tuple[float, list[str]]:
    """Weighted mean of group similarities over the query's groups, with the reasons that contributed."""
    total = sum(GROUP_WEIGHTS[g] for g in query if g in GROUP_WEIGHTS)
    if not total:
        return 0.0, []
    score, reasons = 0.0, []
    for g, qv in query.items():
        if g not in GROUP_WEIGHTS or g not in entry:
            continue
        try:
            sim, why = _group_similarity(g, qv, entry[g])
        except (TypeError, ValueError, AttributeError):
            continue  # a malformed feature on one entry must not break retrieval
        score += GROUP_WEIGHTS[g] * sim
        if why:
            reasons.append(why)
    return score / total, reasons


class _Index:
    """BM25 index of a snapshot of entries (rebuilt when the store's revision moves)."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self.docs: list[Counter[str]] = []
        for e in entries:
            doc: Counter[str] = Counter()
            t = e.trigger
            fields_text = {"error_class": t.error_class.replace(":", " ") + " " + t.error_class,
                           "error_signature": t.error_signature, "apis": " ".join(t.apis),
                           "code_pattern": re.sub(r"\\[a-z]|[^A-Za-z0-9_]", " ", t.code_pattern),
                           "title": e.title, "rationale": e.rationale, "template": e.template}
            for name, text in fields_text.items():
                for tok in tokens(text):
                    doc[tok] += FIELD_WEIGHTS[name]
            for api in t.apis:
                doc[api.lower()] += FIELD_WEIGHTS["apis"]
            self.docs.append(doc)
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avgdl = (sum(self.lengths) / len(self.lengths)) if self.lengths else 1.0
        self.df: Counter[str] = Counter()
        for d in self.docs:
            self.df.update(d.keys())

    def bm25(self, terms: Counter[str]) -> list[tuple[float, list[str]]]:
        n = len(self.docs)
        out = []
        for doc, dl in zip(self.docs, self.lengths, strict=True):
            score, contrib = 0.0, []
            for t, qw in terms.items():
                tf = doc.get(t)
                if not tf:
                    continue
                idf = math.log(1 + (n - self.df[t] + 0.5) / (self.df[t] + 0.5))
                s = qw * idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / self.avgdl))
                score += s
                contrib.append((s, t))
            contrib.sort(reverse=True)
            out.append((score, [t for _, t in contrib[:5]]))
        return out


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

    def retrieve(self, query: Query | Observation | str, k: int = 5, *, include_pending: bool = False,
                 include_trial: bool = False) -> list[Hit]:
        """The top k entries for the query, each with fused, syntactic and semantic scores and reasons."""
        if isinstance(query, Observation):
            query = Query.from_observation(query)
        elif isinstance(query, str):
            query = Query.from_text(query)
        if k < 1:
            return []
        idx = self._index(query.hardware, include_pending, include_trial)
        if not idx.entries:
            return []
        syn = idx.bm25(query.terms())
        qf = query.features()
        sem = [semantic_similarity(qf, entry_features(e)) for e in idx.entries]
        syn_rank = {i: r for r, i in enumerate(sorted((i for i, (s, _) in enumerate(syn) if s > 0),
                                                      key=lambda i: -syn[i][0]), 1)}
        sem_rank = {i: r for r, i in enumerate(sorted((i for i, (s, _) in enumerate(sem) if s >= self.min_sem),
                                                      key=lambda i: -sem[i][0]), 1)}
        best = (self.w_syn + self.w_sem) / (RRF_K + 1)
        fused = []
        for i in set(syn_rank) | set(sem_rank):
            score = 0.0
            if i in syn_rank:
                score += self.w_syn / (RRF_K + syn_rank[i])
            if i in sem_rank:
                score += self.w_sem / (RRF_K + sem_rank[i])
            fused.append((score / best, syn[i][0] + sem[i][0], i))
        fused.sort(key=lambda x: (-x[0], -x[1], idx.entries[x[2]].id))
        hits = []
        stats = self.store.stats_for([idx.entries[i].id for _, _, i in fused[:k]]) if fused else {}
        for score, _, i in fused[:k]:
            e = Entry.from_dict(idx.entries[i].to_dict(), check_names=False)
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
