"""The `cann` backend: the same agent on real Ascend hosts (CANN toolchain, ACL runtime, msprof).

environment.py finds CANN and the NPUs (or refuses with one line), build.py builds a candidate as Huawei's public
samples build kernels, launch.py is our host launcher and its file exchange, backend.py the Backend; msprof.py
and errors.py read msprof op's output and the runtime's device error reports. Importing this package needs no
CANN: only CannBackend() looks for it.
"""

from npu_agent.backends.cann.backend import CannBackend
from npu_agent.backends.cann.environment import CannInstall, CannNotFound, find_cann

__all__ = ["CannBackend", "CannInstall", "CannNotFound", "find_cann"]
