"""The NPU agent: compiles, verifies and profiles candidate kernels on one NPU host.

Runs on NPU hosts alone, so it must not import `controller`, `knowledge`, Ray or the OpenAI client
(tests/test_layout.py enforces it).
"""

from importlib import metadata

try:
    __version__ = metadata.version("hawk-farm")
except metadata.PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"
