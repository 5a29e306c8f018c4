"""The data of the knowledge store: entries in Hawk's triple-part executable representation, and what the
store hands back (hits, violations, effects, decisions).

Everything here is plain data (dataclasses of JSON-able values) so it pickles across Ray and round-trips
through JSONL unchanged; `Entry.to_dict`/`Entry.from_dict` are the one serialisation used by both.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

# trial: a synthesised template not yet re-verified on another kernel (retrieved only when asked for).
ENTRY_STATES = ("active", "trial", "pending", "deleted")
ENTRY_KINDS = ("constraint", "fix", "optimization")
ORIGINS = ("seed", "synthesis", "import", "merge", "manual")


class KnowledgeError(ValueError):
    """Bad input to the knowledge store; the message names the field or the line at fault."""


class EntryNotFound(KeyError):
    """No entry with this id (soft-deleted entries are still found)."""

    def __str__(self) -> str:
        return f"no knowledge entry {self.args[0]!r}"


@dataclass
class Trigger:
    """When an entry applies: the indexing side of the triple (what retrieval and synthesis match on)."""

    error_class: str = ""        # taxonomy class, e.g. "UB_OUT_OF_BOUNDS", "UNKNOWN_API", "SLOW:PIPE_BOUND:MTE2"
    error_signature: str = ""    # normalised error text (numbers and names replaced), e.g. "no member named <id>"
    status: str = ""             # hawk.v1.Status name of the evaluation that raised it, "" for seed/manual
    apis: list[str] = field(default_factory=list)   # Ascend C API names involved, e.g. ["DataCopy"]
    code_pattern: str = ""       # regex over candidate source that marks the situation (optional)
    bottleneck: str = ""         # "PIPE_BOUND:MTE2", "LATENCY_BOUND:VECTOR", "" when not a performance entry

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Trigger:
        data = dict(data or {})
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise KnowledgeError(f"trigger has unknown field(s) {sorted(unknown)}")
        t = cls(**data)
        if not isinstance(t.apis, list) or not all(isinstance(a, str) for a in t.apis):
            raise KnowledgeError("trigger.apis must be a list of API names")
        for name in ("error_class", "error_signature", "status", "code_pattern", "bottleneck"):
            if not isinstance(getattr(t, name), str):
                raise KnowledgeError(f"trigger.{name} must be a string")
        return t


@dataclass
class Stats:
    """Effect statistics of one entry, aggregated from its effect rows (the store's single source of truth)."""

    uses: int = 0
    passes: int = 0
    fails: int = 0
    fixes: int = 0           # parent failed, child passed
    breaks: int = 0          # parent passed, child failed
    effect_sum: float = 0.0
    effect_sumsq: float = 0.0
    speedup_n: int = 0
    speedup_log_sum: float = 0.0  # sum of log(speedup) over uses where both passed

    @property
    def mean_effect(self) -> float:
        return self.effect_sum / self.uses if self.uses else 0.0

    @property
    def effect_stderr(self) -> float:
        if self.uses < 2:
            return math.inf
        var = max(0.0, (self.effect_sumsq - self.effect_sum ** 2 / self.uses) / (self.uses - 1))
        return math.sqrt(var / self.uses)

    @property
    def geomean_speedup(self) -> float | None:
        return math.exp(self.speedup_log_sum / self.speedup_n) if self.speedup_n else None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["mean_effect"] = self.mean_effect
        d["geomean_speedup"] = self.geomean_speedup
        return d


@dataclass
class Entry:
    """One piece of hardware knowledge: trigger (when), rationale (why), template (the exact code)."""

    id: str
    title: str
    rationale: str
    trigger: Trigger = field(default_factory=Trigger)
    template: str = ""            # exact code realising it; for synthesized entries the verified diff
    kind: str = "constraint"      # constraint | fix | optimization
    state: str = "active"         # active | trial (template verified once) | pending (no template yet) | deleted
    hardware: str = "*"           # hardware profile scope, "*" = any
    features: dict[str, Any] = field(default_factory=dict)  # semantic-space coordinates (see retrieval.py)
    check: dict[str, Any] | None = None  # executable check (see checks.py), or None
    transform: dict[str, Any] | None = None  # executable template: {"name": <transform>, "values": {p: v|"up"|"down"|"double"|"half"}}
    provenance: list[dict[str, Any]] = field(default_factory=list)  # evaluations (or documents) behind it
    origin: str = "manual"        # seed | synthesis | import | merge | manual
    key: str = ""                 # dedup key: one live entry per key (synthesis uses signature + hardware)
    rationale_by: str = ""        # "rule", "llm:<model>", "doc"
    deleted_reason: str = ""
    merged_into: str = ""
    version: int = 1
    created: float = 0.0
    updated: float = 0.0
    stats: Stats = field(default_factory=Stats)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["stats"] = self.stats.to_dict()
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, check_names: bool = True) -> Entry:
        """Build and validate an entry; raises KnowledgeError naming the first bad field.

        `check_names=False` (the store reading its own rows) skips the lookup of the transformation's name in
        this build's registry, so an entry written by a build with more transformations stays readable.
        """
        if not isinstance(data, dict):
            raise KnowledgeError(f"an entry must be an object, got {type(data).__name__}")
        data = dict(data)
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise KnowledgeError(f"entry has unknown field(s) {sorted(unknown)}")
        stats = data.pop("stats", None) or {}
        trigger = Trigger.from_dict(data.pop("trigger", None))
        for name in ("id", "title", "rationale"):
            if not isinstance(data.get(name), str) or not data.get(name, "").strip():
                raise KnowledgeError(f"entry field {name!r} is required and must be a non-empty string")
        e = cls(trigger=trigger, **data)
        e.stats = Stats(**{k: v for k, v in stats.items() if k in {f.name for f in fields(Stats)}})
        e.validate(check_names=check_names)
        return e

    def validate(self, *, check_names: bool = True) -> None:
        if self.kind not in ENTRY_KINDS:
            raise KnowledgeError(f"entry {self.id}: kind {self.kind!r} is not one of {ENTRY_KINDS}")
        if self.state not in ENTRY_STATES:
            raise KnowledgeError(f"entry {self.id}: state {self.state!r} is not one of {ENTRY_STATES}")
        if self.origin not in ORIGINS:
            raise KnowledgeError(f"entry {self.id}: origin {self.origin!r} is not one of {ORIGINS}")
        if not isinstance(self.features, dict):
            raise KnowledgeError(f"entry {self.id}: features must be an object")
        if not isinstance(self.provenance, list) or not all(isinstance(p, dict) for p in self.provenance):
            raise KnowledgeError(f"entry {self.id}: provenance must be a list of objects")
        if not isinstance(self.template, str):
            raise KnowledgeError(f"entry {self.id}: template must be a string")
        if self.check is not None:
            from knowledge.checks import validate_check  # local: checks imports model

            try:
                validate_check(self.check)
            except KnowledgeError as e:
                raise KnowledgeError(f"entry {self.id}: {e}") from None
        if self.transform is not None:
            try:
                validate_transform(self.transform, check_names=check_names)
            except KnowledgeError as e:
                raise KnowledgeError(f"entry {self.id}: {e}") from None
        if self.state == "deleted" and not self.deleted_reason:
            raise KnowledgeError(f"entry {self.id}: a deleted entry needs deleted_reason")


