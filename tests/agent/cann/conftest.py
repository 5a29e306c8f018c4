"""Fixtures of the cann backend's tests: a CANN install laid out as the toolkit lays itself out (for detection and
command construction on a machine without CANN), and the `cann_device` marker for tests that need an NPU."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from npu_agent.backends.cann.environment import CannInstall, CannNotFound, find_cann
from npu_agent.sandbox import Sandbox


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cann_device: needs CANN and an Ascend NPU (runs only with HAWK_CANN_TESTS=1)")


def make_toolkit(root: Path, version: str = "8.0.RC3", *, msopgen: bool = True) -> Path:
    """A directory with the files find_cann looks for: set_env.sh, a version file, ascendc_kernel_cmake, tools.
    (Nothing in it runs: these tests check detection and the commands a build would run.)"""
    home = root / "ascend-toolkit" / "latest"
    (home / "compiler" / "tikcpp" / "ascendc_kernel_cmake").mkdir(parents=True)
    (home / "compiler" / "tikcpp" / "ascendc_kernel_cmake" / "ascendc.cmake").write_text("# placeholder\n")
    (home.parent / "set_env.sh").write_text("export ASCEND_HOME_PATH=" + str(home) + "\n")
    (home / "x86_64-linux").mkdir()
    (home / "x86_64-linux" / "ascend_toolkit_install.info").write_text(f"package_name=Ascend-cann-toolkit\nversion={version}\n")
    if msopgen:
        (home / "python" / "site-packages" / "bin").mkdir(parents=True)
        (home / "python" / "site-packages" / "bin" / "msopgen").write_text("#!/bin/sh\n")
    return home


@pytest.fixture
def toolkit(tmp_path: Path) -> tuple[CannInstall, Path]:
    """(install, dev root) of a laid-out toolkit with two NPU nodes, found by find_cann itself."""
    home = make_toolkit(tmp_path)
    dev = tmp_path / "dev"
    dev.mkdir()
    for n in (0, 1):
        (dev / f"davinci{n}").write_text("")
    empty = tmp_path / "nobin"
    empty.mkdir()
    install = find_cann({"ASCEND_HOME_PATH": str(home), "PATH": str(empty)}, dev_root=dev)
    return install, dev


def device_install() -> CannInstall:
    """This host's CANN and NPUs, or skip saying why (device tests run only with HAWK_CANN_TESTS=1)."""
    if os.environ.get("HAWK_CANN_TESTS") != "1":
        pytest.skip("device test: set HAWK_CANN_TESTS=1 on a host with CANN and an Ascend NPU to run it")
    try:
        return find_cann()
    except CannNotFound as e:
        pytest.skip(f"device test: HAWK_CANN_TESTS=1 but {e}")


@pytest.fixture(scope="session")
def cann_sandbox() -> Iterator[Sandbox]:
    """One real sandbox for these tests (building its launcher costs a compile)."""
    root = Path(tempfile.mkdtemp(prefix="hawk-cann-sbx-"))
    root.chmod(0o711)
    yield Sandbox(root / "sandbox")
    shutil.rmtree(root, ignore_errors=True)
