"""Hardware profiles: every hardware number of a SoC lives in a TOML data file beside this module.

Code asks for numbers by section and key (``profile["memory"]["ub_bytes"]``) so that adding a SoC is a data
change, never a code change. Profiles are read-only after loading.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

DEFAULT_PROFILE = "ascend910b2"


class UnknownHardwareProfile(ValueError):
    """Raised for a profile name with no data file; the message lists the known ones."""


@dataclass(frozen=True)
class HardwareProfile:
    name: str
    sections: MappingProxyType

    def __getitem__(self, section: str) -> MappingProxyType:
        try:
            return self.sections[section]
        except KeyError:
            raise KeyError(f"hardware profile {self.name!r} has no section [{section}]") from None

    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self.sections.get(section, {}).get(key, default)

    @property
    def clock_mhz(self) -> float:
        return float(self["soc"]["clock_mhz"])

    @property
    def aiv_cores(self) -> int:
        return int(self["soc"]["aiv_cores"])

    @property
    def aic_cores(self) -> int:
        return int(self["soc"]["aic_cores"])

    def summary(self) -> dict[str, str]:
        """Key facts as strings, for AgentInfo.hardware and `hawk agent` logs."""
        soc, mem = self["soc"], self["memory"]
        return {
            "display_name": str(soc.get("display_name", self.name)),
            "aic_cores": str(soc["aic_cores"]),
            "aiv_cores": str(soc["aiv_cores"]),
            "clock_mhz": str(soc["clock_mhz"]),
            "ub_bytes": str(mem["ub_bytes"]),
            "l1_bytes": str(mem["l1_bytes"]),
        }


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    return value


def available_profiles() -> list[str]:
    return sorted(
        p.name.removesuffix(".toml") for p in resources.files(__package__).iterdir() if p.name.endswith(".toml")
    )


@cache
def load_profile(name: str = DEFAULT_PROFILE) -> HardwareProfile:
    """Load a profile by name (e.g. "ascend910b2"); unknown names raise with the list of known ones."""
    key = name.strip().lower()
    path = resources.files(__package__) / f"{key}.toml"
    # Only the names of the profiles shipped here: never a path (`../x`), nor a name too long for the file system.
    if key not in available_profiles() or not path.is_file():
        known = ", ".join(available_profiles())
        shown = name if len(name) <= 80 else name[:80] + "..."
        raise UnknownHardwareProfile(f"unknown hardware profile {shown!r}; known profiles: {known}")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    if data.get("soc", {}).get("name") != key:
        raise UnknownHardwareProfile(f"hardware file {path} declares soc.name={data.get('soc', {}).get('name')!r}")
    return HardwareProfile(name=key, sections=_freeze(data))
