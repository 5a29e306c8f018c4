"""CLI conventions (docs/cli.md), on the real `hawk` executable in subprocesses: `--json` prints JSON only,
every usage error exits 2 with one line naming the problem, a closed stdout pipe ends a command quietly, and
a campaign run off a terminal prints informative progress lines and no Ray or gRPC noise."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.null_task import write_null_task

pytestmark = pytest.mark.timeout(240)

_EXE = Path(sys.executable).with_name("hawk")
HAWK = [str(_EXE)] if _EXE.exists() else [sys.executable, "-m", "controller.cli"]

SPEC = """
name = "conventions"
tasks = ["tasks.toml"]
output_dir = "out"
[budget]
rounds = 2
candidates_per_round = 3
[knowledge]
enabled = false
[agents]
local = 1
local_devices = 2
local_backend = "null"
"""

# What Ray, gRPC's C core and absl print when left alone; none may reach a user's terminal without -v.
NOISE = re.compile(r"Token authentication|Started a local Ray instance|RAY_AUTH_MODE|worker\.py:\d+|"
                   r"GOAWAY|goaway|chttp2|absl::|^[EWI]\d{4} \d\d:\d\d:\d\d", re.MULTILINE)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRPC_", "RAY_")) and k != "HAWK_DEBUG"}
    env["HAWK_HOME"] = str(home)
    return env


def _hawk(home: Path, *args: str, cwd: Path | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([*HAWK, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, env=_env(home),
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One small campaign on a local Ray with a local null agent, through `hawk campaign run` off a terminal."""
    folder = tmp_path_factory.mktemp("conventions")
    write_null_task(folder)
    (folder / "spec.toml").write_text(SPEC)
    home = folder / "home"
    out = _hawk(home, "campaign", "run", "spec.toml", "--progress-interval", "0.2", cwd=folder)
    assert out.returncode == 0, out.stderr[-3000:]
    cid = next(line.split()[1] for line in out.stdout.splitlines() if line.startswith("campaign "))
    return {"folder": folder, "home": home, "out": out, "cid": cid}


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from knowledge.base import KnowledgeBase

    path = tmp_path_factory.mktemp("kb") / "knowledge.sqlite"
    KnowledgeBase(path)  # the seed pack: entries to list, show and search
    return path


def test_progress_off_a_terminal_has_totals_and_never_repeats(run: dict) -> None:
    err = run["out"].stderr
    lines = [ln for ln in err.splitlines() if "] campaign " in ln]
    assert len(lines) >= 2, err
    pat = re.compile(r"^\[\s*[\d.]+s\] campaign (\S+): evaluated (\d+)/(\d+) \(\d+%\), passed (\d+), failed (\d+), "
                     r"best (\S+)( \(nullsearch\))?, [\d.]+ eval/s \| nullsearch (\d+)/6 pass (\d+) best \S+")
    parsed = [pat.match(ln) for ln in lines]
    assert all(parsed), lines
    assert {m.group(1) for m in parsed} == {run["cid"]}
    assert all(m.group(3) == "6" for m in parsed)  # the budget: 2 rounds x 3 candidates
    last = parsed[-1]
    assert last.group(2) == "6" and int(last.group(4)) + int(last.group(5)) == 6 and last.group(6).endswith("x")
    bodies = [ln.split("] ", 1)[1].rsplit(", ", 1)[0] for ln in lines]  # without the clock and the rate
    assert len(set(bodies)) == len(bodies), lines  # never the same line twice
    counts = [int(m.group(2)) for m in parsed]
    assert counts == sorted(counts)


def test_a_campaign_run_prints_no_ray_or_grpc_noise(run: dict) -> None:
    assert not NOISE.search(run["out"].stderr), run["out"].stderr
    assert not NOISE.search(run["out"].stdout), run["out"].stdout


