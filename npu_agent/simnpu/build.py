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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from npu_agent.hardware import DEFAULT_PROFILE, HardwareProfile, load_profile

HERE = Path(__file__).resolve().parent
INCLUDE_DIR = HERE / "include"
RUNTIME_DIR = HERE / "runtime"  # one .cpp per layer or API family, internal.h between them
SANDBOX_DIR = HERE.parent / "sandbox"
CXX = shutil.which(os.environ.get("HAWK_SIM_CXX", "g++")) or os.environ.get("HAWK_SIM_CXX", "g++")
# Candidate and precompiled-header flags must be identical, or GCC silently ignores the PCH.
# -Werror=prio-ctor-dtor: a candidate constructor may not claim a priority below the runtime's lockdown (101).
CANDIDATE_FLAGS = ("-std=c++17", "-O1", "-fPIE", "-pipe", "-pthread", "-Werror=prio-ctor-dtor")
RUNTIME_FLAGS = ("-std=c++17", "-O2", "-fPIE", "-pipe", "-Wall")
LINK_FLAGS = ("-pie",)
# A work root holding twin builds that other work roots on this host link to instead of building their own.
SHARED_BUILD_ENV = "HAWK_SIM_SHARED_BUILD"


def arch_flags(npu_arch: int, cce_aicore: int) -> tuple[str, ...]:
    """-D flags for the device compiler's predefined arch macros (both from the hardware profile's [soc])."""
    return (f"-D__NPU_ARCH__={int(npu_arch)}", f"-D__CCE_AICORE__={int(cce_aicore)}")


def _flags(std: str | None) -> tuple[str, ...]:
    """CANDIDATE_FLAGS, with another -std= when one is given."""
    return CANDIDATE_FLAGS if std is None else tuple(f"-std={std}" if f.startswith("-std=") else f
                                                     for f in CANDIDATE_FLAGS)


class TwinBuildError(RuntimeError):
    """The twin itself failed to build (an agent problem, never a candidate's)."""


