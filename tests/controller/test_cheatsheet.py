"""The API cheat-sheet every LLM prompt carries names only what exists: each of its code blocks compiles on the
Ascend C twin (real g++), and every API, type or macro its prose names is used in one of those blocks."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.prompt import cheat_sheet, fenced_blocks
from hawk.v1 import result_pb2
from npu_agent.simnpu import Twin

PLACEHOLDERS = {"Op", "T"}  # `Op(dst, src0, src1, count)` stands for any binary API


@pytest.fixture(scope="module")
def twin() -> Iterator[Twin]:
    # Not pytest's tmp_path: it is 0700 under root, and the sandbox uid must traverse into the twin's dirs.
    root = Path(tempfile.mkdtemp(prefix="hawk-cheatsheet-"))
    root.chmod(0o711)
    yield Twin("ascend910b2", work_root=root)
    shutil.rmtree(root, ignore_errors=True)


def _blocks() -> list[str]:
    blocks, _, unclosed = fenced_blocks(cheat_sheet())
    assert not unclosed
    return [body for lang, body in blocks if lang == "cpp"]


def test_every_code_block_compiles_on_the_twin(twin: Twin) -> None:
    blocks = _blocks()
    assert len(blocks) >= 2
    for body in blocks:
        entry = re.search(r'extern "C" __global__ __aicore__ void (\w+)\(', body)
        assert entry, f"a cheat-sheet block has no kernel entry:\n{body[:300]}"
        out = twin.compile(body, entry.group(1))
        assert out.status == result_pb2.OK, f"{entry.group(1)}: {out.message}\n{out.log_tail[-3000:]}"


def test_every_name_the_prose_gives_is_compiled_in_a_block() -> None:
    _, prose, _ = fenced_blocks(cheat_sheet())
    code = "\n".join(_blocks())
    spans = re.findall(r"`([^`\n]+)`", prose)
    names = {n for s in spans for n in re.findall(r"\b[A-Z]\w*", s)}
    names |= set(re.findall(r"\b[A-Z][a-z]+[A-Z]\w*", prose))   # CamelCase API names outside spans too
    names -= PLACEHOLDERS
    assert {"DataCopyPad", "Mmad", "Fixpipe", "WholeReduceSum", "Select"} <= names
    missing = sorted(n for n in names if not re.search(rf"\b{re.escape(n)}\b", code))
    assert missing == [], f"named in the cheat-sheet but not in any compiled block: {missing}"
    assert "HAWK_REGISTER_TILING" not in cheat_sheet()
