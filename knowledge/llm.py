"""The optional LLM of the knowledge module: it writes rationales and arbitrates distillation.

Any OpenAI-compatible chat endpoint (vLLM, SGLang, a gateway, OpenAI) via the `openai` client. Answers are
asked for as one JSON object and parsed strictly; an answer that does not parse, or an endpoint that fails,
raises `LLMUnavailable`, and the caller falls back to its deterministic rule and records that it did —
knowledge never stalls on a model.

Configured by `LLMConfig` or, for the actor and `hawk kb`, by the environment: HAWK_KB_LLM_BASE_URL,
HAWK_KB_LLM_MODEL and the key in HAWK_KB_LLM_API_KEY (docs/knowledge.md).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

from knowledge.model import Entry


class LLMUnavailable(RuntimeError):
    """The LLM failed or answered with nothing usable; the caller uses its rule instead."""


@dataclass(frozen=True)
class LLMConfig:
    base_url: str
    model: str
    api_key_env: str = "HAWK_KB_LLM_API_KEY"
    timeout_s: float = 60.0
    max_tokens: int = 800
    temperature: float = 0.0
    max_retries: int = 2

    @classmethod
    def from_env(cls) -> LLMConfig | None:
        base, model = os.environ.get("HAWK_KB_LLM_BASE_URL", ""), os.environ.get("HAWK_KB_LLM_MODEL", "")
        return cls(base_url=base, model=model) if base and model else None


RATIONALE_SYSTEM = (
    "You maintain a knowledge base of Ascend C (Huawei NPU) kernel programming facts. Given a failed or slow "
    "kernel evaluation and the change that fixed it, state the hardware constraint or optimisation behind "
    "the fix, in general terms that apply to other kernels on the same hardware. Answer with one JSON object: "
    '{"title": "<= 12 words", "rationale": "1-3 sentences"}. No other text.')

PRUNE_SYSTEM = (
    "You curate a knowledge base of Ascend C kernel facts used to guide kernel generation. An entry is credited "
    "only on kernels that applied it; each use below shows what it changed (the transformation or the diff) and "
    "the parent and child status, time, bottleneck and pipe ratios. Judge from these uses whether the entry "
    "itself is wrong or harmful (its change caused the failures or slow-downs) and should be pruned, or kept "
    "(the failures have another cause, or its uses help). Answer with one JSON object: "
    '{"decision": "prune" | "keep", "reason": "one sentence citing the uses"}. No other text.')

MERGE_SYSTEM = (
    "You curate a knowledge base of Ascend C kernel facts. Decide whether two entries state the same "
    "knowledge (then merge them, keeping the better one and optionally a combined rationale) or different "
    'knowledge (keep both). Answer with one JSON object: {"decision": "merge" | "keep_both", "keep": "<id>", '
    '"rationale": "<combined rationale or empty>", "reason": "one sentence"}. No other text.')

_JSON = re.compile(r"\{.*\}", re.S)


def parse_json_object(text: str) -> dict[str, Any]:
    """The JSON object in a model's answer (bare or in a ``` block); LLMUnavailable when there is none."""
    fenced = re.search(r"```(?:json)?\s*(\{.*?\})\s*```", text, re.S)
    candidate = fenced.group(1) if fenced else (m.group(0) if (m := _JSON.search(text)) else "")
    if not candidate:
        raise LLMUnavailable(f"answer has no JSON object: {text[:120]!r}")
    try:
        obj = json.loads(candidate)
    except json.JSONDecodeError as e:
        raise LLMUnavailable(f"answer's JSON does not parse ({e.msg}): {candidate[:120]!r}") from None
    if not isinstance(obj, dict):
        raise LLMUnavailable("answer's JSON is not an object")
    return obj


MAX_USES_SHOWN = 12  # the newest uses an arbiter sees, each as one evidence line (and a short diff)


def describe_uses(uses: list[dict[str, Any]]) -> str:
    """Per-use evidence lines: "- effect -1.00: ev-7: OK 80.0us -> WRONG_ANSWER [...] after tile 4096 -> 8192"."""
    from knowledge.evidence import summarise

    lines = []
    for u in uses[-MAX_USES_SHOWN:]:
        ev = {"evaluation_id": u["evaluation_id"], **(u.get("evidence") or {})}
        if "parent_status" not in ev and u.get("parent_passed") is not None:
            ev["parent_status"] = "OK" if u["parent_passed"] else "failed"
        if "child_status" not in ev:
            ev["child_status"] = "OK" if u["passed"] else "failed"
        lines.append(f"- effect {u['effect']:+.2f}: {summarise(ev)}")
        if ev.get("diff") and not ev.get("transform"):
            lines += ["    " + ln for ln in ev["diff"].splitlines()[:6]]
        if ev.get("credit"):
            lines.append(f"    credit: {ev['credit']}")
    return "\n".join(lines) if lines else "(no uses recorded)"


