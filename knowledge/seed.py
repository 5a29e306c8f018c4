"""The seed pack: documented hardware knowledge for a SoC, loaded into a store before any campaign runs.

The pack is data (`seed_pack_<soc>.json` beside this module); `{hw.SECTION.KEY}` in its text is filled in
from the hardware profile, so the numbers always come from npu_agent/hardware/<soc>.toml. Seed entries
have stable ids: seeding again adds only what is missing, and never resurrects an entry distillation
deleted (a deleted seed keeps its id, so it counts as present). An entry's `transform` (its executable
template, a named transformation of knowledge/transforms) is given to a live seed entry stored by an older
build that had none or another one (the pack's guidance was corrected), as a new version.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from knowledge.checks import validate_check
from knowledge.model import Entry, KnowledgeError, Trigger, validate_transform

_HW = re.compile(r"\{hw\.([A-Za-z_]\w*)\.([A-Za-z_]\w*)\}")


def available_packs() -> list[str]:
    return sorted(p.name.removeprefix("seed_pack_").removesuffix(".json")
                  for p in resources.files(__package__).iterdir() if p.name.startswith("seed_pack_"))


def _fill(text: str, hw: Any, where: str) -> str:
    def sub(m: re.Match[str]) -> str:
        value = hw.get(m.group(1), m.group(2))
        if value is None:
            raise KnowledgeError(f"{where}: hardware profile {hw.name} has no {m.group(1)}.{m.group(2)}")
        return str(value)

    return _HW.sub(sub, text)


def load_pack(hardware: str = "ascend910b2") -> list[Entry]:
    """The pack's entries for `hardware`, numbers filled in, each validated (checks included)."""
    from npu_agent.hardware import load_profile

    name = f"seed_pack_{hardware}.json"
    path = resources.files(__package__) / name
    if not path.is_file():
        raise KnowledgeError(f"no seed pack for {hardware!r}; packs exist for {', '.join(available_packs())}")
    data = json.loads(path.read_text(encoding="utf-8"))
    hw = load_profile(hardware)
    out = []
    for raw in data["entries"]:
        where = f"{name}:{raw.get('id')}"
        source = raw.get("source")
        if not source:
            raise KnowledgeError(f"{where}: every seed entry needs its documentation source")
        check = raw.get("check")
        if check is not None:
            validate_check(check)  # messages keep their {placeholders}; they are filled per candidate
        transform = raw.get("transform")
        if transform is not None:
            try:
                validate_transform(transform)
            except KnowledgeError as err:
                raise KnowledgeError(f"{where}: {err}") from None
        e = Entry(id=raw["id"], title=raw["title"], kind=raw["kind"], state="active", hardware=data["hardware"],
                  rationale=_fill(raw["rationale"], hw, where), template=_fill(raw.get("template", ""), hw, where),
                  trigger=Trigger.from_dict(raw.get("trigger")), features=dict(raw.get("features") or {}),
                  check=check, transform=transform, provenance=[{"role": "documentation", "source": source}],
                  origin="seed", key=f"seed:{raw['id']}", rationale_by="doc")
        e.validate()
        out.append(e)
    return out


def seed_store(store: Any, hardware: str = "ascend910b2") -> list[str]:
    """Add the pack's entries the store does not have yet (by id); returns the ids added."""
    added = []
    for e in load_pack(hardware):
        try:
            have = store.get(e.id)
        except KeyError:
            have = None
        if have is not None:
            if e.transform and have.transform != e.transform and have.state != "deleted" and have.origin == "seed":
                what = "added" if have.transform is None else f"changed from {have.transform.get('values')}"
                store.update(e.id, {"transform": e.transform}, reason=f"seed pack: executable transform {what}")
            continue
        try:
            store.add(e, reason="seed pack")
            added.append(e.id)
        except KnowledgeError as err:
            if "already" not in str(err):  # a concurrent seeder got there first
                raise
    return added