def test_every_json_output_parses(run: dict, kb: Path, tmp_path: Path) -> None:
    home, cid = run["home"], run["cid"]
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "summary.json").write_text(json.dumps({"arms": {}, "note": "kept summary"}))
    entry = "seed-ascend910b2-ub-capacity"
    commands = [
        ["campaign", "status", "--json"],
        ["campaign", "status", cid, "--json"],
        ["tasks", "list", "--json"],
        ["tasks", "list", "--category", "elementwise", "--json"],
        ["tasks", "show", "add_fp16_small", "--json"],
        ["kb", "--db", str(kb), "list", "--json"],
        ["kb", "--db", str(kb), "show", entry, "--json"],
        ["kb", "--db", str(kb), "search", "ub out of bounds", "--json"],
        ["kb", "--db", str(kb), "distill", "--json"],
        ["kb", "--db", str(kb), "stats"],
        ["kb", "--db", str(kb), "stats", "--json"],
        ["bench", "knowledge", "--show", str(tmp_path / "bench"), "--json"],
    ]
    for argv in commands:
        out = _hawk(home, *argv)
        assert out.returncode == 0, (argv, out.stderr)
        try:
            data = json.loads(out.stdout)
        except json.JSONDecodeError as e:
            raise AssertionError(f"hawk {shlex.join(argv)}: stdout is not JSON ({e}): {out.stdout[:300]!r}") from None
        assert data or data == [], argv
    status = json.loads(_hawk(home, "campaign", "status", cid, "--json").stdout)
    assert status["id"] == cid and status["state"] == "finished" and status["tasks"][0]["task"] == "nullsearch"
    assert status["tasks"][0]["evaluations"] == 6 and status["counts"]["OK"] == 7  # 6 candidates + the baseline
    stats = json.loads(_hawk(home, "kb", "--db", str(kb), "stats").stdout)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stats["last_distill"]), stats  # ISO 8601 UTC


def test_the_summary_counts_match_its_rows(run: dict) -> None:
    stdout = run["out"].stdout
    header = next(ln for ln in stdout.splitlines() if ln.startswith("task "))
    row = next(ln for ln in stdout.splitlines() if ln.startswith("nullsearch "))
    assert header.split()[-2:] == ["bound", "pipe"], header
    evals = int(row.split()[1])
    statuses = next(ln for ln in stdout.splitlines() if ln.startswith("statuses:"))
    assert statuses.startswith(f"statuses: OK {evals} (the {evals} candidates above); baselines: OK 1"), statuses


@pytest.mark.parametrize("argv, needle", [
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["tasks", "list", "--category", "no_such_category"], "no task has category 'no_such_category'"),
    (["tasks", "show", "no_such_task"], "no built-in task 'no_such_task'"),
    (["tasks", "list", "--hardware", "no_such_soc"], "unknown hardware profile 'no_such_soc'"),
    (["kb", "--db", "{kb}", "search", "x", "--error-class", "NO_SUCH_CLASS"], "unknown --error-class 'NO_SUCH_CLASS'"),
    (["kb", "--db", "{kb}", "search", "x", "--bottleneck", "FAST"], "--bottleneck 'FAST' is not KIND[:PIPE]"),
    (["kb", "--db", "{kb}", "search", "x", "-k", "0"], "-k: 0 is out of range"),
    (["kb", "--db", "{kb}", "search", "x", "--dtype", "float7"], "unknown dtype 'float7'"),
    (["kb", "--db", "{kb}", "list", "--hardware", "no_such_soc"], "unknown --hardware 'no_such_soc'"),
    (["kb", "--db", "{kb}", "show", "no-such-entry"], "no knowledge entry 'no-such-entry'"),
    (["kb", "--db", "{kb}", "show", "x", "--uses", "-1"], "--uses: -1 is out of range"),
    (["campaign", "status", "no-such-campaign", "--store", "{store}"], "no campaign 'no-such-campaign'"),
    (["campaign", "status", "--store", "{tmp}/missing.sqlite"], "no results database at"),
    (["campaign", "run", "{tmp}/missing.toml"], "missing.toml does not exist"),
    (["campaign", "run", "{tmp}/bad.toml"], "tasks must be a non-empty list"),
    (["campaign", "run", "{tmp}/bad.toml", "--progress-interval", "-1"], "--progress-interval: -1 s is out of range"),
    (["sim", "run", "{tmp}/missing.cpp", "--task", "add_fp16_small"], "cannot read the kernel"),
    (["sim", "run", "k.cpp", "--task", "add_fp16_small", "--sets", "0"], "--sets: 0 is out of range"),
    (["agent", "serve", "--port", "70000"], "70000 is not a port"),
    (["bench", "knowledge", "--tasks", "no_such_task"], "no built-in task 'no_such_task'"),
])
def test_every_kind_of_usage_error_exits_2_with_one_line(argv: list[str], needle: str, run: dict, kb: Path,
                                                         tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('name = "x"\n')
    store = run["folder"] / "home" / "results.sqlite"
    argv = [a.format(kb=kb, store=store, tmp=tmp_path) for a in argv]
    out = _hawk(tmp_path / "home", *argv)
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert out.returncode == 2, (argv, out.returncode, out.stderr)
    assert len(lines) == 1 and needle in lines[0], (argv, out.stderr)
    assert lines[0].startswith("hawk") and out.stdout == "", (argv, out.stdout)
    assert not (tmp_path / "missing.sqlite").exists()  # a status query creates no database


@pytest.mark.parametrize("reader", ["head -1", "true"])
def test_a_closed_stdout_pipe_ends_quietly(reader: str, tmp_path: Path) -> None:
    """A real shell pipe: `true` closes the pipe before hawk writes (so the write fails for sure), `head -1`
    after the first line."""
    cmd = f"{shlex.join(HAWK)} tasks list 2>{tmp_path / 'err'} | {reader}; echo \"rc=${{PIPESTATUS[0]}}\""
    out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120, env=_env(tmp_path))
    assert out.stdout.strip().endswith("rc=0"), out.stdout
    assert (tmp_path / "err").read_text() == "" and out.stderr == ""
    if reader.startswith("head"):
        assert out.stdout.startswith("NAME ")
    json_cmd = f"{shlex.join(HAWK)} tasks list --json 2>{tmp_path / 'err2'} | {reader} >/dev/null; echo \"rc=${{PIPESTATUS[0]}}\""
    out = subprocess.run(["bash", "-c", json_cmd], capture_output=True, text=True, timeout=120, env=_env(tmp_path))
    assert out.stdout.strip() == "rc=0" and (tmp_path / "err2").read_text() == ""


