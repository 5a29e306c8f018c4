"""Finding a CANN install and its devices, or refusing with one line that says what is missing.

CANN is found the way its own scripts find it: `set_env.sh` of the toolkit exports ASCEND_HOME_PATH (older
toolkits: ASCEND_TOOLKIT_HOME), and every tool lives at a fixed place under it. Devices come from the runtime's
own view: `npu-smi info -l` (the driver's tool), else the ACL runtime's aclrtGetDeviceCount (in a child process),
else the /dev/davinci<N> nodes the driver creates. The agent's own process never initialises ACL; the backend
checks a device's health before each run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# The CANN releases this backend is written against (docs/agent.md "Installing on an Ascend host"): the
# kernel-invocation build (`ascendc_library`, ACLRT_LAUNCH_KERNEL) and msopgen op projects as documented for 8.x.
MIN_VERSION = (8, 0)
MAX_VERSION = (8, 99)

# Device nodes a process needs to use NPU N (Ascend's container documentation lists the same set).
SHARED_DEVICE_NODES = ("/dev/davinci_manager", "/dev/devmm_svm", "/dev/hisi_hdc")


class CannNotFound(RuntimeError):
    """No usable CANN install or device on this host; the message is one line naming what is missing."""


@dataclass(frozen=True)
class CannInstall:
    home: Path                      # ASCEND_HOME_PATH, e.g. /usr/local/Ascend/ascend-toolkit/latest
    version: str                    # e.g. "8.0.RC3"
    set_env: Path                   # the set_env.sh that configures it
    cmake_dir: Path                 # ascendc_kernel_cmake (the `ascendc.cmake` of the kernel-invocation samples)
    bisheng: Path | None            # the device compiler ascendc.cmake drives
    msopgen: Path | None            # op-project generator (op projects and one-file candidates with tiling)
    msprof: Path | None             # profiler (`msprof op`)
    npu_smi: Path | None            # the driver's tool
    devices: list[int] = field(default_factory=list)
    soc_version: str = ""           # from npu-smi, e.g. "Ascend910B2" ("" when npu-smi did not say)
    driver: Path = Path("/usr/local/Ascend/driver")

    def device_nodes(self, device_id: int) -> list[str]:
        """The /dev nodes a run on `device_id` needs inside the sandbox."""
        return [f"/dev/davinci{device_id}", *(p for p in SHARED_DEVICE_NODES if Path(p).exists())]

    def readonly_paths(self) -> list[Path]:
        """What a sandboxed build or run sees of CANN: the toolkit and the driver, also under their real paths
        (`latest` is a symlink to the versioned directory, whose own links are absolute)."""
        out: list[Path] = []
        for p in (self.home, self.home.resolve(), self.driver, self.driver.resolve(), self.cmake_dir.resolve()):
            if p.exists() and p not in out:
                out.append(p)
        return out

    def env(self) -> dict[str, str]:
        """What set_env.sh exports that the build and the launcher need (the sandbox scrubs everything else)."""
        home = str(self.home)
        libs = [f"{home}/lib64", f"{home}/runtime/lib64", f"{home}/compiler/lib64",
                f"{self.driver}/lib64", f"{self.driver}/lib64/common", f"{self.driver}/lib64/driver"]
        bins = [f"{home}/bin", f"{home}/compiler/ccec_compiler/bin", f"{home}/tools/profiler/bin",
                "/usr/local/bin", "/usr/bin", "/bin"]
        return {"ASCEND_HOME_PATH": home, "ASCEND_TOOLKIT_HOME": home, "ASCEND_OPP_PATH": f"{home}/opp",
                "ASCEND_AICPU_PATH": home, "LD_LIBRARY_PATH": ":".join(libs), "PATH": ":".join(bins),
                "PYTHONPATH": f"{home}/python/site-packages:{home}/opp/built-in/op_impl/ai_core/tbe"}


def parse_version(text: str) -> str | None:
    """The toolkit version from a version.cfg / *_install.info / version.info text ("8.0.RC3", "8.1.0")."""
    for pattern in (r"^\s*version\s*=\s*\[?([0-9][\w.]*)", r"^\s*Version\s*=\s*([0-9][\w.]*)",
                    r"toolkit_running_version\s*=\s*\[[^:\]]*:?([0-9][\w.]*)"):
        m = re.search(pattern, text, re.M | re.I)
        if m:
            return m.group(1)
    return None


def version_tuple(version: str) -> tuple[int, int]:
    parts = re.findall(r"\d+", version)
    return (int(parts[0]), int(parts[1]) if len(parts) > 1 else 0) if parts else (0, 0)


def _read_version(home: Path) -> str | None:
    candidates = [home / "version.cfg", home / "compiler" / "version.info", home / "runtime" / "version.info",
                  *sorted(home.glob("*-linux/ascend_toolkit_install.info")),
                  *sorted(home.glob("*/ascend_toolkit_install.info"))]
    for p in candidates:
        try:
            v = parse_version(p.read_text(errors="replace"))
        except OSError:
            continue
        if v:
            return v
    return None


def _first(*paths: Path) -> Path | None:
    return next((p for p in paths if p.exists()), None)


def parse_npu_smi_list(text: str) -> list[int]:
    """NPU ids from `npu-smi info -l` ("NPU ID : 0" lines)."""
    return sorted({int(m) for m in re.findall(r"NPU ID\s*:\s*(\d+)", text)})


def parse_npu_smi_chip(text: str) -> str:
    """The SoC version from `npu-smi info -t board -i N` / `npu-smi info` ("Chip Name : 910B2" -> "Ascend910B2")."""
    m = re.search(r"Chip Name\s*:\s*(?:Ascend)?\s*(\w+)", text)
    return f"Ascend{m.group(1)}" if m else ""


_TABLE_ROW = re.compile(r"^\|\s*(\d+)\s+([0-9][0-9A-Za-z]*)\s*\|\s*([A-Za-z]+)\s*\|", re.M)


def parse_npu_smi_table(text: str) -> dict[int, tuple[str, str]]:
    """NPU id -> (chip name, health) from the `npu-smi info` table ("| 0     910B2   | OK   | ..."): the chip name
    is what CANN's SOC_VERSION is made of ("Ascend" + Name, as the samples' READMEs say)."""
    return {int(m.group(1)): (m.group(2), m.group(3)) for m in _TABLE_ROW.finditer(text)}


def _npu_smi(npu_smi: Path | None, *args: str) -> str:
    if npu_smi is None:
        return ""
    try:
        return subprocess.run([str(npu_smi), *args], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


# Run in a child process (never in the agent: aclInit claims runtime resources for the process's lifetime):
# the device count and SoC name as the ACL runtime itself reports them (aclrtGetDeviceCount, aclrtGetSocName).
_ACL_QUERY = """
import ctypes, json, sys
lib = ctypes.CDLL("libascendcl.so")
count = ctypes.c_uint32(0)
out = {"init": lib.aclInit(None)}
out["count_rc"] = lib.aclrtGetDeviceCount(ctypes.byref(count))
out["count"] = count.value
lib.aclrtGetSocName.restype = ctypes.c_char_p
name = lib.aclrtGetSocName()
out["soc"] = name.decode() if name else ""
lib.aclFinalize()
json.dump(out, sys.stdout)
"""


def acl_query(home: Path, env: Mapping[str, str]) -> tuple[list[int], str]:
    """(device ids, SoC name) from the ACL runtime in a child Python, or ([], "") when it cannot answer."""
    import json
    import sys

    if not any((home / d / "libascendcl.so").exists() for d in ("lib64", "runtime/lib64")):
        return [], ""
    libs = f"{home}/lib64:{home}/runtime/lib64:/usr/local/Ascend/driver/lib64:/usr/local/Ascend/driver/lib64/driver"
    child_env = {"PATH": env.get("PATH", "/usr/bin:/bin"), "LD_LIBRARY_PATH": libs, "ASCEND_HOME_PATH": str(home)}
    try:
        r = subprocess.run([sys.executable, "-I", "-c", _ACL_QUERY], capture_output=True, text=True, timeout=60,
                           env=child_env)
        out = json.loads(r.stdout) if r.returncode == 0 else {}
    except (OSError, subprocess.SubprocessError, ValueError):
        return [], ""
    if out.get("init") not in (0, 100002) or out.get("count_rc") != 0:  # 100002: already initialised
        return [], ""
    return list(range(int(out.get("count", 0)))), str(out.get("soc", ""))


def find_cann(env: Mapping[str, str] = os.environ, *, dev_root: Path = Path("/dev")) -> CannInstall:
    """The CANN install and devices of this host, or CannNotFound naming the first missing piece."""
    raw = env.get("ASCEND_HOME_PATH") or env.get("ASCEND_TOOLKIT_HOME") or ""
    if not raw:
        raise CannNotFound("the cann backend needs CANN: ASCEND_HOME_PATH is not set (source the toolkit's set_env.sh, "
                           "e.g. /usr/local/Ascend/ascend-toolkit/set_env.sh, before starting the agent)")
    home = Path(raw)
    if not home.is_dir():
        raise CannNotFound(f"the cann backend needs CANN: ASCEND_HOME_PATH={raw} is not a directory")
    set_env = _first(home / "set_env.sh", home.parent / "set_env.sh", home / "bin" / "setenv.bash")
    if set_env is None:
        raise CannNotFound(f"the cann backend needs CANN: no set_env.sh in {home} or {home.parent} "
                           "(ASCEND_HOME_PATH does not point at a CANN toolkit)")
    version = _read_version(home)
    if version is None:
        raise CannNotFound(f"the cann backend needs CANN: no version file (version.cfg, ascend_toolkit_install.info) "
                           f"under {home}")
    if not MIN_VERSION <= version_tuple(version) <= MAX_VERSION:
        raise CannNotFound(f"the cann backend supports CANN {MIN_VERSION[0]}.{MIN_VERSION[1]} to "
                           f"{MAX_VERSION[0]}.x; {home} is CANN {version}")
    cmake_dir = _first(home / "compiler" / "tikcpp" / "ascendc_kernel_cmake",
                       home / "tools" / "tikcpp" / "ascendc_kernel_cmake")
    if cmake_dir is None:
        raise CannNotFound(f"the cann backend needs CANN's Ascend C build: no ascendc_kernel_cmake under {home}")
    if shutil.which("cmake") is None:
        raise CannNotFound("the cann backend needs cmake (3.16 or newer) on PATH to build kernels as CANN's samples do")
    npu_smi_path = env.get("HAWK_NPU_SMI") or shutil.which("npu-smi", path=env.get("PATH")) or \
        ("/usr/local/sbin/npu-smi" if Path("/usr/local/sbin/npu-smi").exists() else None)
    npu_smi = Path(npu_smi_path) if npu_smi_path else None
    devices = parse_npu_smi_list(_npu_smi(npu_smi, "info", "-l"))
    acl_soc = ""
    if not devices:  # the ACL runtime's own count, when npu-smi is absent or says nothing
        devices, acl_soc = acl_query(home, env)
    if not devices:  # the driver's nodes
        devices = sorted(int(p.name[len("davinci"):]) for p in dev_root.glob("davinci*")
                         if p.name[len("davinci"):].isdigit())
    if not devices:
        raise CannNotFound("the cann backend found CANN " + version + " but no NPU: npu-smi lists none and there is "
                           f"no {dev_root}/davinci<N> (is the Ascend driver installed and loaded?)")
    table = parse_npu_smi_table(_npu_smi(npu_smi, "info"))
    soc = f"Ascend{table[devices[0]][0]}" if devices[0] in table else acl_soc or \
        parse_npu_smi_chip(_npu_smi(npu_smi, "info", "-t", "board", "-i", str(devices[0])))
    return CannInstall(
        home=home, version=version, set_env=set_env, cmake_dir=cmake_dir,
        bisheng=_first(home / "compiler" / "ccec_compiler" / "bin" / "bisheng"),
        msopgen=_first(home / "python" / "site-packages" / "bin" / "msopgen", home / "bin" / "msopgen"),
        msprof=_first(home / "tools" / "profiler" / "bin" / "msprof", home / "bin" / "msprof"),
        npu_smi=npu_smi, devices=devices, soc_version=soc,
        driver=Path(env.get("HAWK_ASCEND_DRIVER", "/usr/local/Ascend/driver")))


def device_health(install: CannInstall, device_id: int) -> str:
    """"" when `device_id` is healthy, else the reason (npu-smi's health word, or a missing device node)."""
    node = Path(f"/dev/davinci{device_id}")
    if not node.exists():
        return f"{node} does not exist"
    text = _npu_smi(install.npu_smi, "info", "-t", "health", "-i", str(device_id))
    m = re.search(r"Health(?: Status)?\s*:\s*(\w+)", text)
    health = m.group(1) if m else parse_npu_smi_table(_npu_smi(install.npu_smi, "info")).get(device_id, ("", ""))[1]
    if health and health.upper() not in ("OK", "HEALTHY"):
        return f"npu-smi reports device {device_id} health {health}"
    return ""
