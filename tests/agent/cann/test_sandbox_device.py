"""The sandbox's support for NPU runs (cann backend): `devices=` binds a /dev node usable into a run's new root
(every other bind is nodev), only nodes under /dev are accepted, and the `device` seccomp profile lets a run use
ioctl on it and run make's id calls, which the `compile` profile refuses. /dev/full stands in as the node here:
a real character device that exists on every Linux host (the NPU's /dev/davinci<N> exists only on Ascend hosts)."""

from __future__ import annotations

import shutil

import pytest

from npu_agent.sandbox import Limits, Sandbox


@pytest.fixture
def sandbox(cann_sandbox):
    if not cann_sandbox.capabilities.mount_namespace:
        pytest.skip("this host gives the sandbox no mount namespace: /dev is the host's and --dev has no effect")
    return cann_sandbox


def sh(sandbox: Sandbox, script: str, **kw):
    work = sandbox.make_workdir("dev-test")
    try:
        return sandbox.run(["/bin/sh", "-c", script], cwd=work, limits=Limits(cpu_seconds=10), timeout_s=30, **kw)
    finally:
        sandbox.remove_workdir(work)


def test_a_bound_device_node_is_usable_and_absent_otherwise(sandbox) -> None:
    read = "head -c 4 /dev/full | od -An -tx1"
    r = sh(sandbox, read, profile="device", devices=["/dev/full"])
    assert r.stdout.split() == [b"00"] * 4, r.stderr  # the device itself answered: bound, and not nodev
    r = sh(sandbox, read, profile="device")
    assert r.stdout.split() == [] and b"/dev/full" in r.stderr
    r = sh(sandbox, read, profile="device", readonly_paths=["/dev/full"])  # an ordinary bind stays nodev
    assert r.stdout.split() == [] and b"Permission denied" in r.stderr, r.stderr


def test_only_nodes_under_dev_are_accepted(sandbox) -> None:
    with pytest.raises(ValueError, match="not a device node under /dev"):
        sh(sandbox, "true", profile="device", devices=["/etc/hostname"])
    with pytest.raises(ValueError, match="not a device node under /dev"):
        sh(sandbox, "true", profile="device", devices=["/dev/../etc/hostname"])


def test_device_profile_allows_make_where_compile_refuses_it(sandbox, tmp_path) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    script = "printf 'all:\\n\\t@echo built\\n' > Makefile && make"
    assert sh(sandbox, script, profile="device").stdout.strip() == b"built"
    refused = sh(sandbox, script, profile="compile")
    assert b"Bad system call" in refused.stderr or refused.returncode != 0