@dataclass(frozen=True)
class TwinBuild:
    root: Path            # work_root/twin-<headers/runtime hash>
    version: str          # <headers/runtime hash>-<npu_arch>: what a candidate binary depends on
    runtime_object: Path
    pch_dir: Path         # holds kernel_operator.h.gch (and a copy of the header beside it), one per NPU arch
    npu_arch: int         # __NPU_ARCH__ of the hardware profile ([soc] npu_arch)
    cce_aicore: int       # __CCE_AICORE__ ([soc] cce_aicore)
    # The device compiler's predefined macros of the cube and vector sub-archs ([soc] core_macros_aic / _aiv);
    # empty on a coupled architecture, where a kernel is compiled once (npu_agent/simnpu/percore.py).
    core_macros: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())

    @property
    def include_dir(self) -> Path:
        """The twin's headers as the sandboxed compiler reads them: a copy inside the build, so a checkout under a
        directory the sandbox uid may not enter (a 0700 home or temp dir) still compiles candidates."""
        return self.root / "include"

    @property
    def host_stub_dir(self) -> Path:
        return self.include_dir / "hawk" / "host"

    @property
    def arch_flags(self) -> tuple[str, ...]:
        """The predefined macros of the CANN device compiler for this arch; identical for PCH and candidate."""
        return arch_flags(self.npu_arch, self.cce_aicore)

    def object_argv(self, source: str, output: str, *, use_pch: bool = True,
                    quote_dirs: list[str] | None = None, defines: tuple[str, ...] | list[str] = (),
                    std: str | None = None) -> list[str]:
        """g++ command line compiling one translation unit to an object, as compile_argv compiles it (the
        per-core-type build compiles and links in separate steps, npu_agent/simnpu/percore.py). `std` replaces
        the language standard (the precompiled header, built for the default, is then not used)."""
        pch = ["-I", str(self.pch_dir)] if use_pch and std is None else []
        quotes = [a for d in quote_dirs or [] for a in ("-iquote", d)]
        return [CXX, *_flags(std), *self.arch_flags, *(f"-D{d}" for d in defines), *pch, "-I", str(self.include_dir),
                *quotes, "-idirafter", str(self.host_stub_dir), "-include", "kernel_operator.h", "-c", source, "-o",
                output]

    def link_argv(self, inputs: list[str], output: str) -> list[str]:
        """g++ command line linking candidate objects (and generated sources that need no header) with the
        runtime object first, as compile_argv links."""
        return [CXX, *CANDIDATE_FLAGS, str(self.runtime_object), *inputs, *LINK_FLAGS, "-o", output]

    def compile_argv(self, source: str | list[str], output: str, *, use_pch: bool = True,
                     quote_dirs: list[str] | None = None, defines: tuple[str, ...] | list[str] = (),
                     std: str | None = None) -> list[str]:
        """g++ command line for one candidate (one or several translation units): kernel_operator.h is
        force-included in each (from the PCH unless told otherwise, or unless another C++ standard is asked for),
        then the runtime object is linked. host_stub_dir (AscendCL and sample helpers for direct-launch host code)
        is searched last. `defines` are the candidate's own build definitions (validated by
        npu_agent.candidate.check_defines), passed as -D."""
        pch = ["-I", str(self.pch_dir)] if use_pch and std is None else []
        sources = [source] if isinstance(source, str) else list(source)
        quotes = [a for d in quote_dirs or [] for a in ("-iquote", d)]
        # The runtime object comes first: among constructors of the same priority, link order decides, and the
        # runtime's seccomp lockdown must run before anything the candidate declares.
        return [CXX, *_flags(std), *self.arch_flags, *(f"-D{d}" for d in defines), *pch, "-I", str(self.include_dir),
                *quotes, "-idirafter",
                str(self.host_stub_dir), str(self.runtime_object), "-include", "kernel_operator.h", *sources, *LINK_FLAGS,
                "-o", output]


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
    files = (sorted(INCLUDE_DIR.rglob("*.h")) + runtime_sources() + [RUNTIME_DIR / "internal.h",
                                                                   SANDBOX_DIR / "seccomp_lockdown.h"])
    for f in files:
        h.update(str(f.relative_to(HERE.parent)).encode())
        h.update(f.read_bytes())
    h.update(compiler_identity().encode())
    h.update(" ".join(CANDIDATE_FLAGS + RUNTIME_FLAGS + LINK_FLAGS).encode())
    return h.hexdigest()[:16]


def runtime_sources() -> list[Path]:
    return sorted(RUNTIME_DIR.glob("*.cpp"))


def _build_runtime(out_dir: Path) -> Path:
    """Compiles the runtime's files in parallel and joins them into one relocatable object, so the candidate link
    names a single runtime object first (its lockdown constructor must win ties with the candidate's)."""
    objects = [out_dir / f"{src.stem}.o" for src in runtime_sources()]

    def one(src: Path, obj: Path) -> None:
        _run([CXX, *RUNTIME_FLAGS, "-I", str(INCLUDE_DIR), "-I", str(SANDBOX_DIR), "-c", str(src), "-o", str(obj)],
             f"runtime ({src.name})")

    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        list(pool.map(one, runtime_sources(), objects))
    joined = out_dir / "hawk_runtime.o"
    _run([CXX, "-r", "-nostdlib", *map(str, objects), "-o", str(joined)], "runtime (joining objects)")
    for obj in objects:
        obj.unlink()
    return joined


def _run(argv: list[str], what: str) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise TwinBuildError(f"building the twin {what} failed:\n{' '.join(argv)}\n{proc.stderr[-4000:]}")


