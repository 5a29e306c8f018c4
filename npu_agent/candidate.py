"""A candidate as people write it: one C++ source, or several named files (a CANN op project, a direct-launch
kernel with its host code, an asc-devkit `.asc` file); docs/kernel-contract.md section 9.

The same validation serves the wire (EvaluateRequest.files), `hawk sim run DIR|TARBALL` and the twin, so a
candidate the CLI accepts is one the agent accepts. A single-file candidate keeps today's identity: its hash is
the SHA-256 of its text, exactly as before multi-file candidates existed.

A candidate may also carry preprocessor definitions its own build passes (`-DSCENARIO_NUM=2` from an asc-devkit
sample's CMakeLists): `defines`, `NAME` or `NAME=VALUE` each (EvaluateRequest.defines, `hawk sim run --define`).
They are part of its hash and of the compile cache key.
"""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

SINGLE_NAME = "kernel.cpp"  # the one-file contract's file name (diagnostics leave it out)
SOURCE_EXTENSIONS = (".cpp", ".cc", ".cxx", ".c++", ".h", ".hh", ".hpp", ".hxx", ".inc", ".asc")
MAX_FILES = 256
MAX_PATH_CHARS = 200
DEFAULT_MAX_BYTES = 1 << 20   # the agent's --max-source-bytes default; callers pass their own limit
_COMPONENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")
MAX_DEFINES = 64
MAX_DEFINE_CHARS = 256
_DEFINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:=([\x21-\x7e]*))?$")


class CandidateError(ValueError):
    """A candidate that cannot be accepted (bad file names, sizes, archive members); the message says which."""


def check_path(path: str) -> str:
    """A candidate file name: relative, '/'-separated, no '..', plain characters, a source extension."""
    if not path:
        raise CandidateError("a candidate file has an empty path")
    if len(path) > MAX_PATH_CHARS:
        raise CandidateError(f"candidate file path {path[:40]!r}... is longer than {MAX_PATH_CHARS} characters")
    if path.startswith("/") or "\\" in path or re.match(r"^[A-Za-z]:", path):
        raise CandidateError(f"candidate file path {path!r} must be relative ('/'-separated, no drive or leading /)")
    parts = path.split("/")
    for part in parts:
        if part in ("", ".", ".."):
            raise CandidateError(f"candidate file path {path!r} may not contain empty, '.' or '..' components")
        if not _COMPONENT.match(part):
            raise CandidateError(f"candidate file path {path!r}: {part!r} has characters outside [A-Za-z0-9_.+-]")
    if not path.lower().endswith(SOURCE_EXTENSIONS):
        raise CandidateError(f"candidate file {path!r} is not a source file; allowed extensions: "
                             f"{' '.join(SOURCE_EXTENSIONS)}")
    return path


