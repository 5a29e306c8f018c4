"""`hawk agent serve --backend cann` on a host without CANN: a real agent process exits at once with status 2
(bad usage for this host, docs/cli.md) and exactly one line naming what is missing, before binding any port."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from npu_agent.errors import EXIT_USAGE


def serve(env_changes: dict[str, str | None], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("ASCEND_HOME_PATH", "ASCEND_TOOLKIT_HOME")}
    env.update({k: v for k, v in env_changes.items() if v is not None})
    env["HAWK_HOME"] = str(tmp_path / "home")
    return subprocess.run([sys.executable, "-m", "controller.cli", "agent", "serve", "--port", "0", "--backend", "cann",
                           "--work-dir", str(tmp_path / "work")],
                          capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize("setup,fragment", [
    ("unset", "ASCEND_HOME_PATH is not set"),
    ("bogus", "is not a directory"),
    ("not_cann", "no set_env.sh"),
])
def test_agent_without_cann_refuses_in_one_line(tmp_path, setup, fragment) -> None:
    home = {"unset": None, "bogus": str(tmp_path / "no" / "such" / "dir"), "not_cann": str(tmp_path)}[setup]
    r = serve({"ASCEND_HOME_PATH": home}, tmp_path)
    assert r.returncode == EXIT_USAGE, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("hawk agent serve: error: the cann backend") and fragment in lines[0], lines[0]
    assert r.stdout == ""
