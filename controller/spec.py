"""Campaign specs: a TOML file naming what to search, on which hardware, with which budget and proposers.

The commented example is docs/campaign-example.toml; every key is validated here and errors name the key.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class SpecError(ValueError):
    """The campaign spec is invalid; the message names the key."""


@dataclass(frozen=True)
class Budget:
    rounds: int = 4
    candidates_per_round: int = 4
    max_evaluations: int = 0      # 0 = rounds x candidates_per_round x tasks
    wall_time_s: float = 0.0      # 0 = unlimited


@dataclass(frozen=True)
class LLMSettings:
    base_url: str = ""
    model: str = ""
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = 0.7
    max_concurrency: int = 4
    max_tokens: int = 4096
    request_timeout_s: float = 120.0
    max_retries: int = 3
    price_per_1k_prompt_usd: float = 0.0
    price_per_1k_completion_usd: float = 0.0

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.model)

    def api_key(self) -> str:
        """The key from the environment variable the spec names (keys never live in spec files)."""
        return os.environ.get(self.api_key_env, "") or "unused"


@dataclass(frozen=True)
class KnowledgeSettings:
    enabled: bool = True
    k: int = 5
    db: str = ""                  # "" = the default store ($HAWK_HOME/knowledge.sqlite)


@dataclass(frozen=True)
class AgentSettings:
    addresses: tuple[str, ...] = ()
    registry: str = ""            # host:port to serve hawk.v1.Registry on ("" = no registry)
    token_file: str = ""
    tls_ca: str = ""                # CA of the agents' certificates (TLS to agents)
    tls_cert: str = ""              # the controller's certificate and key: for agents that require mutual TLS,
    tls_key: str = ""               # and served by the Registry

    local: int = 0                # agents to start on this machine (the twin), for demos and laptops
    local_devices: int = 1
    local_backend: str = "simnpu"  # "null" for load tests of the farm
    backend: str = ""             # the backend every evaluation must run on ("" = local_backend); others never used
    shard: str = ""               # scheduler shard: "" the shared one, "hardware" the profile's, else an agent group


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    tasks: tuple[str, ...]        # built-in names, "category:NAME", or task file paths
    hardware: str = "ascend910b2"
    team: str = "default"
    priority: int = 0
    output_dir: str = "runs"
    seed: int = 0
    budget: Budget = field(default_factory=Budget)
    proposers: dict[str, float] = field(default_factory=lambda: {"offline": 1.0})
    llm: LLMSettings = field(default_factory=LLMSettings)
    knowledge: KnowledgeSettings = field(default_factory=KnowledgeSettings)
    agents: AgentSettings = field(default_factory=AgentSettings)
    text: str = ""                # the TOML as given, stored with the campaign
    base_dir: Path = Path(".")

    @property
    def backend(self) -> str:
        """The backend this campaign's candidates are evaluated on; agents of another backend are never used."""
        return self.agents.backend or self.agents.local_backend


_PROPOSERS = {"offline", "llm"}

# Every numeric key and its inclusive range (docs/campaign-example.toml lists them): an absurd value
# (`rounds = 99999999999999999999`, a negative timeout, nan) is refused with the key and the range.
RANGES: dict[str, tuple[float, float]] = {
    "priority": (-1000, 1000),
    "seed": (0, 2**63 - 1),
    "budget.rounds": (1, 100_000),
    "budget.candidates_per_round": (1, 10_000),
    "budget.max_evaluations": (0, 100_000_000),
    "budget.wall_time_s": (0, 30 * 86400),
    "llm.temperature": (0, 2),
    "llm.max_concurrency": (1, 1024),
    "llm.max_tokens": (1, 1_000_000),
    "llm.request_timeout_s": (0.001, 3600),
    "llm.max_retries": (0, 100),
    "llm.price_per_1k_prompt_usd": (0, 1000),
    "llm.price_per_1k_completion_usd": (0, 1000),
    "knowledge.k": (1, 100),
    "agents.local": (0, 64),
    "agents.local_devices": (1, 1024),
    "proposers.*": (0, 1_000_000),
}


def _check_range(where: str, key: str, value: float, ranges_key: str | None = None) -> None:
    low, high = RANGES[ranges_key or key]
    span = f"{_num(low)}..{_num(high)}"
    if isinstance(value, float) and not math.isfinite(value):
        raise SpecError(f"{where}: {key} must be a finite number in {span}, got {value}")
    if not low <= value <= high:
        shown = value if abs(value) < 1e15 else f"{value:.3g}"
        raise SpecError(f"{where}: {key} = {shown} is out of range {span}")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _section(data: dict[str, Any], key: str, cls: type, where: str) -> Any:
    raw = data.get(key, {})
    if not isinstance(raw, dict):
        raise SpecError(f"{where}[{key}] must be a table")
    known = {f for f in cls.__dataclass_fields__}
    unknown = set(raw) - known
    if unknown:
        raise SpecError(f"{where}[{key}]: unknown keys {sorted(unknown)}; known: {sorted(known)}")
    defaults = cls()
    kwargs = {}
    for name, value in raw.items():
        expected = type(getattr(defaults, name))
        if expected is tuple:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SpecError(f"{where}[{key}].{name} must be a list of strings")
            value = tuple(value)
        elif expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise SpecError(f"{where}[{key}].{name} must be {expected.__name__}, got {type(value).__name__}")
        kwargs[name] = value
    return cls(**kwargs)


def _check_section_ranges(where: str, section: str, obj: Any) -> None:
    for f in obj.__dataclass_fields__:
        if f"{section}.{f}" in RANGES:
            _check_range(where, f"[{section}].{f}", getattr(obj, f), f"{section}.{f}")


