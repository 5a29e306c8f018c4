"""The twin build: the runtime object and the precompiled kernel_operator.h, made once per twin version.

A twin version is the hash of every header, the runtime source, the sandbox's seccomp header, the compiler's
version and the flags, so any change to the twin rebuilds it and invalidates every cached candidate binary.
The build is our own trusted code, so it runs outside the sandbox; candidates never do.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
INCLUDE_DIR = HERE / "include"
HOST_STUB_DIR = INCLUDE_DIR / "hawk" / "host"
RUNTIME_SOURCE = HERE / "runtime" / "hawk_runtime.cpp"
OPDEF_SOURCE = HERE / "runtime" / "hawk_opdef.cpp"   # op projects' OpDef check (hawk/opdef.h)
SANDBOX_DIR = HERE.parent / "sandbox"
CXX = shutil.which(os.environ.get("HAWK_SIM_CXX", "g++")) or os.environ.get("HAWK_SIM_CXX", "g++")
# Candidate and precompiled-header flags must be identical, or GCC silently ignores the PCH.
# -Werror=prio-ctor-dtor: a candidate constructor may not claim a priority below the runtime's lockdown (101).
CANDIDATE_FLAGS = ("-std=c++17", "-O1", "-fPIE", "-pipe", "-pthread", "-Werror=prio-ctor-dtor")
RUNTIME_FLAGS = ("-std=c++17", "-O2", "-fPIE", "-pipe", "-Wall")
LINK_FLAGS = ("-pie",)


class TwinBuildError(RuntimeError):
    """The twin itself failed to build (an agent problem, never a candidate's)."""


@dataclass(frozen=True)
class TwinBuild:
    root: Path            # work_root/twin-<version>
    version: str
    runtime_object: Path
    pch_dir: Path         # holds kernel_operator.h.gch (and a copy of the header beside it)
    opdef_object: Path | None = None

    def compile_argv(self, source: str | list[str], output: str, *, use_pch: bool = True,
                     quote_dirs: list[str] | None = None) -> list[str]:
        """g++ command line for one candidate (one or several translation units): kernel_operator.h is
        force-included in each (from the PCH unless told otherwise), then the runtime object is linked.
        HOST_STUB_DIR (AscendCL and sample helpers for direct-launch host code) is searched last."""
        pch = ["-I", str(self.pch_dir)] if use_pch else []
        sources = [source] if isinstance(source, str) else list(source)
        quotes = [a for d in quote_dirs or [] for a in ("-iquote", d)]
        # The runtime object comes first: among constructors of the same priority, link order decides, and the
        # runtime's seccomp lockdown must run before anything the candidate declares.
        return [CXX, *CANDIDATE_FLAGS, *pch, "-I", str(INCLUDE_DIR), *quotes, "-idirafter", str(HOST_STUB_DIR),
                str(self.runtime_object), *([str(self.opdef_object)] if self.opdef_object else []),
                "-include", "kernel_operator.h", *sources, *LINK_FLAGS, "-o", output]


@cache
def compiler_identity() -> str:
    try:
        out = subprocess.run([CXX, "--version"], capture_output=True, text=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise TwinBuildError(f"the C++ compiler {CXX!r} is not usable: {e}") from e
    return out.splitlines()[0] if out else CXX


def twin_version() -> str:
    """Content hash of everything a candidate binary depends on besides its own source."""
    h = hashlib.sha256()
    files = sorted(INCLUDE_DIR.rglob("*.h")) + [RUNTIME_SOURCE, OPDEF_SOURCE, SANDBOX_DIR / "seccomp_lockdown.h"]
    for f in files:
        h.update(str(f.relative_to(HERE.parent)).encode())
        h.update(f.read_bytes())
    h.update(compiler_identity().encode())
    h.update(" ".join(CANDIDATE_FLAGS + RUNTIME_FLAGS + LINK_FLAGS).encode())
    return h.hexdigest()[:16]


def _run(argv: list[str], what: str) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise TwinBuildError(f"building the twin {what} failed:\n{' '.join(argv)}\n{proc.stderr[-4000:]}")


def ensure_twin(work_root: Path) -> TwinBuild:
    """The twin build for the current version under work_root, building it once (file-locked across processes)."""
    work_root = Path(work_root)
    work_root.mkdir(parents=True, exist_ok=True)
    version = twin_version()
    root = work_root / f"twin-{version}"
    build = TwinBuild(root=root, version=version, runtime_object=root / "hawk_runtime.o", pch_dir=root / "pch",
                      opdef_object=root / "hawk_opdef.o")
    done = root / ".complete"
    if done.exists():
        return build
    with open(work_root / ".twin-build.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if done.exists():
                return build
            tmp = work_root / f".twin-{version}.tmp{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            (tmp / "pch").mkdir(parents=True)
            _run([CXX, *RUNTIME_FLAGS, "-I", str(INCLUDE_DIR), "-I", str(SANDBOX_DIR), "-c", str(RUNTIME_SOURCE),
                  "-o", str(tmp / "hawk_runtime.o")], "runtime")
            _run([CXX, *RUNTIME_FLAGS, "-I", str(INCLUDE_DIR), "-c", str(OPDEF_SOURCE), "-o", str(tmp / "hawk_opdef.o")],
                 "OpDef check")
            # GCC looks for <dir>/kernel_operator.h.gch where it finds the header; the copy beside it serves the
            # candidate's own #include "kernel_operator.h" (a no-op through the include guard).
            shutil.copy2(INCLUDE_DIR / "kernel_operator.h", tmp / "pch" / "kernel_operator.h")
            _run([CXX, *CANDIDATE_FLAGS, "-I", str(INCLUDE_DIR), "-x", "c++-header",
                  str(INCLUDE_DIR / "kernel_operator.h"), "-o", str(tmp / "pch" / "kernel_operator.h.gch")],
                 "precompiled header")
            for d in (tmp, tmp / "pch"):
                d.chmod(0o755)
            for f in tmp.rglob("*"):
                if f.is_file():
                    f.chmod(0o644)
            (tmp / ".complete").write_text(version)
            if root.exists():
                shutil.rmtree(root)
            os.replace(tmp, root)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return build
