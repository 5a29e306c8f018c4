"""Session-wide setup for the whole suite (and tests/security).

One twin build (runtime object + precompiled header, ~35 CPU-seconds of g++) for the session: every twin,
agent and `hawk agent serve` subprocess the tests start links its work root's build to it
($HAWK_SIM_SHARED_BUILD, npu_agent/simnpu/build.py) instead of compiling the same content-addressed build
again. What a test checks of a twin is unchanged: the build is the same files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from npu_agent.simnpu.build import SHARED_BUILD_ENV

_OWN_SHARED_BUILD: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _OWN_SHARED_BUILD
    if SHARED_BUILD_ENV in os.environ:  # the caller's (empty: every work root builds its own) or xdist's
        return
    # Not pytest's tmp_path: it is 0700 under root, and the sandbox uid reads the build's files.
    _OWN_SHARED_BUILD = Path(tempfile.mkdtemp(prefix="hawk-twin-shared-"))
    _OWN_SHARED_BUILD.chmod(0o711)
    os.environ[SHARED_BUILD_ENV] = str(_OWN_SHARED_BUILD)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _OWN_SHARED_BUILD is not None:
        os.environ.pop(SHARED_BUILD_ENV, None)
        shutil.rmtree(_OWN_SHARED_BUILD, ignore_errors=True)


@pytest.fixture
def sandbox_root() -> Iterator[Path]:
    """A directory the unprivileged sandbox uid can traverse (pytest's tmp_path is 0700 under root)."""
    d = Path(tempfile.mkdtemp(prefix="hawk-sbx-"))
    d.chmod(0o711)
    yield d
    shutil.rmtree(d, ignore_errors=True)
