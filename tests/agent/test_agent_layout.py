"""The agent runs alone on NPU hosts: none of its modules may pull in the controller, knowledge, Ray or OpenAI."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import npu_agent

FORBIDDEN = {"ray", "openai", "controller", "knowledge"}


def test_no_agent_module_imports_controller_knowledge_ray_or_openai() -> None:
    names = sorted(m.name for m in pkgutil.walk_packages(npu_agent.__path__, prefix="npu_agent."))
    assert {"npu_agent.server", "npu_agent.client", "npu_agent.cli", "npu_agent.backends.null"} <= set(names)
    code = ("import importlib, json, sys\n"
            f"for n in {names!r}:\n    importlib.import_module(n)\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert not loaded & FORBIDDEN, f"npu_agent pulled in {sorted(loaded & FORBIDDEN)}"