def ensure_twin(work_root: Path, hardware: HardwareProfile | None = None) -> TwinBuild:
    """The twin build for the current version and NPU arch under work_root, building it once (file-locked across
    processes). The runtime object is shared by every arch; the precompiled header is per arch, because
    __NPU_ARCH__ must be defined identically for the header and the candidate (or GCC ignores the PCH)."""
    soc = (hardware or load_profile(DEFAULT_PROFILE))["soc"]
    npu_arch, cce_aicore = int(soc["npu_arch"]), int(soc["cce_aicore"])
    work_root = Path(work_root)
    work_root.mkdir(parents=True, exist_ok=True)
    base = twin_version()
    root = work_root / f"twin-{base}"
    tag = f"{npu_arch}-{cce_aicore}"
    core_macros = (tuple(str(m) for m in soc.get("core_macros_aic", ())),
                   tuple(str(m) for m in soc.get("core_macros_aiv", ())))
    build = TwinBuild(root=root, version=f"{base}-{tag}", runtime_object=root / "hawk_runtime.o",
                      pch_dir=root / f"pch-{tag}", npu_arch=npu_arch, cce_aicore=cce_aicore, core_macros=core_macros)
    shared = os.environ.get(SHARED_BUILD_ENV, "")
    if shared and Path(shared).resolve() != work_root.resolve() and not (build.pch_dir / ".complete").exists():
        _link_shared(work_root, build, ensure_twin(Path(shared), hardware))
    _ensure_runtime(work_root, root, base)
    _ensure_pch(work_root, build)
    return build


def _link_shared(work_root: Path, build: TwinBuild, shared: TwinBuild) -> None:
    """Fills work_root's build from the same version's build under $HAWK_SIM_SHARED_BUILD (hard links, else
    copies): several agents or test twins on one host then pay the ~35 CPU-seconds of g++ once. The files are
    read-only to candidates either way, and the version hash is the same, so the result is the build itself."""
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:  # another filesystem
            shutil.copy2(src, dst)

    with open(work_root / ".twin-build.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            for src, dst, skip in ((shared.root, build.root, "pch-*"), (shared.pch_dir, build.pch_dir, "")):
                if (dst / ".complete").exists():
                    continue
                tmp = work_root / f".{dst.name}.link{os.getpid()}"
                shutil.rmtree(tmp, ignore_errors=True)
                patterns = (".*", skip) if skip else (".*",)  # .complete comes last; the root skips pch dirs
                shutil.copytree(src, tmp, copy_function=link, ignore=shutil.ignore_patterns(*patterns))
                (tmp / ".complete").write_text((src / ".complete").read_text())
                if dst.exists():
                    shutil.rmtree(dst)
                os.replace(tmp, dst)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _ensure_runtime(work_root: Path, root: Path, version: str) -> None:
    done = root / ".complete"
    if done.exists():
        return
    with open(work_root / ".twin-build.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if done.exists():
                return
            tmp = work_root / f".twin-{version}.tmp{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            _build_runtime(tmp)
            shutil.copytree(INCLUDE_DIR, tmp / "include")
            for d in (tmp, *(x for x in (tmp / "include").rglob("*") if x.is_dir())):
                d.chmod(0o755)
            for f in (tmp / "include").rglob("*"):
                if f.is_file():
                    f.chmod(0o644)
            (tmp / "hawk_runtime.o").chmod(0o644)
            (tmp / ".complete").write_text(version)
            if root.exists():
                shutil.rmtree(root)
            os.replace(tmp, root)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _ensure_pch(work_root: Path, build: TwinBuild) -> None:
    done = build.pch_dir / ".complete"
    if done.exists():
        return
    with open(work_root / ".twin-build.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if done.exists():
                return
            tmp = build.root / f".{build.pch_dir.name}.tmp{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            # GCC looks for <dir>/kernel_operator.h.gch where it finds the header; the copy beside it serves the
            # candidate's own #include "kernel_operator.h" (a no-op through the include guard).
            shutil.copy2(build.include_dir / "kernel_operator.h", tmp / "kernel_operator.h")
            _run([CXX, *CANDIDATE_FLAGS, *build.arch_flags, "-I", str(build.include_dir), "-x", "c++-header",
                  str(build.include_dir / "kernel_operator.h"), "-o", str(tmp / "kernel_operator.h.gch")],
                 "precompiled header")
            tmp.chmod(0o755)
            for f in tmp.iterdir():
                f.chmod(0o644)
            (tmp / ".complete").write_text(build.version)
            if build.pch_dir.exists():
                shutil.rmtree(build.pch_dir)
            os.replace(tmp, build.pch_dir)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
