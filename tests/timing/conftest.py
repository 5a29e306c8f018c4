"""One twin for the timing tests' real kernels (compiled once per session)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from npu_agent.simnpu import Twin


@pytest.fixture(scope="session")
def twin() -> Iterator[Twin]:
    # Not pytest's tmp_path: the sandbox uid must traverse into the twin's directories.
    root = Path(tempfile.mkdtemp(prefix="hawk-timing-test-"))
    root.chmod(0o711)
    yield Twin("ascend910b2", work_root=root)
    shutil.rmtree(root, ignore_errors=True)