def check_defines(defines: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Build definitions `NAME` or `NAME=VALUE`: an identifier, a value of printable non-space characters, bounded
    count and length; names the twin reserves (`hawk*`, leading `__`) are refused. Order is kept (a later
    definition of the same name wins, as with repeated -D)."""
    defines = tuple(defines)
    if len(defines) > MAX_DEFINES:
        raise CandidateError(f"the candidate has {len(defines)} defines; at most {MAX_DEFINES} are accepted")
    for d in defines:
        if not isinstance(d, str) or len(d) > MAX_DEFINE_CHARS:
            raise CandidateError(f"define {str(d)[:40]!r}... is longer than {MAX_DEFINE_CHARS} characters")
        m = _DEFINE.match(d)
        if m is None:
            raise CandidateError(f"define {d!r} is not NAME or NAME=VALUE (an identifier, then optionally '=' and a "
                                 "value of printable characters without spaces or newlines)")
        if m.group(1).lower().startswith("hawk") or m.group(1).startswith("__"):
            raise CandidateError(f"define {d!r}: names starting with 'hawk' or '__' are reserved by the twin")
    return defines


@dataclass(frozen=True)
class Candidate:
    """The candidate's files, path -> text, sorted by path; `single` for the one-file contract; the build
    definitions its own build passes (`NAME[=VALUE]`, in order)."""

    files: tuple[tuple[str, str], ...]
    single: bool = False
    defines: tuple[str, ...] = ()

    def with_defines(self, defines: list[str] | tuple[str, ...]) -> Candidate:
        """The same files with these build definitions (validated)."""
        return Candidate(files=self.files, single=self.single, defines=check_defines(defines))

    # ------------------------------------------------------------------------------------- builders
    @classmethod
    def from_source(cls, source: str) -> Candidate:
        return cls(files=((SINGLE_NAME, source),), single=True)

    @classmethod
    def from_files(cls, files: dict[str, str] | list[tuple[str, str]], *,
                   max_bytes: int = DEFAULT_MAX_BYTES) -> Candidate:
        """Several named files, validated (names, count, total size, text)."""
        items = list(files.items()) if isinstance(files, dict) else list(files)
        if not items:
            raise CandidateError("the candidate has no files")
        if len(items) > MAX_FILES:
            raise CandidateError(f"the candidate has {len(items)} files; at most {MAX_FILES} are accepted")
        seen: set[str] = set()
        total = 0
        for path, text in items:
            check_path(path)
            if path in seen:
                raise CandidateError(f"candidate file {path!r} appears twice")
            seen.add(path)
            if "\0" in text:
                raise CandidateError(f"candidate file {path!r} contains a NUL character")
            total += len(text.encode("utf-8"))
        if total > max_bytes:
            raise CandidateError(f"the candidate's files total {total} bytes; at most {max_bytes} are accepted")
        if not any(t.strip() for _, t in items):
            raise CandidateError("every candidate file is empty")
        return cls(files=tuple(sorted(items)), single=False)

    @classmethod
    def from_path(cls, path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Candidate:
        """A file (one-file contract, or a direct-launch `.cpp`/`.asc`), a directory or a tarball."""
        path = Path(path)
        if path.is_dir():
            return cls.from_files(_read_dir(path), max_bytes=max_bytes)
        name = path.name.lower()
        if name.endswith((".tar", ".tar.gz", ".tgz")):
            return cls.from_files(_read_tar(path, max_bytes), max_bytes=max_bytes)
        text = path.read_text()
        if name.endswith(".asc"):  # keep the extension: it selects the .asc shape
            return cls.from_files({check_path(path.name): text}, max_bytes=max_bytes)
        return cls.from_source(text)

    # ------------------------------------------------------------------------------------- views
    @property
    def source(self) -> str:
        """The text of a single-file candidate (for multi-file ones: every file, concatenated with headers)."""
        if self.single:
            return self.files[0][1]
        return "".join(f"// ---- {p}\n{t}\n" for p, t in self.files)

    @property
    def paths(self) -> list[str]:
        return [p for p, _ in self.files]

    def text(self, path: str) -> str:
        for p, t in self.files:
            if p == path:
                return t
        raise KeyError(path)

    @property
    def total_bytes(self) -> int:
        return sum(len(t.encode("utf-8")) for _, t in self.files)

    def hash(self) -> str:
        """SHA-256: of the text for a single file (as always); else of every (path, text), length-prefixed; with
        defines, of that hash and every define (so a candidate without defines keeps its hash)."""
        if self.single:
            base = hashlib.sha256(self.files[0][1].encode("utf-8")).hexdigest()
        else:
            h = hashlib.sha256(b"hawk-candidate-files-v1\0")
            for p, t in self.files:
                data = t.encode("utf-8")
                h.update(f"{len(p)}:{p}\0{len(data)}:".encode())
                h.update(data)
            base = h.hexdigest()
        if not self.defines:
            return base
        h = hashlib.sha256(f"hawk-candidate-defines-v1\0{base}\0".encode())
        for d in self.defines:
            h.update(f"{len(d)}:{d}\0".encode())
        return h.hexdigest()


def _strip_common_root(files: dict[str, str]) -> dict[str, str]:
    """`add_custom/op_host/x.cpp` -> `op_host/x.cpp`: an archive or directory wrapped in one top folder."""
    while files:
        firsts = {p.split("/", 1)[0] for p in files}
        if len(firsts) != 1 or any("/" not in p for p in files):
            break
        root = next(iter(firsts))
        if root in ("op_host", "op_kernel"):
            break
        files = {p.split("/", 1)[1]: t for p, t in files.items()}
    return files


def _relevant(path: str) -> bool:
    """Source files; build scripts, json descriptions and tests of an msopgen project are not the candidate."""
    parts = path.split("/")
    if any(p.startswith(".") for p in parts) or any(p in ("build", "build_out", "cmake", "scripts", "framework",
                                                          "testcases", "output") for p in parts[:-1]):
        return False
    return path.lower().endswith(SOURCE_EXTENSIONS)


def _read_dir(root: Path) -> dict[str, str]:
    files: dict[str, str] = {}
    for f in sorted(root.rglob("*")):
        if f.is_symlink():
            continue
        rel = f.relative_to(root).as_posix()
        if f.is_file() and _relevant(rel):
            files[rel] = f.read_text()
    if not files:
        raise CandidateError(f"{root} holds no source files ({' '.join(SOURCE_EXTENSIONS)})")
    return _strip_common_root(files)


def _read_tar(path: Path, max_bytes: int) -> dict[str, str]:
    """Safe extraction into memory: regular files only, no absolute paths, no '..', no links, bounded size."""
    files: dict[str, str] = {}
    total = 0
    try:
        with tarfile.open(path, "r:*") as tar:
            for m in tar:
                name = m.name
                while name.startswith("./"):
                    name = name[2:]
                if m.isdir() or not name:
                    continue
                if PurePosixPath(m.name).is_absolute() or ".." in PurePosixPath(m.name).parts:
                    raise CandidateError(f"{path}: archive member {m.name!r} has an absolute path or '..'")
                if m.issym() or m.islnk():
                    raise CandidateError(f"{path}: archive member {m.name!r} is a link; links are refused")
                if not m.isfile():
                    raise CandidateError(f"{path}: archive member {m.name!r} is not a regular file")
                if not _relevant(name):
                    continue
                total += m.size
                if total > max_bytes:
                    raise CandidateError(f"{path}: the source files in the archive exceed {max_bytes} bytes")
                fobj = tar.extractfile(m)
                data = fobj.read(max_bytes + 1) if fobj is not None else b""
                try:
                    files[name] = data.decode("utf-8")
                except UnicodeDecodeError:
                    raise CandidateError(f"{path}: {name} is not UTF-8 text") from None
    except (tarfile.TarError, OSError, EOFError) as e:
        raise CandidateError(f"{path}: not a readable tar archive ({e})") from None
    if not files:
        raise CandidateError(f"{path} holds no source files ({' '.join(SOURCE_EXTENSIONS)})")
    return _strip_common_root(files)


def tar_bytes(files: dict[str, str]) -> bytes:
    """A .tar.gz of `files` (tests and clients that ship a project as one blob)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for p, t in sorted(files.items()):
            data = t.encode("utf-8")
            info = tarfile.TarInfo(p)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
