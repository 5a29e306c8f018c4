"""Runs a task's numpy reference inside the agent's sandbox: ``python -I reference_runner.py manifest.json``, or
``... manifest.json go <numpy_path> <idle_s>`` to start before the job is known (numpy imported, then one line read from the
FIFO ``go``: "go" once the agent wrote the manifest and inputs, anything else to exit unused; the process serves
that one job and exits, or exits by itself after idle_s).

Self-contained on purpose (numpy and the standard library only, no hawk imports), so the sandbox needs
nothing of the agent but this file and a Python with numpy. The agent writes, in the working directory:
``manifest.json`` ({"task", "entry", "inputs": [names], "sets": n, "numpy_path", "timeout_s"}), ``reference.py`` (the task's
reference source) and ``in<set>_<k>.npy`` per input (already in the dtype numpy computes in). For each set the
runner calls the reference once and writes what it returned as ``out<set>_<j>.npy`` (j-th returned value).

Progress goes to the result pipe (fd in HAWK_RESULT_FD) as JSON lines: ``{"started": true}`` once numpy is
imported (before any task code runs: what fails earlier is the sandbox's problem, what fails later the
task's), ``{"set": i, "returned": n, "none": [j...]}`` per set, then ``{"done": true}``; or
``{"error": "..."}`` when the reference raised. Task code runs in this process, so it can write to the pipe
too; the agent trusts nothing after "started" except the output files it validates itself.
"""

import json
import os
import signal
import sys
import traceback


def _emit(fd: int, message: dict) -> None:
    data = (json.dumps(message) + "\n").encode()
    while data:
        data = data[os.write(fd, data):]


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _where(tb) -> str:
    """Line of the reference source where the exception was raised (the deepest frame in it)."""
    line = 0
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename.startswith("<reference"):
            line = lineno
    return f" (reference line {line})" if line else ""


def main(argv: list) -> int:
    fd = int(os.environ["HAWK_RESULT_FD"])
    if len(argv) > 2:
        # Started before its job (the agent hides Python + numpy start-up): numpy's path is given, the job
        # arrives later. Block on the FIFO `argv[2]` for one line: "go" (the manifest and inputs are written
        # now) or anything else (retired unused: exit quietly).
        sys.path.insert(0, argv[3])
        import numpy as np

        _emit(fd, {"started": True})
        # Unused for argv[4] seconds: leave quietly (before the sandbox's own deadline would kill it).
        signal.signal(signal.SIGALRM, lambda *_: os._exit(0))
        signal.setitimer(signal.ITIMER_REAL, float(argv[4]))
        with open(argv[2], encoding="utf-8") as go:
            line = go.readline().strip()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        if line != "go":
            return 0
        with open(argv[1], encoding="utf-8") as f:
            manifest = json.load(f)
    else:
        with open(argv[1], encoding="utf-8") as f:
            manifest = json.load(f)
        sys.path.insert(0, manifest["numpy_path"])  # `python -I` has no site-packages of the agent's venv
        import numpy as np

        _emit(fd, {"started": True})
    # The task's own deadline, from now: SIGALRM ends the process (task code that catches it still meets the
    # sandbox's hard deadline a few seconds later).
    signal.setitimer(signal.ITIMER_REAL, float(manifest["timeout_s"]))
    name = manifest["task"]
    stage = "loading the reference"
    try:
        with open("reference.py", encoding="utf-8") as f:
            source = f.read()
        namespace = {"np": np, "numpy": np, "__name__": f"hawk_reference_{name}"}
        exec(compile(source, f"<reference of {name}>", "exec"), namespace)  # noqa: S102 - this is the sandbox
        fn = namespace.get(manifest["entry"])
        if not callable(fn):
            _emit(fd, {"error": f"reference_source defines no function {manifest['entry']!r}"})
            return 0
        for i in range(int(manifest["sets"])):
            stage = f"input set {i}"
            args = {n: np.load(f"in{i}_{k}.npy", allow_pickle=False) for k, n in enumerate(manifest["inputs"])}
            result = fn(**args)
            del args
            values = list(result) if isinstance(result, (tuple, list)) else [result]
            none = []
            for j, v in enumerate(values):
                if v is None:
                    none.append(j)
                    continue
                stage = f"saving returned value {j} of input set {i}"
                np.save(f"out{i}_{j}.npy", np.asarray(v), allow_pickle=False)
            _emit(fd, {"set": i, "returned": len(values), "none": none})
            del result, values
    except SyntaxError as e:
        _emit(fd, {"error": f"reference_source line {e.lineno}: {e.msg}"})
        return 0
    except BaseException as e:  # noqa: BLE001 - whatever task code raises is reported, not re-raised
        _emit(fd, {"error": f"{_one_line(e)}{_where(e.__traceback__)} while {stage}"})
        return 0
    _emit(fd, {"done": True})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
