"""benchmarks/calibrate_matmul.py judges order within each published ladder: the high-level-API cases and the
basic-API scenarios are separate sequences, so a basic step is never reported out of order against an hp step."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mod():
    spec = importlib.util.spec_from_file_location("calibrate_matmul", REPO / "benchmarks" / "calibrate_matmul.py")
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def rows(times: dict[str, float]) -> list[dict]:
    return [{"id": k, "time_us": v} for k, v in times.items()]


def test_every_step_names_its_ladder(mod) -> None:
    steps = mod.load_steps()
    assert {s["ladder"] for s in steps} == {"hp", "basic"}
    assert [s["id"] for s in steps if s["ladder"] == "basic"] == ["basic1", "basic2"]


def test_order_is_judged_within_a_ladder(mod) -> None:
    steps = {s["id"]: s for s in mod.load_steps()}
    # case8 published 4012.44 < basic2 4081.64 < case6 4088.36 < basic1 4121.16: ranking basic2 below case8
    # crosses ladders and is no inversion; case8 slower than case6 is.
    good = rows({"case6": 4100.0, "case8": 4090.0, "basic1": 4050.0, "basic2": 4040.0})
    assert mod.inversions(good, steps) == []
    assert [(lad, pub == sim) for lad, pub, sim in mod.orders(good, steps)] == [("hp", True), ("basic", True)]
    bad = rows({"case6": 4100.0, "case8": 4110.0, "basic1": 4050.0, "basic2": 4060.0})
    inv = mod.inversions(bad, steps)
    assert len(inv) == 2 and inv[0].startswith("case6 > case8") and inv[1].startswith("basic1 > basic2")


def test_a_step_without_a_known_ladder_is_refused(mod, tmp_path, monkeypatch) -> None:
    text = mod.TASK_FILE.read_text().replace('ladder = "basic"', 'ladder = "other"', 1)
    f = tmp_path / "ladder.toml"
    f.write_text(text)
    monkeypatch.setattr(mod, "TASK_FILE", f)
    with pytest.raises(SystemExit, match="basic1: `ladder` must be one of hp, basic"):
        mod.load_steps()
