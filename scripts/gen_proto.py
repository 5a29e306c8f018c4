"""Generate the Python wire code (proto/hawk/v1/*_pb2*.py) from proto/hawk/v1/*.proto.

Run through `make proto`. The output is checked in so that NPU hosts need no protoc;
tests/test_proto.py regenerates into a temporary directory and fails when the checked-in code is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTO_ROOT = ROOT / "proto"


def proto_files() -> list[Path]:
    return sorted((PROTO_ROOT / "hawk" / "v1").glob("*.proto"))


def generate(out_dir: Path) -> None:
    """Run protoc (bundled with grpcio-tools) into out_dir, keeping the hawk/v1 package layout."""
    import grpc_tools
    from grpc_tools import protoc

    include = Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *[str(p.relative_to(PROTO_ROOT)) for p in proto_files()],
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed: " + " ".join(args))


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else PROTO_ROOT
    generate(out)
    print(f"generated {len(proto_files())} proto files into {out}")
