"""`hawk sim run` shows its stages as they happen (stderr) with wall times, and its Result's stage timings are
the same wall times: the stage line of the summary adds up with the run instead of contradicting it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

KERNEL = Path(__file__).resolve().parents[2] / "tasks" / "kernels" / "add_fp16_small" / "baseline.cpp"
STAGE = re.compile(r"^\[\s*([\d.]+)s\] (twin|compile|verify|profile|total)\s+([\d.]+) s(.*)$")


def _sim(twin_root: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, HAWK_SIM_WORK_ROOT=str(twin_root))
    return subprocess.run([sys.executable, "-m", "controller.cli", "sim", "run", str(KERNEL), "--task",
                           "add_fp16_small", "--seed", "1", *args], capture_output=True, text=True, env=env,
                          timeout=300, stdin=subprocess.DEVNULL)


def test_stages_as_they_happen_and_in_the_result(twin, twin_root: Path) -> None:
    p = _sim(twin_root, "--json", "--sets", "2")
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)  # stdout: the JSON Result only
    stages = {m.group(2): (float(m.group(1)), float(m.group(3)), m.group(4))
              for m in map(STAGE.match, p.stderr.splitlines()) if m}
    assert list(stages) == ["twin", "compile", "verify", "profile", "total"], p.stderr
    sets = [ln for ln in p.stderr.splitlines() if re.search(r"\] verify   set \d/2: twin run [\d.]+ s, host", ln)]
    assert len(sets) == 2, p.stderr
    assert stages["verify"][2].strip() == "2 set(s), correct"
    # The Result's timings are the stage lines' own numbers, and the stages fit inside the total.
    timings = {t["stage"]: t["seconds"] for t in res["stageTimings"]}
    assert set(timings) == {"COMPILING", "VERIFYING", "PROFILING"}
    for stage, name in (("COMPILING", "compile"), ("VERIFYING", "verify"), ("PROFILING", "profile")):
        assert abs(timings[stage] - stages[name][1]) < 0.006, (stage, timings, stages)
    assert sum(stages[s][1] for s in ("twin", "compile", "verify", "profile")) <= stages["total"][1] + 0.02
    # Each stage's line comes when it ends, in order.
    ends = [stages[s][0] for s in ("twin", "compile", "verify", "profile", "total")]
    assert ends == sorted(ends)


def test_quiet_and_failures_keep_one_error_line(twin, twin_root: Path) -> None:
    quiet = _sim(twin_root, "--quiet", "--sets", "1")
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    assert "stages: compiling" in quiet.stdout
    bad = _sim(twin_root, "--hardware", "no_such_soc")  # fails while the twin stage runs: no stage line
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        bad.stderr.strip()] and "unknown hardware profile 'no_such_soc'" in bad.stderr
