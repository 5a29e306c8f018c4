"""`hawk campaign` end to end: a local Ray cluster, two real agents started by the controller, reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.null_task import TASKS, write_null_task

SPEC = """
name = "cli-null"
tasks = ["tasks.toml"]
output_dir = "out"
[budget]
rounds = 3
candidates_per_round = 4
[agents]
local = 2
local_devices = 2
local_backend = "null"
"""


def _hawk(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "controller.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**__import__("os").environ, "HAWK_HOME": str(cwd / "home")})


def test_campaign_run_status_report_resume(tmp_path: Path) -> None:
    write_null_task(tmp_path)
    (tmp_path / "spec.toml").write_text(SPEC)
    run = _hawk(tmp_path, "campaign", "run", "spec.toml", "--quiet")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "nullsearch" in run.stdout and "statuses: OK 12 (the 12 candidates above); baselines: OK 1" in run.stdout
    cid = next(line.split()[1] for line in run.stdout.splitlines() if line.startswith("campaign "))
    page = (tmp_path / "out" / f"{cid}.html").read_text()
    assert page.count("<svg") >= 3 and "Best speedup per round" in page and "10.00x" in run.stdout

    status = _hawk(tmp_path, "campaign", "status")
    assert status.returncode == 0 and cid in status.stdout and "finished" in status.stdout
    report = _hawk(tmp_path, "campaign", "report", cid, "--html", str(tmp_path / "r.html"))
    assert report.returncode == 0 and (tmp_path / "r.html").exists()
    again = _hawk(tmp_path, "campaign", "resume", cid)
    assert again.returncode == 0 and "already finished" in again.stdout
    missing = _hawk(tmp_path, "campaign", "status", "no-such-campaign")
    assert missing.returncode != 0 and "no campaign 'no-such-campaign'" in missing.stderr


def test_bad_spec_is_named(tmp_path: Path) -> None:
    (tmp_path / "spec.toml").write_text(SPEC.replace("rounds = 3", "rounds = -1"))
    out = _hawk(tmp_path, "campaign", "run", "spec.toml")
    assert out.returncode != 0 and "[budget].rounds must be at least 1" in out.stderr


def test_killed_controller_resumes_with_every_candidate_once(tmp_path: Path) -> None:
    """SIGKILL the whole `hawk campaign run` process group mid-campaign, then `hawk campaign resume`."""
    import os
    import signal
    import sqlite3
    import time

    write_null_task(tmp_path, 0.3, TASKS.replace("RUN_S = [0.04, 0.03, 0.02, 0.01, 0.005]",
                                                 "RUN_S = [0.3, 0.25, 0.2, 0.15, 0.1]"))
    (tmp_path / "spec.toml").write_text(SPEC.replace("rounds = 3", "rounds = 4"))
    env = {**os.environ, "HAWK_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen([sys.executable, "-m", "controller.cli", "campaign", "run", "spec.toml", "--quiet"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    db = tmp_path / "home" / "results.sqlite"
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and done < 5:
        time.sleep(0.2)
        if db.exists():
            try:
                with sqlite3.connect(db) as conn:
                    done = conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
            except sqlite3.OperationalError:
                continue
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)
    assert 5 <= done < 17, f"the kill came at {done} evaluations"
    with sqlite3.connect(db) as conn:
        (cid,) = conn.execute("SELECT id FROM campaigns").fetchone()
    resumed = _hawk(tmp_path, "campaign", "resume", cid, "--quiet")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    with sqlite3.connect(db) as conn:
        cands = conn.execute("SELECT id, source_hash FROM candidates WHERE campaign_id=?", (cid,)).fetchall()
        evals = conn.execute("SELECT candidate_id FROM evaluations WHERE campaign_id=?", (cid,)).fetchall()
        state = conn.execute("SELECT state FROM campaigns WHERE id=?", (cid,)).fetchone()[0]
    assert state == "finished"
    assert len(cands) == 17 and len({h for _, h in cands}) == 17   # 16 candidates + baseline, no repeats
    assert sorted(e for (e,) in evals) == sorted(c for c, _ in cands)  # every candidate evaluated exactly once


def test_campaign_on_the_twin_with_knowledge(tmp_path: Path) -> None:
    """Two local agents on the Ascend C twin, registered with the scheduler; knowledge on."""
    repo = Path(__file__).resolve().parents[2]
    tasks = (repo / "tasks" / "demo.toml").read_text()
    tasks = tasks.replace('"kernels/', f'"{repo / "tasks" / "kernels"}/')
    tasks = tasks.replace("dims = { M = 512, N = 4096 }", "dims = { M = 16, N = 1024 }")
    tasks = tasks.replace("dims = { M = 512, N = 1024 }", "dims = { M = 16, N = 256 }")
    (tmp_path / "tasks.toml").write_text(tasks)
    (tmp_path / "spec.toml").write_text("""
name = "twin"
tasks = ["tasks.toml"]
output_dir = "out"
[budget]
rounds = 2
candidates_per_round = 2
[agents]
local = 2
local_devices = 1
local_backend = "simnpu"
""")
    run = _hawk(tmp_path, "campaign", "run", "spec.toml", "--quiet")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "demo_add_fp16" in run.stdout and "demo_softmax_fp32" in run.stdout
    statuses = next(line for line in run.stdout.splitlines() if line.startswith("statuses:"))
    assert "OK" in statuses, run.stdout
    kb = _hawk(tmp_path, "kb", "stats")
    assert kb.returncode == 0, kb.stderr


def test_llm_campaign_through_ray_and_a_loopback_openai_server(tmp_path: Path) -> None:
    """`hawk campaign run` with the LLM proposer: the driver's real openai client talks to our loopback server."""
    from tests.support.openai_server import FakeOpenAIServer

    write_null_task(tmp_path)
    runs = iter([0.03, 0.02, 0.01, 0.008, 0.006, 0.004, 0.003, 0.002])

    def reply(request: dict) -> str:
        if "## Kernel contract" not in request["messages"][1]["content"]:
            return "The knowledge actor asked for a rationale; this answer has none it can use."
        return f"```cpp\n// k(\n// hawk-null: run_s={next(runs)}\n```"

    with FakeOpenAIServer(reply) as srv:
        (tmp_path / "spec.toml").write_text(SPEC.replace("rounds = 3", "rounds = 2").replace(
            "candidates_per_round = 4", "candidates_per_round = 3").replace(
            "[agents]", f'[proposers]\nllm = 1\n[llm]\nbase_url = "{srv.base_url}"\nmodel = "m"\n'
                        f'api_key_env = "HAWK_TEST_KEY"\n[agents]'))
        run = _hawk(tmp_path, "campaign", "run", "spec.toml", "--quiet")
        assert run.returncode == 0, run.stderr[-3000:]
        proposals = [r for r in srv.requests if "## Kernel contract" in r["messages"][1]["content"]]
        assert len(proposals) == 6 and all(r["model"] == "m" for r in proposals)
    assert "statuses: OK 6 (the 6 candidates above); baselines: OK 1" in run.stdout
