"""Fixtures for the twin's tests: one twin (build, compile cache, sandbox) for the whole session, so each
kernel compiles once per session however many tests use it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from npu_agent.simnpu import Twin


@pytest.fixture(scope="session")
def twin_root() -> Iterator[Path]:
    # Not pytest's tmp_path: it is 0700 under root, and the sandbox uid must traverse into the twin's dirs.
    root = Path(tempfile.mkdtemp(prefix="hawk-simnpu-test-"))
    root.chmod(0o711)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def twin(twin_root: Path) -> Twin:
    return Twin("ascend910b2", work_root=twin_root)