def describe_entry(e: Entry, uses: list[dict[str, Any]] | None = None) -> str:
    s = e.stats
    text = (f"id: {e.id}\ntitle: {e.title}\nkind: {e.kind}; origin: {e.origin}; state: {e.state}; "
            f"hardware: {e.hardware}\n"
            f"trigger: class={e.trigger.error_class!r} signature={e.trigger.error_signature!r} "
            f"apis={e.trigger.apis} bottleneck={e.trigger.bottleneck!r}\n"
            f"rationale: {e.rationale}\n"
            + (f"transform: {json.dumps(e.transform, sort_keys=True)}\n" if e.transform else "")
            + f"template:\n{e.template[:1500]}\n"
            f"totals: uses={s.uses} passes={s.passes} fails={s.fails} fixes={s.fixes} breaks={s.breaks} "
            f"mean_effect={s.mean_effect:.3f} geomean_speedup={s.geomean_speedup}")
    if uses is not None:
        text += f"\nuses (newest {min(len(uses), MAX_USES_SHOWN)} of {s.uses}, each on a kernel that applied it):\n"
        text += describe_uses(uses)
    return text


class KnowledgeLLM:
    """Thread-safe (the openai client is); every call returns the prompt and raw answer for the record."""

    def __init__(self, config: LLMConfig) -> None:
        if not config.base_url or not config.model:
            raise ValueError("the knowledge LLM needs base_url and model")
        import openai  # only when an LLM is configured

        self.config = config
        self._client = openai.OpenAI(base_url=config.base_url, api_key=os.environ.get(config.api_key_env) or "unused",
                                     timeout=config.timeout_s, max_retries=config.max_retries)
        self._openai = openai

    @property
    def name(self) -> str:
        return f"llm:{self.config.model}"

    def ask(self, system: str, user: str) -> str:
        try:
            resp = self._client.chat.completions.create(
                model=self.config.model, temperature=self.config.temperature, max_tokens=self.config.max_tokens,
                messages=[{"role": "system", "content": system}, {"role": "user", "content": user}])
        except self._openai.OpenAIError as e:
            raise LLMUnavailable(f"{self.config.base_url}: {type(e).__name__}: {e}") from None
        text = (resp.choices[0].message.content or "").strip() if resp.choices else ""
        if not text:
            raise LLMUnavailable(f"{self.config.base_url}: empty answer")
        return text

    def write_rationale(self, context: str) -> tuple[str, str, str, str]:
        """(title, rationale, prompt, answer) for a synthesized entry."""
        answer = self.ask(RATIONALE_SYSTEM, context)
        obj = parse_json_object(answer)
        title, rationale = obj.get("title"), obj.get("rationale")
        if not isinstance(title, str) or not title.strip() or not isinstance(rationale, str) or not rationale.strip():
            raise LLMUnavailable("answer lacks a non-empty 'title' and 'rationale'")
        return title.strip()[:200], rationale.strip()[:2000], context, answer

    def arbitrate_prune(self, entry: Entry, uses: list[dict[str, Any]] | None = None) -> tuple[str, str, str, str]:
        """(decision "prune"|"keep", reason, prompt, answer); `uses` are the entry's effect rows with evidence."""
        prompt = "Entry under review:\n" + describe_entry(entry, uses if uses is not None else [])
        answer = self.ask(PRUNE_SYSTEM, prompt)
        obj = parse_json_object(answer)
        decision, reason = obj.get("decision"), obj.get("reason")
        if decision not in ("prune", "keep") or not isinstance(reason, str) or not reason.strip():
            raise LLMUnavailable(f"prune answer needs decision prune|keep and a reason, got {obj}")
        return decision, reason.strip(), prompt, answer

    def arbitrate_merge(self, a: Entry, b: Entry, uses_a: list[dict[str, Any]] | None = None,
                        uses_b: list[dict[str, Any]] | None = None) -> tuple[str, str, str, str, str, str]:
        """(decision "merge"|"keep_both", keep id, merged rationale or "", reason, prompt, answer)."""
        prompt = f"Entry A:\n{describe_entry(a, uses_a)}\n\nEntry B:\n{describe_entry(b, uses_b)}"
        answer = self.ask(MERGE_SYSTEM, prompt)
        obj = parse_json_object(answer)
        decision, keep, reason = obj.get("decision"), obj.get("keep", ""), obj.get("reason")
        if decision not in ("merge", "keep_both") or not isinstance(reason, str) or not reason.strip():
            raise LLMUnavailable(f"merge answer needs decision merge|keep_both and a reason, got {obj}")
        if decision == "merge" and keep not in (a.id, b.id):
            raise LLMUnavailable(f"merge answer keeps {keep!r}, which is neither {a.id} nor {b.id}")
        rationale = obj.get("rationale") or ""
        return decision, keep or "", rationale if isinstance(rationale, str) else "", reason.strip(), prompt, answer