DIRECTIONS = ("up", "down", "double", "half")  # one step along the domain; the nearest value >= 2x / <= x/2


def validate_transform(t: Any, *, check_names: bool = True) -> None:
    """An entry's executable template: {"name": <registered transformation>, "values": {param: value|up|down}}.

    The name and the parameters are checked against knowledge.transforms (the registry of this build);
    concrete values must lie in the parameter's domain.
    """
    if not isinstance(t, dict):
        raise KnowledgeError(f"transform must be an object, got {type(t).__name__}")
    unknown = set(t) - {"name", "values"}
    if unknown:
        raise KnowledgeError(f"transform has unknown field(s) {sorted(unknown)}")
    name, values = t.get("name"), t.get("values", {})
    if not isinstance(name, str) or not name:
        raise KnowledgeError("transform.name must be a transformation name")
    if not isinstance(values, dict) or not values:
        raise KnowledgeError(f"transform {name!r}: values must be a non-empty object {{param: value|up|down}}")
    if not check_names:
        return
    from knowledge import transforms  # local: the registry imports the families

    try:
        tr = transforms.get(name)
    except transforms.NotApplicable:
        known = ", ".join(t.name for t in transforms.all_transforms()) or "none registered"
        raise KnowledgeError(f"unknown transformation {name!r} (known: {known})") from None
    for param, value in values.items():
        try:
            p = tr.param(param)
        except KeyError:
            raise KnowledgeError(f"transformation {name!r} has no parameter {param!r}") from None
        if value not in DIRECTIONS and value not in p.values:
            raise KnowledgeError(f"transform {name!r}: {param}={value!r} is neither up/down nor one of "
                                 f"{list(p.values)}")


@dataclass(frozen=True)
class Hit:
    """One retrieval result: the entry, its fused score, the two per-space scores and why it matched."""

    entry: Entry
    score: float
    syntactic_score: float
    semantic_score: float
    reasons: tuple[str, ...] = ()

    @property
    def why(self) -> str:
        return "; ".join(self.reasons)


@dataclass(frozen=True)
class Violation:
    """A check of an entry that fires on a candidate before dispatch."""

    entry_id: str
    message: str


@dataclass(frozen=True)
class Outcome:
    """What happened when a proposal that used some entries was evaluated, against its parent.

    `speedup` is parent_time / child_time, only when both passed. `parent_passed` is None without a parent.
    """

    evaluation_id: str
    passed: bool
    parent_passed: bool | None = None
    speedup: float | None = None
    parent_evaluation_id: str = ""

    def effect(self) -> float:
        """The per-use effect in [-1, 1] that distillation averages (rules in docs/knowledge.md)."""
        if self.parent_passed is None:
            return 0.5 if self.passed else -0.5
        if self.passed and not self.parent_passed:
            return 1.0
        if not self.passed and self.parent_passed:
            return -1.0
        if not self.passed:
            return -0.25
        if self.speedup is None or self.speedup <= 0:
            return 0.0
        return max(-1.0, min(1.0, self.speedup - 1.0))


@dataclass(frozen=True)
class Decision:
    """A distillation decision, kept forever: what was decided, by whom (rule or LLM), and why."""

    action: str                  # "prune" | "merge" | "keep"
    entry_ids: tuple[str, ...]   # prune/keep: (id,); merge: (survivor, absorbed)
    by: str                      # "rule" or "llm:<model>"
    reason: str
    prompt: str = ""
    response: str = ""
    basis: str = ""              # the entries' versions and use counts the decision was made on
    id: int = 0
    at: float = 0.0
