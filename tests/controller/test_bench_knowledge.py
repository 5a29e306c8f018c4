"""`hawk bench knowledge`: real campaigns (local Ray, a local agent on the twin), metrics read back from the stores.

The runs are tiny (test sizes, budget 3, one seed, one agent) and share one agent work dir, so the twin is
built once per session.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import sqlite3
from pathlib import Path

import pytest

from controller.cli import main as hawk
from tasks.catalogue import get_task


@pytest.fixture(scope="module")
def agents_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("bench-agents")
    d.chmod(0o755)
    return d


@pytest.fixture()
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, agents_dir: Path) -> Path:
    monkeypatch.setenv("HAWK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HAWK_BENCH_AGENTS_DIR", str(agents_dir))
    out = tmp_path / "out"
    return out


def _run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = hawk(["bench", "knowledge", *args])
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("args", "says"), [
    (["--tasks", "add_fp16_8192x8192,no_such_task"], "no built-in task 'no_such_task'"),
    (["--budget", "0"], "--budget 0"),
    (["--seeds", "1,,2"], "--seeds"),
    (["--seeds", "1,1"], "repeated"),
    (["--seeds", "a"], "is not an integer"),
    (["--size", "2"], "(0, 1]"),
    (["--model", "m"], "go together"),
    (["--show", "/nonexistent-bench-dir"], "no summary.json there"),
])
def test_bad_arguments_exit_2_naming_the_problem(args: list[str], says: str, capsys: pytest.CaptureFixture) -> None:
    assert hawk(["bench", "knowledge", *args]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1


def _db_rows(path: Path, sql: str, *params: object) -> list[sqlite3.Row]:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def _check_against_store(summary: dict, out: Path, tasks: list[str], seed: int) -> None:
    """Recompute every arm's metrics from the results database with plain SQL and compare."""
    results = out / "results.sqlite"
    for arm in ("on", "off"):
        per = summary["arms"][arm]["per_seed"][str(seed)]
        cid = per["campaign"]
        rows = _db_rows(results, "SELECT e.task, e.status, c.proposer FROM evaluations e JOIN candidates c "
                                 "ON c.id = e.candidate_id WHERE e.campaign_id = ?", cid)
        real = [r for r in rows if r["proposer"] != "baseline"]
        assert per["evaluations"] == len(real) <= 3 * len(tasks)
        assert per["wasted"] == sum(1 for r in real if r["status"] not in ("OK", "INTERNAL", "CANCELLED"))
        assert per["accuracy"] == pytest.approx(len({r["task"] for r in real if r["status"] == "OK"}) / len(tasks))
        speedups = []
        for task in tasks:
            base = _db_rows(results, "SELECT time_us FROM baselines WHERE campaign_id=? AND task=?", cid, task)
            best = _db_rows(results, "SELECT time_us FROM best WHERE campaign_id=? AND task=?", cid, task)
            assert base and best, f"{arm}: {task} has no baseline or best"
            speedups.append(max(1.0, base[0][0] / best[0][0]))
            assert summary["tasks"][task][arm]["speedup"]["mean"] == pytest.approx(speedups[-1])
        geo = math.exp(sum(map(math.log, speedups)) / len(speedups))
        assert per["geomean_speedup"] == pytest.approx(geo)
    # Each arm is its own campaign; only the on arm has a knowledge database, its own.
    assert (out / f"knowledge-on-s{seed}.sqlite").exists() and not (out / f"knowledge-off-s{seed}.sqlite").exists()


