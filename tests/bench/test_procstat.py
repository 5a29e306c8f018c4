"""benchmarks/procstat.py and the farm benchmarks' window arithmetic: the sampler must see a child's CPU (the
benchmarks' per-candidate figures are built on it), the throughput fit must not over-count waves of results,
and calibrate_add.py must say which cases are in-sample."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import procstat  # noqa: E402


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def test_sampler_reads_a_busy_child_and_an_idle_one(tmp_path: Path) -> None:
    busy = subprocess.Popen([sys.executable, "-c", "import time\nend = time.process_time() + 0.6\n"
                             "while time.process_time() < end: pass\ntime.sleep(30)"])
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    sampler = procstat.Sampler(tmp_path / "s.jsonl", interval=0.1)
    try:
        deadline = time.monotonic() + 20
        while procstat._stat(busy.pid)[1] < 0.6 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.3)
    finally:
        sampler.stop()
        busy.kill()
        idle.kill()
    series = procstat.read_samples(tmp_path / "s.jsonl")
    assert sampler.pid not in series  # the sampler does not measure itself
    b, i = series[busy.pid], series[idle.pid]
    assert b.cpu[-1] >= 0.55 and i.cpu[-1] < 0.3
    assert b.at(b.t[-1] + 5) == b.cpu[-1] and b.at(b.t[0] - 5) == b.cpu[0]  # clamped outside the samples
    assert b.peak() > 0 and "process_time" in b.cmd
    run, demand = b.busiest_thread(b.t[0], b.t[-1])
    assert 0.0 <= run <= demand


def test_rate_fits_waves_without_counting_one_too_many() -> None:
    farm = _module("bench_farm_null")
    # 8 slots, 1 s evaluations: 8 results (a few ms apart) every second, 6 waves: 8 results per second.
    times = [w + k * 0.002 for w in range(6) for k in range(8)]
    assert abs(farm.rate(times) - 8.0) < 0.3
    # a naive (n - 1) / span would say 47 / 5.014 = 9.4
    assert abs((len(times) - 1) / (times[-1] - times[0]) - 8.0) > 1.0


def test_calibration_table_says_in_sample_and_held_out() -> None:
    cal = _module("calibrate_add")
    row = {"time_us": 100.0, "aiv_us": 90.0, "bottleneck": "mte2", "kind": "PIPE_BOUND", "entries": 1, "run_s": 1.0,
           "sim_s": 1.0, "cycles": 1} | {f"{p}_{k}": 1.0 for p, _ in cal.PIPES for k in ("us", "ratio")}
    text = cal.report([row | {"n": 3}, row | {"n": 4}], "ascend910b2", {"M": 8192, "N": 8192}, True)
    assert "| 3 | 48 cores, 32 KB copies |" in text and "in-sample: chip.read_cached_tb_s" in text
    line4 = next(ln for ln in text.splitlines() if ln.startswith("| 4 | + double buffer"))
    assert "held-out" in line4
    assert "Held-out cases [4]" in text


def test_acceptance_takes_medians_and_pairs_each_off_run_with_its_on_run() -> None:
    farm = _module("bench_farm_null")

    def cell(kb: bool, driver: float, achieved: float) -> object:
        r = farm.CellResult(knowledge=kb, slots=64, eval_s=0.1, agents=4, devices=16, window_n=1000,
                            achieved=achieved, ideal=640.0)
        r.cpu_ms = {"driver": driver, "scheduler": 0.3, "knowledge": 0.05, "ray": 0.05, "agents": 0.5}
        return r

    # Three pairs on a box whose load moves between them: the pairs' ratios are +10 %, +5 %, +40 %; pooled
    # over arms the medians (0.50 vs 0.40) would say +25 %.
    cells = [cell(False, 0.40, 630), cell(True, 0.44, 620), cell(False, 0.30, 600), cell(True, 0.315, 590),
             cell(False, 0.50, 635), cell(True, 0.70, 500)]
    lines = farm.acceptance(cells)
    assert lines[0].startswith("PASS") and "0.922 of ideal" in lines[0]    # on: median of 0.969, 0.922, 0.781
    assert lines[1].startswith("PASS") and "0.984 of ideal" in lines[1]    # off: median of 0.984, 0.938, 0.992
    assert lines[2].startswith("PASS") and ": 0.84 ms" in lines[2]
    assert lines[3].startswith("PASS") and "+10%" in lines[3] and "median of 3 off/on pairs" in lines[3]
    assert farm.acceptance(cells[:2])[3].endswith("one off/on pair)")