def parse_spec(text: str, base_dir: Path | None = None, where: str = "campaign spec") -> CampaignSpec:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{where}: {e}") from None
    top = {"name", "tasks", "hardware", "team", "priority", "output_dir", "seed", "budget", "proposers", "llm",
           "knowledge", "agents"}
    unknown = set(data) - top
    if unknown:
        raise SpecError(f"{where}: unknown keys {sorted(unknown)}; known: {sorted(top)}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or not all(c.isalnum() or c in "-_." for c in name):
        raise SpecError(f"{where}: name must be a non-empty string of letters, digits, '-', '_' or '.'")
    tasks = data.get("tasks")
    if not isinstance(tasks, list) or not tasks or not all(isinstance(t, str) and t for t in tasks):
        raise SpecError(f"{where}: tasks must be a non-empty list of task names, 'category:NAME' or task files")
    budget = _section(data, "budget", Budget, where)
    for key in ("rounds", "candidates_per_round"):
        if getattr(budget, key) < 1:
            raise SpecError(f"{where}[budget].{key} must be at least 1")
    if budget.max_evaluations < 0 or budget.wall_time_s < 0 or not math.isfinite(budget.wall_time_s):
        raise SpecError(f"{where}[budget]: max_evaluations and wall_time_s must not be negative")
    _check_section_ranges(where, "budget", budget)
    proposers = data.get("proposers", {"offline": 1.0})
    if not isinstance(proposers, dict) or not proposers:
        raise SpecError(f"{where}[proposers] must be a table of proposer = weight")
    bad = set(proposers) - _PROPOSERS
    if bad:
        raise SpecError(f"{where}[proposers]: unknown proposers {sorted(bad)}; known: {sorted(_PROPOSERS)}")
    weights = {}
    for k, v in proposers.items():
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0 or not math.isfinite(v):
            raise SpecError(f"{where}[proposers].{k} must be a finite non-negative number")
        _check_range(where, f"[proposers].{k}", v, "proposers.*")
        weights[k] = float(v)
    if sum(weights.values()) <= 0:
        raise SpecError(f"{where}[proposers]: at least one weight must be positive")
    llm = _section(data, "llm", LLMSettings, where)
    if weights.get("llm", 0) > 0 and not llm.configured:
        raise SpecError(f"{where}: proposers.llm > 0 needs [llm].base_url and [llm].model")
    if llm.max_concurrency < 1:
        raise SpecError(f"{where}[llm].max_concurrency must be at least 1")
    for key, low in (("temperature", 0.0), ("max_tokens", 1), ("request_timeout_s", 1e-9), ("max_retries", 0)):
        value = getattr(llm, key)
        if not math.isfinite(value) or value < low:
            raise SpecError(f"{where}[llm].{key} must be a finite number of at least {low:g}")
    _check_section_ranges(where, "llm", llm)
    knowledge = _section(data, "knowledge", KnowledgeSettings, where)
    _check_section_ranges(where, "knowledge", knowledge)
    if knowledge.k < 1:
        raise SpecError(f"{where}[knowledge].k must be at least 1")
    agents = _section(data, "agents", AgentSettings, where)
    _check_section_ranges(where, "agents", agents)
    if not agents.addresses and not agents.registry and agents.local < 1:
        raise SpecError(f"{where}[agents]: give addresses, a registry address, or local = N agents")
    if agents.local_backend not in ("simnpu", "null"):
        raise SpecError(f"{where}[agents].local_backend must be 'simnpu' or 'null'")
    if agents.backend not in ("", "simnpu", "null", "cann"):
        raise SpecError(f"{where}[agents].backend must be 'simnpu', 'null' or 'cann'")
    if agents.local < 0 or agents.local_devices < 1:
        raise SpecError(f"{where}[agents]: local must be >= 0 and local_devices >= 1")
    if bool(agents.tls_cert) != bool(agents.tls_key):
        raise SpecError(f"{where}[agents]: tls_cert and tls_key go together")
    if agents.shard and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}", agents.shard):
        raise SpecError(f"{where}[agents].shard: {agents.shard!r} is not a shard name (letters, digits, '.', '_', '-')")
    for key, addr in [("addresses", a) for a in agents.addresses] + (
            [("registry", agents.registry)] if agents.registry else []):
        host, _, port = addr.rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise SpecError(f"{where}[agents].{key}: {addr!r} is not host:port with a port in 0..65535")
    for key, typ in (("hardware", str), ("team", str), ("output_dir", str), ("priority", int), ("seed", int)):
        if key in data and (not isinstance(data[key], typ) or isinstance(data[key], bool)):
            raise SpecError(f"{where}: {key} must be {typ.__name__}")
        if key in data and key in RANGES:
            _check_range(where, key, data[key])
    from npu_agent.hardware import UnknownHardwareProfile, load_profile

    try:
        load_profile(data.get("hardware", "ascend910b2"))
    except UnknownHardwareProfile as e:
        raise SpecError(f"{where}: hardware: {e}") from None
    return CampaignSpec(
        name=name, tasks=tuple(tasks), hardware=data.get("hardware", "ascend910b2"),
        team=data.get("team", "default"), priority=data.get("priority", 0),
        output_dir=data.get("output_dir", "runs"), seed=data.get("seed", 0), budget=budget,
        proposers=weights, llm=llm, knowledge=knowledge, agents=agents, text=text,
        base_dir=base_dir or Path("."),
    )


def load_spec(path: str | Path) -> CampaignSpec:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"campaign spec {p} does not exist") from None
    except IsADirectoryError:
        raise SpecError(f"campaign spec {p} is a directory, not a TOML file") from None
    except OSError as e:
        raise SpecError(f"cannot read campaign spec {p}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise SpecError(f"campaign spec {p} is not UTF-8 text") from None
    return parse_spec(text, base_dir=p.resolve().parent, where=str(p))