def test_offline_tiny_run_prints_metrics_computed_from_the_store(env: Path) -> None:
    tasks = ["add_fp16_8192x8192", "softmax_fp32"]
    code, text, err = _run(["--tasks", ",".join(tasks), "--size", "test", "--budget", "3", "--seeds", "5",
                            "--agents", "1", "--out", str(env)])
    assert code == 0, err
    summary = json.loads((env / "summary.json").read_text())
    assert summary["config"] | {"tasks": tasks, "budget": 3, "seeds": [5], "size": "test"} == summary["config"]
    for t in tasks:  # test size: the tasks' own test_dims
        assert summary["tasks"][t]["dims"] == get_task(t).dims | get_task(t).test_dims
    _check_against_store(summary, env, tasks, 5)
    # The text names the metrics, both arms, every task, the ratios and the elapsed time.
    for needle in ("accuracy", "evaluations wasted on failures", "geomean best speedup", "wasted off/on",
                   "geomean best speedup on/off", "elapsed", *tasks):
        assert needle in text
    line = next(x for x in text.splitlines() if x.startswith("evaluations wasted on failures"))
    on, off = (summary["arms"][a]["wasted"]["mean"] for a in ("on", "off"))
    assert re.findall(r"\| +([\d.]+)", line) == [f"{on:.1f}", f"{off:.1f}"]
    # A kept run prints again, as markdown, without running anything.
    code, md, _ = _run(["--show", str(env), "--markdown"])
    assert code == 0 and md.count("| " + tasks[0] + " |") == 1 and "| evaluations wasted on failures |" in md


def _kernel(source: str, marker: int, broken: bool) -> str:
    """A distinct kernel per answer (duplicates are detected on normalised source, so the tile differs); a broken
    one calls an API that does not exist: a compile error, i.e. an evaluation wasted on a failure."""
    assert "constexpr uint32_t TILE = 4096;" in source
    lines = source.replace("constexpr uint32_t TILE = 4096;",
                           f"constexpr uint32_t TILE = {512 * (1 + marker % 40)};").splitlines()
    if broken:
        at = next(i for i, line in enumerate(lines) if "Add(" in line and "__aicore__" not in line)
        lines.insert(at, f"            NoSuchAscendApi(a, b, {marker});")
    return "\n".join(lines) + "\n"


def test_llm_arms_through_a_loopback_server_count_scripted_failures_as_wasted(env: Path) -> None:
    from tests.support.openai_server import FakeOpenAIServer

    task = get_task("add_fp16_8192x8192")
    baseline = task.baseline.read_text()
    answers: list[int] = []

    def reply(request: dict) -> str:
        answers.append(len(answers))
        n = answers[-1]
        return f"Here it is:\n```cpp\n{_kernel(baseline, n, broken=n % 2 == 0)}```\nAPPLIED: none\n"

    with FakeOpenAIServer(reply) as srv:
        code, text, err = _run(["--tasks", task.name, "--size", "test", "--budget", "3", "--seeds", "2",
                                "--agents", "1", "--llm-base-url", srv.base_url, "--model", "scripted",
                                "--json", "--out", str(env)])
    assert code == 0, err
    summary = json.loads(text)
    assert summary == json.loads((env / "summary.json").read_text())
    assert summary["config"]["proposer"] == "llm" and summary["config"]["model"] == "scripted"
    # Every evaluated scripted answer that was broken on purpose is a wasted evaluation of its arm, and only those.
    total_broken = 0
    for arm in ("on", "off"):
        cid = summary["arms"][arm]["per_seed"]["2"]["campaign"]
        rows = _db_rows(env / "results.sqlite", "SELECT c.source, e.status FROM candidates c JOIN evaluations e "
                        "ON e.candidate_id = c.id WHERE c.campaign_id = ? AND c.proposer = 'llm'", cid)
        broken = [r for r in rows if "NoSuchAscendApi" in r["source"]]
        assert all(r["status"] == "COMPILE_ERROR" for r in broken)
        assert all(r["status"] == "OK" for r in rows if r not in broken)
        assert summary["arms"][arm]["per_seed"]["2"]["wasted"] == len(broken)
        assert summary["tasks"][task.name][arm]["wasted"] == len(broken)
        total_broken += len(broken)
    assert total_broken > 0
    _check_against_store(summary, env, [task.name], 2)
