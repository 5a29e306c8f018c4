"""Architecture rules that keep the agent installable alone on NPU hosts."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN_FOR_AGENT = ("ray", "openai", "controller", "knowledge")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _top_levels(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_agent_imports_no_controller_knowledge_ray_or_openai() -> None:
    import pkgutil

    import npu_agent

    names = ["npu_agent." + m.name for m in pkgutil.walk_packages(npu_agent.__path__, prefix="")
             if not m.name.startswith("_")]
    code = f"import importlib\nfor n in {names!r}:\n    importlib.import_module(n)"
    loaded = _top_levels(_modules_after(code))
    assert not (loaded & set(FORBIDDEN_FOR_AGENT)), f"npu_agent pulled in {sorted(loaded & set(FORBIDDEN_FOR_AGENT))}"


def test_knowledge_does_not_import_controller() -> None:
    import pkgutil

    import knowledge

    names = ["knowledge." + m.name for m in pkgutil.walk_packages(knowledge.__path__, prefix="")]
    code = f"import importlib\nfor n in {names!r}:\n    importlib.import_module(n)"
    assert "controller" not in _top_levels(_modules_after(code))


def test_cli_import_is_light() -> None:
    """`hawk --help` and `hawk agent serve` must not pay for Ray or the OpenAI client."""
    loaded = _top_levels(_modules_after("import controller.cli as c\nc.build_parser()"))
    assert not (loaded & {"ray", "openai"})