def _state(evaluated: int, passed: int, best_us: float | None, stop: str = ""):
    from controller.campaign import CampaignState, TaskProgress

    state = CampaignState(campaign_id="c-1", budget=12, stop_reason=stop)
    state.tasks["add"] = TaskProgress(name="add", rounds=2, evaluated=evaluated, passed=passed, baseline_us=10.0,
                                      best_us=best_us, total=6)
    state.tasks["softmax"] = TaskProgress(name="softmax", rounds=2, evaluated=2, passed=1, total=6,
                                          error="the proposer failed")
    return state


def test_line_progress_prints_changes_once_and_a_final_line() -> None:
    """controller/progress.py off a terminal, fed real CampaignState objects: an unchanged state prints nothing,
    a change inside the interval waits for the interval (no line lost), close() prints the end state."""
    import io
    import time

    from controller.progress import CampaignProgress

    stream = io.StringIO()
    progress = CampaignProgress(stream, interval_s=0.3, tty=False)
    progress(_state(0, 0, None))
    progress(_state(0, 0, None))          # unchanged: no line
    progress(_state(3, 2, 8.0))           # inside the interval: flushed by the timer
    deadline = time.monotonic() + 30
    while stream.getvalue().count("\n") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    progress(_state(3, 2, 8.0))           # unchanged again: no line
    progress(_state(6, 5, 5.0, stop="evaluation budget of 12 reached"))
    progress.close()
    progress.close()                      # idempotent
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3, lines
    assert "evaluated 2/12 (17%), passed 1, failed 1, best -" in lines[0]
    assert "evaluated 5/12 (42%), passed 3, failed 2, best 1.25x (add)" in lines[1]
    assert "| add 3/6 pass 2 best 1.25x | softmax 2/6 pass 1 best - error: the proposer failed" in lines[1]
    assert "evaluated 8/12 (67%), passed 6, failed 2, best 2.00x (add)" in lines[2]
    assert lines[2].endswith("| stopped: evaluation budget of 12 reached")


def test_bar_progress_shows_each_task_with_totals_pass_rate_and_best() -> None:
    """On a terminal: rich bars (rendered here into a buffer) for the campaign and for each task."""
    import io

    from controller.progress import BarProgress, CampaignProgress

    stream = io.StringIO()
    progress = CampaignProgress(stream, tty=True)
    assert isinstance(progress.view, BarProgress)
    with progress:
        progress(_state(3, 2, 8.0))
        progress(_state(4, 3, 5.0))
    text = stream.getvalue()
    campaign = next(ln for ln in text.splitlines() if "campaign" in ln)
    add = next(ln for ln in text.splitlines() if ln.strip().startswith("add "))
    softmax = next(ln for ln in text.splitlines() if ln.strip().startswith("softmax "))
    assert "6/12" in campaign and "pass 4 (67%)" in campaign and "best 2.00x" in campaign, text
    assert "4/6" in add and "pass 3 (75%)" in add and "best 2.00x" in add, text
    assert "2/6" in softmax and "pass 1 (50%)" in softmax and "error: the proposer failed" in softmax, text
